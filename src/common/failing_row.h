/*
 * failing_row.h — PostgreSQL's "Failing row contains (...)." DETAIL of a
 * NOT NULL or CHECK violation (executor/execMain.c,
 * ExecBuildSlotValueDescription): each column's text output, "null" for
 * NULL, a value longer than 64 bytes cut (on a UTF-8 boundary) with
 * "...", joined by ", ".
 */
#ifndef COMMON_FAILING_ROW_H
#define COMMON_FAILING_ROW_H

#include "common/error.h"
#include "common/value.h"

/* Set err's detail to the row vals[0..n) of types types[0..n) (each value
 * coerced to its type first; one that does not coerce prints as given);
 * timestamptz in f's zone (NULL: UTC). */
void mur_failing_row(mur_error *err, int n, const mur_type *types, const mur_value *vals,
		     const mur_outfmt *f);

#endif
