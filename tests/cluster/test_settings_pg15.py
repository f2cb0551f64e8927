"""Every PostgreSQL 15 setting a client may read (pgcatalog/pgc_guc_pg15.c):
SHOW ALL, pg_settings and current_setting answer it with PostgreSQL's
default value, vartype, unit, context, short_desc and category; SET of
one murphy does not keep is accepted to the value shown (nothing changes)
and refused otherwise (0A000; 55P02 for those no session sets) —
docs/decisions.md "PostgreSQL's other settings".  Compared with the
control PostgreSQL 15 (its pg_settings rows whose source is 'default')."""
import pytest

# the server's own values (files, sockets, shared memory size) murphy
# does not show, and the connection's, which the leader keeps
NOT_SHOWN = {"config_file", "data_directory", "hba_file", "ident_file", "external_pid_file",
             "unix_socket_directories", "listen_addresses", "port", "shared_memory_size",
             "shared_memory_size_in_huge_pages", "archive_command",
             "restrict_nonsystem_relation_kind"}  # pg_dump would set it; not enforced
# values true for murphy that differ from PostgreSQL's default (pgc_guc.c
# lists each with why), and the leader's own settings' values
MURPHY_VALUES = {"max_wal_senders", "superuser_reserved_connections", "autovacuum",
                 "lc_messages", "lc_monetary", "lc_numeric", "lc_time", "lc_collate",
                 "lc_ctype", "max_connections", "TimeZone", "log_timezone",
                 "application_name", "client_encoding", "server_encoding", "is_superuser",
                 "server_version", "server_version_num", "transaction_isolation",
                 "DateStyle", "extra_float_digits", "search_path", "session_authorization",
                 "default_text_search_config", "timezone_abbreviations",
                 "password_encryption", "synchronous_commit",
                 "idle_in_transaction_session_timeout",  # the leader's flags (lead_idle.c)
                 "tcp_keepalives_count", "tcp_keepalives_idle", "tcp_keepalives_interval",
                 "ssl"}  # on when the leader has a certificate (a local cluster's), as PG's


# pgc_guc_pg15.c was made from PostgreSQL 15.18.  A later minor release may
# add settings (15.8 added restrict_nonsystem_relation_kind; the 15.20 that a
# fresh Debian 12 installs has two more): those, and only when the control
# is newer than the table, are not asked of murphy; at most NEWER_MAX.
TABLE_VERSION_NUM = 150018
NEWER_MAX = 5


def pg_defaults(pgconn, db):
    with pgconn.cursor() as cur:
        cur.execute("SELECT name, setting, coalesce(unit, ''), vartype, context, short_desc, "
                    "category, current_setting(name), source FROM pg_settings")
        pg = {r[0]: r[1:] for r in cur.fetchall() if r[0] not in NOT_SHOWN}
        cur.execute("SELECT current_setting('server_version_num')::int")
        control = cur.fetchone()[0]
    if control > TABLE_VERSION_NUM:
        shown = {r[0] for r in db.murphy("SHOW ALL")[1]}
        newer = set(pg) - shown
        print("control PostgreSQL %d is newer than the table's %d; not in the table: %s" %
              (control, TABLE_VERSION_NUM, sorted(newer)))
        assert len(newer) <= NEWER_MAX, sorted(newer)
        pg = {k: v for k, v in pg.items() if k not in newer}
    return pg


def test_show_all_names_every_postgresql_setting(db, pgconn):
    shown = {r[0] for r in db.murphy("SHOW ALL")[1]}
    missing = set(pg_defaults(pgconn, db)) - shown
    assert not missing, sorted(missing)
    cols, rows = db.murphy("SELECT count(*) FROM pg_settings WHERE name NOT LIKE 'murphy.%'")
    assert rows[0][0] >= len(pg_defaults(pgconn, db)), rows


def test_pg_settings_describe_as_postgres(db, pgconn):
    pg = pg_defaults(pgconn, db)
    cols, rows = db.murphy("SELECT name, setting, coalesce(unit, ''), vartype, context, "
                           "short_desc, category, current_setting(name) FROM pg_settings")
    mine = {r[0]: r[1:] for r in rows}
    wrong_desc, wrong_value = [], []
    for name, p in pg.items():
        m = mine.get(name)
        assert m is not None, name
        # unit, vartype, context, short_desc, category
        if (m[1], m[2], m[3], m[4], m[5]) != (p[1], p[2], p[3], p[4], p[5]) and \
                name not in ("max_connections", "is_superuser", "transaction_isolation",
                             "session_authorization", "server_version",
                             "server_version_num", "lc_collate", "lc_ctype",
                             "password_encryption", "synchronous_commit"):
            wrong_desc.append((name, m[1:6], p[1:6]))
        # setting and SHOW's value, where PostgreSQL's is its default
        if p[7] == "default" and name not in MURPHY_VALUES and \
                (m[0], m[6]) != (p[0], p[6]):
            wrong_value.append((name, m[0], m[6], p[0], p[6]))
    assert not wrong_desc, [w[0] for w in wrong_desc]
    assert not wrong_value, wrong_value[:10]


@pytest.mark.parametrize("name", ["xmloption", "vacuum_cost_delay", "geqo_seed",
                                  "gin_pending_list_limit", "log_min_duration_statement",
                                  "jit_above_cost", "wal_level", "max_locks_per_transaction",
                                  "checkpoint_timeout", "row_security", "default_toast_compression"])
def test_show_and_current_setting_as_postgres(db, name):
    db.both("SHOW %s" % name)
    db.both("SELECT current_setting('%s'), setting::text, unit::text, vartype::text, "
            "context::text FROM pg_settings WHERE name = '%s'" % (name, name))


@pytest.mark.parametrize("sql", ["SET xmloption = content", "SET vacuum_cost_delay = 0",
                                 "SET gin_pending_list_limit = '4MB'",
                                 "SET gin_pending_list_limit = 4096",
                                 "SET temp_file_limit = -1", "SET check_function_bodies = on",
                                 "RESET xmloption",
                                 "SELECT set_config('xmloption', 'content', false)"])
def test_set_to_the_value_shown_is_accepted(db, sql):
    db.both(sql)
    db.both("SHOW xmloption")
    db.both("SHOW gin_pending_list_limit")


@pytest.mark.parametrize("sql", ["SET gin_fuzzy_search_limit = 5", "SET vacuum_cost_delay = 5",
                                 "SET gin_pending_list_limit = '8MB'",
                                 "SET log_min_duration_statement = 0",
                                 "SELECT set_config('gin_fuzzy_search_limit', '5', false)",
                                 "SET xmloption = neither"])
def test_set_to_another_value_is_0A000(db, sql):
    with db.m.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute(sql)
        assert e.value.pgcode == "0A000", e.value
    db.m.rollback()
    cols, rows = db.murphy("SHOW gin_fuzzy_search_limit")
    assert rows == [("0",)]
    if "neither" in sql:
        return
    db.p.cursor().execute(sql)  # PostgreSQL takes it (and honours it)
    db.p.rollback()


@pytest.mark.parametrize("sql", ["SET wal_level = minimal", "SET max_locks_per_transaction = 10",
                                 "SET checkpoint_timeout = '1min'"])
def test_set_of_server_settings_as_postgres(db, sql):
    db.both_error(sql, "55P02")


@pytest.mark.parametrize("sql", ["SET check_function_bodies = false", "SET xmloption = document",
                                 "SELECT set_config('check_function_bodies', 'no', false)"])
def test_settings_murphy_has_nothing_for_take_any_value(db, sql):
    """check_function_bodies (murphy has no CREATE FUNCTION) and xmloption (no
    xml type): every value behaves alike, so any is taken and shown."""
    db.both(sql)
    db.both("SHOW check_function_bodies")
    db.both("SHOW xmloption")
    db.both("RESET check_function_bodies")
    db.both("SHOW check_function_bodies")
