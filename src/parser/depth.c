/*
 * depth.c — how deeply a statement nests, measured without recursion, so a
 * client cannot overflow the leader's stack (PostgreSQL: 54001 "stack
 * depth limit exceeded").
 *
 * Every step from text to plan recurses once per level of the parse tree:
 * libpg_query's protobuf output and protobuf-c's pack/unpack (one frame per
 * nested message), then analyze_*.c and sql/emit.c.  A chain of
 * left-associative operators (1+1+...+1, a || b || ..., x::t::t...) nests
 * one level per operator without growing bison's stack, so no parser limit
 * stops it:
 * 10,000 terms took ~17,400 frames of protobuf_c_message_unpack and crashed
 * the leader; 50,000 crash inside libpg_query itself.  Two checks, both
 * iterative and linear:
 *
 * 1. sql_depth_check_text, before libpg_query: an over-estimate from the
 *    tokens.  Each open parenthesis/bracket is a level holding a count of
 *    the operators and words seen in it since the last comma, AND, OR, WHEN,
 *    THEN or ELSE (those start a sibling: the raw parser flattens AND/OR
 *    chains and CASE arms into lists) or clause word (FROM, WHERE, HAVING,
 *    BY, LIMIT, OFFSET, RETURNING: each clause is a sibling field of its
 *    statement, so a long select-list entry and a long WHERE are not added
 *    up), plus UNION/INTERSECT/EXCEPT/JOIN,
 *    which nest their left side and are never reset.  The estimate is the
 *    sum over open levels; over SQL_DEPTH_TEXT_MAX it is refused.  Literals
 *    and commas count nothing, so a 1,000,000-value IN list, a
 *    10,000-column select list or a 10,000-row VALUES is 2 or 3 deep.
 *    Its only job is to keep libpg_query's own recursion (which crashes at
 *    ~35,000 levels on an 8 MiB stack) far away: it may under-count a
 *    contrived statement by a small factor, never without bound.
 *    The same pass finds the ';' between statements (sql_depth_split_text):
 *    sql_split uses it for long texts, where libpg_query's split parses
 *    the whole text on the loop thread (a 1,000,000-value IN list: 640 ms,
 *    the scan: ~25 ms).
 * 2. sql_depth_check_tree, after libpg_query and before unpacking: the
 *    exact nesting of messages in the protobuf bytes, walked with the
 *    message descriptors and an explicit stack.  Over SQL_DEPTH_TREE_MAX it
 *    is refused.  This is the limit users meet; it keeps unpack, analyze
 *    and emit well inside a thread's 8 MiB stack.
 */
#include "parser/parser_int.h"

#include <pg_query/pg_query.pb-c.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* One message being walked: where its bytes end and what it is. */
typedef struct depth_frame {
	const uint8_t *end;
	const ProtobufCMessageDescriptor *desc;
} depth_frame;

static int depth_error(mur_error *err, int limit)
{
	mur_error_set(err, SQLSTATE_STACK_DEPTH_EXCEEDED, "stack depth limit exceeded");
	mur_error_hint(err,
		       "The statement nests more than %d levels deep (each operator of a chain "
		       "such "
		       "as 1+1+1 adds one or two). Write long chains as lists: IN (...), VALUES, "
		       "sum() over rows.",
		       limit);
	return MUR_ERR;
}

/* ---- 1. the text estimate ---- */

typedef struct text_level {
	int ops;  /* operators and words since the last sibling boundary */
	int keep; /* UNION/INTERSECT/EXCEPT/JOIN: never reset in this level */
} text_level;

typedef struct text_scan {
	text_level *lv; /* lv[0] is the statement level */
	int n;          /* open levels */
	long total;     /* sum over open levels of 1 + ops + keep */
	long max;
	size_t *semis; /* offsets of ';' outside quotes and comments, when wanted */
	size_t nsemis, semis_cap;
	const char *sql;
	int oom;
} text_scan;

/* Words after which a new sibling expression starts. */
static int is_reset_word(const char *w, size_t n)
{
	static const char *const words[] = {"and",  "or",    "when",   "then",
					    "else", "from",  "where",  "having",
					    "by",   "limit", "offset", "returning"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
			return 1;
	return 0;
}

static int is_keep_word(const char *w, size_t n)
{
	static const char *const words[] = {"union", "intersect", "except", "join"};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
			return 1;
	return 0;
}

static void scan_count(text_scan *s, int keep)
{
	text_level *l = &s->lv[s->n - 1];
	if (keep)
		l->keep++;
	else
		l->ops++;
	s->total++;
	if (s->total > s->max)
		s->max = s->total;
}

/* A sibling starts: what the level counted since its last boundary is
 * done.  Base 2 covers the list node (BoolExpr, CaseWhen) above it. */
static void scan_reset(text_scan *s)
{
	text_level *l = &s->lv[s->n - 1];
	int base = l->ops > 2 ? 2 : l->ops;
	s->total -= l->ops - base;
	l->ops = base;
}

/* Returns 0, or -1 when levels exceed the limit (the caller refuses). */
static int scan_open(text_scan *s)
{
	if (s->n > SQL_DEPTH_TEXT_MAX)
		return -1;
	s->lv[s->n].ops = s->lv[s->n].keep = 0;
	s->n++;
	s->total++;
	if (s->total > s->max)
		s->max = s->total;
	return 0;
}

static void scan_close(text_scan *s)
{
	if (s->n <= 1)
		return; /* unbalanced: libpg_query reports it */
	s->n--;
	s->total -= 1 + s->lv[s->n].ops + s->lv[s->n].keep;
}

/* Skip a quoted run starting at p (the opening quote q); backslash escapes
 * when esc.  Returns the position after the closing quote (or the end). */
static const char *skip_quoted(const char *p, char q, int esc)
{
	for (p++; *p; p++) {
		if (esc && *p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p == q) {
			if (p[1] == q) {
				p++;
				continue;
			}
			return p + 1;
		}
	}
	return p;
}

/* $tag$ ... $tag$ at p, or NULL when p does not open a dollar quote. */
static const char *skip_dollar(const char *p)
{
	const char *t = p + 1;
	while (isalnum((unsigned char)*t) || *t == '_')
		t++;
	if (*t != '$' || isdigit((unsigned char)p[1]))
		return NULL;
	size_t taglen = (size_t)(t - p) + 1;
	const char *end = t + 1;
	while ((end = strchr(end, '$')) != NULL) {
		if (strncmp(end, p, taglen) == 0)
			return end + taglen;
		end++;
	}
	return p + strlen(p);
}

static const char *skip_comment(const char *p)
{
	if (p[0] == '-' && p[1] == '-') {
		while (*p && *p != '\n')
			p++;
		return p;
	}
	int nest = 0;
	while (*p) {
		if (p[0] == '/' && p[1] == '*') {
			nest++;
			p += 2;
		} else if (p[0] == '*' && p[1] == '/') {
			p += 2;
			if (--nest == 0)
				return p;
		} else {
			p++;
		}
	}
	return p;
}

static void scan_semicolon(text_scan *s, const char *p)
{
	if (!s->semis_cap && !s->semis)
		return; /* not splitting */
	if (s->nsemis == s->semis_cap) {
		size_t cap = s->semis_cap * 2;
		size_t *n = realloc(s->semis, cap * sizeof *n);
		if (!n) {
			s->oom = 1;
			return;
		}
		s->semis = n;
		s->semis_cap = cap;
	}
	s->semis[s->nsemis++] = (size_t)(p - s->sql);
}

static int is_op_char(char c) { return c && strchr("+-*/<>=~!@#%^&|`?:", c) != NULL; }

/* One token at p; returns the position after it, or NULL when too deep. */
static const char *scan_token(text_scan *s, const char *p)
{
	const char *d;
	if ((p[0] == '-' && p[1] == '-') || (p[0] == '/' && p[1] == '*'))
		return skip_comment(p);
	if ((*p == 'E' || *p == 'e') && p[1] == '\'')
		return skip_quoted(p + 1, '\'', 1);
	if (*p == '\'' || *p == '"')
		return skip_quoted(p, *p, 0);
	if (*p == '$' && (d = skip_dollar(p)) != NULL)
		return d;
	if (*p == '(' || *p == '[')
		return scan_open(s) == 0 ? p + 1 : NULL;
	if (*p == ')' || *p == ']') {
		scan_close(s);
		return p + 1;
	}
	if (*p == ';')
		scan_semicolon(s, p);
	if (*p == ',' || *p == ';') {
		scan_reset(s);
		return p + 1;
	}
	if (isdigit((unsigned char)*p) || *p == '.' || *p == '$') {
		while (isalnum((unsigned char)*p) || *p == '.' || *p == '$' || *p == '_')
			p++;
		return p; /* a literal, a parameter or a qualified name's dot */
	}
	if (isalpha((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80) {
		const char *w = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
		       (unsigned char)*p >= 0x80)
			p++;
		if (is_reset_word(w, (size_t)(p - w)))
			scan_reset(s);
		else
			scan_count(s, is_keep_word(w, (size_t)(p - w)));
		return p;
	}
	if (is_op_char(*p)) {
		while (is_op_char(*p))
			p++;
		scan_count(s, 0);
		return p;
	}
	return p + 1;
}

static int scan_text(text_scan *s, const char *sql, mur_error *err)
{
	const char *p = sql;
	s->sql = sql;
	s->lv = malloc(sizeof *s->lv * (SQL_DEPTH_TEXT_MAX + 2));
	if (!s->lv)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	scan_open(s);
	while (*p && s->max <= SQL_DEPTH_TEXT_MAX) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		p = scan_token(s, p);
		if (!p)
			break;
	}
	free(s->lv);
	if (s->oom)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	if (!p || s->max > SQL_DEPTH_TEXT_MAX)
		return depth_error(err, SQL_DEPTH_TEXT_MAX);
	return MUR_OK;
}

int sql_depth_check_text(const char *sql, mur_error *err)
{
	text_scan s = {0};
	return scan_text(&s, sql, err);
}

int sql_depth_split_text(const char *sql, size_t **semis, size_t *nsemis, mur_error *err)
{
	text_scan s = {0};
	int rc;
	s.semis_cap = 16;
	s.semis = malloc(s.semis_cap * sizeof *s.semis);
	if (!s.semis)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	rc = scan_text(&s, sql, err);
	if (rc != MUR_OK) {
		free(s.semis);
		return rc;
	}
	*semis = s.semis;
	*nsemis = s.nsemis;
	return MUR_OK;
}

/* ---- 2. the exact depth of the protobuf tree ---- */

static int read_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	*v = 0;
	for (int shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t b = *p++;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*pp = p;
			return 0;
		}
	}
	return -1;
}

/* Skip one field's value of wire type wt; returns 0, or -1 on bad bytes.
 * A length-delimited value (wire type 2) is not skipped: *len gets its
 * length and the caller enters it (a message) or steps over it. */
static int skip_value(const uint8_t **pp, const uint8_t *end, int wt, uint64_t *len)
{
	uint64_t v;
	switch (wt) {
	case 0:
		return read_varint(pp, end, &v);
	case 1:
		return (size_t)(end - *pp) < 8 ? -1 : (*pp += 8, 0);
	case 5:
		return (size_t)(end - *pp) < 4 ? -1 : (*pp += 4, 0);
	case 2:
		if (read_varint(pp, end, len) != 0 || *len > (uint64_t)(end - *pp))
			return -1;
		return 0;
	default:
		return -1;
	}
}

int sql_depth_check_tree(const uint8_t *data, size_t len, mur_error *err)
{
	depth_frame *st = malloc(sizeof *st * (SQL_DEPTH_TREE_MAX + 1));
	const uint8_t *p = data;
	int n = 0;
	if (!st)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory"), MUR_ENOMEM;
	st[n++] = (depth_frame){data + len, &pg_query__parse_result__descriptor};
	while (n > 0) {
		uint64_t key, flen = 0;
		if (p >= st[n - 1].end) {
			n--;
			continue;
		}
		if (read_varint(&p, st[n - 1].end, &key) != 0 ||
		    skip_value(&p, st[n - 1].end, (int)(key & 7), &flen) != 0)
			break; /* unpack reports malformed bytes */
		if ((key & 7) != 2)
			continue;
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(st[n - 1].desc,
								(unsigned)(key >> 3));
		if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
			if (n > SQL_DEPTH_TREE_MAX) {
				free(st);
				return depth_error(err, SQL_DEPTH_TREE_MAX);
			}
			st[n++] = (depth_frame){p + flen, f->descriptor};
		} else {
			p += flen;
		}
	}
	free(st);
	return MUR_OK;
}
