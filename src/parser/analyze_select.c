/*
 * analyze_select.c — SelectStmt → sql_query: FROM (tables, aliases, inner,
 * left, right and full joins; USING is analyze_using.c's), select list (with '*' expansion and PostgreSQL's output
 * names), WHERE, GROUP BY (expressions, positions, aliases), HAVING, ORDER
 * BY (positions, aliases, expressions), LIMIT/OFFSET and DISTINCT; window
 * functions and DISTINCT ON are analyze_window.c's.
 *
 * The result is independent of distribution: sql/plan_select.c decides where
 * each part runs.  Constructs murphy does not run are rejected here with
 * 0A000 naming the construct.
 */
#include "parser/analyze.h"
#include "parser/analyze_subq_int.h"

#include <stdio.h>
#include <string.h>

static int unsupported(sql_ctx *c, const char *what, int loc)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, loc, "murphy does not support %s yet",
		       what);
}

int sql_check_unsupported_select(sql_ctx *c, PgQuery__SelectStmt *s)
{
	switch (s->op) {
	case PG_QUERY__SET_OPERATION__SETOP_UNION:
		return unsupported(c, "UNION", -1);
	case PG_QUERY__SET_OPERATION__SETOP_INTERSECT:
		return unsupported(c, "INTERSECT", -1);
	case PG_QUERY__SET_OPERATION__SETOP_EXCEPT:
		return unsupported(c, "EXCEPT", -1);
	default:
		break;
	}
	for (size_t i = 0; i < s->n_locking_clause; i++) {
		const PgQuery__Node *n = s->locking_clause[i];
		if (n->node_case == PG_QUERY__NODE__NODE_LOCKING_CLAUSE &&
		    n->locking_clause->wait_policy != PG_QUERY__LOCK_WAIT_POLICY__LockWaitBlock)
			return unsupported(c, "SELECT ... FOR UPDATE/SHARE NOWAIT or SKIP LOCKED",
					   -1);
	}
	if (s->into_clause)
		return unsupported(c, "SELECT INTO", -1);
	if (s->limit_option == PG_QUERY__LIMIT_OPTION__LIMIT_OPTION_WITH_TIES)
		return unsupported(c, "FETCH ... WITH TIES", -1);
	return MUR_OK;
}

/* ---- FROM ---- */

const cat_table *sql_lookup_table(sql_ctx *c, PgQuery__RangeVar *rv)
{
	return sql_lookup_table_for(c, rv, CAT_PRIV_SELECT);
}

/* A view where only a table will do (a write, COPY, ALTER ...): views
 * are read-only in murphy (PostgreSQL's automatically updatable views are
 * not built). */
static void view_refused(sql_ctx *c, PgQuery__RangeVar *rv, unsigned privs)
{
	const char *verb = privs & CAT_PRIV_INSERT   ? "insert into"
			   : privs & CAT_PRIV_UPDATE ? "update"
			   : privs & CAT_PRIV_DELETE ? "delete from"
						     : "use this statement on";
	sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, rv->location,
		"murphy cannot %s view \"%s\": its views are read-only", verb, rv->relname);
}

const cat_table *sql_lookup_table_for(sql_ctx *c, PgQuery__RangeVar *rv, unsigned privs)
{
	const char *schema = sql_rv_schema(c, rv);
	const cat_table *t = c->cat && schema ? cat_table_lookup(c->cat, schema, rv->relname)
					      : NULL;
	if (sql_schema_denied(c, schema, rv->location))
		return NULL;
	if (!t && c->cat && schema && cat_view_lookup(c->cat, schema, rv->relname))
		return view_refused(c, rv, privs), NULL;
	if (!t) {
		if (rv->schemaname && *rv->schemaname)
			sql_err(c, SQLSTATE_UNDEFINED_TABLE, rv->location,
				"relation \"%s.%s\" does not exist", schema, rv->relname);
		else
			sql_err(c, SQLSTATE_UNDEFINED_TABLE, rv->location,
				"relation \"%s\" does not exist", rv->relname);
	} else if (privs && c->user && !cat_allowed(c->cat, c->user, c->superuser, t, privs)) {
		sql_err(c, SQLSTATE_INSUFFICIENT_PRIVILEGE, rv->location,
			"permission denied for table %s", t->name);
		return NULL;
	}
	if (t && t->kind != CAT_TABLE_VIRTUAL && sql_view_dep(c, t->id) != MUR_OK)
		return NULL;
	sql_view_ref_note(c, rv->location, t, -1, NULL);
	return t;
}

int sql_add_rte(sql_ctx *c, sql_query *q, const cat_table *t, const char *alias, int loc)
{
	sql_rte *r;
	if (q->nrte >= SQL_RTES_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, loc,
			       "murphy joins at most %d tables", SQL_RTES_MAX);
	for (int i = 0; i <= q->nrte; i++)
		if (i == q->nrte ? sql_view_find(q, alias) >= 0 : !strcmp(q->rtes[i].alias, alias))
			return sql_err(c, "42712", loc,
				       "table name \"%s\" specified more than once", alias);
	r = &q->rtes[q->nrte++];
	r->table = t;
	r->loc = loc;
	snprintf(r->alias, sizeof r->alias, "%s", alias);
	return MUR_OK;
}

int sql_analyze_from_table(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv)
{
	return sql_analyze_from_table_for(c, q, rv, CAT_PRIV_SELECT);
}

int sql_analyze_from_table_for(sql_ctx *c, sql_query *q, PgQuery__RangeVar *rv, unsigned privs)
{
	if (rv->alias && rv->alias->n_colnames && privs == CAT_PRIV_SELECT)
		return sql_analyze_from_renamed(c, q, rv); /* analyze_from_subq.c */
	int cte = sql_analyze_from_cte(c, q, rv);
	const char *schema = cte || !c->cat ? NULL : sql_rv_schema(c, rv);
	const cat_view *v = schema ? cat_view_lookup(c->cat, schema, rv->relname) : NULL;
	const cat_table *t = cte || v ? NULL : sql_lookup_table_for(c, rv, privs);
	if (v && privs == CAT_PRIV_SELECT)
		return sql_analyze_from_view(c, q, rv, v);
	if (cte)
		return cte > 0 ? MUR_OK : MUR_ERR;
	if (v)
		return view_refused(c, rv, privs), MUR_ERR;
	if (!t)
		return MUR_ERR;
	if (rv->alias && rv->alias->n_colnames) /* not taken and ignored */
		return unsupported(c, "column aliases on the table of this statement",
				   rv->location);
	return sql_add_rte(c, q, t,
			   (rv->alias && rv->alias->aliasname) ? rv->alias->aliasname : t->name,
			   rv->location);
}

static int from_item(sql_ctx *c, sql_query *q, PgQuery__Node *n);

/* RIGHT and FULL JOIN null-extend every table before them: those must
 * be the join's own left side, with no subquery merged into the query
 * (its WHERE would then filter the null-extended rows; analyze_from reads
 * FROM again with the subqueries gathered, which serves joins of
 * subqueries only). */
static int check_right_join(sql_ctx *c, const sql_query *q, int first)
{
	if (first > 0)
		return unsupported(c, "RIGHT or FULL JOIN after a comma in FROM", -1);
	for (int i = 0; i < q->nrte; i++)
		if (q->rtes[i].merged)
			return unsupported(c,
					   "RIGHT or FULL JOIN between a subquery in FROM and a "
					   "distributed table",
					   -1);
	return MUR_OK;
}

static int join_item(sql_ctx *c, sql_query *q, PgQuery__JoinExpr *j)
{
	sql_rte *r;
	int first = q->nrte;
	if (j->alias) /* analyze_from_subq.c */
		return sql_analyze_from_join_alias(c, q, j);
	if (from_item(c, q, j->larg) != MUR_OK)
		return MUR_ERR;
	if (j->rarg->node_case != PG_QUERY__NODE__NODE_RANGE_VAR &&
	    j->rarg->node_case != PG_QUERY__NODE__NODE_RANGE_SUBSELECT &&
	    j->rarg->node_case != PG_QUERY__NODE__NODE_RANGE_FUNCTION)
		return unsupported(c, "nested joins on the right-hand side", -1);
	int before = q->nrte;
	if (from_item(c, q, j->rarg) != MUR_OK)
		return MUR_ERR;
	r = &q->rtes[q->nrte - 1];
	r->join_left = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_LEFT ||
		       j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL;
	r->join_right = j->jointype == PG_QUERY__JOIN_TYPE__JOIN_RIGHT ||
			j->jointype == PG_QUERY__JOIN_TYPE__JOIN_FULL;
	if ((r->join_left || r->join_right) && q->nrte - before > 1)
		return unsupported(c, "an outer join to a subquery that joins tables", -1);
	if (r->join_left && r->merged && q->nview > 0 &&
	    q->views[q->nview - 1].first_rte == q->nrte - 1 &&
	    sql_null_extend_view(c, q, &q->views[q->nview - 1], q->nrte - 1) != MUR_OK)
		return MUR_ERR;
	if (r->join_right && check_right_join(c, q, first) != MUR_OK)
		return MUR_ERR;
	if ((j->is_natural || j->n_using_clause) &&
	    sql_analyze_using(c, q, first, before, j) != MUR_OK)
		return MUR_ERR;
	if (j->quals) {
		sql_expr *on;
		c->agg_ok = 0;
		c->agg_where = "JOIN conditions";
		on = sql_analyze_expr(c, j->quals);
		if (!on || !(on = sql_coerce(c, on, MT_BOOL, NULL)))
			return MUR_ERR;
		if (on->type != MT_BOOL)
			return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, on->loc,
				       "argument of JOIN/ON must be type boolean, not type %s",
				       sql_type_name(on->type));
		/* a merged subquery's WHERE stands there already (analyze_subq.c) */
		if (!(r->on = sql_and(c, r->on, on)))
			return MUR_ERR;
	} else if (!r->on) {
		r->on = sql_make_const_int(c, 1, MT_BOOL); /* CROSS JOIN */
	}
	return MUR_OK;
}

/* A recursive WITH query (or its working table), read as it is: its terms
 * are analyzed in their own mode (analyze_recursive.c). */
static int is_recursive_cte(const sql_ctx *c, const PgQuery__RangeVar *rv)
{
	for (int k = c->nctes - 1; k >= c->cte_base && !(rv->schemaname && *rv->schemaname); k--)
		if (!strcmp(c->ctes[k].name, rv->relname))
			return c->ctes[k].recursive;
	return 0;
}

static int from_item(sql_ctx *c, sql_query *q, PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_RANGE_VAR:
		/* json_each over its column (analyze_json_srf.c), WITH RECURSIVE
		 * (analyze_recursive.c), aggregates with DISTINCT */
		if (c->gather_tables && !is_recursive_cte(c, n->range_var))
			return sql_from_gathered_table(c, q, n);
		return sql_analyze_from_table(c, q, n->range_var);
	case PG_QUERY__NODE__NODE_JOIN_EXPR:
		return join_item(c, q, n->join_expr);
	case PG_QUERY__NODE__NODE_RANGE_SUBSELECT:
		return sql_analyze_from_subselect(c, q, n->range_subselect);
	case PG_QUERY__NODE__NODE_RANGE_FUNCTION: /* analyze_srf.c */
		return sql_analyze_from_function(c, q, n->range_function);
	default:
		return unsupported(c, "this FROM item", -1);
	}
}

static int analyze_from_items(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s, int *nmerged)
{
	int nvirtual = 0, nsub = 0, nseries = 0;
	if (s->n_values_lists) /* analyze_values.c */
		return sql_analyze_values(c, q, s);
	if (sql_srf_select_list(c, q, s) != MUR_OK)
		return MUR_ERR;
	for (size_t i = 0; i < s->n_from_clause; i++)
		if (from_item(c, q, s->from_clause[i]) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->nrte; i++) {
		nvirtual += q->rtes[i].table->kind == CAT_TABLE_VIRTUAL;
		nsub += q->rtes[i].table->kind == CAT_TABLE_VIRTUAL &&
			q->rtes[i].table->name[0] == '_';
		*nmerged += q->rtes[i].merged;
		nseries += q->rtes[i].series != NULL;
	}
	/* set-returning functions of constants beside distributed tables:
	 * computed on every shard, as a reference table (sql_srf_add) */
	nvirtual -= nvirtual != q->nrte ? nseries : 0;
	int shipped = nvirtual && nvirtual != q->nrte && nsub == nvirtual ? sql_ship_subs(c, q) : 0;
	if (shipped < 0)
		return MUR_ERR;
	if (shipped) /* analyze_ship.c: those rows go to the shards */
		nvirtual = 0;
	if (nvirtual && nvirtual != q->nrte && nsub)
		return unsupported(c,
				   "joining a subquery in FROM or a WITH query that is not a plain "
				   "per-shard query with a distributed table",
				   -1);
	if (nvirtual && nvirtual != q->nrte)
		return unsupported(c, "joining murphy.* catalog tables with distributed tables",
				   -1);
	q->is_virtual = nvirtual == q->nrte && !shipped;
	return MUR_OK;
}

/* Subqueries in FROM that run shard by shard merge into q
 * (analyze_subq.c); when another one's rows must be gathered to the
 * leader (or a RIGHT / FULL JOIN would null-extend a merged one), q runs
 * there, so FROM is read again with every one gathered. */
static int analyze_from(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	int nsubs = c->nsubs, nmerged = 0, rc, distinct = q->distinct, locks = q->locks_rows;
	const char *locks_name = q->locks_name;
	int lead = sql_leader_distinct_aggs(s) && !q->locks_rows;
	if ((sql_json_srf_lateral(s) || sql_from_reads_recursive(c, s) || lead) &&
	    !q->locks_rows) { /* all on the leader */
		/* a single subquery (analyze_distinct_agg.c) is gathered as it is */
		int gather = !lead || s->n_from_clause != 1 ||
			     s->from_clause[0]->node_case != PG_QUERY__NODE__NODE_RANGE_SUBSELECT;
		PgQuery__Node *saved_where = c->gather_where;
		int saved_depth = c->gather_where_depth;
		c->gather_where = sql_from_has_outer_join(s) ? NULL : s->where_clause;
		c->gather_where_depth = c->nouter;
		c->no_merge++;
		c->gather_tables += gather;
		rc = analyze_from_items(c, q, s, &nmerged);
		c->gather_tables -= gather;
		c->no_merge--;
		c->gather_where = saved_where;
		c->gather_where_depth = saved_depth;
		return rc;
	}
	rc = analyze_from_items(c, q, s, &nmerged);
	for (int i = 0; rc != MUR_OK && i < q->nrte; i++) /* refused before it counted */
		nmerged += q->rtes[i].merged;
	if (rc == MUR_OK || !nmerged || c->no_merge)
		return rc;
	mur_error first = *c->err;
	mur_error_clear(c->err);
	sql_subq_rollback(c, nsubs);
	memset(q, 0, sizeof *q);
	q->distinct = distinct;
	q->locks_rows = locks;
	q->locks_name = locks_name;
	c->no_merge++;
	rc = analyze_from_items(c, q, s, &nmerged);
	c->no_merge--;
	if (rc != MUR_OK && !strcmp(first.sqlstate, SQLSTATE_FEATURE_NOT_SUPPORTED) &&
	    !strcmp(c->err->sqlstate, SQLSTATE_FEATURE_NOT_SUPPORTED))
		*c->err = first; /* why it was read again: the construct the user wrote */
	return rc;
}

/* ---- select list ---- */

static int add_target(sql_ctx *c, sql_query *q, sql_expr *e, const char *name, int loc)
{
	sql_target *t;
	if (q->ntarget >= SQL_TARGETS_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, loc,
			       "target lists can have at most %d entries", SQL_TARGETS_MAX);
	t = &q->targets[q->ntarget++];
	t->e = e;
	t->loc = loc;
	t->record = 0;
	snprintf(t->name, sizeof t->name, "%s", name);
	return MUR_OK;
}

/* One column of a `*`: a target, and what CREATE VIEW writes for it
 * (analyze_view_star.c; rec < 0: nothing recorded). */
static int star_target(sql_ctx *c, sql_query *q, sql_expr *e, const char *qual, const char *name,
		       int loc, int rec)
{
	if (add_target(c, q, e, name, loc) != MUR_OK)
		return MUR_ERR;
	return sql_view_star_col(c, rec, qual, name);
}

static int expand_star(sql_ctx *c, sql_query *q, PgQuery__ColumnRef *r)
{
	const char *only = NULL;
	int found = 0, rec, loc = r->location;
	if (r->n_fields == 2 && r->fields[0]->node_case == PG_QUERY__NODE__NODE_STRING)
		only = r->fields[0]->string->sval;
	if (q->nrte == 0)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, r->location,
			       "SELECT * with no tables specified is not valid");
	if ((rec = sql_view_star_begin(c, r->location)) < -1)
		return MUR_ERR;
	if (!only && q->star) { /* the order a JOIN ... USING fixed */
		if (sql_using_star(c, q) != MUR_OK)
			return MUR_ERR;
		for (int i = 0; i < q->nstar; i++)
			if (star_target(c, q, q->star[i].e, q->star[i].qual, q->star[i].name, loc,
					rec) != MUR_OK)
				return MUR_ERR;
		return MUR_OK;
	}
	if (only && (found = sql_view_find(q, only)) >= 0 && q->views[found].first_rte < 0) {
		const sql_view *w = &q->views[found]; /* JOIN ... USING (c) AS only */
		for (int k = 0; k < w->ncols; k++)
			if (star_target(c, q, w->cols[k].e, only, w->cols[k].name, loc, rec) !=
			    MUR_OK)
				return MUR_ERR;
		return MUR_OK;
	}
	found = 0;
	for (int i = 0; i < q->nrte; i++) {
		const cat_table *t = q->rtes[i].table;
		int v = sql_view_at(q, i);
		if (v >= 0 && (!only || !strcmp(only, q->views[v].alias))) {
			found = 1;
			for (int k = 0; k < q->views[v].ncols; k++)
				if (star_target(c, q, q->views[v].cols[k].e, q->views[v].alias,
						q->views[v].cols[k].name, loc, rec) != MUR_OK)
					return MUR_ERR;
		}
		if (q->rtes[i].merged || (only && strcmp(only, q->rtes[i].alias)))
			continue;
		found = 1;
		for (int k = 0; k < t->ncols; k++) {
			sql_expr *e;
			if (t->cols[k].hidden)
				continue;
			e = sql_expr_new(c, SE_COLUMN, t->cols[k].type, r->location);
			if (!e)
				return MUR_ERR;
			e->rte = i;
			e->col = k;
			e->typmod = t->cols[k].typmod;
			if (star_target(c, q, e, q->rtes[i].alias, t->cols[k].name, loc, rec) !=
			    MUR_OK)
				return MUR_ERR;
		}
	}
	if (!found)
		return sql_err(c, SQLSTATE_UNDEFINED_TABLE, r->location,
			       "missing FROM-clause entry for table \"%s\"", only);
	return MUR_OK;
}

static int is_star(PgQuery__Node *n)
{
	return n->node_case == PG_QUERY__NODE__NODE_COLUMN_REF &&
	       n->column_ref->fields[n->column_ref->n_fields - 1]->node_case ==
		       PG_QUERY__NODE__NODE_A_STAR;
}

/* Target t as GROUP BY, ORDER BY or DISTINCT uses it: an untyped literal
 * left unknown for later (targets_typed_later) is text from here on, as
 * PostgreSQL's addTargetToSortList makes it.  NULL on error. */
static sql_expr *sort_target(sql_ctx *c, sql_query *q, int t)
{
	sql_target *x = &q->targets[t];
	return x->e->type == MT_UNKNOWN ? (x->e = sql_resolve_unknown(c, x->e)) : x->e;
}

static int analyze_targets(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	if (s->n_values_lists) /* the VALUES table's columns (analyze_values.c) */
		return MUR_OK;
	q->targets = sql_alloc(c, sizeof(sql_target) * SQL_TARGETS_MAX);
	if (!q->targets)
		return MUR_ERR;
	c->agg_ok = 1;
	for (size_t i = 0; i < s->n_target_list; i++) {
		PgQuery__ResTarget *rt = s->target_list[i]->res_target;
		sql_expr *e;
		if (is_star(rt->val)) {
			if (expand_star(c, q, rt->val->column_ref) != MUR_OK)
				return MUR_ERR;
			continue;
		}
		c->row_text_ref = c->record_here ? sql_record_mark(rt->val) : NULL;
		c->row_text_hit = 0;
		e = sql_analyze_expr(c, rt->val);
		c->row_text_ref = NULL;
		/* INSERT ... SELECT NULL, '2024-01-01': the target column types
		 * them, as in PostgreSQL (sql/plan_dml.c insert_select) */
		if (!e || (!c->targets_typed_later && !(e = sql_resolve_unknown(c, e))))
			return MUR_ERR;
		if (add_target(c, q, e, (rt->name && *rt->name) ? rt->name : sql_colname(rt->val),
			       rt->location) != MUR_OK)
			return MUR_ERR;
		q->targets[q->ntarget - 1].record = c->row_text_hit;
		c->row_text_hit = 0;
	}
	for (int i = 0; q->distinct && i < q->ntarget; i++) /* SELECT DISTINCT NULL: text */
		if (!sort_target(c, q, i))
			return MUR_ERR;
	return MUR_OK;
}

/* ---- GROUP BY / ORDER BY ---- */

static int position_ref(PgQuery__Node *n)
{
	if (n->node_case == PG_QUERY__NODE__NODE_A_CONST &&
	    n->a_const->val_case == PG_QUERY__A__CONST__VAL_IVAL)
		return n->a_const->ival->ival;
	return 0;
}

static const char *bare_name(PgQuery__Node *n)
{
	if (n->node_case != PG_QUERY__NODE__NODE_COLUMN_REF || n->column_ref->n_fields != 1 ||
	    n->column_ref->fields[0]->node_case != PG_QUERY__NODE__NODE_STRING)
		return NULL;
	return n->column_ref->fields[0]->string->sval;
}

static int name_in_from(const sql_query *q, const char *name)
{
	int nview = 0;
	for (int i = 0; i < q->nrte; i++)
		if (!q->rtes[i].merged && cat_column_index(q->rtes[i].table, name) >= 0)
			return 1;
	return sql_view_column(q, NULL, name, &nview) != NULL;
}

static int target_by_name(sql_ctx *c, const sql_query *q, const char *name, int loc)
{
	int found = -1;
	for (int i = 0; i < q->ntarget; i++) {
		if (strcmp(q->targets[i].name, name))
			continue;
		if (found >= 0 && !sql_expr_equal(q->targets[found].e, q->targets[i].e))
			return sql_err(c, SQLSTATE_AMBIGUOUS_COLUMN, loc,
				       "ORDER BY \"%s\" is ambiguous", name),
			       -2;
		if (found < 0)
			found = i;
	}
	return found;
}

sql_expr *sql_analyze_group_item(sql_ctx *c, sql_query *q, PgQuery__Node *n)
{
	int pos = position_ref(n);
	const char *name = bare_name(n);
	if (pos) {
		if (pos < 1 || pos > q->ntarget) {
			sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, n->a_const->location,
				"GROUP BY position %d is not in select list", pos);
			return NULL;
		}
		if (sql_expr_has_agg(q->targets[pos - 1].e)) {
			sql_err(c, SQLSTATE_GROUPING_ERROR, n->a_const->location,
				"aggregate functions are not allowed in GROUP BY");
			return NULL;
		}
		return sort_target(c, q, pos - 1);
	}
	if (name && !name_in_from(q, name)) {
		int t = target_by_name(c, q, name, n->column_ref->location);
		if (t >= 0 && !sql_expr_has_agg(q->targets[t].e)) {
			sql_view_ref_note(c, n->column_ref->location, NULL, -2,
					  NULL); /* an output */
			return sort_target(c, q, t);
		}
	}
	c->agg_ok = 0;
	c->agg_where = "GROUP BY";
	return sql_resolve_unknown(c, sql_analyze_expr(c, n));
}

static int analyze_group(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	if (s->n_group_clause > SQL_GROUP_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy supports at most %d GROUP BY expressions", SQL_GROUP_MAX);
	for (size_t i = 0; i < s->n_group_clause; i++) {
		PgQuery__Node *n = s->group_clause[i];
		sql_expr *e;
		if (n->node_case == PG_QUERY__NODE__NODE_GROUPING_SET)
			return sql_analyze_grouping_sets(c, q, s); /* analyze_grouping.c */
		if (!(e = sql_analyze_group_item(c, q, n)) || sql_json_check_key(c, e, 0) != MUR_OK)
			return MUR_ERR;
		q->group[q->ngroup++] = e;
	}
	return MUR_OK;
}

int sql_analyze_sort_item(sql_ctx *c, sql_query *q, PgQuery__SortBy *sb, sql_sort *out)
{
	int pos = position_ref(sb->node), t = -1;
	const char *name = bare_name(sb->node);
	if (sql_sort_order(c, sb, &out->desc, &out->nulls_first) != MUR_OK)
		return MUR_ERR;
	if (pos) {
		if (pos < 1 || pos > q->ntarget)
			return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE,
				       sb->node->a_const->location,
				       "ORDER BY position %d is not in select list", pos);
		t = pos - 1;
	} else if (name && (t = target_by_name(c, q, name, sb->location)) == -2) {
		return MUR_ERR;
	}
	if (t >= 0) {
		if (name) /* an output's name: not a table's column */
			sql_view_ref_note(c, sb->node->column_ref->location, NULL, -2, NULL);
		out->e = sort_target(c, q, t);
		out->target = t;
		return out->e ? MUR_OK : MUR_ERR;
	}
	c->agg_ok = 1;
	out->e = sql_resolve_unknown(c, sql_analyze_expr(c, sb->node));
	if (!out->e)
		return MUR_ERR;
	out->target = -1;
	for (int i = 0; i < q->ntarget; i++)
		if (sql_expr_equal(q->targets[i].e, out->e))
			out->target = i;
	if (out->target < 0 && q->distinct)
		return sql_err(c, SQLSTATE_INVALID_COLUMN_REFERENCE, sb->location,
			       "for SELECT DISTINCT, ORDER BY expressions must appear in select "
			       "list");
	return MUR_OK;
}

static int analyze_sort(sql_ctx *c, sql_query *q, PgQuery__SelectStmt *s)
{
	if (s->n_sort_clause > SQL_SORT_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy supports at most %d ORDER BY expressions", SQL_SORT_MAX);
	for (size_t i = 0; i < s->n_sort_clause; i++)
		if (sql_analyze_sort_item(c, q, s->sort_clause[i]->sort_by,
					  &q->sorts[q->nsort++]) != MUR_OK ||
		    sql_json_check_key(c, q->sorts[q->nsort - 1].e, 1) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

sql_expr *sql_analyze_limit(sql_ctx *c, PgQuery__Node *n, const char *what)
{
	sql_expr *e;
	if (!n || (n->node_case == PG_QUERY__NODE__NODE_A_CONST && n->a_const->isnull))
		return NULL;
	c->agg_ok = 0;
	c->agg_where = what;
	e = sql_analyze_expr(c, n);
	if (e && !sql_expr_is_const(e)) {
		sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, e->loc,
			"murphy supports only constants and parameters in %s", what);
		return NULL;
	}
	return e ? sql_coerce(c, e, MT_INT8, NULL) : NULL;
}

/* ---- grouping check ---- */

/* 1 when q groups by every column of the primary key of rte's table, a
 * catalog table read as itself: each group is then one row of it, and
 * PostgreSQL lets its other columns be read ungrouped (functionally
 * dependent on the key; check_functional_grouping).  Not through a view
 * or a subquery (merged: its columns are the subquery's), nor for a
 * UNIQUE that is not the primary key, nor under GROUPING SETS: as
 * PostgreSQL. */
static int key_grouped(const sql_query *q, int rte)
{
	const sql_rte *r = &q->rtes[rte];
	int nkey = 0;
	if (q->ngsets || r->merged || !r->table || r->table->kind == CAT_TABLE_VIRTUAL)
		return 0;
	for (int col = 0; col < r->table->ncols; col++) {
		int grouped = 0;
		if (!r->table->cols[col].primary_key)
			continue;
		nkey++;
		for (int i = 0; i < q->ngroup && !grouped; i++)
			grouped = q->group[i]->kind == SE_COLUMN && q->group[i]->rte == rte &&
				  q->group[i]->col == col;
		if (!grouped)
			return 0;
	}
	return nkey > 0;
}

/* 42803 naming e's column as PostgreSQL does: a merged subquery's or
 * view's by its name there (v.a), at the select-list item reading it (loc;
 * e's own location is in the subquery's text), else the table's. */
static int not_grouped(sql_ctx *c, const sql_query *q, const sql_expr *e, int loc)
{
	const sql_rte *r = &q->rtes[e->rte];
	const char *rel = r->alias, *col = r->table->cols[e->col].name;
	for (int v = 0; r->merged && v < q->nview; v++)
		for (int k = 0; k < q->views[v].ncols; k++)
			if (sql_expr_equal(q->views[v].cols[k].e, e)) {
				rel = q->views[v].alias;
				col = q->views[v].cols[k].name;
				v = q->nview - 1;
				break;
			}
	return sql_err(c, SQLSTATE_GROUPING_ERROR, r->merged && loc >= 0 ? loc : e->loc,
		       "column \"%s.%s\" must appear in the GROUP BY clause or be used in an "
		       "aggregate function",
		       rel, col);
}

/* e is grouped, an aggregate, or made of such; loc: the select-list item
 * it is in (-1: none). */
static int check_grouped(sql_ctx *c, sql_query *q, const sql_expr *e, int loc)
{
	if (!e || e->kind == SE_AGG)
		return MUR_OK;
	for (int i = 0; i < q->ngroup; i++)
		if (sql_expr_equal(q->group[i], e))
			return MUR_OK;
	if (e->kind == SE_COLUMN && key_grouped(q, e->rte) && q->ngroup < SQL_GROUP_MAX) {
		/* grouped by it too: one value per group, and every strategy
		 * downstream reads it as a key */
		q->group[q->ngroup++] = (sql_expr *)e;
		return MUR_OK;
	}
	if (e->kind == SE_COLUMN)
		return not_grouped(c, q, e, loc);
	for (int i = 0; i < e->nargs; i++)
		if (check_grouped(c, q, e->args[i], loc) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}

static int check_grouping(sql_ctx *c, sql_query *q)
{
	if (!q->has_agg)
		return MUR_OK;
	for (int i = 0; i < q->ntarget; i++)
		if (check_grouped(c, q, q->targets[i].e, q->targets[i].loc) != MUR_OK)
			return MUR_ERR;
	for (int i = 0; i < q->nsort; i++)
		if (check_grouped(c, q, q->sorts[i].e, -1) != MUR_OK)
			return MUR_ERR;
	return check_grouped(c, q, q->having, -1);
}

static int analyze_where(sql_ctx *c, sql_query *q, PgQuery__Node *w)
{
	sql_expr *e;
	if (!w)
		return MUR_OK;
	c->agg_ok = 0;
	c->agg_where = "WHERE";
	e = sql_analyze_expr(c, w);
	if (!e || !(e = sql_coerce(c, e, MT_BOOL, NULL)))
		return MUR_ERR;
	if (e->type != MT_BOOL)
		return sql_err(c, SQLSTATE_DATATYPE_MISMATCH, e->loc,
			       "argument of WHERE must be type boolean, not type %s",
			       sql_type_name(e->type));
	/* merged subqueries in FROM put their WHERE first (analyze_subq.c) */
	q->where = sql_and(c, q->where, e);
	return q->where ? MUR_OK : MUR_ERR;
}

static int analyze_having(sql_ctx *c, sql_query *q, PgQuery__Node *h)
{
	sql_expr *e;
	if (!h)
		return MUR_OK;
	c->agg_ok = 1;
	c->agg_where = "HAVING";
	e = sql_analyze_expr(c, h);
	if (!e || !(e = sql_coerce(c, e, MT_BOOL, NULL)))
		return MUR_ERR;
	q->having = e;
	return MUR_OK;
}

/* The command PostgreSQL names after s's first locking clause (NULL:
 * none), as a READ ONLY block refuses it. */
static const char *locking_name(const PgQuery__SelectStmt *s)
{
	const PgQuery__Node *n = s->n_locking_clause ? s->locking_clause[0] : NULL;
	if (!n || n->node_case != PG_QUERY__NODE__NODE_LOCKING_CLAUSE)
		return NULL;
	switch (n->locking_clause->strength) {
	case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORKEYSHARE:
		return "SELECT FOR KEY SHARE";
	case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORSHARE:
		return "SELECT FOR SHARE";
	case PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORNOKEYUPDATE:
		return "SELECT FOR NO KEY UPDATE";
	default:
		return "SELECT FOR UPDATE";
	}
}

/* FOR UPDATE OF name, ...: each name a table or subquery of FROM (42P01
 * otherwise, as PostgreSQL; murphy locks every row the statement reads,
 * so the list only has to name what is there); a join's alias, (a JOIN b)
 * AS x or JOIN ... USING (c) AS x, is 0A000, as in PostgreSQL. */
static int check_locked_rels(sql_ctx *c, const sql_query *q, const PgQuery__SelectStmt *s)
{
	for (size_t i = 0; i < s->n_locking_clause; i++) {
		const PgQuery__Node *n = s->locking_clause[i];
		if (n->node_case != PG_QUERY__NODE__NODE_LOCKING_CLAUSE)
			continue;
		for (size_t k = 0; k < n->locking_clause->n_locked_rels; k++) {
			const PgQuery__Node *r = n->locking_clause->locked_rels[k];
			const char *name = r->node_case == PG_QUERY__NODE__NODE_RANGE_VAR
						   ? r->range_var->relname
						   : NULL;
			int v = name ? sql_view_find(q, name) : -1, found = v >= 0;
			for (int t = 0; name && t < q->nrte && !found; t++)
				found = !q->rtes[t].merged && !strcmp(q->rtes[t].alias, name);
			if (!name || !found)
				return sql_err(c, SQLSTATE_UNDEFINED_TABLE, -1,
					       "relation \"%s\" in %s clause not found in FROM "
					       "clause",
					       name ? name : "?", locking_name(s) + 7);
			if (v >= 0 && (q->views[v].first_rte < 0 || q->views[v].join))
				return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
					       "%s cannot be applied to a join",
					       locking_name(s) + 7);
		}
	}
	return MUR_OK;
}

/* The strongest of s's locking clauses (sql_lock_rows). */
static sql_lock_rows locking_strength(const PgQuery__SelectStmt *s)
{
	sql_lock_rows out = SQL_LOCK_ROWS_NONE;
	for (size_t i = 0; i < s->n_locking_clause; i++) {
		const PgQuery__Node *n = s->locking_clause[i];
		int shares = n->node_case == PG_QUERY__NODE__NODE_LOCKING_CLAUSE &&
			     (n->locking_clause->strength ==
				      PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORSHARE ||
			      n->locking_clause->strength ==
				      PG_QUERY__LOCK_CLAUSE_STRENGTH__LCS_FORKEYSHARE);
		if (!shares)
			return SQL_LOCK_ROWS_UPDATE;
		out = SQL_LOCK_ROWS_SHARE;
	}
	return out;
}

sql_query *sql_analyze_select(sql_ctx *c, PgQuery__SelectStmt *s)
{
	sql_query *q = sql_alloc(c, sizeof *q), *saved = c->q;
	PgQuery__Node **saved_windows = c->window_clause;
	size_t saved_nwindows = c->n_window_clause;
	int rc, ctes = c->nctes, record_here = c->record_here;
	if (!q || sql_check_unsupported_select(c, s) != MUR_OK)
		return NULL;
	c->record_here = s == c->record_top;
	c->record_top = NULL; /* its subqueries, WITH queries: not it */
	if (s->with_clause && sql_with_push(c, s->with_clause, &ctes) != MUR_OK)
		return NULL;
	s = sql_lateral_rewrite(c, s);      /* a plain LATERAL subquery: flattened */
	s = sql_lateral_topn_rewrite(c, s); /* LATERAL top-N, aggregates, LEFT JOIN */
	s = sql_semifrom_rewrite(c, s);     /* a table that only filters: an IN set */
	s = sql_distinct_agg_rewrite(c, s); /* sum(DISTINCT x): FROM (SELECT * ...) */
	c->q = q;
	c->seen_agg = 0;
	c->window_clause = s->window_clause;
	c->n_window_clause = s->n_window_clause;
	q->distinct = s->n_distinct_clause > 0 &&
		      s->distinct_clause[0]->node_case == PG_QUERY__NODE__NODE__NOT_SET;
	q->grouped_written = s->n_group_clause > 0 || s->having_clause;
	q->locks_rows = locking_strength(s);
	q->locks_name = locking_name(s);
	rc = sql_analyze_window_clause(c);
	if (rc == MUR_OK)
		rc = analyze_from(c, q, s);
	if (rc == MUR_OK && s->n_locking_clause)
		rc = check_locked_rels(c, q, s);
	if (rc == MUR_OK)
		rc = analyze_where(c, q, s->where_clause);
	c->win_ok = 1; /* window functions: select list and ORDER BY only */
	if (rc == MUR_OK)
		rc = analyze_targets(c, q, s);
	c->record_here = 0; /* the rest of it: no whole row */
	c->win_ok = 0;
	if (rc == MUR_OK)
		rc = analyze_group(c, q, s);
	if (rc == MUR_OK)
		rc = analyze_having(c, q, s->having_clause);
	c->win_ok = 1;
	if (rc == MUR_OK)
		rc = analyze_sort(c, q, s);
	c->win_ok = 0;
	if (rc == MUR_OK)
		rc = sql_analyze_distinct_on(c, q, s);
	if (rc == MUR_OK)
		rc = sql_record_check(c, q);
	if (rc == MUR_OK) {
		q->limit = sql_analyze_limit(c, s->limit_count, "LIMIT");
		q->offset = mur_error_is_set(c->err)
				    ? NULL
				    : sql_analyze_limit(c, s->limit_offset, "OFFSET");
		rc = mur_error_is_set(c->err) ? MUR_ERR : MUR_OK;
	}
	q->has_agg = q->ngroup > 0 || c->seen_agg || q->having;
	if (rc == MUR_OK && q->unnest)
		rc = sql_unnest_check(c, q, 0);
	if (rc == MUR_OK)
		rc = sql_resolve_grouping(c, q);
	if (rc == MUR_OK)
		rc = check_grouping(c, q);
	c->q = saved;
	c->record_here = record_here;
	c->window_clause = saved_windows;
	c->n_window_clause = saved_nwindows;
	sql_with_pop(c, ctes);
	return rc == MUR_OK ? q : NULL;
}
