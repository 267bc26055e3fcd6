#!/usr/bin/env bash
# A refresh scheduled with pg_cron runs and is recorded in portrait.profile_run.
# Needs the cluster started with shared_preload_libraries = 'pg_cron' and
# cron.database_name = 'portrait_test' (test/portrait.sh does this). pg_cron 1.4
# schedules by the minute, so this waits for the next minute (usually under 70 s; gives up after 150 s).
# Prints TAP lines.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"
PSQL_DB=portrait_test
echo "1..3"
psql <<'SQL'
CREATE EXTENSION IF NOT EXISTS pg_cron;
DROP TABLE IF EXISTS public.cron_profile;
CREATE TABLE public.cron_profile (customer_id bigint PRIMARY KEY, frequency bigint);
SQL
job=$(psql -c "SELECT cron.schedule('portrait-cron-test', '* * * * *',
                \$\$CALL portrait.refresh_profile('public.cron_profile',
                   'SELECT customer_id, count(*) AS frequency FROM demo.orders GROUP BY customer_id')\$\$)")
check "cron.schedule accepted the refresh" "1" "$(psql -c "SELECT count(*) FROM cron.job WHERE jobid = $job")"
runs=0
for _ in $(seq 1 150); do
	runs=$(psql -c "SELECT count(*) FROM portrait.profile_run WHERE target = 'public.cron_profile'")
	[ "$runs" -gt 0 ] && break
	sleep 1
done
psql -c "SELECT cron.unschedule($job)" >/dev/null
check "the scheduled refresh ran and is recorded in profile_run" "succeeded" \
	"$(psql -c "SELECT string_agg(DISTINCT status, ',') FROM portrait.profile_run WHERE target = 'public.cron_profile'")"
check "the profile holds one row per customer of demo.orders" "yes" \
	"$(psql -c "SELECT CASE WHEN (SELECT count(*) FROM public.cron_profile) = (SELECT count(DISTINCT customer_id) FROM demo.orders) THEN 'yes' ELSE 'no' END")"
psql -c "DROP TABLE public.cron_profile" -c "DELETE FROM portrait.profile_history WHERE target = 'public.cron_profile'"
