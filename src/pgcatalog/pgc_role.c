/*
 * pgc_role.c — the roles pg_roles, pg_user, pg_get_userbyid and the
 * has_*_privilege functions see: every role of murphy's catalog, with
 * the attributes it has, and each role's OID.
 *
 * A role's OID must be the same across restarts and on every leader,
 * and the catalog keeps no id per role (its roles array is reordered by
 * DROP ROLE), so the OID is derived from the name: the bootstrap
 * superuser (MUR_SUPERUSER_NAME, made by the leader when the catalog has
 * no role) is 10, as PostgreSQL's; any other role PGC_OID_ROLE_BASE plus
 * 28 bits of a hash of its name.  Two names of one hash (about 1 in 5
 * million for 50 roles): the later name, in strcmp order, takes a second
 * hash (so dropping the earlier gives the later its first hash back); a
 * third collision is not resolved (its two roles share an OID).
 *
 * Under --auth trust a session may name a user with no role: it is a
 * superuser (lead_session.c), shown as a row of its own with the
 * bootstrap superuser's attributes, OID 10 when the catalog has no
 * bootstrap superuser.  murphy keeps none of CREATEDB, CREATEROLE,
 * REPLICATION, BYPASSRLS, CONNECTION LIMIT, VALID UNTIL, role settings
 * or memberships (CREATE ROLE refuses them, sql/plan_role.c): a created
 * role shows them as PostgreSQL shows a role made without them, the
 * bootstrap superuser as PostgreSQL's initdb superuser.
 */
#include "pgcatalog/pgc_int.h"

#include "common/datadir.h"

#include <string.h>

#define PGC_OID_ROLE_BASE 0xE0000000u
#define PGC_OID_ROLE_MASK 0x0FFFFFFFu

static uint32_t name_hash(const char *name, uint32_t seed)
{
	uint32_t h = 2166136261u ^ seed; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return PGC_OID_ROLE_BASE + (h & PGC_OID_ROLE_MASK);
}

static int is_bootstrap(const catalog *cat, const char *name)
{
	return !strcmp(name, MUR_SUPERUSER_NAME) && cat_role_get(cat, name);
}

/* The OID of a role the catalog holds. */
static uint32_t catalog_role_oid(const catalog *cat, const char *name)
{
	uint32_t h = name_hash(name, 0);
	if (is_bootstrap(cat, name))
		return PGC_OID_ROLE;
	for (int i = 0; i < cat_role_count(cat); i++) {
		const char *other = cat_role_at(cat, i)->name;
		if (strcmp(other, name) < 0 && name_hash(other, 0) == h)
			return name_hash(name, 1);
	}
	return h;
}

uint32_t pgc_role_oid(const catalog *cat, const char *name)
{
	if (cat && cat_role_get(cat, name))
		return catalog_role_oid(cat, name);
	if (!cat || !cat_role_get(cat, MUR_SUPERUSER_NAME))
		return PGC_OID_ROLE; /* a trust session's user stands in for it */
	return name_hash(name, 0);
}

const char *pgc_role_name(const catalog *cat, uint32_t oid, const char *session)
{
	if (cat)
		for (int i = 0; i < cat_role_count(cat); i++) {
			const char *name = cat_role_at(cat, i)->name;
			if ((oid == PGC_OID_ROLE || name_hash(name, 0) == oid ||
			     name_hash(name, 1) == oid) &&
			    catalog_role_oid(cat, name) == oid)
				return name;
		}
	if (session && (!cat || !cat_role_get(cat, session)) && pgc_role_oid(cat, session) == oid)
		return session;
	return NULL;
}

void pgc_roles_each(const catalog *cat, const char *session,
		    void (*each)(void *arg, const pgc_role_row *r), void *arg)
{
	pgc_role_row row;
	int n = cat ? cat_role_count(cat) : 0;
	for (int i = 0; i < n; i++) {
		const cat_role *r = cat_role_at(cat, i);
		row.name = r->name;
		row.oid = catalog_role_oid(cat, r->name);
		row.superuser = r->superuser;
		row.login = r->login;
		row.bootstrap = row.oid == PGC_OID_ROLE;
		each(arg, &row);
	}
	if (session && (!cat || !cat_role_get(cat, session))) {
		row.name = session;
		row.oid = pgc_role_oid(cat, session);
		row.superuser = row.login = row.bootstrap = 1;
		each(arg, &row);
	}
}
