#!/usr/bin/python3
"""Tests of split.py (the psql script splitter); `make regress` runs them first."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from split import split_statements  # noqa: E402


def texts(script):
    return [s for _, s in split_statements(script)]


class SplitTest(unittest.TestCase):
    def test_semicolons_in_quotes_comments_and_dollar_bodies(self):
        script = ("SELECT ';' AS a, \"x;y\" FROM t; -- c;omment\n"
                  "/* block; /* nested; */ still */ SELECT 2;\n"
                  "create function f() returns int as $$begin return 1; end$$ language plpgsql;\n"
                  "SELECT $q$a;b$q$, 'it''s;';\n")
        self.assertEqual(texts(script), [
            "SELECT ';' AS a, \"x;y\" FROM t",
            "/* block; /* nested; */ still */ SELECT 2",
            "create function f() returns int as $$begin return 1; end$$ language plpgsql",
            "SELECT $q$a;b$q$, 'it''s;'"])

    def test_meta_commands_and_copy_data(self):
        script = ("\\set x 1\nSELECT 1;\nCOPY t FROM STDIN NULL 'null';\n1\tnull\n2\t3\n\\.\n"
                  "SELECT 2;\n")
        got = split_statements(script)
        self.assertEqual([s for _, s in got],
                         ["\\set x 1", "SELECT 1", "COPY t FROM STDIN NULL 'null'", "SELECT 2"])
        self.assertEqual([n for n, _ in got], [1, 2, 3, 7])

    def test_multiline_statement_keeps_its_first_line(self):
        got = split_statements("-- head\n\nSELECT *\n  FROM t\n  WHERE a = 1;\n")
        self.assertEqual(got, [(3, "SELECT *\n  FROM t\n  WHERE a = 1")])


if __name__ == "__main__":
    unittest.main()
