/*
 * zalloc.h — calloc's contract (n elements of size bytes, zeroed; NULL on
 * overflow or when out of memory; free() frees it) served from glibc's
 * per-thread cache.
 *
 * glibc 2.36's calloc never looks at the thread cache (tcache): every call
 * takes _int_malloc's bins, where malloc of a small size pops a cached
 * chunk.  The leader made ~80 callocs per TPC-B transaction (a task's
 * pending record per frame sent, a statement's parameters, ...), each the
 * slow path; mur_calloc is malloc then memset, so a small one is a cache
 * pop.  Large sizes (above the cache's 1 KiB) cost what calloc did.
 */
#ifndef MUR_COMMON_ZALLOC_H
#define MUR_COMMON_ZALLOC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void *mur_calloc(size_t n, size_t size)
{
	void *p;
	if (size && n > SIZE_MAX / size)
		return NULL;
	if (!(p = malloc(n * size)))
		return NULL;
	/* GCC folds malloc then memset(0) back into calloc: the empty asm,
	 * which may read *p, keeps them apart */
	__asm__ volatile("" : : "r"(p) : "memory");
	memset(p, 0, n * size);
	return p;
}

#endif
