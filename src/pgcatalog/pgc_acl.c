/*
 * pgc_acl.c — a table's GRANTs as PostgreSQL's aclitem[] text, for
 * pg_class.relacl (psql's \dp and \z print it with array_to_string).
 *
 * PostgreSQL's relacl is NULL until the first GRANT or REVOKE on the
 * table; after one it lists the owner's privileges first
 * (owner=arwdDxt/owner), then each grantee's (role=letters/grantor,
 * PUBLIC as an empty name: =r/owner), the letters in aclitem's order
 * (a INSERT, r SELECT, w UPDATE, d DELETE; murphy grants no others).
 * murphy keeps no owner per table and no grantor: the owner and grantor
 * are the role pg_class.relowner names (the session's user, oid 10), and
 * a table whose every grant was revoked has no entry left, so its relacl
 * is NULL again (PostgreSQL's would still list the owner).
 *
 * pg_namespace.nspacl of a created schema is the same text for its
 * USAGE grants (GRANT USAGE ON SCHEMA): owner=UC/owner, then role=U/owner.
 */
#include "pgcatalog/pgc_int.h"

#include "common/ident.h"

#include <string.h>

typedef struct acl_ctx {
	mur_buf *out;
	const char *owner;
} acl_ctx;

/* An aclitem's role name: quoted when PostgreSQL's putid would (a
 * character not alphanumeric nor '_'). */
static void acl_name(mur_buf *b, const char *name)
{
	int plain = 1;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			plain = 0;
	if (plain)
		mur_buf_printf(b, "%s", name);
	else
		mur_ident_put_quoted(b, name);
}

/* One element of the array's text: quoted when it holds a character
 * array_out quotes (a quoted role name's '"', or '=' never needs it). */
static void acl_item(acl_ctx *a, const char *role, const char *letters)
{
	mur_buf item;
	int quote = 0;
	mur_buf_init(&item);
	if (strcmp(role, CAT_ROLE_PUBLIC) != 0)
		acl_name(&item, role);
	mur_buf_printf(&item, "=%s/", letters);
	acl_name(&item, a->owner);
	for (size_t i = 0; i < item.len; i++)
		quote |= item.data[i] == '"' || item.data[i] == ',' || item.data[i] == '\\' ||
			 item.data[i] == '{' || item.data[i] == '}' || item.data[i] == ' ';
	mur_buf_put_u8(a->out, a->out->len ? ',' : '{');
	if (quote)
		mur_buf_put_u8(a->out, '"');
	for (size_t i = 0; i < item.len; i++) {
		if (quote && (item.data[i] == '"' || item.data[i] == '\\'))
			mur_buf_put_u8(a->out, '\\');
		mur_buf_put_u8(a->out, (uint8_t)item.data[i]);
	}
	if (quote)
		mur_buf_put_u8(a->out, '"');
	mur_buf_free(&item);
}

static void acl_grant(void *arg, const char *role, unsigned privs)
{
	acl_ctx *a = arg;
	char letters[8];
	int n = 0;
	if (!strcmp(role, a->owner))
		return; /* the owner's entry holds every privilege already */
	if (privs & CAT_PRIV_INSERT)
		letters[n++] = 'a';
	if (privs & CAT_PRIV_SELECT)
		letters[n++] = 'r';
	if (privs & CAT_PRIV_UPDATE)
		letters[n++] = 'w';
	if (privs & CAT_PRIV_DELETE)
		letters[n++] = 'd';
	if (privs & CAT_PRIV_USAGE)
		letters[n++] = 'U';
	letters[n] = '\0';
	acl_item(a, role, letters);
}

int pgc_acl_text(const catalog *cat, uint32_t id, const char *owner, mur_buf *out)
{
	acl_ctx a = {out, owner};
	mur_buf_reset(out);
	acl_item(&a, owner, id >= CAT_SCHEMA_ID_BASE ? "UC" : "arwdDxt");
	if (cat_grants_each(cat, id, acl_grant, &a) == 0) {
		mur_buf_reset(out);
		return 0;
	}
	mur_buf_put_u8(out, '}');
	mur_buf_put_u8(out, '\0');
	return mur_buf_ok(out);
}
