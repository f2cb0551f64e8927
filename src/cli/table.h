/*
 * table.h — print a query result the way psql's aligned format does.
 */
#ifndef CLI_TABLE_H
#define CLI_TABLE_H

#include "cli/pgclient.h"

#include <stdio.h>

/* Column names, a rule, the rows (NULL prints empty), "(N rows)".  Widths
 * are measured in bytes; cells are cut at CLI_TABLE_CELL_MAX bytes. */
#define CLI_TABLE_CELL_MAX 120
void cli_table_print(const cli_pg_result *res, FILE *out);

#endif
