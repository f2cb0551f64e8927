/*
 * lift.c — a statement's integer literals as parameters (parser.h:
 * sql_lift_scan, sql_parse_lift), for the plan cache (sql/plan_cache.c).
 *
 * pgbench's statements, and most clients' simple queries, differ only in
 * their integer literals.  sql_lift_scan reads a text with parse_cache.c's
 * scan (its rules: what it does not fully understand is not lifted) and
 * makes its key: the text with each integer literal written as one byte
 * 0x01, so texts whose numbers differ in value, length or sign of the
 * digits share one key (a '-' before a number stays in the key: it is a
 * token).  A ';' that ends the text is left out of the key (l->len: the
 * statement's length without it, as sql_split cuts it).  sql_parse_lift parses the text and turns each literal's
 * A_Const into ParamRef $k (k = its order in the text), in place, when
 * every one of them sits where an int4 parameter means what the literal
 * means:
 *
 *   - an operand of an operator (A_Expr of kind OP: aid = 5, x + -3);
 *   - a value of an INSERT's VALUES rows (VALUES (1, 2), (3, 4));
 *   - a value an UPDATE's SET assigns (SET n = 5).
 *
 * A literal anywhere else (LIMIT 5, ORDER BY 1, GROUP BY 1, a type's
 * typmod, a function's argument, CASE, IN lists, casts) is not lifted, and
 * then none is: the statement is planned as it is, every time.  Only
 * SELECT, INSERT, UPDATE, DELETE and transaction statements (BEGIN, END)
 * are lifted; EXPLAIN and utility statements never.  An integer literal
 * of the text is an int4 constant (parse_cache.c's scan keeps only those
 * that fit int32), so the parameters are typed int4 (sql/plan_cache.c).
 * A literal "- 5" that the grammar folds into the constant -5 is a
 * parameter holding -5 (negated[k]).
 */
#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/parser_int.h"
#include "parser/pwalk.h"

#include <ctype.h>
#include <string.h>

int sql_lift_scan(const char *sql, sql_lift *l)
{
	sql_pcache_probe p;
	size_t at = 0, o = 0;
	uint64_t h = 14695981039346656037ull;
	size_t len;
	if (strchr(sql, '$') || !sql_pcache_scan(sql, &p))
		return 0; /* $1 (not ours to lift), or text the scan does not read */
	len = p.len;      /* up to the ';' that ends it, if one does: the statement */
	for (size_t i = p.len; i > 0 && (isspace((unsigned char)sql[i - 1]) || sql[i - 1] == ';');
	     i--)
		if (sql[i - 1] == ';')
			len = i - 1;
	for (int k = 0; k <= p.nslots; k++) {
		size_t end = k < p.nslots ? p.off[k] : len;
		memcpy(l->key + o, sql + at, end - at);
		o += end - at;
		if (k < p.nslots) {
			l->key[o++] = '\x01';
			l->val[k] = p.val[k];
			at = p.off[k] + p.slot_len[k];
		}
	}
	for (size_t i = 0; i < o; i++)
		h = (h ^ (unsigned char)l->key[i]) * 1099511628211ull;
	l->key_len = o;
	l->len = len;
	l->hash = h;
	l->n = p.nslots;
	return 1;
}

/* Where a Node of the tree sits, as far as lifting cares. */
enum { AT_OTHER, AT_OPERAND, AT_SET_LIST, AT_INSERT_SELECT, AT_VALUES };

typedef struct lift_walk {
	const sql_pcache_probe *p;
	PgQuery__Node *slot[SQL_PCACHE_SLOTS_MAX]; /* the A_Const Node of each slot */
	uint8_t *negated;
	int bad; /* a slot's A_Const where a parameter may mean another thing */
} lift_walk;

/* The place a child reached through field f of m has. */
static int child_at(const ProtobufCMessage *m, int at, const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	if (d == &pg_query__a__expr__descriptor)
		return ((const PgQuery__AExpr *)m)->kind == PG_QUERY__A__EXPR__KIND__AEXPR_OP &&
				       (!strcmp(f->name, "lexpr") || !strcmp(f->name, "rexpr"))
			       ? AT_OPERAND
			       : AT_OTHER;
	if (d == &pg_query__update_stmt__descriptor)
		return !strcmp(f->name, "target_list") ? AT_SET_LIST : AT_OTHER;
	if (d == &pg_query__res_target__descriptor)
		return at == AT_SET_LIST && !strcmp(f->name, "val") ? AT_OPERAND : AT_OTHER;
	if (d == &pg_query__insert_stmt__descriptor)
		return !strcmp(f->name, "select_stmt") ? AT_INSERT_SELECT : AT_OTHER;
	if (d == &pg_query__select_stmt__descriptor)
		return at == AT_INSERT_SELECT && !strcmp(f->name, "values_lists") ? AT_VALUES
										  : AT_OTHER;
	if (d == &pg_query__list__descriptor)
		return at == AT_VALUES ? AT_OPERAND : AT_OTHER;
	return AT_OTHER;
}

/* The slot whose literal an A_Const at loc holding v is (its digits, or
 * the '-' the grammar folded in front of them), else -1. */
static int slot_of(const lift_walk *w, int32_t loc, int64_t v, int *negated)
{
	const sql_pcache_probe *p = w->p;
	for (int k = 0; k < p->nslots; k++) {
		if ((int32_t)p->off[k] == loc && v == p->val[k]) {
			*negated = 0;
			return k;
		}
		if (v == -(int64_t)p->val[k] && loc < (int32_t)p->off[k] && p->sql[loc] == '-') {
			int32_t i = loc + 1;
			while (i < (int32_t)p->off[k] && isspace((unsigned char)p->sql[i]))
				i++;
			if (i == (int32_t)p->off[k]) {
				*negated = 1;
				return k;
			}
		}
	}
	return -1;
}

static void note_const(PgQuery__Node *node, int at, lift_walk *w)
{
	const PgQuery__AConst *a = node->a_const;
	int neg = 0, k;
	if (a->val_case != PG_QUERY__A__CONST__VAL_IVAL || !a->ival)
		return; /* a string, float, bit string, NULL, boolean: in the key */
	k = slot_of(w, a->location, a->ival->ival, &neg);
	if (k < 0)
		return; /* an integer the scan left in the key (past int32) */
	if (at != AT_OPERAND || w->slot[k]) {
		w->bad = 1;
		return;
	}
	w->slot[k] = node;
	w->negated[k] = (uint8_t)neg;
}

/* Every A_Const Node of the tree, with the place it sits: a message's
 * place (its mark) comes from its parent's field, a Node is only a
 * wrapper (its child has its place). */
static sql_pt_next visit(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	lift_walk *w = arg;
	const sql_pt_at *up = at->up;
	if (!up)
		at->mark = AT_OTHER;
	else if (up->m->descriptor == &pg_query__node__descriptor)
		at->mark = up->mark;
	else
		at->mark = child_at(up->m, up->mark, at->field);
	if (m->descriptor != &pg_query__a__const__descriptor || !up ||
	    up->m->descriptor != &pg_query__node__descriptor)
		return SQL_PT_INTO;
	note_const((PgQuery__Node *)up->m, at->mark, w);
	return w->bad ? SQL_PT_STOP : SQL_PT_SKIP;
}

/* 1 when the statement is of a kind whose literals are lifted. */
static int liftable_kind(const PgQuery__ParseResult *r)
{
	if (r->n_stmts != 1 || !r->stmts[0]->stmt)
		return 0;
	switch (r->stmts[0]->stmt->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT:
	case PG_QUERY__NODE__NODE_INSERT_STMT:
	case PG_QUERY__NODE__NODE_UPDATE_STMT:
	case PG_QUERY__NODE__NODE_DELETE_STMT:
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return 1;
	default:
		return 0;
	}
}

int sql_parse_lift(const char *sql, const sql_lift *l, sql_tree **tree, uint8_t *negated,
		   mur_error *err)
{
	sql_pcache_probe p;
	lift_walk w = {.p = &p, .negated = negated};
	PgQuery__ParseResult *r;
	int rc = sql_parse(sql, tree, err);
	if (rc != MUR_OK)
		return rc;
	r = sql_tree_result(*tree);
	if (!liftable_kind(r) || !sql_pcache_scan(sql, &p) || p.nslots != l->n)
		return SQL_LIFT_NONE;
	sql_pt_walk(&r->base, visit, &w);
	for (int k = 0; k < p.nslots && !w.bad; k++)
		w.bad = w.slot[k] == NULL; /* an integer in no A_Const: float(24), a typmod */
	if (w.bad)
		return SQL_LIFT_NONE;
	for (int k = 0; k < p.nslots; k++) {
		PgQuery__ParamRef *pr = sql_tree_alloc(*tree, sizeof *pr);
		if (!pr)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"),
			       MUR_ENOMEM;
		pg_query__param_ref__init(pr);
		pr->number = k + 1;
		pr->location = w.slot[k]->a_const->location;
		w.slot[k]->node_case = PG_QUERY__NODE__NODE_PARAM_REF;
		w.slot[k]->param_ref = pr;
	}
	return MUR_OK;
}
