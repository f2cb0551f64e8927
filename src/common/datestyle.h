/*
 * datestyle.h — SET DateStyle's value checked and made canonical
 * (common/datestyle.c: PostgreSQL's check_datestyle; styles but ISO are
 * 0A000).
 */
#ifndef MUR_DATESTYLE_H
#define MUR_DATESTYLE_H

#include "common/error.h"

#include <stddef.h>

/* value over the current canonical setting cur: 'ISO, DMY' into out;
 * 22023 on an unknown word or a conflict, 0A000 for a style but ISO. */
int mur_datestyle_parse(const char *value, const char *cur, char *out, size_t cap, mur_error *err);

#endif
