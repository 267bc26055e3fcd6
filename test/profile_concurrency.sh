#!/usr/bin/env bash
# refresh_profile under concurrency, on a running cluster (PGHOST/PGPORT/PGUSER, PGBIN):
# readers in other sessions see one complete version of the profile at any time and
# are not blocked; a second refresh of the same target waits (wait true) or fails
# fast (wait false). Prints TAP lines.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
N=20000

psql -d postgres -c "DROP DATABASE IF EXISTS profile_conc" -c "CREATE DATABASE profile_conc"
psql -d profile_conc <<SQL
CREATE EXTENSION pg_portrait;
CREATE TABLE prof (customer_id int PRIMARY KEY, version int, segment text, score float8);
CALL portrait.refresh_profile('prof', 'SELECT g AS customer_id, 0 AS version, ''S'' || (g % 7) AS segment, g * 0.5 AS score FROM generate_series(1, $N) g');
SQL
src() { echo "SELECT g AS customer_id, $1 AS version, 'S' || ((g + $1) % 7) AS segment, g * 0.5 + $1 AS score FROM generate_series(1, $N) g"; }

echo "1..8"

# a reader polls, in its own sessions, for as long as a writer refreshes ten
# times, each refresh changing every row
read_once() { psql -d profile_conc -c "SELECT count(*) || ' ' || count(DISTINCT version) || ' ' || min(version) FROM prof"; }
(
	while [ ! -f "$tmp/done" ]; do read_once; done
	read_once
) >"$tmp/reader.out" &
reader=$!
until [ -s "$tmp/reader.out" ]; do sleep 0.05; done
# each refresh waits for a read that ended after it began, so reads and
# refreshes interleave however fast either runs on this machine
for v in $(seq 1 10); do
	reads=$(wc -l <"$tmp/reader.out")
	psql -d profile_conc -c "CALL portrait.refresh_profile('prof', \$q\$$(src "$v")\$q\$)"
	until [ "$(wc -l <"$tmp/reader.out")" -gt "$reads" ]; do sleep 0.02; done
done
touch "$tmp/done"
wait $reader
check "the reader kept reading while the refreshes ran" "yes" \
	"$([ "$(wc -l <"$tmp/reader.out")" -ge 10 ] && echo yes || echo "no ($(wc -l <"$tmp/reader.out") reads)")"
check "every read saw all $N rows of one version" "0" "$(awk -v n=$N '$1 != n || $2 != 1' "$tmp/reader.out" | wc -l | tr -d ' ')"
check "the reader saw more than one version go by (reads overlapped the refreshes)" "yes" \
	"$(awk '{ print $3 }' "$tmp/reader.out" | sort -u | awk 'END { print (NR > 1 ? "yes" : "no (" NR ")") }')"

# two refreshes of the same target at once
psql -d profile_conc -c "BEGIN" -c "CALL portrait.refresh_profile('prof', \$q\$$(src 100)\$q\$)" -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null &
first=$!
# go on once the first refresh holds its lock (its session then sleeps 3 s before committing)
for _ in $(seq 1 200); do
	[ "$(psql -d profile_conc -c "SELECT count(*) FROM pg_locks WHERE relation = 'prof'::regclass AND mode = 'ShareUpdateExclusiveLock' AND granted")" -gt 0 ] && break
	sleep 0.05
done
set +e
fast=$(psql -d profile_conc -c "CALL portrait.refresh_profile('prof', \$q\$$(src 200)\$q\$, 'customer_id', '{\"wait\": false}')" 2>&1)
set -e
check "wait false: the second refresh fails fast with a clear message" "ERROR:  a refresh of public.prof is already running" \
	"$(printf '%s\n' "$fast" | head -n 1)"
start=$(date +%s%N)
psql -d profile_conc -c "CALL portrait.refresh_profile('prof', \$q\$$(src 300)\$q\$)"
waited_ms=$((($(date +%s%N) - start) / 1000000))
wait $first
check "wait true: the second refresh waited for the first to commit" "yes" "$([ "$waited_ms" -gt 1000 ] && echo yes || echo "no ($waited_ms ms)")"
check "both runs recorded (inserted/updated/unchanged), the waiting one saw the first one's rows" \
	"0/$N/0 0/$N/0" \
	"$(psql -d profile_conc -c "SELECT string_agg(format('%s/%s/%s', inserted, updated, unchanged), ' ' ORDER BY run_id) FROM (SELECT * FROM portrait.profile_run ORDER BY run_id DESC LIMIT 2) r")"
check "nothing lost or duplicated: the profile is the last source" "$N 1 300" \
	"$(psql -d profile_conc -c "SELECT count(*) || ' ' || count(DISTINCT version) || ' ' || min(version) FROM prof")"

# a role without rights on the target holds the advisory lock key that 0.4.0
# refreshes took: refreshes no longer use it, so they are not blocked
psql -d profile_conc -c "DROP ROLE IF EXISTS portrait_blocker" -c "CREATE ROLE portrait_blocker LOGIN"
psql -d profile_conc -U portrait_blocker -c "SELECT pg_advisory_lock(hashtext('portrait.refresh_profile'), 'prof'::regclass::oid::int)" \
	-c "SELECT pg_sleep(3)" >/dev/null &
blocker=$!
for _ in $(seq 1 200); do
	[ "$(psql -d profile_conc -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -gt 0 ] && break
	sleep 0.05
done
held=$(psql -d profile_conc -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
set +e
free=$(psql -d profile_conc -c "CALL portrait.refresh_profile('prof', \$q\$$(src 400)\$q\$, 'customer_id', '{\"wait\": false}')" 2>&1)
set -e
check "a role without rights cannot block a refresh (it holds the old advisory key, the refresh runs)" "held 1, refresh ok" \
	"held $held, refresh ${free:-ok}"
wait $blocker
psql -d postgres -c "DROP DATABASE profile_conc" -c "DROP ROLE portrait_blocker"
