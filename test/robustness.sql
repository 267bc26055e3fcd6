-- Robustness: inputs the random-SQL run (test/sqlsmith.sh) produced.  Every
-- one used to end in an internal error (XX000) or worse; each must give a
-- proper SQLSTATE.
BEGIN;
SELECT plan(15);

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

SELECT * FROM finish();
ROLLBACK;
