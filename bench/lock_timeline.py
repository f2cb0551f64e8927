#!/usr/bin/env python3
"""lock_timeline.py — the hot shard's lock timeline from a MURPHY_TRACE run
(bench/lock_timeline.sh starts one; src/common/trace.h the events).

usage: lock_timeline.py TRACE_PREFIX T0_US T1_US

Per transaction X holding the hottest shard (most "take" events: TPC-B's
branch row), leader events keyed by X's id: take (lock granted), send (the
UPDATE's task handed to net), ans (its primary's early answer read), the
next take/send of X elsewhere (the INSERT arrived: the client heard the
UPDATE and sent its next statement), commit (COMMIT arrived), hand (the
staging marker sent: the lock handed on), then the next holder's take.
On the primary follower: the task's arrival (wbadd), its batch's run and
early answer (wbrun, wbran), and whether it waited behind a batch's fsync
(wbsync)."""
import bisect, collections, glob, statistics, sys

prefix, t0, t1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
files = {}
for f in glob.glob(prefix + '.*'):
    ev = []
    for line in open(f):
        p = line.split()
        if len(p) == 4:
            ev.append((int(p[0]), p[1], int(p[2]), int(p[3])))
    files[f] = ev
leader = max(files, key=lambda f: sum(1 for e in files[f] if e[1] == 'take'))
L = [e for e in files[leader] if t0 <= e[0] <= t1]
hot = collections.Counter(e[3] for e in L if e[1] == 'take').most_common(1)[0][0]
tx = collections.defaultdict(list)
for e in L:
    if e[1] in ('take', 'send', 'ans', 'commit', 'hand', 'msend', 'cstart', 'decided', 'sdone'):
        tx[e[2]].append(e)
rows = []
for x, evs in tx.items():
    t = {}
    for ts, ev, _, key in evs:
        if key == hot and ev in ('take', 'send', 'ans', 'hand') and ev not in t:
            t[ev] = ts
        if ev in ('commit', 'cstart', 'decided') and ev not in t:
            t[ev] = ts
    if not all(k in t for k in ('take', 'send', 'ans', 'commit', 'hand')):
        continue
    nxt = [ts for ts, ev, _, key in evs if ev in ('take', 'send') and key != hot and ts > t['ans']]
    if not nxt:
        continue
    t['ins'] = min(nxt)
    t['sdone'] = {key: ts for ts, ev, _, key in evs if ev == 'sdone'}
    t['msend'] = {key: ts for ts, ev, _, key in evs if ev == 'msend'}
    t['x'] = x
    rows.append(t)
rows.sort(key=lambda t: t['take'])
# the leader's turn: was the send made inside a poll phase (gathered until check)?
turn = [(e[0], e[1]) for e in L if e[1] in ('poll', 'check')]
tts = [a for a, _ in turn]
def gather_delay(ts):
    i = bisect.bisect_right(tts, ts) - 1
    if i < 0 or turn[i][1] != 'poll' or i + 1 >= len(turn):
        return 0
    return turn[i + 1][0] - ts
# the primary follower: the one whose early answers (wbran) fall most often in send..ans
fol = {f: [e for e in ev if t0 <= e[0] <= t1] for f, ev in files.items() if f != leader}
def inside(evs, a, b, name):
    ts = [e[0] for e in evs if e[1] == name]
    return ts
best, bestn = None, -1
for f, evs in fol.items():
    ran = [e[0] for e in evs if e[1] == 'wbran']
    n = sum(1 for r in rows[:300] if bisect.bisect_left(ran, r['send']) < len(ran) and ran[bisect.bisect_left(ran, r['send'])] < r['ans'])
    if n > bestn:
        best, bestn = f, n
F = fol[best] if best else []
fts = [e[0] for e in F]
def follower_split(r):
    """(arrival wait, fsync wait before, run until early answer, answer back)"""
    i = bisect.bisect_left(fts, r['send'])
    add = run = ran = None
    sync_wait = 0
    j = i
    while j < len(F) and F[j][0] < r['ans']:
        ev = F[j][1]
        if ev == 'wbadd' and add is None:
            add = F[j][0]
        if ev == 'wbrun' and add is not None and run is None:
            run = F[j][0]
        if ev == 'wbran' and run is not None and ran is None:
            ran = F[j][0]
        j += 1
    if add is None or run is None or ran is None:
        return None
    # an fsync in progress when the task was sent: the wbsync after send and before add
    k = i
    while k < len(F) and F[k][0] < add:
        if F[k][1] == 'wbsync':
            sync_wait = F[k][0] - r['send']
        k += 1
    return (add - r['send'], sync_wait, ran - add, r['ans'] - ran, run - add)
parts = collections.defaultdict(list)
prev = None
for a, b in zip(rows, rows[1:]):
    parts['hold (take → hand)'].append(a['hand'] - a['take'])
    parts['1 take → UPDATE sent'].append(a['send'] - a['take'])
    parts['   of which: sent inside a poll phase, to its check'].append(gather_delay(a['send']))
    parts['2 UPDATE sent → primary answer read'].append(a['ans'] - a['send'])
    fs = follower_split(a)
    if fs:
        parts['   a. sent → arrives in follower batch queue'].append(fs[0])
        parts['      (of a.: fsync of an earlier batch in progress)'].append(fs[1])
        parts['   b. queued → batch run → early answer written'].append(fs[2])
        parts['      (of b.: queued → batch starts)'].append(fs[4])
        parts['   c. early answer written → read on leader'].append(fs[3])
    parts['3 answer read → client next statement (INSERT) in'].append(a['ins'] - a['ans'])
    parts['4 INSERT in → COMMIT in'].append(a['commit'] - a['ins'])
    parts['5 COMMIT in → staging marker sent (hand)'].append(a['hand'] - a['commit'])
    if 'cstart' in a:
        parts['   a. COMMIT in → commit starts (waits for the previous holder\'s decision)'].append(a['cstart'] - a['commit'])
        parts['   b. commit starts → staging marker sent'].append(a['hand'] - a['cstart'])
    if prev is not None and 'decided' in prev:
        parts['   (previous holder decided − this COMMIT in)'].append(prev['decided'] - a['commit'])
        parts['previous holder: hand → decided (its staging quorum)'].append(prev['decided'] - prev['hand'])
    parts['6 hand → next holder takes'].append(b['take'] - a['hand'])
    parts['cycle (take → next take)'].append(b['take'] - a['take'])
    prev = a
    if a['sdone']:
        parts['staging: hand → hot shard\'s marker at quorum'].append(a['sdone'].get(hot, 0) - a['hand'])
        parts['staging: hand → last marker at quorum'].append(max(a['sdone'].values()) - a['hand'])
        last = max(a['sdone'], key=a['sdone'].get)
        parts['staging: the hot shard\'s is the last (1/0)'].append(1000 * (last == hot))
print(f'transactions on the hot shard: {len(rows)} in {(t1 - t0) / 1e6:.1f} s; primary follower trace {best}')
print('| hop | p50 µs | mean µs | p90 µs |')
print('|---|---|---|---|')
for k, v in parts.items():
    v = sorted(v)
    print(f'| {k} | {v[len(v) // 2]} | {statistics.mean(v):.0f} | {v[len(v) * 9 // 10]} |')
print()
print('| follower | batches/s | run p50 µs (wbrun → wbran) | fsync p50 / mean µs (wbran → wbsync) | busy in batches % |')
print('|---|---|---|---|---|')
for f, evs in sorted(fol.items()):
    runs, syncs, busy = [], [], 0
    start = ran = None
    for ts, ev, _, _ in evs:
        if ev == 'wbrun':
            start, ran = ts, None
        elif ev == 'wbran' and start is not None:
            ran = ts
            runs.append(ts - start)
        elif ev == 'wbsync' and ran is not None:
            syncs.append(ts - ran)
            busy += ts - start
            start = ran = None
    if runs and syncs:
        print(f'| {f.rsplit(".", 1)[1]} | {len(runs) / ((t1 - t0) / 1e6):.0f} | {sorted(runs)[len(runs) // 2]} | '
              f'{sorted(syncs)[len(syncs) // 2]} / {statistics.mean(syncs):.0f} | {100 * busy / (t1 - t0):.0f} |')
