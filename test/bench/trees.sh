#!/usr/bin/env bash
# Trees benchmark: 200k customers x 5 features, on one machine, in one run.
#   (a) isolation forest, 100 trees of 256-row samples: iforest_fit + anomaly_score of every
#       customer against COPY out + numpy + scikit-learn IsolationForest fit + score_samples
#   (b) a depth-6 gini classification tree: decision_tree_fit + tree_predict of every customer
#       against COPY out + numpy + scikit-learn DecisionTreeClassifier fit + predict
#   (c) the same tree by decision_tree_train (8 scans, 32 bins), serial and with 2 workers
# Both sides end with the model and a score per customer (not written back); the database keeps
# the model in a temporary table, as a scheduled job would, and scores from there; scikit-learn runs
# with one thread (OMP_NUM_THREADS=1, n_jobs=1), the database with a serial plan.  Each pair
# runs in turn, best of 3.
# Gets ROOT, PSQL, DB and PGHOST/PGPORT/PGUSER from test/portrait.sh bench.
set -euo pipefail
ROWS=${TREES_BENCH_ROWS:-200000}
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
DROP TABLE IF EXISTS bench_trees;
SELECT setseed(0.18) \g /dev/null
-- recency, orders, amount, tenure, refunds; 1% of customers pushed out on one feature
CREATE TABLE bench_trees AS
SELECT i AS id, f, CASE WHEN f[1] > 120 + 40 * random() AND f[2] < 4 + 2 * random() THEN 'churned' ELSE 'active' END AS label
  FROM (SELECT i, ARRAY[
               -90 * ln(1 - random()) + CASE WHEN i % 100 = 0 THEN 400 ELSE 0 END,
               1 + floor(-4 * ln(1 - random())),
               exp(4 + 0.8 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())),
               730 * random(),
               floor(-0.3 * ln(1 - random()))]::float8[] AS f
          FROM generate_series(1, $ROWS) i) s;
VACUUM ANALYZE bench_trees;
SQL

PYTHONPATH="$ROOT/test/bench" "$PY" - "$DB" <<'PY'
import io
import sys
import time

import numpy as np
import psycopg2
from sklearn.ensemble import IsolationForest
from sklearn.tree import DecisionTreeClassifier

from timing import best_of

db = sys.argv[1]
conn = psycopg2.connect(dbname=db)
conn.autocommit = True


def q(sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0] if cur.description else None


def export(with_label):
    """COPY the features (and labels) out and parse them into numpy arrays."""
    c = psycopg2.connect(dbname=db)
    buf = io.StringIO()
    cols = "array_to_string(f, ','), label" if with_label else "array_to_string(f, ',')"
    with c.cursor() as cur:
        cur.copy_expert(f"COPY (SELECT {cols} FROM bench_trees) TO STDOUT", buf)
    c.close()
    lines = buf.getvalue().splitlines()
    if with_label:
        parts = [l.split("\t") for l in lines]
        x = np.array([p[0].split(",") for p in parts], dtype=np.float64)
        y = np.array([p[1] for p in parts])
        return x, y
    return np.array([l.split(",") for l in lines], dtype=np.float64), None


def sk_iforest():
    t0 = time.perf_counter()
    x, _ = export(False)
    t_export = time.perf_counter() - t0
    m = IsolationForest(n_estimators=100, max_samples=256, random_state=0, n_jobs=1).fit(x)
    s = -m.score_samples(x)
    return float(s.sum()), t_export


def sk_tree():
    t0 = time.perf_counter()
    x, y = export(True)
    t_export = time.perf_counter() - t0
    m = DecisionTreeClassifier(max_depth=6, random_state=0).fit(x, y)
    p = m.predict(x)
    return int((p == y).sum()), t_export


q("SET jit = off")
q("SET max_parallel_workers_per_gather = 0")
n = q("SELECT count(*) FROM bench_trees")
print(f"trees benchmark: {n} customers x 5 features, one thread each side, best of 3")
print()

def ours(fit, score):
    q("DROP TABLE IF EXISTS bench_model")
    q(f"CREATE TEMP TABLE bench_model AS SELECT {fit} AS m FROM bench_trees")
    return q(f"SELECT {score} FROM bench_model, bench_trees")


OURS_IF = ("""portrait.iforest_fit(f, '{"n_trees": 100, "max_samples": 256}')""",
           "sum(portrait.anomaly_score(m, f))")
(t_sk, (s_sk, t_exp)), (t_us, s_us) = best_of(3, sk_iforest, lambda: ours(*OURS_IF))
print("(a) isolation forest, 100 trees, max_samples 256: fit + score every customer")
print(f"    COPY + numpy + IsolationForest (fit, score_samples): {t_sk:8.3f} s   (export {t_exp:.3f} s)   mean score {s_sk / n:.4f}")
print(f"    iforest_fit + anomaly_score                        : {t_us:8.3f} s                      mean score {s_us / n:.4f}")
print(f"    ratio export path / database = {t_sk / t_us:.2f}x")
print()

OURS_DT = ("""portrait.decision_tree_fit(f, label, '{"max_depth": 6}')""",
           "count(*) FILTER (WHERE portrait.tree_predict(m, f) = label)")
(t_sk, (c_sk, t_exp)), (t_us, c_us) = best_of(3, sk_tree, lambda: ours(*OURS_DT))
print("(b) classification tree, gini, max_depth 6: fit + predict every customer")
print(f"    COPY + numpy + DecisionTreeClassifier (fit, predict): {t_sk:8.3f} s   (export {t_exp:.3f} s)   training accuracy {c_sk / n:.4f}")
print(f"    decision_tree_fit + tree_predict                    : {t_us:8.3f} s                      training accuracy {c_us / n:.4f}")
print(f"    ratio export path / database = {t_sk / t_us:.2f}x")

print()

TRAIN = """SELECT count(*) FILTER (WHERE portrait.tree_predict(m, f) = label)
           FROM bench_trees, (SELECT portrait.decision_tree_train('bench_trees', 'f', 'label', '{"max_depth": 6}') AS m) t"""
(t_tr, c_tr), = best_of(3, lambda: q(TRAIN))
q("SET max_parallel_workers_per_gather = 2")
(t_trp, _), = best_of(3, lambda: q(TRAIN))
q("SET max_parallel_workers_per_gather = 0")
print("(c) the same tree by decision_tree_train (one histogram scan per level, 32 bins): train + predict")
print(f"    serial plan: {t_tr:8.3f} s   training accuracy {c_tr / n:.4f}   ratio export path / database = {t_sk / t_tr:.2f}x")
print(f"    2 workers  : {t_trp:8.3f} s")
PY
