#!/usr/bin/python3
"""Reference answers for window_funnel and sequence_match/count.

A plain re-statement of ClickHouse's documented algorithms (windowFunnel's
chain search over (time, step)-sorted events; sequenceMatch/sequenceCount's
backtracking matcher), run on small random event histories drawn from a
fixed seed.  Writes the CSV files next to this script; the pgTAP suite
compares pg_portrait's answers with them.  Run: python3 make_reference.py
"""
import csv
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
rng = random.Random(20240601)

# ---------------------------------------------------------------- windowFunnel

def funnel(rows, nsteps, window, modes):
    dedup = 'strict_deduplication' in modes
    order = 'strict_order' in modes
    increase = 'strict_increase' in modes
    once = 'strict_once' in modes
    reentry = 'allow_reentry' in modes
    # rows with equal times are taken in mask order (pg_portrait's canonical
    # order; ClickHouse takes them in arrival order)
    events = []
    for rid, (ts, mask) in enumerate(sorted(rows)):
        has = False
        for i in range(nsteps, 0, -1):
            if mask & (1 << (i - 1)):
                events.append((ts, i, rid))
                has = True
        if order and not has:
            events.append((ts, 0, rid))
    if not events:
        return 0
    if not order and nsteps == 1:
        return 1
    events.sort()

    def maxlevel(reached):
        for k in range(nsteps, 0, -1):
            if reached[k - 1]:
                return k
        return 0

    def leading(reached):
        k = 0
        while k < nsteps and reached[k]:
            k += 1
        return k

    if not once:
        ts_ = [None] * nsteps
        first_event = False
        for t, ev, _ in events:
            idx = ev - 1
            if order and idx == -1:
                if first_event:
                    break
                continue
            if idx == 0:
                # strict_order: the first step again, once the chain is past
                # it, breaks the chain; allow_reentry passes over it
                if order and first_event and nsteps > 1 and ts_[1] is not None:
                    if reentry:
                        continue
                    return leading([x is not None for x in ts_])
                ts_[0] = (t, t)
                first_event = True
            elif dedup and ts_[idx] is not None:
                return maxlevel([x is not None for x in ts_])
            elif order and first_event and ts_[idx - 1] is None:
                return leading([x is not None for x in ts_])
            elif ts_[idx - 1] is not None:
                first = ts_[idx - 1][0]
                ok = t <= first + window
                if increase:
                    ok = ok and ts_[idx - 1][1] < t
                if ok:
                    ts_[idx] = (first, t)
                    if idx + 1 == nsteps:
                        return nsteps
        return maxlevel([x is not None for x in ts_])

    # strict_once: every partial chain with the rows it used
    seqs = [[] for _ in range(nsteps)]
    reached = [False] * nsteps
    has_first = False
    for t, ev, rid in events:
        idx = ev - 1
        if order and idx == -1:
            if has_first:
                break
            continue
        if idx == 0:
            if order and has_first and nsteps > 1 and reached[1]:
                if reentry:
                    continue
                return leading(reached)
            seqs[0].append((t, t, [rid]))
            reached[0] = True
            has_first = True
        elif dedup and reached[idx]:
            return maxlevel(reached)
        elif order and has_first and not reached[idx - 1]:
            return leading(reached)
        elif reached[idx - 1]:
            for first, last, path in list(seqs[idx - 1]):
                ok = t <= first + window and rid not in path
                if ok and increase:
                    ok = last < t
                if ok:
                    seqs[idx].append((first, t, path + [rid]))
                    reached[idx] = True
                    if idx + 1 == nsteps:
                        return nsteps
    return maxlevel(reached)


MODES = ['', 'strict_deduplication', 'strict_order', 'strict_increase', 'strict_once',
         'strict_order,strict_increase', 'strict_deduplication,strict_once',
         'strict_order,strict_once', 'strict_increase,strict_once',
         'strict_order,allow_reentry', 'strict_order,allow_reentry,strict_once']

with open(os.path.join(HERE, 'funnel_events.csv'), 'w', newline='') as fe, \
     open(os.path.join(HERE, 'funnel_expected.csv'), 'w', newline='') as fx:
    we, wx = csv.writer(fe), csv.writer(fx)
    for case in range(400):
        n = rng.randint(1, 10)
        rows = []
        for _ in range(n):
            ts = rng.randint(0, 20)
            mask = rng.choice([0, 1, 2, 4, 8, 1, 2, 4, 8, 3, 6, 12, 15, rng.randint(0, 15)])
            rows.append((ts, mask))
        for ts, mask in rows:
            we.writerow([case, ts, mask])
        for window in (0, 3, 10, 100):
            for mode in MODES:
                wx.writerow([case, window, mode, funnel(rows, 4, window, mode.split(','))])

# ------------------------------------------------------- sequenceMatch / Count

def parse(pattern):
    actions = [('star', 0)]
    i = 0
    while i < len(pattern):
        if pattern.startswith('(?t', i):
            i += 3
            for op in ('<=', '<', '>=', '>', '=='):
                if pattern.startswith(op, i):
                    i += len(op)
                    break
            j = pattern.index(')', i)
            actions.append((op, int(pattern[i:j])))
            i = j + 1
        elif pattern.startswith('(?', i):
            j = pattern.index(')', i)
            actions.append(('event', int(pattern[i + 2:j]) - 1))
            i = j + 1
        elif pattern.startswith('.*', i):
            actions.append(('star', 0))
            i += 2
        else:
            actions.append(('any', 0))
            i += 1
    return actions


def backtrack(actions, events, pos):
    """ClickHouse's backtrackingMatch: returns (matched, position after it)."""
    begin = pos
    a = 0
    base = pos
    stack = []

    def pop():
        nonlocal a, pos, base
        while stack:
            a, p, base = stack.pop()
            pos = p + 1
            if pos != len(events):
                return True
        return False

    cmp = {'<=': lambda x, y: x <= y, '<': lambda x, y: x < y, '>=': lambda x, y: x >= y,
           '>': lambda x, y: x > y, '==': lambda x, y: x == y}
    while a < len(actions) and pos < len(events):
        kind, extra = actions[a]
        if kind == 'event':
            if events[pos][1] & (1 << extra):
                base = pos
                a += 1
                pos += 1
            elif not pop():
                break
        elif kind == 'any':
            base = pos
            a += 1
            pos += 1
        elif kind == 'star':
            stack.append((a, pos, base))
            base = pos
            a += 1
        else:
            if cmp[kind](events[pos][0], events[base][0] + extra):
                stack.append((a, pos, base))
                base = pos
                a += 1
            elif kind in ('<=', '<'):
                if not pop():
                    break
            else:
                pos += 1
                if pos == len(events) and not pop():
                    break
    while a < len(actions) and (actions[a][0] in ('star', '<=', '<') or
                                (actions[a][0] == '>=' and actions[a][1] == 0)):
        a += 1
    if pos == begin:
        pos += 1
    return a == len(actions), pos


def seq_match(actions, events, needed):
    met = 0
    for _, m in events:
        met |= m
    if met & needed != needed:
        return False
    return backtrack(actions, events, 0)[0]


def seq_count(actions, events, needed):
    met = 0
    for _, m in events:
        met |= m
    if met & needed != needed:
        return 0
    pos, count = 0, 0
    while pos < len(events):
        ok, pos = backtrack(actions, events, pos)
        if not ok:
            break
        count += 1
    return count


def random_pattern():
    items = []
    for k in range(rng.randint(1, 4)):
        if k > 0:
            r = rng.random()
            if r < 0.3:
                items.append('.*')
            elif r < 0.6:
                items.append('(?t%s%d)' % (rng.choice(['<', '<=', '>', '>=', '==']), rng.choice([0, 5, 10, 30])))
        items.append('.' if rng.random() < 0.15 else '(?%d)' % rng.randint(1, 3))
    if rng.random() < 0.2:
        items.append('.*')
    return ''.join(items)


with open(os.path.join(HERE, 'sequence_events.csv'), 'w', newline='') as fe, \
     open(os.path.join(HERE, 'sequence_expected.csv'), 'w', newline='') as fx:
    we, wx = csv.writer(fe), csv.writer(fx)
    for case in range(400):
        n = rng.randint(0, 12)
        t = 0
        rows = []
        for _ in range(n):
            t += rng.choice([1, 2, 5, 5, 10, 20])
            rows.append((t, rng.randint(0, 7)))
        for ts, mask in rows:
            we.writerow([case, ts, mask])
        events = [(ts, m) for ts, m in rows if m]
        patterns = []
        while len(patterns) < 4:
            pattern = random_pattern()
            if pattern not in patterns:
                patterns.append(pattern)
        for pattern in patterns:
            actions = parse(pattern)
            needed = 0
            for kind, extra in actions:
                if kind == 'event':
                    needed |= 1 << extra
            wx.writerow([case, pattern, 't' if seq_match(actions, events, needed) else 'f',
                         seq_count(actions, events, needed)])
