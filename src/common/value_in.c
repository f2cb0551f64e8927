/*
 * value_in.c — PostgreSQL text input: mur_value_from_pgtext parses text as
 * PostgreSQL 15 parses a literal of the given type and produces the storage
 * value.  Contract in value.h.
 *
 * Each parser follows a PostgreSQL input function, including its error
 * SQLSTATEs and messages: pg_strtoint16/32/64 (parse_int), float8in /
 * float4in (parse_float), numeric_in (parse_numeric), boolin (parse_bool),
 * byteain (parse_bytea), uuid_in (parse_uuid), interval_in (parse_interval),
 * json_in / jsonb_in (parse_json, common/json.h).  Dates and timestamps are value_datetime.c's;
 * every other type is its text as given.
 *
 * Memory: nothing here allocates except appends to the caller's scratch
 * buffer and a temporary heap copy for very long numeric inputs, freed
 * before returning.
 */
#include "common/value_int.h"

#include "common/interval.h"
#include "common/json.h"
#include "common/numeric.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

/* Longest numeric literal parsed through a stack copy; longer ones go
 * through the heap. */
#define VALUE_NUM_STACK_MAX 128

/* pg_strtoint16/32/64 (PostgreSQL 15: no underscores, no hex). */
static int parse_int(mur_type t, const char *text, size_t len, int64_t *out, mur_error *err)
{
	const char *p = text, *end = text + len;
	uint64_t limit, acc = 0;
	int neg = 0;

	limit = t == MT_INT2 ? 32767 : t == MT_INT4 ? 2147483647 : (uint64_t)INT64_MAX;
	while (p < end && value_pg_space(*p))
		p++;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p == end || !isdigit((unsigned char)*p))
		return value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
	while (p < end && isdigit((unsigned char)*p)) {
		acc = acc * 10 + (uint64_t)(*p++ - '0');
		if (acc > limit + (uint64_t)neg)
			return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
					     "value \"%.*s\" is out of range for type %s",
					     value_quote_len(len), text, mur_type_input_name(t));
	}
	while (p < end && value_pg_space(*p))
		p++;
	if (p != end)
		return value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
	*out = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return MUR_OK;
}

/* float8in / float4in.  strtod needs a NUL-terminated string: copy. */
static int parse_float(mur_type t, const char *text, size_t len, double *out, mur_error *err)
{
	char stack[VALUE_NUM_STACK_MAX], *copy = stack, *endp;
	const char *p = text;
	size_t n = len;
	int rc = MUR_OK;

	while (n && value_pg_space(*p)) {
		p++;
		n--;
	}
	if (n == 0)
		return value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
	if (n >= sizeof stack && !(copy = malloc(n + 1)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	memcpy(copy, p, n);
	copy[n] = '\0';
	errno = 0;
	double d;
	if (t == MT_FLOAT4) {
		float f = strtof(copy, &endp);
		d = f;
	} else {
		d = strtod(copy, &endp);
	}
	if (endp == copy) {
		rc = value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
		goto done;
	}
	if (errno == ERANGE && (d == 0 || isinf(d))) {
		rc = mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				   "\"%.*s\" is out of range for type %s", value_quote_len(len),
				   text, mur_type_input_name(t));
		goto done;
	}
	while (*endp && value_pg_space(*endp))
		endp++;
	if ((size_t)(endp - copy) != n) {
		rc = value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, t, text, len);
		goto done;
	}
	if (isnan(d)) { /* SQLite keeps no NaN: a stored one would read back as NULL */
		rc = mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				   "murphy does not support NaN in %s yet", mur_type_input_name(t));
		mur_error_hint(err, "The followers' SQLite would keep it as NULL; use NULL, or "
				    "a numeric column.");
		goto done;
	}
	*out = d;
done:
	if (copy != stack)
		free(copy);
	return rc;
}

/* numeric_in (common/numeric.c): the canonical text, scale kept. */
static int parse_numeric(const char *text, size_t len, mur_buf *scratch, mur_value *out,
			 mur_error *err)
{
	size_t off = scratch->len;
	mur_value in = mur_v_text(text, len);
	if (mur_num_canon_text(&in, -1, scratch, err) != MUR_OK)
		return MUR_ERR;
	if (!mur_buf_ok(scratch))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*out = mur_v_text(scratch->data + off, scratch->len - off);
	return MUR_OK;
}

/* boolin / parse_bool_with_len: unique prefixes of true/false/yes/no,
 * on/off (two letters at least), 1/0. */
static int parse_bool(const char *text, size_t len, int64_t *out, mur_error *err)
{
	const char *p = text;
	size_t n = len;
	value_trim(&p, &n);
	if (n > 0) {
		int c = tolower((unsigned char)p[0]);
		size_t n2 = n > 2 ? n : 2;
		switch (c) {
		case 't':
			if (n <= 4 && strncasecmp(p, "true", n) == 0)
				return *out = 1, MUR_OK;
			break;
		case 'f':
			if (n <= 5 && strncasecmp(p, "false", n) == 0)
				return *out = 0, MUR_OK;
			break;
		case 'y':
			if (n <= 3 && strncasecmp(p, "yes", n) == 0)
				return *out = 1, MUR_OK;
			break;
		case 'n':
			if (n <= 2 && strncasecmp(p, "no", n) == 0)
				return *out = 0, MUR_OK;
			break;
		case 'o':
			if (n2 <= 2 && n == 2 && strncasecmp(p, "on", 2) == 0)
				return *out = 1, MUR_OK;
			if (n2 <= 3 && n >= 2 && strncasecmp(p, "off", n) == 0)
				return *out = 0, MUR_OK;
			break;
		case '1':
			if (n == 1)
				return *out = 1, MUR_OK;
			break;
		case '0':
			if (n == 1)
				return *out = 0, MUR_OK;
			break;
		}
	}
	return value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, MT_BOOL, text, len);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* byteain: "\x" hex (whitespace between pairs allowed) or escape format
 * (backslash-backslash and backslash + three octal digits). */
static int parse_bytea(const char *text, size_t len, mur_buf *scratch, mur_value *out,
		       mur_error *err)
{
	size_t off = scratch->len;
	if (len >= 2 && text[0] == '\\' && text[1] == 'x') {
		size_t i = 2;
		while (i < len) {
			if (value_pg_space(text[i]) && text[i] != '\v' && text[i] != '\f') {
				i++;
				continue;
			}
			int hi = hexval(text[i]);
			if (hi < 0)
				return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
						     "invalid hexadecimal digit: \"%c\"", text[i]);
			if (i + 1 >= len)
				return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
						     "invalid hexadecimal data: odd number of "
						     "digits");
			int lo = hexval(text[i + 1]);
			if (lo < 0)
				return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
						     "invalid hexadecimal digit: \"%c\"",
						     text[i + 1]);
			mur_buf_put_u8(scratch, (uint8_t)(hi << 4 | lo));
			i += 2;
		}
	} else {
		for (size_t i = 0; i < len;) {
			if (text[i] != '\\') {
				mur_buf_put_u8(scratch, (uint8_t)text[i++]);
			} else if (i + 1 < len && text[i + 1] == '\\') {
				mur_buf_put_u8(scratch, '\\');
				i += 2;
			} else if (i + 3 < len && text[i + 1] >= '0' && text[i + 1] <= '3' &&
				   text[i + 2] >= '0' && text[i + 2] <= '7' && text[i + 3] >= '0' &&
				   text[i + 3] <= '7') {
				mur_buf_put_u8(scratch, (uint8_t)((text[i + 1] - '0') << 6 |
								  (text[i + 2] - '0') << 3 |
								  (text[i + 3] - '0')));
				i += 4;
			} else {
				return mur_error_set(err, SQLSTATE_INVALID_TEXT_REPRESENTATION,
						     "invalid input syntax for type bytea");
			}
		}
	}
	if (!mur_buf_ok(scratch))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	out->kind = MV_BLOB;
	out->len = scratch->len - off;
	out->s = out->len ? scratch->data + off : "";
	return MUR_OK;
}

/* uuid_in (string_to_uuid): 32 hex digits of either case, a hyphen
 * allowed after any group of four, the whole optionally in braces; no
 * blanks.  Stored as uuid_out prints it: lowercase 8-4-4-4-12. */
static int parse_uuid(const char *text, size_t len, mur_buf *scratch, mur_value *out,
		      mur_error *err)
{
	static const char hex[] = "0123456789abcdef";
	char canon[36];
	size_t i = 0, end = len, k = 0;
	if (len >= 2 && text[0] == '{' && text[len - 1] == '}')
		i = 1, end = len - 1;
	for (int byte = 0; byte < 16; byte++) {
		int hi = i + 1 < end ? hexval(text[i]) : -1,
		    lo = hi >= 0 ? hexval(text[i + 1]) : -1;
		if (lo < 0)
			return value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION,
						  MT_UUID, text, len);
		i += 2;
		if (byte == 4 || byte == 6 || byte == 8 || byte == 10)
			canon[k++] = '-';
		canon[k++] = hex[hi];
		canon[k++] = hex[lo];
		if (i < end && text[i] == '-' && byte % 2 == 1 && byte < 15)
			i++;
	}
	if (i != end)
		return value_syntax_error(err, SQLSTATE_INVALID_TEXT_REPRESENTATION, MT_UUID, text,
					  len);
	value_copy_out(scratch, MV_TEXT, canon, sizeof canon, out);
	return mur_buf_ok(scratch) ? MUR_OK
				   : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
}

/* interval_in (common/interval.c), or an interval's stored form as it is
 * (a stored value coerced to its own type: INSERT ... SELECT). */
static int parse_interval(const char *text, size_t len, mur_buf *scratch, mur_value *out,
			  mur_error *err)
{
	mur_interval iv;
	size_t off = scratch->len;
	if (mur_iv_load(text, len, &iv) != MUR_OK && mur_iv_parse(text, len, &iv, err) != MUR_OK)
		return MUR_ERR;
	mur_iv_store(&iv, scratch);
	if (!mur_buf_ok(scratch))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*out = mur_v_text(scratch->data + off, scratch->len - off);
	return MUR_OK;
}

/* json_in (validated, kept as written) / jsonb_in (normalized text):
 * common/json.h. */
static int parse_json(mur_type t, const char *text, size_t len, mur_buf *scratch, mur_value *out,
		      mur_error *err)
{
	mur_json_doc *d = mur_json_doc_new();
	mur_json *j;
	size_t off = scratch->len;
	int rc;
	if (!d)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	rc = mur_json_parse(d, text, len, t == MT_JSONB, &j, err);
	if (rc == MUR_OK && t == MT_JSON)
		mur_buf_put(scratch, text, len);
	else if (rc == MUR_OK)
		mur_json_write(j, 0, scratch);
	mur_json_doc_free(d);
	if (rc != MUR_OK)
		return rc;
	if (!mur_buf_ok(scratch))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*out = mur_v_text(scratch->len > off ? scratch->data + off : "", scratch->len - off);
	return MUR_OK;
}

int mur_value_from_pgtext(mur_type t, const char *text, size_t len, mur_buf *scratch,
			  mur_value *out, mur_error *err)
{
	return mur_value_from_pgtext_tz(t, text, len, NULL, scratch, out, err);
}

int mur_value_from_pgtext_tz(mur_type t, const char *text, size_t len, const mur_tz *tz,
			     mur_buf *scratch, mur_value *out, mur_error *err)
{
	int rc;
	*out = mur_v_null();
	switch (t) {
	case MT_BOOL:
		out->kind = MV_INT;
		rc = parse_bool(text, len, &out->i, err);
		break;
	case MT_INT2:
	case MT_INT4:
	case MT_INT8:
		out->kind = MV_INT;
		rc = parse_int(t, text, len, &out->i, err);
		break;
	case MT_FLOAT4:
	case MT_FLOAT8:
		out->kind = MV_FLOAT;
		rc = parse_float(t, text, len, &out->f, err);
		break;
	case MT_NUMERIC:
		rc = parse_numeric(text, len, scratch, out, err);
		break;
	case MT_DATE:
	case MT_TIMESTAMP:
	case MT_TIMESTAMPTZ:
		rc = mur_datetime_from_pgtext(t, text, len, tz, scratch, out, err);
		break;
	case MT_BYTEA:
		rc = parse_bytea(text, len, scratch, out, err);
		break;
	case MT_UUID:
		rc = parse_uuid(text, len, scratch, out, err);
		break;
	case MT_INTERVAL:
		rc = parse_interval(text, len, scratch, out, err);
		break;
	case MT_JSON:
	case MT_JSONB:
		rc = parse_json(t, text, len, scratch, out, err);
		break;
	default:
		value_copy_out(scratch, MV_TEXT, text, len, out);
		rc = mur_buf_ok(scratch)
			     ? MUR_OK
			     : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		break;
	}
	if (rc != MUR_OK)
		*out = mur_v_null();
	return rc;
}
