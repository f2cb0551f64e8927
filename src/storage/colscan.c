/*
 * colscan.c — columns of a rowid table from its b-tree pages
 * (colscan.h): one for a sketch, several for a filtered aggregate
 * (scanfilter.h).  A record's header is walked once per row up to the
 * last column asked, and only the asked columns are decoded.
 *
 * Why.  A whole-shard approx_count_distinct is bound by SQLite's cost per
 * row: even with the sketch computed inside SQLite (OP_Column, OP_AggStep,
 * OP_Next) a row costs ~45 ns on the bench machine, ~35 of them SQLite's,
 * with the rows in the CPU cache.  Walking the leaf pages and decoding the
 * one column costs ~15 ns (docs/approx.md has the measurements).
 *
 * Seeing what a SELECT sees.  The scan reads the database file, not
 * SQLite's pager:
 *   1. the caller holds stor_lock, so nothing writes the placement while
 *      the scan runs (storage.h: every use of the connection is under it),
 *      and no transaction may be open (in_txn: its pages would be in the
 *      connection's cache only);
 *   2. committed pages may still be in the WAL: a passive checkpoint runs
 *      first, and unless every WAL frame is then in the file
 *      (log == checkpointed) the scan declines; after writes (the
 *      placement's log position moved since a scan last found it clean)
 *      a scan checkpoints at most once a second, declining in between,
 *      so a shard written all the time is read by SQLite, not held up by
 *      a checkpoint per read;
 *   3. pages come from the VFS (xFetch: SQLite's own read-only mapping,
 *      else xRead into a buffer), so the file is read as SQLite reads it.
 *
 * File format (https://www.sqlite.org/fileformat2.html): page 1 holds the
 * 100-byte header (page size at 16, reserved bytes at 20, text encoding at
 * 56); a table b-tree has interior pages (type 5: cells = 4-byte child +
 * varint rowid, right child at header + 8) and leaf pages (type 13: cells
 * = varint payload size P, varint rowid, the local part of the payload,
 * then a 4-byte overflow page number when P > U - 35).  A payload is a
 * record: varint header size, one varint serial type per column, then the
 * values (serial types 0 NULL, 1-6 big-endian integers of 1,2,3,4,6,8
 * bytes, 7 a big-endian double, 8 and 9 the integers 0 and 1, N >= 12 even
 * a blob and N >= 13 odd a text of (N - 12 or 13) / 2 bytes).
 *
 * An INTEGER PRIMARY KEY is the rowid, stored as NULL in the record: its
 * value is the cell's rowid (the columns of a key of several are in the
 * record).
 * Declines (the caller reads through SQLite instead): a transaction open;
 * WAL frames not checkpointed; not UTF-8; no such rowid table (WITHOUT
 * ROWID, virtual tables and views have no table b-tree); a column asked
 * twice or past STOR_COLSCAN_COLS_MAX; the table has hidden or
 * generated columns (record positions
 * then differ from column numbers); a record without the column (added by
 * ALTER TABLE: the value is the column's default); the value or the
 * record header not on the page (overflow); anything malformed (page type,
 * bounds, depth beyond COLSCAN_DEPTH_MAX) — SQLite then reports it.
 *
 * Memory: one page buffer per b-tree level, only when xFetch cannot map a
 * page; freed before returning.
 */
#include "storage/colscan.h"
#include "storage/storage_int.h"

#include "common/clock.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static atomic_uint_fast64_t scans_done; /* stor_colscan_count */

/* Deepest b-tree walked: SQLite's own cursors stop at 20 levels
 * (BTCURSOR_MAX_DEPTH); deeper means a corrupt file. */
#define COLSCAN_DEPTH_MAX 20
#define HDR_PAGE1 100 /* the database header before page 1's b-tree header */
/* A placement written since a scan last found its WAL checkpointed is
 * checkpointed by a scan at most this often (checkpointed()). */
#define COLSCAN_CKPT_EVERY_US 1000000
enum { PAGE_TABLE_INTERIOR = 5, PAGE_TABLE_LEAF = 13 };

typedef struct level {
	const uint8_t *page; /* NULL: not loaded */
	uint8_t *buf;        /* xRead copy when not mapped (malloc'd) */
	int mapped;          /* page came from xFetch: xUnfetch it */
	uint32_t pgno;
	uint32_t ncell; /* interior: cells (0 for a leaf) */
	uint32_t next;  /* interior: next child, ncell = the right one */
} level;

typedef struct scan {
	sqlite3_file *f;
	uint32_t psz, usable, npages;
	int ncols;
	int maxpos;                      /* the last record position read */
	int want[STOR_COLSCAN_COLS_MAX]; /* column asked at each position up to maxpos, or -1 */
	int real[STOR_COLSCAN_COLS_MAX]; /* asked column i has REAL affinity: stored
					    integers are floats */
	mur_value vals[STOR_COLSCAN_COLS_MAX];
	int rowid_k; /* asked column that is the rowid alias (NULL in the record), or -1 */
	level lv[COLSCAN_DEPTH_MAX];
	stor_colscan_fn fn;
	void *ctx;
} scan;

/* ---- pages -------------------------------------------------------------- */

static void page_drop(scan *s, level *l)
{
	if (l->page && l->mapped)
		s->f->pMethods->xUnfetch(s->f, (sqlite3_int64)(l->pgno - 1) * s->psz,
					 (void *)l->page);
	l->page = NULL;
}

/* Load page pgno into level l; 0 on failure (decline). */
static int page_load(scan *s, level *l, uint32_t pgno)
{
	const sqlite3_io_methods *m = s->f->pMethods;
	sqlite3_int64 off = (sqlite3_int64)(pgno - 1) * s->psz;
	void *p = NULL;
	page_drop(s, l);
	if (pgno == 0 || pgno > s->npages)
		return 0;
	l->pgno = pgno;
	if (m->iVersion >= 3 && m->xFetch && m->xFetch(s->f, off, (int)s->psz, &p) == SQLITE_OK &&
	    p) {
		l->page = p;
		l->mapped = 1;
		return 1;
	}
	if (!l->buf && !(l->buf = malloc(s->psz)))
		return 0;
	if (m->xRead(s->f, l->buf, (int)s->psz, off) != SQLITE_OK)
		return 0;
	l->page = l->buf;
	l->mapped = 0;
	return 1;
}

static uint32_t get2(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t get4(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SQLite varint at p (at most 9 bytes, none past end); NULL when cut. */
static inline const uint8_t *varint(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (int i = 0; i < 8; i++) {
		if (p + i >= end)
			return NULL;
		x = x << 7 | (p[i] & 0x7f);
		if (!(p[i] & 0x80)) {
			*v = x;
			return p + i + 1;
		}
	}
	if (p + 8 >= end)
		return NULL;
	*v = x << 8 | p[8];
	return p + 9;
}

/* ---- records ------------------------------------------------------------ */

/* Bytes of a value of serial type t (t != 10, 11). */
static uint64_t serial_len(uint64_t t)
{
	static const uint8_t fixed[12] = {0, 1, 2, 3, 4, 6, 8, 8, 0, 0, 0, 0};
	return t < 12 ? fixed[t] : (t - 12) / 2;
}

/* Bytes of a table leaf payload of P bytes kept on the page (U usable). */
static uint64_t local_len(uint64_t P, uint32_t U)
{
	uint64_t X = U - 35, M = ((U - 12) * 32 / 255) - 23, K;
	if (P <= X)
		return P;
	K = M + (P - M) % (U - 4);
	return K <= X ? K : M;
}

/* Value of serial type t (not 10, 11) at d, for asked column k. */
static mur_value value_of(const scan *s, int k, uint64_t t, const uint8_t *d)
{
	if (t == 0)
		return mur_v_null();
	if (t <= 6) {
		int64_t x = (int8_t)d[0];
		for (uint64_t i = 1; i < serial_len(t); i++)
			x = (int64_t)((uint64_t)x << 8 | d[i]);
		return s->real[k] ? mur_v_float((double)x) : mur_v_int(x);
	}
	if (t == 7) {
		uint64_t bits = (uint64_t)get4(d) << 32 | get4(d + 4);
		double f;
		memcpy(&f, &bits, 8);
		return mur_v_float(f);
	}
	if (t <= 9)
		return s->real[k] ? mur_v_float((double)(t - 8)) : mur_v_int((int64_t)(t - 8));
	if (t & 1)
		return mur_v_text((const char *)d, serial_len(t));
	return mur_v_blob((const char *)d, serial_len(t));
}

/* The asked columns' values of the record rec[0 .. len) into s->vals;
 * 0: decline. */
static int record_values(scan *s, const uint8_t *rec, uint64_t len)
{
	const uint8_t *end = rec + len, *h, *hend;
	uint64_t hlen, t = 0, off;
	if (!(h = varint(rec, end, &hlen)) || hlen > len)
		return 0;
	hend = rec + hlen;
	off = hlen;
	for (int i = 0; i <= s->maxpos; i++) {
		uint64_t n;
		if (h >= hend)
			return 0; /* record from before ALTER TABLE ADD COLUMN */
		if (*h < 0x80)
			t = *h++; /* the usual one-byte type */
		else if (!(h = varint(h, hend, &t)))
			return 0;
		if (t == 10 || t == 11)
			return 0;
		n = serial_len(t);
		if (s->want[i] >= 0) {
			if (off + n > len)
				return 0; /* in an overflow page */
			s->vals[s->want[i]] = value_of(s, s->want[i], t, rec + off);
		}
		off += n;
	}
	return 1;
}

/* Every cell of a leaf page; 0: decline; else 1 and *rc = fn's result. */
static int leaf(scan *s, const uint8_t *page, const uint8_t *hdr, int *rc)
{
	const uint8_t *end = page + s->usable, *cp = hdr + 8;
	uint32_t n = get2(hdr + 3);
	if (cp + 2 * (size_t)n > end)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t at = get2(cp + 2 * i);
		uint64_t P, rowid, local;
		const uint8_t *c = page + at;
		if (c < cp + 2 * n || c >= end || !(c = varint(c, end, &P)) ||
		    !(c = varint(c, end, &rowid)))
			return 0;
		local = local_len(P, s->usable);
		if (local > (uint64_t)(end - c) || !record_values(s, c, local))
			return 0;
		if (s->rowid_k >= 0 && s->vals[s->rowid_k].kind == MV_NULL)
			s->vals[s->rowid_k] = mur_v_int((int64_t)rowid);
		if ((*rc = s->fn(s->ctx, s->vals)) != MUR_OK)
			return 1;
	}
	return 1;
}

/* Load page pgno into l and check its header; 0: decline. */
static int enter(scan *s, level *l, uint32_t pgno)
{
	const uint8_t *hdr;
	if (!page_load(s, l, pgno))
		return 0;
	hdr = l->page + (pgno == 1 ? HDR_PAGE1 : 0);
	l->next = 0;
	l->ncell = 0;
	if (hdr[0] == PAGE_TABLE_LEAF)
		return 1;
	if (hdr[0] != PAGE_TABLE_INTERIOR)
		return 0; /* an index b-tree (WITHOUT ROWID) or garbage */
	l->ncell = get2(hdr + 3);
	return hdr + 12 + 2 * (size_t)l->ncell <= l->page + s->usable;
}

/* Depth-first walk from the root, leaves in rowid order; 0: decline. */
static int walk(scan *s, uint32_t root, int *rc)
{
	int d = 0;
	*rc = MUR_OK;
	if (!enter(s, &s->lv[0], root))
		return 0;
	for (;;) {
		level *l = &s->lv[d];
		const uint8_t *hdr = l->page + (l->pgno == 1 ? HDR_PAGE1 : 0);
		uint32_t child;
		if (hdr[0] == PAGE_TABLE_LEAF) {
			if (!leaf(s, l->page, hdr, rc))
				return 0;
			if (*rc != MUR_OK)
				return 1;
			l->next = l->ncell + 1;
		}
		if (l->next > l->ncell) { /* done with this page */
			page_drop(s, l);
			if (d-- == 0)
				return 1;
			continue;
		}
		if (l->next == l->ncell) {
			child = get4(hdr + 8); /* the right child */
		} else {
			uint32_t at = get2(hdr + 12 + 2 * l->next);
			if (at + 4 > s->usable)
				return 0;
			child = get4(l->page + at);
		}
		l->next++;
		if (d + 1 == COLSCAN_DEPTH_MAX || !enter(s, &s->lv[d + 1], child))
			return 0;
		d++;
	}
}

/* ---- setup -------------------------------------------------------------- */

/* SQLite's affinity rules, in order: INT, CHAR/CLOB/TEXT, BLOB, REAL. */
static int real_affinity(const char *type)
{
	return type && !strcasestr(type, "INT") && !strcasestr(type, "CHAR") &&
	       !strcasestr(type, "CLOB") && !strcasestr(type, "TEXT") &&
	       !strcasestr(type, "BLOB") &&
	       (strcasestr(type, "REAL") || strcasestr(type, "FLOA") || strcasestr(type, "DOUB"));
}

/* Has table an index made for its PRIMARY KEY?  A rowid alias has none
 * (SQLite's rule: the key is the rowid); a DESC INTEGER PRIMARY KEY
 * column constraint is no alias, indexed, its values in the record.
 * 1 also when SQLite cannot say (the caller then reads the record). */
static int pk_index(stor_db *db, const char *table)
{
	sqlite3_stmt *st;
	mur_error err;
	int has = 1;
	if (stor_prepare(db,
			 "SELECT count(*) FROM pragma_index_list(?1, 'main') WHERE origin = 'pk'",
			 &st, &err) != MUR_OK)
		return 1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		has = sqlite3_column_int(st, 0) > 0;
	stor_release(db, st);
	return has;
}

/* Root page of rowid table `table`, and the record position and affinity
 * of each asked column (s->want, s->real, s->maxpos); 0: decline. */
static int find_columns(stor_db *db, const char *table, const char *const *columns, scan *s)
{
	sqlite3_stmt *st;
	mur_error err;
	uint32_t root = 0;
	int ok = 0, found = 0, npk = 0, int_key = -1;
	/* prepared once per placement (stor_prepare's cache): a scan of a
	 * small shard is not to pay two statements' compilation */
	if (stor_prepare(db,
			 "SELECT rootpage FROM main.sqlite_schema WHERE type = 'table' AND "
			 "name = ?1 COLLATE NOCASE",
			 &st, &err) != MUR_OK)
		return 0;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
		root = (uint32_t)sqlite3_column_int64(st, 0), ok = 1;
	stor_release(db, st);
	if (!ok || stor_prepare(db,
				"SELECT cid, name, type, pk, hidden FROM "
				"pragma_table_xinfo(?1, 'main')",
				&st, &err) != MUR_OK)
		return 0;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	s->maxpos = -1;
	while (ok && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		int pos = sqlite3_column_int(st, 0), pk = sqlite3_column_int(st, 3);
		if (sqlite3_column_int(st, 4) != 0 || pos < 0) {
			ok = 0; /* hidden or generated: positions shift */
			continue;
		}
		npk += pk > 0;
		for (int k = 0; k < s->ncols && name; k++) {
			if (strcasecmp(name, columns[k]) != 0)
				continue;
			/* a column asked twice, or past the positions kept, is not
			 * read here */
			if (pos >= STOR_COLSCAN_COLS_MAX || s->want[pos] >= 0) {
				ok = 0;
				break;
			}
			/* a key column of type INTEGER may be the rowid, stored as
			 * NULL (when it is the whole key): decided after the loop */
			if (pk > 0 && type && !strcasecmp(type, "INTEGER"))
				int_key = k;
			s->want[pos] = k;
			s->real[k] = real_affinity((const char *)sqlite3_column_text(st, 2));
			s->maxpos = pos > s->maxpos ? pos : s->maxpos;
			found++;
		}
	}
	stor_release(db, st);
	s->lv[0].pgno = root;
	/* the rowid alias: a one-column key of type INTEGER (SQLite's rule),
	 * stored as NULL in the record: its value is the cell's rowid (a DESC
	 * column constraint is no alias and keeps its value in the record,
	 * NOT NULL as a murphy key column is) */
	s->rowid_k = ok && int_key >= 0 && npk == 1 && !pk_index(db, table) ? int_key : -1;
	return ok && found == s->ncols;
}

/* Page size, usable size and page count from the header; 0: decline. */
static int read_header(scan *s)
{
	uint8_t h[HDR_PAGE1];
	sqlite3_int64 size;
	const sqlite3_io_methods *m = s->f->pMethods;
	if (m->xRead(s->f, h, sizeof h, 0) != SQLITE_OK || m->xFileSize(s->f, &size) != SQLITE_OK)
		return 0;
	s->psz = get2(h + 16) == 1 ? 65536 : get2(h + 16);
	if (s->psz < 512 || (s->psz & (s->psz - 1)) || h[20] > s->psz - 480 || get4(h + 56) != 1)
		return 0; /* text encoding 1: UTF-8 */
	s->usable = s->psz - h[20];
	s->npages = (uint32_t)(size / s->psz);
	return 1;
}

/* Is every committed frame of db's WAL in the file (a passive checkpoint
 * first)?  Written since the last scan found it so, the checkpoint copies
 * pages and syncs under the placement's lock, which a write of the shard
 * then waits for: that happens at most every COLSCAN_CKPT_EVERY_US, and
 * in between the scan declines (SQLite reads the WAL itself). */
static int checkpointed(stor_db *db)
{
	uint64_t now = mur_now_us();
	int log = -1, ckpt = -1;
	if (!(db->scan_clean && db->scan_lsn == db->lsn)) {
		if (db->scan_ckpt_us && now - db->scan_ckpt_us < COLSCAN_CKPT_EVERY_US)
			return 0;
		db->scan_ckpt_us = now;
	}
	if (sqlite3_wal_checkpoint_v2(db->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &ckpt) !=
		    SQLITE_OK ||
	    log != ckpt) {
		db->scan_clean = 0;
		return 0;
	}
	db->scan_clean = 1;
	db->scan_lsn = db->lsn;
	return 1;
}

int stor_colscan_cols(stor_db *db, const char *table, int ncols, const char *const *columns,
		      stor_colscan_fn fn, void *ctx, int *done)
{
	scan s = {.fn = fn, .ctx = ctx, .ncols = ncols};
	uint32_t root;
	int rc = MUR_OK;
	*done = 0;
	if (ncols < 1 || ncols > STOR_COLSCAN_COLS_MAX || db->in_txn ||
	    !sqlite3_get_autocommit(db->db))
		return MUR_OK;
	for (int i = 0; i < STOR_COLSCAN_COLS_MAX; i++)
		s.want[i] = -1;
	if (!checkpointed(db))
		return MUR_OK;
	if (sqlite3_file_control(db->db, "main", SQLITE_FCNTL_FILE_POINTER, &s.f) != SQLITE_OK ||
	    !s.f || !s.f->pMethods || !read_header(&s) || !find_columns(db, table, columns, &s))
		return MUR_OK;
	root = s.lv[0].pgno;
	*done = walk(&s, root, &rc);
	for (int d = 0; d < COLSCAN_DEPTH_MAX; d++) {
		page_drop(&s, &s.lv[d]);
		free(s.lv[d].buf);
	}
	if (rc != MUR_OK)
		*done = 0;
	if (*done)
		atomic_fetch_add_explicit(&scans_done, 1, memory_order_relaxed);
	return rc;
}

int stor_colscan_can_read(stor_db *db, const char *table, int ncols, const char *const *columns)
{
	scan s = {.ncols = ncols};
	if (ncols < 1 || ncols > STOR_COLSCAN_COLS_MAX)
		return 0;
	for (int i = 0; i < STOR_COLSCAN_COLS_MAX; i++)
		s.want[i] = -1;
	return find_columns(db, table, columns, &s);
}

uint64_t stor_colscan_count(void)
{
	return atomic_load_explicit(&scans_done, memory_order_relaxed);
}

int stor_colscan(stor_db *db, const char *table, const char *column, stor_colscan_fn fn, void *ctx,
		 int *done)
{
	return stor_colscan_cols(db, table, 1, &column, fn, ctx, done);
}
