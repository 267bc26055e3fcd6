#!/usr/bin/env bash
# pg_portrait on Citus: a coordinator and two workers on loopback, every
# workflow of the README and doc/ run on distributed tables and compared,
# row by row, with the same query on a local copy of the same data.
#
# Citus is found in CITUS_ROOT (a DESTDIR root holding
# usr/lib/postgresql/15/lib/citus.so, e.g. a `make install DESTDIR=...` of a
# Citus build) or installed in the system's PostgreSQL; without it the
# script prints a TAP skip.  It builds its own private copy of the server
# binaries with pg_portrait and Citus installed, in a temporary directory
# removed at exit, and touches no other cluster.  Run it with `make citus`
# (or by `make test`, which runs every script in test/).  Prints TAP lines.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/test/lib/tap.sh"
PGVER=15
SYSBIN=/usr/lib/postgresql/$PGVER/bin
PGBIN=${PGBIN:-$SYSBIN}

if [ -n "${CITUS_ROOT:-}" ]; then
	CITUS_LIB="$CITUS_ROOT/usr/lib/postgresql/$PGVER/lib"
	CITUS_SHARE="$CITUS_ROOT/usr/share/postgresql/$PGVER/extension"
else
	CITUS_LIB="/usr/lib/postgresql/$PGVER/lib"
	CITUS_SHARE="/usr/share/postgresql/$PGVER/extension"
fi
if [ ! -f "$CITUS_LIB/citus.so" ] || [ ! -f "$CITUS_SHARE/citus.control" ]; then
	echo "1..0 # SKIP Citus is not installed"
	exit 0
fi

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

WORK=$(mktemp -d /tmp/pg_portrait_citus.XXXXXX)
chmod 755 "$WORK"
NODES="coord w1 w2"
cleanup() {
	for node in $NODES; do
		if [ -f "$WORK/$node/postmaster.pid" ]; then
			as_pg "$INST/pg_ctl" -D "$WORK/$node" -m immediate -w stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$WORK"
}
trap cleanup EXIT

# a private installation: the server binaries, pg_portrait and Citus
prefix="$WORK/inst"
mkdir -p "$prefix/usr/lib/postgresql" "$prefix/usr/share/postgresql"
cp -a "/usr/lib/postgresql/$PGVER" "$prefix/usr/lib/postgresql/"
cp -a "/usr/share/postgresql/$PGVER" "$prefix/usr/share/postgresql/"
make -C "$ROOT" -s PG_CONFIG=$SYSBIN/pg_config install DESTDIR="$prefix" >/dev/null
cp "$CITUS_LIB"/citus*.so "$prefix/usr/lib/postgresql/$PGVER/lib/"
cp "$CITUS_SHARE"/citus* "$prefix/usr/share/postgresql/$PGVER/extension/"
INST="$prefix/usr/lib/postgresql/$PGVER/bin"

# three free loopback ports: the first that nothing listens on, from a
# start that depends on the process id so concurrent runs rarely collide
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORTS=()
p=$((20000 + ($$ % 2000) * 10))
while [ ${#PORTS[@]} -lt 3 ]; do
	port_free "$p" && PORTS+=("$p")
	p=$((p + 1))
done
declare -A PORT=([coord]=${PORTS[0]} [w1]=${PORTS[1]} [w2]=${PORTS[2]})

mkdir -p "$WORK/sock"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/sock"
for node in $NODES; do
	mkdir -p "$WORK/$node"
	[ "$(id -u)" = 0 ] && chown postgres: "$WORK/$node"
	as_pg "$INST/initdb" -D "$WORK/$node" -U postgres -E UTF8 --locale=C --auth=trust >"$WORK/initdb.log" 2>&1 ||
		{ cat "$WORK/initdb.log" >&2; exit 1; }
	# the workers run in UTC and the coordinator in another zone: a day
	# computed in the wrong zone shows as a difference
	zone=UTC
	[ "$node" = coord ] && zone=Asia/Shanghai
	cat >>"$WORK/$node/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = ${PORT[$node]}
		unix_socket_directories = '$WORK/sock'
		shared_preload_libraries = 'citus'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 64MB
		max_connections = 60
		timezone = '$zone'
		citus.log_remote_commands = off
	EOF
	touch "$WORK/$node.log"
	[ "$(id -u)" = 0 ] && chown postgres: "$WORK/$node.log"
	as_pg "$INST/pg_ctl" -D "$WORK/$node" -l "$WORK/$node.log" -w start >/dev/null ||
		{ cat "$WORK/$node.log" >&2; exit 1; }
done

export PGHOST=127.0.0.1 PGUSER=postgres
export PGOPTIONS="-c client_min_messages=warning"
on() { local node=$1; shift; PGPORT=${PORT[$node]} psql "$@"; }
DB=portrait_citus
for node in $NODES; do
	on "$node" -d postgres -c "CREATE DATABASE $DB"
	on "$node" -d $DB -c "CREATE EXTENSION citus" -c "CREATE EXTENSION pg_portrait"
done
on coord -d $DB -c "SELECT citus_set_coordinator_host('127.0.0.1', ${PORT[coord]})" >/dev/null
on coord -d $DB -c "SELECT citus_add_node('127.0.0.1', ${PORT[w1]})" -c "SELECT citus_add_node('127.0.0.1', ${PORT[w2]})" >/dev/null
export PGPORT=${PORT[coord]} PSQL_DB=$DB

if [ -n "${CITUS_HOLD:-}" ]; then
	echo "# coordinator: psql -h 127.0.0.1 -p ${PORT[coord]} -U postgres $DB (workers ${PORT[w1]}, ${PORT[w2]}); holding for $CITUS_HOLD s" >&2
	sleep "$CITUS_HOLD"
fi

# ---------- the data: a local copy (schema loc) and a distributed one (dist) ----------
# orders of the sample data set, events derived from them, and one feature
# row per customer; the distributed tables are distributed by customer_id
# and colocated, segment rules stay a reference table of the extension
psql -v customers=2000 -v seed=42 -f "$ROOT/test/data/sample.sql" >/dev/null 2>&1
psql >/dev/null <<'SQL'
CREATE SCHEMA loc;
CREATE TABLE loc.customers AS SELECT * FROM demo.customers;
CREATE TABLE loc.orders AS SELECT * FROM demo.orders;
CREATE TABLE loc.events AS
SELECT customer_id, ordered_at - interval '40 minutes' AS ts, 'view'::text AS kind FROM demo.orders WHERE amount >= 0
UNION ALL
SELECT customer_id, ordered_at - interval '10 minutes', 'cart' FROM demo.orders WHERE order_id % 3 <> 0
UNION ALL
SELECT customer_id, ordered_at, 'buy' FROM demo.orders WHERE order_id % 3 <> 0 AND amount >= 0
UNION ALL
-- browsing late in the evening: the day differs between UTC and Asia/Shanghai
SELECT customer_id, ordered_at + interval '20 hours', 'view' FROM demo.orders WHERE order_id % 5 = 0;
CREATE TABLE loc.feat AS
SELECT customer_id, c.city_tier, c.region, c.channel,
       (s).recency_days::float8 AS recency, (s).frequency::float8 AS frequency, greatest((s).monetary, 0)::float8 AS monetary,
       (s).repeat_frequency::float8 AS x, (s).repeat_span_days::float8 AS t_x, (s).tenure_days::float8 AS "T",
       CASE WHEN (s).repeat_frequency > 0 AND (s).repeat_avg_value > 0 THEN (s).repeat_avg_value END AS avg_value,
       ARRAY[ln(1 + (s).recency_days), ln((s).frequency), ln(1 + greatest((s).monetary, 0))] AS f,
       (s).recency_days > 180 AS lapsed,
       CASE WHEN customer_id % 2 = 0 THEN 'A' ELSE 'B' END AS variant
FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, '2024-12-31'::timestamptz, 'error', 'Asia/Shanghai') s
      FROM demo.orders GROUP BY customer_id) q JOIN demo.customers c USING (customer_id)
WHERE (s).frequency > 0;
CREATE SCHEMA dist;
CREATE TABLE dist.customers (LIKE loc.customers);
CREATE TABLE dist.orders (LIKE loc.orders);
CREATE TABLE dist.events (LIKE loc.events);
CREATE TABLE dist.feat (LIKE loc.feat);
SELECT create_distributed_table('dist.customers', 'customer_id', shard_count => 8);
SELECT create_distributed_table('dist.orders', 'customer_id', colocate_with => 'dist.customers');
SELECT create_distributed_table('dist.events', 'customer_id', colocate_with => 'dist.customers');
SELECT create_distributed_table('dist.feat', 'customer_id', colocate_with => 'dist.customers');
INSERT INTO dist.customers SELECT * FROM loc.customers;
INSERT INTO dist.orders SELECT * FROM loc.orders;
INSERT INTO dist.events SELECT * FROM loc.events;
INSERT INTO dist.feat SELECT * FROM loc.feat;
ANALYZE;

-- ---------- comparison ----------
CREATE SCHEMA cmp;
-- Equal JSON values, numbers within 1e-9 relative: partial states merge in
-- another order on Citus, so floating-point sums may differ in the last bits.
CREATE FUNCTION cmp.close(a jsonb, b jsonb) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    k text;
BEGIN
    IF jsonb_typeof(a) IS DISTINCT FROM jsonb_typeof(b) THEN
        RETURN false;
    END IF;
    CASE jsonb_typeof(a)
        WHEN 'number' THEN
            RETURN abs(a::numeric - b::numeric) <= 1e-9 * greatest(abs(a::numeric), abs(b::numeric)) + 1e-12;
        WHEN 'object' THEN
            IF (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(a) x)
               IS DISTINCT FROM (SELECT array_agg(x ORDER BY x) FROM jsonb_object_keys(b) x) THEN
                RETURN false;
            END IF;
            FOR k IN SELECT jsonb_object_keys(a) LOOP
                IF NOT cmp.close(a -> k, b -> k) THEN
                    RETURN false;
                END IF;
            END LOOP;
            RETURN true;
        WHEN 'array' THEN
            IF jsonb_array_length(a) <> jsonb_array_length(b) THEN
                RETURN false;
            END IF;
            FOR i IN 0 .. jsonb_array_length(a) - 1 LOOP
                IF NOT cmp.close(a -> i, b -> i) THEN
                    RETURN false;
                END IF;
            END LOOP;
            RETURN true;
        ELSE
            RETURN a = b;
    END CASE;
END
$$;
-- The value with numbers rounded to 6 significant digits: a sort key that
-- puts the rows of both results in the same order.
CREATE FUNCTION cmp.rounded(a jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
SELECT CASE jsonb_typeof(a)
    WHEN 'number' THEN CASE WHEN a::numeric = 0 THEN a
                            ELSE to_jsonb(round(a::numeric, (5 - floor(log(abs(a::numeric))))::int)) END
    WHEN 'object' THEN (SELECT coalesce(jsonb_object_agg(k, cmp.rounded(v)), '{}') FROM jsonb_each(a) e(k, v))
    WHEN 'array' THEN (SELECT coalesce(jsonb_agg(cmp.rounded(v) ORDER BY i), '[]') FROM jsonb_array_elements(a) WITH ORDINALITY e(v, i))
    ELSE a END
$$;
-- Rows of the two results that have no equal partner (0: the same rows).
CREATE FUNCTION cmp.differences(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format($q$
        WITH x AS (SELECT row_number() OVER (ORDER BY cmp.rounded(j)::text, j::text) AS i, j
                   FROM (SELECT to_jsonb(t) AS j FROM %s t) s),
             y AS (SELECT row_number() OVER (ORDER BY cmp.rounded(j)::text, j::text) AS i, j
                   FROM (SELECT to_jsonb(t) AS j FROM %s t) s)
        SELECT count(*) FROM x FULL JOIN y USING (i) WHERE x.j IS NULL OR y.j IS NULL OR NOT cmp.close(x.j, y.j)$q$, a, b)
    INTO n;
    RETURN n;
END
$$;
SQL

compared=0
equal=0
# same NAME QUERY [SETTINGS]: QUERY over the local tables and over the
# distributed ones (search_path loc or dist) gives the same rows, and the
# distributed run is a Citus plan.  SETTINGS run first in the transaction.
same() {
	local name=$1 q=$2 settings=${3:-} out
	out=$(psql 2>&1 <<-SQL
		BEGIN;
		$settings
		SET LOCAL search_path = loc, public;
		CREATE TEMP TABLE r_loc ON COMMIT DROP AS $q;
		SET LOCAL search_path = dist, public;
		CREATE TEMP TABLE r_dist ON COMMIT DROP AS $q;
		SELECT (SELECT count(*) FROM r_loc) || ' rows, ' || cmp.differences('r_loc', 'r_dist') || ' different';
		COMMIT;
	SQL
	) || true
	compared=$((compared + 1))
	out=$(printf '%s' "$out" | tail -n 1 | cut -c1-300)
	# an empty result compares nothing: it counts as a failure
	case "$out" in
		[1-9]*" rows, 0 different") equal=$((equal + 1)) ;;
	esac
	check "$name ($out)" "0 different" "$(printf '%s' "$out" | sed -E 's/^[1-9][0-9]* rows, //')"
	if [ -n "${CITUS_EXPLAIN:-}" ]; then
		psql -c "SET search_path = dist, public" -c "EXPLAIN (VERBOSE, COSTS OFF) $q" | sed 's/^/#   /' | head -n 40
	fi
}

Z="'Asia/Shanghai'"
ORD="orders o JOIN customers c USING (customer_id)"

# ---------- RFM ----------
for form in numeric float8; do
	amt="o.amount"; [ $form = float8 ] && amt="o.amount::float8"
	same "rfm_summary($form, zone) by customer (the distribution column)" \
		"SELECT customer_id, portrait.rfm_summary(o.ordered_at, $amt, '2024-12-31'::timestamptz, 'error', $Z) AS s FROM orders o GROUP BY customer_id"
	same "rfm_summary($form, zone) by city tier" \
		"SELECT c.city_tier, portrait.rfm_summary(o.ordered_at, $amt, '2024-12-31'::timestamptz, 'error', $Z) AS s FROM $ORD GROUP BY c.city_tier"
	same "rfm_summary($form, zone) of all orders" \
		"SELECT portrait.rfm_summary(o.ordered_at, $amt, '2024-12-31'::timestamptz, 'error', $Z) AS s FROM orders o"
done
# (the date and timestamp forms give first_order and last_order as timestamptz
# in the zone of the node that runs the final function: the days compare)
DAYS="(s).recency_days, (s).frequency, (s).monetary, (s).tenure_days, (s).repeat_frequency, (s).repeat_span_days, (s).repeat_avg_value"
same "rfm_summary(timestamp) of local times by customer" \
	"SELECT customer_id, $DAYS FROM (SELECT customer_id, portrait.rfm_summary(o.ordered_at AT TIME ZONE $Z, o.amount, '2024-12-31'::timestamp) AS s FROM orders o GROUP BY customer_id) q"
same "rfm_summary(date) of local days by city tier" \
	"SELECT city_tier, $DAYS FROM (SELECT c.city_tier, portrait.rfm_summary((o.ordered_at AT TIME ZONE $Z)::date, o.amount, date '2024-12-31') AS s FROM $ORD GROUP BY 1) q"
# as_of = now() or current_date: each node has its own now(); the day is the same
same "rfm_summary with as_of now() (compared by its day), all orders" \
	"SELECT (s).frequency, (s).monetary, (s).repeat_frequency FROM (SELECT portrait.rfm_summary(o.ordered_at, o.amount, now(), 'error', $Z) AS s FROM orders o) q"
same "rfm_summary with as_of now() by customer" \
	"SELECT customer_id, (s).frequency, (s).repeat_span_days FROM (SELECT customer_id, portrait.rfm_summary(o.ordered_at, o.amount, now(), 'error', $Z) AS s FROM orders o GROUP BY 1) q"
same "rfm_summary with as_of current_date (date form) by city tier" \
	"SELECT c.city_tier, (portrait.rfm_summary((o.ordered_at AT TIME ZONE $Z)::date, o.amount, current_date)).frequency FROM $ORD GROUP BY 1"
# the session's zone: right only where it reaches the workers
same "rfm_summary without a zone, SET LOCAL TimeZone with citus.propagate_set_commands = 'local'" \
	"SELECT customer_id, portrait.rfm_summary(o.ordered_at, o.amount, '2024-12-31 00:00+08'::timestamptz) AS s FROM orders o GROUP BY 1" \
	"SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL TimeZone = 'Asia/Shanghai';"
same "rfm_summary without a zone by city tier, SET LOCAL TimeZone propagated" \
	"SELECT c.city_tier, portrait.rfm_summary(o.ordered_at, o.amount, '2024-12-31 00:00+08'::timestamptz) AS s FROM $ORD GROUP BY 1" \
	"SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL TimeZone = 'Asia/Shanghai';"
out=$(psql -c "SET search_path = dist, public" -c "SELECT count(*) FROM (SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, '2025-01-01 00:00+08'::timestamptz)).recency_days r FROM orders GROUP BY 1) d
	JOIN (SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, '2025-01-01 00:00+08'::timestamptz)).recency_days r FROM loc.orders GROUP BY 1) l USING (customer_id) WHERE d.r IS DISTINCT FROM l.r" 2>&1 || true)
check "without the zone or the settings the workers count days in their own zone (the comparison sees it: $out customers differ)" yes "$([ "$out" -gt 0 ] 2>/dev/null && echo yes || echo no)"
psql -c "SET search_path = dist, public" -c "CREATE TEMP TABLE m AS SELECT portrait.rfm_breaks(recency, frequency, monetary) AS model FROM loc.feat" >/dev/null
for g in "" "city_tier" "customer_id"; do
	sel=${g:+$g, }; grp=${g:+GROUP BY $g}
	same "rfm_breaks${g:+ by $g}" "SELECT ${sel}portrait.rfm_breaks(recency, frequency, monetary, 4)::jsonb AS m FROM feat $grp"
done
same "rfm_score against stored breaks, with segments of two maps" \
	"SELECT f.customer_id, portrait.rfm_score(f.recency, f.frequency, f.monetary, m.model) AS s, portrait.rfm_score(f.recency, f.frequency, f.monetary, m.model, 'cn8') AS cn8
	 FROM feat f, (SELECT portrait.rfm_breaks(recency, frequency, monetary) AS model FROM feat) m"
same "rfm_score window form per customer partition" \
	"SELECT customer_id, portrait.rfm_score(recency, frequency, monetary) OVER (PARTITION BY customer_id) AS s FROM feat"
same "rfm_score window form over the whole population" \
	"SELECT customer_id, portrait.rfm_score(recency, frequency, monetary) OVER () AS s FROM feat"
same "rfm_score window form per city tier" \
	"SELECT customer_id, portrait.rfm_score(recency, frequency, monetary, 4) OVER (PARTITION BY city_tier) AS s FROM feat"
same "rfm_segment of scores" \
	"SELECT customer_id, portrait.rfm_segment((s).r, (s).f, (s).m) FROM (SELECT f.customer_id, portrait.rfm_score(f.recency, f.frequency, f.monetary, m.model) AS s
	 FROM feat f, (SELECT portrait.rfm_breaks(recency, frequency, monetary) AS model FROM feat) m) q"

# ---------- k-means ----------
for g in "" "city_tier" "region"; do
	sel=${g:+$g, }; grp=${g:+GROUP BY $g}
	same "kmeans_fit${g:+ by $g}" "SELECT ${sel}portrait.kmeans_fit(f, 3, '{\"seed\": 7}')::jsonb AS m FROM feat $grp"
	same "kmeans_stats${g:+ by $g}" "SELECT ${sel}portrait.kmeans_stats(f) AS s FROM feat $grp"
done
same "kmeans_stats by customer" "SELECT customer_id, portrait.kmeans_stats(f) AS s FROM feat GROUP BY 1"
same "kmeans_assign, kmeans_distance and kmeans_scale against a fitted model" \
	"SELECT f.customer_id, portrait.kmeans_assign(f.f, m.m), portrait.kmeans_distance(f.f, m.m), portrait.kmeans_scale(f.f, m.m)
	 FROM feat f, (SELECT portrait.kmeans_fit(f, 4, '{\"seed\": 3}') AS m FROM feat) m"
for g in "" "region" "customer_id"; do
	sel=${g:+$g, }; grp=${g:+GROUP BY $g}
	same "kmeans_step of a model${g:+ by $g}" \
		"SELECT ${sel}portrait.kmeans_step(f.f, m.m) FROM feat f, (SELECT portrait.kmeans_fit(f, 4, '{\"seed\": 3}') AS m FROM loc.feat) m $grp"
done
same "silhouette of an assignment" \
	"SELECT portrait.silhouette(f.f, portrait.kmeans_assign(f.f, m.m)) FROM feat f, (SELECT portrait.kmeans_fit(f, 4, '{\"seed\": 3}') AS m FROM loc.feat) m"
same "kmeans_train (one distributed aggregate per iteration)" \
	"SELECT portrait.kmeans_train('feat', 'f', 4, '{\"seed\": 5}')::jsonb AS m"
same "kmeans_train over a query" \
	"SELECT portrait.kmeans_train('SELECT f FROM feat WHERE city_tier <> ''tier4''', 'f', 3, '{\"seed\": 5}')::jsonb AS m"

# ---------- BG/NBD, Gamma-Gamma, CLV ----------
for g in "" "city_tier"; do
	sel=${g:+$g, }; grp=${g:+GROUP BY $g}
	same "bgnbd_fit${g:+ by $g}" "SELECT ${sel}portrait.bgnbd_fit(x, t_x, \"T\")::jsonb AS m FROM feat $grp"
	same "gamma_gamma_fit${g:+ by $g}" "SELECT ${sel}portrait.gamma_gamma_fit(x, avg_value)::jsonb AS m FROM feat WHERE x > 0 $grp"
done
same "p_alive, expected purchases, churn risk and CLV of every customer" \
	"SELECT f.customer_id, portrait.p_alive(f.x, f.t_x, f.\"T\", b.m), portrait.expected_purchases(b.m, 90, f.x, f.t_x, f.\"T\"),
	        portrait.churn_risk(f.x, f.t_x, f.\"T\", b.m), portrait.clv(b.m, g.m, f.x, f.t_x, f.\"T\", f.avg_value)
	 FROM feat f, (SELECT portrait.bgnbd_fit(x, t_x, \"T\") AS m FROM feat) b, (SELECT portrait.gamma_gamma_fit(x, avg_value) AS m FROM feat WHERE x > 0) g"

# ---------- logistic churn ----------
for g in "" "city_tier"; do
	sel=${g:+$g, }; grp=${g:+GROUP BY $g}
	same "logit_fit${g:+ by $g}" "SELECT ${sel}portrait.logit_fit(lapsed, f[2:3])::jsonb AS m FROM feat $grp"
	same "auc of a score${g:+ by $g}" "SELECT ${sel}portrait.auc(f[3], lapsed) AS a FROM feat $grp"
done
same "logit_step by customer" "SELECT customer_id, portrait.logit_step(lapsed, f[2:3], ARRAY[0, 0.1, 0.1]) FROM feat GROUP BY 1"
same "logit_train over a table (one distributed aggregate per iteration)" \
	"SELECT portrait.logit_train('feat'::regclass, 'lapsed', ARRAY['frequency', 'monetary'])::jsonb AS m"
same "logit_train over a query" \
	"SELECT portrait.logit_train('SELECT lapsed, frequency, monetary FROM feat WHERE region <> ''north''', 'lapsed', ARRAY['frequency', 'monetary'])::jsonb AS m"
same "churn_risk of a logit model for every customer" \
	"SELECT f.customer_id, portrait.churn_risk(f.f[2:3], m.m) FROM feat f, (SELECT portrait.logit_fit(lapsed, f[2:3]) AS m FROM feat) m"

# ---------- behaviour: funnels, retention, cohorts, sequences, A/B ----------
same "window_funnel by customer" \
	"SELECT customer_id, portrait.window_funnel('1 hour', ts, kind = 'view', kind = 'cart', kind = 'buy') AS level FROM events GROUP BY 1"
same "window_funnel with modes by customer" \
	"SELECT customer_id, portrait.window_funnel('1 hour', 'strict_order', ts, kind = 'view', kind = 'cart', kind = 'buy') AS level FROM events GROUP BY 1"
same "funnel_counts of the levels, and funnel_table" \
	"SELECT * FROM portrait.funnel_table((SELECT portrait.funnel_counts(level, 3) FROM (SELECT portrait.window_funnel('1 hour', ts, kind = 'view', kind = 'cart', kind = 'buy') AS level FROM events GROUP BY customer_id) l))"
same "window_funnel of all events" \
	"SELECT portrait.window_funnel('30 days', ts, kind = 'view', kind = 'buy') FROM events"
same "window_funnel by kind" \
	"SELECT kind, portrait.window_funnel('30 days', ts, kind = 'view', kind = 'buy') FROM events GROUP BY kind"
same "funnels by day (days in a named zone)" \
	"SELECT date_trunc('day', ts, $Z) AS day, portrait.funnel_counts(level, 3) FROM (SELECT customer_id, date_trunc('day', ts, $Z) AS ts,
	        portrait.window_funnel('1 day', ts, kind = 'view', kind = 'cart', kind = 'buy') AS level FROM events GROUP BY 1, 2) l GROUP BY 1"
same "retention by customer" \
	"SELECT customer_id, portrait.retention(kind = 'view', kind = 'cart', kind = 'buy') FROM events GROUP BY customer_id"
same "retention by day of the week" \
	"SELECT extract(isodow FROM ts AT TIME ZONE $Z) AS dow, portrait.retention(kind = 'view', kind = 'cart', kind = 'buy') FROM events GROUP BY 1"
same "retention of all events" \
	"SELECT portrait.retention(kind = 'view', kind = 'cart', kind = 'buy') FROM events"
same "cohort_activity(zone) by customer" \
	"SELECT customer_id, portrait.cohort_activity(ts, 'week', 8, $Z) AS a FROM events GROUP BY 1"
same "cohort_users(zone) into cohort_table" \
	"SELECT * FROM portrait.cohort_table((SELECT portrait.cohort_users(customer_id, ts, 'day', 10, $Z) FROM events))"
same "cohort_users(zone) by kind" \
	"SELECT kind, t.* FROM (SELECT kind, portrait.cohort_users(customer_id, ts, 'month', 6, $Z) AS u FROM events GROUP BY kind) q, portrait.cohort_table(q.u) t"
same "cohort_matrix(zone)" \
	"SELECT * FROM portrait.cohort_matrix('events', 'customer_id', 'ts', 'week', 6, $Z)"
same "cohort_matrix without a zone, SET LOCAL TimeZone propagated" \
	"SELECT * FROM portrait.cohort_matrix('events', 'customer_id', 'ts', 'day', 6)" \
	"SET LOCAL citus.propagate_set_commands = 'local'; SET LOCAL TimeZone = 'Asia/Shanghai';"
same "sequence_match and sequence_count by customer" \
	"SELECT customer_id, portrait.sequence_match('(?1)(?2)', ts, kind = 'view', kind = 'buy'), portrait.sequence_count('(?1).*(?2)', ts, kind = 'cart', kind = 'buy') FROM events GROUP BY 1"
same "session_id over each customer's events" \
	"SELECT customer_id, ts, kind, portrait.session_id(ts, '30 minutes') OVER (PARTITION BY customer_id ORDER BY ts, kind) FROM events"
for g in "" "city_tier" "region"; do
	sel=${g:+$g, }; grp=${g:+GROUP BY $g}
	same "ab_test${g:+ by $g}" "SELECT ${sel}portrait.ab_test(variant, lapsed) AS t, portrait.ab_test(variant, NOT lapsed, 0.01) AS t2 FROM feat $grp"
	same "welch_test${g:+ by $g}" "SELECT ${sel}portrait.welch_test(variant, monetary) AS t FROM feat $grp"
done

# ---------- segment profiles ----------
LAT="LATERAL (SELECT f.region, f.city_tier, f.channel, f.monetary, f.frequency) a"
NAMES="ARRAY['region', 'city_tier', 'channel', 'monetary', 'frequency']"
same "tgi(in_group, record, names) of all customers, through tgi_table" \
	"SELECT t.* FROM (SELECT portrait.tgi(f.lapsed, a, $NAMES) AS p FROM feat f, $LAT) x, portrait.tgi_table(x.p) t"
same "tgi(in_group, jsonb) through tgi_table and profile_label" \
	"SELECT t.*, portrait.profile_label(x.p) FROM (SELECT portrait.tgi(f.lapsed, jsonb_build_object('region', f.region, 'monetary', f.monetary)) AS p FROM feat f) x, portrait.tgi_table(x.p) t"
same "profile_agg(record, names) by segment against profile_merge" \
	"WITH s AS (SELECT f.city_tier, portrait.profile_agg(a, $NAMES) AS p FROM feat f, $LAT GROUP BY f.city_tier)
	 SELECT s.city_tier, t.* FROM s, portrait.tgi_table(s.p, (SELECT portrait.profile_merge(p) FROM s), min_count => 10) t"
same "profile_agg(jsonb) by customer" \
	"SELECT q.customer_id, t.* FROM (SELECT customer_id, portrait.profile_agg(jsonb_build_object('tier', city_tier, 'm', monetary)) AS p FROM feat GROUP BY 1) q, portrait.tgi_table(q.p) t"
same "profile_agg(record) grouped by the distribution column" \
	"SELECT f.customer_id, portrait.profile_agg(a, $NAMES)::text FROM feat f, $LAT GROUP BY 1"
same "profile_agg(jsonb ORDER BY ...) (pulled to the coordinator)" \
	"SELECT t.* FROM (SELECT portrait.profile_agg(jsonb_build_object('tier', city_tier) ORDER BY customer_id) AS p FROM feat) q, portrait.tgi_table(q.p) t"
plan() { psql -c "SET search_path = dist, public" -c "EXPLAIN (VERBOSE, COSTS OFF) $1" | tr '\n' ' '; }
check "profile_agg(jsonb) by tier is split: partial aggregates on the workers" yes \
	"$(plan "SELECT city_tier, portrait.profile_agg(jsonb_build_object('r', region)) FROM feat GROUP BY 1" | grep -q 'worker_partial_agg' && echo yes || echo no)"
check "profile_agg(jsonb ORDER BY ...) by tier is pulled: no partial aggregates" no \
	"$(plan "SELECT city_tier, portrait.profile_agg(jsonb_build_object('r', region) ORDER BY customer_id) FROM feat GROUP BY 1" | grep -q 'worker_partial_agg' && echo yes || echo no)"
check "rfm_summary by customer runs whole on the workers" yes \
	"$(plan "SELECT customer_id, portrait.rfm_summary(ordered_at, amount, '2024-12-31'::timestamptz, 'error', 'UTC') FROM orders GROUP BY 1" | grep -q 'Query: SELECT customer_id, portrait.rfm_summary' && echo yes || echo no)"
out=$(psql -c "SET search_path = dist, public" -c "SELECT portrait.tgi(f.lapsed, a) FROM feat f, $LAT" 2>&1 || true)
check "tgi(in_group, record) without names on a distributed table is refused, not answered with f1, f2" \
	yes "$(printf '%s' "$out" | grep -q 'the columns of the attrs record have no names' && echo yes || echo "$out")"
out=$(psql -c "SET search_path = dist, public" -c "SELECT f.customer_id, portrait.profile_agg(a) FROM feat f, $LAT GROUP BY 1" 2>&1 || true)
check "profile_agg(record) without names grouped by the distribution column is refused" \
	yes "$(printf '%s' "$out" | grep -q 'the columns of the attrs record have no names' && echo yes || echo "$out")"

# ---------- profile tables ----------
psql >/dev/null <<'SQL'
CREATE TABLE loc.prof (customer_id bigint PRIMARY KEY, tier text, frequency float8, stage text);
CREATE TABLE dist.prof (LIKE loc.prof INCLUDING ALL);
SELECT create_distributed_table('dist.prof', 'customer_id', colocate_with => 'dist.customers');
CREATE SCHEMA ref;
CREATE TABLE ref.prof (LIKE loc.prof INCLUDING ALL);
SELECT create_reference_table('ref.prof');
SQL
for step in 1 2 3; do
	src="SELECT customer_id, city_tier AS tier, frequency + $step / 2 AS frequency,
	            portrait.lifecycle_stage(recency, \"T\", x, t_x) AS stage
	     FROM feat WHERE customer_id % (2 + $step) <> 0"
	for t in loc dist ref; do
		psql -c "SET search_path = $( [ $t = ref ] && echo dist || echo $t ), public" \
			-c "CALL portrait.refresh_profile('$t.prof', \$src\$$src\$src\$, options => '{\"max_delete_share\": 1}')" >/dev/null 2>"$WORK/refresh.err" &&
			rm -f "$WORK/refresh.err"
		check "refresh_profile step $step into the $t target runs" "" "$(head -n 5 "$WORK/refresh.err" 2>/dev/null)"
	done
	for t in dist ref; do
		check "refresh_profile step $step into the ${t} target: the rows equal the local target's" 0 \
			"$(psql -c "SELECT count(*) FROM ((TABLE loc.prof EXCEPT ALL TABLE $t.prof) UNION ALL (TABLE $t.prof EXCEPT ALL TABLE loc.prof)) d")"
		check "refresh_profile step $step into the ${t} target: the run counts equal the local target's" \
			"$(psql -c "SELECT inserted || ' ' || updated || ' ' || deleted || ' ' || unchanged FROM portrait.profile_run WHERE target_table = 'loc.prof'::regclass ORDER BY run_id DESC LIMIT 1")" \
			"$(psql -c "SELECT inserted || ' ' || updated || ' ' || deleted || ' ' || unchanged FROM portrait.profile_run WHERE target_table = '$t.prof'::regclass ORDER BY run_id DESC LIMIT 1")"
	done
done
for t in dist ref; do
	check "refresh_profile into the $t target: the history equals the local target's" 0 \
		"$(psql -c "SELECT count(*) FROM ((SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history WHERE target_table = 'loc.prof'::regclass
		             EXCEPT ALL SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history WHERE target_table = '$t.prof'::regclass)
		            UNION ALL (SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history WHERE target_table = '$t.prof'::regclass
		             EXCEPT ALL SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history WHERE target_table = 'loc.prof'::regclass)) d")"
done
check "refresh_profile recorded changes of every kind" yes \
	"$(psql -c "SELECT CASE WHEN count(DISTINCT op) = 3 THEN 'yes' ELSE string_agg(DISTINCT op, ',') END FROM portrait.profile_history WHERE target_table = 'dist.prof'::regclass")"

# ---------- a role's time zone (ALTER ROLE ... SET TimeZone reaches the workers) ----------
psql >/dev/null <<'SQL'
CREATE ROLE portrait_analyst LOGIN;
GRANT USAGE ON SCHEMA loc, dist, cmp, portrait TO portrait_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA loc, dist TO portrait_analyst;
GRANT CREATE ON SCHEMA public TO portrait_analyst;
ALTER ROLE portrait_analyst SET TimeZone = 'Asia/Shanghai';
SQL
PGUSER=portrait_analyst same "rfm_summary without a zone as a role with ALTER ROLE ... SET TimeZone" \
	"SELECT customer_id, portrait.rfm_summary(o.ordered_at, o.amount, '2024-12-31 00:00+08'::timestamptz) AS s FROM orders o GROUP BY 1"
PGUSER=portrait_analyst same "cohort_users without a zone as that role" \
	"SELECT * FROM portrait.cohort_table((SELECT portrait.cohort_users(customer_id, ts, 'day', 10) FROM events))"

echo "# $compared queries compared with the local copy, $equal equal"
echo "1..$n"
