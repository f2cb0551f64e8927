/*
 * parse_cache.c — parse trees of statements seen before, whatever their
 * integer literals (parser_int.h: sql_pcache_*).
 *
 * A client's repeated statements differ only in their numbers (pgbench:
 * "UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid =
 * 56789"), and libpg_query's parse of each (bison, then the tree turned
 * into protobuf) was ~13% of the leader's CPU under pgbench.  So:
 *
 *   scan (sql_pcache_scan)  the text, outside quotes and comments: each
 *        integer literal that fits int32 (digits only) is a "slot", its
 *        offset, length and value noted; the key is the text with the
 *        slots' digits read as '0'.  Anything the scan does not fully
 *        understand (a dollar quote, an escape string, a block comment,
 *        too long, too many slots) is not cached.
 *   hit  (sql_pcache_get)   same key, slots at the same offsets with the
 *        same lengths: the token stream differs only in those integers'
 *        values, so the tree differs only in the values of the A_Const
 *        nodes made of them.  The entry's protobuf is unpacked (by the
 *        caller) and sql_pcache_patch writes the new values in.  Every
 *        other position in the text is unchanged, so every location in the
 *        tree (error positions) is right as it is.
 *   fill (sql_pcache_put)   after a real parse: each slot must be the
 *        value of exactly one A_Const of the tree, located at the slot
 *        (or, for "- 5" folded by the grammar into -5, at the '-' before
 *        it, with the value negated).  A slot that is not (an integer the
 *        grammar keeps elsewhere: float(24), a WITH option) makes the key
 *        a negative entry: parsed every time, never looked at again.
 *
 * A_Const nodes are found by a walk of the unpacked tree in a fixed order
 * (pwalk.h: depth first, fields in descriptor order), so the index a slot got at
 * fill names the same node at every hit.
 *
 * The cache is per thread (_Thread_local: the loop thread parses; a
 * statement long enough to be parsed on a pool thread is above
 * SQL_PCACHE_TEXT_MAX), set-associative by the key's hash.  Memory: entries are malloc'd
 * here and live as long as the thread (at most SQL_PCACHE_ENTRIES of at
 * most SQL_PCACHE_TEXT_MAX + SQL_PCACHE_PACKED_MAX bytes).  The table and
 * its entries are freed when the thread exits: the table is the value of a
 * pthread key whose destructor (pcache_thread_exit) frees it, so a thread
 * that parses and ends (a pool thread, a test's thread) leaves nothing
 * behind.  A thread whose table cannot be registered with the key does
 * not cache.
 */
#include "parser/parser_int.h"
#include "parser/pwalk.h"

#include <assert.h>
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Entries per thread: pgbench's seven statements take about a hundred
 * keys (one per combination of its numbers' lengths and signs), which
 * thrashed 256 direct-mapped entries; a key may sit in either of the two
 * ways of its set, the one used least recently is replaced. */
#define SQL_PCACHE_ENTRIES 1024
#define SQL_PCACHE_WAYS 2
/* A_Const nodes walked per tree (more: not cached). */
#define SQL_PCACHE_CONSTS_MAX 256
/* Largest packed tree kept (a short statement's is well under 4 KiB). */
#define SQL_PCACHE_PACKED_MAX (16 * 1024)

typedef struct pcache_entry {
	char *key; /* the text, slots' digits as '0'; len bytes */
	size_t len;
	uint64_t hash;
	int nslots;
	uint32_t off[SQL_PCACHE_SLOTS_MAX];
	uint16_t slot_len[SQL_PCACHE_SLOTS_MAX];
	uint16_t aconst[SQL_PCACHE_SLOTS_MAX]; /* index of its A_Const in walk order */
	uint8_t negated[SQL_PCACHE_SLOTS_MAX]; /* folded "- n": the node holds -n */
	int nconsts;                           /* A_Const nodes in the tree */
	uint8_t *packed;                       /* NULL: a negative entry */
	size_t packed_len;
	uint64_t used; /* pcache_tick when last found or made */
} pcache_entry;

static _Thread_local pcache_entry **pcache;
static _Thread_local uint64_t pcache_hits, pcache_tick;

uint64_t sql_pcache_hits(void) { return pcache_hits; }

/* ---- the scan ---- */

static int ident_start(unsigned char c) { return isalpha(c) || c == '_' || c >= 0x80; }
static int ident_char(unsigned char c) { return isalnum(c) || c == '_' || c == '$' || c >= 0x80; }

/* Past the quoted run opening at s[i] (' or "), its quote doubled inside;
 * 0 when unterminated. */
static size_t skip_quoted(const char *s, size_t n, size_t i)
{
	char q = s[i++];
	while (i < n) {
		if (s[i] == q && i + 1 < n && s[i + 1] == q)
			i += 2;
		else if (s[i++] == q)
			return i;
	}
	return 0;
}

/* A number at s[i]: a slot when it is digits only (not followed by '.',
 * an exponent or letters) and fits int32; 1 when one was noted. */
static int scan_number(const char *s, size_t n, size_t *i, sql_pcache_probe *p)
{
	size_t start = *i, j = *i;
	while (j < n && isdigit((unsigned char)s[j]))
		j++;
	int plain = j > start && (j == n || (s[j] != '.' && !ident_char((unsigned char)s[j])));
	if (!plain) { /* 1.5, .5, 1e-3, 12abc: the whole token stays in the key */
		while (j < n &&
		       (ident_char((unsigned char)s[j]) || s[j] == '.' ||
			((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
			j++;
		*i = j;
		return 0;
	}
	*i = j;
	if (j - start > 10)
		return 0;
	int64_t v = 0;
	for (size_t k = start; k < j; k++)
		v = v * 10 + (s[k] - '0');
	if (v > INT32_MAX || p->nslots >= SQL_PCACHE_SLOTS_MAX)
		return v > INT32_MAX ? 0 : -1;
	p->off[p->nslots] = (uint32_t)start;
	p->slot_len[p->nslots] = (uint16_t)(j - start);
	p->val[p->nslots++] = (int32_t)v;
	return 1;
}

/* FNV-1a, 64 bits, of the text with the slots' digits read as '0'. */
static uint64_t key_hash(const char *s, size_t n, const sql_pcache_probe *p)
{
	uint64_t h = 14695981039346656037ull;
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (k < p->nslots && i >= p->off[k]) {
			c = '0';
			if (i + 1 == p->off[k] + p->slot_len[k])
				k++;
		}
		h = (h ^ c) * 1099511628211ull;
	}
	return h;
}

int sql_pcache_scan(const char *sql, sql_pcache_probe *p)
{
	size_t n = strlen(sql), i = 0;
	p->nslots = 0;
	p->sql = sql;
	p->len = n;
	if (n > SQL_PCACHE_TEXT_MAX)
		return 0;
	while (i < n) {
		unsigned char c = (unsigned char)sql[i];
		if (c == '\'' || c == '"') {
			/* E'..', B'..', X'..', N'..': escapes or another kind of
			 * literal right after letters */
			if (c == '\'' && i > 0 && ident_char((unsigned char)sql[i - 1]))
				return 0;
			if ((i = skip_quoted(sql, n, i)) == 0)
				return 0;
		} else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
			while (i < n && sql[i] != '\n')
				i++;
		} else if ((c == '/' && i + 1 < n && sql[i + 1] == '*') || c == '$') {
			if (c == '/' || i + 1 >= n || !isdigit((unsigned char)sql[i + 1]))
				return 0; /* block comment, dollar quote */
			for (i++; i < n && isdigit((unsigned char)sql[i]); i++)
				; /* $1: a parameter, not a literal */
		} else if (ident_start(c)) {
			while (i < n && ident_char((unsigned char)sql[i]))
				i++;
		} else if (isdigit(c) ||
			   (c == '.' && i + 1 < n && isdigit((unsigned char)sql[i + 1]))) {
			if (scan_number(sql, n, &i, p) < 0)
				return 0;
		} else {
			i++;
		}
	}
	p->hash = key_hash(sql, n, p);
	return 1;
}

/* ---- the A_Const walk ---- */

typedef struct aconst_list {
	PgQuery__AConst *a[SQL_PCACHE_CONSTS_MAX];
	int n, overflow;
} aconst_list;

/* Every A_Const under a tree, depth first (pwalk.h's order): an A_Const
 * is noted and its value, a leaf, not walked. */
static sql_pt_next note_aconst(const ProtobufCMessage *m, sql_pt_at *at, void *arg)
{
	aconst_list *l = arg;
	if (m->descriptor != &pg_query__a__const__descriptor)
		return SQL_PT_INTO;
	if (l->n == SQL_PCACHE_CONSTS_MAX) {
		l->overflow = 1;
		return SQL_PT_STOP;
	}
	l->a[l->n++] = (PgQuery__AConst *)m;
	return SQL_PT_SKIP;
}

static void walk(const ProtobufCMessage *m, aconst_list *l) { sql_pt_walk(m, note_aconst, l); }

/* ---- lookup, patch, fill ---- */

static void entry_free(pcache_entry *e);

/* The key whose value is this thread's table; its destructor frees it. */
static pthread_key_t pcache_key;
static pthread_once_t pcache_key_once = PTHREAD_ONCE_INIT;
static int pcache_key_err; /* pthread_key_create's answer */

/* The key's destructor, at the exit of a thread that made a table: frees
 * its entries and the table itself. */
static void pcache_thread_exit(void *arg)
{
	pcache_entry **t = arg;
	for (int i = 0; i < SQL_PCACHE_ENTRIES; i++)
		entry_free(t[i]);
	free(t);
	if (pcache == t)
		pcache = NULL; /* a later destructor that parses makes a new one */
}

static void pcache_key_make(void)
{
	pcache_key_err = pthread_key_create(&pcache_key, pcache_thread_exit);
}

/* This thread's table, made (and registered for its exit) on first use;
 * NULL when it cannot be allocated or registered (nothing is cached). */
static pcache_entry **pcache_table(void)
{
	if (pcache)
		return pcache;
	if (pthread_once(&pcache_key_once, pcache_key_make) != 0 || pcache_key_err != 0)
		return NULL;
	pcache_entry **t = calloc(SQL_PCACHE_ENTRIES, sizeof *t);
	if (t && pthread_setspecific(pcache_key, t) != 0) {
		free(t);
		t = NULL;
	}
	return pcache = t;
}

/* The SQL_PCACHE_WAYS entries a key of this hash may sit in; NULL when
 * there is no table. */
static pcache_entry **set_of(uint64_t hash)
{
	pcache_entry **t = pcache_table();
	return t ? &t[hash % (SQL_PCACHE_ENTRIES / SQL_PCACHE_WAYS) * SQL_PCACHE_WAYS] : NULL;
}

static int entry_matches(const pcache_entry *e, const sql_pcache_probe *p);

/* The way holding p's key, else NULL (*victim: the way to fill). */
static pcache_entry **find_way(const sql_pcache_probe *p, pcache_entry ***victim)
{
	pcache_entry **set = set_of(p->hash);
	if (victim)
		*victim = set;
	for (int w = 0; set && w < SQL_PCACHE_WAYS; w++) {
		if (set[w] && entry_matches(set[w], p)) {
			set[w]->used = ++pcache_tick;
			return &set[w];
		}
		if (victim && (!set[w] || (**victim && set[w]->used < (**victim)->used)))
			*victim = &set[w];
	}
	return NULL;
}

static const pcache_entry *find(const sql_pcache_probe *p)
{
	pcache_entry **w = find_way(p, NULL);
	return w ? *w : NULL;
}

/* 1 when e was made from a text of p's key. */
static int entry_matches(const pcache_entry *e, const sql_pcache_probe *p)
{
	size_t at = 0;
	if (e->hash != p->hash || e->len != p->len || e->nslots != p->nslots)
		return 0;
	for (int k = 0; k < p->nslots; k++) {
		if (e->off[k] != p->off[k] || e->slot_len[k] != p->slot_len[k] ||
		    memcmp(e->key + at, p->sql + at, p->off[k] - at) != 0)
			return 0;
		at = p->off[k] + p->slot_len[k];
	}
	return memcmp(e->key + at, p->sql + at, p->len - at) == 0;
}

int sql_pcache_get(const sql_pcache_probe *p, const uint8_t **packed, size_t *len)
{
	const pcache_entry *e = find(p);
	if (!e)
		return SQL_PCACHE_MISS;
	if (!e->packed)
		return SQL_PCACHE_NEGATIVE;
	*packed = e->packed;
	*len = e->packed_len;
	return SQL_PCACHE_HIT;
}

int sql_pcache_patch(const sql_pcache_probe *p, PgQuery__ParseResult *r)
{
	const pcache_entry *e = find(p);
	aconst_list l = {.n = 0};
	if (!e || !e->packed)
		return -1;
	walk(&r->base, &l);
	if (l.overflow || l.n != e->nconsts)
		return -1; /* not the tree the entry was made from */
	for (int k = 0; k < p->nslots; k++) {
		PgQuery__AConst *a = l.a[e->aconst[k]];
		if (a->val_case != PG_QUERY__A__CONST__VAL_IVAL || !a->ival)
			return -1;
		a->ival->ival = e->negated[k] ? -p->val[k] : p->val[k];
	}
	pcache_hits++;
	return 0;
}

/* The A_Const of slot k in l: at its offset holding its value, or at the
 * '-' before it holding minus its value (*negated); -1 when not exactly
 * one node is. */
static int slot_const(const sql_pcache_probe *p, int k, const aconst_list *l, int *negated)
{
	int32_t at = (int32_t)p->off[k], minus = -1, found = -1;
	for (int32_t i = at - 1; i >= 0; i--)
		if (!isspace((unsigned char)p->sql[i])) {
			minus = p->sql[i] == '-' ? i : -1;
			break;
		}
	for (int j = 0; j < l->n; j++) {
		const PgQuery__AConst *a = l->a[j];
		if (a->location != at && (minus < 0 || a->location != minus))
			continue;
		if (found >= 0 || a->val_case != PG_QUERY__A__CONST__VAL_IVAL || !a->ival)
			return -1;
		if (a->location == at && a->ival->ival == p->val[k])
			*negated = 0;
		else if (a->location == minus && a->ival->ival == -p->val[k])
			*negated = 1;
		else
			return -1;
		found = j;
	}
	return found;
}

/* e's slot table from the tree; 0 when every slot has its A_Const. */
static int entry_map(pcache_entry *e, const sql_pcache_probe *p, const PgQuery__ParseResult *r)
{
	aconst_list l = {.n = 0};
	walk(&r->base, &l);
	if (l.overflow)
		return -1;
	e->nconsts = l.n;
	for (int k = 0; k < p->nslots; k++) {
		int neg = 0, j = slot_const(p, k, &l, &neg);
		if (j < 0)
			return -1;
		e->aconst[k] = (uint16_t)j;
		e->negated[k] = (uint8_t)neg;
	}
	return 0;
}

static void entry_free(pcache_entry *e)
{
	if (e) {
		free(e->key);
		free(e->packed);
		free(e);
	}
}

void sql_pcache_put(const sql_pcache_probe *p, const uint8_t *packed, size_t len,
		    const PgQuery__ParseResult *r)
{
	pcache_entry **victim = NULL, **s = find_way(p, &victim), *e;
	if (!s && !(s = victim))
		return; /* no table: simply not cached */
	if (!(e = calloc(1, sizeof *e)) || !(e->key = malloc(p->len ? p->len : 1))) {
		free(e);
		return; /* out of memory: simply not cached */
	}
	e->used = ++pcache_tick;
	memcpy(e->key, p->sql, p->len);
	e->len = p->len;
	e->hash = p->hash;
	e->nslots = p->nslots;
	memcpy(e->off, p->off, sizeof e->off);
	memcpy(e->slot_len, p->slot_len, sizeof e->slot_len);
	for (int k = 0; k < p->nslots; k++)
		memset(e->key + p->off[k], '0', p->slot_len[k]);
	if (len <= SQL_PCACHE_PACKED_MAX && entry_map(e, p, r) == 0 && (e->packed = malloc(len))) {
		memcpy(e->packed, packed, len);
		e->packed_len = len;
	}
	entry_free(*s);
	*s = e;
}
