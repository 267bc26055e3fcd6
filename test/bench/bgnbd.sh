#!/usr/bin/env bash
# BG/NBD benchmark: bgnbd_fit in the database against exporting the summary
# with psycopg2 and fitting with scipy (bgnbd_reference.py), on the same
# simulated customers, for several shapes of data (BENCH_SHAPES: default,
# one-order, few-days, long; see SHAPES in bgnbd_reference.py).  Environment
# from test/portrait.sh bench: ROOT, PSQL, DB, PGHOST, PGPORT, PGUSER.
# BENCH_CUSTOMERS sets the size (default 200000).  numpy runs on one thread.
set -euo pipefail
for shape in ${BENCH_SHAPES:-default one-order few-days long}; do
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		/usr/bin/python3 "$ROOT/test/bench/bgnbd_reference.py" --customers "${BENCH_CUSTOMERS:-200000}" \
		--db "$DB" --shape "$shape"
	echo
done
