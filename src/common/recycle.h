/*
 * recycle.h — a few freed objects of one large type kept, per thread, for
 * that type's next allocation.
 *
 * The leader makes and frees several objects of 2-9 KiB per statement (a
 * lead_stmt, a lead_run, its pgw_result, a write op per shard written; a
 * repl_txn per transaction): above glibc's
 * per-thread cache (1 KiB), each malloc takes _int_malloc's bins and may
 * first consolidate the fast bins, each free goes back through _int_free
 * (together ~5 % of the leader's CPU under TPC-B).  A bin keeps up to
 * MUR_RECYCLE_KEEP of them: the next allocation pops one and zeroes it,
 * as calloc would.
 *
 * A bin is the caller's `static _Thread_local mur_recycler`, its size set
 * in the initializer ({.size = sizeof(T)}), so no locking: an object freed
 * on another thread than the one that made it goes to that thread's bin.
 * Kept objects live until the process exits (at most MUR_RECYCLE_KEEP per
 * bin per thread); under AddressSanitizer none is kept (a kept object
 * would hide a use after free).  mur_recycle_free(bin, NULL) does nothing; any object a
 * bin hands out may be given to free() instead.
 */
#ifndef MUR_COMMON_RECYCLE_H
#define MUR_COMMON_RECYCLE_H

#include <stddef.h>

#define MUR_RECYCLE_KEEP 16 /* per bin per thread: a few statements' worth */

/* 1 under AddressSanitizer (make asan): every object is freed, a kept
 * one would hide a use after free from it. */
#if defined(__SANITIZE_ADDRESS__)
#define MUR_RECYCLE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MUR_RECYCLE_SANITIZED 1
#endif
#endif
#ifndef MUR_RECYCLE_SANITIZED
#define MUR_RECYCLE_SANITIZED 0
#endif

typedef struct mur_recycler {
	size_t size; /* the type's size: every object of the bin is this large */
	int n;       /* kept[0..n) */
	void *kept[MUR_RECYCLE_KEEP];
} mur_recycler;

/* A zeroed object of bin->size bytes (a kept one, else a new one); NULL
 * when out of memory. */
void *mur_recycle_zalloc(mur_recycler *bin);
/* The same, not zeroed (as malloc's): for a caller that sets what it reads. */
void *mur_recycle_alloc(mur_recycler *bin);
/* p (from mur_recycle_zalloc or mur_recycle_alloc of this bin, or malloc'd with its size) kept
 * for the next allocation, or freed when the bin is full. */
void mur_recycle_free(mur_recycler *bin, void *p);

#endif
