-- Association rules (fpgrowth, frequent_itemsets, association_rules): the
-- published itemsets of Han & Kamber's example, equality with a brute-force
-- enumeration on generated baskets, row order and parallel plans do not
-- matter, the state's text form, every error.
BEGIN;
SELECT plan(52);

-- Han, Kamber and Pei, Data Mining: Concepts and Techniques (3rd ed.), Table 6.1:
-- nine transactions over I1..I5; with min_sup = 2 the frequent itemsets are
-- L1 = {I1:6, I2:7, I3:6, I4:2, I5:2}, L2 = {I1,I2:4; I1,I3:4; I1,I5:2; I2,I3:4;
-- I2,I4:2; I2,I5:2}, L3 = {I1,I2,I3:2; I1,I2,I5:2} (Figure 6.2), and the rules
-- from {I1,I2,I5} have confidences 50%, 100%, 100%, 33%, 29%, 100% (Example 6.4).
CREATE TEMP TABLE hk (tid text, item text);
INSERT INTO hk VALUES ('T100','I1'),('T100','I2'),('T100','I5'),('T200','I2'),('T200','I4'),
  ('T300','I2'),('T300','I3'),('T400','I1'),('T400','I2'),('T400','I4'),('T500','I1'),('T500','I3'),
  ('T600','I2'),('T600','I3'),('T700','I1'),('T700','I3'),('T800','I1'),('T800','I2'),('T800','I3'),
  ('T800','I5'),('T900','I1'),('T900','I2'),('T900','I3');
CREATE TEMP TABLE hk_result AS SELECT portrait.fpgrowth(tid, item, '{"min_count": 2}') AS r FROM hk;

SELECT set_eq(
  $$SELECT items, count FROM portrait.frequent_itemsets((SELECT r FROM hk_result))$$,
  $$VALUES ('{I1}'::text[], 6::bigint), ('{I2}', 7), ('{I3}', 6), ('{I4}', 2), ('{I5}', 2),
           ('{I1,I2}', 4), ('{I1,I3}', 4), ('{I1,I5}', 2), ('{I2,I3}', 4), ('{I2,I4}', 2), ('{I2,I5}', 2),
           ('{I1,I2,I3}', 2), ('{I1,I2,I5}', 2)$$,
  'Han & Kamber Table 6.1: the 13 published frequent itemsets and their counts');
SELECT set_eq(
  $$SELECT antecedent, consequent, round(confidence::numeric, 2) FROM portrait.association_rules((SELECT r FROM hk_result))
    WHERE antecedent || consequent @> '{I1,I2,I5}' AND cardinality(antecedent || consequent) = 3$$,
  $$VALUES ('{I1,I2}'::text[], '{I5}'::text[], 0.50), ('{I1,I5}', '{I2}', 1.00), ('{I2,I5}', '{I1}', 1.00),
           ('{I1}', '{I2,I5}', 0.33), ('{I2}', '{I1,I5}', 0.29), ('{I5}', '{I1,I2}', 1.00)$$,
  'Han & Kamber Example 6.4: the six rules of {I1,I2,I5} and their published confidences');
SELECT is((SELECT (r->>'baskets')::int FROM hk_result), 9, 'nine baskets');
SELECT is((SELECT count(*)::int FROM portrait.association_rules((SELECT r FROM hk_result))),
          (SELECT sum((1 << size) - 2)::int FROM portrait.frequent_itemsets((SELECT r FROM hk_result)) WHERE size >= 2),
          'without min_confidence every split of every itemset is a rule');

-- brute force (test/data/recommend/make_reference.py) on generated baskets
CREATE TEMP TABLE ours AS
SELECT b.dataset, portrait.fpgrowth(b.basket, b.item,
         jsonb_build_object('min_support', p.min_support, 'max_len', p.max_len, 'min_confidence', p.min_confidence)) AS r
FROM recommend_ref.baskets b JOIN recommend_ref.params p USING (dataset) GROUP BY b.dataset, p.min_support, p.max_len, p.min_confidence;
CREATE FUNCTION pg_temp.close(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT a = b OR abs(a - b) <= 1e-12 * greatest(1, abs(b)) $$;

SELECT set_eq(
  $$SELECT o.dataset, s.items, s.count FROM ours o, portrait.frequent_itemsets(o.r) s$$,
  $$SELECT dataset, items, count FROM recommend_ref.itemsets$$,
  'frequent itemsets equal the brute-force enumeration (both data sets)');
SELECT ok((SELECT count(*) FROM recommend_ref.itemsets WHERE dataset = 'planted' AND cardinality(items) = 4) > 0,
          'the planted data set has itemsets of four items');
SELECT set_eq(
  $$SELECT o.dataset, a.antecedent, a.consequent, a.count FROM ours o, portrait.association_rules(o.r) a$$,
  $$SELECT dataset, antecedent, consequent, count FROM recommend_ref.rules$$,
  'rules equal the brute-force enumeration (with the min_confidence filter)');
SELECT is((SELECT count(*)::int FROM ours o CROSS JOIN LATERAL portrait.association_rules(o.r) a
           JOIN recommend_ref.rules f ON f.dataset = o.dataset AND f.antecedent = a.antecedent AND f.consequent = a.consequent
           WHERE NOT (pg_temp.close(a.support, f.support) AND pg_temp.close(a.confidence, f.confidence)
                      AND pg_temp.close(a.lift, f.lift) AND pg_temp.close(a.leverage, f.leverage)
                      AND pg_temp.close(a.conviction, f.conviction))), 0,
          'support, confidence, lift, leverage and conviction equal the reference within 1e-12');
SELECT ok((SELECT bool_and(a.confidence >= 0.2) FROM ours o, portrait.association_rules(o.r) a WHERE o.dataset = 'planted'),
          'min_confidence filters the rules');
SELECT ok((SELECT bool_and(a.lift >= 1.5) AND count(*) > 0
           FROM portrait.association_rules((SELECT portrait.fpgrowth(basket, item, '{"min_support": 0.04, "max_len": 3, "min_lift": 1.5}')
                                            FROM recommend_ref.baskets WHERE dataset = 'planted')) a),
          'min_lift filters the rules');
-- documented order: lift, confidence, count descending
SELECT ok((SELECT bool_and(ok) FROM (
             SELECT (lag(lift) OVER w > lift) OR (lag(lift) OVER w = lift AND lag(confidence) OVER w >= confidence)
                    OR lag(lift) OVER w IS NULL AS ok
             FROM (SELECT a.*, row_number() OVER () AS i FROM ours o, portrait.association_rules(o.r) a
                   WHERE o.dataset = 'planted') x WINDOW w AS (ORDER BY i)) y),
          'rules come by lift, then confidence, descending');
SELECT ok((SELECT bool_and(cardinality(items) >= coalesce(prev, 0)) FROM (
             SELECT items, lag(cardinality(items)) OVER () AS prev FROM ours o, portrait.frequent_itemsets(o.r) WHERE o.dataset = 'planted') x),
          'itemsets come by size');

-- row order, key types, NULL rows and repeated lines do not change the result
SELECT is((SELECT portrait.fpgrowth(basket, item, '{"min_support": 0.04, "max_len": 4}')
           FROM (SELECT * FROM recommend_ref.baskets WHERE dataset = 'planted' ORDER BY md5(item || basket)) s),
          (SELECT portrait.fpgrowth(basket, item, '{"min_support": 0.04, "max_len": 4}')
           FROM (SELECT * FROM recommend_ref.baskets WHERE dataset = 'planted' ORDER BY basket DESC, item DESC) s),
          'the result does not depend on the order of the rows');
SELECT is((SELECT portrait.fpgrowth(basket::text, item, '{"min_count": 5}') FROM recommend_ref.baskets WHERE dataset = 'planted'),
          (SELECT portrait.fpgrowth(basket, item, '{"min_count": 5}') FROM recommend_ref.baskets WHERE dataset = 'planted'),
          'text baskets give what bigint baskets give');
SELECT is((SELECT portrait.fpgrowth(basket, substr(item, 4)::bigint, '{"min_count": 5}') FROM recommend_ref.baskets WHERE dataset = 'planted')->'itemsets'->0->'count',
          (SELECT portrait.fpgrowth(basket, item, '{"min_count": 5}') FROM recommend_ref.baskets WHERE dataset = 'planted')->'itemsets'->0->'count',
          'bigint items: the same counts');
SELECT is((SELECT portrait.fpgrowth(basket, substr(item, 4)::bigint, '{"min_count": 400}') FROM recommend_ref.baskets WHERE dataset = 'planted')->'itemsets',
          '[]'::jsonb, 'a min_count above every item: no itemsets');
SELECT is((SELECT portrait.fpgrowth(b, i, '{"min_count": 2}') FROM (SELECT tid AS b, item AS i FROM hk
             UNION ALL VALUES (NULL, 'I1'), ('T100', NULL), (NULL, NULL), ('T100', 'I1')) s),
          (SELECT r FROM hk_result), 'rows with a NULL basket or item are skipped; a repeated line counts once');
SELECT is((SELECT portrait.fpgrowth(tid, item, '{"min_count": 2}') FROM hk WHERE false), NULL, 'no rows: NULL');
SELECT is((SELECT portrait.fpgrowth(NULL::text, item, '{"min_count": 2}') FROM hk), NULL, 'only NULL baskets: NULL');
SELECT is((SELECT count(*)::int FROM portrait.association_rules(NULL)), 0, 'association_rules of NULL: no rows');
SELECT is((SELECT r->'rules' FROM (SELECT portrait.fpgrowth(tid, item, '{"min_count": 2, "rules": false}') AS r FROM hk) s),
          '[]'::jsonb, 'rules false: itemsets only');
SELECT is((SELECT jsonb_array_length(r->'itemsets') FROM (SELECT portrait.fpgrowth(tid, item, '{"min_count": 2, "max_len": 1}') AS r FROM hk) s),
          5, 'max_len 1: single items only');
SELECT is((SELECT (r->>'min_count')::int FROM (SELECT portrait.fpgrowth(tid, item, '{"min_support": 0.2}') AS r FROM hk) s),
          2, 'min_support 0.2 of 9 baskets: a count of ceil(1.8) = 2');

-- the state's text form round-trips, and its final function gives the aggregate's answer
CREATE AGGREGATE pg_temp.lines(text, text, jsonb) (SFUNC = portrait.fpgrowth_trans, STYPE = portrait.basket_lines,
                                                   COMBINEFUNC = portrait.basket_lines_combine, PARALLEL = SAFE);
CREATE TEMP TABLE st AS SELECT pg_temp.lines(tid, item, '{"min_count": 2}') AS s FROM hk;
SELECT is((SELECT portrait.fpgrowth_final(s::text::portrait.basket_lines) FROM st), (SELECT r FROM hk_result),
          'basket_lines text form round-trips');
SELECT is((SELECT (s::text::portrait.basket_lines)::text FROM st), (SELECT s::text FROM st), 'text form is stable');
SELECT is((SELECT pg_temp.lines(tid, item, '{"min_count": 2}' ORDER BY tid DESC, item DESC)::text FROM hk), (SELECT s::text FROM st),
          'the text form does not depend on the order of the rows');
CREATE AGGREGATE pg_temp.lines(bigint, text, jsonb) (SFUNC = portrait.fpgrowth_trans, STYPE = portrait.basket_lines,
                                                     COMBINEFUNC = portrait.basket_lines_combine, PARALLEL = SAFE);
SELECT is((SELECT pg_temp.lines(b, i, '{"min_count": 1}')::text FROM (VALUES (3::bigint, 'b'), (-1, 'a'), (3, 'a'), (3, 'b'), (NULL, 'c')) v(b, i)),
          '{"basket_type": "bigint", "item_type": "text", "options": {"min_count": 1}, "baskets": [[-1, ["a"]], [3, ["a", "b"]]]}',
          'bigint baskets in the text form: by value, each item once, by name');
SELECT is((SELECT pg_temp.lines(b, i, '{"min_count": 1}')::text
           FROM (VALUES (9223372036854775807::bigint, 'b'), (-9223372036854775808, 'a'), (3, 'a'), (9223372036854775807, 'b')) v(b, i)),
          '{"basket_type": "bigint", "item_type": "text", "options": {"min_count": 1}, "baskets": [[-9223372036854775808, ["a"]], [3, ["a"]], [9223372036854775807, ["b"]]]}',
          'bigint baskets spanning the whole range');
SELECT throws_ok($$SELECT 'nonsense'::portrait.basket_lines$$, '22P02', NULL, 'malformed state text: 22P02');
SELECT throws_ok($$SELECT '{"basket_type": "date", "item_type": "text", "options": {}, "baskets": []}'::portrait.basket_lines$$,
                 '22P02', NULL, 'unknown key type in the state text: 22P02');
SELECT throws_ok($$SELECT portrait.fpgrowth_trans(NULL, 1::bigint, 'a'::text, '{}'::jsonb)$$, '0A000', NULL,
                 'the transition function outside an aggregate: 0A000');

-- parallel plans: partial states combined give the serial answer
CREATE TABLE rec_par AS SELECT * FROM recommend_ref.baskets WHERE dataset = 'sparse';
ANALYZE rec_par;
CALL test_helpers.force_serial();
CREATE TEMP TABLE par_serial AS SELECT portrait.fpgrowth(basket, item, '{"min_support": 0.01, "max_len": 3}') AS r FROM rec_par;
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.fpgrowth(basket, item, '{"min_support": 0.01, "max_len": 3}') FROM rec_par$$),
               'Partial Aggregate', 'the parallel plan has a Partial Aggregate');
SELECT is((SELECT portrait.fpgrowth(basket, item, '{"min_support": 0.01, "max_len": 3}') FROM rec_par),
          (SELECT r FROM par_serial), 'parallel = serial');
SELECT matches(test_helpers.plan_of($$SELECT pg_temp.lines(basket, item, '{"min_count": 2}') FROM rec_par$$),
               'Partial Aggregate', 'the state alone has a parallel plan too');
CREATE TEMP TABLE par_state AS SELECT pg_temp.lines(basket, item, '{"min_support": 0.01, "max_len": 3}') AS s FROM rec_par;
SELECT is((SELECT portrait.fpgrowth_final(s::text::portrait.basket_lines) FROM par_state), (SELECT r FROM par_serial),
          'a combined bigint-basket state through its text form gives the serial answer');
CALL test_helpers.force_serial();
SELECT is((SELECT portrait.fpgrowth(basket * 1000000000000 - 5000000000000000, item, '{"min_support": 0.01, "max_len": 3}') FROM rec_par),
          (SELECT r FROM par_serial), 'basket keys spread wider than 2^32: the same answer');
SELECT is((SELECT pg_temp.lines(basket, item, '{"min_support": 0.01, "max_len": 3}')::text FROM rec_par), (SELECT s::text FROM par_state),
          'the state text of a parallel plan = of a serial one');
CALL test_helpers.reset_parallel();

-- bad input
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{"min_support": 0}') FROM hk$$, '22023', NULL, 'min_support 0: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{"min_support": -0.1}') FROM hk$$, '22023', NULL, 'min_support < 0: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{"min_support": 1.5}') FROM hk$$, '22023', NULL, 'min_support > 1: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{}') FROM hk$$, '22023', NULL, 'neither min_support nor min_count: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{"min_support": 0.1, "min_count": 3}') FROM hk$$, '22023', NULL, 'both: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{"min_count": 2, "max_len": 0}') FROM hk$$, '22023', NULL, 'max_len 0: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{"min_count": 2, "min_confidence": 1.5}') FROM hk$$, '22023', NULL, 'min_confidence > 1: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, '{"min_count": 2, "lift": 1}') FROM hk$$, '0A000', NULL, 'unknown option: 0A000');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, NULL) FROM hk$$, '22004', NULL, 'NULL options: 22004');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, item, jsonb_build_object('min_count', CASE WHEN tid = 'T900' THEN 3 ELSE 2 END)) FROM hk$$, '22023', NULL,
                 'options that change between rows: 22023');
SELECT throws_ok($$SELECT portrait.fpgrowth(tid, point(1, 2), '{"min_count": 2}') FROM hk$$, '42883', NULL,
                 'an item type without text or bigint form (point): 42883, no such aggregate');
-- one basket of 100,000 items: every pair is frequent, refused; among others it is handled
SELECT throws_ok($$SELECT portrait.fpgrowth(1::bigint, 'i' || g, '{"min_count": 1, "max_len": 2}') FROM generate_series(1, 100000) g$$,
                 '54000', NULL, 'a basket of 100,000 items whose pairs are all frequent: 54000');
SELECT is((SELECT jsonb_array_length(portrait.fpgrowth(b, 'i' || g, '{"min_count": 2}')->'itemsets')
           FROM (SELECT 1::bigint AS b, g FROM generate_series(1, 100000) g UNION ALL SELECT 2, g FROM generate_series(1, 3) g) s),
          7, 'a basket of 100,000 items among others: the items and sets in two baskets');
-- a million distinct items: handled within the budget, refused under a small one
SELECT is((SELECT portrait.fpgrowth(g % 1000, 'item' || g, '{"min_count": 2}')->'frequent_items' FROM generate_series(1, 1000000) g),
          '0'::jsonb, 'a million distinct items, each in one basket: none frequent');
SET LOCAL portrait.fit_memory_limit = '8MB';
SELECT throws_ok($$SELECT portrait.fpgrowth(g % 1000, 'item' || g, '{"min_count": 2}') FROM generate_series(1, 1000000) g$$,
                 '54000', NULL, 'a million distinct items over portrait.fit_memory_limit: 54000');

SELECT * FROM finish();
ROLLBACK;
