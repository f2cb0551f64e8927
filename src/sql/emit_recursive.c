/*
 * emit_recursive.c — a WITH RECURSIVE query (parser/analyze_recursive.c)
 * where a leader query reads it, as SQLite's own recursive WITH:
 *
 *   (WITH RECURSIVE "murphy__rec<k>"(c0, c1, ...) AS (
 *        SELECT * FROM main."murphy__sub<k>"          -- non-recursive term's rows
 *        UNION [ALL]
 *        SELECT mur_rec_guard(<col 0>, max, 't'), ... -- the recursive term, reading
 *          FROM "murphy__rec<k>" AS "t" JOIN ...      --   the working table
 *    ) SELECT * FROM "murphy__rec<k>")
 *
 * Sub k (the non-recursive term) has run before the statement and its rows
 * are a leader table (leader/lead_subq.c), as are the tables the
 * recursive term gathered.  SQLite hands rows to the query around as the
 * recursion makes them (a LIMIT there ends it); each reference runs it.
 */
#include "sql/sqlInt.h"

#include <stdio.h>

static void rec_name(sql_emit *e, const sql_recursive *r)
{
	char name[CAT_NAME_MAX + 16];
	snprintf(name, sizeof name, "murphy__rec%d", r->id);
	sql_emit_ident(e->b, name);
}

void sql_emit_recursive(sql_emit *e, const sql_rte *r)
{
	const sql_recursive *rec = r->rec;
	sql_emit term = {e->b, rec->rec, 0};
	if (r->rec_work) {
		rec_name(e, rec);
		return;
	}
	mur_buf_printf(e->b, "(WITH RECURSIVE ");
	rec_name(e, rec);
	for (int i = 0; i < rec->table->ncols; i++)
		mur_buf_printf(e->b, "%sc%d", i ? ", " : "(", i);
	mur_buf_printf(e->b, ") AS (SELECT * FROM main.\"murphy__sub%d\" UNION%s ", rec->id,
		       rec->union_all ? " ALL" : "");
	sql_emit_select(&term);
	mur_buf_printf(e->b, ") SELECT * FROM ");
	rec_name(e, rec);
	mur_buf_put_u8(e->b, ')');
}
