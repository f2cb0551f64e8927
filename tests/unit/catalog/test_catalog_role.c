/*
 * test_catalog_role.c — roles and table privileges (src/catalog/
 * catalog_role.c): CREATE / ALTER / DROP ROLE as a statement asks them
 * (who may, what errors), passwords kept only as SCRAM-SHA-256 verifiers
 * (a given verifier kept as it is, '' clearing it), the first start's
 * superuser made only into an empty catalog, GRANT / REVOKE and the
 * check of a role's privileges (itself or PUBLIC, superusers and
 * murphy.* views always), a dropped role's or table's grants gone (a
 * table id comes back after a reopen), the catalog
 * version bumped, and everything kept across a reopen of the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "common/scram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int change(catalog *c, cat_role_action action, const char *name, int login, int super,
		  const char *password, const char *by, int by_super, mur_error *err)
{
	cat_role_change ch;
	int skipped;
	memset(&ch, 0, sizeof ch);
	ch.action = action;
	ch.nnames = 1;
	snprintf(ch.names[0], sizeof ch.names[0], "%s", name);
	ch.login = login;
	ch.superuser = super;
	ch.password_set = password != NULL;
	ch.password = password;
	return cat_role_change_apply(c, &ch, by, by_super, &skipped, err);
}

static const cat_table *make_table(catalog *c, const char *name)
{
	cat_table d;
	const cat_table *t;
	mur_error err;
	memset(&d, 0, sizeof d);
	snprintf(d.name, sizeof d.name, "%s", name);
	d.ncols = 1;
	snprintf(d.cols[0].name, sizeof d.cols[0].name, "id");
	d.cols[0].type = MT_INT8;
	d.nshards = 1;
	d.replicas = 1;
	assert_int_equal(cat_create_table(c, &d, &t, &err), MUR_OK);
	return t;
}

static void test_roles(void **state)
{
	mur_error err;
	mur_scram_verifier v;
	char made[MUR_SCRAM_VERIFIER_MAX];
	catalog *c = cat_open(NULL, &err);
	int created;
	(void)state;
	assert_non_null(c);
	assert_int_equal(cat_role_bootstrap(c, "murphy", "pw", &created, &err), MUR_OK);
	assert_int_equal(created, 1);
	assert_int_equal(cat_role_bootstrap(c, "other", "pw", &created, &err), MUR_OK);
	assert_int_equal(created, 0); /* only into an empty catalog */
	assert_true(cat_role_get(c, "murphy")->superuser);
	assert_int_equal(mur_scram_verifier_parse(cat_role_get(c, "murphy")->verifier, &v), MUR_OK);

	assert_int_equal(change(c, CAT_ROLE_CREATE, "alice", 1, 0, "secret", "murphy", 1, &err),
			 MUR_OK);
	assert_null(strstr(cat_role_get(c, "alice")->verifier, "secret"));
	assert_int_equal(change(c, CAT_ROLE_CREATE, "alice", 1, 0, NULL, "murphy", 1, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "42710");
	/* not a superuser: no other role, no LOGIN/SUPERUSER, but its own password */
	assert_int_equal(change(c, CAT_ROLE_CREATE, "bob", 1, 0, NULL, "alice", 0, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42501");
	assert_int_equal(change(c, CAT_ROLE_ALTER, "alice", -1, 1, NULL, "alice", 0, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "42501");
	assert_int_equal(mur_scram_verifier_make("given", made, sizeof made), MUR_OK);
	assert_int_equal(change(c, CAT_ROLE_ALTER, "alice", -1, -1, made, "alice", 0, &err),
			 MUR_OK);
	assert_string_equal(cat_role_get(c, "alice")->verifier, made);
	assert_int_equal(change(c, CAT_ROLE_ALTER, "alice", 0, -1, "", "murphy", 1, &err), MUR_OK);
	assert_string_equal(cat_role_get(c, "alice")->verifier, "");
	assert_false(cat_role_get(c, "alice")->login);
	/* drop: not oneself, not a missing one unless IF EXISTS */
	assert_int_equal(change(c, CAT_ROLE_DROP, "murphy", -1, -1, NULL, "murphy", 1, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "55006");
	assert_int_equal(change(c, CAT_ROLE_DROP, "alice", -1, -1, NULL, "murphy", 1, &err),
			 MUR_OK);
	assert_null(cat_role_get(c, "alice"));
	assert_int_equal(change(c, CAT_ROLE_DROP, "alice", -1, -1, NULL, "murphy", 1, &err),
			 MUR_ERR);
	assert_string_equal(err.sqlstate, "42704");
	cat_close(c);
}

static int grant(catalog *c, int is_grant, const cat_table *t, const char *role, unsigned privs,
		 int super, mur_error *err)
{
	cat_grant_change g;
	memset(&g, 0, sizeof g);
	g.is_grant = is_grant;
	g.privs = privs;
	g.ntables = 1;
	g.table_ids[0] = t->id;
	g.nroles = 1;
	snprintf(g.roles[0], sizeof g.roles[0], "%s", role);
	return cat_grant_apply(c, &g, super, err);
}

static void test_grants_kept_across_reopen(void **state)
{
	char dir[] = "/tmp/murphy_role_XXXXXX", path[256];
	mur_error err;
	const cat_table *t, *u;
	catalog *c;
	uint64_t version;
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/catalog.db", dir);
	c = cat_open(path, &err);
	assert_non_null(c);
	t = make_table(c, "t");
	u = make_table(c, "u");
	assert_int_equal(change(c, CAT_ROLE_CREATE, "carol", 1, 0, "c", "x", 1, &err), MUR_OK);
	assert_false(cat_allowed(c, "carol", 0, t, CAT_PRIV_SELECT));
	assert_true(cat_allowed(c, "carol", 1, t, CAT_PRIV_ALL)); /* a superuser */
	assert_int_equal(grant(c, 1, t, "carol", CAT_PRIV_SELECT, 0, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42501");
	assert_int_equal(grant(c, 1, t, "nobody", CAT_PRIV_SELECT, 1, &err), MUR_ERR);
	assert_string_equal(err.sqlstate, "42704");
	version = cat_version(c);
	assert_int_equal(grant(c, 1, t, "carol", CAT_PRIV_SELECT | CAT_PRIV_INSERT, 1, &err),
			 MUR_OK);
	assert_true(cat_version(c) > version);
	assert_int_equal(grant(c, 1, u, CAT_ROLE_PUBLIC, CAT_PRIV_DELETE, 1, &err), MUR_OK);
	assert_true(cat_allowed(c, "carol", 0, t, CAT_PRIV_SELECT | CAT_PRIV_INSERT));
	assert_false(cat_allowed(c, "carol", 0, t, CAT_PRIV_UPDATE));
	assert_false(cat_allowed(c, "carol", 0, u, CAT_PRIV_SELECT));
	assert_true(cat_allowed(c, "carol", 0, u, CAT_PRIV_DELETE)); /* through PUBLIC */
	cat_close(c);

	c = cat_open(path, &err);
	assert_non_null(c);
	t = cat_table_lookup(c, NULL, "t");
	u = cat_table_lookup(c, NULL, "u");
	assert_non_null(cat_role_get(c, "carol"));
	assert_true(cat_allowed(c, "carol", 0, t, CAT_PRIV_SELECT | CAT_PRIV_INSERT));
	assert_true(cat_allowed(c, "carol", 0, u, CAT_PRIV_DELETE));
	assert_int_equal(grant(c, 0, t, "carol", CAT_PRIV_INSERT, 1, &err), MUR_OK);
	assert_true(cat_allowed(c, "carol", 0, t, CAT_PRIV_SELECT));
	assert_false(cat_allowed(c, "carol", 0, t, CAT_PRIV_INSERT));
	/* a dropped role's grants go with it: a new carol starts with none */
	assert_int_equal(change(c, CAT_ROLE_DROP, "carol", -1, -1, NULL, "x", 1, &err), MUR_OK);
	assert_int_equal(change(c, CAT_ROLE_CREATE, "carol", 1, 0, "c", "x", 1, &err), MUR_OK);
	assert_false(cat_allowed(c, "carol", 0, t, CAT_PRIV_SELECT));
	cat_close(c);

	c = cat_open(path, &err);
	assert_non_null(c);
	assert_false(cat_allowed(c, "carol", 0, cat_table_lookup(c, NULL, "t"), CAT_PRIV_SELECT));
	/* a dropped table's grants go with it: the id comes back after a reopen */
	u = cat_table_lookup(c, NULL, "u");
	assert_true(cat_allowed(c, "carol", 0, u, CAT_PRIV_DELETE));
	{
		uint32_t id = u->id;
		assert_int_equal(cat_drop_table(c, "u", &err), MUR_OK);
		cat_close(c);
		c = cat_open(path, &err);
		assert_non_null(c);
		u = make_table(c, "u2");
		assert_int_equal(u->id, id);
		assert_false(cat_allowed(c, "carol", 0, u, CAT_PRIV_DELETE));
	}
	cat_close(c);
	snprintf(path, sizeof path, "rm -rf %s", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_grants_kept_across_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
