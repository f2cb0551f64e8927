/*
 * pgw_result.c — the engine's answer to one statement (see pgw_engine.h).
 *
 * A pgw_result owns its column array (malloc'd) and its row buffer.  Rows
 * are stored as finished DataRow messages so the protocol layer can send
 * them with one copy:
 *     'D' Int32 len  Int16 nfields  { Int32 flen (-1 = NULL)  bytes }*
 * The creator (the engine) fills it; ownership passes to pgwire with the
 * done callback, and pgwire frees it with pgw_result_free.
 */
#include "pgwire/pgw_codec.h"

#include "common/recycle.h"
#include "common/zalloc.h"
#include "pgwire/pgw_engine.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Freed results (2.5 KiB) kept for the next statements (common/recycle.h). */
static _Thread_local mur_recycler result_bin = {.size = sizeof(pgw_result)};

pgw_result *pgw_result_new(void)
{
	pgw_result *r = mur_recycle_zalloc(&result_bin);
	if (!r)
		return NULL;
	r->kind = PGW_RESULT_COMMAND;
	mur_error_clear(&r->err);
	mur_buf_init(&r->rows);
	return r;
}

void pgw_portal_op_free(pgw_portal_op *op)
{
	if (!op)
		return;
	free(op->sql);
	free(op->param_oids);
	for (int i = 0; i < op->nargs; i++)
		free(op->args[i]);
	free(op->args);
	free(op);
}

void pgw_result_free(pgw_result *r)
{
	if (!r)
		return;
	pgw_portal_op_free(r->portal);
	free(r->cols);
	free(r->copy_oids);
	free(r->notices);
	mur_buf_free(&r->rows);
	mur_recycle_free(&result_bin, r);
}

/* Also sets kind to PGW_RESULT_ROWS: a result with columns returns rows. */
int pgw_result_set_columns(pgw_result *r, uint32_t ncols, const pgw_column *cols)
{
	pgw_column *copy = NULL;
	assert(ncols <= PGW_FIELDS_MAX);
	if (ncols > 0) {
		copy = malloc(ncols * sizeof *copy);
		if (!copy)
			return MUR_ENOMEM;
		memcpy(copy, cols, ncols * sizeof *copy);
	}
	free(r->cols);
	r->cols = copy;
	r->ncols = ncols;
	r->kind = PGW_RESULT_ROWS;
	return MUR_OK;
}

void pgw_result_add_row(pgw_result *r, uint32_t nvals, const char *const *vals, const int32_t *lens)
{
	size_t off;
	assert(nvals <= PGW_FIELDS_MAX);
	off = pgw_msg_begin(&r->rows, PGW_BE_DATA_ROW);
	mur_buf_put_u16(&r->rows, (uint16_t)nvals);
	for (uint32_t i = 0; i < nvals; i++) {
		if (lens[i] < 0) {
			mur_buf_put_u32(&r->rows, UINT32_MAX); /* -1: NULL */
			continue;
		}
		mur_buf_put_u32(&r->rows, (uint32_t)lens[i]);
		mur_buf_put(&r->rows, vals[i], (size_t)lens[i]);
	}
	pgw_msg_end(&r->rows, off);
	r->nrows++;
}

void pgw_result_set_error(pgw_result *r, const mur_error *err)
{
	r->kind = PGW_RESULT_ERROR;
	r->err = *err;
	free(r->cols);
	r->cols = NULL;
	r->ncols = 0;
	r->nrows = 0;
	mur_buf_free(&r->rows);
}

void pgw_result_add_notice(pgw_result *r, const char *fmt, ...)
{
	va_list ap;
	mur_error *n;
	if (r->nnotices >= PGW_NOTICES_MAX)
		return; /* bounded: later notices are dropped */
	if (!r->notices && !(r->notices = malloc(PGW_NOTICES_MAX * sizeof *r->notices)))
		return; /* out of memory: dropped too */
	n = &r->notices[r->nnotices++];
	va_start(ap, fmt);
	mur_error_setv(n, SQLSTATE_SUCCESS, fmt, ap);
	va_end(ap);
}
