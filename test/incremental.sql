-- Stored states and refresh_profile_incremental.  Not one transaction: the
-- watermark only passes rows of committed transactions, so every batch is
-- committed before its refresh (a driver procedure commits between steps);
-- the objects are dropped at the end.
SET client_min_messages = warning;
-- leftovers of an interrupted run
DELETE FROM portrait.profile_incremental WHERE target::text LIKE 'inc\_%' OR target::text LIKE 'public.inc\_%';
DROP PROCEDURE IF EXISTS inc_drive(int);
DROP FUNCTION IF EXISTS inc_full(date);
DROP TABLE IF EXISTS inc_ev, inc_ev_st, inc_ev_glob, inc_ev_res, inc_ev_many, inc_ev_serial;
DROP TABLE IF EXISTS inc_o, inc_states, inc_serial, inc_orders, inc_profile, inc_profile_state, inc_results, inc_bad_src, inc_bad_prof, inc_prof2;
SELECT plan(56);

-- ---------- stored states: merge and finalise ----------
CREATE TABLE inc_o AS
SELECT (g * 7 % 40) AS c, timestamptz '2024-01-01 08:00+08' + (g * 7919 % 300) * interval '1 day' + (g % 5) * interval '3 hours' AS t,
       round((g * 37 % 10000) / 100.0 - 8, 2) AS amt, g
FROM generate_series(1, 4000) g;

SELECT is((WITH full_ AS (SELECT c, portrait.rfm_summary(t, amt, timestamptz '2024-12-31') s FROM inc_o GROUP BY c),
                a AS (SELECT c, portrait.rfm_summary_state(t, amt, timestamptz '2024-11-01') st FROM inc_o WHERE g % 3 = 0 AND t < '2024-10-01' GROUP BY c),
                b AS (SELECT c, portrait.rfm_summary_state(t, amt, timestamptz '2024-12-01') st FROM inc_o WHERE NOT (g % 3 = 0 AND t < '2024-10-01') GROUP BY c)
           SELECT count(*) FILTER (WHERE f.s IS DISTINCT FROM portrait.rfm_summary_final(portrait.rfm_state_merge(a.st, b.st), '2024-12-31'))
           FROM full_ f LEFT JOIN a USING (c) LEFT JOIN b USING (c)), 0::bigint,
          'a stored state merged with a later one and finalised on a later day equals rfm_summary over all rows');
SELECT is((SELECT portrait.rfm_summary_final(portrait.rfm_summary_state(t, amt, timestamptz '2024-12-31'), '2024-12-31') FROM inc_o WHERE c = 3),
          (SELECT portrait.rfm_summary(t, amt, timestamptz '2024-12-31') FROM inc_o WHERE c = 3),
          'finalising a state on its own day equals rfm_summary');
SELECT is((SELECT portrait.rfm_state_merge(NULL, st)::text = st::text
           FROM (SELECT portrait.rfm_summary_state(t, amt, timestamptz '2024-12-31') st FROM inc_o WHERE c = 5) s), true,
          'NULL is the state of no rows');
SELECT ok(portrait.rfm_state_merge(NULL::portrait.rfm_state, NULL) IS NULL, 'merging two empty states gives NULL');
-- a state of 7 days, grown by the aggregate to room for 37, is stored with room for its 7
SELECT is((WITH a AS (SELECT portrait.rfm_summary_state(d::date, 1.0, date '2025-03-01') st
                      FROM generate_series(date '2025-01-01', date '2025-01-07', '1 day') d),
                b AS (SELECT portrait.rfm_summary_state(d::date, 1.0, date '2025-03-01') st
                      FROM generate_series(date '2025-01-05', date '2025-01-08', '1 day') d)
           SELECT array[pg_column_size(a.st), pg_column_size(portrait.rfm_state_merge(NULL, a.st)),
                        pg_column_size(portrait.rfm_state_merge(a.st, b.st))]
           FROM a, b),
          array[256, 140, 144],
          'a merged state keeps no unused room for days (it is stored, and written to the WAL)');
SELECT ok(portrait.rfm_summary_final(NULL::portrait.rfm_state, '2024-12-31') IS NULL, 'finalising no state gives NULL');
SELECT throws_ok($$SELECT portrait.rfm_summary_final(portrait.rfm_summary_state(t, amt, now()), '2020-01-01') FROM inc_o$$,
                 '22023', 'order on 2024-10-26 is after as_of 2020-01-01', 'finalising before the last purchase day');
SELECT throws_ok($$SELECT portrait.rfm_summary_final(portrait.rfm_summary_state(t, amt, now()), NULL) FROM inc_o$$,
                 '22004', 'as_of must not be NULL', 'NULL as_of');
SELECT throws_ok($$SELECT portrait.rfm_summary_final(portrait.rfm_summary_state(t, amt, now()), 'infinity') FROM inc_o$$,
                 '22000', 'as_of must be a finite date or time', 'infinite as_of');
SELECT throws_ok($$SELECT portrait.rfm_state_merge(portrait.rfm_summary_state(t, amt, now()),
                                                  portrait.rfm_summary_state(t::date, amt, current_date)) FROM inc_o$$,
                 '22000', 'cannot merge rfm states of different time types', 'states of different time types');

-- serial and parallel merges of stored states give identical states
CREATE TABLE inc_states AS
SELECT c, g % 8 AS part, portrait.rfm_summary_state(t, amt, timestamptz '2024-12-31') st FROM inc_o GROUP BY c, g % 8;
INSERT INTO inc_states SELECT * FROM inc_states;
INSERT INTO inc_states SELECT * FROM inc_states;
INSERT INTO inc_states SELECT * FROM inc_states;
ANALYZE inc_states;
CREATE TABLE inc_serial AS SELECT portrait.rfm_state_merge(st)::text AS st FROM inc_states;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
SELECT matches(test_helpers.plan_of('SELECT portrait.rfm_state_merge(st) FROM inc_states'), 'Partial Aggregate',
               'the merge aggregate runs in parallel workers');
SELECT is((SELECT portrait.rfm_state_merge(st)::text FROM inc_states), (SELECT st FROM inc_serial),
          'parallel and serial merges give identical states');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;

-- the funnel state: stored, combined, finalised
SELECT is((WITH e AS (SELECT c, t, (g % 3 = 0) AS s1, (g % 3 = 1) AS s2, (g % 3 = 2) AS s3 FROM inc_o),
                a AS (SELECT c, portrait.window_funnel_state('3 days', t, s1, s2, s3) st FROM e WHERE t < '2024-06-01' GROUP BY c),
                b AS (SELECT c, portrait.window_funnel_state('3 days', t, s1, s2, s3) st FROM e WHERE t >= '2024-06-01' GROUP BY c),
                f AS (SELECT c, portrait.window_funnel('3 days', t, s1, s2, s3) lvl FROM e GROUP BY c)
           SELECT count(*) FILTER (WHERE f.lvl IS DISTINCT FROM m.lvl)
           FROM f LEFT JOIN (SELECT c, portrait.window_funnel_final(portrait.window_funnel_merge(st)) lvl
                             FROM (SELECT * FROM a UNION ALL SELECT * FROM b) u GROUP BY c) m USING (c)), 0::bigint,
          'a stored funnel state merged with a later one gives window_funnel over all events');
SELECT is((SELECT portrait.window_funnel_final(portrait.window_funnel_state('3 days', t, g % 2 = 0, g % 2 = 1)::text::portrait.event_list) FROM inc_o WHERE c = 1),
          (SELECT portrait.window_funnel('3 days', t, g % 2 = 0, g % 2 = 1) FROM inc_o WHERE c = 1),
          'a funnel state survives its text form');

-- ---------- the other event states: random batches against the full aggregates ----------
-- A seeded random event stream (customers, kinds, cities, amounts; a fifth of
-- each batch late, with old times; some batches empty) is merged batch by
-- batch into stored states; after every batch each finalised state is compared
-- with the aggregate over all events so far.
CREATE TABLE inc_ev (batch int, c int, t timestamptz, ev int, city text, amt int);
CREATE TABLE inc_ev_st (c int PRIMARY KEY, ret bigint, coh portrait.cohort_state, seq portrait.event_list,
                        fun portrait.event_list, prof portrait.profile);
CREATE TABLE inc_ev_glob (users portrait.cohort_users, tgi portrait.profile);
CREATE TABLE inc_ev_res (batch int, events bigint, retention bigint, cohort bigint, seq_match bigint, seq_count bigint,
                         funnel bigint, segment_counts bigint, segment_means bigint, cohort_matrix bigint, tgi bigint);
DO $$
DECLARE
    t0 timestamptz := '2024-03-01 00:00+08';
    n int;
BEGIN
    PERFORM setseed(0.61);
    INSERT INTO inc_ev_glob VALUES (NULL, NULL);
    FOR b IN 1 .. 25 LOOP
        t0 := t0 + (random() * 5)::int * interval '1 day';
        n := CASE WHEN random() < 0.2 THEN 0 ELSE (random() * 150)::int END;
        INSERT INTO inc_ev
        SELECT b, 1 + (random() * 39)::int,
               CASE WHEN random() < 0.2 THEN t0 - random() * interval '90 days' ELSE t0 + random() * interval '1 day' END,
               (random() * 3)::int, (ARRAY['bj', 'sh', 'gz', 'sz'])[1 + (random() * 3)::int], (random() * 500)::int
        FROM generate_series(1, n);
        -- the stored states merged with the states of this batch only
        CREATE TEMP TABLE inc_ev_new ON COMMIT DROP AS
        SELECT m.c, portrait.retention_merge(m.ret) AS ret, portrait.cohort_activity_merge(m.coh) AS coh,
               portrait.sequence_merge(m.seq) AS seq, portrait.window_funnel_merge(m.fun) AS fun, portrait.profile_merge(m.prof) AS prof
        FROM (SELECT c, ret, coh, seq, fun, prof FROM inc_ev_st
              UNION ALL
              SELECT c, portrait.retention_state(ev = 0, ev = 1 AND amt > 490, ev = 2 AND amt < 5), portrait.cohort_activity_state(t, 'week', 6, 'Asia/Shanghai'),
                     portrait.sequence_state('(?1).*(?2)(?t<=172800)(?3)', t, ev = 0, ev = 1, ev = 2),
                     portrait.window_funnel_state('2 days', t, ev = 0, ev = 1, ev = 2), portrait.profile_agg(jsonb_build_object('city', city, 'amt', amt))
              FROM inc_ev WHERE batch = b GROUP BY c) m
        GROUP BY m.c;
        INSERT INTO inc_ev_st SELECT * FROM inc_ev_new
        ON CONFLICT (c) DO UPDATE SET ret = EXCLUDED.ret, coh = EXCLUDED.coh, seq = EXCLUDED.seq, fun = EXCLUDED.fun, prof = EXCLUDED.prof;
        DROP TABLE inc_ev_new;
        UPDATE inc_ev_glob g
        SET users = (SELECT portrait.cohort_users_merge(u) FROM (SELECT g.users UNION ALL
                     SELECT portrait.cohort_users(c, t, 'month', 3, 'UTC') FROM inc_ev WHERE batch = b) x(u)),
            tgi = (SELECT portrait.profile_merge(p) FROM (SELECT g.tgi UNION ALL
                   SELECT portrait.tgi(c % 3 = 0, jsonb_build_object('city', city, 'amt', amt)) FROM inc_ev WHERE batch = b) x(p));

        INSERT INTO inc_ev_res
        WITH f AS (SELECT c, portrait.retention(ev = 0, ev = 1 AND amt > 490, ev = 2 AND amt < 5) AS ret, portrait.cohort_activity(t, 'week', 6, 'Asia/Shanghai') AS coh,
                          portrait.sequence_match('(?1).*(?2)(?t<=172800)(?3)', t, ev = 0, ev = 1, ev = 2) AS sm,
                          portrait.sequence_count('(?1).*(?2)(?t<=172800)(?3)', t, ev = 0, ev = 1, ev = 2) AS sc,
                          portrait.window_funnel('2 days', t, ev = 0, ev = 1, ev = 2) AS fun, portrait.profile_agg(jsonb_build_object('city', city, 'amt', amt)) AS prof
                   FROM inc_ev GROUP BY c),
             j AS (SELECT f.*, s.ret AS s_ret, s.coh AS s_coh, s.seq AS s_seq, s.fun AS s_fun, s.prof AS s_prof
                   FROM f FULL JOIN inc_ev_st s USING (c)),
             -- a segment's profile (the customers' stored profiles merged) against the population's
             seg AS (SELECT x.c % 4 AS seg, portrait.profile_merge(x.prof) AS full_p, portrait.profile_merge(x.s_prof) AS inc_p FROM j x GROUP BY x.c % 4),
             pop AS (SELECT portrait.profile_merge(prof) AS full_p, portrait.profile_merge(s_prof) AS inc_p FROM j),
             tf AS (SELECT seg.seg, t.* FROM seg, pop, portrait.tgi_table(seg.full_p, pop.full_p) t),
             ti AS (SELECT seg.seg, t.* FROM seg, pop, portrait.tgi_table(seg.inc_p, pop.inc_p) t),
             tt AS (SELECT tf.attribute, tf.value, tf.seg, tf.group_count, tf.population_count, tf.group_mean, tf.population_mean,
                           ti.group_count AS i_group_count, ti.population_count AS i_population_count,
                           ti.group_mean AS i_group_mean, ti.population_mean AS i_population_mean
                    FROM tf FULL JOIN ti ON ti.seg = tf.seg AND ti.attribute = tf.attribute AND ti.value IS NOT DISTINCT FROM tf.value)
        SELECT b, (SELECT count(*) FROM inc_ev),
               (SELECT count(*) FILTER (WHERE ret IS DISTINCT FROM portrait.retention_final(s_ret)) FROM j),
               (SELECT count(*) FILTER (WHERE coh IS DISTINCT FROM portrait.cohort_activity_final(s_coh)) FROM j),
               (SELECT count(*) FILTER (WHERE sm IS DISTINCT FROM portrait.sequence_match_final(s_seq)) FROM j),
               (SELECT count(*) FILTER (WHERE sc IS DISTINCT FROM portrait.sequence_count_final(s_seq)) FROM j),
               (SELECT count(*) FILTER (WHERE fun IS DISTINCT FROM portrait.window_funnel_final(s_fun)) FROM j),
               (SELECT count(*) FILTER (WHERE (group_count, population_count) IS DISTINCT FROM (i_group_count, i_population_count)) FROM tt),
               -- means merged from partial moments agree to rounding, not bit for bit
               (SELECT count(*) FILTER (WHERE NOT (abs(group_mean - i_group_mean) <= 1e-9 * greatest(1, abs(group_mean))
                                                   AND abs(population_mean - i_population_mean) <= 1e-9 * greatest(1, abs(population_mean)))
                                          AND (group_mean IS NOT NULL OR i_group_mean IS NOT NULL)) FROM tt),
               (SELECT count(*) FROM ((SELECT * FROM portrait.cohort_table((SELECT users FROM inc_ev_glob))
                                       EXCEPT ALL SELECT * FROM portrait.cohort_table((SELECT portrait.cohort_users(c, t, 'month', 3, 'UTC') FROM inc_ev)))
                                      UNION ALL
                                      (SELECT * FROM portrait.cohort_table((SELECT portrait.cohort_users(c, t, 'month', 3, 'UTC') FROM inc_ev))
                                       EXCEPT ALL SELECT * FROM portrait.cohort_table((SELECT users FROM inc_ev_glob)))) d),
               (SELECT count(*) FROM ((SELECT attribute, value, group_count, population_count FROM portrait.tgi_table((SELECT tgi FROM inc_ev_glob))
                                       EXCEPT ALL
                                       SELECT attribute, value, group_count, population_count
                                       FROM portrait.tgi_table((SELECT portrait.tgi(c % 3 = 0, jsonb_build_object('city', city, 'amt', amt)) FROM inc_ev)))
                                      UNION ALL
                                      (SELECT attribute, value, group_count, population_count
                                       FROM portrait.tgi_table((SELECT portrait.tgi(c % 3 = 0, jsonb_build_object('city', city, 'amt', amt)) FROM inc_ev))
                                       EXCEPT ALL
                                       SELECT attribute, value, group_count, population_count FROM portrait.tgi_table((SELECT tgi FROM inc_ev_glob)))) d);
    END LOOP;
END
$$;
SELECT ok((SELECT count(*) FROM (SELECT events - lag(events) OVER (ORDER BY batch) AS d FROM inc_ev_res) x WHERE d = 0) > 0
          AND (SELECT count(*) FROM inc_ev WHERE t < '2024-03-01 00:00+08') > 0,
          'the event stream has empty batches and late events');
SELECT is((SELECT sum(retention) FROM inc_ev_res), 0::numeric, 'after every batch retention_final of the merged stored states equals retention over all events');
SELECT is((SELECT sum(cohort) FROM inc_ev_res), 0::numeric, 'after every batch cohort_activity_final of the merged stored states equals cohort_activity');
SELECT is((SELECT sum(seq_match) FROM inc_ev_res), 0::numeric, 'after every batch sequence_match_final of the merged stored states equals sequence_match');
SELECT is((SELECT sum(seq_count) FROM inc_ev_res), 0::numeric, 'after every batch sequence_count_final of the merged stored states equals sequence_count');
SELECT is((SELECT sum(funnel) FROM inc_ev_res), 0::numeric, 'after every batch window_funnel_final of the merged stored states equals window_funnel');
SELECT is((SELECT sum(segment_counts) FROM inc_ev_res), 0::numeric, 'after every batch the segment profiles of the merged profile_agg states have the counts of the full ones');
SELECT is((SELECT sum(segment_means) FROM inc_ev_res), 0::numeric, 'and their means to rounding');
SELECT is((SELECT sum(cohort_matrix) FROM inc_ev_res), 0::numeric, 'after every batch cohort_table of the merged cohort_users state equals that of all events');
SELECT is((SELECT sum(tgi) FROM inc_ev_res), 0::numeric, 'after every batch tgi_table counts of the merged tgi state equal those of all events');
SELECT ok((SELECT count(*) FROM inc_ev_st WHERE portrait.sequence_count_final(seq) > 0) > 0
          AND (SELECT count(DISTINCT portrait.window_funnel_final(fun)) FROM inc_ev_st) > 2
          AND (SELECT count(DISTINCT portrait.retention_final(ret)) FROM inc_ev_st) > 1,
          'the states are not trivial (matches, several funnel levels and retention flags)');
SELECT is((SELECT portrait.cohort_activity_final(coh::text::portrait.cohort_state) = portrait.cohort_activity_final(coh)
                  AND portrait.sequence_count_final(seq::text::portrait.event_list) = portrait.sequence_count_final(seq)
                  AND portrait.retention_final(ret::text::bigint) = portrait.retention_final(ret)
           FROM inc_ev_st WHERE c = 7), true, 'the stored states survive their text form');
SELECT throws_ok($$SELECT portrait.sequence_merge(s) FROM (SELECT portrait.sequence_state('(?1)(?2)', t, ev = 0, ev = 1) FROM inc_ev
                                                            UNION ALL SELECT portrait.sequence_state('(?2)(?1)', t, ev = 0, ev = 1) FROM inc_ev) x(s)$$,
                 '22023', NULL, 'sequence states of different patterns are not merged');
SELECT throws_ok($$SELECT portrait.retention_merge(s) FROM (SELECT portrait.retention_state(ev = 0, ev = 1) FROM inc_ev
                                                             UNION ALL SELECT portrait.retention_state(ev = 0, ev = 1 AND amt > 490, ev = 2 AND amt < 5) FROM inc_ev) x(s)$$,
                 '22023', 'retention needs the same number of conditions in every row of a group', 'retention states of different arities are not merged');
SELECT throws_ok($$SELECT portrait.cohort_activity_merge(s) FROM (SELECT portrait.cohort_activity_state(t, 'week', 6, 'UTC') FROM inc_ev
                                                                  UNION ALL SELECT portrait.cohort_activity_state(t, 'month', 6, 'UTC') FROM inc_ev) x(s)$$,
                 '22023', NULL, 'cohort states of different periods are not merged');

-- serial and parallel merges of the stored event states are identical
CREATE TABLE inc_ev_many AS SELECT s.* FROM inc_ev_st s, generate_series(1, 8);
ANALYZE inc_ev_many;
CREATE TABLE inc_ev_serial AS
SELECT portrait.retention_merge(ret)::text AS ret, portrait.cohort_activity_merge(coh)::text AS coh,
       portrait.sequence_count_final(portrait.sequence_merge(seq)) AS seq, portrait.window_funnel_final(portrait.window_funnel_merge(fun)) AS fun,
       portrait.profile_merge(prof)::text AS prof
FROM inc_ev_many;
SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off;
SELECT matches(test_helpers.plan_of('SELECT portrait.retention_merge(ret), portrait.cohort_activity_merge(coh), portrait.sequence_merge(seq) FROM inc_ev_many'),
               'Partial Aggregate', 'the event state merges run in parallel workers');
SELECT is((SELECT ROW(portrait.retention_merge(ret)::text, portrait.cohort_activity_merge(coh)::text,
                      portrait.sequence_count_final(portrait.sequence_merge(seq)), portrait.window_funnel_final(portrait.window_funnel_merge(fun)))::text
           FROM inc_ev_many),
          (SELECT ROW(ret, coh, seq, fun)::text FROM inc_ev_serial),
          'parallel and serial merges of retention, cohort, sequence and funnel states are identical');
SELECT is((SELECT count(*) FROM (SELECT attribute, value, group_count, population_count FROM portrait.tgi_table((SELECT portrait.profile_merge(prof) FROM inc_ev_many))
                                 EXCEPT ALL
                                 SELECT attribute, value, group_count, population_count FROM portrait.tgi_table((SELECT prof::portrait.profile FROM inc_ev_serial))) d),
          0::bigint, 'parallel and serial merges of segment profiles have the same counts');
RESET parallel_setup_cost; RESET parallel_tuple_cost; RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather; RESET parallel_leader_participation;

-- ---------- refresh_profile_incremental ----------
CREATE TABLE inc_orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, ordered_at timestamptz NOT NULL, amount numeric(10, 2),
                         ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id());
CREATE INDEX ON inc_orders (ingest_xid);
CREATE INDEX ON inc_orders (customer_id);
CREATE TRIGGER inc_orders_changes AFTER UPDATE OR DELETE ON inc_orders
    FOR EACH ROW EXECUTE FUNCTION portrait.profile_change_capture('customer_id');
CREATE TABLE inc_profile (customer_id int PRIMARY KEY, frequency bigint, monetary float8, avg_order_value float8,
                          first_order timestamptz, last_order timestamptz, first_day date, last_day date,
                          repeat_frequency int, repeat_span_days int, repeat_avg_value float8, refunds bigint, refund_amount float8,
                          r int, f int, m int, code text, segment text);
CREATE TABLE inc_results (batch int, as_of date, orders bigint, mismatches bigint, rows bigint, written bigint, logged bigint);

-- the full recomputation of the profile over the rows below the stored watermark
CREATE FUNCTION inc_full(as_of date) RETURNS SETOF inc_profile LANGUAGE sql AS $$
    SELECT customer_id, (s).frequency, (s).monetary, (s).avg_order_value, (s).first_order, (s).last_order,
           as_of - (s).tenure_days, as_of - (s).recency_days, (s).repeat_frequency, (s).repeat_span_days,
           (s).repeat_avg_value, (s).refunds, (s).refund_amount, (sc).r, (sc).f, (sc).m, (sc).code, (sc).segment
    FROM (SELECT customer_id, s, portrait.rfm_score((s).recency_days, (s).frequency, (s).monetary,
                                                    (SELECT model FROM portrait.profile_incremental WHERE target = 'inc_profile'::regclass)) sc
          FROM (SELECT customer_id, portrait.rfm_summary(ordered_at, amount, as_of::timestamptz) s
                FROM inc_orders
                WHERE ingest_xid < (SELECT watermark FROM portrait.profile_incremental WHERE target = 'inc_profile'::regclass)
                GROUP BY customer_id) a) b
$$;

-- random batches: empty ones, refunds, same-day orders, late arrivals with old
-- business times, updates (amount, day, customer) and deletes of merged rows
CREATE PROCEDURE inc_drive(batches int) LANGUAGE plpgsql AS $$
DECLARE
    d date := '2024-06-01';
    n int;
    model jsonb;
    before bigint;
BEGIN
    PERFORM setseed(0.14);
    INSERT INTO inc_orders (customer_id, ordered_at, amount)
    SELECT 1 + (random() * 59)::int, d - (random() * 400)::int + random() * interval '20 hours', round((random() * 300)::numeric, 2)
    FROM generate_series(1, 300);
    COMMIT;
    SELECT portrait.rfm_breaks((s).recency_days, (s).frequency, (s).monetary)::jsonb INTO model
    FROM (SELECT portrait.rfm_summary(ordered_at, amount, d::timestamptz) s FROM inc_orders GROUP BY customer_id) x;
    CALL portrait.refresh_profile_incremental('inc_profile', 'inc_orders', jsonb_build_object('model', model, 'as_of', d));
    COMMIT;
    FOR b IN 1 .. batches LOOP
        d := d + CASE WHEN random() < 0.3 THEN 0 ELSE (random() * 20)::int END;
        n := CASE WHEN random() < 0.2 THEN 0 ELSE (random() * 60)::int END;
        INSERT INTO inc_orders (customer_id, ordered_at, amount)
        SELECT 1 + (random() * 69)::int,
               CASE WHEN random() < 0.2 THEN d - (random() * 500)::int ELSE d END + random() * interval '20 hours',
               CASE WHEN random() < 0.1 THEN -round((random() * 50)::numeric, 2)
                    WHEN random() < 0.05 THEN NULL ELSE round((random() * 300)::numeric, 2) END
        FROM generate_series(1, n);
        -- a same-day order of a customer who just ordered
        INSERT INTO inc_orders (customer_id, ordered_at, amount)
        SELECT customer_id, ordered_at + interval '1 minute', 9.99 FROM inc_orders WHERE n > 0 ORDER BY id DESC LIMIT 1;
        IF random() < 0.5 THEN
            UPDATE inc_orders SET amount = amount + 1 WHERE id IN (SELECT id FROM inc_orders ORDER BY random() LIMIT 3);
            UPDATE inc_orders SET ordered_at = ordered_at - interval '3 days' WHERE id IN (SELECT id FROM inc_orders ORDER BY random() LIMIT 2);
            UPDATE inc_orders SET customer_id = 1 + (random() * 69)::int WHERE id IN (SELECT id FROM inc_orders ORDER BY random() LIMIT 2);
            DELETE FROM inc_orders WHERE id IN (SELECT id FROM inc_orders ORDER BY random() LIMIT 3);
        END IF;
        IF b = 3 THEN
            INSERT INTO inc_orders (customer_id, ordered_at, amount) VALUES (500, d, 10), (500, d - 40, 20);
        ELSIF b = 7 THEN
            -- every row of one customer goes: its profile row is deleted
            DELETE FROM inc_orders WHERE customer_id = 500;
        END IF;
        COMMIT;
        SELECT coalesce(max(run_id), 0) INTO before FROM portrait.profile_run;
        CALL portrait.refresh_profile_incremental('inc_profile', 'inc_orders', jsonb_build_object('as_of', d));
        COMMIT;
        INSERT INTO inc_results
        SELECT b, d, (SELECT count(*) FROM inc_orders),
               (SELECT count(*) FROM ((SELECT * FROM inc_profile EXCEPT ALL SELECT * FROM inc_full(d))
                                      UNION ALL (SELECT * FROM inc_full(d) EXCEPT ALL SELECT * FROM inc_profile)) x),
               (SELECT count(*) FROM inc_profile),
               (SELECT inserted + updated + deleted FROM portrait.profile_run WHERE run_id > before ORDER BY run_id DESC LIMIT 1),
               (SELECT inserted + updated + unchanged FROM portrait.profile_run WHERE run_id > before ORDER BY run_id DESC LIMIT 1);
        COMMIT;
    END LOOP;
END
$$;
CALL inc_drive(40);

SELECT is((SELECT count(*) FROM inc_results), 40::bigint, 'forty batches refreshed');
SELECT is((SELECT sum(mismatches) FROM inc_results), 0::numeric,
          'after every batch the incremental profile equals the full recomputation (every column, every customer)');
SELECT is((SELECT count(*) FROM inc_profile), (SELECT count(DISTINCT customer_id) FROM inc_orders),
          'every customer is in the profile (the watermark passed every committed row)');
SELECT ok((SELECT min(written) FROM inc_results) < (SELECT min(rows) FROM inc_results),
          'a refresh writes only changed rows');
SELECT is((SELECT count(*) FROM inc_results WHERE logged IS DISTINCT FROM rows), 0::bigint,
          'the run log counts every profile row after every batch (inserted + updated + unchanged)');
SELECT is((SELECT count(*) FROM inc_profile WHERE customer_id = 500), 0::bigint, 'a customer whose rows were all deleted leaves the profile');
SELECT is((SELECT count(*) FROM portrait.profile_history h WHERE h.target_table = 'inc_profile'::regclass AND h.op = 'delete' AND h.key = '500' AND h.column_name = 'segment'),
          1::bigint, 'the deletion is in the history');
SELECT ok((SELECT count(*) FROM portrait.profile_history h WHERE h.target_table = 'inc_profile'::regclass AND h.op = 'update' AND h.column_name = 'segment') > 0,
          'segment moves are in the history');
SELECT is((SELECT count(*) FROM portrait.profile_change_log WHERE source = 'inc_orders'::regclass
           AND logged_xid < (SELECT watermark FROM portrait.profile_incremental WHERE target = 'inc_profile'::regclass)), 0::bigint,
          'read corrections leave the change log');

-- an empty batch writes nothing; a rebuild from scratch changes nothing
SELECT max(as_of) AS last_day FROM inc_results \gset
CALL portrait.refresh_profile_incremental('inc_profile', 'inc_orders', jsonb_build_object('as_of', :'last_day'::date));
SELECT is((SELECT inserted + updated + deleted FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1), 0::bigint, 'an empty batch writes no row');
CALL portrait.refresh_profile_incremental('inc_profile', 'inc_orders', jsonb_build_object('as_of', :'last_day'::date, 'reset', true));
SELECT is((SELECT inserted + updated + deleted FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1), 0::bigint,
          'rebuilding every state from the source changes no row');
SET TimeZone = 'America/New_York';
CALL portrait.refresh_profile_incremental('inc_profile', 'inc_orders', jsonb_build_object('as_of', :'last_day'::date));
RESET TimeZone;
SELECT is((SELECT inserted + updated + deleted FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1), 0::bigint,
          'a run from a session in another time zone counts days in the stored zone: nothing changes');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_profile', 'inc_orders', '{"zone": "UTC"}')$$,
                 '22023', 'profile public.inc_profile is kept with days in time zone "Asia/Shanghai", not "UTC"', 'another zone');
SELECT is((SELECT count(*) FROM inc_profile_state), (SELECT count(DISTINCT customer_id) FROM inc_orders), 'one stored state per customer');

-- ---------- errors ----------
CREATE TABLE inc_bad_src (customer_id int, ordered_at timestamptz, amount numeric, ingest_id bigserial);
CREATE TABLE inc_bad_prof (customer_id int PRIMARY KEY, recency_days int);
CREATE TABLE inc_prof2 (customer_id int PRIMARY KEY, segment text);
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_prof2', 'inc_bad_src', '{"watermark": "ingest_id"}')$$,
                 '0A000', 'watermark column "ingest_id" of public.inc_bad_src is of type bigint, not xid8', 'a sequence id is refused as watermark');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_bad_prof', 'inc_orders')$$,
                 '0A000', 'column "recency_days" of public.inc_bad_prof cannot be kept incrementally', 'recency is not stored');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_prof2', 'inc_orders')$$,
                 '22023', 'profile public.inc_prof2 has score columns but no rfm model is stored', 'score columns need a model');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_prof2', 'inc_orders', '{"bogus": 1}')$$,
                 '0A000', 'unsupported option "bogus" of refresh_profile_incremental', 'unknown option');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_prof2', 'inc_orders', '{"wait": 1}')$$,
                 '22023', 'refresh_profile_incremental options wait, history and reset must be booleans', 'option of the wrong type');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_profile', 'inc_bad_src')$$,
                 '22023', 'profile public.inc_profile is kept from public.inc_orders, not from public.inc_bad_src', 'another source');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_profile', 'inc_orders', '{"key": "id"}')$$,
                 '22023', 'profile public.inc_profile is kept with key column "customer_id", not "id"', 'other columns');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental(NULL, 'inc_orders')$$,
                 '22004', 'refresh_profile_incremental target and source must not be NULL', 'NULL target');
SELECT throws_ok($$CALL portrait.refresh_profile_incremental('inc_prof2', 'inc_orders', '{"ordered_at": "nope"}')$$,
                 '22023', 'column "nope" is not a column of public.inc_orders', 'a missing column');

SELECT is((SELECT count(*) FROM inc_profile_state WHERE pg_column_size(state) > pg_column_size(state::text::portrait.rfm_state)), 0::bigint,
          'the stored states are no wider than their text form read back');

DROP PROCEDURE inc_drive(int);
DROP FUNCTION inc_full(date);
DELETE FROM portrait.profile_incremental WHERE target = 'inc_profile'::regclass;
DELETE FROM portrait.profile_change_log WHERE source = 'inc_orders'::regclass;
DROP TABLE inc_ev, inc_ev_st, inc_ev_glob, inc_ev_res, inc_ev_many, inc_ev_serial;
DROP TABLE inc_o, inc_states, inc_serial, inc_orders, inc_profile, inc_profile_state, inc_results, inc_bad_src, inc_bad_prof, inc_prof2;
SELECT * FROM finish();
