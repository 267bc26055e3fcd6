#!/usr/bin/env bash
# The nightly portrait at scale (not part of make test): for each size in
# SCALE_SIZES (customers; default "1000000 10000000"), scale_data.py makes a
# shop's data (about 9 orders a customer, skewed; order lines and events in
# proportion) and loads it with COPY into its own database, then
# scale_pipeline.py runs the whole pipeline as a nightly job would, printing
# each stage's time and peak memory.  At the end: how each stage grew from one
# size to the next (the ratio of times; linear in customers is the ratio of the
# sizes).  Environment from test/portrait.sh bench (PSQL, DB) or a dev cluster
# (PGHOST, PGPORT, PGUSER); SCALE_OUT keeps the JSON results (default a
# temporary folder); SCALE_KEEP=1 keeps the databases; SCALE_REUSE=1 runs the
# pipeline on a database of that size kept by an earlier run (SCALE_KEEP=1 or
# SCALE_REUSE=1) when it is there and complete, with the extension created
# afresh, instead of generating and loading again (10M customers take tens of
# minutes to load), and keeps it.
set -euo pipefail
if [ -n "${DB:-}" ] && [ "${BENCH:-}" != scale.sh ]; then
	echo "scale.sh takes long: run it by name (BENCH=scale.sh ./test/portrait.sh bench)"
	exit 0
fi
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PSQL=${PSQL:-psql}
SIZES=${SCALE_SIZES:-"1000000 10000000"}
OUT=${SCALE_OUT:-$(mktemp -d)}
PY=/usr/bin/python3
mkdir -p "$OUT"

for n in $SIZES; do
	db="portrait_scale_$n"
	echo "== $n customers"
	# a kept database is complete when the loader's last step, its marker, is there
	if [ -n "${SCALE_REUSE:-}" ] &&
		[ "$("$PSQL" -X -qtA -d "$db" -c "SELECT to_regclass('scale.loaded') IS NOT NULL" 2>/dev/null)" = t ]; then
		echo "reusing the data loaded in $db"
		# the data use nothing of the extension: a fresh one has this build's catalog and no history
		"$PSQL" -X -q -d "$db" -c "SET client_min_messages = warning" -c "DROP EXTENSION pg_portrait CASCADE" \
			-c "CREATE EXTENSION pg_portrait"
	else
		"$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
		"$PSQL" -X -q -d "$db" -c "CREATE EXTENSION pg_portrait"
		"$PY" "$ROOT/test/bench/scale_data.py" --customers "$n" --db "$db"
		"$PSQL" -X -q -d "$db" -c "CREATE TABLE scale.loaded AS SELECT now() AS loaded_at, $n AS customers"
	fi
	"$PY" "$ROOT/test/bench/scale_pipeline.py" --db "$db" --out "$OUT/$n.json"
	[ -n "${SCALE_KEEP:-}${SCALE_REUSE:-}" ] || "$PSQL" -X -q -d postgres -c "DROP DATABASE $db"
	echo
done

"$PY" - "$OUT" $SIZES <<'PY'
import json
import sys

out, sizes = sys.argv[1], sys.argv[2:]
runs = [json.load(open(f"{out}/{n}.json")) for n in sizes]
if len(runs) < 2:
    sys.exit(0)
print("growth of each stage: " + " -> ".join(f"{r['customers']:,}" for r in runs) + " customers")
head = "| stage | " + " | ".join(f"{r['customers']:,} s" for r in runs) + " | " + \
    " | ".join(f"x{runs[i + 1]['customers'] / runs[i]['customers']:g} customers: time ratio" for i in range(len(runs) - 1)) + " |"
print(head)
print("|---" * (2 * len(runs)) + "|")
for j, st in enumerate(runs[0]["stages"]):
    ts = [r["stages"][j]["seconds"] for r in runs]
    print(f"| {st['stage']} | " + " | ".join(f"{t:.2f}" for t in ts) + " | "
          + " | ".join(f"{ts[i + 1] / ts[i]:.1f}" for i in range(len(ts) - 1)) + " |")
tot = [r["total"] for r in runs]
print("| whole pipeline | " + " | ".join(f"{t:.2f}" for t in tot) + " | "
      + " | ".join(f"{tot[i + 1] / tot[i]:.1f}" for i in range(len(tot) - 1)) + " |")
PY
