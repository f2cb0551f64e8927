/*
 * sqlfn_regex_ere.c — PostgreSQL's "advanced" regular expressions (ARE)
 * written as the POSIX extended ones (ERE, with GNU's extensions) that
 * glibc's regcomp reads (sqlfn_regex.c compiles them).
 *
 * Where the two read the same text differently, the ARE meaning is
 * written out; where ERE cannot say it, the translation stops with what
 * it is (0A000 at the caller); an escape ARE does not know is its 2201B:
 *
 *   \d \s \w \D \S \W    ASCII sets ([0-9], [ \t\n\r\f\v], [0-9A-Za-z_]):
 *                        PostgreSQL's C locale classifies ASCII only,
 *                        glibc's C.UTF-8 also é, ö ...
 *   [[:alpha:]] & co.    likewise ASCII ranges
 *   \m \M \y \Y          GNU's \< \> \b \B, whose word characters are the
 *                        locale's: *words is set, and the caller refuses a
 *                        subject beyond ASCII
 *   \a \b \e \f \n \r \t \v   the characters (GNU's \b is a word boundary,
 *                        ARE's a backspace); \B a backslash
 *   \< \> \` \' \{ ...   the character itself (GNU's anchors otherwise)
 *   \1 .. \9             back references, as both read them
 *   in brackets          \] \- \^ \\ the character (placed where ERE reads
 *                        it literally: ] first, - and ^ last)
 *   refused (0A000)      non-greedy quantifiers, (?...) groups, \A \Z,
 *                        \c \u \U \x and octal escapes, \D \S \W inside
 *                        brackets, case-insensitive matching of a pattern
 *                        with characters beyond ASCII (glibc folds é/É,
 *                        PostgreSQL's C locale does not)
 *
 * The x flag (expanded) drops white space and # comments outside
 * brackets; q takes the whole pattern literally.
 */
#include "storage/sqlfn_regex.h"

#include <string.h>

#define ASCII_WORD "0-9A-Za-z_"
#define ASCII_SPACE " \t\n\r\f\v"

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static int is_alnum(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* The character a character-entry escape \e stands for, or 0. */
static char entry_escape(char e)
{
	switch (e) {
	case 'a':
		return '\a';
	case 'b':
		return '\b';
	case 'B':
		return '\\';
	case 'e':
		return 0x1b;
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'v':
		return '\v';
	default:
		return 0;
	}
}

/* Put one literal character ch outside brackets. */
static void put_literal(mur_buf *out, char ch)
{
	if (strchr(".[]()*+?{}|^$\\", ch) && ch)
		mur_buf_put_u8(out, (uint8_t)'\\');
	mur_buf_put_u8(out, (uint8_t)ch);
}

void stor_rx_translate_literal(const char *p, size_t n, mur_buf *out)
{
	for (size_t i = 0; i < n; i++)
		put_literal(out, p[i]);
}

/* The ASCII set of the POSIX class name[0..len) (bracket contents), or NULL. */
static const char *class_set(const char *name, size_t len)
{
	static const struct {
		const char *name, *set;
	} classes[] = {
		{"alpha", "A-Za-z"},        {"digit", "0-9"},          {"alnum", "0-9A-Za-z"},
		{"upper", "A-Z"},           {"lower", "a-z"},          {"space", ASCII_SPACE},
		{"blank", " \t"},           {"punct", "!-/:-@[-`{-~"}, {"xdigit", "0-9A-Fa-f"},
		{"cntrl", "\x01-\x1f\x7f"}, {"print", " -~"},          {"graph", "!-~"},
	};
	for (size_t i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (strlen(classes[i].name) == len && !memcmp(classes[i].name, name, len))
			return classes[i].set;
	return NULL;
}

/* One bracket expression p[*i] == '[' .. its ']' into out; advances *i to
 * the ']'.  0, else *msg and STOR_RX_UNSUPPORTED / STOR_RX_INVALID. */
static int bracket(const char *p, size_t n, size_t *i, mur_buf *out, const char **msg)
{
	size_t k = *i + 1;
	int negate = 0, rbracket = 0, dash = 0, caret = 0;
	mur_buf items;
	if (k < n && p[k] == '^')
		negate = 1, k++;
	if (k < n && p[k] == ']')
		rbracket = 1, k++;
	mur_buf_init(&items);
	for (; k < n && p[k] != ']'; k++) {
		char ch = p[k];
		if (ch == '[' && k + 1 < n &&
		    (p[k + 1] == ':' || p[k + 1] == '.' || p[k + 1] == '=')) {
			char kind = p[k + 1];
			size_t e = k + 2;
			while (e + 1 < n && !(p[e] == kind && p[e + 1] == ']'))
				e++;
			if (e + 1 >= n)
				break; /* unterminated: regcomp says so */
			if (kind == ':') {
				const char *set = class_set(p + k + 2, e - (k + 2));
				if (!set) {
					mur_buf_free(&items);
					*msg = "invalid character class";
					return STOR_RX_INVALID;
				}
				mur_buf_put(&items, set, strlen(set));
			} else {
				mur_buf_put(&items, p + k, e + 2 - k);
			}
			k = e + 1;
			continue;
		}
		if (ch == '\\' && k + 1 < n) {
			char e = p[++k], c = entry_escape(e);
			if (e == 'd' || e == 's' || e == 'w')
				mur_buf_put(&items,
					    e == 'd'   ? "0-9"
					    : e == 's' ? ASCII_SPACE
						       : ASCII_WORD,
					    e == 'd'   ? 3
					    : e == 's' ? 6
						       : 10);
			else if (e == 'D' || e == 'S' || e == 'W') {
				mur_buf_free(&items);
				*msg = "a negated class escape (\\D, \\S, \\W) inside brackets";
				return STOR_RX_UNSUPPORTED;
			} else if (c && e != 'B')
				mur_buf_put_u8(&items, (uint8_t)c);
			else if (e == ']')
				rbracket = 1;
			else if (e == '-')
				dash = 1;
			else if (e == '^')
				caret = 1;
			else if (!is_alnum(e) || e == 'B')
				mur_buf_put_u8(&items, (uint8_t)(e == 'B' ? '\\' : e));
			else {
				mur_buf_free(&items);
				*msg = is_alnum(e) && strchr("cuUx01234567", e)
					       ? "\\c, \\u, \\U, \\x and octal escapes"
					       : "invalid escape \\ sequence";
				return strchr("cuUx01234567", e) ? STOR_RX_UNSUPPORTED
								 : STOR_RX_INVALID;
			}
			continue;
		}
		mur_buf_put_u8(&items, (uint8_t)ch);
	}
	if (k >= n) { /* no closing ]: regcomp's error */
		mur_buf_free(&items);
		mur_buf_put(out, p + *i, n - *i);
		*i = n - 1;
		return 0;
	}
	if (caret && !items.len && !rbracket && !dash) {
		mur_buf_free(&items);
		*msg = "a bracket expression of an escaped ^ alone";
		return STOR_RX_UNSUPPORTED;
	}
	mur_buf_put_u8(out, '[');
	if (negate)
		mur_buf_put_u8(out, '^');
	if (rbracket)
		mur_buf_put_u8(out, ']');
	if (items.len)
		mur_buf_put(out, items.data, items.len);
	if (caret)
		mur_buf_put_u8(out, '^');
	if (dash)
		mur_buf_put_u8(out, '-');
	mur_buf_put_u8(out, ']');
	mur_buf_free(&items);
	*i = k;
	return 0;
}

/* An escape p[*i] == '\\' outside brackets. */
static int escape(const char *p, size_t n, size_t *i, mur_buf *out, int *words, const char **msg)
{
	char e = p[++*i], c = entry_escape(e);
	switch (e) {
	case 'd':
		mur_buf_put(out, "[0-9]", 5);
		return 0;
	case 'D':
		mur_buf_put(out, "[^0-9]", 6);
		return 0;
	case 'w':
		mur_buf_put(out, "[" ASCII_WORD "]", 12);
		return 0;
	case 'W':
		mur_buf_put(out, "[^" ASCII_WORD "]", 13);
		return 0;
	case 's':
		mur_buf_put(out, "[" ASCII_SPACE "]", 8);
		return 0;
	case 'S':
		mur_buf_put(out, "[^" ASCII_SPACE "]", 9);
		return 0;
	case 'm':
	case 'M':
	case 'y':
	case 'Y':
		*words = 1;
		mur_buf_put(out, e == 'm' ? "\\<" : e == 'M' ? "\\>" : e == 'y' ? "\\b" : "\\B", 2);
		return 0;
	case 'A':
	case 'Z':
		*msg = "the \\A and \\Z anchors";
		return STOR_RX_UNSUPPORTED;
	default:
		break;
	}
	(void)n;
	if (c) {
		put_literal(out, c);
		return 0;
	}
	if (e >= '1' && e <= '9') { /* a back reference */
		mur_buf_put_u8(out, '\\');
		mur_buf_put_u8(out, (uint8_t)e);
		return 0;
	}
	if (is_alnum(e)) {
		*msg = strchr("cuUx0", e) ? "\\c, \\u, \\U, \\x and octal escapes"
					  : "invalid escape \\ sequence";
		return strchr("cuUx0", e) ? STOR_RX_UNSUPPORTED : STOR_RX_INVALID;
	}
	put_literal(out, e);
	return 0;
}

int stor_rx_translate(const char *p, size_t n, int expanded, int icase, mur_buf *out, int *words,
		      const char **msg)
{
	*words = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = p[i];
		int rc = 0;
		if (icase && ((unsigned char)ch & 0x80)) {
			*msg = "case-insensitive matching of characters beyond ASCII";
			return STOR_RX_UNSUPPORTED;
		}
		if (expanded && is_space(ch))
			continue;
		if (expanded && ch == '#') {
			while (i + 1 < n && p[i + 1] != '\n')
				i++;
			continue;
		}
		if ((ch == '*' || ch == '+' || ch == '?' || ch == '}') && i + 1 < n &&
		    p[i + 1] == '?') {
			*msg = "non-greedy quantifiers (*?, +?, ??, {m,n}?)";
			return STOR_RX_UNSUPPORTED;
		}
		if (ch == '(' && i + 1 < n && p[i + 1] == '?') {
			*msg = "(?...) groups (non-capturing, lookahead, embedded options)";
			return STOR_RX_UNSUPPORTED;
		}
		if (ch == '[')
			rc = bracket(p, n, &i, out, msg);
		else if (ch == '\\' && i + 1 < n)
			rc = escape(p, n, &i, out, words, msg);
		else
			mur_buf_put_u8(out, (uint8_t)ch);
		if (rc)
			return rc;
	}
	return 0;
}
