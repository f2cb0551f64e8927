#!/usr/bin/python3
"""Tests of the layering check (tests/layering.py), run by `make layering`.

Each test builds a small tree (src/<folder>/ files and a docs/architecture.md
with a ```layers block) in a temporary directory and checks that the script
passes it or fails it for the right reason, naming the right file:line.  Two
run on the real checkout: it passes as it is, and fails once a forbidden
include is added to a copy of it.  Standard library only.
"""
import io
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import layering  # noqa: E402

RULE = """# a tree
```layers
share 60%
common:
store: common
engine: common store
```
"""


class Tree:
    """A throwaway checkout: files under root, a rule in docs/."""

    def __init__(self, rule=RULE, files=None):
        self.root = tempfile.mkdtemp(prefix='layering_test_')
        self.write('docs/architecture.md', rule)
        for path, text in (files or {}).items():
            self.write(path, text)

    def write(self, path, text):
        full = os.path.join(self.root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(text)

    def check(self):
        out = io.StringIO()
        rc = layering.check(self.root, out=out)
        return rc, out.getvalue()

    def remove(self):
        shutil.rmtree(self.root)


def sources(**extra):
    """A tree that obeys RULE, with extra files (path -> text) on top.  The
    filler lines keep every folder's share of lines under 60%."""
    files = {
        'src/common/err.h': '#include <stdio.h>\n' + 'int x;\n' * 10,
        'src/common/err.c': '#include "common/err.h"\n#include "err.h"\n',
        'src/store/db.h': '#include "common/err.h"\n' + 'int y;\n' * 10,
        'src/store/db.c': '#include "store/db.h"\n#include "db.h"\n',
        'src/engine/run.c': '#include "store/db.h"\n#include "common/err.h"\n' + 'int z;\n' * 8,
    }
    files.update(extra)
    return files


class LayeringTest(unittest.TestCase):
    def run_tree(self, rule=RULE, **files):
        t = Tree(rule, sources(**files))
        self.addCleanup(t.remove)
        return t.check()

    def test_a_tree_that_obeys_the_rule_passes(self):
        rc, out = self.run_tree()
        self.assertEqual(rc, 0, out)
        self.assertIn('layering: ok', out)
        self.assertIn('store', out)  # the share table

    def test_an_upward_include_fails_naming_file_line_and_edge(self):
        rc, out = self.run_tree(**{'src/store/db.c': '#include "store/db.h"\n'
                                   '#include "engine/run.h"\n',
                                   'src/engine/run.h': 'int r;\n'})
        self.assertEqual(rc, 1, out)
        self.assertIn('src/store/db.c:2: forbidden include store -> engine', out)

    def test_a_cycle_between_folders_is_reported_with_its_edges(self):
        rc, out = self.run_tree(**{'src/common/err.c': '#include "store/db.h"\n'})
        self.assertEqual(rc, 1, out)
        self.assertIn('cycle between folders', out)
        self.assertIn('common -> store (src/common/err.c:1)', out)
        self.assertIn('store -> common (src/store/db.h:1)', out)

    def test_a_relative_include_counts_as_the_folder_it_reaches(self):
        rc, out = self.run_tree(**{'src/common/err.c': '#include "../engine/run.h"\n',
                                   'src/engine/run.h': 'int r;\n'})
        self.assertEqual(rc, 1, out)
        self.assertIn('src/common/err.c:1: forbidden include common -> engine', out)

    def test_an_include_of_no_file_under_src_is_ignored(self):
        rc, out = self.run_tree(**{'src/store/db.c': '#include "pg_query.h"\n'})
        self.assertEqual(rc, 0, out)

    def test_an_extern_in_a_c_file_or_a_weak_symbol_fails(self):
        rc, out = self.run_tree(**{'src/store/db.c': '#include "store/db.h"\n'
                                   'extern int engine_run(void);\n'})
        self.assertEqual(rc, 1, out)
        self.assertIn('src/store/db.c:2: a link the include graph cannot see', out)
        rc, out = self.run_tree(**{'src/engine/run.c': '__attribute__((weak)) int f(void)\n'
                                   '{ return 0; }\n'})
        self.assertEqual(rc, 1, out)
        self.assertIn('src/engine/run.c:1: a link the include graph cannot see', out)
        rc, out = self.run_tree(**{'src/common/err.h': 'extern int common_level;\n'})
        self.assertEqual(rc, 0, out)  # a header declaring its own variable is the way

    def test_a_folder_without_a_rule_line_fails(self):
        rc, out = self.run_tree(**{'src/extra/x.c': '#include "common/err.h"\n'})
        self.assertEqual(rc, 1, out)
        self.assertIn('src/extra/ has no line in the layers rule', out)

    def test_a_rule_folder_missing_from_the_tree_is_allowed(self):
        rc, out = self.run_tree(RULE.replace('engine:', 'later: common\nengine:'))
        self.assertEqual(rc, 0, out)

    def test_a_rule_naming_an_unknown_folder_fails(self):
        rc, out = self.run_tree(RULE.replace('store: common', 'store: common nowhere'))
        self.assertEqual(rc, 1, out)
        self.assertIn('store may include nowhere, which has no rule line', out)

    def test_a_rule_with_a_cycle_fails(self):
        rc, out = self.run_tree(RULE.replace('common:', 'common: engine'))
        self.assertEqual(rc, 1, out)
        self.assertIn('the rule itself has a cycle', out)

    def test_a_folder_over_its_share_fails_and_an_allowance_lifts_it(self):
        big = {'src/engine/big.c': 'int b;\n' * 200}
        rc, out = self.run_tree(**big)
        self.assertEqual(rc, 1, out)
        self.assertIn('src/engine/ holds', out)
        self.assertIn('over its limit of 60%', out)
        rc, out = self.run_tree(RULE.replace('share 60%', 'share 60%\nshare engine 95%'), **big)
        self.assertEqual(rc, 0, out)

    def test_a_missing_or_unreadable_rule_is_exit_2(self):
        rc, out = self.run_tree('no block here\n')
        self.assertEqual(rc, 2, out)
        rc, out = self.run_tree('```layers\ncommon:\n```\n')
        self.assertEqual(rc, 2, out)  # no share line
        rc, out = self.run_tree('```layers\nshare 50%\ncommon = x\n```\n')
        self.assertEqual(rc, 2, out)


class RealTreeTest(unittest.TestCase):
    """The checkout itself, and a copy of it with one forbidden include."""

    def test_the_checkout_obeys_its_rule(self):
        out = io.StringIO()
        self.assertEqual(layering.check(ROOT, out=out), 0, out.getvalue())

    def test_the_checkout_with_a_storage_to_leader_include_fails(self):
        tmp = tempfile.mkdtemp(prefix='layering_test_')
        self.addCleanup(shutil.rmtree, tmp)
        shutil.copytree(os.path.join(ROOT, 'src'), os.path.join(tmp, 'src'))
        os.makedirs(os.path.join(tmp, 'docs'))
        shutil.copy(os.path.join(ROOT, 'docs', 'architecture.md'), os.path.join(tmp, 'docs'))
        db = os.path.join(tmp, 'src', 'storage', 'db.c')
        with open(db) as f:
            lines = f.read().splitlines(True)
        at = next(i for i, l in enumerate(lines) if l.startswith('#include'))
        lines.insert(at, '#include "leader/lead.h"\n')
        with open(db, 'w') as f:
            f.writelines(lines)
        out = io.StringIO()
        self.assertEqual(layering.check(tmp, out=out), 1, out.getvalue())
        self.assertIn('src/storage/db.c:%d: forbidden include storage -> leader' % (at + 1),
                      out.getvalue())
        self.assertIn('cycle between folders', out.getvalue())


if __name__ == '__main__':
    unittest.main(verbosity=1)
