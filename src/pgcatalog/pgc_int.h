/*
 * pgc_int.h — private interfaces of src/pgcatalog/.
 *
 * The catalog relations are declared once, in pgc_tables.c, as a column
 * spec: "name letter,name letter,...", the letter the column's type:
 *   o oid (an integer)   i int4   s int2   f float8   b bool
 *   t text               a array (PostgreSQL's text form, '{x,y}')
 *   l int8               z timestamptz (stored text in UTC, common/value.h)
 * The deparser (pgc_deparse.c) reads the spec for its result types, the
 * builder (pgc_tables.c) for the SQLite tables' columns.
 */
#ifndef PGCATALOG_PGC_INT_H
#define PGCATALOG_PGC_INT_H

#include "pgcatalog/pgcatalog.h"

typedef struct pgc_rel pgc_rel;

/* The relation schema.name (schema NULL: pg_catalog, then
 * information_schema), or NULL. */
const pgc_rel *pgc_rel_find(const char *schema, const char *name);
/* r's columns (at most max) into out; returns how many. */
int pgc_rel_columns(const pgc_rel *r, pgc_column *out, int max);
/* The type of column col of r; MT_UNKNOWN when r has none. */
mur_type pgc_rel_column_type(const pgc_rel *r, const char *col);
/* A catalog relation's OID (PostgreSQL's for the catalogs clients name),
 * the relation of an OID (NULL: none), its name and schema. */
#define PGC_OID_REL_BASE 11000u
uint32_t pgc_rel_oid(const pgc_rel *r);
const pgc_rel *pgc_rel_by_oid(uint32_t oid);
const char *pgc_rel_name(const pgc_rel *r);
const char *pgc_rel_schema(const pgc_rel *r);
/* The type a spec letter stands for. */
mur_type pgc_letter_type(char letter);

/* The PostgreSQL type behind a murphy type: its pg_type row. */
typedef struct pgc_type {
	uint32_t oid;
	const char *typname; /* pg_type.typname: int4, varchar, ... */
	int16_t typlen;      /* -1: varlena */
	char category;       /* pg_type.typcategory */
	uint32_t array_oid;  /* pg_type.typarray */
	mur_type mtype;      /* MT_UNKNOWN: a catalog-only type (oid, name, regclass) */
} pgc_type;
const pgc_type *pgc_type_by_oid(uint32_t oid);
/* pg_type.typelem: the element type of an array (and of int2vector,
 * oidvector), else 0. */
uint32_t pgc_type_elem(const pgc_type *t);
int pgc_type_count(void);
const pgc_type *pgc_type_at(int i);
/* pg_type.typstorage (and a column's attstorage): 'p' fixed length,
 * 'm' numeric, 'x' the other varlena types. */
char pgc_type_storage(uint32_t oid);
/* PostgreSQL's atttypmod of a column (varchar(n): n + 4), -1 when none. */
int32_t pgc_typmod(const cat_column *col);
/* format_type(oid, typmod) into out. */
void pgc_format_type(uint32_t oid, int32_t typmod, char *out, size_t n);

/* Names for catalog rows. */
const char *pgc_schema_of(const cat_table *t); /* its schema; "murphy": virtual */
/* A namespace's OID (built-in, else a created schema's), 0: unknown. */
uint32_t pgc_namespace_oid(const catalog *cat, const char *schema);
const char *pgc_namespace_name(const catalog *cat, uint32_t oid); /* NULL: unknown */
uint32_t pgc_schema_oid(const cat_schema *sc);

/* pgc_role.c: the roles shown.  A role's OID (a name without a catalog
 * role: a --auth trust session's user); the name of an OID, NULL when
 * unknown; every role in turn, the trust session's user (session, a
 * superuser) last when the catalog has no role of its name. */
typedef struct pgc_role_row {
	const char *name;
	uint32_t oid;
	int superuser, login;
	int bootstrap; /* PostgreSQL's initdb superuser's attributes: all of them */
} pgc_role_row;
uint32_t pgc_role_oid(const catalog *cat, const char *name);
const char *pgc_role_name(const catalog *cat, uint32_t oid, const char *session);
void pgc_roles_each(const catalog *cat, const char *session,
		    void (*each)(void *arg, const pgc_role_row *r), void *arg);

/* pgc_index.c: secondary indexes.  Their OID; the table an index is
 * shown with (NULL: its table is not shown); the index of an OID (*t its
 * table); indkey / indoption int2vector texts; pg_get_indexdef's text
 * (col > 0: that key column's name). */
uint32_t pgc_index_oid(const cat_index *x);
const cat_table *pgc_index_table(const catalog *cat, const cat_index *x);
const cat_index *pgc_index_by_oid(const catalog *cat, uint32_t oid, const cat_table **t);
void pgc_index_keys(const cat_table *t, const cat_index *x, char *keys, size_t nk, char *opts,
		    size_t no);
void pgc_index_def(const cat_table *t, const cat_index *x, int col, char *out, size_t n);
/* The table (user or murphy.*) whose OID, pkey index OID or pkey
 * constraint OID is oid; *part 0 table, 1 index, 2 constraint. */
const cat_table *pgc_table_by_oid(const catalog *cat, uint32_t oid, int *part);
/* Its primary key's index / constraint name: "<table>_pkey". */
void pgc_pkey_name(const cat_table *t, char *out, size_t n);
/* pgc_priv.c: has_schema_privilege([role,] schema, privilege). */
/* pgc_comment.c: pg_description's rows (the public schema's first), each
 * given to each(); returns how many.  obj_description, col_description. */
typedef void (*pgc_description_fn)(void *arg, uint32_t objoid, uint32_t classoid, int subid,
				   const char *text);
int pgc_description_each(const catalog *cat, pgc_description_fn each, void *arg);
void pgc_fn_obj_description(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void pgc_fn_col_description(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void pgc_fn_pg_has_role(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void pgc_fn_has_database_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void pgc_fn_has_table_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void pgc_fn_has_column_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void pgc_fn_has_any_column_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* The pg_attribute number of column col of relation id (a table's
 * visible columns from 1, a view's all), 0 when none; col NULL: how many
 * there are (pgc_comment.c). */
int pgc_attnum(const catalog *cat, uint32_t id, const char *col);
void pgc_fn_has_schema_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* pg_class.relacl of the table or view id, pg_namespace.nspacl of the
 * created schema id (pgc_acl.c): its grants as aclitem[] text, NUL-terminated in out, owner's entry first; 0 (out
 * empty) when it has none: relacl is NULL. */
int pgc_acl_text(const catalog *cat, uint32_t id, const char *owner, mur_buf *out);
/* Column list "(a, b)" of the primary key, or 0 when it has none. */
int pgc_pkey_columns(const cat_table *t, char *out, size_t n);
/* A column PostgreSQL shows a default for: an IDENTITY column's nextval
 * is its identity, not a default (pg_attrdef has no row for it). */
int pgc_column_has_default(const cat_column *col);
/* A view's OID (as a table's with its id: views' ids are apart), and the
 * view an OID names (NULL: none). */
uint32_t pgc_view_oid(const cat_view *v);
const cat_view *pgc_view_by_oid(const catalog *cat, uint32_t oid);
/* A table psql and drivers see: not murphy's hidden, not dropped. */
int pgc_table_shown(const catalog *cat, const cat_table *t);

/* ---- the deparser (pgc_deparse.c: SELECT and FROM; pgc_expr.c:
 * expressions), one pgc_dp per pgc_translate ---- */

/* Catalog relations one query may name (psql's widest names 5). */
#define PGC_SCOPE_MAX 64

/* A FROM item in reach of a column reference: a catalog relation, or a
 * subquery (or function) with the columns it gave. */
typedef struct pgc_dp_scope {
	const char *alias;  /* the alias, else the relation name */
	const pgc_rel *rel; /* NULL: a subquery, cols below */
	pgc_column *cols;   /* a subquery's columns (malloc'd, freed with the pgc_dp) */
	int ncols;
	int level; /* nesting of the SELECT whose FROM holds it (SELECT * expands those) */
} pgc_dp_scope;

/* WITH queries one statement may name (pg_dump's widest names 1). */
#define PGC_CTE_MAX 8

/* A WITH query: its name and (once written) its columns (malloc'd). */
typedef struct pgc_dp_cte {
	const char *name;
	pgc_column *cols;
	int ncols;
} pgc_dp_cte;

/* USING / NATURAL joins one query may hold, and the columns each merges
 * (psql and drivers write one or two). */
#define PGC_USING_MAX 16
#define PGC_USING_COLS_MAX 8

/* A join that merges columns (pgc_join.c): its left side's FROM items are
 * scopes [first, mid), its right side's [mid, last); SELECT * shows each
 * merged column once, before the others, as PostgreSQL does. */
typedef struct pgc_dp_using {
	int first, mid, last;
	int ncols;
	char cols[PGC_USING_COLS_MAX][PGC_NAME_MAX];
	mur_type types[PGC_USING_COLS_MAX]; /* the left side's */
} pgc_dp_using;

typedef struct pgc_dp {
	mur_buf *b;
	mur_error *err;
	int failed;
	int max_param; /* the highest $n seen */
	int level;     /* SELECTs open around the text being written */
	int nscope;
	pgc_dp_scope scope[PGC_SCOPE_MAX];
	int ncte;
	pgc_dp_cte cte[PGC_CTE_MAX];
	int srf_level;   /* the SELECT whose target list is being written (pgc_srf.c) */
	char *srf_array; /* the array its set-returning functions expand (malloc'd), or NULL */
	int ncolref;     /* column references written so far (pg_typeof's check) */
	int nusing;
	pgc_dp_using using[PGC_USING_MAX];
} pgc_dp;

/* Append s to the text. */
void pgc_dp_out(pgc_dp *d, const char *s);
/* Record 0A000 "murphy's pg_catalog does not support <what>" (the first
 * failure wins; the text is then abandoned); returns MT_TEXT. */
mur_type pgc_dp_fail(pgc_dp *d, const char *what);
/* A String node's text, NULL for any other node. */
const char *pgc_dp_str(const PgQuery__Node *n);
/* The last name of a qualified list (pg_catalog.format_type → format_type). */
const char *pgc_dp_last_name(PgQuery__Node **names, size_t n);
/* An expression as self-delimited SQLite text; returns its type. */
mur_type pgc_dp_expr(pgc_dp *d, const PgQuery__Node *n);
/* A SELECT (first_as: name its first column pgc_v, for ARRAY(SELECT ...));
 * its result columns to cols[0..*ncols). */
void pgc_dp_select(pgc_dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols,
		   int first_as);
/* " ORDER BY ..." of SortBy nodes (nothing when n is 0); cols: the
 * SELECT's result columns (a numeric one named sorts by value). */
void pgc_dp_sort_list(pgc_dp *d, PgQuery__Node **items, size_t n, const pgc_column *cols,
		      int ncols);
/* A FROM item (a relation, a join, a subquery, a function), adding its
 * scopes. */
void pgc_dp_from_item(pgc_dp *d, const PgQuery__Node *n);
/* The columns a scope's relation or subquery gives, to out (room for
 * PGC_COLUMNS_MAX); their count. */
int pgc_dp_scope_columns(const pgc_dp_scope *sc, pgc_column *out);

/* An expression written apart, into its own buffer, so that its type is
 * known before what goes around it is (pgc_dp_text_free frees it). */
typedef struct pgc_dp_text {
	mur_buf b;
	mur_type type;
	const PgQuery__Node *node;
} pgc_dp_text;
void pgc_dp_expr_apart(pgc_dp *d, const PgQuery__Node *n, pgc_dp_text *out);
void pgc_dp_text_free(pgc_dp_text *t);
/* = <> != < > <= >= */
int pgc_dp_is_comparison(const char *op);

/* ---- date, time and interval (pgc_time.c) ---- */

/* timestamptz, timestamp, date or interval. */
int pgc_time_is(mur_type t);
/* now(), clock_timestamp(), age(), extract(), date_part(), date_trunc(),
 * justify_*(): 1 when name is one of them (the call written, its type in
 * *t), 0 when not. */
int pgc_time_func(pgc_dp *d, const char *name, const PgQuery__FuncCall *f, mur_type *t);
/* CURRENT_TIMESTAMP[(n)], LOCALTIMESTAMP, CURRENT_DATE; 0A000 for the
 * others (CURRENT_TIME: murphy has no time type). */
mur_type pgc_time_sqlvalue(pgc_dp *d, const PgQuery__SQLValueFunction *f);
/* l op r when either is a date/time type (or a comparison names one):
 * written, its type returned; MT_UNKNOWN (nothing written) when neither
 * is. */
mur_type pgc_time_binop(pgc_dp *d, const char *op, pgc_dp_text *l, pgc_dp_text *r);
/* -x of an interval: written, MT_INTERVAL; MT_UNKNOWN when x is none. */
mur_type pgc_time_neg(pgc_dp *d, pgc_dp_text *x);
/* x written as type to: a string constant read as one (an interval now,
 * a timestamptz in the session's zone when it runs), a value of another
 * type cast. */
void pgc_time_coerce(pgc_dp *d, pgc_dp_text *x, mur_type to);
/* CAST(x AS to) when x or to is a date/time or numeric type: written, 1;
 * 0 (nothing written) when neither is. */
int pgc_time_cast(pgc_dp *d, pgc_dp_text *x, mur_type to, const PgQuery__TypeName *tn);
/* The SQLite functions pgc_now(which[, precision]) and pgc_timezone(). */
int pgc_time_register(sqlite3 *db, const pgc_session_hooks *hooks);

/* ---- joins (pgc_join.c) ---- */

/* [LEFT | RIGHT | FULL] JOIN ... ON / USING (...), NATURAL, CROSS. */
void pgc_dp_join(pgc_dp *d, const PgQuery__JoinExpr *j);
/* SELECT * reaching scope i: first the columns the joins starting there
 * merge (USING, NATURAL), unqualified, once each (one an enclosing join
 * merges too is that join's), added to cols; *n counts the columns
 * written (a comma before each but the first). */
void pgc_dp_star_merged(pgc_dp *d, int i, pgc_column *cols, int *ncols, int *n);
/* Is column name of scope i merged by a join around it (so SELECT * has
 * shown it already)? */
int pgc_dp_merged_away(const pgc_dp *d, int i, const char *name);

/* ---- set-returning functions in a target list (pgc_srf.c) ---- */

/* unnest, generate_subscripts, information_schema._pg_expandarray. */
int pgc_srf_is(const char *name);
/* One of those calls (field: "x" or "n" of _pg_expandarray's result, or
 * NULL) as a column of the SELECT's json_each FROM item. */
mur_type pgc_srf_call(pgc_dp *d, const PgQuery__FuncCall *f, const char *field);
/* (arg).field: of a set-returning call, or of the composite one gave. */
mur_type pgc_srf_field(pgc_dp *d, const PgQuery__Node *arg, const char *field);
/* Around a target list: begin opens it to set-returning calls; end adds
 * the json_each FROM item they need to from (the SELECT's FROM text) and
 * restores the enclosing SELECT's state. */
typedef struct pgc_srf_saved {
	int level;
	char *array;
} pgc_srf_saved;
pgc_srf_saved pgc_srf_begin(pgc_dp *d);
void pgc_srf_end(pgc_dp *d, mur_buf *from, pgc_srf_saved saved);

/* SQLite quoting. */
void pgc_put_ident(mur_buf *b, const char *name);
void pgc_put_string(mur_buf *b, const char *s);

/* The pg_catalog relation name murphy refuses (0A000 naming what), the
 * text of its "does not support"; NULL for any other (pgc_deparse.c). */
const char *pgc_rel_refused(const char *name);

/* pgc_guc_pg15.c: PostgreSQL 15's settings at their defaults (generated
 * data: name, SHOW's value, pg_settings.setting, unit ("" none), vartype,
 * context, short_desc, category). */
typedef struct pgc_guc_pg {
	const char *name, *show, *setting, *unit, *vartype, *context, *short_desc, *category;
} pgc_guc_pg;
extern const pgc_guc_pg pgc_guc_pg15[];
extern const int pgc_guc_pg15_count;

#endif
