/*
 * json.h — json and jsonb values as PostgreSQL 15 has them, parsed into a
 * small tree and written back as text.
 *
 * murphy stores both types as TEXT (value.h):
 *   json   the input as written, once it parsed (json_in keeps it verbatim);
 *   jsonb  the normalized text jsonb_out prints: object keys sorted by
 *          length then bytes, the last of duplicate keys kept, numbers as
 *          numeric_out prints them, strings re-escaped as escape_json does,
 *          ", " and ": " between items: {"a": 1, "b": [1, 2]}.
 * So equal jsonb values are equal text (but numbers: 1.0 and 1.00 compare
 * equal under mur_json_cmp and differ as text, as in PostgreSQL's jsonb
 * where they are one value for = but print differently).
 *
 * A mur_json_doc owns every node and decoded string of one parse (a bump
 * arena); nodes point into it and into the input text, which the caller
 * keeps alive while it uses the tree.  mur_json_doc_free releases all.
 *
 * Errors are PostgreSQL's: 22P02 "invalid input syntax for type json" with
 * a detail naming the token, 22P05 for \u0000 in jsonb, 54001 past
 * MUR_JSON_DEPTH_MAX levels of nesting.
 */
#ifndef MUR_JSON_H
#define MUR_JSON_H

#include "common/buf.h"
#include "common/error.h"

#include <stddef.h>

/* Nesting the parser follows (it recurses once per level): PostgreSQL's
 * limit is its stack depth check (max_stack_depth 2 MB gives a few
 * thousand levels); 54001 beyond this one. */
#define MUR_JSON_DEPTH_MAX 2000

/* Kinds in jsonb's sort order (null < string < number < bool < array <
 * object: PostgreSQL's jbvType order). */
typedef enum mur_json_kind {
	MJ_NULL = 0,
	MJ_STRING,
	MJ_NUMBER,
	MJ_BOOL,
	MJ_ARRAY,
	MJ_OBJECT,
} mur_json_kind;

typedef struct mur_json mur_json;
struct mur_json {
	mur_json_kind kind;
	int b;           /* MJ_BOOL: 0 false, 1 true */
	const char *s;   /* MJ_STRING: decoded UTF-8; MJ_NUMBER: its text */
	size_t len;      /* of s */
	const char *raw; /* the value as written in the input (json's ->) */
	size_t raw_len;
	int n;          /* MJ_ARRAY: elements; MJ_OBJECT: pairs */
	mur_json **kid; /* MJ_ARRAY: n values; MJ_OBJECT: 2n, key then value */
};

typedef struct mur_json_doc mur_json_doc;

/* The SQLite collation ordering jsonb text as mur_json_cmp does
 * (storage/sqlfn_json.c registers it). */
#define MUR_JSONB_COLLATION "mur_jsonb"

/* A new empty document (NULL when out of memory). */
mur_json_doc *mur_json_doc_new(void);
void mur_json_doc_free(mur_json_doc *d);

/* Parse len bytes of text.  normalize = 1 is jsonb_in (keys sorted and
 * deduplicated, numbers canonical, \u0000 refused), 0 json_in (validation;
 * the tree keeps duplicates in input order).  Errors as above. */
int mur_json_parse(mur_json_doc *d, const char *text, size_t len, int normalize, mur_json **out,
		   mur_error *err);

/* jsonb_out: the normalized text appended to out; pretty = jsonb_pretty's
 * four-space layout. */
void mur_json_write(const mur_json *j, int pretty, mur_buf *out);
/* A string as a JSON string literal (escape_json). */
void mur_json_put_string(mur_buf *out, const char *s, size_t len);

/* Nodes built by the functions: NULL when out of memory. */
mur_json *mur_json_new(mur_json_doc *d, mur_json_kind kind);
mur_json *mur_json_new_string(mur_json_doc *d, const char *s, size_t len);
/* An array or object with room for n items (pairs for objects). */
mur_json *mur_json_new_container(mur_json_doc *d, mur_json_kind kind, int n);
/* jsonb's object rules applied to an object built or changed by a
 * function: keys sorted by length then bytes, the last duplicate kept. */
void mur_json_object_normalize(mur_json *o);

/* jsonb ordering (compareJsonbContainers): <0, 0, >0. */
int mur_json_cmp(const mur_json *a, const mur_json *b);
/* a @> b (JsonbDeepContains, top level included). */
int mur_json_contains(const mur_json *a, const mur_json *b);
/* The value of key in object o (the last one for json's duplicates), or
 * element i of array o (negative counts from the end); NULL if none. */
const mur_json *mur_json_field(const mur_json *o, const char *key, size_t len);
const mur_json *mur_json_elem(const mur_json *a, long i);
/* jsonb ? key: a key of an object, or a string element of an array, or the
 * string itself at top level. */
int mur_json_exists(const mur_json *j, const char *key, size_t len);
/*
 * Lookups straight on valid json text (stored json or jsonb), without a
 * tree: the value of key in a top-level object (the last of duplicate
 * keys) or element idx (>= 0) of a top-level array, as the span of text
 * it has (*vs, *vn).  1 found, 0 not there (or not an object / array),
 * -1 when the text holds what the scanner leaves to mur_json_parse (an
 * escaped key, malformed text): the caller parses instead.
 */
int mur_json_scan_field(const char *s, size_t n, const char *key, size_t klen, const char **vs,
			size_t *vn);
int mur_json_scan_elem(const char *s, size_t n, long idx, const char **vs, size_t *vn);

/* The name jsonb_typeof prints. */
const char *mur_json_typeof(const mur_json *j);

#endif
