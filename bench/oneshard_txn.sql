-- bench/oneshard_txn.sql: a one-shard transaction block for pgbench (BEGIN; UPDATE and read one
-- account; END), after pgbench -i.  Used with bench/cpu_pair.sh: PGBENCH_ARGS="-f bench/oneshard_txn.sql".
\set aid random(1, 100000 * :scale)
\set delta random(-5000, 5000)
BEGIN;
UPDATE pgbench_accounts SET abalance = abalance + :delta WHERE aid = :aid;
SELECT abalance FROM pgbench_accounts WHERE aid = :aid;
END;
