-- pg_portrait 0.4.0 -> 0.5.0
\echo Use "ALTER EXTENSION pg_portrait UPDATE TO '0.5.0'" to load this file. \quit

-- ---------- rfm: the standard map read with inclusive bounds ----------

-- Added without a default and then filled, so the column has no stored
-- "missing" value and the catalog equals a fresh install's; the guard trigger
-- is off meanwhile, or filling the column would turn every row into a user rule.
ALTER TABLE @extschema@.rfm_segment_rule ADD COLUMN inclusive boolean;
ALTER TABLE @extschema@.rfm_segment_rule DISABLE TRIGGER rfm_segment_rule_guard;
UPDATE @extschema@.rfm_segment_rule SET inclusive = false;
ALTER TABLE @extschema@.rfm_segment_rule ENABLE TRIGGER rfm_segment_rule_guard;
ALTER TABLE @extschema@.rfm_segment_rule ALTER COLUMN inclusive SET DEFAULT false;
ALTER TABLE @extschema@.rfm_segment_rule ALTER COLUMN inclusive SET NOT NULL;
COMMENT ON COLUMN @extschema@.rfm_segment_rule.inclusive IS 'Lower bounds are inclusive too (low <= score <= high, as the standard map is published); false: low < score <= high';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.r_low IS 'Recency score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.f_low IS 'Frequency score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.m_low IS 'Monetary score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.fm_low IS '(F + M) / 2 must be greater than this, or at least this when inclusive (NULL: no bound)';

-- Rows of the standard map still as installed are replaced by the inclusive
-- reading; rows a user edited (builtin false) keep their bounds and their
-- half-open reading, and rows a user deleted stay deleted.  Deleting and
-- inserting built-in rows bypasses the trigger that turns edits into user rules.
WITH replaced AS (
    DELETE FROM @extschema@.rfm_segment_rule
     WHERE map = 'standard' AND builtin
    RETURNING priority
)
INSERT INTO @extschema@.rfm_segment_rule
    (map, priority, segment, r_low, r_high, fm_low, fm_high, builtin, inclusive, description)
SELECT 'standard', v.priority, v.segment, v.r_low, v.r_high, v.fm_low, v.fm_high, true, true, v.description
  FROM (VALUES
    ( 1, 'Champions',          4, 5, 4, 5, 'Bought recently, buy often and spend the most'),
    ( 2, 'Loyal Customers',    2, 5, 3, 5, 'Buy regularly and spend well'),
    ( 3, 'Potential Loyalist', 3, 5, 1, 3, 'Recent customers with average frequency and spend'),
    ( 4, 'New Customers',      4, 5, 0, 1, 'Bought most recently, but rarely'),
    ( 5, 'Promising',          3, 4, 0, 1, 'Recent shoppers who have not spent much yet'),
    ( 6, 'Need Attention',     2, 3, 2, 3, 'Above-average recency, frequency and spend, but not lately'),
    ( 7, 'About To Sleep',     2, 3, 0, 2, 'Below-average recency, frequency and spend'),
    ( 8, 'Can''t Lose Them',   0, 1, 4, 5, 'Used to buy most and most often, but long ago'),
    ( 9, 'At Risk',            0, 2, 2, 5, 'Spent a lot and bought often, but long ago'),
    (10, 'Hibernating',        1, 2, 1, 2, 'Last purchase long ago, low spend and few orders'),
    (11, 'Lost',               0, 2, 0, 2, 'Lowest recency, frequency and spend'))
    AS v(priority, segment, r_low, r_high, fm_low, fm_high, description)
  JOIN replaced USING (priority);

-- ---------- profile runs and history belong to a table (by OID), not to a name ----------
-- Rows recorded before 0.5.0 are matched to the table that has their name now
-- (a table dropped since gets the OID 0 and is shown to no one but the owner).
ALTER TABLE @extschema@.profile_run ADD COLUMN target_table regclass, ADD COLUMN key_column text;
UPDATE @extschema@.profile_run SET target_table = coalesce(pg_catalog.to_regclass(target), 0::pg_catalog.oid::pg_catalog.regclass);
ALTER TABLE @extschema@.profile_run ALTER COLUMN target_table SET NOT NULL;
ALTER TABLE @extschema@.profile_history ADD COLUMN target_table regclass;
UPDATE @extschema@.profile_history SET target_table = coalesce(pg_catalog.to_regclass(target), 0::pg_catalog.oid::pg_catalog.regclass);
ALTER TABLE @extschema@.profile_history ALTER COLUMN target_table SET NOT NULL;
COMMENT ON COLUMN @extschema@.profile_run.target IS 'Schema-qualified, quoted name of the profile table at the time of the run';
COMMENT ON COLUMN @extschema@.profile_run.target_table IS 'The profile table (by OID, so a new table of the same name starts without runs; dumped and restored by name)';
COMMENT ON COLUMN @extschema@.profile_run.key_column IS 'The key column of the run (NULL for runs recorded before version 0.5.0)';
COMMENT ON COLUMN @extschema@.profile_history.target IS 'Schema-qualified, quoted name of the profile table at the time of the run';
COMMENT ON COLUMN @extschema@.profile_history.target_table IS 'The profile table (by OID; dumped and restored by name)';
DROP INDEX @extschema@.profile_run_target;
CREATE INDEX profile_run_target ON @extschema@.profile_run (target_table, run_id);
COMMENT ON INDEX @extschema@.profile_run_target IS 'Latest runs of a target';
DROP INDEX @extschema@.profile_history_run;
CREATE INDEX profile_history_run ON @extschema@.profile_history (target_table, run_id, column_name);
COMMENT ON INDEX @extschema@.profile_history_run IS 'Changes of one run of a target';
DROP POLICY profile_run_read ON @extschema@.profile_run;
DROP POLICY profile_run_write ON @extschema@.profile_run;
DROP POLICY profile_history_read ON @extschema@.profile_history;
DROP POLICY profile_history_write ON @extschema@.profile_history;

CREATE FUNCTION @extschema@.profile_run_open(target regclass, wait boolean DEFAULT true)
    RETURNS bigint AS 'MODULE_PATHNAME', 'pp_profile_run_open'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.profile_run_open(regclass, boolean) IS 'refresh_profile''s first step: check SELECT, INSERT, UPDATE and DELETE on the target, take the one-refresh-per-target lock (an object lock on profile_run and the target, which no SQL function takes) and open a run whose rows profile_run and profile_history accept until the transaction ends';

CREATE FUNCTION @extschema@.profile_run_is_open(target regclass, run_id bigint)
    RETURNS boolean AS 'MODULE_PATHNAME', 'pp_profile_run_is_open'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.profile_run_is_open(regclass, bigint) IS 'Whether run_id is the run this transaction opened on target with profile_run_open (the check of the write policies on profile_run and profile_history)';

CREATE FUNCTION @extschema@.profile_run_close()
    RETURNS void AS 'MODULE_PATHNAME', 'pp_profile_run_close'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.profile_run_close() IS 'refresh_profile''s last step: no more rows are accepted for the open run';

CREATE FUNCTION @extschema@.profile_key_visible(target regclass, run_id bigint, key text)
    RETURNS boolean LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kc text;
    kt text;
    seen boolean;
BEGIN
    SELECT r.key_column INTO kc FROM @extschema@.profile_run r WHERE r.run_id = profile_key_visible.run_id;
    SELECT format_type(a.atttypid, a.atttypmod) INTO kt
    FROM pg_attribute a WHERE a.attrelid = target AND a.attname = kc AND a.attnum > 0 AND NOT a.attisdropped;
    IF kt IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s t WHERE t.%I = $1::%s)', target, kc, kt) INTO seen USING key;
    RETURN seen;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_key_visible(regclass, bigint, text) IS 'Whether the caller sees the row of key in a profile table (through its row-level security): the read policy of profile_history where the target''s policies apply to the reader';

CREATE POLICY profile_run_read ON @extschema@.profile_run FOR SELECT
    USING (pg_catalog.has_table_privilege(target_table::pg_catalog.oid, 'SELECT'));
COMMENT ON POLICY profile_run_read ON @extschema@.profile_run IS 'Runs of the profile tables the role can read (by OID)';
CREATE POLICY profile_run_write ON @extschema@.profile_run FOR INSERT
    WITH CHECK (@extschema@.profile_run_is_open(target_table, run_id));
COMMENT ON POLICY profile_run_write ON @extschema@.profile_run IS 'A run is recorded only by the refresh that opened it';
CREATE POLICY profile_history_read ON @extschema@.profile_history FOR SELECT
    USING (pg_catalog.has_table_privilege(target_table::pg_catalog.oid, 'SELECT')
           AND (NOT pg_catalog.row_security_active(target_table::pg_catalog.oid) OR @extschema@.profile_key_visible(target_table, run_id, key)));
COMMENT ON POLICY profile_history_read ON @extschema@.profile_history IS 'Changes of the profile tables the role can read, limited to the keys the target''s own row-level security lets the role see';
CREATE POLICY profile_history_write ON @extschema@.profile_history FOR INSERT
    WITH CHECK (@extschema@.profile_run_is_open(target_table, run_id));
COMMENT ON POLICY profile_history_write ON @extschema@.profile_history IS 'Changes are recorded only by the refresh that opened the run';

CREATE OR REPLACE PROCEDURE @extschema@.refresh_profile(target regclass, source text, key name DEFAULT 'customer_id',
                                             options jsonb DEFAULT '{}',
                                             source_search_path text DEFAULT pg_catalog.current_setting('search_path'))
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb := coalesce(options, '{}');
    opt text;
    tname text;
    wait boolean;
    history boolean;
    dry_run boolean;
    max_delete_share float8;
    tracked text[];
    cols text[];            -- target columns other than the key, in attnum order
    col_list text;          -- "a", "b"
    diff_values text;       -- ('a', t."a"::text, (d.src)."a"::text), ...
    old_values text;        -- ('a', t."a"::text), ...
    k text := quote_ident(key);
    run bigint;
    started timestamptz := clock_timestamp();
    n_ins bigint;
    n_upd bigint;
    n_del bigint;
    n_same bigint;
    by_key boolean := false;    -- a Citus table: rows are found by key, not by tid
    key_type text;
    old_rel text;               -- where the old values of changed rows are read
    old_join text;              -- and how they meet their diff rows d
    change_keys text[];         -- keys of the rows updated or deleted, as text
    gone_keys text[];           -- keys of the rows deleted
    gone_null boolean;          -- a row with a NULL key is deleted
    err_state text;
    err_msg text;
    err_detail text;
    err_hint text;
BEGIN
    IF target IS NULL OR source IS NULL OR key IS NULL THEN
        RAISE EXCEPTION 'refresh_profile target, source and key must not be NULL' USING ERRCODE = '22004';
    END IF;
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('wait', 'track', 'history', 'dry_run', 'max_delete_share') THEN
            RAISE EXCEPTION 'unsupported option "%" of refresh_profile', opt USING ERRCODE = '0A000',
                HINT = 'Options are wait (boolean), track (array of column names), history (boolean), dry_run (boolean) and max_delete_share (a number from 0 to 1).';
        END IF;
    END LOOP;
    IF jsonb_typeof(o->'wait') NOT IN ('boolean') OR jsonb_typeof(o->'history') NOT IN ('boolean')
       OR jsonb_typeof(o->'dry_run') NOT IN ('boolean') THEN
        RAISE EXCEPTION 'refresh_profile options wait, history and dry_run must be booleans' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(o->'max_delete_share') <> 'number'
       OR NOT ((o->>'max_delete_share')::float8 BETWEEN 0 AND 1) THEN
        RAISE EXCEPTION 'refresh_profile option max_delete_share must be a number from 0 to 1' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(o->'track') <> 'array' THEN
        RAISE EXCEPTION 'refresh_profile option track must be an array of column names' USING ERRCODE = '22023';
    END IF;
    wait := coalesce((o->>'wait')::boolean, true);
    history := coalesce((o->>'history')::boolean, true);
    dry_run := coalesce((o->>'dry_run')::boolean, false);
    max_delete_share := coalesce((o->>'max_delete_share')::float8, 0.5);

    SELECT format('%I.%I', n.nspname, c.relname) INTO tname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = target AND c.relkind IN ('r', 'p');
    IF tname IS NULL THEN
        RAISE EXCEPTION 'refresh_profile target % is not a table', target USING ERRCODE = '22023';
    END IF;
    -- the rights a refresh needs, a lock only roles that can write the table can
    -- take (one refresh per target at a time, to the end of the transaction),
    -- and the run number the rows of this refresh are recorded under
    run := @extschema@.profile_run_open(target, wait);

    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = target AND attname = key AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'key column "%" is not a column of %', key, tname USING ERRCODE = '22023';
    END IF;
    SELECT pg_catalog.format_type(atttypid, atttypmod) INTO key_type
    FROM pg_attribute WHERE attrelid = target AND attname = key;
    -- Citus plans no UPDATE or DELETE by ctid on its tables (distributed,
    -- reference): there the key finds the rows, the distribution column in
    -- the normal case, so that each change goes to its shard
    IF pg_catalog.to_regclass('pg_catalog.pg_dist_partition') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1)'
        INTO by_key USING target;
    END IF;
    SELECT array_agg(attname::text ORDER BY attnum) INTO cols
    FROM pg_attribute
    WHERE attrelid = target AND attnum > 0 AND NOT attisdropped AND attname <> key AND attgenerated = '';
    cols := coalesce(cols, '{}');

    IF o ? 'track' THEN
        tracked := ARRAY(SELECT jsonb_array_elements_text(o->'track'));
        SELECT c INTO opt FROM unnest(tracked) c WHERE c <> ALL (cols) LIMIT 1;
        IF opt IS NOT NULL THEN
            RAISE EXCEPTION 'tracked column "%" is not a non-key column of %', opt, tname USING ERRCODE = '22023';
        END IF;
    ELSE
        tracked := cols;
    END IF;

    IF to_regclass('pg_temp.portrait_refresh_diff') IS NOT NULL THEN
        DROP TABLE pg_temp.portrait_refresh_diff;
    END IF;
    col_list := (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) c);

    -- one pass over target and source finds every difference: keys only in the
    -- source (i), only in the target (d), or with a changed column (u); the
    -- source must return the target's columns by name and runs unchanged (its
    -- errors reach the caller as they are), its columns cast to the target's
    -- types so that comparisons are exact
    -- An error of the source (or of its columns) is raised again as it is,
    -- without the internal statements around the source in its context.
    BEGIN
        PERFORM pg_catalog.set_config('search_path', source_search_path, true);
        EXECUTE format('CREATE TEMP TABLE portrait_refresh_diff ON COMMIT DROP AS
                        SELECT * FROM @extschema@.profile_diff($1, $2, $3)
                        AS d(op pg_catalog."char", n pg_catalog.int8, rel pg_catalog.oid, tid pg_catalog.tid, changed pg_catalog.text[], src %s)', tname)
        USING target, source, key;
        PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_msg = MESSAGE_TEXT,
                                err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.raise_again(err_state, err_msg, err_detail, err_hint);
    END;
    SELECT count(*) FILTER (WHERE op = 'i'), count(*) FILTER (WHERE op = 'u'),
           count(*) FILTER (WHERE op = 'd'), max(n) FILTER (WHERE op = '=')
    INTO n_ins, n_upd, n_del, n_same
    FROM pg_temp.portrait_refresh_diff;

    -- a source that lost most of its rows (an empty staging table, a failed
    -- load) would empty the profile: refused unless the caller allows it
    IF dry_run THEN
        RAISE NOTICE 'refresh_profile dry run of %: % to insert, % to update, % to delete, % unchanged', tname, n_ins, n_upd, n_del, n_same
            USING DETAIL = CASE WHEN n_del > max_delete_share * (n_upd + n_del + n_same)
                                THEN format('The refresh would stop: it deletes more than max_delete_share (%s) of the rows.', max_delete_share)
                                ELSE 'Nothing was changed.' END;
        PERFORM @extschema@.profile_run_close();
        DROP TABLE pg_temp.portrait_refresh_diff;
        RETURN;
    END IF;
    IF n_del > max_delete_share * (n_upd + n_del + n_same) THEN
        RAISE EXCEPTION 'refresh_profile would delete % of the % rows of %', n_del, n_upd + n_del + n_same, tname
            USING ERRCODE = '55000',
                  DETAIL = format('The source returns %s keys; the refresh may delete at most max_delete_share (%s) of the rows.',
                                  n_ins + n_upd + n_same, max_delete_share),
                  HINT = 'Check the source. If the deletions are meant, pass {"max_delete_share": 1}; {"dry_run": true} reports the changes without making them.';
    END IF;
    ANALYZE pg_temp.portrait_refresh_diff;

    -- The rows to change are fetched by tid.  The planner prices a TID lookup
    -- per row above a scan of the whole table, but the lookups win until
    -- some 5% of the rows change (the settings revert when the call ends).
    IF (n_upd + n_del) * 20 < n_upd + n_del + n_same THEN
        PERFORM pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true);
    END IF;

    old_rel := tname;
    old_join := 't.tableoid = d.rel AND t.ctid = d.tid';
    IF by_key AND n_upd + n_del > 0 THEN
        -- the rows to change, copied once: the history reads their old values
        IF to_regclass('pg_temp.portrait_refresh_old') IS NOT NULL THEN
            DROP TABLE pg_temp.portrait_refresh_old;
        END IF;
        EXECUTE format('SELECT array_agg((d.src).%1$s::text) FILTER (WHERE (d.src).%1$s IS NOT NULL),
                               array_agg((d.src).%1$s::text) FILTER (WHERE (d.src).%1$s IS NOT NULL AND d.op = ''d''),
                               coalesce(bool_or((d.src).%1$s IS NULL) FILTER (WHERE d.op = ''d''), false)
                        FROM pg_temp.portrait_refresh_diff d WHERE d.op IN (''u'', ''d'')', k)
        INTO change_keys, gone_keys, gone_null;
        EXECUTE format('CREATE TEMP TABLE portrait_refresh_old ON COMMIT DROP AS
                        SELECT * FROM %1$s t WHERE t.%2$s = ANY ($1::%3$s[]) OR ($2 AND t.%2$s IS NULL)',
                       tname, k, key_type)
        USING change_keys, gone_null;
        old_rel := 'pg_temp.portrait_refresh_old';
        old_join := format('t.%1$s IS NOT DISTINCT FROM (d.src).%1$s', k);
    END IF;

    -- changed rows: history first (old values), then one rewrite per changed row
    IF history AND cardinality(tracked) > 0 AND n_upd > 0 THEN
        diff_values := (SELECT string_agg(format('(%L, t.%2$I::text, (d.src).%2$I::text)', c, c), ', ')
                        FROM unnest(tracked) c);
        EXECUTE format('INSERT INTO @extschema@.profile_history (run_id, target, target_table, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, $4, t.%1$s::text, ''update'', v.c, v.o, v.n, $3
                        FROM pg_temp.portrait_refresh_diff d JOIN %2$s t ON %4$s
                        CROSS JOIN LATERAL (VALUES %3$s) v(c, o, n) WHERE d.op = ''u'' AND v.c = ANY (d.changed)',
                       k, old_rel, diff_values, old_join)
        USING run, tname, started, target;
    END IF;
    IF n_upd > 0 AND by_key THEN
        -- the new rows travel as one array of the target's row type
        EXECUTE format('UPDATE %1$s t SET (%2$s) = ROW(%3$s)
                        FROM (SELECT (r).* FROM pg_catalog.unnest($1::%1$s[]) r) s WHERE t.%4$s = s.%4$s',
                       tname, col_list, (SELECT string_agg(format('s.%I', c), ', ') FROM unnest(cols) c), k)
        USING (SELECT array_agg(d.src)::text FROM pg_temp.portrait_refresh_diff d WHERE d.op = 'u');
    ELSIF n_upd > 0 THEN
        EXECUTE format('UPDATE %1$s t SET (%2$s) = (SELECT %3$s) FROM pg_temp.portrait_refresh_diff d
                        WHERE t.tableoid = d.rel AND t.ctid = d.tid AND d.op = ''u''',
                       tname, col_list, (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(cols) c));
    END IF;

    -- vanished keys: their tracked values go to the history as they are deleted
    IF n_del > 0 AND by_key THEN
        old_values := coalesce((SELECT string_agg(format('(%L, t.%I::text)', c, c), ', ') FROM unnest(tracked) c), '(NULL, NULL)');
        EXECUTE format('INSERT INTO @extschema@.profile_history (run_id, target, target_table, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, $5, t.%2$s::text, ''delete'', v.c, v.o, NULL, $3
                        FROM pg_temp.portrait_refresh_old t JOIN pg_temp.portrait_refresh_diff d ON d.op = ''d'' AND %4$s
                        CROSS JOIN LATERAL (VALUES %3$s) v(c, o) WHERE $4 AND t.%2$s IS NOT NULL',
                       tname, k, old_values, old_join)
        USING run, tname, started, history AND cardinality(tracked) > 0, target;
        EXECUTE format('DELETE FROM %1$s t WHERE t.%2$s = ANY ($1::%3$s[]) OR ($2 AND t.%2$s IS NULL)', tname, k, key_type)
        USING gone_keys, gone_null;
    ELSIF n_del > 0 THEN
        old_values := coalesce((SELECT string_agg(format('(%L, t.%I::text)', c, c), ', ') FROM unnest(tracked) c), '(NULL, NULL)');
        EXECUTE format('WITH del AS (DELETE FROM %1$s t USING pg_temp.portrait_refresh_diff d
                                     WHERE t.tableoid = d.rel AND t.ctid = d.tid AND d.op = ''d'' RETURNING t.*)
                        INSERT INTO @extschema@.profile_history (run_id, target, target_table, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, $5, t.%2$s::text, ''delete'', v.c, v.o, NULL, $3
                        FROM del t CROSS JOIN LATERAL (VALUES %3$s) v(c, o) WHERE $4 AND t.%2$s IS NOT NULL',
                       tname, k, old_values)
        USING run, tname, started, history AND cardinality(tracked) > 0, target;
    END IF;

    -- new keys: one history row each (all their values are new)
    IF n_ins > 0 THEN
        EXECUTE format('WITH ins AS (INSERT INTO %1$s (%2$s) SELECT %3$s FROM pg_temp.portrait_refresh_diff d
                                     WHERE d.op = ''i'' RETURNING %4$s)
                        INSERT INTO @extschema@.profile_history (run_id, target, target_table, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, $5, ins.%4$s::text, ''insert'', NULL, NULL, NULL, $3 FROM ins WHERE $4',
                       tname, k || coalesce(', ' || col_list, ''),
                       (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(key::text || cols) c), k)
        USING run, tname, started, history, target;
    END IF;

    INSERT INTO @extschema@.profile_run (run_id, target, target_table, key_column, started_at, finished_at,
                                         inserted, updated, deleted, unchanged, status)
    VALUES (run, tname, target, key, started, clock_timestamp(), n_ins, n_upd, n_del, n_same, 'succeeded');
    PERFORM @extschema@.profile_run_close();
    DROP TABLE pg_temp.portrait_refresh_diff;
    IF to_regclass('pg_temp.portrait_refresh_old') IS NOT NULL THEN
        DROP TABLE pg_temp.portrait_refresh_old;
    END IF;
END
$$;
COMMENT ON PROCEDURE @extschema@.refresh_profile(regclass, text, name, jsonb, text) IS 'Make a profile table equal to a query''s result in one transaction, writing only changed rows, recording changes in profile_history and the run in profile_run';

CREATE OR REPLACE FUNCTION @extschema@.profile_views(target regclass, options jsonb DEFAULT '{}')
    RETURNS SETOF text LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb := coalesce(options, '{}');
    opt text;
    nsp text;
    rel text;
    tname text;
    prefix text;
    k int;
    key text;
    seg text;
    clu text;
    clu_label text;
    label_expr text;
    col jsonb := '{}';      -- measure -> SQL expression over the profile (NULL::float8 when absent)
    measure text;
    vname text;
    bad boolean;
    aggs text;
    views text[];           -- name, CREATE statement, comment; three per view
BEGIN
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('key', 'segment', 'cluster', 'cluster_label', 'revenue', 'recency', 'frequency', 'monetary', 'churn_risk',
                       'clv', 'min_customers', 'prefix') THEN
            RAISE EXCEPTION 'unsupported option "%" of profile_views', opt USING ERRCODE = '0A000',
                HINT = 'Options are key, segment, cluster, cluster_label, revenue, recency, frequency, monetary, churn_risk, clv (column names), min_customers and prefix.';
        END IF;
    END LOOP;
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = target AND c.relkind IN ('r', 'p', 'v', 'm');
    IF rel IS NULL THEN
        RAISE EXCEPTION 'profile_views target % is not a table or view', target USING ERRCODE = '22023';
    END IF;
    tname := format('%I.%I', nsp, rel);
    prefix := coalesce(o->>'prefix', rel);
    bad := o ? 'min_customers' AND CASE WHEN jsonb_typeof(o->'min_customers') = 'number'
                                        THEN (o->>'min_customers')::numeric < 1 OR (o->>'min_customers')::numeric % 1 <> 0
                                        ELSE true END;
    IF bad THEN
        RAISE EXCEPTION 'profile_views option min_customers must be a positive integer' USING ERRCODE = '22023';
    END IF;
    k := coalesce((o->>'min_customers')::int, 5);
    key := coalesce(o->>'key', 'customer_id');
    seg := coalesce(o->>'segment', 'segment');
    clu := coalesce(o->>'cluster', 'cluster');
    clu_label := coalesce(o->>'cluster_label', 'cluster_label');
    FOR opt IN SELECT unnest(ARRAY[key, seg]) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = opt AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" is not a column of %', opt, tname USING ERRCODE = '22023',
                HINT = 'Name the key and segment columns with the options key and segment.';
        END IF;
    END LOOP;
    -- money (revenue, monetary, clv) is summed as numeric and shown rounded to
    -- cents, so that a BI tool shows 28594360.37, not the float noise of a sum
    -- of float8 values; the other measures stay float8
    FOR measure, opt IN SELECT m, coalesce(o->>m, d)
                        FROM (VALUES ('revenue', 'monetary'), ('recency', 'recency_days'), ('frequency', 'frequency'),
                                     ('monetary', 'monetary'), ('churn_risk', 'churn_risk'), ('clv', 'clv')) v(m, d) LOOP
        col := col || jsonb_build_object(measure,
            CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = opt AND attnum > 0 AND NOT attisdropped)
                 THEN format('p.%I::%s', opt, CASE WHEN measure IN ('revenue', 'monetary', 'clv') THEN 'numeric' ELSE 'float8' END)
                 ELSE CASE WHEN measure IN ('revenue', 'monetary', 'clv') THEN 'NULL::numeric' ELSE 'NULL::float8' END END);
    END LOOP;
    aggs := format('count(*) AS customers, count(*)::float8 / sum(count(*)) OVER () AS share,
                    round(sum(%s), 2) AS revenue, avg(%s) AS avg_recency_days, avg(%s) AS avg_frequency,
                    round(avg(%s), 2) AS avg_monetary, avg(%s) AS avg_churn_risk, round(avg(%s), 2) AS avg_clv',
                   col->>'revenue', col->>'recency', col->>'frequency', col->>'monetary', col->>'churn_risk', col->>'clv');

    -- segment overview
    vname := format('%I.%I', nsp, prefix || '_segments');
    views := views || ARRAY[vname,
        format('CREATE OR REPLACE VIEW %s AS SELECT g.segment, g.customers, g.share, g.revenue, g.avg_recency_days, g.avg_frequency,
                    g.avg_monetary, g.avg_churn_risk, g.avg_clv
                FROM (SELECT p.%I::text AS segment, %s, count(*) AS n FROM %s p GROUP BY p.%I) g WHERE g.n >= %s',
               vname, seg, aggs, tname, seg, k),
        format('Segment overview of %s (groups of fewer than %s customers left out)', tname, k)];

    -- migration between the last two runs: keys without a change of the segment in the
    -- last run stayed where they are; new keys come from NULL, deleted ones go to NULL
    vname := format('%I.%I', nsp, prefix || '_migration');
    views := views || ARRAY[vname, format($v$CREATE OR REPLACE VIEW %1$s AS
        WITH last AS (SELECT max(r.run_id) AS run_id FROM @extschema@.profile_run r WHERE r.target_table = %8$L::pg_catalog.regclass),
             ch AS (SELECT h.key, h.op, h.old_value FROM @extschema@.profile_history h, last
                    WHERE h.target_table = %8$L::pg_catalog.regclass AND h.run_id = last.run_id
                      AND (h.op = 'insert' OR h.column_name = %3$L)),
             moves AS (SELECT CASE WHEN c.key IS NULL THEN p.%4$I::text WHEN c.op = 'insert' THEN NULL ELSE c.old_value END AS from_segment,
                              p.%4$I::text AS to_segment
                       FROM %5$s p LEFT JOIN ch c ON c.key = p.%6$I::text
                       UNION ALL
                       SELECT c.old_value, NULL FROM ch c WHERE c.op = 'delete')
        SELECT m.from_segment, m.to_segment, count(*) AS customers,
               count(*)::float8 / sum(count(*)) OVER (PARTITION BY m.from_segment) AS share_of_from
        FROM moves m GROUP BY m.from_segment, m.to_segment HAVING count(*) >= %7$s$v$,
        vname, tname, seg, seg, tname, key, k, tname),
        format('Segment migration of %s in its last refresh (groups of fewer than %s customers left out)', tname, k)];

    -- cluster profiles, when there is a cluster column
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = clu AND attnum > 0 AND NOT attisdropped) THEN
        vname := format('%I.%I', nsp, prefix || '_clusters');
        -- the cluster's label (kmeans_centroids' label, kept in the profile)
        label_expr := CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = clu_label
                                                                         AND attnum > 0 AND NOT attisdropped)
                           THEN format('mode() WITHIN GROUP (ORDER BY p.%I::text)', clu_label) ELSE 'NULL::text' END;
        views := views || ARRAY[vname,
            format('CREATE OR REPLACE VIEW %s AS SELECT g.cluster, g.label, g.customers, g.share, g.revenue, g.avg_recency_days, g.avg_frequency,
                        g.avg_monetary, g.avg_churn_risk, g.avg_clv, g.top_segment
                    FROM (SELECT p.%I::text AS cluster, %s AS label, %s, mode() WITHIN GROUP (ORDER BY p.%I::text) AS top_segment, count(*) AS n
                          FROM %s p GROUP BY p.%I) g WHERE g.n >= %s',
                   vname, clu, label_expr, aggs, seg, tname, clu, k),
            format('Cluster profiles of %s (groups of fewer than %s customers left out)', tname, k)];
    END IF;

    -- A view of an earlier version with other columns (0.4.0's float8 money)
    -- cannot be replaced in place: it is dropped and created again (a view
    -- that depends on it makes the drop fail with the usual error).
    FOR i IN 1 .. coalesce(array_length(views, 1), 0) / 3 LOOP
        vname := views[3 * i - 2];
        BEGIN
            EXECUTE views[3 * i - 1];
        EXCEPTION WHEN invalid_table_definition OR datatype_mismatch THEN
            EXECUTE format('DROP VIEW %s', vname);
            EXECUTE views[3 * i - 1];
        END;
        EXECUTE format('COMMENT ON VIEW %s IS %L', vname, views[3 * i]);
        PERFORM @extschema@.profile_comment_columns(vname::regclass);
        RETURN NEXT vname;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_views(regclass, jsonb) IS 'Create (or replace) the BI views of a profile table: <name>_segments, <name>_migration and, with a cluster column, <name>_clusters; returns their names';

-- logit_trains text source follows kmeans_trains rule: one query, or a table name
COMMENT ON FUNCTION @extschema@.logit_train(text, text, text[], jsonb) IS 'Logistic regression over the rows of one query (or the table a name that is not a query names), one parallel aggregate scan (logit_step) per Newton step; same options and model as logit_fit';

-- ---------- a new user's first day (0.5.0) ----------

-- rfm_summary(..., after_as_of): rows after the as_of day raise an error or are left out
-- with after_as_of: 'error' or 'ignore' for rows after the as_of day
CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, numeric, date, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_date_num'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, numeric, date, text) IS 'Transition function of rfm_summary(date, numeric, date, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, double precision, date, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_date_f8'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, double precision, date, text) IS 'Transition function of rfm_summary(date, float8, date, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, numeric, timestamp, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_ts_num'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, numeric, timestamp, text) IS 'Transition function of rfm_summary(timestamp, numeric, timestamp, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, double precision, timestamp, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_ts_f8'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, double precision, timestamp, text) IS 'Transition function of rfm_summary(timestamp, float8, timestamp, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_num'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text) IS 'Transition function of rfm_summary(timestamptz, numeric, timestamptz, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_f8'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text) IS 'Transition function of rfm_summary(timestamptz, float8, timestamptz, after_as_of)';

-- after_as_of: what a row after the as_of day does, 'error' (as without the argument) or 'ignore'
CREATE AGGREGATE @extschema@.rfm_summary(ordered_at date, amount numeric, as_of date, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(date, numeric, date, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at date, amount double precision, as_of date, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(date, double precision, date, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamp, amount numeric, as_of timestamp, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamp, numeric, timestamp, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamp, amount double precision, as_of timestamp, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamp, double precision, timestamp, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount numeric, as_of timestamptz, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, numeric, timestamptz, text) IS 'Purchase summary of a customer''s orders as of a day (session time zone); after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount double precision, as_of timestamptz, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, double precision, timestamptz, text) IS 'Purchase summary of a customer''s orders as of a day (session time zone); after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

-- a quoted model literal without a cast lands here instead of in the window
-- form (which would ask for an OVER clause): the error says to cast it
CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, model text)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score_text'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, text) IS 'Raises an error that says to cast a model literal to portrait.model';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, model text, map text)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score_text'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, text, text) IS 'Raises an error that says to cast a model literal to portrait.model';

-- ab_test names the variants it compares (appended: existing columns keep their places)
ALTER TYPE @extschema@.ab_test_result ADD ATTRIBUTE variant_a text, ADD ATTRIBUTE variant_b text;
COMMENT ON COLUMN @extschema@.ab_test_result.variant_a IS 'Label of variant A, the label sorting first (NULL for the counts form)';
COMMENT ON COLUMN @extschema@.ab_test_result.variant_b IS 'Label of variant B (NULL for the counts form)';

CREATE OR REPLACE FUNCTION @extschema@.lifecycle_stage(recency_days double precision, tenure_days double precision,
                                            repeat_frequency double precision DEFAULT NULL,
                                            repeat_span_days double precision DEFAULT NULL,
                                            previous_stage text DEFAULT NULL,
                                            options jsonb DEFAULT '{}',
                                            model @extschema@.model DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb := coalesce(options, '{}');
    k text;
    mode text := coalesce(o->>'mode', 'fixed');
    new_days float8;
    at_risk float8;
    dormant float8;
    churned float8;
    unit float8;
    level float8;       -- how far gone: days, rhythm ratio, or 1 - P(alive)
    stage text;
BEGIN
    FOR k IN SELECT jsonb_object_keys(o) LOOP
        IF k NOT IN ('mode', 'new_days', 'at_risk_days', 'dormant_days', 'churned_days',
                     'at_risk_ratio', 'dormant_ratio', 'churned_ratio',
                     'at_risk_p_alive', 'dormant_p_alive', 'churned_p_alive', 'model_unit_days') THEN
            RAISE EXCEPTION 'unsupported option "%" of lifecycle_stage', k USING ERRCODE = '0A000',
                HINT = 'Options are mode, new_days, at_risk_days, dormant_days, churned_days, at_risk_ratio, dormant_ratio, churned_ratio, at_risk_p_alive, dormant_p_alive, churned_p_alive and model_unit_days.';
        END IF;
        IF k <> 'mode' AND jsonb_typeof(o->k) <> 'number' THEN
            RAISE EXCEPTION 'lifecycle option "%" must be a number', k USING ERRCODE = '22023';
        END IF;
    END LOOP;
    IF mode NOT IN ('fixed', 'rhythm') THEN
        RAISE EXCEPTION 'unknown lifecycle mode "%"', mode USING ERRCODE = '22023',
            HINT = 'Use "fixed" (day thresholds) or "rhythm" (the customer''s own purchase interval).';
    END IF;
    IF previous_stage IS NOT NULL
       AND previous_stage NOT IN ('new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated') THEN
        RAISE EXCEPTION 'unknown previous lifecycle stage "%"', previous_stage USING ERRCODE = '22023',
            HINT = 'Stages are new, active, at_risk, dormant, churned and reactivated.';
    END IF;
    IF recency_days IS NULL OR tenure_days IS NULL THEN
        RETURN NULL;
    END IF;
    IF recency_days IN ('NaN', 'Infinity', '-Infinity') OR tenure_days IN ('NaN', 'Infinity', '-Infinity')
       OR repeat_frequency IN ('NaN', 'Infinity', '-Infinity') OR repeat_span_days IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION 'lifecycle_stage arguments must be finite' USING ERRCODE = '22000';
    END IF;
    IF recency_days < 0 OR tenure_days < recency_days OR repeat_frequency < 0 OR repeat_span_days < 0
       OR repeat_span_days > tenure_days THEN
        RAISE EXCEPTION 'inconsistent purchase summary'
            USING ERRCODE = '22023',
                  DETAIL = format('recency_days %s, tenure_days %s, repeat_frequency %s, repeat_span_days %s.',
                                  recency_days, tenure_days, repeat_frequency, repeat_span_days),
                  HINT = 'Pass rfm_summary''s fields: 0 <= recency_days <= tenure_days, 0 <= repeat_span_days <= tenure_days.';
    END IF;

    new_days := coalesce((o->>'new_days')::float8, 30);
    at_risk := coalesce((o->>'at_risk_days')::float8, 90);
    dormant := coalesce((o->>'dormant_days')::float8, 180);
    churned := coalesce((o->>'churned_days')::float8, 365);
    level := recency_days;
    IF mode = 'rhythm' AND model IS NOT NULL
       AND (repeat_frequency >= 1 OR @extschema@.model_kind(model) IN ('mbgnbd', 'pareto_nbd')) THEN
        -- P(alive) of the churn model; a customer without repeat purchases is always
        -- alive in BG/NBD, so with a bgnbd model those keep the day thresholds
        -- (MBG/NBD and Pareto/NBD let them leave too)
        unit := coalesce((o->>'model_unit_days')::float8, 1);
        IF unit <= 0 THEN
            RAISE EXCEPTION 'model_unit_days must be positive' USING ERRCODE = '22023';
        END IF;
        at_risk := 1 - coalesce((o->>'at_risk_p_alive')::float8, 0.5);
        dormant := 1 - coalesce((o->>'dormant_p_alive')::float8, 0.25);
        churned := 1 - coalesce((o->>'churned_p_alive')::float8, 0.1);
        level := 1 - @extschema@.p_alive(repeat_frequency, (tenure_days - recency_days) / unit,
                                         tenure_days / unit, model);
    ELSIF mode = 'rhythm' AND repeat_frequency >= 1 AND repeat_span_days > 0 THEN
        -- the gap since the last purchase in units of the customer's mean interval
        at_risk := coalesce((o->>'at_risk_ratio')::float8, 2.5);
        dormant := coalesce((o->>'dormant_ratio')::float8, 5);
        churned := coalesce((o->>'churned_ratio')::float8, 10);
        level := recency_days / (repeat_span_days / repeat_frequency);
    END IF;
    IF NOT (new_days >= 0 AND at_risk >= 0 AND at_risk <= dormant AND dormant <= churned) THEN
        RAISE EXCEPTION 'lifecycle thresholds must be non-negative and increasing'
            USING ERRCODE = '22023',
                  DETAIL = format('new %s, at_risk %s, dormant %s, churned %s.', new_days, at_risk, dormant, churned),
                  HINT = 'Order them at_risk <= dormant <= churned (for P(alive): at_risk_p_alive >= dormant_p_alive >= churned_p_alive).';
    END IF;

    IF level > churned THEN
        stage := 'churned';
    ELSIF level > dormant THEN
        stage := 'dormant';
    ELSIF level > at_risk THEN
        stage := 'at_risk';
    ELSIF tenure_days <= new_days THEN
        stage := 'new';
    ELSIF previous_stage IN ('dormant', 'churned', 'reactivated') THEN
        -- a dormant or churned customer who buys again is reactivated, and stays
        -- so until the stage changes: a re-run with the same inputs (previous
        -- stage = this run's stage) gives the same stage
        stage := 'reactivated';
    ELSE
        stage := 'active';
    END IF;
    RETURN stage;
END
$$;
COMMENT ON FUNCTION @extschema@.lifecycle_stage(double precision, double precision, double precision, double precision, text, jsonb, @extschema@.model) IS 'Lifecycle stage of a customer (new, active, at_risk, dormant, churned, reactivated) from rfm_summary fields, by day thresholds or by the customer''s own rhythm (P(alive) of a bgnbd, mbgnbd or pareto_nbd model when one is given); reactivated (entered from dormant or churned, kept while active) needs the previous stage';


CREATE OR REPLACE FUNCTION @extschema@.profile_comment_columns(view regclass)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT a.attname, d.comment
             FROM pg_attribute a
             JOIN (VALUES ('segment', 'Segment name'),
                          ('cluster', 'Cluster number'),
                          ('label', 'Cluster label (the most common value of the profile''s cluster label column)'),
                          ('customers', 'Number of customers'),
                          ('share', 'Share of all customers (0 to 1) before small groups are left out'),
                          ('revenue', 'Sum of monetary value (numeric, rounded to 2 decimals)'),
                          ('avg_recency_days', 'Mean days since the last purchase'),
                          ('avg_frequency', 'Mean number of purchases'),
                          ('avg_monetary', 'Mean monetary value (numeric, rounded to 2 decimals)'),
                          ('avg_churn_risk', 'Mean churn risk (1 - P(alive))'),
                          ('avg_clv', 'Mean customer lifetime value (numeric, rounded to 2 decimals)'),
                          ('top_segment', 'Most common segment in the cluster'),
                          ('from_segment', 'Segment before the last refresh (NULL: new customer)'),
                          ('to_segment', 'Segment after the last refresh (NULL: customer removed)'),
                          ('share_of_from', 'Share of the from segment''s customers that made this move')) d(name, comment)
               ON d.name = a.attname
             WHERE a.attrelid = view AND a.attnum > 0 LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', view, c.attname, c.comment);
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_comment_columns(regclass) IS 'Comment the columns of a view made by profile_views';

-- The plpgsql functions that run queries built around a caller's input catch
-- their errors and raise them again through this, so that the caller sees
-- the error's SQLSTATE, message, detail and hint without the internal query
-- in its context.  An empty detail or hint is left out, not shown empty.
CREATE FUNCTION @extschema@.raise_again(sqlstate text, message text, detail text DEFAULT '', hint text DEFAULT '')
    RETURNS void LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF coalesce(detail, '') = '' AND coalesce(hint, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    ELSIF coalesce(hint, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail;
    ELSIF coalesce(detail, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, HINT = hint;
    END IF;
    RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail, HINT = hint;
END
$$;
COMMENT ON FUNCTION @extschema@.raise_again(text, text, text, text) IS 'Raise an error caught by a pg_portrait function again, with its SQLSTATE, message, detail and hint and without the internal query in its context';

-- ---------- kmeans_fit: the options variant's C symbol spelt as the other families' ----------
-- The library keeps the old symbol for the install scripts of 0.1.0 to 0.4.0.
CREATE OR REPLACE FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;

-- ---------- time zones named by an argument (the same on every node of a distributed query) ----------
-- days in a named time zone: the same on every node, whatever its TimeZone
CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_num_zone'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text, text) IS 'Transition function of rfm_summary(timestamptz, numeric, timestamptz, after_as_of, zone)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_f8_zone'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text, text) IS 'Transition function of rfm_summary(timestamptz, float8, timestamptz, after_as_of, zone)';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount numeric, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, numeric, timestamptz, text, text) IS 'Purchase summary of a customer''s orders as of a day, days in the named time zone (the same on every node of a distributed query), rows after the as_of day an error or ignored: recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount double precision, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, double precision, timestamptz, text, text) IS 'Purchase summary of a customer''s orders as of a day, days in the named time zone (the same on every node of a distributed query), rows after the as_of day an error or ignored: recency, frequency, monetary and the BG/NBD triple';

CREATE FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer, text)
    RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer, text) IS 'Transition function of cohort_activity in a named time zone';

CREATE FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer, text)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer, text) IS 'Transition function of cohort_users in a named time zone';

CREATE AGGREGATE @extschema@.cohort_activity(ts timestamptz, period text, periods integer, zone text) (
    SFUNC = @extschema@.cohort_activity_trans,
    STYPE = @extschema@.cohort_state,
    COMBINEFUNC = @extschema@.cohort_activity_combine,
    FINALFUNC = @extschema@.cohort_activity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_activity(timestamptz, text, integer, text) IS 'One customer''s cohort period (day, week, month, quarter, year in the named time zone, the same on every node) and the period offsets 0..periods with activity';

CREATE AGGREGATE @extschema@.cohort_users(customer bigint, ts timestamptz, period text, periods integer, zone text) (
    SFUNC = @extschema@.cohort_users_trans,
    STYPE = @extschema@.cohort_users,
    COMBINEFUNC = @extschema@.cohort_users_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_users(bigint, timestamptz, text, integer, text) IS 'Every customer''s cohort period (in the named time zone) and active offsets 0..periods in one state (input of cohort_table); rows with a NULL customer or timestamp are skipped';

CREATE FUNCTION @extschema@.cohort_matrix(source regclass, user_col name, ts_col name,
                                          period text, periods integer, zone text)
    RETURNS TABLE (cohort timestamptz, period_offset integer, cohort_users bigint,
                   active_users bigint, share double precision)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    user_type regtype;
    step interval;
    col name;
    err_state text;
    err_msg text;
    err_detail text;
    err_hint text;
BEGIN
    IF source IS NULL OR user_col IS NULL OR ts_col IS NULL OR period IS NULL OR periods IS NULL OR zone IS NULL THEN
        RAISE EXCEPTION 'cohort_matrix arguments must not be NULL' USING ERRCODE = '22004';
    END IF;
    -- the caller's names are checked here, so that a mistake is reported
    -- about them and not inside the queries built around them
    FOREACH col IN ARRAY ARRAY[user_col, ts_col] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = source AND a.attname = col
                                                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of cohort_matrix does not exist in %', col, source USING ERRCODE = '42703',
                HINT = 'Name the customer column and the time column of the events table.';
        END IF;
    END LOOP;
    step := CASE lower(period) WHEN 'day' THEN interval '1 day' WHEN 'week' THEN interval '7 days'
                               WHEN 'month' THEN interval '1 month' WHEN 'quarter' THEN interval '3 months'
                               WHEN 'year' THEN interval '1 year' END;
    IF step IS NULL THEN
        RAISE EXCEPTION 'unknown cohort period "%"', period USING ERRCODE = '22023',
            HINT = 'Periods are day, week, month, quarter and year.';
    END IF;
    SELECT a.atttypid INTO user_type FROM pg_attribute a
     WHERE a.attrelid = source AND a.attname = user_col AND a.attnum > 0 AND NOT a.attisdropped;

    -- A period that starts after the period of the last event has not been
    -- observed yet: its active_users and share are NULL, not 0 (which would
    -- read as churn).  The period of the last event is observed (in part).
    BEGIN
        IF user_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
            -- integer customers: one aggregate over the events, no GROUP BY customer
            BEGIN
                RETURN QUERY EXECUTE format(
                    $q$
                    WITH s AS (SELECT @extschema@.cohort_users(%3$I, %2$I, $1, $2, $4) AS st,
                                      pg_catalog.date_trunc($1, (max(%2$I) FILTER (WHERE %3$I IS NOT NULL))::timestamptz, $4) AS last
                                 FROM %1$s)
                    SELECT t.cohort, t.period_offset, t.cohort_users,
                           CASE WHEN (t.cohort AT TIME ZONE $4) + t.period_offset * $3 <= (s.last AT TIME ZONE $4) THEN t.active_users END,
                           CASE WHEN (t.cohort AT TIME ZONE $4) + t.period_offset * $3 <= (s.last AT TIME ZONE $4)
                                THEN t.active_users::double precision / t.cohort_users END
                      FROM s, @extschema@.cohort_table(s.st) AS t
                    $q$, source, ts_col, user_col)
                USING period, periods, step, zone;
                RETURN;
            EXCEPTION WHEN program_limit_exceeded THEN
                -- more customers than one state holds: group by customer below
            END;
        END IF;
        RETURN QUERY EXECUTE format(
            $q$
            WITH per_user AS (
                SELECT @extschema@.cohort_activity(%2$I, $1, $2, $4) AS a, max(%2$I)::timestamptz AS last
                  FROM %1$s
                 WHERE %2$I IS NOT NULL AND %3$I IS NOT NULL
                 GROUP BY %3$I),
            cells AS (
                SELECT (a).cohort AS cohort, o AS k, count(*) AS users
                  FROM per_user, unnest((a).offsets) AS o
                 GROUP BY 1, 2),
            data_end AS (SELECT pg_catalog.date_trunc($1, max(last), $4) AS last FROM per_user)
            -- every customer is active at offset 0 of its cohort: those are the cohort sizes
            SELECT s.cohort, k.k, s.users,
                   CASE WHEN (s.cohort AT TIME ZONE $4) + k.k * $3 <= (e.last AT TIME ZONE $4) THEN coalesce(act.users, 0)::bigint END,
                   CASE WHEN (s.cohort AT TIME ZONE $4) + k.k * $3 <= (e.last AT TIME ZONE $4) THEN coalesce(act.users, 0)::double precision / s.users END
              FROM cells s
             CROSS JOIN data_end e
             CROSS JOIN generate_series(0, $2) AS k(k)
              LEFT JOIN cells act ON act.cohort = s.cohort AND act.k = k.k
             WHERE s.k = 0
             ORDER BY 1, 2
            $q$, source, ts_col, user_col)
        USING period, periods, step, zone;
    EXCEPTION WHEN OTHERS THEN
        -- raised again without the internal query in its context
        GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_msg = MESSAGE_TEXT,
                                err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT;
        PERFORM @extschema@.raise_again(err_state, err_msg, err_detail, err_hint);
    END;
END
$$;
COMMENT ON FUNCTION @extschema@.cohort_matrix(regclass, name, name, text, integer, text) IS 'Cohort matrix of an events table with periods in the named time zone (the same on every node of a distributed table): per cohort (first active period) and offset 0..periods, the customers active and their share (NULL for periods after the last event''s); caller''s privileges';

-- the session's time zone, by name: the periods are those of the zone form
CREATE OR REPLACE FUNCTION @extschema@.cohort_matrix(source regclass, user_col name, ts_col name,
                                          period text DEFAULT 'month', periods integer DEFAULT 12)
    RETURNS TABLE (cohort timestamptz, period_offset integer, cohort_users bigint,
                   active_users bigint, share double precision)
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
SELECT m.cohort, m.period_offset, m.cohort_users, m.active_users, m.share
  FROM @extschema@.cohort_matrix(source, user_col, ts_col, period, periods, pg_catalog.current_setting('TimeZone')) AS m
$$;
COMMENT ON FUNCTION @extschema@.cohort_matrix(regclass, name, name, text, integer) IS 'Cohort matrix of an events table: per cohort (first active period) and offset 0..periods, the customers active and their share (NULL for periods after the last event''s); caller''s privileges';

-- ---------- record forms of tgi and profile_agg with attribute names ----------
CREATE FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, record, text[])
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_tgi_trans_record'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, record, text[]) IS 'Transition function of tgi over a record with attribute names';

CREATE FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record, text[])
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_profile_agg_trans_record'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record, text[]) IS 'Transition function of profile_agg over a record with attribute names';

CREATE AGGREGATE @extschema@.tgi(in_group boolean, attrs record, names text[]) (
    SFUNC = @extschema@.tgi_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.tgi(boolean, record, text[]) IS 'tgi(in_group, attrs record) with the attributes named by names, one per column (the record form for distributed tables, whose plans drop column names)';

CREATE AGGREGATE @extschema@.profile_agg(attrs record, names text[]) (
    SFUNC = @extschema@.profile_agg_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.profile_agg(record, text[]) IS 'profile_agg(attrs record) with the attributes named by names, one per column (the record form for distributed tables, whose plans drop column names)';

-- ---------- churn models for one-time buyers: MBG/NBD, Pareto/NBD, the holdout check ----------

-- ==================== mbgnbd: MBG/NBD (Batislam et al. 2007: customers may also drop out at the first purchase) ====================

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_mbgnbd_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision) IS 'Transition function of mbgnbd_fit';

CREATE FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_mbgnbd_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb) IS 'Transition function of mbgnbd_fit with options';

CREATE FUNCTION @extschema@.mbgnbd_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_mbgnbd_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.mbgnbd_fit_final(@extschema@.points) IS 'Final function of mbgnbd_fit: the maximum-likelihood fit as a mbgnbd model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.mbgnbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.mbgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.mbgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.mbgnbd_fit(double precision, double precision, double precision) IS 'Maximum-likelihood MBG/NBD model of customers'' summaries (x repeat purchases, t_x, T in days)';

CREATE AGGREGATE @extschema@.mbgnbd_fit(x double precision, t_x double precision, "T" double precision, options jsonb) (
    SFUNC = @extschema@.mbgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.mbgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.mbgnbd_fit(double precision, double precision, double precision, jsonb) IS 'Maximum-likelihood MBG/NBD model with options: penalizer, max_iterations, gradient, unit (days, weeks, months, hours)';

-- ==================== pareto_nbd: Pareto/NBD (Schmittlein et al. 1987: exponential lifetimes, customers may leave at any time) ====================

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_pareto_nbd_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision) IS 'Transition function of pareto_nbd_fit';

CREATE FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_pareto_nbd_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pareto_nbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb) IS 'Transition function of pareto_nbd_fit with options';

CREATE FUNCTION @extschema@.pareto_nbd_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_pareto_nbd_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.pareto_nbd_fit_final(@extschema@.points) IS 'Final function of pareto_nbd_fit: the maximum-likelihood fit as a pareto_nbd model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.pareto_nbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.pareto_nbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.pareto_nbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.pareto_nbd_fit(double precision, double precision, double precision) IS 'Maximum-likelihood Pareto/NBD model of customers'' summaries (x repeat purchases, t_x, T in days)';

CREATE AGGREGATE @extschema@.pareto_nbd_fit(x double precision, t_x double precision, "T" double precision, options jsonb) (
    SFUNC = @extschema@.pareto_nbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.pareto_nbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.pareto_nbd_fit(double precision, double precision, double precision, jsonb) IS 'Maximum-likelihood Pareto/NBD model with options: penalizer, max_iterations, gradient, unit (days, weeks, months, hours)';

-- ==================== btyd_compare: the three churn models side by side ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.btyd_loglik(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_btyd_loglik'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_loglik(double precision, double precision, double precision, @extschema@.model) IS 'Log-likelihood of one customer''s summary (x, t_x, T) under a bgnbd, mbgnbd or pareto_nbd model';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_btyd_compare_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision) IS 'Transition function of btyd_compare';

CREATE FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_btyd_compare_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_compare_trans(@extschema@.points, double precision, double precision, double precision, double precision, double precision, jsonb) IS 'Transition function of btyd_compare with options';

CREATE FUNCTION @extschema@.btyd_compare_final(@extschema@.points)
    RETURNS jsonb AS 'MODULE_PATHNAME', 'pp_btyd_compare_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.btyd_compare_final(@extschema@.points) IS 'Final function of btyd_compare: fits BG/NBD, MBG/NBD and Pareto/NBD and reports their holdout checks';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.btyd_compare(x double precision, t_x double precision, "T" double precision,
                                          x_holdout double precision, holdout_length double precision) (
    SFUNC = @extschema@.btyd_compare_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.btyd_compare_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.btyd_compare(double precision, double precision, double precision, double precision, double precision) IS 'Holdout check of BG/NBD, MBG/NBD and Pareto/NBD: fits on calibration summaries, actual vs expected holdout purchases by frequency, MAE, RMSE, log-likelihood, AIC, BIC (jsonb report)';

CREATE AGGREGATE @extschema@.btyd_compare(x double precision, t_x double precision, "T" double precision,
                                          x_holdout double precision, holdout_length double precision, options jsonb) (
    SFUNC = @extschema@.btyd_compare_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.btyd_compare_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.btyd_compare(double precision, double precision, double precision, double precision, double precision, jsonb) IS 'Holdout check of the three churn models with fit options: penalizer, max_iterations, gradient, unit';

-- ---------- reading the report ----------

CREATE FUNCTION @extschema@.btyd_compare_models(report jsonb)
    RETURNS TABLE (model text, log_likelihood double precision, aic double precision, bic double precision,
                   holdout_actual double precision, holdout_expected double precision,
                   mae double precision, rmse double precision, converged boolean, fit @extschema@.model)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m->>'model', (m->>'log_likelihood')::float8, (m->>'aic')::float8, (m->>'bic')::float8,
           (report->>'holdout_actual')::float8, (m->>'holdout_expected')::float8,
           (m->>'mae')::float8, (m->>'rmse')::float8, (m->>'converged')::boolean,
           (m->'fit')::text::@extschema@.model
    FROM pg_catalog.jsonb_array_elements(report->'models') WITH ORDINALITY AS e(m, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.btyd_compare_models(jsonb) IS 'One row per model of a btyd_compare report: log-likelihood, AIC, BIC, holdout purchases actual and expected, per-customer MAE and RMSE, and the fitted model';

CREATE FUNCTION @extschema@.btyd_compare_by_frequency(report jsonb)
    RETURNS TABLE (frequency text, customers bigint, actual double precision, bgnbd double precision,
                   mbgnbd double precision, pareto_nbd double precision)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT f->>'frequency', (f->>'customers')::bigint, (f->>'actual')::float8, (f->>'bgnbd')::float8,
           (f->>'mbgnbd')::float8, (f->>'pareto_nbd')::float8
    FROM pg_catalog.jsonb_array_elements(report->'by_frequency') WITH ORDINALITY AS e(f, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.btyd_compare_by_frequency(jsonb) IS 'The table of a btyd_compare report: mean holdout purchases per customer, actual and expected by each model, by calibration frequency 0, 1, ..., 7+';

-- the scoring functions and clv accept the new kinds (lifecycle_stage, above, uses P(alive) of customers
-- without repeat purchases under them)
COMMENT ON FUNCTION @extschema@.p_alive(double precision, double precision, double precision, @extschema@.model) IS 'Probability that a customer with summary (x, t_x, T) is still alive at T, under a bgnbd, mbgnbd or pareto_nbd model';
COMMENT ON FUNCTION @extschema@.churn_risk(double precision, double precision, double precision, @extschema@.model) IS 'Probability that a customer with summary (x, t_x, T) has dropped out (1 - p_alive), under a bgnbd, mbgnbd or pareto_nbd model';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.model, double precision, double precision, double precision, double precision) IS 'Expected purchases in the next t of a customer with summary (x, t_x, T), under a bgnbd, mbgnbd or pareto_nbd model';
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.model, double precision) IS 'Expected purchases E[X(t)] of a new customer in the first t, under a bgnbd, mbgnbd or pareto_nbd model';
COMMENT ON FUNCTION @extschema@.prob_purchases(@extschema@.model, double precision, integer) IS 'Probability P(X(t) = n) that a new customer makes exactly n purchases in the first t, under a bgnbd or mbgnbd model';
COMMENT ON FUNCTION @extschema@.clv(@extschema@.model, @extschema@.model, double precision, double precision, double precision, double precision, integer, double precision) IS 'Customer lifetime value over the next months: purchases per month of a bgnbd, mbgnbd or pareto_nbd model times Gamma-Gamma expected value, discounted monthly';
COMMENT ON FUNCTION @extschema@.model_kind(@extschema@.model) IS 'The kind of a model: rfm, kmeans, bgnbd, gamma_gamma, logit, mbgnbd, pareto_nbd, isolation_forest, decision_tree, item_similarity, attribution, dbscan or hierarchical';

-- ---------- anomalous customers and decision rules (isolation forest, CART) ----------

-- ==================== iforest: anomalous customers ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[])
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_iforest_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[]) IS 'Transition function of iforest_fit';

CREATE FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[], jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_iforest_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_trans(@extschema@.points, double precision[], jsonb) IS 'Transition function of iforest_fit with options';

CREATE FUNCTION @extschema@.iforest_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_iforest_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of iforest_fit';

CREATE FUNCTION @extschema@.iforest_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_iforest_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.iforest_fit_final(@extschema@.points) IS 'Final function of iforest_fit: the isolation forest of the rows as an isolation_forest model';

CREATE FUNCTION @extschema@.anomaly_score(model @extschema@.model, features double precision[])
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_anomaly_score'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.anomaly_score(@extschema@.model, double precision[]) IS 'Isolation forest anomaly score 2^(-E[h]/c(max_samples)) in (0, 1], higher is more anomalous (scikit-learn''s score_samples is its negative)';

CREATE FUNCTION @extschema@.anomaly_robust_z(model @extschema@.model, features double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_anomaly_robust_z'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.anomaly_robust_z(@extschema@.model, double precision[]) IS 'Robust z-score of each feature against an isolation_forest model''s training rows: (x - median) / (1.4826 MAD); NULL for a feature that was constant';

CREATE FUNCTION @extschema@.anomaly_reasons(model @extschema@.model, features double precision[], top integer DEFAULT 3)
    RETURNS TABLE (rank integer, feature text, value double precision, median double precision,
                   robust_z double precision, reason text)
    AS 'MODULE_PATHNAME', 'pp_anomaly_reasons'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 3;
COMMENT ON FUNCTION @extschema@.anomaly_reasons(@extschema@.model, double precision[], integer) IS 'Why a customer is unusual: the features at least 2 robust z from the median, strongest first, at most top, each as a sentence such as "orders 14 MAD above the median"';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.iforest_fit(features double precision[]) (
    SFUNC = @extschema@.iforest_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.iforest_fit_combine, FINALFUNC = @extschema@.iforest_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.iforest_fit(double precision[]) IS 'Isolation forest of the rows (100 trees of 256-row samples, seed 0) as an isolation_forest model';

CREATE AGGREGATE @extschema@.iforest_fit(features double precision[], options jsonb) (
    SFUNC = @extschema@.iforest_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.iforest_fit_combine, FINALFUNC = @extschema@.iforest_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.iforest_fit(double precision[], jsonb) IS 'Isolation forest of the rows as an isolation_forest model; options n_trees, max_samples, seed, feature_names';

-- ==================== tree: CART decision rules ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text) IS 'Transition function of decision_tree_fit';

CREATE FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_trans(@extschema@.points, double precision[], text, jsonb) IS 'Transition function of decision_tree_fit with options';

CREATE FUNCTION @extschema@.decision_tree_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of decision_tree_fit and segment_rules: merges the class labels';

CREATE FUNCTION @extschema@.decision_tree_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_decision_tree_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_fit_final(@extschema@.points) IS 'Final function of decision_tree_fit: the classification tree as a decision_tree model';

CREATE FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision) IS 'Transition function of regression_tree_fit';

CREATE FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_trans(@extschema@.points, double precision[], double precision, jsonb) IS 'Transition function of regression_tree_fit with options';

CREATE FUNCTION @extschema@.regression_tree_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of regression_tree_fit';

CREATE FUNCTION @extschema@.regression_tree_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_regression_tree_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.regression_tree_fit_final(@extschema@.points) IS 'Final function of regression_tree_fit: the regression tree as a decision_tree model';

CREATE FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_segment_rules_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text) IS 'Transition function of segment_rules';

CREATE FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_segment_rules_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_rules_trans(@extschema@.points, double precision[], text, jsonb) IS 'Transition function of segment_rules with options';

CREATE FUNCTION @extschema@.segment_rules_final(@extschema@.points)
    RETURNS text[] AS 'MODULE_PATHNAME', 'pp_segment_rules_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.segment_rules_final(@extschema@.points) IS 'Final function of segment_rules: the rules of a shallow tree of segment membership';

CREATE FUNCTION @extschema@.tree_predict(model @extschema@.model, features double precision[])
    RETURNS text AS 'MODULE_PATHNAME', 'pp_tree_predict'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_predict(@extschema@.model, double precision[]) IS 'Class a classification decision_tree predicts for the features (NULL features follow the larger child)';

CREATE FUNCTION @extschema@.tree_probability(model @extschema@.model, features double precision[], class text)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_tree_probability'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_probability(@extschema@.model, double precision[], text) IS 'Probability of a class under a classification decision_tree: the weighted share of the class in the leaf of the features';

CREATE FUNCTION @extschema@.tree_value(model @extschema@.model, features double precision[])
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_tree_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_value(@extschema@.model, double precision[]) IS 'Value a regression decision_tree predicts for the features: the mean target of their leaf';

CREATE FUNCTION @extschema@.tree_leaf(model @extschema@.model, features double precision[])
    RETURNS integer AS 'MODULE_PATHNAME', 'pp_tree_leaf'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_leaf(@extschema@.model, double precision[]) IS 'Node number of the leaf of a decision_tree the features fall in (the leaf of tree_rules)';

CREATE FUNCTION @extschema@.tree_rules(model @extschema@.model)
    RETURNS TABLE (leaf integer, condition text, prediction text, purity double precision,
                   n bigint, share double precision, rule text)
    AS 'MODULE_PATHNAME', 'pp_tree_rules'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 16;
COMMENT ON FUNCTION @extschema@.tree_rules(@extschema@.model) IS 'One readable rule per leaf of a decision_tree: its condition, prediction, purity (share of its rows in the predicted class), support and the rule as a sentence';

CREATE FUNCTION @extschema@.tree_nodes(model @extschema@.model)
    RETURNS TABLE (node integer, depth integer, feature integer, feature_name text,
                   threshold double precision, levels double precision[], left_child integer,
                   right_child integer, n bigint, prediction text, impurity double precision)
    AS 'MODULE_PATHNAME', 'pp_tree_nodes'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 32;
COMMENT ON FUNCTION @extschema@.tree_nodes(@extschema@.model) IS 'One row per node of a decision_tree in preorder (scikit-learn''s numbering): split feature, threshold or levels going left, children, rows, prediction and impurity';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.decision_tree_fit(features double precision[], label text) (
    SFUNC = @extschema@.decision_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.decision_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.decision_tree_fit(double precision[], text) IS 'CART classification tree (gini, max_depth 5) of the labels on the features as a decision_tree model';

CREATE AGGREGATE @extschema@.decision_tree_fit(features double precision[], label text, options jsonb) (
    SFUNC = @extschema@.decision_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.decision_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.decision_tree_fit(double precision[], text, jsonb) IS 'CART classification tree as a decision_tree model; options criterion, max_depth, min_samples_leaf, class_weight, feature_names, categorical';

CREATE AGGREGATE @extschema@.regression_tree_fit(features double precision[], target double precision) (
    SFUNC = @extschema@.regression_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.regression_tree_fit_combine, FINALFUNC = @extschema@.regression_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.regression_tree_fit(double precision[], double precision) IS 'CART regression tree (squared error, max_depth 5) of the target on the features as a decision_tree model';

CREATE AGGREGATE @extschema@.regression_tree_fit(features double precision[], target double precision, options jsonb) (
    SFUNC = @extschema@.regression_tree_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.regression_tree_fit_combine, FINALFUNC = @extschema@.regression_tree_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.regression_tree_fit(double precision[], double precision, jsonb) IS 'CART regression tree as a decision_tree model; options max_depth, min_samples_leaf, feature_names, categorical';

CREATE AGGREGATE @extschema@.segment_rules(features double precision[], segment text) (
    SFUNC = @extschema@.segment_rules_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.segment_rules_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.segment_rules(double precision[], text) IS 'Readable definition of segments: the rules of a tree of segment membership (depth 3, leaves of at least 1% of the rows), largest first';

CREATE AGGREGATE @extschema@.segment_rules(features double precision[], segment text, options jsonb) (
    SFUNC = @extschema@.segment_rules_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.decision_tree_fit_combine, FINALFUNC = @extschema@.segment_rules_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.segment_rules(double precision[], text, jsonb) IS 'Readable definition of segments; option segment for one segment against the rest (only its rules), and the options of decision_tree_fit';

-- ---------- decision_tree_train: the level-wise trainer ----------

CREATE FUNCTION @extschema@.tree_level_trans(double precision[], double precision[], text, @extschema@.model, integer[], text[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_tree_level_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_level_trans(double precision[], double precision[], text, @extschema@.model, integer[], text[], double precision[]) IS 'Transition function of tree_level';

CREATE FUNCTION @extschema@.tree_level_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_tree_level_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tree_level_combine(double precision[], double precision[]) IS 'Combine function of tree_level';

CREATE AGGREGATE @extschema@.tree_level(features double precision[], label text, model @extschema@.model,
                                        open integer[], classes text[], edges double precision[]) (
    SFUNC = @extschema@.tree_level_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.tree_level_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.tree_level(double precision[], text, @extschema@.model, integer[], text[], double precision[]) IS 'One decision_tree_train scan: per open leaf of the model, the row count of each class in each bin of each feature';

CREATE FUNCTION @extschema@.decision_tree_train(source text, features text, label text, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_decision_tree_train_query'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_train(text, text, text, jsonb) IS 'CART classification tree at scale over a query (or a table name): its float8[] features and text label columns; one parallel aggregate scan of per-leaf histograms per level (max_bins quantile bins per feature)';

CREATE FUNCTION @extschema@.decision_tree_train(source regclass, features text, label text, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_decision_tree_train_table'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.decision_tree_train(regclass, text, text, jsonb) IS 'CART classification tree at scale over a table or view: one parallel aggregate scan of per-leaf histograms per level';

-- ---------- recommend: preferences, association rules, item similarity ----------

-- ==================== baskets: the state of the market-basket aggregates ====================

-- ---------- types ----------

CREATE TYPE @extschema@.basket_lines;

CREATE FUNCTION @extschema@.basket_lines_in(cstring) RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_basket_lines_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.basket_lines_in(cstring) IS 'Text input of the basket aggregate state (JSON: basket_type, item_type, options, baskets as [basket, [items]])';

CREATE FUNCTION @extschema@.basket_lines_out(@extschema@.basket_lines) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_basket_lines_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.basket_lines_out(@extschema@.basket_lines) IS 'Text output of the basket aggregate state';

CREATE TYPE @extschema@.basket_lines (
    INPUT = @extschema@.basket_lines_in,
    OUTPUT = @extschema@.basket_lines_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.basket_lines IS 'State of the market-basket aggregates: the (basket, item) lines collected, movable between nodes as text';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.basket_lines_combine(@extschema@.basket_lines, @extschema@.basket_lines)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_basket_lines_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.basket_lines_combine(@extschema@.basket_lines, @extschema@.basket_lines) IS 'Combine function of the market-basket aggregates (appends the lines)';

-- ==================== rules: frequent itemsets (FP-growth) and association rules ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.frequent_itemsets(result jsonb)
    RETURNS TABLE (items text[], size integer, count bigint, support double precision)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s->'items')),
           pg_catalog.jsonb_array_length(s->'items'), (s->>'count')::bigint, (s->>'support')::float8
    FROM pg_catalog.jsonb_array_elements(result->'itemsets') WITH ORDINALITY AS e(s, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.frequent_itemsets(jsonb) IS 'The frequent itemsets of an fpgrowth result, by size, then count descending, then items: items (by name), size, baskets containing them, support';

CREATE FUNCTION @extschema@.association_rules(result jsonb)
    RETURNS TABLE (antecedent text[], consequent text[], count bigint, support double precision,
                   confidence double precision, lift double precision, leverage double precision,
                   conviction double precision, antecedent_support double precision,
                   consequent_support double precision)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text(r->'antecedent')),
           ARRAY(SELECT pg_catalog.jsonb_array_elements_text(r->'consequent')),
           (r->>'count')::bigint, (r->>'support')::float8, (r->>'confidence')::float8,
           (r->>'lift')::float8, (r->>'leverage')::float8, (r->>'conviction')::float8,
           (r->>'antecedent_support')::float8, (r->>'consequent_support')::float8
    FROM pg_catalog.jsonb_array_elements(result->'rules') WITH ORDINALITY AS e(r, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.association_rules(jsonb) IS 'The association rules X => Y of an fpgrowth result, by lift, confidence and count descending, then items: support, confidence, lift, leverage, conviction (Infinity when confidence is 1)';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, text, jsonb) IS 'Transition function of fpgrowth (bigint basket, text item)';

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, bigint, jsonb) IS 'Transition function of fpgrowth (bigint basket, bigint item)';

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, text, jsonb) IS 'Transition function of fpgrowth (text basket, text item)';

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, bigint, jsonb) IS 'Transition function of fpgrowth (text basket, bigint item)';

CREATE FUNCTION @extschema@.fpgrowth_final(@extschema@.basket_lines) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_final(@extschema@.basket_lines) IS 'Final function of fpgrowth: FP-growth over the collected baskets, then the rules';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.fpgrowth(basket bigint, item text, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(bigint, text, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';

CREATE AGGREGATE @extschema@.fpgrowth(basket bigint, item bigint, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(bigint, bigint, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';

CREATE AGGREGATE @extschema@.fpgrowth(basket text, item text, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(text, text, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';

CREATE AGGREGATE @extschema@.fpgrowth(basket text, item bigint, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(text, bigint, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';

-- the TGI of the segment profiles, for counts or weights (preference_tags)
CREATE FUNCTION @extschema@.tgi_value(part double precision, total double precision,
                                      population_part double precision, population_total double precision)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'pp_tgi_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tgi_value(double precision, double precision, double precision, double precision) IS 'TGI of a share against the population''s: 100 * (part / total) / (population_part / population_total), for counts or weights; NULL when undefined (total or population_part 0)';

-- ==================== preferences: affinity tags per customer ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.preference_weights(weights jsonb DEFAULT '{}')
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT '{"purchase": 10, "cart": 5, "favourite": 4, "like": 3, "search": 2, "view": 1}'::jsonb
           || coalesce(weights, '{}'::jsonb)
$$;
COMMENT ON FUNCTION @extschema@.preference_weights(jsonb) IS 'Event weights of preference_tags: the defaults (purchase 10, cart 5, favourite 4, like 3, search 2, view 1) with the given ones replacing them';

CREATE FUNCTION @extschema@.check_source_options(func text, source regclass, options jsonb, known text[],
                                                 columns text[])
    RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    k text;
    col text;
BEGIN
    IF source IS NULL OR options IS NULL THEN
        RAISE EXCEPTION '% arguments must not be NULL', func USING ERRCODE = '22004';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options of % must be a JSON object', func USING ERRCODE = '22023';
    END IF;
    FOR k IN SELECT jsonb_object_keys(options) LOOP
        IF NOT k = ANY (known) THEN
            RAISE EXCEPTION 'unsupported option "%" of %', k, func USING ERRCODE = '0A000',
                HINT = 'The options are ' || array_to_string(known, ', ') || '.';
        END IF;
    END LOOP;
    FOREACH k IN ARRAY columns LOOP
        col := CASE WHEN k = 'customer' THEN coalesce(options->>k, 'customer_id') ELSE options->>k END;
        IF col IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = source AND a.attname = col
                                                                         AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of % does not exist in %', col, func, source USING ERRCODE = '42703';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.check_source_options(text, regclass, jsonb, text[], text[]) IS 'Checks of the functions over a caller''s table (preference_tags, time_split, recommend_evaluate): NULL arguments 22004, options not an object 22023, an unknown option 0A000, an option naming a column the table lacks 42703';

CREATE FUNCTION @extschema@.preference_tags(source regclass, options jsonb)
    RETURNS TABLE (customer text, preferences jsonb)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    known constant text[] := ARRAY['customer', 'value', 'amount', 'event', 'weights', 'at', 'as_of',
                                   'half_life', 'top', 'min_support'];
    customer_col name;
    value_col name;
    amount_col name;
    event_col name;
    at_col name;
    weights jsonb;
    as_of timestamptz;
    half_life interval;
    top integer;
    min_support integer;
    weight_expr text;
BEGIN
    PERFORM @extschema@.check_source_options('preference_tags', source, options, known,
                                             ARRAY['customer', 'value', 'amount', 'event', 'at']);
    customer_col := coalesce(options->>'customer', 'customer_id');
    value_col := options->>'value';
    amount_col := options->>'amount';
    event_col := options->>'event';
    at_col := options->>'at';
    IF value_col IS NULL THEN
        RAISE EXCEPTION 'preference_tags needs the option "value"' USING ERRCODE = '22023',
            HINT = 'Name the column of the attribute to prefer, e.g. {"value": "category"}.';
    END IF;
    IF options ? 'weights' AND jsonb_typeof(options->'weights') <> 'object' THEN
        RAISE EXCEPTION 'option "weights" of preference_tags must be an object of event weights' USING ERRCODE = '22023';
    END IF;
    weights := @extschema@.preference_weights(options->'weights');
    IF EXISTS (SELECT 1 FROM jsonb_each(weights) e WHERE jsonb_typeof(e.value) <> 'number' OR (e.value)::text::float8 < 0) THEN
        RAISE EXCEPTION 'event weights of preference_tags must be non-negative numbers' USING ERRCODE = '22023';
    END IF;
    BEGIN
        top := coalesce((options->>'top')::integer, 3);
        min_support := coalesce((options->>'min_support')::integer, 2);
        half_life := (options->>'half_life')::interval;
        as_of := (options->>'as_of')::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'options of preference_tags: top and min_support are integers, half_life an interval, as_of a timestamp'
            USING ERRCODE = '22023';
    END;
    IF top < 1 THEN
        RAISE EXCEPTION 'option "top" of preference_tags must be at least 1, not %', top USING ERRCODE = '22023';
    END IF;
    IF min_support < 1 THEN
        RAISE EXCEPTION 'option "min_support" of preference_tags must be at least 1, not %', min_support USING ERRCODE = '22023';
    END IF;
    IF half_life IS NOT NULL AND (at_col IS NULL OR as_of IS NULL OR half_life <= interval '0') THEN
        RAISE EXCEPTION 'option "half_life" of preference_tags needs a positive interval, "at" and "as_of"' USING ERRCODE = '22023',
            HINT = 'For example {"at": "ordered_at", "as_of": "2024-12-31", "half_life": "90 days"}.';
    END IF;

    -- a row's weight: its amount (or 1), times its event's weight, times its recency weight
    weight_expr := CASE WHEN amount_col IS NULL THEN '1::float8' ELSE format('(%I)::float8', amount_col) END;
    IF event_col IS NOT NULL THEN
        weight_expr := weight_expr || format(' * ($1 OPERATOR(pg_catalog.->>) (%I)::text)::float8', event_col);
    END IF;
    IF half_life IS NOT NULL THEN
        weight_expr := weight_expr || format(' * @extschema@.recency_weight((%I)::timestamptz, $2, $3)', at_col);
    END IF;

    RETURN QUERY EXECUTE format(
        $q$
        WITH src AS (
            SELECT (%1$I)::text AS customer, (%2$I)::text AS value, %3$s AS w
            FROM %4$s WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL),
        cv AS (
            SELECT s.customer, s.value, pg_catalog.sum(s.w) AS w, pg_catalog.count(*) AS n
            FROM src s WHERE s.w OPERATOR(pg_catalog.>) 0 GROUP BY s.customer, s.value),
        pop AS (SELECT cv.value, pg_catalog.sum(cv.w) AS w FROM cv GROUP BY cv.value),
        tot AS (SELECT pg_catalog.sum(cv.w) AS w FROM cv),
        ct AS (SELECT cv.customer, pg_catalog.sum(cv.w) AS w FROM cv GROUP BY cv.customer),
        ranked AS (
            SELECT cv.customer, cv.value, cv.w, cv.n, ct.w AS cw, pop.w AS pw, tot.w AS tw,
                   pg_catalog.row_number() OVER (PARTITION BY cv.customer ORDER BY cv.w DESC, cv.value COLLATE "C") AS r
            FROM cv JOIN ct ON ct.customer OPERATOR(pg_catalog.=) cv.customer
                    JOIN pop ON pop.value OPERATOR(pg_catalog.=) cv.value CROSS JOIN tot
            WHERE cv.n OPERATOR(pg_catalog.>=) $4)
        SELECT r.customer,
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'value', r.value, 'weight', r.w, 'support', r.n,
                   'share', r.w OPERATOR(pg_catalog./) r.cw, 'population_share', r.pw OPERATOR(pg_catalog./) r.tw,
                   'tgi', @extschema@.tgi_value(r.w, r.cw, r.pw, r.tw)) ORDER BY r.r)
        FROM ranked r WHERE r.r OPERATOR(pg_catalog.<=) $5
        GROUP BY r.customer ORDER BY r.customer COLLATE "C"
        $q$, customer_col, value_col, weight_expr, source)
    USING weights, as_of, half_life, min_support, top;
END
$$;
COMMENT ON FUNCTION @extschema@.preference_tags(regclass, jsonb) IS 'Per customer the top values of an attribute (category, brand) by spend, count or weighted events, optionally recency-weighted: [{value, weight, support, share, population_share, tgi}] by weight; options customer, value, amount, event, weights, at, as_of, half_life, top, min_support; caller''s privileges';

-- ==================== similarity: item-to-item similarity and top-N recommendations ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.recommend(model @extschema@.model, items text[], weights double precision[] DEFAULT NULL,
                                      k integer DEFAULT 10, options jsonb DEFAULT '{}')
    RETURNS TABLE (rank integer, item text, score double precision, because text, source text)
    AS 'MODULE_PATHNAME', 'pp_recommend' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.recommend(@extschema@.model, text[], double precision[], integer, jsonb) IS 'Top k items for a history (items, optional weights) under an item_similarity model: score = sum of weight x similarity, because = the history item contributing most; popular items fill the list (source popular), all of it for an empty history; options exclude_seen, fill, method';

CREATE FUNCTION @extschema@.item_neighbours(model @extschema@.model)
    RETURNS TABLE (item text, rank integer, neighbour text, score double precision)
    AS 'MODULE_PATHNAME', 'pp_item_neighbours' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.item_neighbours(@extschema@.model) IS 'The neighbours an item_similarity model keeps: per item (by name) its most similar items with their scores';

CREATE FUNCTION @extschema@.recency_weight(at timestamptz, as_of timestamptz, half_life interval)
    RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.power(0.5::float8, GREATEST(0::float8, pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) at))
                                         OPERATOR(pg_catalog./) pg_catalog.date_part('epoch', half_life))
$$;
COMMENT ON FUNCTION @extschema@.recency_weight(timestamptz, timestamptz, interval) IS 'Weight of an event at a time: 0.5 ^ (age / half_life), the age as_of - at (0 for events after as_of)';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, text, jsonb) IS 'Transition function of item_similarity (bigint basket, text item)';

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, bigint, jsonb) IS 'Transition function of item_similarity (bigint basket, bigint item)';

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, text, jsonb) IS 'Transition function of item_similarity (text basket, text item)';

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, bigint, jsonb) IS 'Transition function of item_similarity (text basket, bigint item)';

CREATE FUNCTION @extschema@.item_similarity_final(@extschema@.basket_lines) RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_item_similarity_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_final(@extschema@.basket_lines) IS 'Final function of item_similarity: co-occurrence counts and the top neighbours of each item';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.item_similarity(basket bigint, item text, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, text, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';

CREATE AGGREGATE @extschema@.item_similarity(basket bigint, item bigint, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';

CREATE AGGREGATE @extschema@.item_similarity(basket text, item text, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(text, text, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';

CREATE AGGREGATE @extschema@.item_similarity(basket text, item bigint, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(text, bigint, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';

-- ==================== evaluate: offline evaluation of recommendations ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.ranking_metrics(recommended text[], relevant text[], k integer,
    OUT precision_at_k double precision, OUT recall_at_k double precision, OUT hit double precision,
    OUT average_precision double precision, OUT ndcg_at_k double precision)
    AS 'MODULE_PATHNAME', 'pp_ranking_metrics' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ranking_metrics(text[], text[], integer) IS 'One customer''s top-k list against the items they went on to buy: precision@k, recall@k, hit (0 or 1), average precision@k (MAP@k is its mean) and NDCG@k; NULL when relevant is empty';

CREATE FUNCTION @extschema@.time_split(source regclass, options jsonb)
    RETURNS TABLE (customer text, train text[], train_at timestamptz[], test text[])
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    known constant text[] := ARRAY['customer', 'item', 'at', 'cutoff'];
    cutoff timestamptz;
BEGIN
    PERFORM @extschema@.check_source_options('time_split', source, options, known, ARRAY['customer', 'item', 'at']);
    IF options->>'item' IS NULL OR options->>'at' IS NULL OR options->>'cutoff' IS NULL THEN
        RAISE EXCEPTION 'time_split needs the options "item", "at" and "cutoff"' USING ERRCODE = '22023';
    END IF;
    BEGIN
        cutoff := (options->>'cutoff')::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'option "cutoff" of time_split must be a timestamp' USING ERRCODE = '22023';
    END;
    RETURN QUERY EXECUTE format(
        $q$
        WITH l AS (SELECT (%1$I)::text AS customer, (%2$I)::text AS item, (%3$I)::timestamptz AS at
                   FROM %4$s WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND %3$I IS NOT NULL),
        tr AS (SELECT l.customer, pg_catalog.array_agg(l.item ORDER BY l.at, l.item COLLATE "C") AS train,
                      pg_catalog.array_agg(l.at ORDER BY l.at, l.item COLLATE "C") AS train_at
               FROM l WHERE l.at OPERATOR(pg_catalog.<) $1 GROUP BY l.customer),
        te AS (SELECT l.customer, pg_catalog.array_agg(DISTINCT l.item COLLATE "C") AS test
               FROM l LEFT JOIN tr ON tr.customer OPERATOR(pg_catalog.=) l.customer
               WHERE l.at OPERATOR(pg_catalog.>=) $1
                 AND NOT coalesce(l.item OPERATOR(pg_catalog.=) ANY (tr.train), false)
               GROUP BY l.customer)
        SELECT coalesce(tr.customer, te.customer), coalesce(tr.train, '{}'), coalesce(tr.train_at, '{}'),
               coalesce(te.test, '{}')
        FROM tr FULL JOIN te ON te.customer OPERATOR(pg_catalog.=) tr.customer
        ORDER BY coalesce(tr.customer, te.customer) COLLATE "C"
        $q$, coalesce(options->>'customer', 'customer_id'), options->>'item', options->>'at', source)
    USING cutoff;
END
$$;
COMMENT ON FUNCTION @extschema@.time_split(regclass, jsonb) IS 'Time-split holdout of order lines or events: per customer the items before cutoff (train, in time order, with their times) and the distinct new items from cutoff on (test); options customer, item, at, cutoff';

CREATE FUNCTION @extschema@.recommend_evaluate(source regclass, options jsonb)
    RETURNS TABLE (recommender text, customers bigint, k integer, precision_at_k double precision,
                   recall_at_k double precision, hit_rate double precision, map_at_k double precision,
                   ndcg_at_k double precision, coverage double precision)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    known constant text[] := ARRAY['customer', 'item', 'at', 'cutoff', 'k', 'half_life', 'similarity'];
    kk integer;
    half_life interval;
    sim jsonb;
BEGIN
    PERFORM @extschema@.check_source_options('recommend_evaluate', source, options, known, '{}');
    BEGIN
        kk := coalesce((options->>'k')::integer, 10);
        half_life := (options->>'half_life')::interval;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'option "k" of recommend_evaluate is an integer, "half_life" an interval' USING ERRCODE = '22023';
    END;
    IF kk < 1 THEN
        RAISE EXCEPTION 'option "k" of recommend_evaluate must be at least 1, not %', kk USING ERRCODE = '22023';
    END IF;
    sim := coalesce(options->'similarity', '{}');
    RETURN QUERY
    WITH s AS (SELECT * FROM @extschema@.time_split(source, options - 'k' - 'half_life' - 'similarity')),
    m AS (SELECT @extschema@.item_similarity(s.customer, t.item, sim) AS model,
                 pg_catalog.count(DISTINCT t.item) AS catalogue
          FROM s CROSS JOIN LATERAL pg_catalog.unnest(s.train) AS t(item)),
    e AS (SELECT s.test,
                 ARRAY(SELECT r.item FROM @extschema@.recommend(m.model, s.train,
                         CASE WHEN half_life IS NOT NULL THEN
                           ARRAY(SELECT @extschema@.recency_weight(a.at, (options->>'cutoff')::timestamptz, half_life)
                                 FROM pg_catalog.unnest(s.train_at) WITH ORDINALITY AS a(at, i) ORDER BY a.i) END,
                         kk) r ORDER BY r.rank) AS ours,
                 ARRAY(SELECT r.item FROM @extschema@.recommend(m.model, s.train, NULL, kk, '{"method": "popular"}') r
                       ORDER BY r.rank) AS popular
          FROM s CROSS JOIN m WHERE pg_catalog.cardinality(s.test) OPERATOR(pg_catalog.>) 0),
    x AS (SELECT 'item_similarity'::text AS rec, e.ours AS l, e.test FROM e
          UNION ALL SELECT 'popularity', e.popular, e.test FROM e)
    SELECT x.rec, pg_catalog.count(*), kk, pg_catalog.avg(mt.precision_at_k), pg_catalog.avg(mt.recall_at_k),
           pg_catalog.avg(mt.hit), pg_catalog.avg(mt.average_precision), pg_catalog.avg(mt.ndcg_at_k),
           (SELECT pg_catalog.count(DISTINCT i) FROM x AS x2 CROSS JOIN LATERAL pg_catalog.unnest(x2.l) AS u(i)
             WHERE x2.rec OPERATOR(pg_catalog.=) x.rec)::float8 OPERATOR(pg_catalog./) pg_catalog.max(m.catalogue)
    FROM x CROSS JOIN LATERAL @extschema@.ranking_metrics(x.l, x.test, kk) AS mt CROSS JOIN m
    GROUP BY x.rec ORDER BY x.rec;
END
$$;
COMMENT ON FUNCTION @extschema@.recommend_evaluate(regclass, jsonb) IS 'Offline evaluation on a time split: item_similarity fitted on the lines before cutoff, then recommend and the popularity baseline for every customer with new items after it, in one statement: precision@k, recall@k, hit rate, MAP@k, NDCG@k and catalogue coverage; options customer, item, at, cutoff, k, half_life, similarity';

-- ---------- channel attribution: journeys, heuristic, Markov and Shapley models ----------

-- ==================== journey: a customer's touchpoints and conversions ====================

-- ---------- types ----------

CREATE TYPE @extschema@.journey_list;

CREATE FUNCTION @extschema@.journey_list_in(cstring) RETURNS @extschema@.journey_list
    AS 'MODULE_PATHNAME', 'pp_journey_list_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.journey_list_in(cstring) IS 'Text input of portrait.journey_list (lookback;flags;n;ts:t:cost:len:channel or ts:c:value,...)';

CREATE FUNCTION @extschema@.journey_list_out(@extschema@.journey_list) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_journey_list_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.journey_list_out(@extschema@.journey_list) IS 'Text output of portrait.journey_list';

CREATE TYPE @extschema@.journey_list (
    INPUT = @extschema@.journey_list_in,
    OUTPUT = @extschema@.journey_list_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.journey_list IS 'A customer''s touchpoints (time, channel, cost) and conversions (time, value) with the lookback window and de-duplication: the state and result of portrait.journeys';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.journey_paths(journeys @extschema@.journey_list, direct text DEFAULT NULL)
    RETURNS TABLE (journey integer, path text[], touched_at timestamptz[], converted boolean, value float8)
    AS 'MODULE_PATHNAME', 'pp_journey_paths' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 4
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.journey_paths(@extschema@.journey_list, text) IS 'The journeys of a journey list in time order: the touches before each conversion within the lookback window, then the touches after the last conversion (converted false); a conversion without touches is an error unless direct names a channel for it';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.journeys_trans(@extschema@.journey_list, timestamptz, text, float8, boolean)
    RETURNS @extschema@.journey_list
    AS 'MODULE_PATHNAME', 'pp_journeys_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.journeys_trans(@extschema@.journey_list, timestamptz, text, float8, boolean) IS 'Transition function of portrait.journeys';

CREATE FUNCTION @extschema@.journeys_trans(@extschema@.journey_list, timestamptz, text, float8, boolean, interval, boolean)
    RETURNS @extschema@.journey_list
    AS 'MODULE_PATHNAME', 'pp_journeys_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.journeys_trans(@extschema@.journey_list, timestamptz, text, float8, boolean, interval, boolean) IS 'Transition function of portrait.journeys with a lookback window and de-duplication';

CREATE FUNCTION @extschema@.journeys_combine(@extschema@.journey_list, @extschema@.journey_list)
    RETURNS @extschema@.journey_list
    AS 'MODULE_PATHNAME', 'pp_journeys_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.journeys_combine(@extschema@.journey_list, @extschema@.journey_list) IS 'Combine function of portrait.journeys';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.journeys(touched_at timestamptz, channel text, amount float8, is_conversion boolean) (
    SFUNC = @extschema@.journeys_trans,
    STYPE = @extschema@.journey_list,
    COMBINEFUNC = @extschema@.journeys_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.journeys(timestamptz, text, float8, boolean) IS 'A customer''s journeys for attribution: touchpoint rows (channel, amount = cost) and conversion rows (is_conversion, amount = value), no lookback limit, repeated touches kept';

CREATE AGGREGATE @extschema@.journeys(touched_at timestamptz, channel text, amount float8, is_conversion boolean, lookback interval, dedupe boolean) (
    SFUNC = @extschema@.journeys_trans,
    STYPE = @extschema@.journey_list,
    COMBINEFUNC = @extschema@.journeys_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.journeys(timestamptz, text, float8, boolean, interval, boolean) IS 'A customer''s journeys for attribution: only touches within lookback before a conversion count for it (NULL: no limit); dedupe drops a touch of the same channel as the one before it';

-- ==================== attribution: heuristic, Markov and Shapley channel attribution ====================

-- ---------- types ----------

CREATE TYPE @extschema@.attribution_state;

CREATE FUNCTION @extschema@.attribution_state_in(cstring) RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_state_in(cstring) IS 'Text input of portrait.attribution_state (checked field by field)';

CREATE FUNCTION @extschema@.attribution_state_out(@extschema@.attribution_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_attribution_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_state_out(@extschema@.attribution_state) IS 'Text output of portrait.attribution_state';

CREATE TYPE @extschema@.attribution_state (
    INPUT = @extschema@.attribution_state_in,
    OUTPUT = @extschema@.attribution_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.attribution_state IS 'Sums of the attribution models over journeys: heuristic credits, touches and cost per channel, Markov transition counts, conversions per channel coalition (combinable; movable between nodes as text)';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.attribution_models(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, model text, conversions float8, value float8, touches bigint, cost float8, roi float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_models' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 64
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_models(@extschema@.attribution_state) IS 'Conversions and value credited to each channel by each model (first_touch, last_touch, linear, time_decay, position_based, markov, shapley, shapley_simplified), with the channel''s touches, cost and ROI = (value - cost) / cost';

CREATE FUNCTION @extschema@.attribution_removal_effects(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, removal_effect float8, conversion_probability_without float8, conversion_probability float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_removal_effects' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 16
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_removal_effects(@extschema@.attribution_state) IS 'Markov removal effect of each channel, 1 - P(conversion without it) / P(conversion), solved exactly from the absorbing chain';

CREATE FUNCTION @extschema@.attribution_transitions(state @extschema@.attribution_state)
    RETURNS TABLE (from_state text, to_state text, transitions bigint, probability float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_transitions' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 64
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_transitions(@extschema@.attribution_state) IS 'The Markov chain''s transitions: counts and probabilities between (start), channel states (the last order channels, joined by > ), (conversion) and (null)';

CREATE FUNCTION @extschema@.attribution_shapley_ordered(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, step integer, conversions float8, value float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_shapley_ordered' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 64
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_shapley_ordered(@extschema@.attribution_state) IS 'Ordered Shapley value (Zhao et al. 2018): credit of each channel at each position of the journeys'' distinct channels in first-touch order';

CREATE FUNCTION @extschema@.attribution_markov_model(state @extschema@.attribution_state)
    RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_attribution_markov_model' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_markov_model(@extschema@.attribution_state) IS 'The fitted Markov chain as a portrait.model of kind attribution: order, channels, states, transition matrix (a column per state, then conversion and null), removal effects';

CREATE FUNCTION @extschema@.attribution_report(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, touches bigint, cost float8,
                   first_touch float8, last_touch float8, linear float8, time_decay float8,
                   position_based float8, markov float8, shapley float8,
                   first_touch_value float8, last_touch_value float8, linear_value float8,
                   time_decay_value float8, position_based_value float8, markov_value float8,
                   shapley_value float8,
                   first_touch_roi float8, last_touch_roi float8, linear_roi float8, time_decay_roi float8,
                   position_based_roi float8, markov_roi float8, shapley_roi float8,
                   removal_effect float8)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.channel, max(m.touches), max(m.cost),
           max(m.conversions) FILTER (WHERE m.model = 'first_touch'),
           max(m.conversions) FILTER (WHERE m.model = 'last_touch'),
           max(m.conversions) FILTER (WHERE m.model = 'linear'),
           max(m.conversions) FILTER (WHERE m.model = 'time_decay'),
           max(m.conversions) FILTER (WHERE m.model = 'position_based'),
           max(m.conversions) FILTER (WHERE m.model = 'markov'),
           max(m.conversions) FILTER (WHERE m.model = 'shapley_simplified'),
           max(m.value) FILTER (WHERE m.model = 'first_touch'),
           max(m.value) FILTER (WHERE m.model = 'last_touch'),
           max(m.value) FILTER (WHERE m.model = 'linear'),
           max(m.value) FILTER (WHERE m.model = 'time_decay'),
           max(m.value) FILTER (WHERE m.model = 'position_based'),
           max(m.value) FILTER (WHERE m.model = 'markov'),
           max(m.value) FILTER (WHERE m.model = 'shapley_simplified'),
           max(m.roi) FILTER (WHERE m.model = 'first_touch'),
           max(m.roi) FILTER (WHERE m.model = 'last_touch'),
           max(m.roi) FILTER (WHERE m.model = 'linear'),
           max(m.roi) FILTER (WHERE m.model = 'time_decay'),
           max(m.roi) FILTER (WHERE m.model = 'position_based'),
           max(m.roi) FILTER (WHERE m.model = 'markov'),
           max(m.roi) FILTER (WHERE m.model = 'shapley_simplified'),
           max(r.removal_effect)
      FROM @extschema@.attribution_models(state) m
      JOIN @extschema@.attribution_removal_effects(state) r ON r.channel = m.channel
     GROUP BY m.channel
     ORDER BY m.channel COLLATE "C"
    $$;
COMMENT ON FUNCTION @extschema@.attribution_report(@extschema@.attribution_state) IS 'All models side by side per channel: conversions, value and ROI of first_touch, last_touch, linear, time_decay, position_based, markov and shapley, with touches, cost and the Markov removal effect';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list)
    RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list) IS 'Transition function of portrait.attribution';

CREATE FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list, jsonb)
    RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list, jsonb) IS 'Transition function of portrait.attribution with options';

CREATE FUNCTION @extschema@.attribution_combine(@extschema@.attribution_state, @extschema@.attribution_state)
    RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_combine(@extschema@.attribution_state, @extschema@.attribution_state) IS 'Combine function of portrait.attribution';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.attribution(journeys @extschema@.journey_list) (
    SFUNC = @extschema@.attribution_trans,
    STYPE = @extschema@.attribution_state,
    COMBINEFUNC = @extschema@.attribution_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.attribution(@extschema@.journey_list) IS 'Attribution state of customers'' journeys with the default options (Markov order 1, half-life 7 days, position weights 0.4/0.2/0.4)';

CREATE AGGREGATE @extschema@.attribution(journeys @extschema@.journey_list, options jsonb) (
    SFUNC = @extschema@.attribution_trans,
    STYPE = @extschema@.attribution_state,
    COMBINEFUNC = @extschema@.attribution_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.attribution(@extschema@.journey_list, jsonb) IS 'Attribution state of customers'' journeys; options: order (1-4), half_life_days, position_first, position_last, direct (channel of conversions without touches)';

-- ---------- dbscan: density clustering ----------
-- ---------- functions ----------

CREATE FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_dbscan_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer) IS 'Transition function of dbscan_fit';

CREATE FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_dbscan_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_trans(@extschema@.points, bigint, double precision[], double precision, integer, jsonb) IS 'Transition function of dbscan_fit with options';

CREATE FUNCTION @extschema@.dbscan_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_dbscan_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of dbscan_fit';

CREATE FUNCTION @extschema@.dbscan_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_dbscan_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_fit_final(@extschema@.points) IS 'Final function of dbscan_fit: DBSCAN of the collected rows as a dbscan model';

CREATE FUNCTION @extschema@.dbscan_assign(features double precision[], model @extschema@.model)
    RETURNS integer AS 'MODULE_PATHNAME', 'pp_dbscan_assign'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.dbscan_assign(double precision[], @extschema@.model) IS 'Cluster of the nearest core point of a dbscan model within eps, or -1 (noise)';

CREATE FUNCTION @extschema@.dbscan_labels(model @extschema@.model)
    RETURNS TABLE (key bigint, cluster integer, core boolean)
    AS 'MODULE_PATHNAME', 'pp_dbscan_labels'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.dbscan_labels(@extschema@.model) IS 'One row per row a dbscan model was fitted on: its key, its cluster (1, 2, ...; -1 for noise) and whether it is a core point';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.dbscan_fit(key bigint, features double precision[], eps double precision, min_samples integer) (
    SFUNC = @extschema@.dbscan_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.dbscan_fit_combine, FINALFUNC = @extschema@.dbscan_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.dbscan_fit(bigint, double precision[], double precision, integer) IS 'DBSCAN (scikit-learn semantics) of the rows on standardized features as a dbscan model with the label of every key';

CREATE AGGREGATE @extschema@.dbscan_fit(key bigint, features double precision[], eps double precision, min_samples integer, options jsonb) (
    SFUNC = @extschema@.dbscan_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.dbscan_fit_combine, FINALFUNC = @extschema@.dbscan_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.dbscan_fit(bigint, double precision[], double precision, integer, jsonb) IS 'DBSCAN (scikit-learn semantics) of the rows as a dbscan model with the label of every key; option standardize (default true)';

-- ---------- hierarchical: agglomerative clustering ----------
-- ---------- functions ----------

CREATE FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_hclust_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text) IS 'Transition function of hclust_fit';

CREATE FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_hclust_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_trans(@extschema@.points, bigint, double precision[], text, jsonb) IS 'Transition function of hclust_fit with options';

CREATE FUNCTION @extschema@.hclust_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_hclust_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of hclust_fit';

CREATE FUNCTION @extschema@.hclust_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_hclust_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_fit_final(@extschema@.points) IS 'Final function of hclust_fit: agglomerative clustering of the collected rows as a hierarchical model';

CREATE FUNCTION @extschema@.hclust_kmeans(model @extschema@.model, method text DEFAULT 'ward')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_hclust_kmeans'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hclust_kmeans(@extschema@.model, text) IS 'Two-step hierarchical clustering: agglomerative clustering of the clusters of a kmeans model (keys = its cluster numbers), each weighted by its size';

CREATE FUNCTION @extschema@.hclust_merges(model @extschema@.model)
    RETURNS TABLE (step integer, cluster_a bigint, cluster_b bigint, height double precision, size bigint)
    AS 'MODULE_PATHNAME', 'pp_hclust_merges'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.hclust_merges(@extschema@.model) IS 'The dendrogram of a hierarchical model as scipy''s linkage matrix: at each step clusters a < b merge at height into a cluster of size rows, id n + step - 1; ids 0..n-1 are the rows in key order';

CREATE FUNCTION @extschema@.hclust_cut(model @extschema@.model, k integer)
    RETURNS TABLE (key bigint, cluster integer)
    AS 'MODULE_PATHNAME', 'pp_hclust_cut'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.hclust_cut(@extschema@.model, integer) IS 'Cluster (1..k, in the order of the lowest key) of every row of a hierarchical model cut into k clusters';

CREATE FUNCTION @extschema@.hclust_cut_height(model @extschema@.model, height double precision)
    RETURNS TABLE (key bigint, cluster integer)
    AS 'MODULE_PATHNAME', 'pp_hclust_cut_height'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.hclust_cut_height(@extschema@.model, double precision) IS 'Cluster (1, 2, ... in the order of the lowest key) of every row of a hierarchical model after the merges at heights <= height';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.hclust_fit(key bigint, features double precision[], method text) (
    SFUNC = @extschema@.hclust_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.hclust_fit_combine, FINALFUNC = @extschema@.hclust_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.hclust_fit(bigint, double precision[], text) IS 'Exact agglomerative clustering (ward, complete, average or single linkage) of up to 50000 rows on standardized features as a hierarchical model';

CREATE AGGREGATE @extschema@.hclust_fit(key bigint, features double precision[], method text, options jsonb) (
    SFUNC = @extschema@.hclust_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.hclust_fit_combine, FINALFUNC = @extschema@.hclust_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.hclust_fit(bigint, double precision[], text, jsonb) IS 'Exact agglomerative clustering of up to 50000 rows as a hierarchical model; option standardize (default true)';

-- ---------- tags: bitmaps of dense customer ids ----------

-- ---------- type ----------

CREATE TYPE @extschema@.bitmap;

CREATE FUNCTION @extschema@.bitmap_in(cstring) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_in(cstring) IS 'Text input of portrait.bitmap: {id,id,...}, ids 0 to 4294967295';

CREATE FUNCTION @extschema@.bitmap_out(@extschema@.bitmap) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_bitmap_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_out(@extschema@.bitmap) IS 'Text output of portrait.bitmap: the ids ascending, {1,2,3}';

CREATE FUNCTION @extschema@.bitmap_recv(internal) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_recv(internal) IS 'Binary input of portrait.bitmap: Roaring portable serialisation, validated';

CREATE FUNCTION @extschema@.bitmap_send(@extschema@.bitmap) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_bitmap_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_send(@extschema@.bitmap) IS 'Binary output of portrait.bitmap: Roaring portable serialisation';

CREATE TYPE @extschema@.bitmap (
    INPUT = @extschema@.bitmap_in,
    OUTPUT = @extschema@.bitmap_out,
    RECEIVE = @extschema@.bitmap_recv,
    SEND = @extschema@.bitmap_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.bitmap IS 'Set of dense 32-bit customer ids (CRoaring); binary form and bytea cast are the Roaring portable serialisation';

-- ---------- casts ----------

CREATE FUNCTION @extschema@.bitmap(bytea) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap(bytea) IS 'Bitmap from a Roaring portable serialisation (written by any Roaring implementation); 22P03 when the bytes are not one';

CREATE FUNCTION @extschema@.bitmap_bytes(@extschema@.bitmap) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_bitmap_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_bytes(@extschema@.bitmap) IS 'Roaring portable serialisation of a bitmap, for other Roaring implementations';

CREATE CAST (bytea AS @extschema@.bitmap) WITH FUNCTION @extschema@.bitmap(bytea);
COMMENT ON CAST (bytea AS @extschema@.bitmap) IS 'Read a Roaring portable serialisation';

CREATE CAST (@extschema@.bitmap AS bytea) WITH FUNCTION @extschema@.bitmap_bytes(@extschema@.bitmap);
COMMENT ON CAST (@extschema@.bitmap AS bytea) IS 'Write a Roaring portable serialisation';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.bitmap_of(bigint[]) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_of' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_of(bigint[]) IS 'Bitmap of the ids of an array (NULL elements skipped; 22003 outside 0 to 4294967295)';

CREATE FUNCTION @extschema@.bitmap_cardinality(@extschema@.bitmap) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_bitmap_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_cardinality(@extschema@.bitmap) IS 'Number of ids in a bitmap';

CREATE FUNCTION @extschema@.bitmap_contains(@extschema@.bitmap, bigint) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pp_bitmap_contains' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_contains(@extschema@.bitmap, bigint) IS 'Whether a bitmap holds an id (false for ids outside 0 to 4294967295)';

CREATE FUNCTION @extschema@.bitmap_and(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_and' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_and(@extschema@.bitmap, @extschema@.bitmap) IS 'Intersection of two bitmaps (operator &)';

CREATE FUNCTION @extschema@.bitmap_or(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_or' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_or(@extschema@.bitmap, @extschema@.bitmap) IS 'Union of two bitmaps (operator |)';

CREATE FUNCTION @extschema@.bitmap_andnot(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_andnot' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_andnot(@extschema@.bitmap, @extschema@.bitmap) IS 'Ids of the first bitmap not in the second (operator -)';

CREATE FUNCTION @extschema@.bitmap_xor(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_xor' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_xor(@extschema@.bitmap, @extschema@.bitmap) IS 'Ids in exactly one of two bitmaps (operator #)';

CREATE FUNCTION @extschema@.bitmap_eq(@extschema@.bitmap, @extschema@.bitmap) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pp_bitmap_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_eq(@extschema@.bitmap, @extschema@.bitmap) IS 'Whether two bitmaps hold the same ids (operator =)';

CREATE FUNCTION @extschema@.bitmap_to_array(@extschema@.bitmap) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_bitmap_to_array' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_to_array(@extschema@.bitmap) IS 'Ids of a bitmap ascending, as an array';

CREATE FUNCTION @extschema@.bitmap_unnest(@extschema@.bitmap) RETURNS SETOF bigint
    AS 'MODULE_PATHNAME', 'pp_bitmap_unnest' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.bitmap_unnest(@extschema@.bitmap) IS 'Ids of a bitmap ascending, one row each';

-- ---------- operators ----------

CREATE OPERATOR @extschema@.& (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_and, COMMUTATOR = OPERATOR(@extschema@.&));
COMMENT ON OPERATOR @extschema@.& (@extschema@.bitmap, @extschema@.bitmap) IS 'Intersection of two bitmaps';

CREATE OPERATOR @extschema@.| (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_or, COMMUTATOR = OPERATOR(@extschema@.|));
COMMENT ON OPERATOR @extschema@.| (@extschema@.bitmap, @extschema@.bitmap) IS 'Union of two bitmaps';

CREATE OPERATOR @extschema@.- (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_andnot);
COMMENT ON OPERATOR @extschema@.- (@extschema@.bitmap, @extschema@.bitmap) IS 'Ids of the left bitmap not in the right one';

CREATE OPERATOR @extschema@.# (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_xor, COMMUTATOR = OPERATOR(@extschema@.#));
COMMENT ON OPERATOR @extschema@.# (@extschema@.bitmap, @extschema@.bitmap) IS 'Ids in exactly one of two bitmaps';

CREATE OPERATOR @extschema@.= (LEFTARG = @extschema@.bitmap, RIGHTARG = @extschema@.bitmap,
    FUNCTION = @extschema@.bitmap_eq, COMMUTATOR = OPERATOR(@extschema@.=));
COMMENT ON OPERATOR @extschema@.= (@extschema@.bitmap, @extschema@.bitmap) IS 'Whether two bitmaps hold the same ids';

-- ---------- aggregates ----------

CREATE FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, bigint) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_add_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, bigint) IS 'Transition function of bitmap_agg';

CREATE FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, integer) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_add_trans_int4' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_add_trans(@extschema@.bitmap, integer) IS 'Transition function of bitmap_agg over integer ids';

CREATE FUNCTION @extschema@.bitmap_or_trans(@extschema@.bitmap, @extschema@.bitmap) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bitmap_or_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bitmap_or_trans(@extschema@.bitmap, @extschema@.bitmap) IS 'Combine function of bitmap_agg, transition function of bitmap_or_agg';

CREATE AGGREGATE @extschema@.bitmap_agg(id bigint) (
    SFUNC = @extschema@.bitmap_add_trans, STYPE = @extschema@.bitmap,
    COMBINEFUNC = @extschema@.bitmap_or_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bitmap_agg(bigint) IS 'Bitmap of the ids of the rows (NULL ids skipped, NULL for no ids; 22003 outside 0 to 4294967295)';

CREATE AGGREGATE @extschema@.bitmap_agg(id integer) (
    SFUNC = @extschema@.bitmap_add_trans, STYPE = @extschema@.bitmap,
    COMBINEFUNC = @extschema@.bitmap_or_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bitmap_agg(integer) IS 'Bitmap of the ids of the rows (NULL ids skipped, NULL for no ids; 22003 for negative ids)';

CREATE AGGREGATE @extschema@.bitmap_or_agg(@extschema@.bitmap) (
    SFUNC = @extschema@.bitmap_or_trans, STYPE = @extschema@.bitmap,
    COMBINEFUNC = @extschema@.bitmap_or_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bitmap_or_agg(@extschema@.bitmap) IS 'Union of the bitmaps of the rows (NULLs skipped, NULL for none)';

-- ---------- tags: key dictionary ----------

CREATE TABLE @extschema@.key_dictionary_base (
    base text PRIMARY KEY,
    next_id bigint NOT NULL DEFAULT 0 CHECK (next_id BETWEEN 0 AND 4294967296)
);
COMMENT ON TABLE @extschema@.key_dictionary_base IS 'One row per customer base of the key dictionary: the next dense id to assign (ids are never reused)';
COMMENT ON COLUMN @extschema@.key_dictionary_base.base IS 'Name of the customer base';
COMMENT ON COLUMN @extschema@.key_dictionary_base.next_id IS 'The id the next new key of the base gets';

CREATE TABLE @extschema@.key_dictionary (
    base text NOT NULL REFERENCES @extschema@.key_dictionary_base (base),
    key text NOT NULL,
    id bigint NOT NULL CHECK (id BETWEEN 0 AND 4294967295),
    PRIMARY KEY (base, key),
    UNIQUE (base, id)
);
COMMENT ON TABLE @extschema@.key_dictionary IS 'Customer key to dense bitmap id, per customer base: assigned once by dictionary_assign, never changed or reused';
COMMENT ON COLUMN @extschema@.key_dictionary.base IS 'Name of the customer base';
COMMENT ON COLUMN @extschema@.key_dictionary.key IS 'Customer key in text form (bigint, text or uuid keys cast to text)';
COMMENT ON COLUMN @extschema@.key_dictionary.id IS 'Dense id of the key in the bitmaps of the base, 0 to 4294967295';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.key_dictionary_base', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.key_dictionary', '');

CREATE FUNCTION @extschema@.dictionary_assign(base text, keys text[]) RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    start bigint;
    added bigint;
BEGIN
    IF base IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'dictionary_assign: base must not be NULL';
    END IF;
    INSERT INTO @extschema@.key_dictionary_base AS b (base) VALUES (dictionary_assign.base)
        ON CONFLICT DO NOTHING;
    -- the row lock on the base serialises concurrent assigners of one base;
    -- each statement below then sees the keys the previous holder added
    SELECT b.next_id INTO start FROM @extschema@.key_dictionary_base b
        WHERE b.base = dictionary_assign.base FOR UPDATE;
    INSERT INTO @extschema@.key_dictionary (base, key, id)
    SELECT dictionary_assign.base, n.k, start + row_number() OVER (ORDER BY n.k COLLATE "C") - 1
    FROM (SELECT DISTINCT u.k FROM unnest(keys) AS u(k)
          WHERE u.k IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM @extschema@.key_dictionary d
                            WHERE d.base = dictionary_assign.base AND d.key = u.k)) n;
    GET DIAGNOSTICS added = ROW_COUNT;
    UPDATE @extschema@.key_dictionary_base b SET next_id = start + added
        WHERE b.base = dictionary_assign.base;
    RETURN added;
EXCEPTION WHEN check_violation THEN
    RAISE EXCEPTION USING ERRCODE = '22003',
        MESSAGE = format('dictionary_assign: customer base %s has no ids left', quote_literal(base)),
        DETAIL = 'A base holds at most 4294967296 keys (ids 0 to 4294967295).';
END $$;
COMMENT ON FUNCTION @extschema@.dictionary_assign(text, text[]) IS 'Give every new key of the array the next dense ids of the base (in key order), keep the ids of known keys; returns the number of new keys. Safe under concurrent calls';

-- ---------- tags: bit-sliced indexes of numeric tags ----------

CREATE TYPE @extschema@.bsi;

CREATE FUNCTION @extschema@.bsi_in(cstring) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_in(cstring) IS 'Text input of portrait.bsi: {id:value,...}; the scale is the largest number of decimals written';

CREATE FUNCTION @extschema@.bsi_out(@extschema@.bsi) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_bsi_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_out(@extschema@.bsi) IS 'Text output of portrait.bsi: {id:value,...} by ascending id, values with the index''s decimals';

CREATE FUNCTION @extschema@.bsi_recv(internal) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_recv(internal) IS 'Binary input of portrait.bsi: header and Roaring portable bitmaps, each validated';

CREATE FUNCTION @extschema@.bsi_send(@extschema@.bsi) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_bsi_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_send(@extschema@.bsi) IS 'Binary output of portrait.bsi: header and Roaring portable bitmaps';

CREATE TYPE @extschema@.bsi (
    INPUT = @extschema@.bsi_in,
    OUTPUT = @extschema@.bsi_out,
    RECEIVE = @extschema@.bsi_recv,
    SEND = @extschema@.bsi_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.bsi IS 'Values of a numeric tag per dense customer id: a bit-sliced index over Roaring bitmaps, fixed point at a scale of 0 to 12 decimals, exact range conditions';

CREATE FUNCTION @extschema@.bsi(bytea) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi(bytea) IS 'Numeric tag index from its binary form (validated: 22P03 when the bytes are not one)';

CREATE FUNCTION @extschema@.bsi_bytes(@extschema@.bsi) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_bsi_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_bytes(@extschema@.bsi) IS 'Binary form of a numeric tag index: a 4-byte header, then Roaring portable bitmaps with their lengths';

CREATE CAST (bytea AS @extschema@.bsi) WITH FUNCTION @extschema@.bsi(bytea);
COMMENT ON CAST (bytea AS @extschema@.bsi) IS 'Read the binary form of a numeric tag index';

CREATE CAST (@extschema@.bsi AS bytea) WITH FUNCTION @extschema@.bsi_bytes(@extschema@.bsi);
COMMENT ON CAST (@extschema@.bsi AS bytea) IS 'Write the binary form of a numeric tag index';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, double precision, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_float8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, double precision, integer) IS 'Transition function of bsi_agg(bigint, double precision, integer)';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, numeric, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_numeric' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, numeric, integer) IS 'Transition function of bsi_agg(bigint, numeric, integer)';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, bigint, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_int8' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, bigint, integer) IS 'Transition function of bsi_agg(bigint, bigint, integer)';

CREATE FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, integer, integer) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_trans_int4' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_agg_trans(@extschema@.bsi, bigint, integer, integer) IS 'Transition function of bsi_agg(bigint, integer, integer)';

CREATE FUNCTION @extschema@.bsi_merge_trans(@extschema@.bsi, @extschema@.bsi) RETURNS @extschema@.bsi
    AS 'MODULE_PATHNAME', 'pp_bsi_merge_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_merge_trans(@extschema@.bsi, @extschema@.bsi) IS 'Combine function of bsi_agg: the union of two indexes of the same scale over disjoint ids';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, double precision, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, double precision, integer) IS 'Numeric tag index of (id, value) rows at a scale of 0 to 12 decimals: values rounded half away from zero as round(value::numeric, scale); rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, numeric, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, numeric, integer) IS 'Numeric tag index of (id, value) rows at a scale of 0 to 12 decimals: values rounded half away from zero as round(value, scale); rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, bigint, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, bigint, integer) IS 'Numeric tag index of (id, integer value) rows; rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE AGGREGATE @extschema@.bsi_agg(bigint, integer, integer) (
    SFUNC = @extschema@.bsi_agg_trans, STYPE = @extschema@.bsi,
    COMBINEFUNC = @extschema@.bsi_merge_trans, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bsi_agg(bigint, integer, integer) IS 'Numeric tag index of (id, integer value) rows; rows with a NULL id or value skipped; 21000 when an id has two values';

CREATE FUNCTION @extschema@.bsi_compare(@extschema@.bsi, op text, value numeric) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bsi_compare' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_compare(@extschema@.bsi, text, numeric) IS 'Ids whose value compares true with value by op (=, <>, !=, <, <=, >, >=), exactly: the constant is not rounded to the scale; ids without a value never match';

CREATE FUNCTION @extschema@.bsi_between(@extschema@.bsi, lo numeric, hi numeric) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bsi_between' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_between(@extschema@.bsi, numeric, numeric) IS 'Ids whose value is at least lo and at most hi (BETWEEN), exactly';

CREATE FUNCTION @extschema@.bsi_ids(@extschema@.bsi) RETURNS @extschema@.bitmap
    AS 'MODULE_PATHNAME', 'pp_bsi_ids' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_ids(@extschema@.bsi) IS 'Ids that have a value';

CREATE FUNCTION @extschema@.bsi_count(@extschema@.bsi) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_bsi_count' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_count(@extschema@.bsi) IS 'Number of ids that have a value';

CREATE FUNCTION @extschema@.bsi_scale(@extschema@.bsi) RETURNS integer
    AS 'MODULE_PATHNAME', 'pp_bsi_scale' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_scale(@extschema@.bsi) IS 'Decimals the index keeps';

CREATE FUNCTION @extschema@.bsi_sum(@extschema@.bsi) RETURNS numeric
    AS 'MODULE_PATHNAME', 'pp_bsi_sum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_sum(@extschema@.bsi) IS 'Exact sum of the values';

CREATE FUNCTION @extschema@.bsi_sum(@extschema@.bsi, filter @extschema@.bitmap) RETURNS numeric
    AS 'MODULE_PATHNAME', 'pp_bsi_sum' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_sum(@extschema@.bsi, @extschema@.bitmap) IS 'Exact sum of the values of the ids in filter, from bitmap intersections';

CREATE FUNCTION @extschema@.bsi_value(@extschema@.bsi, id bigint) RETURNS numeric
    AS 'MODULE_PATHNAME', 'pp_bsi_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bsi_value(@extschema@.bsi, bigint) IS 'Value of one id (NULL when it has none)';

CREATE FUNCTION @extschema@.bsi_values(@extschema@.bsi, OUT id bigint, OUT value numeric) RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'pp_bsi_values' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.bsi_values(@extschema@.bsi) IS 'Every id with its value, by ascending id';

-- ---------- tags: tag library and its bitmaps ----------

CREATE TABLE @extschema@.tag (
    name text PRIMARY KEY,
    category text[] NOT NULL DEFAULT '{}',
    value_type text NOT NULL CHECK (value_type IN ('boolean', 'categorical', 'numeric')),
    scale integer NOT NULL DEFAULT 2 CHECK (scale BETWEEN 0 AND 12),
    description text,
    source_column text NOT NULL,
    owner name NOT NULL DEFAULT current_user,
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.tag IS 'The tag library: one row per tag, read by build_tags and by BI tools';
COMMENT ON COLUMN @extschema@.tag.name IS 'Tag name, as audience expressions write it';
COMMENT ON COLUMN @extschema@.tag.category IS 'Category path from the root, e.g. {value,RFM}';
COMMENT ON COLUMN @extschema@.tag.value_type IS 'boolean (a bitmap of the true rows), categorical (a bitmap per value) or numeric';
COMMENT ON COLUMN @extschema@.tag.scale IS 'Decimal digits a numeric tag keeps: values are rounded to them (half away from zero) when the tag is built';
COMMENT ON COLUMN @extschema@.tag.description IS 'What the tag means, for the people who use it';
COMMENT ON COLUMN @extschema@.tag.source_column IS 'Column of the profile table the tag is built from';
COMMENT ON COLUMN @extschema@.tag.owner IS 'Role responsible for the tag';
COMMENT ON COLUMN @extschema@.tag.created IS 'When the tag was defined';
COMMENT ON COLUMN @extschema@.tag.updated IS 'When the definition last changed';

CREATE TABLE @extschema@.tag_bitmap (
    base text NOT NULL,
    tag text NOT NULL,
    value text NOT NULL,
    snapshot date NOT NULL,
    members @extschema@.bitmap NOT NULL,
    PRIMARY KEY (base, tag, value, snapshot)
);
COMMENT ON TABLE @extschema@.tag_bitmap IS 'Members of each tag value per customer base and snapshot, as bitmaps of key_dictionary ids';
COMMENT ON COLUMN @extschema@.tag_bitmap.base IS 'Customer base (of the key dictionary)';
COMMENT ON COLUMN @extschema@.tag_bitmap.tag IS 'Tag name';
COMMENT ON COLUMN @extschema@.tag_bitmap.value IS 'Tag value in text form (true for a boolean tag)';
COMMENT ON COLUMN @extschema@.tag_bitmap.snapshot IS 'Date of the build';
COMMENT ON COLUMN @extschema@.tag_bitmap.members IS 'Dictionary ids of the customers with this value';

CREATE TABLE @extschema@.tag_snapshot (
    base text NOT NULL,
    snapshot date NOT NULL,
    members @extschema@.bitmap NOT NULL,
    built timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (base, snapshot)
);
COMMENT ON TABLE @extschema@.tag_snapshot IS 'The population of each snapshot of a customer base: every customer of the profile the tags were built from (the universe of NOT in audiences)';
COMMENT ON COLUMN @extschema@.tag_snapshot.base IS 'Customer base (of the key dictionary)';
COMMENT ON COLUMN @extschema@.tag_snapshot.snapshot IS 'Date of the build';
COMMENT ON COLUMN @extschema@.tag_snapshot.members IS 'Dictionary ids of every customer of the profile at the build';
COMMENT ON COLUMN @extschema@.tag_snapshot.built IS 'When the snapshot was last built';

CREATE TABLE @extschema@.tag_numeric (
    base text NOT NULL,
    tag text NOT NULL,
    snapshot date NOT NULL,
    members @extschema@.bsi NOT NULL,
    PRIMARY KEY (base, tag, snapshot)
);
COMMENT ON TABLE @extschema@.tag_numeric IS 'Values of each numeric tag per customer base and snapshot, as a bit-sliced index over key_dictionary ids';
COMMENT ON COLUMN @extschema@.tag_numeric.base IS 'Customer base (of the key dictionary)';
COMMENT ON COLUMN @extschema@.tag_numeric.tag IS 'Tag name';
COMMENT ON COLUMN @extschema@.tag_numeric.snapshot IS 'Date of the build';
COMMENT ON COLUMN @extschema@.tag_numeric.members IS 'Values of the customers, at the tag''s scale';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag_numeric', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag_bitmap', '');

CREATE FUNCTION @extschema@.build_tags(base text, profile regclass, key_column text,
                                       snapshot date DEFAULT current_date, keep_snapshots integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    terms text;
    names text[];
    written bigint;
BEGIN
    IF base IS NULL OR profile IS NULL OR key_column IS NULL OR snapshot IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'build_tags: base, profile, key_column and snapshot must not be NULL';
    END IF;
    IF keep_snapshots IS NOT NULL AND keep_snapshots < 1 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'build_tags: keep_snapshots must be at least 1';
    END IF;
    -- one (tag, value) term per boolean or categorical tag whose column the profile has
    SELECT string_agg(CASE t.value_type
                          WHEN 'boolean' THEN format('(%L, CASE WHEN p.%I THEN ''true'' END)', t.name, t.source_column)
                          ELSE format('(%L, p.%I::text)', t.name, t.source_column) END, ', ' ORDER BY t.name),
           array_agg(t.name)
      INTO terms, names
      FROM @extschema@.tag t
     WHERE t.value_type IN ('boolean', 'categorical')
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = profile AND a.attname = t.source_column
                   AND a.attnum > 0 AND NOT a.attisdropped);
    IF terms IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('build_tags: no boolean or categorical tag is built from a column of %s', profile),
            HINT = 'Define tags in portrait.tag whose source_column is a column of the profile table.';
    END IF;
    EXECUTE format('SELECT @extschema@.dictionary_assign($1, array_agg(p.%I::text)) FROM %s p', key_column, profile) USING base;
    DELETE FROM @extschema@.tag_bitmap b WHERE b.base = build_tags.base AND b.snapshot = build_tags.snapshot
        AND b.tag = ANY (names);
    -- one pass over the profile: every row gives one (tag, value) per tag
    EXECUTE format('INSERT INTO @extschema@.tag_bitmap (base, tag, value, snapshot, members)
                    SELECT $1, v.tag, v.value, $2, @extschema@.bitmap_agg(d.id)
                    FROM %s p
                    JOIN @extschema@.key_dictionary d ON d.base = $1 AND d.key = p.%I::text
                    CROSS JOIN LATERAL (VALUES %s) AS v(tag, value)
                    WHERE v.value IS NOT NULL
                    GROUP BY v.tag, v.value', profile, key_column, terms)
        USING base, snapshot;
    GET DIAGNOSTICS written = ROW_COUNT;
    EXECUTE format('INSERT INTO @extschema@.tag_snapshot AS t (base, snapshot, members)
                    SELECT $1, $2, @extschema@.bitmap_agg(d.id)
                    FROM %s p
                    JOIN @extschema@.key_dictionary d ON d.base = $1 AND d.key = p.%I::text
                    ON CONFLICT (base, snapshot) DO UPDATE SET members = excluded.members, built = now()',
                   profile, key_column)
        USING base, snapshot;
    IF keep_snapshots IS NOT NULL THEN
        DELETE FROM @extschema@.tag_bitmap b
         WHERE b.base = build_tags.base
           AND b.snapshot < ALL (SELECT s.snapshot FROM (SELECT DISTINCT c.snapshot FROM @extschema@.tag_bitmap c
                                                          WHERE c.base = build_tags.base
                                                          ORDER BY c.snapshot DESC LIMIT keep_snapshots) s);
        DELETE FROM @extschema@.tag_snapshot t
         WHERE t.base = build_tags.base
           AND t.snapshot < ALL (SELECT c.snapshot FROM @extschema@.tag_snapshot c
                                  WHERE c.base = build_tags.base
                                  ORDER BY c.snapshot DESC LIMIT keep_snapshots);
    END IF;
    RETURN written;
END $$;
COMMENT ON FUNCTION @extschema@.build_tags(text, regclass, text, date, integer) IS 'Build the bitmaps of every boolean and categorical tag of the library from a profile table in one pass (ids from the key dictionary, assigned first), as the snapshot of a date; keep_snapshots drops older snapshots of the base';

-- ---------- incremental portrait: stored states ----------
CREATE FUNCTION @extschema@.rfm_state_merge(@extschema@.rfm_state, @extschema@.rfm_state)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_state_merge'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_state_merge(@extschema@.rfm_state, @extschema@.rfm_state) IS 'The rfm_summary state of the rows of two states together, counted up to the later of their as_of days (a stored state merged with the state of new rows); NULL is the state of no rows';

-- STABLE as the final function: a timestamp state's first and last order become timestamptz
CREATE FUNCTION @extschema@.rfm_summary_final(state @extschema@.rfm_state, as_of date)
    RETURNS @extschema@.rfm_summary AS 'MODULE_PATHNAME', 'pp_rfm_summary_final_at'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_final(@extschema@.rfm_state, date) IS 'The purchase summary of a stored rfm_summary state as of a day (its own as_of day or a later one): equal to rfm_summary over the same rows with that as_of day';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at date, amount numeric, as_of date) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(date, numeric, date) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at date, amount double precision, as_of date) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(date, double precision, date) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamp, amount numeric, as_of timestamp) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamp, numeric, timestamp) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamp, amount double precision, as_of timestamp) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamp, double precision, timestamp) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount numeric, as_of timestamptz) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, numeric, timestamptz) IS 'The state of rfm_summary (days in the session time zone), to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount double precision, as_of timestamptz) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, double precision, timestamptz) IS 'The state of rfm_summary (days in the session time zone), to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount numeric, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, numeric, timestamptz, text, text) IS 'The state of rfm_summary, days in the named time zone, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount double precision, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, double precision, timestamptz, text, text) IS 'The state of rfm_summary, days in the named time zone, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_state_merge(@extschema@.rfm_state) (
    SFUNC = @extschema@.rfm_state_merge, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_state_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_state_merge(@extschema@.rfm_state) IS 'Merge of stored rfm_summary states (rfm_state_merge over rows), counted up to the latest as_of day';


-- The state of window_funnel is an event list: stored in a table column, merged
-- with the state of new events by window_funnel_merge and finalised by
-- window_funnel_final, it gives what window_funnel gives over all the events.
CREATE AGGREGATE @extschema@.window_funnel_state("window" interval, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel_state(interval, timestamptz, VARIADIC bool[]) IS 'The state of window_funnel, to be stored, merged with window_funnel_merge and finalised with window_funnel_final';

CREATE AGGREGATE @extschema@.window_funnel_state("window" interval, mode text, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel_state(interval, text, timestamptz, VARIADIC bool[]) IS 'The state of window_funnel with modes, to be stored, merged with window_funnel_merge and finalised with window_funnel_final';

CREATE AGGREGATE @extschema@.window_funnel_merge(@extschema@.event_list) (
    SFUNC = @extschema@.window_funnel_combine,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel_merge(@extschema@.event_list) IS 'Merge of stored window_funnel states (a stored state with the state of new events); window_funnel_final gives the level';

-- ---------- incremental portrait: watermarks, corrections, refresh_profile_incremental ----------
-- ---------- tables ----------

CREATE TABLE @extschema@.profile_incremental (
    target            regclass PRIMARY KEY,
    source            regclass NOT NULL,
    key_column        text NOT NULL,
    ordered_at_column text NOT NULL,
    amount_column     text NOT NULL,
    watermark_column  text NOT NULL,
    state_table       regclass NOT NULL,
    watermark         xid8 NOT NULL,
    as_of             date NOT NULL,
    model             @extschema@.model,
    map               text NOT NULL,
    zone              text NOT NULL,
    updated_at        timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.profile_incremental IS 'One row per profile table kept by refresh_profile_incremental: its source, the source''s watermark, the stored states and the scoring model; written in the same transaction as the states and the profile';
COMMENT ON COLUMN @extschema@.profile_incremental.target IS 'The profile table';
COMMENT ON COLUMN @extschema@.profile_incremental.source IS 'The order table the states are built from';
COMMENT ON COLUMN @extschema@.profile_incremental.key_column IS 'Customer key column of the source (and of the profile)';
COMMENT ON COLUMN @extschema@.profile_incremental.ordered_at_column IS 'Business time column of the source (date, timestamp or timestamptz)';
COMMENT ON COLUMN @extschema@.profile_incremental.amount_column IS 'Amount column of the source (negative: refund)';
COMMENT ON COLUMN @extschema@.profile_incremental.watermark_column IS 'Ingestion column of the source: xid8 DEFAULT pg_current_xact_id()';
COMMENT ON COLUMN @extschema@.profile_incremental.state_table IS 'The table of stored rfm_summary states, one row per customer';
COMMENT ON COLUMN @extschema@.profile_incremental.watermark IS 'Every source row whose watermark column is below this is merged into the states, and none above';
COMMENT ON COLUMN @extschema@.profile_incremental.as_of IS 'The day the stored scores were computed as of';
COMMENT ON COLUMN @extschema@.profile_incremental.model IS 'The stored rfm model (breaks) the scores come from; replaced only when a refresh is given a new one';
COMMENT ON COLUMN @extschema@.profile_incremental.map IS 'The segment map of the scores';
COMMENT ON COLUMN @extschema@.profile_incremental.zone IS 'The time zone the days of timestamptz orders are counted in (the session''s at the first run), the same for every run whatever the TimeZone of the session that runs it';
COMMENT ON COLUMN @extschema@.profile_incremental.updated_at IS 'Start of the last refresh';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.profile_incremental', '');

CREATE TABLE @extschema@.profile_change_log (
    source     regclass NOT NULL,
    key        text NOT NULL,
    logged_xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    logged_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE @extschema@.profile_change_log IS 'Customers whose already stored source rows were updated or deleted (filled by the trigger function profile_change_capture); refresh_profile_incremental recomputes them from their own rows';
COMMENT ON COLUMN @extschema@.profile_change_log.source IS 'The source table that changed';
COMMENT ON COLUMN @extschema@.profile_change_log.key IS 'The customer key as text';
COMMENT ON COLUMN @extschema@.profile_change_log.logged_xid IS 'Transaction of the change (the watermark it is read against)';
COMMENT ON COLUMN @extschema@.profile_change_log.logged_at IS 'Time of the change';
CREATE INDEX profile_change_log_source ON @extschema@.profile_change_log (source, logged_xid);
COMMENT ON INDEX @extschema@.profile_change_log_source IS 'Changes of one source by transaction';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.profile_change_log', '');

-- A role reads and writes the incremental set-up of the profile tables it can
-- write, and logs changes of the tables it can update or delete from.
GRANT SELECT, INSERT, UPDATE ON @extschema@.profile_incremental TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON @extschema@.profile_change_log TO PUBLIC;
ALTER TABLE @extschema@.profile_incremental ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.profile_change_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_incremental_owner ON @extschema@.profile_incremental FOR ALL
    USING (pg_catalog.has_table_privilege(target::pg_catalog.oid, 'SELECT'))
    WITH CHECK (pg_catalog.has_table_privilege(target::pg_catalog.oid, 'INSERT')
                AND pg_catalog.has_table_privilege(target::pg_catalog.oid, 'UPDATE')
                AND pg_catalog.has_table_privilege(target::pg_catalog.oid, 'DELETE'));
COMMENT ON POLICY profile_incremental_owner ON @extschema@.profile_incremental IS 'Set-ups of the profile tables the role can read; written only by roles that can write the profile';
CREATE POLICY profile_change_log_read ON @extschema@.profile_change_log FOR SELECT
    USING (pg_catalog.has_table_privilege(source::pg_catalog.oid, 'SELECT'));
COMMENT ON POLICY profile_change_log_read ON @extschema@.profile_change_log IS 'Changes of the sources the role can read';
CREATE POLICY profile_change_log_write ON @extschema@.profile_change_log FOR INSERT
    WITH CHECK (pg_catalog.has_table_privilege(source::pg_catalog.oid, 'UPDATE')
                OR pg_catalog.has_table_privilege(source::pg_catalog.oid, 'DELETE'));
COMMENT ON POLICY profile_change_log_write ON @extschema@.profile_change_log IS 'Changes are logged by roles that can update or delete rows of the source';
CREATE POLICY profile_change_log_trim ON @extschema@.profile_change_log FOR DELETE
    USING (pg_catalog.has_table_privilege(source::pg_catalog.oid, 'SELECT')
           AND EXISTS (SELECT FROM @extschema@.profile_incremental i
                        WHERE i.source OPERATOR(pg_catalog.=) profile_change_log.source
                          AND pg_catalog.has_table_privilege(i.target::pg_catalog.oid, 'UPDATE')
                          AND pg_catalog.has_table_privilege(i.target::pg_catalog.oid, 'DELETE')));
COMMENT ON POLICY profile_change_log_trim ON @extschema@.profile_change_log IS 'Changes every profile of the source has read are removed by its refreshes: only roles that can write a profile kept from that source';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.profile_change_capture() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    old_key text;
    new_key text;
BEGIN
    IF TG_NARGS <> 1 THEN
        RAISE EXCEPTION 'profile_change_capture takes the key column name as its one argument' USING ERRCODE = '22023',
            HINT = 'CREATE TRIGGER ... AFTER UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION portrait.profile_change_capture(''customer_id'').';
    END IF;
    old_key := pg_catalog.to_jsonb(OLD) ->> TG_ARGV[0];
    IF TG_OP = 'UPDATE' THEN
        IF OLD IS NOT DISTINCT FROM NEW THEN
            RETURN NULL;
        END IF;
        new_key := pg_catalog.to_jsonb(NEW) ->> TG_ARGV[0];
    END IF;
    IF old_key IS NOT NULL THEN
        INSERT INTO @extschema@.profile_change_log (source, key) VALUES (TG_RELID, old_key);
    END IF;
    IF new_key IS DISTINCT FROM old_key AND new_key IS NOT NULL THEN
        INSERT INTO @extschema@.profile_change_log (source, key) VALUES (TG_RELID, new_key);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_change_capture() IS 'Trigger function for an order table kept incrementally: AFTER UPDATE OR DELETE ... FOR EACH ROW EXECUTE FUNCTION portrait.profile_change_capture(''<key column>'') logs the customers whose rows changed, which the next refresh_profile_incremental recomputes from their own rows';

-- The columns a profile kept by refresh_profile_incremental may have, and how
-- each is computed from the summary sm (rfm_summary_final(state, as_of)) and
-- the scores sc (rfm_score against the stored model).  Recency and tenure
-- change every day for everyone: the profile keeps first_day and last_day,
-- and readers compute them (current_date - last_day).
CREATE FUNCTION @extschema@.profile_incremental_columns()
    RETURNS TABLE (column_name text, expression text, needs_model boolean)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM (VALUES
        ('frequency', '(x.sm).frequency', false),
        ('monetary', '(x.sm).monetary', false),
        ('avg_order_value', '(x.sm).avg_order_value', false),
        ('first_order', '(x.sm).first_order', false),
        ('last_order', '(x.sm).last_order', false),
        ('first_day', '$1 - (x.sm).tenure_days', false),
        ('last_day', '$1 - (x.sm).recency_days', false),
        ('repeat_frequency', '(x.sm).repeat_frequency', false),
        ('repeat_span_days', '(x.sm).repeat_span_days', false),
        ('repeat_avg_value', '(x.sm).repeat_avg_value', false),
        ('refunds', '(x.sm).refunds', false),
        ('refund_amount', '(x.sm).refund_amount', false),
        ('r', '(x.sc).r', true),
        ('f', '(x.sc).f', true),
        ('m', '(x.sc).m', true),
        ('code', '(x.sc).code', true),
        ('segment', '(x.sc).segment', true)) v(column_name, expression, needs_model)
$$;
COMMENT ON FUNCTION @extschema@.profile_incremental_columns() IS 'The columns a profile table kept by refresh_profile_incremental may have besides its key, the expression of each over the stored state, and whether it needs an rfm model';

CREATE PROCEDURE @extschema@.refresh_profile_incremental(target regclass, source regclass, options jsonb DEFAULT '{}')
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb := coalesce(options, '{}');
    opt text;
    cfg record;
    first_run boolean;
    tname text;
    sname text;
    st text;                -- the state table, quoted
    kcol text;
    tcol text;
    acol text;
    wcol text;
    key_type text;
    wm_type text;
    new_wm xid8;
    old_wm xid8;
    as_of date;
    ts_type text;
    zone text;
    as_of_arg text;         -- the as_of (and zone) arguments of rfm_summary_state
    model @extschema@.model;
    map text;
    wait boolean;
    history boolean;
    reset boolean;
    rescore_all boolean;
    tracked text[];
    cols text[];
    exprs text;
    col_list text;
    run bigint;
    started timestamptz := clock_timestamp();
    n_ins bigint;
    n_upd bigint;
    n_del bigint;
    n_total bigint;
    n_states float8;
    n_keys bigint;
    by_index boolean;       -- few keys: join the big tables by index
    hash0 text := current_setting('enable_hashjoin');
    merge0 text := current_setting('enable_mergejoin');
    k text;
BEGIN
    IF target IS NULL OR source IS NULL THEN
        RAISE EXCEPTION 'refresh_profile_incremental target and source must not be NULL' USING ERRCODE = '22004';
    END IF;
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('key', 'ordered_at', 'amount', 'watermark', 'state_table', 'model', 'map', 'as_of',
                       'wait', 'history', 'track', 'reset', 'zone') THEN
            RAISE EXCEPTION 'unsupported option "%" of refresh_profile_incremental', opt USING ERRCODE = '0A000',
                HINT = 'Options are key, ordered_at, amount, watermark, state_table (names), model (an rfm model), map, as_of (a date), zone (a time zone), wait, history, reset (booleans) and track (array of column names).';
        END IF;
    END LOOP;
    IF jsonb_typeof(o->'wait') <> 'boolean' OR jsonb_typeof(o->'history') <> 'boolean' OR jsonb_typeof(o->'reset') <> 'boolean' THEN
        RAISE EXCEPTION 'refresh_profile_incremental options wait, history and reset must be booleans' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(o->'track') <> 'array' THEN
        RAISE EXCEPTION 'refresh_profile_incremental option track must be an array of column names' USING ERRCODE = '22023';
    END IF;
    wait := coalesce((o->>'wait')::boolean, true);
    history := coalesce((o->>'history')::boolean, true);
    reset := coalesce((o->>'reset')::boolean, false);

    SELECT format('%I.%I', n.nspname, c.relname), n.nspname INTO tname, sname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = target AND c.relkind IN ('r', 'p');
    IF tname IS NULL THEN
        RAISE EXCEPTION 'refresh_profile_incremental target % is not a table', target USING ERRCODE = '22023';
    END IF;
    -- the same lock and run as refresh_profile: one refresh of a target at a time
    run := @extschema@.profile_run_open(target, wait);

    SELECT * INTO cfg FROM @extschema@.profile_incremental p WHERE p.target = refresh_profile_incremental.target;
    first_run := NOT FOUND;
    IF NOT first_run AND cfg.source <> source THEN
        RAISE EXCEPTION 'profile % is kept from %, not from %', tname, cfg.source, source USING ERRCODE = '22023',
            HINT = 'Delete its row of portrait.profile_incremental to start over from another source.';
    END IF;
    FOR opt, k IN SELECT v.o, v.c FROM (VALUES ('key', cfg.key_column), ('ordered_at', cfg.ordered_at_column),
                                              ('amount', cfg.amount_column), ('watermark', cfg.watermark_column)) v(o, c) LOOP
        IF NOT first_run AND o ? opt AND o->>opt <> k THEN
            RAISE EXCEPTION 'profile % is kept with % column "%", not "%"', tname, opt, k, o->>opt USING ERRCODE = '22023',
                HINT = 'Delete its row of portrait.profile_incremental to start over with other columns.';
        END IF;
    END LOOP;
    kcol := coalesce(cfg.key_column, o->>'key', 'customer_id');
    tcol := coalesce(cfg.ordered_at_column, o->>'ordered_at', 'ordered_at');
    acol := coalesce(cfg.amount_column, o->>'amount', 'amount');
    wcol := coalesce(cfg.watermark_column, o->>'watermark', 'ingest_xid');
    FOREACH opt IN ARRAY ARRAY[kcol, tcol, acol, wcol] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = source AND attname = opt AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" is not a column of %', opt, source USING ERRCODE = '22023',
                HINT = 'Name the source''s columns with the options key, ordered_at, amount and watermark.';
        END IF;
    END LOOP;
    SELECT format_type(atttypid, atttypmod) INTO key_type FROM pg_attribute WHERE attrelid = source AND attname = kcol;
    SELECT format_type(atttypid, NULL) INTO ts_type FROM pg_attribute WHERE attrelid = source AND attname = tcol;
    SELECT format_type(atttypid, NULL) INTO wm_type FROM pg_attribute WHERE attrelid = source AND attname = wcol;
    IF wm_type <> 'xid8' THEN
        RAISE EXCEPTION 'watermark column "%" of % is of type %, not xid8', wcol, source, wm_type USING ERRCODE = '0A000',
            DETAIL = 'Ids from a sequence or ingestion times can commit out of order, so a watermark over them can skip rows committed late.',
            HINT = 'Add a column "ingest_xid xid8 NOT NULL DEFAULT pg_current_xact_id()" (with an index) and name it with the option watermark.';
    END IF;
    IF ts_type NOT IN ('date', 'timestamp without time zone', 'timestamp with time zone') THEN
        RAISE EXCEPTION 'ordered_at column "%" of % is of type %', tcol, source, ts_type USING ERRCODE = '22023',
            HINT = 'Use a date, timestamp or timestamptz column.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = kcol AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'key column "%" is not a column of %', kcol, tname USING ERRCODE = '22023';
    END IF;

    -- the profile's columns, each computed from the stored state
    SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols
    FROM pg_attribute a WHERE a.attrelid = target AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> kcol AND a.attgenerated = '';
    cols := coalesce(cols, '{}');
    SELECT c INTO opt FROM unnest(cols) c WHERE c NOT IN (SELECT column_name FROM @extschema@.profile_incremental_columns()) LIMIT 1;
    IF opt IS NOT NULL THEN
        RAISE EXCEPTION 'column "%" of % cannot be kept incrementally', opt, tname USING ERRCODE = '0A000',
            DETAIL = CASE WHEN opt IN ('recency_days', 'tenure_days')
                          THEN 'Recency and tenure change every day for every customer; the profile keeps last_day and first_day instead.'
                          ELSE 'The columns are those of portrait.profile_incremental_columns().' END,
            HINT = 'Compute recency at read time, e.g. a view with current_date - last_day AS recency_days.';
    END IF;
    -- the history's columns, as refresh_profile's option track names them
    tracked := CASE WHEN o ? 'track' THEN ARRAY(SELECT jsonb_array_elements_text(o->'track')) ELSE cols END;
    opt := (SELECT c FROM unnest(tracked) c WHERE c <> ALL (cols) LIMIT 1);
    IF opt IS NOT NULL THEN
        RAISE EXCEPTION 'tracked column "%" is not a non-key column of %', opt, tname USING ERRCODE = '22023';
    END IF;

    -- the model is stored: a refresh rescoring new rows never refits it
    -- the model's JSON object, or its text form as a JSON string
    model := CASE jsonb_typeof(o->'model') WHEN 'object' THEN (o->'model')::text::@extschema@.model
                                            WHEN 'string' THEN (o->>'model')::@extschema@.model ELSE cfg.model END;
    IF model IS NOT NULL AND @extschema@.model_kind(model) <> 'rfm' THEN
        RAISE EXCEPTION 'refresh_profile_incremental needs an rfm model, not a % model', @extschema@.model_kind(model) USING ERRCODE = '22023',
            HINT = 'Pass the breaks of rfm_breaks as the option model.';
    END IF;
    map := coalesce(o->>'map', cfg.map, 'standard');
    -- days of timestamptz orders are counted in one zone for every run
    zone := coalesce(cfg.zone, o->>'zone', current_setting('TimeZone'));
    IF o->>'zone' IS DISTINCT FROM zone AND o ? 'zone' THEN
        RAISE EXCEPTION 'profile % is kept with days in time zone "%", not "%"', tname, zone, o->>'zone' USING ERRCODE = '22023',
            HINT = 'Delete its row of portrait.profile_incremental to start over in another zone.';
    END IF;
    as_of := coalesce((o->>'as_of')::date, (now() AT TIME ZONE zone)::date);
    IF NOT isfinite(as_of) THEN
        RAISE EXCEPTION 'refresh_profile_incremental option as_of must be a finite date' USING ERRCODE = '22023';
    END IF;
    as_of_arg := CASE WHEN ts_type = 'timestamp with time zone' THEN '$1::timestamp AT TIME ZONE $4, ''error'', $4'
                      ELSE format('$1::%s', ts_type) END;
    IF model IS NULL AND EXISTS (SELECT 1 FROM @extschema@.profile_incremental_columns() c WHERE c.needs_model AND c.column_name = ANY (cols)) THEN
        RAISE EXCEPTION 'profile % has score columns but no rfm model is stored', tname USING ERRCODE = '22023',
            HINT = 'Pass {"model": <rfm_breaks(...) as jsonb>} on the first refresh (and to refit).';
    END IF;

    IF first_run THEN
        st := coalesce((SELECT string_agg(quote_ident(p), '.') FROM unnest(parse_ident(o->>'state_table')) p),
                       format('%I.%I', sname, (SELECT relname FROM pg_class WHERE oid = target) || '_state'));
        IF to_regclass(st) IS NULL THEN
            -- Merged states are updated in place: room on every page and no
            -- index on a changed column keep the updates HOT (no index entry,
            -- less WAL); last_day is read by a scan once a day, not by index.
            EXECUTE format('CREATE TABLE %s (key %s PRIMARY KEY, state @extschema@.rfm_state NOT NULL, last_day date)
                            WITH (fillfactor = 75)', st, key_type);
            EXECUTE format('COMMENT ON TABLE %s IS %L', st, format('Stored rfm_summary states of %s (refresh_profile_incremental)', tname));
        END IF;
        st := to_regclass(st)::text;
    ELSE
        st := cfg.state_table::text;
        IF o ? 'state_table' AND to_regclass(o->>'state_table') IS DISTINCT FROM cfg.state_table THEN
            RAISE EXCEPTION 'profile % keeps its states in %', tname, cfg.state_table USING ERRCODE = '22023';
        END IF;
    END IF;

    -- Every transaction below the xmin of a snapshot has ended, so the rows it
    -- committed are all visible now and no row below it can appear later:
    -- [old, new) is read exactly once, whatever order transactions commit in.
    new_wm := pg_snapshot_xmin(pg_current_snapshot());
    old_wm := CASE WHEN first_run OR reset THEN NULL ELSE cfg.watermark END;
    rescore_all := first_run OR reset OR model::text IS DISTINCT FROM cfg.model::text OR map IS DISTINCT FROM cfg.map;

    FOREACH opt IN ARRAY ARRAY['portrait_incr_fix', 'portrait_incr_delta', 'portrait_incr_keys', 'portrait_incr_new'] LOOP
        IF to_regclass('pg_temp.' || opt) IS NOT NULL THEN
            EXECUTE format('DROP TABLE pg_temp.%I', opt);
        END IF;
    END LOOP;

    -- corrections: customers whose rows were updated or deleted since the last run
    EXECUTE format('CREATE TEMP TABLE portrait_incr_fix ON COMMIT DROP AS
                    SELECT DISTINCT l.key::%s AS key FROM @extschema@.profile_change_log l
                    WHERE l.source = $1 AND $2 IS NOT NULL AND l.logged_xid >= $2 AND l.logged_xid < $3', key_type)
    USING source, old_wm, new_wm;
    EXECUTE 'ANALYZE pg_temp.portrait_incr_fix';

    -- new rows since the watermark (an index range), and the corrected
    -- customers' rows in full (by key)
    EXECUTE format('CREATE TEMP TABLE portrait_incr_delta ON COMMIT DROP AS
                    SELECT s.%1$I AS key, false AS recomputed, @extschema@.rfm_summary_state(s.%2$I, s.%3$I, %4$s) AS state
                    FROM %5$s s
                    WHERE s.%1$I IS NOT NULL AND s.%6$I < $3 AND ($2 IS NULL OR s.%6$I >= $2)
                      AND NOT EXISTS (SELECT 1 FROM pg_temp.portrait_incr_fix f WHERE f.key = s.%1$I)
                    GROUP BY s.%1$I
                    UNION ALL
                    SELECT s.%1$I, true, @extschema@.rfm_summary_state(s.%2$I, s.%3$I, %4$s)
                    FROM pg_temp.portrait_incr_fix f JOIN %5$s s ON s.%1$I = f.key
                    WHERE s.%6$I < $3
                    GROUP BY s.%1$I', kcol, tcol, acol, as_of_arg, source, wcol)
    USING as_of, old_wm, new_wm, zone;

    -- Few customers against many stored states are found by index: the
    -- planner prices a lookup per key above a scan of the whole state table
    -- (and of the profile), but the lookups win until some 5% of them are
    -- touched.  Only the statements that join a big table go without hash
    -- and merge joins (joins of the temporary tables need them).
    EXECUTE 'ANALYZE pg_temp.portrait_incr_delta';
    SELECT greatest(c.reltuples, 0) INTO n_states FROM pg_class c WHERE c.oid = st::regclass;
    SELECT count(*) INTO n_keys FROM pg_temp.portrait_incr_delta;
    by_index := n_keys * 20 < n_states;
    IF by_index THEN
        PERFORM pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true);
    END IF;
    -- the costs of disabled joins would call in JIT compilation, which takes
    -- longer than these statements run
    PERFORM pg_catalog.set_config('jit', 'off', true);

    -- the stored states: merged, replaced (corrections, a rebuild) or removed
    IF old_wm IS NULL THEN
        EXECUTE format('DELETE FROM %s', st);
    ELSE
        EXECUTE format('DELETE FROM %s t USING pg_temp.portrait_incr_fix f WHERE t.key = f.key
                          AND NOT EXISTS (SELECT 1 FROM pg_temp.portrait_incr_delta d WHERE d.key = f.key)', st);
    END IF;
    -- An UPDATE and an INSERT of the keys it did not find, not INSERT ... ON
    -- CONFLICT DO UPDATE, which WAL-logs a row lock before each update; only
    -- this refresh writes the states, under the lock taken above.
    EXECUTE format('UPDATE %1$s t SET (state, last_day) =
                        (SELECT m.state, $1 - (@extschema@.rfm_summary_final(m.state, $1)).recency_days
                         FROM (SELECT CASE WHEN d.recomputed THEN @extschema@.rfm_state_merge(NULL, d.state)
                                           ELSE @extschema@.rfm_state_merge(t.state, d.state) END AS state) m)
                    FROM pg_temp.portrait_incr_delta d WHERE t.key = d.key', st)
    USING as_of;
    EXECUTE format('INSERT INTO %1$s (key, state, last_day)
                    SELECT d.key, m.state, $1 - (@extschema@.rfm_summary_final(m.state, $1)).recency_days
                    FROM pg_temp.portrait_incr_delta d
                    CROSS JOIN LATERAL (SELECT @extschema@.rfm_state_merge(NULL, d.state) AS state) m
                    WHERE NOT EXISTS (SELECT 1 FROM %1$s o WHERE o.key = d.key)', st)
    USING as_of;
    PERFORM pg_catalog.set_config('enable_hashjoin', hash0, true), pg_catalog.set_config('enable_mergejoin', merge0, true);

    -- the customers to score again: touched, corrected, or whose recency
    -- score crossed a stored break since the last run's day
    IF rescore_all THEN
        EXECUTE format('CREATE TEMP TABLE portrait_incr_keys ON COMMIT DROP AS
                        SELECT s.key FROM %s s UNION SELECT t.%I FROM %s t', st, kcol, tname);
    ELSE
        EXECUTE format('CREATE TEMP TABLE portrait_incr_keys ON COMMIT DROP AS
                        SELECT d.key FROM pg_temp.portrait_incr_delta d UNION SELECT f.key FROM pg_temp.portrait_incr_fix f
                        UNION
                        SELECT s.key FROM %s s, pg_catalog.jsonb_array_elements_text($1::jsonb -> ''recency'') c(cut)
                        WHERE $2 <> $3 AND s.last_day BETWEEN least($2, $3) - ceil(c.cut::float8)::int
                                                          AND greatest($2, $3) - floor(c.cut::float8)::int', st)
        USING model, as_of, cfg.as_of;
    END IF;
    EXECUTE 'ANALYZE pg_temp.portrait_incr_keys';
    SELECT count(*) INTO n_keys FROM pg_temp.portrait_incr_keys;
    by_index := n_keys * 20 < n_states;
    IF by_index THEN
        PERFORM pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true);
    END IF;

    -- their profile rows as they are now, each column cast to the target's type
    SELECT string_agg(format('CAST(%s AS %s) AS %I', c.expression, format_type(a.atttypid, a.atttypmod), a.attname), ', ' ORDER BY a.attnum)
    INTO exprs
    FROM pg_attribute a JOIN @extschema@.profile_incremental_columns() c ON c.column_name = a.attname
    WHERE a.attrelid = target AND a.attname = ANY (cols);
    EXECUTE format('CREATE TEMP TABLE portrait_incr_new ON COMMIT DROP AS
                    SELECT x.key AS %1$I%2$s
                    FROM (SELECT s.key, @extschema@.rfm_summary_final(s.state, $1) AS sm FROM %3$s s
                          JOIN pg_temp.portrait_incr_keys k ON k.key = s.key) y
                    CROSS JOIN LATERAL (SELECT y.key, y.sm,
                                               @extschema@.rfm_score((y.sm).recency_days, (y.sm).frequency, (y.sm).monetary, $2, $3) AS sc) x',
                   kcol, coalesce(', ' || exprs, ''), st)
    USING as_of, model, map;

    -- only changed rows are written, with their history
    col_list := (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) c);
    EXECUTE format('CREATE TEMP TABLE portrait_incr_diff ON COMMIT DROP AS
                    SELECT CASE WHEN t.%1$I IS NULL THEN ''i'' WHEN n.%1$I IS NULL THEN ''d'' ELSE ''u'' END AS op,
                           coalesce(n.%1$I, t.%1$I) AS key, ARRAY[%5$s]::text[] AS old_values, ARRAY[%6$s]::text[] AS new_values
                    FROM pg_temp.portrait_incr_new n
                    FULL JOIN (SELECT t.* FROM %2$s t JOIN pg_temp.portrait_incr_keys k ON k.key = t.%1$I) t ON t.%1$I = n.%1$I
                    WHERE t.%1$I IS NULL OR n.%1$I IS NULL OR ROW(%3$s) IS DISTINCT FROM ROW(%4$s)',
                   kcol, tname,
                   coalesce((SELECT string_agg(format('t.%I', c), ', ') FROM unnest(cols) c), 'NULL'),
                   coalesce((SELECT string_agg(format('n.%I', c), ', ') FROM unnest(cols) c), 'NULL'),
                   coalesce((SELECT string_agg(format('t.%I::text', c), ', ') FROM unnest(tracked) c), ''),
                   coalesce((SELECT string_agg(format('n.%I::text', c), ', ') FROM unnest(tracked) c), ''));
    PERFORM pg_catalog.set_config('enable_hashjoin', hash0, true), pg_catalog.set_config('enable_mergejoin', merge0, true);
    EXECUTE 'ANALYZE pg_temp.portrait_incr_new';
    EXECUTE 'ANALYZE pg_temp.portrait_incr_diff';
    SELECT count(*) FILTER (WHERE op = 'i'), count(*) FILTER (WHERE op = 'u'), count(*) FILTER (WHERE op = 'd')
    INTO n_ins, n_upd, n_del FROM pg_temp.portrait_incr_diff;
    -- the rows before this run: those the last run of the table left, not a
    -- scan of the whole profile for a few changed rows
    IF NOT rescore_all THEN
        SELECT r.inserted + r.updated + r.unchanged INTO n_total FROM @extschema@.profile_run r
        WHERE r.target_table = refresh_profile_incremental.target AND r.status = 'succeeded' ORDER BY r.run_id DESC LIMIT 1;
    END IF;
    IF n_total IS NULL THEN
        EXECUTE format('SELECT count(*) FROM %s', tname) INTO n_total;
    END IF;

    IF history THEN
        INSERT INTO @extschema@.profile_history (run_id, target, target_table, key, op, column_name, old_value, new_value, changed_at)
        SELECT run, tname, target, d.key::text, CASE d.op WHEN 'u' THEN 'update' ELSE 'delete' END,
               c.name, d.old_values[c.i], CASE WHEN d.op = 'u' THEN d.new_values[c.i] END, started
        FROM pg_temp.portrait_incr_diff d CROSS JOIN unnest(tracked) WITH ORDINALITY c(name, i)
        WHERE d.op = 'd' OR (d.op = 'u' AND d.old_values[c.i] IS DISTINCT FROM d.new_values[c.i]);
        INSERT INTO @extschema@.profile_history (run_id, target, target_table, key, op, column_name, old_value, new_value, changed_at)
        SELECT run, tname, target, d.key::text, 'insert', NULL, NULL, NULL, started
        FROM pg_temp.portrait_incr_diff d WHERE d.op = 'i';
    END IF;
    IF n_upd > 0 AND cols <> '{}' THEN
        EXECUTE format('UPDATE %1$s t SET (%2$s) = ROW(%3$s) FROM pg_temp.portrait_incr_new n, pg_temp.portrait_incr_diff d
                        WHERE d.op = ''u'' AND d.key = t.%4$I AND n.%4$I = t.%4$I',
                       tname, col_list, (SELECT string_agg(format('n.%I', c), ', ') FROM unnest(cols) c), kcol);
    END IF;
    IF n_del > 0 THEN
        EXECUTE format('DELETE FROM %1$s t USING pg_temp.portrait_incr_diff d WHERE d.op = ''d'' AND d.key = t.%2$I', tname, kcol);
    END IF;
    IF n_ins > 0 THEN
        EXECUTE format('INSERT INTO %1$s (%2$I%3$s) SELECT n.%2$I%4$s FROM pg_temp.portrait_incr_new n
                        JOIN pg_temp.portrait_incr_diff d ON d.op = ''i'' AND d.key = n.%2$I',
                       tname, kcol, coalesce(', ' || col_list, ''),
                       coalesce(', ' || (SELECT string_agg(format('n.%I', c), ', ') FROM unnest(cols) c), ''));
    END IF;

    -- the watermark, with the states and the profile, in this one transaction
    INSERT INTO @extschema@.profile_incremental AS p (target, source, key_column, ordered_at_column, amount_column, watermark_column,
                                                      state_table, watermark, as_of, model, map, zone, updated_at)
    VALUES (target, source, kcol, tcol, acol, wcol, st::regclass, new_wm, as_of, model, map, zone, started)
    ON CONFLICT ON CONSTRAINT profile_incremental_pkey DO UPDATE
        SET watermark = EXCLUDED.watermark, as_of = EXCLUDED.as_of, model = EXCLUDED.model, map = EXCLUDED.map,
            updated_at = EXCLUDED.updated_at;
    -- changes every profile of the source has read
    DELETE FROM @extschema@.profile_change_log l
    WHERE l.source = refresh_profile_incremental.source
      AND l.logged_xid < (SELECT min(p.watermark) FROM @extschema@.profile_incremental p WHERE p.source = refresh_profile_incremental.source);

    INSERT INTO @extschema@.profile_run (run_id, target, target_table, key_column, started_at, finished_at,
                                         inserted, updated, deleted, unchanged, status)
    VALUES (run, tname, target, kcol, started, clock_timestamp(), n_ins, n_upd, n_del, n_total - n_upd - n_del, 'succeeded');
    PERFORM @extschema@.profile_run_close();
    DROP TABLE pg_temp.portrait_incr_fix, pg_temp.portrait_incr_delta, pg_temp.portrait_incr_keys,
               pg_temp.portrait_incr_new, pg_temp.portrait_incr_diff;
END
$$;
COMMENT ON PROCEDURE @extschema@.refresh_profile_incremental(regclass, regclass, jsonb) IS 'Keep an RFM profile table from an order table in time proportional to what changed: new rows since the source''s watermark (an xid8 ingestion column) and logged corrections are merged into stored rfm_summary states, the touched customers and those whose recency score crossed a stored break are scored with the stored model, and only changed rows are written, with history, run log and watermark in one transaction';

-- ---------- audiences ----------

CREATE TABLE @extschema@.audience (
    name text PRIMARY KEY,
    base text NOT NULL,
    expression text NOT NULL,
    snapshot date,
    description text,
    created_by name NOT NULL DEFAULT current_user,
    created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.audience IS 'Saved audiences: a named audience expression over the tags of a customer base, checked when saved by audience_save';
COMMENT ON COLUMN @extschema@.audience.name IS 'Name of the audience';
COMMENT ON COLUMN @extschema@.audience.base IS 'Customer base (of the key dictionary) whose tags the expression reads';
COMMENT ON COLUMN @extschema@.audience.expression IS 'Audience expression (without AS OF: the snapshot is its own column)';
COMMENT ON COLUMN @extschema@.audience.snapshot IS 'Snapshot the audience is fixed to; NULL means the latest snapshot of the base';
COMMENT ON COLUMN @extschema@.audience.description IS 'What the audience is for, for the people who use it';
COMMENT ON COLUMN @extschema@.audience.created_by IS 'Role that saved the audience';
COMMENT ON COLUMN @extschema@.audience.created IS 'When the audience was saved';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.audience', '');

CREATE FUNCTION @extschema@.audience(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS @extschema@.bitmap AS 'MODULE_PATHNAME', 'pp_audience'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.audience(text, text, date) IS 'The dictionary ids of the customers of an audience expression over the tag bitmaps of a base, at the snapshot of AS OF, of the snapshot argument, or else the latest';

CREATE FUNCTION @extschema@.audience_count(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'pp_audience_count'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.audience_count(text, text, date) IS 'The number of customers of an audience expression, from the tag bitmaps';

CREATE FUNCTION @extschema@.audience_members(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS SETOF text
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 1000 AS $$
    SELECT d.key
    FROM @extschema@.bitmap_unnest(@extschema@.audience(audience_members.base, audience_members.expression,
                                                       audience_members.snapshot)) AS u(id)
    JOIN @extschema@.key_dictionary d ON d.base = audience_members.base AND d.id = u.id
    ORDER BY u.id
$$;
COMMENT ON FUNCTION @extschema@.audience_members(text, text, date) IS 'The customer keys of an audience expression (one join with the key dictionary, in id order), e.g. for COPY to a campaign tool';

CREATE FUNCTION @extschema@.audience_overlap(base text, expressions text[],
    OUT audiences integer[], OUT member_of boolean[], OUT customers bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_audience_overlap'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 16;
COMMENT ON FUNCTION @extschema@.audience_overlap(text, text[]) IS 'The Venn regions of up to 16 audience expressions: per non-empty region the audiences it is in (positions in the array), the same as one flag per audience, and its customers, who are in no other of the audiences';

CREATE FUNCTION @extschema@.audience_check(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'pp_audience_check'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.audience_check(text, text, date) IS 'Check an expression as audience_save does (it parses, its tags and values exist, it has no AS OF) and return its count; raises the error of an invalid one';

CREATE FUNCTION @extschema@.audience_save(name text, base text, expression text,
                                          snapshot date DEFAULT NULL, description text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    customers bigint;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'audience_save: name must not be NULL';
    END IF;
    customers := @extschema@.audience_check(base, expression, snapshot);
    INSERT INTO @extschema@.audience AS a (name, base, expression, snapshot, description)
    VALUES (audience_save.name, audience_save.base, audience_save.expression, audience_save.snapshot,
            audience_save.description)
    ON CONFLICT ON CONSTRAINT audience_pkey DO UPDATE
        SET base = excluded.base, expression = excluded.expression, snapshot = excluded.snapshot,
            description = excluded.description, created_by = current_user, created = now();
    RETURN customers;
END $$;
COMMENT ON FUNCTION @extschema@.audience_save(text, text, text, date, text) IS 'Save (or replace) a named audience after checking its expression against the tag library; returns its count at the snapshot';

CREATE FUNCTION @extschema@.audience_diff(base text, expression text, from_snapshot date, to_snapshot date,
    OUT change text, OUT customers bigint, OUT members @extschema@.bitmap)
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 3 AS $$
DECLARE
    a @extschema@.bitmap;
    b @extschema@.bitmap;
BEGIN
    IF from_snapshot IS NULL OR to_snapshot IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'audience_diff: from_snapshot and to_snapshot must not be NULL';
    END IF;
    a := @extschema@.audience(base, expression, from_snapshot);
    b := @extschema@.audience(base, expression, to_snapshot);
    RETURN QUERY
    SELECT c.change, @extschema@.bitmap_cardinality(c.members), c.members
    FROM (VALUES (1, 'entered', b OPERATOR(@extschema@.-) a),
                 (2, 'left', a OPERATOR(@extschema@.-) b),
                 (3, 'stayed', a OPERATOR(@extschema@.&) b)) AS c(o, change, members)
    ORDER BY c.o;
END $$;
COMMENT ON FUNCTION @extschema@.audience_diff(text, text, date, date) IS 'How an audience expression changed from one snapshot to another: the customers who entered, left and stayed, counts and bitmaps';

CREATE FUNCTION @extschema@.audience_saved(name text) RETURNS @extschema@.audience
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    saved @extschema@.audience;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'audience_saved: name must not be NULL';
    END IF;
    SELECT * INTO saved FROM @extschema@.audience a WHERE a.name = audience_saved.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('saved audience %L does not exist', name),
            HINT = 'Save it first with portrait.audience_save; portrait.audience lists the saved audiences.';
    END IF;
    RETURN saved;
END $$;
COMMENT ON FUNCTION @extschema@.audience_saved(text) IS 'The row of a saved audience (22023 if there is none of that name), e.g. to count it: SELECT portrait.audience_count(a.base, a.expression, a.snapshot) FROM portrait.audience_saved(''name'') a';

CREATE FUNCTION @extschema@.audience_diff(name text, from_snapshot date, to_snapshot date,
    OUT change text, OUT customers bigint, OUT members @extschema@.bitmap)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 3 AS $$
    SELECT d.change, d.customers, d.members
    FROM @extschema@.audience_saved(audience_diff.name) AS a
    CROSS JOIN LATERAL @extschema@.audience_diff(a.base, a.expression, audience_diff.from_snapshot,
                                                 audience_diff.to_snapshot) AS d
$$;
COMMENT ON FUNCTION @extschema@.audience_diff(text, date, date) IS 'How a saved audience changed from one snapshot to another: the customers who entered, left and stayed, counts and bitmaps';

CREATE FUNCTION @extschema@.audience_diff_members(base text, expression text, from_snapshot date, to_snapshot date,
    OUT change text, OUT key text)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 1000 AS $$
    SELECT c.change, d.key
    FROM @extschema@.audience_diff(audience_diff_members.base, audience_diff_members.expression,
                                   audience_diff_members.from_snapshot, audience_diff_members.to_snapshot) AS c
    CROSS JOIN LATERAL @extschema@.bitmap_unnest(c.members) AS u(id)
    JOIN @extschema@.key_dictionary d ON d.base = audience_diff_members.base AND d.id = u.id
    ORDER BY c.change, u.id
$$;
COMMENT ON FUNCTION @extschema@.audience_diff_members(text, text, date, date) IS 'The customer keys who entered, left and stayed in an audience expression from one snapshot to another';

CREATE FUNCTION @extschema@.audience_diff_members(name text, from_snapshot date, to_snapshot date,
    OUT change text, OUT key text)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 1000 AS $$
    SELECT c.change, c.key
    FROM @extschema@.audience_saved(audience_diff_members.name) AS a
    CROSS JOIN LATERAL @extschema@.audience_diff_members(a.base, a.expression, audience_diff_members.from_snapshot,
                                                         audience_diff_members.to_snapshot) AS c
$$;
COMMENT ON FUNCTION @extschema@.audience_diff_members(text, date, date) IS 'The customer keys who entered, left and stayed in a saved audience from one snapshot to another';

CREATE FUNCTION @extschema@.audience_profile(base text, expression text, snapshot date DEFAULT NULL,
    OUT tag text, OUT value text, OUT audience_count bigint, OUT audience_share double precision,
    OUT population_count bigint, OUT population_share double precision, OUT tgi double precision,
    OUT tgi_low double precision, OUT tgi_high double precision, OUT z double precision,
    OUT effect_size double precision, OUT audience_mean double precision, OUT population_mean double precision)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_audience_profile'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 100;
COMMENT ON FUNCTION @extschema@.audience_profile(text, text, date) IS 'The profile of an audience against the population of its snapshot on every tag value, from bitmap intersections: counts, shares, TGI with its 95% interval, z-score and Cohen''s h as tgi_table reports them';

-- ---------- incremental portrait: stored retention, cohort and sequence states ----------
-- A customer's retention, cohort and cohort-matrix states are kept in a table
-- column and merged with the state of new events only: the merged state
-- finalised gives what the aggregate gives over all the events.  Late events
-- (an earlier first period) are merged exactly: offsets are counted again
-- from the earlier period, as the parallel combine does.
CREATE AGGREGATE @extschema@.retention_state(VARIADIC conds bool[]) (
    SFUNC = @extschema@.retention_trans,
    STYPE = bigint,
    COMBINEFUNC = @extschema@.retention_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_state(VARIADIC bool[]) IS 'The state of retention (the conditions met and their number, a bigint), to be stored, merged with retention_merge and finalised with retention_final';

CREATE AGGREGATE @extschema@.retention_merge(bigint) (
    SFUNC = @extschema@.retention_combine,
    STYPE = bigint,
    COMBINEFUNC = @extschema@.retention_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention_merge(bigint) IS 'Merge of stored retention states (a stored state with the state of new events); retention_final gives the flags';

CREATE AGGREGATE @extschema@.cohort_activity_state(ts timestamptz, period text, periods integer) (
    SFUNC = @extschema@.cohort_activity_trans,
    STYPE = @extschema@.cohort_state,
    COMBINEFUNC = @extschema@.cohort_activity_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_activity_state(timestamptz, text, integer) IS 'The state of cohort_activity (periods in the session time zone), to be stored, merged with cohort_activity_merge and finalised with cohort_activity_final';

CREATE AGGREGATE @extschema@.cohort_activity_state(ts timestamptz, period text, periods integer, zone text) (
    SFUNC = @extschema@.cohort_activity_trans,
    STYPE = @extschema@.cohort_state,
    COMBINEFUNC = @extschema@.cohort_activity_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_activity_state(timestamptz, text, integer, text) IS 'The state of cohort_activity with periods in the named time zone, to be stored, merged with cohort_activity_merge and finalised with cohort_activity_final';

CREATE AGGREGATE @extschema@.cohort_activity_merge(@extschema@.cohort_state) (
    SFUNC = @extschema@.cohort_activity_combine,
    STYPE = @extschema@.cohort_state,
    COMBINEFUNC = @extschema@.cohort_activity_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_activity_merge(@extschema@.cohort_state) IS 'Merge of stored cohort_activity states of one customer (the same period, periods and zone); cohort_activity_final gives the cohort and offsets';

CREATE AGGREGATE @extschema@.cohort_users_merge(@extschema@.cohort_users) (
    SFUNC = @extschema@.cohort_users_combine,
    STYPE = @extschema@.cohort_users,
    COMBINEFUNC = @extschema@.cohort_users_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_users_merge(@extschema@.cohort_users) IS 'Merge of stored cohort_users states (a stored state with the cohort_users of new events, customers in both merged); cohort_table gives the matrix';
-- The state of sequence_match and sequence_count is an event list with its
-- pattern: stored in a table column, merged with the state of new events by
-- sequence_merge and finalised by sequence_match_final or
-- sequence_count_final, it gives what the aggregate gives over all events.
CREATE AGGREGATE @extschema@.sequence_state(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = @extschema@.sequence_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.sequence_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sequence_state(text, timestamptz, VARIADIC bool[]) IS 'The state of sequence_match and sequence_count (the events and the pattern), to be stored, merged with sequence_merge and finalised with sequence_match_final or sequence_count_final';

CREATE AGGREGATE @extschema@.sequence_merge(@extschema@.event_list) (
    SFUNC = @extschema@.sequence_combine,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.sequence_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sequence_merge(@extschema@.event_list) IS 'Merge of stored sequence states of one pattern (a stored state with the state of new events); sequence_match_final or sequence_count_final gives the result';

-- rfm_summary per customer in parallel workers: the combine function at the default cost.
ALTER FUNCTION @extschema@.rfm_summary_combine(@extschema@.rfm_state, @extschema@.rfm_state) COST 1;

-- ==================== tags: build_tags in one pass (C), numeric tags, a query as source ====================

ALTER TABLE @extschema@.tag_bitmap ALTER COLUMN members SET STORAGE EXTERNAL;
ALTER TABLE @extschema@.tag_snapshot ALTER COLUMN members SET STORAGE EXTERNAL;
ALTER TABLE @extschema@.tag_numeric ALTER COLUMN members SET STORAGE EXTERNAL;

CREATE OR REPLACE FUNCTION @extschema@.build_tags(base text, profile regclass, key_column text,
                                                  snapshot date DEFAULT current_date, keep_snapshots integer DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_build_tags'
    LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.build_tags(text, regclass, text, date, integer) IS 'Build every tag of the library whose column the profile table has, in one pass over it: a bitmap per value of each boolean and categorical tag, a bit-sliced index per numeric tag, and the population, as the snapshot of a date (new keys get dictionary ids); keep_snapshots drops older snapshots of the base; returns the bitmaps and indexes written';

CREATE FUNCTION @extschema@.build_tags(base text, source text, key_column text,
                                       snapshot date DEFAULT current_date, keep_snapshots integer DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_build_tags_source'
    LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.build_tags(text, text, text, date, integer) IS 'build_tags from a source given as text: the name of a table or view, or a single query (SELECT, VALUES, TABLE, WITH ... SELECT) whose columns are the key and the tag columns';
