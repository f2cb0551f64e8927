/*
 * lead_fixture_int.h — private to the leader-engine fixture
 * (lead_fixture.c: transport, clients, clock, crash; lead_fixture_follower.c:
 * the fake followers).  Tests include lead_fixture.h only.
 */
#ifndef LEAD_FIXTURE_INT_H
#define LEAD_FIXTURE_INT_H

#include "lead_fixture.h"
#include "test_loop.h"

#define LF_ADDR_MAX 32 /* "127.0.0.1:7001" */
#define LF_FILE_RING 4 /* lf_file results alive at once */

/* One entry of a fake copy's log (its LSN is its place in the log). */
typedef struct lf_entry {
	uint64_t entry_id;
	uint64_t txn_id; /* 0: autocommit */
	uint8_t kind;    /* EXEC_ENTRY_DATA, or EXEC_ENTRY_COMMIT (txn_id's marker, no rows) */
	uint32_t ncols;
	uint64_t nrows;
	mur_buf rows; /* the rows it inserted (mur_row encoding; none for an UPDATE) */
} lf_entry;

/* One placement file on a fake follower. */
typedef struct lf_copy {
	char file[EXEC_PLACEMENT_NAME_MAX];
	uint64_t lsn; /* log[0..lsn-1] hold entries 1..lsn */
	uint64_t cap;
	lf_entry *log;
	struct lf_copy *next;
} lf_copy;

typedef struct lf_follower {
	uint32_t id; /* its catalog node id */
	char name[16];
	char addr[LF_ADDR_MAX];
	int connected; /* the transport's connected() */
	int muted;     /* lf_settle leaves its tasks alone (lf_mute) */
	lf_copy *copies;
} lf_follower;

struct lf_query {
	lf_fixture *fx;
	void *session;
	void *stmt;
	int done;
	char sqlstate[6];
	char tag[64];
	mur_error err; /* when it failed */
	lf_query *next;
};

typedef struct lf_sess {
	void *es; /* the engine's session */
	struct lf_sess *next;
} lf_sess;

struct lf_fixture {
	char dir[TL_TMPDIR_MAX];
	char catpath[TL_TMPDIR_MAX + 16];
	catalog *cat;
	lead_engine *e;
	lead_transport tr;
	int generation;
	int down; /* the leader crashed: its transport sends nothing */
	int nf;
	lf_follower f[LF_FOLLOWERS_MAX];
	lf_task **tasks;
	int ntasks, captasks;
	lf_query *queries;
	lf_sess *sessions;
	void *session; /* the default one */
	char files[LF_FILE_RING][EXEC_PLACEMENT_NAME_MAX];
	int nextfile;
};

/* Print the message and abort: the fixture was misused or broke. */
void lf_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* lead_fixture_follower.c */
lf_follower *lf_follower_by_id(lf_fixture *fx, uint32_t node);
/* Run t on its follower as follower/task_run.c would; the answer goes to
 * res (initialized here); t->applied says whether it succeeded. */
void lf_follower_run(lf_fixture *fx, lf_task *t, exec_result *res);
/* Free the follower's copies. */
void lf_follower_free(lf_follower *f);

#endif
