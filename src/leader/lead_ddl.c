/*
 * lead_ddl.c — CREATE TABLE, DROP TABLE, CREATE INDEX, DROP INDEX.
 *
 * CREATE TABLE writes the table to the catalog (durably: shards and
 * placements are chosen there), then creates every placement file on its
 * follower with the shard DDL.  If any placement fails, the placements are
 * dropped again and the table leaves the catalog, so a failed CREATE
 * leaves nothing behind that a later CREATE would trip over.
 *
 * CREATE INDEX and DROP INDEX run their DDL on every placement; CREATE
 * INDEX first waits (parked, as DROP TABLE) until no write to the table is
 * still reaching a copy, so every copy indexes the same rows.  ALTER
 * TABLE ADD PRIMARY KEY / UNIQUE is a CREATE UNIQUE INDEX (sql/plan_ddl.c)
 * with two more steps: when a placement fails (duplicates: 23505), the
 * index is dropped from every placement again (undo_ddl) and the error
 * says which key was duplicated; when all succeed, a primary key's
 * columns are marked in the catalog (cat_table_set_primary_key).
 *
 * DROP TABLE deletes the placement files on the followers that are
 * connected, then removes the table from the catalog; files on a follower
 * that was away are orphans it can delete (logged).
 *
 * ALTER TABLE that changes the table's shape (sql/plan_alter.c): the
 * shards' DDL goes through the write path as a DDL entry of each shard's
 * log, all in one transaction even on one shard; the catalog notes the
 * intent before (catalog_alter.c) and takes the shape once the
 * transaction committed (lead_run.txn_ended), so a leader that stops in
 * between finds the shape its transaction's outcome says.  Only the
 * catalog changes for SET / DROP DEFAULT.  In a block (no savepoint
 * open; lead_ddltxn.c) the entries join the block's transaction: a table
 * the same block created takes the shape when they are done (a rollback
 * drops the table); one that existed before keeps the old shape in the
 * catalog, with the intent naming the block, and the block alone sees the
 * new one (cat_table_block_shape_set) until its end takes or drops it.
 *
 * CREATE / DROP SEQUENCE change the catalog only (catalog_seq.c); IF NOT
 * EXISTS / IF EXISTS answer with PostgreSQL's notices.
 *
 * In a transaction block (lead_ddltxn.c): CREATE TABLE makes the table
 * pending for the block (hidden from other sessions: lead_ddl_lookup and
 * the planner see the catalog as the session's block does), CREATE INDEX
 * is remembered (others' writes to its table wait for the block's end),
 * and DROP TABLE only hides the table from the block until the COMMIT
 * (others naming it wait); the block's rollback undoes them.
 */
#include "leader/lead_int.h"

#include "catalog/catalog_fkey.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void send_placement_task(lead_run *r, const cat_table *t, uint32_t shard, int k,
				exec_task_kind kind, const char *sql)
{
	const cat_placement *pl = &t->shards[shard].placements[k];
	exec_task task;
	memset(&task, 0, sizeof task);
	task.kind = kind;
	task.nplacements = 1;
	cat_placement_file(t, shard, task.placements[0], sizeof task.placements[0]);
	task.sql = sql ? sql : "";
	lead_run_send(r, pl->node_id, shard, pl->role == CAT_PRIMARY, &task);
}

void lead_ddl_send_all(lead_run *r, const cat_table *t, exec_task_kind kind, const char *sql)
{
	for (uint32_t s = 0; s < t->nshards; s++)
		for (int k = 0; k < t->shards[s].nplacements; k++)
			if (r->e->tr.connected(r->e->tr.ctx, t->shards[s].placements[k].node_id))
				send_placement_task(r, t, s, k, kind, sql);
}

const cat_table *lead_ddl_lookup(const lead_run *r, const char *schema, const char *name)
{
	const cat_table *t;
	cat_set_viewer(r->e->cat, 1, r->s->txid); /* a table the block altered: its shape */
	t = cat_table_lookup(r->e->cat, schema, name);
	cat_set_viewer(r->e->cat, 0, 0);
	return t && cat_table_visible_to(t, r->s->txid) ? t : NULL;
}

static void create_rollback_done(lead_run *r)
{
	mur_error err = r->err;
	const cat_table *t = lead_ddl_lookup(r, r->p->u.create_table.def->schema,
					     r->p->u.create_table.def->name);
	if (t)
		(void)cat_drop_table_id(r->e->cat, t->id, &err);
	lead_run_finish(r);
}

static void create_done(lead_run *r)
{
	const cat_table *t = cat_table_lookup(r->e->cat, r->p->u.create_table.def->schema,
					      r->p->u.create_table.def->name);
	lead_ddltxn_check_block(r); /* the block ended while it ran: undone */
	if (r->failed && t) {
		/* undo: drop whatever placements were created, then the catalog entry */
		mur_error keep = r->err;
		for (int i = 0; i < r->ntasks; i++)
			exec_result_free(&r->tasks[i].res);
		r->ntasks = 0;
		r->failed = 0;
		lead_ddl_send_all(r, t, EXEC_TASK_DROP, NULL);
		r->failed = 1;
		r->err = keep;
		lead_run_wait(r, create_rollback_done);
		return;
	}
	if (t)
		for (int i = 0; i < r->ntasks; i++)
			if (!r->tasks[i].res.failed)
				cat_placement_set_lsn(r->e->cat, t->id, r->tasks[i].shard,
						      r->tasks[i].node_id, r->tasks[i].res.lsn);
	if (t)
		lead_ddltxn_record(r, LEAD_DDL_CREATED_TABLE, t, NULL);
	snprintf(r->res->tag, sizeof r->res->tag, "CREATE TABLE");
	lead_run_finish(r);
}

static int count_connected_followers(lead_engine *e)
{
	int n = 0;
	for (int i = 0; i < cat_node_count(e->cat); i++) {
		const cat_node *nd = cat_node_at(e->cat, i);
		if (nd->role == CAT_NODE_FOLLOWER && e->tr.connected(e->tr.ctx, nd->id))
			n++;
	}
	return n;
}

void lead_create_table_start(lead_run *r)
{
	const plan_create_table *pc = &r->p->u.create_table;
	const cat_table *t;
	uint32_t all[CAT_SHARDS_MAX];
	mur_error err;

	if (lead_ddl_lookup(r, pc->def->schema, pc->def->name)) {
		if (pc->if_not_exists) {
			pgw_result_add_notice(r->res, "relation \"%s\" already exists, skipping",
					      pc->def->name);
			snprintf(r->res->tag, sizeof r->res->tag, "CREATE TABLE");
		} else {
			mur_error_set(&err, SQLSTATE_DUPLICATE_TABLE,
				      "relation \"%s\" already exists", pc->def->name);
			lead_run_fail(r, &err);
		}
		lead_run_finish(r);
		return;
	}
	if (count_connected_followers(r->e) == 0) {
		mur_error_set(&err, SQLSTATE_CONNECTION_FAILURE,
			      "cannot create table \"%s\": no follower is connected",
			      pc->def->name);
		mur_error_hint(&err, "start one with: murphy follower --dir DIR --listen HOST:PORT "
				     "--join LEADER_HOST:PORT");
		lead_run_fail(r, &err);
		lead_run_finish(r);
		return;
	}
	/* in a block: pending (hidden from the others, dropped by a restart)
	 * until the block commits; lead_ddltxn.c */
	if (cat_create_table_pending(r->e->cat, pc->def, lead_ddltxn_in_block(r) ? r->s->txid : 0,
				     &t, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		lead_run_finish(r);
		return;
	}
	for (uint32_t s = 0; s < t->nshards; s++) {
		all[s] = s;
		/* a new table: every copy is empty and current at lsn 0 */
		((cat_table *)t)->shards[s].committed_known = 1;
	}
	for (int i = 0; i < pc->nfkeys && !r->failed; i++) {
		pc->fkeys[i].table_id = t->id; /* its keys: dropped with it on failure */
		if (cat_fkey_add(r->e->cat, &pc->fkeys[i], &err) != MUR_OK)
			lead_run_fail(r, &err);
	}
	for (int i = 0; i < pc->nuniques && !r->failed; i++) {
		pc->uniques[i].table_id = t->id; /* its UNIQUE constraints: dropped with it */
		if (cat_index_add(r->e->cat, &pc->uniques[i], &err) != MUR_OK)
			lead_run_fail(r, &err);
	}
	if (r->failed || lead_check_writable(r, t, all, (int)t->nshards) != MUR_OK) {
		lead_run_wait(r, create_done);
		return;
	}
	for (uint32_t s = 0; s < t->nshards && !r->failed; s++)
		for (int k = 0; k < t->shards[s].nplacements; k++)
			send_placement_task(r, t, s, k, EXEC_TASK_DDL, pc->shard_ddl);
	lead_run_wait(r, create_done);
}

/* Every placement of the dropped tables was asked to drop its file: a
 * failure is logged (the statement goes on, as PostgreSQL's would). */
static void drop_tasks_logged(lead_run *r)
{
	for (int i = 0; i < r->ntasks; i++)
		if (r->tasks[i].res.failed)
			MLOG(WARN, "ddl", "dropping a placement of shard %u on node %u failed: %s",
			     r->tasks[i].shard, r->tasks[i].node_id, r->tasks[i].res.err.message);
	r->failed = 0;
}

/* The catalog (and replication) forget t, whose placements were dropped. */
static void table_forgotten(lead_run *r, const cat_table *t)
{
	mur_error err;
	repl_forget(r->e->repl, t);
	if (cat_drop_table_id(r->e->cat, t->id, &err) != MUR_OK)
		lead_run_fail(r, &err);
}

static void drop_done(lead_run *r)
{
	const plan_drop_table *pd = &r->p->u.drop_table;
	drop_tasks_logged(r);
	for (int i = 0; i < pd->ntables; i++) {
		const cat_table *t = lead_ddl_lookup(r, pd->schemas[i], pd->names[i]);
		if (t)
			table_forgotten(r, t);
	}
	snprintf(r->res->tag, sizeof r->res->tag, "DROP TABLE");
	lead_run_finish(r);
}

/* DROP TABLE in a block (no other block holds a lock of its tables: it
 * waited for them before it ran, lead_ddltxn_lock_holder): deferred to
 * COMMIT, hidden from the block meanwhile; others naming them wait for
 * its end (lead_ddltxn.c). */
static void drop_deferred(lead_run *r)
{
	const plan_drop_table *pd = &r->p->u.drop_table;
	if (!r->failed && !lead_ddltxn_check_block(r))
		for (int i = 0; i < pd->ntables; i++) {
			const cat_table *t = lead_ddl_lookup(r, pd->schemas[i], pd->names[i]);
			if (t) {
				cat_table_set_dropped(r->e->cat, t->id, r->s->txid);
				lead_ddltxn_record(r, LEAD_DDL_DROPPED_TABLE, t, NULL);
			}
		}
	snprintf(r->res->tag, sizeof r->res->tag, "DROP TABLE");
	lead_run_finish(r);
}

void lead_drop_table_start(lead_run *r)
{
	const plan_drop_table *pd = &r->p->u.drop_table;
	mur_error err;

	for (int i = 0; i < pd->ntables; i++) {
		if (lead_ddl_lookup(r, pd->schemas[i], pd->names[i]))
			continue;
		if (!pd->if_exists) {
			mur_error_set(&err, SQLSTATE_UNDEFINED_TABLE, "table \"%s\" does not exist",
				      pd->names[i]);
			lead_run_fail(r, &err);
			lead_run_finish(r);
			return;
		}
		pgw_result_add_notice(r->res, "table \"%s\" does not exist, skipping",
				      pd->names[i]);
	}
	for (int i = 0; i < pd->ntables; i++) {
		const cat_table *t = lead_ddl_lookup(r, pd->schemas[i], pd->names[i]);
		if (t && repl_table_busy(r->e->repl, t)) {
			/* writes already answered may still be reaching the last
			 * copies: wait for them (restarted when a shard goes idle) */
			if (lead_run_park(r))
				return;
			mur_error_set(&err, SQLSTATE_OBJECT_IN_USE,
				      "cannot drop table \"%s\" while writes to it are in flight",
				      pd->names[i]);
			mur_error_hint(&err, "retry when the writes (or COPY) have finished");
			lead_run_fail(r, &err);
			lead_run_finish(r);
			return;
		}
	}
	if (lead_ddltxn_in_block(r)) {
		drop_deferred(r);
		return;
	}
	for (int i = 0; i < pd->ntables; i++) {
		const cat_table *t = lead_ddl_lookup(r, pd->schemas[i], pd->names[i]);
		if (t)
			lead_ddl_send_all(r, t, EXEC_TASK_DROP, NULL);
	}
	lead_run_wait(r, drop_done);
}

static void index_finish(lead_run *r)
{
	snprintf(r->res->tag, sizeof r->res->tag, "%s",
		 r->p->tag); /* CREATE INDEX, ALTER TABLE... */
	lead_run_finish(r);
}

/* A unique key's index that some placement could not build (23505:
 * duplicates there) is dropped from every connected placement (undo_sql),
 * so no shard keeps half a constraint; the statement keeps its first
 * error.  So is an index whose block ended while it was built. */
static void index_undo(lead_run *r, const cat_table *t, const char *undo_sql)
{
	const plan_index *pi = &r->p->u.index;
	mur_error keep = r->err;
	if (!strcmp(keep.sqlstate, SQLSTATE_UNIQUE_VIOLATION)) {
		mur_error_set(&r->err, SQLSTATE_UNIQUE_VIOLATION,
			      "could not create unique index \"%s\"", pi->index_name);
		/* the shard's message names a guessed constraint; its detail
		 * names the key columns */
		mur_error_detail(&r->err, "%s", keep.detail[0] ? keep.detail : keep.message);
		mur_error_hint(&r->err,
			       "remove the rows with duplicate keys, then add the key again");
		keep = r->err;
	}
	for (int i = 0; i < r->ntasks; i++)
		exec_result_free(&r->tasks[i].res);
	r->ntasks = 0;
	r->failed = 0;
	lead_ddl_send_all(r, t, EXEC_TASK_DDL, undo_sql);
	r->failed = 1;
	r->err = keep;
	lead_run_wait(r, index_finish);
}

static void index_done(lead_run *r)
{
	const plan_index *pi = &r->p->u.index;
	const cat_table *t = pi->table ? lead_ddl_lookup(r, pi->table->schema, pi->table->name)
				       : NULL;
	mur_error err;
	char drop[200];
	if (r->failed && pi->undo_ddl && t) {
		index_undo(r, t, pi->undo_ddl);
		return;
	}
	if (!r->failed && t && r->p->kind == PLAN_CREATE_INDEX && lead_ddltxn_check_block(r)) {
		lead_ddltxn_drop_index_sql(pi->index_name, drop, sizeof drop);
		index_undo(r, t, drop);
		return;
	}
	if (!r->failed && pi->npk > 0 && t &&
	    cat_table_set_primary_key(r->e->cat, t->id, pi->pk_cols, pi->npk, &err) != MUR_OK)
		lead_run_fail(r, &err);
	/* the catalog names the index once every copy has it (42P07 when the
	 * name was taken meanwhile: the copies drop it again) */
	if (!r->failed && t && pi->def && !pi->npk && lead_ddltxn_index_entries(r, t)) {
		if (cat_index_check_name(r->e->cat, pi->def, &err) != MUR_OK ||
		    (lead_ddltxn_record_index(r, t, pi->def) != MUR_OK &&
		     mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory")))
			lead_run_fail(r, &err); /* the block's rollback undoes the entries */
		index_finish(r);
		return;
	}
	if (!r->failed && t && r->p->kind == PLAN_CREATE_INDEX && pi->def && !pi->npk &&
	    cat_index_add(r->e->cat, pi->def, &err) != MUR_OK) {
		lead_run_fail(r, &err);
		lead_ddltxn_drop_index_sql(pi->index_name, drop, sizeof drop);
		index_undo(r, t, drop);
		return;
	}
	if (!r->failed && r->p->kind == PLAN_DROP_INDEX && pi->index_schema &&
	    cat_index_drop(r->e->cat, pi->index_schema, pi->index_name, &err) != MUR_OK)
		lead_run_fail(r, &err);
	if (!r->failed && t && r->p->kind == PLAN_CREATE_INDEX)
		lead_ddltxn_record(r, LEAD_DDL_CREATED_INDEX, t, pi->index_name);
	index_finish(r);
}

/* 1 when r waits (parked, or failed with 55006) for the writes still
 * reaching t's copies: a copy that has not applied a DELETE yet would keep
 * rows that a unique index built on it finds duplicated. */
static int index_wait_idle(lead_run *r, const cat_table *t)
{
	mur_error err;
	if (!t || !repl_table_busy(r->e->repl, t))
		return 0;
	if (lead_run_park(r))
		return 1;
	mur_error_set(&err, SQLSTATE_OBJECT_IN_USE,
		      "cannot build an index on \"%s\" while writes to it are in flight", t->name);
	mur_error_hint(&err, "retry when the writes (or COPY) have finished");
	lead_run_fail(r, &err);
	lead_run_finish(r);
	return 1;
}

/* CREATE INDEX in a block on a table the block altered: one DDL entry of
 * each shard's log in the block's transaction (undone by DROP INDEX before
 * the ALTER's entries, also by a restarted leader's presumed abort: an
 * index on a column the block added would stop the column's undo), not a
 * task beside the log.  1: r goes on in index_done. */
static int index_as_entries(lead_run *r)
{
	const plan_index *pi = &r->p->u.index;
	const cat_table *t = pi->table;
	repl_write_facts facts = {.is_ddl = 1};
	char drop[200], *sql;
	size_t n;
	mur_error err;
	if (!pi->shard_ddl || !lead_ddltxn_index_entries(r, t))
		return 0;
	if (lead_txn_for_write(r, 2, &facts) != MUR_OK) {
		lead_run_wait(r, index_done);
		return 1;
	}
	lead_ddltxn_drop_index_sql(pi->index_name, drop, sizeof drop);
	n = strlen(pi->shard_ddl) + 1 + strlen(drop) + 1;
	if (!(sql = malloc(n))) {
		mur_error_set(&err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
		lead_run_fail(r, &err);
		lead_run_wait(r, index_done);
		return 1;
	}
	snprintf(sql, n, "%s%c%s", pi->shard_ddl, EXEC_DDL_SEP, drop);
	for (uint32_t s = 0; s < t->nshards && !r->failed; s++) {
		r->npending++;
		if (repl_write(r->e->repl, t, s, lead_session_quorum(r->s), sql, &facts, NULL, 0,
			       NULL, 0, 0, lead_run_part_done, r, &err) != MUR_OK) {
			r->npending--;
			lead_run_fail(r, &err);
		}
	}
	free(sql); /* repl_write copied it */
	lead_run_wait(r, index_done);
	return 1;
}

static void index_build(lead_run *r);

void lead_index_start(lead_run *r)
{
	const plan_index *pi = &r->p->u.index;

	if (r->p->kind == PLAN_CREATE_INDEX && !pi->shard_ddl) { /* IF NOT EXISTS of a taken name */
		pgw_result_add_notice(r->res, "relation \"%s\" already exists, skipping",
				      pi->index_name);
		index_finish(r);
		return;
	}
	if (r->p->kind == PLAN_DROP_INDEX && !pi->table && pi->if_not_exists &&
	    !lead_ddltxn_in_block(r)) /* no such index in the catalog */
		pgw_result_add_notice(r->res, "index \"%s\" does not exist, skipping",
				      pi->index_name);
	if (index_as_entries(r))
		return;
	index_build(r);
}

/* CREATE / DROP INDEX: the shards' DDL as tasks beside the log, once no
 * write to the table is still reaching a copy. */
static void index_build(lead_run *r)
{
	const plan_index *pi = &r->p->u.index;
	uint32_t all[CAT_SHARDS_MAX];

	if (r->failed || lead_ddltxn_check_block(r)) {
		lead_run_finish(r);
		return;
	}
	lead_ddltxn_index_hold(r, pi->table); /* others' writes wait from now on */
	if (pi->table && index_wait_idle(r, lead_ddl_lookup(r, pi->table->schema, pi->table->name)))
		return;

	for (int i = 0; i < cat_table_count(r->e->cat); i++) {
		const cat_table *t = cat_table_at(r->e->cat, i);
		if (t->kind != CAT_TABLE_DISTRIBUTED || (pi->table && pi->table->id != t->id) ||
		    !cat_table_visible_to(t, r->s->txid)) /* another block's new table */
			continue;
		for (uint32_t s = 0; s < t->nshards; s++)
			all[s] = s;
		if (lead_check_writable(r, t, all, (int)t->nshards) != MUR_OK)
			break;
		for (uint32_t s = 0; s < t->nshards && !r->failed; s++)
			for (int k = 0; k < t->shards[s].nplacements; k++)
				send_placement_task(r, t, s, k, EXEC_TASK_DDL, pi->shard_ddl);
	}
	lead_run_wait(r, index_done);
}

void lead_sequence_run(lead_run *r)
{
	const plan_sequence *ps = &r->p->u.sequence;
	mur_error err;
	snprintf(r->res->tag, sizeof r->res->tag, "%s", r->p->tag);
	if (!ps->drop && ps->missing_ok &&
	    (cat_seq_lookup_in(r->e->cat, ps->def.schema, ps->def.name) ||
	     lead_ddl_lookup(r, ps->def.schema, ps->def.name)))
		pgw_result_add_notice(r->res, "relation \"%s\" already exists, skipping",
				      ps->def.name);
	else if (!ps->drop && cat_seq_create(r->e->cat, &ps->def, &err) != MUR_OK)
		lead_run_fail(r, &err);
	for (int i = 0; ps->drop && i < ps->nnames && !r->failed; i++)
		if (ps->missing_ok && !cat_seq_lookup_in(r->e->cat, ps->schemas[i], ps->names[i]))
			pgw_result_add_notice(r->res, "sequence \"%s\" does not exist, skipping",
					      ps->names[i]);
		else if (cat_seq_drop_in(r->e->cat, ps->schemas[i], ps->names[i], &err) != MUR_OK)
			lead_run_fail(r, &err);
	lead_run_finish(r);
}

/* CREATE [OR REPLACE] VIEW / DROP VIEW / ALTER VIEW ... RENAME: the
 * catalog only (sql/plan_view.c, sql/plan_view_rename.c). */
void lead_view_run(lead_run *r)
{
	const plan_view *pv = &r->p->u.view;
	mur_error err;
	snprintf(r->res->tag, sizeof r->res->tag, "%s", r->p->tag);
	if (pv->rename) { /* ALTER VIEW ... RENAME: the view, then its readers' texts */
		if (pv->noop_notice)
			pgw_result_add_notice(r->res, "%s", pv->noop_notice);
		else if (cat_view_rename(r->e->cat, &pv->def, &err) != MUR_OK)
			lead_run_fail(r, &err);
		else
			lead_views_renamed(r, &pv->renamed);
		lead_run_finish(r);
		return;
	}
	if (!pv->drop && cat_view_create(r->e->cat, &pv->def, pv->replace, &err) != MUR_OK)
		lead_run_fail(r, &err);
	for (int i = 0; pv->drop && i < pv->nnames && !r->failed; i++)
		if (pv->missing_ok && !cat_view_lookup(r->e->cat, pv->schemas[i], pv->names[i]))
			pgw_result_add_notice(r->res, "view \"%s\" does not exist, skipping",
					      pv->names[i]);
		else if (cat_view_drop(r->e->cat, pv->schemas[i], pv->names[i], pv->cascade,
				       &err) != MUR_OK)
			lead_run_fail(r, &err);
	lead_run_finish(r);
}

/* CREATE SCHEMA / DROP SCHEMA: the catalog (sql/plan_schema.c), after
 * CASCADE's tables were dropped (schema_tables_dropped). */
static void schema_names_run(lead_run *r)
{
	const plan_schema *ps = &r->p->u.schema;
	mur_error err;
	snprintf(r->res->tag, sizeof r->res->tag, "%s", r->p->tag);
	for (int i = 0; i < ps->nnames && !r->failed; i++)
		if (ps->missing_ok && cat_schema_exists(r->e->cat, ps->names[i]) == !ps->drop)
			pgw_result_add_notice(r->res,
					      ps->drop ? "schema \"%s\" does not exist, skipping"
						       : "schema \"%s\" already exists, skipping",
					      ps->names[i]);
		else if ((ps->drop ? cat_schema_drop(r->e->cat, ps->names[i], ps->cascade, &err)
				   : cat_schema_create(r->e->cat, ps->names[i], &err)) != MUR_OK)
			lead_run_fail(r, &err);
	lead_run_finish(r);
}

/* DROP SCHEMA ... CASCADE: every placement of its tables was asked to
 * drop (a failure is logged, as DROP TABLE's); the catalog forgets the
 * tables, then the schemas (cat_schema_drop takes their views). */
static void schema_tables_dropped(lead_run *r)
{
	const plan_schema *ps = &r->p->u.schema;
	drop_tasks_logged(r);
	for (int i = 0; i < ps->ntables && !r->failed; i++) {
		const cat_table *t = cat_table_by_id(r->e->cat, ps->table_ids[i]);
		if (!t)
			continue;
		pgw_result_add_notice(r->res, "drop cascades to table %s.%s", t->schema, t->name);
		table_forgotten(r, t);
	}
	if (r->failed) {
		lead_run_finish(r);
		return;
	}
	schema_names_run(r);
}

void lead_schema_run(lead_run *r)
{
	const plan_schema *ps = &r->p->u.schema;
	mur_error err;
	if (ps->set_table) { /* ALTER TABLE ... SET SCHEMA: the catalog only */
		snprintf(r->res->tag, sizeof r->res->tag, "%s", r->p->tag);
		if (cat_table_set_schema(r->e->cat, ps->set_table->id, ps->names[0], &err) !=
		    MUR_OK)
			lead_run_fail(r, &err);
		lead_run_finish(r);
		return;
	}
	if (!ps->drop || !ps->cascade || !ps->ntables) {
		schema_names_run(r);
		return;
	}
	for (int i = 0; i < ps->nnames; i++)
		if (!ps->missing_ok && !cat_schema_exists(r->e->cat, ps->names[i])) {
			mur_error_set(&err, SQLSTATE_INVALID_SCHEMA_NAME,
				      "schema \"%s\" does not exist", ps->names[i]);
			lead_run_fail(r, &err);
			lead_run_finish(r);
			return;
		}
	for (int i = 0; i < ps->ntables; i++) {
		const cat_table *t = cat_table_by_id(r->e->cat, ps->table_ids[i]);
		if (t && repl_table_busy(r->e->repl, t)) {
			if (lead_run_park(r))
				return;
			mur_error_set(&err, SQLSTATE_OBJECT_IN_USE,
				      "cannot drop table \"%s.%s\" while writes to it are in "
				      "flight",
				      t->schema, t->name);
			lead_run_fail(r, &err);
			lead_run_finish(r);
			return;
		}
	}
	for (int i = 0; i < ps->ntables; i++) {
		const cat_table *t = cat_table_by_id(r->e->cat, ps->table_ids[i]);
		if (t)
			lead_ddl_send_all(r, t, EXEC_TASK_DROP, NULL);
	}
	lead_run_wait(r, schema_tables_dropped);
}

void lead_views_renamed(lead_run *r, const sql_view_texts *vt)
{
	mur_error err;
	for (int i = 0; i < vt->n && !r->failed; i++) { /* they name the new name */
		const cat_view *v = cat_view_by_id(r->e->cat, vt->ids[i]);
		if (v && strcmp(v->sql, vt->was[i]))
			MLOG(WARN, "leader",
			     "view %s was replaced while a rename was planned: its text keeps the "
			     "names it was written with",
			     v->name);
		else if (v && cat_view_set_sql(r->e->cat, vt->ids[i], vt->sql[i], &err) != MUR_OK)
			lead_run_fail(r, &err);
	}
}

/* DROP COLUMN ... CASCADE: the views that used the column go, with the
 * views reading them (sql/plan_alter_views.c), and PostgreSQL's NOTICE.
 * After the column: a view created meanwhile that uses it fails when read,
 * it answers nothing wrong. */
static void alter_drop_views(lead_run *r)
{
	const plan_alter *pa = &r->p->u.alter;
	mur_error err;
	for (int i = 0; i < pa->ndrop_views && !r->failed; i++) {
		const cat_view *v = cat_view_by_id(r->e->cat, pa->drop_views[i]);
		if (v && cat_view_drop(r->e->cat, v->schema, v->name, 1, &err) != MUR_OK)
			lead_run_fail(r, &err);
	}
	if (r->failed || !pa->cascade_notice)
		return;
	pgw_result_add_notice(r->res, "%s", pa->cascade_notice);
	if (pa->cascade_detail && r->res->nnotices > 0)
		mur_error_detail(&r->res->notices[r->res->nnotices - 1], "%s", pa->cascade_detail);
}

/* The transaction of the shards' DDL entries ended: the catalog takes the
 * shape if it committed, else forgets the intent. */
static void alter_ended(lead_run *r)
{
	const plan_alter *pa = &r->p->u.alter;
	mur_error err;
	if (r->failed) {
		(void)cat_alter_intent_drop(r->e->cat, pa->table->id, &err);
		return;
	}
	if (cat_table_reshape(r->e->cat, pa->table->id, pa->def, &err) != MUR_OK)
		lead_run_fail(r, &err); /* the intent stays: the next open applies it */
	else
		alter_drop_views(r);
	lead_views_renamed(r, &pa->renamed);
}

static void alter_done(lead_run *r)
{
	const plan_alter *pa = &r->p->u.alter;
	mur_error err;
	/* in a block: a table the block created takes its shape now (the
	 * block's rollback drops the table); one that existed before, the
	 * block's shape until its end (lead_ddltxn_altered) */
	if (!r->failed && r->block_txid && pa->shard_sql && !pa->noop_notice &&
	    (lead_ddltxn_alters_existing(r)
		     ? lead_ddltxn_altered(r, pa->table, pa->def, &err)
		     : cat_table_reshape(r->e->cat, pa->table->id, pa->def, &err)) != MUR_OK)
		lead_run_fail(r, &err);
	/* failed, and the block had not altered the table before: nothing
	 * ends the intent at the block's end (a restart would drop it too) */
	if (r->failed && r->block_txid && pa->shard_sql && !pa->noop_notice &&
	    lead_ddltxn_alters_existing(r) &&
	    cat_table_block_shape_txid(r->e->cat, pa->table->id) != r->s->txid)
		(void)cat_alter_intent_drop(r->e->cat, pa->table->id, &err);
	snprintf(r->res->tag, sizeof r->res->tag, "ALTER TABLE");
	lead_run_finish(r);
}

void lead_alter_start(lead_run *r)
{
	const plan_alter *pa = &r->p->u.alter;
	const cat_table *t = pa->table;
	repl_write_facts facts = {.is_ddl = 1};
	mur_error err;
	if (lead_ddltxn_refused(r))
		return;
	if ((pa->ndrop_views || pa->renamed.n) && lead_ddltxn_in_block(r)) {
		/* views are dropped or rewritten at once */
		mur_error_set(&err, SQLSTATE_FEATURE_NOT_SUPPORTED,
			      pa->ndrop_views ? "murphy does not support DROP COLUMN ... CASCADE "
						"of a column "
						"a view uses inside a transaction block yet"
					      : "murphy does not support RENAME of a table or "
						"column a view "
						"names inside a transaction block yet");
		mur_error_hint(&err, pa->ndrop_views
					     ? "Run it outside the block, or drop the views first."
					     : "Run it outside the block.");
		lead_run_fail(r, &err);
		lead_run_finish(r);
		return;
	}
	if (pa->fkey_add || pa->fkey_drop) {
		lead_fkey_alter(r); /* the catalog only */
		return;
	}
	if (pa->noop_notice || !pa->shard_sql) {
		if (pa->noop_notice)
			pgw_result_add_notice(r->res, "%s", pa->noop_notice);
		else if (lead_ddltxn_alters_existing(r)) { /* the catalog's at COMMIT */
			if (cat_alter_intent_put(r->e->cat, t->id, r->s->txid, pa->def, &err) !=
				    MUR_OK ||
			    lead_ddltxn_altered(r, t, pa->def, &err) != MUR_OK)
				lead_run_fail(r, &err);
		} else if (cat_table_reshape(r->e->cat, t->id, pa->def, &err) != MUR_OK)
			lead_run_fail(r, &err);
		alter_done(r);
		return;
	}
	/* always a transaction, even on one shard: its outcome decides the
	 * catalog's shape (catalog_alter.c) */
	if (lead_txn_for_write(r, 2, &facts) != MUR_OK) {
		lead_run_wait(r, alter_done);
		return;
	}
	if (lead_ddltxn_in_block(r) && !lead_ddltxn_alters_existing(r))
		goto send; /* the block's own new table: alter_done */
	if (!lead_ddltxn_in_block(r))
		r->txn_ended = alter_ended; /* in a block: lead_ddltxn_end */
	if (cat_alter_intent_put(r->e->cat, t->id, repl_txn_id(facts.txn), pa->def, &err) !=
	    MUR_OK) {
		lead_run_fail(r, &err);
		lead_run_wait(r, alter_done);
		return;
	}
send:
	for (uint32_t s = 0; s < t->nshards && !r->failed; s++) {
		r->npending++;
		if (repl_write(r->e->repl, t, s, lead_session_quorum(r->s), pa->shard_sql, &facts,
			       NULL, 0, NULL, 0, 0, lead_run_part_done, r, &err) != MUR_OK) {
			r->npending--;
			lead_run_fail(r, &err);
		}
	}
	lead_run_wait(r, alter_done);
}
