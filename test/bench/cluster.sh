#!/bin/bash
# Clustering in the database against export + Python with one thread, same
# data and settings, in one run; prints the times and the ratios.
#   DBSCAN of N customers x 5 features (standardized, eps 0.15, min_samples 10):
#     dbscan_fit  vs  \copy to CSV + pandas + StandardScaler + sklearn DBSCAN
#   Ward of M customers x 5 features (standardized):
#     hclust_fit  vs  \copy to CSV + pandas + StandardScaler + scipy linkage
# Usage: PGDATABASE=... test/bench/cluster.sh [N [M]]   (defaults 200000, 20000)
set -euo pipefail
N=${1:-200000}
M=${2:-20000}
PY=/usr/bin/python3
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
now() { date +%s.%N; }

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
