"""Split a psql script (PostgreSQL regression .sql file) into statements.

Statements end at a ';' outside quotes ('...', "...", E'...'), dollar
quoting ($$ ... $$, $tag$ ... $tag$) and comments (-- to end of line,
nested /* */); parentheses need no tracking, since a ';' cannot stand
inside them outside quotes.  `--` comments are dropped.
psql meta-commands (a line starting with a backslash)
become statements of their own starting with '\\' so the runner can skip
them; the data lines after `COPY ... FROM STDIN;` up to '\\.' are dropped.

split_statements(text) -> [(line number, statement text without ';')].
"""
import re

_COPY_STDIN = re.compile(r"^\s*copy\b.*\bfrom\s+stdin\b", re.I | re.S)
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


def split_statements(text):
    out = []
    lines = text.split("\n")
    buf, start = [], None
    i = 0
    state = None  # None, "'", '"', or a dollar tag; block comment depth separately
    depth = 0
    while i < len(lines):
        line = lines[i]
        if state is None and depth == 0 and not "".join(buf).strip() and \
                line.lstrip().startswith("\\"):
            out.append((i + 1, line.strip()))
            i += 1
            continue
        j, n = 0, len(line)
        seg_start = 0
        cut = None
        while j < n:
            c = line[j]
            if depth > 0:
                if line.startswith("*/", j):
                    depth -= 1
                    j += 2
                    continue
                if line.startswith("/*", j):
                    depth += 1
                    j += 2
                    continue
                j += 1
                continue
            if state is None:
                if line.startswith("--", j):
                    cut = j
                    break
                if line.startswith("/*", j):
                    depth += 1
                    j += 2
                    continue
                if c in ("'", '"'):
                    state = c
                elif c == "$":
                    m = _DOLLAR.match(line, j)
                    if m and not (j > 0 and (line[j - 1].isalnum() or line[j - 1] == "_")):
                        state = m.group(0)
                        j = m.end()
                        continue
                elif c == ";":
                    if start is None:
                        start = i + 1
                    buf.append(line[seg_start:j])
                    stmt = "\n".join(buf).strip()
                    buf, seg_start = [], j + 1
                    if stmt:
                        out.append((start, stmt))
                        if _COPY_STDIN.match(stmt):
                            # data lines follow until "\."
                            i += 1
                            while i < len(lines) and lines[i].strip() != "\\.":
                                i += 1
                            line, n, j, seg_start = "", 0, 0, 0
                            start = None
                            break
                    start = None
                j += 1
                continue
            if state in ("'", '"'):
                if c == state:
                    if j + 1 < n and line[j + 1] == state:
                        j += 2
                        continue
                    state = None
                j += 1
                continue
            # dollar-quoted
            if line.startswith(state, j):
                j += len(state)
                state = None
                continue
            j += 1
        rest = line[seg_start:cut]
        if rest.strip() and start is None:
            start = i + 1
        if rest.strip() or buf:
            buf.append(rest)
        i += 1
    tail = "\n".join(buf).strip()
    if tail:
        out.append((start or len(lines), tail))
    return out
