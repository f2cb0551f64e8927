/*
 * pgc_tables.c — the catalog relations: declared once (rels[]), built as
 * SQLite tables in the attached databases pg_catalog and
 * information_schema right before a query that names them.
 *
 * Each relation is a column spec (pgc_int.h) and a fill function.  A fill
 * writes rows through a pgc_row: pgc_row_begin sets every column to its
 * type's default (0, false, NULL), the fill sets what it knows by column
 * name, pgc_row_end inserts.  A relation without a fill stays empty: what
 * murphy does not have (policies, publications, user functions, comments,
 * inheritance) is there, with no rows, so the queries that read it work.
 */
#include "pgcatalog/pgc_int.h"

#include "catalog/catalog_fkey.h"

#include <assert.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define PGC_REL_COLUMNS_MAX 96 /* information_schema.routines's 82 is the widest */
_Static_assert(PGC_OID_REL_BASE + 200 < PGC_OID_VIEW_BASE, "catalog OIDs below the views'");

/* A relation's spec taken apart once: its columns' names and letters. */
typedef struct pgc_spec {
	int n;
	const char *name[PGC_REL_COLUMNS_MAX]; /* into the spec, not NUL-terminated */
	size_t len[PGC_REL_COLUMNS_MAX];
	char letter[PGC_REL_COLUMNS_MAX];
} pgc_spec;

typedef struct pgc_row {
	sqlite3_stmt *st;
	const pgc_rel *rel;
	pgc_spec spec;
} pgc_row;

typedef struct pgc_fill_ctx {
	sqlite3 *db;
	const catalog *cat;
	const pgc_session_hooks *hooks;
	const pgc_activity *acts;
	int nacts;
} pgc_fill_ctx;

struct pgc_rel {
	const char *schema;
	const char *name;
	const char *spec;
	void (*fill)(pgc_fill_ctx *f, pgc_row *r);
	int zero_defaults; /* pg_catalog: a number or bool unset is 0 / false; else NULL */
};

/* ---- the row writer ---- */

static void spec_parse(const char *spec, pgc_spec *out)
{
	out->n = 0;
	for (const char *p = spec; *p;) {
		const char *sp = strchr(p, ' ');
		if (!sp)
			break;
		assert(out->n < PGC_REL_COLUMNS_MAX);
		out->name[out->n] = p;
		out->len[out->n] = (size_t)(sp - p);
		out->letter[out->n++] = sp[1];
		p = sp + 2;
		if (*p == ',')
			p++;
	}
}

/* Index (0-based) of col in spec, -1 when absent. */
static int spec_index(const pgc_spec *spec, const char *col)
{
	size_t n = strlen(col);
	for (int i = 0; i < spec->n; i++)
		if (spec->len[i] == n && memcmp(spec->name[i], col, n) == 0)
			return i;
	return -1;
}

static void row_begin(pgc_row *r)
{
	for (int i = 0; i < r->spec.n; i++) {
		char l = r->spec.letter[i];
		if (l == 't' || l == 'a' || l == 'z' || !r->rel->zero_defaults)
			sqlite3_bind_null(r->st, i + 1);
		else
			sqlite3_bind_int(r->st, i + 1, 0);
	}
}

static void put_int(pgc_row *r, const char *col, int64_t v)
{
	int i = spec_index(&r->spec, col);
	assert(i >= 0); /* a fill names only its own columns */
	sqlite3_bind_int64(r->st, i + 1, v);
}

static void put_text(pgc_row *r, const char *col, const char *v)
{
	int i = spec_index(&r->spec, col);
	assert(i >= 0);
	if (v)
		sqlite3_bind_text(r->st, i + 1, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(r->st, i + 1);
}

/* A timestamptz column: us (µs since 1970) as its stored text, 0 NULL. */
static void put_ts(pgc_row *r, const char *col, int64_t us)
{
	mur_buf b;
	mur_value v;
	mur_error err;
	mur_buf_init(&b);
	put_text(r, col,
		 us && mur_ts_put(MT_TIMESTAMPTZ, us, &b, &v, &err) == MUR_OK ? mur_buf_cstr(&b)
									      : NULL);
	mur_buf_free(&b);
}

static void row_end(pgc_row *r)
{
	sqlite3_step(r->st);
	sqlite3_reset(r->st);
}

/* ---- fills ---- */

static const char *user_of(const pgc_fill_ctx *f);
static const char *owner_of(const pgc_fill_ctx *f);

/* Created schemas carry their USAGE grants (nspacl). */
static void fill_namespace(pgc_fill_ctx *f, pgc_row *r)
{
	static const char *const names[] = {"pg_catalog", "public", "information_schema", "murphy"};
	mur_buf acl;
	mur_buf_init(&acl);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		row_begin(r);
		put_int(r, "oid", pgc_namespace_oid(NULL, names[i]));
		put_text(r, "nspname", names[i]);
		put_int(r, "nspowner",
			!strcmp(names[i], "public") ? PGC_OID_ROLE_DB_OWNER : PGC_OID_ROLE);
		row_end(r);
	}
	for (int i = 0; i < cat_schema_count(f->cat); i++) {
		const cat_schema *sc = cat_schema_at(f->cat, i);
		row_begin(r);
		put_int(r, "oid", pgc_schema_oid(sc));
		put_text(r, "nspname", sc->name);
		put_int(r, "nspowner", PGC_OID_ROLE);
		if (pgc_acl_text(f->cat, sc->id, owner_of(f), &acl))
			put_text(r, "nspacl", acl.data);
		row_end(r);
	}
	mur_buf_free(&acl);
}

/* The tables psql and drivers see, in catalog order. */
#define EACH_TABLE(f, t)                                                                           \
	for (int i_ = 0; i_ < cat_table_count((f)->cat); i_++)                                     \
		if (((t) = cat_table_at((f)->cat, i_)), pgc_table_shown((f)->cat, (t)))

static int visible_columns(const cat_table *t)
{
	int n = 0;
	for (int c = 0; c < t->ncols; c++)
		n += !t->cols[c].hidden;
	return n;
}

/* pg_class rows of tables and views carry their grants (relacl) and
 * their CHECK constraints' count (relchecks). */
static void class_row_full(pgc_fill_ctx *f, pgc_row *r, uint32_t oid, const char *name, uint32_t ns,
			   const char *kind, int natts, int has_index, uint32_t am,
			   uint32_t grants_id, int nchecks);

static void class_row(pgc_row *r, uint32_t oid, const char *name, uint32_t ns, const char *kind,
		      int natts, int has_index, uint32_t am)
{
	class_row_full(NULL, r, oid, name, ns, kind, natts, has_index, am, 0, 0);
}

static void class_row_full(pgc_fill_ctx *f, pgc_row *r, uint32_t oid, const char *name, uint32_t ns,
			   const char *kind, int natts, int has_index, uint32_t am,
			   uint32_t grants_id, int nchecks)
{
	mur_buf acl;
	mur_buf_init(&acl);

	row_begin(r);
	if (f && pgc_acl_text(f->cat, grants_id, owner_of(f), &acl))
		put_text(r, "relacl", acl.data);
	mur_buf_free(&acl);
	put_int(r, "oid", oid);
	put_text(r, "relname", name);
	put_int(r, "relnamespace", ns);
	put_int(r, "relowner", PGC_OID_ROLE);
	put_int(r, "relam", am);
	put_text(r, "relkind", kind);
	put_text(r, "relpersistence", "p");
	put_text(r, "relreplident", "d");
	put_int(r, "relnatts", natts);
	put_int(r, "relhasindex", has_index & 1);
	put_int(r, "relhastriggers", (has_index & 2) != 0); /* CLASS_HAS_TRIGGERS */
	put_int(r, "relchecks", nchecks);
	put_int(r, "relispopulated", 1);
	put_int(r, "reltuples", -1);
	row_end(r);
}

/* class_row's has_index bit: a foreign key's table, which PostgreSQL
 * gives triggers (psql's \d and pg_dump read its keys only then). */
#define CLASS_HAS_TRIGGERS 2

static int has_fkeys(const catalog *cat, uint32_t id)
{
	for (int i = 0; i < cat_fkey_count(cat); i++) {
		const cat_fkey *k = cat_fkey_at(cat, i);
		if (k && (k->table_id == id || k->ref_table_id == id))
			return 1;
	}
	return 0;
}

static int rel_count(void);
static const pgc_rel *rel_at(int i);

/* Does t have a secondary index (catalog_index.c)? */
static int has_index(const catalog *cat, const cat_table *t)
{
	for (int i = 0; i < cat_index_count(cat); i++)
		if (cat_index_at(cat, i)->table_id == t->id)
			return 1;
	return 0;
}

static void fill_class(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char pk[CAT_NAME_MAX + 8], cols[16];
	for (int i = 0; i < rel_count(); i++) { /* the catalogs themselves */
		const pgc_rel *c = rel_at(i);
		pgc_spec spec;
		spec_parse(c->spec, &spec);
		class_row(r, pgc_rel_oid(c), c->name, pgc_namespace_oid(NULL, c->schema),
			  c->zero_defaults ? "r" : "v", spec.n, 0, PGC_OID_AM_HEAP);
	}
	EACH_TABLE(f, t)
	{
		uint32_t oid = pgc_table_oid(t);
		int virt = t->kind == CAT_TABLE_VIRTUAL;
		int haspk = pgc_pkey_columns(t, cols, sizeof cols) > 0;
		class_row_full(f, r, oid, t->name, pgc_namespace_oid(f->cat, pgc_schema_of(t)),
			       virt ? "v" : "r", visible_columns(t),
			       (haspk || has_index(f->cat, t)) |
				       (has_fkeys(f->cat, t->id) ? CLASS_HAS_TRIGGERS : 0),
			       virt ? 0 : PGC_OID_AM_HEAP, t->id, t->nchecks);
		if (!haspk)
			continue;
		pgc_pkey_name(t, pk, sizeof pk);
		class_row(r, oid + 1, pk, pgc_namespace_oid(f->cat, pgc_schema_of(t)), "i", 0, 0,
			  PGC_OID_AM_BTREE);
	}
	for (int i = 0; i < cat_seq_count(f->cat); i++) {
		const cat_sequence *sq = cat_seq_at(f->cat, i);
		if (pgc_seq_oid(sq))
			class_row(r, pgc_seq_oid(sq), sq->name,
				  pgc_namespace_oid(f->cat, sq->schema[0] ? sq->schema : "public"),
				  "S", 3, 0, 0);
	}
	for (int i = 0; i < cat_view_count(f->cat); i++) {
		const cat_view *v = cat_view_at(f->cat, i);
		class_row_full(f, r, pgc_view_oid(v), v->name, pgc_namespace_oid(f->cat, v->schema),
			       "v", v->ncols, 0, 0, v->id, 0);
	}
	for (int i = 0; i < cat_index_count(f->cat); i++) {
		const cat_index *x = cat_index_at(f->cat, i);
		if ((t = pgc_index_table(f->cat, x)))
			class_row(r, pgc_index_oid(x), x->name,
				  pgc_namespace_oid(f->cat, pgc_schema_of(t)), "i", x->ncols, 0,
				  PGC_OID_AM_BTREE);
	}
}

/* A view's column as a table's (nullable, no default) for the rows
 * both have; the result is static (one at a time). */
static const cat_column *view_column(const cat_view_column *vc)
{
	static cat_column col;
	memset(&col, 0, sizeof col);
	snprintf(col.name, sizeof col.name, "%s", vc->name);
	col.type = vc->type;
	col.typmod = vc->typmod;
	return &col;
}

/* One pg_attribute row: column col of relation rel (a table, or its
 * primary key index) as attribute num. */
static void attribute_row(pgc_row *r, uint32_t rel, const cat_column *col, int num)
{
	row_begin(r);
	put_int(r, "attrelid", rel);
	put_text(r, "attname", col->name);
	put_int(r, "atttypid", mur_type_oid(col->type));
	put_int(r, "attlen", mur_type_len(col->type));
	put_int(r, "attnum", num);
	put_int(r, "atttypmod", pgc_typmod(col));
	put_int(r, "attstattarget", -1);
	put_int(r, "attnotnull", col->not_null || col->primary_key);
	put_int(r, "atthasdef", pgc_column_has_default(col) && rel % PGC_OIDS_PER_TABLE == 0);
	put_text(r, "attidentity", (char[]){col->identity, 0});
	put_text(r, "attgenerated", "");
	put_text(r, "attstorage", (char[]){pgc_type_storage(mur_type_oid(col->type)), 0});
	put_text(r, "attcompression", "");
	put_int(r, "attislocal", 1);
	row_end(r);
}

/* The catalogs' own columns, from their specs (\d pg_class). */
static void catalog_attributes(pgc_row *r)
{
	static const struct {
		char letter;
		uint32_t type_oid;
	} types[] = {{'o', 26}, {'i', 23},   {'s', 21}, {'f', 701}, {'b', 16},
		     {'t', 25}, {'a', 1009}, {'l', 20}, {'z', 1184}};
	for (int i = 0; i < rel_count(); i++) {
		const pgc_rel *c = rel_at(i);
		pgc_spec spec;
		spec_parse(c->spec, &spec);
		for (int k = 0; k < spec.n; k++) {
			char name[PGC_NAME_MAX];
			snprintf(name, sizeof name, "%.*s", (int)spec.len[k], spec.name[k]);
			row_begin(r);
			put_int(r, "attrelid", pgc_rel_oid(c));
			put_text(r, "attname", name);
			for (size_t j = 0; j < sizeof types / sizeof types[0]; j++)
				if (types[j].letter == spec.letter[k])
					put_int(r, "atttypid", types[j].type_oid);
			put_int(r, "attnum", k + 1);
			put_int(r, "atttypmod", -1);
			put_int(r, "attstattarget", -1);
			put_text(r, "attidentity", "");
			put_text(r, "attgenerated", "");
			put_int(r, "attislocal", 1);
			row_end(r);
		}
	}
}

static void fill_attribute(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	catalog_attributes(r);
	EACH_TABLE(f, t)
	{
		int num = 0, keynum = 0;
		for (int c = 0; c < t->ncols; c++) {
			if (t->cols[c].hidden)
				continue;
			attribute_row(r, pgc_table_oid(t), &t->cols[c], ++num);
			if (t->cols[c].primary_key)
				attribute_row(r, pgc_table_oid(t) + 1, &t->cols[c], ++keynum);
		}
	}
	for (int i = 0; i < cat_view_count(f->cat); i++) {
		const cat_view *v = cat_view_at(f->cat, i);
		for (int c = 0; c < v->ncols; c++)
			attribute_row(r, pgc_view_oid(v), view_column(&v->cols[c]), c + 1);
	}
	for (int i = 0; i < cat_index_count(f->cat); i++) { /* an index's key columns */
		const cat_index *x = cat_index_at(f->cat, i);
		if (!(t = pgc_index_table(f->cat, x)))
			continue;
		for (int k = 0; k < x->ncols; k++) {
			int c = cat_column_index(t, x->cols[k]);
			if (c >= 0)
				attribute_row(r, pgc_index_oid(x), &t->cols[c], k + 1);
		}
	}
}

/* The nextval default of a SERIAL column, as PostgreSQL shows it:
 * murphy_nextval('"s"') or murphy_nextval('"sch"."s"') → nextval('s'::
 * regclass), the sequence's name qualified with its schema when the
 * search path does not find it there by its bare name (pg_dump empties
 * the path, and its dump must restore whatever the path).  0 when sql is
 * no such call. */
static int put_nextval(const pgc_fill_ctx *f, pgc_row *r, const char *col, const char *sql)
{
	static const char call[] = "murphy_nextval('\"";
	const char *path = f->hooks && f->hooks->get ? f->hooks->get(f->hooks->ctx, "search_path")
						     : NULL;
	const char *user = f->hooks && f->hooks->user ? f->hooks->user(f->hooks->ctx) : NULL;
	char schema[CAT_NAME_MAX], name[CAT_NAME_MAX], found[CAT_NAME_MAX];
	char out[CAT_NAME_MAX * 2 + 48];
	const char *p = sql + sizeof call - 1;
	size_t n;
	int bare;
	if (strncmp(sql, call, sizeof call - 1) != 0)
		return 0;
	n = strcspn(p, "\"");
	if (n >= sizeof name)
		return 0;
	snprintf(schema, sizeof schema, "public");
	if (!strncmp(p + n, "\".\"", 3)) { /* '"sch"."s"' */
		snprintf(schema, sizeof schema, "%.*s", (int)n, p);
		p += n + 3;
		n = strcspn(p, "\"");
		if (n >= sizeof name)
			return 0;
	}
	if (strcmp(p + n, "\"')") != 0)
		return 0;
	snprintf(name, sizeof name, "%.*s", (int)n, p);
	bare = path ? cat_relation_schema(f->cat, path, user, name, found, sizeof found) &&
			       !strcmp(found, schema)
		    : 0;
	snprintf(out, sizeof out, "nextval('%s%s%s'::regclass)", bare ? "" : schema,
		 bare ? "" : ".", name);
	put_text(r, col, out);
	return 1;
}

/* A default as psql shows it: murphy keeps the SQLite expression its
 * emitter wrote, whose functions carry a mur_ prefix (mur_now() → now()). */
static void put_default(const pgc_fill_ctx *f, pgc_row *r, const char *col, const char *sql)
{
	mur_buf b;
	int quoted = 0;
	if (!sql) {
		put_text(r, col, NULL);
		return;
	}
	if (put_nextval(f, r, col, sql))
		return;
	mur_buf_init(&b);
	for (const char *p = sql; *p; p++) {
		quoted ^= *p == '\'';
		if (!quoted && strncmp(p, "mur_", 4) == 0 &&
		    (p == sql || !isalnum((unsigned char)p[-1])))
			p += strncmp(p, "mur_xact_now(", 13) ? 4 : 9; /* now() */
		mur_buf_put(&b, p, 1);
	}
	put_text(r, col, mur_buf_cstr(&b));
	mur_buf_free(&b);
}

static uint32_t attrdef_oid(const cat_table *t, int attnum)
{
	return PGC_OID_ATTRDEF_BASE + (t->id * CAT_COLUMNS_MAX + (uint32_t)attnum) % 0x40000000u;
}

static void fill_attrdef(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	EACH_TABLE(f, t)
	{
		int num = 0;
		for (int c = 0; c < t->ncols; c++) {
			if (t->cols[c].hidden)
				continue;
			num++;
			if (!pgc_column_has_default(&t->cols[c]))
				continue;
			row_begin(r);
			put_int(r, "oid", attrdef_oid(t, num));
			put_int(r, "adrelid", pgc_table_oid(t));
			put_int(r, "adnum", num);
			put_default(f, r, "adbin", t->cols[c].default_sql);
			row_end(r);
		}
	}
}

/* int2vector text of the primary key's attnums: "1 2". */
static void pkey_attnums(const cat_table *t, char *out, size_t n)
{
	size_t len = 0;
	int num = 0;
	out[0] = '\0';
	for (int c = 0; c < t->ncols; c++) {
		if (t->cols[c].hidden)
			continue;
		num++;
		if (t->cols[c].primary_key && len < n)
			len += (size_t)snprintf(out + len, n - len, "%s%d", len ? " " : "", num);
	}
}

static void fill_index(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char cols[16], keys[1024];
	EACH_TABLE(f, t)
	{
		int n = pgc_pkey_columns(t, cols, sizeof cols);
		if (!n || t->kind == CAT_TABLE_VIRTUAL)
			continue;
		pkey_attnums(t, keys, sizeof keys);
		row_begin(r);
		put_int(r, "indexrelid", pgc_table_oid(t) + 1);
		put_int(r, "indrelid", pgc_table_oid(t));
		put_int(r, "indnatts", n);
		put_int(r, "indnkeyatts", n);
		put_int(r, "indisunique", 1);
		put_int(r, "indisprimary", 1);
		put_int(r, "indimmediate", 1);
		put_int(r, "indisvalid", 1);
		put_int(r, "indisready", 1);
		put_int(r, "indislive", 1);
		put_text(r, "indkey", keys);
		row_end(r);
	}
	for (int i = 0; i < cat_index_count(f->cat); i++) {
		const cat_index *x = cat_index_at(f->cat, i);
		char opts[CAT_INDEX_COLS_MAX * 3];
		if (!(t = pgc_index_table(f->cat, x)))
			continue;
		pgc_index_keys(t, x, keys, sizeof keys, opts, sizeof opts);
		row_begin(r);
		put_int(r, "indexrelid", pgc_index_oid(x));
		put_int(r, "indrelid", pgc_table_oid(t));
		put_int(r, "indnatts", x->ncols);
		put_int(r, "indnkeyatts", x->ncols);
		put_int(r, "indisunique", x->unique != 0);
		put_int(r, "indimmediate", 1);
		put_int(r, "indisvalid", 1);
		put_int(r, "indisready", 1);
		put_int(r, "indislive", 1);
		put_text(r, "indkey", keys);
		put_text(r, "indoption", opts);
		row_end(r);
	}
}

static int attnum_of(const cat_table *t, int col);

/* The foreign keys (catalog/catalog_fkey.h) whose two tables are shown:
 * k, its table t and the table p it references. */
#define EACH_FKEY(f, k, t, p)                                                                      \
	for (int i_ = 0; i_ < cat_fkey_count((f)->cat); i_++)                                      \
		for (const cat_fkey *k = cat_fkey_at((f)->cat, i_); k; k = NULL)                   \
			for (const cat_table *                                                     \
				     t = cat_table_by_id((catalog *)(f)->cat, k->table_id),        \
				    *p = cat_table_by_id((catalog *)(f)->cat, k->ref_table_id);    \
			     t && pgc_table_shown((f)->cat, t) && pgc_table_shown((f)->cat, p);    \
			     t = NULL)

/* Foreign keys: contype 'f'. */
static void fill_fkeys(pgc_fill_ctx *f, pgc_row *r)
{
	EACH_FKEY(f, k, t, p)
	{
		char key[32], fkey[32], act[2] = {0, 0};
		snprintf(key, sizeof key, "{%d}", attnum_of(t, k->col));
		snprintf(fkey, sizeof fkey, "{%d}", attnum_of(p, k->ref_col));
		row_begin(r);
		put_int(r, "oid", k->id);
		put_text(r, "conname", k->name);
		put_int(r, "connamespace", PGC_OID_NS_PUBLIC);
		put_text(r, "contype", "f");
		put_int(r, "convalidated", 1);
		put_int(r, "conrelid", pgc_table_oid(t));
		put_int(r, "conindid", pgc_table_oid(p) + 1);
		put_int(r, "confrelid", pgc_table_oid(p));
		act[0] = k->on_update;
		put_text(r, "confupdtype", act);
		act[0] = k->on_delete;
		put_text(r, "confdeltype", act);
		put_text(r, "confmatchtype", "s");
		put_int(r, "conislocal", 1);
		put_int(r, "connoinherit", 1);
		put_text(r, "conkey", key);
		put_text(r, "confkey", fkey);
		row_end(r);
	}
}

/* "{1,3}": the attnums of the columns a CHECK's text names. */
static void check_conkey(const cat_table *t, const cat_check *k, char *out, size_t n)
{
	uint8_t used[CAT_COLUMNS_MAX];
	size_t len = (size_t)snprintf(out, n, "{");
	if (pgc_check_columns(t, k->expr, used) != MUR_OK)
		memset(used, 0, sizeof used);
	for (int rank = 1; rank <= t->ncols && len < n; rank++) /* in order of appearance */
		for (int c = 0; c < t->ncols && len < n; c++)
			if (used[c] == rank)
				len += (size_t)snprintf(out + len, n - len, "%s%d",
							len > 1 ? "," : "", attnum_of(t, c));
	if (len < n)
		snprintf(out + len, n - len, "}");
}

/* pg_constraint: a table's CHECK constraints (contype 'c'). */
static void fill_checks(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char key[CAT_COLUMNS_MAX * 4 + 4];
	EACH_TABLE(f, t)
	{
		for (int i = 0; i < t->nchecks; i++) {
			check_conkey(t, &t->checks[i], key, sizeof key);
			row_begin(r);
			put_int(r, "oid", pgc_check_oid(t, &t->checks[i]));
			put_text(r, "conname", t->checks[i].name);
			put_int(r, "connamespace", pgc_namespace_oid(f->cat, pgc_schema_of(t)));
			put_text(r, "contype", "c");
			put_int(r, "convalidated", 1);
			put_int(r, "conrelid", pgc_table_oid(t));
			put_int(r, "conislocal", 1);
			put_text(r, "conkey", key);
			put_text(r, "conbin", t->checks[i].expr);
			row_end(r);
		}
	}
}

/* pg_constraint: the UNIQUE constraints ADD UNIQUE made (contype 'u'). */
static void fill_uniques(pgc_fill_ctx *f, pgc_row *r)
{
	char keys[CAT_INDEX_COLS_MAX * 4 + 4], opts[CAT_INDEX_COLS_MAX * 3],
		arr[CAT_INDEX_COLS_MAX * 4 + 8];
	for (int i = 0; i < cat_index_count(f->cat); i++) {
		const cat_index *x = cat_index_at(f->cat, i);
		const cat_table *t = pgc_index_table(f->cat, x);
		if (!t || x->unique != CAT_INDEX_UNIQUE_CONSTRAINT)
			continue;
		pgc_index_keys(t, x, keys, sizeof keys, opts, sizeof opts);
		snprintf(arr, sizeof arr, "{%s}", keys);
		for (char *p = arr; *p; p++)
			*p = *p == ' ' ? ',' : *p;
		row_begin(r);
		put_int(r, "oid", PGC_OID_UNIQUE_BASE + x->id);
		put_text(r, "conname", x->name);
		put_int(r, "connamespace", pgc_namespace_oid(f->cat, pgc_schema_of(t)));
		put_text(r, "contype", "u");
		put_int(r, "convalidated", 1);
		put_int(r, "conrelid", pgc_table_oid(t));
		put_int(r, "conindid", pgc_index_oid(x));
		put_int(r, "conislocal", 1);
		put_int(r, "connoinherit", 1);
		put_text(r, "conkey", arr);
		row_end(r);
	}
}

static void fill_constraint(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char cols[16], keys[1024], arr[1040], pk[CAT_NAME_MAX + 8];
	EACH_TABLE(f, t)
	{
		if (!pgc_pkey_columns(t, cols, sizeof cols) || t->kind == CAT_TABLE_VIRTUAL)
			continue;
		pkey_attnums(t, keys, sizeof keys);
		snprintf(arr, sizeof arr, "{%s}", keys);
		for (char *p = arr; *p; p++)
			*p = *p == ' ' ? ',' : *p;
		pgc_pkey_name(t, pk, sizeof pk);
		row_begin(r);
		put_int(r, "oid", pgc_table_oid(t) + 2);
		put_text(r, "conname", pk);
		put_int(r, "connamespace", PGC_OID_NS_PUBLIC);
		put_text(r, "contype", "p");
		put_int(r, "convalidated", 1);
		put_int(r, "conrelid", pgc_table_oid(t));
		put_int(r, "conindid", pgc_table_oid(t) + 1);
		put_int(r, "conislocal", 1);
		put_int(r, "connoinherit", 1);
		put_text(r, "conkey", arr);
		row_end(r);
	}
	fill_fkeys(f, r);
	fill_checks(f, r);
	fill_uniques(f, r);
}

static void fill_type(pgc_fill_ctx *f, pgc_row *r)
{
	(void)f;
	for (int i = 0; i < pgc_type_count(); i++) {
		const pgc_type *ty = pgc_type_at(i);
		row_begin(r);
		put_int(r, "oid", ty->oid);
		put_text(r, "typname", ty->typname);
		put_int(r, "typnamespace", PGC_OID_NS_PG_CATALOG);
		put_int(r, "typowner", PGC_OID_ROLE);
		put_int(r, "typlen", ty->typlen);
		put_int(r, "typbyval", ty->typlen > 0 && ty->typlen <= 8);
		put_text(r, "typtype", "b");
		put_text(r, "typcategory", (char[]){ty->category, 0});
		put_int(r, "typisdefined", 1);
		put_text(r, "typdelim", ",");
		put_int(r, "typelem", pgc_type_elem(ty));
		put_int(r, "typarray", ty->array_oid);
		put_int(r, "typtypmod", -1);
		put_int(r, "typcollation", ty->category == 'S' ? 100 : 0);
		put_text(r, "typstorage", (char[]){pgc_type_storage(ty->oid), 0});
		row_end(r);
	}
}

static const char *user_of(const pgc_fill_ctx *f)
{
	const char *u = f->hooks && f->hooks->user ? f->hooks->user(f->hooks->ctx) : NULL;
	return u ? u : "murphy";
}

/* Who owns every object: murphy keeps no owners, its objects are made by
 * superusers, all shown as owned by OID 10 (PGC_OID_ROLE), whose name
 * pg_roles shows (the bootstrap superuser, else the trust session's user). */
static const char *owner_of(const pgc_fill_ctx *f)
{
	const char *n = pgc_role_name(f->cat, PGC_OID_ROLE, user_of(f));
	return n ? n : user_of(f);
}

static const char *database_of(const pgc_fill_ctx *f)
{
	const char *d = f->hooks && f->hooks->database ? f->hooks->database(f->hooks->ctx) : NULL;
	return d ? d : "murphy";
}

static void fill_database(pgc_fill_ctx *f, pgc_row *r)
{
	row_begin(r);
	put_int(r, "oid", PGC_OID_DATABASE);
	put_text(r, "datname", database_of(f));
	put_int(r, "datdba", PGC_OID_ROLE);
	put_int(r, "encoding", 6); /* UTF8 */
	put_text(r, "datlocprovider", "c");
	put_int(r, "datallowconn", 1);
	put_int(r, "datconnlimit", -1);
	put_text(r, "datcollate", "C");
	put_text(r, "datctype", "C");
	put_int(r, "dattablespace", 1663); /* pg_default */
	row_end(r);
}

/* A pg_roles row (pgc_role.c says which roles and attributes). */
static void role_row(void *arg, const pgc_role_row *role)
{
	pgc_row *r = arg;
	row_begin(r);
	put_int(r, "oid", role->oid);
	put_text(r, "rolname", role->name);
	put_int(r, "rolsuper", role->superuser);
	put_int(r, "rolinherit", 1);
	put_int(r, "rolcreaterole", role->bootstrap);
	put_int(r, "rolcreatedb", role->bootstrap);
	put_int(r, "rolcanlogin", role->login);
	put_int(r, "rolreplication", role->bootstrap);
	put_int(r, "rolbypassrls", role->bootstrap);
	put_int(r, "rolconnlimit", -1);
	put_text(r, "rolpassword", "********"); /* whether or not it has one, as PostgreSQL */
	row_end(r);
}

static void fill_roles(pgc_fill_ctx *f, pgc_row *r)
{
	pgc_roles_each(f->cat, user_of(f), role_row, r);
	row_begin(r); /* owns public, as in PostgreSQL 15: psql's \du hides pg_ roles */
	put_int(r, "oid", PGC_OID_ROLE_DB_OWNER);
	put_text(r, "rolname", "pg_database_owner");
	put_int(r, "rolinherit", 1);
	put_int(r, "rolconnlimit", -1);
	put_text(r, "rolpassword", "********");
	row_end(r);
}

/* The one comment murphy has: public's, PostgreSQL's (pg_dump compares). */
static void description_row(void *arg, uint32_t objoid, uint32_t classoid, int subid,
			    const char *text)
{
	pgc_row *r = arg;
	row_begin(r);
	put_int(r, "objoid", objoid);
	put_int(r, "classoid", classoid);
	put_int(r, "objsubid", subid);
	put_text(r, "description", text);
	row_end(r);
}

static void fill_description(pgc_fill_ctx *f, pgc_row *r)
{
	pgc_description_each(f->cat, description_row, r); /* pgc_comment.c */
}

/* A pg_user row: the roles that may log in. */
static void user_row(void *arg, const pgc_role_row *role)
{
	pgc_row *r = arg;
	if (!role->login)
		return;
	row_begin(r);
	put_text(r, "usename", role->name);
	put_int(r, "usesysid", role->oid);
	put_int(r, "usecreatedb", role->bootstrap);
	put_int(r, "usesuper", role->superuser);
	put_int(r, "userepl", role->bootstrap);
	put_int(r, "usebypassrls", role->bootstrap);
	put_text(r, "passwd", "********");
	row_end(r);
}

static void fill_user(pgc_fill_ctx *f, pgc_row *r)
{
	pgc_roles_each(f->cat, user_of(f), user_row, r);
}

static void fill_am(pgc_fill_ctx *f, pgc_row *r)
{
	(void)f;
	row_begin(r);
	put_int(r, "oid", PGC_OID_AM_HEAP);
	put_text(r, "amname", "heap");
	put_text(r, "amtype", "t");
	row_end(r);
	row_begin(r);
	put_int(r, "oid", PGC_OID_AM_BTREE);
	put_text(r, "amname", "btree");
	put_text(r, "amtype", "i");
	row_end(r);
}

static void fill_tablespace(pgc_fill_ctx *f, pgc_row *r)
{
	(void)f;
	row_begin(r);
	put_int(r, "oid", 1663);
	put_text(r, "spcname", "pg_default");
	put_int(r, "spcowner", PGC_OID_ROLE);
	row_end(r);
}

/* A setting's name as PostgreSQL's pg_settings spells it (murphy's are
 * lower case: WHERE name = 'TimeZone' must find it). */
static const char *setting_display(const char *name)
{
	return !strcmp(name, "timezone")        ? "TimeZone"
	       : !strcmp(name, "datestyle")     ? "DateStyle"
	       : !strcmp(name, "intervalstyle") ? "IntervalStyle"
						: name;
}

static void fill_settings(pgc_fill_ctx *f, pgc_row *r)
{
	const pgc_session_hooks *h = f->hooks;
	if (!h || !h->setting_at || !h->get)
		return;
	for (int i = 0; h->setting_at(i); i++) {
		const char *name = h->setting_at(i);
		const char *v = h->get(h->ctx, name);
		int internal = h->setting_internal && h->setting_internal(name);
		pgc_guc_info g;
		pgc_guc_describe(name, v, &g); /* pgc_guc.c */
		row_begin(r);
		put_text(r, "name", setting_display(name));
		put_text(r, "setting", g.setting);
		put_text(r, "unit", g.unit);
		put_text(r, "short_desc", g.short_desc);
		put_text(r, "extra_desc", g.extra_desc);
		put_text(r, "category",
			 g.category                         ? g.category
			 : strncmp(name, "murphy.", 7) == 0 ? "murphy"
							    : "Client");
		put_text(r, "context", g.context ? g.context : internal ? "internal" : "user");
		put_text(r, "vartype", g.vartype);
		put_text(r, "source", internal ? "default" : "session");
		put_text(r, "boot_val", g.setting);
		put_text(r, "reset_val", g.setting);
		row_end(r);
	}
}

static void fill_activity(pgc_fill_ctx *f, pgc_row *r)
{
	for (int i = 0; i < f->nacts; i++) {
		const pgc_activity *a = &f->acts[i];
		row_begin(r);
		put_int(r, "datid", PGC_OID_DATABASE);
		put_text(r, "datname", a->database);
		put_int(r, "pid", a->pid);
		put_int(r, "usesysid", pgc_role_oid(f->cat, a->user));
		put_text(r, "usename", a->user);
		put_text(r, "application_name", a->application_name);
		put_text(r, "state", a->state);
		put_ts(r, "backend_start", a->backend_start_us);
		put_ts(r, "xact_start", a->xact_start_us);
		put_ts(r, "query_start", a->query_start_us);
		put_ts(r, "state_change", a->state_change_us);
		put_text(r, "wait_event_type", a->wait_event_type);
		put_text(r, "wait_event", a->wait_event);
		put_text(r, "query", a->query);
		put_text(r, "backend_type", "client backend");
		row_end(r);
	}
}

static void fill_stat_ssl(pgc_fill_ctx *f, pgc_row *r)
{
	for (int i = 0; i < f->nacts; i++) {
		const pgc_activity *a = &f->acts[i];
		row_begin(r);
		put_int(r, "pid", a->pid);
		put_int(r, "ssl", a->ssl);
		if (a->ssl) {
			put_text(r, "version", a->ssl_version);
			put_text(r, "cipher", a->ssl_cipher);
			put_int(r, "bits", a->ssl_bits);
		} else {
			put_text(r, "bits", NULL); /* NULL without TLS, as PostgreSQL's (not 0) */
		}
		row_end(r);
	}
}

/* murphy has no GSSAPI: every session unauthenticated by it, unencrypted
 * by it, as PostgreSQL shows a session without GSSAPI. */
static void fill_stat_gssapi(pgc_fill_ctx *f, pgc_row *r)
{
	for (int i = 0; i < f->nacts; i++) {
		row_begin(r);
		put_int(r, "pid", f->acts[i].pid);
		put_int(r, "gss_authenticated", 0);
		put_int(r, "encrypted", 0);
		row_end(r);
	}
}

static void fill_pg_tables(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char cols[16];
	EACH_TABLE(f, t)
	{
		if (t->kind == CAT_TABLE_VIRTUAL)
			continue;
		row_begin(r);
		put_text(r, "schemaname", pgc_schema_of(t));
		put_text(r, "tablename", t->name);
		put_text(r, "tableowner", owner_of(f));
		put_int(r, "hasindexes", pgc_pkey_columns(t, cols, sizeof cols) > 0);
		row_end(r);
	}
}

static void fill_views(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	EACH_TABLE(f, t)
	{
		if (t->kind != CAT_TABLE_VIRTUAL)
			continue;
		row_begin(r);
		put_text(r, "schemaname", pgc_schema_of(t));
		put_text(r, "viewname", t->name);
		put_text(r, "viewowner", owner_of(f));
		row_end(r);
	}
	for (int i = 0; i < cat_view_count(f->cat); i++) {
		const cat_view *v = cat_view_at(f->cat, i);
		row_begin(r);
		put_text(r, "schemaname", v->schema);
		put_text(r, "viewname", v->name);
		put_text(r, "viewowner", owner_of(f));
		put_text(r, "definition", v->sql);
		row_end(r);
	}
}

static void pkey_indexdef(const cat_table *t, char *out, size_t n)
{
	char cols[1024], pk[CAT_NAME_MAX + 8];
	pgc_pkey_columns(t, cols, sizeof cols);
	pgc_pkey_name(t, pk, sizeof pk);
	snprintf(out, n, "CREATE UNIQUE INDEX %s ON %s.%s USING btree %s", pk, pgc_schema_of(t),
		 t->name, cols);
}

static void fill_indexes(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char cols[16], def[1200], pk[CAT_NAME_MAX + 8];
	EACH_TABLE(f, t)
	{
		if (t->kind == CAT_TABLE_VIRTUAL || !pgc_pkey_columns(t, cols, sizeof cols))
			continue;
		pkey_indexdef(t, def, sizeof def);
		pgc_pkey_name(t, pk, sizeof pk);
		row_begin(r);
		put_text(r, "schemaname", pgc_schema_of(t));
		put_text(r, "tablename", t->name);
		put_text(r, "indexname", pk);
		put_text(r, "indexdef", def);
		row_end(r);
	}
	for (int i = 0; i < cat_index_count(f->cat); i++) {
		const cat_index *x = cat_index_at(f->cat, i);
		if (!(t = pgc_index_table(f->cat, x)))
			continue;
		pgc_index_def(t, x, 0, def, sizeof def);
		row_begin(r);
		put_text(r, "schemaname", pgc_schema_of(t));
		put_text(r, "tablename", t->name);
		put_text(r, "indexname", x->name);
		put_text(r, "indexdef", def);
		row_end(r);
	}
}

/* ---- sequences and what pg_dump reads ---- */

static void fill_sequence(pgc_fill_ctx *f, pgc_row *r)
{
	for (int i = 0; i < cat_seq_count(f->cat); i++) {
		const cat_sequence *sq = cat_seq_at(f->cat, i);
		if (!pgc_seq_oid(sq))
			continue;
		row_begin(r);
		put_int(r, "seqrelid", pgc_seq_oid(sq));
		put_int(r, "seqtypid", mur_type_oid(sq->type));
		put_int(r, "seqstart", sq->start);
		put_int(r, "seqincrement", sq->increment);
		put_int(r, "seqmax", sq->max_value);
		put_int(r, "seqmin", sq->min_value);
		put_int(r, "seqcache", sq->cache);
		put_int(r, "seqcycle", sq->cycle);
		row_end(r);
	}
}

/* attnum of the column at index col of t (hidden columns have none). */
static int attnum_of(const cat_table *t, int col)
{
	int num = 0;
	for (int c = 0; c <= col && c < t->ncols; c++)
		num += !t->cols[c].hidden;
	return num;
}

/* The shown table with catalog id id, or NULL. */
static const cat_table *shown_table(const pgc_fill_ctx *f, uint32_t id)
{
	const cat_table *t;
	EACH_TABLE(f, t)
	if (id && t->id == id)
		return t;
	return NULL;
}

static void depend_row(pgc_row *r, uint32_t classid, uint32_t objid, uint32_t refclassid,
		       uint32_t refobjid, int refobjsubid, const char *deptype)
{
	row_begin(r);
	put_int(r, "classid", classid);
	put_int(r, "objid", objid);
	put_int(r, "refclassid", refclassid);
	put_int(r, "refobjid", refobjid);
	put_int(r, "refobjsubid", refobjsubid);
	put_text(r, "deptype", deptype);
	row_end(r);
}

/* pg_depend: a SERIAL sequence belongs to its column ('a'), an IDENTITY
 * one is part of it ('i'); murphy's schema and views are members ('e') of
 * the built-in extension murphy. */
static void fill_depend(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	for (int i = 0; i < cat_seq_count(f->cat); i++) {
		const cat_sequence *sq = cat_seq_at(f->cat, i);
		const cat_table *owner = shown_table(f, sq->owner_table);
		if (!owner || !pgc_seq_oid(sq) || sq->owner_col < 0 ||
		    sq->owner_col >= owner->ncols)
			continue;
		depend_row(r, 1259, pgc_seq_oid(sq), 1259, pgc_table_oid(owner),
			   attnum_of(owner, sq->owner_col),
			   owner->cols[sq->owner_col].identity ? "i" : "a");
		if (pgc_column_has_default(&owner->cols[sq->owner_col])) /* its nextval */
			depend_row(r, 2604, attrdef_oid(owner, attnum_of(owner, sq->owner_col)),
				   1259, pgc_seq_oid(sq), 0, "n");
	}
	depend_row(r, 2615, PGC_OID_NS_MURPHY, 3079, PGC_OID_EXT_MURPHY, 0, "e");
	EACH_TABLE(f, t)
	if (t->kind == CAT_TABLE_VIRTUAL)
		depend_row(r, 1259, pgc_table_oid(t), 3079, PGC_OID_EXT_MURPHY, 0, "e");
}

static void fill_extension(pgc_fill_ctx *f, pgc_row *r)
{
	(void)f;
	row_begin(r);
	put_int(r, "oid", PGC_OID_EXT_MURPHY);
	put_text(r, "extname", "murphy");
	put_int(r, "extowner", PGC_OID_ROLE);
	put_int(r, "extnamespace", PGC_OID_NS_MURPHY);
	put_text(r, "extversion", "1.0");
	row_end(r);
}

/* ---- information_schema ---- */

static void fill_is_schemata(pgc_fill_ctx *f, pgc_row *r)
{
	static const char *const names[] = {"pg_catalog", "public", "information_schema", "murphy"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		row_begin(r);
		put_text(r, "catalog_name", database_of(f));
		put_text(r, "schema_name", names[i]);
		put_text(r, "schema_owner", owner_of(f));
		row_end(r);
	}
	for (int i = 0; i < cat_schema_count(f->cat); i++) {
		row_begin(r);
		put_text(r, "catalog_name", database_of(f));
		put_text(r, "schema_name", cat_schema_at(f->cat, i)->name);
		put_text(r, "schema_owner", owner_of(f));
		row_end(r);
	}
}

static void fill_is_tables(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	EACH_TABLE(f, t)
	{
		int virt = t->kind == CAT_TABLE_VIRTUAL;
		row_begin(r);
		put_text(r, "table_catalog", database_of(f));
		put_text(r, "table_schema", pgc_schema_of(t));
		put_text(r, "table_name", t->name);
		put_text(r, "table_type", virt ? "VIEW" : "BASE TABLE");
		put_text(r, "is_insertable_into", virt ? "NO" : "YES");
		put_text(r, "is_typed", "NO");
		row_end(r);
	}
	for (int i = 0; i < cat_view_count(f->cat); i++) {
		const cat_view *v = cat_view_at(f->cat, i);
		row_begin(r);
		put_text(r, "table_catalog", database_of(f));
		put_text(r, "table_schema", v->schema);
		put_text(r, "table_name", v->name);
		put_text(r, "table_type", "VIEW");
		put_text(r, "is_insertable_into", "NO");
		put_text(r, "is_typed", "NO");
		row_end(r);
	}
}

/* information_schema.views: murphy's views are read-only. */
static void fill_is_views(pgc_fill_ctx *f, pgc_row *r)
{
	for (int i = 0; i < cat_view_count(f->cat); i++) {
		const cat_view *v = cat_view_at(f->cat, i);
		row_begin(r);
		put_text(r, "table_catalog", database_of(f));
		put_text(r, "table_schema", v->schema);
		put_text(r, "table_name", v->name);
		put_text(r, "view_definition", v->sql);
		put_text(r, "check_option", "NONE");
		put_text(r, "is_updatable", "NO");
		put_text(r, "is_insertable_into", "NO");
		put_text(r, "is_trigger_updatable", "NO");
		put_text(r, "is_trigger_deletable", "NO");
		put_text(r, "is_trigger_insertable_into", "NO");
		row_end(r);
	}
}

/* information_schema.columns.data_type and its numbers for one column. */
static void is_column_type(pgc_row *r, const cat_column *col)
{
	static const struct {
		mur_type t;
		int precision, radix, scale;
	} nums[] = {{MT_INT2, 16, 2, 0},
		    {MT_INT4, 32, 2, 0},
		    {MT_INT8, 64, 2, 0},
		    {MT_FLOAT4, 24, 2, -1},
		    {MT_FLOAT8, 53, 2, -1}};
	const pgc_type *ty = pgc_type_by_oid(mur_type_oid(col->type));
	put_text(r, "data_type", mur_type_is_array(col->type) ? "ARRAY" : mur_type_name(col->type));
	put_text(r, "udt_name", ty ? ty->typname : NULL);
	for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
		if (nums[i].t != col->type)
			continue;
		put_int(r, "numeric_precision", nums[i].precision);
		put_int(r, "numeric_precision_radix", nums[i].radix);
		if (nums[i].scale >= 0)
			put_int(r, "numeric_scale", nums[i].scale);
	}
	if ((col->type == MT_VARCHAR || col->type == MT_BPCHAR) && col->typmod >= 0)
		put_int(r, "character_maximum_length", col->typmod);
	if (mur_type_is_text(col->type)) /* n characters of up to 4 UTF-8 bytes, or 1 GB */
		put_int(r, "character_octet_length",
			(col->type != MT_TEXT && col->typmod > 0) ? col->typmod * 4 : 1073741824);
}

static void is_column_row(pgc_fill_ctx *f, pgc_row *r, const char *schema, const char *table,
			  const cat_column *col, int num, int updatable)
{
	row_begin(r);
	put_text(r, "table_catalog", database_of(f));
	put_text(r, "table_schema", schema);
	put_text(r, "table_name", table);
	put_text(r, "column_name", col->name);
	put_int(r, "ordinal_position", num);
	put_default(f, r, "column_default", pgc_column_has_default(col) ? col->default_sql : NULL);
	put_text(r, "is_nullable", col->not_null || col->primary_key ? "NO" : "YES");
	is_column_type(r, col);
	put_text(r, "udt_catalog", database_of(f));
	put_text(r, "udt_schema", "pg_catalog");
	put_text(r, "is_identity", col->identity ? "YES" : "NO");
	put_text(r, "is_generated", "NEVER");
	put_text(r, "is_updatable", updatable ? "YES" : "NO");
	row_end(r);
}

static void fill_is_columns(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	EACH_TABLE(f, t)
	{
		int num = 0;
		for (int c = 0; c < t->ncols; c++) {
			const cat_column *col = &t->cols[c];
			if (col->hidden)
				continue;
			is_column_row(f, r, pgc_schema_of(t), t->name, col, ++num,
				      t->kind != CAT_TABLE_VIRTUAL);
		}
	}
	for (int i = 0; i < cat_view_count(f->cat); i++) {
		const cat_view *v = cat_view_at(f->cat, i);
		for (int c = 0; c < v->ncols; c++)
			is_column_row(f, r, v->schema, v->name, view_column(&v->cols[c]), c + 1, 0);
	}
}

static void table_constraints_checks(pgc_fill_ctx *f, pgc_row *r);

/* One row of information_schema.table_constraints: constraint name of
 * table t, of type PRIMARY KEY, FOREIGN KEY, UNIQUE or CHECK. */
static void constraint_row(pgc_fill_ctx *f, pgc_row *r, const cat_table *t, const char *name,
			   const char *type)
{
	row_begin(r);
	put_text(r, "constraint_catalog", database_of(f));
	put_text(r, "constraint_schema", pgc_schema_of(t));
	put_text(r, "constraint_name", name);
	put_text(r, "table_catalog", database_of(f));
	put_text(r, "table_schema", pgc_schema_of(t));
	put_text(r, "table_name", t->name);
	put_text(r, "constraint_type", type);
	put_text(r, "is_deferrable", "NO");
	put_text(r, "initially_deferred", "NO");
	put_text(r, "enforced", "YES");
	row_end(r);
}

static void fill_is_table_constraints(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char cols[16], pk[CAT_NAME_MAX + 8];
	EACH_TABLE(f, t)
	{
		if (t->kind == CAT_TABLE_VIRTUAL || !pgc_pkey_columns(t, cols, sizeof cols))
			continue;
		pgc_pkey_name(t, pk, sizeof pk);
		constraint_row(f, r, t, pk, "PRIMARY KEY");
	}
	EACH_FKEY(f, k, t, p) { constraint_row(f, r, t, k->name, "FOREIGN KEY"); }
	table_constraints_checks(f, r);
}

/* information_schema.table_constraints' CHECK rows. */
static void table_constraints_checks(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	for (int i = 0; i < cat_index_count(f->cat); i++) {
		const cat_index *x = cat_index_at(f->cat, i);
		if (!(t = pgc_index_table(f->cat, x)) || x->unique != CAT_INDEX_UNIQUE_CONSTRAINT)
			continue;
		constraint_row(f, r, t, x->name, "UNIQUE");
	}
	EACH_TABLE(f, t)
	{
		for (int i = 0; i < t->nchecks; i++) {
			constraint_row(f, r, t, t->checks[i].name, "CHECK");
		}
	}
}

/* information_schema.check_constraints: check_clause is "(" expr ")". */
static void fill_is_check_constraints(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char clause[CAT_CHECK_EXPR_MAX + 2];
	EACH_TABLE(f, t)
	{
		for (int i = 0; i < t->nchecks; i++) {
			snprintf(clause, sizeof clause, "(%s)", t->checks[i].expr);
			row_begin(r);
			put_text(r, "constraint_catalog", database_of(f));
			put_text(r, "constraint_schema", pgc_schema_of(t));
			put_text(r, "constraint_name", t->checks[i].name);
			put_text(r, "check_clause", clause);
			row_end(r);
		}
	}
}

static const char *rule_name(char action)
{
	return action == CAT_FK_RESTRICT   ? "RESTRICT"
	       : action == CAT_FK_CASCADE  ? "CASCADE"
	       : action == CAT_FK_SET_NULL ? "SET NULL"
					   : "NO ACTION";
}

/* information_schema.referential_constraints: one row per foreign key. */
static void fill_is_referential_constraints(pgc_fill_ctx *f, pgc_row *r)
{
	char pk[CAT_NAME_MAX + 8];
	EACH_FKEY(f, k, t, p)
	{
		pgc_pkey_name(p, pk, sizeof pk);
		row_begin(r);
		put_text(r, "constraint_catalog", database_of(f));
		put_text(r, "constraint_schema", pgc_schema_of(t));
		put_text(r, "constraint_name", k->name);
		put_text(r, "unique_constraint_catalog", database_of(f));
		put_text(r, "unique_constraint_schema", pgc_schema_of(p));
		put_text(r, "unique_constraint_name", pk);
		put_text(r, "match_option", "NONE");
		put_text(r, "update_rule", rule_name(k->on_update));
		put_text(r, "delete_rule", rule_name(k->on_delete));
		row_end(r);
	}
}

static void fill_is_key_column_usage(pgc_fill_ctx *f, pgc_row *r)
{
	const cat_table *t;
	char pk[CAT_NAME_MAX + 8];
	EACH_TABLE(f, t)
	{
		int pos = 0;
		if (t->kind == CAT_TABLE_VIRTUAL)
			continue;
		pgc_pkey_name(t, pk, sizeof pk);
		for (int c = 0; c < t->ncols; c++) {
			if (!t->cols[c].primary_key || t->cols[c].hidden)
				continue;
			row_begin(r);
			put_text(r, "constraint_catalog", database_of(f));
			put_text(r, "constraint_schema", pgc_schema_of(t));
			put_text(r, "constraint_name", pk);
			put_text(r, "table_catalog", database_of(f));
			put_text(r, "table_schema", pgc_schema_of(t));
			put_text(r, "table_name", t->name);
			put_text(r, "column_name", t->cols[c].name);
			put_int(r, "ordinal_position", ++pos);
			row_end(r);
		}
	}
	for (int i = 0; i < cat_index_count(f->cat); i++) { /* UNIQUE constraints, key order */
		const cat_index *x = cat_index_at(f->cat, i);
		if (!(t = pgc_index_table(f->cat, x)) || x->unique != CAT_INDEX_UNIQUE_CONSTRAINT)
			continue;
		for (int j = 0; j < x->ncols; j++) {
			row_begin(r);
			put_text(r, "constraint_catalog", database_of(f));
			put_text(r, "constraint_schema", pgc_schema_of(t));
			put_text(r, "constraint_name", x->name);
			put_text(r, "table_catalog", database_of(f));
			put_text(r, "table_schema", pgc_schema_of(t));
			put_text(r, "table_name", t->name);
			put_text(r, "column_name", x->cols[j]);
			put_int(r, "ordinal_position", j + 1);
			row_end(r);
		}
	}
	EACH_FKEY(f, k, t, p)
	{
		row_begin(r);
		put_text(r, "constraint_catalog", database_of(f));
		put_text(r, "constraint_schema", pgc_schema_of(t));
		put_text(r, "constraint_name", k->name);
		put_text(r, "table_catalog", database_of(f));
		put_text(r, "table_schema", pgc_schema_of(t));
		put_text(r, "table_name", t->name);
		put_text(r, "column_name", t->cols[k->col].name);
		put_int(r, "ordinal_position", 1);
		put_int(r, "position_in_unique_constraint", 1);
		row_end(r);
	}
}

/* ---- the relations ---- */

#define PGC "pg_catalog"
#define ISC "information_schema"

static const pgc_rel rels[] = {
	{PGC, "pg_namespace", "oid o,nspname t,nspowner o,nspacl a", fill_namespace, 1},
	{PGC, "pg_class",
	 "oid o,relname t,relnamespace o,reltype o,reloftype o,relowner o,relam o,"
	 "relfilenode o,reltablespace o,relpages i,reltuples f,relallvisible i,"
	 "reltoastrelid o,relhasindex b,relisshared b,relpersistence t,relkind t,relnatts s,"
	 "relchecks s,relhasrules b,relhastriggers b,relhassubclass b,relrowsecurity b,"
	 "relforcerowsecurity b,relispopulated b,relreplident t,relispartition b,"
	 "relrewrite o,relfrozenxid o,relminmxid o,relacl a,reloptions a,relpartbound t",
	 fill_class, 1},
	{PGC, "pg_attribute",
	 "attrelid o,attname t,atttypid o,attstattarget i,attlen s,attnum s,attndims i,"
	 "attcacheoff i,atttypmod i,attbyval b,attalign t,attstorage t,attcompression t,"
	 "attnotnull b,atthasdef b,atthasmissing b,attidentity t,attgenerated t,"
	 "attisdropped b,attislocal b,attinhcount i,attcollation o,attacl a,attoptions a,"
	 "attfdwoptions a,attmissingval a",
	 fill_attribute, 1},
	{PGC, "pg_type",
	 "oid o,typname t,typnamespace o,typowner o,typlen s,typbyval b,typtype t,"
	 "typcategory t,typispreferred b,typisdefined b,typdelim t,typrelid o,typsubscript o,"
	 "typelem o,typarray o,typinput t,typoutput t,typreceive t,typsend t,typalign t,"
	 "typstorage t,typnotnull b,typbasetype o,typtypmod i,typndims i,typcollation o,"
	 "typdefault t,typacl a",
	 fill_type, 1},
	{PGC, "pg_index",
	 "indexrelid o,indrelid o,indnatts s,indnkeyatts s,indisunique b,"
	 "indnullsnotdistinct b,indisprimary b,indisexclusion b,indimmediate b,"
	 "indisclustered b,indisvalid b,indcheckxmin b,indisready b,indislive b,"
	 "indisreplident b,indkey t,indcollation t,indclass t,indoption t,indexprs t,indpred t",
	 fill_index, 1},
	{PGC, "pg_constraint",
	 "oid o,conname t,connamespace o,contype t,condeferrable b,condeferred b,"
	 "convalidated b,conrelid o,contypid o,conindid o,conparentid o,confrelid o,"
	 "confupdtype t,confdeltype t,confmatchtype t,conislocal b,coninhcount i,"
	 "connoinherit b,conkey a,confkey a,conbin t",
	 fill_constraint, 1},
	{PGC, "pg_proc",
	 "oid o,proname t,pronamespace o,proowner o,prolang o,prokind t,prorettype o,"
	 "pronargs s,proargtypes t,prosrc t,proacl a",
	 NULL, 1},
	{PGC, "pg_database",
	 "oid o,datname t,datdba o,encoding i,datlocprovider t,datistemplate b,"
	 "datallowconn b,datconnlimit i,datcollate t,datctype t,daticulocale t,"
	 "datcollversion t,datacl a,dattablespace o",
	 fill_database, 1},
	{PGC, "pg_roles",
	 "oid o,rolname t,rolsuper b,rolinherit b,rolcreaterole b,rolcreatedb b,"
	 "rolcanlogin b,rolreplication b,rolconnlimit i,rolpassword t,rolvaliduntil t,"
	 "rolbypassrls b,rolconfig a",
	 fill_roles, 1},
	{PGC, "pg_user",
	 "usename t,usesysid o,usecreatedb b,usesuper b,userepl b,usebypassrls b,passwd t,"
	 "valuntil t,useconfig a",
	 fill_user, 1},
	{PGC, "pg_auth_members", "roleid o,member o,grantor o,admin_option b", NULL, 1},
	{PGC, "pg_settings",
	 "name t,setting t,unit t,category t,short_desc t,extra_desc t,context t,vartype t,"
	 "source t,min_val t,max_val t,enumvals a,boot_val t,reset_val t,sourcefile t,"
	 "sourceline i,pending_restart b",
	 fill_settings, 1},
	{PGC, "pg_description", "objoid o,classoid o,objsubid i,description t", fill_description,
	 1},
	{PGC, "pg_am", "oid o,amname t,amhandler t,amtype t", fill_am, 1},
	{PGC, "pg_attrdef", "oid o,adrelid o,adnum s,adbin t", fill_attrdef, 1},
	{PGC, "pg_inherits", "inhrelid o,inhparent o,inhseqno i,inhdetachpending b", NULL, 1},
	{PGC, "pg_stat_activity",
	 "datid o,datname t,pid i,leader_pid i,usesysid o,usename t,application_name t,"
	 "client_addr t,client_hostname t,client_port i,backend_start z,xact_start z,"
	 "query_start z,state_change z,wait_event_type t,wait_event t,state t,"
	 "backend_xid t,backend_xmin t,query_id i,query t,backend_type t",
	 fill_activity, 1},
	{PGC, "pg_stat_ssl",
	 "pid i,ssl b,version t,cipher t,bits i,client_dn t,client_serial t,issuer_dn t",
	 fill_stat_ssl, 1},
	{PGC, "pg_stat_gssapi", "pid i,gss_authenticated b,principal t,encrypted b",
	 fill_stat_gssapi, 1},
	{PGC, "pg_collation",
	 "oid o,collname t,collnamespace o,collowner o,collprovider t,"
	 "collisdeterministic b,collencoding i,collcollate t,collctype t",
	 NULL, 1},
	{PGC, "pg_policy",
	 "oid o,polname t,polrelid o,polcmd t,polpermissive b,polroles a,polqual t,"
	 "polwithcheck t",
	 NULL, 1},
	{PGC, "pg_statistic_ext",
	 "oid o,stxrelid o,stxname t,stxnamespace o,stxowner o,stxstattarget i,stxkeys t,"
	 "stxkind a",
	 NULL, 1},
	{PGC, "pg_publication",
	 "oid o,pubname t,pubowner o,puballtables b,pubinsert b,pubupdate b,pubdelete b,"
	 "pubtruncate b,pubviaroot b",
	 NULL, 1},
	{PGC, "pg_publication_namespace", "oid o,pnpubid o,pnnspid o", NULL, 1},
	{PGC, "pg_publication_rel", "oid o,prpubid o,prrelid o,prqual t,prattrs a", NULL, 1},
	{PGC, "pg_tablespace", "oid o,spcname t,spcowner o,spcacl a,spcoptions a", fill_tablespace,
	 1},
	{PGC, "pg_trigger",
	 "oid o,tgrelid o,tgparentid o,tgname t,tgfoid o,tgtype s,tgenabled t,"
	 "tgisinternal b,tgconstraint o,tgdeferrable b,tginitdeferred b",
	 NULL, 1},
	{PGC, "pg_rewrite", "oid o,rulename t,ev_class o,ev_type t,ev_enabled t,is_instead b", NULL,
	 1},
	{PGC, "pg_enum", "oid o,enumtypid o,enumsortorder f,enumlabel t", NULL, 1},
	{PGC, "pg_extension",
	 "oid o,extname t,extowner o,extnamespace o,extrelocatable b,extversion t,"
	 "extconfig a,extcondition a",
	 fill_extension, 1},
	{PGC, "pg_sequence",
	 "seqrelid o,seqtypid o,seqstart l,seqincrement l,seqmax l,seqmin l,seqcache l,"
	 "seqcycle b",
	 fill_sequence, 1},
	{PGC, "pg_depend",
	 "classid o,objid o,objsubid i,refclassid o,refobjid o,refobjsubid i,deptype t",
	 fill_depend, 1},
	/* what murphy does not have, as pg_dump reads it */
	{PGC, "pg_init_privs", "objoid o,classoid o,objsubid i,privtype t,initprivs a", NULL, 1},
	{PGC, "pg_range", "rngtypid o,rngsubtype o,rngmultitypid o,rngcollation o", NULL, 1},
	{PGC, "pg_transform", "oid o,trftype o,trflang o,trffromsql o,trftosql o", NULL, 1},
	{PGC, "pg_ts_parser",
	 "oid o,prsname t,prsnamespace o,prsstart o,prstoken o,prsend o,prsheadline o,"
	 "prslextype o",
	 NULL, 1},
	{PGC, "pg_ts_template", "oid o,tmplname t,tmplnamespace o,tmplinit o,tmpllexize o", NULL,
	 1},
	{PGC, "pg_ts_dict",
	 "oid o,dictname t,dictnamespace o,dictowner o,dicttemplate o,dictinitoption t", NULL, 1},
	{PGC, "pg_ts_config", "oid o,cfgname t,cfgnamespace o,cfgowner o,cfgparser o", NULL, 1},
	{PGC, "pg_foreign_data_wrapper",
	 "oid o,fdwname t,fdwowner o,fdwhandler o,fdwvalidator o,fdwacl a,fdwoptions a", NULL, 1},
	{PGC, "pg_foreign_server",
	 "oid o,srvname t,srvowner o,srvfdw o,srvtype t,srvversion t,srvacl a,srvoptions a", NULL,
	 1},
	{PGC, "pg_subscription",
	 "oid o,subdbid o,subname t,subowner o,subenabled b,subbinary b,substream b,"
	 "subtwophasestate t,subdisableonerr b,subconninfo t,subslotname t,subsynccommit t,"
	 "subpublications a",
	 NULL, 1},
	{PGC, "pg_largeobject_metadata", "oid o,lomowner o,lomacl a", NULL, 1},
	{PGC, "pg_shseclabel", "objoid o,classoid o,provider t,label t", NULL, 1},
	{PGC, "pg_seclabels",
	 "objoid o,classoid o,objsubid i,objtype t,objnamespace o,objname t,provider t,label t",
	 NULL, 1},
	{PGC, "pg_amop", "oid o,amopfamily o,amoplefttype o,amoprighttype o,amopopr o", NULL, 1},
	{PGC, "pg_amproc", "oid o,amprocfamily o,amproclefttype o,amprocrighttype o,amproc o", NULL,
	 1},
	{PGC, "pg_foreign_table", "ftrelid o,ftserver o,ftoptions a", NULL, 1},
	{PGC, "pg_partitioned_table", "partrelid o,partstrat t,partnatts s,partattrs t,partclass t",
	 NULL, 1},
	{PGC, "pg_opclass",
	 "oid o,opcmethod o,opcname t,opcnamespace o,opcowner o,opcfamily o,opcintype o,"
	 "opcdefault b,opckeytype o",
	 NULL, 1},
	{PGC, "pg_opfamily", "oid o,opfmethod o,opfname t,opfnamespace o,opfowner o", NULL, 1},
	{PGC, "pg_cast", "oid o,castsource o,casttarget o,castfunc o,castcontext t,castmethod t",
	 NULL, 1},
	{PGC, "pg_operator",
	 "oid o,oprname t,oprnamespace o,oprowner o,oprkind t,oprcanmerge b,oprcanhash b,"
	 "oprleft o,oprright o,oprresult o,oprcom o,oprnegate o,oprcode t,oprrest t,oprjoin t",
	 NULL, 1},
	{PGC, "pg_db_role_setting", "setdatabase o,setrole o,setconfig a", NULL, 1},
	{PGC, "pg_event_trigger",
	 "oid o,evtname t,evtevent t,evtowner o,evtfoid o,evtenabled t,evttags a", NULL, 1},
	{PGC, "pg_conversion",
	 "oid o,conname t,connamespace o,conowner o,conforencoding i,contoencoding i,"
	 "conproc t,condefault b",
	 NULL, 1},
	{PGC, "pg_language",
	 "oid o,lanname t,lanowner o,lanispl b,lanpltrusted b,lanplcallfoid o,laninline o,"
	 "lanvalidator o,lanacl a",
	 NULL, 1},
	{PGC, "pg_default_acl", "oid o,defaclrole o,defaclnamespace o,defaclobjtype t,defaclacl a",
	 NULL, 1},
	{PGC, "pg_tables",
	 "schemaname t,tablename t,tableowner t,tablespace t,hasindexes b,hasrules b,"
	 "hastriggers b,rowsecurity b",
	 fill_pg_tables, 1},
	{PGC, "pg_views", "schemaname t,viewname t,viewowner t,definition t", fill_views, 1},
	{PGC, "pg_matviews", "schemaname t,matviewname t,matviewowner t,definition t", NULL, 1},
	{PGC, "pg_indexes", "schemaname t,tablename t,indexname t,tablespace t,indexdef t",
	 fill_indexes, 1},
	{ISC, "schemata",
	 "catalog_name t,schema_name t,schema_owner t,default_character_set_catalog t,"
	 "default_character_set_schema t,default_character_set_name t,sql_path t",
	 fill_is_schemata, 0},
	{ISC, "tables",
	 "table_catalog t,table_schema t,table_name t,table_type t,"
	 "self_referencing_column_name t,reference_generation t,user_defined_type_catalog t,"
	 "user_defined_type_schema t,user_defined_type_name t,is_insertable_into t,"
	 "is_typed t,commit_action t",
	 fill_is_tables, 0},
	{ISC, "views",
	 "table_catalog t,table_schema t,table_name t,view_definition t,check_option t,"
	 "is_updatable t,is_insertable_into t,is_trigger_updatable t,is_trigger_deletable t,"
	 "is_trigger_insertable_into t",
	 fill_is_views, 0},
	{ISC, "columns",
	 "table_catalog t,table_schema t,table_name t,column_name t,ordinal_position i,"
	 "column_default t,is_nullable t,data_type t,character_maximum_length i,"
	 "character_octet_length i,numeric_precision i,numeric_precision_radix i,"
	 "numeric_scale i,datetime_precision i,udt_catalog t,udt_schema t,udt_name t,"
	 "is_identity t,is_generated t,is_updatable t",
	 fill_is_columns, 0},
	{ISC, "table_constraints",
	 "constraint_catalog t,constraint_schema t,constraint_name t,table_catalog t,"
	 "table_schema t,table_name t,constraint_type t,is_deferrable t,"
	 "initially_deferred t,enforced t,nulls_distinct t",
	 fill_is_table_constraints, 0},
	{ISC, "check_constraints",
	 "constraint_catalog t,constraint_schema t,constraint_name t,check_clause t",
	 fill_is_check_constraints, 0},
	{ISC, "key_column_usage",
	 "constraint_catalog t,constraint_schema t,constraint_name t,table_catalog t,"
	 "table_schema t,table_name t,column_name t,ordinal_position i,"
	 "position_in_unique_constraint i",
	 fill_is_key_column_usage, 0},
	{ISC, "referential_constraints",
	 "constraint_catalog t,constraint_schema t,constraint_name t,"
	 "unique_constraint_catalog t,unique_constraint_schema t,unique_constraint_name t,"
	 "match_option t,update_rule t,delete_rule t",
	 fill_is_referential_constraints, 0},
	/* routines and their parameters: PostgreSQL's columns, no rows (murphy
	 * has no user functions) */
	{ISC, "routines",
	 "specific_catalog t,specific_schema t,specific_name t,routine_catalog t,"
	 "routine_schema t,routine_name t,routine_type t,module_catalog t,module_schema t,"
	 "module_name t,udt_catalog t,udt_schema t,udt_name t,data_type t,"
	 "character_maximum_length i,character_octet_length i,character_set_catalog t,"
	 "character_set_schema t,character_set_name t,collation_catalog t,collation_schema t,"
	 "collation_name t,numeric_precision i,numeric_precision_radix i,numeric_scale i,"
	 "datetime_precision i,interval_type t,interval_precision i,type_udt_catalog t,"
	 "type_udt_schema t,type_udt_name t,scope_catalog t,scope_schema t,scope_name t,"
	 "maximum_cardinality i,dtd_identifier t,routine_body t,routine_definition t,"
	 "external_name t,external_language t,parameter_style t,is_deterministic t,"
	 "sql_data_access t,is_null_call t,sql_path t,schema_level_routine t,"
	 "max_dynamic_result_sets i,is_user_defined_cast t,is_implicitly_invocable t,"
	 "security_type t,to_sql_specific_catalog t,to_sql_specific_schema t,"
	 "to_sql_specific_name t,as_locator t,created t,last_altered t,new_savepoint_level t,"
	 "is_udt_dependent t,result_cast_from_data_type t,result_cast_as_locator t,"
	 "result_cast_char_max_length i,result_cast_char_octet_length i,"
	 "result_cast_char_set_catalog t,result_cast_char_set_schema t,"
	 "result_cast_char_set_name t,result_cast_collation_catalog t,"
	 "result_cast_collation_schema t,result_cast_collation_name t,"
	 "result_cast_numeric_precision i,result_cast_numeric_precision_radix i,"
	 "result_cast_numeric_scale i,result_cast_datetime_precision i,"
	 "result_cast_interval_type t,result_cast_interval_precision i,"
	 "result_cast_type_udt_catalog t,result_cast_type_udt_schema t,"
	 "result_cast_type_udt_name t,result_cast_scope_catalog t,result_cast_scope_schema t,"
	 "result_cast_scope_name t,result_cast_maximum_cardinality i,"
	 "result_cast_dtd_identifier t",
	 NULL, 0},
	{ISC, "parameters",
	 "specific_catalog t,specific_schema t,specific_name t,ordinal_position i,"
	 "parameter_mode t,is_result t,as_locator t,parameter_name t,data_type t,"
	 "character_maximum_length i,character_octet_length i,character_set_catalog t,"
	 "character_set_schema t,character_set_name t,collation_catalog t,collation_schema t,"
	 "collation_name t,numeric_precision i,numeric_precision_radix i,numeric_scale i,"
	 "datetime_precision i,interval_type t,interval_precision i,udt_catalog t,udt_schema t,"
	 "udt_name t,scope_catalog t,scope_schema t,scope_name t,maximum_cardinality i,"
	 "dtd_identifier t,parameter_default t",
	 NULL, 0},
};

#define NRELS (sizeof rels / sizeof rels[0])

static int rel_count(void) { return (int)NRELS; }

static const pgc_rel *rel_at(int i) { return &rels[i]; }

/* PostgreSQL's OIDs of the catalogs clients name (pg_description.classoid
 * = 'pg_class'::regclass); the others get PGC_OID_REL_BASE + their index. */
static const struct {
	const char *name;
	uint32_t oid;
} rel_oids[] = {
	{"pg_type", 1247},      {"pg_attribute", 1249},  {"pg_proc", 1255},
	{"pg_class", 1259},     {"pg_database", 1262},   {"pg_am", 2601},
	{"pg_attrdef", 2604},   {"pg_constraint", 2606}, {"pg_description", 2609},
	{"pg_index", 2610},     {"pg_inherits", 2611},   {"pg_namespace", 2615},
	{"pg_rewrite", 2618},   {"pg_trigger", 2620},    {"pg_depend", 2608},
	{"pg_extension", 3079}, {"pg_cast", 2605},       {"pg_transform", 3576},
	{"pg_amop", 2602},      {"pg_amproc", 2603},
};

uint32_t pgc_rel_oid(const pgc_rel *r)
{
	for (size_t i = 0; i < sizeof rel_oids / sizeof rel_oids[0]; i++)
		if (!strcmp(r->schema, "pg_catalog") && !strcmp(rel_oids[i].name, r->name))
			return rel_oids[i].oid;
	return PGC_OID_REL_BASE + (uint32_t)(r - rels);
}

const pgc_rel *pgc_rel_by_oid(uint32_t oid)
{
	for (size_t i = 0; i < NRELS; i++)
		if (pgc_rel_oid(&rels[i]) == oid)
			return &rels[i];
	return NULL;
}

const char *pgc_rel_name(const pgc_rel *r) { return r->name; }

const char *pgc_rel_schema(const pgc_rel *r) { return r->schema; }

const pgc_rel *pgc_rel_find(const char *schema, const char *name)
{
	for (size_t i = 0; i < NRELS; i++)
		if ((!schema || strcmp(rels[i].schema, schema) == 0) &&
		    strcmp(rels[i].name, name) == 0)
			return &rels[i];
	return NULL;
}

mur_type pgc_letter_type(char letter)
{
	switch (letter) {
	case 'o':
	case 'l':
		return MT_INT8; /* oid is unsigned 32-bit: int8 holds every value */
	case 'i':
		return MT_INT4;
	case 's':
		return MT_INT2;
	case 'f':
		return MT_FLOAT8;
	case 'b':
		return MT_BOOL;
	case 'z':
		return MT_TIMESTAMPTZ;
	default:
		return MT_TEXT;
	}
}

int pgc_rel_columns(const pgc_rel *r, pgc_column *out, int max)
{
	pgc_spec spec;
	int n = 0;
	spec_parse(r->spec, &spec);
	for (; n < spec.n && n < max; n++) {
		snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)spec.len[n], spec.name[n]);
		out[n].type = pgc_letter_type(spec.letter[n]);
	}
	return n;
}

mur_type pgc_rel_column_type(const pgc_rel *r, const char *col)
{
	pgc_spec spec;
	int i;
	spec_parse(r->spec, &spec);
	i = spec_index(&spec, col);
	return i < 0 ? MT_UNKNOWN : pgc_letter_type(spec.letter[i]);
}

static const char *sqlite_decl(char letter)
{
	switch (letter) {
	case 'o':
	case 'l':
	case 'i':
	case 's':
	case 'b':
		return "INTEGER";
	case 'f':
		return "REAL";
	default:
		return "TEXT";
	}
}

/* DROP and CREATE r's table. */
static int create_rel(sqlite3 *db, const pgc_rel *r)
{
	mur_buf b;
	pgc_spec spec;
	int rc;
	spec_parse(r->spec, &spec);
	mur_buf_init(&b);
	mur_buf_printf(&b, "DROP TABLE IF EXISTS %s.%s; CREATE TABLE %s.%s(", r->schema, r->name,
		       r->schema, r->name);
	for (int i = 0; i < spec.n; i++)
		mur_buf_printf(&b, "%s%.*s %s", i ? ", " : "", (int)spec.len[i], spec.name[i],
			       sqlite_decl(spec.letter[i]));
	mur_buf_printf(&b, ")");
	rc = mur_buf_ok(&b) ? sqlite3_exec(db, mur_buf_cstr(&b), NULL, NULL, NULL) : SQLITE_NOMEM;
	mur_buf_free(&b);
	return rc;
}

static int fill_rel(pgc_fill_ctx *f, const pgc_rel *r)
{
	mur_buf b;
	pgc_row row = {.rel = r};
	int rc;
	if (!r->fill)
		return SQLITE_OK;
	spec_parse(r->spec, &row.spec);
	mur_buf_init(&b);
	mur_buf_printf(&b, "INSERT INTO %s.%s VALUES (", r->schema, r->name);
	for (int i = 0; i < row.spec.n; i++)
		mur_buf_printf(&b, "%s?", i ? "," : "");
	mur_buf_printf(&b, ")");
	rc = mur_buf_ok(&b) ? sqlite3_prepare_v2(f->db, mur_buf_cstr(&b), -1, &row.st, NULL)
			    : SQLITE_NOMEM;
	mur_buf_free(&b);
	if (rc != SQLITE_OK)
		return rc;
	r->fill(f, &row);
	sqlite3_finalize(row.st);
	return SQLITE_OK;
}

/* 1 when the SQLite text names relation r (schema-qualified, as the
 * deparser writes every catalog relation). */
static int rel_named(const pgc_rel *r, const char *sql)
{
	char q[PGC_NAME_MAX * 2 + 8];
	snprintf(q, sizeof q, "%s.\"%s\"", r->schema, r->name);
	return strstr(sql, q) != NULL;
}

int pgc_materialize(sqlite3 *db, const catalog *cat, const pgc_session_hooks *hooks,
		    const pgc_activity *acts, int nacts, const char *sql, mur_error *err)
{
	pgc_fill_ctx f = {db, cat, hooks, acts, nacts};
	int began = 0;
	for (size_t i = 0; i < NRELS; i++) {
		int rc;
		if (!rel_named(&rels[i], sql))
			continue;
		if (!began++)
			sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		rc = create_rel(db, &rels[i]);
		if (rc == SQLITE_OK)
			rc = fill_rel(&f, &rels[i]);
		if (rc != SQLITE_OK) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "cannot build %s.%s: %s",
					     rels[i].schema, rels[i].name, sqlite3_errmsg(db));
		}
	}
	if (began)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return MUR_OK;
}
