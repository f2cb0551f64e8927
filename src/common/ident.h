/*
 * ident.h — whether PostgreSQL's quote_ident would quote a name.
 */
#ifndef MUR_COMMON_IDENT_H
#define MUR_COMMON_IDENT_H

#include <stddef.h>

/* 1 when quote_ident(s[0..n)) puts s in double quotes: empty, a character
 * other than a-z, 0-9 and _, a leading digit, or a keyword PostgreSQL
 * reserves in any way (every kind but its unreserved ones: select, user,
 * int, left ...), as quote_identifier decides. */
int mur_ident_needs_quotes(const char *s, size_t n);

struct mur_buf;
/* name in double quotes onto b, a '"' in it doubled (SQL's quoted
 * identifier); mur_ident_put: quoted only when quote_ident would. */
void mur_ident_put_quoted(struct mur_buf *b, const char *name);
void mur_ident_put(struct mur_buf *b, const char *name);

#endif
