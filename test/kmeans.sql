-- k-means: fits on small known data, invariances, scoring, profiles and
-- every documented error.
BEGIN;
SELECT plan(77);

-- SQLSTATE, message and detail of an error, for checks beyond throws_ok.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RETURN st || ': ' || msg || ' | ' || coalesce(det, '') || ' | ' || coalesce(hnt, '');
END $$;

-- two tight groups of three points
CREATE TEMP TABLE two (id int, f float8[]);
INSERT INTO two VALUES (1, '{0,0}'), (2, '{0,1}'), (3, '{1,0}'), (4, '{10,10}'), (5, '{10,11}'), (6, '{11,10}'), (7, NULL);
CREATE TEMP TABLE two_m AS SELECT portrait.kmeans_fit(f, 2, '{"seed": 7, "standardize": false}') AS m FROM two;

SELECT is(portrait.model_kind((SELECT m FROM two_m)), 'kmeans', 'kmeans_fit makes a kmeans model');
SELECT is((SELECT m::jsonb -> 'centroids' FROM two_m),
          '[[0.3333333333333333, 0.3333333333333333], [10.333333333333334, 10.333333333333334]]'::jsonb,
          'two groups: centroids are the group means (equal sizes: ordered by centroid)');
SELECT ok((SELECT abs((m::jsonb ->> 'inertia')::float8 - 8.0 / 3) < 1e-12 FROM two_m), 'two groups: inertia = 2 * (2/9 + 5/9 + 5/9) = 8/3');
SELECT is((SELECT (m::jsonb ->> 'n')::int FROM two_m), 6, 'a NULL features array is skipped');
SELECT is((SELECT array_agg(portrait.kmeans_assign(f, m) ORDER BY id) FROM two, two_m WHERE f IS NOT NULL),
          '{1,1,1,2,2,2}'::int[], 'kmeans_assign numbers clusters 1..k');
SELECT ok((SELECT abs(portrait.kmeans_distance('{0,0}', m) - sqrt(2.0 / 9)) < 1e-12 FROM two_m),
          'kmeans_distance is the Euclidean distance to the assigned centroid');
SELECT is((SELECT portrait.kmeans_assign(NULL, m) FROM two_m), NULL, 'kmeans_assign of NULL is NULL');
SELECT is((SELECT m::text::portrait.model::text = m::text FROM two_m), true, 'the text form reads back exactly');

-- ---------- the generated customers: log-RFM features ----------

CREATE TEMP TABLE cust AS
SELECT customer_id,
       ARRAY[ln(1 + extract(epoch FROM timestamptz '2025-01-01' - max(ordered_at)) / 86400),
             ln(count(*)),
             ln(1 + greatest(coalesce(sum(amount), 0), 0))]::float8[] AS f
  FROM demo.orders GROUP BY customer_id;
ANALYZE cust;
CREATE TEMP TABLE cust_m AS
SELECT portrait.kmeans_fit(f, 5, '{"seed": 11, "feature_names": ["recency", "frequency", "monetary"]}') AS m FROM cust;

SELECT is((SELECT m::text FROM (SELECT portrait.kmeans_fit(f, 5, '{"seed": 11, "feature_names": ["recency", "frequency", "monetary"]}') AS m
                                  FROM (SELECT f FROM cust ORDER BY md5(customer_id::text)) s) x),
          (SELECT m::text FROM cust_m), 'the model does not depend on row order');
SELECT is((SELECT m::jsonb - 'algorithm' FROM (SELECT portrait.kmeans_fit(f, 5, '{"seed": 11, "algorithm": "lloyd", "feature_names": ["recency", "frequency", "monetary"]}') AS m FROM cust) x),
          (SELECT m::jsonb - 'algorithm' FROM cust_m), 'Hamerly bounds give the same model as plain Lloyd');
-- more centers than the vectorised plain pass holds (k * d > 64): plain Lloyd takes the portable pass
SELECT is((SELECT m::jsonb - 'algorithm' FROM (SELECT portrait.kmeans_fit(f, 70, '{"seed": 3, "n_init": 1, "algorithm": "lloyd"}') AS m FROM cust) x),
          (SELECT m::jsonb - 'algorithm' FROM (SELECT portrait.kmeans_fit(f, 70, '{"seed": 3, "n_init": 1}') AS m FROM cust) x),
          'plain Lloyd with 70 centers gives the Hamerly model');
SELECT isnt((SELECT m::jsonb -> 'centroids' FROM (SELECT portrait.kmeans_fit(f, 5, '{"seed": 12, "n_init": 1}') AS m FROM cust) x),
            (SELECT m::jsonb -> 'centroids' FROM (SELECT portrait.kmeans_fit(f, 5, '{"seed": 13, "n_init": 1}') AS m FROM cust) x),
            'the seed drives the initialisation');
SELECT is((SELECT array_agg(c ORDER BY c) FROM (SELECT portrait.kmeans_assign(f, m) AS c, count(*) AS n FROM cust, cust_m GROUP BY 1) s
            JOIN LATERAL (SELECT (m::jsonb -> 'sizes' ->> (c - 1))::bigint AS sz FROM cust_m) z ON z.sz = s.n),
          '{1,2,3,4,5}'::int[], 'kmeans_assign reproduces the model''s cluster sizes');
SELECT ok((SELECT bool_and((m::jsonb -> 'sizes' ->> j)::bigint >= (m::jsonb -> 'sizes' ->> (j + 1))::bigint)
             FROM cust_m, generate_series(0, 3) j), 'clusters are numbered by size, largest first');
SELECT ok((SELECT (m::jsonb ->> 'converged')::boolean AND (m::jsonb ->> 'iterations')::int BETWEEN 1 AND 300 FROM cust_m),
          'the fit converged within max_iter');
-- the assignment is the nearest centroid in standard units
SELECT is((SELECT count(*)::int FROM cust, cust_m,
                  LATERAL (SELECT j AS best FROM generate_series(1, 5) j,
                           LATERAL (SELECT sum(((f[i] - (m::jsonb -> 'mean' ->> (i - 1))::float8) / (m::jsonb -> 'sd' ->> (i - 1))::float8
                                                - (m::jsonb -> 'centroids_scaled' -> (j - 1) ->> (i - 1))::float8) ^ 2) AS d2
                                      FROM generate_series(1, 3) i) dd
                            ORDER BY d2, j LIMIT 1) b
            WHERE customer_id % 20 = 0 AND b.best <> portrait.kmeans_assign(f, m)), 0,
          'kmeans_assign is the nearest centroid (checked in SQL on every 20th customer)');
SELECT ok((SELECT abs((SELECT sum(portrait.kmeans_distance(f, m) ^ 2) FROM cust) / (m::jsonb ->> 'inertia')::float8 - 1) < 1e-9
             FROM cust_m), 'squared distances add up to the inertia');

-- ---------- kmeans_centroids ----------

SELECT is((SELECT count(*)::int FROM cust_m, portrait.kmeans_centroids(m)), 5, 'kmeans_centroids: one row per cluster');
SELECT ok((SELECT abs(sum(share) - 1) < 1e-12 FROM cust_m, portrait.kmeans_centroids(m)), 'shares add up to 1');
SELECT ok((SELECT bool_and(abs(c.deviation[i] - (m::jsonb -> 'centroids_scaled' -> (c.cluster - 1) ->> (i - 1))::float8) < 1e-9)
             FROM cust_m, portrait.kmeans_centroids(m) c, generate_series(1, 3) i),
          'deviations are the centroids in standard units');
SELECT ok((SELECT bool_and(label ~ '^((very )?((high|low) (frequency|monetary)|recent|lapsed))(, (very )?((high|low) (frequency|monetary)|recent|lapsed))*$' OR label = 'typical')
             FROM cust_m, portrait.kmeans_centroids(m)), 'labels are built from the feature names');
SELECT is((SELECT label FROM portrait.kmeans_centroids('{"kind": "kmeans", "format": 1, "k": 1, "dim": 3, "n": 1, "standardize": true,
           "mean": [0, 0, 0], "sd": [1, 1, 1], "centroids": [[2, -0.7, 0.1]], "centroids_scaled": [[2, -0.7, 0.1]], "sizes": [1],
           "inertia": 0, "iterations": 1, "converged": true}')), 'very high f1, low f2', 'label: strongest first, "very" from 1.5 sd');

-- ---------- options ----------

SELECT is((SELECT m::jsonb -> 'centroids' FROM (SELECT portrait.kmeans_fit(f, 2, '{"init": [[10, 10], [0, 0]], "standardize": false}') AS m FROM two) x),
          '[[10.333333333333334, 10.333333333333334], [0.3333333333333333, 0.3333333333333333]]'::jsonb,
          'explicit initial centroids: cluster j started from the j-th');
SELECT is((SELECT (m::jsonb -> 'centroids')::text || ' ' || (m::jsonb -> 'sizes')::text
             FROM (SELECT portrait.kmeans_fit(f, 2, '{"init": [[0, 0], [100, 100]], "standardize": false}') AS m FROM two) x),
          '[[0.3333333333333333, 0.3333333333333333], [10.333333333333334, 10.333333333333334]] [3, 3]',
          'an empty cluster is re-seeded with the row farthest from its centroid');
SELECT ok((SELECT abs((m::jsonb ->> 'inertia')::float8 - 8.0 / 3) < 1e-12 FROM (SELECT portrait.kmeans_fit(f, 2, '{"init": "random", "seed": 3, "standardize": false}') AS m FROM two) x),
          'random initialisation');
SELECT is((SELECT m::jsonb -> 'sd' FROM (SELECT portrait.kmeans_fit(ARRAY[f[1], 5], 2) AS m FROM two WHERE f IS NOT NULL) x), '[5.022173057773122, 0]'::jsonb,
          'a constant feature with standardize: sd 0 stored, no division by zero');
SELECT is((SELECT (m::jsonb ->> 'inertia')::float8 FROM (SELECT portrait.kmeans_fit(ARRAY[f[1], 5], 2) AS m FROM two WHERE f IS NOT NULL) x),
          (SELECT (m::jsonb ->> 'inertia')::float8 FROM (SELECT portrait.kmeans_fit(ARRAY[f[1]], 2) AS m FROM two WHERE f IS NOT NULL) x),
          'a constant feature adds nothing to the inertia');
SELECT ok((SELECT portrait.kmeans_fit(f, 2) FROM two WHERE false) IS NULL, 'no rows: NULL');
SELECT ok((SELECT portrait.kmeans_fit(f, 2) FROM two WHERE f IS NULL) IS NULL, 'only NULL rows: NULL');
SELECT is((SELECT (m::jsonb ->> 'k')::int FROM (SELECT portrait.kmeans_fit(f, 1) AS m FROM two) x), 1, 'k = 1 is allowed');

-- ---------- errors ----------

SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 2) FROM (VALUES ('{1,NULL}'::float8[])) v(f)$$,
                 '22004', 'features must not contain NULL elements', 'a NULL element: 22004');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 2) FROM (VALUES ('{1,NaN}'::float8[])) v(f)$$,
                 '22000', 'features must hold finite numbers, not NaN', 'NaN: 22000');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 2) FROM (VALUES ('{1,-Infinity}'::float8[])) v(f)$$,
                 '22000', 'features must hold finite numbers, not -Infinity', 'Infinity: 22000');
SELECT is(pg_temp.err($$SELECT portrait.kmeans_fit(f, 2) FROM (VALUES (1, '{1,2}'::float8[]), (2, '{1,2,3}')) v(i, f)$$),
          '22000: all rows must have the same number of values | A row has 3 values where earlier rows had 2. | ',
          'rows of different lengths: 22000 naming both lengths');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 0) FROM two$$, '22023', 'k must be between 1 and 10000, not 0', 'k < 1: 22023');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, NULL) FROM two$$, '22004', 'k must not be NULL', 'NULL k: 22004');
SELECT is(pg_temp.err($$SELECT portrait.kmeans_fit(f, 3) FROM (VALUES ('{1,2}'::float8[]), ('{1,2}'), ('{3,4}')) v(f)$$),
          '22023: k = 3 is larger than the number of distinct rows, 2 |  | Choose a k no larger than the number of distinct feature vectors.',
          'k > distinct rows: 22023 with a hint');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 2, '{"n_init": 0}') FROM two$$, '22023', 'option "n_init" of kmeans_fit must be an integer from 1 to 1000', 'n_init 0: 22023');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 2, '{"colour": 1}') FROM two$$, '0A000', 'unsupported option "colour" of kmeans_fit', 'unknown option: 0A000');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 2, '{"init": [[1, 2, 3], [4, 5, 6]]}') FROM two$$, '22023',
                 'initial centroids must be 2 rows of 2 values, not 2 rows of 3', 'initial centroids of the wrong shape: 22023');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 2, '{"feature_names": ["a"]}') FROM two$$, '22023',
                 'feature_names must hold 2 names, not 1', 'wrong number of feature names: 22023');
SELECT throws_ok($$SELECT portrait.kmeans_assign('{1,2,3}', m) FROM two_m$$, '22023',
                 'features has 3 values but the model was fitted on 2', 'assign with another feature count: 22023');
SELECT throws_ok($$SELECT portrait.kmeans_assign('{1,2}', '{"kind": "rfm", "format": 1, "buckets": 2, "n": 1, "recency": [1], "frequency": [1], "monetary": [1], "mean_score": [1, 1, 1]}')$$,
                 '22023', 'kmeans_assign expects a kmeans model, not a rfm model', 'a model of another kind: 22023');
SELECT throws_ok($$SELECT '{"kind": "kmeans", "format": 1, "k": 2, "dim": 1, "n": 2, "standardize": false, "mean": [0], "sd": [1],
                   "centroids": [[1]], "centroids_scaled": [[1]], "sizes": [1, 1], "inertia": 0, "iterations": 1, "converged": true}'::portrait.model$$,
                 '22P02', 'invalid portrait.model', 'malformed model text: 22P02');
SET LOCAL portrait.kmeans_memory_limit = '64kB';
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 5) FROM cust$$, '54000',
                 'kmeans_fit needs more memory than portrait.kmeans_memory_limit allows', 'over the memory budget: 54000');
RESET portrait.kmeans_memory_limit;

-- ---------- silhouette and choosing k ----------

CREATE TEMP VIEW pts AS SELECT id, f, portrait.kmeans_assign(f, m) AS c FROM two, two_m WHERE f IS NOT NULL;

SELECT is((SELECT row(s.n, s.rows_used, s.exact)::text FROM (SELECT (portrait.silhouette(f, portrait.kmeans_assign(f, m))).* FROM two, two_m) s),
          '(6,6,t)', 'silhouette: exact on small inputs, NULL rows skipped');
SELECT ok((SELECT abs((SELECT (portrait.silhouette(f, portrait.kmeans_assign(f, m))).silhouette FROM two, two_m) - avg((b - a) / greatest(a, b))) < 1e-12
             FROM (SELECT p.id,
                          (SELECT avg(sqrt((p.f[1] - q.f[1]) ^ 2 + (p.f[2] - q.f[2]) ^ 2)) FROM pts q WHERE q.c = p.c AND q.id <> p.id) AS a,
                          (SELECT min(md) FROM (SELECT avg(sqrt((p.f[1] - q.f[1]) ^ 2 + (p.f[2] - q.f[2]) ^ 2)) AS md
                                                   FROM pts q WHERE q.c <> p.c GROUP BY q.c) o) AS b
                     FROM pts p) s),
          'silhouette equals its definition computed in SQL');
SELECT is((SELECT row(s.n, s.rows_used, s.exact)::text FROM (SELECT (portrait.silhouette(f, portrait.kmeans_assign(f, m), 1000)).* FROM cust, cust_m) s),
          '(50000,1000,f)', 'silhouette above max_exact: a sample, and the output says so');
SELECT is((SELECT (portrait.silhouette(f, c, 1000)).silhouette FROM (SELECT f, portrait.kmeans_assign(f, m) AS c FROM cust, cust_m ORDER BY md5(f::text)) s),
          (SELECT (portrait.silhouette(f, portrait.kmeans_assign(f, m), 1000)).silhouette FROM cust, cust_m),
          'the sampled silhouette does not depend on row order');
SELECT throws_ok($$SELECT portrait.silhouette(f, 1) FROM two$$, '22023', 'silhouette needs at least 2 clusters, not 1',
                 'silhouette of one cluster: 22023');
SELECT throws_ok($$SELECT portrait.silhouette(f, 1, 1) FROM two$$, '22023', 'max_exact must be between 2 and 100000, not 1',
                 'silhouette with a bad max_exact: 22023');
-- one statement compares k: inertia falls with k, silhouette peaks at the true k
SELECT is((SELECT array_agg(k ORDER BY sil DESC) FROM (
             SELECT k, (s).silhouette AS sil
               FROM generate_series(2, 4) k,
                    LATERAL (SELECT portrait.kmeans_fit(f, k, '{"seed": 1, "standardize": false}') AS m
                               FROM kmeans_ref.points WHERE dataset = 'blobs') fit,
                    LATERAL (SELECT portrait.silhouette(portrait.kmeans_scale(f, fit.m), portrait.kmeans_assign(f, fit.m)) AS s
                               FROM kmeans_ref.points WHERE dataset = 'blobs') sil) x),
          '{4,3,2}'::int[], 'comparing k in one statement: the silhouette ranks the true k = 4 first on blobs');
SELECT is((SELECT portrait.kmeans_scale('{10,11}', m) FROM two_m), '{10,11}'::float8[],
          'kmeans_scale without standardize is the identity');

-- ---------- parallel plans: the same model as a serial one ----------

-- a plain table (temporary ones cannot be read by parallel workers)
CREATE TABLE km_par AS SELECT customer_id, f FROM cust;
ANALYZE km_par;
CREATE TEMP TABLE serial_m AS
SELECT portrait.kmeans_fit(f, 6, '{"seed": 5, "feature_names": ["recency", "frequency", "monetary"]}') AS m FROM km_par;
CREATE TEMP TABLE serial_sizes AS SELECT portrait.kmeans_assign(f, m) AS c, count(*) AS n FROM km_par, serial_m GROUP BY 1;

CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.kmeans_fit(f, 6, '{"seed": 5}') FROM km_par$$),
               'Partial Aggregate', 'kmeans_fit runs as a partial aggregate in parallel workers');
SELECT is((SELECT portrait.kmeans_fit(f, 6, '{"seed": 5, "feature_names": ["recency", "frequency", "monetary"]}')::text FROM km_par),
          (SELECT m::text FROM serial_m), 'parallel kmeans_fit gives the identical model');
SELECT matches(test_helpers.plan_of($$SELECT portrait.kmeans_assign(f, m), count(*) FROM km_par, serial_m GROUP BY 1$$),
               'Parallel Seq Scan', 'kmeans_assign runs in parallel workers');
SELECT set_eq($$SELECT portrait.kmeans_assign(f, m), count(*) FROM km_par, serial_m GROUP BY 1$$,
              $$SELECT c, n FROM serial_sizes$$, 'parallel kmeans_assign: the same segments as serial');
SELECT matches(test_helpers.plan_of((SELECT format('SELECT portrait.kmeans_step(f, %L::portrait.model) FROM km_par', m) FROM serial_m)),
               'Partial Aggregate', 'kmeans_train''s step runs as a partial aggregate in parallel workers');
SELECT matches(test_helpers.plan_of($$SELECT portrait.kmeans_stats(f) FROM km_par$$),
               'Partial Aggregate', 'kmeans_train''s statistics run as a partial aggregate in parallel workers');
CREATE TEMP TABLE par_train AS SELECT portrait.kmeans_train('km_par'::regclass, 'f', 6, '{"seed": 5}') AS m;
CALL test_helpers.reset_parallel();
-- partial states move between nodes as text, options included
SELECT is('2;5;2;1,2,3,4;{"seed": 1}'::portrait.points::text, '2;5;2;1,2,3,4;{"seed": 1}',
          'a kmeans_fit state with its options reads back from text');

-- ---------- kmeans_train: the streaming trainer ----------

CREATE TEMP TABLE train_m AS SELECT portrait.kmeans_train('km_par'::regclass, 'f', 6, '{"seed": 5}') AS m;
SELECT is((SELECT m::jsonb ->> 'trainer' FROM train_m), 'kmeans_train', 'kmeans_train makes a kmeans model');
SELECT cmp_ok((SELECT abs((t.m::jsonb ->> 'inertia')::float8 / (s.m::jsonb ->> 'inertia')::float8 - 1) FROM train_m t, serial_m s),
              '<=', 0.01::float8, 'kmeans_train: inertia within 1% of kmeans_fit''s (sample of 100000: all rows)');
SELECT cmp_ok((SELECT abs((t.m::jsonb ->> 'inertia')::float8 / (s.m::jsonb ->> 'inertia')::float8 - 1)
                 FROM (SELECT portrait.kmeans_train('km_par'::regclass, 'f', 6, '{"seed": 5, "sample_size": 2000}') AS m) t, serial_m s),
              '<=', 0.01::float8, 'kmeans_train from a 2000-row sample: inertia within 1% of kmeans_fit''s');
SELECT ok((SELECT abs((t.m::jsonb ->> 'inertia')::float8 / (p.m::jsonb ->> 'inertia')::float8 - 1) < 1e-9 FROM train_m t, par_train p),
          'kmeans_train with parallel workers: the same inertia (1e-9 relative)');
SELECT is((SELECT sum(x::bigint) FROM train_m, jsonb_array_elements_text(m::jsonb -> 'sizes') x), 50000::numeric,
          'kmeans_train: sizes count every row');
SELECT ok((SELECT abs((portrait.kmeans_train('SELECT f AS "my f" FROM km_par', 'my f', 6, '{"seed": 5}')::jsonb ->> 'inertia')::float8
                      / (m::jsonb ->> 'inertia')::float8 - 1) < 1e-9 FROM train_m),
          'kmeans_train over a query, with a quoted column name: the same fit');
SELECT ok((SELECT abs((portrait.kmeans_train('km_par', 'f', 6, '{"seed": 5}')::jsonb ->> 'inertia')::float8
                      / (m::jsonb ->> 'inertia')::float8 - 1) < 1e-9 FROM train_m),
          'kmeans_train over a table named as text: the same fit');
SELECT ok((SELECT portrait.kmeans_train('SELECT f FROM km_par WHERE false', 'f', 3)) IS NULL, 'kmeans_train of no rows: NULL');
SELECT throws_ok($$SELECT portrait.kmeans_train('km_par'::regclass, 'f) FROM km_par; DROP TABLE km_par; --', 3)$$, '42703', NULL,
                 'kmeans_train quotes the column name: an injection attempt is just an unknown column');
SELECT has_table('km_par', 'the table survived the injection attempt');
SELECT throws_ok($$SELECT portrait.kmeans_train('km_par'::regclass, 'f', 0)$$, '22023', 'k must be between 1 and 10000, not 0',
                 'kmeans_train with k < 1: 22023');
SELECT throws_ok($$SELECT portrait.kmeans_train('km_par'::regclass, 'f', 3, '{"sample_size": 5}')$$, '22023', 'option "sample_size" of kmeans_train must be an integer from 1000 to 2147483647',
                 'kmeans_train with a bad sample_size: 22023');
CREATE ROLE km_nopriv;
GRANT USAGE ON SCHEMA portrait TO km_nopriv;
SET LOCAL ROLE km_nopriv;
SELECT throws_ok($$SELECT portrait.kmeans_train('km_par'::regclass, 'f', 3)$$, '42501', NULL,
                 'kmeans_train runs with the caller''s privileges');
RESET ROLE;

-- ---------- cancel: statement_timeout stops a long fit at once ----------

CREATE TEMP TABLE big AS
SELECT ARRAY[sin(i), cos(i * 1.7), sin(i * 0.3), cos(i * 2.9), sin(i * 5.1), cos(i * 0.11), sin(i * 1.3), cos(i)]::float8[] AS f
  FROM generate_series(1, 200000) i;
CREATE FUNCTION pg_temp.cancelled_after() RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM portrait.kmeans_fit(f, 200, '{"n_init": 100, "tol": 0, "max_iter": 100000, "algorithm": "lloyd"}') FROM big;
    RETURN -1;
EXCEPTION WHEN query_canceled THEN
    RETURN extract(epoch FROM clock_timestamp() - t0);
END $$;
SET LOCAL statement_timeout = '500ms';
SELECT pg_temp.cancelled_after() AS secs \gset
RESET statement_timeout;
-- uncancelled, this fit runs for hours (100 inits, no tolerance): stopping
-- within seconds of the timeout shows the interrupt checks on any machine,
-- however fast or slow
SELECT ok(:secs > 0 AND :secs < 5, 'statement_timeout of 0.5 s stops a long fit within seconds (took ' || :secs || ' s)');

-- values whose mean or variance overflows: the message is about the features
SELECT throws_ok($$SELECT portrait.kmeans_fit(ARRAY[1e308, 1], 1) FROM generate_series(1, 3)$$, '22003',
                 'feature 1 is out of range for k-means', 'a feature whose mean overflows: 22003');
SELECT throws_ok($$SELECT portrait.kmeans_fit(f, 1) FROM (VALUES (ARRAY[1, 1e308]::float8[]), (ARRAY[2, -1e308])) v(f)$$, '22003',
                 'feature 2 is out of range for k-means', 'a feature whose variance overflows: 22003');
SELECT is((SELECT string_agg(label, ' | ' ORDER BY cluster) FROM portrait.kmeans_centroids(
             (SELECT portrait.kmeans_fit(ARRAY[r, m], 2, '{"seed": 1, "feature_names": ["recency", "monetary"]}')
                FROM (VALUES (1.0, 100.0), (2, 110), (1, 105), (300, 10), (310, 12), (305, 11)) v(r, m)))),
          'recent, high monetary | lapsed, low monetary', 'a recency feature reads recent or lapsed');
SELECT * FROM finish();
ROLLBACK;
