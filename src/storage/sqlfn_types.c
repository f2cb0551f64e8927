/*
 * sqlfn_types.c — SQLite functions of the types PostgreSQL has and SQLite
 * does not (uuid; interval and bytea's functions join them), for emitted
 * SQL on the followers and the leader alike (stor_register_functions
 * registers them with sqlfn.c's).
 *
 *   mur_gen_random_uuid          gen_random_uuid(): a version 4 uuid (RFC
 *                                4122, 122 random bits from SQLite's
 *                                generator) in uuid_out's form, which is
 *                                how a uuid is stored (common/value.h)
 */
#include "storage/storage_int.h"

#include <stdint.h>

/* Bytes of a uuid (RFC 4122). */
#define SQLFN_UUID_BYTES 16

static void fn_gen_random_uuid(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t b[SQLFN_UUID_BYTES];
	char out[SQLFN_UUID_BYTES * 2 + 4];
	int k = 0;
	(void)argc;
	(void)v;
	sqlite3_randomness(sizeof b, b);
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	for (int i = 0; i < SQLFN_UUID_BYTES; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[b[i] >> 4];
		out[k++] = hex[b[i] & 15];
	}
	sqlite3_result_text(cx, out, k, SQLITE_TRANSIENT);
}

static const stor_fn_def type_fns[] = {
	{"mur_gen_random_uuid", 0, 0, fn_gen_random_uuid},
};

int stor_register_type_functions(sqlite3 *db)
{
	return stor_fn_register(db, type_fns, sizeof type_fns / sizeof type_fns[0]);
}
