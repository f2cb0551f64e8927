/*
 * valkey.h — keys by value: the canonical bytes of a value whose type has
 * equal values with different stored text, so that hash aggregates,
 * COUNT(DISTINCT) and repartitions on any node put equal values together
 * as PostgreSQL's equality has them.
 *
 *   numeric   1.0, 1.00 and 01 are 1 (mur_num_text_canon); an INT input
 *             (a numeric column may hold SQLite integers) is its digits.
 *             numeric[] the same, element by element ({1.0,2} = {1,2.00}).
 *   interval  '1 day' = '24 hours' = '1440 minutes', and '1 mon' = '30
 *             days' (interval_cmp_value): the stored form's span key, its
 *             first MUR_IV_KEY_LEN bytes (common/interval.h).
 *   jsonb     stored normalized (common/json.h) but for numbers, which
 *             keep their scale: {"a": 1.0} = {"a": 1}.  The canonical
 *             text is the stored text with every number as
 *             mur_num_text_canon writes it (text without '.' is its own).
 *   character(n)  'a' = 'a  ' (bpchar.h): the text without its trailing
 *             spaces.
 *
 * Which columns are which comes from the planner (the types it resolved),
 * never from the text: a TEXT column holding '1.0' stays '1.0'.  Text that
 * is not of the kind (cannot happen for stored values) is its own canon.
 */
#ifndef MUR_VALKEY_H
#define MUR_VALKEY_H

#include "common/buf.h"
#include "common/value.h"

typedef enum mur_key_kind {
	MUR_KEY_BYTES = 0, /* as stored: every other type */
	MUR_KEY_NUMERIC,
	MUR_KEY_INTERVAL,
	MUR_KEY_JSONB,
	MUR_KEY_BPCHAR,
} mur_key_kind;

/* The key kind of a column of type t. */
mur_key_kind mur_key_kind_of(mur_type t);

/* Append the canonical bytes of v (not NULL; TEXT, or an INT for numeric)
 * for kind to out.  Out of memory shows as !mur_buf_ok(out). */
void mur_key_canon(mur_key_kind kind, const mur_value *v, mur_buf *out);

#endif
