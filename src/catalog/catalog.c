/*
 * catalog.c — the leader's catalog: in-memory view plus durable store.
 *
 * Memory: `catalog` holds arrays of pointers to individually malloc'd
 * cat_table and cat_node objects, so pointers handed to the planner stay
 * valid until the object is dropped.
 *
 * Durability: when opened with a path, every mutation is written to the
 * catalog SQLite file (catalog_store.c) before memory changes, so a leader
 * killed at any point restarts with the last committed state.
 *
 * Placement policy: shard i of a table gets placements on followers
 * (i + k) mod F, k = 0 .. replicas-1, over the followers ordered by id.
 * Tables with equal shard counts are therefore co-located.  A reference
 * table's one shard is placed on every alive follower (replicas = F,
 * capped by CAT_REPLICAS_MAX).  A range table's shards are placed like a
 * hash table's; their bounds are catalog_range.c's.
 */
#include "catalog/catalog_int.h"
#include "catalog/catalog_fkey.h"

#include "common/fmt.h"
#include "common/log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void table_free(cat_table *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->ncols; i++)
		free(t->cols[i].default_sql);
	cat_stats_free(t);
	cat_range_free(t);
	cat_table_block_shape_free(t);
	free(t->shards);
	free(t);
}

static void add_column(cat_table *t, const char *name, mur_type type)
{
	cat_column *c = &t->cols[t->ncols++];
	memset(c, 0, sizeof *c);
	snprintf(c->name, sizeof c->name, "%s", name);
	c->type = type;
	c->typmod = -1;
}

static cat_table *virtual_table(uint32_t id, const char *name)
{
	cat_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->id = id;
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->schema, sizeof t->schema, "murphy");
	t->kind = CAT_TABLE_VIRTUAL;
	t->dist_col = -1;
	return t;
}

/* The counters murphy.shard_load and murphy.node_load share: over the
 * period ('10s', '5min', 'total' since the leader started). */
static void add_load_columns(cat_table *t)
{
	add_column(t, "period", MT_TEXT);
	add_column(t, "reads", MT_INT8);
	add_column(t, "writes", MT_INT8);
	add_column(t, "rows_read", MT_INT8);
	add_column(t, "rows_written", MT_INT8);
	add_column(t, "bytes_read", MT_INT8);
	add_column(t, "bytes_written", MT_INT8);
	add_column(t, "cpu_ms", MT_FLOAT8); /* the followers' CPU time on the tasks */
}

/* The murphy.* views: materialized by the leader (leader/lead_views.c) with
 * exactly these columns. */
static int add_virtual_tables(catalog *c)
{
	cat_table *t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 1, "nodes");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "name", MT_TEXT);
	add_column(t, "address", MT_TEXT);
	add_column(t, "role", MT_TEXT);
	add_column(t, "state", MT_TEXT);
	add_column(t, "last_heartbeat", MT_TIMESTAMPTZ);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 2, "shards");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "shard", MT_INT4);
	add_column(t, "hash_min", MT_INT8);
	add_column(t, "hash_max", MT_INT8);
	add_column(t, "node", MT_TEXT);
	add_column(t, "rows", MT_INT8);
	add_column(t, "range_min", MT_TEXT); /* range tables; NULL: unbounded */
	add_column(t, "range_max", MT_TEXT);
	add_column(t, "replication_factor", MT_INT4); /* replication/repl_health.c */
	add_column(t, "copies_current", MT_INT4);
	add_column(t, "under_replicated", MT_BOOL);
	add_column(t, "under_replicated_reason", MT_TEXT); /* NULL when at RF */
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 3, "placements");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "shard", MT_INT4);
	add_column(t, "node", MT_TEXT);
	add_column(t, "role", MT_TEXT);
	add_column(t, "applied_lsn", MT_INT8);
	add_column(t, "lag", MT_INT8);
	add_column(t, "state", MT_TEXT);
	add_column(t, "lag_entries", MT_INT8); /* = lag: committed entries it lacks */
	add_column(t, "lag_ms", MT_INT8);      /* since the first of them was decided */
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 4, "rebuilds");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "shard", MT_INT4);
	add_column(t, "source", MT_TEXT);
	add_column(t, "target", MT_TEXT);
	add_column(t, "replaces", MT_TEXT);
	add_column(t, "state", MT_TEXT);
	add_column(t, "phase", MT_TEXT);
	add_column(t, "bytes_done", MT_INT8);
	add_column(t, "bytes_total", MT_INT8);
	add_column(t, "started_at", MT_TIMESTAMPTZ);
	add_column(t, "elapsed_ms", MT_INT8);
	add_column(t, "error", MT_TEXT);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 5, "settings");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "name", MT_TEXT);
	add_column(t, "setting", MT_TEXT);
	add_column(t, "unit", MT_TEXT);
	add_column(t, "description", MT_TEXT);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 6, "query_stats");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "started_at", MT_TIMESTAMPTZ);
	add_column(t, "query", MT_TEXT);
	add_column(t, "strategy", MT_TEXT);
	add_column(t, "shards", MT_INT4);
	add_column(t, "rows", MT_INT8);
	add_column(t, "leader_rows", MT_INT8);
	add_column(t, "leader_bytes", MT_INT8);
	add_column(t, "shuffled_rows", MT_INT8);
	add_column(t, "shuffled_bytes", MT_INT8);
	add_column(t, "elapsed_ms", MT_FLOAT8);
	add_column(t, "error", MT_TEXT);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 7, "stats");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "column_name", MT_TEXT);
	add_column(t, "shards", MT_INT4);
	add_column(t, "rows", MT_INT8);
	add_column(t, "distinct_per_shard_avg", MT_FLOAT8);
	add_column(t, "distinct_max_shard", MT_INT8);
	add_column(t, "analyzed_at", MT_TIMESTAMPTZ);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 8, "ready");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "ready", MT_BOOL);
	add_column(t, "followers", MT_INT4);
	add_column(t, "shards_waiting", MT_INT4);
	add_column(t, "reason", MT_TEXT);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 9, "transactions"); /* replication/repl_lock.c */
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "txid", MT_INT8);
	add_column(t, "state", MT_TEXT);
	add_column(t, "shards", MT_INT4);
	add_column(t, "age_ms", MT_INT8);
	add_column(t, "waiting_for", MT_INT8);
	add_column(t, "pid", MT_INT4); /* the session's BackendKeyData pid (pg_backend_pid()) */
	add_column(t, "usename", MT_TEXT);
	add_column(t, "application_name", MT_TEXT);
	add_column(t, "participants", MT_TEXT); /* table:shard,... whose lock it holds */
	add_column(t, "nodes", MT_TEXT);        /* the followers holding their copies */
	add_column(t, "isolation", MT_TEXT);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 10, "locks");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "shard", MT_INT4);
	add_column(t, "node", MT_TEXT); /* the shard's primary */
	add_column(t, "txid", MT_INT8); /* NULL: an autocommit write waiting */
	add_column(t, "granted", MT_BOOL);
	add_column(t, "mode", MT_TEXT); /* exclusive, shared */
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 11, "transaction_outcomes"); /* txn_outcomes */
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "txid", MT_INT8);
	add_column(t, "outcome", MT_TEXT);
	add_column(t, "participants", MT_TEXT);
	add_column(t, "decided_at", MT_TIMESTAMPTZ);
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 12, "shard_load"); /* leader/lead_load.c */
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "shard", MT_INT4);
	add_column(t, "node", MT_TEXT);
	add_column(t, "role", MT_TEXT);
	add_load_columns(t);
	add_column(t, "disk_bytes", MT_INT8); /* the copy's files, as its follower last reported */
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 13, "node_load");
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "node", MT_TEXT);
	add_load_columns(t);
	add_column(t, "cpu_pct", MT_FLOAT8);  /* cpu_ms over the period's length, in % */
	add_column(t, "placements", MT_INT4); /* copies it holds */
	add_column(t, "primaries", MT_INT4);  /* of them, primaries */
	add_column(t, "disk_bytes", MT_INT8); /* its copies' files, as it last reported */
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 14, "moves"); /* replication/repl_move.c */
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "shard", MT_INT4);
	add_column(t, "source", MT_TEXT);
	add_column(t, "target", MT_TEXT);
	add_column(t, "phase", MT_TEXT); /* sizing, copying, switching, dropping, done */
	add_column(t, "bytes_done", MT_INT8);
	add_column(t, "bytes_total", MT_INT8);
	add_column(t, "rate_mbps", MT_FLOAT8); /* measured while copying */
	add_column(t, "eta_ms", MT_INT8);      /* time left (0 once switched) */
	add_column(t, "pause_ms", MT_FLOAT8);  /* writes waited at the switch */
	add_column(t, "state", MT_TEXT);       /* running, done, aborted */
	add_column(t, "error", MT_TEXT);
	add_column(t, "started_at", MT_TIMESTAMPTZ);
	add_column(t, "elapsed_ms", MT_INT8);
	add_column(t, "estimate_ms", MT_INT8); /* stated before the copy started */
	add_column(t, "kind", MT_TEXT);        /* move, split (replication/repl_split.c) */
	add_column(t, "new_shard", MT_INT4);   /* a split: the shard it made; NULL: a move */
	add_column(t, "reason", MT_TEXT);      /* started by the leader itself: why; NULL: a call */
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 15, "rebalance_plan"); /* repl_rebalance.c */
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "step", MT_INT4);
	add_column(t, "table_name", MT_TEXT);
	add_column(t, "shard", MT_INT4);
	add_column(t, "source", MT_TEXT);
	add_column(t, "target", MT_TEXT);
	add_column(t, "tables", MT_INT4);        /* co-located tables moving together */
	add_column(t, "source_copies", MT_INT4); /* before the step */
	add_column(t, "target_copies", MT_INT4);
	add_column(t, "bytes_estimate", MT_INT8); /* the source's disk bytes per copy */
	add_column(t, "eta_ms", MT_INT8);
	add_column(t, "reason", MT_TEXT);    /* copies or load */
	add_column(t, "load_ms", MT_FLOAT8); /* the copy's share of its shard's CPU, 5 min */
	c->tables[c->ntables++] = t;

	t = virtual_table(CAT_VIRTUAL_ID_BASE + 16, "sequences"); /* catalog_seq.c */
	if (!t)
		return MUR_ENOMEM;
	add_column(t, "name", MT_TEXT);
	add_column(t, "data_type", MT_TEXT);
	add_column(t, "start_value", MT_INT8);
	add_column(t, "min_value", MT_INT8);
	add_column(t, "max_value", MT_INT8);
	add_column(t, "increment_by", MT_INT8);
	add_column(t, "cycle", MT_BOOL);
	add_column(t, "cache_size", MT_INT8);
	add_column(t, "last_value", MT_INT8); /* NULL before the first nextval */
	add_column(t, "owned_by", MT_TEXT);   /* table.column of a SERIAL / IDENTITY; NULL */
	c->tables[c->ntables++] = t;
	return MUR_OK;
}

catalog *cat_open(const char *path, mur_error *err) { return cat_open_vfs(path, NULL, err); }

catalog *cat_open_vfs(const char *path, const char *vfs, mur_error *err)
{
	catalog *c = calloc(1, sizeof *c);
	if (!c) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory opening the catalog");
		return NULL;
	}
	c->next_table_id = 1;
	c->next_node_id = 1;
	c->next_seq_id = 1;
	if (add_virtual_tables(c) != MUR_OK) {
		mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory opening the catalog");
		cat_close(c);
		return NULL;
	}
	if (path &&
	    (cat_store_open(c, path, vfs, err) != MUR_OK ||
	     cat_decision_log_replay(c, err) != MUR_OK || cat_alter_resolve(c, err) != MUR_OK)) {
		cat_close(c);
		return NULL;
	}
	return c;
}

void cat_close(catalog *c)
{
	if (!c)
		return;
	cat_store_close(c);
	cat_seq_free_all(c);
	cat_views_free(c);
	cat_comments_free(c);
	cat_indexes_free(c);
	cat_roles_free(c);
	free(c->fkeys);
	for (int i = 0; i < c->ntables; i++)
		table_free(c->tables[i]);
	for (int i = 0; i < c->nnodes; i++)
		free(c->nodes[i]);
	free(c);
}

int cat_table_visible_to(const cat_table *t, uint64_t txid)
{
	return (!t->dropped || t->dropped != txid) && (!t->pending_txid || t->pending_txid == txid);
}

void cat_set_viewer(catalog *c, int viewing, uint64_t txid)
{
	c->viewing = viewing;
	c->viewer = txid;
	c->shape_seen = c->share_seen = 0;
	c->share_seen_table = 0;
}

const cat_table *cat_table_lookup(const catalog *c, const char *schema, const char *name)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *want = schema ? schema : (pass == 0 ? "public" : "murphy");
		for (int i = 0; i < c->ntables; i++) {
			const cat_table *t = cat_table_viewed(c, c->tables[i]);
			if (c->viewing ? !cat_table_visible_to(t, c->viewer) : t->dropped != 0)
				continue;
			if (strcmp(t->name, name) == 0 && strcmp(t->schema, want) == 0) {
				cat_block_shape_seen(c, t);
				return t;
			}
		}
		if (schema)
			break;
	}
	return NULL;
}

int cat_column_index(const cat_table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return i;
	return -1;
}

int cat_check_index(const cat_table *t, const char *name)
{
	for (int i = 0; i < t->nchecks; i++)
		if (strcmp(t->checks[i].name, name) == 0)
			return i;
	return -1;
}

uint32_t cat_shard_for_hash32(uint32_t nshards, uint32_t hash32)
{
	return (uint32_t)(((uint64_t)hash32 * nshards) >> 32);
}

uint32_t cat_shard_for_value(const cat_table *t, const mur_value *v)
{
	if (cat_table_is_range(t))
		return cat_range_shard_for_value(t, v);
	return cat_hash_shard_for(t,
				  (uint32_t)(mur_value_hash_typed(t->cols[t->dist_col].type, v) >>
					     32));
}

void cat_placement_file(const cat_table *t, uint32_t shard, char *out, size_t outsz)
{
	uint32_t gen = shard < t->nshards && t->shards ? t->shards[shard].gen : 0;
	mur_cat c; /* "t%u_s%ug%u.db" without stdio: one per task the leader sends */
	mur_cat_init(&c, out, outsz);
	mur_cat_mem(&c, "t", 1);
	mur_cat_u64(&c, t->id);
	mur_cat_mem(&c, "_s", 2);
	mur_cat_u64(&c, shard);
	if (gen) {
		mur_cat_mem(&c, "g", 1);
		mur_cat_u64(&c, gen);
	}
	mur_cat_mem(&c, ".db", 3);
}

/* The digits at *p as a uint32 (no sign, no blank), *p moved past them;
 * 0 when there are none or too many. */
static int placement_number(const char **p, unsigned *out)
{
	uint64_t v = 0;
	const char *q = *p;
	if (*q < '0' || *q > '9')
		return 0;
	for (; *q >= '0' && *q <= '9'; q++)
		if ((v = v * 10 + (uint64_t)(*q - '0')) > UINT32_MAX)
			return 0;
	*out = (unsigned)v;
	*p = q;
	return 1;
}

/* By hand, not sscanf: the leader parses the file of every task it sends
 * (its load accounting, lead_load.c), a point SELECT's included. */
int cat_placement_parse(const char *file, uint32_t *table_id, uint32_t *shard, uint32_t *gen)
{
	unsigned tid, sh, g = 0;
	const char *p = file;
	if (*p++ != 't' || !placement_number(&p, &tid) || *p++ != '_' || *p++ != 's' ||
	    !placement_number(&p, &sh))
		return MUR_ERR;
	if (*p == 'g') {
		p++;
		if (!placement_number(&p, &g) || g == 0)
			return MUR_ERR;
	}
	if (strcmp(p, ".db") != 0)
		return MUR_ERR;
	*table_id = tid;
	*shard = sh;
	*gen = g;
	return MUR_OK;
}

int cat_node_count(const catalog *c) { return c->nnodes; }
uint64_t cat_version(const catalog *c) { return c->version; }
const cat_node *cat_node_at(const catalog *c, int i) { return c->nodes[i]; }
int cat_table_count(const catalog *c) { return c->ntables; }
const cat_table *cat_table_at(const catalog *c, int i) { return cat_table_viewed(c, c->tables[i]); }

const cat_node *cat_node_by_id(const catalog *c, uint32_t id)
{
	for (int i = 0; i < c->nnodes; i++)
		if (c->nodes[i]->id == id)
			return c->nodes[i];
	return NULL;
}

const char *cat_placement_state_name(cat_placement_state st)
{
	static const char *const names[CAT_PL_STATES] = {"current", "lagging", "divergent",
							 "rebuilding"};
	return (unsigned)st < CAT_PL_STATES ? names[st] : "?";
}

/* ---- the placement state machine (diagram in catalog.h) ---- */

#define P(s) (1u << CAT_PL_##s)
/* pl_allowed[from]: the states `from` may go to */
static const unsigned pl_allowed[CAT_PL_STATES] = {
	[CAT_PL_CURRENT] = P(LAGGING) | P(DIVERGENT),
	[CAT_PL_LAGGING] = P(CURRENT) | P(DIVERGENT) | P(REBUILDING),
	[CAT_PL_DIVERGENT] = P(CURRENT) | P(LAGGING) | P(REBUILDING),
	[CAT_PL_REBUILDING] = P(CURRENT) | P(LAGGING) | P(DIVERGENT),
};
#undef P

int cat_placement_transition_allowed(cat_placement_state from, cat_placement_state to)
{
	if ((unsigned)from >= CAT_PL_STATES || (unsigned)to >= CAT_PL_STATES)
		return 0;
	return (pl_allowed[from] >> to) & 1u;
}

void cat_placement_set_state(cat_placement *p, cat_placement_state to)
{
	if (p->state == to)
		return;
	if (!cat_placement_transition_allowed(p->state, to))
		MLOG(ERROR, "catalog", "placement on node %u: no transition %s -> %s", p->node_id,
		     cat_placement_state_name(p->state), cat_placement_state_name(to));
	assert(cat_placement_transition_allowed(p->state, to));
	p->state = to;
}

const char *cat_node_name(const catalog *c, uint32_t id)
{
	const cat_node *n = cat_node_by_id(c, id);
	return n ? n->name : "?";
}

cat_placement *cat_placement_on(cat_shard *s, uint32_t node_id)
{
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].node_id == node_id)
			return &s->placements[k];
	return NULL;
}

/* Alive followers ordered by id (nodes[] is kept in id order): a new
 * table's copies go only where they can be created now. */
static int followers(const catalog *c, uint32_t *ids)
{
	int n = 0;
	for (int i = 0; i < c->nnodes; i++)
		if (c->nodes[i]->role == CAT_NODE_FOLLOWER && c->nodes[i]->state == CAT_NODE_ALIVE)
			ids[n++] = c->nodes[i]->id;
	return n;
}

/* Fill hash ranges and placements of a new table. */
static void assign_shards(const catalog *c, cat_table *t)
{
	uint32_t fids[CAT_NODES_MAX];
	int nf = followers(c, fids);
	int replicas = t->replicas > nf ? nf : t->replicas;

	for (uint32_t i = 0; i < t->nshards; i++) {
		cat_shard *s = &t->shards[i];
		s->index = i;
		/* ceil(i * 2^32 / N): the smallest hash cat_shard_for_hash32 maps to i;
		 * a range table has no hash ranges (catalog_range.c) */
		if (!cat_table_is_range(t)) {
			s->hash_min = (uint32_t)((((uint64_t)i << 32) + t->nshards - 1) /
						 t->nshards);
			s->hash_max = (uint32_t)(((((uint64_t)(i + 1) << 32) + t->nshards - 1) /
						  t->nshards) -
						 1);
		}
		s->nplacements = replicas;
		for (int k = 0; k < replicas; k++) {
			s->placements[k].node_id = fids[(i + (uint32_t)k) % (uint32_t)nf];
			s->placements[k].role = k == 0 ? CAT_PRIMARY : CAT_REPLICA;
			s->placements[k].applied_lsn = 0;
		}
	}
}

int cat_create_table(catalog *c, const cat_table *def, const cat_table **out, mur_error *err)
{
	return cat_create_table_pending(c, def, 0, out, err);
}

int cat_create_table_pending(catalog *c, const cat_table *def, uint64_t txid, const cat_table **out,
			     mur_error *err)
{
	cat_table *t;
	cat_sequence *owned;

	const char *schema = def->schema[0] ? def->schema : "public";
	if (cat_table_lookup(c, schema, def->name) ||
	    (!strcmp(schema, "public") && cat_seq_lookup(c, def->name)) ||
	    cat_view_lookup(c, schema, def->name))
		return mur_error_set(err, SQLSTATE_DUPLICATE_TABLE,
				     "relation \"%s\" already exists", def->name);
	if (c->ntables >= CAT_TABLES_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many tables (limit %d)", CAT_TABLES_MAX);
	t = calloc(1, sizeof *t);
	if (!t)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	*t = *def;
	t->shards = NULL; /* def->shards carries a range table's bounds only */
	t->range_order = NULL;
	t->analyzed_ms = 0; /* statistics come from ANALYZE only */
	t->col_analyzed_ms = NULL;
	t->pending_txid = txid;
	t->dropped = 0;
	for (int i = 0; i < t->ncols; i++)
		t->cols[i].default_sql = def->cols[i].default_sql ? strdup(def->cols[i].default_sql)
								  : NULL;
	t->id = c->next_table_id++;
	if (!t->schema[0])
		snprintf(t->schema, sizeof t->schema, "public");
	t->kind = CAT_TABLE_DISTRIBUTED;
	if (t->nshards == 0)
		t->nshards = CAT_DEFAULT_SHARDS;
	if (t->replicas <= 0)
		t->replicas = CAT_DEFAULT_REPLICAS;
	if (cat_table_is_reference(t)) {
		/* one shard, a copy on every follower that can take one now */
		uint32_t fids[CAT_NODES_MAX];
		int nf = followers(c, fids);
		t->nshards = 1;
		t->replicas = nf < CAT_REPLICAS_MAX ? nf : CAT_REPLICAS_MAX;
	}
	if (cat_table_is_range(t) && !def->shards)
		t->nshards = 1; /* one shard covering every value until it is split */
	t->shards = calloc(t->nshards, sizeof *t->shards);
	if (!t->shards) {
		table_free(t);
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	if (cat_table_is_range(t) && cat_range_init(t, def->shards, err) != MUR_OK) {
		table_free(t);
		c->next_table_id--;
		return MUR_ERR;
	}
	assign_shards(c, t);
	owned = cat_seq_prepare_owned(c, t, err);
	t->new_seqs = owned;
	if ((t->nnew_seqs && !owned) || (c->store && cat_store_put_table(c, t, err) != MUR_OK) ||
	    cat_seq_add_owned(c, t, err) != MUR_OK) {
		c->next_table_id--;
		free(owned);
		table_free(t);
		return MUR_ERR;
	}
	free(owned);
	t->new_seqs = NULL;
	t->nnew_seqs = 0;
	c->tables[c->ntables++] = t;
	c->version++;
	if (out)
		*out = t;
	return MUR_OK;
}

/* Add an already-complete table (from the store at open). */
int cat_insert_loaded_table(catalog *c, cat_table *t)
{
	if (c->ntables >= CAT_TABLES_MAX)
		return MUR_ERR;
	c->tables[c->ntables++] = t;
	if (t->id >= c->next_table_id)
		c->next_table_id = t->id + 1;
	return MUR_OK;
}

static int drop_at(catalog *c, int i, mur_error *err)
{
	cat_table *t = c->tables[i];
	/* the planner refused a drop without CASCADE while views read it */
	if (cat_view_drop_dependents(c, t->id, err) != MUR_OK ||
	    cat_fkey_drop_table(c, t->id, err) != MUR_OK) /* its keys and those to it */
		return MUR_ERR;
	if (c->store && cat_store_delete_table(c, t->id, err) != MUR_OK)
		return MUR_ERR;
	cat_seq_forget_owned(c, t->id); /* the store dropped their rows with the table's */
	cat_grants_forget_table(c, t->id);
	cat_indexes_forget_table(c, t->id);
	cat_comments_forget(c, CAT_COMMENT_RELATION, t->id);
	cat_comments_forget(c, CAT_COMMENT_CONSTRAINT, t->id);
	table_free(t);
	memmove(&c->tables[i], &c->tables[i + 1],
		(size_t)(c->ntables - i - 1) * sizeof c->tables[0]);
	c->ntables--;
	c->version++;
	return MUR_OK;
}

int cat_drop_table(catalog *c, const char *name, mur_error *err)
{
	for (int i = 0; i < c->ntables; i++) {
		const cat_table *t = c->tables[i];
		if (strcmp(t->name, name) == 0 && t->kind == CAT_TABLE_DISTRIBUTED && !t->dropped)
			return drop_at(c, i, err);
	}
	return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table \"%s\" does not exist", name);
}

int cat_drop_table_id(catalog *c, uint32_t table_id, mur_error *err)
{
	for (int i = 0; i < c->ntables; i++)
		if (c->tables[i]->id == table_id && c->tables[i]->kind == CAT_TABLE_DISTRIBUTED)
			return drop_at(c, i, err);
	return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table %u does not exist", table_id);
}

int cat_table_pending_release(catalog *c, uint32_t table_id, mur_error *err)
{
	return c->store ? cat_store_pending_clear(c, table_id, err) : MUR_OK;
}

void cat_table_publish(catalog *c, uint32_t table_id)
{
	cat_table *t = cat_table_by_id(c, table_id);
	if (t && t->pending_txid) {
		t->pending_txid = 0;
		c->version++; /* other sessions' plans that missed it are stale */
	}
}

void cat_table_set_dropped(catalog *c, uint32_t table_id, uint64_t txid)
{
	cat_table *t = cat_table_by_id(c, table_id);
	if (t && t->dropped != txid) {
		t->dropped = txid;
		c->version++;
	}
}

int cat_table_set_primary_key(catalog *c, uint32_t table_id, const int *cols, int ncols,
			      mur_error *err)
{
	cat_table *t = cat_table_by_id(c, table_id);
	if (!t || t->kind != CAT_TABLE_DISTRIBUTED)
		return mur_error_set(err, SQLSTATE_UNDEFINED_TABLE, "table %u does not exist",
				     table_id);
	for (int i = 0; i < ncols; i++)
		if (cols[i] < 0 || cols[i] >= t->ncols)
			return mur_error_set(err, SQLSTATE_INVALID_PARAMETER_VALUE,
					     "table \"%s\" has no column %d", t->name, cols[i]);
	if (c->store && cat_store_put_primary_key(c, table_id, cols, ncols, err) != MUR_OK)
		return MUR_ERR;
	for (int i = 0; i < ncols; i++)
		t->cols[cols[i]].primary_key = 1;
	c->version++;
	return MUR_OK;
}

static cat_node *node_by_name(catalog *c, const char *name)
{
	for (int i = 0; i < c->nnodes; i++)
		if (strcmp(c->nodes[i]->name, name) == 0)
			return c->nodes[i];
	return NULL;
}

int cat_upsert_node(catalog *c, const char *name, const char *addr, cat_node_role role,
		    const cat_node **out, mur_error *err)
{
	cat_node *n = node_by_name(c, name);
	int is_new = n == NULL;

	if (is_new) {
		if (c->nnodes >= CAT_NODES_MAX)
			return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
					     "too many nodes (limit %d)", CAT_NODES_MAX);
		n = calloc(1, sizeof *n);
		if (!n)
			return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		n->id = c->next_node_id++;
		snprintf(n->name, sizeof n->name, "%s", name);
	}
	snprintf(n->addr, sizeof n->addr, "%s", addr);
	n->role = role;
	if (c->store && cat_store_put_node(c, n, err) != MUR_OK) {
		if (is_new) {
			c->next_node_id--;
			free(n);
		}
		return MUR_ERR;
	}
	if (is_new)
		c->nodes[c->nnodes++] = n;
	if (out)
		*out = n;
	return MUR_OK;
}

int cat_insert_loaded_node(catalog *c, cat_node *n)
{
	if (c->nnodes >= CAT_NODES_MAX)
		return MUR_ERR;
	c->nodes[c->nnodes++] = n;
	if (n->id >= c->next_node_id)
		c->next_node_id = n->id + 1;
	return MUR_OK;
}

void cat_node_set_state(catalog *c, uint32_t node_id, cat_node_state st, int64_t heartbeat_ms)
{
	cat_node *n = (cat_node *)cat_node_by_id(c, node_id);
	if (!n)
		return;
	n->state = st;
	if (heartbeat_ms)
		n->last_heartbeat_ms = heartbeat_ms;
}

void cat_node_set_disk_bytes(catalog *c, uint32_t node_id, uint64_t bytes)
{
	cat_node *n = (cat_node *)cat_node_by_id(c, node_id);
	if (n)
		n->disk_bytes = bytes;
}

/* The table whose id is id, or NULL.  The memo's hint first: the
 * replication path looks a shard's table up ~80 times per TPC-B
 * transaction, each a scan past the murphy.* virtual tables first. */
static cat_table *table_by_id(catalog *c, uint32_t id)
{
	uint16_t *hint = &c->table_memo[id % CAT_TABLE_MEMO];
	_Static_assert(CAT_TABLES_MAX <= UINT16_MAX, "an index of tables[] fits the memo");
	if (*hint < c->ntables && c->tables[*hint]->id == id)
		return c->tables[*hint];
	for (int i = 0; i < c->ntables; i++)
		if (c->tables[i]->id == id) {
			*hint = (uint16_t)i;
			return c->tables[i];
		}
	return NULL;
}

void cat_node_files_begin(catalog *c, uint32_t node_id)
{
	for (int i = 0; i < c->ntables; i++) {
		cat_table *t = c->tables[i];
		for (uint32_t sh = 0; t->shards && sh < t->nshards; sh++) {
			cat_placement *p = cat_placement_on(&t->shards[sh], node_id);
			if (p)
				p->file_bytes = 0;
		}
	}
}

void cat_node_file_bytes(catalog *c, uint32_t node_id, const char *file, uint64_t bytes)
{
	uint32_t tid, sh, gen;
	cat_table *t;
	cat_placement *p;
	if (cat_placement_parse(file, &tid, &sh, &gen) != MUR_OK || !(t = table_by_id(c, tid)) ||
	    !t->shards || sh >= t->nshards || t->shards[sh].gen != gen ||
	    !(p = cat_placement_on(&t->shards[sh], node_id)))
		return;
	p->file_bytes = bytes;
}

cat_table *cat_table_by_id(catalog *c, uint32_t id) { return table_by_id(c, id); }

static cat_shard *shard_of(catalog *c, uint32_t table_id, uint32_t shard, mur_error *err)
{
	cat_table *t = table_by_id(c, table_id);
	if (!t || shard >= t->nshards) {
		mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT, "no shard %u of table %u", shard,
			      table_id);
		return NULL;
	}
	return &t->shards[shard];
}

int cat_placement_add(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
		      cat_placement_role role, mur_error *err)
{
	cat_shard *s = shard_of(c, table_id, shard, err);
	cat_placement *p;
	if (!s)
		return MUR_ERR;
	for (int k = 0; k < s->nplacements; k++)
		if (s->placements[k].node_id == node_id)
			return mur_error_set(err, SQLSTATE_DUPLICATE_OBJECT,
					     "shard %u already has a placement on node %u", shard,
					     node_id);
	if (s->nplacements >= CAT_REPLICAS_MAX)
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED, "too many placements");
	if (c->store &&
	    cat_store_put_placement(c, table_id, shard, node_id, role, 0, err) != MUR_OK)
		return MUR_ERR;
	p = &s->placements[s->nplacements++];
	memset(p, 0, sizeof *p);
	p->node_id = node_id;
	p->role = role;
	p->state = CAT_PL_REBUILDING;
	return MUR_OK;
}

int cat_placement_remove(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
			 mur_error *err)
{
	cat_shard *s = shard_of(c, table_id, shard, err);
	if (!s)
		return MUR_ERR;
	for (int k = 0; k < s->nplacements; k++) {
		if (s->placements[k].node_id != node_id)
			continue;
		if (c->store &&
		    cat_store_delete_placement(c, table_id, shard, node_id, err) != MUR_OK)
			return MUR_ERR;
		memmove(&s->placements[k], &s->placements[k + 1],
			(size_t)(s->nplacements - k - 1) * sizeof s->placements[0]);
		s->nplacements--;
		return MUR_OK;
	}
	return MUR_OK;
}

int cat_shard_set_primary(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
			  mur_error *err)
{
	cat_shard *s = shard_of(c, table_id, shard, err);
	int found = 0;
	if (!s)
		return MUR_ERR;
	for (int k = 0; k < s->nplacements; k++)
		found |= s->placements[k].node_id == node_id;
	if (!found)
		return mur_error_set(err, SQLSTATE_UNDEFINED_OBJECT,
				     "node %u holds no copy of shard %u", node_id, shard);
	for (int k = 0; k < s->nplacements; k++) {
		cat_placement_role role = s->placements[k].node_id == node_id ? CAT_PRIMARY
									      : CAT_REPLICA;
		if (c->store &&
		    cat_store_put_placement(c, table_id, shard, s->placements[k].node_id, role,
					    s->placements[k].applied_lsn, err) != MUR_OK)
			return MUR_ERR;
		s->placements[k].role = role;
	}
	return MUR_OK;
}

void cat_placement_set_lsn(catalog *c, uint32_t table_id, uint32_t shard, uint32_t node_id,
			   uint64_t lsn)
{
	cat_table *t = table_by_id(c, table_id);
	if (!t || shard >= t->nshards)
		return;
	for (int k = 0; k < t->shards[shard].nplacements; k++) {
		cat_placement *p = &t->shards[shard].placements[k];
		if (p->node_id == node_id && lsn > p->applied_lsn) {
			p->applied_lsn = lsn;
			c->lsn_dirty = 1;
		}
	}
}

void cat_shard_set_rows(catalog *c, uint32_t table_id, uint32_t shard, uint64_t rows)
{
	cat_table *t = table_by_id(c, table_id);
	if (t && shard < t->nshards && t->shards[shard].rows != rows) {
		t->shards[shard].rows = rows;
		c->lsn_dirty = 1; /* persisted with the LSNs (cat_flush_lsns) */
	}
}

/* Persist every placement's applied LSN in one transaction.  Called by the
 * leader on a timer and at shutdown, so the write path does not pay a
 * catalog fsync per statement. */
void cat_flush_lsns(catalog *c)
{
	if (!c->store || !c->lsn_dirty)
		return;
	sqlite3_exec(c->store, "BEGIN", NULL, NULL, NULL);
	for (int i = 0; i < c->ntables; i++) {
		const cat_table *t = c->tables[i];
		if (t->kind != CAT_TABLE_DISTRIBUTED)
			continue;
		for (uint32_t s = 0; s < t->nshards; s++) {
			cat_store_put_shard_rows(c, t->id, s, t->shards[s].rows);
			for (int k = 0; k < t->shards[s].nplacements; k++)
				cat_store_put_placement_lsn(c, t->id, s,
							    t->shards[s].placements[k].node_id,
							    t->shards[s].placements[k].applied_lsn);
		}
	}
	sqlite3_exec(c->store, "COMMIT", NULL, NULL, NULL);
	c->lsn_dirty = 0;
}
