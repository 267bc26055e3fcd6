#!/usr/bin/env bash
# refresh_profile of a 1M-row profile where 1% of rows changed, against a naive
# TRUNCATE + INSERT reload of the same rows: wall time and WAL bytes written
# (pg_current_wal_lsn difference). Best of 3 for time; WAL of the same runs.
set -euo pipefail
shopt -s inherit_errexit
export PGOPTIONS="-c client_min_messages=warning"
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
N=${PROFILE_ROWS:-1000000}

q <<SQL
DROP TABLE IF EXISTS bench_src, bench_next, bench_ours, bench_naive;
CREATE TABLE bench_src AS
SELECT g AS customer_id, 'S' || (g % 11) AS segment, 1 + g % 5 AS r, 1 + (g / 5) % 5 AS f, 1 + (g / 25) % 5 AS m,
       (g % 997) * 3.5 AS monetary, (g % 101) / 100.0 AS churn_risk, (g % 503) * 2.25 AS clv,
       (ARRAY['new', 'active', 'at_risk', 'dormant', 'churned'])[1 + g % 5] AS lifecycle
FROM generate_series(1, $N) g;
-- the next night's source: 1% of the customers changed segment and scores
CREATE TABLE bench_next AS
SELECT customer_id, CASE WHEN customer_id % 100 = 0 THEN 'S' || ((customer_id / 100) % 11) ELSE segment END AS segment,
       CASE WHEN customer_id % 100 = 0 THEN 1 + (r % 5) ELSE r END AS r, f, m, monetary,
       CASE WHEN customer_id % 100 = 0 THEN churn_risk / 2 ELSE churn_risk END AS churn_risk, clv, lifecycle
FROM bench_src;
CREATE TABLE bench_ours (customer_id int PRIMARY KEY, segment text, r int, f int, m int, monetary float8,
                         churn_risk float8, clv float8, lifecycle text);
CREATE TABLE bench_naive (LIKE bench_ours INCLUDING ALL);
ANALYZE bench_src, bench_next;
SQL

changed=$(q -c "SELECT count(*) FROM bench_next n JOIN bench_src s USING (customer_id) WHERE (n.*) IS DISTINCT FROM (s.*)")
echo "profile rows: $N, changed in the next source: $changed"

. "$(dirname "$0")/lib/measure.sh"
best_ours="" best_naive=""
for i in 1 2 3; do
	# both start from the state of the first source, then load the next one
	q -c "TRUNCATE bench_ours, bench_naive; INSERT INTO bench_ours SELECT * FROM bench_src; INSERT INTO bench_naive SELECT * FROM bench_src" -c "VACUUM ANALYZE bench_ours, bench_naive" >/dev/null
	ours=$(measure "CALL portrait.refresh_profile('bench_ours', 'SELECT * FROM public.bench_next')")
	naive=$(measure "BEGIN; TRUNCATE bench_naive; INSERT INTO bench_naive SELECT * FROM bench_next; COMMIT")
	echo "run $i: refresh_profile ${ours% *} ms, ${ours#* } WAL bytes; TRUNCATE + INSERT ${naive% *} ms, ${naive#* } WAL bytes"
	if [ -z "$best_ours" ] || [ "${ours% *}" -lt "${best_ours% *}" ]; then best_ours=$ours; fi
	if [ -z "$best_naive" ] || [ "${naive% *}" -lt "${best_naive% *}" ]; then best_naive=$naive; fi
done
check=$(q -c "SELECT count(*) FROM (SELECT * FROM bench_ours EXCEPT SELECT * FROM bench_naive) d")
run=$(q -c "SELECT format('inserted %s, updated %s, deleted %s, unchanged %s', inserted, updated, deleted, unchanged) FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1")
echo "last run: $run; rows differing between the two results: $check"
awk -v o="$best_ours" -v n="$best_naive" 'BEGIN {
	split(o, a, " "); split(n, b, " ");
	printf "| method | time (best of 3) | WAL bytes |\n|---|---|---|\n";
	printf "| TRUNCATE + INSERT | %d ms | %.1f MB |\n", b[1], b[2] / 1048576;
	printf "| refresh_profile | %d ms | %.1f MB |\n", a[1], a[2] / 1048576;
	printf "| naive / refresh_profile | %.2f | %.1f |\n", b[1] / a[1], b[2] / a[2] }'
q -c "DROP TABLE bench_src, bench_next, bench_ours, bench_naive; DELETE FROM portrait.profile_history WHERE target = 'public.bench_ours'"
