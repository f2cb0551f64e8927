/*
 * arena.h — per-statement bump allocator of the SQL front end.
 *
 * A plan and every string, expression and array the planner builds for it
 * live in one sql_arena; plan_free() destroys the arena and with it the
 * plan.  Allocation never fails silently: on malloc failure the arena
 * functions return NULL and the caller reports MUR_ENOMEM.  Memory is
 * zeroed and 16-byte aligned.  Not thread-safe (one statement, one thread).
 */
#ifndef PARSER_ARENA_H
#define PARSER_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct sql_arena sql_arena;

/* NULL on allocation failure.  Destroy with sql_arena_destroy. */
sql_arena *sql_arena_create(void);
void sql_arena_destroy(sql_arena *a);
/* n zeroed bytes owned by the arena; NULL on failure. */
void *sql_arena_alloc(sql_arena *a, size_t n);
/* NUL-terminated copies; NULL on failure (s == NULL gives NULL). */
char *sql_arena_strdup(sql_arena *a, const char *s);
char *sql_arena_strndup(sql_arena *a, const char *s, size_t n);
char *sql_arena_printf(sql_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
