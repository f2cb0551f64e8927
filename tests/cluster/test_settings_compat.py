"""PostgreSQL's read-only settings tools read (pgcatalog/pgc_guc.c): SHOW,
current_setting and pg_settings answer them, pg_settings types them as
PostgreSQL does (vartype, unit, setting in that unit), and SET of the ones
murphy does not honour is refused — compared with PostgreSQL 15."""
import pytest

NAMES = ["max_connections", "work_mem", "maintenance_work_mem", "shared_buffers",
         "temp_buffers", "effective_cache_size", "max_identifier_length",
         "max_prepared_transactions", "max_wal_senders", "superuser_reserved_connections",
         "autovacuum", "track_commit_timestamp", "in_hot_standby",
         "default_transaction_deferrable", "lc_messages", "lc_monetary", "lc_numeric",
         "lc_time", "server_version_num", "block_size", "segment_size", "statement_timeout",
         "lock_timeout", "deadlock_timeout", "idle_in_transaction_session_timeout",
         "standard_conforming_strings", "integer_datetimes", "IntervalStyle",
         "client_min_messages", "bytea_output", "default_transaction_isolation",
         "transaction_read_only", "extra_float_digits", "DateStyle", "TimeZone",
         "search_path"]
# values that are PostgreSQL's defaults (or true for murphy) and the
# control PostgreSQL runs with its defaults too
SAME_VALUE = ["work_mem", "maintenance_work_mem", "shared_buffers", "temp_buffers",
              "effective_cache_size", "max_identifier_length", "max_prepared_transactions",
              "block_size", "segment_size", "deadlock_timeout",
              "standard_conforming_strings", "integer_datetimes", "in_hot_standby",
              "default_transaction_deferrable", "track_commit_timestamp"]


def test_pg_settings_types_as_postgres(db):
    rows = db.both("SELECT name::text, vartype::text, unit::text FROM pg_settings "
                   "WHERE name = ANY(%s) ORDER BY 1", (NAMES,))
    assert len(rows) == len(NAMES), rows


@pytest.mark.parametrize("name", SAME_VALUE)
def test_show_and_pg_settings_values_as_postgres(db, name):
    db.both("SHOW %s" % name)
    db.both("SELECT current_setting('%s')" % name)
    db.both("SELECT setting::text FROM pg_settings WHERE name = '%s'" % name)


def test_max_connections_is_murphys_client_limit(db):
    cols, rows = db.murphy("SHOW max_connections")
    assert rows == [("1000",)]  # PGW_CONNECTIONS_MAX
    cols, rows = db.murphy("SELECT setting, vartype, context FROM pg_settings "
                           "WHERE name = 'max_connections'")
    assert rows == [("1000", "integer", "postmaster")]
    shown = [r[0] for r in db.murphy("SHOW ALL")[1]]
    assert all(n in shown for n in NAMES), set(NAMES) - set(shown)


@pytest.mark.parametrize("sql,code", [
    ("SET shared_buffers = '1GB'", "55P02"),
    ("SET max_connections = 5", "55P02"),
    ("SET max_identifier_length = 10", "55P02"),
])
def test_set_of_fixed_settings_as_postgres(db, sql, code):
    db.both_error(sql, code)


@pytest.mark.parametrize("name,value", [("work_mem", "64MB"), ("maintenance_work_mem", "1GB"),
                                        ("lc_time", "POSIX"), ("effective_cache_size", "1GB"),
                                        ("default_transaction_deferrable", "on")])
def test_set_of_settings_murphy_does_not_honour_is_0A000(db, name, value):
    with db.m.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute("SET %s = '%s'" % (name, value))
        assert e.value.pgcode == "0A000", e.value
        cur.execute("SHOW %s" % name)
        assert cur.fetchall()[0][0] != value or name == "lc_time"
