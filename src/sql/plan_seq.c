/*
 * plan_seq.c — CREATE SEQUENCE, DROP SEQUENCE, and the sequences SERIAL
 * and IDENTITY columns own (docs/sequences.md).
 *
 * CREATE [IF NOT EXISTS] SEQUENCE s [AS smallint|integer|bigint]
 * [INCREMENT [BY] n] [MINVALUE n | NO MINVALUE] [MAXVALUE n | NO MAXVALUE]
 * [START [WITH] n] [CACHE n] [[NO] CYCLE]: a PLAN_SEQUENCE carrying the
 * sequence's definition, defaults filled as PostgreSQL fills them
 * (ascending: 1 .. the type's maximum, descending: the type's minimum ..
 * -1; START at the end the sequence starts from; CACHE 1).  The catalog
 * checks it (cat_seq_check: PostgreSQL's 22023 messages) when the leader
 * creates it.  OWNED BY, RESTART, TEMPORARY/UNLOGGED and other schemas are
 * 0A000 naming them.
 *
 * DROP SEQUENCE [IF EXISTS] s [, ...]: PLAN_SEQUENCE with drop set; a
 * sequence a table owns is refused by the catalog (2BP01) and goes with
 * its table instead.  CASCADE is 0A000.
 *
 * SERIAL / BIGSERIAL / SMALLSERIAL (serial4, serial8, serial2) columns
 * and GENERATED {ALWAYS | BY DEFAULT} AS IDENTITY [(options)]: the column
 * gets the type integer / bigint / smallint (identity: its declared type,
 * which must be one of those), NOT NULL, and the default
 * murphy_nextval('<table>_<column>_seq') — the name PostgreSQL gives,
 * with a digit appended while it is taken — whose sequence the table owns
 * (cat_table.new_seqs: created in the same catalog write as the table,
 * dropped with it).  An identity column also records GENERATED ALWAYS or
 * BY DEFAULT (cat_column.identity), which INSERT and UPDATE check
 * (plan_dml.c).
 */
#include "sql/sqlInt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_SEQ_DROP_MAX 16     /* names per DROP SEQUENCE, as DROP TABLE's */
#define SQL_SEQ_NAME_TRIES 1000 /* <t>_<c>_seq, then ...1, ...2: PostgreSQL tries on */

static int unsupported(sql_ctx *c, const char *what)
{
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, -1, "murphy does not support %s yet",
		       what);
}

/* An option's integer: Integer node, or Float for values past int32 (the
 * parser keeps them as text). */
static int option_int64(sql_ctx *c, PgQuery__DefElem *d, int64_t *out)
{
	PgQuery__Node *a = d->arg;
	char *end = NULL;
	if (a && a->node_case == PG_QUERY__NODE__NODE_INTEGER) {
		*out = a->integer->ival;
		return MUR_OK;
	}
	if (a && a->node_case == PG_QUERY__NODE__NODE_FLOAT && a->float_->fval) {
		long long v = strtoll(a->float_->fval, &end, 10);
		if (end && !*end) {
			*out = v;
			return MUR_OK;
		}
	}
	return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, d->location,
		       "%s requires an integer value", d->defname);
}

/* AS type: smallint, integer or bigint (22023 otherwise, as PostgreSQL). */
static int option_type(sql_ctx *c, PgQuery__DefElem *d, mur_type *out)
{
	mur_type t;
	if (!d->arg || d->arg->node_case != PG_QUERY__NODE__NODE_TYPE_NAME)
		return sql_err(c, SQLSTATE_SYNTAX_ERROR, d->location, "AS needs a type");
	t = sql_type_from_typename(c, d->arg->type_name, NULL);
	if (t == MT_UNKNOWN)
		return MUR_ERR;
	if (t != MT_INT2 && t != MT_INT4 && t != MT_INT8)
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, d->location,
			       "sequence type must be smallint, integer, or bigint");
	*out = t;
	return MUR_OK;
}

typedef struct seq_given {
	int min, max, start;
} seq_given;

static int seq_option(sql_ctx *c, PgQuery__DefElem *d, cat_sequence *s, seq_given *g)
{
	const char *n = d->defname;
	if (!strcmp(n, "as"))
		return option_type(c, d, &s->type);
	if (!strcmp(n, "increment"))
		return option_int64(c, d, &s->increment);
	if (!strcmp(n, "minvalue"))
		return (g->min = d->arg != NULL) ? option_int64(c, d, &s->min_value) : MUR_OK;
	if (!strcmp(n, "maxvalue"))
		return (g->max = d->arg != NULL) ? option_int64(c, d, &s->max_value) : MUR_OK;
	if (!strcmp(n, "start")) {
		g->start = 1;
		return option_int64(c, d, &s->start);
	}
	if (!strcmp(n, "cache"))
		return option_int64(c, d, &s->cache);
	if (!strcmp(n, "cycle")) {
		s->cycle = !d->arg || (d->arg->node_case == PG_QUERY__NODE__NODE_BOOLEAN &&
				       d->arg->boolean->boolval);
		return MUR_OK;
	}
	if (!strcmp(n, "sequence_name"))
		return unsupported(c, "SEQUENCE NAME in identity options");
	if (!strcmp(n, "owned_by"))
		return unsupported(c, "OWNED BY (use a serial or identity column)");
	return sql_err(c, SQLSTATE_FEATURE_NOT_SUPPORTED, d->location,
		       "murphy does not support sequence option %s yet", n);
}

static int64_t type_max(mur_type t)
{
	return t == MT_INT2 ? INT16_MAX : t == MT_INT4 ? INT32_MAX : INT64_MAX;
}

static int64_t type_min(mur_type t)
{
	return t == MT_INT2 ? INT16_MIN : t == MT_INT4 ? INT32_MIN : INT64_MIN;
}

/* The options of CREATE SEQUENCE or of an identity column into s (type:
 * the default AS type), with PostgreSQL's defaults for what is not given. */
static int seq_options(sql_ctx *c, PgQuery__Node **opts, size_t n, mur_type type, cat_sequence *s)
{
	seq_given g = {0, 0, 0};
	s->type = type;
	s->increment = 1;
	s->cache = 1;
	for (size_t i = 0; i < n; i++)
		if (opts[i]->node_case != PG_QUERY__NODE__NODE_DEF_ELEM ||
		    seq_option(c, opts[i]->def_elem, s, &g) != MUR_OK)
			return mur_error_is_set(c->err) ? MUR_ERR
							: unsupported(c, "this sequence option");
	if (!g.min)
		s->min_value = s->increment > 0 ? 1 : type_min(s->type);
	if (!g.max)
		s->max_value = s->increment > 0 ? type_max(s->type) : -1;
	if (!g.start)
		s->start = s->increment > 0 ? s->min_value : s->max_value;
	return MUR_OK;
}

static int schema_check(sql_ctx *c, const PgQuery__RangeVar *rv)
{
	if (rv->relpersistence && !strcmp(rv->relpersistence, "t"))
		return unsupported(c, "temporary sequences");
	if (strlen(rv->relname) >= CAT_NAME_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, rv->location,
			       "sequence name \"%s\" is too long", rv->relname);
	return MUR_OK;
}

int sql_plan_create_sequence(sql_ctx *c, PgQuery__CreateSeqStmt *s, plan *p)
{
	plan_sequence *ps = &p->u.sequence;
	const char *schema;
	p->kind = PLAN_SEQUENCE;
	p->tag = "CREATE SEQUENCE";
	if (schema_check(c, s->sequence) != MUR_OK ||
	    seq_options(c, s->options, s->n_options, MT_INT8, &ps->def) != MUR_OK)
		return MUR_ERR;
	if (!(schema = sql_rv_create_schema(c, s->sequence)))
		return MUR_ERR;
	snprintf(ps->def.name, sizeof ps->def.name, "%s", s->sequence->relname);
	snprintf(ps->def.schema, sizeof ps->def.schema, "%s", schema);
	ps->missing_ok = s->if_not_exists;
	return MUR_OK;
}

int sql_plan_drop_sequence(sql_ctx *c, PgQuery__DropStmt *s, plan *p)
{
	plan_sequence *ps = &p->u.sequence;
	p->kind = PLAN_SEQUENCE;
	p->tag = "DROP SEQUENCE";
	ps->drop = 1;
	ps->missing_ok = s->missing_ok;
	if (s->behavior == PG_QUERY__DROP_BEHAVIOR__DROP_CASCADE)
		return unsupported(c, "DROP SEQUENCE ... CASCADE");
	if (s->n_objects > SQL_SEQ_DROP_MAX)
		return sql_err(c, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, -1,
			       "murphy drops at most %d sequences per statement", SQL_SEQ_DROP_MAX);
	if (!(ps->names = sql_alloc(c, sizeof *ps->names * s->n_objects)) ||
	    !(ps->schemas = sql_alloc(c, sizeof *ps->schemas * s->n_objects)))
		return MUR_ERR;
	for (size_t i = 0; i < s->n_objects; i++) {
		const char *schema = sql_object_schema(c, s->objects[i]);
		snprintf(ps->schemas[ps->nnames], sizeof ps->schemas[0], "%s",
			 schema ? schema : "public");
		snprintf(ps->names[ps->nnames++], sizeof ps->names[0], "%s",
			 sql_object_name(s->objects[i]));
	}
	return MUR_OK;
}

/* ---- SERIAL and IDENTITY ---- */

mur_type sql_serial_type(const PgQuery__TypeName *tn)
{
	static const struct {
		const char *name;
		mur_type type;
	} serials[] = {{"serial", MT_INT4},  {"serial4", MT_INT4},     {"bigserial", MT_INT8},
		       {"serial8", MT_INT8}, {"smallserial", MT_INT2}, {"serial2", MT_INT2}};
	const PgQuery__Node *last;
	if (!tn || tn->n_names < 1 || tn->n_array_bounds > 0)
		return MT_UNKNOWN;
	last = tn->names[tn->n_names - 1];
	if (last->node_case != PG_QUERY__NODE__NODE_STRING)
		return MT_UNKNOWN;
	for (size_t i = 0; i < sizeof serials / sizeof serials[0]; i++)
		if (!strcmp(last->string->sval, serials[i].name))
			return serials[i].type;
	return MT_UNKNOWN;
}

/* 1 when name is taken by a table, a sequence or another new sequence of t. */
static int name_taken(const sql_ctx *c, const cat_table *t, const char *name)
{
	if (!strcmp(name, t->name) || (c->cat && (cat_table_lookup(c->cat, t->schema, name) ||
						  cat_view_lookup(c->cat, t->schema, name) ||
						  cat_seq_lookup_in(c->cat, t->schema, name))))
		return 1;
	for (int i = 0; i < t->nnew_seqs; i++)
		if (!strcmp(t->new_seqs[i].name, name))
			return 1;
	return 0;
}

/* PostgreSQL's <table>_<column>_seq, made unique with a number. */
static int owned_name(sql_ctx *c, const cat_table *t, const char *col, char *out, size_t n)
{
	char base[CAT_NAME_MAX - 12]; /* room for the number */
	snprintf(base, sizeof base, "%.24s_%.22s_seq", t->name, col);
	snprintf(out, n, "%s", base);
	for (int k = 1; k < SQL_SEQ_NAME_TRIES && name_taken(c, t, out); k++)
		snprintf(out, n, "%s%d", base, k);
	if (name_taken(c, t, out))
		return sql_err(c, SQLSTATE_DUPLICATE_TABLE, -1,
			       "could not choose a free sequence name for column \"%s\"", col);
	return MUR_OK;
}

/* A sequence as a regclass text literal: '"name"' in public, else
 * '"schema"."name"' (quoted, so a name with capitals resolves to itself:
 * catalog_seq.c reads it as PostgreSQL). */
static void regclass_text(mur_buf *b, const char *schema, const char *name)
{
	mur_buf quoted;
	mur_buf_init(&quoted);
	if (schema[0] && strcmp(schema, "public")) {
		sql_emit_ident(&quoted, schema);
		mur_buf_put_u8(&quoted, '.');
	}
	sql_emit_ident(&quoted, name);
	sql_emit_string(b, quoted.data, quoted.len);
	mur_buf_free(&quoted);
}

int sql_owned_sequence(sql_ctx *c, cat_table *t, int col, PgQuery__Node **opts, size_t nopts)
{
	cat_column *cc = &t->cols[col];
	cat_sequence *seqs = (cat_sequence *)t->new_seqs, *s;
	mur_buf b;
	if (cc->type != MT_INT2 && cc->type != MT_INT4 && cc->type != MT_INT8)
		return sql_err(c, SQLSTATE_INVALID_PARAMETER_VALUE, -1,
			       "identity column type must be smallint, integer, or bigint");
	if (cc->default_sql)
		return sql_err(c, "42601", -1,
			       "multiple default values specified for column \"%s\" of table "
			       "\"%s\"",
			       cc->name, t->name);
	if (!seqs && !(seqs = sql_alloc(c, sizeof *seqs * CAT_COLUMNS_MAX)))
		return MUR_ERR;
	t->new_seqs = seqs;
	s = &seqs[t->nnew_seqs];
	memset(s, 0, sizeof *s);
	if (seq_options(c, opts, nopts, cc->type, s) != MUR_OK ||
	    owned_name(c, t, cc->name, s->name, sizeof s->name) != MUR_OK)
		return MUR_ERR;
	s->owner_col = col;
	snprintf(s->schema, sizeof s->schema, "%s", t->schema); /* as PostgreSQL: its table's */
	t->nnew_seqs++;
	cc->not_null = 1;
	mur_buf_init(&b);
	mur_buf_printf(&b, "murphy_nextval(");
	regclass_text(&b, s->schema, s->name);
	mur_buf_printf(&b, ")");
	return (cc->default_sql = (char *)sql_buf_finish(c, &b)) ? MUR_OK : MUR_ERR;
}

int sql_nextval_default(sql_ctx *c, cat_column *col, const sql_expr *e)
{
	const sql_expr *a = e->nargs == 1 ? e->args[0] : NULL;
	mur_buf b;
	if (e->kind != SE_CALL || strcmp(e->op, "murphy_nextval") || !a || a->kind != SE_CONST ||
	    a->val.kind != MV_TEXT)
		return 0;
	if (c->cat && !cat_seq_resolve(c->cat, a->val.s, c->err))
		return -1; /* PostgreSQL resolves the regclass at CREATE TABLE: 42P01 */
	if (!mur_type_is_integer(col->type))
		return 0;
	mur_buf_init(&b);
	mur_buf_printf(&b, "murphy_nextval(");
	sql_emit_string(&b, a->val.s, a->val.len);
	mur_buf_printf(&b, ")");
	return (col->default_sql = (char *)sql_buf_finish(c, &b)) ? 1 : -1;
}

const char *sql_default_sequence(const cat_column *col, char *out, size_t n)
{
	static const char prefix[] = "murphy_nextval('";
	const char *p = col->default_sql;
	size_t k = 0;
	if (!p || strncmp(p, prefix, sizeof prefix - 1))
		return NULL;
	for (p += sizeof prefix - 1; *p && k + 1 < n; p++) {
		if (*p == '\'' && p[1] != '\'')
			break;
		if (*p == '\'')
			p++;
		out[k++] = *p;
	}
	out[k] = '\0';
	return *p == '\'' && !strcmp(p, "')") ? out : NULL;
}

int sql_default_volatile(const cat_column *col)
{
	return col->default_sql && strstr(col->default_sql, "murphy_") &&
	       (strstr(col->default_sql, "murphy_nextval(") ||
		strstr(col->default_sql, "murphy_setval("));
}
