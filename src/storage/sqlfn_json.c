/*
 * sqlfn_json.c — PostgreSQL's json and jsonb operators and functions as
 * SQLite functions, so WHERE data->>'k' = 'x' runs on the followers and
 * the leader evaluates the same over gathered rows (parser/analyze_json.c
 * chooses them).  Values are TEXT: json as written, jsonb normalized
 * (common/json.h).  Every function is strict (NULL in, NULL out) except
 * mur_json_elem and the builders, which take SQL NULL as json null.
 *
 *   mur_json_get(j, key|index, as_text)    -> and ->> (json and jsonb)
 *   mur_json_path(j, path, as_text)        #> and #>>; path a text[] literal
 *   mur_jsonb_contains(a, b)               a @> b (and b <@ a)
 *   mur_jsonb_exists(j, key)               ?
 *   mur_jsonb_exists_any/all(j, keys)      ?| ?&; keys a text[] literal
 *   mur_jsonb_concat(a, b)                 ||
 *   mur_jsonb_delete(j, key|index)         -
 *   mur_jsonb_delete_path(j, path)         #-
 *   mur_json_typeof, mur_json_array_length
 *   mur_jsonb_set(j, path, v, create)      jsonb_set
 *   mur_jsonb_pretty, mur_jsonb_strip_nulls
 *   mur_to_json(x, type, jsonb)            to_json / to_jsonb (NULL -> NULL)
 *                                          (an array as a JSON array of its
 *                                          elements, as array_to_json)
 *   mur_json_elem(x, type)                 the same, NULL -> null (the builders'
 *                                          and aggregates' arguments)
 *   mur_json_build_object(mode, k, v...)   json[b]_build_object over elems;
 *                                          mode 2: a row as row_to_json
 *   mur_json_build_array(jsonb, v...)      json[b]_build_array over elems
 *   mur_jsonb_cmp(a, b)                    jsonb ordering: -1, 0, 1
 *   mur_jsonb_delete_keys(j, keys)         jsonb - text[]
 *   mur_json_srf_arg(j, fn)                j, or 22023 when it is not the kind
 *                                          the set-returning fn takes
 *   collation mur_jsonb                    the same, for ORDER BY and < >
 *
 * A jsonb argument is already normalized text, so reading it needs no
 * normalization and a sub-value's text as written is its jsonb text; a
 * value built here (||, -, jsonb_set, builders) is normalized again.
 */
#include "storage/storage_int.h"

#include "common/array.h"
#include "common/json.h"
#include "common/numeric.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Elements of a text[] path or key list: a path is decoded per call into
 * a struct of this many slots (PostgreSQL's arrays go far past it; 0A000
 * "at most" beyond). */
#define JSON_PATH_MAX 256

typedef struct json_call {
	sqlite3_context *cx;
	mur_json_doc *doc;
	mur_buf out;
} json_call;

static int call_init(json_call *c, sqlite3_context *cx)
{
	c->cx = cx;
	mur_buf_init(&c->out);
	if (!(c->doc = mur_json_doc_new())) {
		sqlite3_result_error_nomem(cx);
		return 0;
	}
	return 1;
}

static void call_done(json_call *c)
{
	mur_json_doc_free(c->doc);
	mur_buf_free(&c->out);
}

/* Argument v parsed (normalize as jsonb_in does); NULL after failing. */
static mur_json *arg_json(json_call *c, sqlite3_value *v, int normalize)
{
	mur_json *j;
	mur_error err;
	const char *s = (const char *)sqlite3_value_text(v);
	if (mur_json_parse(c->doc, s ? s : "", (size_t)sqlite3_value_bytes(v), normalize, &j,
			   &err) != MUR_OK) {
		stor_fn_fail(c->cx, err.sqlstate, "%s", err.message);
		return NULL;
	}
	return j;
}

static void result_json(json_call *c, const mur_json *j, int pretty)
{
	mur_json_write(j, pretty, &c->out);
	stor_fn_result_buf(c->cx, &c->out);
}

/* A sub-value as -> answers it (its text as written) or ->> (strings
 * decoded, null as SQL NULL). */
static void result_sub(json_call *c, const mur_json *j, int as_text)
{
	if (!j || (as_text && j->kind == MJ_NULL))
		sqlite3_result_null(c->cx);
	else if (as_text && j->kind == MJ_STRING)
		sqlite3_result_text(c->cx, j->s, (int)j->len, SQLITE_TRANSIENT);
	else
		sqlite3_result_text(c->cx, j->raw, (int)j->raw_len, SQLITE_TRANSIENT);
}

/* A sub-value found by the scanner answered as result_sub would; 0 when
 * it needs the parser (an escaped string for ->>). */
static int result_span(sqlite3_context *cx, const char *vs, size_t vn, int as_text)
{
	if (as_text && vn == 4 && !memcmp(vs, "null", 4)) {
		sqlite3_result_null(cx);
		return 1;
	}
	if (as_text && vn >= 2 && vs[0] == '"') {
		if (memchr(vs, '\\', vn))
			return 0;
		vs++;
		vn -= 2;
	}
	sqlite3_result_text(cx, vs, (int)vn, SQLITE_TRANSIENT);
	return 1;
}

/* -> and ->> by the scanner, without a tree (the common case: a key
 * without escapes, a non-negative index); 0 when the parser must do it. */
static int fast_get(sqlite3_context *cx, sqlite3_value **v, int as_text)
{
	const char *s = (const char *)sqlite3_value_text(v[0]), *vs = NULL;
	size_t n = (size_t)sqlite3_value_bytes(v[0]), vn = 0;
	int r;
	if (!s)
		return 0;
	if (sqlite3_value_type(v[1]) == SQLITE_INTEGER)
		r = mur_json_scan_elem(s, n, (long)sqlite3_value_int64(v[1]), &vs, &vn);
	else
		r = mur_json_scan_field(s, n, (const char *)sqlite3_value_text(v[1]),
					(size_t)sqlite3_value_bytes(v[1]), &vs, &vn);
	if (r < 0)
		return 0;
	if (r == 0) {
		sqlite3_result_null(cx);
		return 1;
	}
	return result_span(cx, vs, vn, as_text);
}

static void fn_get(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *j;
	(void)argc;
	if (stor_fn_any_null(2, v) || fast_get(cx, v, sqlite3_value_int(v[2])) ||
	    !call_init(&c, cx))
		return;
	if ((j = arg_json(&c, v[0], 0))) {
		const mur_json *hit;
		if (sqlite3_value_type(v[1]) == SQLITE_INTEGER)
			hit = mur_json_elem(j, (long)sqlite3_value_int64(v[1]));
		else
			hit = mur_json_field(j, (const char *)sqlite3_value_text(v[1]),
					     (size_t)sqlite3_value_bytes(v[1]));
		result_sub(&c, hit, sqlite3_value_int(v[2]));
	}
	call_done(&c);
}

/* ---- text[] literals ---- */

typedef struct json_path {
	int n;
	const char *s[JSON_PATH_MAX];
	size_t len[JSON_PATH_MAX];
	int null[JSON_PATH_MAX];
} json_path;

static int malformed(json_call *c, const char *lit)
{
	stor_fn_fail(c->cx, SQLSTATE_INVALID_TEXT_REPRESENTATION, "malformed array literal: \"%s\"",
		     lit);
	return 0;
}

/* One element of a one-dimensional array literal at *p, decoded into the
 * doc; 0 after failing. */
static int path_elem(json_call *c, const char **p, json_path *pa, const char *lit)
{
	mur_buf b;
	mur_json *k;
	int quoted = 0, n = pa->n;
	while (**p == ' ')
		(*p)++;
	mur_buf_init(&b);
	if (**p == '"') {
		quoted = 1;
		for ((*p)++; **p && **p != '"'; (*p)++) {
			if (**p == '\\' && (*p)[1])
				(*p)++;
			mur_buf_put_u8(&b, (uint8_t) * *p);
		}
		if (**p != '"')
			return mur_buf_free(&b), malformed(c, lit);
		(*p)++;
		while (**p == ' ')
			(*p)++;
	} else {
		for (; **p && **p != ',' && **p != '}'; (*p)++) {
			if (**p == '\\' && (*p)[1])
				(*p)++;
			mur_buf_put_u8(&b, (uint8_t) * *p);
		}
		while (b.len && b.data[b.len - 1] == ' ')
			b.len--;
		if (!b.len)
			return mur_buf_free(&b), malformed(c, lit);
	}
	pa->null[n] = !quoted && b.len == 4 && !strncasecmp(b.data, "null", 4);
	k = mur_json_new_string(c->doc, b.data ? b.data : "", b.len);
	mur_buf_free(&b);
	if (!k)
		return sqlite3_result_error_nomem(c->cx), 0;
	pa->s[n] = k->s;
	pa->len[n] = k->len;
	pa->n++;
	return 1;
}

/* A text[] literal ('{a,b,"c d"}') into pa; 0 after failing. */
static int parse_path(json_call *c, sqlite3_value *v, json_path *pa)
{
	const char *lit = (const char *)sqlite3_value_text(v), *p = lit;
	pa->n = 0;
	if (!p)
		return malformed(c, "");
	while (*p == ' ')
		p++;
	if (*p++ != '{')
		return malformed(c, lit);
	while (*p == ' ')
		p++;
	if (*p == '}')
		return 1;
	for (;;) {
		if (pa->n == JSON_PATH_MAX) {
			stor_fn_fail(c->cx, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "murphy takes at most %d path elements", JSON_PATH_MAX);
			return 0;
		}
		if (!path_elem(c, &p, pa, lit))
			return 0;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p++ != '}')
			return malformed(c, lit);
		while (*p == ' ')
			p++;
		return *p ? malformed(c, lit) : 1;
	}
}

/* An array index written as text ("2", "-1"); 0 when it is not one. */
static int path_index(const char *s, size_t len, long *out)
{
	char *end;
	if (!len || len > 18)
		return 0;
	*out = strtol(s, &end, 10);
	return end == s + len;
}

static const mur_json *path_step(const mur_json *j, const json_path *pa, int i)
{
	long idx;
	if (pa->null[i])
		return NULL;
	if (j->kind == MJ_OBJECT)
		return mur_json_field(j, pa->s[i], pa->len[i]);
	if (j->kind == MJ_ARRAY && path_index(pa->s[i], pa->len[i], &idx))
		return mur_json_elem(j, idx);
	return NULL;
}

/* #> and #>> by the scanner, step by step; 0 when the parser must do it. */
static int fast_path(sqlite3_context *cx, const char *s, size_t n, const json_path *pa, int as_text)
{
	if (!s || pa->n == 0)
		return 0;
	for (int i = 0; i < pa->n; i++) {
		size_t skip = strspn(s, " \t\r\n");
		long idx;
		int r;
		if (skip >= n || pa->null[i] || (s[skip] != '{' && s[skip] != '['))
			r = 0; /* a scalar has no member */
		else if (s[skip] == '{')
			r = mur_json_scan_field(s, n, pa->s[i], pa->len[i], &s, &n);
		else if (!path_index(pa->s[i], pa->len[i], &idx))
			r = 0;
		else
			r = mur_json_scan_elem(s, n, idx, &s, &n);
		if (r < 0)
			return 0;
		if (r == 0) {
			sqlite3_result_null(cx);
			return 1;
		}
	}
	return result_span(cx, s, n, as_text);
}

static void fn_path(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	json_path *pa = malloc(sizeof *pa);
	const mur_json *j;
	(void)argc;
	if (!pa)
		return sqlite3_result_error_nomem(cx);
	if (!stor_fn_any_null(2, v) && call_init(&c, cx)) {
		if (parse_path(&c, v[1], pa) &&
		    !fast_path(cx, (const char *)sqlite3_value_text(v[0]),
			       (size_t)sqlite3_value_bytes(v[0]), pa, sqlite3_value_int(v[2])) &&
		    (j = arg_json(&c, v[0], 0))) {
			for (int i = 0; i < pa->n && j; i++)
				j = path_step(j, pa, i);
			result_sub(&c, j, sqlite3_value_int(v[2]));
		}
		call_done(&c);
	}
	free(pa);
}

/* ---- jsonb operators ---- */

/* Two jsonb arguments parsed; 0 when NULL (answered) or failed. */
static int two_args(json_call *c, sqlite3_context *cx, sqlite3_value **v, mur_json **a,
		    mur_json **b)
{
	if (stor_fn_any_null(2, v) || !call_init(c, cx))
		return 0;
	if ((*a = arg_json(c, v[0], 0)) && (*b = arg_json(c, v[1], 0)))
		return 1;
	call_done(c);
	return 0;
}

/* Scalar span vs scalar node, both from normalized jsonb: strings and
 * literals by their text (one spelling each), numbers by value. */
static int span_equals(const char *vs, size_t vn, const mur_json *b)
{
	if (b->kind == MJ_NUMBER)
		return vn && (vs[0] == '-' || (vs[0] >= '0' && vs[0] <= '9')) &&
		       mur_num_text_cmp(vs, vn, b->s, b->len) == 0;
	return vn == b->raw_len && !memcmp(vs, b->raw, vn);
}

/* a @> b for an object a and an object b of scalar values (the common
 * WHERE data @> '{"k": "x"}') by scanning a; -1 when the tree must decide. */
static int fast_contains(sqlite3_value *va, const mur_json *b)
{
	const char *s = (const char *)sqlite3_value_text(va), *vs;
	size_t n = (size_t)sqlite3_value_bytes(va), vn;
	if (!s || s[0] != '{' || b->kind != MJ_OBJECT)
		return -1;
	for (int i = 0; i < b->n; i++) {
		const mur_json *k = b->kid[2 * i], *bv = b->kid[2 * i + 1];
		int r;
		if (bv->kind == MJ_ARRAY || bv->kind == MJ_OBJECT)
			return -1;
		r = mur_json_scan_field(s, n, k->s, k->len, &vs, &vn);
		if (r < 0)
			return -1;
		if (r == 0 || !span_equals(vs, vn, bv))
			return 0;
	}
	return 1;
}

static void fn_contains(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *a, *b;
	int r;
	(void)argc;
	if (stor_fn_any_null(2, v) || !call_init(&c, cx))
		return;
	if ((b = arg_json(&c, v[1], 0)) && (r = fast_contains(v[0], b)) >= 0)
		sqlite3_result_int(cx, r);
	else if (b && (a = arg_json(&c, v[0], 0)))
		sqlite3_result_int(cx, mur_json_contains(a, b));
	call_done(&c);
}

static void fn_cmp(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *a, *b;
	(void)argc;
	if (!two_args(&c, cx, v, &a, &b))
		return;
	sqlite3_result_int(cx, mur_json_cmp(a, b));
	call_done(&c);
}

static void fn_exists(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *j;
	const char *vs;
	size_t vn;
	int r;
	(void)argc;
	if (stor_fn_any_null(2, v))
		return;
	/* an object's key by the scanner (arrays and strings: the parser) */
	r = mur_json_scan_field((const char *)sqlite3_value_text(v[0]),
				(size_t)sqlite3_value_bytes(v[0]),
				(const char *)sqlite3_value_text(v[1]),
				(size_t)sqlite3_value_bytes(v[1]), &vs, &vn);
	if (r == 1)
		return sqlite3_result_int(cx, 1);
	if (r == 0 && ((const char *)sqlite3_value_text(v[0]))[0] == '{')
		return sqlite3_result_int(cx, 0);
	if (!call_init(&c, cx))
		return;
	if ((j = arg_json(&c, v[0], 0)))
		sqlite3_result_int(cx, mur_json_exists(j, (const char *)sqlite3_value_text(v[1]),
						       (size_t)sqlite3_value_bytes(v[1])));
	call_done(&c);
}

/* ?| (all = 0) and ?& (all = 1); NULL keys in the list are skipped. */
static void exists_keys(sqlite3_context *cx, sqlite3_value **v, int all)
{
	json_call c;
	json_path *pa = malloc(sizeof *pa);
	mur_json *j;
	if (!pa)
		return sqlite3_result_error_nomem(cx);
	if (!stor_fn_any_null(2, v) && call_init(&c, cx)) {
		if ((j = arg_json(&c, v[0], 0)) && parse_path(&c, v[1], pa)) {
			int hits = 0, keys = 0;
			for (int i = 0; i < pa->n; i++) {
				if (pa->null[i])
					continue;
				keys++;
				hits += mur_json_exists(j, pa->s[i], pa->len[i]);
			}
			sqlite3_result_int(cx, all ? hits == keys : hits > 0);
		}
		call_done(&c);
	}
	free(pa);
}

static void fn_exists_any(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	exists_keys(cx, v, 0);
}

static void fn_exists_all(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	(void)argc;
	exists_keys(cx, v, 1);
}

static int is_container(const mur_json *j) { return j->kind == MJ_ARRAY || j->kind == MJ_OBJECT; }

/* a || b: two objects merge (b's keys win); otherwise both as arrays (a
 * scalar or object as a one-element array) concatenated. */
static void fn_concat(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *a, *b, *r;
	(void)argc;
	if (!two_args(&c, cx, v, &a, &b))
		return;
	if (a->kind == MJ_OBJECT && b->kind == MJ_OBJECT) {
		if ((r = mur_json_new_container(c.doc, MJ_OBJECT, a->n + b->n))) {
			memcpy(r->kid, a->kid, sizeof *r->kid * 2 * (size_t)a->n);
			memcpy(r->kid + 2 * a->n, b->kid, sizeof *r->kid * 2 * (size_t)b->n);
			r->n = a->n + b->n;
			mur_json_object_normalize(r);
		}
	} else {
		int na = a->kind == MJ_ARRAY ? a->n : 1, nb = b->kind == MJ_ARRAY ? b->n : 1;
		if ((r = mur_json_new_container(c.doc, MJ_ARRAY, na + nb))) {
			for (int i = 0; i < na; i++)
				r->kid[r->n++] = a->kind == MJ_ARRAY ? a->kid[i] : a;
			for (int i = 0; i < nb; i++)
				r->kid[r->n++] = b->kind == MJ_ARRAY ? b->kid[i] : b;
		}
	}
	if (r)
		result_json(&c, r, 0);
	else
		sqlite3_result_error_nomem(cx);
	call_done(&c);
}

/* Without item `drop` of container j (a copy sharing the kids). */
static mur_json *without(json_call *c, const mur_json *j, int drop)
{
	int w = j->kind == MJ_OBJECT ? 2 : 1;
	mur_json *r = mur_json_new_container(c->doc, j->kind, j->n);
	if (!r)
		return NULL;
	for (int i = 0; i < j->n; i++)
		if (i != drop) {
			memcpy(r->kid + w * r->n, j->kid + w * i, sizeof *r->kid * (size_t)w);
			r->n++;
		}
	return r;
}

/* j (an object or array) without the members whose key, or the string
 * elements whose text, is one of keys[0..n) (null[i] set: no key). */
static mur_json *without_keys(json_call *c, const mur_json *j, const char *const *keys,
			      const size_t *lens, const int *null, int n)
{
	mur_json *r = mur_json_new_container(c->doc, j->kind, j->n);
	for (int i = 0; r && i < j->n; i++) {
		const mur_json *key = j->kind == MJ_OBJECT ? j->kid[2 * i] : j->kid[i];
		int hit = 0;
		for (int k = 0; k < n && !hit; k++)
			hit = (!null || !null[k]) &&
			      (key->kind == MJ_STRING || j->kind == MJ_OBJECT) &&
			      key->len == lens[k] && !memcmp(key->s, keys[k], lens[k]);
		if (hit)
			continue;
		if (j->kind == MJ_OBJECT) {
			r->kid[2 * r->n] = j->kid[2 * i];
			r->kid[2 * r->n + 1] = j->kid[2 * i + 1];
		} else {
			r->kid[r->n] = j->kid[i];
		}
		r->n++;
	}
	return r;
}

static void fn_delete(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *j, *r = NULL;
	(void)argc;
	if (stor_fn_any_null(2, v) || !call_init(&c, cx))
		return;
	if (!(j = arg_json(&c, v[0], 0)))
		goto done_with_call;
	if (!is_container(j)) {
		stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE, "cannot delete from scalar");
		goto done_with_call;
	}
	if (sqlite3_value_type(v[1]) == SQLITE_INTEGER) {
		long i = (long)sqlite3_value_int64(v[1]);
		if (j->kind == MJ_OBJECT) {
			stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "cannot delete from object using integer index");
			goto done_with_call;
		}
		r = without(&c, j, (int)(i < 0 ? i + j->n : i));
	} else {
		const char *k = (const char *)sqlite3_value_text(v[1]);
		size_t kl = (size_t)sqlite3_value_bytes(v[1]);
		r = without_keys(&c, j, &k, &kl, NULL, 1);
	}
	if (r)
		result_json(&c, r, 0);
	else
		sqlite3_result_error_nomem(cx);
done_with_call:
	call_done(&c);
}

/* jsonb - text[]: every key of the list (NULLs match nothing) off an
 * object, every string element equal to one off an array. */
static void fn_delete_keys(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	json_path *pa = malloc(sizeof *pa);
	mur_json *j, *r;
	(void)argc;
	if (!pa)
		return sqlite3_result_error_nomem(cx);
	if (!stor_fn_any_null(2, v) && call_init(&c, cx)) {
		if ((j = arg_json(&c, v[0], 0)) && parse_path(&c, v[1], pa)) {
			if (!is_container(j))
				stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "cannot delete from scalar");
			else if ((r = without_keys(&c, j, pa->s, pa->len, pa->null, pa->n)))
				result_json(&c, r, 0);
			else
				sqlite3_result_error_nomem(cx);
		}
		call_done(&c);
	}
	free(pa);
}

/* The index of path element i in container j: for objects the pair whose
 * key matches (-1 none), for arrays the element (-1 past either end,
 * *bad set when not an integer). */
static int find_step(const mur_json *j, const json_path *pa, int i, int *bad)
{
	long idx;
	*bad = 0;
	if (j->kind == MJ_OBJECT) {
		for (int k = j->n - 1; k >= 0; k--)
			if (j->kid[2 * k]->len == pa->len[i] &&
			    !memcmp(j->kid[2 * k]->s, pa->s[i], pa->len[i]))
				return k;
		return -1;
	}
	if (!path_index(pa->s[i], pa->len[i], &idx))
		return *bad = 1, -1;
	if (idx < 0)
		idx += j->n;
	return idx >= 0 && idx < j->n ? (int)idx : -1;
}

/* A copy of container j with path[i..] replaced by nv (jsonb_set,
 * setPath) or removed (nv NULL: #-).  create: add a missing last key or
 * element.  Returns j itself when nothing changes; NULL after failing. */
static const mur_json *set_path(json_call *c, const mur_json *j, const json_path *pa, int i,
				const mur_json *nv, int create)
{
	int bad, k, w = j->kind == MJ_OBJECT ? 2 : 1;
	mur_json *r;
	const mur_json *sub;
	if (!is_container(j))
		return j;
	k = find_step(j, pa, i, &bad);
	if (bad) {
		stor_fn_fail(c->cx, SQLSTATE_INVALID_TEXT_REPRESENTATION,
			     "path element at position %d is not an integer: \"%.*s\"", i + 1,
			     (int)pa->len[i], pa->s[i]);
		return NULL;
	}
	if (k < 0 && (!nv || !create || i != pa->n - 1))
		return j;
	if (k >= 0 && i == pa->n - 1 && !nv)
		return without(c, j, k);
	if (!(r = mur_json_new_container(c->doc, j->kind, j->n + 1)))
		return sqlite3_result_error_nomem(c->cx), NULL;
	memcpy(r->kid, j->kid, sizeof *r->kid * (size_t)(w * j->n));
	r->n = j->n;
	if (k >= 0) {
		sub = i == pa->n - 1 ? nv
				     : set_path(c, j->kid[w * k + w - 1], pa, i + 1, nv, create);
		if (!sub)
			return NULL;
		r->kid[w * k + w - 1] = (mur_json *)sub;
		return r;
	}
	if (j->kind == MJ_OBJECT) {
		if (!(r->kid[2 * r->n] = mur_json_new_string(c->doc, pa->s[i], pa->len[i])))
			return sqlite3_result_error_nomem(c->cx), NULL;
		r->kid[2 * r->n + 1] = (mur_json *)nv;
		r->n++;
		mur_json_object_normalize(r);
		return r;
	}
	long idx = 0;
	path_index(pa->s[i], pa->len[i], &idx);
	if (idx < 0) { /* before the first element */
		memmove(r->kid + 1, r->kid, sizeof *r->kid * (size_t)r->n);
		r->kid[0] = (mur_json *)nv;
	} else {
		r->kid[r->n] = (mur_json *)nv;
	}
	r->n++;
	return r;
}

/* jsonb_set(j, path, nv [, create]) and j #- path (argc 2). */
static void fn_set(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	json_path *pa;
	mur_json *j, *nv = NULL;
	const mur_json *r;
	if (stor_fn_any_null(argc, v) || !(pa = malloc(sizeof *pa)))
		return;
	if (call_init(&c, cx)) {
		if ((j = arg_json(&c, v[0], 0)) && parse_path(&c, v[1], pa) &&
		    (argc == 2 || (nv = arg_json(&c, v[2], 0)))) {
			int scalar = !is_container(j);
			if (scalar && argc == 2)
				stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "cannot delete path in scalar");
			else if (scalar)
				stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "cannot set path in scalar");
			else if (pa->n == 0)
				result_json(&c, j, 0);
			else if ((r = set_path(&c, j, pa, 0, nv,
					       argc < 4 || sqlite3_value_int(v[3]))))
				result_json(&c, r, 0);
		}
		call_done(&c);
	}
	free(pa);
}

/* ---- functions of one document ---- */

static void fn_typeof(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *j;
	(void)argc;
	if (stor_fn_any_null(1, v) || !call_init(&c, cx))
		return;
	if ((j = arg_json(&c, v[0], 0)))
		sqlite3_result_text(cx, mur_json_typeof(j), -1, SQLITE_STATIC);
	call_done(&c);
}

static void fn_array_length(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *j;
	(void)argc;
	if (stor_fn_any_null(1, v) || !call_init(&c, cx))
		return;
	if (!(j = arg_json(&c, v[0], 0)))
		;
	else if (j->kind == MJ_ARRAY)
		sqlite3_result_int(cx, j->n);
	else
		stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE, "cannot get array length of %s",
			     j->kind == MJ_OBJECT ? "a non-array" : "a scalar");
	call_done(&c);
}

static void fn_pretty(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *j;
	(void)argc;
	if (stor_fn_any_null(1, v) || !call_init(&c, cx))
		return;
	if ((j = arg_json(&c, v[0], 0)))
		result_json(&c, j, 1);
	call_done(&c);
}

/* Object fields whose value is null removed, at every level (in place). */
static void strip_nulls(mur_json *j)
{
	int n = 0;
	if (j->kind == MJ_ARRAY)
		for (int i = 0; i < j->n; i++)
			strip_nulls(j->kid[i]);
	if (j->kind != MJ_OBJECT)
		return;
	for (int i = 0; i < j->n; i++) {
		if (j->kid[2 * i + 1]->kind == MJ_NULL)
			continue;
		strip_nulls(j->kid[2 * i + 1]);
		j->kid[2 * n] = j->kid[2 * i];
		j->kid[2 * n + 1] = j->kid[2 * i + 1];
		n++;
	}
	j->n = n;
}

static void fn_strip_nulls(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	json_call c;
	mur_json *j;
	(void)argc;
	if (stor_fn_any_null(1, v) || !call_init(&c, cx))
		return;
	if ((j = arg_json(&c, v[0], 0))) {
		strip_nulls(j);
		result_json(&c, j, 0);
	}
	call_done(&c);
}

/* ---- to_json and the builders ---- */

/* x of SQL type t as JSON text (datum_to_json): numbers bare (but NaN
 * and infinities quoted), booleans true/false, json and jsonb as they
 * are, dates and timestamps in ISO 8601 ("T", "+00:00"), the rest as a
 * string of its output text. */
/* A value of type t (not bool, json or an array) as its output text tmp
 * gives it in JSON: a number bare, the rest a string (timestamps in ISO
 * form, as PostgreSQL's to_json). */
static void put_json_text(mur_buf *b, mur_type t, mur_buf *tmp)
{
	if (mur_type_is_numeric(t) && tmp->len &&
	    (tmp->data[0] == '-' || (tmp->data[0] >= '0' && tmp->data[0] <= '9')) &&
	    strcmp(mur_buf_cstr(tmp), "-Infinity")) {
		mur_buf_put(b, tmp->data, tmp->len);
		return;
	}
	if (t == MT_TIMESTAMP || t == MT_TIMESTAMPTZ) {
		char *sp = tmp->len > 10 ? memchr(tmp->data, ' ', tmp->len) : NULL;
		if (sp)
			*sp = 'T';
		if (t == MT_TIMESTAMPTZ && tmp->len > 3 &&
		    !memcmp(tmp->data + tmp->len - 3, "+00", 3))
			mur_buf_put(tmp, ":00", 3);
	}
	mur_json_put_string(b, tmp->data ? tmp->data : "", tmp->len);
}

/* Element i of a (element type et) as a JSON value. */
static void put_json_elem(mur_buf *b, mur_type et, const mur_arr *a, int i)
{
	const char *s = mur_arr_s(a, i);
	mur_buf e;
	if (a->e[i].null) {
		mur_buf_put(b, "null", 4);
		return;
	}
	if (et == MT_BOOL) {
		mur_buf_put(b, s[0] == 't' ? "true" : "false", s[0] == 't' ? 4 : 5);
		return;
	}
	mur_buf_init(&e);
	mur_buf_put(&e, s, a->e[i].len);
	put_json_text(b, et, &e);
	mur_buf_free(&e);
}

/* Dimension d of a from element *k on, as nested JSON arrays. */
static void put_json_level(mur_buf *b, mur_type et, const mur_arr *a, int d, int *k)
{
	mur_buf_put_u8(b, '[');
	for (int j = 0; j < mur_arr_dim(a, d); j++) {
		if (j)
			mur_buf_put_u8(b, ',');
		if (d == mur_arr_ndim(a) - 1)
			put_json_elem(b, et, a, (*k)++);
		else
			put_json_level(b, et, a, d + 1, k);
	}
	mur_buf_put_u8(b, ']');
}

/* An array's text (tmp) as a JSON array of its elements, nested by its
 * dimensions, as PostgreSQL's array_to_json; 0 when it does not parse (the
 * caller writes a string). */
static int put_json_array(mur_buf *b, mur_type t, const mur_buf *tmp)
{
	mur_arr a;
	mur_error err;
	int k = 0;
	mur_arr_init(&a);
	if (mur_arr_parse(&a, t, tmp->data ? tmp->data : "", tmp->len, &err) != MUR_OK) {
		mur_arr_free(&a);
		return 0;
	}
	if (mur_arr_ndim(&a) == 0)
		mur_buf_put(b, "[]", 2);
	else
		put_json_level(b, mur_type_elem(t), &a, 0, &k);
	mur_arr_free(&a);
	return 1;
}

static void put_json_value(mur_buf *b, sqlite3_value *x, mur_type t)
{
	mur_value v = stor_fn_value(x);
	mur_buf tmp;
	if (v.kind == MV_NULL) {
		mur_buf_put(b, "null", 4);
		return;
	}
	if (t == MT_BOOL) {
		mur_buf_put(b, v.i ? "true" : "false", v.i ? 4 : 5);
		return;
	}
	if (t == MT_JSON || t == MT_JSONB) {
		mur_buf_put(b, v.s, v.len);
		return;
	}
	mur_buf_init(&tmp);
	mur_value_to_pgtext(t, &v, &tmp);
	if (!mur_type_is_array(t) || !put_json_array(b, t, &tmp))
		put_json_text(b, t, &tmp);
	mur_buf_free(&tmp);
}

/* Text in b answered as json (normalize 0) or normalized jsonb. */
static void result_text(sqlite3_context *cx, mur_buf *b, int jsonb)
{
	json_call c;
	mur_json *j;
	mur_error err;
	if (!jsonb || !mur_buf_ok(b))
		return stor_fn_result_buf(cx, b);
	if (!call_init(&c, cx))
		return mur_buf_free(b);
	if (mur_json_parse(c.doc, b->data, b->len, 1, &j, &err) != MUR_OK)
		stor_fn_fail(cx, err.sqlstate, "%s", err.message);
	else
		result_json(&c, j, 0);
	call_done(&c);
	mur_buf_free(b);
}

static void fn_to_json(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf b;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	mur_buf_init(&b);
	put_json_value(&b, v[0], (mur_type)sqlite3_value_int(v[1]));
	result_text(cx, &b, sqlite3_value_int(v[2]));
}

static void fn_elem(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf b;
	(void)argc;
	mur_buf_init(&b);
	put_json_value(&b, v[0], (mur_type)sqlite3_value_int(v[1]));
	stor_fn_result_buf(cx, &b);
}

/* json_build_object(k, v, ...): { "k" : v, ... } for json (PostgreSQL's
 * spacing), normalized for jsonb.  Keys are text, values elems. */
/* mode (v[0]): 0 json_build_object, 1 jsonb_build_object, 2 a row as
 * row_to_json writes it (no spaces: {"id":1,"v":"a"}). */
static void fn_build_object(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int mode = sqlite3_value_int(v[0]), jsonb = mode == 1;
	mur_buf b;
	if ((argc - 1) % 2) {
		stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
			     "argument list must have even number of elements");
		return;
	}
	mur_buf_init(&b);
	mur_buf_put_u8(&b, '{');
	for (int i = 1; i < argc; i += 2) {
		if (sqlite3_value_type(v[i]) == SQLITE_NULL) {
			mur_buf_free(&b);
			stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "argument %d cannot be null", i);
			return;
		}
		if (i > 1)
			mur_buf_put(&b, ", ", mode == 2 ? 1 : 2);
		mur_json_put_string(&b, (const char *)sqlite3_value_text(v[i]),
				    (size_t)sqlite3_value_bytes(v[i]));
		mur_buf_put(&b, mode == 2 ? ":" : " : ", mode == 2 ? 1 : 3);
		mur_buf_put(&b, sqlite3_value_text(v[i + 1]),
			    (size_t)sqlite3_value_bytes(v[i + 1]));
	}
	mur_buf_put_u8(&b, '}');
	result_text(cx, &b, jsonb);
}

static void fn_build_array(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_put_u8(&b, '[');
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			mur_buf_put(&b, ", ", 2);
		mur_buf_put(&b, sqlite3_value_text(v[i]), (size_t)sqlite3_value_bytes(v[i]));
	}
	mur_buf_put_u8(&b, ']');
	result_text(cx, &b, sqlite3_value_int(v[0]));
}

/* ---- the collation ---- */

/* jsonb ordering over two normalized texts; unparsable text (never
 * stored) sorts by bytes. */
static int collate_jsonb(void *arg, int la, const void *a, int lb, const void *b)
{
	mur_json_doc *d = mur_json_doc_new();
	mur_json *ja, *jb;
	mur_error err;
	int r;
	(void)arg;
	if (d && mur_json_parse(d, a, (size_t)la, 0, &ja, &err) == MUR_OK &&
	    mur_json_parse(d, b, (size_t)lb, 0, &jb, &err) == MUR_OK) {
		r = mur_json_cmp(ja, jb);
	} else {
		r = memcmp(a, b, (size_t)(la < lb ? la : lb));
		r = r ? r : la - lb;
	}
	mur_json_doc_free(d);
	return r;
}

/* mur_json_srf_arg(j, fn): j when it is the kind the set-returning
 * function fn takes (an object for json[b]_each[_text] and _object_keys,
 * an array for _array_elements[_text]), else PostgreSQL's 22023 with its
 * words; NULL stays NULL (no rows). */
static void fn_srf_arg(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *j = (const char *)sqlite3_value_text(v[0]);
	const char *fn = (const char *)sqlite3_value_text(v[1]);
	int n = sqlite3_value_bytes(v[0]), jsonb;
	char kind = 's'; /* object, array, scalar */
	const char *msg = NULL;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL || !fn)
		return;
	for (int i = 0; i < n; i++)
		if (j[i] != ' ' && j[i] != '\t' && j[i] != '\n' && j[i] != '\r') {
			kind = j[i] == '{' ? 'o' : j[i] == '[' ? 'a' : 's';
			break;
		}
	jsonb = !strncmp(fn, "jsonb", 5);
	if (strstr(fn, "_object_keys") && kind != 'o')
		msg = kind == 'a' ? "cannot call %s on an array" : "cannot call %s on a scalar";
	else if (strstr(fn, "_each") && kind != 'o')
		msg = jsonb         ? "cannot call %s on a non-object"
		      : kind == 'a' ? "cannot deconstruct an array as an object"
				    : "cannot deconstruct a scalar";
	else if (strstr(fn, "_array_elements") && kind != 'a')
		msg = jsonb         ? (kind == 'o' ? "cannot extract elements from an object"
						   : "cannot extract elements from a scalar")
		      : kind == 'o' ? "cannot call %s on a non-array"
				    : "cannot call %s on a scalar";
	if (msg)
		return stor_fn_fail(cx, SQLSTATE_INVALID_PARAMETER_VALUE, msg, fn);
	sqlite3_result_value(cx, v[0]);
}

static const stor_fn_def jsonfns[] = {
	{"mur_json_srf_arg", 2, 1, fn_srf_arg},
	{"mur_json_get", 3, 1, fn_get},
	{"mur_json_path", 3, 1, fn_path},
	{"mur_jsonb_contains", 2, 1, fn_contains},
	{"mur_jsonb_cmp", 2, 1, fn_cmp},
	{"mur_jsonb_exists", 2, 1, fn_exists},
	{"mur_jsonb_exists_any", 2, 1, fn_exists_any},
	{"mur_jsonb_exists_all", 2, 1, fn_exists_all},
	{"mur_jsonb_concat", 2, 1, fn_concat},
	{"mur_jsonb_delete", 2, 1, fn_delete},
	{"mur_jsonb_delete_keys", 2, 1, fn_delete_keys},
	{"mur_jsonb_delete_path", 2, 1, fn_set},
	{"mur_jsonb_set", 3, 1, fn_set},
	{"mur_jsonb_set", 4, 1, fn_set},
	{"mur_json_typeof", 1, 1, fn_typeof},
	{"mur_json_array_length", 1, 1, fn_array_length},
	{"mur_jsonb_pretty", 1, 1, fn_pretty},
	{"mur_jsonb_strip_nulls", 1, 1, fn_strip_nulls},
	{"mur_to_json", 3, 1, fn_to_json},
	{"mur_json_elem", 2, 1, fn_elem},
	{"mur_json_build_object", -1, 1, fn_build_object},
	{"mur_json_build_array", -1, 1, fn_build_array},
};

int stor_register_json_functions(sqlite3 *db)
{
	int rc = stor_fn_register(db, jsonfns, sizeof jsonfns / sizeof jsonfns[0]);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_collation_v2(db, MUR_JSONB_COLLATION, SQLITE_UTF8, NULL,
						 collate_jsonb, NULL);
	return rc;
}
