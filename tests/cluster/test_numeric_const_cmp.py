"""A numeric column compared with a constant number (issue 19, TPC-H Q6's
`l_quantity < 24`) or with another numeric column, compared EXACTLY with
PostgreSQL 15.  The shard SQL compares such a column by its collation,
`col < '24' COLLATE mur_numeric` (sql/emit.c numeric_by_collation),
instead of calling mur_num_cmp per row; these cases check the answers
stay PostgreSQL's:
integer, decimal, negative, NaN and long constants on either side, every
operator, NULLs, NaNs, -0.00, trailing zeros, numbers past 18 digits, a
numeric(p,s) column, a column added by ALTER TABLE, and the plan's shard
query (which, before, held mur_num_cmp)."""
import pytest

from compare import exact


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS ncc")
    db.exec_both("CREATE TABLE ncc (id int PRIMARY KEY, x numeric, q numeric(15,2))")
    db.exec_both(
        "INSERT INTO ncc VALUES (1, 24, 24), (2, 23.99, 23.99), (3, 24.000, 24.01), (4, -24, -24),"
        " (5, 'NaN', 'NaN'), (6, NULL, NULL), (7, -0.00, 0), (8, 0.05, 0.05), (9, 0.0500, 0.07),"
        " (10, 123456789012345678901234.5, 1234567890123.45), (11, 100, 9.99), (12, 1e-20, 0.01),"
        " (13, 9, 100), (14, -0.5, -0.50)")
    db.exec_both("ALTER TABLE ncc ADD COLUMN z numeric")
    db.exec_both("UPDATE ncc SET z = x * 2 WHERE id % 2 = 0")
    return db


@pytest.mark.parametrize("sql", [
    "SELECT id FROM ncc WHERE x < 24",
    "SELECT id FROM ncc WHERE x <= 24",
    "SELECT id FROM ncc WHERE x = 24",
    "SELECT id FROM ncc WHERE x <> 24",
    "SELECT id FROM ncc WHERE x >= 24",
    "SELECT id FROM ncc WHERE x > 24",
    "SELECT id FROM ncc WHERE 24 > x",
    "SELECT id FROM ncc WHERE 24 <= q",
    "SELECT id FROM ncc WHERE q < 24 AND q > -1",
    "SELECT id FROM ncc WHERE x = 0.05",
    "SELECT id FROM ncc WHERE x = 0",
    "SELECT id FROM ncc WHERE q = 0.0",
    "SELECT id FROM ncc WHERE x < -0.4",
    "SELECT id FROM ncc WHERE x > 'NaN'",
    "SELECT id FROM ncc WHERE x >= 'NaN'",
    "SELECT id FROM ncc WHERE x < 'NaN'",
    "SELECT id FROM ncc WHERE q = 'NaN'::numeric",
    "SELECT id FROM ncc WHERE x > 1e20",
    "SELECT id FROM ncc WHERE x < 123456789012345678901234.50",
    "SELECT id FROM ncc WHERE x > 9223372036854775807",
    "SELECT id FROM ncc WHERE x < -9223372036854775807",
    "SELECT id FROM ncc WHERE q BETWEEN 0.05 AND 0.07",
    "SELECT id FROM ncc WHERE NOT (x < 10)",
    "SELECT id FROM ncc WHERE z > 0",
    "SELECT id FROM ncc WHERE z <= -0.5",
    "SELECT id, x < 24 AS lt, q >= 0.05 AS ge, 1 = x AS eq FROM ncc",
    "SELECT count(*), sum(q) FROM ncc WHERE q < 24",
    "SELECT a.id, b.id FROM ncc a JOIN ncc b ON a.id = b.id + 1 WHERE a.x > 0 AND b.q < 24",
    "SELECT id FROM ncc WHERE x < q",
    "SELECT id FROM ncc WHERE x = q",
    "SELECT id FROM ncc WHERE q >= x",
    "SELECT id FROM ncc WHERE z <> x",
    "SELECT id, x = q AS eq, x > q AS gt FROM ncc",
    "SELECT a.id, b.id FROM ncc a JOIN ncc b ON a.id = b.id WHERE a.x < b.q",
])
def test_numeric_column_vs_constant(db, sql):
    exact(db, sql)


def test_shard_query_compares_by_collation(db):
    plan = "\n".join(r[0] for r in db.murphy(
        "EXPLAIN VERBOSE SELECT id FROM ncc WHERE q < 24 AND 0.5 <= x AND x <> q")[1])
    assert "COLLATE mur_numeric" in plan, plan
    assert "mur_num_cmp" not in plan, plan
    # an expression is not a column: still by value through mur_num_cmp
    plan = "\n".join(r[0] for r in db.murphy("EXPLAIN VERBOSE SELECT id FROM ncc WHERE x + 1 < 24")[1])
    assert "mur_num_cmp" in plan, plan


@pytest.fixture(scope="module")
def keyed(db):
    # a numeric key: its shard index is in mur_numeric order, which the
    # compare by collation can seek (mur_num_cmp(k, 5) = 0 scanned)
    db.exec_both("DROP TABLE IF EXISTS ncc_k")
    db.exec_both("CREATE TABLE ncc_k (k numeric PRIMARY KEY, v int)")
    db.exec_both("INSERT INTO ncc_k SELECT g * 1.5, g FROM generate_series(-20, 40) g")
    db.exec_both("INSERT INTO ncc_k VALUES ('NaN', 1000), (0.001, 1001), (123456789012345678901.25, 1002)")
    return db


@pytest.mark.parametrize("sql", [
    "SELECT v FROM ncc_k WHERE k = 3",
    "SELECT v FROM ncc_k WHERE k = 3.0",
    "SELECT v FROM ncc_k WHERE k = 4.50",
    "SELECT v FROM ncc_k WHERE k = -30",
    "SELECT v FROM ncc_k WHERE k = 'NaN'",
    "SELECT v FROM ncc_k WHERE k = 123456789012345678901.250",
    "SELECT v FROM ncc_k WHERE k < 2",
    "SELECT v FROM ncc_k WHERE k > 50",
    "SELECT v FROM ncc_k WHERE k >= 58.5",
    "SELECT v FROM ncc_k WHERE k BETWEEN -3 AND 3",
    "SELECT v FROM ncc_k WHERE k > 0 AND k <= 0.5",
    "SELECT v FROM ncc_k WHERE 10 > k AND k > -1.5",
])
def test_numeric_key_vs_constant(keyed, sql):
    exact(keyed, sql)


def test_column_altered_to_numeric(db):
    # a column that held integers, floats or text before ALTER ... TYPE numeric:
    # its shard values must be numeric TEXT for the collation to compare them
    db.exec_both("DROP TABLE IF EXISTS ncc_alt")
    db.exec_both("CREATE TABLE ncc_alt (id int PRIMARY KEY, x int, y float8, z text)")
    db.exec_both("INSERT INTO ncc_alt VALUES (1, 5, 2.5, '7'), (2, 30, 40.25, '1.5'), (3, NULL, -1, 'NaN')")
    db.exec_both("ALTER TABLE ncc_alt ALTER COLUMN x TYPE numeric")
    db.exec_both("ALTER TABLE ncc_alt ALTER COLUMN y TYPE numeric")
    db.exec_both("ALTER TABLE ncc_alt ALTER COLUMN z TYPE numeric USING z::numeric")
    for sql in ("SELECT id FROM ncc_alt WHERE x < 24", "SELECT id FROM ncc_alt WHERE y < 24",
                "SELECT id FROM ncc_alt WHERE z < 2", "SELECT id FROM ncc_alt WHERE z > 2",
                "SELECT id FROM ncc_alt WHERE x > y", "SELECT id FROM ncc_alt WHERE y <= z"):
        exact(db, sql)
