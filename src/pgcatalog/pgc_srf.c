/*
 * pgc_srf.c — set-returning functions in a catalog query's target list.
 *
 * Drivers expand index and constraint key arrays in the SELECT list, where
 * PostgreSQL runs every set-returning function of one target list in
 * lockstep (one output row per element):
 *
 *   SQLAlchemy 1.4 get_pk_constraint:
 *     SELECT unnest(ix.indkey) attnum, generate_subscripts(ix.indkey, 1) ord
 *     FROM pg_index ix WHERE ...
 *   pgjdbc getPrimaryKeys / getIndexInfo:
 *     SELECT (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ,
 *            information_schema._pg_expandarray(i.indkey) AS KEYS ...
 *     ... WHERE result.A_ATTNUM = (result.KEYS).x
 *
 * SQLite has no such thing, but its json_each is a table-valued function
 * that may name columns of the FROM items before it (a lateral join).  So
 * the SELECT gets one more FROM item, json_each(pgc_array_json(<array>))
 * AS pgc_srf<level>, and each call becomes a column of it:
 *
 *   unnest(a)                       pgc_srfN.value
 *   generate_subscripts(a, 1)       pgc_srfN.key + 1
 *   (_pg_expandarray(a)).x / .n     pgc_srfN.value / pgc_srfN.key + 1
 *   _pg_expandarray(a)              json_object('x', value, 'n', key + 1)
 *   (composite).f                   json_extract(composite, '$.f')
 *
 * All the calls of one target list must expand the same array (the same
 * SQLite text): lockstep over different arrays (PostgreSQL pads the
 * shorter with NULLs) and set-returning functions outside a target list
 * are 0A000.  An empty or NULL array gives no rows, as in PostgreSQL.
 */
#include "pgcatalog/pgc_int.h"

#include <stdlib.h>
#include <string.h>

/* The element types of the catalog arrays drivers expand: attribute
 * numbers (int2vector, int2[]) and OIDs; any other array gives text. */
static const struct {
	const char *column;
	mur_type type;
} element_types[] = {
	{"indkey", MT_INT2},      {"indoption", MT_INT2}, {"conkey", MT_INT2},
	{"confkey", MT_INT2},     {"indclass", MT_INT8},  {"indcollation", MT_INT8},
	{"proargtypes", MT_INT8},
};

int pgc_srf_is(const char *name)
{
	return !strcmp(name, "unnest") || !strcmp(name, "generate_subscripts") ||
	       !strcmp(name, "_pg_expandarray");
}

static mur_type element_type(const PgQuery__Node *array)
{
	const char *col;
	if (array->node_case != PG_QUERY__NODE__NODE_COLUMN_REF)
		return MT_TEXT;
	col = pgc_dp_str(array->column_ref->fields[array->column_ref->n_fields - 1]);
	for (size_t i = 0; col && i < sizeof element_types / sizeof element_types[0]; i++)
		if (!strcmp(element_types[i].column, col))
			return element_types[i].type;
	return MT_TEXT;
}

/* The array a call expands, written once per target list: the first
 * call's text is kept (d->srf_array), later calls must match it. */
static int expand(pgc_dp *d, const PgQuery__Node *array)
{
	mur_buf text, *outer = d->b;
	int ok = 1;
	if (d->srf_level != d->level)
		return pgc_dp_fail(d, "set-returning functions outside a SELECT list"), 0;
	mur_buf_init(&text);
	d->b = &text;
	pgc_dp_out(d, "pgc_array_json(");
	pgc_dp_expr(d, array);
	pgc_dp_out(d, ")");
	mur_buf_put(&text, "", 1); /* NUL: text.data is a C string */
	d->b = outer;
	if (!mur_buf_ok(&text)) {
		mur_error_set(d->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		d->failed = 1;
		ok = 0;
	} else if (!d->srf_array) {
		d->srf_array = strdup((const char *)text.data);
		if (!d->srf_array) {
			mur_error_set(d->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			d->failed = 1;
			ok = 0;
		}
	} else if (strcmp(d->srf_array, (const char *)text.data) != 0) {
		pgc_dp_fail(d, "set-returning functions over different arrays in one SELECT list");
		ok = 0;
	}
	mur_buf_free(&text);
	return ok && !d->failed;
}

static void column(pgc_dp *d, const char *what)
{
	mur_buf_printf(d->b, "pgc_srf%d.%s", d->level, what);
}

static int is_int_const(const PgQuery__Node *n, int v)
{
	return n->node_case == PG_QUERY__NODE__NODE_A_CONST && !n->a_const->isnull &&
	       n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL && n->a_const->ival->ival == v;
}

mur_type pgc_srf_call(pgc_dp *d, const PgQuery__FuncCall *f, const char *field)
{
	const char *name = pgc_dp_last_name(f->funcname, f->n_funcname);
	int subscripts = !strcmp(name, "generate_subscripts");
	if (f->n_args != (size_t)(1 + subscripts) || (subscripts && !is_int_const(f->args[1], 1)) ||
	    f->agg_star || f->agg_distinct || f->over)
		return pgc_dp_fail(d, name);
	if (field &&
	    (strcmp(name, "_pg_expandarray") || (strcmp(field, "x") && strcmp(field, "n"))))
		return pgc_dp_fail(d, "this field selection");
	if (!expand(d, f->args[0]))
		return MT_TEXT;
	if (subscripts || (field && !strcmp(field, "n"))) {
		pgc_dp_out(d, "(");
		column(d, "key");
		pgc_dp_out(d, " + 1)");
		return MT_INT4;
	}
	if (field || !strcmp(name, "unnest")) {
		column(d, "value");
		return element_type(f->args[0]);
	}
	pgc_dp_out(d, "json_object('x', ");
	column(d, "value");
	pgc_dp_out(d, ", 'n', ");
	column(d, "key");
	pgc_dp_out(d, " + 1)");
	return MT_TEXT;
}

mur_type pgc_srf_field(pgc_dp *d, const PgQuery__Node *arg, const char *field)
{
	if (arg->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
		const PgQuery__FuncCall *f = arg->func_call;
		const char *name = pgc_dp_last_name(f->funcname, f->n_funcname);
		if (name && pgc_srf_is(name))
			return pgc_srf_call(d, f, field);
	}
	if (strspn(field, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(field))
		return pgc_dp_fail(d, "this field selection");
	pgc_dp_out(d, "json_extract(");
	pgc_dp_expr(d, arg);
	mur_buf_printf(d->b, ", '$.%s')", field);
	return MT_TEXT;
}

pgc_srf_saved pgc_srf_begin(pgc_dp *d)
{
	pgc_srf_saved saved = {d->srf_level, d->srf_array};
	d->srf_level = d->level;
	d->srf_array = NULL;
	return saved;
}

void pgc_srf_end(pgc_dp *d, mur_buf *from, pgc_srf_saved saved)
{
	if (d->srf_array && !d->failed) {
		if (from->len)
			mur_buf_put(from, ", ", 2);
		mur_buf_printf(from, "json_each(%s) AS pgc_srf%d", d->srf_array, d->level);
	}
	free(d->srf_array);
	d->srf_level = saved.level;
	d->srf_array = saved.array;
}
