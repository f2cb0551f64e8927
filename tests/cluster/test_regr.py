"""corr, covar_pop, covar_samp and the regr_* aggregates (issue 19),
differential against a real PostgreSQL 15 (relative tolerance 1e-9):
over a distributed table (partials merged on the leader), grouped, with
NULLs on either side, integer and numeric arguments, one pair, no pair,
a constant X or Y (zero variance), and through a router query.
parser/analyze_regr.c."""
import pytest

FNS = ["corr", "covar_pop", "covar_samp", "regr_count", "regr_sxx", "regr_syy", "regr_sxy",
       "regr_avgx", "regr_avgy", "regr_slope", "regr_intercept", "regr_r2"]


@pytest.fixture(scope="module")
def st(db):
    db.exec_both("DROP TABLE IF EXISTS regr_t")
    db.exec_both("CREATE TABLE regr_t (id int PRIMARY KEY, g int, y float8, x int, n numeric)")
    db.exec_both("INSERT INTO regr_t SELECT i, i % 3, (i * 7 % 11) * 1.5, i % 13, i * 0.25"
                 " FROM generate_series(1, 200) i")
    db.exec_both("INSERT INTO regr_t VALUES (201, 0, NULL, 4, 1), (202, 1, 3.5, NULL, 2),"
                 " (203, 5, 2.0, 7, 3), (204, 6, 1.0, 7, 4), (205, 6, 2.0, 7, 5)")
    return db


@pytest.mark.parametrize("fn", FNS)
def test_whole_table(st, fn):
    st.both("SELECT %s(y, x), %s(x, n) FROM regr_t" % (fn, fn))


@pytest.mark.parametrize("fn", FNS)
def test_grouped(st, fn):
    # g = 5: one pair; g = 6: constant x (zero variance)
    st.both("SELECT g, %s(y, x), %s(x, y) FROM regr_t GROUP BY g ORDER BY g" % (fn, fn))


def test_no_pair_and_router(st):
    st.both("SELECT corr(y, x), regr_count(y, x), covar_samp(y, x) FROM regr_t WHERE id > 1000")
    st.both("SELECT regr_slope(y, x), regr_intercept(y, x) FROM regr_t WHERE id = 7")
    st.both("SELECT g FROM regr_t GROUP BY g HAVING regr_count(y, x) > 60 ORDER BY g")


def test_errors(st):
    st.both_error("SELECT corr(y) FROM regr_t", "42883")
    st.both_error("SELECT corr(y, 'a'::text) FROM regr_t", "42883")
