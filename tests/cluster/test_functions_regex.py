"""PostgreSQL's regular expression functions that answered 42883 (or a
wrong answer) before issue 19's "regexfn" work, each compared with a real
PostgreSQL: regexp_matches and regexp_split_to_table (in FROM, alone in a
select list without FROM, and per row in a select list with FROM, on the
shards), regexp_split_to_array, regexp_count, regexp_instr, regexp_substr,
substring(x FROM pattern), substring(x SIMILAR p ESCAPE e) /
substring(x FROM p FOR e), SIMILAR TO, and the flags i c n m s t x q g.
Over constants (on the leader) and over a distributed table's rows, with
NULLs, empty strings, empty matches and multibyte text.  What murphy's
regex engine cannot say answers 0A000, never a different match."""
import pytest

WORDS = [
    (1, "abc abd", "ab(.)", "g"),
    (2, "xyz", "y", ""),
    (3, None, "a", "g"),
    (4, "AbC-aBc", "b", "gi"),
    (5, "one,two,,three", ",", "g"),
    (6, "", "x", ""),
    (7, "héllo wörld", "[öé]", "g"),
    (8, "line1\nline2\nline3", "^line(\\d)$", "gn"),
    (9, "k1=v1;k2=v2;k3", "(\\w+)=(\\w+)", "g"),
    (10, "aaa", "a*", "g"),
]


@pytest.fixture(scope="module", autouse=True)
def loaded(db):
    db.exec_both("DROP TABLE IF EXISTS rx_words")
    db.exec_both("CREATE TABLE rx_words (id int PRIMARY KEY, w text, p text, f text)")
    for row in WORDS:
        db.exec_both("INSERT INTO rx_words VALUES (%s, %s, %s, %s)", row)
    return db


SCALAR = [
    # regexp_split_to_array: empty matches, degenerate ones, an empty string
    "SELECT regexp_split_to_array('a b  c', ' +'), regexp_split_to_array('abc', ''), "
    "regexp_split_to_array('abc', 'x*'), regexp_split_to_array('', 'a'), "
    "regexp_split_to_array('a1b22c', '\\d'), regexp_split_to_array('abcbd', 'b*'), "
    "regexp_split_to_array('aXbxc', 'x', 'i'), regexp_split_to_array(NULL, 'a')",
    # regexp_count: start positions (characters), anchors past the start
    "SELECT regexp_count('abcabc', 'b'), regexp_count('abc', '', 10), regexp_count('abc', '', 4), "
    "regexp_count('abc', '', 3), regexp_count('abcabc', '^a', 2), regexp_count('ABCabc', 'b', 1, "
    "'i'), regexp_count('héhé', 'é', 2), regexp_count(NULL, 'a'), regexp_count('a', 'a', NULL)",
    "SELECT regexp_count(E'ab\\ncd', '^c', 1, 'n'), regexp_count(E'ab\\ncd', '^c', 4, 'n'), "
    "regexp_count(E'ab\\ncd', '^c', 1, 'm'), regexp_count(E'ab\\ncd', '^c', 1, 'ns'), "
    "regexp_count(E'ab\\ncd', 'b.c'), regexp_count(E'ab\\ncd', 'b.c', 1, 'n')",
    # regexp_instr: n, endoption, subexpr (PostgreSQL's subexpr 1 without groups)
    "SELECT regexp_instr('abcabc', 'b', 1, 2), regexp_instr('abcabc', 'b', 1, 2, 1), "
    "regexp_instr('abcabc', '(b)(c)', 1, 1, 0, '', 2), regexp_instr('abc', 'x'), "
    "regexp_instr('abc', 'b', 1, 1, 0, '', 1), regexp_instr('abc', 'b', 1, 1, 1, '', 1), "
    "regexp_instr('abc', 'c', 4), regexp_instr('abc', '(b)', 1, 1, 0, '', 5), "
    "regexp_instr('héllo', 'l', 1, 2, 1), regexp_instr('a(x)?', '(x)?', 1)",
    # regexp_substr
    "SELECT regexp_substr('abcabc', 'b(c)', 1, 2, '', 1), regexp_substr('abc', 'x'), "
    "regexp_substr('abc', 'b', 1, 1, '', 1), regexp_substr('abc', '', 4), "
    "regexp_substr('abc', '(b)', 1, 1, '', 5), regexp_substr('ABC', 'b', 1, 1, 'i'), "
    "regexp_substr('ax', 'a(y)?x', 1, 1, '', 1), regexp_substr('héllo wörld', '\\w+', 3)",
    # substring(x FROM pattern): a group's match, a whole match, an untyped pattern
    "SELECT substring('foobar' from 'o.b'), substring('foobar' from 'o(.)b'), "
    "substring('foobar' from '(x)?b'), substring('foobar' from '2'), "
    "substring('foo2bar', '\\d'), substring('foobar' from 2 for 3), substring('foobar', 2), "
    "substring('foobar' from '2' for 3), substring(NULL from 'a')",
    # SQL regular expressions: substring SIMILAR / FROM FOR, SIMILAR TO
    "SELECT substring('foobar' similar '%#\"o_b#\"%' escape '#'), "
    "substring('foobar' similar '#\"o_b#\"%' escape '#'), "
    "substring('foobar' from '%#\"o_b#\"%' for '#'), substring('abc' similar 'a#\"bc' escape '#'), "
    "substring('abc' similar 'a%' escape ''), substring('ab#' similar 'ab#' escape '#'), "
    "substring('abc' similar 'a#\"%#\"' escape NULL)",
    "SELECT substring('abcd' similar '%#\"b%#\"%' escape '#'), "
    "substring('abcbcd' similar '%#\"b%#\"%' escape '#'), "
    "substring('xaaay' similar '%#\"a*#\"%' escape '#'), "
    "substring('xaaay' similar 'x#\"a*#\"%' escape '#'), "
    "substring('xaaay' similar '_#\"a_*#\"%' escape '#'), "
    "substring('a.c' similar 'a.c' escape '#'), substring('abc' similar 'a.c' escape '#'), "
    "substring('a(b' similar 'a[(]b' escape '#'), substring('ab' similar '(a|x)b' escape '#'), "
    "substring('abab' similar '(ab)+' escape '#'), substring('a5' similar 'a#d' escape '#')",
    "SELECT 'abc' similar to 'a%', 'abc' not similar to 'b%', 'a.c' similar to 'a.c', "
    "'abc' similar to 'a.c', 'abc' similar to '(a|b)%', 'a%c' similar to 'a\\%c', "
    "'abc' similar to 'a!%' escape '!', 'a%' similar to 'a!%' escape '!', "
    "'abc' similar to '[a-c]*', NULL similar to 'a', 'ab' similar to 'a_'",
    # flags: x (expanded), q (literal), m = n, s and t (defaults), c after i
    "SELECT regexp_count('abc', 'a b  # a comment\n c', 1, 'x'), "
    "regexp_count('a b', 'a\\ b', 1, 'x'), regexp_count('a.c', '.', 1, 'q'), "
    "regexp_count('A.c', 'a.', 1, 'qi'), regexp_count('Abc', 'a', 1, 'ic'), "
    "regexp_count('Abc', 'a', 1, 'ci'), regexp_count('abc', '[ ]b', 1, 'x'), "
    "regexp_count('ab', 'a', 1, 't')",
    # PostgreSQL's escapes and classes (C locale: ASCII classes), where
    # glibc's own reading differs: \w beyond ASCII, \b backspace, \B, \<
    "SELECT regexp_match('h\u00e9llo w\u00f6rld', '\\w+'), '\u00e9' ~ '[[:alpha:]]', "
    "'\u00e9' ~ '\\w', 'a' ~ '\\b', E'a\\bb' ~ 'a\\bb', 'a\\b' ~ 'a\\Bb', "
    "'a<b' ~ 'a\\<b', 'ab' ~ '\\yab\\y', 'a]b' ~ '[\\]]', 'a-b' ~ '[a\\-]-', "
    "'x-' ~ '[\\w\\-]+$', '^' ~ '[x\\^]', '!' ~ '[[:punct:]]', ']' ~ '[[:punct:]]'",
    "SELECT regexp_replace('h\u00e9llo w\u00f6rld', '\\y', '|', 'g'), "
    "regexp_replace('abc', '', '-', 'g'), regexp_replace('abc', 'b*', 'X', 'g'), "
    "regexp_replace('abcabc', '^a', 'X', 'g'), regexp_replace(E'line1\\nline2', '^l', 'L', "
    "'gn'), regexp_count('x \u00e9 y', '\\y'), regexp_match('h\u00e9llo', '\\m(.)')",
    # regexp_replace(s, p, r, start [, n [, flags]]) (PostgreSQL 15; was 42883)
    "SELECT regexp_replace('abcabcabc', 'b', 'X', 2), regexp_replace('abcabcabc', 'b', 'X', 1, 2), "
    "regexp_replace('abcabcabc', 'b', 'X', 1, 0), regexp_replace('abcabcabc', 'b', 'X', 3, 1, 'g'), "
    "regexp_replace('abcABC', 'b', 'X', 1, 0, 'i'), regexp_replace('abc', '', '-', 1, 2), "
    "regexp_replace('abc', 'b', 'X', 5), regexp_replace('aaa', 'a', 'X', 1, 5), "
    "regexp_replace('h\u00e9h\u00e9', '\u00e9', 'E', 3), regexp_replace('abc', '^b', 'X', 2)",
    "SELECT id, regexp_replace(w, '[a-z]', '_', 2, 2), regexp_replace(w, '[a-z]', '_', 1, 0) "
    "FROM rx_words ORDER BY id",
    # over the table's rows: on the followers
    "SELECT id, regexp_split_to_array(w, ','), regexp_count(w, 'b', 1, 'i'), "
    "regexp_instr(w, 'b', 1, 2, 0, 'i'), regexp_substr(w, '[a-z]+', 1, 2) FROM rx_words "
    "ORDER BY id",
    "SELECT id, regexp_count(w, p), regexp_instr(w, p, 1, 1, 1), regexp_substr(w, p, 1, 1, "
    "replace(f, 'g', '')) FROM rx_words ORDER BY id",
    "SELECT id, substring(w from '(b.)'), substring(w similar '%#\"b_#\"%' escape '#'), "
    "w similar to '%(c|C)%' FROM rx_words ORDER BY id",
    "SELECT count(*) FROM rx_words WHERE w SIMILAR TO '_b%'",
    "SELECT substring('ab'::char(4) FROM 'b.*$'), 'ab'::char(4) SIMILAR TO 'ab', "
    "'ab'::char(4) SIMILAR TO 'ab  ', substring('ab'::char(4) SIMILAR 'a#\"%#\"' ESCAPE '#'), "
    "regexp_count('ab'::char(4), ' '), 'ab'::char(4) ~ 'b  $', 'ab'::char(4) !~* 'B $'",
    "SELECT id FROM rx_words WHERE regexp_count(w, '[aeiou]') >= 2 ORDER BY id",
    "SELECT regexp_count(w, 'l'), count(*) FROM rx_words GROUP BY 1 ORDER BY 1",
]


@pytest.mark.parametrize("sql", SCALAR)
def test_scalar(db, sql):
    db.both(sql)


SRF_FROM = [
    "SELECT * FROM regexp_matches('abcabc', 'b', 'g')",
    "SELECT * FROM regexp_matches('abc', 'x*', 'g')",
    "SELECT * FROM regexp_matches('abcbd', 'b*', 'g')",
    "SELECT * FROM regexp_matches('aaa', '(a)(x)?', 'g')",
    "SELECT * FROM regexp_matches('abc', 'x')",
    "SELECT * FROM regexp_matches('abcabc', '(b)(c)')",
    "SELECT * FROM regexp_matches('AbcaBc', 'b', 'gi')",
    "SELECT * FROM regexp_matches(NULL, 'b', 'g')",
    "SELECT m, m[1], m[2] FROM regexp_matches('k1=v1;k2=v2', '(\\w+)=(\\w+)', 'g') AS m",
    "SELECT * FROM regexp_matches('abc', 'b') m(x)",
    "SELECT * FROM regexp_matches('a1b2c3', '[a-z](\\d)', 'g') WITH ORDINALITY AS t(m, n)",
    "SELECT * FROM regexp_split_to_table('a,b,,c', ',')",
    "SELECT * FROM regexp_split_to_table('a,b,,c', ',') WITH ORDINALITY AS t(p, n)",
    "SELECT p FROM regexp_split_to_table('the quick  brown', '\\s+') p",
    "SELECT * FROM regexp_split_to_table('héllo', '')",
    "SELECT * FROM regexp_split_to_table('', ',')",
    "SELECT upper(x) FROM regexp_split_to_table('a b c', ' ') AS x WHERE x <> 'b'",
    # alone in the select list without FROM
    "SELECT regexp_matches('abcabc', '(b)(c)', 'g')",
    "SELECT regexp_split_to_table('a b', ' ') AS x, 1",
]


@pytest.mark.parametrize("sql", SRF_FROM)
def test_srf_in_from(db, sql):
    db.both(sql, ordered=True)


SRF_SELECT = [
    "SELECT id, regexp_matches(w, 'ab(.)', 'g') FROM rx_words ORDER BY 1, 2",
    "SELECT id, regexp_matches(w, p) FROM rx_words ORDER BY 1, 2",
    "SELECT id, regexp_matches(w, p, f) FROM rx_words ORDER BY 1, 2",
    "SELECT id, (regexp_matches(w, '(\\w)(\\w)', 'g'))[2] AS second FROM rx_words ORDER BY 1, 2",
    "SELECT id, regexp_split_to_table(w, '[ ,-]') FROM rx_words ORDER BY 1, 2",
    "SELECT id, regexp_split_to_table(w, E'\\n') FROM rx_words WHERE id > 6 ORDER BY 1, 2",
    "SELECT x, count(*) FROM (SELECT regexp_split_to_table(w, '') AS x FROM rx_words) s "
    "GROUP BY x ORDER BY 1",
    "SELECT m[1], count(*) FROM (SELECT regexp_matches(w, '[a-z]', 'g') AS m FROM rx_words) s "
    "GROUP BY 1 ORDER BY 1",
    # in FROM over an earlier item's column (PostgreSQL's implicit LATERAL):
    # the rows gathered, the function run on the leader
    "SELECT rx_words.id, m FROM rx_words, regexp_matches(rx_words.w, 'b', 'g') m ORDER BY 1, 2",
    "SELECT id, x FROM rx_words, regexp_split_to_table(w, '[ ,]') AS x WHERE x <> '' "
    "ORDER BY 1, 2",
    "SELECT id, x, n FROM rx_words, regexp_split_to_table(w, ' ') WITH ORDINALITY AS t(x, n) "
    "ORDER BY 1, 3",
    "SELECT id, count(*) FROM rx_words CROSS JOIN LATERAL regexp_split_to_table(w, '') c "
    "GROUP BY id ORDER BY id",
    "SELECT id, m[1] FROM rx_words LEFT JOIN LATERAL regexp_matches(w, '(x)') m ON true "
    "ORDER BY id",
    "SELECT * FROM rx_words r, LATERAL regexp_matches(r.w, r.p, r.f) m ORDER BY id, m",
]


@pytest.mark.parametrize("sql", SRF_SELECT)
def test_srf_in_a_select_list(db, sql):
    db.both(sql)


@pytest.mark.parametrize("sql, sqlstate", [
    ("SELECT regexp_split_to_array('a,b', ',', 'g')", "22023"),
    ("SELECT * FROM regexp_split_to_table('a,b', ',', 'g')", "22023"),
    ("SELECT regexp_count('abc', 'b', 1, 'g')", "22023"),
    ("SELECT regexp_count('abc', 'b', 0)", "22023"),
    ("SELECT regexp_replace('abc', 'b', 'X', 0)", "22023"),
    ("SELECT regexp_replace('abc', 'b', 'X', 1, -1)", "22023"),
    ("SELECT regexp_instr('abc', 'b', 1, 1, 0, 'g')", "22023"),
    ("SELECT regexp_instr('abc', 'b', 1, 0)", "22023"),
    ("SELECT regexp_instr('abc', 'b', 1, 1, 2)", "22023"),
    ("SELECT regexp_substr('abc', 'b', 1, 1, 'g')", "22023"),
    ("SELECT regexp_substr('abc', 'b', 1, 1, '', -1)", "22023"),
    ("SELECT * FROM regexp_matches('abc', '(')", "2201B"),
    ("SELECT * FROM regexp_matches('abc', 'b', 'z')", "22023"),
    ("SELECT regexp_count(w, '(') FROM rx_words", "2201B"),
    ("SELECT id, regexp_matches(w, 'a', 'k') FROM rx_words", "22023"),
    ("SELECT substring('abc' similar 'a#\"b#\"c#\"' escape '#')", "2200C"),
    ("SELECT substring('abc' similar '%' escape '##')", "22025"),
    ("SELECT 'abc' SIMILAR TO 'a' ESCAPE 'xy'", "22025"),
    ("SELECT substring('abc' from '(')", "2201B"),
    ("SELECT 'ab' ~ '\\q'", "2201B"),
])
def test_errors_as_postgres(db, sql, sqlstate):
    db.both_error(sql, sqlstate)


@pytest.mark.parametrize("sql", [
    # several in one select list run in lockstep (srf's analyze_srf_list.c)
    "SELECT regexp_matches('ab', 'a'), regexp_matches('ab', 'b')",
    "SELECT regexp_matches('abab', 'a', 'g'), generate_series(1, 3)",
    "SELECT id, regexp_matches(w, 'a', 'g'), unnest(ARRAY[1, 2]) FROM rx_words ORDER BY 1, 2, 3",
    # a function of constants beside a distributed table: on every shard
    "SELECT id, x FROM rx_words, regexp_split_to_table('a b', ' ') x ORDER BY 1, 2",
])
def test_beside_other_srfs_and_tables(db, sql):
    """Were 0A000 on the regexfn branch; since srf's lockstep and its SRFs
    beside distributed tables, answered as PostgreSQL."""
    db.both(sql)


@pytest.mark.parametrize("sql, what", [
    ("SELECT regexp_count('aab', 'a+?')", "non-greedy"),
    ("SELECT * FROM regexp_matches('ab', '(?:a)b')", "(?...) groups"),
    ("SELECT regexp_count(E'a\\nb', 'a.b', 1, 'p')", "option \"p\""),
    ("SELECT regexp_count(E'a\\nb', '^b', 1, 'w')", "option \"w\""),
    ("SELECT substring('ab' similar 'a+?b' escape '#')", "non-greedy"),
    ("SELECT 'ab' ~ '\\x61'", "\\x"),
    ("SELECT '\u00c9' ~* '\u00e9'", "case-insensitive"),
    ("SELECT substring(repeat('ab', 3000) similar '%#\"b#\"' escape '#')", "more than 4096 bytes"),
    ("SELECT '\u00e9' ~ '\\y\u00e9'", "word boundaries"),
    ("SELECT id, regexp_matches(w, 'a'), count(*) FROM rx_words GROUP BY id", "aggregates"),
])
def test_murphy_cannot_is_0A000(db, sql, what):
    """PostgreSQL answers these; murphy says exactly what it does not support."""
    with pytest.raises(Exception) as e:
        db.murphy(sql)
    assert e.value.pgcode == "0A000" and what in str(e.value), e.value
    db.p.cursor().execute(sql)  # PostgreSQL takes it
