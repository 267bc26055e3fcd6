-- portrait.fit_memory_limit: every aggregate that collects its input rows
-- (portrait.points) stops with 54000 before it allocates more than the
-- setting allows, and says how much it needed.
BEGIN;
SELECT plan(26);

SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL portrait.fit_memory_limit = '64kB';
-- 64 kB hold 2730 rows of 3 values, 2048 rows of 4 values

SELECT is(current_setting('portrait.fit_memory_limit'), '64kB', 'the setting takes memory units');

SELECT throws_ok($$SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM generate_series(1, 5000) g$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'rfm_breaks over the budget: 54000');
SELECT throws_ok($$SELECT portrait.kmeans_fit(ARRAY[g % 13, g % 7]::float8[], 3) FROM generate_series(1, 5000) g$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'kmeans_fit over the shared budget (its own kmeans_memory_limit is larger): 54000');
SELECT throws_ok($$SELECT portrait.silhouette(ARRAY[g % 13, g % 7]::float8[], g % 3) FROM generate_series(1, 5000) g$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'silhouette over the budget: 54000');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(g % 5, g % 5 * 2, 20) FROM generate_series(1, 5000) g$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'bgnbd_fit over the budget: 54000');
SELECT throws_ok($$SELECT portrait.gamma_gamma_fit(1 + g % 5, 10 + g % 7) FROM generate_series(1, 5000) g$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'gamma_gamma_fit over the budget: 54000');
SELECT throws_ok($$SELECT portrait.logit_fit(g % 3 = 0, ARRAY[g % 11, g % 5]::float8[]) FROM generate_series(1, 5000) g$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'logit_fit over the budget: 54000');
SELECT throws_ok($$SELECT portrait.auc(g % 100 / 100.0, g % 3 = 0) FROM generate_series(1, 5000) g$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'auc over the budget: 54000');
SELECT throws_ok($$SELECT '1;0;100000;'::portrait.points$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'a portrait.points text over the budget is refused before its rows are read');

-- the message says how much was needed and what to do
CREATE FUNCTION pg_temp.budget_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE d text; h text;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN program_limit_exceeded THEN
    GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
    RETURN d || ' / ' || h;
END $$;
SELECT is(pg_temp.budget_error($$SELECT portrait.rfm_breaks(g, g, g) FROM generate_series(1, 5000) g$$),
          '2731 rows of 3 values need 65 kB; the limit is 64 kB. / Raise portrait.fit_memory_limit, fit on a sample of the rows (TABLESAMPLE), or use a streaming trainer (kmeans_train, logit_train).',
          'the detail gives the rows, their size and the limit; the hint the ways out');

-- under the budget the same fits work; the rows a budget admits are exact
SELECT throws_ok($$SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM generate_series(1, 2730) g$$,
                 '54000', NULL, 'the rows alone fit, but not with the fit''s working memory (a column copy): 54000 at the final step');
SELECT is(pg_temp.budget_error($$SELECT portrait.rfm_breaks(g, g, g) FROM generate_series(1, 2049) g$$),
          '2049 rows of 3 values and the fit''s working memory need 65 kB; the limit is 64 kB. / Raise portrait.fit_memory_limit, fit on a sample of the rows (TABLESAMPLE), or use a streaming trainer (kmeans_train, logit_train).',
          'the final step counts the rows and the fit''s own arrays (32 bytes a row for rfm_breaks)');
SELECT lives_ok($$SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM generate_series(1, 2048) g$$,
                'rfm_breaks with exactly as many rows as rows and working memory allow works');
SELECT throws_ok($$SELECT portrait.bgnbd_fit(g % 5, g % 5 * 2, 20) FROM generate_series(1, 1000) g$$,
                 '54000', NULL, 'bgnbd_fit counts its copy of the rows, sort keys and weights (88 bytes a row): 1000 rows need 86 kB');
SELECT lives_ok($$SELECT portrait.bgnbd_fit(g % 5, g % 5 * 2, 20) FROM generate_series(1, 740) g$$,
                'bgnbd_fit of 740 rows (64 kB) works');
SELECT throws_ok($$SELECT portrait.silhouette(ARRAY[g % 13, g % 7]::float8[], g % 3) FROM generate_series(1, 1400) g$$,
                 '54000', NULL, 'silhouette counts its sort keys and sample order (56 bytes a row with its two values)');
SELECT throws_ok($$SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM generate_series(1, 2731) g$$,
                 '54000', NULL, 'one row more is refused');
SELECT lives_ok($$SELECT portrait.logit_fit(g % 3 = 0, ARRAY[g % 11, g % 5]::float8[]) FROM generate_series(1, 2048) g$$,
                'logit_fit under the budget works');

-- kmeans_fit keeps its own setting (rows and working arrays of the fit)
SET LOCAL portrait.fit_memory_limit = '1GB';
SET LOCAL portrait.kmeans_memory_limit = '64kB';
SELECT throws_ok($$SELECT portrait.kmeans_fit(ARRAY[g % 13, g % 7]::float8[], 3) FROM generate_series(1, 5000) g$$,
                 '54000', 'kmeans_fit needs more memory than portrait.kmeans_memory_limit allows',
                 'portrait.kmeans_memory_limit still applies to kmeans_fit');

-- a parallel plan: every process keeps its own rows under the limit, and the
-- leader's combine of the workers' rows is checked against it too
SET LOCAL portrait.kmeans_memory_limit = '1GB';
CREATE TABLE public.budget_rows AS SELECT g FROM generate_series(1, 40000) g;
ANALYZE public.budget_rows;
CALL test_helpers.force_parallel();
SET LOCAL max_parallel_workers_per_gather = 4;
SET LOCAL portrait.fit_memory_limit = '512kB';
SELECT matches(test_helpers.plan_of('SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM public.budget_rows'),
               'Partial Aggregate', 'the fit runs as a parallel (partial) aggregate');
SELECT throws_ok($$SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM public.budget_rows$$,
                 '54000', NULL, 'rfm_breaks over the budget in a parallel plan of 4 workers: 54000');
SELECT throws_ok($$SELECT portrait.kmeans_fit(ARRAY[g % 13, g % 7]::float8[], 3) FROM public.budget_rows$$,
                 '54000', NULL, 'kmeans_fit over the budget in a parallel plan of 4 workers: 54000');
CREATE TEMP TABLE half_state AS
SELECT ('3;5;12000;' || string_agg('1,1,1', ','))::portrait.points AS s FROM generate_series(1, 12000);
-- the combine function as the transition of an aggregate: states merged as a leader merges them
CREATE AGGREGATE pg_temp.merge_states(portrait.points) (SFUNC = portrait.rfm_breaks_combine, STYPE = portrait.points);
SELECT throws_ok($$SELECT pg_temp.merge_states(s) FROM half_state, generate_series(1, 2)$$,
                 '54000', 'the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows',
                 'a combine whose two states are each under the limit but not together: 54000');
SET LOCAL portrait.fit_memory_limit = '2MB';
CREATE TEMP TABLE serial_breaks AS SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5)::text AS m FROM public.budget_rows;
SELECT lives_ok($$SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5) FROM public.budget_rows$$,
                'the same fit under the budget in a parallel plan works');
SELECT is((SELECT portrait.rfm_breaks(g % 97, 1 + g % 7, g * 1.5)::text FROM public.budget_rows),
          (SELECT m FROM pg_temp.serial_breaks), 'and gives the serial plan''s model');
RESET portrait.fit_memory_limit;
SELECT is(current_setting('portrait.fit_memory_limit'), '1GB', 'the default is 1GB');

SELECT * FROM finish();
ROLLBACK;
