#!/usr/bin/python3
"""Brute-force frequent itemsets and association rules for test/recommend.sql.

Writes, next to this script:
  baskets.csv   dataset,basket,item   -- generated baskets (repeated lines
                                         included, which count once)
  itemsets.csv  dataset,items,count   -- every itemset of at most max_len
                                         items in at least min_count baskets,
                                         found by counting every combination
                                         of items (no pruning, no FP-tree)
  rules.csv     dataset,antecedent,consequent,count,support,confidence,
                lift,leverage,conviction  -- every split X => Y of those
                itemsets with confidence >= min_confidence

Items sets are written as PostgreSQL array literals, items sorted by name.
The parameters of each data set are in DATASETS; min_count is
ceil(min_support * baskets), the rule fpgrowth documents.
"""
import csv
import itertools
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (seed, baskets, items, min_support, max_len, min_confidence)
DATASETS = {
    "planted": (7, 400, 30, 0.04, 4, 0.2),
    "sparse": (11, 1500, 120, 0.01, 3, 0.0),
}


def generate(seed, nbaskets, nitems):
    """Baskets with planted groups of items bought together, Zipf-like rest."""
    rng = random.Random(seed)
    items = ["sku%03d" % i for i in range(nitems)]
    groups = [items[0:3], items[5:9], items[12:14], items[20:23]]
    weights = [1.0 / (i + 1) for i in range(nitems)]
    lines = []
    for b in range(1, nbaskets + 1):
        chosen = set()
        for g in groups:
            if rng.random() < 0.18:
                chosen.update(x for x in g if rng.random() < 0.85)
        for _ in range(rng.randint(1, 5)):
            chosen.add(rng.choices(items, weights)[0])
        for it in sorted(chosen):
            lines.append((b, it))
        if rng.random() < 0.05 and chosen:
            lines.append((b, sorted(chosen)[0]))  # a repeated line
    return lines


def mine(lines, min_support, max_len, min_conf):
    baskets = {}
    for b, it in lines:
        baskets.setdefault(b, set()).add(it)
    n = len(baskets)
    min_count = max(math.ceil(min_support * n - 1e-9), 1)
    universe = sorted({it for _, it in lines})
    counts = {}
    for k in range(1, max_len + 1):
        for combo in itertools.combinations(universe, k):
            s = set(combo)
            c = sum(1 for items in baskets.values() if s <= items)
            if c >= min_count:
                counts[combo] = c
    rules = []
    for combo, cxy in counts.items():
        if len(combo) < 2:
            continue
        for r in range(1, len(combo)):
            for ante in itertools.combinations(combo, r):
                cons = tuple(x for x in combo if x not in ante)
                cx, cy = counts[ante], counts[cons]
                conf = cxy / cx
                if conf < min_conf:
                    continue
                sy = cy / n
                lift = cxy * n / (cx * cy)
                leverage = cxy / n - (cx / n) * sy
                conviction = float("inf") if cxy == cx else (1 - sy) / (1 - conf)
                rules.append((ante, cons, cxy, cxy / n, conf, lift, leverage, conviction))
    return counts, rules


def arr(items):
    return "{" + ",".join(items) + "}"


def main():
    with open(os.path.join(HERE, "baskets.csv"), "w", newline="") as fb, \
         open(os.path.join(HERE, "itemsets.csv"), "w", newline="") as fi, \
         open(os.path.join(HERE, "rules.csv"), "w", newline="") as fr:
        wb, wi, wr = csv.writer(fb), csv.writer(fi), csv.writer(fr)
        wb.writerow(["dataset", "basket", "item"])
        wi.writerow(["dataset", "items", "count"])
        wr.writerow(["dataset", "antecedent", "consequent", "count", "support", "confidence",
                     "lift", "leverage", "conviction"])
        for name, (seed, nb, ni, ms, ml, mc) in DATASETS.items():
            lines = generate(seed, nb, ni)
            for b, it in lines:
                wb.writerow([name, b, it])
            counts, rules = mine(lines, ms, ml, mc)
            for combo in sorted(counts):
                wi.writerow([name, arr(combo), counts[combo]])
            for r in sorted(rules):
                wr.writerow([name, arr(r[0]), arr(r[1]), r[2]] +
                            [("Infinity" if math.isinf(x) else repr(x)) for x in r[3:]])


if __name__ == "__main__":
    main()
