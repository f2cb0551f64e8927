/*
 * sqlfn_bitagg.c — the SQLite aggregates mur_bit_and / mur_bit_or /
 * mur_bit_xor: PostgreSQL's bit_and / bit_or / bit_xor of integers (NULLs
 * skipped, NULL when no value), where a statement's aggregates run in
 * SQLite (a shard's or the leader's; sql/emit.c names them).  A shuffled
 * or gathered GROUP BY merges the shards' partials with the same
 * operation in ops/hashagg.c (EXEC_AGG_BIT_*).
 */
#include "storage/storage_int.h"

#include <stdint.h>

typedef struct bit_state {
	int64_t v;
	int has;
} bit_state;

static void bit_step(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	bit_state *s;
	int op = (int)(intptr_t)sqlite3_user_data(cx);
	int64_t x;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	if (!(s = sqlite3_aggregate_context(cx, sizeof *s)))
		return sqlite3_result_error_nomem(cx);
	x = sqlite3_value_int64(v[0]);
	if (!s->has)
		s->v = x;
	else if (op == 0)
		s->v &= x;
	else if (op == 1)
		s->v |= x;
	else
		s->v ^= x;
	s->has = 1;
}

static void bit_final(sqlite3_context *cx)
{
	bit_state *s = sqlite3_aggregate_context(cx, 0);
	if (s && s->has)
		sqlite3_result_int64(cx, s->v);
}

int stor_register_bitagg_functions(sqlite3 *db)
{
	static const char *const names[] = {"mur_bit_and", "mur_bit_or", "mur_bit_xor"};
	int flags = SQLITE_UTF8 | SQLITE_INNOCUOUS | SQLITE_DETERMINISTIC;
	for (int i = 0; i < 3; i++) {
		int rc = sqlite3_create_function_v2(db, names[i], 1, flags, (void *)(intptr_t)i,
						    NULL, bit_step, bit_final, NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
