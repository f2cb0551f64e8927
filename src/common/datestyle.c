/*
 * datestyle.c — SET DateStyle read as PostgreSQL's check_datestyle: a
 * comma-separated list of an output style (ISO, SQL, Postgres, German)
 * and an input field order (YMD, DMY or European, MDY or US/NonEuropean),
 * case-insensitive, either part kept from the current value when not
 * named (German alone implies DMY), DEFAULT the boot value 'ISO, MDY'.
 * The canonical 'ISO, DMY' is what SHOW prints.
 *
 * murphy writes dates and timestamps in the ISO style only: any other
 * style is refused (0A000) rather than shown and ignored.  The order
 * part is taken: murphy reads only year-first dates ('2024-02-01'), which
 * no order changes, and refuses the ambiguous ones ('1/2/2024', 22007)
 * whatever the order.  The startup packet's DateStyle (libpq's
 * PGDATESTYLE) is read the same way, over 'ISO, MDY'
 * (leader/lead_session.c).
 */
#include "common/datestyle.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const styles[] = {"ISO", "SQL", "Postgres", "German"};
static const char *const orders[] = {"YMD", "DMY", "MDY"};

static int word_of(const char *w, const char *const *words, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcasecmp(w, words[i]))
			return i;
	return -1;
}

/* The style and order of a canonical value (ISO, MDY when not one). */
static void current(const char *cur, int *style, int *order)
{
	char a[16] = "", b[16] = "";
	*style = 0;
	*order = 2;
	if (cur && sscanf(cur, "%15[^,], %15s", a, b) == 2) {
		if (word_of(a, styles, 4) >= 0)
			*style = word_of(a, styles, 4);
		if (word_of(b, orders, 3) >= 0)
			*order = word_of(b, orders, 3);
	}
}

int mur_datestyle_parse(const char *value, const char *cur, char *out, size_t cap, mur_error *err)
{
	int style, order, have_style = 0, have_order = 0, conflict = 0;
	const char *p = value;
	current(cur, &style, &order);
	while (*p) {
		char w[32];
		size_t n = 0;
		int s, o;
		while (isspace((unsigned char)*p) || *p == ',')
			p++;
		if (!*p)
			break;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			if (n + 1 < sizeof w)
				w[n++] = *p++;
			else
				p++;
		w[n] = 0;
		s = word_of(w, styles, 4);
		o = !strcasecmp(w, "European") || !strcasecmp(w, "Euro") ? 1
		    : !strcasecmp(w, "US") || !strcasecmp(w, "NonEuro") ||
				    !strcasecmp(w, "NonEuropean")
			    ? 2
			    : word_of(w, orders, 3);
		if (s >= 0) {
			conflict |= have_style && style != s;
			style = s;
			have_style = 1;
			if (s == 3 && !have_order)
				order = 1; /* German: DMY unless said */
		} else if (o >= 0) {
			conflict |= have_order && order != o;
			order = o;
			have_order = 1;
		} else if (!strcasecmp(w, "DEFAULT")) {
			if (!have_style)
				style = 0;
			if (!have_order)
				order = 2;
		} else {
			mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				      "invalid value for parameter \"DateStyle\": \"%s\"", value);
			mur_error_detail(err, "Unrecognized key word: \"%s\".", w);
			return MUR_ERR;
		}
	}
	if (conflict) {
		mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
			      "invalid value for parameter \"DateStyle\": \"%s\"", value);
		mur_error_detail(err, "Conflicting \"datestyle\" specifications.");
		return MUR_ERR;
	}
	if (style != 0) {
		mur_error_set(err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      "murphy does not support DateStyle \"%s\" yet", styles[style]);
		mur_error_hint(err,
			       "murphy writes dates and timestamps in the ISO style only: "
			       "SET DateStyle = 'ISO, %s'.",
			       orders[order]);
		return MUR_ERR;
	}
	snprintf(out, cap, "%s, %s", styles[style], orders[order]);
	return MUR_OK;
}
