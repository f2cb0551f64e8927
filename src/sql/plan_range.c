/*
 * plan_range.c — the split points of CREATE TABLE ... PARTITION BY RANGE
 * (col) WITH (range_bounds = 'v1,v2,...').
 *
 * The option is a list of values of the column's type, each parsed as a
 * PostgreSQL literal of that type (mur_value_from_pgtext), strictly
 * increasing: k split points make k + 1 shards (-inf, v1), [v1, v2), ...,
 * [vk, +inf), as PostgreSQL's range partitions FROM (v1) TO (v2) include
 * their lower bound.  List syntax, as in an array literal: values separated
 * by commas, white space around them ignored; a value with commas, quotes
 * or edge spaces is written in double quotes ("a,b", backslash escapes the
 * next character).  An empty list is one shard.  Every mistake is 22023
 * naming the value.
 *
 * Output: def->shards, an arena array of nshards cat_shards whose
 * range_min carry the bounds (shard 0 MV_NULL), as cat_create_table
 * expects them.
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <string.h>

#define SQL_RANGE_BOUND_BYTES_MAX 1024 /* one split point; keeps catalog rows and messages small */

/* Types whose order murphy's storage keeps (numbers by value, text by
 * bytes, dates and timestamps as their ISO text). */
int sql_range_type_ok(mur_type t)
{
	return mur_type_is_integer(t) || t == MT_TEXT || t == MT_VARCHAR || t == MT_DATE ||
	       t == MT_TIMESTAMP || t == MT_TIMESTAMPTZ;
}

static int bound_error(sql_ctx *c, int loc, const char *fmt, const char *v, size_t len)
{
	sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, loc, fmt, (int)(len > 200 ? 200 : len), v);
	return MUR_ERR;
}

/* Next list element of *p into out (its bytes, unquoted); *p moves past
 * it and its comma.  MUR_ERR on an empty or badly quoted element. */
static int next_element(sql_ctx *c, const char **p, mur_buf *out, int loc)
{
	const char *s = *p;
	mur_buf_reset(out);
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			mur_buf_put_u8(out, (uint8_t)*s);
		}
		if (*s != '"')
			return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, loc,
				       "range_bounds has an unterminated quoted value");
		s++;
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
	} else {
		const char *start = s, *end;
		while (*s && *s != ',')
			s++;
		end = s;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
			end--;
		if (end == start)
			return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, loc,
				       "range_bounds has an empty value");
		mur_buf_put(out, start, (size_t)(end - start));
	}
	if (*s && *s != ',')
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, loc,
			       "range_bounds: expected a comma after a quoted value");
	if (*s == ',') {
		s++;
		if (!*s)
			return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, loc,
				       "range_bounds has an empty value");
	}
	*p = s;
	return mur_buf_ok(out) ? MUR_OK : sql_err_oom(c);
}

/* One split point, parsed as the column's type, copied into the arena. */
static int parse_bound(sql_ctx *c, const cat_column *col, const mur_buf *text, int loc,
		       mur_value *out)
{
	mur_buf scratch;
	mur_error inner;
	const char *s = (const char *)text->data;
	if (text->len > SQL_RANGE_BOUND_BYTES_MAX)
		return bound_error(c, loc, "range bound \"%.*s...\" is too long", s, text->len);
	mur_buf_init(&scratch);
	if (mur_value_from_pgtext(col->type, s, text->len, &scratch, out, &inner) != MUR_OK) {
		mur_buf_free(&scratch);
		bound_error(c, loc, "invalid range bound \"%.*s\"", s, text->len);
		mur_error_detail(c->err, "%s", inner.message);
		mur_error_hint(c->err,
			       "range_bounds values are literals of column \"%s\"'s type %s.",
			       col->name, sql_type_name(col->type));
		return MUR_ERR;
	}
	if (out->kind == MV_TEXT || out->kind == MV_BLOB) {
		char *copy = sql_arena_strndup(c->arena, out->s, out->len);
		if (!copy) {
			mur_buf_free(&scratch);
			return sql_err_oom(c);
		}
		out->s = copy;
	}
	mur_buf_free(&scratch);
	return MUR_OK;
}

static int order_error(sql_ctx *c, const cat_column *col, const mur_value *prev, const mur_value *v,
		       int loc)
{
	mur_buf a, b;
	mur_buf_init(&a);
	mur_buf_init(&b);
	mur_value_to_pgtext(col->type, prev, &a);
	mur_value_to_pgtext(col->type, v, &b);
	sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, loc,
		"range_bounds must be strictly increasing: \"%.*s\" does not come after \"%.*s\"",
		(int)(b.len > 200 ? 200 : b.len), (const char *)b.data,
		(int)(a.len > 200 ? 200 : a.len), (const char *)a.data);
	mur_buf_free(&a);
	mur_buf_free(&b);
	return MUR_ERR;
}

int sql_range_bounds(sql_ctx *c, cat_table *t, const char *list, int loc)
{
	const cat_column *col = &t->cols[t->dist_col];
	mur_value vals[CAT_SHARDS_MAX];
	uint32_t n = 0;
	mur_buf elem;
	const char *p = list;
	int rc = MUR_OK;

	mur_buf_init(&elem);
	while (rc == MUR_OK && *p) {
		if (n + 1 >= CAT_SHARDS_MAX) {
			rc = sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, loc,
				     "range_bounds gives more than %d split points (a table has at "
				     "most %d shards)",
				     CAT_SHARDS_MAX - 1, CAT_SHARDS_MAX);
			break;
		}
		rc = next_element(c, &p, &elem, loc);
		if (rc == MUR_OK)
			rc = parse_bound(c, col, &elem, loc, &vals[n]);
		if (rc == MUR_OK && n > 0 && mur_value_cmp(&vals[n - 1], &vals[n]) >= 0)
			rc = order_error(c, col, &vals[n - 1], &vals[n], loc);
		n++;
	}
	mur_buf_free(&elem);
	if (rc != MUR_OK)
		return MUR_ERR;
	t->nshards = n + 1;
	if (!(t->shards = sql_alloc(c, sizeof *t->shards * t->nshards)))
		return MUR_ERR;
	for (uint32_t i = 0; i < n; i++)
		t->shards[i + 1].range_min = vals[i]; /* shard 0: MV_NULL, unbounded below */
	return MUR_OK;
}
