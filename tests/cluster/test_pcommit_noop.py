"""Parallel commits behind a write that changed nothing (docs/transactions.md,
"Parallel commits by default").

An ON DELETE CASCADE / SET NULL runs as one implicit transaction: deleting
two referenced rows updates every shard of the referencing table once per
row, so a shard whose rows matched the first UPDATE but not the second gets
an entry, then a write that changed nothing (no entry).  The transaction's
COMMIT starts in the same loop turn as that second write is done, while it
is still listed in flight on the shard.  The staging marker's base used to
count it as an entry: the marker went out one LSN ahead, every copy refused
it ("placement … is at lsn 3; this write is entry 5") and the COMMIT failed
with 40000 with no fault anywhere (found by `make check-fresh` in
test_foreign_keys.py, about one run in four).  Each round here is one more
chance for that turn's order, so the loop fails almost surely without the
fix, and every round's effect is checked.
"""

REF = " WITH (distribution = 'reference')"
ROUNDS = 15


def scalar(cur, sql):
    cur.execute(sql)
    return cur.fetchone()[0]


def test_cascade_whose_last_write_on_a_shard_changes_nothing_commits(cluster):
    conn = cluster.connect()
    with conn.cursor() as cur:
        cur.execute("SET murphy.parallel_commits = on")
        cur.execute("CREATE TABLE pn_cat (id int PRIMARY KEY)" + REF)
        cur.execute("CREATE TABLE pn_item (id int PRIMARY KEY,"
                    " c int REFERENCES pn_cat ON DELETE CASCADE)" + REF)
        cur.execute("CREATE TABLE pn_note (id int PRIMARY KEY,"
                    " i int REFERENCES pn_item (id) ON DELETE SET NULL) WITH (shards = 4)")
        for r in range(ROUNDS):
            cat, a, b = 1000 * r + 1, 1000 * r + 10, 1000 * r + 11
            cur.execute("INSERT INTO pn_cat VALUES (%s)", (cat,))
            cur.execute("INSERT INTO pn_item VALUES (%s, %s), (%s, %s)", (a, cat, b, cat))
            # notes of item a on several shards; item b has one note only,
            # so most shards' second UPDATE (SET NULL for b) changes nothing
            cur.execute("INSERT INTO pn_note SELECT 1000 * %s + g, %s FROM generate_series(100, 107) g",
                        (r, a))
            cur.execute("INSERT INTO pn_note VALUES (%s, %s)", (1000 * r + 200, b))
            cur.execute("DELETE FROM pn_cat WHERE id = %s", (cat,))
            assert scalar(cur, "SELECT count(*) FROM pn_item WHERE c = %d" % cat) == 0, r
            assert scalar(cur, "SELECT count(*) FROM pn_note WHERE i IN (%d, %d)" % (a, b)) == 0, r
            assert scalar(cur, "SELECT count(*) FROM pn_note WHERE id / 1000 = %d AND i IS NULL"
                          % r) == 9, r
    conn.close()
