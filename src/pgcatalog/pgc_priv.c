/*
 * pgc_priv.c — has_schema_privilege([role,] schema, privilege),
 * has_table_privilege([role,] relation, privilege),
 * has_column_privilege([role,] relation, column, privilege),
 * has_any_column_privilege([role,] relation, privilege), pg_has_role and
 * has_database_privilege, answered from the catalog's roles and grants as
 * PostgreSQL 15 answers them.
 *
 * A table or view: a superuser holds every privilege (murphy's tables are
 * made by superusers, its owners), another role the SELECT, INSERT,
 * UPDATE, DELETE granted to it or PUBLIC (cat_allowed_id); a pg_catalog,
 * information_schema or murphy relation SELECT for all.  A sequence or
 * index for a role that is no superuser: 0A000 (murphy keeps no grants
 * on them).
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

typedef struct priv_name {
	const char *name;
	unsigned bits;
} priv_name;

static const priv_name schema_privs[] = {{"usage", PRIV_USAGE},
					 {"usage with grant option", PRIV_USAGE_GRANT},
					 {"create", PRIV_CREATE},
					 {"create with grant option", PRIV_CREATE_GRANT},
					 {NULL, 0}};

/* A table's: murphy grants SELECT, INSERT, UPDATE, DELETE (CAT_PRIV_*);
 * the others and every WITH GRANT OPTION only a superuser holds. */
#define TPRIV_SUPER 0x100u
static const priv_name table_privs[] = {{"select", CAT_PRIV_SELECT},
					{"insert", CAT_PRIV_INSERT},
					{"update", CAT_PRIV_UPDATE},
					{"delete", CAT_PRIV_DELETE},
					{"truncate", TPRIV_SUPER},
					{"references", TPRIV_SUPER},
					{"trigger", TPRIV_SUPER},
					{"select with grant option", TPRIV_SUPER},
					{"insert with grant option", TPRIV_SUPER},
					{"update with grant option", TPRIV_SUPER},
					{"delete with grant option", TPRIV_SUPER},
					{"truncate with grant option", TPRIV_SUPER},
					{"references with grant option", TPRIV_SUPER},
					{"trigger with grant option", TPRIV_SUPER},
					{NULL, 0}};

/* A column's (has_column_privilege, has_any_column_privilege). */
static const priv_name column_privs[] = {{"select", CAT_PRIV_SELECT},
					 {"insert", CAT_PRIV_INSERT},
					 {"update", CAT_PRIV_UPDATE},
					 {"references", TPRIV_SUPER},
					 {"select with grant option", TPRIV_SUPER},
					 {"insert with grant option", TPRIV_SUPER},
					 {"update with grant option", TPRIV_SUPER},
					 {"references with grant option", TPRIV_SUPER},
					 {NULL, 0}};

/* The privilege text's bits (names' bits), 0 after naming the bad one in
 * bad. */
static unsigned privs_parse(const priv_name *names, const char *text, char *bad, size_t badsz)
{
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
		for (i = 0; names[i].name && strcmp(item, names[i].name); i++)
			;
		if (!names[i].name) {
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
	else if (!(bits = privs_parse(schema_privs, text, bad, sizeof bad)))
		fail(ctx, "22023", "unrecognized privilege type: \"%s\"", bad);
	else if (!r || r->superuser) /* no role: --auth trust's session, a superuser */
		sqlite3_result_int(ctx, 1);
	else /* plain USAGE is all another role may hold */
		sqlite3_result_int(ctx,
				   (bits & PRIV_USAGE) && cat_schema_usage(cat, role, 0, schema));
}

/* The role argument (argc 3: argv[0], a name or OID; else the session's)
 * and its catalog role (NULL: the trust session's user, a superuser):
 * 0 after failing with 42704 when there is no such role. */
static int role_of(sqlite3_context *ctx, int argc, sqlite3_value **argv, const char **role,
		   const cat_role **r)
{
	const pgc_session_hooks *h = sqlite3_user_data(ctx);
	const catalog *cat = h ? h->cat : NULL;
	const char *me = h && h->user ? h->user(h->ctx) : NULL;
	*role = me ? me : "murphy";
	if (argc == 3 && sqlite3_value_type(argv[0]) == SQLITE_TEXT)
		*role = (const char *)sqlite3_value_text(argv[0]);
	else if (argc == 3)
		*role = pgc_role_name(cat, (uint32_t)sqlite3_value_int64(argv[0]), me);
	*r = *role && cat ? cat_role_get(cat, *role) : NULL;
	if (!*role || (!*r && (!me || strcmp(*role, me) != 0))) {
		fail(ctx, "42704", "role \"%s\" does not exist", *role ? *role : "(oid)");
		return 0;
	}
	return 1;
}

static int any_null(int argc, sqlite3_value **argv)
{
	for (int i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
			return 1;
	return 0;
}

/* The relation argument's catalog id (*id, 0 for a pg_catalog /
 * information_schema / murphy relation, which every role may read, *rel
 * then that relation): 1, or 0 when there is none; -1 a sequence or an
 * index (their privileges are not kept). */
static int relation_arg(const catalog *cat, sqlite3_value *v, uint32_t *id, const pgc_rel **rel)
{
	char schema[CAT_NAME_MAX], name[CAT_NAME_MAX];
	const char *text, *dot;
	const cat_table *t;
	const cat_view *w;
	int part = 0;
	*id = 0;
	*rel = NULL;
	if (sqlite3_value_type(v) == SQLITE_INTEGER) {
		uint32_t oid = (uint32_t)sqlite3_value_int64(v);
		if ((t = pgc_table_by_oid(cat, oid, &part)) && !part) {
			*id = t->id;
			return 1;
		}
		if ((w = pgc_view_by_oid(cat, oid))) {
			*id = w->id;
			return 1;
		}
		return (*rel = pgc_rel_by_oid(oid)) ? 1 : 0;
	}
	text = (const char *)sqlite3_value_text(v);
	dot = strchr(text, '.');
	snprintf(schema, sizeof schema, "%.*s", dot ? (int)(dot - text) : 0, text);
	snprintf(name, sizeof name, "%s", dot ? dot + 1 : text);
	for (char *p = name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((t = cat_table_lookup(cat, schema[0] ? schema : NULL, name)) &&
	    pgc_table_shown(cat, t)) {
		*id = t->id;
		return 1;
	}
	if ((w = cat_view_lookup(cat, schema[0] ? schema : NULL, name))) {
		*id = w->id;
		return 1;
	}
	if ((*rel = pgc_rel_find(schema[0] ? schema : "pg_catalog", name)))
		return 1;
	if (cat_seq_lookup_in(cat, schema[0] ? schema : NULL, name) ||
	    cat_index_lookup(cat, schema[0] ? schema : NULL, name))
		return -1;
	return 0;
}

/* The column argument of a relation (catalog id, or catalog relation
 * rel): 1 it exists; 0 an attnum it lacks (the answer is NULL, as
 * PostgreSQL's); -1 after failing with 42703 for a name it lacks. */
static int column_arg(sqlite3_context *ctx, const catalog *cat, uint32_t id, const pgc_rel *rel,
		      sqlite3_value *relv, sqlite3_value *colv)
{
	if (sqlite3_value_type(colv) == SQLITE_INTEGER) {
		sqlite3_int64 n = sqlite3_value_int64(colv);
		pgc_column cols[128];
		int count = id ? pgc_attnum(cat, id, NULL)
			       : (rel ? pgc_rel_columns(rel, cols,
							(int)(sizeof cols / sizeof *cols))
				      : 0);
		return n >= 1 && n <= count;
	} else {
		const char *col = (const char *)sqlite3_value_text(colv);
		char msg[CAT_NAME_MAX * 2 + 64];
		if (id ? pgc_attnum(cat, id, col) > 0
		       : (!rel || pgc_rel_column_type(rel, col) != MT_UNKNOWN))
			return 1;
		snprintf(msg, sizeof msg, "column \"%s\" of relation \"%s\" does not exist", col,
			 (const char *)sqlite3_value_text(relv));
		fail(ctx, "42703", "%s", msg);
		return -1;
	}
}

/* has_table_privilege([role,] relation, privilege) (ncol 0), and
 * has_column_privilege([role,] relation, column, privilege) (ncol 1):
 * murphy keeps no column grants (GRANT (col) is 0A000), so a column's
 * privilege is its table's, as PostgreSQL answers with table grants only. */
static void relation_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv, int ncol,
			       const priv_name *names, const char *fname)
{
	const pgc_session_hooks *h = sqlite3_user_data(ctx);
	const catalog *cat = h ? h->cat : NULL;
	const char *role, *text;
	const cat_role *r;
	const pgc_rel *prel;
	sqlite3_value *relv;
	char bad[64];
	unsigned bits;
	uint32_t id;
	int rel, col = 1;
	if (argc != 2 + ncol && argc != 3 + ncol) {
		char msg[128];
		snprintf(msg, sizeof msg, "function %s does not exist", fname);
		fail(ctx, "42883", "%s", msg);
		return;
	}
	text = (const char *)sqlite3_value_text(argv[argc - 1]);
	relv = argv[argc - 2 - ncol];
	if (any_null(argc, argv) || !cat) {
		sqlite3_result_null(ctx);
		return;
	}
	if (!role_of(ctx, argc == 3 + ncol ? 3 : 2, argv, &role, &r))
		return;
	bad[0] = '\0';
	if (!(rel = relation_arg(cat, relv, &id, &prel))) {
		fail(ctx, "42P01", "relation \"%s\" does not exist",
		     (const char *)sqlite3_value_text(relv));
		return;
	}
	if (rel > 0 && ncol && (col = column_arg(ctx, cat, id, prel, relv, argv[argc - 2])) < 0)
		return;
	if (!(bits = privs_parse(names, text, bad, sizeof bad)))
		fail(ctx, "22023", "unrecognized privilege type: \"%s\"", bad);
	else if (!col)
		sqlite3_result_null(ctx);
	else if (!r || r->superuser) /* no role: --auth trust's session, a superuser */
		sqlite3_result_int(ctx, 1);
	else if (rel < 0)
		fail(ctx, "0A000", "%s of a sequence or an index for a role that is no superuser",
		     fname);
	else if (!id) /* a catalog relation: SELECT to PUBLIC, as PostgreSQL's */
		sqlite3_result_int(ctx, (bits & CAT_PRIV_SELECT) != 0);
	else { /* any one held, as PostgreSQL's */
		int any = 0;
		for (unsigned b = 1; b <= CAT_PRIV_DELETE && !any; b <<= 1)
			any = (bits & b) && cat_allowed_id(cat, role, 0, id, b);
		sqlite3_result_int(ctx, any);
	}
}

void pgc_fn_has_table_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	relation_privilege(ctx, argc, argv, 0, table_privs, "has_table_privilege");
}

void pgc_fn_has_column_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	relation_privilege(ctx, argc, argv, 1, column_privs, "has_column_privilege");
}

/* has_any_column_privilege([role,] relation, privilege): with no column
 * grants, the table's privilege. */
void pgc_fn_has_any_column_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	relation_privilege(ctx, argc, argv, 0, column_privs, "has_any_column_privilege");
}

#define RPRIV_MEMBER 1u
#define RPRIV_USAGE 2u
#define RPRIV_ADMIN 4u

/* pg_has_role([role,] role2, privilege): murphy has no membership, so a
 * role holds MEMBER and USAGE of itself, a superuser of every role, and
 * only a superuser WITH ADMIN OPTION (PostgreSQL 15: not of oneself). */
void pgc_fn_pg_has_role(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const priv_name names[] = {{"member", RPRIV_MEMBER},
					  {"usage", RPRIV_USAGE},
					  {"member with admin option", RPRIV_ADMIN},
					  {"member with grant option", RPRIV_ADMIN},
					  {"usage with admin option", RPRIV_ADMIN},
					  {"usage with grant option", RPRIV_ADMIN},
					  {NULL, 0}};
	const char *role, *of;
	const cat_role *r, *r2;
	char bad[64];
	unsigned bits;
	if (argc != 2 && argc != 3) {
		sqlite3_result_error(ctx, "SQLSTATE:42883:function pg_has_role does not exist", -1);
		return;
	}
	if (any_null(argc, argv)) {
		sqlite3_result_null(ctx);
		return;
	}
	if (!role_of(ctx, argc, argv, &role, &r))
		return;
	{ /* the second role: a name or an OID, as the first */
		sqlite3_value *a2[3] = {argv[argc - 2], argv[argc - 2], argv[argc - 2]};
		if (!role_of(ctx, 3, a2, &of, &r2))
			return;
	}
	bad[0] = '\0';
	if (!(bits = privs_parse(names, (const char *)sqlite3_value_text(argv[argc - 1]), bad,
				 sizeof bad)))
		fail(ctx, "22023", "unrecognized privilege type: \"%s\"", bad);
	else if (!r || r->superuser)
		sqlite3_result_int(ctx, 1);
	else
		sqlite3_result_int(ctx, (bits & (RPRIV_MEMBER | RPRIV_USAGE)) && !strcmp(role, of));
}

#define DPRIV_CREATE 1u
#define DPRIV_CONNECT 2u
#define DPRIV_TEMP 4u
#define DPRIV_GRANT 8u

/* has_database_privilege([role,] database, privilege): PostgreSQL's
 * defaults, which murphy keeps (no GRANT on a database): CONNECT and
 * TEMPORARY to PUBLIC, CREATE and every WITH GRANT OPTION to the owner,
 * a superuser.  The database is the session's, by name or OID. */
void pgc_fn_has_database_privilege(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	static const priv_name names[] = {{"create", DPRIV_CREATE},
					  {"connect", DPRIV_CONNECT},
					  {"temporary", DPRIV_TEMP},
					  {"temp", DPRIV_TEMP},
					  {"create with grant option", DPRIV_GRANT},
					  {"connect with grant option", DPRIV_GRANT},
					  {"temporary with grant option", DPRIV_GRANT},
					  {"temp with grant option", DPRIV_GRANT},
					  {NULL, 0}};
	const pgc_session_hooks *h = sqlite3_user_data(ctx);
	const char *db = h && h->database ? h->database(h->ctx) : NULL, *role, *dbarg;
	const cat_role *r;
	char bad[64];
	unsigned bits;
	if (argc != 2 && argc != 3) {
		sqlite3_result_error(ctx,
				     "SQLSTATE:42883:function has_database_privilege does not "
				     "exist",
				     -1);
		return;
	}
	if (any_null(argc, argv)) {
		sqlite3_result_null(ctx);
		return;
	}
	if (!role_of(ctx, argc, argv, &role, &r))
		return;
	dbarg = (const char *)sqlite3_value_text(argv[argc - 2]);
	bad[0] = '\0';
	if (sqlite3_value_type(argv[argc - 2]) == SQLITE_INTEGER
		    ? sqlite3_value_int64(argv[argc - 2]) != PGC_OID_DATABASE
		    : strcmp(dbarg, db ? db : "murphy") != 0)
		fail(ctx, "3D000", "database \"%s\" does not exist", dbarg);
	else if (!(bits = privs_parse(names, (const char *)sqlite3_value_text(argv[argc - 1]), bad,
				      sizeof bad)))
		fail(ctx, "22023", "unrecognized privilege type: \"%s\"", bad);
	else if (!r || r->superuser)
		sqlite3_result_int(ctx, 1);
	else
		sqlite3_result_int(ctx, (bits & (DPRIV_CONNECT | DPRIV_TEMP)) != 0);
}
