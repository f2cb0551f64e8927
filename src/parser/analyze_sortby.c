/*
 * analyze_sortby.c — the direction of one ORDER BY item (a query's, a
 * window's, an ordered aggregate's): ASC / DESC, NULLS FIRST / LAST and
 * PostgreSQL's ORDER BY x USING op.
 *
 * USING names the ordering operator of a btree family: `<` sorts as ASC,
 * `>` as DESC (NULLS FIRST by default, as DESC: PostgreSQL takes the
 * default from whether the operator is its family's "greater than").  Every
 * murphy type orders by `<` and `>`; any other operator is refused with
 * 0A000 naming it.
 */
#include "parser/analyze.h"

#include <string.h>

/* The operator of USING: its last name (pg_catalog.< is <); NULL if none. */
static const char *using_op(const PgQuery__SortBy *sb)
{
	const PgQuery__Node *n = sb->n_use_op ? sb->use_op[sb->n_use_op - 1] : NULL;
	return n && n->node_case == PG_QUERY__NODE__NODE_STRING ? n->string->sval : NULL;
}

int sql_sort_order(sql_ctx *c, const PgQuery__SortBy *sb, int *desc, int *nulls_first)
{
	*desc = sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_DESC;
	if (sb->sortby_dir == PG_QUERY__SORT_BY_DIR__SORTBY_USING) {
		const char *op = using_op(sb);
		if (!op || (strcmp(op, "<") && strcmp(op, ">")))
			return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, sb->location,
				       "murphy does not support ORDER BY ... USING %s (only USING "
				       "< "
				       "and USING >)",
				       op ? op : "?");
		*desc = !strcmp(op, ">");
	}
	*nulls_first = sb->sortby_nulls == PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_FIRST ||
		       (*desc && sb->sortby_nulls != PG_QUERY__SORT_BY_NULLS__SORTBY_NULLS_LAST);
	return MUR_OK;
}
