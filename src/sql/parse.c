/*
 * parse.c — the front door of the SQL front end: sql_split, sql_prepare,
 * plan_free, and the helpers every analyzer uses (errors with positions,
 * arena allocation).
 *
 * sql_prepare: libpg_query parses the text into a protobuf tree
 * (pg_query_parse_protobuf + unpack), after depth.c's checks that the
 * nesting cannot overflow the stack; sql_plan_statement dispatches on the
 * statement node to plan_*.c.  The protobuf tree is freed before returning;
 * everything the plan keeps is copied into the plan's arena.
 */
#include "sql/sql.h"
#include "sql/sqlInt.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sql_pos(const sql_ctx *c, int loc)
{
	int chars = 0;
	if (loc < 0 || !c->sql)
		return 0;
	for (int i = 0; i < loc && c->sql[i]; i++)
		if (((unsigned char)c->sql[i] & 0xC0) != 0x80)
			chars++;
	return chars + 1;
}

int sql_err(sql_ctx *c, const char *state, int loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mur_error_setv(c->err, state, fmt, ap);
	va_end(ap);
	if (c->err)
		c->err->position = sql_pos(c, loc);
	return MUR_ERR;
}

int sql_err_oom(sql_ctx *c)
{
	mur_error_set(c->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return MUR_ENOMEM;
}

void *sql_alloc(sql_ctx *c, size_t n)
{
	void *p = sql_arena_alloc(c->arena, n);
	if (!p)
		sql_err_oom(c);
	return p;
}

char *sql_strdup(sql_ctx *c, const char *s)
{
	char *p = sql_arena_strdup(c->arena, s ? s : "");
	if (!p)
		sql_err_oom(c);
	return p;
}

plan *sql_plan_new(sql_ctx *c, plan_kind kind, const char *tag)
{
	plan *p = sql_alloc(c, sizeof *p);
	if (!p)
		return NULL;
	p->kind = kind;
	p->tag = tag;
	p->arena = NULL; /* only the outermost plan owns the arena */
	return p;
}

void plan_free(plan *p)
{
	if (p && p->arena)
		sql_arena_destroy(p->arena);
}

/* ---- sql_split ---- */

static int is_blank_stmt(const char *s, int len)
{
	for (int i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]) && s[i] != ';')
			return 0;
	return 1;
}

/* libpg_query reports every error without its SQLSTATE: a syntax error,
 * except the scanner's check that a literal's escapes (E'\\000',
 * E'\\xff') make valid UTF-8, which PostgreSQL reports as 22021. */
static const char *parse_error_state(const char *message)
{
	static const char bad_encoding[] = "invalid byte sequence for encoding";
	if (strncmp(message, bad_encoding, sizeof bad_encoding - 1) == 0)
		return SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE;
	return SQLSTATE_SYNTAX_ERROR;
}

/* Copy the pieces [pieces[2i], pieces[2i+1]) of sql into *stmts (malloc'd
 * array of malloc'd strings), dropping blank ones. */
static int split_copy(const char *sql, const size_t *pieces, size_t npieces, int *n,
		      char ***stmts, mur_error *err)
{
	char **out = calloc(npieces + 1, sizeof *out);
	int k = 0;
	if (!out)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	for (size_t i = 0; i < npieces; i++) {
		size_t off = pieces[2 * i], len = pieces[2 * i + 1] - off;
		while (len > 0 && isspace((unsigned char)sql[off])) {
			off++;
			len--;
		}
		if (is_blank_stmt(sql + off, (int)len))
			continue;
		out[k] = strndup(sql + off, len);
		if (!out[k]) {
			for (int j = 0; j < k; j++)
				free(out[j]);
			free(out);
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
		}
		k++;
	}
	*n = k;
	*stmts = out;
	return MUR_OK;
}

/* Pieces of a long text: cut after each ';' depth.c's scan finds (outside
 * quotes and comments), without parsing it on the loop thread. *pieces
 * malloc'd. */
static int pieces_long(const char *sql, size_t total, size_t **pieces, size_t *npieces,
		       mur_error *err)
{
	size_t *semis = NULL, nsemis = 0, *pc;
	int rc = sql_depth_split_text(sql, &semis, &nsemis, err);
	if (rc != MUR_OK)
		return rc;
	pc = malloc((nsemis + 1) * 2 * sizeof *pc);
	if (!pc) {
		free(semis);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	}
	for (size_t i = 0; i <= nsemis; i++) {
		pc[2 * i] = i == 0 ? 0 : semis[i - 1] + 1;
		pc[2 * i + 1] = i == nsemis ? total : semis[i];
	}
	free(semis);
	*pieces = pc;
	*npieces = nsemis + 1;
	return MUR_OK;
}

/* Pieces as libpg_query's parser splits them. *pieces malloc'd. */
static int pieces_parsed(const char *sql, size_t total, size_t **pieces, size_t *npieces,
			 mur_error *err)
{
	PgQuerySplitResult r;
	size_t *pc;
	/* bison keeps no stack for 1+1+...: without this the statement is
	 * parsed whole here only to be refused by sql_prepare */
	if (sql_depth_check_text(sql, err) != MUR_OK)
		return MUR_ERR;
	r = pg_query_split_with_parser(sql);
	if (r.error) {
		mur_error_set_pos(err, parse_error_state(r.error->message), r.error->cursorpos,
				  "%s", r.error->message);
		pg_query_free_split_result(r);
		return MUR_ERR;
	}
	pc = malloc(((size_t)r.n_stmts + 1) * 2 * sizeof *pc);
	if (!pc) {
		pg_query_free_split_result(r);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	}
	for (int i = 0; i < r.n_stmts; i++) {
		size_t off = (size_t)r.stmts[i]->stmt_location, len = (size_t)r.stmts[i]->stmt_len;
		pc[2 * i] = off;
		pc[2 * i + 1] = len == 0 ? total : off + len;
	}
	*npieces = (size_t)r.n_stmts;
	*pieces = pc;
	pg_query_free_split_result(r);
	return MUR_OK;
}

int sql_split(const char *sql, int *n, char ***stmts, mur_error *err)
{
	size_t total = strlen(sql), *pieces = NULL, npieces = 0;
	int rc;
	*n = 0;
	*stmts = NULL;
	rc = total >= SQL_SPLIT_SCAN_BYTES ? pieces_long(sql, total, &pieces, &npieces, err)
					   : pieces_parsed(sql, total, &pieces, &npieces, err);
	if (rc == MUR_OK)
		rc = split_copy(sql, pieces, npieces, n, stmts, err);
	free(pieces);
	return rc;
}

/* ---- sql_prepare ---- */

const char *sql_node_name(const PgQuery__Node *n)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_ALTER_TABLE_STMT: return "ALTER TABLE";
	case PG_QUERY__NODE__NODE_TRUNCATE_STMT: return "TRUNCATE";
	case PG_QUERY__NODE__NODE_VIEW_STMT: return "CREATE VIEW";
	case PG_QUERY__NODE__NODE_CREATE_TABLE_AS_STMT: return "CREATE TABLE AS";
	case PG_QUERY__NODE__NODE_CREATE_SEQ_STMT: return "CREATE SEQUENCE";
	case PG_QUERY__NODE__NODE_CREATE_FUNCTION_STMT: return "CREATE FUNCTION";
	case PG_QUERY__NODE__NODE_CREATE_SCHEMA_STMT: return "CREATE SCHEMA";
	case PG_QUERY__NODE__NODE_CREATEDB_STMT: return "CREATE DATABASE";
	case PG_QUERY__NODE__NODE_CREATE_ROLE_STMT: return "CREATE ROLE";
	case PG_QUERY__NODE__NODE_GRANT_STMT: return "GRANT";
	case PG_QUERY__NODE__NODE_VACUUM_STMT: return "VACUUM";
	case PG_QUERY__NODE__NODE_MERGE_STMT: return "MERGE";
	case PG_QUERY__NODE__NODE_PREPARE_STMT: return "PREPARE";
	case PG_QUERY__NODE__NODE_EXECUTE_STMT: return "EXECUTE";
	case PG_QUERY__NODE__NODE_DEALLOCATE_STMT: return "DEALLOCATE";
	case PG_QUERY__NODE__NODE_DECLARE_CURSOR_STMT: return "DECLARE CURSOR";
	case PG_QUERY__NODE__NODE_FETCH_STMT: return "FETCH";
	case PG_QUERY__NODE__NODE_LOCK_STMT: return "LOCK";
	case PG_QUERY__NODE__NODE_LISTEN_STMT: return "LISTEN";
	case PG_QUERY__NODE__NODE_NOTIFY_STMT: return "NOTIFY";
	case PG_QUERY__NODE__NODE_DO_STMT: return "DO";
	case PG_QUERY__NODE__NODE_RENAME_STMT: return "ALTER ... RENAME";
	case PG_QUERY__NODE__NODE_COMMENT_STMT: return "COMMENT";
	case PG_QUERY__NODE__NODE_CALL_STMT: return "CALL";
	case PG_QUERY__NODE__NODE_CHECK_POINT_STMT: return "CHECKPOINT";
	case PG_QUERY__NODE__NODE_CLUSTER_STMT: return "CLUSTER";
	case PG_QUERY__NODE__NODE_REINDEX_STMT: return "REINDEX";
	default: return "this statement";
	}
}

static int plan_discard(sql_ctx *c, PgQuery__DiscardStmt *d, plan *p)
{
	if (d->target != PG_QUERY__DISCARD_MODE__DISCARD_ALL)
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy supports only DISCARD ALL");
	p->kind = PLAN_NOOP;
	p->tag = "DISCARD ALL";
	return MUR_OK;
}

int sql_plan_statement(sql_ctx *c, PgQuery__Node *n, plan *p)
{
	switch (n->node_case) {
	case PG_QUERY__NODE__NODE_SELECT_STMT: return sql_plan_select(c, n->select_stmt, p);
	case PG_QUERY__NODE__NODE_INSERT_STMT: return sql_plan_insert(c, n->insert_stmt, p);
	case PG_QUERY__NODE__NODE_UPDATE_STMT: return sql_plan_update(c, n->update_stmt, p);
	case PG_QUERY__NODE__NODE_DELETE_STMT: return sql_plan_delete(c, n->delete_stmt, p);
	case PG_QUERY__NODE__NODE_CREATE_STMT: return sql_plan_create_table(c, n->create_stmt, p);
	case PG_QUERY__NODE__NODE_DROP_STMT: return sql_plan_drop(c, n->drop_stmt, p);
	case PG_QUERY__NODE__NODE_INDEX_STMT: return sql_plan_create_index(c, n->index_stmt, p);
	case PG_QUERY__NODE__NODE_COPY_STMT: return sql_plan_copy(c, n->copy_stmt, p);
	case PG_QUERY__NODE__NODE_EXPLAIN_STMT: return sql_plan_explain(c, n->explain_stmt, p);
	case PG_QUERY__NODE__NODE_VARIABLE_SET_STMT: return sql_plan_set(c, n->variable_set_stmt, p);
	case PG_QUERY__NODE__NODE_VARIABLE_SHOW_STMT:
		return sql_plan_show(c, n->variable_show_stmt, p);
	case PG_QUERY__NODE__NODE_TRANSACTION_STMT:
		return sql_plan_transaction(c, n->transaction_stmt, p);
	case PG_QUERY__NODE__NODE_DISCARD_STMT: return plan_discard(c, n->discard_stmt, p);
	case PG_QUERY__NODE__NODE_VACUUM_STMT: return sql_plan_analyze(c, n->vacuum_stmt, p);
	default:
		return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1,
			       "murphy does not support %s yet", sql_node_name(n));
	}
}

/* Finish parameter types: leftover unknowns become text. */
static void finish_params(sql_ctx *c, plan *p)
{
	if (p->nparams < c->nparam_given)
		p->nparams = c->nparam_given;
	for (int i = 0; i < p->nparams; i++)
		if (p->param_types[i] == MT_UNKNOWN)
			p->param_types[i] = MT_TEXT;
	/* nested plans (EXPLAIN's inner, INSERT ... SELECT's source) bind the
	 * same parameters */
	plan *inner = p->kind == PLAN_EXPLAIN ? p->u.explain.inner
		      : p->kind == PLAN_INSERT ? p->u.insert.source
					       : NULL;
	if (inner) {
		inner->nparams = p->nparams;
		memcpy(inner->param_types, p->param_types, sizeof p->param_types);
		if (inner->kind == PLAN_INSERT && inner->u.insert.source) {
			inner->u.insert.source->nparams = p->nparams;
			memcpy(inner->u.insert.source->param_types, p->param_types,
			       sizeof p->param_types);
		}
	}
}

static int parse_tree(const char *sql, PgQuery__ParseResult **tree, mur_error *err)
{
	PgQueryProtobufParseResult r;
	*tree = NULL;
	if (sql_depth_check_text(sql, err) != MUR_OK)
		return MUR_ERR;
	r = pg_query_parse_protobuf(sql);
	if (r.error) {
		mur_error_set_pos(err, parse_error_state(r.error->message), r.error->cursorpos,
				  "%s", r.error->message);
		pg_query_free_protobuf_parse_result(r);
		return MUR_ERR;
	}
	if (sql_depth_check_tree((const uint8_t *)r.parse_tree.data, r.parse_tree.len, err) !=
	    MUR_OK) {
		pg_query_free_protobuf_parse_result(r);
		return MUR_ERR;
	}
	*tree = pg_query__parse_result__unpack(NULL, r.parse_tree.len,
					       (const uint8_t *)r.parse_tree.data);
	pg_query_free_protobuf_parse_result(r);
	if (!*tree)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "cannot decode parse tree");
	return MUR_OK;
}

static int prepare_tree(sql_ctx *c, PgQuery__ParseResult *tree, plan *p)
{
	if (tree->n_stmts == 0) {
		p->kind = PLAN_EMPTY;
		p->tag = "";
		return MUR_OK;
	}
	if (tree->n_stmts > 1)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, -1,
			       "cannot insert multiple commands into a prepared statement");
	return sql_plan_statement(c, tree->stmts[0]->stmt, p);
}

int sql_options_differ(const sql_options *a, const sql_options *b)
{
	return a->count_distinct_approx != b->count_distinct_approx;
}

int sql_prepare(const catalog *cat, const char *sql, int nparam_types,
		const mur_type *param_types, plan **out, mur_error *err)
{
	return sql_prepare_opts(cat, sql, NULL, nparam_types, param_types, out, err);
}

int sql_parse(const char *sql, sql_tree **tree, mur_error *err)
{
	PgQuery__ParseResult *t = NULL;
	mur_error_clear(err);
	int rc = parse_tree(sql, &t, err);
	*tree = (sql_tree *)t;
	return rc;
}

void sql_tree_free(sql_tree *tree)
{
	if (tree)
		pg_query__parse_result__free_unpacked((PgQuery__ParseResult *)tree, NULL);
}

int sql_prepare_tree(const catalog *cat, const char *sql, sql_tree *tree,
		     const sql_options *opts, int nparam_types, const mur_type *param_types,
		     plan **out, mur_error *err)
{
	sql_arena *arena;
	sql_ctx c = {0};
	plan *p;
	int rc;

	*out = NULL;
	mur_error_clear(err);
	if (nparam_types > PLAN_PARAMS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many parameters (at most %d)", PLAN_PARAMS_MAX);
	arena = sql_arena_create();
	if (!arena)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	c.arena = arena;
	c.cat = cat;
	c.sql = sql;
	c.err = err;
	c.nparam_given = nparam_types;
	if (opts)
		c.opts = *opts;
	p = sql_plan_new(&c, PLAN_EMPTY, "");
	if (!p) {
		sql_arena_destroy(arena);
		return MUR_ENOMEM;
	}
	c.plan = p;
	for (int i = 0; i < nparam_types; i++)
		p->param_types[i] = param_types ? param_types[i] : MT_UNKNOWN;
	rc = prepare_tree(&c, (PgQuery__ParseResult *)tree, p);
	if (rc != MUR_OK) {
		sql_arena_destroy(arena);
		return rc;
	}
	finish_params(&c, p);
	p->arena = arena;
	*out = p;
	return MUR_OK;
}

int sql_prepare_opts(const catalog *cat, const char *sql, const sql_options *opts,
		     int nparam_types, const mur_type *param_types, plan **out, mur_error *err)
{
	sql_tree *tree = NULL;
	int rc;
	*out = NULL;
	if (nparam_types > PLAN_PARAMS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many parameters (at most %d)", PLAN_PARAMS_MAX);
	rc = sql_parse(sql, &tree, err);
	if (rc == MUR_OK)
		rc = sql_prepare_tree(cat, sql, tree, opts, nparam_types, param_types, out, err);
	sql_tree_free(tree);
	return rc;
}
