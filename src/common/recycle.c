/*
 * recycle.c — per-thread bins of freed large objects (recycle.h): a stack
 * of at most MUR_RECYCLE_KEEP pointers; a pop is zeroed as calloc's result
 * is, a push past the limit is a free().
 */
#include "common/recycle.h"

#include "common/zalloc.h"

#include <stdlib.h>
#include <string.h>

void *mur_recycle_zalloc(mur_recycler *bin)
{
	if (bin->n > 0) {
		void *p = bin->kept[--bin->n];
		memset(p, 0, bin->size);
		return p;
	}
	return mur_calloc(1, bin->size);
}

void *mur_recycle_alloc(mur_recycler *bin)
{
	return bin->n > 0 ? bin->kept[--bin->n] : malloc(bin->size);
}

void mur_recycle_free(mur_recycler *bin, void *p)
{
	if (!p)
		return;
	if (bin->n < MUR_RECYCLE_KEEP && !MUR_RECYCLE_SANITIZED)
		bin->kept[bin->n++] = p;
	else
		free(p);
}
