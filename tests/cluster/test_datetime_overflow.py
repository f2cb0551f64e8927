"""timestamp ± interval, generate_series, justify_* and interval input
past their integer ranges: PostgreSQL 15's error, never a wrapped (and in
C undefined) sum.  Differential against a real PostgreSQL.

- timestamp(tz) ± an interval whose µs leave int64 (common/interval.c
  mur_iv_add_to_us, storage/sqlfn_tz.c tz_add): 22008, also on a zone's
  wall clock and over a table's rows (run on the shards).
- generate_series over timestamps whose next step leaves int64: 22008.
- justify_hours / justify_days past int32 days or months: 22008;
  justify_interval pre-justifies days as PostgreSQL, so one that fits is
  answered.
- interval text whose fields leave int64: 22015.

Run it against `make asan`'s build-asan/murphy with
UBSAN_OPTIONS=log_path=... to see no "runtime error" reports.
"""
import pytest

TS_OUT = [
    "SELECT now() - interval '1000000 years'",
    "SELECT timestamp '2000-01-01' - interval '1000000 years'",
    "SELECT timestamp '2000-01-01' + interval '1000000 years'",
    "SELECT timestamptz '2000-01-01' + interval '-2147483648 months'",
    "SELECT count(*) FROM generate_series(timestamp '2000-01-01', "
    "timestamp '2001-01-01', interval '1000000 years')",
    "SELECT count(*) FROM generate_series(timestamptz '2000-01-01', "
    "timestamptz '2001-01-01', interval '1000000 years')",
    "SELECT justify_hours(interval '2147483647 days 24 hours')",
    "SELECT justify_days(interval '2147483647 months 30 days')",
    "SELECT justify_interval(interval '2147483647 months 30 days')",
]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS dt_ovf")
    db.exec_both("CREATE TABLE dt_ovf (id int PRIMARY KEY, t timestamp, tz timestamptz,"
                 " iv interval)")
    db.exec_both("INSERT INTO dt_ovf SELECT i, timestamp '2000-01-01' + i * interval '1 day',"
                 " timestamptz '2000-01-01' + i * interval '1 day',"
                 " i * interval '1 hour' FROM generate_series(1, 20) i")


@pytest.mark.parametrize("sql", TS_OUT)
def test_out_of_range_22008(db, sql):
    db.both_error(sql, "22008")


@pytest.mark.parametrize("zone", ["UTC", "America/New_York"])
def test_on_the_wall_clock_and_the_shards(db, zone):
    db.exec_both("SET TimeZone = '%s'" % zone)
    try:
        db.both_error("SELECT now() - interval '1000000 years'", "22008")
        db.both_error("SELECT tz - interval '1000000 years' FROM dt_ovf", "22008")
        db.both_error("SELECT t + interval '1000000 years' FROM dt_ovf WHERE id > 3", "22008")
        # in range: answered, the same as PostgreSQL
        db.both("SELECT id, (tz - interval '1000 years')::text, (t + iv)::text FROM dt_ovf",
                ordered=False)
    finally:
        db.exec_both("RESET TimeZone")


def test_justify_interval_that_fits(db):
    db.both("SELECT justify_interval(interval '2147483647 days 24 hours')::text,"
            " justify_interval(interval '-2147483648 days -24 hours')::text,"
            " justify_hours(interval '-5 days 100 hours')::text")
    db.both("SELECT id, justify_hours(iv * 30)::text, justify_interval(iv * -50)::text"
            " FROM dt_ovf", ordered=False)


@pytest.mark.parametrize("text", [
    "100000000000000000000 years",
    "100000000000000000 millennia",
    "9000000000000000000 days 9000000000000000000 days",
    "10000000000000000000 weeks",
])
def test_interval_input_22015(db, text):
    db.both_error("SELECT interval '%s'" % text, "22015")
