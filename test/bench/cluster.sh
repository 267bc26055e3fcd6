#!/bin/bash
# DBSCAN of N customers x 5 standardized features: dbscan_fit in the database
# against COPY to CSV + pandas + scikit-learn (one thread), same data and
# settings, in one run; prints both times and the ratio.
# Usage: PGDATABASE=... test/bench/cluster.sh [N]
set -euo pipefail
N=${1:-200000}
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
psql -X -q -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS bench_db;
CREATE TABLE bench_db AS
SELECT g AS id, ARRAY[c + sin(g * 1.1), c * 0.5 + cos(g * 2.3), (g % 5) * 0.2 + sin(g * 3.7),
                      c * 0.3 + cos(g * 0.7), sin(g * 5.3)]::float8[] AS f
FROM (SELECT g, (g % 8)::float8 * 3 AS c FROM generate_series(1, $N) g) s;
ANALYZE bench_db;
SQL
t0=$(date +%s.%N)
psql -X -q -At -c "SELECT (m::jsonb)->>'n_clusters', (m::jsonb)->>'n_noise' FROM (SELECT portrait.dbscan_fit(id, f, 0.15, 10) m FROM bench_db) s" > "$TMP/ours"
t1=$(date +%s.%N)
psql -X -q -c "\\copy (SELECT id, f[1], f[2], f[3], f[4], f[5] FROM bench_db) TO '$TMP/x.csv' CSV"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $PY - "$TMP/x.csv" > "$TMP/theirs" <<'PYEOF'
import sys
import numpy as np, pandas as pd
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler
d = pd.read_csv(sys.argv[1], header=None).sort_values(0)
x = StandardScaler().fit_transform(d.iloc[:, 1:].to_numpy())
l = DBSCAN(eps=0.15, min_samples=10, n_jobs=1).fit(x).labels_
print("%d|%d" % (len(set(l) - {-1}), int((l == -1).sum())))
PYEOF
t2=$(date +%s.%N)
awk -v n="$N" -v a="$t0" -v b="$t1" -v c="$t2" -v o="$(cat "$TMP/ours")" -v s="$(cat "$TMP/theirs")" 'BEGIN {
  printf "DBSCAN %d x 5, eps 0.15, min_samples 10 (clusters|noise: ours %s, scikit-learn %s)\n", n, o, s;
  printf "  dbscan_fit          %8.2f s\n  export + sklearn    %8.2f s\n  ratio               %8.2fx\n", b - a, c - b, (c - b) / (b - a) }'
psql -X -q -c "DROP TABLE bench_db"
