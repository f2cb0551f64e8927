/*
 * sqlfn_text.c — PostgreSQL's text functions as SQLite functions, for
 * emitted SQL on the followers and the leader alike (stor_register_functions
 * registers them with sqlfn.c's).  Positions and lengths count characters
 * (UTF-8), not bytes; every function is strict (NULL in, NULL out) except
 * concat and concat_ws, which skip NULL arguments.
 *
 *   mur_substr, mur_left, mur_right   PostgreSQL's edge cases (negative
 *                                start, length past the end, 22011)
 *   mur_concat, mur_concat_ws    concat(), concat_ws(sep, ...)
 *   mur_format                   format() (sqlfn_format.c)
 *   mur_lpad, mur_rpad           pad on the left/right with a fill string
 *                                (default ' '), truncate past the length
 *   mur_split_part               field n (from the end when negative; 0 is 22023)
 *   mur_repeat, mur_reverse, mur_translate, mur_initcap (ASCII letters, as
 *                                PostgreSQL's C locale), mur_starts_with
 *   mur_md5                      hex MD5 of the text's bytes (common/md5.c)
 *   mur_chr, mur_ascii           code point <-> character (54000 for 0 and
 *                                past U+10FFFF or a surrogate)
 *   mur_octet_length             bytes of the UTF-8 text
 *   mur_bool_out                 a boolean as its output function writes it
 *                                ('t'/'f'): concat's arguments
 *   mur_varchar_fit(x, n [, is_char [, explicit]])  x stored into
 *                                varchar(n), or char(n) when is_char (padded
 *                                with spaces to n: common/bpchar.h): 22001
 *                                when longer than n characters (trailing
 *                                spaces past n are cut, as PostgreSQL's
 *                                assignment does); an explicit cast cuts
 *                                whatever is past n
 *   mur_bpchar_key(x, n)         x without trailing spaces, padded to n
 *                                characters: a char(n) column's bytes for
 *                                a value equal to x (parser/analyze_bpchar.c)
 *   mur_raise_if(cond, state, msg[, detail])  fails with SQLSTATE state,
 *                                msg (and detail) when cond is true, else
 *                                NULL: a check inside a DDL entry's SQL
 *                                (sql/plan_alter_type.c), an upsert's guard
 *                                (sql/plan_dml.c)
 *
 * A result longer than SQLite's string limit is 54000 "requested length
 * too large", as PostgreSQL says past its 1 GB.
 */
#include "storage/storage_int.h"

#include "common/bpchar.h"
#include "common/buf.h"
#include "common/md5.h"
#include "common/utf8.h"

#include <stdint.h>
#include <string.h>

static int utf8_len(const unsigned char *s, int n)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += (s[i] & 0xC0) != 0x80;
	return k;
}

/* Byte offset of character index ci (0-based) in s[0..n). */
static int utf8_off(const unsigned char *s, int n, int64_t ci)
{
	int i = 0;
	if (ci <= 0)
		return 0;
	for (int64_t k = 0; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			if (k == ci)
				return i;
			k++;
		}
	}
	return n;
}

static void result_chars(sqlite3_context *cx, const unsigned char *s, int n, int64_t from,
			 int64_t to)
{
	int a = utf8_off(s, n, from), b = utf8_off(s, n, to);
	sqlite3_result_text(cx, (const char *)s + a, b > a ? b - a : 0, SQLITE_TRANSIENT);
}

static void fn_substr(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const unsigned char *s;
	int n, nc;
	int64_t start, end;
	if (stor_fn_any_null(argc, v))
		return;
	s = sqlite3_value_text(v[0]);
	n = sqlite3_value_bytes(v[0]);
	nc = utf8_len(s, n);
	start = sqlite3_value_int64(v[1]) - 1; /* 0-based, may be negative */
	end = nc;
	if (argc == 3) {
		int64_t len = sqlite3_value_int64(v[2]);
		if (len < 0)
			return stor_fn_fail(cx, "22011", "negative substring length not allowed");
		end = start + len < nc ? start + len : nc;
	}
	if (start < 0)
		start = 0;
	result_chars(cx, s, n, start, end < start ? start : end);
}

static void fn_left(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const unsigned char *s;
	int n, nc;
	int64_t k;
	if (stor_fn_any_null(argc, v))
		return;
	s = sqlite3_value_text(v[0]);
	n = sqlite3_value_bytes(v[0]);
	nc = utf8_len(s, n);
	k = sqlite3_value_int64(v[1]);
	result_chars(cx, s, n, 0, k >= 0 ? k : (nc + k > 0 ? nc + k : 0));
}

static void fn_right(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const unsigned char *s;
	int n, nc;
	int64_t k;
	if (stor_fn_any_null(argc, v))
		return;
	s = sqlite3_value_text(v[0]);
	n = sqlite3_value_bytes(v[0]);
	nc = utf8_len(s, n);
	k = sqlite3_value_int64(v[1]);
	result_chars(cx, s, n, k >= 0 ? (nc - k > 0 ? nc - k : 0) : (-k < nc ? -k : nc), nc);
}

static void fn_concat(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf b;
	mur_buf_init(&b);
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(v[i]) != SQLITE_NULL)
			mur_buf_put(&b, sqlite3_value_text(v[i]),
				    (size_t)sqlite3_value_bytes(v[i]));
	if (!mur_buf_ok(&b)) {
		mur_buf_free(&b);
		return sqlite3_result_error_nomem(cx);
	}
	sqlite3_result_text(cx, b.data ? b.data : "", (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* The text of argument i and its length in bytes. */
static const unsigned char *text_arg(sqlite3_value **v, int i, int *n)
{
	const unsigned char *s = sqlite3_value_text(v[i]);
	*n = sqlite3_value_bytes(v[i]);
	return s ? s : (const unsigned char *)"";
}

/* Bytes of the UTF-8 character that starts at s[0] (1 for a stray byte). */
static int char_bytes(const unsigned char *s, int n)
{
	int k = 1;
	while (k < n && (s[k] & 0xC0) == 0x80)
		k++;
	return k;
}

static void fn_concat_ws(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	mur_buf b;
	int seplen, first = 1;
	const unsigned char *sep;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL)
		return;
	sep = text_arg(v, 0, &seplen);
	mur_buf_init(&b);
	for (int i = 1; i < argc; i++) {
		int n;
		const unsigned char *s;
		if (sqlite3_value_type(v[i]) == SQLITE_NULL)
			continue;
		s = text_arg(v, i, &n);
		if (!first)
			mur_buf_put(&b, sep, (size_t)seplen);
		mur_buf_put(&b, s, (size_t)n);
		first = 0;
	}
	stor_fn_result_buf(cx, &b);
}

/* lpad/rpad(s, len[, fill]): s cut to len characters, or filled up to
 * len by repeating fill (default one space) on the left or right; an
 * empty fill leaves a short s as it is. */
static void pad(sqlite3_context *cx, int argc, sqlite3_value **v, int left)
{
	int n, fn = 1, nc, fc;
	const unsigned char *s, *fill = (const unsigned char *)" ";
	int64_t len;
	mur_buf b;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	len = sqlite3_value_int64(v[1]);
	if (argc == 3)
		fill = text_arg(v, 2, &fn);
	if (len <= 0)
		return sqlite3_result_text(cx, "", 0, SQLITE_STATIC);
	nc = utf8_len(s, n);
	if (len <= nc || fn == 0)
		return result_chars(cx, s, n, 0, len < nc ? len : nc);
	fc = utf8_len(fill, fn);
	/* at most 4 bytes a character: refuse before building what cannot fit */
	if (!stor_fn_fits(cx, (len - nc) / fc * fn + 4 * (int64_t)fc + n))
		return;
	mur_buf_init(&b);
	if (!left)
		mur_buf_put(&b, s, (size_t)n);
	for (int64_t k = 0; k < len - nc; k++) {
		int off = utf8_off(fill, fn, k % fc);
		mur_buf_put(&b, fill + off, (size_t)char_bytes(fill + off, fn - off));
	}
	if (left)
		mur_buf_put(&b, s, (size_t)n);
	stor_fn_result_buf(cx, &b);
}

static void fn_lpad(sqlite3_context *cx, int argc, sqlite3_value **v) { pad(cx, argc, v, 1); }

static void fn_rpad(sqlite3_context *cx, int argc, sqlite3_value **v) { pad(cx, argc, v, 0); }

/* Byte offsets [*from, *to) of field k (0-based) of s split at delim. */
static int field_at(const unsigned char *s, int n, const unsigned char *d, int dn, int64_t k,
		    int *from, int *to)
{
	int start = 0;
	for (int i = 0; i + dn <= n;) {
		if (!memcmp(s + i, d, (size_t)dn)) {
			if (k-- == 0) {
				*from = start;
				*to = i;
				return 1;
			}
			i += dn;
			start = i;
		} else {
			i++;
		}
	}
	if (k != 0)
		return 0;
	*from = start;
	*to = n;
	return 1;
}

static int64_t count_fields(const unsigned char *s, int n, const unsigned char *d, int dn)
{
	int64_t k = 1;
	for (int i = 0; i + dn <= n;)
		if (!memcmp(s + i, d, (size_t)dn)) {
			k++;
			i += dn;
		} else {
			i++;
		}
	return k;
}

/* split_part(s, delim, n): field n counting from 1, or from the end when
 * n is negative; '' past the last field; an empty delimiter makes s its
 * only field; an empty s has no fields. */
static void fn_split_part(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n, dn, from, to;
	const unsigned char *s, *d;
	int64_t k;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	d = text_arg(v, 1, &dn);
	k = sqlite3_value_int64(v[2]);
	if (k == 0)
		return stor_fn_fail(cx, "22023", "field position must not be zero");
	if (n == 0)
		return sqlite3_result_text(cx, "", 0, SQLITE_STATIC);
	if (dn == 0)
		return (k == 1 || k == -1)
			       ? sqlite3_result_text(cx, (const char *)s, n, SQLITE_TRANSIENT)
			       : sqlite3_result_text(cx, "", 0, SQLITE_STATIC);
	if (k < 0)
		k = count_fields(s, n, d, dn) + k + 1; /* 1-based from the start; <= 0: none */
	if (k <= 0 || !field_at(s, n, d, dn, k - 1, &from, &to))
		return sqlite3_result_text(cx, "", 0, SQLITE_STATIC);
	sqlite3_result_text(cx, (const char *)s + from, to - from, SQLITE_TRANSIENT);
}

static void fn_repeat(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n;
	const unsigned char *s;
	int64_t k;
	mur_buf b;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	k = sqlite3_value_int64(v[1]);
	if (k <= 0 || n == 0)
		return sqlite3_result_text(cx, "", 0, SQLITE_STATIC);
	if (!stor_fn_fits(cx, k > INT32_MAX ? -1 : k * n)) /* n < 2^31: k * n fits in 64 bits */
		return;
	mur_buf_init(&b);
	for (int64_t i = 0; i < k; i++)
		mur_buf_put(&b, s, (size_t)n);
	stor_fn_result_buf(cx, &b);
}

static void fn_reverse(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n;
	const unsigned char *s;
	char *out;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	if (!(out = sqlite3_malloc(n ? n : 1)))
		return sqlite3_result_error_nomem(cx);
	for (int i = 0; i < n;) {
		int k = char_bytes(s + i, n - i);
		memcpy(out + n - i - k, s + i, (size_t)k);
		i += k;
	}
	sqlite3_result_text(cx, out, n, sqlite3_free);
}

static int ascii_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* initcap: the first letter of each word upper case, the others lower; a
 * word is a run of ASCII letters and digits (PostgreSQL in the C locale). */
static void fn_initcap(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n, in_word = 0;
	const unsigned char *s;
	char *out;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	if (!(out = sqlite3_malloc(n ? n : 1)))
		return sqlite3_result_error_nomem(cx);
	for (int i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (in_word && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 'a' - 'A');
		else if (!in_word && c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 'a' + 'A');
		out[i] = (char)c;
		in_word = ascii_alnum(c);
	}
	sqlite3_result_text(cx, out, n, sqlite3_free);
}

/* Index (in characters) of the character c[0..cn) in s, or -1. */
static int64_t char_index(const unsigned char *s, int n, const unsigned char *c, int cn)
{
	int64_t k = 0;
	for (int i = 0; i < n; k++) {
		int len = char_bytes(s + i, n - i);
		if (len == cn && !memcmp(s + i, c, (size_t)cn))
			return k;
		i += len;
	}
	return -1;
}

/* translate(s, from, to): each character of s found in from (its first
 * place there) becomes to's character at that place, or goes when to is
 * shorter. */
static void fn_translate(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n, fn, tn;
	const unsigned char *s, *from, *to;
	mur_buf b;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	from = text_arg(v, 1, &fn);
	to = text_arg(v, 2, &tn);
	mur_buf_init(&b);
	for (int i = 0; i < n;) {
		int len = char_bytes(s + i, n - i);
		int64_t k = char_index(from, fn, s + i, len);
		if (k < 0) {
			mur_buf_put(&b, s + i, (size_t)len);
		} else {
			int off = utf8_off(to, tn, k);
			if (off < tn)
				mur_buf_put(&b, to + off, (size_t)char_bytes(to + off, tn - off));
		}
		i += len;
	}
	stor_fn_result_buf(cx, &b);
}

static void fn_starts_with(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n, pn;
	const unsigned char *s, *p;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	p = text_arg(v, 1, &pn);
	sqlite3_result_int(cx, pn <= n && !memcmp(s, p, (size_t)pn));
}

static void fn_md5(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n;
	const unsigned char *s;
	char hex[MUR_MD5_HEX_LEN + 1];
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	mur_md5_hex(s, (size_t)n, hex);
	sqlite3_result_text(cx, hex, MUR_MD5_HEX_LEN, SQLITE_TRANSIENT);
}

#define UNICODE_MAX 0x10FFFF

/* chr(code): the character with that code point, as UTF-8. */
static void fn_chr(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int64_t c;
	unsigned char out[4];
	int n;
	if (stor_fn_any_null(argc, v))
		return;
	c = sqlite3_value_int64(v[0]);
	if (c == 0)
		return stor_fn_fail(cx, "54000", "null character not permitted");
	if (c < 0)
		return stor_fn_fail(cx, "22023", "character number must be positive");
	if (c > UNICODE_MAX)
		return stor_fn_fail(cx, "54000", "requested character too large for encoding: %lld",
				    (long long)c);
	if (c >= 0xD800 && c <= 0xDFFF)
		return stor_fn_fail(cx, "54000", "requested character not valid for encoding: %lld",
				    (long long)c);
	if (c < 0x80) {
		out[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		out[0] = (unsigned char)(0xC0 | (c >> 6));
		out[1] = (unsigned char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		out[0] = (unsigned char)(0xE0 | (c >> 12));
		out[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (unsigned char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		out[0] = (unsigned char)(0xF0 | (c >> 18));
		out[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
		out[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
		out[3] = (unsigned char)(0x80 | (c & 0x3F));
		n = 4;
	}
	sqlite3_result_text(cx, (const char *)out, n, SQLITE_TRANSIENT);
}

/* ascii(s): the code point of s's first character, 0 for ''. */
static void fn_ascii(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n, k;
	const unsigned char *s;
	int64_t c;
	if (stor_fn_any_null(argc, v))
		return;
	s = text_arg(v, 0, &n);
	if (n == 0)
		return sqlite3_result_int(cx, 0);
	k = char_bytes(s, n);
	c = k == 1 ? s[0] : s[0] & (0x3F >> (k - 1));
	for (int i = 1; i < k; i++)
		c = (c << 6) | (s[i] & 0x3F);
	sqlite3_result_int64(cx, c);
}

static void fn_octet_length(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	int n;
	if (stor_fn_any_null(argc, v))
		return;
	(void)text_arg(v, 0, &n);
	sqlite3_result_int(cx, n);
}

static void fn_bool_out(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	if (stor_fn_any_null(argc, v))
		return;
	sqlite3_result_text(cx, sqlite3_value_int64(v[0]) ? "t" : "f", 1, SQLITE_STATIC);
}

/* mur_varchar_fit(x, n [, is_char [, explicit]]): x stored into
 * varchar(n), or char(n) when is_char (padded; the message names the
 * type); an explicit cast (x::char(n)) cuts instead of failing. */
static void fn_varchar_fit(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s = (const char *)sqlite3_value_text(v[0]);
	int max = sqlite3_value_int(v[1]);
	int is_char = argc > 2 && sqlite3_value_int(v[2]);
	int explicit_cast = argc > 3 && sqlite3_value_int(v[3]);
	mur_buf out;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL || !s)
		return;
	mur_buf_init(&out);
	if (mur_bpchar_fit(s, (size_t)sqlite3_value_bytes(v[0]), max > 0 ? max : 0, is_char,
			   explicit_cast, &out) != MUR_OK) {
		mur_buf_free(&out);
		return stor_fn_fail(cx, "22001", "value too long for type character%s(%d)",
				    is_char ? "" : " varying", max);
	}
	if (!mur_buf_ok(&out))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_text(cx, out.data ? (const char *)out.data : "", (int)out.len,
				    SQLITE_TRANSIENT);
	mur_buf_free(&out);
}

/* mur_bpchar_key(x, n): x without its trailing spaces, padded with spaces
 * to n characters (left longer when it is): what a char(n) column holds
 * for a value equal to x. */
static void fn_bpchar_key(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *s = (const char *)sqlite3_value_text(v[0]);
	size_t n;
	mur_buf out;
	(void)argc;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL || !s)
		return;
	n = mur_bpchar_trimmed_len(s, (size_t)sqlite3_value_bytes(v[0]));
	mur_buf_init(&out);
	if (mur_bpchar_fit(s, n, sqlite3_value_int(v[1]), 1, 0, &out) != MUR_OK) {
		mur_buf_reset(&out);
		mur_buf_put(&out, s, n);
	}
	if (!mur_buf_ok(&out))
		sqlite3_result_error_nomem(cx);
	else
		sqlite3_result_text(cx, out.data ? (const char *)out.data : "", (int)out.len,
				    SQLITE_TRANSIENT);
	mur_buf_free(&out);
}

static void fn_raise_if(sqlite3_context *cx, int argc, sqlite3_value **v)
{
	const char *state = (const char *)sqlite3_value_text(v[1]);
	const char *msg = (const char *)sqlite3_value_text(v[2]);
	const char *detail = argc > 3 ? (const char *)sqlite3_value_text(v[3]) : NULL;
	if (sqlite3_value_type(v[0]) == SQLITE_NULL || !sqlite3_value_int64(v[0]))
		return;
	if (!state || strlen(state) != 5)
		state = "XX000";
	stor_fn_fail(cx, state, "%s%s%s", msg ? msg : "refused",
		     detail ? STOR_ERROR_DETAIL_SEP : "", detail ? detail : "");
}

static const stor_fn_def text_fns[] = {
	{"mur_raise_if", 3, 0, fn_raise_if},
	{"mur_raise_if", 4, 0, fn_raise_if},
	{"mur_varchar_fit", -1, 1, fn_varchar_fit},
	{"mur_bpchar_key", 2, 1, fn_bpchar_key},
	{"mur_substr", 2, 1, fn_substr},
	{"mur_substr", 3, 1, fn_substr},
	{"mur_left", 2, 1, fn_left},
	{"mur_right", 2, 1, fn_right},
	{"mur_concat", -1, 1, fn_concat},
	{"mur_concat_ws", -1, 1, fn_concat_ws},
	{"mur_format", -1, 1, stor_fn_format},
	{"mur_lpad", 2, 1, fn_lpad},
	{"mur_lpad", 3, 1, fn_lpad},
	{"mur_rpad", 2, 1, fn_rpad},
	{"mur_rpad", 3, 1, fn_rpad},
	{"mur_split_part", 3, 1, fn_split_part},
	{"mur_repeat", 2, 1, fn_repeat},
	{"mur_reverse", 1, 1, fn_reverse},
	{"mur_initcap", 1, 1, fn_initcap},
	{"mur_translate", 3, 1, fn_translate},
	{"mur_starts_with", 2, 1, fn_starts_with},
	{"mur_md5", 1, 1, fn_md5},
	{"mur_chr", 1, 1, fn_chr},
	{"mur_ascii", 1, 1, fn_ascii},
	{"mur_octet_length", 1, 1, fn_octet_length},
	{"mur_bool_out", 1, 1, fn_bool_out},
};

int stor_register_text_functions(sqlite3 *db)
{
	return stor_fn_register(db, text_fns, sizeof text_fns / sizeof text_fns[0]);
}
