/*
 * capture_rows.c — the changeset of a plain row write, written while the
 * rows change (replog.h).
 *
 * sqlite3session records every change into its own hash table and builds
 * the changeset from it at the end: on a 20,000-row COPY batch that is
 * about 1 µs per row, more than the insert itself (0.4 µs).  On a one-row
 * UPDATE (TPC-B's) it costs more still: a session per write, its
 * PRAGMA table_info prepared at the first change, and at the end a
 * SELECT prepared to read each changed row back — 12% of a follower's
 * CPU under pgbench.  A write that only INSERTs new rows, or only
 * UPDATEs or only DELETEs rows, of one table, each row once, needs none
 * of that bookkeeping: its changeset is a table header followed by one
 * record per row, which a preupdate hook appends as SQLite changes the
 * row (sqlite3_preupdate_old / _new, REAL affinity applied as the session
 * does), about 0.3 µs per row.
 *
 * Changeset format (sqlite3session.h, "Changeset Format"):
 *
 *     'T' varint(ncol) pk[ncol] name NUL        table header; pk[i] is the
 *                                               column's 1-based position
 *                                               in the PRIMARY KEY, or 0
 *     0x12 0x00 value[ncol]                     SQLITE_INSERT, not indirect:
 *                                               the new row
 *     0x09 0x00 value[ncol]                     SQLITE_DELETE: the old row
 *     0x17 0x00 old[ncol] new[ncol]             SQLITE_UPDATE: old holds the
 *                                               key and the changed columns'
 *                                               old values, new the changed
 *                                               columns' new values; every
 *                                               other field is 0x00
 *                                               (undefined); an update that
 *                                               changed no value has no record
 *     value: 0x01 i64 BE | 0x02 f64 BE | 0x03 varint(n) utf8 |
 *            0x04 varint(n) bytes | 0x05 (NULL)
 *
 * "Changed" is the session's rule: another type, or the same type and
 * another value (== for numbers, bytes for text and blobs).  Records come
 * in the order SQLite changed the rows (the session's come in its hash
 * order; a changeset's rows are independent).
 *
 * Each row once: an INSERT adds a new row each time and an UPDATE or a
 * DELETE statement visits each row once, so a write whose changes are all
 * of one kind (and that ran its statement once, for UPDATE and DELETE:
 * stor_rowcap_begin's `one_statement`) never describes a row twice.
 * Anything else marks the capture unusable: two kinds of change (an
 * upsert's ON CONFLICT DO UPDATE, OR REPLACE), a key that changes, a
 * second table, a change made by a trigger or a foreign key's action
 * (the session marks those indirect), a table without a primary key
 * (which the session would not record); then
 * stor_rowcap_take answers MUR_EAGAIN and the caller rolls back and runs
 * the write again under sqlite3session.  Changes to murphy's own tables
 * (_murphy_*) are not part of an entry and are ignored, as in capture.c.
 *
 * The hook is the connection's only preupdate hook while it is installed:
 * sqlite3session installs its own, so a row capture and a session never
 * overlap on one connection (one write task at a time, under stor_lock),
 * and stor_rowcap_end removes the hook so a later session starts clean.
 *
 * Memory: the stor_rowcap and its buffers are malloc'd; stor_rowcap_end
 * frees them.
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
	int ncols;         /* 0 until the first row; then the table's */
	int unusable;      /* see the header comment */
	int one_statement; /* UPDATE and DELETE may be captured */
	int op;            /* the kind of every change so far (0: none yet) */
	size_t nrecords;
	const unsigned char *real; /* per column: REAL affinity (the table's header) */
	const unsigned char *pk;   /* per column: position in the PRIMARY KEY, or 0 */
	mur_buf upd;               /* an UPDATE's new record, while it is built */
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
	rc->pk = t->pk;
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

/* The session's rule: the same type (after REAL affinity) and the same
 * value (== for numbers, bytes for text and blobs). */
static int value_equal(sqlite3_value *a, sqlite3_value *b, int real)
{
	int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);
	if (real && ta == SQLITE_INTEGER)
		ta = SQLITE_FLOAT;
	if (real && tb == SQLITE_INTEGER)
		tb = SQLITE_FLOAT;
	if (ta != tb)
		return 0;
	switch (ta) {
	case SQLITE_INTEGER:
		return sqlite3_value_int64(a) == sqlite3_value_int64(b);
	case SQLITE_FLOAT:
		return sqlite3_value_double(a) == sqlite3_value_double(b);
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		int n = sqlite3_value_bytes(a);
		if (n != sqlite3_value_bytes(b))
			return 0;
		const void *pa = ta == SQLITE_TEXT ? (const void *)sqlite3_value_text(a)
						   : sqlite3_value_blob(a);
		const void *pb = ta == SQLITE_TEXT ? (const void *)sqlite3_value_text(b)
						   : sqlite3_value_blob(b);
		return n == 0 || memcmp(pa, pb, (size_t)n) == 0;
	}
	default:
		return 1; /* both NULL */
	}
}

/* An INSERT's new row or a DELETE's old row: every column. */
static int put_row(stor_rowcap *rc, int op, int ncols)
{
	mur_buf_put_u8(&rc->cs, (uint8_t)op);
	mur_buf_put_u8(&rc->cs, 0);
	for (int i = 0; i < ncols; i++) {
		sqlite3_value *v = NULL;
		int src = op == SQLITE_INSERT ? sqlite3_preupdate_new(rc->db, i, &v)
					      : sqlite3_preupdate_old(rc->db, i, &v);
		if (src != SQLITE_OK || !v)
			return 0;
		put_value(&rc->cs, v, rc->real[i]);
	}
	rc->nrecords++;
	return 1;
}

/* An UPDATE: the key and the changed columns' old values, then the
 * changed columns' new values (built in rc->upd); no record when no value
 * changed; 0 (unusable) when the key changed. */
static int put_update(stor_rowcap *rc, int ncols)
{
	size_t start = rc->cs.len;
	int changed = 0;
	mur_buf_reset(&rc->upd);
	mur_buf_put_u8(&rc->cs, SQLITE_UPDATE);
	mur_buf_put_u8(&rc->cs, 0);
	for (int i = 0; i < ncols; i++) {
		sqlite3_value *o = NULL, *n = NULL;
		if (sqlite3_preupdate_old(rc->db, i, &o) != SQLITE_OK || !o ||
		    sqlite3_preupdate_new(rc->db, i, &n) != SQLITE_OK || !n)
			return 0;
		int same = value_equal(o, n, rc->real[i]);
		if (!same && rc->pk[i])
			return 0; /* the session writes a DELETE and an INSERT */
		if (!same || rc->pk[i])
			put_value(&rc->cs, o, rc->real[i]);
		else
			mur_buf_put_u8(&rc->cs, 0);
		if (!same)
			put_value(&rc->upd, n, rc->real[i]);
		else
			mur_buf_put_u8(&rc->upd, 0);
		changed |= !same;
	}
	if (!changed) {
		rc->cs.len = start; /* a no-op: the session leaves it out */
		return 1;
	}
	if (!mur_buf_ok(&rc->upd))
		return 0;
	mur_buf_put(&rc->cs, rc->upd.data, rc->upd.len);
	rc->nrecords++;
	return 1;
}

static void on_change(void *arg, sqlite3 *db, int op, const char *schema, const char *table,
		      sqlite3_int64 key1, sqlite3_int64 key2)
{
	stor_rowcap *rc = arg;
	int ncols, ok;
	(void)key1;
	(void)key2;
	if (rc->unusable || strncmp(table, "_murphy_", 8) == 0)
		return;
	ncols = sqlite3_preupdate_count(db);
	if ((op != SQLITE_INSERT && !rc->one_statement) || (rc->op && op != rc->op) ||
	    sqlite3_preupdate_depth(db) != 0 || strcmp(schema, "main") != 0 ||
	    (rc->ncols ? strcmp(table, rc->table) != 0 || ncols != rc->ncols
		       : !start_table(rc, table, ncols))) {
		rc->unusable = 1;
		return;
	}
	rc->op = op;
	switch (op) {
	case SQLITE_INSERT:
	case SQLITE_DELETE:
		ok = put_row(rc, op, ncols);
		break;
	case SQLITE_UPDATE:
		ok = put_update(rc, ncols);
		break;
	default:
		ok = 0;
	}
	if (!ok)
		rc->unusable = 1;
}

int stor_rowcap_begin(stor_db *db, int one_statement, stor_rowcap **out, mur_error *err)
{
	stor_rowcap *rc = calloc(1, sizeof *rc);
	*out = NULL;
	if (!rc)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	rc->db = db->db;
	rc->sdb = db;
	rc->one_statement = one_statement;
	mur_buf_init(&rc->cs);
	mur_buf_init(&rc->upd);
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
	if (!rc->nrecords) {
		mur_buf_reset(cs); /* no row changed: no entry */
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
	mur_buf_free(&rc->upd);
	free(rc);
}
