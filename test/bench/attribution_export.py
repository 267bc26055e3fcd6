#!/usr/bin/python3
"""Export side of test/bench/attribution.sh: fetch the touchpoints and
conversions with psycopg2 (COPY), build the journeys and run the models of
test/data/attribution/make_reference.py (one Python thread), time it, and
print the ratios against the database times passed in."""
import argparse
import io
import os
import sys

import psycopg2

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'data', 'attribution'))
import make_reference as ref  # noqa: E402
from timing import best_of  # noqa: E402


def export(conn):
    by = {}
    cur = conn.cursor()
    for sql, conv in (("COPY (SELECT customer, extract(epoch FROM at)::float8, channel, cost FROM bench_touch) TO STDOUT", False),
                      ("COPY (SELECT customer, extract(epoch FROM at)::float8, NULL, value FROM bench_conv) TO STDOUT", True)):
        buf = io.StringIO()
        cur.copy_expert(sql, buf)
        buf.seek(0)
        for line in buf:
            c, t, ch, a = line.rstrip('\n').split('\t')
            by.setdefault(int(c), []).append((float(t), None if conv else ch, float(a)))
    return by


def journeys(by):
    out = []
    for c in by:
        out.extend(ref.journeys_of(sorted(by[c], key=lambda r: (r[0], r[1] is None, r[1] or '', r[2]))))
    return out


def markov_only(conn):
    js = journeys(export(conn))
    total = sum(1 for j in js if j[1])
    _p, re = ref.markov([([c for _, c in t], conv) for t, conv, _v, _t in js], 1)
    s = sum(re.values())
    return {c: total * r / s for c, r in re.items()}


def all_models(conn):
    js = journeys(export(conn))
    heur = ref.heuristics(js)
    re, mk, sh = ref.credits(js, 1)
    return heur, mk, sh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--db', required=True)
    ap.add_argument('--runs', type=int, default=1)
    ap.add_argument('--ours', required=True, help='database ms of all models and of Markov order 1')
    ap.add_argument('--ours-markov', required=True, help='file of channel|conversions (Markov) from the database')
    a = ap.parse_args()
    ours_all, ours_markov = (float(x) for x in a.ours.split())
    conn = psycopg2.connect(dbname=a.db)
    (t_all, (_h, mk, _sh)), (t_markov, mk2) = best_of(a.runs, lambda: all_models(conn), lambda: markov_only(conn))
    db = {}
    with open(a.ours_markov) as f:
        for line in f:
            if '|' in line:
                ch, v = line.strip().split('|')
                db[ch] = float(v)
    same = set(db) == set(mk2) and all(abs(db[c] - mk2[c]) <= 1e-9 * max(1.0, abs(mk2[c])) for c in db)
    print('Markov order 1 credits: database equals export + Python to 1e-9:', same)
    print()
    print('Export + Python (psycopg2 COPY, make_reference.py, one thread; best of %d):' % a.runs)
    print('%-52s %10s %10s %8s' % ('what', 'python_ms', 'ours_ms', 'speedup'))
    print('%-52s %10.0f %10.0f %8.2f' % ('all models (heuristics, Markov order 1, Shapley)', t_all * 1000, ours_all,
                                        t_all * 1000 / ours_all))
    print('%-52s %10.0f %10.0f %8.2f' % ('Markov order 1', t_markov * 1000, ours_markov, t_markov * 1000 / ours_markov))
    print('speedup = export + Python time / ours')


if __name__ == '__main__':
    main()
