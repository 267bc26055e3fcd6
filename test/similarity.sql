-- Item similarity (item_similarity, item_neighbours, recommend) and the
-- offline evaluation (ranking_metrics, time_split, recommend_evaluate):
-- equality with the plain co-occurrence SQL, row order and parallel plans do
-- not matter, the recommender beats popularity on planted data, every error.
BEGIN;
SELECT plan(44);

-- baskets of the brute-force fixture (test/data/recommend)
CREATE TEMP TABLE sb AS SELECT basket, item FROM recommend_ref.baskets WHERE dataset = 'planted';
CREATE FUNCTION pg_temp.close(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT abs(a - b) <= 1e-12 * greatest(1, abs(b)) $$;
-- the hand-written co-occurrence self-join and the three measures
CREATE TEMP TABLE co AS
WITH l AS (SELECT DISTINCT basket, item FROM sb),
     n AS (SELECT item, count(*) AS n FROM l GROUP BY item),
     p AS (SELECT a.item AS i, b.item AS j, count(*) AS co FROM l a JOIN l b ON a.basket = b.basket AND a.item <> b.item GROUP BY 1, 2)
SELECT p.i, p.j, p.co, p.co / sqrt(ni.n::float8 * nj.n) AS cosine, p.co::float8 / (ni.n + nj.n - p.co) AS jaccard,
       p.co::float8 * (SELECT count(DISTINCT basket) FROM l) / (ni.n::float8 * nj.n) AS lift
FROM p JOIN n ni ON ni.item = p.i JOIN n nj ON nj.item = p.j;

CREATE TEMP TABLE mods AS
SELECT portrait.item_similarity(basket, item, '{"top": 5}') AS cosine,
       portrait.item_similarity(basket, item, '{"top": 5, "measure": "jaccard"}') AS jaccard,
       portrait.item_similarity(basket, item, '{"top": 5, "measure": "lift", "min_cooccurrence": 3}') AS lift,
       portrait.item_similarity(basket, item, '{"top": 5, "shrinkage": 10}') AS shrunk
FROM sb;

SELECT is(portrait.model_kind((SELECT cosine FROM mods)), 'item_similarity', 'a model of kind item_similarity');
SELECT is((SELECT count(*)::int FROM portrait.item_neighbours((SELECT cosine FROM mods)) nb
           JOIN co ON co.i = nb.item AND co.j = nb.neighbour WHERE pg_temp.close(nb.score, co.cosine)),
          (SELECT count(*)::int FROM portrait.item_neighbours((SELECT cosine FROM mods))), 'cosine scores equal the self-join''s');
SELECT is((SELECT count(*)::int FROM portrait.item_neighbours((SELECT jaccard FROM mods)) nb
           JOIN co ON co.i = nb.item AND co.j = nb.neighbour WHERE pg_temp.close(nb.score, co.jaccard)),
          (SELECT count(*)::int FROM portrait.item_neighbours((SELECT jaccard FROM mods))), 'Jaccard scores equal the self-join''s');
SELECT is((SELECT count(*)::int FROM portrait.item_neighbours((SELECT lift FROM mods)) nb
           JOIN co ON co.i = nb.item AND co.j = nb.neighbour WHERE pg_temp.close(nb.score, co.lift) AND co.co >= 3),
          (SELECT count(*)::int FROM portrait.item_neighbours((SELECT lift FROM mods))), 'lift scores equal the self-join''s, min_cooccurrence kept');
SELECT is((SELECT count(*)::int FROM portrait.item_neighbours((SELECT shrunk FROM mods)) nb
           JOIN co ON co.i = nb.item AND co.j = nb.neighbour WHERE pg_temp.close(nb.score, co.cosine * co.co / (co.co + 10.0))),
          (SELECT count(*)::int FROM portrait.item_neighbours((SELECT shrunk FROM mods))), 'shrinkage: cosine x co / (co + 10)');
-- the top 5 of each item are the self-join's top 5 (score descending, then name)
SELECT set_eq($$SELECT item, rank, neighbour FROM portrait.item_neighbours((SELECT cosine FROM mods))$$,
              $$SELECT i, r::int, j FROM (SELECT i, j, row_number() OVER (PARTITION BY i ORDER BY cosine DESC, j COLLATE "C") AS r FROM co) s WHERE r <= 5$$,
              'the top-5 neighbours of every item are the self-join''s');
SELECT is((SELECT portrait.item_similarity(basket, item, '{"top": 5}') FROM (SELECT * FROM sb ORDER BY md5(item || basket)) s)::text,
          (SELECT cosine FROM mods)::text, 'the model does not depend on the order of the rows');
SELECT is((SELECT portrait.item_similarity(basket::text, item, '{"top": 5}') FROM sb)::text,
          (SELECT cosine FROM mods)::text, 'text baskets: the same model');
SELECT is(((SELECT cosine FROM mods)::text::portrait.model)::text, (SELECT cosine FROM mods)::text, 'the model''s text form round-trips');
CREATE TABLE sim_par AS SELECT * FROM recommend_ref.baskets WHERE dataset = 'sparse';
ANALYZE sim_par;
CALL test_helpers.force_serial();
CREATE TEMP TABLE sim_serial AS SELECT portrait.item_similarity(basket, item, '{}')::text AS m FROM sim_par;
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.item_similarity(basket, item, '{}') FROM sim_par$$),
               'Partial Aggregate', 'item_similarity runs as a partial aggregate');
SELECT is((SELECT portrait.item_similarity(basket, item, '{}')::text FROM sim_par), (SELECT m FROM sim_serial), 'parallel = serial');
CALL test_helpers.reset_parallel();

-- recommend: sum of weight x similarity over the history, the largest contribution as the reason
CREATE TEMP TABLE hist AS SELECT ARRAY['sku000', 'sku005', 'sku999'] AS items, ARRAY[1.0, 0.5, 3.0]::float8[] AS w;
CREATE TEMP TABLE expect AS
SELECT nb.neighbour AS item, sum(h.w * nb.score) AS score
FROM hist, unnest(hist.items, hist.w) h(item, w) JOIN portrait.item_neighbours((SELECT cosine FROM mods)) nb ON nb.item = h.item
WHERE nb.neighbour <> ALL (ARRAY['sku000', 'sku005']) GROUP BY nb.neighbour;
SELECT is((SELECT count(*)::int FROM portrait.recommend((SELECT cosine FROM mods), (SELECT items FROM hist), (SELECT w FROM hist), 100, '{"fill": false}') r
           JOIN expect e USING (item) WHERE pg_temp.close(r.score, e.score)),
          (SELECT count(*)::int FROM expect), 'scores are the weighted sums of the neighbours'' similarities (unknown items ignored)');
SELECT ok((SELECT bool_and(source = 'similar' AND because IN ('sku000', 'sku005') AND item NOT IN ('sku000', 'sku005'))
           FROM portrait.recommend((SELECT cosine FROM mods), (SELECT items FROM hist), (SELECT w FROM hist), 100, '{"fill": false}')),
          'items already bought are not recommended; the reason is a history item');
SELECT is((SELECT array_agg(item ORDER BY rank) FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku005', 'sku000'], ARRAY[0.5, 1.0], 10)),
          (SELECT array_agg(item ORDER BY rank) FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku000', 'sku005'], ARRAY[1.0, 0.5], 10)),
          'the history''s order does not matter');
SELECT is((SELECT count(*)::int FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku000'], NULL, 12)), 12,
          'popular items fill the list up to k');
SELECT is((SELECT array_agg(item ORDER BY rank) FROM portrait.recommend((SELECT cosine FROM mods), NULL, NULL, 3)),
          (SELECT array_agg(item) FROM (SELECT item FROM (SELECT DISTINCT basket, item FROM sb) d GROUP BY item ORDER BY count(*) DESC, item COLLATE "C" LIMIT 3) s),
          'a customer without history (cold start): the most popular items');
SELECT ok((SELECT bool_and(source = 'popular' AND because IS NULL) FROM portrait.recommend((SELECT cosine FROM mods), '{}', NULL, 3)),
          'popular rows have no reason');
SELECT ok((SELECT bool_or(item = 'sku000') FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku000', 'sku001'], NULL, 5, '{"exclude_seen": false}')),
          'exclude_seen false: a bought item can come back');
SELECT is((SELECT array_agg(item ORDER BY rank) FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku000'], NULL, 3, '{"method": "popular"}')),
          (SELECT array_agg(item) FROM (SELECT item FROM (SELECT DISTINCT basket, item FROM sb) d WHERE item <> 'sku000'
                                        GROUP BY item ORDER BY count(*) DESC, item COLLATE "C" LIMIT 3) s),
          'method popular: the popularity baseline without the history''s items') ;

-- offline evaluation
SELECT is((SELECT row(precision_at_k, recall_at_k, hit, average_precision, round(ndcg_at_k::numeric, 12))::text
           FROM portrait.ranking_metrics(ARRAY['a', 'b', 'c'], ARRAY['b', 'd'], 3)),
          row(1 / 3.0::float8, 0.5::float8, 1::float8, 0.25::float8, round((1 / log(2, 3) / (1 + 1 / log(2, 3)))::numeric, 12))::text,
          'ranking_metrics by hand: hit at rank 2 of 3, two relevant');
SELECT is((SELECT hit FROM portrait.ranking_metrics(NULL, ARRAY['b'], 3)), 0::float8, 'no recommendations: nothing found');
SELECT is((SELECT precision_at_k FROM portrait.ranking_metrics(ARRAY['a'], '{}', 3)), NULL, 'nothing relevant: NULL');
SELECT is((SELECT average_precision FROM portrait.ranking_metrics(ARRAY['b', 'b', 'a'], ARRAY['a', 'b'], 2)), 1::float8,
          'repeated recommendations count once');
-- generated lines with planted tastes: each customer buys 60% from one of ten groups of 20 items, 40% Zipf-popular items
CREATE TABLE rec_lines AS
SELECT c::bigint AS customer_id,
  CASE WHEN (hashint4(c * 100 + n) & 1023) < 614 THEN 'g' || (c % 10) || '_' || ((hashint4(c * 7 + n * 13) & 2147483647) % 20)
       ELSE 'p' || floor(exp(ln(50::float8) * ((hashint4(c * 31 + n) & 2147483647) / 2147483648.0)))::int END AS item,
  timestamptz '2024-01-01 00:00+00' + (n * 10 + (hashint4(c + n) & 7)) * interval '1 day' AS at
FROM generate_series(1, 2000) c, generate_series(1, 12) n;
SELECT is((SELECT count(*)::int FROM portrait.time_split('rec_lines', '{"item": "item", "at": "at", "cutoff": "2024-04-01 00:00+00"}')),
          2000, 'time_split: one row per customer');
SELECT is((SELECT count(*)::int FROM portrait.time_split('rec_lines', '{"item": "item", "at": "at", "cutoff": "2024-04-01 00:00+00"}') s, unnest(s.test) t
           WHERE t = ANY (s.train)), 0, 'time_split: test items are new');
CREATE TEMP TABLE ev AS SELECT * FROM portrait.recommend_evaluate('rec_lines', '{"item": "item", "at": "at", "cutoff": "2024-04-01 00:00+00", "k": 10}');
SELECT is((SELECT array_agg(recommender ORDER BY recommender) FROM ev), ARRAY['item_similarity', 'popularity'], 'both recommenders in one statement');
SELECT ok((SELECT o.precision_at_k >= 1.3 * p.precision_at_k AND o.recall_at_k >= 1.3 * p.recall_at_k
              AND o.ndcg_at_k >= 1.1 * p.ndcg_at_k AND o.hit_rate > p.hit_rate AND o.map_at_k > p.map_at_k
           FROM ev o, ev p WHERE o.recommender = 'item_similarity' AND p.recommender = 'popularity'),
          'planted tastes: precision@10 and recall@10 at least 30% above popularity''s, NDCG@10 10% above, hit rate and MAP higher');
SELECT ok((SELECT o.coverage > 5 * p.coverage FROM ev o, ev p WHERE o.recommender = 'item_similarity' AND p.recommender = 'popularity'),
          'the recommender covers far more of the catalogue');

-- bad input
SELECT throws_ok($$SELECT * FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku000'], NULL, 0)$$, '22023', NULL, 'k < 1: 22023');
SELECT throws_ok($$SELECT * FROM portrait.ranking_metrics(ARRAY['a'], ARRAY['a'], 0)$$, '22023', NULL, 'ranking_metrics k < 1: 22023');
SELECT throws_ok($$SELECT * FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku000', 'sku001'], ARRAY[1.0], 5)$$, '22000', NULL, 'weights not matching items: 22000');
SELECT throws_ok($$SELECT * FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['sku000'], ARRAY[-1.0], 5)$$, '22023', NULL, 'a negative weight: 22023');
SELECT throws_ok($$SELECT * FROM portrait.recommend((SELECT portrait.rfm_breaks(x, x, x) FROM generate_series(1, 10) x), NULL, NULL, 5)$$,
                 '22023', NULL, 'a model of another kind: 22023');
SELECT throws_ok($$SELECT portrait.item_similarity(basket, item, '{"measure": "pearson"}') FROM sb$$, '22023', NULL, 'an unknown measure: 22023');
SELECT throws_ok($$SELECT * FROM portrait.recommend_evaluate('rec_lines', '{"item": "item", "at": "at", "cutoff": "2024-04-01", "k": 0}')$$, '22023', NULL, 'recommend_evaluate k < 1: 22023');
SELECT throws_ok($$SELECT portrait.item_similarity(1::bigint, 'i' || g, '{}') FROM generate_series(1, 100000) g$$,
                 '54000', NULL, 'a basket of 100,000 items (10^10 co-occurrences): 54000');
SELECT is((SELECT jsonb_array_length(portrait.item_similarity(g / 2, 'item' || g, '{}')::jsonb->'items') FROM generate_series(1, 1000000) g),
          1000000, 'a million distinct items: handled within the budget');
SET LOCAL portrait.fit_memory_limit = '8MB';
SELECT throws_ok($$SELECT portrait.item_similarity(g / 2, 'item' || g, '{}') FROM generate_series(1, 1000000) g$$,
                 '54000', NULL, 'a million distinct items over portrait.fit_memory_limit: 54000');
RESET portrait.fit_memory_limit;
SELECT ok((SELECT portrait.item_similarity(basket, item, '{}') FROM sb WHERE false) IS NULL, 'no rows: NULL');
SELECT throws_ok($$SELECT * FROM portrait.recommend(NULL, ARRAY['a'], NULL, 5)$$, '22004', NULL, 'a NULL model: 22004');
SELECT throws_ok($$SELECT * FROM portrait.recommend((SELECT cosine FROM mods), ARRAY['a'], NULL, 5, '{"top": 3}')$$, '0A000', NULL, 'an unknown option: 0A000');
SELECT throws_ok($$SELECT * FROM portrait.time_split('rec_lines', '{"item": "item", "at": "at"}')$$, '22023', NULL, 'time_split without cutoff: 22023');
SELECT throws_ok($$SELECT * FROM portrait.time_split('rec_lines', '{"item": "sku", "at": "at", "cutoff": "2024-04-01"}')$$, '42703', NULL, 'time_split of a missing column: 42703');
SELECT throws_ok($$SELECT * FROM portrait.recommend_evaluate('rec_lines', '{"item": "item", "at": "at", "cutoff": "2024-04-01", "kk": 3}')$$, '0A000', NULL, 'recommend_evaluate with an unknown option: 0A000');

SELECT * FROM finish();
ROLLBACK;
