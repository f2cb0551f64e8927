/*
 * lead_join.c — running a join of tables that are not co-located
 * (sql/plan_join.c plans it; docs/shuffle.md).
 *
 *   gate      every shard of every table read: wait out undecided writes
 *             and copies still reporting, as a co-located read does;
 *             at bounded and available, not while every shard has a copy
 *             within the level (lead_stale_now_node: the same choice and
 *             bound as a single table's read that does not wait; the
 *             answers checked by lead_stale_now_answered, a refusal
 *             starting the join over, up to its tries, then the gate)
 *   readers   each shard's copy: the one a read that does not wait picks,
 *             or after the gate lead_stale_node's (strong: lead_read_node)
 *   choose    murphy.join_strategy: 'repartition', 'broadcast', or 'auto'
 *             (default): broadcast when copying every table but tables[0]
 *             to every owner moves fewer rows than moving every table once
 *             (row counts from murphy.shards), and the plan allows it
 *   owners    repartition: every follower that can take parts; broadcast:
 *             the followers that read tables[0]'s shards (its rows stay,
 *             and with them the rows of the tables co-located with it
 *             that the plan marks join_stays: their shard s goes to the
 *             follower reading tables[0]'s shard s)
 *   tasks     a RECV per owner (its tables, shard_sql, partial aggregate,
 *             how many senders feed it), then a SEND per shard of every
 *             table: its side SQL, hashed by the join key to every owner
 *             (repartition), or to one follower (broadcast, tables[0] and
 *             the tables that stay with it)
 *             or copied to every owner (broadcast, the others)
 *   merge     the owners' rows as if they came from shards
 *             (lead_select_merge)
 *
 * A failed task cancels the owners' RECVs (lead_shuffle_new).
 */
#include "leader/lead_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t table_rows(const cat_table *t)
{
	uint64_t n = 0;
	for (uint32_t s = 0; s < t->nshards; s++)
		n += t->shards[s].rows;
	return n;
}

/* Broadcast: table slot i goes with tables[0]'s shards (tables[0] itself,
 * and the tables co-located with it that plan_join marked). */
static int stays(const plan_select *ps, int i) { return i == 0 || ps->join_stays[i]; }

int lead_join_broadcast_chosen(lead_run *r, const plan_select *ps)
{
	const char *v = lead_session_get(r->s, "murphy.join_strategy");
	uint32_t owners[EXEC_SHUFFLE_PARTS_MAX];
	uint64_t kept = 0, copied = 0;
	int n;

	if (!ps->join_broadcast_ok)
		return 0;
	if (!ps->join_repartition_ok || (v && !strcmp(v, "broadcast")))
		return 1;
	if (v && !strcmp(v, "repartition"))
		return 0;
	n = lead_shuffle_owners(r->e, owners);
	for (int i = 0; i < ps->ntables; i++)
		*(stays(ps, i) ? &kept : &copied) += table_rows(ps->tables[i]);
	/* rows over the network: broadcast copies the others to n-1 owners,
	 * copied (n-1); repartition moves (n-1)/n of every table */
	return n > 1 && copied * (uint64_t)n < kept + copied;
}

/* Undecided writes or reconciling copies on any shard read: wait (the run
 * is restarted with lead_select_start, which comes back here). */
static int gated(lead_run *r, const plan_select *ps)
{
	for (int i = 0; i < ps->ntables; i++) {
		const cat_table *t = ps->tables[i];
		for (uint32_t s = 0; s < t->nshards; s++) {
			if (lead_read_wait(r, t, s, NULL))
				return 1;
		}
	}
	return 0;
}

static int unreachable(lead_run *r, const cat_table *t, uint32_t s)
{
	mur_error err;
	mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
		      "no current copy of shard %u of table \"%s\" is reachable", s, t->name);
	mur_error_hint(&err, "check murphy.nodes and murphy.placements: the followers holding it "
			     "are down or still catching up");
	lead_reread_detail(r, t, s, &err);
	lead_run_fail(r, &err);
	return MUR_ERR;
}

/* Each shard of every table read by a copy within r's level without
 * waiting, with its bound; 0 when one has none (then read after the gate). */
static int pick_now(lead_run *r, const plan_select *ps, uint32_t *readers[], uint64_t *bounds[])
{
	for (int i = 0; i < ps->ntables; i++)
		for (uint32_t s = 0; s < ps->tables[i]->nshards; s++)
			if (!(readers[i][s] = lead_stale_now_node(r, ps->tables[i], s, 1,
								  &bounds[i][s])))
				return 0;
	return 1;
}

/* The follower reading each shard of every table after the gate, at r's
 * level, with its bound (lead_stale_node); 0 on failure (r failed). */
static int pick_readers(lead_run *r, const plan_select *ps, uint32_t *readers[], uint64_t *bounds[])
{
	lead_read_level level = lead_stale_level(r);
	memset(&r->stale, 0, sizeof r->stale);
	for (int i = 0; i < ps->ntables; i++)
		for (uint32_t s = 0; s < ps->tables[i]->nshards; s++) {
			/* a table that stays with tables[0] is read where tables[0]'s
			 * shard is, when that copy is current: its rows stay local */
			if (level == LEAD_READ_STRONG && i > 0 && ps->join_stays[i] &&
			    lead_current_on(r->e, ps->tables[i], s, readers[0][s])) {
				readers[i][s] = readers[0][s];
				continue;
			}
			if (!(readers[i][s] = lead_stale_node(r, ps->tables[i], s, level,
							      &bounds[i][s])))
				return unreachable(r, ps->tables[i], s), 0;
		}
	return 1;
}

static int owner_index(const lead_shuffle *sh, uint32_t node)
{
	for (int o = 0; o < sh->nowners; o++)
		if (sh->owners[o] == node)
			return o;
	return -1;
}

static void send_recvs(lead_run *r, const plan_select *ps, lead_shuffle *sh,
		       const uint32_t *expected)
{
	for (int o = 0; o < sh->nowners && !r->failed; o++) {
		exec_task t;
		memset(&t, 0, sizeof t);
		t.kind = EXEC_TASK_SHUFFLE_RECV;
		t.shuffle_id = sh->id;
		t.shuffle_inputs = expected[o];
		t.shuffle_stream = (uint32_t)ps->ntables;
		t.sql = ps->shard_sql;
		t.nparams = (uint32_t)r->nparams;
		t.params = r->params;
		t.has_agg = ps->has_partial_agg;
		if (ps->has_partial_agg)
			t.agg = ps->partial_agg;
		t.shuffle_ddl = ps->join_ddl;
		t.shuffle_load = ps->join_load;
		t.shuffle_post = ps->join_post;
		t.shuffle_merge = (uint32_t)ps->join_merge;
		t.shuffle_keys = ps->join_keys;
		if (r->stream) { /* a cursor's: each owner keeps it (lead_stream.c) */
			t.sql = ps->batch_head;
			t.has_agg = 0;
			t.shuffle_batch = lead_stream_batch_rows(r);
		}
		if (lead_run_send(r, sh->owners[o], r->stream ? (uint32_t)o : 0, 0, &t) == MUR_OK)
			lead_reread_mark(r); /* a lost owner: the join starts over */
	}
}

void lead_join_start(lead_run *r)
{
	const plan_select *ps = &r->p->u.select;
	uint32_t owners[EXEC_SHUFFLE_PARTS_MAX], expected[EXEC_SHUFFLE_PARTS_MAX] = {0};
	uint32_t *readers[PLAN_TABLES_MAX] = {0}, sources = 0, source = 0;
	uint64_t *bounds[PLAN_TABLES_MAX] = {0};
	char local_to[CAT_NAME_MAX];
	int broadcast, nowners = 0, now = 0;
	lead_shuffle *sh;
	mur_error err;

	for (int i = 0; i < ps->ntables; i++) {
		sources += ps->tables[i]->nshards;
		readers[i] = calloc(ps->tables[i]->nshards, sizeof *readers[i]);
		bounds[i] = calloc(ps->tables[i]->nshards, sizeof *bounds[i]);
		if (!readers[i] || !bounds[i]) {
			mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
			lead_run_fail(r, &err);
			goto out;
		}
	}
	/* bounded / available: no gate while every shard has a copy within
	 * the level */
	now = lead_stale_now_begin(r) && pick_now(r, ps, readers, bounds);
	if (!now && gated(r, ps)) {
		now = -1; /* resumed by lead_select_start */
		goto out;
	}
	broadcast = lead_join_broadcast_chosen(r, ps);
	if (!now && !pick_readers(r, ps, readers, bounds))
		goto out;
	if (broadcast) {
		/* owners: where tables[0]'s shards are read */
		for (uint32_t s = 0; s < ps->tables[0]->nshards; s++) {
			int seen = 0;
			for (int o = 0; o < nowners; o++)
				seen |= owners[o] == readers[0][s];
			if (!seen && nowners < EXEC_SHUFFLE_PARTS_MAX)
				owners[nowners++] = readers[0][s];
		}
	} else {
		nowners = lead_stale_owners(r, owners, lead_shuffle_owners(r->e, owners));
	}
	if (nowners == 0) {
		mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
			      "no follower can take part in the join");
		lead_run_fail(r, &err);
		goto out;
	}
	if (!(sh = lead_shuffle_new(r, owners, nowners,
				    broadcast ? "broadcast join (the others copied to every owner)"
					      : ps->join_key_desc)))
		goto out;
	for (int o = 0; o < nowners; o++)
		expected[o] = sources;
	for (int i = 0; broadcast && i < ps->ntables; i++)
		/* shard s of a table that stays goes to tables[0]'s shard s owner */
		for (uint32_t s = 0; stays(ps, i) && s < ps->tables[i]->nshards; s++) {
			for (int o = 0; o < nowners; o++)
				expected[o]--;
			expected[owner_index(sh, readers[0][s])]++;
		}
	send_recvs(r, ps, sh, expected);
	for (int i = 0; i < ps->ntables && !r->failed; i++)
		for (uint32_t s = 0; s < ps->tables[i]->nshards && !r->failed; s++) {
			exec_task t;
			memset(&t, 0, sizeof t);
			t.kind = EXEC_TASK_SHUFFLE_SEND;
			t.nplacements = 1;
			cat_placement_file(ps->tables[i], s, t.placements[0],
					   sizeof t.placements[0]);
			t.sql = ps->join_side_sql[i];
			if (ps->join_side_agg[i]) { /* counted by key before it moves */
				t.has_agg = 1;
				t.agg = *ps->join_side_agg[i];
			}
			t.nparams = (uint32_t)r->nparams;
			t.params = r->params;
			t.shuffle_id = sh->id;
			t.shuffle_source = source++;
			t.shuffle_inputs = sources;
			t.shuffle_stream = (uint32_t)i;
			t.shuffle_hash_cols = broadcast && !stays(ps, i) ? 0 : 1;
			t.shuffle_keys = ps->join_keys;
			t.shuffle_to = sh->to;
			if (broadcast && stays(ps, i)) {
				const cat_node *nd = cat_node_by_id(r->e->cat, readers[0][s]);
				snprintf(local_to, sizeof local_to, "%s", nd ? nd->addr : "?");
				t.shuffle_to = local_to;
			}
			lead_shuffle_send(r, readers[i][s], ps->tables[i], s, bounds[i][s], &t);
		}
	lead_shuffle_abort_if_failed(r);
out:
	for (int i = 0; i < ps->ntables; i++) {
		free(readers[i]);
		free(bounds[i]);
	}
	if (now >= 0)
		lead_run_wait(r, now ? lead_stale_now_answered : lead_select_merge);
}
