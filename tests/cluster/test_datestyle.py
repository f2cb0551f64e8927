"""SET DateStyle (common/datestyle.c), compared with PostgreSQL 15:

- the values murphy honours (output style ISO, any field order) are taken
  and SHOW prints PostgreSQL's canonical form ('ISO, DMY'; a part not
  named is kept from the current value; DEFAULT / RESET give 'ISO, MDY');
- unknown words and conflicts are 22023 as in PostgreSQL;
- the output styles murphy does not write (SQL, Postgres, German) are
  0A000, never accepted and ignored; the setting is left as it was.
- psycopg2 (no DateStyle at connect) and psql keep working.

On murphy-s23 'German' was taken and ignored (dates still ISO) and SHOW
printed the value as written.
"""
import os
import subprocess

import pytest

from compare import run


def _show(conn):
    with conn.cursor() as cur:
        cur.execute("SHOW DateStyle")
        return cur.fetchone()[0]


@pytest.mark.parametrize("seq", [
    ["ISO, DMY"], ["ISO"], ["DMY"], ["ISO, DMY", "ISO"], ["ISO, DMY", "MDY"],
    ["iso, ymd"], ["European"], ["US"], ["ISO, European"], ["NonEuropean, ISO"],
    ["ISO, DMY", "DEFAULT"], ["ISO, YMD", "ISO, DEFAULT"],
])
def test_datestyle_taken_and_shown(db, seq):
    for v in ["ISO, MDY"] + seq:
        db.exec_both("SET DateStyle = '%s'" % v)
        assert _show(db.m) == _show(db.p), v
    db.both("SELECT date '2024-02-01' AS d, timestamp '2024-02-01 10:00' AS t, "
            "timestamptz '2024-02-01 10:00+00' AS tz, date '2024-02-01'::text AS s")
    db.exec_both("RESET DateStyle")
    assert _show(db.m) == _show(db.p) == "ISO, MDY"


@pytest.mark.parametrize("v", ["Foo", "ISO, SQL", "DMY, MDY", "ISO, Bar"])
def test_datestyle_bad_values(db, v):
    db.both_error("SET DateStyle = '%s'" % v, "22023")


@pytest.mark.parametrize("v", ["German", "SQL", "Postgres", "SQL, DMY", "Postgres, MDY",
                               "German, YMD", "DMY, SQL"])
def test_datestyle_styles_not_written_refused(db, v):
    db.exec_both("SET DateStyle = 'ISO, DMY'")
    r = run(db.m, "SET DateStyle = '%s'" % v)
    assert r.error is not None and r.error.pgcode == "0A000", r
    assert "DateStyle" in str(r.error)
    assert _show(db.m) == "ISO, DMY"  # left as it was
    db.exec_both("RESET DateStyle")


def test_datestyle_psycopg2_and_psql(db):
    db.both("SELECT date '2024-02-29' + 1 AS d")
    i = db.m.info
    out = subprocess.run(["psql", "-X", "-At", "-h", i.host, "-p", str(i.port), "-U", i.user,
                          "-d", i.dbname, "-c", "SET DateStyle = 'ISO, DMY'",
                          "-c", "SHOW DateStyle", "-c", "SELECT date '2024-03-01'"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["SET", "ISO,", "DMY", "2024-03-01"], (out.stdout, out.stderr)


def _psql(conn, datestyle, *cmds):
    i = conn.info
    args = ["psql", "-X", "-At", "-h", i.host, "-p", str(i.port), "-U", i.user, "-d", i.dbname]
    for c in cmds:
        args += ["-c", c]
    return subprocess.run(args, env=dict(os.environ, PGDATESTYLE=datestyle),
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("ds", ["ISO, DMY", "iso", "YMD", "European"])
def test_datestyle_at_startup(db, ds):
    # libpq sends PGDATESTYLE in the startup packet; RESET returns to it
    cmds = ("SHOW DateStyle", "SET DateStyle = 'ISO, MDY'", "RESET DateStyle",
            "SHOW DateStyle", "SELECT date '2024-03-01'")
    m, p = _psql(db.m, ds, *cmds), _psql(db.p, ds, *cmds)
    assert m.returncode == p.returncode == 0, (m.stderr, p.stderr)
    assert m.stdout == p.stdout


@pytest.mark.parametrize("ds", ["German", "SQL, DMY"])
def test_datestyle_at_startup_not_written_refused(db, ds):
    m = _psql(db.m, ds, "SELECT date '2024-03-01'")
    assert m.returncode != 0 and "DateStyle" in m.stderr, (m.stdout, m.stderr)
    assert _psql(db.p, ds, "SELECT date '2024-03-01'").stdout.strip() != "2024-03-01"
