/*
 * value.h — SQL types and values as murphy carries them between modules.
 *
 * Two layers:
 *   mur_type   the PostgreSQL type a column or expression has (what clients
 *              see: RowDescription OIDs, text output format).
 *   mur_value  the storage value, which is what SQLite holds and what
 *              crosses the node protocol: NULL, INT (int64), FLOAT (double),
 *              TEXT or BLOB.  Each mur_type has one storage class:
 *
 *   mur_type            storage   stored form
 *   BOOL                INT       0 / 1
 *   INT2, INT4, INT8    INT
 *   FLOAT4, FLOAT8      FLOAT
 *   NUMERIC             TEXT      exact decimal as numeric_out prints it,
 *                                 scale kept ('1.50'): common/numeric.h
 *   TEXT, VARCHAR, BPCHAR TEXT
 *   DATE                TEXT      'YYYY-MM-DD'            (sorts as text)
 *   TIMESTAMP           TEXT      'YYYY-MM-DD HH:MM:SS[.ffffff]'
 *   TIMESTAMPTZ         TEXT      same, always UTC, no zone suffix (the
 *                                 session's TimeZone only shows: value_tz.c)
 *   BYTEA               BLOB
 *   UUID                TEXT      lowercase hyphenated, as uuid_out prints
 *                                 (sorts as text = as PostgreSQL's bytes)
 *   INTERVAL            TEXT      span key + months days µs: common/interval.h
 *   JSON                TEXT      the input as written, validated
 *   JSONB               TEXT      normalized: common/json.h
 *
 * mur_value does not own its bytes: s points into a row buffer, a message
 * or an arena whose lifetime the caller manages.
 *
 * Row encoding (mur_row_*): a row is a sequence of values, each a tag byte
 * then its payload (INT: i64 BE, FLOAT: f64 BE, TEXT/BLOB: u32 len + bytes,
 * NULL: nothing).  Rows are concatenated in a mur_buf; a result set is
 * (ncols, nrows, bytes).  Used by the node protocol, the hash aggregate and
 * the leader's merge.
 *
 * Implemented by one file per concern (value_int.h says which holds what):
 * value_type.c, value_in.c, value_out.c, value_datetime.c, value_tz.c, value.c
 * (coercion, ordering, hashing) and value_row.c.
 */
#ifndef MUR_VALUE_H
#define MUR_VALUE_H

#include "common/buf.h"
#include "common/error.h"
#include "common/tz.h"

#include <endian.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum mur_type {
	MT_UNKNOWN = 0, /* untyped literal / parameter not yet resolved */
	MT_BOOL,
	MT_INT2,
	MT_INT4,
	MT_INT8,
	MT_FLOAT4,
	MT_FLOAT8,
	MT_NUMERIC,
	MT_TEXT,
	MT_VARCHAR,
	MT_BPCHAR,
	MT_DATE,
	MT_TIMESTAMP,
	MT_TIMESTAMPTZ,
	MT_BYTEA,
	MT_UUID, /* appended: the catalog stores a column's type by number */
	MT_INTERVAL,
	MT_JSON,  /* TEXT as written (common/json.h) */
	MT_JSONB, /* TEXT normalized as jsonb_out prints it */
	/* One-dimensional arrays of the base types (common/array.h): TEXT, the
	 * canonical form array_out prints ('{1,2,NULL}', '{"a b",c}').  They
	 * start at a fixed number so that scalar types appended above keep
	 * theirs (the catalog stores a column's type by number); the numbers in
	 * between are no type. */
	MT_BOOL_ARRAY = 40,
	MT_INT2_ARRAY,
	MT_INT4_ARRAY,
	MT_INT8_ARRAY,
	MT_FLOAT4_ARRAY,
	MT_FLOAT8_ARRAY,
	MT_NUMERIC_ARRAY,
	MT_TEXT_ARRAY,
	MT_VARCHAR_ARRAY,
	MT_BPCHAR_ARRAY,
	MT_DATE_ARRAY,
	MT_TIMESTAMP_ARRAY,
	MT_TIMESTAMPTZ_ARRAY,
	MT_UUID_ARRAY,
	MT_TYPE_COUNT
} mur_type;

typedef enum mur_vkind {
	MV_NULL = 0,
	MV_INT = 1,
	MV_FLOAT = 2,
	MV_TEXT = 3,
	MV_BLOB = 4,
} mur_vkind;

typedef struct mur_value {
	mur_vkind kind;
	int64_t i;     /* MV_INT */
	double f;      /* MV_FLOAT */
	const char *s; /* MV_TEXT / MV_BLOB: not NUL-terminated in general */
	size_t len;
} mur_value;

/* PostgreSQL OID of the type (pg_type.oid): BOOL 16, INT8 20, INT2 21,
 * INT4 23, TEXT 25, FLOAT4 700, FLOAT8 701, BPCHAR 1042, VARCHAR 1043,
 * DATE 1082, TIMESTAMP 1114, TIMESTAMPTZ 1184, NUMERIC 1700, BYTEA 17,
 * UUID 2950, INTERVAL 1186, JSON 114, JSONB 3802,
 * UNKNOWN 705; arrays: bool[] 1000, int2[] 1005, int4[] 1007, int8[] 1016,
 * float4[] 1021, float8[] 1022, numeric[] 1231, text[] 1009, varchar[] 1015,
 * bpchar[] 1014, date[] 1182, timestamp[] 1115, timestamptz[] 1185,
 * uuid[] 2951. */
uint32_t mur_type_oid(mur_type t);
/* The OID of the type format_type() prints as name ("integer",
 * "character varying[]"): regtype's binary form; 0 when murphy has no
 * such type. */
uint32_t mur_type_oid_of_name(const char *name);
mur_type mur_type_from_oid(uint32_t oid); /* MT_UNKNOWN when not ours */
/* pg_type.typlen: 1 bool, 2 int2, 4 int4/float4/date, 8 int8/float8/timestamp*, -1 varlena */
int16_t mur_type_len(mur_type t);
/* SQL name as PostgreSQL prints it: "integer", "bigint", "text", ... */
const char *mur_type_name(mur_type t);
/* Storage class of a type (MV_INT for BOOL/INT*, MV_FLOAT, MV_TEXT, MV_BLOB). */
mur_vkind mur_type_storage(mur_type t);
/* SQLite column affinity for CREATE TABLE: "INTEGER", "REAL", "TEXT", "BLOB". */
const char *mur_type_sqlite_decl(mur_type t);
int mur_type_is_integer(mur_type t); /* INT2/INT4/INT8 */
int mur_type_is_numeric(mur_type t); /* integer, float or numeric */
int mur_type_is_text(mur_type t);    /* TEXT/VARCHAR/BPCHAR */
/* Arrays (MT_*_ARRAY): the array type of element type elem, MT_UNKNOWN when
 * murphy has none; the element type of array type t, MT_UNKNOWN when t is
 * not an array. */
mur_type mur_type_array_of(mur_type elem);
mur_type mur_type_elem(mur_type t);
static inline int mur_type_is_array(mur_type t) { return t >= MT_BOOL_ARRAY && t < MT_TYPE_COUNT; }
/* Resolve a type name as written in SQL (after libpg_query's
 * normalization: "int4", "int8", "varchar", "bool", "float8", "timestamptz",
 * and also "integer", "bigint", "text", "serial"...).  MT_UNKNOWN if not
 * supported. */
mur_type mur_type_from_name(const char *name);

/*
 * Text I/O in PostgreSQL's text format (what DataRow carries with format 0).
 *
 * mur_value_to_pgtext appends the PostgreSQL text form of v, interpreted as
 * type t, to out (NOT NUL-terminated).  BOOL → "t"/"f", FLOAT8 → shortest
 * round-trip form ("0.1", "1e+20", "Infinity", "NaN"), NUMERIC → like
 * PostgreSQL's numeric output where the double allows, BYTEA → "\x" + hex,
 * TIMESTAMPTZ → stored text + "+00".  Caller checks v is not NULL.
 */
void mur_value_to_pgtext(mur_type t, const mur_value *v, mur_buf *out);

/* The session settings that change how values print (PostgreSQL's
 * TimeZone and bytea_output).  NULL or zeroed: UTC, hex. */
typedef struct mur_outfmt {
	const mur_tz *tz; /* NULL: UTC */
	int bytea_escape; /* bytea_output = 'escape' */
} mur_outfmt;

/* mur_value_to_pgtext under a session's settings: a timestamptz in f->tz
 * ("2024-03-10 03:30:00-04"), a bytea in escape format when asked. */
void mur_value_to_pgtext_fmt(mur_type t, const mur_value *v, const mur_outfmt *f, mur_buf *out);

/*
 * Timestamps in a zone (value_tz.c).  Stored timestamp text is
 * 'YYYY-MM-DD HH:MM:SS[.ffffff]' (a timestamptz's in UTC).
 *
 * mur_ts_us reads stored text to µs since 1970 (MUR_ERR for 'infinity'
 * and anything not canonical); mur_ts_put writes µs back as stored text of
 * type t (DATE: the day only), appended to scratch, *out pointing at it
 * (22008 outside years 1..9999).
 */
int mur_ts_us(const char *s, size_t len, int64_t *us);
int mur_ts_put(mur_type t, int64_t us, mur_buf *scratch, mur_value *out, mur_error *err);
/* A stored timestamptz printed in zone z, as timestamptz_out does. */
void mur_tstz_out(const char *s, size_t len, const mur_tz *z, mur_buf *out);
/* Stored timestamptz → the wall-clock timestamp (or date) in z, and a
 * stored timestamp (or date) read as wall-clock time in z → timestamptz
 * (PostgreSQL's casts and AT TIME ZONE).  Infinities pass through. */
int mur_tstz_to_local(mur_type to, const mur_value *in, const mur_tz *z, mur_buf *scratch,
		      mur_value *out, mur_error *err);
int mur_local_to_tstz(const mur_value *in, const mur_tz *z, mur_buf *scratch, mur_value *out,
		      mur_error *err);

/*
 * mur_value_from_pgtext parses text (len bytes, need not be NUL-terminated)
 * as PostgreSQL would parse a literal of type t, producing a storage value.
 * Text/blob results point into `scratch` (appended; caller keeps scratch
 * alive as long as the value and must not append between parsing and use
 * if the buffer may move — use the returned offset semantics: values point
 * into scratch->data after the call returns; a later append may move it).
 * Errors: 22P02 invalid input syntax ("invalid input syntax for type
 * integer: \"abc\""), 22003 out of range, 22007/22008 bad dates.
 */
int mur_value_from_pgtext(mur_type t, const char *text, size_t len, mur_buf *scratch,
			  mur_value *out, mur_error *err);
/* The same, a timestamptz without an offset read in zone tz (NULL: UTC). */
int mur_value_from_pgtext_tz(mur_type t, const char *text, size_t len, const mur_tz *tz,
			     mur_buf *scratch, mur_value *out, mur_error *err);

/* Convert a storage value to the storage class of type t (coercion for
 * comparisons and inserts: INT→FLOAT, TEXT→INT by parsing, ...).  Same
 * errors as mur_value_from_pgtext. */
int mur_value_coerce(mur_type t, const mur_value *in, mur_buf *scratch, mur_value *out,
		     mur_error *err);

/* in as a numeric (INT, FLOAT as float8::numeric, TEXT parsed) rounded
 * to typmod (numeric(p,s): numeric.h's MUR_NUM_TYPMOD; -1 none), its
 * canonical text appended to scratch.  22P02, 22003. */
int mur_value_coerce_numeric(const mur_value *in, int32_t typmod, mur_buf *scratch, mur_value *out,
			     mur_error *err);

/* Ordering used by merges: NULLs last, then numbers, then text/blob by
 * memcmp.  Returns <0, 0, >0. */
int mur_value_cmp(const mur_value *a, const mur_value *b);
/*
 * Canonical form: what "the same value" means wherever murphy groups,
 * deduplicates or hashes values (hash aggregate keys and distinct sets,
 * the distribution hash, HyperLogLog sketches), as SQL GROUP BY does.
 *
 * mur_value_num_canon: v is MV_INT or MV_FLOAT.  An INT, or a FLOAT whose
 * value is integral and within int64 range, is that integer (1.0 == 1,
 * -0.0 == 0): returns MV_INT with *bits = the int64.  Any other FLOAT
 * returns MV_FLOAT with *bits = the double's bits, every NaN the same NaN.
 */
static inline mur_vkind mur_value_num_canon(const mur_value *v, int64_t *bits)
{
	if (v->kind == MV_INT) {
		*bits = v->i;
		return MV_INT;
	}
	double d = v->f;
	if (d == d && d >= -0x1p63 && d < 0x1p63 && d == (double)(int64_t)d) {
		*bits = (int64_t)d;
		return MV_INT;
	}
	if (d != d)
		d = NAN;
	memcpy(bits, &d, 8);
	return MV_FLOAT;
}

/* The bytes to hash for v's canonical form: numbers as the 8 bytes of
 * mur_value_num_canon's bits, little-endian (written to num[], so every
 * node hashes alike), TEXT and BLOB their bytes.  Sets *p and *len and
 * returns the canonical kind (MV_INT, MV_FLOAT, MV_TEXT, MV_BLOB), or
 * MV_NULL with *len = 0 for NULL.  Inline: the sketch hashes every row
 * through it (ops/hll.c). */
static inline mur_vkind mur_value_canon_bytes(const mur_value *v, uint8_t num[8], const void **p,
					      size_t *len)
{
	int64_t bits;
	uint64_t le;
	mur_vkind k;
	switch (v->kind) {
	case MV_INT:
	case MV_FLOAT:
		k = mur_value_num_canon(v, &bits);
		le = htole64(
			(uint64_t)bits); /* one store: a byte loop stalls the hash's 8-byte load */
		memcpy(num, &le, 8);
		*p = num;
		*len = 8;
		return k;
	case MV_TEXT:
	case MV_BLOB:
		*p = v->s;
		*len = v->len;
		return v->kind;
	default:
		*p = num;
		*len = 0;
		return MV_NULL;
	}
}

/* Hash used for distribution and shuffles: XXH64 (seed 0) of
 * mur_value_canon_bytes (the kind is not hashed: TEXT and BLOB of the same
 * bytes hash alike); NULL hashes to 0. */
uint64_t mur_value_hash(const mur_value *v);
/* The hash of v as a value of type t: a NUMERIC hashes its normalized
 * text (1.0, 1.00 and 1 are one key), a BPCHAR its text without trailing
 * spaces ('a' = 'a  '), any other type as mur_value_hash. */
uint64_t mur_value_hash_typed(mur_type t, const mur_value *v);

static inline mur_value mur_v_null(void)
{
	mur_value v = {0};
	return v;
}
static inline mur_value mur_v_int(int64_t i)
{
	mur_value v = {0};
	v.kind = MV_INT;
	v.i = i;
	return v;
}
static inline mur_value mur_v_float(double f)
{
	mur_value v = {0};
	v.kind = MV_FLOAT;
	v.f = f;
	return v;
}
static inline mur_value mur_v_text(const char *s, size_t n)
{
	mur_value v = {0};
	v.kind = MV_TEXT;
	v.s = s;
	v.len = n;
	return v;
}
static inline mur_value mur_v_blob(const char *s, size_t n)
{
	mur_value v = {0};
	v.kind = MV_BLOB;
	v.s = s;
	v.len = n;
	return v;
}

/* Calendar arithmetic (proleptic Gregorian, H. Hinnant's algorithms):
 * days since 1970-01-01 of a date, and back. */
int64_t mur_days_from_civil(int64_t y, int m, int d);
void mur_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Row encoding; see the file comment. */
void mur_row_put_value(mur_buf *b, const mur_value *v);
/* Read one value; returns MUR_EPROTO on a malformed encoding. */
int mur_row_get_value(mur_rd *r, mur_value *v);

#endif
