#!/usr/bin/env bash
# dictionary_assign under concurrent callers: four sessions assign
# overlapping key sets of one base at once, repeatedly; every key ends with
# exactly one id, the ids are dense 0 .. n-1 and next_id is n.
# Prints TAP lines; needs PGHOST/PGPORT/PGUSER of a running cluster and PGBIN.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"

psql -d postgres -c "DROP DATABASE IF EXISTS dict_conc" -c "CREATE DATABASE dict_conc"
psql -d dict_conc -c "CREATE EXTENSION pg_portrait"
pids=()
for s in 1 2 3 4; do
	(for r in $(seq 1 15); do
		psql -d dict_conc -c "SELECT portrait.dictionary_assign('conc', array_agg('k' || ((g * $s + $r * 37) % 3000))) FROM generate_series(1, 400) g" >/dev/null
	done) &
	pids+=($!)
done
fail=0
for p in "${pids[@]}"; do wait "$p" || fail=1; done

echo "1..3"
check "every concurrent session finished without error" "0" "$fail"
check "each key has one id and the ids are dense" \
	"$(psql -d dict_conc -c "SELECT count(DISTINCT key) FROM portrait.key_dictionary") true" \
	"$(psql -d dict_conc -c "SELECT count(*) || ' ' || (count(DISTINCT id) = count(*) AND min(id) = 0 AND max(id) = count(*) - 1) FROM portrait.key_dictionary WHERE base = 'conc'")"
check "next_id is the number of keys" \
	"$(psql -d dict_conc -c "SELECT count(*) FROM portrait.key_dictionary WHERE base = 'conc'")" \
	"$(psql -d dict_conc -c "SELECT next_id FROM portrait.key_dictionary_base WHERE base = 'conc'")"
psql -d postgres -c "DROP DATABASE dict_conc"
