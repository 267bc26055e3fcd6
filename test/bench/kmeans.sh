#!/usr/bin/env bash
# k-means benchmark: 200k customers x 4 features, k = 8, on one machine.
#   (a) the export path (psycopg2 fetch + scikit-learn StandardScaler + KMeans,
#       n_init 10, one thread) against kmeans_fit with the same settings: wall
#       time, inertia; on several shapes of data (KMEANS_BENCH_SHAPES): blobs
#       (8 separated groups), rfm (skewed RFM-like features: one-order
#       customers, heavy-tailed money), overlap (one large group and small
#       overlapping ones)
#   (b) kmeans_assign over every row against a bare scan of the same column
#   (c) kmeans_train against kmeans_fit
# (b) and (c) run on the first shape.  Gets ROOT, PSQL, DB and
# PGHOST/PGPORT/PGUSER from test/portrait.sh bench.
set -euo pipefail
ROWS=${KMEANS_BENCH_ROWS:-200000}
DIM=${KMEANS_BENCH_FEATURES:-4}
SHAPES=${KMEANS_BENCH_SHAPES:-"blobs rfm overlap"}
PY=/usr/bin/python3

gen() {
	local expr
	case "$1" in
	blobs) expr="6 * sin((i % 8) * 12.9898 + j * 78.233) + (0.5 + 0.15 * (i % 8)) * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())" ;;
	# j = 1 recency (uniform), 2 orders (60% one), 3 money (log-normal, wide), further: tenure-like
	rfm) expr="CASE j WHEN 1 THEN floor(random() * 365) WHEN 2 THEN CASE WHEN random() < 0.6 THEN 1 ELSE 2 + floor(-ln(1 - random()) * 5) END WHEN 3 THEN exp(4 + 2 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) ELSE floor(random() * 730) END" ;;
	overlap) expr="CASE WHEN i % 10 < 7 THEN 0 ELSE 2 * sin((i % 10) * 3.1 + j) END + (CASE WHEN i % 10 < 7 THEN 2 ELSE 0.7 END) * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())" ;;
	*) echo "unknown shape $1" >&2; exit 2 ;;
	esac
	"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" <<SQL
DROP TABLE IF EXISTS bench_km;
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.42) \g /dev/null
CREATE TABLE bench_km AS
SELECT i AS id, ARRAY(SELECT $expr FROM generate_series(1, $DIM) j WHERE i > 0)::float8[] AS f
  FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE bench_km;
SQL
}

first=1
for shape in $SHAPES; do
gen "$shape"
# one thread for scikit-learn and numpy; OPENBLAS_CORETYPE/L2_SIZE, where the
# machine sets them, slow a current numpy and are left out of this command only
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
	BENCH_SHAPE="$shape" BENCH_FIRST="$first" \
PYTHONPATH="$ROOT/test/bench" "$PY" - "$DB" <<'PY'
import os
import sys
import time

import numpy as np
import psycopg2
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

from timing import best, best_of

db = sys.argv[1]


def q(sql, *args):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0] if cur.description else None


def export_sklearn():
    t0 = time.perf_counter()
    c = psycopg2.connect(dbname=db)
    with c.cursor() as cur:
        cur.execute("SELECT f FROM bench_km")
        x = np.array([r[0] for r in cur.fetchall()], dtype=np.float64)
    c.close()
    t_fetch = time.perf_counter() - t0
    xs = StandardScaler().fit_transform(x)
    km = KMeans(n_clusters=8, n_init=10, random_state=0, algorithm="lloyd").fit(xs)
    return km.inertia_, t_fetch


conn = psycopg2.connect(dbname=db)
conn.autocommit = True
q("SET jit = off")
n = q("SELECT count(*) FROM bench_km")
dim = q("SELECT array_length(f, 1) FROM bench_km LIMIT 1")
print(f"k-means benchmark, shape {os.environ['BENCH_SHAPE']}: {n} rows x {dim} features, k = 8, n_init = 10, standardized")
try:
    from threadpoolctl import threadpool_info
    print("    scikit-learn threads: " + ", ".join(f"{i['internal_api']} {i['num_threads']}"
                                                  + (f" ({i['architecture']})" if i.get('architecture') else "")
                                                  for i in threadpool_info()))
except ImportError:
    pass
print()

(t_sk, (in_sk, t_fetch)), (t_fit, m) = best_of(
    3, export_sklearn, lambda: q("SELECT portrait.kmeans_fit(f, 8, '{\"seed\": 0}')::text FROM bench_km"))
in_fit = q("SELECT (%s::portrait.model::jsonb ->> 'inertia')::float8", m)
print("(a) export + scikit-learn vs kmeans_fit (best of 3, run in turn)")
print(f"    psycopg2 fetch + StandardScaler + KMeans(n_init=10): {t_sk:8.3f} s   inertia {in_sk:.4f}"
      f"   (fetch {t_fetch:.3f} s, fit {t_sk - t_fetch:.3f} s)")
print(f"    kmeans_fit(f, 8, seed 0)                           : {t_fit:8.3f} s   inertia {in_fit:.4f}")
print(f"    speed-up {t_sk / t_fit:.2f}x, inertia ours / scikit-learn = {in_fit / in_sk:.6f}")
# the same fit with a serial plan: the default plan above may collect the rows in parallel
# workers, which then pass them to the leader through the tuple queues
q("SET max_parallel_workers_per_gather = 0")
t_fit1, _ = best(lambda: q("SELECT portrait.kmeans_fit(f, 8, '{\"seed\": 0}')::text FROM bench_km"), 3)
q("RESET max_parallel_workers_per_gather")
print(f"    kmeans_fit, serial plan                            : {t_fit1:8.3f} s   speed-up {t_sk / t_fit1:.2f}x")
print(f"    ratio kmeans_fit / export + scikit-learn: {t_fit / t_sk:.2f} (serial plan {t_fit1 / t_sk:.2f}); target <= 0.33")
print()
if not os.environ.get("BENCH_FIRST"):
    q("DROP TABLE bench_km")
    sys.exit(0)

q("DROP TABLE IF EXISTS bench_model")
q("CREATE TABLE bench_model AS SELECT %s::portrait.model AS m", m)
q("ANALYZE bench_model")
(t_scan, _), (t_assign, _), (t_dist, _) = best_of(
    5, lambda: q("SELECT sum(array_length(f, 1)) FROM bench_km"),
    lambda: q("SELECT sum(portrait.kmeans_assign(f, m)) FROM bench_km, bench_model"),
    lambda: q("SELECT sum(portrait.kmeans_distance(f, m)) FROM bench_km, bench_model"))
print("(b) scoring every row (best of 5, run in turn), default plans (parallel where the planner chooses)")
print(f"    SELECT sum(array_length(f, 1)) FROM t           : {t_scan:8.3f} s")
print(f"    SELECT sum(kmeans_assign(f, m)) FROM t, models  : {t_assign:8.3f} s   ratio {t_assign / t_scan:.2f}x")
print(f"    SELECT sum(kmeans_distance(f, m)) FROM t, models: {t_dist:8.3f} s   ratio {t_dist / t_scan:.2f}x")
q("SET max_parallel_workers_per_gather = 0")
(t_scan1, _), (t_assign1, _), (t_rows1, _), (t_const1, _) = best_of(
    5, lambda: q("SELECT sum(array_length(f, 1)) FROM bench_km"),
    lambda: q("SELECT sum(portrait.kmeans_assign(f, m)) FROM bench_km, bench_model"),
    lambda: q("SELECT count(c) FROM (SELECT portrait.kmeans_assign(f, m) AS c FROM bench_km, bench_model OFFSET 0) s"),
    lambda: q("SELECT sum(portrait.kmeans_assign(f, %s::portrait.model)) FROM bench_km", m))
q("RESET max_parallel_workers_per_gather")
print("    serial (max_parallel_workers_per_gather = 0):")
print(f"    SELECT sum(array_length(f, 1)) FROM t           : {t_scan1:8.3f} s")
print(f"    SELECT sum(kmeans_assign(f, m)) FROM t, models  : {t_assign1:8.3f} s   ratio {t_assign1 / t_scan1:.2f}x")
print(f"    kmeans_assign(f, m) per row, counted            : {t_rows1:8.3f} s   ratio {t_rows1 / t_scan1:.2f}x")
print(f"    SELECT sum(kmeans_assign(f, <model literal>)) FROM t: {t_const1:8.3f} s   ratio {t_const1 / t_scan1:.2f}x")
print()

t_train, mt = best(lambda: q("SELECT portrait.kmeans_train('bench_km'::regclass, 'f', 8, '{\"seed\": 0}')::text"), 3)
in_train = q("SELECT (%s::portrait.model::jsonb ->> 'inertia')::float8", mt)
it_train = q("SELECT (%s::portrait.model::jsonb ->> 'iterations')::int", mt)
t_train_s, mts = best(lambda: q("SELECT portrait.kmeans_train('bench_km'::regclass, 'f', 8, '{\"seed\": 0, \"sample_size\": 20000}')::text"), 3)
in_train_s = q("SELECT (%s::portrait.model::jsonb ->> 'inertia')::float8", mts)
it_train_s = q("SELECT (%s::portrait.model::jsonb ->> 'iterations')::int", mts)
print("(c) kmeans_train vs kmeans_fit (best of 3)")
print(f"    kmeans_fit                          : {t_fit:8.3f} s   inertia {in_fit:.4f}")
print(f"    kmeans_train (sample 100000)        : {t_train:8.3f} s   inertia {in_train:.4f} ({it_train} full scans after the sample fit)"
      f"   time ratio {t_train / t_fit:.2f}x, inertia ratio {in_train / in_fit:.6f}")
print(f"    kmeans_train (sample 20000)         : {t_train_s:8.3f} s   inertia {in_train_s:.4f} ({it_train_s} full scans after the sample fit)"
      f"   time ratio {t_train_s / t_fit:.2f}x, inertia ratio {in_train_s / in_fit:.6f}")
q("DROP TABLE bench_model")
q("DROP TABLE bench_km")
PY
first=
done
