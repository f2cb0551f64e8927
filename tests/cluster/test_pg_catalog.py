"""pg_catalog and information_schema: what psql's \\d family and ORMs read.

The same schema is created on murphy and on a real PostgreSQL 15; psql's
meta-commands must print the same (owner names aside), and the
introspection queries SQLAlchemy 1.4's PostgreSQL dialect sends (copied
from sqlalchemy/dialects/postgresql/base.py) must give the same rows.
"""
import re
import subprocess

import psycopg2
import pytest

SCHEMA = [
    "CREATE TABLE cat_t (id int PRIMARY KEY, name text NOT NULL, score float8,"
    " created timestamptz DEFAULT now(), note varchar(20))",
    "CREATE TABLE cat_u (k bigint, v text)",
    # secondary indexes (catalog_index.c): \d, \di, pg_indexes, pg_dump see them
    "CREATE INDEX cat_t_score_idx ON cat_t (score DESC, name)",
    "CREATE UNIQUE INDEX cat_t_note_key ON cat_t (id, note)",
]

META = ["\\dt", "\\d cat_t", "\\d+ cat_t", "\\d cat_u", "\\di", "\\df", "\\dv",
        "\\d", "\\d cat_t_pkey", "\\d cat_t_score_idx", "\\dT", "\\ds", "\\dm", "\\dD"]


@pytest.fixture(scope="module")
def both(cluster, pgconn):
    m = cluster.connect()
    for conn in (m, pgconn):
        with conn.cursor() as cur:
            for s in SCHEMA:
                cur.execute(s)
    yield m, pgconn
    m.close()


def psql(dsn, command):
    r = subprocess.run(["psql", "-X", "-d", dsn, "-c", command], capture_output=True,
                       text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_psql_gdesc_matches_postgres(cluster, both, pgconn):
    """\\gdesc: psql describes the statement, then asks format_type over a
    VALUES list for the names of its column types."""
    outs = []
    for dsn in (cluster.dsn(), pg_dsn(pgconn)):
        r = subprocess.run(["psql", "-X", "-d", dsn], input="SELECT * FROM cat_t \\gdesc\n",
                           capture_output=True, text=True, timeout=30)
        outs.append(r.stdout + r.stderr)
    assert "character varying(20)" in outs[0] and outs[0] == outs[1], outs


def normalized(text, owner):
    """psql output with the owner's name and the column widths it sets
    taken out."""
    text = text.replace(owner, "OWNER")
    return [re.sub(r"\s*\|\s*", "|", re.sub(r"-+", "-", line)).strip()
            for line in text.splitlines()]


def pg_dsn(pgconn):
    p = pgconn.get_dsn_parameters()
    return "host=%s port=%s user=%s dbname=%s" % (p["host"], p["port"], p["user"],
                                                  p["dbname"])


@pytest.mark.parametrize("command", META)
def test_psql_meta_commands_match_postgres(cluster, both, pgconn, command):
    rc_m, out_m = psql(cluster.dsn(), command)
    rc_p, out_p = psql(pg_dsn(pgconn), command)
    assert rc_m == 0 and "ERROR" not in out_m, out_m
    assert normalized(out_m, "murphy") == normalized(out_p, pgconn.info.user), out_m


def test_psql_list_schemas_roles_databases(cluster, both):
    rc, out = psql(cluster.dsn(), "\\dn")
    assert rc == 0 and re.search(r"^\s*public\s*\|", out, re.M), out
    rc, out = psql(cluster.dsn(), "\\du")
    assert rc == 0 and re.search(r"^\s*murphy\s*\|\s*Superuser", out, re.M), out
    rc, out = psql(cluster.dsn(), "\\l")
    assert rc == 0 and re.search(r"^\s*murphy\s*\|.*UTF8", out, re.M), out


def rows(conn, sql, params=None):
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def run(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)


def table_oid(conn, name):
    """SQLAlchemy 1.4's get_table_oid."""
    return rows(conn, """
        SELECT c.oid
        FROM pg_catalog.pg_class c
        LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE (pg_catalog.pg_table_is_visible(c.oid))
        AND c.relname = %(table_name)s AND c.relkind in ('r', 'v', 'm', 'f', 'p')
    """, {"table_name": name})[0][0]


# SQLAlchemy 1.4's inspector queries, with the table's OID as :table_oid.
COLUMNS = """
SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (
    SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid)
    FROM pg_catalog.pg_attrdef d
    WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum
    AND a.atthasdef
  ) AS DEFAULT,
  a.attnotnull,
  a.attrelid as table_oid,
  pgd.description as comment,
  a.attgenerated as generated,
  (SELECT json_build_object(
      'always', a.attidentity = 'a',
      'start', s.seqstart,
      'increment', s.seqincrement,
      'minvalue', s.seqmin,
      'maxvalue', s.seqmax,
      'cache', s.seqcache,
      'cycle', s.seqcycle)
   FROM pg_catalog.pg_sequence s
   JOIN pg_catalog.pg_class c on s.seqrelid = c."oid"
   WHERE c.relkind = 'S'
   AND a.attidentity != ''
   AND s.seqrelid = pg_catalog.pg_get_serial_sequence(
       a.attrelid::regclass::text, a.attname
   )::regclass::oid
  ) as identity_options
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_description pgd ON (
    pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum)
WHERE a.attrelid = %(oid)s
AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""

PK_COLUMNS = """
SELECT a.attname
FROM pg_class t
join pg_index ix on t.oid = ix.indrelid
join pg_attribute a on t.oid = a.attrelid AND a.attnum = ANY(ix.indkey)
WHERE t.oid = %(oid)s and ix.indisprimary = 't'
ORDER BY a.attnum
"""

PK_NAME = """
SELECT conname
FROM pg_catalog.pg_constraint r
WHERE r.conrelid = %(oid)s AND r.contype = 'p'
ORDER BY 1
"""

FOREIGN_KEYS = """
SELECT r.conname,
  pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
  n.nspname as conschema
FROM  pg_catalog.pg_constraint r,
  pg_namespace n,
  pg_class c
WHERE r.conrelid = %(oid)s AND
  r.contype = 'f' AND
  c.oid = confrelid AND
  n.oid = c.relnamespace
ORDER BY 1
"""

INDEXES = """
SELECT
  i.relname as relname,
  ix.indisunique, ix.indexprs,
  a.attname, a.attnum, c.conrelid, ix.indkey::varchar,
  i.reloptions, am.amname,
  pg_get_expr(ix.indpred, ix.indrelid),
  ix.indnkeyatts as indnkeyatts
FROM
  pg_class t
    join pg_index ix on t.oid = ix.indrelid
    join pg_class i on i.oid = ix.indexrelid
    left outer join
      pg_attribute a
      on t.oid = a.attrelid and a.attnum = ANY(ix.indkey)
    left outer join
      pg_constraint c
      on (ix.indrelid = c.conrelid and
          ix.indexrelid = c.conindid and
          c.contype in ('p', 'u', 'x'))
    left outer join
      pg_am am
      on i.relam = am.oid
WHERE
  t.relkind IN ('r', 'v', 'f', 'm', 'p')
  and t.oid = %(oid)s
  and ix.indisprimary = 'f'
ORDER BY
  t.relname,
  i.relname
"""

UNIQUE = """
SELECT
  cons.conname as name,
  cons.conkey as key,
  a.attnum as col_num,
  a.attname as col_name
FROM
  pg_catalog.pg_constraint cons
  join pg_attribute a
    on cons.conrelid = a.attrelid AND
      a.attnum = ANY(cons.conkey)
WHERE
  cons.conrelid = %(oid)s AND
  cons.contype = 'u'
"""

COMMENT = """
SELECT
  pgd.description as table_comment
FROM
  pg_catalog.pg_description pgd
WHERE
  pgd.objsubid = 0 AND
  pgd.objoid = %(oid)s
"""

CHECKS = """
SELECT
  cons.conname as name,
  pg_get_constraintdef(cons.oid) as src
FROM
  pg_catalog.pg_constraint cons
WHERE
  cons.conrelid = %(oid)s AND
  cons.contype = 'c'
"""

ENUMS = """
SELECT t.typname as "name",
   pg_catalog.pg_type_is_visible(t.oid) as "visible",
   n.nspname as "schema",
   e.enumlabel as "label"
FROM pg_catalog.pg_type t
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
     LEFT JOIN pg_catalog.pg_enum e ON t.oid = e.enumtypid
WHERE t.typtype = 'e'
ORDER BY "schema", "name", e.oid
"""

DOMAINS = """
SELECT t.typname as "name",
   pg_catalog.format_type(t.typbasetype, t.typtypmod) as "attype",
   not t.typnotnull as "nullable",
   t.typdefault as "default",
   pg_catalog.pg_type_is_visible(t.oid) as "visible",
   n.nspname as "schema"
FROM pg_catalog.pg_type t
   LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd'
"""

INSPECTOR = [COLUMNS, PK_COLUMNS, PK_NAME, FOREIGN_KEYS, INDEXES, UNIQUE, COMMENT, CHECKS]


@pytest.mark.parametrize("table", ["cat_t", "cat_u"])
def test_sqlalchemy_inspector_queries_match_postgres(both, table):
    m, p = both
    for sql in INSPECTOR:
        got = rows(m, sql, {"oid": table_oid(m, table)})
        want = rows(p, sql, {"oid": table_oid(p, table)})
        # the table's OID is murphy's own; everything else must agree
        got = [tuple("OID" if v == table_oid(m, table) else v for v in r) for r in got]
        want = [tuple("OID" if v == table_oid(p, table) else v for v in r) for r in want]
        assert got == want, sql
    # no enums or domains in murphy; PostgreSQL's own are information_schema's
    assert rows(m, ENUMS) == rows(p, ENUMS) == []
    assert rows(m, DOMAINS) == [r for r in rows(p, DOMAINS) if r[5] == "public"] == []


def test_sqlalchemy_connect_and_table_names(both):
    m, p = both
    version = rows(m, "select pg_catalog.version()")[0][0]
    assert re.match(r"PostgreSQL (\d+)\.(\d+)", version), version
    assert version.split()[1] == rows(m, "SHOW server_version")[0][0]
    assert rows(m, "select current_schema()") == [("public",)]
    assert rows(m, "SHOW server_version_num") == [("150000",)]
    for conn in (m, p):
        names = rows(conn, "SELECT c.relname FROM pg_class c JOIN pg_namespace n"
                     " ON n.oid = c.relnamespace WHERE n.nspname = %(schema)s"
                     " AND c.relkind in ('r', 'p') ORDER BY 1", {"schema": "public"})
        assert [n for (n,) in names if n.startswith("cat_")] == ["cat_t", "cat_u"]
        assert rows(conn, "select relname from pg_class c join pg_namespace n on"
                    " n.oid=c.relnamespace where pg_catalog.pg_table_is_visible(c.oid)"
                    " and relname=%(name)s", {"name": "cat_t"}) == [("cat_t",)]


def test_information_schema_matches_postgres(both):
    m, p = both
    queries = [
        "SELECT table_name, table_type FROM information_schema.tables"
        " WHERE table_schema = 'public' ORDER BY 1",
        "SELECT table_name, column_name, ordinal_position, is_nullable, data_type,"
        " character_maximum_length, numeric_precision FROM information_schema.columns"
        " WHERE table_schema = 'public' ORDER BY 1, 3",
        "SELECT tc.table_name, tc.constraint_name, tc.constraint_type, k.column_name,"
        " k.ordinal_position FROM information_schema.table_constraints tc"
        " JOIN information_schema.key_column_usage k"
        " ON k.constraint_name = tc.constraint_name AND k.table_name = tc.table_name"
        " WHERE tc.table_schema = 'public' ORDER BY 1, 5",
        "SELECT schema_name FROM information_schema.schemata"
        " WHERE schema_name IN ('public', 'pg_catalog', 'information_schema') ORDER BY 1",
    ]
    for sql in queries:
        assert rows(m, sql) == rows(p, sql), sql


def test_oids_consistent_across_catalogs(both):
    m, _ = both
    oid = table_oid(m, "cat_t")
    assert rows(m, "SELECT 'cat_t'::regclass::oid, 'public.cat_t'::regclass::oid") == \
        [(oid, oid)]
    assert rows(m, "SELECT c.oid::regclass FROM pg_catalog.pg_class c WHERE c.oid = %s",
                (oid,)) == [("cat_t",)]
    assert rows(m, "SELECT count(*) FROM pg_catalog.pg_attribute WHERE attrelid = %s",
                (oid,)) == [(5,)]
    # the catalogs have PostgreSQL's OIDs where clients name them
    for conn in both:
        assert rows(conn, "SELECT 'pg_class'::regclass::oid, 'pg_catalog.pg_class'::regclass::oid,"
                    " (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'pg_class')") == \
            [(1259, 1259, 1259)]
    idx = rows(m, "SELECT indexrelid FROM pg_catalog.pg_index WHERE indrelid = %s", (oid,))
    assert rows(m, "SELECT pg_catalog.pg_get_indexdef(%s)", (idx[0][0],)) == \
        [("CREATE UNIQUE INDEX cat_t_pkey ON public.cat_t USING btree (id)",)]
    con = rows(m, "SELECT oid FROM pg_catalog.pg_constraint WHERE conindid = %s",
               (idx[0][0],))
    assert rows(m, "SELECT pg_catalog.pg_get_constraintdef(%s, true)", (con[0][0],)) == \
        [("PRIMARY KEY (id)",)]


def test_session_functions(both):
    m, p = both
    for conn in (m, p):
        assert rows(conn, "SELECT current_setting('server_version_num')") == [("150000",)] \
            or conn is p
        assert rows(conn, "SELECT pg_catalog.set_config('application_name', 'x1', false)") \
            == [("x1",)]
        assert rows(conn, "SHOW application_name") == [("x1",)]
        assert rows(conn, "SELECT has_table_privilege('cat_t', 'SELECT'),"
                    " pg_catalog.pg_encoding_to_char(6),"
                    " pg_catalog.format_type(1043, 24)") == [(True, "UTF8",
                                                               "character varying(20)")]
        pid = rows(conn, "SELECT pg_catalog.pg_backend_pid()")[0][0]
        assert rows(conn, "SELECT count(*) FROM pg_catalog.pg_stat_activity"
                    " WHERE pid = %s", (pid,)) == [(1,)]
        assert rows(conn, "SELECT setting FROM pg_catalog.pg_settings"
                    " WHERE name = 'application_name'") == [("x1",)]
    # set_config(…, true) is SET LOCAL: gone at the block's end, as in PostgreSQL
    for conn in (m, p):
        conn.autocommit = False
        try:
            assert rows(conn, "SELECT set_config('application_name', 'in_block', true)") == \
                [("in_block",)]
            assert rows(conn, "SHOW application_name") == [("in_block",)]
            conn.commit()
        finally:
            conn.autocommit = True
        assert rows(conn, "SHOW application_name") == [("x1",)]
    # murphy checks the value as SET does
    with pytest.raises(Exception) as e:
        rows(m, "SELECT set_config('murphy.read_consistency', 'bogus', false)")
    assert e.value.pgcode == "22023"
    with pytest.raises(Exception) as e:
        rows(m, "SELECT current_setting('no_such_setting')")
    assert e.value.pgcode == "42704"
    with pytest.raises(Exception) as e:
        rows(m, "SELECT 'no_such_table'::regclass")
    assert e.value.pgcode == "42P01"


def test_tab_completion_query(both):
    """psql 15's completion of a table name after FROM (tab-complete.c,
    Query_for_list_of_selectables plus the schema names)."""
    m, p = both
    sql = ("SELECT c.relname, NULL::pg_catalog.text FROM pg_catalog.pg_class c"
           " WHERE c.relkind IN ('r', 'S', 'v', 'm', 'f', 'p')"
           " AND (c.relname) LIKE 'cat\\_%%'"
           " AND pg_catalog.pg_table_is_visible(c.oid)"
           " AND c.relnamespace <> (SELECT oid FROM pg_catalog.pg_namespace"
           " WHERE nspname = 'pg_catalog')"
           " UNION ALL SELECT NULL::pg_catalog.text, n.nspname"
           " FROM pg_catalog.pg_namespace n WHERE n.nspname LIKE 'cat\\_%%'"
           " AND n.nspname NOT LIKE E'pg\\\\_%%' LIMIT 1000")
    assert sorted(rows(m, sql)) == sorted(rows(p, sql)) == [("cat_t", None), ("cat_u", None)]


def test_extended_protocol_parameter(cluster, both):
    """A driver's prepared catalog query (JDBC, node-postgres): an untyped
    $1 is described as text and compares with an OID column as a number."""
    import struct
    from wire import logged_in, msg, read_messages
    oid = table_oid(both[0], "cat_t")
    s = logged_in(cluster.port)
    sql = b"SELECT c.relname FROM pg_catalog.pg_class c WHERE c.oid = $1\0"
    s.sendall(msg(b"P", b"\0" + sql + struct.pack("!H", 0)) +
              msg(b"D", b"S\0") +
              msg(b"B", b"\0\0" + struct.pack("!HH", 0, 1) +
                  struct.pack("!I", len(str(oid))) + str(oid).encode() +
                  struct.pack("!H", 0)) +
              msg(b"E", b"\0" + struct.pack("!I", 0)) + msg(b"S"))
    got = read_messages(s)
    s.close()
    kinds = [k for k, _ in got]
    assert b"E" not in kinds, got
    params = [b for k, b in got if k == b"t"][0]
    assert struct.unpack("!HI", params[:6]) == (1, 25)  # one parameter, text
    rows = [b for k, b in got if k == b"D"]
    assert len(rows) == 1 and rows[0].endswith(b"cat_t"), got


def test_result_column_names_match_postgres(both):
    m, p = both
    for sql in ["SELECT c.oid::regclass, relname, pg_catalog.format_type(23, -1),"
                " c.relkind = 'r', CASE WHEN true THEN 1 END, current_schema()"
                " FROM pg_catalog.pg_class c WHERE c.relname = 'cat_t'",
                "SELECT n.nspname AS \"Schema\", count(*) FROM pg_catalog.pg_namespace n"
                " WHERE n.nspname = 'public' GROUP BY 1",
                "SHOW ALL"]:
        names = []
        for conn in (m, p):
            with conn.cursor() as cur:
                cur.execute(sql)
                names.append([d.name for d in cur.description])
        assert names[0] == names[1], sql
    assert ("application_name", "psql") not in rows(m, "SHOW ALL")
    assert [r for r in rows(m, "SHOW ALL") if r[0] == "server_version"] == \
        [("server_version", "15.0", "Shows the server version.")]  # PostgreSQL's short_desc


def tab_complete(dsn, typed, timeout=10.0):
    """What psql's readline prints after `typed` and two TABs, in a pty."""
    import os
    import pty
    import select
    import signal
    import time
    try:
        pid, fd = pty.fork()
    except OSError as e:  # a chroot without /dev/pts (make check-fresh)
        pytest.skip("psql's tab completion needs a pseudo-terminal: %s" % e)
    if pid == 0:
        os.environ["TERM"] = "dumb"
        os.execvp("psql", ["psql", "-X", "-d", dsn])
    out = b""

    def read_until(pred):
        nonlocal out
        end = time.time() + timeout
        while time.time() < end and not pred(out):
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    return
    try:
        read_until(lambda o: o.rstrip().endswith(b"=#"))
        start = len(out)
        os.write(fd, typed.encode() + b"\t\t")
        # the candidates, then the prompt and the line again
        read_until(lambda o: o[start:].count(typed.encode()) >= 2)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
    return out.decode(errors="replace")


def test_psql_tab_completion(cluster, both, pgconn):
    def candidates(dsn):
        text = tab_complete(dsn, "SELECT * FROM cat_")
        return sorted(set(re.findall(r"\bcat_\w+", text)))
    assert candidates(cluster.dsn()) == candidates(pg_dsn(pgconn)) == ["cat_t", "cat_u"]


# pgjdbc's DatabaseMetaData (PgDatabaseMetaData.java: getTables with types
# {"TABLE"}, getColumns, getSchemas), as DBeaver and IntelliJ call them.
JDBC_TABLES = (
    "SELECT NULL AS TABLE_CAT, n.nspname AS TABLE_SCHEM, c.relname AS TABLE_NAME, "
    " CASE n.nspname ~ '^pg_' OR n.nspname = 'information_schema' "
    " WHEN true THEN CASE "
    " WHEN n.nspname = 'pg_catalog' OR n.nspname = 'information_schema' THEN CASE c.relkind "
    "  WHEN 'r' THEN 'SYSTEM TABLE'   WHEN 'v' THEN 'SYSTEM VIEW'   WHEN 'i' THEN 'SYSTEM INDEX' "
    "  ELSE NULL   END "
    " WHEN n.nspname = 'pg_toast' THEN CASE c.relkind "
    "  WHEN 'r' THEN 'SYSTEM TOAST TABLE'   WHEN 'i' THEN 'SYSTEM TOAST INDEX'   ELSE NULL   END "
    " ELSE CASE c.relkind "
    "  WHEN 'r' THEN 'TEMPORARY TABLE'   WHEN 'p' THEN 'TEMPORARY TABLE' "
    "  WHEN 'i' THEN 'TEMPORARY INDEX'   WHEN 'S' THEN 'TEMPORARY SEQUENCE' "
    "  WHEN 'v' THEN 'TEMPORARY VIEW'   ELSE NULL   END  END "
    " WHEN false THEN CASE c.relkind "
    " WHEN 'r' THEN 'TABLE'  WHEN 'p' THEN 'PARTITIONED TABLE'  WHEN 'i' THEN 'INDEX' "
    " WHEN 'P' then 'PARTITIONED INDEX'  WHEN 'S' THEN 'SEQUENCE'  WHEN 'v' THEN 'VIEW' "
    " WHEN 'c' THEN 'TYPE'  WHEN 'f' THEN 'FOREIGN TABLE'  WHEN 'm' THEN 'MATERIALIZED VIEW' "
    " ELSE NULL  END  ELSE NULL  END  AS TABLE_TYPE, d.description AS REMARKS, "
    " '' as TYPE_CAT, '' as TYPE_SCHEM, '' as TYPE_NAME, "
    "'' AS SELF_REFERENCING_COL_NAME, '' AS REF_GENERATION "
    " FROM pg_catalog.pg_namespace n, pg_catalog.pg_class c "
    " LEFT JOIN pg_catalog.pg_description d ON (c.oid = d.objoid AND d.objsubid = 0) "
    " LEFT JOIN pg_catalog.pg_class dc ON (d.classoid=dc.oid AND dc.relname='pg_class') "
    " LEFT JOIN pg_catalog.pg_namespace dn ON (dn.oid=dc.relnamespace AND dn.nspname='pg_catalog') "
    " WHERE c.relnamespace = n.oid  AND c.relname LIKE E'cat\\\\_%'"
    " AND (false  OR ( c.relkind = 'r' AND n.nspname !~ '^pg_' AND"
    " n.nspname <> 'information_schema' ) ) "
    " ORDER BY TABLE_TYPE,TABLE_SCHEM,TABLE_NAME ")

JDBC_COLUMNS = (
    "SELECT * FROM (SELECT n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull "
    "OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,"
    "row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, "
    "nullif(a.attidentity, '') as attidentity,"
    "pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,"
    "t.typtype  FROM pg_catalog.pg_namespace n "
    " JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid) "
    " JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid) "
    " JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid) "
    " LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum) "
    " LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid) "
    " LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class') "
    " LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog') "
    " WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped "
    " AND n.nspname LIKE 'public' AND c.relname LIKE E'cat\\\\_%') c WHERE true "
    " ORDER BY nspname,c.relname,attnum ")

JDBC_SCHEMAS = (
    "SELECT nspname AS TABLE_SCHEM, NULL AS TABLE_CATALOG FROM pg_catalog.pg_namespace "
    " WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_' "
    " OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_' "
    " OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_')) "
    " AND nspname LIKE 'p%' ORDER BY TABLE_SCHEM")


def test_jdbc_metadata_queries_match_postgres(both):
    m, p = both
    for sql in (JDBC_TABLES, JDBC_COLUMNS, JDBC_SCHEMAS):
        got, want = [], []
        for conn, out in ((m, got), (p, want)):
            with conn.cursor() as cur:
                cur.execute(sql)
                out.append([d.name for d in cur.description])
                out.extend(cur.fetchall())
        assert got == want, sql
    assert len(rows(m, JDBC_COLUMNS)) == 7


@pytest.mark.parametrize("name", ["server_version", "server_version_num", "server_encoding",
                                  "integer_datetimes", "max_identifier_length", "is_superuser",
                                  "block_size", "lc_collate"])
def test_settings_fixed_at_build_cannot_be_changed(both, name):
    """Settings PostgreSQL fixes when it is built or initdb runs: SHOW
    answers, SET / RESET / set_config() are 55P02 as in PostgreSQL (murphy
    accepted SET server_version and then showed the new value), and
    pg_settings says their context is internal."""
    m, p = both
    for conn in (m, p):
        before = rows(conn, "SHOW %s" % name)
        for sql in ("SET %s = '1'" % name, "RESET %s" % name,
                    "SELECT set_config('%s', '1', false)" % name):
            with pytest.raises(psycopg2.Error) as e:
                run(conn, sql)
            assert e.value.pgcode == "55P02", (conn is m, sql, e.value)
            assert e.value.diag.message_primary == \
                'parameter "%s" cannot be changed' % name, e.value
        assert rows(conn, "SHOW %s" % name) == before
        if name != "is_superuser":  # PostgreSQL leaves it out of pg_settings
            assert rows(conn, "SELECT context FROM pg_settings WHERE name = %s",
                        (name,)) == [("internal",)], conn is m


def test_set_role_and_session_authorization_only_to_oneself(both):
    """murphy has no identity switch: SET ROLE / SESSION AUTHORIZATION to
    the session's own user (or NONE / DEFAULT) is taken, another user is
    refused with 0A000, never accepted and ignored (current_user stayed
    murphy after SET session_authorization = 'nobody' succeeded); a role
    that does not exist is 22023, as in PostgreSQL (a non-superuser's
    42501: test_auth_control.py)."""
    m, _ = both
    user = rows(m, "SELECT current_user")[0][0]
    for sql in ("SET ROLE %s" % user, "SET ROLE NONE", "RESET ROLE",
                "SET SESSION AUTHORIZATION %s" % user, "SET SESSION AUTHORIZATION DEFAULT",
                "DROP ROLE IF EXISTS someone_else", "CREATE ROLE someone_else"):
        run(m, sql)
    for sql, code in (("SET ROLE someone_else", "0A000"),
                      ("SET session_authorization = 'someone_else'", "0A000"),
                      ("SET ROLE no_such_role", "22023")):
        with pytest.raises(psycopg2.Error) as e:
            run(m, sql)
        assert e.value.pgcode == code, (sql, e.value)
        assert sql.split()[-1].strip("'") in e.value.diag.message_primary
    run(m, "DROP ROLE someone_else")
    assert rows(m, "SELECT current_user") == [(user,)]


def test_reset_answers_reset(both):
    """RESET's command tag is RESET, SET ... TO DEFAULT's is SET, as in
    PostgreSQL (murphy answered SET to both)."""
    for conn in both:
        with conn.cursor() as cur:
            cur.execute("RESET application_name")
            assert cur.statusmessage == "RESET"
            cur.execute("SET application_name TO DEFAULT")
            assert cur.statusmessage == "SET"
