-- Robustness: inputs the random-SQL run (test/sqlsmith.sh) produced.  Every
-- one used to end in an internal error (XX000) or worse; each must give a
-- proper SQLSTATE.
BEGIN;
SELECT plan(32);

-- ---------- aggregate support functions called directly ----------

-- The transition and combine functions are ordinary SQL functions, so a
-- query may call them outside their aggregate; that is a usage error (0A000),
-- not an internal one.
CREATE AGGREGATE rfm_state_of(timestamptz, numeric, timestamptz) (
    SFUNC = portrait.rfm_summary_trans, STYPE = portrait.rfm_state);
CREATE TEMP TABLE km AS
SELECT portrait.kmeans_fit(ARRAY[x, 2 * x]::float8[], 1) AS m FROM generate_series(1, 5) x;

SELECT throws_ok($$SELECT portrait.rfm_breaks_trans(NULL, 1, 2, 3)$$, '0A000',
                 'rfm_breaks_trans can only be called by an aggregate', 'rfm_breaks_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.rfm_summary_trans((SELECT rfm_state_of(t, 1, t) FROM (VALUES (timestamptz '2024-01-01')) v(t)),
                                                     timestamptz '2024-01-01', 1.0, timestamptz '2024-01-01')$$, '0A000',
                 'rfm_summary_trans can only be called by an aggregate', 'rfm_summary_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.ab_conversion_trans(NULL, 'a', true)$$, '0A000',
                 'ab_conversion_trans can only be called by an aggregate', 'ab_conversion_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.ab_welch_trans(NULL, 'a', 1.0)$$, '0A000',
                 'ab_welch_trans can only be called by an aggregate', 'ab_welch_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.ab_combine(NULL, NULL)$$, '0A000',
                 'ab_combine can only be called by an aggregate', 'ab_combine outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.cohort_activity_trans(NULL, now(), 'week', 4)$$, '0A000',
                 'cohort_activity_trans can only be called by an aggregate', 'cohort_activity_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.cohort_activity_combine(NULL, NULL)$$, '0A000',
                 'cohort_activity_combine can only be called by an aggregate', 'cohort_activity_combine outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.sequence_trans(NULL, '(?1)', now(), ARRAY[true])$$, '0A000',
                 'sequence_trans can only be called by an aggregate', 'sequence_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.sequence_combine(NULL, NULL)$$, '0A000',
                 'sequence_combine can only be called by an aggregate', 'sequence_combine (event lists) outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.window_funnel_trans(NULL, '1 hour', now(), ARRAY[true])$$, '0A000',
                 'window_funnel_trans can only be called by an aggregate', 'window_funnel_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.funnel_counts_trans(NULL, 1, 2)$$, '0A000',
                 'funnel_counts_trans can only be called by an aggregate', 'funnel_counts_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.funnel_counts_combine(NULL, NULL)$$, '0A000',
                 'funnel_counts_combine can only be called by an aggregate', 'funnel_counts_combine outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.kmeans_step_trans(NULL, ARRAY[1, 2]::float8[], m) FROM km$$, '0A000',
                 'kmeans_step_trans can only be called by an aggregate', 'kmeans_step_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.logit_step_trans(NULL, true, ARRAY[1]::float8[], ARRAY[0, 0]::float8[])$$, '0A000',
                 'logit_step_trans can only be called by an aggregate', 'logit_step_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.profile_agg_trans(NULL, '{"a": 1}'::jsonb)$$, '0A000',
                 'profile_agg_trans can only be called by an aggregate', 'profile_agg_trans outside an aggregate: 0A000');


-- ---------- k-means trainer steps: NULL arguments ----------

-- kmeans_train_init / kmeans_train_update are not strict (options may be
-- NULL); a NULL model, state or flag crashed the backend.
SELECT throws_ok($$SELECT portrait.kmeans_train_init(NULL, NULL, NULL)$$, '22004',
                 'stats must not be NULL', 'kmeans_train_init(NULL stats): 22004');
SELECT throws_ok($$SELECT portrait.kmeans_train_init(ARRAY[1, 5, 0, 0]::float8[], NULL, NULL)$$, '22004',
                 'sample_model must not be NULL', 'kmeans_train_init(NULL model): 22004');
SELECT throws_ok($$SELECT portrait.kmeans_train_update(NULL, ARRAY[1]::float8[], '{}', true)$$, '22004',
                 'model must not be NULL', 'kmeans_train_update(NULL model): 22004');
SELECT throws_ok($$SELECT portrait.kmeans_train_update(m, NULL, NULL, true) FROM km$$, '22004',
                 'step must not be NULL', 'kmeans_train_update(NULL step): 22004');
SELECT throws_ok($$SELECT portrait.kmeans_train_update(m, ARRAY[1, 2, 0, 5, 15, 30]::float8[], NULL, NULL) FROM km$$, '22004',
                 'final must not be NULL', 'kmeans_train_update(NULL final): 22004');

-- ---------- k-means states: never written outside their aggregate ----------

-- The float8[] states were updated in place even when the function was
-- called directly, which wrote into the argument: for a value stored
-- uncompressed that is the table's page in the buffer cache.
CREATE TEMP TABLE stored_state (s float8[], f float8[]);
ALTER TABLE stored_state ALTER s SET STORAGE external;
INSERT INTO stored_state
SELECT ARRAY[20, 10]::float8[] || array_fill(1::float8, ARRAY[40]), array_fill(1::float8, ARRAY[20]);
SELECT throws_ok($$SELECT portrait.kmeans_stats_trans(s, f) FROM stored_state$$, '0A000',
                 'kmeans_stats_trans can only be called by an aggregate', 'kmeans_stats_trans outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.kmeans_stats_combine(s, s) FROM stored_state$$, '0A000',
                 'kmeans_stats_combine can only be called by an aggregate', 'kmeans_stats_combine outside an aggregate: 0A000');
SELECT throws_ok($$SELECT portrait.kmeans_step_combine(ARRAY[1, 2, 0, 5, 15, 30]::float8[], ARRAY[1, 2, 0, 5, 15, 30]::float8[])$$, '0A000',
                 'kmeans_step_combine can only be called by an aggregate', 'kmeans_step_combine outside an aggregate: 0A000');
SELECT is((SELECT s[1:3] FROM stored_state), ARRAY[20, 10, 1]::float8[], 'the stored state is unchanged');

-- A user's aggregate can hand the transition and combine functions any
-- float8[] as state: its shape is checked before it is read or written.
CREATE AGGREGATE stats_from_short(float8[]) (
    SFUNC = portrait.kmeans_stats_trans, STYPE = float8[], INITCOND = '{5,0,0}');
CREATE AGGREGATE stats_combined(float8[]) (
    SFUNC = portrait.kmeans_stats_combine, STYPE = float8[], INITCOND = '{1,0,0,0}');
CREATE AGGREGATE stats_from_nan(float8[]) (
    SFUNC = portrait.kmeans_stats_trans, STYPE = float8[], INITCOND = '{NaN,0,0,0}');
SELECT throws_ok($$SELECT stats_from_short(ARRAY[1, 2, 3, 4, 5]::float8[])$$, '22023',
                 'invalid kmeans_stats state', 'kmeans_stats_trans: a state shorter than its dimension is rejected');
SELECT throws_ok($$SELECT stats_combined(ARRAY[1000, 1, 0]::float8[])$$, '22023',
                 'invalid kmeans_stats state', 'kmeans_stats_combine: a state shorter than its dimension is rejected');
SELECT throws_ok($$SELECT stats_from_nan(ARRAY[1]::float8[])$$, '22023',
                 'invalid kmeans_stats state', 'kmeans_stats_trans: a NaN dimension is rejected');
SELECT is((SELECT stats_combined(s) FROM (VALUES (ARRAY[1, 1, 2, 0]::float8[])) v(s)), ARRAY[1, 1, 2, 0]::float8[],
          'kmeans_stats_combine still combines well-formed states');

-- kmeans_train_update takes the step state as a plain float8[]: its counts
-- are checked before they become integers (a NaN or huge count was cast).
SELECT throws_ok($$SELECT portrait.kmeans_train_update(m, ARRAY[1, 2, 0, 'NaN', 15, 30]::float8[], NULL, true) FROM km$$, '22023',
                 'invalid kmeans_step state', 'kmeans_train_update: a NaN count is rejected');
SELECT throws_ok($$SELECT portrait.kmeans_train_update(m, ARRAY[1, 2, 0, 1e300, 15, 30]::float8[], NULL, true) FROM km$$, '22023',
                 'invalid kmeans_step state', 'kmeans_train_update: a count beyond 2^53 is rejected');
SELECT throws_ok($$SELECT portrait.kmeans_train_update(m, ARRAY['NaN', 2, 0, 5, 15, 30]::float8[], NULL, true) FROM km$$, '22023',
                 'the kmeans_step state does not belong to this model', 'kmeans_train_update: a NaN k is rejected');
SELECT throws_ok($$SELECT portrait.kmeans_train_init(ARRAY[2, 1e300, 0, 0, 0, 0]::float8[], m, NULL) FROM km$$, '22023',
                 'invalid kmeans_stats state', 'kmeans_train_init: a row count beyond 2^53 is rejected');

SELECT * FROM finish();
ROLLBACK;
