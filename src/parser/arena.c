/*
 * arena.c — bump allocator (see arena.h).
 *
 * Blocks form a singly linked list, newest first.  A request larger than a
 * quarter of the block size gets a block of its own, so big cat_table
 * copies do not waste the tail of the current block.
 */
#include "parser/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SQL_ARENA_BLOCK_BYTES (32 * 1024)
#define SQL_ARENA_ALIGN 16

typedef struct sql_arena_block {
	struct sql_arena_block *next;
	size_t used;
	size_t cap;
	_Alignas(16) char data[];
} sql_arena_block;

struct sql_arena {
	sql_arena_block *head;
};

sql_arena *sql_arena_create(void) { return calloc(1, sizeof(sql_arena)); }

void sql_arena_destroy(sql_arena *a)
{
	sql_arena_block *b, *next;
	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

static sql_arena_block *block_new(size_t cap)
{
	sql_arena_block *b = malloc(sizeof *b + cap);
	if (!b)
		return NULL;
	b->next = NULL;
	b->used = 0;
	b->cap = cap;
	return b;
}

void *sql_arena_alloc(sql_arena *a, size_t n)
{
	sql_arena_block *b = a->head;
	void *p;
	n = (n + SQL_ARENA_ALIGN - 1) & ~(size_t)(SQL_ARENA_ALIGN - 1);
	if (n == 0)
		n = SQL_ARENA_ALIGN;
	if (n > SQL_ARENA_BLOCK_BYTES / 4) {
		sql_arena_block *big = block_new(n);
		if (!big)
			return NULL;
		big->used = n;
		if (b) { /* keep the current block at the head */
			big->next = b->next;
			b->next = big;
		} else {
			a->head = big;
		}
		memset(big->data, 0, n);
		return big->data;
	}
	if (!b || b->cap - b->used < n) {
		b = block_new(SQL_ARENA_BLOCK_BYTES);
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	p = b->data + b->used;
	b->used += n;
	memset(p, 0, n);
	return p;
}

char *sql_arena_strndup(sql_arena *a, const char *s, size_t n)
{
	char *p;
	if (!s)
		return NULL;
	p = sql_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *sql_arena_strdup(sql_arena *a, const char *s)
{
	return s ? sql_arena_strndup(a, s, strlen(s)) : NULL;
}

char *sql_arena_printf(sql_arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = sql_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}
