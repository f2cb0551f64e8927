/*
 * pgc_index.c — secondary indexes (catalog_index.c) as PostgreSQL's
 * catalogs show them: their pg_class row (relkind 'i'), pg_index row,
 * pg_indexes line and pg_get_indexdef text, so that psql's \d and \di,
 * pg_dump and the drivers' getIndexInfo see what CREATE INDEX made.
 *
 * An index's OID is PGC_OID_INDEX_BASE + its catalog id (ids are never
 * reused while the leader runs, and a restart keeps them: the store).
 * Column numbers are the table's visible columns' (attnum), as
 * pg_attribute numbers them.
 */
#include "pgcatalog/pgc_int.h"

#include <stdio.h>
#include <string.h>

uint32_t pgc_index_oid(const cat_index *x) { return PGC_OID_INDEX_BASE + x->id; }

const cat_table *pgc_index_table(const catalog *cat, const cat_index *x)
{
	for (int i = 0; cat && i < cat_table_count(cat); i++) {
		const cat_table *t = cat_table_at(cat, i);
		if (t->id == x->table_id)
			return pgc_table_shown(cat, t) && t->kind == CAT_TABLE_DISTRIBUTED ? t
											   : NULL;
	}
	return NULL;
}

const cat_index *pgc_index_by_oid(const catalog *cat, uint32_t oid, const cat_table **t)
{
	if (!cat || oid <= PGC_OID_INDEX_BASE || oid >= PGC_OID_ATTRDEF_BASE)
		return NULL;
	for (int i = 0; i < cat_index_count(cat); i++) {
		const cat_index *x = cat_index_at(cat, i);
		if (pgc_index_oid(x) == oid && (*t = pgc_index_table(cat, x)))
			return x;
	}
	return NULL;
}

/* The attnum of t's column name (visible columns from 1); 0 when none. */
static int attnum(const cat_table *t, const char *name)
{
	int num = 0;
	for (int c = 0; c < t->ncols; c++) {
		if (t->cols[c].hidden)
			continue;
		num++;
		if (!strcmp(t->cols[c].name, name))
			return num;
	}
	return 0;
}

void pgc_index_keys(const cat_table *t, const cat_index *x, char *keys, size_t nk, char *opts,
		    size_t no)
{
	size_t lk = 0, lo = 0;
	keys[0] = opts[0] = '\0';
	for (int i = 0; i < x->ncols; i++) {
		lk += (size_t)snprintf(keys + lk, lk < nk ? nk - lk : 0, "%s%d", i ? " " : "",
				       attnum(t, x->cols[i]));
		/* INDOPTION_DESC | INDOPTION_NULLS_FIRST: DESC sorts NULLs first */
		lo += (size_t)snprintf(opts + lo, lo < no ? no - lo : 0, "%s%d", i ? " " : "",
				       x->desc[i] ? 3 : 0);
	}
}

void pgc_index_def(const cat_table *t, const cat_index *x, int col, char *out, size_t n)
{
	size_t len;
	if (col > 0) { /* pg_get_indexdef(oid, col, …): that key column alone */
		snprintf(out, n, "%s", col <= x->ncols ? x->cols[col - 1] : "");
		return;
	}
	len = (size_t)snprintf(out, n, "CREATE %sINDEX %s ON %s.%s USING btree (",
			       x->unique ? "UNIQUE " : "", x->name, pgc_schema_of(t), t->name);
	for (int i = 0; i < x->ncols && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s%s", i ? ", " : "", x->cols[i],
					x->desc[i] ? " DESC" : "");
	if (len < n)
		snprintf(out + len, n - len, ")");
}
