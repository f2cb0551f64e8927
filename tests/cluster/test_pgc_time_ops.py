"""date ± integer, date - date, interval fields (interval '5' minute) and
LOCALTIMESTAMP(p) in catalog queries (pgcatalog/pgc_time.c), compared
with PostgreSQL 15: column names, type OIDs and text output.

On murphy-s23 each of these was 0A000.  CURRENT_TIME and LOCALTIME stay
0A000 (murphy has no time type).
"""
import pytest

ME = " FROM pg_stat_activity WHERE pid = pg_backend_pid()"


def test_date_plus_minus_integer(db):
    db.both("SELECT date '2024-02-28' + 1 AS a, 2 + date '2024-02-28' AS b, "
            "date '2024-03-01' - 1 AS c, date '2024-01-01' - 366 AS d, "
            "date '2024-03-01' - date '2023-03-01' AS e, "
            "date '2024-03-01' - '2024-02-01' AS f" + ME)
    db.both("SELECT (date '2024-12-31' + 1)::text AS a, pg_typeof(current_date + 1)::text AS b, "
            "pg_typeof(current_date - current_date)::text AS c, "
            "current_date + 1 - current_date AS d, current_date - 7 < current_date AS e, "
            "(now() - interval '1 day')::date = current_date - 1 AS f" + ME)


def test_date_arithmetic_on_columns(db):
    db.both("SELECT backend_start::date + 1 > backend_start AS a, "
            "current_date - backend_start::date AS b" + ME)


@pytest.mark.parametrize("expr", [
    "interval '5' minute", "interval '5' hour", "interval '5' day", "interval '5' year",
    "interval '5' month", "interval '5' second", "interval '1.5' second",
    "interval '-2' minute", "interval '1 day 2:03:04.5' minute",
    "interval '1 day 2:03:04.5' hour to minute", "interval '1 day 2:03:04.5' day to hour",
    "interval '1 day 2:03:04.5' day", "interval '3 years 5 mons 6 days' year",
    "interval '3 years 5 mons 6 days' year to month", "interval '5' day to hour",
    "interval '2.1234567' second(3)", "interval '1 day 2:03:04.56789' minute to second(2)",
    "interval '7' hour to second",
])
def test_interval_fields(db, expr):
    db.both("SELECT %s AS a, (%s)::text AS b" % (expr, expr) + ME)


def test_interval_fields_in_a_monitoring_query(db):
    db.both("SELECT now() - query_start < interval '5' minute AS a, "
            "xact_start > now() - interval '1' hour AS b" + ME)


def test_localtimestamp_p(db):
    db.both("SELECT LOCALTIMESTAMP(0) <= localtimestamp + interval '1 second' AS a, "
            "pg_typeof(LOCALTIMESTAMP(2))::text AS b, "
            "extract(microseconds from LOCALTIMESTAMP(0))::bigint % 1000000 AS c" + ME)


@pytest.mark.parametrize("expr", ["CURRENT_TIME", "LOCALTIME"])
def test_time_type_still_refused(db, expr):
    with db.m.cursor() as cur:
        with pytest.raises(Exception) as e:
            cur.execute("SELECT %s" % expr + ME)
    assert e.value.pgcode == "0A000", e.value
