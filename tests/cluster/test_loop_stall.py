"""One client's huge statement must not starve the others or the failure
detector (issue 14): while one session sends a 1,000,000-value IN list,
another's small inserts all succeed, no follower is declared suspect, and
the leader's worst loop stall (murphy.settings loop_stall_max_ms) stays
under the bound docs/failures.md states."""
import threading
import time

import psycopg2

# docs/failures.md "The leader's own stalls": the parse of a statement of
# 64 KiB and more runs on the thread pool; its planning still runs on the
# loop (~0.2-1.1 s for 1,000,000 values on the test machine).
STALL_BOUND_MS = 2000
IN_VALUES = 1000000


def suspects_in_log(cluster):
    with open("%s/leader/murphy.log" % cluster.dir, errors="replace") as f:
        return [line for line in f if "is suspect" in line]


def test_huge_in_list_does_not_starve_others(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE stall_small (id int PRIMARY KEY, v text)")
        cur.execute("CREATE TABLE stall_big (id int PRIMARY KEY)")
        cur.execute("INSERT INTO stall_big VALUES (1), (2), (3)")
    before = len(suspects_in_log(cluster))
    stop = threading.Event()
    results = {"ok": 0, "failed": []}

    def small_inserts():
        c = cluster.connect()
        i = 0
        while not stop.is_set():
            i += 1
            try:
                with c.cursor() as cur:
                    cur.execute("INSERT INTO stall_small VALUES (%s, 'x')", (i,))
                results["ok"] += 1
            except psycopg2.Error as e:
                results["failed"].append("%s %s" % (e.pgcode, e))
            time.sleep(0.01)
        c.close()

    t = threading.Thread(target=small_inserts)
    t.start()
    try:
        time.sleep(0.3)
        big = "SELECT count(*) FROM stall_big WHERE id IN (%s)" % ",".join(
            str(i) for i in range(IN_VALUES))
        with conn.cursor() as cur:
            cur.execute(big)
            assert cur.fetchone()[0] == 3
        time.sleep(0.5)
    finally:
        stop.set()
        t.join()
    assert not results["failed"], results["failed"][:5]
    assert results["ok"] > 10
    assert len(suspects_in_log(cluster)) == before, suspects_in_log(cluster)[before:]
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM murphy.nodes WHERE role = 'follower' AND state = 'alive'")
        assert cur.fetchone()[0] == cluster.followers
        cur.execute("SELECT count(*) FROM stall_small")
        assert cur.fetchone()[0] == results["ok"]
        cur.execute("SELECT setting FROM murphy.settings WHERE name = 'loop_stall_max_ms'")
        stall = int(cur.fetchone()[0])
    assert stall < STALL_BOUND_MS, stall
    conn.close()
