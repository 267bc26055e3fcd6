#!/usr/bin/env bash
# Benchmark: logit_fit (and logit_train) inside PostgreSQL against exporting the
# rows with psycopg2 and fitting scikit-learn's LogisticRegression(penalty=None).
# Environment (from test/portrait.sh bench): ROOT, PSQL, DB, PGHOST/PGPORT/PGUSER.
# BENCH_ROWS overrides the row count (default 200000).
set -euo pipefail
ROWS=${BENCH_ROWS:-200000}
PY=/usr/bin/python3

"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
DROP TABLE IF EXISTS bench_churn;
SELECT setseed(0.42) \g /dev/null
CREATE TABLE bench_churn AS
SELECT i AS id, tenure, spend, calls, discount, mobile,
       random() < 1 / (1 + exp(-(0.4 - 0.045 * tenure + 0.006 * spend + 0.35 * calls - 2.0 * discount - 0.5 * mobile))) AS churned
FROM (SELECT i, floor(1 + random() * 72)::float8 AS tenure, round((random() * 160)::numeric, 2)::float8 AS spend,
             floor(-ln(1 - random()) * 1.5)::float8 AS calls, round((random() * 0.3)::numeric, 3)::float8 AS discount,
             (random() < 0.55)::int::float8 AS mobile
      FROM generate_series(1, $ROWS) i) s;
VACUUM ANALYZE bench_churn;
SQL

DB="$DB" PYTHONPATH="$ROOT/test/bench" "$PY" - <<'PY'
import json, os
import numpy as np
import psycopg2
from sklearn.linear_model import LogisticRegression

from timing import best

conn = psycopg2.connect(dbname=os.environ["DB"])
conn.autocommit = True
cur = conn.cursor()
cur.execute("SELECT count(*), sum(churned::int) FROM bench_churn")
n, pos = cur.fetchone()
feats = "ARRAY[tenure, spend, calls, discount, mobile]"

RUNS = 5

def ours():
    cur.execute(f"SELECT portrait.logit_fit(churned, {feats})::text FROM bench_churn")
    return json.loads(cur.fetchone()[0])

def ours_serial():
    cur.execute("SET max_parallel_workers_per_gather = 0")
    try:
        return ours()
    finally:
        cur.execute("RESET max_parallel_workers_per_gather")

def train():
    cur.execute("SELECT portrait.logit_train('bench_churn'::regclass, 'churned', "
                "ARRAY['tenure', 'spend', 'calls', 'discount', 'mobile'])::text")
    return json.loads(cur.fetchone()[0])

def export():
    cur.execute("SELECT churned, tenure, spend, calls, discount, mobile FROM bench_churn")
    a = np.array(cur.fetchall(), dtype=float)
    return a[:, 1:], a[:, 0].astype(int)

def sk(solver, X, y):
    m = LogisticRegression(penalty=None, solver=solver, tol=1e-8, max_iter=10000).fit(X, y)
    return np.concatenate([m.intercept_, m.coef_[0]])

t_ours, m_ours = best(ours, RUNS)
t_serial, m_serial = best(ours_serial, RUNS)
t_train, m_train = best(train, RUNS)
t_export, (X, y) = best(export, RUNS)
t_newton, c_newton = best(lambda: sk("newton-cholesky", X, y), RUNS)
t_lbfgs, c_lbfgs = best(lambda: sk("lbfgs", X, y), RUNS)
c_ours = np.array(m_ours["coef"])
c_train = np.array(m_train["coef"])

def rel(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))

print(f"rows {n}, positives {pos}, 5 features; best of {RUNS} runs, seconds")
print(f"{'path':<52} {'time':>8} {'vs logit_fit':>13} {'max rel coef diff':>18}")
rows = [
    ("logit_fit (aggregate, in the database)", t_ours, None),
    ("logit_fit, parallel query off", t_serial, rel(np.array(m_serial["coef"]), c_ours)),
    ("logit_train (one aggregate scan per Newton step)", t_train, rel(c_train, c_ours)),
    ("export (psycopg2 fetchall -> numpy)", t_export, None),
    ("export + sklearn newton-cholesky, penalty=None", t_export + t_newton, rel(c_newton, c_ours)),
    ("export + sklearn lbfgs, penalty=None", t_export + t_lbfgs, rel(c_lbfgs, c_ours)),
]
for name, t, d in rows:
    ds = "" if d is None else f"{d:.2e}"
    print(f"{name:<52} {t:8.3f} {t / t_ours:12.2f}x {ds:>18}")
print(f"logit_fit iterations {m_ours['iterations']}; speed-up over export + newton-cholesky "
      f"{(t_export + t_newton) / t_ours:.2f}x (serial: {(t_export + t_newton) / t_serial:.2f}x), "
      f"over export + lbfgs {(t_export + t_lbfgs) / t_ours:.2f}x (serial: {(t_export + t_lbfgs) / t_serial:.2f}x)")
PY
"$PSQL" -X -q -d "$DB" -c "DROP TABLE bench_churn"
