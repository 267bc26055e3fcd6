#!/usr/bin/env bash
# doc/recipe.md runs as it is written: its SQL blocks, in order, in one session,
# against the generated data with the rows that surprise on a first day
# (test/data/recipe.sql over the sample data set), in a schema of its own in
# portrait_test (where pg_cron runs).  Then checks what the recipe promises:
# a second refresh of unchanged data changes nothing, orders after the as-of
# day are left out, money is exact in the views, the job is scheduled and its
# command works.  Prints TAP lines.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PGOPTIONS="-c client_min_messages=warning -c search_path=recipe_test"
PSQL_DB=portrait_test
tmp=$(mktemp -d)
cleanup() {
	psql -c "SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = 'customer-profile'" >/dev/null 2>&1 || true
	psql -c "DELETE FROM portrait.profile_history WHERE target LIKE 'recipe_test.%'" \
		-c "DELETE FROM portrait.profile_run WHERE target LIKE 'recipe_test.%'" \
		-c "DROP SCHEMA IF EXISTS recipe_test CASCADE" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
[ -n "${RECIPE_KEEP:-}" ] || trap cleanup EXIT
echo "1..14"

# pg_cron lives in its own schema; made here so that the recipe's CREATE
# EXTENSION IF NOT EXISTS finds it and the schema dropped at the end holds none of it
PGOPTIONS="-c client_min_messages=warning" psql -c "CREATE EXTENSION IF NOT EXISTS pg_cron"
psql -c "DROP SCHEMA IF EXISTS recipe_test CASCADE" -c "CREATE SCHEMA recipe_test"
psql -f "$ROOT/test/data/recipe.sql"

# the blocks of the recipe, exactly as the page shows them
awk '/^```sql$/ { on = 1; next } /^```$/ { on = 0 } on' "$ROOT/doc/recipe.md" >"$tmp/recipe.sql"
check "the recipe has its SQL blocks" "yes" "$([ "$(grep -c 'refresh_customer_profile' "$tmp/recipe.sql")" -ge 4 ] && echo yes || echo no)"
if psql -f "$tmp/recipe.sql" >"$tmp/out" 2>&1; then rc=ok; else rc=failed; sed 's/^/# /' "$tmp/out" | tail -n 20; fi
check "every SQL block of doc/recipe.md runs as it is, in order" "ok" "$rc"

buyers=$(psql -c "SET TimeZone = 'Asia/Shanghai';
                  SELECT count(DISTINCT customer_id) FROM orders
                  WHERE ordered_at < date '2025-01-01' AND (amount >= 0 OR amount IS NULL)")
check "the profile holds every customer who bought up to the as-of day" "$buyers" \
	"$(psql -c "SELECT count(*) FROM customer_profile")"
check "the second refresh of unchanged data changes nothing" "0 0 0 $buyers" \
	"$(psql -c "SELECT concat_ws(' ', inserted, updated, deleted, unchanged) FROM portrait.profile_run
	            WHERE target_table = 'customer_profile'::regclass ORDER BY run_id DESC LIMIT 1")"
check "orders after the as-of day are left out of the summary" "0" \
	"$(psql -c "SET TimeZone = 'Asia/Shanghai';
	            SELECT count(*) FROM customer_summary s
	            JOIN (SELECT customer_id, coalesce(sum(amount), 0) AS m, count(*) FILTER (WHERE amount >= 0 OR amount IS NULL) AS f
	                  FROM orders WHERE ordered_at < date '2025-01-01' GROUP BY customer_id) o USING (customer_id)
	            WHERE s.monetary IS DISTINCT FROM o.m OR s.frequency <> o.f")"
check "the profile's frequency, the features of k-means and churn, counts purchases, not refunds" "0" \
	"$(psql -c "SET TimeZone = 'Asia/Shanghai';
	            SELECT count(*) FROM customer_profile p
	            JOIN (SELECT customer_id, count(*) AS purchases FROM orders
	                  WHERE ordered_at < date '2025-01-01' AND (amount >= 0 OR amount IS NULL) GROUP BY customer_id) o USING (customer_id)
	            WHERE p.frequency <> o.purchases")"
check "the deleted customer keeps a profile row without attributes" "1 NULL" \
	"$(psql -c "SELECT count(*) || ' ' || coalesce(max(region), 'NULL') FROM customer_profile WHERE customer_id = 4242")"
check "every customer has a segment, a cluster label and a lifecycle stage" "0" \
	"$(psql -c "SELECT count(*) FROM customer_profile WHERE segment IS NULL OR cluster_label IS NULL OR lifecycle IS NULL")"
check "revenue in the segment view is the exact sum of the profile's money" "numeric yes" \
	"$(psql -c "SELECT pg_typeof(sum(revenue))::text || ' ' ||
	                   CASE WHEN sum(revenue) = (SELECT sum(monetary) FROM customer_profile
	                                             WHERE segment IN (SELECT segment FROM customer_profile_segments))
	                        THEN 'yes' ELSE 'no' END FROM customer_profile_segments")"
check "the cluster view shows the clusters' labels" "0" \
	"$(psql -c "SELECT count(*) FROM customer_profile_clusters WHERE label IS NULL")"
check "cohort months after the data's end are NULL, not 0" "0 yes" \
	"$(psql -c "SELECT count(*) FILTER (WHERE active_users = 0 AND cohort + period_offset * interval '1 month' > '2025-01-31') || ' ' ||
	                   CASE WHEN bool_and(active_users IS NULL) FILTER (WHERE cohort >= '2024-12-01' AND period_offset >= 2) THEN 'yes' ELSE 'no' END
	            FROM customer_cohorts")"
check "the nightly job is scheduled" "0 2 * * * CALL refresh_customer_profile()" \
	"$(psql -c "SELECT schedule || ' ' || command FROM cron.job WHERE jobname = 'customer-profile'")"

# The job's command as pg_cron runs it: a new session and its default as-of
# day, yesterday.  The sample data ends in January 2025, so nobody has bought
# in the 90 days before yesterday and a churn model cannot be fitted to that
# day: this month's models are taken to be those fitted above, as if the
# month's first run had fitted them, and the runs only score.
psql -c "INSERT INTO customer_models SELECT current_date - 1, rfm, segments, bg, gg, churn FROM customer_models
         WHERE fitted_for = '2024-12-31' ON CONFLICT DO NOTHING"
cmd=$(psql -c "SELECT command FROM cron.job WHERE jobname = 'customer-profile'")
runs_before=$(psql -c "SELECT count(*) FROM portrait.profile_run WHERE target_table = 'customer_profile'::regclass")
psql -c "$cmd" >/dev/null 2>&1 || echo "# the job's command failed"
psql -c "$cmd" >/dev/null 2>&1 || echo "# the job's command failed the second time"
check "the job's command runs, twice" "2 $((runs_before + 2))" \
	"$(psql -c "SELECT count(*) FILTER (WHERE run_id > (SELECT max(run_id) FROM portrait.profile_run) - 2 AND status = 'succeeded') || ' ' || count(*)
	            FROM portrait.profile_run WHERE target_table = 'customer_profile'::regclass")"
check "the second run of the night changes nothing" "0 0 0" \
	"$(psql -c "SELECT concat_ws(' ', inserted, updated, deleted) FROM portrait.profile_run
	            WHERE target_table = 'customer_profile'::regclass ORDER BY run_id DESC LIMIT 1")"
