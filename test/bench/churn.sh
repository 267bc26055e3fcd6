#!/usr/bin/env bash
# Churn-model benchmark: mbgnbd_fit and pareto_nbd_fit in the database against
# exporting the summaries with psycopg2 and maximising the same likelihoods
# with scipy (churn_reference.py), on the same simulated customers.
# Environment from test/portrait.sh bench: ROOT, PSQL, DB, PGHOST, PGPORT,
# PGUSER.  BENCH_CUSTOMERS sets the size (default 200000).
set -euo pipefail
exec /usr/bin/python3 "$ROOT/test/bench/churn_reference.py" --customers "${BENCH_CUSTOMERS:-200000}" --db "$DB"
