/*
 * pgc_oid.c — the names and numbers every catalog agrees on: OIDs of
 * tables, their primary key index and constraint, namespaces, and the
 * pg_type rows of murphy's types (format_type's spelling included).
 *
 * A user table's OIDs follow from its catalog id (pgcatalog.h), the
 * murphy.* views' from their index, so pg_class, pg_attribute, pg_index,
 * pg_constraint and ::regclass agree without any table of numbers.
 */
#include "pgcatalog/pgc_int.h"

#include "common/numeric.h"

#include <stdio.h>
#include <string.h>

/* pg_type rows: murphy's types, then the catalog-only ones psql and
 * drivers name (oid, name, char, regclass, regtype, int2vector, oidvector,
 * the arrays of name and text). */
static const pgc_type types[] = {
	{16, "bool", 1, 'B', 1000, MT_BOOL},
	{17, "bytea", -1, 'U', 1001, MT_BYTEA},
	{18, "char", 1, 'Z', 1002, MT_UNKNOWN},
	{19, "name", 64, 'S', 1003, MT_UNKNOWN},
	{20, "int8", 8, 'N', 1016, MT_INT8},
	{21, "int2", 2, 'N', 1005, MT_INT2},
	{22, "int2vector", -1, 'A', 1006, MT_UNKNOWN},
	{23, "int4", 4, 'N', 1007, MT_INT4},
	{25, "text", -1, 'S', 1009, MT_TEXT},
	{26, "oid", 4, 'N', 1028, MT_UNKNOWN},
	{30, "oidvector", -1, 'A', 1013, MT_UNKNOWN},
	{700, "float4", 4, 'N', 1021, MT_FLOAT4},
	{701, "float8", 8, 'N', 1022, MT_FLOAT8},
	{1042, "bpchar", -1, 'S', 1014, MT_BPCHAR},
	{1043, "varchar", -1, 'S', 1015, MT_VARCHAR},
	{1082, "date", 4, 'D', 1182, MT_DATE},
	{1114, "timestamp", 8, 'D', 1115, MT_TIMESTAMP},
	{1184, "timestamptz", 8, 'D', 1185, MT_TIMESTAMPTZ},
	{1186, "interval", 16, 'T', 1187, MT_INTERVAL},
	{1700, "numeric", -1, 'N', 1231, MT_NUMERIC},
	{2950, "uuid", 16, 'U', 2951, MT_UUID},
	{114, "json", -1, 'U', 199, MT_JSON},
	{3802, "jsonb", -1, 'U', 3807, MT_JSONB},
	{2205, "regclass", 4, 'N', 2210, MT_UNKNOWN},
	{2206, "regtype", 4, 'N', 2211, MT_UNKNOWN},
	/* arrays (common/array.h): typelem from the element type (pgc_type_elem) */
	{1000, "_bool", -1, 'A', 0, MT_BOOL_ARRAY},
	{1005, "_int2", -1, 'A', 0, MT_INT2_ARRAY},
	{1007, "_int4", -1, 'A', 0, MT_INT4_ARRAY},
	{1016, "_int8", -1, 'A', 0, MT_INT8_ARRAY},
	{1021, "_float4", -1, 'A', 0, MT_FLOAT4_ARRAY},
	{1022, "_float8", -1, 'A', 0, MT_FLOAT8_ARRAY},
	{1231, "_numeric", -1, 'A', 0, MT_NUMERIC_ARRAY},
	{1009, "_text", -1, 'A', 0, MT_TEXT_ARRAY},
	{1015, "_varchar", -1, 'A', 0, MT_VARCHAR_ARRAY},
	{1014, "_bpchar", -1, 'A', 0, MT_BPCHAR_ARRAY},
	{1182, "_date", -1, 'A', 0, MT_DATE_ARRAY},
	{1115, "_timestamp", -1, 'A', 0, MT_TIMESTAMP_ARRAY},
	{2951, "_uuid", -1, 'A', 0, MT_UUID_ARRAY},
};

uint32_t pgc_type_elem(const pgc_type *t)
{
	if (mur_type_is_array(t->mtype))
		return mur_type_oid(mur_type_elem(t->mtype));
	return t->oid == 22 ? 21 : t->oid == 30 ? 26 : 0;
}

int pgc_type_count(void) { return (int)(sizeof types / sizeof types[0]); }

const pgc_type *pgc_type_at(int i) { return &types[i]; }

const pgc_type *pgc_type_by_oid(uint32_t oid)
{
	for (int i = 0; i < pgc_type_count(); i++)
		if (types[i].oid == oid)
			return &types[i];
	return NULL;
}

char pgc_type_storage(uint32_t oid)
{
	const pgc_type *ty = pgc_type_by_oid(oid);
	if (oid == 1700)
		return 'm';
	return ty && ty->typlen < 0 ? 'x' : 'p';
}

int32_t pgc_typmod(const cat_column *col)
{
	if ((col->type == MT_VARCHAR || col->type == MT_BPCHAR || col->type == MT_NUMERIC ||
	     col->type == MT_NUMERIC_ARRAY) &&
	    col->typmod >= 0)
		return col->typmod + 4; /* PostgreSQL's VARHDRSZ; numeric's is (p << 16 | s) + 4 */
	return -1;
}

/* format_type's spelling of the catalog-only types. */
static const char *const other_names[][2] = {
	{"char", "\"char\""},         {"name", "name"},           {"oid", "oid"},
	{"int2vector", "int2vector"}, {"oidvector", "oidvector"}, {"regclass", "regclass"},
	{"regtype", "regtype"},
};

void pgc_format_type(uint32_t oid, int32_t typmod, char *out, size_t n)
{
	const pgc_type *t = pgc_type_by_oid(oid);
	snprintf(out, n, "???");
	if (!t)
		return;
	if (t->mtype == MT_UNKNOWN) {
		for (size_t i = 0; i < sizeof other_names / sizeof other_names[0]; i++)
			if (strcmp(other_names[i][0], t->typname) == 0)
				snprintf(out, n, "%s", other_names[i][1]);
		return;
	}
	if (typmod > 4 && (t->mtype == MT_VARCHAR || t->mtype == MT_BPCHAR))
		snprintf(out, n, "%s(%d)", mur_type_name(t->mtype), typmod - 4);
	else if (typmod >= 4 && (t->mtype == MT_NUMERIC || t->mtype == MT_NUMERIC_ARRAY))
		snprintf(out, n, "numeric(%d,%d)%s", MUR_NUM_TYPMOD_P(typmod - 4),
			 MUR_NUM_TYPMOD_S(typmod - 4), t->mtype == MT_NUMERIC_ARRAY ? "[]" : "");
	else
		snprintf(out, n, "%s", mur_type_name(t->mtype));
}

const char *pgc_schema_of(const cat_table *t)
{
	return t->kind == CAT_TABLE_VIRTUAL ? "murphy" : t->schema[0] ? t->schema : "public";
}

static const struct {
	uint32_t oid;
	const char *name;
} namespaces[] = {
	{PGC_OID_NS_PG_CATALOG, "pg_catalog"},
	{PGC_OID_NS_PUBLIC, "public"},
	{PGC_OID_NS_INFO_SCHEMA, "information_schema"},
	{PGC_OID_NS_MURPHY, "murphy"},
};

uint32_t pgc_schema_oid(const cat_schema *sc)
{
	return PGC_OID_USER_BASE + sc->id * PGC_OIDS_PER_TABLE;
}

uint32_t pgc_namespace_oid(const catalog *cat, const char *schema)
{
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
		if (strcmp(namespaces[i].name, schema) == 0)
			return namespaces[i].oid;
	for (int i = 0; cat && i < cat_schema_count(cat); i++)
		if (!strcmp(cat_schema_at(cat, i)->name, schema))
			return pgc_schema_oid(cat_schema_at(cat, i));
	return 0;
}

const char *pgc_namespace_name(const catalog *cat, uint32_t oid)
{
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++)
		if (namespaces[i].oid == oid)
			return namespaces[i].name;
	for (int i = 0; cat && i < cat_schema_count(cat); i++)
		if (pgc_schema_oid(cat_schema_at(cat, i)) == oid)
			return cat_schema_at(cat, i)->name;
	return NULL;
}

uint32_t pgc_table_oid(const cat_table *t)
{
	if (t->kind == CAT_TABLE_VIRTUAL)
		return PGC_OID_VIEW_BASE + (t->id - CAT_VIRTUAL_ID_BASE) * PGC_OIDS_PER_TABLE;
	if (t->id > PGC_TABLE_ID_MAX)
		return 0;
	return PGC_OID_USER_BASE + t->id * PGC_OIDS_PER_TABLE;
}

int pgc_column_has_default(const cat_column *col)
{
	return col->default_sql != NULL && !col->identity;
}

uint32_t pgc_seq_oid(const cat_sequence *s)
{
	return s->id < 0xffffffffu - PGC_OID_SEQ_BASE ? PGC_OID_SEQ_BASE + s->id : 0;
}

uint32_t pgc_view_oid(const cat_view *v)
{
	return v->id > PGC_TABLE_ID_MAX ? 0 : PGC_OID_USER_BASE + v->id * PGC_OIDS_PER_TABLE;
}

const cat_view *pgc_view_by_oid(const catalog *cat, uint32_t oid)
{
	for (int i = 0; cat && i < cat_view_count(cat); i++)
		if (pgc_view_oid(cat_view_at(cat, i)) == oid)
			return cat_view_at(cat, i);
	return NULL;
}

int pgc_table_shown(const catalog *cat, const cat_table *t)
{
	if (t->kind != CAT_TABLE_VIRTUAL && t->kind != CAT_TABLE_DISTRIBUTED)
		return 0;
	return cat_table_lookup(cat, pgc_schema_of(t), t->name) == t && pgc_table_oid(t) != 0;
}

const cat_table *pgc_table_by_oid(const catalog *cat, uint32_t oid, int *part)
{
	if (!cat || oid < PGC_OID_VIEW_BASE)
		return NULL;
	for (int i = 0; i < cat_table_count(cat); i++) {
		const cat_table *t = cat_table_at(cat, i);
		uint32_t base = pgc_table_oid(t);
		if (base && oid >= base && oid < base + 3 && pgc_table_shown(cat, t)) {
			*part = (int)(oid - base);
			return t;
		}
	}
	return NULL;
}

void pgc_pkey_name(const cat_table *t, char *out, size_t n)
{
	snprintf(out, n, "%s_pkey", t->name);
}

int pgc_pkey_columns(const cat_table *t, char *out, size_t n)
{
	size_t len = 0;
	int k = 0;
	out[0] = '\0';
	for (int c = 0; c < t->ncols; c++) {
		if (!t->cols[c].primary_key || t->cols[c].hidden)
			continue;
		len += (size_t)snprintf(out + len, len < n ? n - len : 0, "%s%s", k++ ? ", " : "(",
					t->cols[c].name);
	}
	if (k && len < n)
		snprintf(out + len, n - len, ")");
	return k;
}

void pgc_put_ident(mur_buf *b, const char *name)
{
	mur_buf_put(b, "\"", 1);
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			mur_buf_put(b, "\"", 1);
		mur_buf_put(b, p, 1);
	}
	mur_buf_put(b, "\"", 1);
}

void pgc_put_string(mur_buf *b, const char *s)
{
	mur_buf_put(b, "'", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			mur_buf_put(b, "'", 1);
		mur_buf_put(b, p, 1);
	}
	mur_buf_put(b, "'", 1);
}
