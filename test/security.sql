-- Security properties: an ordinary role can use the extension with its own
-- rights only; row-level security of the caller applies to the trainers and to
-- refresh_profile; profile runs and history follow the privileges on the
-- profile table.
BEGIN;
SELECT plan(28);

CREATE ROLE portrait_alice NOLOGIN;
CREATE ROLE portrait_bob NOLOGIN;
CREATE SCHEMA sec;
GRANT USAGE ON SCHEMA sec TO portrait_alice, portrait_bob;

-- rows owned by either role; each role may see its own only
CREATE TABLE sec.customers (owner name NOT NULL, customer_id int PRIMARY KEY, f double precision[] NOT NULL,
                            churned boolean NOT NULL, x double precision NOT NULL);
INSERT INTO sec.customers
SELECT CASE WHEN g % 4 = 0 THEN 'portrait_alice' ELSE 'portrait_bob' END, g,
       ARRAY[(g % 17)::float8, ((g * 7) % 23)::float8], (g % 3) = 0, ((g * 13) % 29)::float8
FROM generate_series(1, 400) g;
ALTER TABLE sec.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON sec.customers USING (owner = current_user);
GRANT SELECT ON sec.customers TO portrait_alice, portrait_bob;

CREATE TABLE sec.alice_profile (customer_id int PRIMARY KEY, x double precision);
GRANT SELECT, INSERT, UPDATE, DELETE ON sec.alice_profile TO portrait_alice;
GRANT SELECT ON sec.alice_profile TO portrait_bob;
CREATE TABLE sec.secret_profile (customer_id int PRIMARY KEY, x double precision);
INSERT INTO sec.secret_profile VALUES (1, 1);
CALL portrait.refresh_profile('sec.secret_profile', 'SELECT 1 AS customer_id, 2.0::float8 AS x');

-- ---------- catalog ----------
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_portrait') AND p.prosecdef$$,
    'no function of the extension is SECURITY DEFINER');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_portrait')
       AND NOT has_function_privilege('portrait_alice', p.oid, 'EXECUTE')$$,
    'an ordinary role may execute every function');
SELECT ok(has_schema_privilege('portrait_alice', 'portrait', 'USAGE'), 'an ordinary role may use the schema');
SELECT ok(NOT has_schema_privilege('portrait_alice', 'portrait', 'CREATE'), 'an ordinary role may not create objects in the schema');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'portrait'::regnamespace AND c.relkind = 'r'
       AND (has_table_privilege('portrait_alice', c.oid, 'UPDATE') OR has_table_privilege('portrait_alice', c.oid, 'DELETE')
            OR has_table_privilege('portrait_alice', c.oid, 'TRUNCATE'))
       AND NOT (c.relname IN ('profile_incremental', 'profile_change_log') AND c.relrowsecurity
                AND NOT has_table_privilege('portrait_alice', c.oid, 'TRUNCATE'))$$,
    'no ordinary role may update, delete or truncate the configuration and history tables (the incremental set-up and change log only under their row policies)');

SET LOCAL ROLE portrait_alice;

-- ---------- ordinary use ----------
SELECT is(portrait.rfm_segment(5, 5, 5), 'Champions', 'an ordinary role scores and reads the segment maps');
SELECT throws_ok($$UPDATE portrait.rfm_segment_rule SET segment = 'x'$$, '42501', NULL,
                 'an ordinary role cannot edit the segment maps');

-- ---------- row-level security of the caller ----------
SELECT is((SELECT count(*)::int FROM sec.customers), 100, 'alice sees her 100 rows');
SELECT is((portrait.kmeans_train('sec.customers'::regclass, 'f', 3, '{"seed": 1}')::jsonb ->> 'n')::int, 100,
          'kmeans_train over a table sees only the rows the caller''s policy allows');
SELECT is((portrait.kmeans_train('SELECT f FROM sec.customers', 'f', 3, '{"seed": 1}')::jsonb ->> 'n')::int, 100,
          'kmeans_train over a query sees only the rows the caller''s policy allows');
SELECT is((portrait.logit_train('sec.customers'::regclass, 'churned', ARRAY['x'])::jsonb ->> 'n')::int, 100,
          'logit_train sees only the rows the caller''s policy allows');
SELECT is((SELECT (portrait.kmeans_fit(f, 3, '{"seed": 1}')::jsonb ->> 'n')::int FROM sec.customers), 100,
          'kmeans_fit over the table sees only the allowed rows');

CALL portrait.refresh_profile('sec.alice_profile', 'SELECT customer_id, x FROM sec.customers');
SELECT is((SELECT count(*)::int FROM sec.alice_profile), 100, 'refresh_profile reads the source with the caller''s policy');
SELECT is((SELECT count(*)::int FROM sec.alice_profile WHERE customer_id % 4 <> 0), 0,
          'no row hidden from the caller reaches the profile');
SELECT is((SELECT inserted::int FROM portrait.profile_run WHERE target = 'sec.alice_profile'), 100,
          'the run is recorded for alice');

-- ---------- privileges on the target, runs and history ----------
SELECT is((SELECT count(*)::int FROM portrait.profile_run WHERE target = 'sec.secret_profile'), 0,
          'runs of a profile table the role cannot read are hidden');
SELECT is((SELECT count(*)::int FROM portrait.profile_history WHERE target = 'sec.secret_profile'), 0,
          'history of a profile table the role cannot read is hidden');
SELECT throws_ok($$CALL portrait.refresh_profile('sec.secret_profile', 'SELECT 1 AS customer_id, 3.0::float8 AS x')$$,
                 '42501', 'permission denied to refresh sec.secret_profile',
                 'refreshing a table the role cannot write fails with 42501');
SELECT throws_ok($$INSERT INTO portrait.profile_history (run_id, target, key, op, changed_at)
                   VALUES (1, 'sec.secret_profile', '1', 'insert', now())$$, '42501', NULL,
                 'history of another profile table cannot be forged');
SELECT throws_ok($$DELETE FROM portrait.profile_history$$, '42501', NULL, 'history cannot be deleted by an ordinary role');

RESET ROLE;
SET LOCAL ROLE portrait_bob;
SELECT is((SELECT count(*)::int FROM portrait.profile_history WHERE target = 'sec.alice_profile'), 100,
          'a role that can read the profile table reads its history');
SELECT throws_ok($$CALL portrait.refresh_profile('sec.alice_profile', 'SELECT customer_id, x FROM sec.customers')$$,
                 '42501', NULL, 'a reader cannot refresh the profile table');
SELECT is((SELECT count(*)::int FROM sec.alice_profile), 100, 'the profile is unchanged');
RESET ROLE;

SELECT is((SELECT count(*)::int FROM portrait.profile_run WHERE target IN ('sec.alice_profile', 'sec.secret_profile')), 2,
          'the owner of the extension sees every run');

-- the incremental set-up and change log: rows of profiles a role cannot write stay as they are
CREATE TABLE sec.orders (customer_id int, amount float8);
GRANT SELECT ON sec.orders TO portrait_bob;
INSERT INTO portrait.profile_change_log (source, key) VALUES ('sec.orders', '1');
INSERT INTO portrait.profile_incremental (target, source, key_column, ordered_at_column, amount_column, watermark_column,
                                          state_table, watermark, as_of, map, zone, updated_at)
VALUES ('sec.alice_profile', 'sec.orders', 'customer_id', 'at', 'amount', 'xid', 'sec.orders', '1', '2024-01-01', 'standard', 'UTC', now());
SET LOCAL ROLE portrait_bob;
DELETE FROM portrait.profile_change_log;
SELECT throws_ok($$UPDATE portrait.profile_incremental SET watermark = '1000'$$, '42501', NULL,
                 'a reader of the profile cannot rewrite its incremental set-up');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM portrait.profile_change_log WHERE source = 'sec.orders'::regclass), 1,
          'a role that can read the source but write no profile kept from it deletes no logged change');
SELECT is((SELECT watermark::text FROM portrait.profile_incremental WHERE target = 'sec.alice_profile'::regclass), '1',
          'a reader of the profile cannot move its watermark');
SET LOCAL ROLE portrait_bob;
SELECT throws_ok($$TRUNCATE portrait.profile_change_log$$, '42501', NULL, 'nor truncate the change log');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
