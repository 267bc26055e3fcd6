#!/usr/bin/env bash
# refresh_profile_incremental against crashes, late commits and a second refresh:
# - kill -9 of the backend in the middle of an incremental refresh (after it has
#   merged the states, while it rewrites the profile): after crash recovery the
#   states, the watermark and the profile are the old ones, and the next refresh
#   gives exactly the full recomputation;
# - a transaction that inserted orders before a refresh and commits after it
#   (its ids are lower than rows committed earlier) is merged by the next
#   refresh, once, and nothing is counted twice;
# - a second refresh of the same profile waits (wait true) or fails fast.
# The killed pid is appended to $PORTRAIT_KILLED_PIDS (if set) so the runner does
# not count this intended kill as a crash.  Prints TAP lines; needs
# PGHOST/PGPORT/PGUSER of a running cluster, PGBIN, and permission to signal the
# server's processes (root or the cluster's owner).
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
. "$(dirname "$0")/lib/crash.sh"
export PGOPTIONS="-c client_min_messages=warning"
PSQL_DB=inc_crash
echo "1..10"

psql -d postgres -c "DROP DATABASE IF EXISTS inc_crash" -c "CREATE DATABASE inc_crash"
psql <<'SQL'
CREATE EXTENSION pg_portrait;
CREATE TABLE orders (order_id bigserial PRIMARY KEY, customer_id int NOT NULL, ordered_at timestamptz NOT NULL,
                     amount numeric(10, 2), ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id());
CREATE INDEX ON orders (ingest_xid);
CREATE INDEX ON orders (customer_id);
CREATE TRIGGER orders_changes AFTER UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION portrait.profile_change_capture('customer_id');
SELECT setseed(0.5);
INSERT INTO orders (customer_id, ordered_at, amount)
SELECT 1 + (random() * 4999)::int, timestamptz '2024-06-30' - random() * interval '400 days', round((random() * 200)::numeric, 2)
FROM generate_series(1, 40000);
CREATE TABLE profile (customer_id int PRIMARY KEY, frequency bigint, monetary float8, last_day date, r int, f int, m int, segment text);
CREATE TABLE model AS SELECT portrait.rfm_breaks((s).recency_days, (s).frequency, (s).monetary) AS model
FROM (SELECT portrait.rfm_summary(ordered_at, amount, date '2024-06-30') s FROM orders GROUP BY customer_id) x;
-- the full recomputation of the profile on a day, over every committed row
CREATE FUNCTION full_profile(d date) RETURNS SETOF profile LANGUAGE sql AS $$
    SELECT customer_id, (s).frequency, (s).monetary, d - (s).recency_days, (sc).r, (sc).f, (sc).m, (sc).segment
    FROM (SELECT customer_id, s, portrait.rfm_score((s).recency_days, (s).frequency, (s).monetary, (SELECT model FROM model)) sc
          FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, d) s FROM orders GROUP BY customer_id) a) b
$$;
CREATE FUNCTION differences(d date) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM ((SELECT * FROM profile EXCEPT ALL SELECT * FROM full_profile(d))
                          UNION ALL (SELECT * FROM full_profile(d) EXCEPT ALL SELECT * FROM profile)) x
$$;
SQL
opts=$(psql -c "SELECT format('{\"model\": %s, \"as_of\": \"2024-06-30\"}', model::jsonb) FROM model")
psql -c "CALL portrait.refresh_profile_incremental('profile', 'orders', '$opts')"
check "the first refresh equals the full recomputation" "0" "$(psql -c "SELECT differences('2024-06-30')")"

# a batch touching many customers; the refresh stalls at the profile update of customer 2500
psql <<'SQL'
INSERT INTO orders (customer_id, ordered_at, amount)
SELECT 1 + (g * 7) % 5000, timestamptz '2024-07-02 10:00' - (g % 30) * interval '1 day', 10 + g % 90 FROM generate_series(1, 6000) g;
UPDATE orders SET amount = amount + 5 WHERE order_id % 997 = 0;
DELETE FROM orders WHERE order_id % 1499 = 0;
CREATE FUNCTION stall() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.customer_id = 2500 THEN
        PERFORM pg_advisory_lock(4343);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER stall BEFORE UPDATE ON profile FOR EACH ROW EXECUTE FUNCTION stall();
SQL
snapshot_sql="SELECT md5(string_agg(format('%s', p), ',' ORDER BY customer_id)) FROM profile p"
meta_sql="SELECT (SELECT md5(string_agg(format('%s', s), ',' ORDER BY key)) FROM profile_state s) || ' '
          || (SELECT watermark::text || ' ' || as_of FROM portrait.profile_incremental) || ' '
          || (SELECT count(*) FROM portrait.profile_run) || ' ' || (SELECT count(*) FROM portrait.profile_change_log)"
before=$(psql -c "$snapshot_sql")
before_meta=$(psql -c "$meta_sql")

crash_hold inc_crash 4343
check "the lock holder is ready" "locked" "$crash_ready"
PGAPPNAME=inc_crash_refresh "$PGBIN/psql" -X -q -d inc_crash \
	-c "CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-02\"}')" >/dev/null 2>&1 &
client=$!
crash_kill inc_crash inc_crash_refresh
check "the incremental refresh is stalled while it rewrites the profile" "yes" "$([ -n "$crash_pid" ] && echo yes || echo no)"
wait "$client" || true
crash_recover inc_crash
check "the server is back after crash recovery" "yes" "$crash_up"
check "profile, states, watermark, runs and change log are those before the killed refresh" \
	"$before $before_meta" "$(psql -c "$snapshot_sql") $(psql -c "$meta_sql")"
psql -c "DROP TRIGGER stall ON profile"
psql -c "CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-02\"}')"
check "the next refresh gives exactly the full recomputation" "0" "$(psql -c "SELECT differences('2024-07-02')")"

# a transaction that inserted before the refresh commits after it
coproc late { "$PGBIN/psql" -X -q -At -d inc_crash; }
late_in=${late[1]} late_out=${late[0]} late_pid=$late_PID
echo "BEGIN; INSERT INTO orders (customer_id, ordered_at, amount) VALUES (77, '2024-07-03 08:00', 500), (9001, '2024-07-03 09:00', 1); SELECT 'inserted';" >&"$late_in"
read -r -t 30 line <&"$late_out" || true
psql -c "INSERT INTO orders (customer_id, ordered_at, amount) VALUES (9002, '2024-07-03 10:00', 50)"
psql -c "CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-03\"}')"
check "rows committed before the refresh but after an open transaction's rows wait for it" \
	"0 0" "$(psql -c "SELECT count(*) FILTER (WHERE customer_id IN (9001, 9002)) || ' ' || count(*) FILTER (WHERE customer_id = 77 AND last_day = '2024-07-03') FROM profile")"
echo "COMMIT; SELECT 'committed';" >&"$late_in"
read -r -t 30 line <&"$late_out" || true
exec {late_in}>&- 2>/dev/null || true
wait "$late_pid" 2>/dev/null || true
psql -c "CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-03\"}')"
psql -c "CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-03\"}')"
check "after the late commit both transactions' rows are merged once: the full recomputation" \
	"0 2" "$(psql -c "SELECT differences('2024-07-03') || ' ' || count(*) FROM profile WHERE customer_id IN (9001, 9002)")"

# two refreshes at once: wait false fails fast, wait true waits.  The first
# refresh is held open by a session of this script until the checks are made.
psql -c "INSERT INTO orders (customer_id, ordered_at, amount) VALUES (5, '2024-07-03 11:00', 5)"
coproc first { "$PGBIN/psql" -X -q -At -d inc_crash; }
first_in=${first[1]} first_out=${first[0]} first_pid=$first_PID
echo "BEGIN; CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-03\"}'); SELECT 'refreshed';" >&"$first_in"
read -r -t 60 line <&"$first_out" || true
set +e
fast=$(psql -c "CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-03\", \"wait\": false}')" 2>&1)
set -e
check "wait false: a second incremental refresh fails fast" "ERROR:  a refresh of public.profile is already running" "$(printf '%s\n' "$fast" | head -n 1)"
PGAPPNAME=inc_crash_second "$PGBIN/psql" -X -q -d inc_crash \
	-c "CALL portrait.refresh_profile_incremental('profile', 'orders', '{\"as_of\": \"2024-07-03\"}')" >/dev/null 2>&1 &
second=$!
waiting=no
for _ in $(seq 1 600); do
	if [ "$(psql -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'inc_crash_second' AND l.locktype = 'object' AND l.classid = 'portrait.profile_run'::regclass AND NOT l.granted")" -gt 0 ]; then
		waiting=yes
		break
	fi
	sleep 0.1
done
echo "COMMIT; SELECT 'committed';" >&"$first_in"
read -r -t 60 line <&"$first_out" || true
exec {first_in}>&- 2>/dev/null || true
wait "$first_pid" 2>/dev/null || true
wait $second
check "wait true: it waits for the first to commit, and the profile stays exact" "yes 0" \
	"$waiting $(psql -c "SELECT differences('2024-07-03')")"
psql -d postgres -c "DROP DATABASE inc_crash"
