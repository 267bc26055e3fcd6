-- Stored states and refresh_profile_incremental.  Not one transaction: the
-- watermark only passes rows of committed transactions, so every batch is
-- committed before its refresh (a driver procedure commits between steps);
-- the objects are dropped at the end.
SET client_min_messages = warning;
-- leftovers of an interrupted run
DELETE FROM portrait.profile_incremental WHERE target::text LIKE 'inc\_%' OR target::text LIKE 'public.inc\_%';
DROP PROCEDURE IF EXISTS inc_drive(int);
DROP FUNCTION IF EXISTS inc_full(date);
DROP TABLE IF EXISTS inc_o, inc_states, inc_serial, inc_orders, inc_profile, inc_profile_state, inc_results, inc_bad_src, inc_bad_prof, inc_prof2;
SELECT plan(35);

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
CREATE TABLE inc_results (batch int, as_of date, orders bigint, mismatches bigint, rows bigint, written bigint);

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
               (SELECT inserted + updated + deleted FROM portrait.profile_run WHERE run_id > before ORDER BY run_id DESC LIMIT 1);
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

DROP PROCEDURE inc_drive(int);
DROP FUNCTION inc_full(date);
DELETE FROM portrait.profile_incremental WHERE target = 'inc_profile'::regclass;
DELETE FROM portrait.profile_change_log WHERE source = 'inc_orders'::regclass;
DROP TABLE inc_o, inc_states, inc_serial, inc_orders, inc_profile, inc_profile_state, inc_results, inc_bad_src, inc_bad_prof, inc_prof2;
SELECT * FROM finish();
