/*
 * catalog_seq.c — sequences: CREATE SEQUENCE, SERIAL and IDENTITY columns'
 * sequences, nextval / currval / lastval / setval (docs/sequences.md).
 *
 * The leader alone hands out values, so a sequence is unique across the
 * cluster by construction; what must hold is that no value is handed out
 * twice across leader restarts (kill -9 included).  Invariant:
 *
 *   every value nextval has returned lies at or before the store row's
 *   last_value in the sequence's direction (or before a CYCLE wrap that
 *   was itself written).
 *
 * nextval keeps it with blocks: when the block reserved last is used up
 * (reserved_left == 0), the end of the next one (CAT_SEQ_BLOCK values,
 * cut at the limit) is written to the store first (synchronous=FULL, one
 * fsync), then values are handed out of memory.  A wrap (CYCLE) always
 * starts a new block.  A restart loads last_value = that end with
 * is_called set, so the next value comes after every value handed out;
 * what was left of the block is a gap (PostgreSQL leaves gaps after a
 * crash too).  setval writes its value as the new state and empties the
 * block.  Nothing here is transactional: a rollback undoes no nextval
 * (as PostgreSQL).
 *
 * A session's currval / lastval memory is cat_seq_session (the leader
 * keeps one per client session), keyed by sequence id, so a sequence
 * dropped and created again is "not yet defined" for currval.
 *
 * Memory: c->seqs holds malloc'd cat_sequence objects (pointers stable
 * until the sequence is dropped).  A table's owned sequences are created
 * with it (cat_table.new_seqs, written in the table's store transaction:
 * catalog_store.c) and dropped with it (cat_seq_forget_owned after the
 * store deleted their rows with the table's).
 */
#include "catalog/catalog_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SQLSTATE_SEQUENCE_LIMIT "2200H"    /* sequence_generator_limit_exceeded */
#define SQLSTATE_WRONG_OBJECT_TYPE "42809" /* wrong_object_type */
#define SQLSTATE_DEPENDENT_OBJECTS "2BP01" /* dependent_objects_still_exist */
#define SESSION_LAST_MIN 8                 /* first allocation of a session's memory */

static const char *type_name(mur_type t)
{
	return t == MT_INT2 ? "smallint" : t == MT_INT4 ? "integer" : "bigint";
}

static int64_t type_max(mur_type t)
{
	return t == MT_INT2 ? INT16_MAX : t == MT_INT4 ? INT32_MAX : INT64_MAX;
}

static int64_t type_min(mur_type t)
{
	return t == MT_INT2 ? INT16_MIN : t == MT_INT4 ? INT32_MIN : INT64_MIN;
}

int cat_seq_check(const cat_sequence *d, mur_error *err)
{
	const char *tn = type_name(d->type);
	if (d->increment == 0)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "INCREMENT must not be zero");
	if (d->min_value < type_min(d->type) || d->min_value > type_max(d->type))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "MINVALUE (%lld) is out of range for sequence data type %s",
				     (long long)d->min_value, tn);
	if (d->max_value < type_min(d->type) || d->max_value > type_max(d->type))
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "MAXVALUE (%lld) is out of range for sequence data type %s",
				     (long long)d->max_value, tn);
	if (d->min_value >= d->max_value)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "MINVALUE (%lld) must be less than MAXVALUE (%lld)",
				     (long long)d->min_value, (long long)d->max_value);
	if (d->start < d->min_value)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "START value (%lld) cannot be less than MINVALUE (%lld)",
				     (long long)d->start, (long long)d->min_value);
	if (d->start > d->max_value)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "START value (%lld) cannot be greater than MAXVALUE (%lld)",
				     (long long)d->start, (long long)d->max_value);
	if (d->cache < 1)
		return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
				     "CACHE (%lld) must be greater than zero", (long long)d->cache);
	return MUR_OK;
}

/* A sequence's schema: "public" when none was stored (older rows). */
static const char *schema_of(const cat_sequence *s) { return s->schema[0] ? s->schema : "public"; }

static int find_in(const catalog *c, const char *schema, const char *name)
{
	for (int i = 0; i < c->nseqs; i++)
		if (!strcmp(c->seqs[i]->name, name) && !strcmp(schema_of(c->seqs[i]), schema))
			return i;
	return -1;
}

static int find(const catalog *c, const char *name) { return find_in(c, "public", name); }

const cat_sequence *cat_seq_lookup(const catalog *c, const char *name)
{
	int i = find(c, name);
	return i < 0 ? NULL : c->seqs[i];
}

const cat_sequence *cat_seq_lookup_in(const catalog *c, const char *schema, const char *name)
{
	int i = find_in(c, schema ? schema : "public", name);
	return i < 0 ? NULL : c->seqs[i];
}

int cat_seq_count(const catalog *c) { return c->nseqs; }
const cat_sequence *cat_seq_at(const catalog *c, int i) { return c->seqs[i]; }

static cat_sequence *by_id(const catalog *c, uint32_t id)
{
	for (int i = 0; i < c->nseqs; i++)
		if (c->seqs[i]->id == id)
			return c->seqs[i];
	return NULL;
}

/* One identifier of a regclass text into out: an unquoted one
 * lower-cased up to a '.', a "quoted" one kept ("" doubled inside);
 * returns where it ends. */
static const char *regclass_ident(const char *text, char *out, size_t n)
{
	size_t k = 0;
	if (*text == '"') {
		for (text++; *text; text++) {
			if (*text == '"' && text[1] != '"') {
				text++;
				break;
			}
			if (*text == '"')
				text++;
			if (k + 1 < n)
				out[k++] = *text;
		}
	} else {
		for (; *text && *text != '.'; text++)
			if (k + 1 < n)
				out[k++] = (char)tolower((unsigned char)*text);
	}
	out[k] = '\0';
	return text;
}

/* A regclass text as PostgreSQL reads it: [schema.]name (schema
 * "public" when not given). */
static void regclass_name(const char *text, char *schema, char *out, size_t n)
{
	const char *end = regclass_ident(text, schema, CAT_NAME_MAX);
	if (*end == '.') {
		regclass_ident(end + 1, out, n);
	} else {
		regclass_ident(text, out, n);
		snprintf(schema, CAT_NAME_MAX, "public");
	}
}

/* The sequence a regclass text names, or NULL with 42P01 (42809 for a
 * table).  *name gets the name as resolved (for messages). */
static cat_sequence *seq_named(const catalog *c, const char *text, mur_error *err)
{
	char name[CAT_NAME_MAX * 2], schema[CAT_NAME_MAX];
	int i;
	regclass_name(text, schema, name, sizeof name);
	i = find_in(c, schema, name);
	if (i >= 0)
		return c->seqs[i];
	if (!cat_schema_exists(c, schema))
		mur_error_set(err, SQLSTATE_INVALID_SCHEMA_NAME, "schema \"%s\" does not exist",
			      schema);
	else if (cat_table_lookup(c, schema, name))
		mur_error_set(err, SQLSTATE_WRONG_OBJECT_TYPE, "\"%s\" is not a sequence", name);
	else if (strcmp(schema, "public"))
		mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "relation \"%s.%s\" does not exist",
			      schema, name);
	else
		mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "relation \"%s\" does not exist",
			      name);
	return NULL;
}

int cat_seq_qualify(const catalog *c, const char *path, const char *user, const char *text,
		    char *out, size_t n)
{
	char schema[CAT_NAME_MAX], name[CAT_NAME_MAX * 2], found[CAT_NAME_MAX];
	const char *end = regclass_ident(text, name, sizeof name);
	if (*end == '.') /* qualified already */
		return 0;
	regclass_name(text, schema, name, sizeof name);
	if (!cat_relation_schema(c, path, user, name, found, sizeof found) ||
	    !strcmp(found, "public") || !cat_seq_lookup_in(c, found, name))
		return 0;
	snprintf(out, n, "\"%s\".\"%s\"", found, name); /* names never hold '"' here */
	return !strchr(found, '"') && !strchr(name, '"');
}

const cat_sequence *cat_seq_resolve(const catalog *c, const char *text, mur_error *err)
{
	return seq_named(c, text, err);
}

int cat_seq_insert_loaded(catalog *c, cat_sequence *s)
{
	if (c->nseqs >= CAT_SEQUENCES_MAX)
		return MUR_ERR;
	s->reserved_left = 0; /* the stored last_value ends the block: start a new one */
	c->seqs[c->nseqs++] = s;
	if (s->id >= c->next_seq_id)
		c->next_seq_id = s->id + 1;
	return MUR_OK;
}

/* A fresh copy of def with its id and initial state. */
static cat_sequence *seq_new(catalog *c, const cat_sequence *def)
{
	cat_sequence *s = malloc(sizeof *s);
	if (!s)
		return NULL;
	*s = *def;
	s->id = c->next_seq_id++;
	s->last_value = def->start;
	s->is_called = 0;
	s->reserved_left = 0;
	return s;
}

static int name_taken(const catalog *c, const char *schema, const char *name, mur_error *err)
{
	if (find_in(c, schema, name) >= 0 || cat_table_lookup(c, schema, name) ||
	    cat_view_lookup(c, schema, name))
		return mur_error_set(err, SQLSTATE_DUPLICATE_TABLE,
				     "relation \"%s\" already exists", name);
	if (c->nseqs >= CAT_SEQUENCES_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many sequences (limit %d)", CAT_SEQUENCES_MAX);
	return MUR_OK;
}

int cat_seq_create(catalog *c, const cat_sequence *def, mur_error *err)
{
	cat_sequence *s;
	if (name_taken(c, schema_of(def), def->name, err) != MUR_OK ||
	    cat_seq_check(def, err) != MUR_OK)
		return MUR_ERR;
	if (!(s = seq_new(c, def)))
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if (c->store && cat_store_put_seq(c, s, err) != MUR_OK) {
		free(s);
		return MUR_ERR;
	}
	c->seqs[c->nseqs++] = s;
	return MUR_OK;
}

int cat_seq_add_owned(catalog *c, const cat_table *t, mur_error *err)
{
	if (c->nseqs + t->nnew_seqs > CAT_SEQUENCES_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many sequences (limit %d)", CAT_SEQUENCES_MAX);
	for (int i = 0; i < t->nnew_seqs; i++) {
		cat_sequence *s = malloc(sizeof *s);
		if (!s)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		*s = t->new_seqs[i]; /* id and state given by cat_seq_prepare_owned */
		c->seqs[c->nseqs++] = s;
	}
	return MUR_OK;
}

static void remove_at(catalog *c, int i)
{
	free(c->seqs[i]);
	memmove(&c->seqs[i], &c->seqs[i + 1], (size_t)(c->nseqs - i - 1) * sizeof c->seqs[0]);
	c->nseqs--;
}

void cat_seq_forget_owned(catalog *c, uint32_t table_id)
{
	for (int i = c->nseqs - 1; i >= 0; i--)
		if (c->seqs[i]->owner_table == table_id) {
			cat_comments_forget(c, CAT_COMMENT_SEQUENCE, c->seqs[i]->id);
			remove_at(c, i);
		}
}

void cat_seq_free_all(catalog *c)
{
	while (c->nseqs > 0)
		remove_at(c, c->nseqs - 1);
}

int cat_seq_drop(catalog *c, const char *name, mur_error *err)
{
	return cat_seq_drop_in(c, "public", name, err);
}

int cat_seq_drop_in(catalog *c, const char *schema, const char *name, mur_error *err)
{
	int i = find_in(c, schema ? schema : "public", name);
	const cat_table *t;
	if (i < 0) {
		if (cat_table_lookup(c, schema ? schema : "public", name)) {
			mur_error_set(err, SQLSTATE_WRONG_OBJECT_TYPE, "\"%s\" is not a sequence",
				      name);
			mur_error_hint(err, "Use DROP TABLE to remove a table.");
			return MUR_ERR;
		}
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE,
				     "sequence \"%s\" does not exist", name);
	}
	if ((t = cat_table_by_id(c, c->seqs[i]->owner_table)) != NULL) {
		mur_error_set(err, SQLSTATE_DEPENDENT_OBJECTS,
			      "cannot drop sequence %s because other objects depend on it", name);
		mur_error_detail(err,
				 "default value for column %s of table %s depends on sequence %s",
				 t->cols[c->seqs[i]->owner_col].name, t->name, name);
		mur_error_hint(err, "Drop the table (or its column) instead: the sequence goes "
				    "with it.");
		return MUR_ERR;
	}
	if (c->store && cat_store_delete_seq(c, c->seqs[i]->id, err) != MUR_OK)
		return MUR_ERR;
	cat_comments_forget(c, CAT_COMMENT_SEQUENCE, c->seqs[i]->id);
	remove_at(c, i);
	return MUR_OK;
}

/* ---- values ---- */

/* The value after s's last one: 1 and *next, or 0 at the limit without
 * CYCLE.  *wrapped when CYCLE went round. */
static int step(const cat_sequence *s, int64_t *next, int *wrapped)
{
	int64_t v;
	*wrapped = 0;
	if (!s->is_called) {
		*next = s->last_value;
		return 1;
	}
	if (!__builtin_add_overflow(s->last_value, s->increment, &v) && v >= s->min_value &&
	    v <= s->max_value) {
		*next = v;
		return 1;
	}
	if (!s->cycle)
		return 0;
	*next = s->increment > 0 ? s->min_value : s->max_value;
	*wrapped = 1;
	return 1;
}

/* Reserve the block that starts at first: its end written to the store
 * before any of it is handed out. */
static int reserve(catalog *c, cat_sequence *s, int64_t first, mur_error *err)
{
	int64_t end = first, left = 1, v;
	while (left < CAT_SEQ_BLOCK && !__builtin_add_overflow(end, s->increment, &v) &&
	       v >= s->min_value && v <= s->max_value) {
		end = v;
		left++;
	}
	if (c->store && cat_store_put_seq_state(c, s->id, end, 1, err) != MUR_OK)
		return MUR_ERR;
	s->reserved_left = left;
	return MUR_OK;
}

static int remember(cat_seq_session *ss, uint32_t seq_id, int64_t v)
{
	for (int i = 0; i < ss->n; i++)
		if (ss->last[i].seq_id == seq_id) {
			ss->last[i].value = v;
			return MUR_OK;
		}
	if (ss->n == ss->cap) {
		int cap = ss->cap ? ss->cap * 2 : SESSION_LAST_MIN;
		struct cat_seq_last *p = realloc(ss->last, (size_t)cap * sizeof *p);
		if (!p)
			return MUR_ENOMEM;
		ss->last = p;
		ss->cap = cap;
	}
	ss->last[ss->n].seq_id = seq_id;
	ss->last[ss->n++].value = v;
	return MUR_OK;
}

static const struct cat_seq_last *recall(const cat_seq_session *ss, uint32_t seq_id)
{
	for (int i = 0; ss && i < ss->n; i++)
		if (ss->last[i].seq_id == seq_id)
			return &ss->last[i];
	return NULL;
}

void cat_seq_session_free(cat_seq_session *s)
{
	free(s->last);
	memset(s, 0, sizeof *s);
}

int cat_seq_nextval(catalog *c, cat_seq_session *ss, const char *name, int64_t *out, mur_error *err)
{
	cat_sequence *s = seq_named(c, name, err);
	int64_t v;
	int wrapped;
	if (!s)
		return MUR_ERR;
	if (!step(s, &v, &wrapped))
		return mur_error_set(err, SQLSTATE_SEQUENCE_LIMIT,
				     "nextval: reached %s value of sequence \"%s\" (%lld)",
				     s->increment > 0 ? "maximum" : "minimum", s->name,
				     (long long)(s->increment > 0 ? s->max_value : s->min_value));
	if ((s->reserved_left <= 0 || wrapped) && reserve(c, s, v, err) != MUR_OK)
		return MUR_ERR;
	if (ss && remember(ss, s->id, v) != MUR_OK)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	s->last_value = v;
	s->is_called = 1;
	s->reserved_left--;
	if (ss)
		ss->last_seq = s->id;
	*out = v;
	return MUR_OK;
}

int cat_seq_fill(catalog *c, cat_seq_session *ss, int ncols, const char *const *fill,
		 mur_value *vals, mur_error *err)
{
	int64_t v;
	for (int i = 0; i < ncols; i++) {
		if (!fill[i])
			continue;
		if (cat_seq_nextval(c, ss, fill[i], &v, err) != MUR_OK)
			return MUR_ERR;
		vals[i] = mur_v_int(v);
	}
	return MUR_OK;
}

int cat_seq_currval(const catalog *c, const cat_seq_session *ss, const char *name, int64_t *out,
		    mur_error *err)
{
	const cat_sequence *s = seq_named(c, name, err);
	const struct cat_seq_last *l;
	if (!s)
		return MUR_ERR;
	if (!(l = recall(ss, s->id)))
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "currval of sequence \"%s\" is not yet defined in this "
				     "session",
				     s->name);
	*out = l->value;
	return MUR_OK;
}

int cat_seq_lastval(const catalog *c, const cat_seq_session *ss, int64_t *out, mur_error *err)
{
	const struct cat_seq_last *l = ss && ss->last_seq ? recall(ss, ss->last_seq) : NULL;
	if (!l || !by_id(c, ss->last_seq))
		return mur_error_set(err, SQLSTATE_OBJECT_NOT_IN_PREREQUISITE_STATE,
				     "lastval is not yet defined in this session");
	*out = l->value;
	return MUR_OK;
}

/* setval on s itself (22003 out of its range), durably. */
static int setval_seq(catalog *c, cat_seq_session *ss, cat_sequence *s, int64_t value,
		      int is_called, mur_error *err)
{
	if (value < s->min_value || value > s->max_value)
		return mur_error_set(err, SQLSTATE_NUMERIC_VALUE_OUT_OF_RANGE,
				     "setval: value %lld is out of bounds for sequence \"%s\" "
				     "(%lld..%lld)",
				     (long long)value, s->name, (long long)s->min_value,
				     (long long)s->max_value);
	if (c->store && cat_store_put_seq_state(c, s->id, value, is_called, err) != MUR_OK)
		return MUR_ERR;
	s->last_value = value;
	s->is_called = is_called != 0;
	s->reserved_left = 0;
	if (is_called && ss && remember(ss, s->id, value) != MUR_OK) /* as PostgreSQL's do_setval */
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return MUR_OK;
}

int cat_seq_setval(catalog *c, cat_seq_session *ss, const char *name, int64_t value, int is_called,
		   mur_error *err)
{
	cat_sequence *s = seq_named(c, name, err);
	return s ? setval_seq(c, ss, s, value, is_called, err) : MUR_ERR;
}

cat_sequence *cat_seq_prepare_owned(catalog *c, const cat_table *t, mur_error *err)
{
	cat_sequence *owned;
	if (t->nnew_seqs == 0)
		return NULL;
	if (!(owned = calloc((size_t)t->nnew_seqs, sizeof *owned))) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	if (c->nseqs + t->nnew_seqs > CAT_SEQUENCES_MAX) {
		mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "too many sequences (limit %d)",
			      CAT_SEQUENCES_MAX);
		goto err_after_alloc;
	}
	for (int i = 0; i < t->nnew_seqs; i++) {
		cat_sequence *s = &owned[i];
		if (name_taken(c, schema_of(&t->new_seqs[i]), t->new_seqs[i].name, err) != MUR_OK ||
		    cat_seq_check(&t->new_seqs[i], err) != MUR_OK)
			goto err_after_alloc;
		for (int k = 0; k < i; k++)
			if (!strcmp(owned[k].name, t->new_seqs[i].name)) {
				mur_error_set(err, SQLSTATE_DUPLICATE_TABLE,
					      "relation \"%s\" already exists", owned[k].name);
				goto err_after_alloc;
			}
		*s = t->new_seqs[i];
		s->id = c->next_seq_id++;
		s->owner_table = t->id;
		s->last_value = s->start;
		s->is_called = 0;
		s->reserved_left = 0;
	}
	return owned;
err_after_alloc:
	free(owned);
	return NULL;
}

int cat_seq_restart_owned(catalog *c, uint32_t table_id, mur_error *err)
{
	for (int i = 0; i < c->nseqs; i++)
		if (c->seqs[i]->owner_table == table_id &&
		    setval_seq(c, NULL, c->seqs[i], c->seqs[i]->start, 0, err) != MUR_OK)
			return MUR_ERR;
	return MUR_OK;
}
