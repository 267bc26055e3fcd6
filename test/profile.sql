-- Lifecycle stages, refresh_profile and the profile views.
BEGIN;
SELECT plan(85);

-- ---------- lifecycle_stage: error paths ----------
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, options => '{"bogus": 1}')$$, '0A000',
                 'unsupported option "bogus" of lifecycle_stage', 'unknown option');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, options => '{"at_risk_days": "ten"}')$$, '22023',
                 'lifecycle option "at_risk_days" must be a number', 'option of the wrong type');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, options => '{"mode": "moon"}')$$, '22023',
                 'unknown lifecycle mode "moon"', 'unknown mode');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, previous_stage => 'sleepy')$$, '22023',
                 'unknown previous lifecycle stage "sleepy"', 'unknown previous stage');
SELECT throws_ok($$SELECT portrait.lifecycle_stage('NaN', 100)$$, '22000',
                 'lifecycle_stage arguments must be finite', 'NaN');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 'Infinity')$$, '22000',
                 'lifecycle_stage arguments must be finite', 'infinite tenure');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(-1, 100)$$, '22023',
                 'inconsistent purchase summary', 'negative recency');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(200, 100)$$, '22023',
                 'inconsistent purchase summary', 'recency beyond tenure');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, 2, 150)$$, '22023',
                 'inconsistent purchase summary', 'span beyond tenure');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, options => '{"at_risk_days": 200}')$$, '22023',
                 'lifecycle thresholds must be non-negative and increasing', 'thresholds out of order');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, 3, 80, NULL, '{"mode": "rhythm", "model_unit_days": 0}',
                   '{"kind": "bgnbd", "format": 1, "r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4, "unit": "days", "log_likelihood": 0, "n": 1000, "penalizer": 0, "iterations": 0, "converged": true}')$$,
                 '22023', 'model_unit_days must be positive', 'model unit not positive');
SELECT throws_ok($$SELECT portrait.lifecycle_stage(10, 100, 3, 80, NULL, '{"mode": "rhythm"}',
                   (SELECT portrait.rfm_breaks(r, f, m) FROM (VALUES (1, 1, 1.0), (2, 2, 2.0)) v(r, f, m)))$$,
                 '22023', NULL, 'a model of another kind');
SELECT is(portrait.lifecycle_stage(10, 100, 3, 90, 'churned'), 'reactivated', 'dormant or churned before, recent now: reactivated');
SELECT is(portrait.lifecycle_stage(10, 20, 1, 10, 'churned'), 'new', 'new wins over reactivated');
SELECT is(portrait.lifecycle_stage(10, 370, 12, 360, NULL, '{"mode": "rhythm"}'), 'active', 'monthly buyer after 10 days: active');
SELECT is(portrait.lifecycle_stage(30, 400, 52, 364, NULL, '{"mode": "rhythm"}'), 'at_risk', 'weekly buyer after 30 days: at risk');

-- ---------- refresh_profile ----------
CREATE SCHEMA "odd ""schema"";";
CREATE TABLE "odd ""schema"";"."prof; DROP TABLE x" ("cust ""id""" int PRIMARY KEY, "seg ment;" text, "val'ue" numeric);
CREATE TABLE public.profile_src1 AS SELECT g AS id, 'S' || (g % 3) AS seg, g * 1.5 AS val FROM generate_series(1, 20) g;

CALL portrait.refresh_profile('"odd ""schema"";"."prof; DROP TABLE x"',
     'SELECT id AS "cust ""id""", seg AS "seg ment;", val AS "val''ue" FROM public.profile_src1', 'cust "id"');
SELECT results_eq($$SELECT inserted, updated, deleted, unchanged, status FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES (20::bigint, 0::bigint, 0::bigint, 0::bigint, 'succeeded'::text)$$, 'first run inserts every row (hostile names)');
SELECT is((SELECT count(*)::int FROM "odd ""schema"";"."prof; DROP TABLE x"), 20, 'target filled');

UPDATE public.profile_src1 SET seg = 'X' WHERE id IN (1, 2, 3);
UPDATE public.profile_src1 SET val = val + 1 WHERE id = 4;
DELETE FROM public.profile_src1 WHERE id = 20;
INSERT INTO public.profile_src1 VALUES (21, 'S0', 1);
CREATE TEMP TABLE before AS SELECT ctid AS tid, * FROM "odd ""schema"";"."prof; DROP TABLE x";
CALL portrait.refresh_profile('"odd ""schema"";"."prof; DROP TABLE x"',
     'SELECT id AS "cust ""id""", seg AS "seg ment;", val AS "val''ue" FROM public.profile_src1', 'cust "id"');
SELECT results_eq($$SELECT inserted, updated, deleted, unchanged FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES (1::bigint, 4::bigint, 1::bigint, 15::bigint)$$, 'second run counts: 1 inserted, 4 updated, 1 deleted, 15 unchanged');
SELECT set_eq($$SELECT "cust ""id""", "seg ment;", "val'ue" FROM "odd ""schema"";"."prof; DROP TABLE x"$$,
              $$SELECT id, seg, val FROM public.profile_src1$$, 'target equals the source');
SELECT is((SELECT count(*)::int FROM before b JOIN "odd ""schema"";"."prof; DROP TABLE x" t ON t.ctid = b.tid), 15,
          'unchanged rows are not rewritten (same ctid)');
SELECT set_eq($$SELECT key, op, column_name, old_value, new_value FROM portrait.profile_history
                WHERE run_id = (SELECT max(run_id) FROM portrait.profile_run)$$,
              $$VALUES ('1', 'update', 'seg ment;', 'S1', 'X'), ('2', 'update', 'seg ment;', 'S2', 'X'),
                       ('3', 'update', 'seg ment;', 'S0', 'X'), ('4', 'update', 'val''ue', '6.0', '7.0'),
                       ('20', 'delete', 'seg ment;', 'S2', NULL), ('20', 'delete', 'val''ue', '30.0', NULL),
                       ('21', 'insert', NULL, NULL, NULL)$$, 'history records every change');
SELECT is((SELECT target FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1), '"odd ""schema"";"."prof; DROP TABLE x"',
          'run table names the target quoted');

-- tracked columns only
UPDATE public.profile_src1 SET seg = 'Y', val = 0 WHERE id = 5;
CALL portrait.refresh_profile('"odd ""schema"";"."prof; DROP TABLE x"',
     'SELECT id AS "cust ""id""", seg AS "seg ment;", val AS "val''ue" FROM public.profile_src1', 'cust "id"', '{"track": ["seg ment;"]}');
SELECT results_eq($$SELECT column_name, old_value, new_value FROM portrait.profile_history
                    WHERE run_id = (SELECT max(run_id) FROM portrait.profile_run)$$,
                  $$VALUES ('seg ment;'::text, 'S2'::text, 'Y'::text)$$, 'only tracked columns are recorded');

-- nothing changed: nothing written
CALL portrait.refresh_profile('"odd ""schema"";"."prof; DROP TABLE x"',
     'SELECT id AS "cust ""id""", seg AS "seg ment;", val AS "val''ue" FROM public.profile_src1', 'cust "id"');
SELECT results_eq($$SELECT inserted + updated + deleted, unchanged FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES (0::bigint, 20::bigint)$$, 'unchanged source: no writes');

-- errors: the source's own errors come back unchanged; the profile stays as it was
SELECT throws_ok($$CALL portrait.refresh_profile('"odd ""schema"";"."prof; DROP TABLE x"',
                  'SELECT id AS "cust ""id""", seg AS "seg ment;", 1 / (id - 7) AS "val''ue" FROM public.profile_src1', 'cust "id"')$$,
                 '22012', 'division by zero', 'an error in the source comes back unchanged');
SELECT set_eq($$SELECT "cust ""id""", "seg ment;", "val'ue" FROM "odd ""schema"";"."prof; DROP TABLE x"$$,
              $$SELECT id, seg, val FROM public.profile_src1$$, 'a failed refresh leaves the profile untouched');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1 AS id', 'nope')$$, '22023',
                 'key column "nope" is not a column of public.profile_src1', 'unknown key column');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1 AS id, ''a'' AS seg', 'id')$$, '22023',
                 'the source has no column "val"', 'source lacks a column');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1 AS id, ''a'' AS seg, 1 AS val, 2 AS extra', 'id')$$, '22023',
                 'the source column "extra" is not a column of public.profile_src1', 'source has an extra column');
CREATE TABLE public.profile_victim (x int);
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1 AS id, ''a'' AS seg, 1 AS val) s; DROP TABLE public.profile_victim; SELECT (1', 'id')$$, '42601',
                 'syntax error at or near ")"', 'a source of several statements is refused: it is not one query by itself');
SELECT isnt(to_regclass('public.profile_victim'), NULL, 'and none of its statements ran');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1 AS id, ''a'' AS seg, 1 AS val FROM generate_series(1, 2)', 'id')$$, '21000',
                 'the source returns a key more than once', 'duplicate keys');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT NULL::int AS id, ''a'' AS seg, 1 AS val', 'id')$$, '22004',
                 'the source returns a NULL key', 'NULL key');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', NULL, 'id')$$, '22004',
                 'refresh_profile target, source and key must not be NULL', 'NULL source');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1', 'id', '{"speed": 1}')$$, '0A000',
                 'unsupported option "speed" of refresh_profile', 'unknown option');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1', 'id', '{"wait": "yes"}')$$, '22023',
                 'refresh_profile options wait, history and dry_run must be booleans', 'wait not a boolean');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1', 'id', '{"track": "seg"}')$$, '22023',
                 'refresh_profile option track must be an array of column names', 'track not an array');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT 1', 'id', '{"track": ["id"]}')$$, '22023',
                 'tracked column "id" is not a non-key column of public.profile_src1', 'tracking the key');
CREATE ROLE portrait_profile_nobody;
GRANT USAGE ON SCHEMA portrait, "odd ""schema"";" TO portrait_profile_nobody;
SET LOCAL ROLE portrait_profile_nobody;
SELECT throws_ok($$CALL portrait.refresh_profile('"odd ""schema"";"."prof; DROP TABLE x"',
                  'SELECT 1 AS "cust ""id""", ''a'' AS "seg ment;", 1 AS "val''ue"', 'cust "id"')$$, '42501',
                 NULL, 'caller''s privileges: a role without rights on the target cannot refresh it');
RESET ROLE;
CREATE VIEW public.profile_v AS SELECT 1 AS id;
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_v', 'SELECT 1 AS id', 'id')$$, '22023',
                 'refresh_profile target public.profile_v is not a table', 'a view is not a target');
SELECT lives_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT id, seg, val FROM public.profile_src1', 'id', '{"wait": false, "history": false}')$$,
                'wait false and nobody else refreshing: runs');
SELECT lives_ok($$CALL portrait.refresh_profile('public.profile_src1', 'SELECT id, seg, val FROM profile_src1', 'id')$$,
                'the source query sees the caller''s search_path (unqualified table name)');

-- ---------- the difference: edge cases ----------
-- a partitioned profile: rows of different partitions share ctids, so rows are named by (tableoid, ctid)
CREATE TABLE public.profile_part (id int PRIMARY KEY, seg text) PARTITION BY RANGE (id);
CREATE TABLE public.profile_part_a PARTITION OF public.profile_part FOR VALUES FROM (0) TO (100);
CREATE TABLE public.profile_part_b PARTITION OF public.profile_part FOR VALUES FROM (100) TO (200);
INSERT INTO public.profile_part SELECT g, 'a' FROM generate_series(1, 3) g UNION ALL SELECT g, 'b' FROM generate_series(101, 103) g;
CALL portrait.refresh_profile('public.profile_part', 'SELECT * FROM (VALUES (1, ''a''), (2, ''A2''), (3, ''a''), (101, ''b''), (102, ''b''), (104, ''new'')) v(id, seg)', 'id');
SELECT results_eq($$SELECT id, seg FROM public.profile_part ORDER BY id$$,
                  $$VALUES (1, 'a'), (2, 'A2'), (3, 'a'), (101, 'b'), (102, 'b'), (104, 'new')$$,
                  'partitioned target: only the changed row of its own partition is rewritten');
-- few changes among many rows: the rows are fetched by tid
CREATE TABLE public.profile_big (id bigint PRIMARY KEY, seg text, score float8, tags json);
INSERT INTO public.profile_big SELECT g, 'S' || g % 7, CASE g WHEN 78 THEN 0 ELSE g / 10.0 END, json_build_object('g', g % 3) FROM generate_series(1, 5000) g;
ANALYZE public.profile_big;
CREATE TEMP TABLE profile_big_before AS SELECT id, ctid AS tid FROM public.profile_big;
CALL portrait.refresh_profile('public.profile_big',
     $$SELECT id, CASE WHEN id = 77 THEN 'X' ELSE seg END AS seg,
              CASE WHEN id = 78 THEN -0.0 WHEN id = 79 THEN NULL ELSE score END AS score,
              CASE WHEN id = 80 THEN '{"g": 9}' ELSE tags::text END::json AS tags
       FROM public.profile_big WHERE id <> 5000 UNION ALL SELECT 5001, 'N', 1, '{}'$$, 'id');
SELECT results_eq($$SELECT inserted, updated, deleted, unchanged FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1$$,
                  $$VALUES (1::bigint, 3::bigint, 1::bigint, 4996::bigint)$$,
                  'a few changes among 5000 rows: 1 new, 3 changed (a json column compared by its text), 1 gone');
SELECT is((SELECT count(*) FROM public.profile_big p JOIN profile_big_before b USING (id) WHERE p.ctid <> b.tid),
          3::bigint, 'only the changed rows were rewritten');
SELECT set_eq($$SELECT key, column_name, old_value, new_value FROM portrait.profile_history
                WHERE run_id = (SELECT max(run_id) FROM portrait.profile_run) AND op = 'update'$$,
              $$VALUES ('77', 'seg', 'S0', 'X'), ('79', 'score', '7.9', NULL), ('80', 'tags', '{"g" : 2}', '{"g": 9}')$$,
              'the history names exactly the changed columns');
SELECT results_eq($$SELECT id, seg, score, tags::text FROM public.profile_big WHERE id BETWEEN 77 AND 80 OR id > 4999 ORDER BY id$$,
                  $$VALUES (77::bigint, 'X', 7.7::float8, '{"g" : 2}'), (78, 'S1', 0, '{"g" : 0}'), (79, 'S2', NULL, '{"g" : 1}'),
                           (80, 'S3', 8.0, '{"g": 9}'), (5001, 'N', 1, '{}')$$,
                  'changed values are written; a NULL counts as a change, -0 equals 0 as in SQL');
-- keys: text keys with NULLs in the profile, duplicates in profile or source
CREATE TABLE public.profile_txt (k text, v int);
INSERT INTO public.profile_txt VALUES ('a', 1), ('b', 2), (NULL, 3);
CALL portrait.refresh_profile('public.profile_txt', $$SELECT * FROM (VALUES ('a', 1), ('b', 5), ('c', 6)) s(k, v)$$, 'k');
SELECT results_eq($$SELECT k, v FROM public.profile_txt ORDER BY k$$, $$VALUES ('a', 1), ('b', 5), ('c', 6)$$,
                  'a profile row with a NULL key matches nothing and is deleted (without history: it has no key)');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_txt', $q$SELECT * FROM (VALUES ('a', 1), ('a', 1), ('b', 5), ('c', 6)) s(k, v)$q$, 'k')$$,
                 '21000', 'the source returns a key more than once', 'a repeated key is caught even when both rows equal the profile row');
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_txt', $q$SELECT * FROM (VALUES ('a', 1), ('b', 5), ('c', 6), ('z', 1), ('z', 2)) s(k, v)$q$, 'k')$$,
                 '21000', 'the source returns a key more than once', 'a repeated new key is caught');
INSERT INTO public.profile_txt VALUES ('a', 9);
SELECT throws_ok($$CALL portrait.refresh_profile('public.profile_txt', $q$SELECT * FROM (VALUES ('a', 1)) s(k, v)$q$, 'k')$$,
                 '21000', 'the key column of public.profile_txt is not unique', 'a profile without a unique key is refused');
-- profile_diff called directly
SELECT throws_ok($$SELECT portrait.profile_diff('public.profile_big', 'SELECT 1', 'id')$$, '0A000',
                 'profile_diff must be called in FROM with a column definition list', 'profile_diff outside FROM');
SELECT throws_ok($$SELECT * FROM portrait.profile_diff('public.profile_big', 'SELECT 1', 'id') AS d(op "char", n bigint)$$, '42804',
                 'profile_diff returns (op "char", n bigint, rel oid, tid tid, changed text[], src profile_big)', 'profile_diff with other columns');
SELECT throws_ok($$SELECT * FROM portrait.profile_diff(NULL, 'SELECT 1', 'id') AS d(op "char", n bigint, rel oid, tid tid, changed text[], src public.profile_big)$$,
                 '22004', 'target must not be NULL', 'profile_diff with a NULL target');
SELECT throws_ok($$SELECT * FROM portrait.profile_diff('public.profile_big', 'SELECT 1', 'nope') AS d(op "char", n bigint, rel oid, tid tid, changed text[], src public.profile_big)$$,
                 '22023', 'key column "nope" is not a column of profile_big', 'profile_diff with an unknown key');
SELECT throws_ok($$SELECT * FROM portrait.profile_diff(0, 'SELECT 1', 'id') AS d(op "char", n bigint, rel oid, tid tid, changed text[], src public.profile_big)$$,
                 '42P01', 'relation with OID 0 does not exist', 'profile_diff of a relation that does not exist');
SELECT throws_ok($$SELECT * FROM portrait.profile_diff('pg_class_oid_index', 'SELECT 1', 'oid') AS d(op "char", n bigint, rel oid, tid tid, changed text[], src public.profile_big)$$,
                 '22023', 'refresh_profile target pg_class_oid_index is not a table', 'profile_diff of an index');
CREATE ROLE portrait_diff_nobody;
SET LOCAL ROLE portrait_diff_nobody;
SELECT throws_ok($$SELECT * FROM portrait.profile_diff('public.profile_big', 'SELECT 1', 'id') AS d(op "char", n bigint, rel oid, tid tid, changed text[], src public.profile_big)$$,
                 '42501', 'permission denied for table profile_big', 'profile_diff needs SELECT on the target (and takes no lock without it)');
RESET ROLE;
CREATE TABLE public.profile_pt (p point, v int);
SELECT throws_ok($$SELECT * FROM portrait.profile_diff('public.profile_pt', 'SELECT point(1, 1) AS p, 1 AS v', 'p') AS d(op "char", n bigint, rel oid, tid tid, changed text[], src public.profile_pt)$$,
                 '42883', 'the key column type point has no hash function', 'a key type without hashing');
SELECT results_eq($$SELECT op, n, tid IS NOT NULL, changed, (src).id, (src).seg FROM portrait.profile_diff('public.profile_big',
                        'SELECT id, CASE id WHEN 3 THEN ''y'' ELSE seg END, CASE id WHEN 3 THEN 0 ELSE score END, tags FROM public.profile_big WHERE id > 2 UNION ALL SELECT 0, ''z'', 0, NULL', 'id')
                      AS d(op "char", n bigint, rel oid, tid tid, changed text[], src public.profile_big) ORDER BY op, (src).id$$,
                  $$VALUES ('='::"char", 4997::bigint, false, NULL::text[], NULL::bigint, NULL::text), ('d', NULL, true, NULL, 1, NULL),
                           ('d', NULL, true, NULL, 2, NULL), ('i', NULL, false, NULL, 0, 'z'), ('u', NULL, true, '{seg,score}', 3, 'y')$$,
                  'profile_diff: deletions name rows and their keys, insertions carry the source row, updates name the changed columns, one count row');

-- ---------- refresh_profile: the guard against an emptied source, and the dry run ----------
CREATE TABLE public.guarded (customer_id int PRIMARY KEY, seg text);
CREATE TABLE public.guarded_src AS SELECT g AS customer_id, 'S' || g % 4 AS seg FROM generate_series(1, 100) g;
CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src');
SELECT throws_ok($$CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src WHERE false')$$,
                 '55000', 'refresh_profile would delete 100 of the 100 rows of public.guarded',
                 'an empty source does not empty the profile: 55000');
SELECT throws_ok($$CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src WHERE customer_id > 51')$$,
                 '55000', 'refresh_profile would delete 51 of the 100 rows of public.guarded',
                 'nor does one that lost more than half of its keys (the default max_delete_share, 0.5)');
SELECT is((SELECT count(*)::int FROM public.guarded), 100, 'the profile is kept as it was');
CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src WHERE customer_id > 50');
SELECT is((SELECT deleted::int FROM portrait.profile_run ORDER BY run_id DESC LIMIT 1), 50, 'deleting exactly half is allowed');
CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src WHERE false', options => '{"max_delete_share": 1}');
SELECT is((SELECT count(*)::int FROM public.guarded), 0, 'max_delete_share 1 allows emptying the profile');
SELECT throws_ok($$CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src', options => '{"max_delete_share": 1.5}')$$,
                 '22023', 'refresh_profile option max_delete_share must be a number from 0 to 1', 'max_delete_share above 1');
SELECT throws_ok($$CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src', options => '{"max_delete_share": "all"}')$$,
                 '22023', 'refresh_profile option max_delete_share must be a number from 0 to 1', 'max_delete_share not a number');
SELECT throws_ok($$CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src', options => '{"dry_run": 1}')$$,
                 '22023', 'refresh_profile options wait, history and dry_run must be booleans', 'dry_run not a boolean');
CREATE TEMP TABLE runs_before AS SELECT count(*) AS n FROM portrait.profile_run;
CALL portrait.refresh_profile('public.guarded', 'SELECT * FROM public.guarded_src', options => '{"dry_run": true}');
SELECT is((SELECT count(*)::int FROM public.guarded), 0, 'a dry run changes nothing');
SELECT is((SELECT count(*) FROM portrait.profile_run), (SELECT n FROM runs_before), 'and records no run');

-- ---------- profile_views: error paths ----------
SELECT throws_ok($$SELECT portrait.profile_views('public.profile_src1', '{"colour": "red"}')$$, '0A000',
                 'unsupported option "colour" of profile_views', 'views: unknown option');
SELECT throws_ok($$SELECT portrait.profile_views('public.profile_src1', '{"key": "id", "segment": "seg", "min_customers": 0}')$$, '22023',
                 'profile_views option min_customers must be a positive integer', 'views: min_customers 0');
SELECT throws_ok($$SELECT portrait.profile_views('public.profile_src1', '{"key": "id", "segment": "seg", "min_customers": "many"}')$$, '22023',
                 'profile_views option min_customers must be a positive integer', 'views: min_customers not a number');
SELECT throws_ok($$SELECT portrait.profile_views('public.profile_src1', '{"key": "id"}')$$, '22023',
                 'column "segment" is not a column of public.profile_src1', 'views: no segment column');
SELECT throws_ok($$SELECT portrait.profile_views('pg_catalog.pg_class_oid_index'::regclass)$$, '22023',
                 'profile_views target pg_class_oid_index is not a table or view', 'views: an index is not a profile');
SELECT is((SELECT array_agg(v ORDER BY v) FROM portrait.profile_views('public.profile_src1', '{"key": "id", "segment": "seg", "prefix": "p s"}') v),
          ARRAY['public."p s_migration"', 'public."p s_segments"'], 'views: names quoted, no cluster view without a cluster column');
-- ---------- re-runs with the same inputs give the same stage ----------
SELECT is((SELECT count(*)::int FROM
             (SELECT r, t, prev, portrait.lifecycle_stage(r, t, 3, 100, prev) AS once
                FROM generate_series(0, 400, 5) r, generate_series(0, 800, 50) t,
                     unnest(ARRAY[NULL, 'new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated']) prev
               WHERE t >= r AND t >= 100) x
            WHERE portrait.lifecycle_stage(r, t, 3, 100, once) IS DISTINCT FROM once), 0,
          'lifecycle_stage with its own result as the previous stage gives the same stage');
SELECT is(portrait.lifecycle_stage(5, 700, 4, 695, 'reactivated'), 'reactivated', 'reactivated is kept while active');
SELECT is(portrait.lifecycle_stage(100, 700, 4, 695, 'reactivated'), 'at_risk', 'reactivated ends with the next stage change');
SELECT is(portrait.lifecycle_stage(5, 700, 4, 695, 'at_risk'), 'active', 'an at-risk customer who buys again is active');
CREATE TABLE public.rerun_profile (customer_id int PRIMARY KEY, stage text, money numeric(12,2));
CALL portrait.refresh_profile('public.rerun_profile', $$SELECT g AS customer_id, portrait.lifecycle_stage(g % 400, 800, 3, 100, 'dormant') AS stage,
                                                           g * 0.1 AS money FROM generate_series(1, 200) g$$);
CALL portrait.refresh_profile('public.rerun_profile', $$SELECT g AS customer_id, portrait.lifecycle_stage(g % 400, 800, 3, 100, p.stage) AS stage,
                                                           g * 0.1 AS money FROM generate_series(1, 200) g
                                                           LEFT JOIN public.rerun_profile p ON p.customer_id = g$$);
CALL portrait.refresh_profile('public.rerun_profile', $$SELECT g AS customer_id, portrait.lifecycle_stage(g % 400, 800, 3, 100, p.stage) AS stage,
                                                           g * 0.1 AS money FROM generate_series(1, 200) g
                                                           LEFT JOIN public.rerun_profile p ON p.customer_id = g$$);
SELECT is((SELECT concat_ws(' ', inserted, updated, deleted, unchanged) FROM portrait.profile_run
            WHERE target_table = 'public.rerun_profile'::regclass ORDER BY run_id DESC LIMIT 1), '0 0 0 200',
          'a refresh with the previous stage from the profile itself changes nothing when run again');
SELECT throws_ok($$CALL portrait.refresh_profile('public.rerun_profile', 'SELECT 1 AS customer_id, ''a'' AS stag, 1 AS money')$$, '22023',
                 'the source has no column "stage"', 'a source missing a column: the message names it');
SELECT throws_ok($$CALL portrait.refresh_profile('public.rerun_profile', 'SELECT 1 AS customer_id, ''a'' AS stage, 1 / 0 AS money')$$, '22012',
                 'division by zero', 'the source''s own error, as it is');
DROP TABLE public.rerun_profile;
-- a view left by 0.4.0 (float8 money) is replaced by one with numeric money
CREATE TABLE public.old_views (customer_id int PRIMARY KEY, segment text, monetary float8);
INSERT INTO public.old_views SELECT g, 'a', 0.1 FROM generate_series(1, 10) g;
CREATE VIEW public.old_views_segments AS
SELECT 'x'::text AS segment, 1::bigint AS customers, 0.5::float8 AS share, 1.0::float8 AS revenue;
SELECT portrait.profile_views('public.old_views');
SELECT is((SELECT pg_typeof(revenue)::text || ' ' || revenue FROM public.old_views_segments), 'numeric 1.00',
          'profile_views replaces a view of 0.4.0 whose money columns were float8');
DROP TABLE public.old_views CASCADE;
SELECT * FROM finish();
ROLLBACK;
