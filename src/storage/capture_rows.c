/*
 * capture_rows.c — the changeset of a plain row insert, written while the
 * rows go in (replog.h).
 *
 * sqlite3session records every change into its own hash table and builds
 * the changeset from it at the end: on a 20,000-row COPY batch that is
 * about 1 µs per row, more than the insert itself (0.4 µs).  A write that
 * only INSERTs new rows into one table needs none of that bookkeeping: its
 * changeset is a table header followed by one INSERT record per row, in
 * any order.  So a preupdate hook appends each row's record as SQLite
 * stores it (sqlite3_preupdate_new, REAL affinity applied as the session
 * does), about 0.3 µs per row.
 *
 * Changeset format (sqlite3session.h, "Changeset Format"):
 *
 *     'T' varint(ncol) pk[ncol] name NUL        table header; pk[i] is the
 *                                               column's 1-based position
 *                                               in the PRIMARY KEY, or 0
 *     0x12 0x00 value[ncol]                     SQLITE_INSERT, not indirect
 *     value: 0x01 i64 BE | 0x02 f64 BE | 0x03 varint(n) utf8 |
 *            0x04 varint(n) bytes | 0x05 (NULL)
 *
 * Anything else the statement does (an UPDATE or DELETE, as ON CONFLICT DO
 * UPDATE and OR REPLACE make; a second table; a table without a primary
 * key, which the session would not record) marks the capture unusable:
 * stor_rowcap_take answers MUR_EAGAIN and the caller rolls back and runs
 * the write again under sqlite3session.  Changes to murphy's own tables
 * (_murphy_*) are not part of an entry and are ignored, as in capture.c.
 *
 * The hook is the connection's only preupdate hook while it is installed:
 * sqlite3session installs its own, so a row capture and a session never
 * overlap on one connection (one write task at a time, under stor_lock),
 * and stor_rowcap_end removes the hook so a later session starts clean.
 *
 * Memory: the stor_rowcap and its buffer are malloc'd; stor_rowcap_end
 * frees both.
 */
#define SQLITE_ENABLE_PREUPDATE_HOOK 1 /* before sqlite3.h declares the hook */

#include "storage/replog.h"

#include "storage/storage_int.h"

#include <stdlib.h>
#include <string.h>

#define ROWCAP_COLS_MAX 2000 /* SQLite's default SQLITE_MAX_COLUMN */

struct stor_rowcap {
	sqlite3 *db;
	stor_db *sdb; /* db's placement: its statement cache */
	mur_buf cs;
	char table[STOR_FILE_NAME_MAX];
	int ncols;    /* 0 until the first row; then the table's */
	int unusable; /* see the header comment */
	int oom;
	const unsigned char *real; /* per column: REAL affinity (the table's header) */
};

/* A table's header as the changeset writes it, and its columns' REAL
 * affinity: read from pragma_table_info once per placement and schema
 * version (db->rowcap_tab), not at every captured write (the pragma's
 * table function prepares its PRAGMA at every scan: ~3.5% of a follower's
 * CPU under pgbench). */
typedef struct stor_rowcap_tab {
	char *name; /* malloc'd */
	int ncols;
	int64_t schema_version;
	unsigned char *pk;   /* ncols: 1-based position in the PRIMARY KEY, or 0 */
	unsigned char *real; /* ncols: REAL affinity */
} rowcap_tab;

void stor_rowcap_tab_free(stor_db *db)
{
	rowcap_tab *t = db->rowcap_tab;
	if (!t)
		return;
	free(t->name);
	free(t->pk);
	free(t->real);
	free(t);
	db->rowcap_tab = NULL;
}

/* SQLite's affinity rule for a declared type: REAL when it names no INT
 * and contains REAL, FLOA or DOUB. */
static int real_affinity(const char *type)
{
	char up[64];
	size_t n = 0;
	for (; type && type[n] && n + 1 < sizeof up; n++)
		up[n] = (char)(type[n] >= 'a' && type[n] <= 'z' ? type[n] - 32 : type[n]);
	up[n] = '\0';
	if (strstr(up, "INT"))
		return 0;
	return strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB");
}

/* SQLite's varint: big-endian groups of 7 bits, the high bit set on all
 * but the last byte (values here are lengths < 2^31). */
static void put_varint(mur_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	int n = 0;
	do {
		tmp[n++] = (unsigned char)((v & 0x7f) | 0x80);
		v >>= 7;
	} while (v);
	tmp[0] &= 0x7f;
	while (n > 0)
		mur_buf_put_u8(b, tmp[--n]);
}

/* Read table's header into a new db->rowcap_tab; NULL when it is not the
 * row layout the hook sees (ncols columns), has no key, or on error. */
static const rowcap_tab *tab_load(stor_db *db, const char *table, int ncols, int64_t version)
{
	sqlite3_stmt *st = NULL;
	rowcap_tab *t;
	int n = 0, haspk = 0;
	mur_error err;
	stor_rowcap_tab_free(db);
	if (!(t = calloc(1, sizeof *t)))
		return NULL;
	db->rowcap_tab = t;
	t->schema_version = version;
	if (!(t->name = strdup(table)) || !(t->pk = calloc((size_t)ncols, 1)) ||
	    !(t->real = calloc((size_t)ncols, 1)) ||
	    stor_prepare(db, "SELECT pk, type FROM pragma_table_info(?1, 'main')", &st, &err) !=
		    MUR_OK) {
		stor_rowcap_tab_free(db);
		return NULL;
	}
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && n < ncols) {
		int k = sqlite3_column_int(st, 0);
		t->pk[n] = (unsigned char)(k > 0 && k < 256 ? k : 0);
		haspk |= t->pk[n] != 0;
		t->real[n] = (unsigned char)real_affinity((const char *)sqlite3_column_text(st, 1));
		n++;
	}
	stor_release(db, st);
	t->ncols = n;
	if (n != ncols || !haspk) {
		stor_rowcap_tab_free(db);
		return NULL;
	}
	return t;
}

/* First row: the table header (column order, the PRIMARY KEY positions,
 * the declared types' affinity), read once per schema version. */
static int start_table(stor_rowcap *rc, const char *table, int ncols)
{
	const rowcap_tab *t = rc->sdb->rowcap_tab;
	int64_t version = stor_schema_version(rc->sdb);
	if (ncols <= 0 || ncols > ROWCAP_COLS_MAX || strlen(table) >= sizeof rc->table ||
	    version < 0)
		return 0;
	if ((!t || t->schema_version != version || t->ncols != ncols ||
	     strcmp(t->name, table) != 0) &&
	    !(t = tab_load(rc->sdb, table, ncols, version)))
		return 0; /* not the row layout we see, or no key: the session's job */
	rc->real = t->real;
	strcpy(rc->table, table);
	rc->ncols = ncols;
	mur_buf_put_u8(&rc->cs, 'T');
	put_varint(&rc->cs, (uint64_t)ncols);
	mur_buf_put(&rc->cs, t->pk, (size_t)ncols);
	mur_buf_put_cstr(&rc->cs, table);
	return 1;
}

static void put_value(mur_buf *b, sqlite3_value *v, int real)
{
	int n;
	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		if (real) {
			mur_buf_put_u8(b, SQLITE_FLOAT);
			mur_buf_put_f64(b, (double)sqlite3_value_int64(v));
		} else {
			mur_buf_put_u8(b, SQLITE_INTEGER);
			mur_buf_put_i64(b, sqlite3_value_int64(v));
		}
		break;
	case SQLITE_FLOAT:
		mur_buf_put_u8(b, SQLITE_FLOAT);
		mur_buf_put_f64(b, sqlite3_value_double(v));
		break;
	case SQLITE_TEXT:
		n = sqlite3_value_bytes(v);
		mur_buf_put_u8(b, SQLITE_TEXT);
		put_varint(b, (uint64_t)n);
		mur_buf_put(b, sqlite3_value_text(v), (size_t)n);
		break;
	case SQLITE_BLOB:
		n = sqlite3_value_bytes(v);
		mur_buf_put_u8(b, SQLITE_BLOB);
		put_varint(b, (uint64_t)n);
		if (n > 0)
			mur_buf_put(b, sqlite3_value_blob(v), (size_t)n);
		break;
	default:
		mur_buf_put_u8(b, SQLITE_NULL);
		break;
	}
}

static void on_change(void *arg, sqlite3 *db, int op, const char *schema, const char *table,
		      sqlite3_int64 key1, sqlite3_int64 key2)
{
	stor_rowcap *rc = arg;
	int ncols;
	(void)key1;
	(void)key2;
	if (rc->unusable || strncmp(table, "_murphy_", 8) == 0)
		return;
	ncols = sqlite3_preupdate_count(db);
	if (op != SQLITE_INSERT || strcmp(schema, "main") != 0 ||
	    (rc->ncols ? strcmp(table, rc->table) != 0 || ncols != rc->ncols
		       : !start_table(rc, table, ncols))) {
		rc->unusable = 1;
		return;
	}
	mur_buf_put_u8(&rc->cs, SQLITE_INSERT);
	mur_buf_put_u8(&rc->cs, 0);
	for (int i = 0; i < ncols; i++) {
		sqlite3_value *v = NULL;
		if (sqlite3_preupdate_new(db, i, &v) != SQLITE_OK || !v) {
			rc->unusable = 1;
			return;
		}
		put_value(&rc->cs, v, rc->real[i]);
	}
}

int stor_rowcap_begin(stor_db *db, stor_rowcap **out, mur_error *err)
{
	stor_rowcap *rc = calloc(1, sizeof *rc);
	*out = NULL;
	if (!rc)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	rc->db = db->db;
	rc->sdb = db;
	mur_buf_init(&rc->cs);
	sqlite3_preupdate_hook(db->db, on_change, rc);
	*out = rc;
	return MUR_OK;
}

int stor_rowcap_take(stor_rowcap *rc, mur_buf *cs, mur_error *err)
{
	sqlite3_preupdate_hook(rc->db, NULL, NULL);
	if (rc->unusable)
		return MUR_EAGAIN;
	if (!mur_buf_ok(&rc->cs))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (!rc->ncols) {
		mur_buf_reset(cs); /* no row went in: no entry */
		return MUR_OK;
	}
	mur_buf tmp = *cs; /* hand over the changeset; end frees cs's old memory */
	*cs = rc->cs;
	rc->cs = tmp;
	return MUR_OK;
}

void stor_rowcap_end(stor_rowcap *rc)
{
	if (!rc)
		return;
	sqlite3_preupdate_hook(rc->db, NULL, NULL);
	mur_buf_free(&rc->cs);
	free(rc);
}
