/*
 * failing_row.c — the "Failing row contains (...)." DETAIL (failing_row.h):
 * the text of each value through mur_value_to_pgtext_fmt, as PostgreSQL's
 * ExecBuildSlotValueDescription writes it (a timestamptz marked where the
 * session is not known, mur_failing_row_localize writing it in the
 * session's zone at the leader's edge); and the row-types tag a shard
 * statement carries so that the shard can write it.
 */
#include "common/failing_row.h"

#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAILING_ROW_FIELD_BYTES_MAX 64 /* PostgreSQL's maxfieldlen */

void mur_failing_row_text(mur_type t, const mur_value *v, const mur_outfmt *f, mur_buf *out)
{
	mur_buf scratch;
	mur_value cv;
	mur_error ignored;
	if (v->kind == MV_NULL) {
		mur_buf_printf(out, "null");
		return;
	}
	mur_buf_init(&scratch);
	if (mur_value_coerce(t, v, &scratch, &cv, &ignored) != MUR_OK)
		cv = *v;
	if (!f && t == MT_TIMESTAMPTZ && cv.kind == MV_TEXT) { /* for the leader to localize */
		mur_buf_put_u8(out, (uint8_t)MUR_FAILING_ROW_TZ_OPEN);
		mur_buf_put(out, cv.s, cv.len);
		mur_buf_put_u8(out, (uint8_t)MUR_FAILING_ROW_TZ_CLOSE);
	} else {
		mur_value_to_pgtext_fmt(t, &cv, f, out);
	}
	mur_buf_free(&scratch);
}

void mur_failing_row_localize(mur_error *err, const mur_outfmt *f)
{
	const mur_outfmt utc = {.tz = NULL, .bytea_escape = 0};
	const char *p = err->detail, *open, *close;
	mur_buf b;
	if (!strchr(p, MUR_FAILING_ROW_TZ_OPEN))
		return;
	mur_buf_init(&b);
	while ((open = strchr(p, MUR_FAILING_ROW_TZ_OPEN))) {
		mur_buf_put(&b, p, (size_t)(open - p));
		if (!(close = strchr(open + 1, MUR_FAILING_ROW_TZ_CLOSE))) {
			p = open + strlen(open); /* cut off: drop the rest */
			break;
		}
		mur_value v = mur_v_text(open + 1, (size_t)(close - open - 1));
		mur_failing_row_text(MT_TIMESTAMPTZ, &v, f ? f : &utc, &b);
		p = close + 1;
	}
	mur_buf_printf(&b, "%s", p);
	if (mur_buf_ok(&b))
		snprintf(err->detail, sizeof err->detail, "%s", mur_buf_cstr(&b));
	mur_buf_free(&b);
}

/* One value's text, cut to FAILING_ROW_FIELD_BYTES_MAX bytes with "...". */
static void put_value(mur_buf *out, mur_type t, const mur_value *v, const mur_outfmt *f)
{
	mur_buf text;
	size_t n;
	mur_buf_init(&text);
	mur_failing_row_text(t, v, f, &text);
	n = text.len;
	if (n > FAILING_ROW_FIELD_BYTES_MAX) {
		n = FAILING_ROW_FIELD_BYTES_MAX;
		while (n > 0 && ((unsigned char)text.data[n] & 0xC0) == 0x80)
			n--; /* not inside a character */
	}
	mur_buf_put(out, text.data ? text.data : "", n);
	if (n < text.len)
		mur_buf_printf(out, "...");
	mur_buf_free(&text);
}

void mur_failing_row(mur_error *err, int n, const mur_type *types, const mur_value *vals,
		     const mur_outfmt *f)
{
	mur_buf b;
	if (!err)
		return;
	mur_buf_init(&b);
	for (int i = 0; i < n; i++) {
		mur_buf_printf(&b, i ? ", " : "");
		put_value(&b, types[i], &vals[i], f);
	}
	mur_error_detail(err, "Failing row contains (%s).", mur_buf_ok(&b) ? mur_buf_cstr(&b) : "");
	mur_buf_free(&b);
}

void mur_failing_row_tag(mur_buf *b, int n, const char *const *names, const mur_type *types)
{
	for (int i = 0; i < n; i++)
		if (strstr(names[i], "*/"))
			return;
	mur_buf_printf(b, " " MUR_FAILING_ROW_TAG);
	for (int i = 0; i < n; i++) {
		mur_buf_printf(b, "%s%u \"", i ? "," : "", mur_type_oid(types[i]));
		for (const char *c = names[i]; *c; c++) /* quoted: double any '"' */
			if (*c == '"')
				mur_buf_put(b, "\"\"", 2);
			else
				mur_buf_put_u8(b, (uint8_t)*c);
		mur_buf_printf(b, "\"");
	}
	mur_buf_printf(b, "*/");
}

/* One quoted name at p, copied to out as is; the byte after it, or NULL. */
static const char *quoted_name(const char *p, mur_buf *out)
{
	const char *q = p + 1;
	if (*p != '"')
		return NULL;
	for (;; q++) {
		if (!*q)
			return NULL;
		if (*q == '"' && q[1] != '"')
			break;
		q += *q == '"'; /* a doubled quote */
	}
	mur_buf_put(out, p, (size_t)(q + 1 - p));
	return q + 1;
}

mur_type mur_failing_row_tag_type(const char *sql, const char *name, size_t len)
{
	mur_type types[MUR_FAILING_ROW_LOOKUP_MAX], t = MT_UNKNOWN;
	mur_buf news, want;
	int n;
	mur_buf_init(&news);
	mur_buf_init(&want);
	mur_buf_printf(&want, "NEW.\"");
	for (size_t i = 0; i < len; i++)
		mur_buf_printf(&want, name[i] == '"' ? "\"\"" : "%c", name[i]);
	mur_buf_printf(&want, "\"");
	n = mur_failing_row_tag_parse(sql, types, MUR_FAILING_ROW_LOOKUP_MAX, &news);
	for (int i = 0, at = 0; i < n && mur_buf_ok(&want); i++) { /* news: `NEW."a", NEW."b"` */
		const char *p = mur_buf_cstr(&news) + at;
		const char *end = strstr(p + 5, "\", NEW.");
		size_t item = end ? (size_t)(end + 1 - p) : strlen(p);
		if (item == want.len && !memcmp(p, want.data, item))
			t = types[i];
		at += (int)item + 2;
	}
	mur_buf_free(&news);
	mur_buf_free(&want);
	return t;
}

int mur_failing_row_tag_parse(const char *sql, mur_type *types, int max, mur_buf *news)
{
	const char *p = NULL;
	int n = 0;
	/* the last one: a string constant of the statement may hold the text */
	for (const char *q = sql; q && (q = strstr(q, MUR_FAILING_ROW_TAG)); q++)
		p = q;
	if (!p)
		return -1;
	p += strlen(MUR_FAILING_ROW_TAG);
	while (n < max) {
		char *end;
		if (*p < '0' || *p > '9')
			return -1;
		types[n] = mur_type_from_oid((uint32_t)strtoul(p, &end, 10));
		if (*end != ' ')
			return -1;
		mur_buf_printf(news, "%sNEW.", n++ ? ", " : "");
		if (!(p = quoted_name(end + 1, news)))
			return -1;
		if (p[0] == '*' && p[1] == '/')
			return mur_buf_ok(news) ? n : -1;
		if (*p++ != ',')
			return -1;
	}
	return -1;
}
