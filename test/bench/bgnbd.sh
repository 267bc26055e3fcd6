#!/usr/bin/env bash
# BG/NBD benchmark: bgnbd_fit in the database against exporting the summary
# with psycopg2 and fitting with scipy (bgnbd_reference.py), on the same
# simulated customers.  Environment from test/portrait.sh bench: ROOT, PSQL,
# DB, PGHOST, PGPORT, PGUSER.  BENCH_CUSTOMERS sets the size (default 250000).
set -euo pipefail
exec /usr/bin/python3 "$ROOT/test/bench/bgnbd_reference.py" --customers "${BENCH_CUSTOMERS:-250000}" --db "$DB"
