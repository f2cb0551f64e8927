"""The client matrix (issue 20, "Tests: a client matrix in make test").

Each client is a small program in tests/clients/ that does what an
application or tool built on that driver does, and prints what it got as
one JSON object.  Every program runs against the murphy cluster and
against the PostgreSQL 15 control (pgserver.py), and the two outputs must
be equal; the control's must hold every step (a step that fails on both
would otherwise compare equal).

  client                    package                            program
  SQLAlchemy 1.4 (ORM)      python3-sqlalchemy                 sqla_client.py
  pandas to_sql/read_sql    python3-pandas                     pandas_client.py
  psycopg2                  python3-psycopg2                   psycopg2_client.py
  node-postgres             npm pg (tests/clients/package.json; Debian node-pg without npm)
                                                               node_pg_client.js
  pgjdbc                    libpostgresql-jdbc-java, default-jdk-headless
                                                               JdbcClient.java
  pgx v4 (default mode)     golang-go, golang-github-jackc-pgx-v4-dev
                                                               pgx_client.go

`make` installs the Debian packages and `make cluster` the npm one
(Makefile: CLIENT_PKGS, clients-deps).  A runtime that is missing skips its
test with the reason, unless MURPHY_CLIENTS=required (as `make cluster`
sets it, having installed them): then it fails.  The Java and Go programs
are compiled once per module into its temporary directory.

psql, pgbench, psycopg 3 and asyncpg are exercised by test_tools.py,
test_pgbench_init.py, test_pg_catalog.py and test_binary.py.
"""
import difflib
import importlib.util
import json
import os
import shutil
import subprocess

import pytest

import murphy_auth

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENTS = os.path.join(os.path.dirname(HERE), "clients")
PYTHON = "/usr/bin/python3"
JDBC_JAR = "/usr/share/java/postgresql.jar"
GOPATH = "/usr/share/gocode"
PGX_SRC = os.path.join(GOPATH, "src/github.com/jackc/pgx/v4")
# one client run against one server: JVM start, a pandas import, ...
CLIENT_TIMEOUT_S = 120
# compiling pgx and its dependencies the first time (the Go build cache
# keeps them for the next run)
BUILD_TIMEOUT_S = 600


def need(ok, what):
    """Skip (or fail, when `make cluster` installed the clients) unless ok."""
    if ok:
        return
    msg = "%s is missing (`make deps` and `make clients-deps` install it)" % what
    if os.environ.get("MURPHY_CLIENTS") == "required":
        pytest.fail(msg)
    pytest.skip(msg)


def need_python(module):
    need(importlib.util.find_spec(module) is not None and os.path.exists(PYTHON),
         "python module %s for %s" % (module, PYTHON))


@pytest.fixture(scope="module")
def envs(cluster, pg, pgconn):
    """libpq environments of murphy and of the PostgreSQL control."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    return {
        "murphy": dict(base, PGHOST="127.0.0.1", PGPORT=str(cluster.port), PGUSER="murphy",
                       PGPASSWORD=murphy_auth.PASSWORD, PGDATABASE="murphy"),
        "postgres": dict(base, PGHOST="127.0.0.1", PGPORT=str(pg.port), PGUSER="postgres",
                         PGDATABASE=pgconn.info.dbname),
    }


def run_client(argv, env, cwd=CLIENTS):
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=CLIENT_TIMEOUT_S)
    assert r.returncode == 0, "%s failed (%d) against port %s:\n%s\n%s" % (
        " ".join(argv), r.returncode, env["PGPORT"], r.stdout, r.stderr)
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise AssertionError("%s printed no JSON:\n%s\n%s" % (argv, r.stdout, r.stderr))


def run_both(envs, argv, cwd=CLIENTS):
    return {t: run_client(argv, env, cwd) for t, env in envs.items()}


def compare(got, keys=(), skip_keys=()):
    """The control must hold every step (no *_error key, every key of
    keys); murphy must print the same (but skip_keys).  Returns murphy's
    output."""
    pg = got["postgres"]
    bad = [k for k in pg if k.endswith("_error")] + [k for k in keys if k not in pg]
    assert not bad, "the control failed %s:\n%s" % (bad, json.dumps(pg, indent=1))
    m = {k: v for k, v in got["murphy"].items() if k not in skip_keys}
    pg = {k: v for k, v in pg.items() if k not in skip_keys}
    if m != pg:
        diff = difflib.unified_diff(json.dumps(pg, indent=1, sort_keys=True).splitlines(),
                                    json.dumps(m, indent=1, sort_keys=True).splitlines(),
                                    "postgres", "murphy", lineterm="", n=2)
        raise AssertionError("murphy differs from PostgreSQL\n" + "\n".join(diff))
    return got["murphy"]


def matrix(envs, argv, cwd=CLIENTS, keys=()):
    """argv against both servers, compared (compare)."""
    return compare(run_both(envs, argv, cwd), keys)


SQLA_KEYS = ("select_1", "tables", "columns", "pk", "indexes", "unique", "foreign_keys",
             "checks", "comment", "views", "orm_ids", "orm_query", "orm_after", "text_rows",
             "text_updated", "alter_columns", "after_drop", "serial_default", "sequences",
             "alter_indexes", "alter_in_block")


# Steps where murphy differs, compared apart and marked xfail(strict): a
# fix turns them into failures that say to remove the entry.
GAPS = {
    "sqla": {},
    "jdbc": {},
}


def gap_keys(client):
    return [k for key in GAPS[client] for k in (key, key + "_error")]


@pytest.fixture(scope="module")
def sqla(envs):
    need_python("sqlalchemy")
    return run_both(envs, [PYTHON, "sqla_client.py"])


def test_sqlalchemy_inspect_orm_text(sqla):
    """connect, the inspector (tables, columns, primary key, indexes, unique
    and check constraints, foreign keys, comments, views), the ORM over a
    SERIAL key, text() with bound parameters, Alembic-style ALTER TABLE
    ADD/DROP COLUMN and CREATE/DROP INDEX outside a block."""
    out = compare(sqla, keys=SQLA_KEYS, skip_keys=gap_keys("sqla"))
    assert out["pk"] == ["id"] and out["orm_ids"] == [1, 2, 3]


@pytest.mark.parametrize("client,key", [
    pytest.param(c, k, marks=pytest.mark.xfail(strict=True, reason=why))
    for c, keys in GAPS.items() for k, why in keys.items()])
def test_known_gap(request, client, key):
    """A step murphy does not do as PostgreSQL yet (GAPS says why)."""
    got = request.getfixturevalue(client)
    assert key in got["postgres"]
    assert got["murphy"].get(key) == got["postgres"][key], got["murphy"].get(key + "_error")


def test_pandas_to_sql_read_sql(envs):
    """to_sql creating its table (and appending to it), read_sql of the
    table (reflection) and of queries with parameters, dtypes included."""
    need_python("pandas")
    out = matrix(envs, [PYTHON, "pandas_client.py"],
                 keys=("to_sql", "read_table", "read_query", "read_agg", "round_trip_equal"))
    assert out["round_trip_equal"] is True and len(out["read_table"]["rows"]) == 255


def test_psycopg2_params_copy_named_cursor(envs):
    """Decimal/date/datetime/bytes parameters, uuid/interval/json(b) both
    ways, copy_expert in and out, named cursors, cursor.description's
    table_oid/table_column, rollback after an error."""
    need_python("psycopg2")
    out = matrix(envs, [PYTHON, "psycopg2_client.py"],
                 keys=("params", "uuid_interval_json", "copy_in", "copy_out", "named_cursor",
                       "description", "rollback_after_failure"))
    assert out["params"]["equal_to_sent"] is True and out["named_cursor"][0] == 200
    assert out["uuid_interval_json"]["equal_to_sent"] is True


def node_env(envs):
    """envs with NODE_PATH at the vendored pg (npm), if there is one."""
    mods = os.path.join(CLIENTS, "node_modules")
    return {t: dict(e, NODE_PATH=mods) if os.path.isdir(mods) else e for t, e in envs.items()}


def test_node_postgres(envs):
    """Parameterized queries, named prepared statements, transactions
    (commit, rollback, an error inside), int8/numeric/timestamptz/bytea/
    bool/NULL both ways."""
    node = shutil.which("node")
    need(node, "node (nodejs)")
    envs = node_env(envs)
    found = subprocess.run([node, "-e", "require('pg')"], env=envs["murphy"], cwd=CLIENTS,
                           capture_output=True).returncode == 0
    need(found, "node-postgres (npm pg in tests/clients/node_modules, or Debian node-pg)")
    out = matrix(envs, [node, "node_pg_client.js"],
                 keys=("insert", "select_all", "select_param", "named_prepared", "txn_commit",
                       "txn_rollback", "txn_after_failure", "literals"))
    assert out["insert"] == 3 and out["txn_after_failure"] == ["23505", "25P02"]


@pytest.fixture(scope="module")
def jdbc_dir(tmp_path_factory):
    need(shutil.which("javac") and shutil.which("java"), "a JDK (default-jdk-headless)")
    need(os.path.exists(JDBC_JAR), "pgjdbc (libpostgresql-jdbc-java)")
    d = str(tmp_path_factory.mktemp("jdbc"))
    r = subprocess.run(["javac", "-d", d, "-cp", JDBC_JAR,
                        os.path.join(CLIENTS, "JdbcClient.java")],
                       capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert r.returncode == 0, "javac failed:\n%s\n%s" % (r.stdout, r.stderr)
    return d


@pytest.fixture(scope="module")
def jdbc(envs, jdbc_dir):
    return run_both(envs, ["java", "-cp", JDBC_JAR + os.pathsep + jdbc_dir, "JdbcClient"])


def test_jdbc_prepared_batch_metadata(jdbc):
    """PreparedStatement with setBigDecimal/setTimestamp/setBytes/setNull
    and setObject (java.time), executeBatch, a statement past
    prepareThreshold (server-prepared, binary results), ResultSetMetaData
    (table, nullability: RowDescription's table OID and attnum),
    DatabaseMetaData getTables/getColumns/getPrimaryKeys/getIndexInfo."""
    out = compare(jdbc, keys=("prepared_insert", "batch_insert", "select_typed", "server_prepared",
                              "meta_tables", "meta_columns", "meta_pk", "meta_index_info",
                              "result_set_metadata", "set_object"),
                  skip_keys=gap_keys("jdbc"))
    assert out["batch_insert"] == 50 and out["meta_pk"] == [["jdbc_t", "id", "1", "jdbc_t_pkey"]]


@pytest.fixture(scope="module")
def pgx_bin(tmp_path_factory):
    need(shutil.which("go"), "Go (golang-go)")
    need(os.path.isdir(PGX_SRC), "pgx v4 (golang-github-jackc-pgx-v4-dev)")
    out = os.path.join(str(tmp_path_factory.mktemp("pgx")), "pgx_client")
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH, GOFLAGS="")
    if "HOME" not in env and "GOCACHE" not in env:  # go keeps its build cache under $HOME
        env["GOCACHE"] = os.path.join(os.path.dirname(CLIENTS), "..", "build", "gocache")
    r = subprocess.run(["go", "build", "-o", out, os.path.join(CLIENTS, "pgx_client.go")],
                       env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert r.returncode == 0, "go build failed:\n%s\n%s" % (r.stdout, r.stderr)
    return out


def test_pgx_default_mode(envs, pgx_bin):
    """pgx v4 as it comes: statement cache, binary parameters and results;
    QueryRow, Exec, Query, transactions, a Batch, CopyFrom (binary COPY)."""
    out = matrix(envs, [pgx_bin], keys=("exec_insert", "query_row", "query_all", "tx_commit",
                                        "tx_rollback", "batch", "copy_from", "copied_rows"))
    assert out["copy_from"][:2] == [200, 200]
