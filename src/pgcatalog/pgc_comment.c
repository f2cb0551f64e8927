/*
 * pgc_comment.c — the catalog's comments (catalog/catalog_comment.c) as
 * PostgreSQL shows them: pg_description rows (objoid, classoid, objsubid,
 * description) and the functions obj_description(oid [, catalog]) and
 * col_description(oid, attnum).
 *
 * A comment names its object by catalog id and a column by name; here the
 * id becomes the object's OID (pgc_oid.c, as pg_class and pg_namespace
 * give it) and the column's name its pg_attribute number (a table's
 * hidden columns are not counted, as fill_attribute skips them).  The
 * public schema has PostgreSQL's own description until COMMENT ON SCHEMA
 * public changes it (IS NULL: a row with "", none shown).
 */
#include "pgcatalog/pgc_int.h"

#include <string.h>

#define PGC_CLASS_PG_CLASS 1259u
#define PGC_CLASS_PG_NAMESPACE 2615u
#define PGC_CLASS_PG_CONSTRAINT 2606u
#define PGC_PUBLIC_DESCRIPTION "standard public schema"

/* The pg_attribute number of column col of relation id (a table's
 * visible columns from 1, a view's all), 0 when none; col NULL: how many
 * there are. */
int pgc_attnum(const catalog *cat, uint32_t id, const char *col)
{
	const cat_table *t = cat_table_by_id((catalog *)cat, id);
	const cat_view *v = t ? NULL : cat_view_by_id(cat, id);
	int num = 0;
	for (int k = 0; t && k < t->ncols; k++) {
		if (t->cols[k].hidden)
			continue;
		num++;
		if (col && !strcmp(t->cols[k].name, col))
			return num;
	}
	for (int k = 0; v && k < v->ncols; k++)
		if (col && !strcmp(v->cols[k].name, col))
			return k + 1;
	return col ? 0 : (v ? v->ncols : num);
}

/* cm's (objoid, classoid, objsubid); 0 when its object is not shown. */
static int target(const catalog *cat, const cat_comment *cm, uint32_t *oid, uint32_t *classoid,
		  int *subid)
{
	*classoid = PGC_CLASS_PG_CLASS;
	*subid = 0;
	*oid = 0;
	if (cm->kind == CAT_COMMENT_RELATION) {
		const cat_table *t = cat_table_by_id((catalog *)cat, cm->id);
		const cat_view *v = t ? NULL : cat_view_by_id(cat, cm->id);
		*oid = t ? pgc_table_oid(t) : v ? pgc_view_oid(v) : 0;
		if (*cm->col && !(*subid = pgc_attnum(cat, cm->id, cm->col)))
			return 0;
	} else if (cm->kind == CAT_COMMENT_SEQUENCE) {
		for (int i = 0; i < cat_seq_count(cat); i++)
			if (cat_seq_at(cat, i)->id == cm->id)
				*oid = pgc_seq_oid(cat_seq_at(cat, i));
	} else if (cm->kind == CAT_COMMENT_CONSTRAINT) { /* as pg_constraint's rows */
		const cat_table *t = cat_table_by_id((catalog *)cat, cm->id);
		uint32_t k = 0;
		char what = t ? cat_constraint_find(cat, t, cm->col, &k) : 0;
		*classoid = PGC_CLASS_PG_CONSTRAINT;
		*oid = what == 'p'   ? pgc_table_oid(t) + 2
		       : what == 'c' ? pgc_check_oid(t, &t->checks[k])
		       : what == 'f' ? k
		       : what == 'u' ? PGC_OID_UNIQUE_BASE + k
				     : 0;
	} else if (cm->kind == CAT_COMMENT_INDEX) {
		for (int i = 0; i < cat_index_count(cat); i++)
			if (cat_index_at(cat, i)->id == cm->id)
				*oid = pgc_index_oid(cat_index_at(cat, i));
	} else if (cm->kind == CAT_COMMENT_SCHEMA) {
		*classoid = PGC_CLASS_PG_NAMESPACE;
		if (cm->id == CAT_COMMENT_PUBLIC_ID)
			*oid = PGC_OID_NS_PUBLIC;
		for (int i = 0; i < cat_schema_count(cat); i++)
			if (cat_schema_at(cat, i)->id == cm->id)
				*oid = pgc_schema_oid(cat_schema_at(cat, i));
	}
	return *oid != 0;
}

/* cm's OID from its kind and id alone (no look-up: obj_description runs
 * once per row of pg_class); target() checks the object is there. */
static uint32_t quick_oid(const cat_comment *cm)
{
	if (cm->kind == CAT_COMMENT_INDEX) {
		cat_index x = {.id = cm->id};
		return pgc_index_oid(&x);
	}
	if (cm->kind == CAT_COMMENT_SCHEMA) {
		cat_schema sc = {.id = cm->id};
		return pgc_schema_oid(&sc);
	}
	if (cm->kind == CAT_COMMENT_SEQUENCE)
		return PGC_OID_SEQ_BASE + cm->id; /* pgc_seq_oid */
	cat_view v = {.id = cm->id};              /* tables and views share ids and OIDs */
	return pgc_view_oid(&v);
}

int pgc_description_each(const catalog *cat, pgc_description_fn each, void *arg)
{
	int n = 1;
	uint32_t oid, classoid;
	int subid;
	const char *pub = cat ? cat_comment_get(cat, CAT_COMMENT_SCHEMA, CAT_COMMENT_PUBLIC_ID, "")
			      : NULL;
	if (!pub)
		each(arg, PGC_OID_NS_PUBLIC, PGC_CLASS_PG_NAMESPACE, 0, PGC_PUBLIC_DESCRIPTION);
	else
		n = 0;
	for (int i = 0; cat && i < cat_comment_count(cat); i++) {
		const cat_comment *cm = cat_comment_at(cat, i);
		if (!*cm->text)
			continue; /* public's, removed */
		if (target(cat, cm, &oid, &classoid, &subid)) {
			each(arg, oid, classoid, subid, cm->text);
			n++;
		}
	}
	return n;
}

/* The description of (oid, classoid or 0 for any, subid), NULL when none. */
static const char *description(const catalog *cat, uint32_t oid, uint32_t classoid, int subid)
{
	uint32_t o, k;
	int s;
	if (oid == PGC_OID_NS_PUBLIC && (!classoid || classoid == PGC_CLASS_PG_NAMESPACE) &&
	    !subid) {
		const char *pub = cat ? cat_comment_get(cat, CAT_COMMENT_SCHEMA,
							CAT_COMMENT_PUBLIC_ID, "")
				      : NULL;
		return !pub ? PGC_PUBLIC_DESCRIPTION : *pub ? pub : NULL;
	}
	for (int i = 0; cat && i < cat_comment_count(cat); i++)
		if ((cat_comment_at(cat, i)->kind == CAT_COMMENT_CONSTRAINT ||
		     quick_oid(cat_comment_at(cat, i)) == oid) &&
		    target(cat, cat_comment_at(cat, i), &o, &k, &s) && o == oid && s == subid &&
		    (!classoid || k == classoid))
			return cat_comment_at(cat, i)->text;
	return NULL;
}

static const catalog *cat_of(sqlite3_context *ctx)
{
	const pgc_session_hooks *h = sqlite3_user_data(ctx);
	return h ? h->cat : NULL;
}

static void result(sqlite3_context *ctx, const char *text)
{
	if (text)
		sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(ctx);
}

/* obj_description(oid [, 'pg_class' | 'pg_namespace' | ...]) */
void pgc_fn_obj_description(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint32_t classoid = 0;
	if (argc < 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (argc > 1) {
		const char *cls = (const char *)sqlite3_value_text(argv[1]);
		if (!cls) {
			sqlite3_result_null(ctx);
			return;
		}
		if (!strncmp(cls, "pg_catalog.", 11))
			cls += 11;
		classoid = !strcmp(cls, "pg_class")        ? PGC_CLASS_PG_CLASS
			   : !strcmp(cls, "pg_namespace")  ? PGC_CLASS_PG_NAMESPACE
			   : !strcmp(cls, "pg_constraint") ? PGC_CLASS_PG_CONSTRAINT
							   : 1; /* a catalog with no comments */
	}
	result(ctx, description(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]), classoid, 0));
}

/* col_description(table oid, attnum) */
void pgc_fn_col_description(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (argc != 2 || sqlite3_value_type(argv[0]) == SQLITE_NULL ||
	    sqlite3_value_type(argv[1]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	result(ctx, description(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]),
				PGC_CLASS_PG_CLASS, (int)sqlite3_value_int64(argv[1])));
}
