/*
 * storage_int.h — private to src/storage: the stor_db struct shared by
 * db.c (one placement) and dir.c (the directory that owns many).
 */
#ifndef MUR_STORAGE_INT_H
#define MUR_STORAGE_INT_H

#include "storage/storage.h"

#include <pthread.h>

typedef struct stor_stmt {
	char *sql;          /* malloc'd key; NULL = free entry */
	sqlite3_stmt *st;
	uint64_t used;      /* LRU clock */
	int busy;           /* handed out by stor_prepare, not yet released */
} stor_stmt;

struct stor_db {
	sqlite3 *db;            /* NULL once closed (dropped) */
	char path[STOR_PATH_MAX];
	char file[STOR_FILE_NAME_MAX];
	pthread_mutex_t mu;     /* stor_lock: one task at a time */
	uint64_t lsn;           /* committed */
	uint64_t pending_lsn;   /* bumped in the open transaction; 0 = none */
	int in_txn;
	stor_stmt stmts[STOR_STMT_CACHE_MAX];
	uint64_t clock;

	/* Owned by stor_dir (under its mutex). */
	stor_db *next;
	int refs;
	int dropped;
	uint64_t last_used;
};

/* Close the SQLite side (statements + connection); the struct stays. */
void stor_db_shutdown(stor_db *db);

#endif
