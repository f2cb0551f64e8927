/*
 * catalog_fkey.h — foreign keys (catalog_fkey.c; docs/decisions.md,
 * "Foreign keys").
 *
 * A foreign key is one column of a table (the referencing one, "child")
 * whose non-NULL values must be values of a unique column of another
 * table (the referenced one, "parent").  murphy keeps the pairs a shard
 * can hold together: child distributed → parent reference, reference →
 * reference, and two co-located tables over their distribution columns
 * (sql/plan_fkey.c refuses the others with 0A000).  The leader enforces
 * them (leader/lead_fkey.c).  Durable in the store's fkeys table; the
 * column indexes are the tables' own (a dropped table's keys go with it).
 */
#ifndef MUR_CATALOG_FKEY_H
#define MUR_CATALOG_FKEY_H

#include "catalog/catalog.h"

#define CAT_FKEYS_MAX 4096          /* foreign keys in the cluster */
#define CAT_FKEY_ID_BASE 700000000u /* pg_constraint OIDs, apart from tables' */

/* ON DELETE / ON UPDATE: PostgreSQL's confdeltype letters. */
#define CAT_FK_NO_ACTION 'a'
#define CAT_FK_RESTRICT 'r'
#define CAT_FK_CASCADE 'c'  /* ON DELETE only */
#define CAT_FK_SET_NULL 'n' /* ON DELETE only */

typedef struct cat_fkey {
	uint32_t id; /* pg_constraint oid */
	char name[CAT_NAME_MAX];
	uint32_t table_id; /* referencing table */
	int col;
	uint32_t ref_table_id; /* referenced table */
	int ref_col;
	char on_delete; /* CAT_FK_NO_ACTION, _RESTRICT, _CASCADE or _SET_NULL */
	char on_update; /* CAT_FK_NO_ACTION or CAT_FK_RESTRICT */
} cat_fkey;

/* Load the store's fkeys at open (catalog_store.c). */
int cat_fkeys_load(catalog *c, mur_error *err);
int cat_fkey_count(const catalog *c);
/* The i-th key; NULL past the end or when either of its tables is gone. */
const cat_fkey *cat_fkey_at(const catalog *c, int i);
/* The key named name on table table_id, or NULL. */
const cat_fkey *cat_fkey_find(const catalog *c, uint32_t table_id, const char *name);
/* Add def (id assigned), durably; 42710 when table_id has a key of that
 * name, 54000 past CAT_FKEYS_MAX. */
int cat_fkey_add(catalog *c, const cat_fkey *def, mur_error *err);
/* Drop the key id, durably (nothing when absent). */
int cat_fkey_drop(catalog *c, uint32_t id, mur_error *err);
/* Drop every key of table_id or referencing it (its DROP TABLE). */
int cat_fkey_drop_table(catalog *c, uint32_t table_id, mur_error *err);

#endif
