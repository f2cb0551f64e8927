/*
 * repl_staged.c — recovery of parallel commits after a leader restart
 * (docs/transactions.md, "Parallel commits"; repl_lock.c sends the
 * staging markers).
 *
 * A multi-shard transaction X is committed iff every participant's
 * STAGED(X, participants) entry is at its write quorum, or some copy holds
 * X's commit marker (those follow only a committed X).  No single record
 * says so before the outcome row, which is written after the commit, off
 * its path.  So when a restarted leader finds a copy holding X open (its
 * entries with no commit marker after them) and txn_outcomes has no row
 * for X, it may not presume an abort: it asks (EXEC_TASK_TXN_STATE) every
 * copy of the copy's shard, and once one answers STAGED (with the
 * participant list) every copy of every participant, what its log says of
 * X — absent, open, staged or committed.  A copy answers after it saw the
 * new leader's epoch, so a staging marker the old leader sent and that
 * copy had not logged is refused from then on (fenced, task_run.c): an
 * answer cannot change behind the asker.  Then (staged_decide):
 *
 *   committed  a copy holds X's commit marker, or the participants are
 *              known and each has at least `required` copies answering
 *              staged (required: the write quorum the marker names, over
 *              the shard's members now)
 *   aborted    a shard has more copies answering "not staged" (absent,
 *              open) than could leave `required` holding it: that
 *              shard's staging marker is not at its quorum and never will
 *              be.  Before the participants are known (no copy answered
 *              staged) the reporting copy's shard decides with the
 *              majority quorum over the copies recovery already needs to
 *              decide a shard (repl_recover.c, reports_needed), a copy on
 *              a dead follower counting as not staged (as recovery
 *              decides a shard without its dead copies): under
 *              write_quorum 'one', or with the copies that hold it dead,
 *              a staging marker may be missed, as a write acknowledged
 *              by them alone may be
 *   waiting    neither: the copies holding X open stay held (their shards
 *              undecided, their writes waiting), the unanswered copies
 *              are asked again each tick — never a guess
 *
 * While X is undecided each copy that reported it open is *held*: its
 * shard's txn_undos counts it, so the shard is not decided.  At the
 * outcome, committed: X's row goes into txn_outcomes (durable) first;
 * then each held copy is released and its follower asked for STATUS
 * again, which now takes the ordinary path: the row (markers appended
 * once the shard is decided, repl_txn_recommit) or, aborted, the presumed
 * abort's undo (txn_undo_start), which asks staged_hold again and hears
 * "aborted".
 *
 * Pipelined staging (repl_lock.c, stage_early): a staging marker sent
 * while its transaction followed other transactions' undecided staging
 * markers names them ("d=X@t:s/…;", t:s the shard where it followed X).
 * Staged at quorum everywhere, it is committed only once each X is
 * (X's row, or X resolved here the same way: asked on that shard, then on
 * X's participants, recursively); if one X is aborted, so is it (its held
 * copies are undone to its first entry, which leaves X's staging marker
 * newest on the shard they share: X is then undone the same way).  A copy
 * holding its commit marker still says committed: a leader sends that
 * only once it is decided, after every X.
 *
 * A transaction no copy holds open any more, whose row a machine crash
 * lost, is found by the restart's listing of the copies' STAGED entries
 * (repl_staged_rebuild.c) and resolved here the same way, with nothing
 * held (repl_staged_resolve; its participants known from the start).
 *
 * Memory: one repl_staged per transaction being resolved (c->staged, at
 * most REPL_STAGED_TXNS_MAX), freed once every shard it names is decided
 * (repl_staged_tick) or by repl_staged_destroy; one staged_ask per query
 * in flight, freed by its answer.
 */
#include "replication/repl_int.h"

#include "common/clock.h"
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Transactions resolved at once: a restart finds at most one open per
 * shard; a copy reporting one more is asked again at the next STATUS. */
#define REPL_STAGED_TXNS_MAX 256
/* Participants read from one staging marker: its list is at most
 * REPL_STAGED_BYTES_MAX bytes of "t:s," (4 bytes at least each). */
#define REPL_STAGED_SHARDS_MAX (REPL_STAGED_BYTES_MAX / 4)

typedef struct staged_copy {
	uint32_t node_id;
	int answer; /* EXEC_TXN_*; -1: none yet */
	int asked;  /* a query is in flight */
} staged_copy;

typedef struct staged_shard {
	uint32_t table_id, shard;
	int participant; /* named by the staging marker (else: a reporting copy's) */
	int ncopies;
	staged_copy copies[CAT_REPLICAS_MAX];
} staged_shard;

typedef struct staged_held {
	uint32_t table_id, shard, node_id;
} staged_held;

/* A transaction whose undecided staging marker this one followed. */
typedef struct staged_dep {
	uint64_t txid;
	uint32_t table_id, shard; /* where it followed it */
} staged_dep;

/* Transactions one staging marker names as followed (repl_lock.c's
 * REPL_STAGE_DEPS_MAX; a longer list is not read: its copies stay held). */
#define REPL_STAGED_DEPS_MAX 8

struct repl_staged {
	uint64_t txid;
	int outcome;     /* OUT_* */
	int parts_known; /* a copy answered staged: shards[] holds every participant */
	int rebuilt;     /* found by the restart's listing (repl_staged_rebuild.c) */
	repl_quorum q;   /* the participants' write quorum (the marker's) */
	staged_dep deps[REPL_STAGED_DEPS_MAX]; /* the marker's "d=": committed only if
						  each of these is */
	int ndeps;
	staged_shard *shards;
	int nshards, capshards;
	staged_held *held;
	int nheld, capheld;
	repl_staged *next;
};

typedef struct staged_ask {
	repl_ctx *c;
	uint64_t txid;
	uint32_t table_id, shard, node_id;
} staged_ask;

static repl_staged *staged_find(repl_ctx *c, uint64_t txid)
{
	for (repl_staged *r = c->staged; r; r = r->next)
		if (r->txid == txid)
			return r;
	return NULL;
}

static void staged_free(repl_staged *r)
{
	free(r->shards);
	free(r->held);
	free(r);
}

static repl_staged *staged_new(repl_ctx *c, uint64_t txid)
{
	int n = 0;
	repl_staged *r;
	for (r = c->staged; r; r = r->next)
		n++;
	if (n >= REPL_STAGED_TXNS_MAX || !(r = calloc(1, sizeof *r)))
		return NULL;
	r->txid = txid;
	r->q = REPL_QUORUM_MAJORITY;
	r->next = c->staged;
	c->staged = r;
	return r;
}

/* The entry for shard (table_id, shard) in r, added with the shard's
 * copies (none answered) when missing; NULL when out of memory or the
 * shard is not in the catalog. */
static staged_shard *staged_shard_get(repl_ctx *c, repl_staged *r, uint32_t table_id,
				      uint32_t shard)
{
	const cat_table *t = cat_table_by_id(c->cat, table_id);
	staged_shard *ss;
	for (int i = 0; i < r->nshards; i++)
		if (r->shards[i].table_id == table_id && r->shards[i].shard == shard)
			return &r->shards[i];
	if (!t || shard >= t->nshards || r->nshards >= REPL_STAGED_SHARDS_MAX)
		return NULL;
	if (r->nshards == r->capshards) {
		int cap = r->capshards ? r->capshards * 2 : 4;
		staged_shard *g = realloc(r->shards, (size_t)cap * sizeof *g);
		if (!g)
			return NULL;
		r->shards = g;
		r->capshards = cap;
	}
	ss = &r->shards[r->nshards++];
	memset(ss, 0, sizeof *ss);
	ss->table_id = table_id;
	ss->shard = shard;
	for (int k = 0; k < t->shards[shard].nplacements; k++) {
		const cat_placement *p = &t->shards[shard].placements[k];
		if (p->state == CAT_PL_REBUILDING)
			continue; /* not a member: a write's quorum does not count it */
		ss->copies[ss->ncopies].node_id = p->node_id;
		ss->copies[ss->ncopies++].answer = -1;
	}
	return ss;
}

/* Read "d=X@t:s/X@t:s" (the text between "d=" and ';') into r's deps. */
static int staged_parse_deps(repl_staged *r, char *d)
{
	char *save = NULL;
	r->ndeps = 0;
	for (char *tok = strtok_r(d, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		unsigned long long txid;
		unsigned tid, sh;
		if (r->ndeps == REPL_STAGED_DEPS_MAX ||
		    sscanf(tok, "%llu@%u:%u", &txid, &tid, &sh) != 3 || !txid)
			return MUR_ERR;
		r->deps[r->ndeps++] = (staged_dep){txid, tid, sh};
	}
	return MUR_OK;
}

/* Read "q=N;[d=X@t:s/…;]t:s,t:s,…" (repl_lock.c, staged_parts) into r's
 * participants (and the transactions it followed: pipelined staging; a
 * marker written before it has no "d="). */
static int staged_parse(repl_ctx *c, repl_staged *r, const char *s, size_t len)
{
	char buf[REPL_STAGED_BYTES_MAX + 1];
	char *p, *save = NULL;
	int q;
	if (len >= sizeof buf)
		return MUR_ERR;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (sscanf(buf, "q=%d;", &q) != 1 || q < REPL_QUORUM_ONE || q > REPL_QUORUM_ALL ||
	    !(p = strchr(buf, ';')))
		return MUR_ERR;
	if (strncmp(p + 1, "d=", 2) == 0) {
		char *end = strchr(p + 3, ';');
		if (!end)
			return MUR_ERR;
		*end = '\0';
		if (staged_parse_deps(r, p + 3) != MUR_OK)
			return MUR_ERR;
		p = end;
	}
	r->q = (repl_quorum)q;
	for (char *tok = strtok_r(p + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		unsigned tid, sh;
		staged_shard *ss;
		if (sscanf(tok, "%u:%u", &tid, &sh) != 2)
			return MUR_ERR;
		if (!(ss = staged_shard_get(c, r, tid, sh)))
			return MUR_ERR; /* a participant we cannot ask: wait */
		ss->participant = 1;
	}
	r->parts_known = 1;
	return MUR_OK;
}

int repl_staged_decide(const repl_staged_count *shards, int n, int parts_known, int any_committed)
{
	int all_held = parts_known && n > 0;
	if (any_committed)
		return REPL_STAGED_COMMITTED;
	for (int i = 0; i < n; i++) {
		const repl_staged_count *s = &shards[i];
		if (s->members == 0) { /* nobody to ask: never decided by this shard */
			all_held &= !s->participant;
			continue;
		}
		if (s->not_staged >= s->members - s->required + 1)
			return REPL_STAGED_ABORTED; /* fewer than required can hold it */
		if (s->participant && s->staged < s->required)
			all_held = 0;
	}
	return all_held ? REPL_STAGED_COMMITTED : REPL_STAGED_WAIT;
}

/* Count r's answers per shard and decide. */
static int staged_outcome(repl_ctx *c, const repl_staged *r)
{
	repl_staged_count cnt[REPL_STAGED_SHARDS_MAX];
	int any_committed = 0;
	for (int i = 0; i < r->nshards; i++) {
		const staged_shard *ss = &r->shards[i];
		int members = ss->ncopies;
		memset(&cnt[i], 0, sizeof cnt[i]);
		cnt[i].members = members;
		cnt[i].participant = ss->participant;
		/* before the participants are known: the majority, whose
		 * "not staged" bound is what recovery needs to decide a shard */
		cnt[i].required =
			members ? repl_quorum_required(r->parts_known ? r->q : REPL_QUORUM_MAJORITY,
						       members)
				: 0;
		for (int k = 0; k < ss->ncopies; k++) {
			int a = ss->copies[k].answer;
			const cat_node *n = cat_node_by_id(c->cat, ss->copies[k].node_id);
			any_committed |= a == EXEC_TXN_COMMITTED;
			cnt[i].staged += a == EXEC_TXN_STAGED;
			cnt[i].not_staged += a == EXEC_TXN_ABSENT || a == EXEC_TXN_OPEN;
			/* no copy answered staged: a dead follower's copy counts as
			 * not staged, the presumed abort recovery made before
			 * staging markers (a shard is decided without its dead
			 * copies too: decide_committed) */
			cnt[i].not_staged += a < 0 && !r->parts_known && n &&
					     n->state == CAT_NODE_DEAD;
		}
	}
	return repl_staged_decide(cnt, r->nshards, r->parts_known, any_committed);
}

/* The row's participants ("table_id:shard,…", cut with ",…" as
 * repl_lock.c's decision_parts cuts them). */
static void staged_row_parts(const repl_staged *r, char *out, size_t n)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < r->nshards; i++) {
		if (!r->shards[i].participant)
			continue;
		if (len >= n - 32) {
			snprintf(out + len, n - len, ",…");
			break;
		}
		len += (size_t)snprintf(out + len, n - len, "%s%u:%u", len ? "," : "",
					r->shards[i].table_id, r->shards[i].shard);
	}
}

/* Let r's held copies go: their followers report again and take the
 * ordinary path (the row, or the presumed abort's undo). */
static void staged_release(repl_ctx *c, repl_staged *r)
{
	for (int i = 0; i < r->nheld; i++) {
		const staged_held *h = &r->held[i];
		repl_shard *rt = repl_shard_find(c, h->table_id, h->shard);
		cat_table *t = cat_table_by_id(c->cat, h->table_id);
		cat_placement *p = t && h->shard < t->nshards
					   ? cat_placement_on(&t->shards[h->shard], h->node_id)
					   : NULL;
		if (rt && rt->txn_undos > 0)
			rt->txn_undos--;
		if (p)
			p->reported = 0;
		c->status_wanted[h->node_id % CAT_NODES_MAX] = 1;
	}
	r->nheld = 0;
}

static void staged_ask_all(repl_ctx *c, repl_staged *r);
static void staged_settle(repl_ctx *c, repl_staged *r);

/* 1 when a copy of r's shards holds r's commit marker. */
static int staged_marker_seen(const repl_staged *r)
{
	for (int i = 0; i < r->nshards; i++)
		for (int k = 0; k < r->shards[i].ncopies; k++)
			if (r->shards[i].copies[k].answer == EXEC_TXN_COMMITTED)
				return 1;
	return 0;
}

/* The outcome of the transactions r's staging marker followed: committed
 * when each is (its row, or resolved here), aborted when one is, else
 * waiting.  One not being resolved yet is started here, nothing held:
 * asked on the shard where r followed it, then on its participants. */
static int staged_deps_outcome(repl_ctx *c, repl_staged *r)
{
	int out = REPL_STAGED_COMMITTED;
	for (int i = 0; i < r->ndeps; i++) {
		const staged_dep *d = &r->deps[i];
		char o[32];
		repl_staged *x;
		if (cat_txn_outcome_get(c->cat, d->txid, o, sizeof o)) {
			if (strcmp(o, "committed") != 0)
				return REPL_STAGED_ABORTED;
			continue;
		}
		if (!(x = staged_find(c, d->txid))) {
			if (!(x = staged_new(c, d->txid))) {
				out = REPL_STAGED_WAIT; /* out of room: asked again next tick */
				continue;
			}
			if (!staged_shard_get(c, x, d->table_id, d->shard)) {
				c->staged = x->next; /* staged_new put it first */
				staged_free(x);
				out = REPL_STAGED_WAIT; /* nobody to ask yet: never a guess */
				continue;
			}
			MLOG(INFO, "recover",
			     "transaction %llu followed transaction %llu's undecided staging "
			     "marker: asking about it first",
			     (unsigned long long)r->txid, (unsigned long long)d->txid);
			staged_ask_all(c, x);
			staged_settle(c, x);
		}
		if (x->outcome == REPL_STAGED_ABORTED)
			return REPL_STAGED_ABORTED;
		if (x->outcome != REPL_STAGED_COMMITTED)
			out = REPL_STAGED_WAIT;
	}
	return out;
}

/* Decide r if its answers allow it; committed: its row first. */
static void staged_settle(repl_ctx *c, repl_staged *r)
{
	int out, by_dep = 0;
	if (r->outcome != REPL_STAGED_WAIT || (out = staged_outcome(c, r)) == REPL_STAGED_WAIT)
		return;
	if (out == REPL_STAGED_COMMITTED && r->ndeps && !staged_marker_seen(r)) {
		out = staged_deps_outcome(c, r);
		if (out == REPL_STAGED_WAIT || r->outcome != REPL_STAGED_WAIT)
			return; /* waiting; or decided meanwhile (a settle it started) */
		by_dep = out == REPL_STAGED_ABORTED;
	}
	if (out == REPL_STAGED_COMMITTED) {
		char parts[sizeof((cat_decision *)0)->participants];
		mur_error err;
		staged_row_parts(r, parts, sizeof parts);
		if (cat_txn_outcome_put(c->cat, r->txid, "committed", parts, mur_wall_ms(), &err) !=
		    MUR_OK) {
			MLOG(WARN, "recover",
			     "transaction %llu is committed (staged on every participant) but its "
			     "outcome row could not be written: %s; tried again next tick",
			     (unsigned long long)r->txid, err.message);
			return;
		}
	}
	r->outcome = out;
	MLOG(INFO, "recover", "transaction %llu: %s by its staging markers (%d shards asked)",
	     (unsigned long long)r->txid,
	     out == REPL_STAGED_COMMITTED ? "committed (staged at quorum on every participant)"
	     : by_dep ? "aborted (a transaction whose undecided staging marker it "
			"followed is aborted)"
		      : "aborted (a participant's staging marker is not at its quorum)",
	     r->nshards);
	staged_release(c, r);
	for (repl_staged *o = c->staged; o; o = o->next)
		if (o != r && o->outcome == REPL_STAGED_WAIT && o->ndeps)
			staged_settle(c, o); /* it may have followed r */
}

static void staged_answer(void *arg, exec_result *res);

/* Ask every copy of r's shards that has no answer and no query out. */
static void staged_ask_all(repl_ctx *c, repl_staged *r)
{
	for (int i = 0; i < r->nshards; i++) {
		staged_shard *ss = &r->shards[i];
		const cat_table *t = cat_table_by_id(c->cat, ss->table_id);
		for (int k = 0; t && ss->shard < t->nshards && k < ss->ncopies; k++) {
			staged_copy *cp = &ss->copies[k];
			staged_ask *a;
			exec_task task;
			mur_error err;
			if (cp->answer >= 0 || cp->asked || !repl_connected(c, cp->node_id) ||
			    !(a = malloc(sizeof *a)))
				continue;
			*a = (staged_ask){c, r->txid, ss->table_id, ss->shard, cp->node_id};
			repl_shard_task(&task, EXEC_TASK_TXN_STATE, t, ss->shard);
			task.txn_id = r->txid;
			if (c->tr.send(c->tr.ctx, cp->node_id, &task, staged_answer, a, &err) !=
			    MUR_OK) {
				free(a);
				continue;
			}
			cp->asked = 1;
		}
	}
}

static void staged_answer(void *arg, exec_result *res)
{
	staged_ask *a = arg;
	repl_ctx *c = a->c;
	repl_staged *r = staged_find(c, a->txid);
	staged_shard *ss = r ? staged_shard_get(c, r, a->table_id, a->shard) : NULL;
	staged_copy *cp = NULL;
	mur_rd rd;
	mur_value v[3];
	for (int k = 0; ss && k < ss->ncopies; k++)
		if (ss->copies[k].node_id == a->node_id)
			cp = &ss->copies[k];
	free(a);
	if (!cp)
		return;
	cp->asked = 0;
	if (res->failed || res->nrows != 1 || res->ncols < 3) {
		MLOG(INFO, "recover",
		     "transaction %llu: %s did not say what it holds (%s); asked "
		     "again next tick",
		     (unsigned long long)r->txid, cat_node_name(c->cat, cp->node_id),
		     res->failed ? res->err.message : "malformed answer");
		return;
	}
	mur_rd_init(&rd, res->rows.data, res->rows.len);
	for (int i = 0; i < 3; i++)
		if (mur_row_get_value(&rd, &v[i]) != MUR_OK)
			return;
	if (v[0].kind != MV_INT || v[0].i < EXEC_TXN_ABSENT || v[0].i > EXEC_TXN_COMMITTED)
		return;
	cp->answer = (int)v[0].i;
	if (cp->answer == EXEC_TXN_STAGED && !r->parts_known) {
		if (v[1].kind != MV_TEXT || staged_parse(c, r, v[1].s, v[1].len) != MUR_OK) {
			MLOG(WARN, "recover",
			     "transaction %llu: %s holds a staging marker whose participants "
			     "cannot be read; its copies stay held",
			     (unsigned long long)r->txid, cat_node_name(c->cat, cp->node_id));
			return;
		}
		staged_ask_all(c, r);
	}
	staged_settle(c, r);
}

int repl_staged_hold(repl_ctx *c, cat_table *t, uint32_t shard, cat_placement *p, uint64_t txid)
{
	repl_staged *r = staged_find(c, txid);
	repl_shard *rt = repl_shard_get(c, t->id, shard);
	int held = 0;
	if (r && r->outcome == REPL_STAGED_ABORTED)
		return 0; /* the presumed abort's undo goes on */
	if (r && r->outcome == REPL_STAGED_COMMITTED) {
		/* its row is written (staged_settle): the caller found none, so
		 * it was trimmed since; ask again later */
		p->reported = 0;
		c->status_wanted[p->node_id % CAT_NODES_MAX] = 1;
		return 1;
	}
	if (!rt || (!r && !(r = staged_new(c, txid))) || !staged_shard_get(c, r, t->id, shard)) {
		p->reported = 0; /* out of room: asked again at the next STATUS */
		c->status_wanted[p->node_id % CAT_NODES_MAX] = 1;
		return 1;
	}
	for (int i = 0; i < r->nheld; i++)
		held |= r->held[i].table_id == t->id && r->held[i].shard == shard &&
			r->held[i].node_id == p->node_id;
	if (!held) {
		if (r->nheld == r->capheld) {
			int cap = r->capheld ? r->capheld * 2 : 4;
			staged_held *g = realloc(r->held, (size_t)cap * sizeof *g);
			if (!g) {
				p->reported = 0;
				c->status_wanted[p->node_id % CAT_NODES_MAX] = 1;
				return 1;
			}
			r->held = g;
			r->capheld = cap;
		}
		r->held[r->nheld++] = (staged_held){t->id, shard, p->node_id};
		rt->txn_undos++; /* the shard is not decided while X is not */
		MLOG(INFO, "recover",
		     "%s: shard %u of %s holds transaction %llu open and no outcome is "
		     "recorded: asking its participants' copies for its staging markers",
		     cat_node_name(c->cat, p->node_id), shard, t->name, (unsigned long long)txid);
	}
	p->reported = 1; /* listed, held: its shard waits for txid's outcome */
	staged_ask_all(c, r);
	staged_settle(c, r); /* may release it at once: then it reports again */
	return 1;
}

int repl_staged_resolve(repl_ctx *c, uint64_t txid, const char *parts, size_t len)
{
	repl_staged *r = staged_find(c, txid);
	if (r)
		return MUR_OK; /* being resolved already (a copy holds it open) */
	if (!(r = staged_new(c, txid)))
		return MUR_ERR; /* out of room: listed again later */
	r->rebuilt = 1;
	if (staged_parse(c, r, parts, len) != MUR_OK) {
		MLOG(WARN, "recover",
		     "transaction %llu: a staging marker whose participants cannot be read; "
		     "its outcome is not rebuilt",
		     (unsigned long long)txid);
		c->staged = r->next; /* staged_new put it first */
		staged_free(r);
		return MUR_OK;
	}
	staged_ask_all(c, r);
	staged_settle(c, r);
	return MUR_OK;
}

void repl_staged_unknown_each(repl_ctx *c, void (*fn)(void *arg, uint64_t txid), void *arg)
{
	for (const repl_staged *r = c->staged; r; r = r->next)
		if (r->outcome == REPL_STAGED_WAIT)
			fn(arg, r->txid);
}

int repl_staged_waiting(repl_ctx *c)
{
	int n = 0;
	for (const repl_staged *r = c->staged; r; r = r->next)
		n += r->rebuilt && r->outcome == REPL_STAGED_WAIT;
	return n;
}

void repl_staged_tick(repl_ctx *c)
{
	repl_staged_rebuild_tick(c);
	for (repl_staged **pp = &c->staged; *pp;) {
		repl_staged *r = *pp;
		int decided = r->outcome != REPL_STAGED_WAIT;
		for (int i = 0; decided && i < r->nshards; i++) {
			const cat_table *t = cat_table_by_id(c->cat, r->shards[i].table_id);
			decided = !t || r->shards[i].shard >= t->nshards ||
				  t->shards[r->shards[i].shard].committed_known;
		}
		if (decided) { /* every shard it named is decided: nobody asks again */
			*pp = r->next;
			staged_free(r);
			continue;
		}
		if (r->outcome == REPL_STAGED_WAIT) {
			staged_ask_all(c, r);
			staged_settle(c, r);
		}
		pp = &r->next;
	}
}

void repl_staged_destroy(repl_ctx *c)
{
	repl_staged_rebuild_destroy(c);
	while (c->staged) {
		repl_staged *r = c->staged;
		c->staged = r->next;
		staged_free(r);
	}
}
