/*
 * pgc_func.c — the SQLite functions translated catalog queries call
 * (pgc_deparse.c writes pg_catalog.format_type as pgc_format_type, ...).
 *
 * Arrays are PostgreSQL's text form, '{a,b}' (elements without quotes:
 * the catalogs hold names and numbers), or an int2vector's '1 2';
 * pgc_array_json turns one into a
 * JSON array for json_each.  Session facts come from the hooks given to
 * pgc_register (the function's user data), catalog facts from the
 * catalog they name.  Errors carry their SQLSTATE as
 * "SQLSTATE:xxxxx:message", which storage's error mapping understands.
 */
#include "pgcatalog/pgc_int.h"

#include "catalog/catalog_fkey.h"
#include "common/ident.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest array text pgc_array_json and pgc_array_at take apart. */
#define PGC_ARRAY_TEXT_MAX 65536

static const pgc_session_hooks *hooks_of(sqlite3_context *ctx) { return sqlite3_user_data(ctx); }

/* The catalog the functions answer from (NULL: none, nothing found). */
static const catalog *cat_of(sqlite3_context *ctx)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	return h ? h->cat : NULL;
}

static const char *arg_text(sqlite3_value **argv, int i)
{
	return (const char *)sqlite3_value_text(argv[i]);
}

static void fn_true(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_int(ctx, 1);
}

static void fn_false(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_int(ctx, 0);
}

static void fn_null(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_null(ctx);
}

static void fn_format_type(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char out[128];
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	if (sqlite3_value_int64(argv[0]) == 1042 && sqlite3_value_type(argv[1]) != SQLITE_NULL &&
	    sqlite3_value_int(argv[1]) == -1) { /* a bpchar column without a length */
		sqlite3_result_text(ctx, "bpchar", -1, SQLITE_STATIC);
		return;
	}
	pgc_format_type((uint32_t)sqlite3_value_int64(argv[0]),
			sqlite3_value_type(argv[1]) == SQLITE_NULL ? -1
								   : sqlite3_value_int(argv[1]),
			out, sizeof out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static const char *session_user(sqlite3_context *ctx)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *u = h && h->user ? h->user(h->ctx) : NULL;
	return u ? u : "murphy";
}

static void fn_get_userbyid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *name = pgc_role_name(h ? h->cat : NULL, (uint32_t)sqlite3_value_int64(argv[0]),
					 session_user(ctx));
	(void)argc;
	if (name)
		sqlite3_result_text(ctx, name, -1, SQLITE_TRANSIENT);
	else if (sqlite3_value_int64(argv[0]) == PGC_OID_ROLE) /* owns all; none holds 10 */
		sqlite3_result_text(ctx, session_user(ctx), -1, SQLITE_TRANSIENT);
	else if (sqlite3_value_int64(argv[0]) == PGC_OID_ROLE_DB_OWNER)
		sqlite3_result_text(ctx, "pg_database_owner", -1, SQLITE_STATIC);
	else
		sqlite3_result_text(ctx, "unknown (OID)", -1, SQLITE_STATIC);
}

static void fn_current_user(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_text(ctx, session_user(ctx), -1, SQLITE_TRANSIENT);
}

static void fn_current_database(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *d = h && h->database ? h->database(h->ctx) : NULL;
	(void)argc, (void)argv;
	sqlite3_result_text(ctx, d ? d : "murphy", -1, SQLITE_TRANSIENT);
}

/* The search path's schemas that exist (cat_search_path), "$user" being
 * the session's role. */
static int session_path(sqlite3_context *ctx, char out[][CAT_NAME_MAX], int max)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *path = h && h->get ? h->get(h->ctx, "search_path") : NULL;
	const char *user = h && h->user ? h->user(h->ctx) : NULL;
	if (!cat_of(ctx)) {
		snprintf(out[0], CAT_NAME_MAX, "public");
		return 1;
	}
	return cat_search_path(cat_of(ctx), path, user, out, max);
}

static void fn_current_schema(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char path[1][CAT_NAME_MAX];
	(void)argc, (void)argv;
	if (session_path(ctx, path, 1) == 1)
		sqlite3_result_text(ctx, path[0], -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(ctx);
}

/* current_schemas(implicit) as PostgreSQL's text of a name[]: the path's
 * existing schemas, pg_catalog first when implicit ones are asked for
 * too (murphy has no temporary schema). */
static void fn_current_schemas(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char path[CAT_SEARCH_PATH_MAX][CAT_NAME_MAX];
	int n = session_path(ctx, path, CAT_SEARCH_PATH_MAX);
	mur_buf b;
	(void)argc;
	mur_buf_init(&b);
	mur_buf_printf(&b, "{%s", sqlite3_value_int(argv[0]) ? "pg_catalog" : "");
	for (int i = 0; i < n; i++)
		mur_buf_printf(&b, "%s%s", i || sqlite3_value_int(argv[0]) ? "," : "", path[i]);
	mur_buf_printf(&b, "}");
	sqlite3_result_text(ctx, b.data ? b.data : "{}", -1, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

static void fn_backend_pid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	(void)argc, (void)argv;
	sqlite3_result_int(ctx, h && h->pid ? h->pid(h->ctx) : 0);
}

/* version(): the same release as the server_version setting. */
static void fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *v = h && h->get ? h->get(h->ctx, "server_version") : NULL;
	char out[128];
	(void)argc, (void)argv;
	snprintf(out, sizeof out, "PostgreSQL %s (murphy)", v ? v : "15.0");
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static void lower_name(const char *in, char *out, size_t n)
{
	size_t i = 0;
	for (; in && in[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static void fn_current_setting(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	char name[128], msg[256];
	const char *v;
	lower_name(arg_text(argv, 0), name, sizeof name);
	v = h && h->get ? h->get(h->ctx, name) : NULL;
	if (v) {
		sqlite3_result_text(ctx, v, -1, SQLITE_TRANSIENT);
		return;
	}
	if (argc > 1 && sqlite3_value_int(argv[1])) {
		sqlite3_result_null(ctx); /* missing_ok */
		return;
	}
	snprintf(msg, sizeof msg, "SQLSTATE:42704:unrecognized configuration parameter \"%s\"",
		 name);
	sqlite3_result_error(ctx, msg, -1);
}

static void fn_set_config(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	char name[128], msg[MUR_ERROR_MESSAGE_MAX + 32];
	const char *v = arg_text(argv, 1);
	mur_error err;
	(void)argc;
	mur_error_clear(&err);
	lower_name(arg_text(argv, 0), name, sizeof name);
	if (!h || !h->set) {
		mur_error_set(&err, SQLSTATE_UNDEFINED_OBJECT,
			      "unrecognized configuration parameter \"%s\"", name);
	} else if (h->set(h->ctx, name, v ? v : "", sqlite3_value_int(argv[2]), &err) == MUR_OK) {
		const char *now = h->get ? h->get(h->ctx, name) : v;
		sqlite3_result_text(ctx, now ? now : "", -1, SQLITE_TRANSIENT);
		return;
	}
	snprintf(msg, sizeof msg, "SQLSTATE:%s:%s", err.sqlstate, err.message);
	sqlite3_result_error(ctx, msg, -1);
}

static void fn_encoding_to_char(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_text(ctx, sqlite3_value_int(argv[0]) == 6 ? "UTF8" : "", -1, SQLITE_STATIC);
}

static void fn_quote_ident(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = arg_text(argv, 0);
	mur_buf b;
	(void)argc;
	if (!s || !mur_ident_needs_quotes(s, strlen(s))) {
		sqlite3_result_value(ctx, argv[0]);
		return;
	}
	mur_buf_init(&b);
	pgc_put_ident(&b, s);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

static void fn_bool(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = arg_text(argv, 0);
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL)
		sqlite3_result_null(ctx);
	else if (sqlite3_value_type(argv[0]) == SQLITE_TEXT)
		sqlite3_result_int(ctx, s[0] == 't' || s[0] == 'T' || s[0] == '1' ||
						(s[0] == 'o' && s[1] == 'n') || s[0] == 'y');
	else
		sqlite3_result_int(ctx, sqlite3_value_int64(argv[0]) != 0);
}

/* ---- arrays in text form ---- */

/* '{a,b}' → '["a","b"]' (numbers stay numbers). */
static void array_json(const char *arr, mur_buf *b)
{
	const char *p = arr;
	int first = 1;
	mur_buf_put(b, "[", 1);
	if (*p == '{')
		p++;
	while (*p && *p != '}') {
		const char *e = p;
		int num = 1;
		for (; *e && *e != ',' && *e != ' ' && *e != '}'; e++)
			num &= isdigit((unsigned char)*e) || (*e == '-' && e == p);
		if (!first)
			mur_buf_put(b, ",", 1);
		first = 0;
		if (num && e > p)
			mur_buf_put(b, p, (size_t)(e - p));
		else {
			mur_buf_put(b, "\"", 1);
			for (const char *q = p; q < e; q++)
				if (*q != '"' && *q != '\\')
					mur_buf_put(b, q, 1);
			mur_buf_put(b, "\"", 1);
		}
		p = *e == ',' || *e == ' ' ? e + 1 : e;
	}
	mur_buf_put(b, "]", 1);
}

static int array_arg(sqlite3_context *ctx, sqlite3_value **argv, const char **arr)
{
	*arr = arg_text(argv, 0);
	if (!*arr) {
		sqlite3_result_null(ctx);
		return 0;
	}
	if (strlen(*arr) > PGC_ARRAY_TEXT_MAX) {
		sqlite3_result_error(ctx, "SQLSTATE:54000:array too long for the catalog", -1);
		return 0;
	}
	return 1;
}

static void fn_array_json(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *arr;
	mur_buf b;
	(void)argc;
	if (!array_arg(ctx, argv, &arr))
		return;
	mur_buf_init(&b);
	array_json(arr, &b);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* A quoted element at p ('"'): its text unescaped into out when keep;
 * returns where it ends (past the closing quote). */
static const char *array_quoted(const char *p, int keep, mur_buf *out)
{
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (keep)
			mur_buf_put_u8(out, (uint8_t)*p);
	}
	return *p ? p + 1 : p;
}

/* Elements of an array text (array_out's quoting, or an int2vector's
 * spaces): n, and the i-th (1-based) into out. */
static int array_element(const char *arr, int want, mur_buf *out)
{
	int n = 0;
	const char *p = arr + (*arr == '{');
	while (*p && *p != '}') {
		const char *e = p;
		if (*p == '"') {
			e = array_quoted(p, ++n == want, out);
		} else {
			while (*e && *e != ',' && *e != ' ' && *e != '}')
				e++;
			if (++n == want)
				mur_buf_put(out, p, (size_t)(e - p));
		}
		p = *e == ',' || *e == ' ' ? e + 1 : e;
	}
	return n;
}

static void fn_array_length(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *arr;
	mur_buf b;
	int n;
	(void)argc;
	if (!array_arg(ctx, argv, &arr))
		return;
	mur_buf_init(&b);
	n = array_element(arr, 0, &b);
	mur_buf_free(&b);
	if (n)
		sqlite3_result_int(ctx, n);
	else
		sqlite3_result_null(ctx);
}

static void fn_array_at(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *arr;
	mur_buf b;
	(void)argc;
	if (!array_arg(ctx, argv, &arr))
		return;
	mur_buf_init(&b);
	if (array_element(arr, sqlite3_value_int(argv[1]), &b) >= sqlite3_value_int(argv[1]) &&
	    sqlite3_value_int(argv[1]) > 0)
		sqlite3_result_text(ctx, b.len ? (const char *)b.data : "", (int)b.len,
				    SQLITE_TRANSIENT);
	else
		sqlite3_result_null(ctx);
	mur_buf_free(&b);
}

static void fn_array_to_string(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *arr, *sep = arg_text(argv, 1);
	mur_buf b;
	int n;
	(void)argc;
	if (!array_arg(ctx, argv, &arr))
		return;
	mur_buf_init(&b);
	n = array_element(arr, 0, &b);
	for (int i = 1; i <= n; i++) {
		if (i > 1 && sep)
			mur_buf_put(&b, sep, strlen(sep));
		array_element(arr, i, &b);
	}
	sqlite3_result_text(ctx, b.len ? (const char *)b.data : "", (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

/* array_remove(arr, v): arr without the elements equal to v. */
static void fn_array_remove(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *arr, *v = arg_text(argv, 1);
	mur_buf b, el;
	int n, kept = 0;
	(void)argc;
	if (!array_arg(ctx, argv, &arr))
		return;
	mur_buf_init(&b);
	mur_buf_init(&el);
	mur_buf_put(&b, "{", 1);
	n = array_element(arr, 0, &el);
	for (int i = 1; i <= n; i++) {
		el.len = 0;
		array_element(arr, i, &el);
		if (v && el.len == strlen(v) && (!el.len || !memcmp(el.data, v, el.len)))
			continue;
		if (kept++)
			mur_buf_put(&b, ",", 1);
		if (el.len)
			mur_buf_put(&b, el.data, el.len);
	}
	mur_buf_put(&b, "}", 1);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&el);
	mur_buf_free(&b);
}

/* pgc_seq_state(regclass text, what): the sequence's last_value (what 0)
 * or is_called (1), as SELECT ... FROM s shows them; 42P01 for no
 * sequence. */
static void fn_seq_state(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *name = arg_text(argv, 0);
	mur_error err = {0};
	const cat_sequence *sq = name && cat_of(ctx) ? cat_seq_resolve(cat_of(ctx), name, &err)
						     : NULL;
	char msg[sizeof err.message + 16];
	(void)argc;
	if (!sq && !strcmp(err.sqlstate, SQLSTATE_WRONG_OBJECT_TYPE)) {
		/* a table or view beside pg_catalog relations (it was 42809 "is
		 * not a sequence") */
		snprintf(msg, sizeof msg,
			 "SQLSTATE:0A000:murphy does not support reading %s together with "
			 "pg_catalog relations yet",
			 name);
		sqlite3_result_error(ctx, msg, -1);
		return;
	}
	if (!sq) {
		snprintf(msg, sizeof msg, "SQLSTATE:%s:%s",
			 err.sqlstate[0] ? err.sqlstate : "42P01",
			 err.message[0] ? err.message : "relation does not exist");
		sqlite3_result_error(ctx, msg, -1);
		return;
	}
	if (sqlite3_value_int(argv[1]))
		sqlite3_result_int(ctx, sq->is_called);
	else
		sqlite3_result_int64(ctx, sq->last_value);
}

/* A set-returning unnest(arr) in a select list: not translated, so an
 * error for the first row that reaches it (a query over no rows works). */
static void fn_unnest_in_select_list(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_error(ctx,
			     "SQLSTATE:0A000:murphy's pg_catalog does not support unnest in a "
			     "select list",
			     -1);
}

/* ARRAY[a, b] → '{a,b}'. */
static void fn_array(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	mur_buf b;
	mur_buf_init(&b);
	mur_buf_put(&b, "{", 1);
	for (int i = 0; i < argc; i++) {
		const char *s = arg_text(argv, i);
		if (i)
			mur_buf_put(&b, ",", 1);
		mur_buf_printf(&b, "%s", s ? s : "NULL");
	}
	mur_buf_put(&b, "}", 1);
	sqlite3_result_text(ctx, (const char *)b.data, (int)b.len, SQLITE_TRANSIENT);
	mur_buf_free(&b);
}

static void array_agg_step(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	mur_buf *b = sqlite3_aggregate_context(ctx, sizeof *b);
	const char *s = arg_text(argv, 0);
	(void)argc;
	if (!b)
		return;
	if (!b->data) {
		mur_buf_init(b);
		mur_buf_put(b, "{", 1);
	} else
		mur_buf_put(b, ",", 1);
	mur_buf_printf(b, "%s", s ? s : "NULL");
}

static void array_agg_final(sqlite3_context *ctx)
{
	mur_buf *b = sqlite3_aggregate_context(ctx, 0);
	if (!b || !b->data) {
		sqlite3_result_text(ctx, "{}", -1, SQLITE_STATIC);
		return;
	}
	mur_buf_put(b, "}", 1);
	sqlite3_result_text(ctx, (const char *)b->data, (int)b->len, SQLITE_TRANSIENT);
	mur_buf_free(b);
}

/* ---- OID alias types and the *def functions ---- */

/* "schema.name" or "name", quotes removed, name folded as PostgreSQL. */
static void split_name(const char *in, char *schema, char *name, size_t n)
{
	const char *dot = strchr(in, '.');
	const char *nm = dot ? dot + 1 : in;
	schema[0] = '\0';
	if (dot)
		snprintf(schema, n, "%.*s", (int)(dot - in), in);
	if (nm[0] == '"')
		snprintf(name, n, "%.*s", (int)strcspn(nm + 1, "\""), nm + 1);
	else
		lower_name(nm, name, n);
}

/* The oid of the relation s names (a number: itself), as regclass reads
 * it; 0 when none has that name. */
static int64_t regclass_oid(sqlite3_context *ctx, const char *s)
{
	char schema[CAT_NAME_MAX], name[CAT_NAME_MAX];
	const char *sch;
	const cat_table *t;
	const cat_view *v;
	const cat_sequence *q;
	if (isdigit((unsigned char)s[0]))
		return strtoll(s, NULL, 10);
	split_name(s, schema, name, sizeof name);
	sch = schema[0] ? schema : NULL;
	t = cat_of(ctx) ? cat_table_lookup(cat_of(ctx), sch, name) : NULL;
	if (t && pgc_table_shown(cat_of(ctx), t))
		return pgc_table_oid(t);
	v = cat_of(ctx) && (!sch || !strcmp(schema, "public"))
		    ? cat_view_lookup(cat_of(ctx), NULL, name)
		    : NULL;
	if (v)
		return pgc_view_oid(v);
	q = cat_of(ctx) ? cat_seq_lookup_in(cat_of(ctx), sch, name) : NULL;
	if (q)
		return pgc_seq_oid(q);
	if (cat_of(ctx)) { /* an index of schema (else the first of the name) */
		const cat_index *x = cat_index_lookup(cat_of(ctx), sch, name);
		if (x && pgc_index_table(cat_of(ctx), x))
			return pgc_index_oid(x);
	}
	if (!sch || !strcmp(schema, "pg_catalog") || !strcmp(schema, "information_schema")) {
		const pgc_rel *r = pgc_rel_find(sch ? schema : "pg_catalog", name);
		if (r)
			return pgc_rel_oid(r);
	}
	return 0;
}

static void relation_missing(sqlite3_context *ctx, const char *s)
{
	char msg[256];
	snprintf(msg, sizeof msg, "SQLSTATE:42P01:relation \"%s\" does not exist", s);
	sqlite3_result_error(ctx, msg, -1);
}

static void fn_regclass_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = arg_text(argv, 0);
	int64_t oid;
	(void)argc;
	if (!s)
		sqlite3_result_null(ctx);
	else if ((oid = regclass_oid(ctx, s)) != 0 || isdigit((unsigned char)s[0]))
		sqlite3_result_int64(ctx, oid);
	else
		relation_missing(ctx, s);
}

static void fn_regclass_out(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int part = 0;
	char out[CAT_NAME_MAX * 2 + 8];
	const cat_table *t, *xt;
	const cat_view *v;
	const cat_index *x;
	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	t = pgc_table_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]), &part);
	v = t ? NULL : pgc_view_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]));
	x = t || v ? NULL
		   : pgc_index_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]), &xt);
	if (v)
		snprintf(out, sizeof out, "%s", v->name);
	else if (x)
		snprintf(out, sizeof out, "%s", x->name);
	else if (!t && pgc_rel_by_oid((uint32_t)sqlite3_value_int64(argv[0]))) {
		const pgc_rel *r = pgc_rel_by_oid((uint32_t)sqlite3_value_int64(argv[0]));
		snprintf(out, sizeof out, "%s%s%s",
			 strcmp(pgc_rel_schema(r), "pg_catalog") ? pgc_rel_schema(r) : "",
			 strcmp(pgc_rel_schema(r), "pg_catalog") ? "." : "", pgc_rel_name(r));
	} else if (!t || part == 2)
		snprintf(out, sizeof out, "%lld", (long long)sqlite3_value_int64(argv[0]));
	else if (part == 1)
		pgc_pkey_name(t, out, sizeof out);
	else if (t->kind == CAT_TABLE_VIRTUAL)
		snprintf(out, sizeof out, "murphy.%s", t->name); /* not on the search path */
	else
		snprintf(out, sizeof out, "%s", t->name);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static void fn_regtype_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *s = arg_text(argv, 0);
	char name[128], msg[256];
	(void)argc;
	lower_name(s, name, sizeof name);
	for (int i = 0; i < pgc_type_count(); i++) {
		const pgc_type *t = pgc_type_at(i);
		char fmt[128];
		pgc_format_type(t->oid, -1, fmt, sizeof fmt);
		if (!strcmp(t->typname, name) || !strcmp(fmt, name) ||
		    (t->mtype != MT_UNKNOWN && mur_type_from_name(name) == t->mtype)) {
			sqlite3_result_int64(ctx, t->oid);
			return;
		}
	}
	snprintf(msg, sizeof msg, "SQLSTATE:42704:type \"%s\" does not exist", s ? s : "");
	sqlite3_result_error(ctx, msg, -1);
}

static void fn_regtype_out(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char out[128];
	(void)argc;
	pgc_format_type((uint32_t)sqlite3_value_int64(argv[0]), -1, out, sizeof out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static void fn_regnamespace_out(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *n = pgc_namespace_name(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]));
	(void)argc;
	if (n)
		sqlite3_result_text(ctx, n, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_int64(ctx, sqlite3_value_int64(argv[0]));
}

static void fn_regproc_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	char msg[256];
	(void)argc;
	snprintf(msg, sizeof msg, "SQLSTATE:42883:function \"%s\" does not exist",
		 arg_text(argv, 0) ? arg_text(argv, 0) : "");
	sqlite3_result_error(ctx, msg, -1);
}

static void fn_regnamespace_in(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint32_t oid = pgc_namespace_oid(cat_of(ctx), arg_text(argv, 0) ? arg_text(argv, 0) : "");
	(void)argc;
	if (oid)
		sqlite3_result_int64(ctx, oid);
	else
		sqlite3_result_error(ctx, "SQLSTATE:3F000:schema does not exist", -1);
}

/* pg_get_indexdef(index oid [, column, pretty]) and
 * pg_get_constraintdef(constraint oid [, pretty]): the primary keys. */
static void fn_get_indexdef(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int part = 0;
	char cols[1024], pk[CAT_NAME_MAX + 8], out[1200];
	const cat_table *t = pgc_table_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]),
					      &part);
	int col = argc > 1 ? sqlite3_value_int(argv[1]) : 0;
	const cat_index *x = t ? NULL
			       : pgc_index_by_oid(cat_of(ctx),
						  (uint32_t)sqlite3_value_int64(argv[0]), &t);
	if (x) { /* a secondary index (pgc_index.c) */
		pgc_index_def(t, x, col, out, sizeof out);
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
		return;
	}
	if (!t || part != 1 || !pgc_pkey_columns(t, cols, sizeof cols)) {
		sqlite3_result_null(ctx);
		return;
	}
	if (col > 0) { /* the index's col-th key column */
		for (int c = 0; c < t->ncols; c++)
			if (t->cols[c].primary_key && !t->cols[c].hidden && --col == 0)
				sqlite3_result_text(ctx, t->cols[c].name, -1, SQLITE_TRANSIENT);
		return;
	}
	pgc_pkey_name(t, pk, sizeof pk);
	snprintf(out, sizeof out, "CREATE UNIQUE INDEX %s ON %s.%s USING btree %s", pk,
		 pgc_schema_of(t), t->name, cols);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* A foreign key's definition, as PostgreSQL writes it; 0 when oid is none. */
static int fkey_def(sqlite3_context *ctx, uint32_t oid)
{
	const catalog *cat = cat_of(ctx);
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *path = h && h->get ? h->get(h->ctx, "search_path") : NULL;
	int visible = !path || strstr(path, "public") != NULL;
	char out[5 * CAT_NAME_MAX + 96];
	for (int i = 0; cat && i < cat_fkey_count(cat); i++) {
		const cat_fkey *k = cat_fkey_at(cat, i);
		const cat_table *t, *p;
		if (!k || k->id != oid)
			continue;
		t = cat_table_by_id((catalog *)cat, k->table_id);
		p = cat_table_by_id((catalog *)cat, k->ref_table_id);
		/* PostgreSQL qualifies the name when the search path does not
		 * find it (pg_dump's empty one) */
		snprintf(out, sizeof out, "FOREIGN KEY (%s) REFERENCES %s%s%s(%s)%s%s",
			 t->cols[k->col].name, visible ? "" : pgc_schema_of(p), visible ? "" : ".",
			 p->name, p->cols[k->ref_col].name,
			 k->on_update == CAT_FK_RESTRICT ? " ON UPDATE RESTRICT" : "",
			 k->on_delete == CAT_FK_RESTRICT   ? " ON DELETE RESTRICT"
			 : k->on_delete == CAT_FK_CASCADE  ? " ON DELETE CASCADE"
			 : k->on_delete == CAT_FK_SET_NULL ? " ON DELETE SET NULL"
							   : "");
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
		return 1;
	}
	return 0;
}

/* A CHECK's definition, pretty or not; 0 when oid is none. */
static int check_def(sqlite3_context *ctx, uint32_t oid, int pretty)
{
	const catalog *cat = cat_of(ctx);
	const cat_table *t;
	mur_buf b;
	if (!cat || oid < PGC_OID_CHECK_BASE || oid >= PGC_OID_UNIQUE_BASE)
		return 0;
	t = cat_table_by_id((catalog *)cat, (oid - PGC_OID_CHECK_BASE) / CAT_CHECKS_MAX);
	for (int i = 0; t && i < t->nchecks; i++) {
		if (pgc_check_oid(t, &t->checks[i]) != oid)
			continue;
		mur_buf_init(&b);
		mur_buf_printf(&b, "CHECK (");
		if (pgc_check_reprint(t, t->checks[i].expr, pretty, NULL, NULL, &b) != MUR_OK) {
			b.len = 7;
			mur_buf_printf(&b, "%s", t->checks[i].expr);
		}
		mur_buf_printf(&b, ")");
		if (mur_buf_ok(&b))
			sqlite3_result_text(ctx, (const char *)b.data, (int)b.len,
					    SQLITE_TRANSIENT);
		else
			sqlite3_result_error_nomem(ctx);
		mur_buf_free(&b);
		return 1;
	}
	return 0;
}

/* A UNIQUE constraint's definition; 0 when oid is none. */
static int unique_def(sqlite3_context *ctx, uint32_t oid)
{
	const catalog *cat = cat_of(ctx);
	const cat_table *t;
	char out[CAT_INDEX_COLS_MAX * (CAT_NAME_MAX + 2) + 16];
	size_t len;
	for (int i = 0; cat && oid > PGC_OID_UNIQUE_BASE && i < cat_index_count(cat); i++) {
		const cat_index *x = cat_index_at(cat, i);
		if (PGC_OID_UNIQUE_BASE + x->id != oid || !(t = pgc_index_table(cat, x)))
			continue;
		len = (size_t)snprintf(out, sizeof out, "UNIQUE (");
		for (int k = 0; k < x->ncols && len < sizeof out; k++)
			len += (size_t)snprintf(out + len, sizeof out - len, "%s%s", k ? ", " : "",
						x->cols[k]);
		if (len < sizeof out)
			snprintf(out + len, sizeof out - len, ")");
		sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
		return 1;
	}
	return 0;
}

static void fn_get_constraintdef(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int part = 0;
	if (fkey_def(ctx, (uint32_t)sqlite3_value_int64(argv[0])))
		return;
	if (check_def(ctx, (uint32_t)sqlite3_value_int64(argv[0]),
		      argc > 1 && sqlite3_value_int(argv[1])) ||
	    unique_def(ctx, (uint32_t)sqlite3_value_int64(argv[0])))
		return;
	char cols[1024], out[1100];
	const cat_table *t = pgc_table_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]),
					      &part);
	(void)argc;
	if (!t || part != 2 || !pgc_pkey_columns(t, cols, sizeof cols)) {
		sqlite3_result_null(ctx);
		return;
	}
	snprintf(out, sizeof out, "PRIMARY KEY %s", cols);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

/* pg_get_expr(expr text, relation [, pretty]): murphy keeps a default as
 * its text already. */
static void fn_get_expr(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqlite3_result_value(ctx, argv[0]);
}

/* 1 when name without a schema means the relation of that name in schema
 * for this session (its search_path). */
static int resolves_to(sqlite3_context *ctx, const char *name, const char *schema)
{
	const pgc_session_hooks *h = hooks_of(ctx);
	const char *path = h && h->get ? h->get(h->ctx, "search_path") : NULL;
	const char *user = h && h->user ? h->user(h->ctx) : NULL;
	char found[CAT_NAME_MAX];
	return cat_relation_schema(cat_of(ctx), path, user, name, found, sizeof found) &&
	       !strcmp(found, schema);
}

static void fn_table_is_visible(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	int part = 0;
	const cat_table *t = pgc_table_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]),
					      &part);
	const pgc_rel *rel = pgc_rel_by_oid((uint32_t)sqlite3_value_int64(argv[0]));
	const cat_view *v = pgc_view_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]));
	const cat_table *xt = NULL;
	const cat_index *x = pgc_index_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]),
					      &xt);
	(void)argc;
	/* murphy.* and information_schema are off the search path; a table or
	 * view is visible when its name resolves to it, an index with its table */
	sqlite3_result_int(ctx, (t && t->kind != CAT_TABLE_VIRTUAL &&
				 resolves_to(ctx, t->name, t->schema)) ||
					(rel && !strcmp(pgc_rel_schema(rel), "pg_catalog")) ||
					(v && resolves_to(ctx, v->name, v->schema)) ||
					(x && xt && resolves_to(ctx, xt->name, xt->schema)));
}

/* pg_get_viewdef(oid [, pretty]): the view's SELECT as it was written
 * (PostgreSQL prints its own deparse); NULL for anything else.  A name
 * (pg_get_viewdef(text), which PostgreSQL picks for a quoted literal) is
 * read as regclass reads it: 42P01 when no relation has it. */
static void fn_get_viewdef(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const cat_view *v = NULL;
	if (argc > 0 && sqlite3_value_type(argv[0]) == SQLITE_TEXT) {
		const char *s = arg_text(argv, 0);
		int64_t oid = regclass_oid(ctx, s);
		if (!oid) {
			relation_missing(ctx, s);
			return;
		}
		v = pgc_view_by_oid(cat_of(ctx), (uint32_t)oid);
	} else if (argc > 0) {
		v = pgc_view_by_oid(cat_of(ctx), (uint32_t)sqlite3_value_int64(argv[0]));
	}
	if (v)
		sqlite3_result_text(ctx, v->sql, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(ctx);
}

typedef struct pgc_fn {
	const char *name;
	int nargs; /* -1: any */
	void (*fn)(sqlite3_context *, int, sqlite3_value **);
} pgc_fn;

static const pgc_fn fns[] = {
	{"pgc_true", -1, fn_true},
	{"pgc_has_schema_privilege", -1, pgc_fn_has_schema_privilege},
	{"pgc_has_table_privilege", -1, pgc_fn_has_table_privilege},
	{"pgc_has_column_privilege", -1, pgc_fn_has_column_privilege},
	{"pgc_has_any_column_privilege", -1, pgc_fn_has_any_column_privilege},
	{"pgc_pg_has_role", -1, pgc_fn_pg_has_role},
	{"pgc_has_database_privilege", -1, pgc_fn_has_database_privilege},
	{"pgc_false", -1, fn_false},
	{"pgc_null", -1, fn_null},
	{"pgc_obj_description", -1, pgc_fn_obj_description},
	{"pgc_col_description", -1, pgc_fn_col_description},
	{"pgc_format_type", 2, fn_format_type},
	{"pgc_get_userbyid", 1, fn_get_userbyid},
	{"pgc_current_user", 0, fn_current_user},
	{"pgc_current_database", 0, fn_current_database},
	{"pgc_current_schema", 0, fn_current_schema},
	{"pgc_current_schemas", 1, fn_current_schemas},
	{"pgc_backend_pid", 0, fn_backend_pid},
	{"pgc_version", 0, fn_version},
	{"pgc_current_setting", -1, fn_current_setting},
	{"pgc_set_config", 3, fn_set_config},
	{"pgc_encoding_to_char", 1, fn_encoding_to_char},
	{"pgc_quote_ident", 1, fn_quote_ident},
	{"pgc_bool", 1, fn_bool},
	{"pgc_array_json", 1, fn_array_json},
	{"pgc_array_length", -1, fn_array_length},
	{"pgc_array_at", 2, fn_array_at},
	{"pgc_array_to_string", -1, fn_array_to_string},
	{"pgc_array", -1, fn_array},
	{"pgc_array_remove", 2, fn_array_remove},
	{"pgc_seq_state", 2, fn_seq_state},
	{"pgc_unnest_in_select_list", 1, fn_unnest_in_select_list},
	{"pgc_regclass_in", 1, fn_regclass_in},
	{"pgc_regclass_out", 1, fn_regclass_out},
	{"pgc_regtype_in", 1, fn_regtype_in},
	{"pgc_regtype_out", 1, fn_regtype_out},
	{"pgc_regnamespace_in", 1, fn_regnamespace_in},
	{"pgc_regnamespace_out", 1, fn_regnamespace_out},
	{"pgc_regproc_out", 1, fn_null},
	{"pgc_regproc_in", 1, fn_regproc_in},
	{"pgc_get_indexdef", -1, fn_get_indexdef},
	{"pgc_get_constraintdef", -1, fn_get_constraintdef},
	{"pgc_get_expr", -1, fn_get_expr},
	{"pgc_table_is_visible", 1, fn_table_is_visible},
	{"pgc_get_viewdef", -1, fn_get_viewdef},
};

int pgc_register(sqlite3 *db, const pgc_session_hooks *hooks, mur_error *err)
{
	void *h = (void *)hooks;
	int rc = sqlite3_exec(db,
			      "ATTACH DATABASE ':memory:' AS pg_catalog;"
			      "ATTACH DATABASE ':memory:' AS information_schema;",
			      NULL, NULL, NULL);
	for (size_t i = 0; rc == SQLITE_OK && i < sizeof fns / sizeof fns[0]; i++)
		rc = sqlite3_create_function(db, fns[i].name, fns[i].nargs, SQLITE_UTF8, h,
					     fns[i].fn, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "pgc_array_agg", 1, SQLITE_UTF8, h, NULL,
					     array_agg_step, array_agg_final);
	if (rc == SQLITE_OK)
		rc = pgc_time_register(db, hooks);
	if (rc != SQLITE_OK)
		return mur_error_set(err, SQLSTATE_INTERNAL_ERROR,
				     "cannot set up the pg_catalog emulation: %s",
				     sqlite3_errmsg(db));
	return MUR_OK;
}
