#!/usr/bin/env bash
# pg_dump / pg_restore of a database using pg_portrait: edited segment rules,
# a user map, stored models of every kind, profile tables and their run
# history, the key dictionary, the tag bitmaps and saved audiences survive,
# and scores after restore are equal.
# Prints TAP lines; needs PGHOST/PGPORT/PGUSER of a running cluster and PGBIN.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

psql -d postgres -c "DROP DATABASE IF EXISTS dump_src" -c "DROP DATABASE IF EXISTS dump_dst" -c "CREATE DATABASE dump_src"
psql -d dump_src -c "CREATE EXTENSION pg_portrait"
psql -d dump_src -v customers=2000 -v seed=11 -f "$(dirname "$0")/data/sample.sql" >/dev/null
psql -d dump_src <<'SQL'
-- a model of every kind, fitted on a small sample and stored in a user table
CREATE TABLE cust AS
SELECT customer_id, (s).repeat_frequency::float8 AS x, (s).repeat_span_days::float8 AS t_x, (s).tenure_days::float8 AS "T",
       CASE WHEN (s).repeat_frequency > 0 AND (s).repeat_avg_value <= 0 THEN NULL ELSE (s).repeat_avg_value END AS avg_value,
       ARRAY[ln(1 + (s).recency_days), ln((s).frequency), ln(1 + greatest((s).monetary, 0))] AS f,
       (s).recency_days > 180 AS lapsed
FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, '2024-12-31') s FROM demo.orders GROUP BY 1) q;
CREATE TABLE fitted (kind text PRIMARY KEY, model portrait.model);
INSERT INTO fitted SELECT 'kmeans', portrait.kmeans_fit(f, 4, '{"seed": 3}') FROM cust;
INSERT INTO fitted SELECT 'bgnbd', portrait.bgnbd_fit(x, t_x, "T") FROM cust;
INSERT INTO fitted SELECT 'gamma_gamma', portrait.gamma_gamma_fit(x, avg_value) FROM cust WHERE x > 0;
INSERT INTO fitted SELECT 'logit', portrait.logit_fit(lapsed, f[2:3]) FROM cust;
INSERT INTO fitted SELECT 'isolation_forest', portrait.iforest_fit(f, '{"seed": 3, "n_trees": 20}') FROM cust;
INSERT INTO fitted SELECT 'decision_tree', portrait.decision_tree_fit(f[2:3], lapsed::text, '{"max_depth": 3}') FROM cust;
UPDATE portrait.rfm_segment_rule SET segment = 'VIP' WHERE map = 'standard' AND priority = 1;
INSERT INTO portrait.rfm_segment_rule (map, priority, segment, r_low) VALUES ('mine', 1, 'recent', 3), ('mine', 2, 'older', NULL);
CREATE TABLE summary AS
SELECT g AS customer_id, (g * 37) % 400 AS recency, 1 + (g * 13) % 9 AS frequency, ((g * 7919) % 1000) / 3.0 AS monetary
FROM generate_series(1, 500) g;
CREATE TABLE models AS SELECT 'rfm'::text AS name, portrait.rfm_breaks(recency, frequency, monetary) AS model FROM summary;
CREATE TABLE profile (customer_id int PRIMARY KEY, recency int);
CALL portrait.refresh_profile('public.profile', 'SELECT customer_id, recency FROM public.summary WHERE customer_id > 10');
CALL portrait.refresh_profile('public.profile', 'SELECT customer_id, recency + 1 AS recency FROM public.summary WHERE customer_id < 400');
SQL
score_sql="SELECT md5(string_agg(format('%s %s %s %s', customer_id, s, portrait.rfm_segment((s).r, (s).f, (s).m, 'mine'),
            portrait.rfm_segment((s).r, (s).f, (s).m, 'cn8', m.model)), ',' ORDER BY customer_id))
           FROM (SELECT customer_id, portrait.rfm_score(recency, frequency, monetary, m.model) s FROM summary, models m) x, models m"
rules_sql="SELECT md5(string_agg(format('%s', r), ',' ORDER BY map, priority)) FROM portrait.rfm_segment_rule r"
before_scores=$(psql -d dump_src -c "$score_sql")
before_rules=$(psql -d dump_src -c "$rules_sql")
before_model=$(psql -d dump_src -c "SELECT model::text FROM models")
profile_sql="SELECT md5(string_agg(format('%s', r), ',' ORDER BY run_id)) FROM portrait.profile_run r UNION ALL
             SELECT md5(string_agg(format('%s', h), ',' ORDER BY run_id, key, op, column_name)) FROM portrait.profile_history h UNION ALL
             SELECT md5(string_agg(format('%s', p), ',' ORDER BY customer_id)) FROM profile p"
before_profile=$(psql -d dump_src -c "$profile_sql")
fitted_sql="SELECT md5(string_agg(format('%s %s %s %s %s %s', c.customer_id,
                   portrait.kmeans_assign(c.f, km.model), portrait.kmeans_distance(c.f, km.model),
                   portrait.p_alive(c.x, c.t_x, c.\"T\", bg.model),
                   portrait.clv(bg.model, gg.model, c.x, c.t_x, c.\"T\", c.avg_value),
                   portrait.churn_risk(c.f[2:3], lg.model))
                   || portrait.anomaly_score(ifo.model, c.f) || portrait.tree_predict(dt.model, c.f[2:3]), ',' ORDER BY c.customer_id))
            FROM cust c, fitted km, fitted bg, fitted gg, fitted lg, fitted ifo, fitted dt
            WHERE km.kind = 'kmeans' AND bg.kind = 'bgnbd' AND gg.kind = 'gamma_gamma' AND lg.kind = 'logit'
              AND ifo.kind = 'isolation_forest' AND dt.kind = 'decision_tree'"
models_sql="SELECT string_agg(kind || ' ' || md5(model::text), ',' ORDER BY kind) FROM fitted"
before_fitted=$(psql -d dump_src -c "$fitted_sql")
before_models=$(psql -d dump_src -c "$models_sql")
# the key dictionary and the tag bitmaps (configuration tables)
psql -d dump_src -c "INSERT INTO portrait.tag (name, value_type, source_column) VALUES ('tier', 'categorical', 'city_tier')" \
	-c "SELECT portrait.build_tags('shop', 'demo.customers', 'customer_id', '2026-11-01')" \
	-c "SELECT portrait.audience_save('tier1', 'shop', \$\$tier = 'tier1'\$\$, description => 'saved')" >/dev/null
tags_sql="SELECT md5(string_agg(d.key || ':' || d.id, ',' ORDER BY d.id)) || ' ' || (SELECT next_id FROM portrait.key_dictionary_base) || ' '
            || (SELECT md5(string_agg(t.value || ':' || t.members::text, ',' ORDER BY t.value)) FROM portrait.tag_bitmap t) || ' '
            || (SELECT string_agg(a.name || ':' || a.expression || ':' || portrait.audience_count(a.base, a.expression, a.snapshot), ',')
                FROM portrait.audience a)
          FROM portrait.key_dictionary d"
before_tags=$(psql -d dump_src -c "$tags_sql")
dict_sql="SELECT md5(string_agg(d.key || ':' || d.id, ',' ORDER BY d.id)) FROM portrait.key_dictionary d WHERE d.base = 'shop'"
before_dict=$(psql -d dump_src -c "$dict_sql")
before_next=$(psql -d dump_src -c "SELECT next_id FROM portrait.key_dictionary_base WHERE base = 'shop'")

"$PGBIN/pg_dump" -Fc -d dump_src -f "$tmp/db.dump"
psql -d postgres -c "CREATE DATABASE dump_dst"
"$PGBIN/pg_restore" -d dump_dst "$tmp/db.dump"

echo "1..13"
check "segment rules equal after restore (edited built-in and user map kept)" "$before_rules" "$(psql -d dump_dst -c "$rules_sql")"
check "stored model identical after restore" "$before_model" "$(psql -d dump_dst -c "SELECT model::text FROM models")"
check "scores and segments equal after restore" "$before_scores" "$(psql -d dump_dst -c "$score_sql")"
check "no duplicate rules after restore" "0" "$(psql -d dump_dst -c "SELECT count(*) FROM (SELECT map, priority FROM portrait.rfm_segment_rule GROUP BY 1, 2 HAVING count(*) > 1) d")"
check "profile table, its refresh runs and history equal after restore (configuration tables)" "$before_profile" "$(psql -d dump_dst -c "$profile_sql")"
check "k-means, BG/NBD, Gamma-Gamma, logit, isolation forest and decision tree models identical after restore" "$before_models" "$(psql -d dump_dst -c "$models_sql")"
check "their scores (cluster, distance, P(alive), CLV, churn risk, anomaly score, tree class) equal after restore" "$before_fitted" "$(psql -d dump_dst -c "$fitted_sql")"
check "the scores are defined for every customer" "2000" "$(psql -d dump_dst -c "SELECT count(*) FROM cust c, fitted f WHERE f.kind = 'bgnbd' AND portrait.p_alive(c.x, c.t_x, c.\"T\", f.model) IS NOT NULL")"
check "the key dictionary, the tag bitmaps and the saved audiences are equal after restore" "$before_tags" "$(psql -d dump_dst -c "$tags_sql")"
# a refresh after restore: 50 new customers, and the customers of tier1 gone
psql -d dump_dst -c "SELECT portrait.build_tags('shop', \$\$SELECT customer_id, city_tier FROM demo.customers WHERE city_tier IS DISTINCT FROM 'tier1'
                                                    UNION ALL SELECT 900000 + g, 'tier1' FROM generate_series(1, 50) g\$\$,
                                                    'customer_id', '2026-11-08')" >/dev/null
check "a refresh after restore keeps the id of every key the dictionary had" "$before_dict" \
	"$(psql -d dump_dst -c "$dict_sql AND d.id < $before_next")"
check "the new keys after restore get the next ids (none reused)" "50 $before_next $((before_next + 49)) $((before_next + 50))" \
	"$(psql -d dump_dst -c "SELECT count(*) || ' ' || min(d.id) || ' ' || max(d.id) || ' ' || (SELECT next_id FROM portrait.key_dictionary_base WHERE base = 'shop')
	                        FROM portrait.key_dictionary d WHERE d.base = 'shop' AND d.id >= $before_next")"
check "the bitmaps stay out of line and uncompressed after restore" "e e e" \
	"$(psql -d dump_dst -c "SELECT string_agg(attstorage::text, ' ') FROM pg_attribute
	                        WHERE attrelid IN ('portrait.tag_bitmap'::regclass, 'portrait.tag_numeric'::regclass, 'portrait.tag_snapshot'::regclass)
	                          AND attname = 'members'")"
check "run numbers continue after restore" "3" "$(psql -d dump_dst -c "SELECT nextval('portrait.profile_run_run_id_seq')")"
psql -d postgres -c "DROP DATABASE dump_src" -c "DROP DATABASE dump_dst"
