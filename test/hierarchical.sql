-- Hierarchical clustering: scipy's linkage matrices and fcluster cuts on the
-- reference sets (fixture test/fixtures/hierarchical.sql), the two-step form,
-- order and plan independence, and every documented error.
BEGIN;
SELECT plan(32);

CREATE TEMP TABLE hc_runs AS
SELECT r.dataset, r.method, r.standardize,
       (SELECT portrait.hclust_fit(p.id, p.features, r.method, jsonb_build_object('standardize', r.standardize))
          FROM hclust_ref_points p WHERE p.dataset = r.dataset) AS m
FROM (SELECT DISTINCT dataset, method, standardize FROM hclust_ref_merges) r;

CREATE TEMP VIEW hc_merges AS
SELECT r.dataset, r.method, r.standardize, o.step, o.cluster_a, o.cluster_b, o.height, o.size,
       g.a, g.b, g.height AS ref_height, g.size AS ref_size
FROM hc_runs r CROSS JOIN LATERAL portrait.hclust_merges(r.m) o
JOIN hclust_ref_merges g ON (g.dataset, g.method, g.standardize, g.step) = (r.dataset, r.method, r.standardize, o.step);

SELECT is((SELECT count(*) FROM hc_runs WHERE m IS NOT NULL), 14::bigint, 'fourteen reference runs fitted');
SELECT is((SELECT count(*) FROM hc_merges), (SELECT count(*) FROM hclust_ref_merges), 'a merge row per scipy linkage row');
SELECT ok((SELECT bool_and(abs(height - ref_height) <= 1e-12 * greatest(ref_height, 1)) FROM hc_merges WHERE method = 'ward'),
          'ward: merge heights equal scipy''s (relative 1e-12)');
SELECT ok((SELECT bool_and(abs(height - ref_height) <= 1e-12 * greatest(ref_height, 1)) FROM hc_merges WHERE method = 'complete'),
          'complete: merge heights equal scipy''s');
SELECT ok((SELECT bool_and(abs(height - ref_height) <= 1e-12 * greatest(ref_height, 1)) FROM hc_merges WHERE method = 'average'),
          'average: merge heights equal scipy''s');
SELECT ok((SELECT bool_and(abs(height - ref_height) <= 1e-12 * greatest(ref_height, 1)) FROM hc_merges WHERE method = 'single'),
          'single: merge heights equal scipy''s');
SELECT is((SELECT count(*) FROM hc_merges WHERE (cluster_a, cluster_b, size) IS DISTINCT FROM (a, b, ref_size)), 0::bigint,
          'cluster ids and sizes of every merge equal scipy''s linkage matrix');

-- cuts, compared after a canonical relabelling (a cluster named by its lowest id)
CREATE TEMP VIEW hc_cuts AS
WITH ours AS (
    SELECT c.dataset, c.method, c.standardize, c.k, c.height, l.key AS id, l.cluster AS label
    FROM (SELECT DISTINCT dataset, method, standardize, k, height FROM hclust_ref_cuts) c
    JOIN hc_runs r USING (dataset, method, standardize)
    CROSS JOIN LATERAL (SELECT * FROM portrait.hclust_cut(r.m, c.k) WHERE c.k IS NOT NULL
                        UNION ALL SELECT * FROM portrait.hclust_cut_height(r.m, c.height) WHERE c.height IS NOT NULL) l),
co AS (SELECT *, min(id) OVER (PARTITION BY dataset, method, standardize, k, height, label) AS c FROM ours),
cr AS (SELECT *, min(id) OVER (PARTITION BY dataset, method, standardize, k, height, label) AS c FROM hclust_ref_cuts)
SELECT cr.*, co.c AS got, cr.c AS ref, co.label AS our_label
FROM cr LEFT JOIN co ON (co.dataset, co.method, co.standardize, co.id) = (cr.dataset, cr.method, cr.standardize, cr.id)
 AND co.k IS NOT DISTINCT FROM cr.k AND co.height IS NOT DISTINCT FROM cr.height;

SELECT is((SELECT count(*) FILTER (WHERE got IS DISTINCT FROM ref) FROM hc_cuts WHERE k = 4), 0::bigint,
          'hclust_cut at 4 clusters equals fcluster maxclust up to numbering');
SELECT is((SELECT count(*) FILTER (WHERE got IS DISTINCT FROM ref) FROM hc_cuts WHERE height IS NOT NULL), 0::bigint,
          'hclust_cut_height equals fcluster distance up to numbering');
SELECT is((SELECT count(DISTINCT our_label) FROM hc_cuts WHERE k = 4 AND dataset = 'blobs3d' AND method = 'ward'), 4::bigint,
          'a cut at k gives k clusters');
SELECT is((SELECT our_label FROM hc_cuts WHERE k = 4 AND dataset = 'blobs3d' AND method = 'ward' AND id = 1), 1,
          'clusters are numbered in the order of their lowest key');
SELECT is((SELECT count(DISTINCT l.cluster) FROM hc_runs r, portrait.hclust_cut(r.m, 1) l WHERE dataset = 'uniform2d' AND method = 'single'),
          1::bigint, 'a cut at 1 cluster');
SELECT is((SELECT count(DISTINCT l.cluster) FROM hc_runs r, portrait.hclust_cut_height(r.m, 0) l WHERE dataset = 'uniform2d' AND method = 'single'),
          200::bigint, 'a cut below the lowest merge: every row alone');

-- order and plan independence, text form
SELECT is((SELECT portrait.hclust_fit(id, features, 'average', '{"standardize": false}')::text
           FROM (SELECT * FROM hclust_ref_points WHERE dataset = 'uniform2d' ORDER BY md5(id::text)) s),
          (SELECT m::text FROM hc_runs WHERE dataset = 'uniform2d' AND method = 'average'), 'the model does not depend on row order');
CREATE TABLE hc_par AS SELECT id, features FROM hclust_ref_points WHERE dataset = 'blobs3d';
ANALYZE hc_par;
CALL test_helpers.force_parallel();
SELECT matches(test_helpers.plan_of($$SELECT portrait.hclust_fit(id, features, 'ward') FROM hc_par$$),
               'Partial Aggregate', 'hclust_fit runs as a partial aggregate in parallel workers');
SELECT is((SELECT portrait.hclust_fit(id, features, 'ward', '{"standardize": false}')::text FROM hc_par),
          (SELECT m::text FROM hc_runs WHERE dataset = 'blobs3d' AND method = 'ward'), 'parallel hclust_fit gives the identical model');
CALL test_helpers.reset_parallel();
SELECT is((SELECT m::text::portrait.model::text FROM hc_runs WHERE dataset = 'skewed5d' AND method = 'ward' AND standardize),
          (SELECT m::text FROM hc_runs WHERE dataset = 'skewed5d' AND method = 'ward' AND standardize), 'the model''s text form round-trips');

-- two-step: Ward on k-means clusters weighted by their sizes; with one row
-- per cluster (k = n) it is the exact fit
SELECT is((SELECT array_agg(round(height::numeric, 9) ORDER BY step) FROM portrait.hclust_merges(
              portrait.hclust_kmeans((SELECT portrait.kmeans_fit(features, 300, '{"n_init": 1, "standardize": false}') FROM hclust_ref_points WHERE dataset = 'blobs3d')))),
          (SELECT array_agg(round(height::numeric, 9) ORDER BY step) FROM portrait.hclust_merges((SELECT m FROM hc_runs WHERE dataset = 'blobs3d' AND method = 'ward'))),
          'hclust_kmeans with a cluster per row gives the exact Ward heights');
SELECT is((SELECT max(size) FROM portrait.hclust_merges(
              portrait.hclust_kmeans((SELECT portrait.kmeans_fit(features, 20, '{"seed": 1}') FROM hclust_ref_points WHERE dataset = 'blobs3d')))),
          300::bigint, 'hclust_kmeans: sizes count the rows of the micro-clusters');

-- NULL, empty input and errors
SELECT ok((SELECT portrait.hclust_fit(id, features, 'ward') FROM hclust_ref_points WHERE false) IS NULL, 'no rows: NULL');
SELECT is((SELECT (portrait.hclust_fit(i, CASE WHEN i % 2 = 0 THEN ARRAY[i::float8] END, 'single')::jsonb->>'n')::int
           FROM generate_series(1, 10) i), 5, 'rows with NULL features are skipped');
SELECT throws_ok($$SELECT portrait.hclust_fit(i, ARRAY[i::float8], 'centroid') FROM generate_series(1, 3) i$$,
                 '22023', 'unknown linkage method "centroid"', 'an unknown method');
SELECT throws_ok($$SELECT portrait.hclust_fit(i, ARRAY[i::float8, 'NaN'], 'ward') FROM generate_series(1, 3) i$$,
                 '22000', NULL, 'a non-finite feature');
SELECT throws_ok($$SELECT portrait.hclust_fit(i, CASE WHEN i = 2 THEN ARRAY[1, 2]::float8[] ELSE ARRAY[1]::float8[] END, 'ward') FROM generate_series(1, 3) i$$,
                 '22000', 'all rows must have the same number of values', 'features of different lengths');
SELECT throws_ok($$SELECT portrait.hclust_fit(i, ARRAY[i::float8], 'ward') FROM generate_series(1, 50001) i$$,
                 '54000', 'hclust_fit takes at most 50000 rows, not 50001', 'more rows than the exact limit');
SELECT throws_ok($$SELECT portrait.hclust_cut(m, 0) FROM hc_runs WHERE dataset = 'uniform2d' AND method = 'ward'$$,
                 '22023', NULL, 'a cut at k = 0');
-- complete and average linkage keep the distance matrix: over the budget the
-- hint gives the exact budget they need (2000 rows: 2000 x 152 bytes and
-- 1999000 distances, 16296000 bytes = 15915 kB) and the two-step form
CREATE FUNCTION pg_temp.budget_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE m text; d text; h text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN program_limit_exceeded THEN
    GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN m || ' / ' || d || ' / ' || h;
END $$;
SET LOCAL portrait.fit_memory_limit = 1024;
SELECT throws_ok($$SELECT portrait.hclust_fit(i, ARRAY[i::float8], 'complete') FROM generate_series(1, 2000) i$$,
                 '54000', NULL, 'complete linkage''s distance matrix over the fit memory budget');
SET LOCAL portrait.fit_memory_limit = 15914;
SELECT is(pg_temp.budget_error($$SELECT portrait.hclust_fit(i, ARRAY[i::float8], 'average') FROM generate_series(1, 2000) i$$),
          'hclust_fit with average linkage needs more memory than portrait.fit_memory_limit allows / '
          'It needs 15915 kB; the limit is 15914 kB. / '
          'Average linkage keeps the n (n - 1) / 2 distances between the rows. '
          'Raise portrait.fit_memory_limit to at least 15915 kB (SET portrait.fit_memory_limit = ''15915kB''), '
          'or use the two-step form: hclust_kmeans(kmeans_fit(features, 2000), ''average''), '
          'then kmeans_assign and hclust_cut; see doc/clustering.md.',
          'average linkage over the budget: the hint names the budget needed and the two-step form');
SET LOCAL portrait.fit_memory_limit = 15915;
SELECT is((SELECT portrait.hclust_fit(i, ARRAY[i::float8], 'complete')::jsonb->>'n' FROM generate_series(1, 2000) i),
          '2000', 'complete linkage fits with exactly the budget the hint names');
SET LOCAL portrait.fit_memory_limit = 1024;
SELECT is((SELECT portrait.hclust_fit(i, ARRAY[i::float8], 'ward')::jsonb->>'n' FROM generate_series(1, 2000) i),
          '2000', 'ward needs no distance matrix: it fits where complete linkage does not');
SELECT is((SELECT portrait.hclust_fit(i, ARRAY[i::float8], 'single')::jsonb->>'n' FROM generate_series(1, 2000) i),
          '2000', 'nor does single linkage');
RESET portrait.fit_memory_limit;
SELECT throws_ok($$SELECT portrait.hclust_fit_final('3;9;1;5,6,1;1'::portrait.points)$$,
                 '22023', 'malformed hclust_fit state', 'a state typed in with an unknown method');

SELECT * FROM finish();
ROLLBACK;
