#!/usr/bin/env bash
# refresh_profile_incremental against a full refresh_profile of the same RFM
# profile (frequency, monetary, last_day, r, f, m, segment with stored breaks):
# history of INC_CUSTOMERS customers and INC_ORDERS orders over two years, then
# batches of 1k, 10k and 100k new orders (random customers, a tenth of them
# late arrivals with old business days); for each batch the incremental refresh
# and the full refresh of the same day, wall time and WAL bytes
# (pg_current_wal_insert_lsn difference after a CHECKPOINT), and a check that
# both profiles are equal.  Then a per-minute schedule under a steady stream:
# a loader commits STREAM_RATE orders each second for STREAM_SECONDS, and this
# script itself calls the incremental refresh at every full minute since the
# stream began (as a pg_cron job '* * * * *' would); the lag of an order is
# the time from its commit to the end of the first refresh whose watermark
# passed it.
set -euo pipefail
shopt -s inherit_errexit
export PGOPTIONS="-c client_min_messages=warning"
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
C=${INC_CUSTOMERS:-200000}
N=${INC_ORDERS:-4000000}
RATE=${STREAM_RATE:-1000}
SECS=${STREAM_SECONDS:-240}

t0=$(date +%s)
q <<SQL
DELETE FROM portrait.profile_incremental WHERE target::text IN ('bench_inc', 'public.bench_inc');
DROP TABLE IF EXISTS bench_orders, bench_inc, bench_inc_state, bench_full, bench_model, bench_refresh_log;
CREATE TABLE bench_orders (order_id bigserial PRIMARY KEY, customer_id int NOT NULL, ordered_at timestamptz NOT NULL,
                           amount numeric(10, 2), created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
                           ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id());
SELECT setseed(0.7);
INSERT INTO bench_orders (customer_id, ordered_at, amount)
SELECT 1 + (random() * ($C - 1))::int, current_date - 730 + random() * interval '729 days',
       CASE WHEN random() < 0.03 THEN -round((random() * 50)::numeric, 2) ELSE round((5 + random() * 295)::numeric, 2) END
FROM generate_series(1, $N);
CREATE INDEX ON bench_orders (ingest_xid);
CREATE INDEX ON bench_orders (customer_id);
CREATE TRIGGER bench_orders_changes AFTER UPDATE OR DELETE ON bench_orders
    FOR EACH ROW EXECUTE FUNCTION portrait.profile_change_capture('customer_id');
VACUUM ANALYZE bench_orders;
CREATE TABLE bench_model AS
SELECT portrait.rfm_breaks((s).recency_days, (s).frequency, (s).monetary) AS model
FROM (SELECT portrait.rfm_summary(ordered_at, amount, current_date) s FROM bench_orders GROUP BY customer_id) x;
CREATE TABLE bench_inc (customer_id int PRIMARY KEY, frequency bigint, monetary float8, last_day date,
                        r int, f int, m int, segment text) WITH (fillfactor = 75);
CREATE TABLE bench_full (LIKE bench_inc INCLUDING ALL) WITH (fillfactor = 75);
CREATE TABLE bench_refresh_log (watermark xid8, finished_at timestamptz);
SQL
echo "history: $C customers, $N orders (generated in $(($(date +%s) - t0)) s)"

# the full refresh: the same profile from all orders, as refresh_profile does today
full_src="SELECT customer_id, (s).frequency, (s).monetary, current_date - (s).recency_days AS last_day,
                 (sc).r, (sc).f, (sc).m, (sc).segment
          FROM (SELECT customer_id, s, portrait.rfm_score((s).recency_days, (s).frequency, (s).monetary,
                                                          (SELECT model FROM public.bench_model)) sc
                FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, current_date) s
                      FROM public.bench_orders GROUP BY customer_id) a) b"
opts=$(q -c "SELECT format('{\"model\": %s}', model::jsonb) FROM bench_model")

. "$(dirname "$0")/lib/measure.sh"
inc_call="CALL portrait.refresh_profile_incremental('bench_inc', 'bench_orders')"
full_call="CALL portrait.refresh_profile('bench_full', \$q\$$full_src\$q\$)"

first_inc=$(measure "CALL portrait.refresh_profile_incremental('bench_inc', 'bench_orders', '$opts')")
first_full=$(measure "$full_call")
echo "first build: incremental (every state) ${first_inc% *} ms, ${first_inc#* } WAL bytes; refresh_profile ${first_full% *} ms, ${first_full#* } WAL bytes"
q -c "VACUUM ANALYZE bench_inc, bench_inc_state, bench_full" >/dev/null

rows=""
for b in 1000 10000 100000; do
	q -c "INSERT INTO bench_orders (customer_id, ordered_at, amount)
	      SELECT 1 + (random() * ($C - 1))::int,
	             CASE WHEN random() < 0.1 THEN current_date - 700 + random() * interval '690 days' ELSE now() - random() * interval '1 hour' END,
	             round((5 + random() * 295)::numeric, 2)
	      FROM generate_series(1, $b)" >/dev/null
	touched=$(q -c "SELECT count(DISTINCT customer_id) FROM bench_orders WHERE order_id > (SELECT max(order_id) - $b FROM bench_orders)")
	inc=$(measure "$inc_call")
	full=$(measure "$full_call")
	diff=$(q -c "SELECT count(*) FROM ((SELECT * FROM bench_inc EXCEPT ALL SELECT * FROM bench_full)
	                                    UNION ALL (SELECT * FROM bench_full EXCEPT ALL SELECT * FROM bench_inc)) d")
	written=$(q -c "SELECT inserted + updated + deleted FROM portrait.profile_run WHERE target = 'public.bench_inc' ORDER BY run_id DESC LIMIT 1")
	echo "batch $b orders ($touched customers): incremental ${inc% *} ms, ${inc#* } WAL bytes, $written rows written; refresh_profile ${full% *} ms, ${full#* } WAL bytes; profiles differ in $diff rows"
	rows+="$b $touched ${inc% *} ${inc#* } ${full% *} ${full#* } $diff"$'\n'
done
printf '%s' "$rows" | awk 'BEGIN {
	printf "| batch (orders) | customers touched | incremental | refresh_profile | time ratio | incremental WAL | refresh_profile WAL | WAL ratio | rows differing |\n";
	printf "|---|---|---|---|---|---|---|---|---|\n" }
	{ printf "| %d | %d | %d ms | %d ms | %.1f%% | %.2f MB | %.2f MB | %.1f%% | %d |\n",
	  $1, $2, $3, $5, 100 * $3 / $5, $4 / 1048576, $6 / 1048576, 100 * $4 / $6, $7 }'

q -c "SELECT pg_sleep(1); SELECT format('updates in place that were HOT (no index entry): states %s of %s, incremental profile %s of %s',
             sum(n_tup_hot_upd) FILTER (WHERE relname = 'bench_inc_state'), sum(n_tup_upd) FILTER (WHERE relname = 'bench_inc_state'),
             sum(n_tup_hot_upd) FILTER (WHERE relname = 'bench_inc'), sum(n_tup_upd) FILTER (WHERE relname = 'bench_inc'))
      FROM pg_stat_user_tables" | tail -1

# the per-minute schedule under a steady stream
echo "stream: $RATE orders/s for $SECS s, an incremental refresh at every full minute of the stream"
q -c "TRUNCATE bench_refresh_log" >/dev/null
start=$(date +%s)
(
	for s in $(seq 0 $((SECS - 1))); do
		echo "INSERT INTO bench_orders (customer_id, ordered_at, amount)
		      SELECT 1 + (random() * ($C - 1))::int, now(), round((5 + random() * 295)::numeric, 2) FROM generate_series(1, $RATE);"
		now_ns=$(date +%s%N)
		sleep_ns=$(((start + s + 1) * 1000000000 - now_ns))
		[ $sleep_ns -gt 0 ] && sleep "$(printf '0.%09d' "$sleep_ns")"
	done
) | "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$DB" &
loader=$!
m=1
refresh_ms=""
while [ $((m * 60)) -le $((SECS + 60)) ]; do
	wait_s=$((start + m * 60 - $(date +%s)))
	[ $wait_s -gt 0 ] && sleep $wait_s
	r0=$(date +%s%N)
	q -c "$inc_call" -c "INSERT INTO bench_refresh_log SELECT watermark, clock_timestamp() FROM portrait.profile_incremental WHERE target = 'bench_inc'::regclass"
	refresh_ms+="$((($(date +%s%N) - r0) / 1000000)) "
	m=$((m + 1))
done
wait $loader
echo "refresh times (ms): $refresh_ms"
q -c "SELECT format('stream orders: %s, visible: %s; lag from commit to tag visible: p50 %s s, p95 %s s, p99 %s s, max %s s',
                    count(*), count(v.finished_at),
                    round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 1),
                    round(percentile_cont(0.95) WITHIN GROUP (ORDER BY lag)::numeric, 1),
                    round(percentile_cont(0.99) WITHIN GROUP (ORDER BY lag)::numeric, 1),
                    round(max(lag)::numeric, 1))
      FROM bench_orders o
      CROSS JOIN LATERAL (SELECT min(l.finished_at) AS finished_at FROM bench_refresh_log l WHERE o.ingest_xid < l.watermark) v
      CROSS JOIN LATERAL (SELECT extract(epoch FROM v.finished_at - o.created_at) AS lag) g
      WHERE o.created_at >= to_timestamp($start)"
q -c "DELETE FROM portrait.profile_incremental WHERE target = 'bench_inc'::regclass" \
  -c "DELETE FROM portrait.profile_change_log WHERE source = 'bench_orders'::regclass" \
  -c "DELETE FROM portrait.profile_history WHERE target IN ('public.bench_inc', 'public.bench_full')" \
  -c "DROP TABLE bench_orders, bench_inc, bench_inc_state, bench_full, bench_model, bench_refresh_log"
