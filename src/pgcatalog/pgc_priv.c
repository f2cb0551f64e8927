/*
 * pgc_priv.c — has_schema_privilege([role,] schema, privilege), answered
 * from the catalog's grants as PostgreSQL 15 answers it.
 *
 * USAGE is held by a superuser, on a built-in schema by every role
 * (public keeps PostgreSQL's default grant to PUBLIC; pg_catalog and
 * information_schema are usable by all), and on a created schema by a
 * role granted it, itself or through PUBLIC (cat_schema_usage).  CREATE
 * only by a superuser: murphy's table DDL needs one.  The privilege text
 * lists one or more of them, comma-separated, any case, each optionally
 * "WITH GRANT OPTION" (murphy has none to give: false unless superuser);
 * the answer is true when any is held, as PostgreSQL's.
 *
 * role and schema are names or OIDs (a role's OID as pg_roles shows it,
 * pgc_role.c); the two-argument form asks for the
 * session's role.  Errors as PostgreSQL's: 42704 unknown role, 3F000
 * unknown schema, 22023 unknown privilege type.  A role name with no
 * catalog role is the session's under --auth trust: a superuser.
 */
#include "pgcatalog/pgc_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define PRIV_USAGE 1u
#define PRIV_CREATE 2u
#define PRIV_USAGE_GRANT 4u /* WITH GRANT OPTION: murphy's roles have none */
#define PRIV_CREATE_GRANT 8u

/* The privilege text's bits (PRIV_*), 0 after naming the bad one in bad. */
static unsigned privs_parse(const char *text, char *bad, size_t badsz)
{
	static const struct {
		const char *name;
		unsigned bits;
	} names[] = {{"usage", PRIV_USAGE},
		     {"usage with grant option", PRIV_USAGE_GRANT},
		     {"create", PRIV_CREATE},
		     {"create with grant option", PRIV_CREATE_GRANT}};
	unsigned bits = 0;
	for (;;) {
		char item[64], raw[64];
		size_t n = 0, i;
		while (*text == ' ' || *text == ',')
			text++;
		if (!*text)
			return bits;
		while (*text && *text != ',')
			if (n + 1 < sizeof item) {
				raw[n] = *text;
				item[n++] = (char)tolower((unsigned char)*text++);
			} else {
				text++;
			}
		while (n > 0 && item[n - 1] == ' ')
			n--;
		item[n] = raw[n] = '\0';
		for (i = 0; i < sizeof names / sizeof names[0] && strcmp(item, names[i].name); i++)
			;
		if (i == sizeof names / sizeof names[0]) {
			snprintf(bad, badsz, "%s", raw); /* as written, as PostgreSQL's */
			return 0;
		}
		bits |= names[i].bits;
	}
}

static void fail(sqlite3_context *ctx, const char *state, const char *fmt, const char *name)
{
	char msg[256], text[200];
	snprintf(text, sizeof text, fmt, name);
	snprintf(msg, sizeof msg, "SQLSTATE:%s:%s", state, text);
	sqlite3_result_error(ctx, msg, -1);
}

/* The schema argument's name (an OID mapped back), NULL when none. */
static const char *schema_arg(const catalog *cat, sqlite3_value *v)
{
	if (sqlite3_value_type(v) == SQLITE_INTEGER)
		return pgc_namespace_name(cat, (uint32_t)sqlite3_value_int64(v));
	return (const char *)sqlite3_value_text(v);
}

void pgc_fn_has_schema_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const pgc_session_hooks *h = sqlite3_user_data(ctx);
	const catalog *cat = h ? h->cat : NULL;
	const char *me = h && h->user ? h->user(h->ctx) : NULL;
	const char *role = me ? me : "murphy", *schema, *text;
	const cat_role *r;
	char bad[64];
	unsigned bits;
	if (argc != 2 && argc != 3) {
		sqlite3_result_error(ctx,
				     "SQLSTATE:42883:function has_schema_privilege does not exist",
				     -1);
		return;
	}
	if (argc == 3 && sqlite3_value_type(argv[0]) == SQLITE_TEXT)
		role = (const char *)sqlite3_value_text(argv[0]);
	else if (argc == 3)
		role = pgc_role_name(cat, (uint32_t)sqlite3_value_int64(argv[0]), me);
	schema = cat ? schema_arg(cat, argv[argc - 2]) : NULL;
	text = (const char *)sqlite3_value_text(argv[argc - 1]);
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL || !text ||
	    sqlite3_value_type(argv[argc - 2]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	r = role && cat ? cat_role_get(cat, role) : NULL;
	bad[0] = '\0';
	if (!role || (!r && (!me || strcmp(role, me) != 0)))
		fail(ctx, "42704", "role \"%s\" does not exist", role ? role : "(oid)");
	else if (!schema || !cat_schema_exists(cat, schema))
		fail(ctx, "3F000", "schema \"%s\" does not exist", schema ? schema : "(oid)");
	else if (!(bits = privs_parse(text, bad, sizeof bad)))
		fail(ctx, "22023", "unrecognized privilege type: \"%s\"", bad);
	else if (!r || r->superuser) /* no role: --auth trust's session, a superuser */
		sqlite3_result_int(ctx, 1);
	else /* plain USAGE is all another role may hold */
		sqlite3_result_int(ctx,
				   (bits & PRIV_USAGE) && cat_schema_usage(cat, role, 0, schema));
}
