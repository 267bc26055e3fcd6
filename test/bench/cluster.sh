#!/bin/bash
# Clustering in the database against export + Python with one thread, same
# data and settings, in one run; prints the times and the ratios.
#   DBSCAN of N customers x 5 features (standardized, eps 0.15, min_samples 10):
#     dbscan_fit  vs  \copy to CSV + pandas + StandardScaler + sklearn DBSCAN
#   Ward of M customers x 5 features (standardized):
#     hclust_fit  vs  \copy to CSV + pandas + StandardScaler + scipy linkage
# Usage: PGDATABASE=... test/bench/cluster.sh [N [M]]   (defaults 200000, 20000)
#
# Mode "million": DBSCAN of N customers (default 1000000) on 2, 4 and 8
# standardized behaviour features, ours only (scikit-learn keeps every
# neighbourhood in memory: at this size gigabytes); prints the time, the
# clusters, the noise and the share of core points of each fit.
#   PGDATABASE=... test/bench/cluster.sh million [N]
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

if [ "${1:-}" = million ]; then
	export PGOPTIONS="-c client_min_messages=warning"
	N=${2:-1000000}
	# five behaviour segments (one-off buyers, regulars, high spenders, lapsed,
	# bargain hunters) over eight features, skewed amounts on a log scale
	q <<SQL
DROP TABLE IF EXISTS bench_customers;
SELECT setseed(0.29);
CREATE TABLE bench_customers AS
WITH s AS (
  SELECT g, CASE WHEN u < 0.35 THEN 0 WHEN u < 0.60 THEN 1 WHEN u < 0.68 THEN 2 WHEN u < 0.88 THEN 3 ELSE 4 END AS seg
  FROM (SELECT g, random() AS u FROM generate_series(1, $N) g) t
), z AS (
  SELECT g, seg, ARRAY(SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())
                       FROM generate_series(1, 8) j WHERE g > 0) AS e
  FROM s
)
SELECT g AS id, seg,
  ARRAY[(ARRAY[3.4, 2.6, 2.0, 5.3, 3.0])[seg + 1] + 0.35 * e[1],     -- ln(1 + recency days)
        (ARRAY[0.7, 1.8, 2.9, 0.9, 1.5])[seg + 1] + 0.25 * e[2],     -- ln(1 + orders a year)
        (ARRAY[3.6, 3.9, 4.8, 3.7, 3.0])[seg + 1] + 0.30 * e[3],     -- ln(average order value)
        (ARRAY[4.0, 6.2, 6.8, 6.0, 5.4])[seg + 1] + 0.30 * e[4],     -- ln(1 + tenure days)
        (ARRAY[1.3, 3.5, 6.0, 2.0, 4.0])[seg + 1] + 0.6 * e[5],      -- categories bought
        (ARRAY[0.20, 0.25, 0.10, 0.30, 0.75])[seg + 1] + 0.08 * e[6], -- share of orders discounted
        (ARRAY[0.05, 0.06, 0.04, 0.08, 0.12])[seg + 1] + 0.025 * e[7], -- share of items returned
        (ARRAY[0.8, 2.0, 2.8, 0.4, 2.4])[seg + 1] + 0.30 * e[8]      -- ln(1 + sessions a month)
  ]::float8[] AS f
FROM z;
ANALYZE bench_customers;
SQL
	printf "| DBSCAN of %d customers | features | eps, min_samples | time | clusters (largest) | noise | core points |\n|---|---|---|---|---|---|---|\n" "$N"
	# eps near the 95th percentile of the distance to the 20th neighbour: the segments separate
	for run in "2|ARRAY[f[2], f[6]]|orders, discount share|0.03" \
	           "4|ARRAY[f[1], f[2], f[3], f[6]]|recency, orders, order value, discount share|0.15" \
	           "8|f|all eight|0.5"; do
		IFS='|' read -r d expr names eps <<<"$run"
		q -c "DROP TABLE IF EXISTS bench_dbscan"
		t0=$(now)
		q -c "CREATE TABLE bench_dbscan AS SELECT portrait.dbscan_fit(id, $expr, $eps, 20) AS m FROM bench_customers"
		t1=$(now)
		res=$(q -F '|' -c "SELECT m::jsonb->>'n_clusters',
		                          (SELECT string_agg(c::text, ', ' ORDER BY c DESC) FROM (SELECT count(*) AS c FROM portrait.dbscan_labels(m) WHERE cluster > 0 GROUP BY cluster ORDER BY 1 DESC LIMIT 3) z),
		                          m::jsonb->>'n_noise',
		                          round(100.0 * (SELECT count(*) FROM portrait.dbscan_labels(m) WHERE core) / (m::jsonb->>'n')::int, 1)
		                   FROM bench_dbscan")
		IFS='|' read -r k big noise core <<<"$res"
		awk -v d="$d" -v names="$names" -v eps="$eps" -v a="$t0" -v b="$t1" -v k="$k" -v big="$big" -v noise="$noise" -v core="$core" \
			'BEGIN { printf "| %d-d | %s | %s, 20 | %.1f s | %s (%s) | %s | %s %% |\n", d, names, eps, b - a, k, big, noise, core }'
	done
	q -c "DROP TABLE bench_dbscan" -c "DROP TABLE bench_customers"
	exit 0
fi

N=${1:-200000}
M=${2:-20000}
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# eight groups of customers and 5% scattered ones, from a seeded generator
q <<SQL
DROP TABLE IF EXISTS bench_cluster;
SELECT setseed(0.17);
CREATE TABLE bench_cluster AS
SELECT g AS id,
       CASE WHEN g % 20 = 0
            THEN ARRAY[random() * 12, random() * 8, random() * 6, random() * 4, random() * 10]
            ELSE ARRAY[c * 1.5 + (random() + random() + random() - 1.5) * 0.6,
                       (c % 4) * 2 + (random() + random() + random() - 1.5) * 0.6,
                       (c % 3) * 2 + (random() + random() + random() - 1.5) * 0.6,
                       (c % 2) * 2 + (random() + random() + random() - 1.5) * 0.6,
                       c + (random() + random() + random() - 1.5) * 0.6]
       END::float8[] AS f
FROM (SELECT g, g % 8 AS c FROM generate_series(1, $N) g) s;
ANALYZE bench_cluster;
SQL

run_python() {
	$PY - "$@" <<'PYEOF'
import sys
import numpy as np, pandas as pd
from sklearn.preprocessing import StandardScaler
kind, path = sys.argv[1], sys.argv[2]
d = pd.read_csv(path, header=None).sort_values(0)
x = StandardScaler().fit_transform(d.iloc[:, 1:].to_numpy())
if kind == "dbscan":
    from sklearn.cluster import DBSCAN
    l = DBSCAN(eps=0.15, min_samples=10, n_jobs=1).fit(x).labels_
    print("%d clusters, %d noise" % (len(set(l) - {-1}), int((l == -1).sum())))
else:
    from scipy.cluster.hierarchy import linkage
    z = linkage(x, "ward")
    print("top height %.6f" % z[-1, 2])
PYEOF
}

t0=$(now)
ours=$(q -c "SELECT format('%s clusters, %s noise', m->>'n_clusters', m->>'n_noise') FROM (SELECT portrait.dbscan_fit(id, f, 0.15, 10)::jsonb AS m FROM bench_cluster) s")
t1=$(now)
q -c "\\copy (SELECT id, f[1], f[2], f[3], f[4], f[5] FROM bench_cluster) TO '$TMP/x.csv' CSV"
theirs=$(run_python dbscan "$TMP/x.csv")
t2=$(now)
hours=$(q -c "SELECT format('top height %s', round(max(height)::numeric, 6)) FROM portrait.hclust_merges((SELECT portrait.hclust_fit(id, f, 'ward') FROM bench_cluster WHERE id <= $M))")
t3=$(now)
q -c "\\copy (SELECT id, f[1], f[2], f[3], f[4], f[5] FROM bench_cluster WHERE id <= $M) TO '$TMP/y.csv' CSV"
htheirs=$(run_python ward "$TMP/y.csv")
t4=$(now)
q -c "DROP TABLE bench_cluster"

awk -v n="$N" -v m="$M" -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v e="$t4" \
	-v o="$ours" -v s="$theirs" -v ho="$hours" -v hs="$htheirs" 'BEGIN {
  printf "| task | pg_portrait | export + Python (1 thread) | ratio |\n|---|---|---|---|\n";
  printf "| DBSCAN, %d x 5 (ours: %s; scikit-learn: %s) | %.2f s | %.2f s | %.2fx |\n", n, o, s, b - a, c - b, (c - b) / (b - a);
  printf "| Ward, %d x 5 (ours: %s; scipy: %s) | %.2f s | %.2f s | %.2fx |\n", m, ho, hs, d - c, e - d, (e - d) / (d - c) }'
