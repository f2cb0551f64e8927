/*
 * numfmt_in.c — to_number(text, template): read a number back by the
 * template's nodes (numfmt.h).  Each digit pattern reads one digit (or
 * the point for . and D), skipping one blank before it; a sign is read
 * before the first digit ('-', '+', '<' for PR), after the last one
 * (S, MI, PL, SG); other patterns and literal characters skip input
 * characters, whether they match or not.  These are PostgreSQL's rules
 * (formatting.c's NUM_processor in its reading direction); the digits
 * read become a numeric with the fraction digits actually read as its
 * scale (V: then divided by 10 per 9 after it).  Refused (0A000, as
 * PostgreSQL 15): RN and EEEE.
 */
#include "common/numfmt.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

typedef struct nf_in {
	const mur_numfmt *f;
	const char *in, *p, *end; /* the text, the next byte, its end */
	char *number, *number_p;  /* number[0] is the sign (' ' none) */
	int read_pre, read_post, read_dec;
} nf_in;

static int left(const nf_in *r, size_t n) { return r->p + n <= r->end; }

static size_t in_char_len(const nf_in *r)
{
	unsigned char c = (unsigned char)*r->p;
	size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	return r->p + n <= r->end ? n : (size_t)(r->end - r->p);
}

static void read_sign_ahead(nf_in *r)
{
	if (r->f->lsign == 1) {
		if (left(r, 1) && (*r->p == '-' || *r->p == '+'))
			r->number[0] = *r->p++;
	} else if (*r->p == '-' || (r->f->bracket && *r->p == '<')) {
		r->number[0] = '-';
		r->p++;
	} else if (*r->p == '+') {
		r->number[0] = '+';
		r->p++;
	}
}

/* NUM_numpart_from_char: one digit position. */
static void numpart_in(nf_in *r, enum mur_numfmt_key k)
{
	int isread = 0;
	if (r->p >= r->end)
		return;
	if (*r->p == ' ')
		r->p++;
	if (r->p >= r->end)
		return;
	if (r->number[0] == ' ' && (k == NF_0 || k == NF_9) && r->read_pre + r->read_post == 0)
		read_sign_ahead(r);
	if (r->p >= r->end)
		return;
	if (isdigit((unsigned char)*r->p)) {
		if (r->read_dec && r->read_post == r->f->post)
			return;
		*r->number_p++ = *r->p;
		if (r->read_dec)
			r->read_post++;
		else
			r->read_pre++;
		isread = 1;
	} else if (r->f->decimal && !r->read_dec && *r->p == MUR_NUMFMT_DECIMAL[0]) {
		*r->number_p++ = '.';
		r->read_dec = 1;
		isread = 1;
	}
	if (r->p >= r->end || r->number[0] != ' ' || r->read_pre + r->read_post == 0)
		return;
	/* a sign behind the last digit: S right after a digit or the point */
	if (r->f->lsign && isread && r->p + 1 < r->end && !isdigit((unsigned char)r->p[1])) {
		if (r->p[1] == '-' || r->p[1] == '+') {
			r->p++;
			r->number[0] = *r->p;
		}
	} else if (!isread && !r->f->lsign && (r->f->plus || r->f->minus)) {
		if (*r->p == '-' || *r->p == '+')
			r->number[0] = *r->p;
	}
}

/* One node; 0: the input moves one character further, 1: it stays. */
static int node_in(nf_in *r, const mur_numfmt_node *n)
{
	switch (n->key) {
	case NF_LIT:
		r->p += in_char_len(r); /* one input character, matching or not */
		return 1;
	case NF_9:
	case NF_0:
	case NF_DEC:
	case NF_D:
	case NF_S:
	case NF_PR:
		numpart_in(r, n->key);
		return 0;
	case NF_COMMA:
	case NF_G: /* a group separator is skipped where it stands (not in FM) */
		return r->f->fill || *r->p != MUR_NUMFMT_THOUSANDS[0];
	case NF_L:
		r->p += strlen(MUR_NUMFMT_CURRENCY) - 1;
		return 0;
	case NF_TH:
	case NF_th:
		if (r->f->decimal)
			return 1;
		r->p++;
		return 0;
	case NF_MI:
		if (*r->p == '-')
			r->number[0] = '-';
		return 0;
	case NF_PL:
		if (*r->p == '+')
			r->number[0] = '+';
		return 0;
	case NF_SG:
		if (*r->p == '-' || *r->p == '+')
			r->number[0] = *r->p;
		return 0;
	default:
		return 1;
	}
}

/* V: the number read times power(10, -multi), with numeric power's
 * result scale (as PostgreSQL: '1234' with 99V99 is 12.3400000000000000). */
static int scale_back(mur_num *res, int multi, mur_error *err)
{
	mur_num ten, e, p;
	int rc;
	mur_num_init(&ten);
	mur_num_init(&e);
	mur_num_init(&p);
	mur_num_set_int(&ten, 10);
	mur_num_set_int(&e, -multi);
	rc = mur_num_power(&p, &ten, &e, err);
	if (rc == MUR_OK)
		mur_num_mul(res, res, &p);
	mur_num_clear(&ten);
	mur_num_clear(&e);
	mur_num_clear(&p);
	return rc;
}

int mur_numfmt_to_number(const mur_numfmt *f, const char *text, size_t len, mur_num *res,
			 mur_error *err)
{
	nf_in r;
	int rc;
	if (f->roman || f->eeee)
		return mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
				     "\"%s\" not supported for input", f->roman ? "RN" : "EEEE");
	memset(&r, 0, sizeof r);
	r.f = f;
	r.in = r.p = text;
	r.end = text + len;
	if (!(r.number = malloc(len + 3)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	r.number[0] = ' ';
	r.number_p = r.number + 1;
	for (int i = 0; i < f->n && r.p < r.end; i++)
		if (!node_in(&r, &f->nodes[i]))
			r.p++;
	if (r.number_p[-1] == '.')
		r.number_p[-1] = '\0';
	else
		*r.number_p = '\0';
	rc = mur_num_parse(res, r.number, strlen(r.number), err);
	if (rc == MUR_OK && !res->nan)
		mur_num_round(res, res, r.read_post);
	if (rc == MUR_OK && f->multi_seen)
		rc = scale_back(res, f->multi, err);
	free(r.number);
	return rc;
}
