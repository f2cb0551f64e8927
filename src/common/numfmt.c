/*
 * numfmt.c — to_char(number, template): the template's parse and the
 * output pass (numfmt.h has the contract; to_number is numfmt_in.c).
 *
 * The value is first rendered as "digits": its absolute value's decimal
 * text rounded to the template's digits after the point (or '#'s when it
 * has more digits before the point than the template), its sign, and
 * how many digit positions before the point it leaves blank
 * (pre_spaces).  The output pass then walks the nodes: each digit
 * pattern (9 0 . D, and S PR, which count as positions too) consumes a
 * position, writing a blank, a leading zero, a digit or the point; the
 * sign goes before the first written position (or after the last for a
 * trailing S, <> around for PR); FM drops blanks and trailing fraction
 * zeros beyond the last 0 pattern.  These are PostgreSQL's rules
 * (formatting.c's NUM_processor), quirks included, so that the strings
 * are byte for byte PostgreSQL's: a differential test compares them
 * (tests/cluster/test_to_char_number.py).
 */
#include "common/numfmt.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- template parse ---- */

typedef struct nf_kw {
	const char *name;
	int len;
	enum mur_numfmt_key key;
} nf_kw;

/* Longer keywords first where one is another's prefix (SG before S). */
static const nf_kw nf_keywords[] = {
	{"EEEE", 4, NF_EEEE}, {"eeee", 4, NF_EEEE}, {"FM", 2, NF_FM},   {"fm", 2, NF_FM},
	{"MI", 2, NF_MI},     {"mi", 2, NF_MI},     {"PL", 2, NF_PL},   {"pl", 2, NF_PL},
	{"PR", 2, NF_PR},     {"pr", 2, NF_PR},     {"RN", 2, NF_RN},   {"rn", 2, NF_rn},
	{"SG", 2, NF_SG},     {"sg", 2, NF_SG},     {"SP", 2, NF_SP},   {"sp", 2, NF_SP},
	{"TH", 2, NF_TH},     {"th", 2, NF_th},     {",", 1, NF_COMMA}, {".", 1, NF_DEC},
	{"0", 1, NF_0},       {"9", 1, NF_9},       {"B", 1, NF_B},     {"b", 1, NF_B},
	{"C", 1, NF_C},       {"c", 1, NF_C},       {"D", 1, NF_D},     {"d", 1, NF_D},
	{"G", 1, NF_G},       {"g", 1, NF_G},       {"L", 1, NF_L},     {"l", 1, NF_L},
	{"S", 1, NF_S},       {"s", 1, NF_S},       {"V", 1, NF_V},     {"v", 1, NF_V},
};

static const nf_kw *match_kw(const char *p, size_t left)
{
	for (size_t i = 0; i < sizeof nf_keywords / sizeof nf_keywords[0]; i++)
		if ((size_t)nf_keywords[i].len <= left &&
		    !memcmp(p, nf_keywords[i].name, (size_t)nf_keywords[i].len))
			return &nf_keywords[i];
	return NULL;
}

static int utf8_len(const char *p, size_t left)
{
	unsigned char c = (unsigned char)*p;
	int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	return (size_t)n <= left ? n : (int)left;
}

static int tmpl_err(mur_error *err, const char *msg)
{
	return mur_error_set(err, SQLSTATE_SYNTAX_ERROR, "%s", msg);
}

/* NUMDesc_prepare: fold one pattern into the summary, or refuse the
 * combinations PostgreSQL refuses (42601, its messages). */
static int describe(mur_numfmt *f, enum mur_numfmt_key k, mur_error *err)
{
	if (f->eeee)
		return tmpl_err(err, "\"EEEE\" must be the last pattern used");
	switch (k) {
	case NF_9:
		if (f->bracket)
			return tmpl_err(err, "\"9\" must be ahead of \"PR\"");
		if (f->multi_seen)
			f->multi++;
		else if (f->decimal)
			f->post++;
		else
			f->pre++;
		break;
	case NF_0:
		if (f->bracket)
			return tmpl_err(err, "\"0\" must be ahead of \"PR\"");
		if (!f->zero && !f->decimal) {
			f->zero = 1;
			f->zero_start = f->pre + 1;
		}
		if (f->decimal)
			f->post++;
		else
			f->pre++;
		f->zero_end = f->pre + f->post;
		break;
	case NF_D:
	case NF_DEC:
		if (f->decimal)
			return tmpl_err(err, "multiple decimal points");
		if (f->multi_seen)
			return tmpl_err(err, "cannot use \"V\" and decimal point together");
		f->decimal = 1;
		f->ldecimal |= k == NF_D;
		break;
	case NF_B:
		if (f->pre == 0 && f->post == 0 && !f->zero)
			f->blank = 1;
		break;
	case NF_FM:
		f->fill = 1;
		break;
	case NF_S:
		if (f->lsign)
			return tmpl_err(err, "cannot use \"S\" twice");
		if (f->plus || f->minus || f->bracket)
			return tmpl_err(err, "cannot use \"S\" and \"PL\"/\"MI\"/\"SG\"/\"PR\" "
					     "together");
		if (!f->decimal) {
			f->lsign = 1;
			f->pre_lsign_num = f->pre;
		} else {
			f->lsign = 2;
		}
		break;
	case NF_MI:
	case NF_PL:
	case NF_SG:
		if (f->lsign)
			return tmpl_err(err, k == NF_MI   ? "cannot use \"S\" and \"MI\" together"
					     : k == NF_PL ? "cannot use \"S\" and \"PL\" together"
							  : "cannot use \"S\" and \"SG\" together");
		f->minus |= k != NF_PL;
		f->plus |= k != NF_MI;
		break;
	case NF_PR:
		if (f->lsign || f->plus || f->minus)
			return tmpl_err(err, "cannot use \"PR\" and \"S\"/\"PL\"/\"MI\"/\"SG\" "
					     "together");
		f->bracket = 1;
		break;
	case NF_RN:
	case NF_rn:
		f->roman = 1;
		break;
	case NF_V:
		if (f->decimal)
			return tmpl_err(err, "cannot use \"V\" and decimal point together");
		f->multi_seen = 1;
		break;
	case NF_EEEE:
		if (f->blank || f->fill || f->lsign || f->bracket || f->minus || f->plus ||
		    f->roman || f->multi_seen) {
			tmpl_err(err, "\"EEEE\" is incompatible with other formats");
			mur_error_detail(err, "\"EEEE\" may only be used together with digit and "
					      "decimal point patterns.");
			return MUR_ERR;
		}
		f->eeee = 1;
		break;
	default:
		break;
	}
	return MUR_OK;
}

static void add_node(mur_numfmt *f, enum mur_numfmt_key k, const char *lit, int lit_len)
{
	f->nodes[f->n].key = k;
	f->nodes[f->n].lit = lit;
	f->nodes[f->n].lit_len = lit_len;
	f->n++;
}

int mur_numfmt_parse(mur_numfmt *f, const char *fmt, size_t len, mur_error *err)
{
	const char *p = fmt, *end = fmt + len;
	memset(f, 0, sizeof *f);
	if (!(f->nodes = malloc(sizeof *f->nodes * (len ? len : 1))))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	while (p < end) {
		const nf_kw *kw = match_kw(p, (size_t)(end - p));
		int n;
		if (kw) {
			add_node(f, kw->key, NULL, 0);
			p += kw->len;
			if (describe(f, kw->key, err) != MUR_OK) {
				mur_numfmt_free(f);
				return MUR_ERR;
			}
			continue;
		}
		if (*p == '"') { /* quoted text; \ quotes the next character */
			for (p++; p < end && *p != '"'; p += n) {
				if (*p == '\\' && p + 1 < end)
					p++;
				n = utf8_len(p, (size_t)(end - p));
				add_node(f, NF_LIT, p, n);
			}
			p += p < end; /* the closing quote */
			continue;
		}
		if (*p == '\\' && p + 1 < end && p[1] == '"')
			p++; /* \" outside quotes is a quote character */
		n = utf8_len(p, (size_t)(end - p));
		add_node(f, NF_LIT, p, n);
		p += n;
	}
	return MUR_OK;
}

void mur_numfmt_free(mur_numfmt *f)
{
	free(f->nodes);
	f->nodes = NULL;
	f->n = 0;
}

/* ---- output pass ---- */

/* NUMProc: the pass's state over one value's digits. */
typedef struct nf_out {
	mur_numfmt d;                  /* the summary, adjusted for this value */
	mur_buf *b;                    /* output; a NUL written ends the result, as PostgreSQL's */
	const char *number, *number_p; /* the digits ('.' inside), the next one */
	const char *last_relevant;     /* FM: the last fraction digit written */
	int sign;                      /* '+', '-', or 0 for roman numerals */
	int sign_wrote, num_in, num_curr, num_count, pre_spaces;
} nf_out;

static void put(nf_out *o, const char *s) { mur_buf_put(o->b, s, strlen(s)); }
static void putc1(nf_out *o, char c) { mur_buf_put_u8(o->b, (uint8_t)c); }

/* '0.1' with 9.9: the zero before the point is a blank ('  .1'). */
static int predec_space(const nf_out *o)
{
	return !o->d.zero && o->number_p == o->number && o->number[0] == '0' && o->d.post != 0;
}

static void put_sign_ahead(nf_out *o)
{
	if (o->d.lsign) {
		if (o->d.lsign == 1) {
			putc1(o, o->sign == '-' ? '-' : '+');
			o->sign_wrote = 1;
		}
	} else if (o->d.bracket) {
		putc1(o, o->sign == '+' ? ' ' : '<');
		o->sign_wrote = 1;
	} else if (o->sign == '+') {
		if (!o->d.fill)
			putc1(o, ' ');
		o->sign_wrote = 1;
	} else if (o->sign == '-') {
		putc1(o, '-');
		o->sign_wrote = 1;
	}
}

static void put_digit(nf_out *o, enum mur_numfmt_key k)
{
	if (o->num_curr < o->pre_spaces && (o->d.zero_start > o->num_curr || !o->d.zero)) {
		if (!o->d.fill)
			putc1(o, ' ');
		return;
	}
	if (o->d.zero && o->num_curr < o->pre_spaces && o->d.zero_start <= o->num_curr) {
		putc1(o, '0');
		o->num_in = 1;
		return;
	}
	if (*o->number_p == '.') {
		if (!o->last_relevant || *o->last_relevant != '.' || o->d.fill)
			put(o, MUR_NUMFMT_DECIMAL);
	} else if (o->last_relevant && o->number_p > o->last_relevant && k != NF_0) {
		/* FM: a fraction zero past the last relevant digit */
	} else if (predec_space(o)) {
		if (!o->d.fill)
			putc1(o, ' ');
		else if (o->last_relevant && *o->last_relevant == '.')
			putc1(o, '0'); /* '0' with FM9.9 is '0.' */
	} else {
		putc1(o, *o->number_p); /* may be the NUL past the digits */
		o->num_in = 1;
	}
	if (*o->number_p)
		o->number_p++;
}

/* NUM_numpart_to_char: one digit position (9 0 . D); S and PR write
 * their sign around the positions, not where they stand. */
static void numpart(nf_out *o, enum mur_numfmt_key k)
{
	int end;
	if (o->d.roman)
		return;
	o->num_in = 0;
	if (!o->sign_wrote &&
	    (o->num_curr >= o->pre_spaces || (o->d.zero && o->d.zero_start == o->num_curr)) &&
	    (!predec_space(o) || (o->last_relevant && *o->last_relevant == '.')))
		put_sign_ahead(o);
	{
		put_digit(o, k);
		end = o->num_count + (o->pre_spaces ? 1 : 0) + (o->d.decimal ? 1 : 0);
		if (o->last_relevant && o->last_relevant == o->number_p)
			end = o->num_curr;
		if (o->num_curr + 1 == end) {
			if (o->sign_wrote && o->d.bracket)
				putc1(o, o->sign == '+' ? ' ' : '>');
			else if (o->d.lsign == 2)
				putc1(o, o->sign == '-' ? '-' : '+');
		}
		o->num_curr++;
	}
}

/* The English ordinal suffix of the digits' last number. */
static int put_th(nf_out *o, int upper, mur_error *err)
{
	size_t n = strlen(o->number);
	char last = n ? o->number[n - 1] : 0;
	const char *s;
	if (last < '0' || last > '9')
		return mur_error_set(err, SQLSTATE_INVALID_TEXT_REPRESENTATION,
				     "\"%s\" is not a number", o->number);
	if (n > 1 && o->number[n - 2] == '1')
		s = "th";
	else
		s = last == '1' ? "st" : last == '2' ? "nd" : last == '3' ? "rd" : "th";
	putc1(o, upper ? (char)(s[0] - 32) : s[0]);
	putc1(o, upper ? (char)(s[1] - 32) : s[1]);
	return MUR_OK;
}

static void put_roman(nf_out *o, int lower)
{
	char s[32];
	if (!o->d.fill)
		snprintf(s, sizeof s, "%15s", o->number);
	else
		snprintf(s, sizeof s, "%s", o->number);
	for (char *p = s; lower && *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p + 32);
	put(o, s);
}

static int node_out(nf_out *o, const mur_numfmt_node *n, mur_error *err)
{
	switch (n->key) {
	case NF_LIT:
		mur_buf_put(o->b, n->lit, (size_t)n->lit_len);
		break;
	case NF_9:
	case NF_0:
	case NF_DEC:
	case NF_D:
		numpart(o, n->key);
		break;
	case NF_COMMA:
	case NF_G:
		if (o->num_in)
			put(o, MUR_NUMFMT_THOUSANDS);
		else if (!o->d.fill)
			putc1(o, ' ');
		break;
	case NF_L:
		put(o, MUR_NUMFMT_CURRENCY);
		break;
	case NF_RN:
	case NF_rn:
		put_roman(o, n->key == NF_rn);
		break;
	case NF_TH:
	case NF_th:
		if (o->d.roman || o->number[0] == '#' || o->sign == '-' || o->d.decimal)
			break;
		return put_th(o, n->key == NF_TH, err);
	case NF_MI:
		if (o->sign == '-')
			putc1(o, '-');
		else if (!o->d.fill)
			putc1(o, ' ');
		break;
	case NF_PL:
		if (o->sign == '+')
			putc1(o, '+');
		else if (!o->d.fill)
			putc1(o, ' ');
		break;
	case NF_SG:
		putc1(o, (char)o->sign);
		break;
	default: /* B C SP FM V EEEE write nothing */
		break;
	}
	return MUR_OK;
}

/* FM with a point: the last fraction digit that is no zero (or the
 * point), moved up to the last 0 pattern's position. */
static const char *last_relevant(const nf_out *o)
{
	const char *p = strchr(o->number, '.'), *r = p;
	if (!p)
		return NULL;
	while (*++p)
		if (*p != '0')
			r = p;
	if (o->d.zero_end > o->pre_spaces) {
		size_t last = strlen(o->number) - 1, z = (size_t)(o->d.zero_end - o->pre_spaces);
		const char *zp = o->number + (z < last ? z : last);
		if (r < zp)
			r = zp;
	}
	return r;
}

/* NUM_processor for to_char: digits/sign/pre_spaces prepared by the
 * caller, d the summary with the caller's adjustments (V, float digits). */
static int render(const mur_numfmt *f, const mur_numfmt *d, const char *number, int sign,
		  int pre_spaces, mur_buf *out, mur_error *err)
{
	nf_out o;
	mur_buf b;
	int rc = MUR_OK;
	memset(&o, 0, sizeof o);
	o.d = *d;
	o.number = o.number_p = number;
	o.sign = sign;
	o.pre_spaces = pre_spaces;
	if (o.d.zero_start)
		o.d.zero_start--;
	if (o.d.eeee) {
		mur_buf_put(out, number, strlen(number));
		return MUR_OK;
	}
	if (o.d.roman) {
		int fill = o.d.fill;
		memset(&o.d, 0, sizeof o.d);
		o.d.fill = fill;
		o.d.roman = 1;
		o.pre_spaces = o.sign = 0;
	}
	if (o.d.plus || o.d.minus) {
		o.sign_wrote = !(o.d.plus && !o.d.minus);
	} else {
		if (o.sign != '-' && o.d.fill)
			o.d.bracket = 0;
		o.sign_wrote = o.sign == '+' && o.d.fill && !o.d.lsign;
		if (o.d.lsign == 1 && o.d.pre == o.d.pre_lsign_num)
			o.d.lsign = 2;
	}
	o.num_count = o.d.post + o.d.pre - 1;
	if (o.d.fill && o.d.decimal)
		o.last_relevant = last_relevant(&o);
	if (!o.sign_wrote && o.pre_spaces == 0)
		o.num_count++;
	mur_buf_init(&b);
	o.b = &b;
	for (int i = 0; i < f->n && rc == MUR_OK; i++)
		rc = node_out(&o, &f->nodes[i], err);
	if (rc == MUR_OK && mur_buf_ok(&b) && b.len) {
		const char *nul = memchr(b.data, '\0', b.len);
		mur_buf_put(out, b.data, nul ? (size_t)(nul - b.data) : b.len);
	}
	mur_buf_free(&b);
	return rc;
}

/* ---- the value's digits, by type ---- */

/* PostgreSQL's int_to_roman: 1..3999, else 15 '#'. */
static void roman(int64_t v, char *s, size_t cap)
{
	static const char *const ones[] = {"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"};
	static const char *const tens[] = {"X", "XX", "XXX", "XL", "L", "LX", "LXX", "LXXX", "XC"};
	static const char *const hund[] = {"C", "CC", "CCC", "CD", "D", "DC", "DCC", "DCCC", "CM"};
	s[0] = '\0';
	if (v < 1 || v > 3999) {
		snprintf(s, cap, "###############");
		return;
	}
	for (int64_t m = v / 1000; m > 0; m--)
		strncat(s, "M", cap - strlen(s) - 1);
	if ((v / 100) % 10)
		strncat(s, hund[(v / 100) % 10 - 1], cap - strlen(s) - 1);
	if ((v / 10) % 10)
		strncat(s, tens[(v / 10) % 10 - 1], cap - strlen(s) - 1);
	if (v % 10)
		strncat(s, ones[v % 10 - 1], cap - strlen(s) - 1);
}

/* digits = the unsigned text with a point; sets the pre_spaces or fills
 * '#'s (pre + post + 1 of them, a '.' at pre) when too wide. */
static int finish(const mur_numfmt *f, const mur_numfmt *d, char *text, mur_buf *out,
		  mur_error *err)
{
	int sign = '+', pre_spaces = 0, rc;
	char *digits = text, *fill = NULL;
	if (*digits == '-') {
		sign = '-';
		digits++;
	}
	const char *pt = strchr(digits, '.');
	int pre_len = pt ? (int)(pt - digits) : (int)strlen(digits);
	if (pre_len < d->pre) {
		pre_spaces = d->pre - pre_len;
	} else if (pre_len > d->pre) {
		if (!(fill = malloc((size_t)(d->pre + d->post + 2))))
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		memset(fill, '#', (size_t)(d->pre + d->post + 1));
		fill[d->pre] = '.';
		fill[d->pre + d->post + 1] = '\0';
		digits = fill;
	}
	rc = render(f, d, digits, sign, pre_spaces, out, err);
	free(fill);
	return rc;
}

static int render_roman(const mur_numfmt *f, int64_t v, mur_buf *out, mur_error *err)
{
	char s[32];
	roman(v, s, sizeof s);
	return render(f, f, s, 0, 0, out, err);
}

/* EEEE of a NaN or infinity: ' ', '#'s with a '.' after pre of them. */
static int render_eeee_fill(const mur_numfmt *f, mur_buf *out, mur_error *err)
{
	size_t n = (size_t)(f->pre + f->post + 6);
	char *s = malloc(n + 1);
	int rc;
	if (!s)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	memset(s, '#', n);
	s[0] = ' ';
	s[f->pre + 1] = '.';
	s[n] = '\0';
	rc = render(f, f, s, '+', 0, out, err);
	free(s);
	return rc;
}

/* numeric_out_sci: the significand rounded to post digits, e, a signed
 * exponent of at least two digits; a blank for a positive sign. */
static int render_num_eeee(const mur_numfmt *f, const mur_num *v, mur_buf *out, mur_error *err)
{
	mur_num s;
	mur_buf b;
	int exp = 0, rc;
	if (v->nan)
		return render_eeee_fill(f, out, err);
	mur_num_init(&s);
	if (mpz_sgn(v->m))
		exp = mur_num_mpz_digits(v->m) - 1 - v->scale;
	mpz_set(s.m, v->m);
	s.scale = v->scale + exp;
	mur_num_round(&s, &s, f->post);
	mur_buf_init(&b);
	if (mpz_sgn(s.m) >= 0)
		mur_buf_put_u8(&b, ' ');
	mur_num_to_text(&s, &b);
	mur_buf_printf(&b, "e%+03d", exp);
	mur_buf_put_u8(&b, '\0');
	rc = mur_buf_ok(&b) ? render(f, f, b.data, '+', 0, out, err)
			    : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_buf_free(&b);
	mur_num_clear(&s);
	return rc;
}

int mur_numfmt_num(const mur_numfmt *f, const mur_num *v, mur_buf *out, mur_error *err)
{
	mur_numfmt d = *f;
	mur_num x;
	mur_buf b;
	int rc;
	if (f->eeee)
		return render_num_eeee(f, v, out, err);
	mur_num_init(&x);
	if (f->roman) {
		int64_t i = INT32_MAX;
		if (v->nan)
			rc = mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
					   "cannot convert NaN to integer");
		else {
			mur_num_round(&x, v, 0);
			if (mur_num_to_int64(&x, &i) || i > INT32_MAX || i < INT32_MIN)
				rc = mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
						   "integer out of range");
			else
				rc = render_roman(f, i, out, err);
		}
		mur_num_clear(&x);
		return rc;
	}
	mur_num_set(&x, v);
	if (f->multi_seen && !x.nan) { /* V: times 10^multi, exactly */
		if (x.scale >= f->multi) {
			x.scale -= f->multi;
		} else {
			mur_num_mpz_shift(x.m, x.m, f->multi - x.scale);
			x.scale = 0;
		}
		d.pre += f->multi;
	}
	mur_num_round(&x, &x, d.post);
	mur_buf_init(&b);
	mur_num_to_text(&x, &b);
	mur_buf_put_u8(&b, '\0');
	rc = mur_buf_ok(&b) ? finish(f, &d, b.data, out, err)
			    : mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	mur_buf_free(&b);
	mur_num_clear(&x);
	return rc;
}

int mur_numfmt_int(const mur_numfmt *f, int64_t v, int is_int8, mur_buf *out, mur_error *err)
{
	mur_numfmt d = *f;
	char text[64];
	if (f->eeee) {
		if (is_int8) { /* int8 goes through numeric */
			mur_num x;
			int rc;
			mur_num_init(&x);
			mur_num_set_int(&x, v);
			rc = render_num_eeee(f, &x, out, err);
			mur_num_clear(&x);
			return rc;
		}
		snprintf(text, sizeof text, "%+.*e", f->post, (double)v);
		if (text[0] == '+')
			text[0] = ' ';
		return render(f, f, text, '+', 0, out, err);
	}
	if (f->roman) {
		if (is_int8 && (v > INT32_MAX || v < INT32_MIN))
			return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
					     "integer out of range");
		return render_roman(f, v, out, err);
	}
	if (f->multi_seen) {
		for (int i = 0; i < f->multi; i++) {
			if (__builtin_mul_overflow(v, 10, &v) ||
			    (!is_int8 && (v > INT32_MAX || v < INT32_MIN)))
				return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
						     is_int8 ? "bigint out of range"
							     : "integer out of range");
		}
		d.pre += f->multi;
	}
	int n = snprintf(text, sizeof text, "%lld", (long long)v);
	if (d.post) {
		char *s = malloc((size_t)n + (size_t)d.post + 2);
		int rc;
		if (!s)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		memcpy(s, text, (size_t)n);
		s[n] = '.';
		memset(s + n + 1, '0', (size_t)d.post);
		s[n + 1 + d.post] = '\0';
		rc = finish(f, &d, s, out, err);
		free(s);
		return rc;
	}
	return finish(f, &d, text, out, err);
}

int mur_numfmt_float(const mur_numfmt *f, double v, int is_float4, mur_buf *out, mur_error *err)
{
	mur_numfmt d = *f;
	int digs = is_float4 ? FLT_DIG : DBL_DIG, rc;
	char *text;
	if (f->eeee) {
		char s[512];
		if (isnan(v) || isinf(v))
			return render_eeee_fill(f, out, err);
		snprintf(s, sizeof s, "%+.*e", f->post, v);
		if (s[0] == '+')
			s[0] = ' ';
		return render(f, f, s, '+', 0, out, err);
	}
	if (f->roman) {
		double r = rint(v);
		return render_roman(f,
				    isnan(r) || r > INT32_MAX || r < INT32_MIN ? INT32_MAX
									       : (int64_t)r,
				    out, err);
	}
	if (f->multi_seen) {
		double m = pow(10.0, (double)f->multi);
		v = is_float4 ? (double)(float)(v * (float)m) : v * m;
		d.pre += f->multi;
	}
	int pre_len = snprintf(NULL, 0, "%.0f", fabs(v));
	if (pre_len >= digs)
		d.post = 0;
	else if (pre_len + d.post > digs)
		d.post = digs - pre_len;
	int n = snprintf(NULL, 0, "%.*f", d.post, v);
	if (!(text = malloc((size_t)n + 1)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	snprintf(text, (size_t)n + 1, "%.*f", d.post, v);
	rc = finish(f, &d, text, out, err);
	free(text);
	return rc;
}
