#!/usr/bin/env bash
# Market-basket benchmark on generated order lines (default 1M lines, 100k
# baskets, 10k items with Zipf popularity: item floor(items^u), u uniform,
# so P(item k) ~ 1/k): the hand-written SQL and pg_portrait on the same data,
# in one run:
#   (a) frequent pairs: DISTINCT lines, frequent items (GROUP BY/HAVING),
#       a self-join on the basket with a.item < b.item, GROUP BY/HAVING;
#       against fpgrowth with max_len 2;
#   (b) frequent pairs and triples: the same with a third self-join;
#       against fpgrowth with max_len 3;
#   (c) item similarity, cosine top 20 per item: the co-occurrence self-join
#       over all items with item counts and row_number() per item; against
#       item_similarity;
#   (d) top-10 recommendations for every basket taken as a customer history:
#       the history joined to the neighbour table (the model's, materialised),
#       summed, bought items removed, row_number() <= 10; against one lateral
#       recommend call per customer (fill off, so both give the same rows).
# The counts of frequent itemsets, neighbour rows and recommendation rows are
# compared; the ratio is hand-written time / ours.  The queries of a pair run alternately BENCH_RUNS times (default 3),
# the best time of each kept.
# Environment: ROOT, PSQL, DB (from test/portrait.sh bench); BENCH_LINES
# (default 1000000), BENCH_BASKETS (100000), BENCH_ITEMS (10000),
# BENCH_MIN_COUNT (baskets, default 100), BENCH_RUNS.
set -euo pipefail
LINES=${BENCH_LINES:-1000000}
BASKETS=${BENCH_BASKETS:-100000}
ITEMS=${BENCH_ITEMS:-10000}
MINC=${BENCH_MIN_COUNT:-100}
RUNS=${BENCH_RUNS:-3}
run_psql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
load() { echo "load average ($1): $(cut -d' ' -f1-3 /proc/loadavg)"; }

run_psql -v lines="$LINES" -v baskets="$BASKETS" -v items="$ITEMS" <<'SQL'
SET client_min_messages = warning;
DROP TABLE IF EXISTS bench_lines;
CREATE UNLOGGED TABLE bench_lines AS
SELECT (g % :baskets)::bigint AS basket,
       'i' || floor(exp(ln(:items::float8) * ((hashint4(g) & 2147483647) / 2147483648.0)))::int AS item
  FROM generate_series(0, :lines - 1) g;
VACUUM ANALYZE bench_lines;
SQL

load before
run_psql -v runs="$RUNS" -v minc="$MINC" -f "$ROOT/test/bench/best_ms.sql" -f - <<'SQL'
SET client_min_messages = warning;
SET work_mem = '256MB';
\set hand_pairs 'WITH l AS (SELECT DISTINCT basket, item FROM bench_lines), f AS (SELECT item FROM l GROUP BY item HAVING count(*) >= ' :minc '), lf AS (SELECT l.basket, l.item FROM l JOIN f USING (item)) SELECT (SELECT count(*) FROM f) + (SELECT count(*) FROM (SELECT a.item, b.item FROM lf a JOIN lf b ON a.basket = b.basket AND a.item < b.item GROUP BY 1, 2 HAVING count(*) >= ' :minc ') p)'
\set our_pairs 'SELECT jsonb_array_length(portrait.fpgrowth(basket, item, ''{"min_count": ' :minc ', "max_len": 2, "rules": false}'')->''itemsets'') FROM bench_lines'
\set hand_triples 'WITH l AS (SELECT DISTINCT basket, item FROM bench_lines), f AS (SELECT item FROM l GROUP BY item HAVING count(*) >= ' :minc '), lf AS MATERIALIZED (SELECT l.basket, l.item FROM l JOIN f USING (item)), p AS (SELECT a.item AS x, b.item AS y FROM lf a JOIN lf b ON a.basket = b.basket AND a.item < b.item GROUP BY 1, 2 HAVING count(*) >= ' :minc '), lp AS (SELECT a.basket, a.item AS x, b.item AS y FROM lf a JOIN lf b ON a.basket = b.basket AND a.item < b.item JOIN p ON p.x = a.item AND p.y = b.item) SELECT (SELECT count(*) FROM f) + (SELECT count(*) FROM p) + (SELECT count(*) FROM (SELECT q.x, q.y, c.item FROM lp q JOIN lf c ON c.basket = q.basket AND c.item > q.y GROUP BY 1, 2, 3 HAVING count(*) >= ' :minc ') t)'
\set our_triples 'SELECT jsonb_array_length(portrait.fpgrowth(basket, item, ''{"min_count": ' :minc ', "max_len": 3, "rules": false}'')->''itemsets'') FROM bench_lines'

\set hand_sim 'WITH l AS (SELECT DISTINCT basket, item FROM bench_lines), n AS (SELECT item, count(*) AS n FROM l GROUP BY item), p AS (SELECT a.item AS i, b.item AS j, count(*) AS co FROM l a JOIN l b ON a.basket = b.basket AND a.item <> b.item GROUP BY 1, 2), s AS (SELECT p.i, p.j, p.co / sqrt(ni.n::float8 * nj.n) AS score FROM p JOIN n ni ON ni.item = p.i JOIN n nj ON nj.item = p.j), r AS (SELECT i, j, score, row_number() OVER (PARTITION BY i ORDER BY score DESC, j COLLATE "C") AS rk FROM s) SELECT count(*) FROM r WHERE rk <= 20'
\set our_sim 'SELECT count(*) FROM portrait.item_neighbours((SELECT portrait.item_similarity(basket, item, ''{"top": 20}'') FROM bench_lines))'
\set hand_rec 'WITH h AS (SELECT DISTINCT basket, item FROM bench_lines), c AS (SELECT h.basket, nb.neighbour AS item, sum(nb.score) AS score FROM h JOIN bench_nb nb ON nb.item = h.item GROUP BY 1, 2), f AS (SELECT c.* FROM c WHERE NOT EXISTS (SELECT 1 FROM h WHERE h.basket = c.basket AND h.item = c.item)), r AS (SELECT basket, item, score, row_number() OVER (PARTITION BY basket ORDER BY score DESC, item COLLATE "C") AS rk FROM f) SELECT count(*) FROM r WHERE rk <= 10'
\set our_rec 'SELECT count(*) FROM (SELECT basket, array_agg(item) AS items FROM bench_lines GROUP BY basket) h CROSS JOIN LATERAL portrait.recommend((SELECT m FROM bench_model), h.items, NULL, 10, ''{"fill": false}'') r'

SELECT count(DISTINCT basket) AS baskets, count(DISTINCT item) AS items, count(*) AS lines FROM bench_lines;
SELECT max(ms) FILTER (WHERE i = 1) AS hand_ms, max(ms) FILTER (WHERE i = 2) AS ours_ms,
       max(result_rows) FILTER (WHERE i = 1) AS hand_n, max(result_rows) FILTER (WHERE i = 2) AS ours_n
FROM pg_temp.best_ms(ARRAY[:'hand_pairs', :'our_pairs'], :runs) \gset a_
SELECT max(ms) FILTER (WHERE i = 1) AS hand_ms, max(ms) FILTER (WHERE i = 2) AS ours_ms,
       max(result_rows) FILTER (WHERE i = 1) AS hand_n, max(result_rows) FILTER (WHERE i = 2) AS ours_n
FROM pg_temp.best_ms(ARRAY[:'hand_triples', :'our_triples'], :runs) \gset b_
SELECT max(ms) FILTER (WHERE i = 1) AS hand_ms, max(ms) FILTER (WHERE i = 2) AS ours_ms,
       max(result_rows) FILTER (WHERE i = 1) AS hand_n, max(result_rows) FILTER (WHERE i = 2) AS ours_n
FROM pg_temp.best_ms(ARRAY[:'hand_sim', :'our_sim'], :runs) \gset c_
-- the model both recommenders use, and its neighbours as a table for the hand-written form
CREATE TEMP TABLE bench_model AS SELECT portrait.item_similarity(basket, item, '{"top": 20}') AS m FROM bench_lines;
CREATE TEMP TABLE bench_nb AS SELECT * FROM portrait.item_neighbours((SELECT m FROM bench_model));
CREATE INDEX ON bench_nb (item);
ANALYZE bench_nb;
SELECT max(ms) FILTER (WHERE i = 1) AS hand_ms, max(ms) FILTER (WHERE i = 2) AS ours_ms,
       max(result_rows) FILTER (WHERE i = 1) AS hand_n, max(result_rows) FILTER (WHERE i = 2) AS ours_n
FROM pg_temp.best_ms(ARRAY[:'hand_rec', :'our_rec'], :runs) \gset d_

\echo
\echo 'Market-basket and recommendation benchmark (best of' :runs 'alternating runs, min_count' :minc 'baskets, default parallel settings, work_mem 256MB)'
SELECT '(a) items + pairs: self-join GROUP BY/HAVING' AS what, :a_hand_n AS result_rows, round(:a_hand_ms::numeric, 0) AS ms, NULL::numeric AS speedup
UNION ALL SELECT '(a) items + pairs: fpgrowth max_len 2', :a_ours_n, round(:a_ours_ms::numeric, 0), round((:a_hand_ms / :a_ours_ms)::numeric, 2)
UNION ALL SELECT '(b) up to triples: two self-joins GROUP BY/HAVING', :b_hand_n, round(:b_hand_ms::numeric, 0), NULL
UNION ALL SELECT '(b) up to triples: fpgrowth max_len 3', :b_ours_n, round(:b_ours_ms::numeric, 0), round((:b_hand_ms / :b_ours_ms)::numeric, 2)
UNION ALL SELECT '(c) cosine top 20: co-occurrence self-join + row_number', :c_hand_n, round(:c_hand_ms::numeric, 0), NULL
UNION ALL SELECT '(c) cosine top 20: item_similarity', :c_ours_n, round(:c_ours_ms::numeric, 0), round((:c_hand_ms / :c_ours_ms)::numeric, 2)
UNION ALL SELECT '(d) top 10 for every customer: join + sum + row_number', :d_hand_n, round(:d_hand_ms::numeric, 0), NULL
UNION ALL SELECT '(d) top 10 for every customer: LATERAL recommend', :d_ours_n, round(:d_ours_ms::numeric, 0), round((:d_hand_ms / :d_ours_ms)::numeric, 2);
SELECT :a_hand_n = :a_ours_n AND :b_hand_n = :b_ours_n AS same_itemset_counts, :c_hand_n = :c_ours_n AS same_neighbour_rows,
       :d_hand_n = :d_ours_n AS same_recommendation_rows;
\echo 'speedup = hand-written time / ours'
SQL
load after
