/*
 * sqlfn_default.c — weak default for sql_register_functions().
 *
 * murphy's SQLite user functions (the ones its emitted SQL relies on) are
 * registered by sql_register_functions(), implemented by the SQL front end
 * in src/sql/sqlfn.c.  Storage calls it on every connection it opens.  This
 * weak no-op keeps builds and tests that do not link the SQL module working;
 * when sqlfn.c is linked, its strong definition wins.
 */
#include <sqlite3.h>

extern int sql_register_functions(sqlite3 *db);

__attribute__((weak)) int sql_register_functions(sqlite3 *db)
{
	(void)db;
	return SQLITE_OK;
}
