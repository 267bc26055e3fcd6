#!/usr/bin/python3
"""Fuzz the text input of portrait.model through SQL.

Starts from valid models of every kind, applies seeded structural and byte-level
mutations to their JSON, and feeds each result to ::portrait.model.  Rejected
input must fail with SQLSTATE 22P02 and nothing else; accepted input must read
back to the identical model (text, binary and jsonb forms) and must not make a
scoring function of its kind fail with anything but a documented data error.
The server must never crash.

  model_fuzz.py
      the bounded run of the test command: --tap --iterations 1000 --seed 1
      (MODEL_FUZZ_ITERATIONS, MODEL_FUZZ_SEED override them)
  model_fuzz.py --tap [--seconds S | --iterations N] [--seed N]
      a bounded run printing TAP
  model_fuzz.py --seconds S [--seed N] [--write-corpus]
      a longer run; prints every finding and the classes it saw; with
      --write-corpus replaces test/data/fuzz/corpus.csv by the shortest input of
      every class (distinct stage, SQLSTATE and message)

Needs a running cluster (PGHOST/PGPORT/PGUSER) and a database (PGDATABASE,
default portrait_test) with pg_portrait.
"""
import argparse
import copy
import csv
import json
import os
import random
import re
import sys
import time

import psycopg2

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ_DIR = os.path.join(ROOT, "test", "data", "fuzz")

# Valid models of every kind (as the fits write them), the starting points.
SEEDS = [
    '{"kind": "rfm", "format": 1, "buckets": 5, "n": 1000, "recency": [77, 57, 37, 18], "frequency": [2, 3, 5, 6], '
    '"monetary": [300, 600, 900, 1200], "mean_score": [2.997, 2.716, 3], "mean_value": [47.025, 4.003, 750.75]}',
    '{"kind": "rfm", "format": 1, "buckets": 3, "n": 1000, "recency": [63, 30], "frequency": [3, 5], '
    '"monetary": [501, 1000.5], "mean_score": [1.989, 1.858, 1.999]}',
    '{"kind": "kmeans", "format": 1, "k": 3, "dim": 2, "n": 1000, "standardize": true, "mean": [6.006, 3.003], '
    '"sd": [3.7387115427644377, 1.9987473577218289], "centroids": [[6.016085790884724, 0.884718498659514], '
    '[2.700000000000023, 4.299999999999999], [9.66666666666667, 4.222222222222221]], "centroids_scaled": '
    '[[0.0026976648958766565, -1.059804528649835], [-0.8842618538994026, 0.6489064238105202], '
    '[0.9791251945476217, 0.609993162723622]], "sizes": [373, 330, 297], "inertia": 788.8185049384965, '
    '"iterations": 8, "converged": true, "seed": 1, "n_init": 10, "init": "k-means++", "algorithm": "hamerly", '
    '"trainer": "kmeans_fit"}',
    '{"kind": "kmeans", "format": 1, "k": 2, "dim": 2, "n": 100, "feature_names": ["a", "b"], "standardize": false, '
    '"mean": [5.91, 2.97], "sd": [3.6635911343925915, 1.9922600231897445], "centroids": [[8.88679245283019, '
    '2.943396226415094], [2.5531914893617023, 3]], "centroids_scaled": [[8.88679245283019, 2.943396226415094], '
    '[2.5531914893617023, 3]], "sizes": [53, 47], "inertia": 739.7679646728221, "iterations": 4, "converged": true, '
    '"seed": 1, "n_init": 10, "init": "k-means++", "algorithm": "hamerly", "trainer": "kmeans_fit"}',
    '{"kind": "kmeans", "format": 1, "k": 3, "dim": 2, "n": 1000, "standardize": true, "mean": [6.005999999999992, '
    '3.003000000000001], "sd": [3.738711542764431, 1.9987473577218307], "centroids": [[2.177083333333352, '
    '3.151041666666667], [8.666666666666664, 4.66666666666666], [8.076923076923077, 0.8846153846153819]], '
    '"centroids_scaled": [[-1.0241273291267372, 0.07406722320093699], [0.7116533694116868, 0.8323546546487516], '
    '[0.5539135751007492, -1.0598561179833907]], "sizes": [384, 330, 286], "inertia": 790.3697289386271, '
    '"iterations": 1, "converged": true, "seed": 2, "n_init": 10, "init": "k-means++", "algorithm": "lloyd", '
    '"trainer": "kmeans_train"}',
    '{"kind": "bgnbd", "format": 1, "r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "unit": "weeks", '
    '"log_likelihood": -9582.43, "n": 2357, "penalizer": 0, "iterations": 57, "converged": true}',
    '{"kind": "bgnbd", "format": 1, "r": 0.8614467938162619, "alpha": 6.139831494289188, "a": 99310194768496.97, '
    '"b": 213716751161612.97}',
    '{"kind": "gamma_gamma", "format": 1, "p": 15.15830207409259, "q": 11.255265214220831, "gamma": 14.314483399411216, '
    '"log_likelihood": -1677.736520313128, "n": 500, "skipped": 0, "penalizer": 0, "iterations": 26, "converged": true}',
    '{"kind": "logit", "format": 1, "n": 500, "positives": 214, "feature_names": ["x1", "x2"], "coef": '
    '[-0.2829743989174303, 0.0002255718522470052, -0.004083591905840674], "std_err": [0.21193534361795546, '
    '0.028640273317908686, 0.06391227773302173], "z": [-1.3351921113617233, 0.007876036996684516, '
    '-0.06389370009466575], "p_value": [0.1818134780838444, 0.993715896649307, 0.9490548686269484], '
    '"odds_ratio": [0.7535390790289604, 1.0002255972954903, 0.9959247346176888], "log_likelihood": '
    '-341.3694507309194, "aic": 688.7389014618389, "iterations": 4, "condition_number": 14.883055249756916, '
    '"lambda": 0, "standardize": false, "tol": 1e-10, "max_iter": 100}',
    '{"kind": "logit", "format": 1, "n": 500, "positives": 214, "feature_names": ["x1", "x2", "x3"], "coef": '
    '[-0.28, 0.0002, -0.004, 7.2e-06], "std_err": [0.23, 0.028, 0.063, 0.18], "z": [-1.22, 0.007, -0.063, 4e-05], '
    '"p_value": [0.21, 0.99, 0.94, 0.99], "log_likelihood": -341.36, "aic": 690.73, "iterations": 4, '
    '"condition_number": 1.0055, "lambda": 0.1, "standardize": true, "tol": 1e-10, "max_iter": 100}',
    # the newer families, fitted on small tables by test/data/fuzz/seeds.sql (mbgnbd and pareto_nbd
    # written by hand: their fits on so few rows do not converge)
    '{"kind": "mbgnbd", "format": 1, "r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614, "unit": "weeks", '
    '"log_likelihood": -9594.98, "n": 2357, "penalizer": 0, "iterations": 41, "converged": true}',
    '{"kind": "pareto_nbd", "format": 1, "r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67, "unit": "weeks"}',
    '{"kind": "item_similarity", "format": 1, "measure": "cosine", "shrinkage": 0, "top": 2, "baskets": 9, '
    '"items": ["i0", "i1", "i2", "i3", "i4"], "counts": [8, 8, 8, 8, 8], "offsets": [0, 2, 4, 6, 8, 10], '
    '"neighbours": [1, 2, 0, 2, 0, 1, 0, 1, 0, 1], "scores": [0.875, 0.875, 0.875, 0.875, 0.875, 0.875, 0.875, '
    '0.875, 0.875, 0.875]}',
    '{"kind": "dbscan", "format": 1, "dim": 2, "n": 12, "eps": 1, "min_samples": 2, "standardize": true, "mean": '
    '[5.166666666666667, 4], "sd": [3.0776975521032313, 2.273030282830976], "n_clusters": 2, "n_noise": 3, '
    '"core_points": [[0.5956833971812705, 1.0998533626601497], [-0.7039894693960471, 0.21997067253202995], '
    '[0.2707651805369411, -1.5397947077242096], [-1.0289076860403765, 1.3198240351921797], [1.2455198304699293, '
    '0.4399413450640599], [-0.05415303610738833, -0.4399413450640599], [0.9206016138255999, 1.5397947077242096], '
    '[-0.37907125275171777, 0.6599120175960899], [0.5956833971812705, -1.0998533626601497]], "core_labels": [1, '
    '2, 2, 2, 1, 2, 1, 2, 2], "keys": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "labels": [1, 2, -1, 2, 2, 1, 2, '
    '-1, 1, 2, -1, 2], "core": [1, 1, 0, 1, 1, 1, 1, 0, 1, 1, 0, 1]}',
    '{"kind": "hierarchical", "format": 1, "dim": 2, "n": 6, "method": "ward", "standardize": true, "mean": '
    '[6.166666666666667, 4.333333333333333], "sd": [2.9107081994288304, 2.2484562605386733], "keys": [1, 2, 3, '
    '4, 5, 6], "merges": [[0, 5, 0.9576983306845265, 2], [1, 4, 1.1637424642716196, 2], [2, 3, '
    '1.6369891207252187, 2], [6, 7, 2.6722618895904224, 4], [8, 9, 3.45076808787913, 6]]}',
    '{"kind": "hierarchical", "format": 1, "dim": 2, "n": 3, "method": "average", "standardize": true, "mean": '
    '[5.175, 4.05], "sd": [3.1135791301972713, 2.423324163210527], "keys": [1, 2, 3], "merges": [[1, 2, '
    '1.9086386792574839, 26], [0, 3, 1.9304535207927234, 40]], "weights": [14, 13, 13]}',
    '{"kind": "isolation_forest", "format": 1, "dim": 2, "n": 40, "n_trees": 2, "max_samples": 8, "seed": 1, '
    '"feature_names": ["a", "b"], "median": [5, 4.25], "scale": [4.4478, 3.3358499999999998], "tree_start": [0, '
    '11, 24], "node_feature": [1, 0, 0, -1, -1, 1, -1, -1, 1, -1, -1, 1, 0, 0, -1, -1, 1, -1, -1, 1, -1, 1, -1, '
    '-1], "node_threshold": [5.5684815073203335, 4.664448670541123, 1.6903268761989332, 0, 0, '
    '1.7849065107754822, 0, 0, 7.068044176286048, 0, 0, 5.49535261557372, 5.884116842588684, 2.005695623952369, '
    '0, 0, 2.9255933498591884, 0, 0, 6.261149383646242, 0, 6.680917031769609, 0, 0], "node_right": [8, 5, 4, -1, '
    '-1, 7, -1, -1, 10, -1, -1, 19, 16, 15, -1, -1, 18, -1, -1, 21, -1, 23, -1, -1], "node_size": [8, 6, 3, 1, '
    '2, 3, 1, 2, 2, 1, 1, 8, 5, 3, 1, 2, 2, 1, 1, 3, 1, 2, 1, 1]}',
    '{"kind": "decision_tree", "format": 1, "task": "classification", "criterion": "gini", "dim": 2, "n": 40, '
    '"max_depth": 2, "min_samples_leaf": 1, "classes": ["hi", "lo"], "class_weight": [1, 1], "node_feature": [0, '
    '-1, -1], "node_threshold": [5.5, 0, 0], "node_left": [1, -1, -1], "node_right": [2, -1, -1], '
    '"node_missing_left": [1, 0, 0], "node_missing": [0, 0, 0], "node_n": [40, 21, 19], "node_weight": [40, 21, '
    '19], "node_impurity": [0.49875, 0, 0], "node_value": [[19, 21], [0, 21], [19, 0]], "node_rows": [[19, 21], '
    '[0, 21], [19, 0]], "node_levels_start": [0, 0, 0, 0], "levels": []}',
    '{"kind": "decision_tree", "format": 1, "task": "regression", "criterion": "squared_error", "dim": 2, "n": '
    '40, "max_depth": 2, "min_samples_leaf": 1, "node_feature": [0, 0, -1, -1, 0, -1, -1], "node_threshold": '
    '[5.5, 2.5, 0, 0, 7.5, 0, 0], "node_left": [1, 2, -1, -1, 5, -1, -1], "node_right": [4, 3, -1, -1, 6, -1, '
    '-1], "node_missing_left": [1, 0, 0, 0, 0, 0, 0], "node_missing": [0, 0, 0, 0, 0, 0, 0], "node_n": [40, 21, '
    '10, 11, 19, 8, 11], "node_weight": [40, 21, 10, 11, 19, 8, 11], "node_impurity": [42.315, '
    '16.130385487528343, 8.71, 5.367768595041326, 14.843490304709178, 7.33984375, 5.739669421487633], '
    '"node_value": [[14.4], [9.476190476190476], [6.3], [12.363636363636363], [19.842105263157894], [16.4375], '
    '[22.318181818181817]], "node_levels_start": [0, 0, 0, 0, 0, 0, 0, 0], "levels": []}',
    '{"kind": "attribution", "format": 1, "order": 1, "channels": ["ads", "mail", "seo"], "states": ["(start)", '
    '"ads", "mail", "seo"], "transitions": [[0, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 0, '
    '0], [0, 0.8333333333333334, 0, 0, 0.08333333333333333, 0.08333333333333333], [0, 0, 0.8333333333333334, 0, '
    '0.16666666666666666, 0], [0, 0, 0, 0.8333333333333334, 0.08333333333333333, 0.08333333333333333]], '
    '"removal_effects": [0.2500000000000001, 0.5, 0.2500000000000001], "conversion_probability": '
    '0.6666666666666667, "journeys": 6, "conversions": 4, "value": 0}',
]

KINDS = ["rfm", "kmeans", "bgnbd", "gamma_gamma", "logit", "mbgnbd", "pareto_nbd", "item_similarity", "dbscan",
         "hierarchical", "isolation_forest", "decision_tree", "attribution"]

# Inputs that once went wrong, always tried first (their classes stay in the corpus).
REGRESSIONS = [
    # integers beyond 2^53 read back exactly; beyond int64 they are refused
    SEEDS[3].replace('"seed": 1', '"seed": 4611686018427387903'),
    SEEDS[3].replace('"seed": 1', '"seed": -9223372036854775808'),
    SEEDS[3].replace('"seed": 1', '"seed": 9223372036854775808'),
    SEEDS[3].replace('"seed": 1', '"seed": 1.5'),
    # negative zero is stored as zero
    SEEDS[1].replace('"mean_score": [1.989', '"mean_score": [-0'),
    # nesting deeper than a model needs, numbers numeric cannot hold, \u0000
    SEEDS[5].replace('"unit": "weeks"', '"unit": ' + "[" * 33 + "]" * 33),
    SEEDS[5].replace('"unit": "weeks"', '"unit": ' + "[" * 20000 + "]" * 20000),
    SEEDS[5].replace('"r": 0.243', '"r": 1e200000'),
    SEEDS[5].replace('"unit": "weeks"', '"unit": "w\\u0000"'),
    # extreme but valid parameters: scoring refuses rather than returning NaN
    SEEDS[5].replace('"r": 0.243', '"r": 1e308'),
    SEEDS[7].replace('"gamma": 14.314483399411216', '"gamma": 1e308'),
    SEEDS[3].replace('"sd": [3.6635911343925915', '"sd": [5e-324'),
]

# Scoring errors a hostile but accepted model may cause: documented data errors.
SCORE_OK_STATES = {"22023", "22000", "22003", "22012"}

SPECIAL_NUMBERS = [
    "0", "-0", "-0.0", "1", "-1", "2", "0.5", "1.5", "-1.5", "1e400", "-1e400", "1e-400", "4.9e-324",
    "1.7976931348623157e308", "1.8e308", "-1.8e308", "9007199254740993", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "18446744073709551616",
    "2147483647", "2147483648", "-2147483649", "1e18", "1e100", "1e-100", "100000", "10001", "1001",
    "1e200000", "-1e200000", "0.000000000000000000000000000000001",
    "123456789012345678901234567890123456789012345678901234567890",
]
SPECIAL_TOKENS = ["NaN", "Infinity", "-Infinity", "nan", "inf", "null", "true", "false", '""', "[]", "{}",
                  "[[]]", "[null]", '"NaN"', '"Infinity"', '"1"', "01", "+1", ".5", "1.", "0x10", "1e", "--1"]
STRINGS = ["", " ", "days", "weeks", "months", "hours", "years", "x", "k-means++", "random", "hamerly",
           "lloyd", "kmeans_fit", "\\u0000", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u00e9", "\u00e9t\u00e9",
           "\U0001F600", "a\\\"b", "\\\\", "\\n", "\\t", "\\/", "rfm", "kmeans", "bgnbd", "gamma_gamma",
           "logit", "RFM", "KMEANS", "model", "\\u0041", "\\uD800\\uDC00", "\\x", "\\u12"]


class Raw:
    """A JSON token kept as written (numbers, literals, anything invalid)."""

    def __init__(self, text):
        self.text = text


class Str:
    """A JSON string kept as written between the quotes (escapes included)."""

    def __init__(self, text):
        self.text = text


def parse(text):
    """The seed as a tree of lists of (key, value) pairs, lists, Raw and Str."""
    def obj(pairs):
        return [(Str(json.dumps(k)[1:-1]), v) for k, v in pairs]

    def conv(v):
        if isinstance(v, list) and not (v and isinstance(v[0], tuple)):
            return [conv(x) for x in v]
        if isinstance(v, list):
            return {"pairs": [(k, conv(x)) for k, x in v]}
        if isinstance(v, str):
            return Str(json.dumps(v, ensure_ascii=False)[1:-1])
        if isinstance(v, bool):
            return Raw("true" if v else "false")
        if v is None:
            return Raw("null")
        return v
    tree = json.loads(text, object_pairs_hook=obj, parse_float=Raw, parse_int=Raw)
    return conv(tree)


def dump(v):
    if isinstance(v, dict):
        return "{" + ", ".join('"%s": %s' % (k.text, dump(x)) for k, x in v["pairs"]) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump(x) for x in v) + "]"
    if isinstance(v, Str):
        return '"%s"' % v.text
    return v.text


def walk(v, path=()):
    """Every (parent, index) position in the tree."""
    out = []
    if isinstance(v, dict):
        for i, (k, x) in enumerate(v["pairs"]):
            out.append((v, i))
            out.extend(walk(x))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out.append((v, i))
            out.extend(walk(x))
    return out


def get(parent, i):
    return parent["pairs"][i][1] if isinstance(parent, dict) else parent[i]


def put(parent, i, x):
    if isinstance(parent, dict):
        parent["pairs"][i] = (parent["pairs"][i][0], x)
    else:
        parent[i] = x


class Mutator:
    def __init__(self, rng, field_names):
        self.rng = rng
        self.field_names = field_names

    def random_value(self, depth=0):
        r = self.rng
        c = r.randrange(7 if depth < 2 else 4)
        if c == 0:
            return Raw(r.choice(SPECIAL_NUMBERS))
        if c == 1:
            return Raw(r.choice(SPECIAL_TOKENS))
        if c == 2:
            return Str(r.choice(STRINGS))
        if c == 3:
            return Raw(repr(r.uniform(-1e6, 1e6)))
        if c == 4:
            return [self.random_value(depth + 1) for _ in range(r.randrange(4))]
        if c == 5:
            return [[Raw(r.choice(SPECIAL_NUMBERS)) for _ in range(r.randrange(3))] for _ in range(r.randrange(3))]
        return {"pairs": [(Str(r.choice(self.field_names)), self.random_value(depth + 1))]}

    def structural(self, tree):
        r = self.rng
        top = tree["pairs"]
        op = r.randrange(16)
        if op == 0 and top:                                  # drop a key
            del top[r.randrange(len(top))]
        elif op == 1 and top:                                # duplicate a key, same or other value
            k, v = top[r.randrange(len(top))]
            top.insert(r.randrange(len(top) + 1), (k, copy.deepcopy(v) if r.random() < 0.5 else self.random_value()))
        elif op == 2 and top:                                # rename a key
            i = r.randrange(len(top))
            name = r.choice(self.field_names + ["", "Kind", "FORMAT", "x" * r.choice([63, 64, 65, 300]),
                                                "\\u006b\\u0069\\u006e\\u0064", "k\\u0000", "\u00e9"])
            top[i] = (Str(name), top[i][1])
        elif op == 3:                                        # extra key
            top.insert(r.randrange(len(top) + 1), (Str(r.choice(self.field_names + ["extra", "kind"])),
                                                  self.random_value()))
        elif op == 4:                                        # kind or format tag
            key = r.choice(["kind", "format"])
            val = Str(r.choice(KINDS + ["", "RFM", "k\\u006deans", "unknown"])) if key == "kind" and r.random() < 0.7 \
                else Raw(r.choice(["1", "1.0", "1e0", "2", "0", "-1", "1.0000000000000001", "10e-1", "null",
                                   "true", '"1"', "[1]", "{}", "1e400"]))
            for i, (k, _) in enumerate(top):
                if k.text == key:
                    top[i] = (k, val)
                    break
        else:                                                # somewhere in the tree
            pos = walk(tree)
            if not pos:
                return
            parent, i = r.choice(pos)
            v = get(parent, i)
            if op in (5, 6):
                put(parent, i, Raw(r.choice(SPECIAL_NUMBERS)))
            elif op == 7:
                put(parent, i, Raw(r.choice(SPECIAL_TOKENS)))
            elif op == 8:
                put(parent, i, self.random_value())
            elif op == 9 and isinstance(v, list):            # array length
                c = r.randrange(5)
                if c == 0 and v:
                    del v[r.randrange(len(v))]
                elif c == 1 and v:
                    v.insert(r.randrange(len(v) + 1), copy.deepcopy(v[r.randrange(len(v))]))
                elif c == 2:
                    v.clear()
                elif c == 3:
                    put(parent, i, [copy.deepcopy(v)])
                elif c == 4 and v:
                    v.extend(copy.deepcopy(v[0]) for _ in range(r.choice([1, 2, 10, 1000])))
            elif op == 10 and isinstance(v, list) and v and isinstance(v[0], list):   # matrix shape
                c = r.randrange(3)
                if c == 0:
                    put(parent, i, [x for row in v for x in (row if isinstance(row, list) else [row])])
                elif c == 1:
                    row = v[r.randrange(len(v))]
                    if isinstance(row, list) and row:
                        del row[r.randrange(len(row))]
                else:
                    v[r.randrange(len(v))] = []
            elif op == 11:                                   # deep nesting
                d = r.choice([3, 10, 100, 1000, 10000, 100000])
                put(parent, i, Raw("[" * d + dump(v) + "]" * d))
            elif op == 12:                                   # very long string
                put(parent, i, Str(r.choice(["a", "\\u00e9", "\u4e2d", "\\\\"]) * r.choice([100, 10000, 1000000])))
            elif op == 13:                                   # long array
                n = r.choice([1000, 100000])
                put(parent, i, Raw("[" + ", ".join([r.choice(["1", "0.5", '"x"'])] * n) + "]"))
            elif op == 14 and isinstance(v, Str):
                put(parent, i, Str(r.choice(STRINGS)))
            else:
                put(parent, i, Str(dump(v).replace("\\", "\\\\").replace('"', '\\"')))

    def bytes_level(self, text):
        r = self.rng
        op = r.randrange(6)
        if not text:
            return text
        if op == 0:                                          # truncate
            return text[:r.randrange(len(text))]
        p = r.randrange(len(text))
        if op == 1:                                          # flip a byte to another printable one
            return text[:p] + chr(r.randrange(32, 127)) + text[p + 1:]
        if op == 2:                                          # JSON punctuation
            return text[:p] + r.choice('{}[]",:\\ eE.-+0') + text[p + 1:]
        if op == 3:                                          # insert
            return text[:p] + r.choice(['"', ',', '{', '[', ']', '}', '\\u0000', '\u00e9', '\t', '\n', '1e999',
                                        'null', '\x7f', '\ufeff']) + text[p:]
        if op == 4:                                          # delete a span
            return text[:p] + text[p + r.randrange(1, 20):]
        return text[:p] + text[p:p + 40] + text[p:]           # repeat a span

    def gentle(self, tree):
        """One number replaced by an extreme one of the same sign: often still a valid model."""
        r = self.rng
        pos = [(p, i) for p, i in walk(tree) if isinstance(get(p, i), Raw)
               and re.match(r"^-?[0-9]", get(p, i).text)]
        if not pos:
            return
        parent, i = r.choice(pos)
        neg = get(parent, i).text.startswith("-")
        mag = r.choice(["1e300", "1e-300", "5e-324", "1e-10", "1e10", "1e15", "1e100", "1.7976931348623157e308",
                        "0", "1", "9007199254740993", "4611686018427387903", "9223372036854775807", "1e-320",
                        "0.9999999999999999", "1.0000000000000002", "3", "1000", "10000", "100000"])
        put(parent, i, Raw(("-" if neg and mag != "0" else "") + mag))

    def mutate(self, seed):
        r = self.rng
        tree = parse(seed)
        if r.random() < 0.4:
            for _ in range(r.choice([1, 1, 2, 3])):
                self.gentle(tree)
            return dump(tree)
        for _ in range(r.choice([1, 1, 1, 2, 3, 5])):
            backup = copy.deepcopy(tree)
            self.structural(tree)
            if len(dump(tree)) > 2000000:     # keep inputs (and this driver) small
                tree = backup
        text = dump(tree)
        if len(text) > 2000000:
            text = text[:2000000]
        if r.random() < 0.3:
            for _ in range(r.choice([1, 1, 2, 4])):
                text = self.bytes_level(text)
        if r.random() < 0.02:
            text = r.choice(["", " ", "null", "[]", "{}", "1", '"rfm"', "[" + seed + "]", seed + seed,
                             seed + " x", "\ufeff" + seed, seed.replace(", ", ",\n")])
        return text


def accepted_shape(kind, canon):
    """The class of an accepted model: its kind and which extreme numbers it holds."""
    flags = set()
    for tok in re.findall(r"(?<![\w.])-?\d[\d.eE+-]*", canon):
        try:
            v = float(tok)
        except ValueError:
            continue
        digits = re.sub(r"\D", "", tok.split("e")[0])
        if re.fullmatch(r"-?\d+", tok) and len(digits) > 15:
            flags.add("int beyond 2^53")
        elif v != 0 and abs(v) < 1e-100:
            flags.add("tiny")
        elif abs(v) > 1e100:
            flags.add("huge")
        elif v < 0:
            flags.add("negative")
    return kind + (" (" + ", ".join(sorted(flags)) + ")" if flags else "")


def normalise(msg):
    """An error message with its numbers and quoted names blurred: one class per shape."""
    msg = msg or ""
    msg = re.sub(r"Token .* is invalid\.", "Token … is invalid.", msg)
    msg = re.sub(r"(Unknown model kind|has no field) .*", r'\1 "…".', msg)
    msg = re.sub(r'"[^"]*"', '"…"', msg)
    msg = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "#", msg)
    return msg[:200]


class Runner:
    def __init__(self, dbname):
        self.dbname = dbname
        self.calls = {}
        with open(os.path.join(FUZZ_DIR, "calls.csv"), newline="") as f:
            for row in csv.DictReader(f):
                self.calls.setdefault(row["kind"], []).append((row["name"], row["sql"]))
        self.connect()

    def connect(self):
        for _ in range(60):
            try:
                self.conn = psycopg2.connect(dbname=self.dbname)
                self.conn.autocommit = True
                with self.conn.cursor() as c:
                    c.execute("SET statement_timeout = '10s'")
                return
            except psycopg2.OperationalError:
                time.sleep(1)
        raise SystemExit("cannot connect")

    def run(self, sql, params):
        """(sqlstate or None, message, first row); sqlstate 'CRASH' when the connection died."""
        try:
            with self.conn.cursor() as c:
                c.execute(sql, params)
                return None, "", c.fetchone()
        except psycopg2.Error as e:
            if e.pgcode is None:
                self.connect()
                return "CRASH", str(e), None
            d = e.diag
            return e.pgcode, "%s: %s" % (d.message_primary, d.message_detail or ""), None

    def check(self, text):
        """Every class this input falls into: (stage, sqlstate or 'ok', message, bad)."""
        out = []
        st, msg, row = self.run(
            "SELECT m::text, (m::text)::portrait.model::text = m::text, "
            "portrait.model_send((m::text)::portrait.model) = portrait.model_send(m), "
            "m::jsonb = (m::text)::jsonb, portrait.model_kind(m) "
            "FROM (SELECT %s::portrait.model AS m) s", (text,))
        if st is not None:
            out.append(("input", st, normalise(msg), st != "22P02"))
            return out
        canon, same_text, same_bin, same_jsonb, kind = row
        ok = same_text and same_bin and same_jsonb
        out.append(("input", "ok", ("accepted " + accepted_shape(kind, canon)) if ok else "round trip differs",
                    not ok))
        for name, sql in self.calls.get(kind, []):
            st, msg, res = self.run(sql.replace("$m", "%(m)s::portrait.model"), {"m": canon})
            if st is None and re.search(r"nan|inf", repr(res), re.I):
                out.append((kind + "." + name, "ok", "result is not finite: %.80s" % (res,), True))
            elif st is None:
                out.append((kind + "." + name, "ok", "", False))
            else:
                out.append((kind + "." + name, st, normalise(msg), st not in SCORE_OK_STATES))
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--iterations", type=int, default=0)
    ap.add_argument("--tap", action="store_true")
    ap.add_argument("--write-corpus", action="store_true")
    argv = sys.argv[1:] or ["--tap", "--iterations", os.environ.get("MODEL_FUZZ_ITERATIONS", "1000"),
                            "--seed", os.environ.get("MODEL_FUZZ_SEED", "1")]
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    runner = Runner(os.environ.get("PGDATABASE", "portrait_test"))
    field_names = sorted({k for s in SEEDS for k in json.loads(s).keys()})
    mut = Mutator(rng, field_names)

    classes = {}            # (stage, state, message) -> shortest input
    bad = {}
    n = 0
    start = time.time()
    inputs = REGRESSIONS + SEEDS
    while True:
        if args.iterations and n >= args.iterations:
            break
        if not args.iterations and time.time() - start > args.seconds:
            break
        text = inputs[n] if n < len(inputs) else mut.mutate(rng.choice(SEEDS))
        n += 1
        for stage, st, msg, is_bad in runner.check(text):
            key = (stage, st, msg)
            if key not in classes or len(text) < len(classes[key]):
                classes[key] = text
            if is_bad and key not in bad:
                bad[key] = text
                if not args.tap:
                    print("FINDING %s %s %s\n  input: %.300s" % (stage, st, msg, text), flush=True)

    if args.tap:
        print("1..3")
        print("%s 1 - %d mutated model texts: rejected ones fail with 22P02 only" %
              ("ok" if not any(k[0] == "input" and k[1] != "ok" for k in bad) else "not ok", n))
        print("%s 2 - accepted models round-trip exactly (text, binary, jsonb)" %
              ("ok" if not any(k[0] == "input" and k[1] == "ok" for k in bad) else "not ok"))
        print("%s 3 - scoring functions on accepted models raise documented data errors only" %
              ("ok" if not any(k[0] != "input" for k in bad) else "not ok"))
        for k, t in bad.items():
            print("# %s %s %s: %.200s" % (k[0], k[1], k[2], t))
        return

    print("%d inputs in %.0f s, %d classes, %d bad" % (n, time.time() - start, len(classes), len(bad)))
    for k in sorted(classes):
        print("%-32s %-6s %s" % k)
    if args.write_corpus:
        path = os.path.join(FUZZ_DIR, "corpus.csv")
        rows = sorted((k[0], k[1], k[2], t) for k, t in classes.items() if len(t) <= 4000 and "\x00" not in t)
        seen = set()
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["stage", "sqlstate", "message", "input"])
            for stage, st, msg, t in rows:
                if (stage, st, t) in seen:
                    continue
                seen.add((stage, st, t))
                w.writerow([stage, st, msg, t])
        print("wrote %d corpus entries to %s" % (len(seen), path))


if __name__ == "__main__":
    main()
