"""Real PostgreSQL clients: psql runs a script end to end (output compared
with PostgreSQL's), pgbench -M prepared (extended protocol) runs."""
import os
import re
import shutil
import subprocess

import pytest

PSQL = shutil.which("psql") or "/usr/bin/psql"
PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"

SCRIPT = r"""
CREATE TABLE tool_users (id int PRIMARY KEY, name text NOT NULL, state text);
INSERT INTO tool_users VALUES (1, 'ann', 'CA'), (2, 'ben', 'NY'), (3, 'cat', NULL);
\copy tool_users FROM '{csv}' WITH (FORMAT csv)
SELECT count(*) FROM tool_users;
SELECT state, count(*) FROM tool_users GROUP BY state ORDER BY state;
SELECT id, name FROM tool_users WHERE id = 5;
UPDATE tool_users SET state = 'TX' WHERE state IS NULL;
DELETE FROM tool_users WHERE id > 8;
SELECT * FROM tool_users ORDER BY id;
SELECT 7 / 2 AS q, 'a' < 'b' AS lt;
DROP TABLE tool_users;
"""


def psql(host_port, user, dbname, *args, stdin=None):
    env = dict(os.environ, PGCONNECT_TIMEOUT="10", PGOPTIONS="")
    cmd = [PSQL, "-X", "-h", "127.0.0.1", "-p", str(host_port), "-U", user, "-d", dbname] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env, input=stdin)


def test_psql_script_end_to_end(cluster, pg, tmp_path, pgconn):
    csv = tmp_path / "more.csv"
    csv.write_text("".join("%d,user%d,%s\n" % (i, i, "WA" if i % 2 else "") for i in range(4, 11)))
    script = tmp_path / "script.sql"
    script.write_text(SCRIPT.format(csv=csv))
    outs = []
    for port, user, dbname in ((cluster.port, "murphy", "murphy"),
                               (pg.port, "postgres", pgconn.info.dbname)):
        r = psql(port, user, dbname, "-v", "ON_ERROR_STOP=1", "-A", "-f", str(script))
        assert r.returncode == 0, "psql failed on port %d:\n%s\n%s" % (port, r.stdout, r.stderr)
        outs.append(r.stdout)
    assert outs[0] == outs[1], "murphy:\n%s\npostgres:\n%s" % tuple(outs)
    assert "COPY 7" in outs[0]


def test_psql_stops_on_error(cluster, tmp_path):
    script = tmp_path / "bad.sql"
    script.write_text("SELECT 1;\nSELECT * FROM does_not_exist;\nSELECT 'not reached';\n")
    r = psql(cluster.port, "murphy", "murphy", "-v", "ON_ERROR_STOP=1", "-f", str(script))
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert "does_not_exist" in r.stderr and "not reached" not in r.stdout


def test_psql_meta_commands(cluster):
    """psql -c runs simple queries; \\conninfo needs only the startup."""
    r = psql(cluster.port, "murphy", "murphy", "-c", "SELECT 40 + 2 AS answer", "-c", r"\conninfo")
    assert r.returncode == 0, r.stderr
    assert "42" in r.stdout and "answer" in r.stdout


@pytest.fixture(scope="module")
def bench_table(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE pgb (id int PRIMARY KEY, v int NOT NULL, pad text)")
        for k in range(0, 10000, 2000):
            cur.execute("INSERT INTO pgb VALUES " + ", ".join(
                "(%d, 0, 'pad%d')" % (i, i) for i in range(k + 1, k + 2001)))
    yield conn
    conn.close()


def pgbench(cluster, tmp_path, script, clients=4, seconds=3):
    f = tmp_path / "bench.sql"
    f.write_text(script)
    cmd = [PGBENCH, "-n", "-M", "prepared", "-f", str(f), "-c", str(clients), "-T", str(seconds),
           "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "murphy", "murphy"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    assert r.returncode == 0, "pgbench failed:\n%s\n%s" % (r.stdout, r.stderr)
    m = re.search(r"number of transactions actually processed: (\d+)", r.stdout)
    assert m, r.stdout
    failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
    assert failed is None or failed.group(1) == "0", r.stdout
    return int(m.group(1)), r.stdout


def test_pgbench_prepared_point_select(cluster, bench_table, tmp_path):
    n, out = pgbench(cluster, tmp_path, "\\set id random(1, 10000)\nSELECT v, pad FROM pgb WHERE id = :id;\n")
    assert n > 100, out


def test_pgbench_prepared_updates_are_all_applied(cluster, bench_table, tmp_path):
    """Every acknowledged update is visible afterwards: sum(v) == transactions."""
    n, out = pgbench(cluster, tmp_path,
                     "\\set id random(1, 10000)\nUPDATE pgb SET v = v + 1 WHERE id = :id;\n",
                     seconds=2)
    with bench_table.cursor() as cur:
        cur.execute("SELECT sum(v) FROM pgb")
        assert cur.fetchone()[0] == n, out
