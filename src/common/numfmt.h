/*
 * numfmt.h — PostgreSQL's number formatting: to_char(number, template)
 * and to_number(text, template) with the template patterns of
 * PostgreSQL's "Template Patterns for Numeric Formatting" (9 0 . , D G S
 * MI PL SG PR FM TH th V L RN rn EEEE and literal text, "quoted" text
 * with \" inside), in the C locale (decimal point '.', group separator
 * ',', signs '+'/'-', currency symbol ' ').
 *
 * Flow: mur_numfmt_parse turns the template into a node array and a
 * summary (digits before/after the point, sign and fill flags); one of
 * the value functions renders the value's digits as PostgreSQL's to_char
 * for its type does (numeric: exact decimal rounding half away from
 * zero, int4/int8: exact, float8/float4: printf's %.*f limited to
 * DBL_DIG/FLT_DIG digits), a value too wide for the template is '#'s;
 * then one pass over the nodes writes the output (numfmt.c).  to_number
 * reads the text back by the same nodes (numfmt_in.c).
 *
 * Errors: 42601 for templates PostgreSQL rejects (two decimal points,
 * "S" with "MI", "EEEE" not last ...), 0A000 for "RN" and "EEEE" in
 * to_number (PostgreSQL's own refusal), 22P02 for text that holds no
 * number.  The caller owns out and r; nothing is allocated on error.
 */
#ifndef MUR_NUMFMT_H
#define MUR_NUMFMT_H

#include "common/buf.h"
#include "common/error.h"
#include "common/numeric.h"

#include <stddef.h>
#include <stdint.h>

enum mur_numfmt_key {
	NF_LIT = 0, /* literal text, copied */
	NF_COMMA,
	NF_DEC,
	NF_0,
	NF_9,
	NF_B,
	NF_C,
	NF_D,
	NF_EEEE,
	NF_FM,
	NF_G,
	NF_L,
	NF_MI,
	NF_PL,
	NF_PR,
	NF_RN,
	NF_rn,
	NF_SG,
	NF_SP,
	NF_S,
	NF_TH,
	NF_th,
	NF_V,
};

typedef struct mur_numfmt_node {
	enum mur_numfmt_key key;
	const char *lit; /* NF_LIT: its bytes (one character), into the template */
	int lit_len;
} mur_numfmt_node;

/* NUMDesc: what the template asks for as a whole. */
typedef struct mur_numfmt {
	mur_numfmt_node *nodes; /* malloc'd, n of them */
	int n;
	int pre, post;            /* digit patterns before / after the point */
	int multi;                /* 9s after V (value * 10^multi) */
	int multi_seen;           /* V */
	int blank;                /* B before any digit (only EEEE reads it) */
	int zero;                 /* a 0 before the point or after */
	int zero_start, zero_end; /* 1-based digit positions of the 0s */
	int lsign;                /* S: 0 none, 1 before the digits, 2 after */
	int pre_lsign_num;        /* digits before an S that leads */
	int decimal, ldecimal;    /* . or D seen; D */
	int fill, minus, plus;    /* FM, MI (or SG), PL (or SG) */
	int bracket, roman, eeee; /* PR, RN, EEEE */
} mur_numfmt;

/* Parse fmt (len bytes, need not be NUL-terminated; it must outlive f).
 * 42601 on a template PostgreSQL rejects; f is then empty. */
int mur_numfmt_parse(mur_numfmt *f, const char *fmt, size_t len, mur_error *err);
void mur_numfmt_free(mur_numfmt *f);

/* to_char of a numeric / an int4 (int8 when is_int8) / a float8 (float4
 * when is_float4), appended to out.  An empty result is the caller's NULL
 * (PostgreSQL answers NULL for it). */
int mur_numfmt_num(const mur_numfmt *f, const mur_num *v, mur_buf *out, mur_error *err);
int mur_numfmt_int(const mur_numfmt *f, int64_t v, int is_int8, mur_buf *out, mur_error *err);
int mur_numfmt_float(const mur_numfmt *f, double v, int is_float4, mur_buf *out, mur_error *err);

/* to_number(text, fmt): r is set (initialized by the caller). */
int mur_numfmt_to_number(const mur_numfmt *f, const char *text, size_t len, mur_num *r,
			 mur_error *err);

/* Internal, shared by numfmt.c and numfmt_in.c: the C locale's strings. */
#define MUR_NUMFMT_DECIMAL "."
#define MUR_NUMFMT_THOUSANDS ","
#define MUR_NUMFMT_CURRENCY " "

#endif
