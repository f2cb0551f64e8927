/*
 * table.c — psql-style aligned output for cli_pg_result (see table.h).
 * Two passes: measure each column's width, then print padded cells.
 */
#include "cli/table.h"

#include <stdlib.h>
#include <string.h>

static int cell_width(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n > CLI_TABLE_CELL_MAX ? CLI_TABLE_CELL_MAX : (int)n;
}

/* psql right-aligns numbers: int2, int4, int8, oid, float4, float8, numeric. */
static int is_numeric_oid(unsigned oid)
{
	return oid == 20 || oid == 21 || oid == 23 || oid == 26 || oid == 700 || oid == 701 ||
	       oid == 1700;
}

void cli_table_print(const cli_pg_result *res, FILE *out)
{
	if (res->ncols == 0) {
		fprintf(out, "%s\n", res->tag);
		return;
	}
	int *w = calloc((size_t)res->ncols, sizeof *w);
	if (!w)
		return;
	for (int k = 0; k < res->ncols; k++) {
		w[k] = cell_width(res->colnames[k]);
		for (long r = 0; r < res->nrows; r++) {
			int cw = cell_width(cli_pg_value(res, r, k));
			if (cw > w[k])
				w[k] = cw;
		}
	}
	for (int k = 0; k < res->ncols; k++)
		fprintf(out, "%s %-*.*s ", k ? "|" : "", w[k], w[k], res->colnames[k]);
	fputc('\n', out);
	for (int k = 0; k < res->ncols; k++) {
		fputs(k ? "+" : "", out);
		for (int i = 0; i < w[k] + 2; i++)
			fputc('-', out);
	}
	fputc('\n', out);
	for (long r = 0; r < res->nrows; r++) {
		for (int k = 0; k < res->ncols; k++) {
			const char *v = cli_pg_value(res, r, k);
			if (is_numeric_oid(res->coltypes[k]))
				fprintf(out, "%s %*.*s ", k ? "|" : "", w[k], w[k], v ? v : "");
			else
				fprintf(out, "%s %-*.*s ", k ? "|" : "", w[k], w[k], v ? v : "");
		}
		fputc('\n', out);
	}
	fprintf(out, "(%ld row%s)\n\n", res->nrows, res->nrows == 1 ? "" : "s");
	free(w);
}
