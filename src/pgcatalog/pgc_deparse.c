/*
 * pgc_deparse.c — a catalog query's parse tree → SQLite text.
 *
 * Catalog queries are what clients send verbatim (psql's \d family,
 * SQLAlchemy's inspector, JDBC's DatabaseMetaData): joins, subqueries,
 * CASE, regular expressions, ::regclass.  They read only the catalog
 * relations (pgc_tables.c), so they need no distribution and no typed
 * analysis: the tree is written back as SQLite over those tables, with
 * PostgreSQL's spellings mapped:
 *
 *   x ~ 'p', x !~ 'p', OPERATOR(pg_catalog.~)   mur_regex_match(x, 'p', '') (storage's)
 *   x COLLATE pg_catalog.default                x
 *   'name'::regclass / ::regtype                pgc_regclass_in('name') (an OID)
 *   x::regclass, x::regtype, x::regnamespace    pgc_regclass_out(x) (a name)
 *   x = ANY(ARRAY[...]), x = ANY(arr)           x IN (...), x IN (json_each(arr))
 *   x LIKE p, x ILIKE p                         mur_like(x, p), mur_ilike (storage's)
 *   ARRAY(SELECT ...)                           (SELECT pgc_array_agg(...) ...)
 *   pg_catalog.f(...)                           the functions of pgc_func.c
 *
 * Result column types come from the catalog specs (a column), the
 * function table (a call), the cast, or the first CASE branch; text
 * otherwise.  What it does not translate is 0A000, named.
 *
 * This file writes the SELECTs (FROM items, SELECT *, set operations,
 * VALUES, ORDER BY / LIMIT) and keeps the scope of FROM items that column
 * references and SELECT * resolve against; pgc_expr.c writes expressions.
 */
#include "pgcatalog/pgc_int.h"

#include "common/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void pgc_dp_out(pgc_dp *d, const char *s) { mur_buf_put(d->b, s, strlen(s)); }

mur_type pgc_dp_fail(pgc_dp *d, const char *what)
{
	if (!d->failed)
		mur_error_set(d->err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "murphy's pg_catalog does not support %s", what);
	d->failed = 1;
	return MT_TEXT;
}

const char *pgc_dp_str(const PgQuery__Node *n)
{
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

/* The last name of a qualified list (pg_catalog.format_type → format_type). */
const char *pgc_dp_last_name(PgQuery__Node **names, size_t n)
{
	return n ? pgc_dp_str(names[n - 1]) : NULL;
}

/* ---- FROM ---- */

/* A FROM item: relation rel, or (rel NULL) a subquery with cols[0..n). */
static void scope_add(pgc_dp *d, const char *alias, const pgc_rel *rel, const pgc_column *cols,
		      int n)
{
	pgc_dp_scope *sc;
	if (d->nscope >= PGC_SCOPE_MAX) {
		pgc_dp_fail(d, "this many relations in one catalog query");
		return;
	}
	sc = &d->scope[d->nscope];
	memset(sc, 0, sizeof *sc);
	sc->alias = alias;
	sc->rel = rel;
	sc->level = d->level;
	if (!rel && n > 0) {
		if (!(sc->cols = malloc(sizeof *sc->cols * (size_t)n))) {
			mur_error_set(d->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			d->failed = 1;
			return;
		}
		memcpy(sc->cols, cols, sizeof *sc->cols * (size_t)n);
		sc->ncols = n;
	}
	d->nscope++;
}

/* A FROM item naming a WITH query of the statement: 1 when it is one. */
static int cte_ref(pgc_dp *d, const PgQuery__RangeVar *rv)
{
	const char *alias = rv->alias ? rv->alias->aliasname : rv->relname;
	for (int i = d->ncte - 1; i >= 0; i--) {
		if (strcmp(d->cte[i].name, rv->relname) != 0)
			continue;
		pgc_put_ident(d->b, rv->relname);
		pgc_dp_out(d, " AS ");
		pgc_put_ident(d->b, alias);
		scope_add(d, alias, NULL, d->cte[i].cols, d->cte[i].ncols);
		return 1;
	}
	return 0;
}

/* Any other name in FROM is a sequence's (pgc_seq_state raises 42P01 when
 * there is none): its one row, PostgreSQL's columns. */
static void sequence_ref(pgc_dp *d, const PgQuery__RangeVar *rv)
{
	static const pgc_column cols[] = {{"last_value", MT_INT8, 0},
					  {"log_cnt", MT_INT8, 0},
					  {"is_called", MT_BOOL, 0}};
	const char *alias = rv->alias ? rv->alias->aliasname : rv->relname;
	mur_buf name; /* a regclass text: ["schema".]"name" */
	mur_buf_init(&name);
	if (rv->schemaname && rv->schemaname[0]) {
		pgc_put_ident(&name, rv->schemaname);
		mur_buf_put_u8(&name, '.');
	}
	pgc_put_ident(&name, rv->relname);
	mur_buf_put_u8(&name, '\0');
	pgc_dp_out(d, "(SELECT pgc_seq_state(");
	pgc_put_string(d->b, (const char *)name.data);
	pgc_dp_out(d, ", 0) AS last_value, 0 AS log_cnt, pgc_seq_state(");
	pgc_put_string(d->b, (const char *)name.data);
	pgc_dp_out(d, ", 1) AS is_called) AS ");
	mur_buf_free(&name);
	pgc_put_ident(d->b, alias);
	scope_add(d, alias, NULL, cols, 3);
}

const char *pgc_rel_refused(const char *name)
{
	/* pg_authid: its rolpassword is each role's SCRAM verifier, which
	 * murphy shows to nobody (PostgreSQL to superusers); pg_roles lists
	 * the roles without it */
	return !strcmp(name, "pg_authid") || !strcmp(name, "pg_shadow")
		       ? "pg_authid or pg_shadow (the roles' password verifiers; pg_roles and "
			 "pg_user list the roles without them)"
		       : NULL;
}

static void range_var(pgc_dp *d, const PgQuery__RangeVar *rv)
{
	const pgc_rel *rel = NULL;
	const char *schema = rv->schemaname && rv->schemaname[0] ? rv->schemaname : NULL;
	if (!schema && cte_ref(d, rv))
		return;
	rel = pgc_rel_find(schema, rv->relname);
	if (!rel && (!schema || !strcmp(schema, "pg_catalog")) && pgc_rel_refused(rv->relname)) {
		pgc_dp_fail(d, pgc_rel_refused(rv->relname));
		return;
	}
	if (!rel &&
	    (!schema || (strcmp(schema, "pg_catalog") && strcmp(schema, "information_schema")))) {
		sequence_ref(d, rv);
		return;
	}
	if (!rel) {
		if (!d->failed)
			mur_error_set(d->err, SQLSTATE_UNDEFINED_TABLE,
				      "relation \"%s%s%s\" does not exist", schema ? schema : "",
				      schema ? "." : "", rv->relname);
		d->failed = 1;
		return;
	}
	/* schema-qualified, quoted: pgc_materialize looks for exactly this */
	mur_buf_printf(d->b, "%s.\"%s\"",
		       schema                                    ? schema
		       : pgc_rel_find("pg_catalog", rv->relname) ? "pg_catalog"
								 : "information_schema",
		       rv->relname);
	pgc_dp_out(d, " AS ");
	pgc_put_ident(d->b, rv->alias ? rv->alias->aliasname : rv->relname);
	scope_add(d, rv->alias ? rv->alias->aliasname : rv->relname, rel, NULL, 0);
}

/* generate_series(a, b) and unnest(arr) in FROM, as subqueries. */
static void range_function(pgc_dp *d, const PgQuery__RangeFunction *rf)
{
	const PgQuery__Node *call;
	const PgQuery__FuncCall *f;
	const char *name, *alias = rf->alias ? rf->alias->aliasname : "f";
	/* its column: the alias's column name, else the alias (unnest(a) AS x(v): v) */
	const char *colname = rf->alias && rf->alias->n_colnames &&
					      pgc_dp_str(rf->alias->colnames[0])
				      ? pgc_dp_str(rf->alias->colnames[0])
				      : alias;
	pgc_column col = {.type = MT_TEXT};
	if (rf->n_functions != 1 || rf->functions[0]->list->n_items < 1) {
		pgc_dp_fail(d, "this function in FROM");
		return;
	}
	call = rf->functions[0]->list->items[0];
	if (call->node_case != PG_QUERY__NODE__NODE_FUNC_CALL) {
		pgc_dp_fail(d, "this function in FROM");
		return;
	}
	f = call->func_call;
	name = pgc_dp_last_name(f->funcname, f->n_funcname);
	if (name && !strcmp(name, "generate_series") && f->n_args == 2) {
		pgc_dp_out(d, "(WITH RECURSIVE pgc_g(v) AS (SELECT ");
		pgc_dp_expr(d, f->args[0]);
		pgc_dp_out(d, " UNION ALL SELECT v + 1 FROM pgc_g WHERE v < ");
		pgc_dp_expr(d, f->args[1]);
		pgc_dp_out(d, ") SELECT v AS ");
		pgc_put_ident(d->b, colname);
		pgc_dp_out(d, " FROM pgc_g)");
	} else if (name && !strcmp(name, "unnest") && f->n_args == 1) {
		pgc_dp_out(d, "(SELECT value AS ");
		pgc_put_ident(d->b, colname);
		pgc_dp_out(d, " FROM json_each(pgc_array_json(");
		pgc_dp_expr(d, f->args[0]);
		pgc_dp_out(d, ")))");
	} else if (name && !strcmp(name, "pg_options_to_table") && f->n_args == 1) {
		/* murphy keeps no options (attoptions, fdwoptions, ... are NULL):
		 * no rows, as PostgreSQL gives for NULL */
		static const pgc_column opts[] = {{"option_name", MT_TEXT, 0},
						  {"option_value", MT_TEXT, 0}};
		pgc_dp_out(d, "(SELECT NULL AS option_name, NULL AS option_value WHERE ");
		pgc_dp_expr(d, f->args[0]);
		pgc_dp_out(d, " IS NOT NULL AND 0) AS ");
		pgc_put_ident(d->b, alias);
		scope_add(d, alias, NULL, opts, 2);
		return;
	} else if (name && !strcmp(name, "pg_partition_ancestors") && f->n_args == 1) {
		/* no table is a partition: its only ancestor is itself, at
		 * depth 1 (WITH ORDINALITY; psql's \d of a table with triggers) */
		static const pgc_column anc[] = {{"relid", MT_INT8, 0}, {"depth", MT_INT8, 0}};
		pgc_column named[2] = {anc[0], anc[1]};
		for (size_t i = 0; rf->alias && i < rf->alias->n_colnames && i < 2; i++)
			if (pgc_dp_str(rf->alias->colnames[i]))
				snprintf(named[i].name, sizeof named[i].name, "%s",
					 pgc_dp_str(rf->alias->colnames[i]));
		pgc_dp_out(d, "(SELECT ");
		pgc_dp_expr(d, f->args[0]);
		pgc_dp_out(d, " AS ");
		pgc_put_ident(d->b, named[0].name);
		pgc_dp_out(d, ", 1 AS ");
		pgc_put_ident(d->b, named[1].name);
		pgc_dp_out(d, ") AS ");
		pgc_put_ident(d->b, alias);
		scope_add(d, alias, NULL, named, 2);
		return;
	} else {
		pgc_dp_fail(d, name ? name : "this function in FROM");
		return;
	}
	pgc_dp_out(d, " AS ");
	pgc_put_ident(d->b, alias);
	snprintf(col.name, sizeof col.name, "%s", colname);
	scope_add(d, alias, NULL, &col, 1);
}

/* (SELECT ...) AS s, or with column names, s(a, b): then the subquery's
 * columns, by the names it gave them, renamed in a wrapping SELECT (SQLite
 * has no column list on an alias). */
static void range_subselect(pgc_dp *d, const PgQuery__RangeSubselect *rs)
{
	pgc_column cols[PGC_COLUMNS_MAX];
	int ncols = 0;
	const PgQuery__Alias *al = rs->alias;
	mur_buf sub, *outer = d->b;
	mur_buf_init(&sub);
	d->b = &sub;
	pgc_dp_select(d, rs->subquery->select_stmt, cols, &ncols, 0);
	d->b = outer;
	pgc_dp_out(d, "(");
	if (al && al->n_colnames) {
		pgc_dp_out(d, "SELECT ");
		for (size_t i = 0; i < al->n_colnames && i < (size_t)ncols; i++) {
			if (i)
				pgc_dp_out(d, ", ");
			pgc_put_ident(d->b, cols[i].name);
			pgc_dp_out(d, " AS ");
			pgc_put_ident(d->b, pgc_dp_str(al->colnames[i])
						    ? pgc_dp_str(al->colnames[i])
						    : "?");
		}
		pgc_dp_out(d, " FROM (");
	}
	mur_buf_put(d->b, sub.data, sub.len);
	mur_buf_free(&sub);
	pgc_dp_out(d, al && al->n_colnames ? "))" : ")");
	for (size_t i = 0; al && i < al->n_colnames && i < (size_t)ncols; i++)
		if (pgc_dp_str(al->colnames[i]))
			snprintf(cols[i].name, PGC_NAME_MAX, "%s", pgc_dp_str(al->colnames[i]));
	if (al) {
		pgc_dp_out(d, " AS ");
		pgc_put_ident(d->b, al->aliasname);
	}
	scope_add(d, al ? al->aliasname : "", NULL, cols, ncols);
}

void pgc_dp_from_item(pgc_dp *d, const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		range_var(d, n->range_var);
		return;
	case PG_QUERY__NODE__NODE_JOIN_EXPR:
		pgc_dp_join(d, n->join_expr); /* pgc_join.c */
		return;
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
		range_subselect(d, n->range_subselect);
		return;
	case PG_QUERY__NODE__NODE_RANGE_FUNCTION:
		range_function(d, n->range_function);
		return;
	default:
		pgc_dp_fail(d, "this FROM item");
	}
}

int pgc_dp_scope_columns(const pgc_dp_scope *sc, pgc_column *out)
{
	if (sc->rel)
		return pgc_rel_columns(sc->rel, out, PGC_COLUMNS_MAX);
	memcpy(out, sc->cols, sizeof *out * (size_t)sc->ncols);
	return sc->ncols;
}

/* ---- SELECT ---- */

/* CURRENT_TIMESTAMP's column name, ... (PostgreSQL's FigureColname). */
static const char *sqlvalue_name(PgQuery__SQLValueFunctionOp op)
{
	static const char *const names[] = {NULL,
					    "current_date",
					    "current_time",
					    "current_time",
					    "current_timestamp",
					    "current_timestamp",
					    "localtime",
					    "localtime",
					    "localtimestamp",
					    "localtimestamp",
					    "current_role",
					    "current_user",
					    "user",
					    "session_user",
					    "current_catalog",
					    "current_schema"}; /* by PgQuery__SQLValueFunctionOp */
	return (size_t)op < sizeof names / sizeof names[0] ? names[op] : NULL;
}

/* The name PostgreSQL gives an unnamed result column. */
static void column_name(const PgQuery__ResTarget *rt, char *out_name, size_t n)
{
	const PgQuery__Node *v = rt->val;
	const char *s = "?column?";
	if (rt->name && rt->name[0])
		s = rt->name;
	else if (v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		const PgQuery__ColumnRef *c = v->column_ref;
		s = pgc_dp_str(c->fields[c->n_fields - 1]) ? pgc_dp_str(c->fields[c->n_fields - 1])
							   : s;
	} else if (v->node_case == PG_QUERY__NODE__NODE_FUNC_CALL)
		s = pgc_dp_last_name(v->func_call->funcname, v->func_call->n_funcname);
	else if (v->node_case == PG_QUERY__NODE__NODE_TYPE_CAST &&
		 v->type_cast->arg->node_case == PG_QUERY__NODE__NODE_COLUMN_REF) {
		const PgQuery__ColumnRef *c = v->type_cast->arg->column_ref;
		s = pgc_dp_str(c->fields[c->n_fields - 1]) ? pgc_dp_str(c->fields[c->n_fields - 1])
							   : s;
	} else if (v->node_case == PG_QUERY__NODE__NODE_TYPE_CAST &&
		   v->type_cast->arg->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) /* f(x)::t: f */
		s = pgc_dp_last_name(v->type_cast->arg->func_call->funcname,
				     v->type_cast->arg->func_call->n_funcname);
	else if (v->node_case == PG_QUERY__NODE__NODE_TYPE_CAST)
		s = pgc_dp_last_name(v->type_cast->type_name->names,
				     v->type_cast->type_name->n_names);
	else if (v->node_case == PG_QUERY__NODE__NODE_CASE_EXPR)
		s = "case";
	else if (v->node_case == PG_QUERY__NODE__NODE_SUB_LINK &&
		 v->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__ARRAY_SUBLINK)
		s = "array";
	else if (v->node_case == PG_QUERY__NODE__NODE_SUB_LINK &&
		 v->sub_link->sub_link_type == PG_QUERY__SUB_LINK_TYPE__EXISTS_SUBLINK)
		s = "exists";
	else if (v->node_case == PG_QUERY__NODE__NODE_SQLVALUE_FUNCTION)
		s = sqlvalue_name(v->sqlvalue_function->op);
	snprintf(out_name, n, "%s", s ? s : "?column?");
}

/* One result column: its name, its type. */
static void result_column(pgc_dp *d, pgc_column *cols, int *ncols, const char *name, mur_type t)
{
	if (*ncols >= PGC_COLUMNS_MAX) {
		pgc_dp_fail(d, "this many result columns");
		return;
	}
	snprintf(cols[*ncols].name, PGC_NAME_MAX, "%s", name);
	cols[*ncols].type_oid = 0;
	cols[(*ncols)++].type = t;
}

/* SELECT * / SELECT x.*: every column of this SELECT's FROM items (those
 * from scope index first on, at this level), qualified by their alias; a
 * column a USING or NATURAL join merges once, unqualified (pgc_join.c). */
static void star(pgc_dp *d, const PgQuery__ColumnRef *c, int first, pgc_column *cols, int *ncols)
{
	const char *qual = c->n_fields >= 2 ? pgc_dp_str(c->fields[c->n_fields - 2]) : NULL;
	int n = 0;
	for (int i = first; i < d->nscope; i++) {
		const pgc_dp_scope *sc = &d->scope[i];
		pgc_column rc[PGC_COLUMNS_MAX];
		int nrc;
		if (sc->level != d->level || (qual && strcmp(sc->alias, qual) != 0))
			continue;
		if (!qual)
			pgc_dp_star_merged(d, i, cols, ncols, &n);
		nrc = pgc_dp_scope_columns(sc, rc);
		for (int k = 0; k < nrc; k++) {
			const pgc_column *col = &rc[k];
			if (!qual && pgc_dp_merged_away(d, i, col->name))
				continue;
			if (n++)
				pgc_dp_out(d, ", ");
			pgc_put_ident(d->b, sc->alias);
			pgc_dp_out(d, ".");
			pgc_put_ident(d->b, col->name);
			result_column(d, cols, ncols, col->name, col->type);
		}
	}
	if (!n)
		pgc_dp_fail(d, "* without columns");
}

static int is_star(const PgQuery__Node *v)
{
	return v->node_case == PG_QUERY__NODE__NODE_COLUMN_REF && v->column_ref->n_fields &&
	       v->column_ref->fields[v->column_ref->n_fields - 1]->node_case ==
		       PG_QUERY__NODE__NODE_A_STAR;
}

/* 'name'::regclass (regtype, regnamespace) and pg_typeof(x) as a result
 * column: an OID in expressions (pgc_expr.c), but PostgreSQL prints it as
 * the name, and describes the column as that type. */
static const char *reg_literal(const PgQuery__Node *n)
{
	const PgQuery__TypeCast *tc;
	const char *ty;
	if (n->node_case == PG_QUERY__NODE__NODE_FUNC_CALL) {
		const PgQuery__FuncCall *f = n->func_call;
		ty = pgc_dp_last_name(f->funcname, f->n_funcname);
		return ty && !strcasecmp(ty, "pg_typeof") && f->n_args == 1 && !f->over ? "regtype"
											: NULL;
	}
	if (n->node_case != PG_QUERY__NODE__NODE_TYPE_CAST)
		return NULL;
	tc = n->type_cast;
	ty = pgc_dp_last_name(tc->type_name->names, tc->type_name->n_names);
	if (!ty || tc->type_name->n_array_bounds || !tc->arg ||
	    tc->arg->node_case != PG_QUERY__NODE__NODE_A_CONST || tc->arg->a_const->isnull ||
	    tc->arg->a_const->val_case != PG_QUERY__A__CONST__VAL_SVAL)
		return NULL;
	return !strcmp(ty, "regclass") || !strcmp(ty, "regtype") || !strcmp(ty, "regnamespace")
		       ? ty
		       : NULL;
}

static uint32_t reg_oid(const char *ty)
{
	return !strcmp(ty, "regclass") ? 2205 : !strcmp(ty, "regtype") ? 2206 : 4089;
}

static void target_list(pgc_dp *d, const PgQuery__SelectStmt *s, int first_scope, pgc_column *cols,
			int *ncols, int first_as)
{
	for (size_t i = 0; i < s->n_target_list; i++) {
		const PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		mur_type t;
		if (i)
			pgc_dp_out(d, ", ");
		if (is_star(rt->val)) {
			star(d, rt->val->column_ref, first_scope, cols, ncols);
			continue;
		}
		if (reg_literal(rt->val)) {
			mur_buf_printf(d->b, "pgc_%s_out(", reg_literal(rt->val));
			pgc_dp_expr(d, rt->val);
			pgc_dp_out(d, ")");
			t = MT_TEXT;
		} else {
			t = pgc_dp_expr(d, rt->val);
		}
		if (i == 0 && first_as)
			pgc_dp_out(d, " AS pgc_v");
		else {
			char name[PGC_NAME_MAX];
			column_name(rt, name, sizeof name);
			pgc_dp_out(d, " AS ");
			pgc_put_ident(d->b, name);
			result_column(d, cols, ncols, name, t);
			if (reg_literal(rt->val) && *ncols > 0)
				cols[*ncols - 1].type_oid = reg_oid(reg_literal(rt->val));
			continue;
		}
		result_column(d, cols, ncols, "pgc_v", t);
	}
}

/* The type of result column name (ORDER BY names one first, as
 * PostgreSQL), MT_UNKNOWN when none is. */
static mur_type output_type(const PgQuery__Node *n, const pgc_column *cols, int ncols)
{
	const char *name = n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
					   n->column_ref->n_fields == 1
				   ? pgc_dp_str(n->column_ref->fields[0])
				   : NULL;
	for (int i = 0; name && i < ncols; i++)
		if (!strcmp(cols[i].name, name))
			return cols[i].type;
	return MT_UNKNOWN;
}

void pgc_dp_sort_list(pgc_dp *d, PgQuery__Node **items, size_t n, const pgc_column *cols, int ncols)
{
	for (size_t i = 0; i < n; i++) {
		const PgQuery__SortBy *sb = items[i]->sort_by;
		mur_type t;
		pgc_dp_out(d, i ? ", " : "ORDER BY ");
		t = pgc_dp_expr(d, sb->node);
		if (t == MT_NUMERIC || output_type(sb->node, cols, ncols) == MT_NUMERIC)
			pgc_dp_out(d, " COLLATE " MUR_NUM_COLLATION); /* numeric text, by value */
		if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC)
			pgc_dp_out(d, " DESC");
		if (sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST)
			pgc_dp_out(d, " NULLS FIRST");
		else if (sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST)
			pgc_dp_out(d, " NULLS LAST");
	}
}

/* VALUES (...), (...): SQLite names its columns column1, column2, ...;
 * their types are the first row's. */
static void values_lists(pgc_dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols)
{
	pgc_dp_out(d, "VALUES ");
	for (size_t r = 0; r < s->n_values_lists; r++) {
		const PgQuery__List *row = s->values_lists[r]->list;
		pgc_dp_out(d, r ? ", (" : "(");
		for (size_t i = 0; i < row->n_items; i++) {
			mur_type t;
			if (i)
				pgc_dp_out(d, ", ");
			t = pgc_dp_expr(d, row->items[i]);
			if (r || *ncols >= PGC_COLUMNS_MAX)
				continue;
			snprintf(cols[*ncols].name, PGC_NAME_MAX, "column%zu", i + 1);
			cols[(*ncols)++].type = t;
		}
		pgc_dp_out(d, ")");
	}
}

static void simple_select(pgc_dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols,
			  int first_as)
{
	mur_buf *target = d->b, from;
	int first_scope = d->nscope;
	pgc_srf_saved saved;
	if (s->n_values_lists) {
		values_lists(d, s, cols, ncols);
		return;
	}
	if (s->n_window_clause || s->n_locking_clause)
		pgc_dp_fail(d, "WINDOW or FOR UPDATE in catalog queries");
	/* FROM first, into its own buffer, so the target list sees its aliases */
	mur_buf_init(&from);
	d->b = &from;
	for (size_t i = 0; i < s->n_from_clause; i++) {
		if (i)
			pgc_dp_out(d, ", ");
		pgc_dp_from_item(d, s->from_clause[i]);
	}
	d->b = target;
	pgc_dp_out(d, "SELECT ");
	if (s->n_distinct_clause)
		pgc_dp_out(d, "DISTINCT ");
	saved = pgc_srf_begin(d);
	target_list(d, s, first_scope, cols, ncols, first_as);
	pgc_srf_end(d, &from, saved);
	if (from.len) {
		pgc_dp_out(d, " FROM ");
		mur_buf_put(d->b, from.data, from.len);
	}
	mur_buf_free(&from);
	if (s->where_clause) {
		pgc_dp_out(d, " WHERE ");
		pgc_dp_expr(d, s->where_clause);
	}
	for (size_t i = 0; i < s->n_group_clause; i++) {
		pgc_dp_out(d, i ? ", " : " GROUP BY ");
		pgc_dp_expr(d, s->group_clause[i]);
	}
	if (s->having_clause) {
		pgc_dp_out(d, " HAVING ");
		pgc_dp_expr(d, s->having_clause);
	}
}

/* WITH [RECURSIVE] name AS (SELECT ...), ...: each query's name is in
 * reach from its own text on (a recursive reference sees no columns yet:
 * its names go through as written), its columns once it is written. */
static void with_clause(pgc_dp *d, const PgQuery__WithClause *w)
{
	pgc_dp_out(d, w->recursive ? "WITH RECURSIVE " : "WITH ");
	for (size_t i = 0; i < w->n_ctes && !d->failed; i++) {
		const PgQuery__CommonTableExpr *cte = w->ctes[i]->common_table_expr;
		pgc_column cols[PGC_COLUMNS_MAX];
		int ncols = 0, k = d->ncte;
		if (k >= PGC_CTE_MAX || cte->n_aliascolnames || !cte->ctequery ||
		    cte->ctequery->node_case != PG_QUERY__NODE__NODE_SELECT_STMT) {
			pgc_dp_fail(d, "this WITH query");
			return;
		}
		d->cte[d->ncte++] = (pgc_dp_cte){.name = cte->ctename};
		if (i)
			pgc_dp_out(d, ", ");
		pgc_put_ident(d->b, cte->ctename);
		pgc_dp_out(d, " AS (");
		pgc_dp_select(d, cte->ctequery->select_stmt, cols, &ncols, 0);
		pgc_dp_out(d, ")");
		if (ncols && !(d->cte[k].cols = malloc(sizeof cols[0] * (size_t)ncols))) {
			mur_error_set(d->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			d->failed = 1;
			return;
		}
		if (ncols)
			memcpy(d->cte[k].cols, cols, sizeof cols[0] * (size_t)ncols);
		d->cte[k].ncols = ncols;
	}
	pgc_dp_out(d, " ");
}

void pgc_dp_select(pgc_dp *d, const PgQuery__SelectStmt *s, pgc_column *cols, int *ncols,
		   int first_as)
{
	if (d->failed)
		return;
	d->level++;
	if (s->with_clause)
		with_clause(d, s->with_clause);
	if (s->op != PG_QUERY__SET_OPERATION__SETOP_NONE) {
		pgc_column rcols[PGC_COLUMNS_MAX];
		int rn = 0;
		static const char *const ops[] = {"", " UNION ", " INTERSECT ", " EXCEPT "};
		pgc_dp_select(d, s->larg, cols, ncols, first_as);
		pgc_dp_out(d, ops[s->op - PG_QUERY__SET_OPERATION__SETOP_NONE]);
		if (s->all)
			pgc_dp_out(d, "ALL ");
		pgc_dp_select(d, s->rarg, rcols, &rn, first_as);
	} else
		simple_select(d, s, cols, ncols, first_as);
	if (s->n_sort_clause)
		pgc_dp_out(d, " ");
	pgc_dp_sort_list(d, s->sort_clause, s->n_sort_clause, cols, *ncols);
	if (s->limit_count) {
		pgc_dp_out(d, " LIMIT ");
		pgc_dp_expr(d, s->limit_count);
	}
	if (s->limit_offset) {
		pgc_dp_out(d, s->limit_count ? " OFFSET " : " LIMIT -1 OFFSET ");
		pgc_dp_expr(d, s->limit_offset);
	}
	d->level--;
}

int pgc_translate(const PgQuery__Node *stmt, mur_buf *b, pgc_column *cols, int *ncols, int *nparams,
		  mur_error *err)
{
	pgc_dp d = {.b = b, .err = err};
	*ncols = 0;
	*nparams = 0;
	if (stmt->node_case != PG_QUERY__NODE__NODE_SELECT_STMT)
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy's pg_catalog answers only SELECT");
	pgc_dp_select(&d, stmt->select_stmt, cols, ncols, 0);
	if (!d.failed && !mur_buf_ok(b)) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		d.failed = 1;
	}
	*nparams = d.max_param;
	for (int i = 0; i < d.nscope; i++)
		free(d.scope[i].cols);
	for (int i = 0; i < d.ncte; i++)
		free(d.cte[i].cols);
	return d.failed ? MUR_ERR : MUR_OK;
}
