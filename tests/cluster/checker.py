"""Checker for the failure tests: do all copies of every shard agree, and
does the catalog know what each copy holds?

After a scenario (writes stopped, faults healed) ``check_cluster`` compares,
for every shard in ``murphy.placements``:

- every placement the catalog calls ``current``: its SQLite file
  (``DIR/<node>/data/t<id>_s<shard>.db``, read directly and read-only with
  Python's sqlite3) must hold the same rows (a digest over the rows in key
  order) and the same applied LSN (its newest ``_murphy_log`` entry, or
  ``_murphy_meta.lsn`` after an undo) as the others;
- the catalog's ``applied_lsn`` for each current placement must equal the
  file's LSN (the leader knows what is on each node);
- optionally, the number of current placements per shard (back to the
  replication factor) and that no current placement sits on a given node
  (e.g. one that was declared dead and replaced).

The cluster converges asynchronously (catch-up, rebuilds, LSN flushes every
second), so ``wait_consistent`` retries the check until it passes or a
deadline expires, then raises with the last report.

Files are matched to tables by looking inside them: a placement file holds
exactly one user table (plus murphy's ``_murphy_meta`` / ``_murphy_log``).
"""
import decimal
import glob
import hashlib
import os
import re
import sqlite3
import time


class Inconsistent(AssertionError):
    pass


def _user_table(db):
    names = [r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_murphy\\_%' "
        "ESCAPE '\\' AND name NOT LIKE 'sqlite_%'")]
    return names[0] if len(names) == 1 else None


def _numeric_cmp(a, b):
    try:
        x, y = decimal.Decimal(a), decimal.Decimal(b)
    except decimal.InvalidOperation:
        x, y = a, b
    return (x > y) - (x < y)


def read_placement(path):
    """(table name, file LSN, row count, digest) of one placement file."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    # numeric columns are declared COLLATE mur_numeric (storage registers it)
    db.create_collation("mur_numeric", _numeric_cmp)
    try:
        table = _user_table(db)
        if table is None:
            return None
        lsn = 0
        try:
            # the newest log entry, or _murphy_meta's after an undo (replog.h)
            row = db.execute("SELECT max((SELECT value FROM _murphy_meta WHERE key = 'lsn'),"
                             " coalesce((SELECT max(lsn) FROM _murphy_log), 0))").fetchone()
            lsn = row[0] if row else 0
        except sqlite3.OperationalError:
            pass
        cols = [r[1] for r in db.execute('PRAGMA table_info("%s")' % table)]
        order = ", ".join('"%s"' % c for c in cols)
        h = hashlib.sha256()
        n = 0
        for row in db.execute('SELECT %s FROM "%s" ORDER BY %s' % (order, table, order)):
            h.update(repr(row).encode())
            n += 1
        return table, lsn, n, h.hexdigest()
    finally:
        db.close()


def placement_files(cluster):
    """{(table, shard, node): (path, lsn, rows, digest)} for every file on disk."""
    out = {}
    for node in cluster.node_names()[1:]:
        gens = {}
        for path in glob.glob(os.path.join(cluster.dir, node, "data", "t*_s*.db")):
            # t<id>_s<shard>.db, or t<id>_s<shard>g<gen>.db after a split: the
            # newest generation is the shard's (an older one is being dropped)
            m = re.match(r"t(\d+)_s(\d+)(?:g(\d+))?\.db$", os.path.basename(path))
            if not m:
                continue
            shard, gen = int(m.group(2)), int(m.group(3) or 0)
            if gens.get((m.group(1), shard), -1) > gen:
                continue
            gens[(m.group(1), shard)] = gen
            try:
                info = read_placement(path)
            except sqlite3.Error as e:
                info = ("?", -1, -1, "unreadable: %s" % e)
            if info:
                out[(info[0], shard, node)] = (path,) + info[1:]
    return out


def catalog_placements(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT table_name, shard, node, role, applied_lsn, lag, state "
                    "FROM murphy.placements ORDER BY table_name, shard")
        return cur.fetchall()


def check_cluster(cluster, conn, replicas=None, not_on=(), tables=None):
    """Return a list of problems (empty when consistent)."""
    problems = []
    files = placement_files(cluster)
    shards = {}
    for table, shard, node, role, applied, lag, state in catalog_placements(conn):
        if tables is not None and table not in tables:
            continue
        shards.setdefault((table, shard), []).append((node, role, applied, lag, state))
    for (table, shard), pls in sorted(shards.items()):
        current = [p for p in pls if p[4] == "current"]
        where = "%s shard %d" % (table, shard)
        if replicas is not None and len(current) != replicas:
            problems.append("%s: %d current placements, want %d: %s" % (where, len(current),
                                                                          replicas, pls))
        if not any(p[1] == "primary" for p in current):
            problems.append("%s: no current primary: %s" % (where, pls))
        seen = None
        for node, role, applied, lag, state in current:
            if node in not_on:
                problems.append("%s: current placement on %s, which was replaced" % (where, node))
            f = files.get((table, shard, node))
            if f is None:
                problems.append("%s: catalog lists a current placement on %s, no file there"
                                % (where, node))
                continue
            path, lsn, rows, digest = f
            if rows and not lsn:
                # every row arrives by a logged write: a file with rows at
                # LSN 0 means the LSN was not read (or not kept)
                problems.append("%s on %s: %d rows but file LSN 0" % (where, node, rows))
            if applied != lsn:
                problems.append("%s on %s: catalog applied_lsn %s, file LSN %s"
                                % (where, node, applied, lsn))
            if seen is None:
                seen = (node, lsn, rows, digest, role, applied, lag)
            elif (lsn, digest) != (seen[1], seen[3]):
                problems.append("%s: %s (%s, file lsn %s, %d rows; catalog applied %s lag %s) "
                                "differs from %s (%s, file lsn %s, %d rows; catalog applied %s "
                                "lag %s)" % (where, node, role, lsn, rows, applied, lag, seen[0],
                                             seen[4], seen[1], seen[2], seen[5], seen[6]))
    return problems


def wait_consistent(cluster, conn, timeout=20, **kw):
    """Retry check_cluster until it passes; raise Inconsistent after timeout."""
    deadline = time.time() + timeout
    while True:
        try:
            problems = check_cluster(cluster, conn, **kw)
        except Exception as e:  # a view missing, the leader restarting...
            problems = ["check failed: %r" % (e,)]
        if not problems:
            return
        if time.time() > deadline:
            raise Inconsistent("cluster not consistent after %d s:\n  %s"
                               % (timeout, "\n  ".join(problems)))
        time.sleep(0.3)


def shard_rows(cluster, table):
    """Rows per (shard, node) straight from the files, for debugging."""
    return {(s, n): v[2] for (t, s, n), v in placement_files(cluster).items() if t == table}


def copy_columns(cl, table):
    """{(shard, node): [column names]} of every copy of table (its own file)."""
    out = {}
    for (t, shard, node), v in placement_files(cl).items():
        if t != table:
            continue
        db = sqlite3.connect("file:%s?mode=ro" % v[0], uri=True, timeout=5)
        try:
            out[(shard, node)] = [r[1] for r in db.execute('PRAGMA table_info("%s")' % table)]
        finally:
            db.close()
    return out
