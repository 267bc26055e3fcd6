-- DBSCAN: labels equal to scikit-learn's on the reference sets (fixture
-- test/fixtures/dbscan.sql), border points, assignment, order and plan
-- independence, and every documented error.
BEGIN;
SELECT plan(32);

-- fit every reference run; labels compared after a canonical relabelling:
-- a cluster is named by the lowest id in it, noise stays -1
CREATE TEMP TABLE db_runs AS
SELECT r.dataset, r.eps, r.min_samples, r.standardize,
       (SELECT portrait.dbscan_fit(p.id, p.features, r.eps, r.min_samples,
               jsonb_build_object('standardize', r.standardize))
        FROM dbscan_ref_points p WHERE p.dataset = r.dataset) AS m
FROM (SELECT DISTINCT dataset, eps, min_samples, standardize FROM dbscan_ref_labels) r;

CREATE TEMP VIEW db_canon AS
WITH ours AS (
    SELECT f.dataset, f.eps, f.min_samples, f.standardize, l.key AS id, l.cluster AS label
    FROM db_runs f, portrait.dbscan_labels(f.m) l)
SELECT r.dataset, r.eps, r.min_samples, r.standardize, r.id,
       CASE WHEN r.label < 0 THEN -1 ELSE min(r.id) OVER w END AS ref,
       CASE WHEN o.label < 0 THEN -1 ELSE min(o.id) OVER v END AS got,
       o.label AS label, r.label AS ref_label
FROM dbscan_ref_labels r LEFT JOIN ours o USING (dataset, eps, min_samples, standardize, id)
WINDOW w AS (PARTITION BY r.dataset, r.eps, r.min_samples, r.standardize, r.label),
       v AS (PARTITION BY r.dataset, r.eps, r.min_samples, r.standardize, o.label);

SELECT is((SELECT count(*) FROM db_runs WHERE m IS NOT NULL), 12::bigint, 'twelve reference runs fitted');
SELECT is((SELECT count(*) FROM db_canon WHERE got IS DISTINCT FROM ref), 0::bigint,
          'labels equal scikit-learn''s up to numbering on every reference run (blobs, moons with noise, 5-d, grids)');
SELECT is((SELECT count(*) FROM db_canon WHERE label IS DISTINCT FROM ref_label + CASE WHEN ref_label < 0 THEN 0 ELSE 1 END),
          0::bigint, 'clusters are numbered as scikit-learn numbers them, plus one (order of first core point by key)');
SELECT is((SELECT count(*) FROM db_canon WHERE dataset = 'moons_noise' AND eps = 0.1 AND got = -1), 76::bigint,
          'moons with noise: the 76 noise points scikit-learn finds');
SELECT is((SELECT (m->>'n_clusters')::int FROM (SELECT m::jsonb AS m FROM db_runs WHERE dataset = 'blobs5d' AND eps = 0.6) s),
          5, 'five-dimensional blobs, standardized: five clusters');

-- the bridge point (id 145) is within eps of core points of both grids,
-- nearer to the second's: the fit gives it to the first cluster to reach it
SELECT is((SELECT l.cluster FROM db_runs f, portrait.dbscan_labels(f.m) l
           WHERE f.dataset = 'grid' AND f.eps = 1.5 AND f.min_samples = 6 AND l.key = 145), 1,
          'a border point reachable from two clusters belongs to the first expanded (lowest-numbered)');
SELECT is((SELECT l.core FROM db_runs f, portrait.dbscan_labels(f.m) l
           WHERE f.dataset = 'grid' AND f.eps = 1.5 AND f.min_samples = 6 AND l.key = 145), false,
          'the bridge point is a border point');
SELECT is((SELECT portrait.dbscan_assign('{12.2,2}', m) FROM db_runs WHERE dataset = 'grid' AND eps = 1.5 AND min_samples = 6), 2,
          'dbscan_assign gives the cluster of the nearest core point (the second grid)');
SELECT is((SELECT portrait.dbscan_assign('{100,100}', m) FROM db_runs WHERE dataset = 'grid' AND eps = 1.5 AND min_samples = 6), -1,
          'dbscan_assign: no core point within eps is noise');
SELECT is((SELECT count(*) FROM db_runs f, portrait.dbscan_labels(f.m) l, dbscan_ref_points p
           WHERE f.dataset = 'moons_noise' AND f.eps = 0.15 AND p.dataset = f.dataset AND p.id = l.key AND l.core
             AND portrait.dbscan_assign(p.features, f.m) <> l.cluster), 0::bigint,
          'dbscan_assign of a core point (standardized model) is its own cluster');
SELECT is((SELECT count(*) FILTER (WHERE core) FROM db_runs f, portrait.dbscan_labels(f.m) l WHERE f.dataset = 'grid' AND f.eps = 1.5 AND f.min_samples = 1),
          145::bigint, 'min_samples = 1: every point is a core point');

-- row order and the plan do not matter
SELECT is((SELECT portrait.dbscan_fit(id, features, 0.1, 5, '{"standardize": false}')::text
           FROM (SELECT * FROM dbscan_ref_points WHERE dataset = 'moons_noise' ORDER BY md5(id::text)) s),
          (SELECT m::text FROM db_runs WHERE dataset = 'moons_noise' AND eps = 0.1), 'the model does not depend on row order');
CREATE TABLE db_par AS SELECT id, features FROM dbscan_ref_points WHERE dataset = 'blobs5d';
ANALYZE db_par;
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.dbscan_fit(id, features, 0.6, 6) FROM db_par$$),
               'Partial Aggregate', 'dbscan_fit runs as a partial aggregate in parallel workers');
SELECT is((SELECT portrait.dbscan_fit(id, features, 0.6, 6)::text FROM db_par),
          (SELECT m::text FROM db_runs WHERE dataset = 'blobs5d' AND eps = 0.6), 'parallel dbscan_fit gives the identical model');
CALL test_helpers.reset_parallel();
SELECT is((SELECT m::text::portrait.model::text FROM db_runs WHERE dataset = 'grid' AND eps = 1.0 AND min_samples = 5),
          (SELECT m::text FROM db_runs WHERE dataset = 'grid' AND eps = 1.0 AND min_samples = 5), 'the model''s text form round-trips');

-- NULL and empty input
SELECT ok((SELECT portrait.dbscan_fit(id, features, 1, 2) FROM dbscan_ref_points WHERE false) IS NULL, 'no rows: NULL');
SELECT is((SELECT (portrait.dbscan_fit(i, CASE WHEN i % 2 = 0 THEN ARRAY[i::float8] END, 1.5, 2)::jsonb->>'n')::int
           FROM generate_series(1, 10) i), 5, 'rows with NULL features are skipped');
SELECT is((SELECT (portrait.dbscan_fit(i, ARRAY[i::float8], 1, 2)::jsonb->>'n_noise')::int FROM generate_series(1, 1) i), 1,
          'a single point with min_samples 2 is noise');

-- errors
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8], 0, 2) FROM generate_series(1, 3) i$$,
                 '22023', 'eps must be a positive finite number, not 0', 'eps = 0');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8], -1, 2) FROM generate_series(1, 3) i$$,
                 '22023', NULL, 'eps < 0');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8], 'NaN', 2) FROM generate_series(1, 3) i$$,
                 '22023', NULL, 'eps NaN');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8], NULL, 2) FROM generate_series(1, 3) i$$,
                 '22004', 'eps must not be NULL', 'eps NULL');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8], 1, 0) FROM generate_series(1, 3) i$$,
                 '22023', 'min_samples must be at least 1, not 0', 'min_samples < 1');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8, 'Infinity'], 1, 2) FROM generate_series(1, 3) i$$,
                 '22000', NULL, 'a non-finite feature');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8, NULL], 1, 2) FROM generate_series(1, 3) i$$,
                 '22004', NULL, 'a NULL element in the features');
SELECT throws_ok($$SELECT portrait.dbscan_fit(NULL::bigint, ARRAY[i::float8], 1, 2) FROM generate_series(1, 3) i$$,
                 '22004', 'key must not be NULL', 'a NULL key');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, CASE WHEN i = 2 THEN ARRAY[1, 2]::float8[] ELSE ARRAY[1]::float8[] END, 1, 2) FROM generate_series(1, 3) i$$,
                 '22000', 'all rows must have the same number of values', 'features of different lengths');
SELECT throws_ok($$SELECT portrait.dbscan_assign('{1,2,3}', m) FROM db_runs WHERE dataset = 'grid' AND eps = 1.0 AND min_samples = 4$$,
                 '22000', 'features have 3 values but the model has 2', 'dbscan_assign: dimension mismatch');
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8], 1, 2, '{"metric": "l1"}') FROM generate_series(1, 3) i$$,
                 '0A000', NULL, 'an unknown option');
SET LOCAL portrait.fit_memory_limit = 64;
SELECT throws_ok($$SELECT portrait.dbscan_fit(i, ARRAY[i::float8, 1], 1, 2) FROM generate_series(1, 3000) i$$,
                 '54000', NULL, 'more rows than the fit memory budget allows');
RESET portrait.fit_memory_limit;
SELECT throws_ok($$SELECT portrait.dbscan_fit_final('3;2;1;1e300,6,1;0.5 1'::portrait.points)$$,
                 '22023', 'malformed dbscan_fit state', 'a state typed in with a key that is no bigint');
SELECT throws_ok($$SELECT portrait.dbscan_fit_final('3;2;1;1,6,1;-1 1'::portrait.points)$$,
                 '22023', NULL, 'a state typed in with a negative eps');

SELECT * FROM finish();
ROLLBACK;
