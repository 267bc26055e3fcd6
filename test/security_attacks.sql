-- Attacks found against 0.4.0, each a test: a source that smuggles a second
-- statement into a trainer, operators and functions planted on the caller's
-- search_path, profile history read past the target's row-level security,
-- history inherited by a new table of a dropped one's name, forged runs, and
-- the lock that any role could take.
BEGIN;
SELECT plan(31);

CREATE ROLE portrait_mallory NOLOGIN;
CREATE ROLE portrait_tenant NOLOGIN;
CREATE SCHEMA atk;
GRANT USAGE ON SCHEMA atk TO portrait_mallory, portrait_tenant;

-- ---------- F1: a source is one query, and the results are checked ----------
SELECT throws_ok($$SELECT portrait.kmeans_train('SELECT ARRAY[1.0]::float8[] AS x) s; SELECT 1 FROM (SELECT 1', 'x', 2, '{}')$$,
                 '42601', NULL, 'kmeans_train: a source that closes its parentheses and adds a statement is a syntax error');
SELECT throws_ok($$SELECT portrait.logit_train('SELECT true AS y, 1.0::float8 AS v) AS x; SELECT 1, 2 FROM (SELECT 1', 'y', ARRAY['v'], '{}')$$,
                 '42601', NULL, 'logit_train: the same smuggled statement is a syntax error');
SELECT throws_ok($$SELECT portrait.kmeans_train('SELECT ARRAY[1.0]::float8[] AS x; SELECT ARRAY[2.0]::float8[] AS x', 'x', 2, '{}')$$,
                 '42601', 'the source of kmeans_train must be a single query', 'kmeans_train: two statements are refused');
SELECT throws_ok($$SELECT portrait.logit_train('SELECT true AS y, 1.0::float8 AS v; SELECT true, 2.0::float8', 'y', ARRAY['v'])$$,
                 '42601', 'the source of logit_train must be a single query', 'logit_train: two statements are refused');
SELECT throws_ok($$SELECT portrait.kmeans_train('SELECT ARRAY[1.0]::float8[] AS x INTO atk.copy', 'x', 2, '{}')$$,
                 '42601', 'the source of kmeans_train must be a single query', 'SELECT ... INTO is not a plain query');
SELECT throws_ok($$SELECT portrait.kmeans_train('  ', 'x', 2, '{}')$$,
                 '42601', 'the source of kmeans_train must be a single query', 'an empty source is refused');
SELECT throws_ok($$SELECT portrait.kmeans_train('SELECT ARRAY[1.0]::float8[] AS x /* unterminated', 'x', 2, '{}')$$,
                 '42601', NULL, 'an unterminated comment cannot swallow the closing parenthesis');
SELECT throws_ok($$CALL portrait.refresh_profile('atk.nothing', 'SELECT 1 AS customer_id; SELECT 2 AS customer_id')$$,
                 '42P01', NULL, 'refresh_profile checks its target first');
CREATE TABLE atk.profile (customer_id int PRIMARY KEY, x float8);
SELECT throws_ok($$CALL portrait.refresh_profile('atk.profile', 'SELECT 1 AS customer_id, 1.0::float8 AS x; SELECT 2, 2.0')$$,
                 '42601', 'the source of refresh_profile must be a single query', 'refresh_profile: two statements are refused');
SELECT is((portrait.kmeans_train('-- the features
                                  SELECT ARRAY[g, g % 7]::float8[] AS x FROM generate_series(1, 60) g;', 'x', 2, '{"seed": 1}')::jsonb ->> 'n')::int,
          60, 'a query with a leading comment and a trailing semicolon is still one query');
CREATE TABLE atk.train AS SELECT g, ARRAY[g, g % 7]::float8[] AS x, g % 3 = 0 AS y, (g % 11)::float8 AS v FROM generate_series(1, 3000) g;
SELECT is((portrait.logit_train('atk.train', 'y', ARRAY['v'])::jsonb ->> 'n')::int, 3000,
          'logit_train''s text source may name a table, as kmeans_train''s may');

-- ---------- F2: operators and functions planted on the caller's search_path ----------
CREATE TABLE atk.captured (what text);
GRANT INSERT ON atk.captured TO PUBLIC;
CREATE FUNCTION public.hostile_cmp(a float8, b float8) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO atk.captured VALUES ('comparison'); RETURN true; END $$;
CREATE FUNCTION public.hostile_cmp(a float8, b integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO atk.captured VALUES ('comparison with an integer'); RETURN true; END $$;
CREATE FUNCTION public.hostile_arith(a float8, b float8) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN INSERT INTO atk.captured VALUES ('arithmetic'); RETURN 0; END $$;
CREATE FUNCTION public.hostile_neg(a bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN INSERT INTO atk.captured VALUES ('negation'); RETURN a; END $$;
CREATE FUNCTION public.hostile_eq(a text, b text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO atk.captured VALUES ('text equality'); RETURN true; END $$;
CREATE OPERATOR public.>= (LEFTARG = float8, RIGHTARG = integer, FUNCTION = public.hostile_cmp);
CREATE OPERATOR public.< (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.hostile_cmp);
CREATE OPERATOR public.<= (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.hostile_cmp);
CREATE OPERATOR public.- (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.hostile_arith);
CREATE OPERATOR public./ (LEFTARG = float8, RIGHTARG = float8, FUNCTION = public.hostile_arith);
CREATE OPERATOR public.- (RIGHTARG = bigint, FUNCTION = public.hostile_neg);
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hostile_eq);
CREATE FUNCTION public.avg(float8) RETURNS float8 LANGUAGE plpgsql AS $$
BEGIN INSERT INTO atk.captured VALUES ('avg'); RETURN 0; END $$;
-- the harshest path: the planted schema before pg_catalog (nothing but the
-- extension runs under it: the checks come after)
CREATE TABLE atk.results (what text, n bigint);
SET LOCAL search_path = public, pg_catalog;
INSERT INTO atk.results SELECT 'kmeans_train table', (portrait.kmeans_train('atk.train'::regclass, 'x', 2, '{"seed": 3, "sample_size": 1000}')::jsonb ->> 'n')::bigint;
INSERT INTO atk.results SELECT 'kmeans_train query', (portrait.kmeans_train('SELECT x FROM atk.train', 'x', 2, '{"seed": -3, "sample_size": 1000}')::jsonb ->> 'n')::bigint;
INSERT INTO atk.results SELECT 'logit_train table', (portrait.logit_train('atk.train'::regclass, 'y', ARRAY['v'], '{"standardize": true}')::jsonb ->> 'n')::bigint;
INSERT INTO atk.results SELECT 'logit_train query', (portrait.logit_train('SELECT y, v FROM atk.train', 'y', ARRAY['v'])::jsonb ->> 'n')::bigint;
CALL portrait.refresh_profile('atk.profile', 'SELECT g AS customer_id, v AS x FROM atk.train');
INSERT INTO atk.results SELECT 'profile_views', count(*) FROM portrait.profile_views('atk.profile', '{"segment": "x"}');
INSERT INTO atk.results SELECT 'migration', count(*) FROM atk.profile_migration;
INSERT INTO atk.results SELECT 'lifecycle_stage ' || portrait.lifecycle_stage(10, 400, 3, 200, 'dormant', '{"mode": "rhythm"}'), 1;
RESET search_path;
SELECT results_eq('SELECT what, n FROM atk.results',
                  $$VALUES ('kmeans_train table', 3000::bigint), ('kmeans_train query', 3000), ('logit_train table', 3000),
                           ('logit_train query', 3000), ('profile_views', 2), ('migration', 11), ('lifecycle_stage reactivated', 1)$$,
                  'kmeans_train (sampled, negative seed), logit_train (standardised), refresh_profile, profile_views and lifecycle_stage run under a hostile search_path');
SELECT is((SELECT count(*)::int FROM atk.profile), 3000, 'the refresh wrote the profile');
SELECT is_empty('SELECT what FROM atk.captured', 'no planted operator or function was called by the extension');

-- ---------- F3: history under the target's row-level security ----------
CREATE TABLE atk.tenants (customer_id int PRIMARY KEY, tenant name NOT NULL, segment text);
ALTER TABLE atk.tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON atk.tenants USING (tenant = current_user);
GRANT SELECT ON atk.tenants TO portrait_tenant;
CREATE TABLE atk.tenant_src AS
SELECT g AS customer_id, (CASE WHEN g % 4 = 0 THEN 'portrait_tenant' ELSE 'other' END)::name AS tenant,
       'S' || g % 3 AS segment FROM generate_series(1, 400) g;
CALL portrait.refresh_profile('atk.tenants', 'SELECT * FROM atk.tenant_src');
UPDATE atk.tenant_src SET segment = 'moved' WHERE customer_id <= 40;
DELETE FROM atk.tenant_src WHERE customer_id > 360;
CALL portrait.refresh_profile('atk.tenants', 'SELECT * FROM atk.tenant_src');
SELECT is((SELECT count(*)::int FROM portrait.profile_history WHERE target_table = 'atk.tenants'::regclass
              AND op = 'insert'), 400, 'the owner reads the whole history');
SET LOCAL ROLE portrait_tenant;
SELECT is((SELECT count(*)::int FROM atk.tenants), 90, 'the tenant sees 90 of the 360 profile rows');
SELECT is((SELECT count(*)::int FROM portrait.profile_history WHERE target_table = 'atk.tenants'::regclass AND op = 'insert'), 90,
          'the tenant reads the insert history of its own 90 rows only');
SELECT is((SELECT count(*)::int FROM portrait.profile_history WHERE target_table = 'atk.tenants'::regclass AND op = 'update'
              AND column_name = 'segment'), 10, 'and the updates of its own rows only');
SELECT is((SELECT count(*)::int FROM portrait.profile_history WHERE target_table = 'atk.tenants'::regclass AND op = 'delete'), 0,
          'deleted rows are no longer the tenant''s to see, nor is their history');
SELECT is((SELECT count(*)::int FROM portrait.profile_history h
            WHERE NOT EXISTS (SELECT 1 FROM atk.tenants t WHERE t.customer_id::text = h.key)), 0,
          'no history row of a key the tenant cannot see');
RESET ROLE;

-- ---------- F4: history belongs to the table, not to its name ----------
CREATE TABLE atk.gone (customer_id int PRIMARY KEY, segment text);
CALL portrait.refresh_profile('atk.gone', 'SELECT g AS customer_id, ''a'' AS segment FROM generate_series(1, 10) g');
DROP TABLE atk.gone;
CREATE TABLE atk.gone (customer_id int PRIMARY KEY, segment text);
GRANT SELECT ON atk.gone TO portrait_mallory;
SELECT is((SELECT count(*)::int FROM portrait.profile_run WHERE target_table = 'atk.gone'::regclass), 0,
          'a new table of a dropped table''s name has no runs');
SET LOCAL ROLE portrait_mallory;
SELECT is((SELECT count(*)::int FROM portrait.profile_history WHERE target = 'atk.gone'), 0,
          'nor can a reader of the new table read the old table''s history by name');
RESET ROLE;

-- ---------- F5: runs and history cannot be forged ----------
GRANT SELECT, INSERT, UPDATE, DELETE ON atk.profile TO portrait_mallory;
SET LOCAL ROLE portrait_mallory;
SELECT throws_ok($$INSERT INTO portrait.profile_run (run_id, target, target_table, started_at, finished_at, inserted, updated, deleted, unchanged, status)
                   VALUES (1000000, 'atk.profile', 'atk.profile', now(), now(), 0, 0, 0, 0, 'succeeded')$$,
                 '42501', NULL, 'a role that can write the target cannot insert a run');
SELECT throws_ok($$INSERT INTO portrait.profile_history (run_id, target, target_table, key, op, changed_at)
                   VALUES (1000000, 'atk.profile', 'atk.profile', '1', 'insert', now())$$,
                 '42501', NULL, 'nor a history row');
SELECT ok(portrait.profile_run_open('atk.profile') > 0, 'opening a run of a table the role can write works');
SELECT throws_ok($$INSERT INTO portrait.profile_run (run_id, target, target_table, started_at, finished_at, inserted, updated, deleted, unchanged, status)
                   VALUES (1000000, 'atk.profile', 'atk.profile', now(), now(), 0, 0, 0, 0, 'succeeded')$$,
                 '42501', NULL, 'an open run does not admit a run under another number');
SELECT throws_ok($$INSERT INTO portrait.profile_history (run_id, target, target_table, key, op, changed_at)
                   VALUES ((SELECT last_value FROM portrait.profile_run_run_id_seq), 'atk.tenants', 'atk.tenants', '1', 'insert', now())$$,
                 '42501', NULL, 'nor rows for another table');
SELECT portrait.profile_run_close();
SELECT throws_ok($$SELECT portrait.profile_run_open('atk.tenants')$$, '42501', 'permission denied to refresh atk.tenants',
                 'a run cannot be opened on a table the role cannot write');
SELECT throws_ok($$UPDATE portrait.profile_run SET run_id = run_id + 1000000$$, '42501', NULL, 'runs cannot be renumbered');
RESET ROLE;

-- ---------- F6: the refresh lock is not open to every role ----------
-- the refreshes above hold their lock until this transaction ends: an object
-- lock on (profile_run, target), which no SQL function can take
SELECT is((SELECT mode FROM pg_locks WHERE locktype = 'object' AND pid = pg_backend_pid()
             AND classid = 'portrait.profile_run'::regclass AND objid = 'atk.profile'::regclass),
          'ExclusiveLock', 'the refresh lock is an object lock on (profile_run, target)');
SELECT is((SELECT count(*)::int FROM pg_locks WHERE locktype = 'advisory'), 0, 'a refresh takes no advisory lock');

SELECT * FROM finish();
ROLLBACK;
