"""SET TimeZone honoured, and bytea_output (issue 19), differential against a
real PostgreSQL 15 with the same tz database (Debian's tzdata).

For several zones (America/New_York across both DST transitions,
Asia/Kolkata, Australia/Lord_Howe with its half-hour DST, UTC, '+05' and a
POSIX string), every answer is compared exactly as text: timestamptz output
as psql prints it (the raw text of the DataRow, no client parsing), casts to
timestamp/date/text, date_trunc, extract, to_char, AT TIME ZONE both ways,
literals without an offset read in the session's zone (including the hour
a transition skips and the one it repeats), comparisons and grouping by
instant, COPY TO.  SHOW TimeZone and the ParameterStatus the driver
receives match PostgreSQL's; unknown zones are 22023 with PostgreSQL's
message.  psycopg2's tz-aware datetimes round-trip; psycopg 3 sends
parameters separately (extended protocol), as text and as binary.
bytea_output = 'escape' prints as byteaout does.
"""
import datetime
import io

import psycopg2
import psycopg2.extensions
import pytest

from compare import Compare
from test_numeric import exact

ZONES = ["America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC", "+05",
         "EST5EDT,M3.2.0,M11.1.0"]

# Instants (UTC) around the transitions of the zones above, and ordinary ones.
INSTANTS = [
    "2024-03-10 06:30:00", "2024-03-10 06:59:59.999999", "2024-03-10 07:00:00",
    "2024-03-10 07:30:00", "2024-11-03 05:30:00", "2024-11-03 06:00:00",
    "2024-11-03 06:30:00", "2024-04-06 14:45:00", "2024-04-06 15:00:00",
    "2024-04-06 15:15:00", "2024-10-05 15:30:00", "2024-10-05 16:00:00",
    "2024-01-01 00:00:00", "2024-06-30 23:59:59.5", "1970-01-01 00:00:00",
    "1850-06-01 12:00:00", "2150-07-04 12:00:00", "2000-02-29 05:00:00.123456",
]

# Wall-clock times read in the session's zone: ordinary, skipped, repeated.
LOCALS = ["2024-03-10 01:59:59", "2024-03-10 02:30:00", "2024-03-10 03:00:00",
          "2024-11-03 00:59:59", "2024-11-03 01:30:00", "2024-11-03 02:00:00",
          "2024-10-06 02:15:00", "2024-04-07 01:45:00", "2024-07-01 12:00:00"]


def _raw_text(conn):
    """timestamptz, timestamp, date and bytea come back as the server's text."""
    for oid, name in ((1184, "TSTZ"), (1114, "TS"), (1082, "DATE"), (17, "BYTEA")):
        t = psycopg2.extensions.new_type((oid,), "RAW_" + name, lambda v, cur: v)
        psycopg2.extensions.register_type(t, conn)


@pytest.fixture(scope="module")
def tz(db):
    for conn in (db.m, db.p):
        _raw_text(conn)
        conn.cursor().execute("SET TimeZone = 'UTC'")
    db.exec_both("DROP TABLE IF EXISTS tz_t")
    db.exec_both("DROP TABLE IF EXISTS tz_in")
    db.exec_both("CREATE TABLE tz_t (id int PRIMARY KEY, ts timestamptz, local timestamp)")
    db.exec_both("CREATE TABLE tz_in (id int PRIMARY KEY, zone text, ts timestamptz)")
    values = ",".join("(%d, '%s+00', '%s')" % (i, s, s) for i, s in enumerate(INSTANTS))
    db.exec_both("INSERT INTO tz_t VALUES " + values)
    yield db
    for conn in (db.m, db.p):
        conn.cursor().execute("SET TimeZone = 'UTC'")
        conn.cursor().execute("RESET bytea_output")


def _set(db, zone):
    db.exec_both("SET TimeZone = '%s'" % zone)


@pytest.mark.parametrize("zone", ZONES)
def test_output_and_casts(tz, zone):
    _set(tz, zone)
    exact(tz, "SELECT id, ts FROM tz_t ORDER BY id")
    exact(tz, "SELECT id, ts::timestamp, ts::date, ts::text, local::timestamptz, "
              "local::date::timestamptz FROM tz_t ORDER BY id")
    exact(tz, "SELECT ts FROM tz_t ORDER BY ts")  # by instant, whatever the zone


@pytest.mark.parametrize("zone", ZONES)
def test_date_trunc_extract_to_char(tz, zone):
    _set(tz, zone)
    exact(tz, "SELECT id, date_trunc('hour', ts), date_trunc('day', ts), "
              "date_trunc('month', ts), date_trunc('day', ts, 'Asia/Kolkata') "
              "FROM tz_t WHERE ts > '1900-01-01' ORDER BY id")
    exact(tz, "SELECT id, extract(hour FROM ts), extract(day FROM ts), "
              "date_part('minute', ts), extract(epoch FROM ts)::int8 FROM tz_t "
              "WHERE ts > '1900-01-01' ORDER BY id")
    exact(tz, "SELECT id, to_char(ts, 'YYYY-MM-DD HH24:MI:SS TZ'), to_char(ts, 'tz') "
              "FROM tz_t WHERE ts > '1900-01-01' ORDER BY id")
    exact(tz, "SELECT date_trunc('day', ts) AS d, count(*) FROM tz_t GROUP BY 1 ORDER BY 1")
    # of a date: a timestamptz, the date's midnight in the zone (was a timestamp)
    exact(tz, "SELECT id, date_trunc('month', ts::date), date_trunc('day', '2024-03-10'::date), "
              "date_trunc('year', ts::date, 'Asia/Kolkata') FROM tz_t "
              "WHERE ts > '1900-01-01' ORDER BY id")


@pytest.mark.parametrize("zone", ZONES)
def test_at_time_zone(tz, zone):
    _set(tz, zone)
    exact(tz, "SELECT id, ts AT TIME ZONE 'America/New_York', "
              "local AT TIME ZONE 'Australia/Lord_Howe', timezone('Asia/Kolkata', ts), "
              "ts AT TIME ZONE 'UTC', local AT TIME ZONE '+05', ts AT TIME ZONE '-03:30' "
              "FROM tz_t WHERE ts > '1900-01-01' ORDER BY id")
    exact(tz, "SELECT timestamp '2024-03-10 02:30' AT TIME ZONE 'America/New_York', "
              "timestamp '2024-11-03 01:30' AT TIME ZONE 'America/New_York', "
              "timestamptz '2024-07-01 12:00+02' AT TIME ZONE 'Asia/Kolkata'")


@pytest.mark.parametrize("zone", ZONES)
def test_interval_arithmetic_on_the_wall_clock(tz, zone):
    """timestamptz +/- interval: days and months on the zone's wall clock
    (a day across a DST change is 23 or 25 hours), then the time part;
    age() of the wall-clock times."""
    _set(tz, zone)
    exact(tz, "SELECT id, ts + interval '1 day', ts - interval '1 month 2 days 3 hours', "
              "ts + interval '25 hours', interval '1 day' + ts FROM tz_t "
              "WHERE ts BETWEEN '1900-01-01' AND '2100-01-01' ORDER BY id")
    exact(tz, "SELECT id, age(ts, timestamptz '2024-03-09 12:00-05'), "
              "age(timestamptz '2025-01-01 00:00', ts) FROM tz_t "
              "WHERE ts > '1900-01-01' ORDER BY id")
    exact(tz, "SELECT age(date_trunc('day', now())) < interval '1 day'")


@pytest.mark.parametrize("zone", ZONES)
def test_comparisons_with_dates_and_special_values(tz, zone):
    _set(tz, zone)
    exact(tz, "SELECT count(*) FROM tz_t WHERE ts::date = date '2024-03-10'")
    exact(tz, "SELECT count(*) FROM tz_t WHERE ts >= date '2024-03-10'")
    exact(tz, "SELECT 'infinity'::timestamptz, '-infinity'::timestamptz, 'epoch'::timestamptz")
    exact(tz, "SELECT current_date = (now() AT TIME ZONE '%s')::date" % (
        zone if "/" in zone or zone == "UTC" else "UTC"))
    exact(tz, "SELECT 'today'::timestamptz = date_trunc('day', now()), "
              "'tomorrow'::timestamptz = date_trunc('day', now()) + interval '1 day', "
              "'yesterday'::timestamp = date_trunc('day', localtimestamp) - interval '1 day', "
              "'today'::date = current_date, 'now'::timestamp - localtimestamp < interval '1 minute'")
    exact(tz, "SELECT max(ts), min(ts) FROM tz_t")
    exact(tz, "SELECT to_char(ts, 'Day DD Mon YYYY HH12:MI AM TZ') FROM tz_t "
              "WHERE id IN (1, 2, 5) ORDER BY id")
    exact(tz, "SELECT '2024-07-01 12:00 europe/paris'::timestamptz, "
              "'2024-07-01 12:00:00 +05:30'::timestamptz, '2024-07-01T12:00:00Z'::timestamptz")
    tz.both_error("SELECT '2024-07-01 12:00 Foo/Bar'::timestamptz", "22023")
    tz.both_error("SELECT '2024-07-01 12:00 abc'::timestamptz", "22007")


@pytest.mark.parametrize("zone", ZONES)
def test_literals_read_in_the_zone(tz, zone):
    _set(tz, zone)
    base = ZONES.index(zone) * 100
    tz.exec_both("INSERT INTO tz_in VALUES " + ",".join(
        "(%d, '%s', '%s')" % (base + i, zone, s) for i, s in enumerate(LOCALS)))
    tz.exec_both("INSERT INTO tz_in VALUES (%d, '%s', '2024-07-01 12:00 America/New_York'), "
                 "(%d, '%s', '2024-07-01 12:00:00-04:56:02')" % (base + 50, zone, base + 51, zone))
    exact(tz, "SELECT id, ts FROM tz_in WHERE zone = '%s' ORDER BY id" % zone)
    exact(tz, "SELECT count(*) FROM tz_t WHERE ts >= '2024-03-10 02:30' "
              "AND ts < '2024-11-03 01:30'")
    _set(tz, "UTC")  # the stored instants, seen from UTC
    exact(tz, "SELECT id, ts FROM tz_in WHERE zone = '%s' ORDER BY id" % zone)


def test_show_and_parameter_status(tz):
    for value in ("america/new_york", "Asia/Kolkata", "+05", "-3.5", "5",
                  "EST5EDT,M3.2.0,M11.1.0", "utc"):
        tz.exec_both("SET TimeZone = '%s'" % value)
        exact(tz, "SHOW TimeZone")
        assert tz.m.get_parameter_status("TimeZone") == tz.p.get_parameter_status("TimeZone")
    tz.exec_both("SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE")
    exact(tz, "SHOW timezone")
    exact(tz, "SELECT ts FROM tz_t ORDER BY id")
    tz.exec_both("SET TIME ZONE 'Australia/Lord_Howe'")
    assert tz.m.get_parameter_status("TimeZone") == "Australia/Lord_Howe"
    exact(tz, "SELECT current_setting('TimeZone')")
    exact(tz, "SELECT set_config('timezone', 'asia/kolkata', false)")
    exact(tz, "SELECT ts FROM tz_t ORDER BY id")
    tz.both_error("SELECT set_config('timezone', 'Foo/Bar', false)", "22023")
    # a SET undone by ROLLBACK reverts the zone too
    for conn in (tz.m, tz.p):
        cur = conn.cursor()
        cur.execute("BEGIN")
        cur.execute("SET LOCAL TimeZone = 'Asia/Kolkata'")
        cur.execute("ROLLBACK")
    exact(tz, "SHOW TimeZone")
    # DEFAULT/RESET: murphy's default is UTC (PostgreSQL's is its server's)
    cur = tz.m.cursor()
    for reset in ("SET TIME ZONE DEFAULT", "RESET TimeZone", "SET timezone TO DEFAULT"):
        cur.execute("SET TimeZone = 'Asia/Kolkata'")
        cur.execute(reset)
        cur.execute("SHOW TimeZone")
        assert cur.fetchall() == [("UTC",)]
        cur.execute("SELECT ts FROM tz_t WHERE id = 0")
        assert cur.fetchall() == [("2024-03-10 06:30:00+00",)]


def test_startup_timezone(cluster, pgconn, monkeypatch):
    """libpq sends $PGTZ as the startup packet's timezone (pgjdbc sends its
    JVM's zone): the session starts in it, RESET returns to it, and an
    unknown zone refuses the connection with 22023."""
    monkeypatch.setenv("PGTZ", "america/new_york")
    m, p = cluster.connect(), psycopg2.connect(pgconn.dsn)
    p.autocommit = True
    try:
        for conn in (m, p):
            _raw_text(conn)
        db = Compare(m, p)
        assert m.get_parameter_status("TimeZone") == p.get_parameter_status("TimeZone")
        exact(db, "SHOW TimeZone")
        exact(db, "SELECT ts FROM tz_t ORDER BY id")
        db.exec_both("SET TimeZone = 'Asia/Kolkata'")
        db.exec_both("RESET TimeZone")
        exact(db, "SHOW TimeZone")
        exact(db, "SELECT '2024-11-03 01:30'::timestamptz")
    finally:
        m.close()
        p.close()
    monkeypatch.setenv("PGTZ", "Foo/Bar")
    msgs = []
    for connect in (cluster.connect, lambda: psycopg2.connect(pgconn.dsn)):
        with pytest.raises(psycopg2.OperationalError) as e:
            connect()
        msgs.append(str(e.value))
    assert all('invalid value for parameter "TimeZone": "Foo/Bar"' in m for m in msgs), msgs


def test_bad_values_22023(tz):
    for sql in ("SET TimeZone = 'Foo/Bar'", "SET TIME ZONE '../../etc/passwd'",
                "SET TIME ZONE INTERVAL '1 day'", "SET bytea_output = 'octal'"):
        e = tz.both_error(sql, "22023")
        po = tz.p.cursor()
        try:
            po.execute(sql)
        except psycopg2.Error as pe:
            assert e.pgerror.splitlines()[0] == pe.pgerror.splitlines()[0]
    tz.both_error("SELECT now() AT TIME ZONE 'Foo/Bar'", "22023")


def test_psycopg2_datetimes_round_trip(cluster, pgconn):
    m, p = cluster.connect(), psycopg2.connect(pgconn.dsn)
    p.autocommit = True
    try:
        for conn in (m, p):
            cur = conn.cursor()
            cur.execute("SET TimeZone = 'America/New_York'")
            cur.execute("DROP TABLE IF EXISTS tz_rt")
            cur.execute("CREATE TABLE tz_rt (id int PRIMARY KEY, ts timestamptz)")
        kolkata = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
        aware = [datetime.datetime(2024, 3, 10, 7, 30, tzinfo=datetime.timezone.utc),
                 datetime.datetime(2024, 11, 3, 1, 30, 0, 250000, tzinfo=kolkata)]
        naive = datetime.datetime(2024, 11, 3, 1, 30)  # read in the session's zone
        out = []
        for conn in (m, p):
            cur = conn.cursor()
            cur.execute("INSERT INTO tz_rt VALUES (1, %s), (2, %s), (3, %s)",
                        (aware[0], aware[1], naive))
            cur.execute("SELECT ts FROM tz_rt ORDER BY id")
            out.append([r[0] for r in cur.fetchall()])
        assert out[0] == out[1]
        assert out[0][:2] == aware  # the same instants
        assert [v.utcoffset() for v in out[0]] == [datetime.timedelta(hours=-4),
                                                  datetime.timedelta(hours=-4),
                                                  datetime.timedelta(hours=-5)]
    finally:
        m.close()
        p.close()


def test_psycopg3_parameters_text_and_binary(cluster, pg):
    psycopg = pytest.importorskip("psycopg")
    results = []
    for dsn in (cluster.dsn(), pg.dsn()):
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET TimeZone = 'Australia/Lord_Howe'")
            row = conn.execute("SELECT %s::timestamptz, %s::timestamptz",
                               ("2024-04-07 01:45", datetime.datetime(
                                   2024, 4, 6, 15, 0, tzinfo=datetime.timezone.utc))).fetchone()
            cur = conn.cursor(binary=True)
            cur.execute("SELECT %s::timestamptz + interval '1 hour'", ("2024-10-06 01:30",))
            binary = cur.fetchone()
            # a prepared statement is planned again after SET TimeZone (a
            # literal in it is read in the new zone, where PostgreSQL keeps
            # the zone it was prepared in: docs/timezones.md, so not here)
            q = "SELECT date_trunc('day', %s::timestamptz)::text"
            prepared = [conn.execute(q, ("2024-07-01 12:00+00",), prepare=True).fetchone()]
            conn.execute("SET TimeZone = 'America/New_York'")
            prepared.append(conn.execute(q, ("2024-07-01 12:00+00",), prepare=True).fetchone())
            conn.execute("SET TimeZone = 'Australia/Lord_Howe'")
            results.append((row, binary, prepared))
            assert conn.info.parameter_status("TimeZone") == "Australia/Lord_Howe"
    assert results[0] == results[1]
    assert results[0][0][0].utcoffset() == results[1][0][0].utcoffset()


def test_copy_from_reads_in_the_zone(tz):
    _set(tz, "America/New_York")
    data = "".join("%d\tcopy\t%s\n" % (900 + i, s) for i, s in enumerate(LOCALS))
    data += "950\tcopy\t2024-07-01 12:00+05:30\n"
    for conn in (tz.m, tz.p):
        conn.cursor().copy_expert("COPY tz_in FROM STDIN", io.StringIO(data))
    _set(tz, "UTC")
    exact(tz, "SELECT id, ts FROM tz_in WHERE zone = 'copy' ORDER BY id")


def test_copy_to_in_the_zone(tz):
    _set(tz, "Asia/Kolkata")
    out = []
    for conn in (tz.m, tz.p):
        buf = io.StringIO()
        conn.cursor().copy_expert("COPY (SELECT id, ts FROM tz_t ORDER BY id) TO STDOUT", buf)
        out.append(buf.getvalue())
    assert out[0] == out[1]


def test_bytea_output(tz):
    vals = "SELECT '\\x00ff5c41277f80'::bytea, decode('6869', 'hex'), ''::bytea"
    exact(tz, vals)
    tz.exec_both("SET bytea_output = 'escape'")
    exact(tz, vals)
    exact(tz, "SHOW bytea_output")
    tz.exec_both("SET bytea_output = 'hex'")
    exact(tz, vals)
