#!/usr/bin/env bash
# kill -9 of a backend in the middle of refresh_profile: after crash recovery
# the profile table is the old one, and neither the run table nor the history
# holds anything of the killed run.  A trigger on the profile table makes the
# refresh wait on an advisory lock this script holds once it has written part
# of its history and updated some rows, so the kill lands mid-way every time.
# The killed pid is appended to $PORTRAIT_KILLED_PIDS (if set) so the runner
# does not count this intended kill as a crash.  Prints TAP lines; needs
# PGHOST/PGPORT/PGUSER of a running cluster, PGBIN, and permission to signal
# the server's processes (root or the cluster's owner).
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/crash.sh"
export PGOPTIONS="-c client_min_messages=warning"
echo "1..7"

psql -d postgres -c "DROP DATABASE IF EXISTS crash_db" -c "CREATE DATABASE crash_db"
psql -d crash_db <<'SQL'
CREATE EXTENSION pg_portrait;
CREATE TABLE src (customer_id int PRIMARY KEY, segment text, score float8);
INSERT INTO src SELECT g, 'seg ' || (g % 7), g / 10.0 FROM generate_series(1, 20000) g;
CREATE TABLE profile (customer_id int PRIMARY KEY, segment text, score float8);
CALL portrait.refresh_profile('public.profile', 'SELECT * FROM src');
-- the second refresh changes every row; the 5000th update waits for the lock
CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer_id = 5000 THEN
        PERFORM pg_advisory_lock(4242);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER stall BEFORE UPDATE ON profile FOR EACH ROW EXECUTE FUNCTION stall();
SQL
state_sql="SELECT md5(string_agg(format('%s', p), ',' ORDER BY customer_id)) FROM profile p"
runs_sql="SELECT count(*) || ' runs, ' || (SELECT count(*) FROM portrait.profile_history) || ' history rows' FROM portrait.profile_run"
before=$(psql -d crash_db -c "$state_sql")
before_runs=$(psql -d crash_db -c "$runs_sql")

# hold the lock in a session that stays open while the refresh runs
crash_hold crash_db 4242
check "the lock holder is ready" "locked" "$crash_ready"

PGAPPNAME=crash_refresh "$PGBIN/psql" -X -q -d crash_db \
	-c "CALL portrait.refresh_profile('public.profile', 'SELECT customer_id, segment || ''!'' AS segment, score + 1 AS score FROM src')" \
	>/dev/null 2>&1 &
client=$!
crash_kill crash_db crash_refresh
check "the refresh is stalled in the middle of its updates" "yes" "$([ -n "$crash_pid" ] && echo yes || echo no)"
wait "$client" || true
# crash recovery restarts the server; wait until it accepts connections again
crash_recover crash_db
check "the server is back after crash recovery" "yes" "$crash_up"
check "the profile is the old one" "$before" "$(psql -d crash_db -c "$state_sql")"
check "no run and no history row of the killed refresh" "$before_runs" "$(psql -d crash_db -c "$runs_sql")"

psql -d crash_db -c "DROP TRIGGER stall ON profile"
psql -d crash_db -c "CALL portrait.refresh_profile('public.profile', 'SELECT customer_id, segment || ''!'' AS segment, score + 1 AS score FROM src')"
check "the next refresh updates every row" "20000" "$(psql -d crash_db -c "SELECT updated FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1")"
check "its history has one row per changed column and row, none left over" "40000" \
	"$(psql -d crash_db -c "SELECT count(*) FROM portrait.profile_history WHERE op = 'update'")"
psql -d postgres -c "DROP DATABASE crash_db"
