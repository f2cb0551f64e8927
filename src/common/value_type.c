/*
 * value_type.c — the SQL types murphy supports, as one table: PostgreSQL
 * OID and typlen (RowDescription), the name format_type() prints and the
 * one input error messages use, the storage class (value.h's table) and
 * the SQLite column affinity.  Every mur_type_* property is a lookup in
 * it; mur_type_from_name resolves a type name as written in SQL.
 * Contract in value.h.
 */
#include "common/value_int.h"

#include <string.h>
#include <strings.h>

typedef struct type_info {
	uint32_t oid;
	int16_t len;
	mur_vkind storage;
	const char *name;       /* format_type() spelling */
	const char *input_name; /* as in "invalid input syntax for type %s" */
	const char *sqlite_decl;
} type_info;

static const type_info types[MT_TYPE_COUNT] = {
	[MT_UNKNOWN] = {705, -2, MV_TEXT, "unknown", "unknown", "TEXT"},
	[MT_BOOL] = {16, 1, MV_INT, "boolean", "boolean", "INTEGER"},
	[MT_INT2] = {21, 2, MV_INT, "smallint", "smallint", "INTEGER"},
	[MT_INT4] = {23, 4, MV_INT, "integer", "integer", "INTEGER"},
	[MT_INT8] = {20, 8, MV_INT, "bigint", "bigint", "INTEGER"},
	[MT_FLOAT4] = {700, 4, MV_FLOAT, "real", "real", "REAL"},
	[MT_FLOAT8] = {701, 8, MV_FLOAT, "double precision", "double precision", "REAL"},
	[MT_NUMERIC] = {1700, -1, MV_TEXT, "numeric", "numeric", "TEXT"},
	[MT_TEXT] = {25, -1, MV_TEXT, "text", "text", "TEXT"},
	[MT_VARCHAR] = {1043, -1, MV_TEXT, "character varying", "character varying", "TEXT"},
	[MT_BPCHAR] = {1042, -1, MV_TEXT, "character", "character", "TEXT"},
	[MT_DATE] = {1082, 4, MV_TEXT, "date", "date", "TEXT"},
	[MT_TIMESTAMP] = {1114, 8, MV_TEXT, "timestamp without time zone", "timestamp", "TEXT"},
	[MT_TIMESTAMPTZ] = {1184, 8, MV_TEXT, "timestamp with time zone",
			    "timestamp with time zone", "TEXT"},
	[MT_BYTEA] = {17, -1, MV_BLOB, "bytea", "bytea", "BLOB"},
	[MT_UUID] = {2950, 16, MV_TEXT, "uuid", "uuid", "TEXT"},
	[MT_INTERVAL] = {1186, 16, MV_TEXT, "interval", "interval", "TEXT"},
	[MT_JSON] = {114, -1, MV_TEXT, "json", "json", "TEXT"},
	[MT_JSONB] = {3802, -1, MV_TEXT, "jsonb", "json", "TEXT"},
	[MT_BOOL_ARRAY] = {1000, -1, MV_TEXT, "boolean[]", "boolean[]", "TEXT"},
	[MT_INT2_ARRAY] = {1005, -1, MV_TEXT, "smallint[]", "smallint[]", "TEXT"},
	[MT_INT4_ARRAY] = {1007, -1, MV_TEXT, "integer[]", "integer[]", "TEXT"},
	[MT_INT8_ARRAY] = {1016, -1, MV_TEXT, "bigint[]", "bigint[]", "TEXT"},
	[MT_FLOAT4_ARRAY] = {1021, -1, MV_TEXT, "real[]", "real[]", "TEXT"},
	[MT_FLOAT8_ARRAY] = {1022, -1, MV_TEXT, "double precision[]", "double precision[]", "TEXT"},
	[MT_NUMERIC_ARRAY] = {1231, -1, MV_TEXT, "numeric[]", "numeric[]", "TEXT"},
	[MT_TEXT_ARRAY] = {1009, -1, MV_TEXT, "text[]", "text[]", "TEXT"},
	[MT_VARCHAR_ARRAY] = {1015, -1, MV_TEXT, "character varying[]", "character varying[]",
			      "TEXT"},
	[MT_BPCHAR_ARRAY] = {1014, -1, MV_TEXT, "character[]", "character[]", "TEXT"},
	[MT_DATE_ARRAY] = {1182, -1, MV_TEXT, "date[]", "date[]", "TEXT"},
	[MT_TIMESTAMP_ARRAY] = {1115, -1, MV_TEXT, "timestamp without time zone[]",
				"timestamp without time zone[]", "TEXT"},
	[MT_TIMESTAMPTZ_ARRAY] = {1185, -1, MV_TEXT, "timestamp with time zone[]",
				  "timestamp with time zone[]", "TEXT"},
	[MT_UUID_ARRAY] = {2951, -1, MV_TEXT, "uuid[]", "uuid[]", "TEXT"},
};

/* Element type of each array type, in MT_*_ARRAY order. */
static const mur_type array_elems[MT_TYPE_COUNT - MT_BOOL_ARRAY] = {
	MT_BOOL, MT_INT2,    MT_INT4,   MT_INT8, MT_FLOAT4,    MT_FLOAT8,  MT_NUMERIC,
	MT_TEXT, MT_VARCHAR, MT_BPCHAR, MT_DATE, MT_TIMESTAMP, MT_UNKNOWN, MT_UUID,
}; /* timestamptz[]: not yet (its elements would print in UTC, not the session's zone) */

mur_type mur_type_array_of(mur_type elem)
{
	if (elem == MT_UNKNOWN)
		return MT_UNKNOWN;
	for (int i = 0; i < MT_TYPE_COUNT - MT_BOOL_ARRAY; i++)
		if (array_elems[i] == elem)
			return (mur_type)(MT_BOOL_ARRAY + i);
	return MT_UNKNOWN;
}

mur_type mur_type_elem(mur_type t)
{
	return mur_type_is_array(t) ? array_elems[t - MT_BOOL_ARRAY] : MT_UNKNOWN;
}

static const type_info *tinfo(mur_type t)
{
	if ((unsigned)t >= MT_TYPE_COUNT || !types[t].name) /* past the end, or a gap */
		t = MT_UNKNOWN;
	return &types[t];
}

uint32_t mur_type_oid(mur_type t) { return tinfo(t)->oid; }

uint32_t mur_type_oid_of_name(const char *name)
{
	for (int t = 0; name && t < MT_TYPE_COUNT; t++)
		if (types[t].name && strcmp(types[t].name, name) == 0)
			return types[t].oid;
	return 0;
}
int16_t mur_type_len(mur_type t) { return tinfo(t)->len; }
const char *mur_type_name(mur_type t) { return tinfo(t)->name; }
const char *mur_type_input_name(mur_type t) { return tinfo(t)->input_name; }
mur_vkind mur_type_storage(mur_type t) { return tinfo(t)->storage; }
const char *mur_type_sqlite_decl(mur_type t) { return tinfo(t)->sqlite_decl; }

mur_type mur_type_from_oid(uint32_t oid)
{
	for (int t = MT_BOOL; t < MT_TYPE_COUNT; t++)
		if (types[t].name && types[t].oid == oid)
			return (mur_type)t;
	return MT_UNKNOWN;
}

int mur_type_is_integer(mur_type t) { return t == MT_INT2 || t == MT_INT4 || t == MT_INT8; }
int mur_type_is_numeric(mur_type t)
{
	return mur_type_is_integer(t) || t == MT_FLOAT4 || t == MT_FLOAT8 || t == MT_NUMERIC;
}
int mur_type_is_text(mur_type t) { return t == MT_TEXT || t == MT_VARCHAR || t == MT_BPCHAR; }

/*
 * Names accepted by mur_type_from_name, case-insensitively, with an optional
 * "pg_catalog." prefix.  serial types map to their integer type: the
 * sequence/default behind them is the planner's business.  "float" without
 * precision is float8 as in PostgreSQL.
 */
static const struct {
	const char *name;
	mur_type type;
} type_names[] = {
	{"bool", MT_BOOL},
	{"boolean", MT_BOOL},
	{"int2", MT_INT2},
	{"smallint", MT_INT2},
	{"smallserial", MT_INT2},
	{"serial2", MT_INT2},
	{"int4", MT_INT4},
	{"int", MT_INT4},
	{"integer", MT_INT4},
	{"serial", MT_INT4},
	{"serial4", MT_INT4},
	{"int8", MT_INT8},
	{"bigint", MT_INT8},
	{"bigserial", MT_INT8},
	{"serial8", MT_INT8},
	{"float4", MT_FLOAT4},
	{"real", MT_FLOAT4},
	{"float8", MT_FLOAT8},
	{"float", MT_FLOAT8},
	{"double precision", MT_FLOAT8},
	{"numeric", MT_NUMERIC},
	{"decimal", MT_NUMERIC},
	{"text", MT_TEXT},
	{"varchar", MT_VARCHAR},
	{"character varying", MT_VARCHAR},
	{"bpchar", MT_BPCHAR},
	{"char", MT_BPCHAR},
	{"character", MT_BPCHAR},
	{"date", MT_DATE},
	{"timestamp", MT_TIMESTAMP},
	{"timestamp without time zone", MT_TIMESTAMP},
	{"timestamptz", MT_TIMESTAMPTZ},
	{"timestamp with time zone", MT_TIMESTAMPTZ},
	{"bytea", MT_BYTEA},
	{"uuid", MT_UUID},
	{"interval", MT_INTERVAL},
	{"json", MT_JSON},
	{"jsonb", MT_JSONB},
	{"unknown", MT_UNKNOWN},
};

mur_type mur_type_from_name(const char *name)
{
	if (!name)
		return MT_UNKNOWN;
	if (strncasecmp(name, "pg_catalog.", 11) == 0)
		name += 11;
	for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
		if (strcasecmp(name, type_names[i].name) == 0)
			return type_names[i].type;
	return MT_UNKNOWN;
}
