/*
 * fault.c — clu_fault_command: parse a fault command, act on the leader's
 * connections, send FAULT tasks to followers (contract in fault.h).
 *
 * Leader-side state is one table of (follower name → drop, delay_ms).  It
 * reaches the follower's connections two ways:
 *   - at once: the policy is set on the follower's current connection;
 *   - later: a frame filter on the follower listener (installed on the
 *     first command, and on every connection already open) looks at each
 *     HELLO; a HELLO from a follower in the table gives its connection the
 *     same policy — so a partitioned follower that reconnects (the
 *     detector closes its connection when it is declared dead) stays
 *     silent instead of coming back to life on its HELLO.
 * Heal clears the table and the policies; a connection that was dropping
 * frames is shut down, because tasks and results it swallowed would
 * otherwise be waited for forever.
 *
 * Follower↔follower partitions, kill/pause and fsync are FAULT tasks
 * (follower/fault.c runs them); their results are only logged.
 */
#include "cluster/fault.h"

#include "cluster/cluster_int.h"
#include "common/log.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_WORDS_MAX 4
#define FAULT_WORD_MAX 64

typedef struct fault_node {
	char name[CAT_NAME_MAX];
	int drop;
	uint32_t delay_ms;
} fault_node;

int clu_fault_garbling;

static struct {
	char garble_node[CAT_NAME_MAX]; /* garble: the follower whose next TASK is spoiled */
	char garble_mode[16];           /* truncate | kind | version | trailing */
	clu_leader *l;                  /* the leader this state belongs to */
	net_listener *lis;
	int port;
	fault_node nodes[CAT_NODES_MAX];
	int n;
} F;

typedef struct fault_cmd {
	int n;
	char w[FAULT_WORDS_MAX][FAULT_WORD_MAX];
} fault_cmd;

/* ---- state --------------------------------------------------------------- */

static fault_node *state_find(const char *name)
{
	for (int i = 0; i < F.n; i++)
		if (strcmp(F.nodes[i].name, name) == 0)
			return &F.nodes[i];
	return NULL;
}

static fault_node *state_get(const char *name)
{
	fault_node *fn = state_find(name);
	if (fn || F.n >= CAT_NODES_MAX)
		return fn;
	fn = &F.nodes[F.n++];
	memset(fn, 0, sizeof *fn);
	snprintf(fn->name, sizeof fn->name, "%s", name);
	return fn;
}

/* Sees every frame on the follower listener's connections; acts on HELLO. */
static int hello_filter(void *arg, net_conn *c, char dir, uint8_t type, const char *p, size_t len)
{
	net_hello h;
	mur_error err;
	fault_node *fn;
	net_fault pol;

	(void)arg;
	if (dir != 'R' || type != NET_MSG_HELLO || net_hello_decode(p, len, &h, &err) != MUR_OK)
		return 0;
	if (!(fn = state_find(h.name)) || (!fn->drop && !fn->delay_ms))
		return 0;
	pol.drop = fn->drop;
	pol.delay_ms = fn->delay_ms;
	net_conn_set_fault(c, &pol);
	if (fn->drop)
		MLOG(INFO, "fault",
		     "follower %s is partitioned from the leader: muting its new connection",
		     h.name);
	return fn->drop;
}

/* Bind the state to l and make sure every connection passes the filter. */
static void state_attach(clu_leader *l)
{
	if (F.l != l || F.lis != l->lis || F.port != l->port) {
		memset(&F, 0, sizeof F);
		F.l = l;
		F.lis = l->lis;
		F.port = l->port;
		net_listener_set_filter(l->lis, hello_filter, NULL);
	}
	for (clu_link *k = l->links; k; k = k->next)
		net_conn_set_filter(k->conn, hello_filter, NULL);
}

/* ---- parsing ------------------------------------------------------------- */

static int usage_error(mur_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(mur_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mur_error_setv(err, SQLSTATE_INVALID_PARAMETER_VALUE, fmt, ap);
	va_end(ap);
	mur_error_hint(err, "%s", CLU_FAULT_USAGE);
	return MUR_ERR;
}

static int split(const char *cmd, fault_cmd *fc, mur_error *err)
{
	const char *p = cmd;

	fc->n = 0;
	while (*p) {
		size_t len;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		len = strcspn(p, " \t\n");
		if (fc->n == FAULT_WORDS_MAX || len >= FAULT_WORD_MAX)
			return usage_error(err, "invalid fault command \"%s\"", cmd);
		memcpy(fc->w[fc->n], p, len);
		fc->w[fc->n][len] = '\0';
		fc->n++;
		p += len;
	}
	if (fc->n == 0)
		return usage_error(err, "empty fault command");
	return MUR_OK;
}

/* The follower named name, or an error naming it. */
static const cat_node *follower_named(clu_leader *l, const char *name, mur_error *err)
{
	for (int i = 0; i < cat_node_count(l->cat); i++) {
		const cat_node *cn = cat_node_at(l->cat, i);
		if (cn->role == CAT_NODE_FOLLOWER && strcmp(cn->name, name) == 0)
			return cn;
	}
	usage_error(err, "no follower named \"%s\"", name);
	return NULL;
}

/* A number in [lo, hi]; decimals only when frac. */
static int number(const char *s, double lo, double hi, int frac, double *out)
{
	char *end;
	errno = 0;
	*out = frac ? strtod(s, &end) : (double)strtol(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && isfinite(*out) && *out >= lo && *out <= hi;
}

/* ---- FAULT tasks --------------------------------------------------------- */

static void fault_done(void *arg, exec_result *res)
{
	char *what = arg;
	if (res->failed)
		MLOG(INFO, "fault", "%s: %s", what, res->err.message);
	free(what);
}

/* Send FAULT `text` to follower cn.  08006 when it is not connected. */
static int send_fault(clu_leader *l, const cat_node *cn, const char *text, mur_error *err)
{
	exec_task t;
	char *what;

	memset(&t, 0, sizeof t);
	t.kind = EXEC_TASK_FAULT;
	t.nplacements = 1; /* the wire format wants one; the follower ignores it */
	snprintf(t.placements[0], sizeof t.placements[0], "fault");
	t.sql = text;
	if (!clu_node_connected(l, cn->id))
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE,
				     "follower \"%s\" is not connected: cannot send it \"%s\"",
				     cn->name, text);
	what = malloc(strlen(text) + CAT_NAME_MAX + 32);
	if (!what)
		return mur_error_set(err, SQLSTATE_OUT_OF_MEMORY, "out of memory");
	sprintf(what, "FAULT \"%s\" on follower %s", text, cn->name);
	if (clu_send_task(l, cn->id, &t, fault_done, what, err) != MUR_OK) {
		free(what);
		return MUR_ERR;
	}
	MLOG(INFO, "fault", "sent %s", what);
	return MUR_OK;
}

/* ---- commands ------------------------------------------------------------ */

/* Apply name's table entry to its current connection. */
static void apply_to_link(clu_leader *l, const cat_node *cn, const fault_node *fn)
{
	clu_node *n = clu_node_find(l, cn->id);
	net_fault pol = {.drop = fn->drop, .delay_ms = fn->delay_ms};
	if (n && n->link)
		net_conn_set_fault(n->link->conn, &pol);
}

static int cmd_kill_pause(clu_leader *l, const fault_cmd *fc, char *reply, size_t sz,
			  mur_error *err)
{
	int pause = strcmp(fc->w[0], "pause") == 0;
	const cat_node *cn;
	char text[64];
	double s = 0;

	if (fc->n != (pause ? 3 : 2))
		return usage_error(err, "%s takes %s", fc->w[0],
				   pause ? "a follower and a number of seconds" : "one follower");
	if (!(cn = follower_named(l, fc->w[1], err)))
		return MUR_ERR;
	if (pause && !number(fc->w[2], 0.001, CLU_FAULT_PAUSE_S_MAX, 1, &s))
		return usage_error(err, "pause: \"%s\" is not a number of seconds in (0, 3600]",
				   fc->w[2]);
	if (pause)
		snprintf(text, sizeof text, "pause %.3f", s);
	else
		snprintf(text, sizeof text, "kill");
	if (send_fault(l, cn, text, err) != MUR_OK)
		return MUR_ERR;
	if (pause)
		snprintf(reply, sz, "pause: follower %s stops (SIGSTOP) for %.3f s, then continues",
			 cn->name, s);
	else
		snprintf(reply, sz, "kill: follower %s kills itself with SIGKILL", cn->name);
	return MUR_OK;
}

static int partition_leader(clu_leader *l, const char *name, char *reply, size_t sz, mur_error *err)
{
	const cat_node *cn = follower_named(l, name, err);
	fault_node *fn;

	if (!cn)
		return MUR_ERR;
	if (!(fn = state_get(cn->name)))
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many fault entries");
	fn->drop = 1;
	apply_to_link(l, cn, fn);
	snprintf(reply, sz,
		 "partition: leader and follower %s no longer hear each other (frames dropped both "
		 "ways, TCP stays up); it turns suspect after %llu ms and dead after %llu ms "
		 "unless "
		 "healed",
		 cn->name, (unsigned long long)l->suspect_timeout_ms,
		 (unsigned long long)l->dead_timeout_ms);
	return MUR_OK;
}

static int cmd_partition(clu_leader *l, const fault_cmd *fc, char *reply, size_t sz, mur_error *err)
{
	const cat_node *a, *b;
	char ta[FAULT_WORD_MAX + 16], tb[FAULT_WORD_MAX + 16];

	if (fc->n != 3)
		return usage_error(err, "partition takes two nodes");
	if (strcmp(fc->w[1], fc->w[2]) == 0)
		return usage_error(err, "cannot partition \"%s\" from itself", fc->w[1]);
	if (strcmp(fc->w[1], "leader") == 0)
		return partition_leader(l, fc->w[2], reply, sz, err);
	if (strcmp(fc->w[2], "leader") == 0)
		return partition_leader(l, fc->w[1], reply, sz, err);
	if (!(a = follower_named(l, fc->w[1], err)) || !(b = follower_named(l, fc->w[2], err)))
		return MUR_ERR;
	if (!clu_node_connected(l, a->id) || !clu_node_connected(l, b->id))
		return mur_error_set(err, SQLSTATE_CONNECTION_FAILURE,
				     "follower \"%s\" is not connected: cannot partition it",
				     clu_node_connected(l, a->id) ? b->name : a->name);
	snprintf(ta, sizeof ta, "partition %s", b->addr);
	snprintf(tb, sizeof tb, "partition %s", a->addr);
	if (send_fault(l, a, ta, err) != MUR_OK || send_fault(l, b, tb, err) != MUR_OK)
		return MUR_ERR;
	snprintf(reply, sz,
		 "partition: followers %s (%s) and %s (%s) drop each other's peer traffic", a->name,
		 a->addr, b->name, b->addr);
	return MUR_OK;
}

static int cmd_delay(clu_leader *l, const fault_cmd *fc, char *reply, size_t sz, mur_error *err)
{
	const cat_node *cn;
	fault_node *fn;
	double ms;

	if (fc->n != 3)
		return usage_error(err, "delay takes a follower and milliseconds");
	if (!(cn = follower_named(l, fc->w[1], err)))
		return MUR_ERR;
	if (!number(fc->w[2], 0, NET_FAULT_DELAY_MS_MAX, 0, &ms))
		return usage_error(err, "delay: \"%s\" is not a whole number of ms in [0, 60000]",
				   fc->w[2]);
	if (!(fn = state_get(cn->name)))
		return mur_error_set(err, SQLSTATE_PROGRAM_LIMIT_EXCEEDED,
				     "too many fault entries");
	fn->delay_ms = (uint32_t)ms;
	apply_to_link(l, cn, fn);
	if (fn->delay_ms)
		snprintf(reply, sz,
			 "delay: frames between the leader and follower %s are held %u ms "
			 "each way",
			 cn->name, fn->delay_ms);
	else
		snprintf(reply, sz, "delay: cleared for follower %s", cn->name);
	return MUR_OK;
}

/* fsync NODE MS | fsync NODE fail: the follower's WAL group fsyncs (its
 * durable answers) slowed, or the next one failed (follower/fault.h). */
static int cmd_fsync(clu_leader *l, const fault_cmd *fc, char *reply, size_t sz, mur_error *err)
{
	const cat_node *cn;
	char text[64];
	double ms = 0;
	int fail;

	if (fc->n != 3)
		return usage_error(err, "fsync takes a follower and milliseconds, or \"fail\"");
	if (!(cn = follower_named(l, fc->w[1], err)))
		return MUR_ERR;
	fail = strcmp(fc->w[2], "fail") == 0;
	if (!fail && !number(fc->w[2], 0, CLU_FAULT_FSYNC_MS_MAX, 0, &ms))
		return usage_error(err,
				   "fsync: \"%s\" is not \"fail\" or a whole number of ms in "
				   "[0, 60000]",
				   fc->w[2]);
	if (fail)
		snprintf(text, sizeof text, "fsync fail");
	else
		snprintf(text, sizeof text, "fsync %u", (unsigned)ms);
	if (send_fault(l, cn, text, err) != MUR_OK)
		return MUR_ERR;
	if (fail)
		snprintf(reply, sz, "fsync: the next WAL fsync of follower %s fails", cn->name);
	else
		snprintf(reply, sz, "fsync: each WAL fsync of follower %s takes %u ms more",
			 cn->name, (unsigned)ms);
	return MUR_OK;
}

static int cmd_heal(clu_leader *l, char *reply, size_t sz, mur_error *err)
{
	int closed = 0, sent = 0, cleared = 0;
	clu_link *k, *next;

	for (int i = 0; i < F.n; i++)
		cleared += F.nodes[i].drop || F.nodes[i].delay_ms;
	F.n = 0;
	for (k = l->links; k; k = next) {
		net_fault was = net_conn_fault(k->conn);
		next = k->next;
		net_conn_set_fault(k->conn, NULL);
		if (k->node && k->node->link == k) {
			const cat_node *cn = cat_node_by_id(l->cat, k->node->id);
			mur_error e2;
			if (cn && send_fault(l, cn, "heal", &e2) == MUR_OK)
				sent++;
		}
		if (was.drop) {
			/* frames it swallowed will never be answered: start over */
			net_conn_shutdown(k->conn, "partition healed: frames were lost; reconnect");
			closed++;
		}
	}
	(void)err;
	snprintf(reply, sz,
		 "heal: cleared %d leader-side fault(s), reset %d partitioned "
		 "connection(s), sent heal to %d follower(s)",
		 cleared, closed, sent);
	return MUR_OK;
}

/* garble NODE MODE */
static int cmd_garble(clu_leader *l, const fault_cmd *fc, char *reply, size_t sz, mur_error *err)
{
	static const char *const modes[] = {"truncate", "kind", "version", "trailing"};
	size_t i;
	if (fc->n != 3)
		return usage_error(err, "garble takes a follower and a mode");
	if (!follower_named(l, fc->w[1], err))
		return MUR_ERR;
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (!strcmp(fc->w[2], modes[i]))
			break;
	if (i == sizeof modes / sizeof modes[0])
		return usage_error(err, "unknown garble mode \"%s\"", fc->w[2]);
	snprintf(F.garble_node, sizeof F.garble_node, "%s", fc->w[1]);
	snprintf(F.garble_mode, sizeof F.garble_mode, "%s", modes[i]);
	clu_fault_garbling = 1;
	snprintf(reply, sz, "garble: the next task to follower %s is spoiled (%s)", fc->w[1],
		 modes[i]);
	return MUR_OK;
}

void clu_fault_garble(const char *node, char **data, size_t *len)
{
	char *more;
	if (strcmp(node, F.garble_node) != 0)
		return;
	clu_fault_garbling = 0;
	MLOG(WARN, "fault", "garbling a task to follower %s (%s)", node, F.garble_mode);
	if (!strcmp(F.garble_mode, "truncate") && *len > 20)
		*len = *len / 2 > 10 ? *len / 2 : 10; /* the id stays readable */
	else if (!strcmp(F.garble_mode, "kind") && *len > 9)
		(*data)[9] = (char)250;
	else if (!strcmp(F.garble_mode, "version") && *len > 0)
		(*data)[0] = (char)((uint8_t)(*data)[0] ^ 0x80);
	else if (!strcmp(F.garble_mode, "trailing") && (more = realloc(*data, *len + 3))) {
		memcpy(more + *len, "xyz", 3);
		*data = more;
		*len += 3;
	}
	F.garble_node[0] = '\0';
}

int clu_fault_command(clu_leader *l, const char *cmd, char *reply, size_t replysz, mur_error *err)
{
	fault_cmd fc;
	int rc;

	if (!cmd || split(cmd, &fc, err) != MUR_OK)
		return cmd ? MUR_ERR : usage_error(err, "empty fault command");
	state_attach(l);
	if (!strcmp(fc.w[0], "kill") || !strcmp(fc.w[0], "pause"))
		rc = cmd_kill_pause(l, &fc, reply, replysz, err);
	else if (!strcmp(fc.w[0], "partition"))
		rc = cmd_partition(l, &fc, reply, replysz, err);
	else if (!strcmp(fc.w[0], "delay"))
		rc = cmd_delay(l, &fc, reply, replysz, err);
	else if (!strcmp(fc.w[0], "fsync"))
		rc = cmd_fsync(l, &fc, reply, replysz, err);
	else if (!strcmp(fc.w[0], "garble"))
		rc = cmd_garble(l, &fc, reply, replysz, err);
	else if (!strcmp(fc.w[0], "heal") && fc.n == 1)
		rc = cmd_heal(l, reply, replysz, err);
	else
		rc = usage_error(err, "unknown fault command \"%s\"", cmd);
	if (rc == MUR_OK)
		MLOG(WARN, "fault", "%s", reply);
	return rc;
}
