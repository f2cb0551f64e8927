/*
 * parse.c — the parser's front door: sql_split, sql_parse, and the helpers
 * every analyzer and planner uses (errors with positions, arena
 * allocation).
 *
 * sql_parse: libpg_query parses the text into a protobuf tree
 * (pg_query_parse_protobuf + unpack), after depth.c's checks that the
 * nesting cannot overflow the stack.  A text of one statement is parsed
 * once: sql_split keeps the tree it made for the sql_parse of that
 * statement that follows (split_one).  A tree is unpacked into an arena of
 * its own (sql_tree), freed in one go.  The caller owns the tree; the
 * planner (sql/prepare.c) analyzes and plans it, copying everything the
 * plan keeps into the plan's arena.
 */
#include "parser/analyze.h"
#include "parser/parser.h"
#include "parser/parser_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errors with positions, arena allocation (analyze.h) ---- */

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
 * E'\\xff') make valid UTF-8, which PostgreSQL reports as 22021, and the
 * grammar's refusals of a role named public / none (42939) and of
 * UNENCRYPTED PASSWORD (0A000), PostgreSQL's codes for them. */
static const char *parse_error_state(const char *message)
{
	static const char bad_encoding[] = "invalid byte sequence for encoding";
	static const char role_name[] = "role name \"";
	size_t n = strlen(message);
	if (strncmp(message, bad_encoding, sizeof bad_encoding - 1) == 0)
		return SQLSTATE_CHARACTER_NOT_IN_REPERTOIRE;
	if (strncmp(message, role_name, sizeof role_name - 1) == 0 && n > 13 &&
	    strcmp(message + n - 13, "\" is reserved") == 0)
		return SQLSTATE_RESERVED_NAME;
	if (strcmp(message, "UNENCRYPTED PASSWORD is no longer supported") == 0)
		return SQLSTATE_FEATURE_NOT_SUPPORTED;
	return SQLSTATE_SYNTAX_ERROR;
}

/* Copy the pieces [pieces[2i], pieces[2i+1]) of sql into *stmts (malloc'd
 * array of malloc'd strings), dropping blank ones. */
static int split_copy(const char *sql, const size_t *pieces, size_t npieces, int *n, char ***stmts,
		      mur_error *err)
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
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"),
			       MUR_ENOMEM;
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

/* A parse tree and the arena protobuf-c unpacked it into: freeing the
 * tree is dropping the arena, not walking it message by message
 * (protobuf_c_message_free_unpacked and the malloc/free of every node
 * were ~4% of the leader's CPU under pgbench). */
struct sql_tree {
	PgQuery__ParseResult *r;
	sql_arena *arena;
};

PgQuery__ParseResult *sql_tree_result(const sql_tree *tree) { return tree->r; }

void sql_tree_free(sql_tree *tree)
{
	if (tree)
		sql_arena_destroy(tree->arena); /* the tree itself lives in it */
}

void *sql_tree_alloc(sql_tree *tree, size_t n) { return sql_arena_alloc(tree->arena, n); }

static void *tree_alloc(void *arena, size_t n) { return sql_arena_alloc(arena, n); }

static void tree_free(void *arena, void *p)
{
	(void)arena; /* the arena goes as a whole */
	(void)p;
}

/* Unpack len bytes of a ParseResult into a new arena; NULL on failure. */
static sql_tree *tree_unpack(const uint8_t *data, size_t len)
{
	sql_arena *a = sql_arena_create();
	ProtobufCAllocator al = {tree_alloc, tree_free, a};
	sql_tree *t = a ? sql_arena_alloc(a, sizeof *t) : NULL;
	if (!t || !(t->r = pg_query__parse_result__unpack(&al, len, data))) {
		if (a)
			sql_arena_destroy(a);
		return NULL;
	}
	t->arena = a;
	return t;
}

static int parse_tree_scanned(const char *sql, sql_tree **tree, mur_error *err);

/* The tree split_one parsed, for the sql_parse of its statement that comes
 * next on this thread (the session prepares what it split at once): the
 * statement's text (malloc'd) and its tree, or NULLs.  Kept only by a
 * thread whose exit frees it (sql_pcache_thread_watch: parse_cache.c's key
 * destructor calls sql_split_thread_exit). */
static _Thread_local struct {
	char *sql;
	sql_tree *tree;
} split_kept;

static void split_kept_clear(void)
{
	free(split_kept.sql);
	sql_tree_free(split_kept.tree);
	split_kept.sql = NULL;
	split_kept.tree = NULL;
}

void sql_split_thread_exit(void) { split_kept_clear(); }

/* A text whose only ';' (depth.c's scan) end it is one statement, or none:
 * libpg_query's split would parse it only to find that out, and sql_parse
 * would parse the statement again.  Parse it once here, cut the piece from
 * the tree as the split would, and keep the tree for sql_parse (the same
 * parser on the same text: the same errors, positions included).  Only for
 * a text that starts with its statement, so the tree's positions are the
 * piece's.  1 when done (*rc set), 0 when the general path must split. */
static int split_one(const char *sql, size_t total, int *n, char ***stmts, mur_error *err, int *rc)
{
	size_t *semis = NULL, nsemis = 0, piece[2];
	sql_tree *t;
	PgQuery__RawStmt *raw;
	if ((*rc = sql_depth_split_text(sql, &semis, &nsemis, err)) != MUR_OK)
		return 1;
	int one = nsemis == 0 || is_blank_stmt(sql + semis[0], (int)(total - semis[0]));
	free(semis);
	if (!one || total == 0 || isspace((unsigned char)sql[0]))
		return 0;
	if ((*rc = parse_tree_scanned(sql, &t, err)) != MUR_OK)
		return 1;
	raw = t->r->n_stmts == 1 ? t->r->stmts[0] : NULL;
	if (t->r->n_stmts > 1 || (raw && raw->stmt_location != 0)) {
		sql_tree_free(t);
		return 0; /* not what the scan said: let libpg_query split it */
	}
	piece[0] = 0;
	piece[1] = raw && raw->stmt_len ? (size_t)raw->stmt_len : total;
	*rc = split_copy(sql, piece, raw ? 1 : 0, n, stmts, err);
	split_kept_clear();
	if (*rc == MUR_OK && *n == 1 && sql_pcache_thread_watch() == 0 &&
	    (split_kept.sql = strdup((*stmts)[0])) != NULL)
		split_kept.tree = t;
	else
		sql_tree_free(t);
	return 1;
}

int sql_split(const char *sql, int *n, char ***stmts, mur_error *err)
{
	size_t total = strlen(sql), *pieces = NULL, npieces = 0;
	int rc;
	*n = 0;
	*stmts = NULL;
	if (total < SQL_SPLIT_SCAN_BYTES && split_one(sql, total, n, stmts, err, &rc))
		return rc;
	rc = total >= SQL_SPLIT_SCAN_BYTES ? pieces_long(sql, total, &pieces, &npieces, err)
					   : pieces_parsed(sql, total, &pieces, &npieces, err);
	if (rc == MUR_OK)
		rc = split_copy(sql, pieces, npieces, n, stmts, err);
	free(pieces);
	return rc;
}

/* ---- sql_parse ---- */

static int parse_tree(const char *sql, sql_tree **tree, mur_error *err)
{
	*tree = NULL;
	if (sql_depth_check_text(sql, err) != MUR_OK)
		return MUR_ERR;
	return parse_tree_scanned(sql, tree, err);
}

/* A cached tree (parse_cache.c's bytes) unpacked, the text's integer
 * literals written in; NULL when it cannot be reused. */
static sql_tree *tree_patched(const sql_pcache_probe *p, const uint8_t *data, size_t len)
{
	sql_tree *t = tree_unpack(data, len);
	if (t && sql_pcache_patch(p, t->r) != 0) {
		sql_tree_free(t);
		return NULL;
	}
	return t;
}

/* parse_tree after depth.c's text check passed.  A text parse_cache.c
 * knows (the same but for its integers) is not parsed again; the tree of
 * one it does not know is kept there. */
static int parse_tree_scanned(const char *sql, sql_tree **tree, mur_error *err)
{
	PgQueryProtobufParseResult r;
	sql_pcache_probe probe;
	const uint8_t *cached;
	size_t cached_len;
	int st = sql_pcache_scan(sql, &probe) ? sql_pcache_get(&probe, &cached, &cached_len)
					      : SQL_PCACHE_NEGATIVE;
	*tree = NULL;
	if (st == SQL_PCACHE_HIT && (*tree = tree_patched(&probe, cached, cached_len)) != NULL)
		return MUR_OK;
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
	*tree = tree_unpack((const uint8_t *)r.parse_tree.data, r.parse_tree.len);
	if (*tree && st != SQL_PCACHE_NEGATIVE)
		sql_pcache_put(&probe, (const uint8_t *)r.parse_tree.data, r.parse_tree.len,
			       (*tree)->r);
	pg_query_free_protobuf_parse_result(r);
	if (!*tree)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR, "cannot decode parse tree");
	return MUR_OK;
}

int sql_parse(const char *sql, sql_tree **tree, mur_error *err)
{
	mur_error_clear(err);
	if (split_kept.tree && strcmp(split_kept.sql, sql) == 0) {
		*tree = split_kept.tree; /* sql_split parsed it (split_one) */
		split_kept.tree = NULL;
		split_kept_clear();
		return MUR_OK;
	}
	return parse_tree(sql, tree, err);
}
