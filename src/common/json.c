/*
 * json.c — the JSON parser, the jsonb writer and jsonb's comparison and
 * containment (contract in json.h).
 *
 * Parsing is recursive descent over PostgreSQL's grammar (json.c's lexer:
 * whitespace is space, tab, CR and LF; numbers
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; strings with the JSON
 * escapes, control characters refused) and reports PostgreSQL's error
 * details.  With normalize set it also does what jsonb_in does: numbers
 * through numeric_in/numeric_out (common/numeric.h), objects sorted and
 * deduplicated (uniqueifyJsonbObject), \u0000 refused.
 *
 * The writer follows JsonbToCStringWorker, including jsonb_pretty's
 * layout (a newline and four spaces a level, "," between items).
 *
 * Memory: a doc is a list of arena blocks; nothing is freed before
 * mur_json_doc_free.
 */
#include "common/json.h"

#include "common/numeric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Arena block size: most documents fit one block. */
#define JSON_BLOCK_BYTES 8192
/* Characters of a bad token quoted in an error detail. */
#define JSON_TOKEN_QUOTE_MAX 64

typedef struct json_block {
	struct json_block *next;
	size_t used, cap;
	max_align_t data[];
} json_block;

struct mur_json_doc {
	json_block *blocks;
};

mur_json_doc *mur_json_doc_new(void) { return calloc(1, sizeof(mur_json_doc)); }

void mur_json_doc_free(mur_json_doc *d)
{
	if (!d)
		return;
	for (json_block *b = d->blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(d);
}

static void *doc_alloc(mur_json_doc *d, size_t n)
{
	json_block *b = d->blocks;
	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!b || b->cap - b->used < n) {
		size_t cap = n > JSON_BLOCK_BYTES ? n : JSON_BLOCK_BYTES;
		if (!(b = malloc(sizeof *b + cap)))
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = d->blocks;
		d->blocks = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	return p;
}

mur_json *mur_json_new(mur_json_doc *d, mur_json_kind kind)
{
	mur_json *j = doc_alloc(d, sizeof *j);
	if (j) {
		memset(j, 0, sizeof *j);
		j->kind = kind;
	}
	return j;
}

mur_json *mur_json_new_string(mur_json_doc *d, const char *s, size_t len)
{
	mur_json *j = mur_json_new(d, MJ_STRING);
	char *p = j ? doc_alloc(d, len + 1) : NULL;
	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	j->s = p;
	j->len = len;
	return j;
}

mur_json *mur_json_new_container(mur_json_doc *d, mur_json_kind kind, int n)
{
	mur_json *j = mur_json_new(d, kind);
	size_t slots = (size_t)(n ? n : 1) * (kind == MJ_OBJECT ? 2 : 1);
	if (!j || !(j->kid = doc_alloc(d, sizeof(mur_json *) * slots)))
		return NULL;
	return j;
}

/* ---- parsing ---- */

typedef struct json_parser {
	mur_json_doc *doc;
	const char *p, *end;
	int normalize;
	int depth;
	mur_error *err;
} json_parser;

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int is_delim(char c)
{
	return is_ws(c) || c == ',' || c == ':' || c == '{' || c == '}' || c == '[' || c == ']' ||
	       c == '"';
}

static void skip_ws(json_parser *ps)
{
	while (ps->p < ps->end && is_ws(*ps->p))
		ps->p++;
}

static int syntax(json_parser *ps, const char *fmt, const char *tok, size_t n)
{
	mur_error_set(ps->err, SQLSTATE_INVALID_TEXT_REPRESENTATION,
		      "invalid input syntax for type json");
	if (n > JSON_TOKEN_QUOTE_MAX)
		n = JSON_TOKEN_QUOTE_MAX;
	mur_error_detail(ps->err, fmt, (int)n, tok);
	return MUR_ERR;
}

/* The token at p, as PostgreSQL's lexer would quote it. */
static size_t token_len(const json_parser *ps)
{
	const char *q = ps->p;
	if (q >= ps->end)
		return 0;
	if (is_delim(*q))
		return 1;
	while (q < ps->end && !is_delim(*q))
		q++;
	return (size_t)(q - ps->p);
}

/* "Expected X, but found "tok"." or the end-of-input detail. */
static int expected(json_parser *ps, const char *what)
{
	char fmt[96];
	if (ps->p >= ps->end)
		return syntax(ps, "The input string ended unexpectedly.%.*s", "", 0);
	snprintf(fmt, sizeof fmt, "Expected %s, but found \"%%.*s\".", what);
	return syntax(ps, fmt, ps->p, token_len(ps));
}

static int oom(json_parser *ps)
{
	return mur_error_set(ps->err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static void put_utf8(mur_buf *b, unsigned cp)
{
	if (cp < 0x80) {
		mur_buf_put_u8(b, (uint8_t)cp);
	} else if (cp < 0x800) {
		mur_buf_put_u8(b, (uint8_t)(0xC0 | cp >> 6));
		mur_buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		mur_buf_put_u8(b, (uint8_t)(0xE0 | cp >> 12));
		mur_buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
		mur_buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	} else {
		mur_buf_put_u8(b, (uint8_t)(0xF0 | cp >> 18));
		mur_buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 12) & 0x3F)));
		mur_buf_put_u8(b, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
		mur_buf_put_u8(b, (uint8_t)(0x80 | (cp & 0x3F)));
	}
}

/* Four hex digits after \u at q; -1 (error set) when not. */
static long read_u4(json_parser *ps, const char *q)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = q + i < ps->end ? hexval(q[i]) : -1;
		if (h < 0)
			return syntax(ps,
				      "\"\\u\" must be followed by four hexadecimal digits.%.*s",
				      "", 0),
			       -1;
		v = v * 16 + h;
	}
	return v;
}

static int unicode_escape(json_parser *ps, const char **q, mur_buf *b)
{
	long cp = read_u4(ps, *q + 2), lo;
	if (cp < 0)
		return MUR_ERR;
	*q += 6;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (*q + 1 >= ps->end || (*q)[0] != '\\' || (*q)[1] != 'u')
			return syntax(ps,
				      "Unicode high surrogate must not be followed by another high "
				      "surrogate.%.*s",
				      "", 0);
		if ((lo = read_u4(ps, *q + 2)) < 0)
			return MUR_ERR;
		if (lo < 0xDC00 || lo > 0xDFFF)
			return syntax(ps, "Unicode low surrogate must follow a high surrogate.%.*s",
				      "", 0);
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		*q += 6;
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		return syntax(ps, "Unicode low surrogate must follow a high surrogate.%.*s", "", 0);
	} else if (cp == 0 && ps->normalize) {
		mur_error_set(ps->err, "22P05", "unsupported Unicode escape sequence");
		mur_error_detail(ps->err, "\\u0000 cannot be converted to text.");
		return MUR_ERR;
	}
	put_utf8(b, (unsigned)cp);
	return MUR_OK;
}

static int escape(json_parser *ps, const char **q, mur_buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *hit;
	if (*q + 1 >= ps->end)
		return syntax(ps, "The input string ended unexpectedly.%.*s", "", 0);
	if ((*q)[1] == 'u')
		return unicode_escape(ps, q, b);
	if (!(hit = memchr(from, (*q)[1], sizeof from - 1)))
		return syntax(ps, "Escape sequence \"\\%.*s\" is invalid.", *q + 1, 1);
	mur_buf_put_u8(b, (uint8_t)to[hit - from]);
	*q += 2;
	return MUR_OK;
}

/* A string at p (on the opening quote): decoded into a new node. */
static mur_json *parse_string(json_parser *ps)
{
	const char *q = ps->p + 1, *start = ps->p;
	mur_buf b;
	mur_json *j = NULL;
	mur_buf_init(&b);
	while (q < ps->end && *q != '"') {
		if ((unsigned char)*q < 0x20) {
			char c[8];
			snprintf(c, sizeof c, "%02x", (unsigned char)*q);
			syntax(ps, "Character with value 0x%.*s must be escaped.", c, 2);
			goto err_after_buf;
		}
		if (*q == '\\') {
			if (escape(ps, &q, &b) != MUR_OK)
				goto err_after_buf;
			continue;
		}
		mur_buf_put_u8(&b, (uint8_t)*q++);
	}
	if (q >= ps->end) {
		syntax(ps, "The input string ended unexpectedly.%.*s", "", 0);
		goto err_after_buf;
	}
	if (!mur_buf_ok(&b) || !(j = mur_json_new_string(ps->doc, b.data ? b.data : "", b.len))) {
		oom(ps);
		goto err_after_buf;
	}
	ps->p = q + 1;
	j->raw = start;
	j->raw_len = (size_t)(ps->p - start);
err_after_buf:
	mur_buf_free(&b);
	return j;
}

static const char *digits(const char *q, const char *end)
{
	while (q < end && *q >= '0' && *q <= '9')
		q++;
	return q;
}

/* The canonical numeric text of a jsonb number (numeric_in, numeric_out). */
static int number_canon(json_parser *ps, mur_json *j)
{
	mur_num n;
	mur_buf b;
	char *p;
	int rc = MUR_OK;
	mur_num_init(&n);
	mur_buf_init(&b);
	if (mur_num_parse(&n, j->raw, j->raw_len, ps->err) != MUR_OK) {
		rc = MUR_ERR;
		goto done_with_num;
	}
	mur_num_to_text(&n, &b);
	if (!mur_buf_ok(&b) || !(p = doc_alloc(ps->doc, b.len ? b.len : 1))) {
		rc = oom(ps);
		goto done_with_num;
	}
	memcpy(p, b.data, b.len);
	j->s = p;
	j->len = b.len;
done_with_num:
	mur_buf_free(&b);
	mur_num_clear(&n);
	return rc;
}

static mur_json *parse_number(json_parser *ps)
{
	const char *q = ps->p, *start = ps->p;
	mur_json *j;
	if (q < ps->end && *q == '-')
		q++;
	if (q < ps->end && *q == '0')
		q++;
	else if (q < ps->end && *q >= '1' && *q <= '9')
		q = digits(q, ps->end);
	else
		goto bad_token;
	if (q < ps->end && *q == '.') {
		const char *f = digits(q + 1, ps->end);
		if (f == q + 1)
			goto bad_token;
		q = f;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		const char *e = q + 1;
		if (e < ps->end && (*e == '+' || *e == '-'))
			e++;
		const char *f = digits(e, ps->end);
		if (f == e)
			goto bad_token;
		q = f;
	}
	if (q < ps->end && !is_delim(*q))
		goto bad_token;
	if (!(j = mur_json_new(ps->doc, MJ_NUMBER)))
		return oom(ps), NULL;
	j->raw = j->s = start;
	j->raw_len = j->len = (size_t)(q - start);
	ps->p = q;
	if (ps->normalize && number_canon(ps, j) != MUR_OK)
		return NULL;
	return j;
bad_token:
	syntax(ps, "Token \"%.*s\" is invalid.", ps->p, token_len(ps));
	return NULL;
}

static mur_json *parse_word(json_parser *ps)
{
	static const struct {
		const char *w;
		mur_json_kind kind;
		int b;
	} words[] = {{"true", MJ_BOOL, 1}, {"false", MJ_BOOL, 0}, {"null", MJ_NULL, 0}};
	size_t n = token_len(ps);
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		mur_json *j;
		if (n != strlen(words[i].w) || memcmp(ps->p, words[i].w, n))
			continue;
		if (!(j = mur_json_new(ps->doc, words[i].kind)))
			return oom(ps), NULL;
		j->b = words[i].b;
		j->raw = ps->p;
		j->raw_len = n;
		ps->p += n;
		return j;
	}
	syntax(ps, "Token \"%.*s\" is invalid.", ps->p, token_len(ps));
	return NULL;
}

static mur_json *parse_value(json_parser *ps);

/* Room for need kids in *v (doubling in the arena; the old array stays
 * behind until the doc is freed). */
static int grow(json_parser *ps, mur_json ***v, int *cap, int need)
{
	mur_json **nv;
	int ncap;
	if (need <= *cap)
		return MUR_OK;
	ncap = *cap ? *cap * 2 : 8;
	if (!(nv = doc_alloc(ps->doc, sizeof *nv * (size_t)ncap)))
		return oom(ps);
	if (*cap)
		memcpy(nv, *v, sizeof *nv * (size_t)*cap);
	*v = nv;
	*cap = ncap;
	return MUR_OK;
}

static mur_json *parse_array(json_parser *ps)
{
	mur_json *a = mur_json_new(ps->doc, MJ_ARRAY), *item;
	int cap = 0;
	if (!a)
		return oom(ps), NULL;
	a->raw = ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		a->raw_len = (size_t)(ps->p - a->raw);
		return a;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p == ']' || *ps->p == ',' || *ps->p == '}' ||
		    *ps->p == ':')
			return (a->n ? expected(ps, "JSON value")
				     : expected(ps, "array element or \"]\"")),
			       NULL;
		if (!(item = parse_value(ps)) || grow(ps, &a->kid, &cap, a->n + 1) != MUR_OK)
			return NULL;
		a->kid[a->n++] = item;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == ']')
			break;
		return expected(ps, "\",\" or \"]\""), NULL;
	}
	ps->p++;
	a->raw_len = (size_t)(ps->p - a->raw);
	return a;
}

static mur_json *parse_object(json_parser *ps)
{
	mur_json *o = mur_json_new(ps->doc, MJ_OBJECT), *k, *v;
	int cap = 0;
	if (!o)
		return oom(ps), NULL;
	o->raw = ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		o->raw_len = (size_t)(ps->p - o->raw);
		return o;
	}
	for (;;) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"')
			return (o->n ? expected(ps, "string") : expected(ps, "string or \"}\"")),
			       NULL;
		if (!(k = parse_string(ps)))
			return NULL;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			return expected(ps, "\":\""), NULL;
		ps->p++;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p == '}' || *ps->p == ']' || *ps->p == ',' ||
		    *ps->p == ':')
			return expected(ps, "JSON value"), NULL;
		if (!(v = parse_value(ps)) || grow(ps, &o->kid, &cap, 2 * o->n + 2) != MUR_OK)
			return NULL;
		o->kid[2 * o->n] = k;
		o->kid[2 * o->n + 1] = v;
		o->n++;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == '}')
			break;
		return expected(ps, "\",\" or \"}\""), NULL;
	}
	ps->p++;
	o->raw_len = (size_t)(ps->p - o->raw);
	if (ps->normalize)
		mur_json_object_normalize(o);
	return o;
}

static mur_json *parse_value(json_parser *ps)
{
	mur_json *j;
	skip_ws(ps);
	if (ps->p >= ps->end)
		return expected(ps, "JSON value"), NULL;
	if (++ps->depth > MUR_JSON_DEPTH_MAX) {
		mur_error_set(ps->err, SQLSTATE_STACK_DEPTH_EXCEEDED, "stack depth limit exceeded");
		mur_error_hint(ps->err, "murphy parses json nested at most %d levels deep.",
			       MUR_JSON_DEPTH_MAX);
		return NULL;
	}
	switch (*ps->p) {
	case '{':
		j = parse_object(ps);
		break;
	case '[':
		j = parse_array(ps);
		break;
	case '"':
		j = parse_string(ps);
		break;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		j = parse_number(ps);
		break;
	case '}':
	case ']':
	case ',':
	case ':':
		j = (expected(ps, "JSON value"), NULL);
		break;
	default:
		j = parse_word(ps);
		break;
	}
	ps->depth--;
	return j;
}

int mur_json_parse(mur_json_doc *d, const char *text, size_t len, int normalize, mur_json **out,
		   mur_error *err)
{
	json_parser ps = {d, text, text + len, normalize, 0, err};
	mur_json *j = parse_value(&ps);
	if (!j)
		return MUR_ERR;
	skip_ws(&ps);
	if (ps.p < ps.end)
		return expected(&ps, "end of input");
	*out = j;
	return MUR_OK;
}

/* ---- objects ---- */

/* jsonb key order: shorter first, then bytes (lengthCompareJsonbString). */
static int key_cmp(const mur_json *a, const mur_json *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->s, b->s, a->len);
}

/* Insertion sort of pairs, stable: objects are small, and stability is
 * what keeps the last of duplicate keys (PostgreSQL sorts by key and
 * input position). */
void mur_json_object_normalize(mur_json *o)
{
	mur_json **p = o->kid;
	int n = 0;
	for (int i = 1; i < o->n; i++) {
		mur_json *k = p[2 * i], *v = p[2 * i + 1];
		int j = i - 1;
		while (j >= 0 && key_cmp(p[2 * j], k) > 0) {
			p[2 * j + 2] = p[2 * j];
			p[2 * j + 3] = p[2 * j + 1];
			j--;
		}
		p[2 * j + 2] = k;
		p[2 * j + 3] = v;
	}
	for (int i = 0; i < o->n; i++) { /* the last of equal keys wins */
		if (n && !key_cmp(p[2 * (n - 1)], p[2 * i]))
			n--;
		p[2 * n] = p[2 * i];
		p[2 * n + 1] = p[2 * i + 1];
		n++;
	}
	o->n = n;
}

/* ---- writing ---- */

void mur_json_put_string(mur_buf *out, const char *s, size_t len)
{
	mur_buf_put_u8(out, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = c == '"'    ? "\\\""
				: c == '\\' ? "\\\\"
				: c == '\b' ? "\\b"
				: c == '\f' ? "\\f"
				: c == '\n' ? "\\n"
				: c == '\r' ? "\\r"
				: c == '\t' ? "\\t"
					    : NULL;
		if (e)
			mur_buf_put(out, e, strlen(e));
		else if (c < 0x20)
			mur_buf_printf(out, "\\u%04x", c);
		else
			mur_buf_put_u8(out, c);
	}
	mur_buf_put_u8(out, '"');
}

static void indent(mur_buf *out, int pretty, int level)
{
	if (!pretty)
		return;
	mur_buf_put_u8(out, '\n');
	for (int i = 0; i < level; i++)
		mur_buf_put(out, "    ", 4);
}

static void write_scalar(const mur_json *j, mur_buf *out)
{
	switch (j->kind) {
	case MJ_NULL:
		mur_buf_put(out, "null", 4);
		break;
	case MJ_BOOL:
		mur_buf_put(out, j->b ? "true" : "false", j->b ? 4 : 5);
		break;
	case MJ_NUMBER:
		mur_buf_put(out, j->s, j->len);
		break;
	default:
		mur_json_put_string(out, j->s, j->len);
		break;
	}
}

/* One value at level; after_key: it follows "key": on the same line. */
static void write_value(const mur_json *j, int pretty, int level, int after_key, mur_buf *out)
{
	const char *sep = pretty ? "," : ", ";
	if (j->kind != MJ_ARRAY && j->kind != MJ_OBJECT) {
		write_scalar(j, out);
		return;
	}
	if (level > 0 && !after_key)
		indent(out, pretty, level);
	mur_buf_put_u8(out, j->kind == MJ_ARRAY ? '[' : '{');
	for (int i = 0; i < j->n; i++) {
		if (i)
			mur_buf_put(out, sep, strlen(sep));
		if (j->kind == MJ_ARRAY) {
			const mur_json *e = j->kid[i];
			if (e->kind != MJ_ARRAY && e->kind != MJ_OBJECT)
				indent(out, pretty, level + 1);
			write_value(e, pretty, level + 1, 0, out);
		} else {
			indent(out, pretty, level + 1);
			mur_json_put_string(out, j->kid[2 * i]->s, j->kid[2 * i]->len);
			mur_buf_put(out, ": ", 2);
			write_value(j->kid[2 * i + 1], pretty, level + 1, 1, out);
		}
	}
	indent(out, pretty, level);
	mur_buf_put_u8(out, j->kind == MJ_ARRAY ? ']' : '}');
}

void mur_json_write(const mur_json *j, int pretty, mur_buf *out)
{
	write_value(j, pretty, 0, 0, out);
}

/* ---- comparison ---- */

static int scalar_cmp(const mur_json *a, const mur_json *b)
{
	switch (a->kind) {
	case MJ_NULL:
		return 0;
	case MJ_BOOL:
		return a->b - b->b;
	case MJ_NUMBER:
		return mur_num_text_cmp(a->s, a->len, b->s, b->len);
	default: {
		int r = memcmp(a->s, b->s, a->len < b->len ? a->len : b->len);
		return r ? r : a->len < b->len ? -1 : a->len > b->len;
	}
	}
}

static int sign(int r) { return r < 0 ? -1 : r > 0; }

/* raw_a / raw_b: the value is a top-level scalar (jsonb's raw scalar
 * pseudo-array of one element). */
static int node_cmp(const mur_json *a, int raw_a, const mur_json *b, int raw_b)
{
	int na, nb;
	int ca = raw_a ? MJ_ARRAY : a->kind, cb = raw_b ? MJ_ARRAY : b->kind;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	if (ca != MJ_ARRAY && ca != MJ_OBJECT)
		return sign(scalar_cmp(a, b));
	na = raw_a ? 1 : a->n;
	nb = raw_b ? 1 : b->n;
	if (na != nb)
		return na < nb ? -1 : 1;
	if (raw_a != raw_b)
		return raw_a ? -1 : 1;
	if (raw_a)
		return node_cmp(a, 0, b, 0);
	for (int i = 0; i < a->n; i++) {
		int r;
		if (ca == MJ_OBJECT) { /* keys as strings here, not by length first */
			if ((r = scalar_cmp(a->kid[2 * i], b->kid[2 * i])) != 0)
				return sign(r);
			r = node_cmp(a->kid[2 * i + 1], 0, b->kid[2 * i + 1], 0);
		} else {
			r = node_cmp(a->kid[i], 0, b->kid[i], 0);
		}
		if (r)
			return r;
	}
	return 0;
}

int mur_json_cmp(const mur_json *a, const mur_json *b)
{
	int sa = a->kind != MJ_ARRAY && a->kind != MJ_OBJECT;
	int sb = b->kind != MJ_ARRAY && b->kind != MJ_OBJECT;
	return node_cmp(a, sa, b, sb);
}

/* ---- containment and lookup ---- */

const mur_json *mur_json_field(const mur_json *o, const char *key, size_t len)
{
	const mur_json *hit = NULL;
	if (o->kind != MJ_OBJECT)
		return NULL;
	for (int i = 0; i < o->n; i++)
		if (o->kid[2 * i]->len == len && !memcmp(o->kid[2 * i]->s, key, len))
			hit = o->kid[2 * i + 1];
	return hit;
}

const mur_json *mur_json_elem(const mur_json *a, long i)
{
	if (a->kind != MJ_ARRAY)
		return NULL;
	if (i < 0)
		i += a->n;
	return i >= 0 && i < a->n ? a->kid[i] : NULL;
}

int mur_json_exists(const mur_json *j, const char *key, size_t len)
{
	if (j->kind == MJ_OBJECT)
		return mur_json_field(j, key, len) != NULL;
	if (j->kind == MJ_STRING)
		return j->len == len && !memcmp(j->s, key, len);
	if (j->kind != MJ_ARRAY)
		return 0;
	for (int i = 0; i < j->n; i++)
		if (j->kid[i]->kind == MJ_STRING && j->kid[i]->len == len &&
		    !memcmp(j->kid[i]->s, key, len))
			return 1;
	return 0;
}

/* JsonbDeepContains below the top: objects by key, arrays as sets (a
 * scalar of b in a's scalars, a container of b contained in one of a's). */
static int contains(const mur_json *a, const mur_json *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == MJ_OBJECT) {
		for (int i = 0; i < b->n; i++) {
			const mur_json *v = mur_json_field(a, b->kid[2 * i]->s, b->kid[2 * i]->len);
			if (!v || !contains(v, b->kid[2 * i + 1]))
				return 0;
		}
		return 1;
	}
	if (a->kind == MJ_ARRAY) {
		for (int i = 0; i < b->n; i++) {
			int found = 0;
			for (int k = 0; k < a->n && !found; k++)
				found = contains(a->kid[k], b->kid[i]);
			if (!found)
				return 0;
		}
		return 1;
	}
	return scalar_cmp(a, b) == 0;
}

int mur_json_contains(const mur_json *a, const mur_json *b)
{
	int sa = a->kind != MJ_ARRAY && a->kind != MJ_OBJECT;
	int sb = b->kind != MJ_ARRAY && b->kind != MJ_OBJECT;
	if (sa && !sb)
		return 0;
	if (!sa &&
	    sb) /* a top-level scalar is only in a raw scalar; arrays hold it as an element */
		return a->kind == MJ_ARRAY &&
		       contains(a, &(mur_json){.kind = MJ_ARRAY, .n = 1, .kid = (mur_json **)&b});
	return contains(a, b);
}

const char *mur_json_typeof(const mur_json *j)
{
	static const char *const names[] = {
		[MJ_NULL] = "null",    [MJ_STRING] = "string", [MJ_NUMBER] = "number",
		[MJ_BOOL] = "boolean", [MJ_ARRAY] = "array",   [MJ_OBJECT] = "object",
	};
	return names[j->kind];
}

/* ---- scanning without a tree ---- */

/* Past the value starting at p (valid json text assumed; NULL when it is
 * not). */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;
	if (p >= end)
		return NULL;
	if (*p != '{' && *p != '[' && *p != '"') {
		while (p < end && !is_delim(*p))
			p++;
		return p;
	}
	do {
		if (p >= end)
			return NULL;
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		}
		p++;
	} while (depth > 0);
	return p;
}

static const char *scan_ws(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* Open the top-level container at s if it is `open`: *p past it; 0 when it
 * is something else, 1 when empty, 2 when items follow. */
static int scan_open(const char *s, size_t n, char open, const char **p)
{
	const char *end = s + n;
	*p = scan_ws(s, end);
	if (*p >= end || **p != open)
		return 0;
	*p = scan_ws(*p + 1, end);
	return *p < end && (**p == '}' || **p == ']') ? 1 : 2;
}

int mur_json_scan_field(const char *s, size_t n, const char *key, size_t klen, const char **vs,
			size_t *vn)
{
	const char *end = s + n, *p, *k, *v;
	int found = 0, r = scan_open(s, n, '{', &p);
	if (r < 2)
		return 0;
	for (;;) {
		if (p >= end || *p != '"')
			return -1;
		for (k = ++p; p < end && *p != '"'; p++)
			if (*p == '\\')
				return -1; /* an escaped key: decoding is the parser's */
		if (p >= end)
			return -1;
		int match = (size_t)(p - k) == klen && !memcmp(k, key, klen);
		p = scan_ws(p + 1, end);
		if (p >= end || *p != ':')
			return -1;
		v = scan_ws(p + 1, end);
		if (!(p = skip_value(v, end)))
			return -1;
		if (match) {
			*vs = v;
			*vn = (size_t)(p - v);
			found = 1;
		}
		p = scan_ws(p, end);
		if (p < end && *p == ',') {
			p = scan_ws(p + 1, end);
			continue;
		}
		return p < end && *p == '}' ? found : -1;
	}
}

int mur_json_scan_elem(const char *s, size_t n, long idx, const char **vs, size_t *vn)
{
	const char *end = s + n, *p, *v;
	int r = scan_open(s, n, '[', &p);
	if (r == 0)
		return 0;
	if (idx < 0) /* counts from the end: the parser's */
		return -1;
	if (r == 1)
		return 0;
	for (long i = 0;; i++) {
		v = p;
		if (!(p = skip_value(v, end)))
			return -1;
		if (i == idx) {
			*vs = v;
			*vn = (size_t)(p - v);
			return 1;
		}
		p = scan_ws(p, end);
		if (p < end && *p == ',') {
			p = scan_ws(p + 1, end);
			continue;
		}
		return p < end && *p == ']' ? 0 : -1;
	}
}
