#!/usr/bin/env bash
# pg_dump / pg_restore of a database using pg_portrait: edited segment rules,
# a user map and stored models survive, and scores after restore are equal.
# Prints TAP lines; needs PGHOST/PGPORT/PGUSER of a running cluster and PGBIN.
set -euo pipefail
export PGOPTIONS="-c client_min_messages=warning"
psql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

psql -d postgres -c "DROP DATABASE IF EXISTS dump_src" -c "DROP DATABASE IF EXISTS dump_dst" -c "CREATE DATABASE dump_src"
psql -d dump_src <<'SQL'
CREATE EXTENSION pg_portrait;
UPDATE portrait.rfm_segment_rule SET segment = 'VIP' WHERE map = 'standard' AND priority = 1;
INSERT INTO portrait.rfm_segment_rule (map, priority, segment, r_low) VALUES ('mine', 1, 'recent', 3), ('mine', 2, 'older', NULL);
CREATE TABLE summary AS
SELECT g AS customer_id, (g * 37) % 400 AS recency, 1 + (g * 13) % 9 AS frequency, ((g * 7919) % 1000) / 3.0 AS monetary
FROM generate_series(1, 500) g;
CREATE TABLE models AS SELECT 'rfm'::text AS name, portrait.rfm_breaks(recency, frequency, monetary) AS model FROM summary;
SQL
score_sql="SELECT md5(string_agg(format('%s %s %s %s', customer_id, s, portrait.rfm_segment((s).r, (s).f, (s).m, 'mine'),
            portrait.rfm_segment((s).r, (s).f, (s).m, 'cn8', m.model)), ',' ORDER BY customer_id))
           FROM (SELECT customer_id, portrait.rfm_score(recency, frequency, monetary, m.model) s FROM summary, models m) x, models m"
rules_sql="SELECT md5(string_agg(format('%s', r), ',' ORDER BY map, priority)) FROM portrait.rfm_segment_rule r"
before_scores=$(psql -d dump_src -c "$score_sql")
before_rules=$(psql -d dump_src -c "$rules_sql")
before_model=$(psql -d dump_src -c "SELECT model::text FROM models")

"$PGBIN/pg_dump" -Fc -d dump_src -f "$tmp/db.dump"
psql -d postgres -c "CREATE DATABASE dump_dst"
"$PGBIN/pg_restore" -d dump_dst "$tmp/db.dump"

n=0
check() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "#   got: $3"; echo "#  want: $2"; fi
}
echo "1..4"
check "segment rules equal after restore (edited built-in and user map kept)" "$before_rules" "$(psql -d dump_dst -c "$rules_sql")"
check "stored model identical after restore" "$before_model" "$(psql -d dump_dst -c "SELECT model::text FROM models")"
check "scores and segments equal after restore" "$before_scores" "$(psql -d dump_dst -c "$score_sql")"
check "no duplicate rules after restore" "0" "$(psql -d dump_dst -c "SELECT count(*) FROM (SELECT map, priority FROM portrait.rfm_segment_rule GROUP BY 1, 2 HAVING count(*) > 1) d")"
psql -d postgres -c "DROP DATABASE dump_src" -c "DROP DATABASE dump_dst"
