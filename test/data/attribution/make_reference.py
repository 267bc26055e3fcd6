#!/usr/bin/python3
"""Reference answers for the attribution models (portrait.attribution).

Generates customers' touchpoints and conversions from a fixed seed, cuts
them into journeys by the documented rules (the touches since the previous
conversion count for a conversion; the touches after the last conversion
are a journey that did not convert; no lookback, no de-duplication), and
computes every model straightforwardly:

  heuristics    first, last, linear, time decay (half-life 7 days),
                position based 40/20/40 (two touches: 50/50)
  Markov        order 1 and 2: transition probabilities from the counts,
                absorption probabilities from the linear system
                (I - Q) x = R solved with scipy.linalg.solve, once for the
                full chain and once per channel with every state containing
                it sent to the null state; removal effect
                1 - P(conv without c) / P(conv); credits proportional to it
  Shapley       the classical formula, enumerating for every channel every
                coalition S of the others with weight |S|! (n-|S|-1)! / n!,
                v(S) = conversions (value) of journeys whose channel set is
                a subset of S, summed directly (no transforms)

Writes test/fixtures/attribution.sql (the events and the expected credits).
With --export FILE it instead reads journeys exported by the benchmark
(customer, path, converted, value per line, tab-separated, path as a|b|c)
and prints the Markov order 1 and Shapley credits, timing nothing itself.
Run: /usr/bin/python3 make_reference.py
"""
import itertools
import math
import os
import sys

import numpy as np
from scipy import linalg

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, '..', '..', 'fixtures', 'attribution.sql')
CHANNELS = ['display', 'email', 'organic', 'paid_search', 'referral', 'social']
HALF_LIFE = 7 * 86400.0


def journeys_of(rows):
    """rows: (t, channel or None, amount) sorted by time, conversions last at ties."""
    out = []
    touches = []
    for t, ch, amount in rows:
        if ch is None:
            out.append((touches, True, amount, t))
            touches = []
        else:
            touches.append((t, ch))
    if touches:
        out.append((touches, False, 0.0, touches[-1][0]))
    return out


def heuristics(journeys):
    res = {m: {} for m in ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based')}

    def add(model, ch, c, v):
        cv = res[model].setdefault(ch, [0.0, 0.0])
        cv[0] += c
        cv[1] += v

    for touches, conv, value, _t in journeys:
        if not conv:
            continue
        k = len(touches)
        chans = [c for _, c in touches]
        add('first_touch', chans[0], 1, value)
        add('last_touch', chans[-1], 1, value)
        w = [2.0 ** (-(touches[-1][0] - t) / HALF_LIFE) for t, _ in touches]
        ws = sum(w)
        for i, c in enumerate(chans):
            add('linear', c, 1.0 / k, value / k)
            add('time_decay', c, w[i] / ws, value * (w[i] / ws))
            if k == 1:
                pw = 1.0
            elif k == 2:
                pw = 0.5
            else:
                pw = 0.4 if i in (0, k - 1) else 0.2 / (k - 2)
            add('position_based', c, pw, value * pw)
    return res


def markov(paths, order):
    """paths: list of (channels, converted).  Returns removal effects."""
    counts = {}
    for chans, conv in paths:
        for i in range(len(chans) + 1):
            frm = tuple(chans[max(0, i - order):i])
            nxt = chans[i] if i < len(chans) else ('(conversion)' if conv else '(null)')
            counts[(frm, nxt)] = counts.get((frm, nxt), 0) + 1
    states = sorted({f for f, _ in counts}, key=lambda s: (len(s), s))
    index = {s: i for i, s in enumerate(states)}
    rowsum = np.zeros(len(states))
    for (f, _n), c in counts.items():
        rowsum[index[f]] += c

    def p_conv(removed):
        keep = [s for s in states if removed not in s]
        kidx = {s: i for i, s in enumerate(keep)}
        m = len(keep)
        a = np.eye(m)
        b = np.zeros(m)
        for (f, n), c in counts.items():
            if f not in kidx:
                continue
            p = c / rowsum[index[f]]
            if n == '(conversion)':
                b[kidx[f]] += p
            elif n == '(null)':
                continue
            else:
                to = (f + (n,))[-order:]
                if to in kidx:
                    a[kidx[f], kidx[to]] -= p
        x = linalg.solve(a, b)
        return x[kidx[()]]

    p = p_conv(None)
    chans = sorted({c for ch, _ in paths for c in ch})
    return p, {c: 1 - p_conv(c) / p for c in chans}


def shapley(coalitions):
    """coalitions: dict frozenset -> [conversions, value].  Classical formula."""
    players = sorted(set().union(*coalitions.keys())) if coalitions else []
    n = len(players)

    def v(s):
        tot = [0.0, 0.0]
        for t, cv in coalitions.items():
            if t <= s:
                tot[0] += cv[0]
                tot[1] += cv[1]
        return tot

    out = {}
    for j in players:
        others = [p for p in players if p != j]
        phi = [0.0, 0.0]
        for size in range(n):
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for s in itertools.combinations(others, size):
                s = frozenset(s)
                a = v(s | {j})
                b = v(s)
                phi[0] += w * (a[0] - b[0])
                phi[1] += w * (a[1] - b[1])
        out[j] = phi
    return out


def credits(journeys, order):
    total_c = sum(1 for j in journeys if j[1])
    total_v = sum(j[2] for j in journeys if j[1])
    paths = [([c for _, c in t], conv) for t, conv, _v, _t in journeys]
    _p, re = markov(paths, order)
    s = sum(re.values())
    mk = {c: [total_c * r / s, total_v * r / s] for c, r in re.items()}
    coal = {}
    for t, conv, value, _t in journeys:
        if conv:
            cv = coal.setdefault(frozenset(c for _, c in t), [0.0, 0.0])
            cv[0] += 1
            cv[1] += value
    return re, mk, shapley(coal)


def generate():
    rng = np.random.default_rng(20260317)
    events = []
    for cust in range(1, 401):
        n = int(rng.integers(1, 9))
        times = sorted(rng.choice(60 * 86400, size=n + 3, replace=False).tolist())
        kinds = rng.random(n + 3)
        for t, u in zip(times, kinds):
            if u < 0.22:
                events.append((cust, int(t), None, round(float(rng.gamma(2.0, 40.0)), 2)))
            else:
                ch = CHANNELS[int(rng.choice(6, p=[0.1, 0.2, 0.25, 0.2, 0.1, 0.15]))]
                events.append((cust, int(t), ch, round(float(rng.random()), 2)))
    # a conversion needs a touch since the previous conversion: drop the others
    kept = []
    for i, e in enumerate(events):
        prev = events[i - 1] if i > 0 and events[i - 1][0] == e[0] else None
        if e[2] is None and (prev is None or prev[2] is None):
            continue
        kept.append(e)
    events = kept
    return events


def main():
    events = generate()
    by = {}
    for cust, t, ch, amount in events:
        by.setdefault(cust, []).append((t, ch, amount))
    journeys = []
    for cust in sorted(by):
        journeys.extend(journeys_of(sorted(by[cust], key=lambda r: (r[0], r[1] is None))))
    heur = heuristics(journeys)
    with open(FIXTURE, 'w') as f:
        f.write('SET client_min_messages = warning;\n')
        f.write('-- Generated by test/data/attribution/make_reference.py (do not edit): 400 customers\'\n')
        f.write('-- touchpoints and conversions and the credits of every model computed there.\n')
        f.write('DROP TABLE IF EXISTS attribution_ref_events, attribution_ref_expected;\n')
        f.write('CREATE TABLE attribution_ref_events (customer int, t int, channel text, amount float8, is_conversion boolean);\n')
        f.write('CREATE TABLE attribution_ref_expected ("order" int, channel text, model text, conversions float8, value float8);\n')
        f.write('INSERT INTO attribution_ref_events VALUES\n')
        f.write(',\n'.join("(%d, %d, %s, %r, %s)" % (c, t, "'%s'" % ch if ch else 'NULL', a,
                                                      'false' if ch else 'true')
                           for c, t, ch, a in events) + ';\n')
        rows = []
        for model, d in heur.items():
            for ch, (c, v) in sorted(d.items()):
                rows.append((1, ch, model, c, v))
        for order in (1, 2, 3):
            re, mk, sh = credits(journeys, order)
            for ch, (c, v) in sorted(mk.items()):
                rows.append((order, ch, 'markov', c, v))
                rows.append((order, ch, 'removal_effect', re[ch], re[ch]))
            if order == 1:
                for ch, (c, v) in sorted(sh.items()):
                    rows.append((1, ch, 'shapley', c, v))
        f.write('INSERT INTO attribution_ref_expected VALUES\n')
        f.write(',\n'.join("(%d, '%s', '%s', %r, %r)" % r for r in rows) + ';\n')
    print('wrote', os.path.normpath(FIXTURE), len(events), 'events', len(journeys), 'journeys')


def export_mode(path):
    """Markov order 1 and Shapley on journeys exported by test/bench/attribution.sh."""
    journeys = []
    with open(path) as f:
        for line in f:
            _cust, p, conv, value = line.rstrip('\n').split('\t')
            chans = p.split('|')
            journeys.append(([(0, c) for c in chans], conv == 't', float(value) if conv == 't' else 0.0, 0))
    # Shapley by the classical formula is exponential in the channels; with
    # the benchmark's 8 channels it is 8 * 128 coalitions, each v(S) a scan
    # over the distinct coalitions
    re, mk, sh = credits(journeys, 1)
    for c in sorted(mk):
        print(c, mk[c][0], sh[c][0])


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--export':
        export_mode(sys.argv[2])
    else:
        main()
