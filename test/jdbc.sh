#!/usr/bin/env bash
# The BI views and the BI-facing functions through the PostgreSQL JDBC driver,
# the way FineBI, Tableau, Metabase, Superset and DBeaver read them, as a
# read-only role: catalog metadata and comments, JDBC types, prepared
# statements, streaming a 1,000,000-row member list, statement timeouts.
# The checks are in test/jdbc/PortraitJdbc.java; this script makes the
# database, compiles and runs it (Debian's default-jdk-headless and
# libpostgresql-jdbc-java; junixsocket reaches the cluster's Unix socket).
# Prints TAP lines; needs PGHOST/PGPORT/PGUSER of a running cluster and PGBIN.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DB=portrait_jdbc
export PGOPTIONS="-c client_min_messages=warning"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

psql -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
psql -d postgres -c "DROP ROLE IF EXISTS portrait_bi" -c "CREATE ROLE portrait_bi LOGIN"
PSQL_DB=$DB psql -f - >/dev/null <<-'SQL'
	CREATE EXTENSION pg_portrait;
	-- a profile with two runs: 3 customers in 'tiny' (left out of the views), then 10 of 'big' move to 'mid'
	CREATE TABLE shop_profile (customer_id int PRIMARY KEY, segment text, cluster int, recency_days int,
	                           frequency int, monetary float8, churn_risk float8, clv float8, lifecycle text);
	CALL portrait.refresh_profile('shop_profile', $$
	    SELECT g AS customer_id, CASE WHEN g <= 3 THEN 'tiny' ELSE 'big' END AS segment, g % 2 AS cluster,
	           g AS recency_days, 2 AS frequency, 10.0 * g AS monetary, 0.5 AS churn_risk, 100.0 AS clv,
	           'active' AS lifecycle
	    FROM generate_series(1, 43) g$$);
	SELECT portrait.profile_views('shop_profile');
	CALL portrait.refresh_profile('shop_profile', $$
	    SELECT g AS customer_id, CASE WHEN g <= 3 THEN 'tiny' WHEN g <= 13 THEN '中等价值客户' ELSE 'big' END AS segment,
	           g % 2 AS cluster, g AS recency_days, 2 AS frequency, 10.0 * g AS monetary, 0.5 AS churn_risk,
	           100.0 AS clv, 'active' AS lifecycle
	    FROM generate_series(1, 43) g$$);
	-- behaviour: view -> cart -> pay events of 200 users over 4 weeks
	CREATE TABLE events (uid bigint, ts timestamptz, name text);
	INSERT INTO events
	SELECT u, timestamptz '2024-06-03 09:00+08' + (u % 4) * interval '1 week' + s * interval '1 hour',
	       (ARRAY['view', 'cart', 'pay'])[s + 1]
	FROM generate_series(1, 200) u, generate_series(0, 2) s WHERE s <= u % 3;
	INSERT INTO events SELECT u, timestamptz '2024-06-03 09:00+08' + w * interval '1 week', 'view'
	FROM generate_series(1, 200) u, generate_series(1, 3) w WHERE (u * w) % 5 < 2;
	-- stored models, as a BI tool finds them: a column of portrait.model
	CREATE TABLE models (name text PRIMARY KEY, model portrait.model);
	INSERT INTO models
	SELECT 'segments', portrait.kmeans_fit(ARRAY[g % 10, (g * 7) % 13]::float8[], 3, '{"seed": 1, "feature_names": ["r", "f"]}')
	FROM generate_series(1, 300) g;
	INSERT INTO models
	SELECT 'churn', portrait.logit_fit(g % 3 = 0, ARRAY[(g % 7)::float8], '{"feature_names": ["tickets"]}')
	FROM generate_series(1, 300) g;
	CREATE TABLE orders (customer_id int, ordered_at timestamptz, amount numeric(12, 2));
	INSERT INTO orders SELECT g % 50, timestamptz '2024-01-01' + g * interval '3 hours', 10 + g % 90
	FROM generate_series(1, 2000) g;
	CREATE TABLE attrs (customer_id int, segment text, region text, age int);
	INSERT INTO attrs SELECT g, CASE WHEN g % 4 = 0 THEN 'Champions' ELSE 'Others' END,
	       (ARRAY['华东', '华北', '华南'])[1 + g % 3], 20 + g % 40
	FROM generate_series(1, 400) g;
	-- the member list a campaign exports: 1,000,000 customers of one segment among 1,200,000
	CREATE TABLE members (customer_id bigint, segment text, joined date);
	INSERT INTO members SELECT g, CASE WHEN g % 6 = 0 THEN 'Hibernating' ELSE 'Champions' END,
	       date '2024-01-01' + (g % 366)::int
	FROM generate_series(1, 1200000) g;
	ANALYZE;
	-- the BI role reads, and only reads
	ALTER ROLE portrait_bi SET default_transaction_read_only = on;
	GRANT SELECT ON shop_profile_segments, shop_profile_migration, shop_profile_clusters, shop_profile,
	                events, models, orders, attrs, members TO portrait_bi;
SQL

mkdir "$tmp/classes"
cp="/usr/share/java/postgresql.jar:/usr/share/java/junixsocket-common.jar"
if ! javac -encoding UTF-8 -d "$tmp/classes" -cp "$cp" "$ROOT/test/jdbc/PortraitJdbc.java" >"$tmp/javac.log" 2>&1; then
	echo "1..1"
	echo "not ok 1 - the JDBC test compiles"
	sed 's/^/# /' "$tmp/javac.log"
	exit 1
fi
# A heap of 64 MB: the member list (about 100 MB as rows in the driver) is
# read in full only if the driver streams it.
url="jdbc:postgresql://localhost/$DB?user=portrait_bi&socketFactory=org.newsclub.net.unix.AFUNIXSocketFactory\$FactoryArg&socketFactoryArg=$PGHOST/.s.PGSQL.${PGPORT:-5432}"
set +e
java -Xmx64m -Dfile.encoding=UTF-8 -Djava.library.path=/usr/lib/"$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)"/jni \
	-cp "$tmp/classes:$cp" PortraitJdbc "$url"
rc=$?
set -e
psql -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE portrait_bi"
exit $rc
