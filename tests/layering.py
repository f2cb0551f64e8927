#!/usr/bin/python3
"""The layering check: src/'s folder-level include graph against the rule
written in docs/architecture.md (`make layering`, run first by `make test`).

The rule is the fenced block marked ``layers`` in docs/architecture.md:

    share 16%                 no folder holds more than 16% of src/'s lines
    share leader 19%          ... except this one (a temporary allowance)
    common:                   common may include nothing but itself
    wire: common              wire may include common (and itself)
    ...

one line per folder, ``#`` starts a comment.  The script reads every
``#include "..."`` line of src/**/*.c and src/**/*.h, resolves it as the
compiler does (the including file's directory first, then -Isrc) and takes
the folder of the file it names.  It fails, naming file:line and the edge,
when

- a folder includes a folder its rule line does not list (a forbidden edge);
- the folders' include graph has a cycle (each edge shown with one include
  that makes it);
- a folder under src/ has no rule line, or a rule line names a folder
  without one of its own;
- the rule itself has a cycle;
- a folder holds more than its share of src/'s .c and .h lines;
- a .c file declares something `extern`, or any file defines a weak symbol:
  a link the include graph cannot see (storage once called the SQL
  functions through an extern with a weak no-op default).  Declare it in
  the header of the folder that defines it and include that.

A folder the rule lists but the tree lacks is allowed (the rule may run
ahead of a move).  Quoted includes that resolve to no file under src/
(system headers in quotes) are ignored.  No dependencies: /usr/bin/python3.

Usage: tests/layering.py [--root DIR] [--rule FILE] [--quiet]
Exit status: 0 when the tree obeys the rule, 1 when it does not, 2 when the
rule cannot be read.
"""
import argparse
import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
HIDDEN_RE = re.compile(r'^\s*extern\b|__attribute__\s*\(\(\s*(__)?weak')
RULE_LINE_RE = re.compile(r'^([A-Za-z0-9_]+)\s*:\s*(.*)$')
SHARE_RE = re.compile(r'^share\s+(?:([A-Za-z0-9_]+)\s+)?([0-9]+(?:\.[0-9]+)?)%$')
SOURCE_EXTS = ('.c', '.h')


class RuleError(Exception):
    """The layers block is missing or malformed."""


class Rule:
    """allowed[folder] = set of folders it may include; share limits in %."""

    def __init__(self):
        self.allowed = {}
        self.share_max = None
        self.share_of = {}
        self.line_of = {}


def parse_rule(text, where):
    """Read the ```layers block of a markdown text into a Rule."""
    lines = text.splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == '```layers')
    except StopIteration:
        raise RuleError('%s: no ```layers block' % where)
    rule = Rule()
    for n in range(start + 1, len(lines)):
        line = lines[n].split('#', 1)[0].strip()
        if lines[n].strip() == '```':
            break
        if not line:
            continue
        lineno = n + 1
        m = SHARE_RE.match(line)
        if m:
            folder, pct = m.group(1), float(m.group(2))
            if folder:
                rule.share_of[folder] = pct
            else:
                rule.share_max = pct
            continue
        m = RULE_LINE_RE.match(line)
        if not m:
            raise RuleError('%s:%d: cannot read rule line %r' % (where, lineno, lines[n]))
        folder, deps = m.group(1), m.group(2).split()
        if folder in rule.allowed:
            raise RuleError('%s:%d: %s has two rule lines' % (where, lineno, folder))
        rule.allowed[folder] = set(deps)
        rule.line_of[folder] = lineno
    else:
        raise RuleError('%s: the ```layers block is not closed' % where)
    if not rule.allowed:
        raise RuleError('%s: the ```layers block lists no folder' % where)
    if rule.share_max is None:
        raise RuleError('%s: the ```layers block has no "share N%%" line' % where)
    return rule


def source_files(src):
    """Every .c and .h under src, as paths relative to src, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for f in sorted(filenames):
            if f.endswith(SOURCE_EXTS):
                out.append(os.path.relpath(os.path.join(dirpath, f), src))
    return out


def folder_of(rel):
    """src-relative path -> its top folder ('.' for a file directly in src/)."""
    parts = rel.split(os.sep)
    return parts[0] if len(parts) > 1 else '.'


def resolve(src, rel, name):
    """The src-relative file a quoted include names, or None when it names
    none under src (the compiler looks next to the includer, then in -Isrc)."""
    for base in (os.path.dirname(os.path.join(src, rel)), src):
        path = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(path):
            inside = os.path.relpath(path, src)
            if not inside.startswith('..'):
                return inside
    return None


def scan(src):
    """edges[(a, b)] = [(file, line), ...] for every include from folder a
    into folder b != a; lines[folder] = .c/.h lines it holds; hidden =
    [(file, line, text)] of extern declarations in .c files and weak
    symbols."""
    edges, lines, hidden = {}, {}, []
    for rel in source_files(src):
        a = folder_of(rel)
        with open(os.path.join(src, rel), encoding='utf-8', errors='replace') as f:
            text = f.read().splitlines()
        lines[a] = lines.get(a, 0) + len(text)
        for n, line in enumerate(text, 1):
            h = HIDDEN_RE.search(line)
            if h and (rel.endswith('.c') or 'weak' in h.group(0)):
                hidden.append((os.path.join('src', rel), n, line.strip()))
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            target = resolve(src, rel, m.group(1))
            if target is None:
                continue
            b = folder_of(target)
            if b != a:
                edges.setdefault((a, b), []).append((os.path.join('src', rel), n))
    return edges, lines, hidden


def find_cycle(graph):
    """One cycle of graph (node -> iterable of nodes) as [n0, n1, ..., n0],
    or None.  Iterative DFS, nodes visited in sorted order."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in graph}
    for root in sorted(graph):
        if color[root] != WHITE:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        path = [root]
        color[root] = GREY
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = BLACK
                stack.pop()
                path.pop()
                continue
            if color.get(nxt, BLACK) == GREY:
                return path[path.index(nxt):] + [nxt]
            if color.get(nxt) == WHITE:
                color[nxt] = GREY
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph.get(nxt, ())))))
    return None


def check(root, rule_path=None, quiet=False, out=sys.stdout):
    """Run the check on root (src/ and the rule); return the exit status."""
    src = os.path.join(root, 'src')
    rule_path = rule_path or os.path.join(root, 'docs', 'architecture.md')
    try:
        with open(rule_path, encoding='utf-8') as f:
            rule = parse_rule(f.read(), os.path.relpath(rule_path, root))
    except (OSError, RuleError) as e:
        print('layering: %s' % e, file=out)
        return 2
    edges, lines, hidden = scan(src)
    problems = []

    for folder, deps in sorted(rule.allowed.items()):
        for d in sorted(deps - set(rule.allowed)):
            problems.append('rule: %s may include %s, which has no rule line' % (folder, d))
    cycle = find_cycle(rule.allowed)
    if cycle:
        problems.append('rule: the rule itself has a cycle: %s' % ' -> '.join(cycle))
    for folder in sorted(lines):
        if folder not in rule.allowed:
            where = 'src/' if folder == '.' else 'src/%s/' % folder
            problems.append('%s has no line in the layers rule' % where)

    for (a, b), sites in sorted(edges.items()):
        if a in rule.allowed and b not in rule.allowed[a]:
            for path, n in sites:
                problems.append('%s:%d: forbidden include %s -> %s (rule: %s may include %s)'
                                % (path, n, a, b, a, ' '.join(sorted(rule.allowed[a]))
                                   or 'nothing'))

    for path, n, text in hidden:
        problems.append('%s:%d: a link the include graph cannot see: %s (declare it in the '
                        "defining folder's header and include that)" % (path, n, text))

    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    cycle = find_cycle(graph)
    if cycle:
        witness = ['%s -> %s (%s:%d)' % ((a, b) + edges[(a, b)][0])
                   for a, b in zip(cycle, cycle[1:])]
        problems.append('cycle between folders: %s' % '; '.join(witness))

    total = sum(lines.values()) or 1
    shares = []
    for folder, n in sorted(lines.items(), key=lambda kv: -kv[1]):
        pct = 100.0 * n / total
        limit = rule.share_of.get(folder, rule.share_max)
        shares.append((folder, n, pct, limit))
        if pct > limit:
            problems.append('src/%s/ holds %.1f%% of src (%d of %d lines), over its limit of '
                            '%g%%' % (folder, pct, n, total, limit))

    if not quiet or problems:
        print('layering: %d folders, %d folder edges, %d lines in src/' %
              (len(lines), len(edges), total), file=out)
        for folder, n, pct, limit in shares:
            print('  %-12s %6d lines %5.1f%%  (limit %g%%)' % (folder, n, pct, limit), file=out)
    for p in problems:
        print('layering: FAIL %s' % p, file=out)
    if problems:
        print('layering: the rule is the ```layers block of %s' % rule_path, file=out)
        return 1
    print('layering: ok (every include allowed, no cycle between folders, no hidden link)',
          file=out)
    return 0


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--root', default=os.path.dirname(here),
                    help='the checkout (src/ and docs/architecture.md)')
    ap.add_argument('--rule', help='the file holding the ```layers block')
    ap.add_argument('--quiet', action='store_true', help='print only problems and the verdict')
    args = ap.parse_args(argv)
    return check(args.root, args.rule, args.quiet)


if __name__ == '__main__':
    sys.exit(main())
