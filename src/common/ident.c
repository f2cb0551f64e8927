/*
 * ident.c — quote_ident's decision (PostgreSQL's quote_identifier): plain
 * when the name is lower-case letters, digits and underscores, not
 * starting with a digit, and not a keyword of the kinds PostgreSQL's
 * grammar would read as more than a name.  The keywords and their kinds
 * are libpg_query's (PostgreSQL 15's grammar): the name is scanned as SQL
 * and is a keyword when it is one token whose keyword kind is column name,
 * type/function name or reserved.  Names of 64 bytes or more are no
 * keyword (none is that long).
 */
#include "common/ident.h"
#include "common/buf.h"

#include <pg_query.h>
#include <pg_query/pg_query.pb-c.h>
#include <string.h>

#define IDENT_KEYWORD_MAX 64

static int is_reserved_keyword(const char *s, size_t n)
{
	char name[IDENT_KEYWORD_MAX];
	PgQueryScanResult r;
	PgQuery__ScanResult *sr;
	int kw = 0;
	if (n >= sizeof name)
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	r = pg_query_scan(name);
	if (!r.error &&
	    (sr = pg_query__scan_result__unpack(NULL, r.pbuf.len, (const uint8_t *)r.pbuf.data))) {
		kw = sr->n_tokens == 1 &&
		     sr->tokens[0]->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD &&
		     sr->tokens[0]->keyword_kind != PG_QUERY__KEYWORD_KIND__UNRESERVED_KEYWORD;
		pg_query__scan_result__free_unpacked(sr, NULL);
	}
	pg_query_free_scan_result(r);
	return kw;
}

int mur_ident_needs_quotes(const char *s, size_t n)
{
	if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 1;
	return is_reserved_keyword(s, n);
}

void mur_ident_put_quoted(mur_buf *b, const char *name)
{
	mur_buf_put_u8(b, '"');
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			mur_buf_put_u8(b, '"');
		mur_buf_put_u8(b, (uint8_t)*p);
	}
	mur_buf_put_u8(b, '"');
}

void mur_ident_put(mur_buf *b, const char *name)
{
	if (mur_ident_needs_quotes(name, strlen(name)))
		mur_ident_put_quoted(b, name);
	else
		mur_buf_put(b, name, strlen(name));
}
