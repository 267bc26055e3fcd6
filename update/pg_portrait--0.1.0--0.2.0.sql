-- pg_portrait 0.1.0 -> 0.2.0
\echo Use "ALTER EXTENSION pg_portrait UPDATE TO '0.2.0'" to load this file. \quit

-- Every role may use the extension: functions run with the caller's rights
-- (SECURITY INVOKER), so this grants nothing the caller could not do already.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

-- rfm_segment reads the maps as its caller; editing them stays with the owner.
GRANT SELECT ON @extschema@.rfm_segment_rule TO PUBLIC;

-- Any role may refresh the profile tables it can write and read the history of
-- the profile tables it can read; row-level security keeps the other targets'
-- runs and changes out of sight and out of reach (the owner is exempt).
GRANT SELECT, INSERT ON @extschema@.profile_run, @extschema@.profile_history TO PUBLIC;
GRANT USAGE ON SEQUENCE @extschema@.profile_run_run_id_seq TO PUBLIC;
ALTER TABLE @extschema@.profile_run ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.profile_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_run_read ON @extschema@.profile_run FOR SELECT
    USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'SELECT'));
COMMENT ON POLICY profile_run_read ON @extschema@.profile_run IS 'Runs of the profile tables the role can read';
CREATE POLICY profile_run_write ON @extschema@.profile_run FOR INSERT
    WITH CHECK (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'UPDATE'));
COMMENT ON POLICY profile_run_write ON @extschema@.profile_run IS 'Runs are recorded only for profile tables the role can update';
CREATE POLICY profile_history_read ON @extschema@.profile_history FOR SELECT
    USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'SELECT'));
COMMENT ON POLICY profile_history_read ON @extschema@.profile_history IS 'Changes of the profile tables the role can read';
CREATE POLICY profile_history_write ON @extschema@.profile_history FOR INSERT
    WITH CHECK (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'UPDATE'));
COMMENT ON POLICY profile_history_write ON @extschema@.profile_history IS 'Changes are recorded only for profile tables the role can update';

-- refresh_profile checks the caller's privileges on the target up front.
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
    tracked text[];
    cols text[];            -- target columns other than the key, in attnum order
    src_cols text[];
    col_list text;          -- "a", "b"
    cast_list text;         -- s."a"::type AS "a", ...
    diff_values text;       -- ('a', t."a"::text, (d.src)."a"::text, t."a" IS DISTINCT FROM (d.src)."a"), ...
    old_values text;        -- ('a', t."a"::text), ...
    k text := quote_ident(key);
    run bigint;
    started timestamptz := clock_timestamp();
    n_src bigint;
    n_ins bigint;
    n_upd bigint;
    n_del bigint;
    n_tgt bigint;
    n_null bigint;
    dup text;
BEGIN
    IF target IS NULL OR source IS NULL OR key IS NULL THEN
        RAISE EXCEPTION 'refresh_profile target, source and key must not be NULL' USING ERRCODE = '22004';
    END IF;
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('wait', 'track', 'history') THEN
            RAISE EXCEPTION 'unknown refresh_profile option "%"', opt USING ERRCODE = '22023',
                HINT = 'Options are wait (boolean), track (array of column names) and history (boolean).';
        END IF;
    END LOOP;
    IF jsonb_typeof(o->'wait') NOT IN ('boolean') OR jsonb_typeof(o->'history') NOT IN ('boolean') THEN
        RAISE EXCEPTION 'refresh_profile options wait and history must be booleans' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(o->'track') <> 'array' THEN
        RAISE EXCEPTION 'refresh_profile option track must be an array of column names' USING ERRCODE = '22023';
    END IF;
    wait := coalesce((o->>'wait')::boolean, true);
    history := coalesce((o->>'history')::boolean, true);

    SELECT format('%I.%I', n.nspname, c.relname) INTO tname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = target AND c.relkind IN ('r', 'p');
    IF tname IS NULL THEN
        RAISE EXCEPTION 'refresh_profile target % is not a table', target USING ERRCODE = '22023';
    END IF;
    IF NOT (has_table_privilege(target, 'SELECT') AND has_table_privilege(target, 'INSERT')
            AND has_table_privilege(target, 'UPDATE') AND has_table_privilege(target, 'DELETE')) THEN
        RAISE EXCEPTION 'permission denied to refresh %', tname USING ERRCODE = '42501',
            DETAIL = 'refresh_profile needs SELECT, INSERT, UPDATE and DELETE on the profile table.';
    END IF;

    -- one refresh per target at a time; the lock ends with the transaction
    IF wait THEN
        PERFORM pg_advisory_xact_lock(hashtext('portrait.refresh_profile'), target::oid::int);
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('portrait.refresh_profile'), target::oid::int) THEN
        RAISE EXCEPTION 'a refresh of % is already running', tname USING ERRCODE = '55P03',
            DETAIL = 'Option wait is false, so this refresh does not queue behind it.',
            HINT = 'Retry later, or pass {"wait": true} to wait for the running refresh.';
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = target AND attname = key AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'key column "%" is not a column of %', key, tname USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(attname::text ORDER BY attnum),
           string_agg(format('s.%I::%s AS %I', attname, format_type(atttypid, atttypmod), attname), ', ' ORDER BY attnum)
    INTO cols, cast_list
    FROM pg_attribute
    WHERE attrelid = target AND attnum > 0 AND NOT attisdropped AND attname <> key AND attgenerated = '';
    cols := coalesce(cols, '{}');
    cast_list := format('s.%I::%s AS %I', key,
                        (SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = target AND attname = key),
                        key) || coalesce(', ' || cast_list, '');

    IF o ? 'track' THEN
        tracked := ARRAY(SELECT jsonb_array_elements_text(o->'track'));
        SELECT c INTO opt FROM unnest(tracked) c WHERE c <> ALL (cols) LIMIT 1;
        IF opt IS NOT NULL THEN
            RAISE EXCEPTION 'tracked column "%" is not a non-key column of %', opt, tname USING ERRCODE = '22023';
        END IF;
    ELSE
        tracked := cols;
    END IF;

    -- the source runs unchanged (its errors reach the caller as they are), then is
    -- cast to the target's column types so that comparisons are exact
    IF to_regclass('pg_temp.portrait_refresh_diff') IS NOT NULL THEN
        DROP TABLE pg_temp.portrait_refresh_diff;
    END IF;
    IF to_regclass('pg_temp.portrait_refresh_source') IS NOT NULL THEN
        DROP TABLE pg_temp.portrait_refresh_source;
    END IF;
    PERFORM pg_catalog.set_config('search_path', source_search_path, true);
    EXECUTE format('CREATE TEMP TABLE portrait_refresh_source ON COMMIT DROP AS SELECT * FROM (%s) s LIMIT 0', source);
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    src_cols := ARRAY(SELECT attname::text FROM pg_attribute
                      WHERE attrelid = 'pg_temp.portrait_refresh_source'::regclass AND attnum > 0 AND NOT attisdropped);
    DROP TABLE pg_temp.portrait_refresh_source;
    SELECT c INTO opt FROM unnest(cols || key::text) c WHERE c <> ALL (src_cols) LIMIT 1;
    IF opt IS NOT NULL THEN
        RAISE EXCEPTION 'the source has no column "%"', opt USING ERRCODE = '22023',
            DETAIL = format('The source must return the columns of %s by name.', tname);
    END IF;
    SELECT c INTO opt FROM unnest(src_cols) c WHERE c <> ALL (cols || key::text) LIMIT 1;
    IF opt IS NOT NULL THEN
        RAISE EXCEPTION 'the source column "%" is not a column of %', opt, tname USING ERRCODE = '22023';
    END IF;
    PERFORM pg_catalog.set_config('search_path', source_search_path, true);
    EXECUTE format('CREATE TEMP TABLE portrait_refresh_source ON COMMIT DROP AS SELECT %s FROM (%s) s', cast_list, source);
    GET DIAGNOSTICS n_src = ROW_COUNT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    run := nextval('@extschema@.profile_run_run_id_seq');
    col_list := (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) c);
    EXECUTE format('SELECT count(*) FROM %s', tname) INTO n_tgt;

    -- one pass over target and source finds every difference: keys only in the
    -- source (insert), only in the target (delete), or with a changed column (update)
    EXECUTE format('CREATE TEMP TABLE portrait_refresh_diff ON COMMIT DROP AS
                    SELECT t.ctid AS tid,
                           CASE WHEN t.ctid IS NULL THEN ''insert'' WHEN s.ctid IS NULL THEN ''delete'' ELSE ''update'' END AS op,
                           s AS src
                    FROM %1$s t FULL JOIN pg_temp.portrait_refresh_source s ON s.%2$s = t.%2$s
                    WHERE t.ctid IS NULL OR s.ctid IS NULL OR %3$s',
                   tname, k,
                   coalesce((SELECT format('(%s) IS DISTINCT FROM (%s)', string_agg(format('t.%I', c), ', '),
                                           string_agg(format('s.%I', c), ', '))
                             FROM unnest(cols) c), 'false'));
    EXECUTE format('SELECT count(*) FILTER (WHERE op = ''insert''), count(*) FILTER (WHERE op = ''update''),
                           count(*) FILTER (WHERE op = ''delete''), count(*) FILTER (WHERE op = ''insert'' AND (src).%s IS NULL)
                    FROM pg_temp.portrait_refresh_diff', k)
    INTO n_ins, n_upd, n_del, n_null;
    IF n_null > 0 THEN
        RAISE EXCEPTION 'the source returns a NULL key' USING ERRCODE = '22004';
    END IF;
    -- every source row not inserted matched one target row that stays: otherwise a key repeats
    IF n_src - n_ins <> n_tgt - n_del THEN
        EXECUTE format('SELECT %1$s::text FROM pg_temp.portrait_refresh_source GROUP BY %1$s HAVING count(*) > 1 LIMIT 1', k) INTO dup;
        IF dup IS NOT NULL THEN
            RAISE EXCEPTION 'the source returns a key more than once' USING ERRCODE = '21000',
                DETAIL = format('Key %s is returned more than once.', quote_literal(dup)),
                HINT = 'The source must return one row per key.';
        END IF;
        RAISE EXCEPTION 'the key column of % is not unique', tname USING ERRCODE = '21000',
            HINT = 'Give the key column a primary key or unique constraint.';
    END IF;
    ANALYZE pg_temp.portrait_refresh_diff;

    -- changed rows: history first (old values), then one rewrite per changed row
    IF history AND cardinality(tracked) > 0 AND n_upd > 0 THEN
        diff_values := (SELECT string_agg(format('(%L, t.%2$I::text, (d.src).%2$I::text, t.%2$I IS DISTINCT FROM (d.src).%2$I)', c, c), ', ')
                        FROM unnest(tracked) c);
        EXECUTE format('INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, t.%1$s::text, ''update'', v.c, v.o, v.n, $3
                        FROM pg_temp.portrait_refresh_diff d JOIN %2$s t ON t.ctid = d.tid
                        CROSS JOIN LATERAL (VALUES %3$s) v(c, o, n, changed) WHERE d.op = ''update'' AND v.changed',
                       k, tname, diff_values)
        USING run, tname, started;
    END IF;
    IF n_upd > 0 THEN
        EXECUTE format('UPDATE %1$s t SET (%2$s) = (SELECT %3$s) FROM pg_temp.portrait_refresh_diff d
                        WHERE t.ctid = d.tid AND d.op = ''update''',
                       tname, col_list, (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(cols) c));
    END IF;

    -- vanished keys: their tracked values go to the history as they are deleted
    IF n_del > 0 THEN
        old_values := coalesce((SELECT string_agg(format('(%L, t.%I::text)', c, c), ', ') FROM unnest(tracked) c), '(NULL, NULL)');
        EXECUTE format('WITH del AS (DELETE FROM %1$s t USING pg_temp.portrait_refresh_diff d
                                     WHERE t.ctid = d.tid AND d.op = ''delete'' RETURNING t.*)
                        INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, t.%2$s::text, ''delete'', v.c, v.o, NULL, $3
                        FROM del t CROSS JOIN LATERAL (VALUES %3$s) v(c, o) WHERE $4',
                       tname, k, old_values)
        USING run, tname, started, history AND cardinality(tracked) > 0;
    END IF;

    -- new keys: one history row each (all their values are new)
    IF n_ins > 0 THEN
        EXECUTE format('WITH ins AS (INSERT INTO %1$s (%2$s) SELECT %3$s FROM pg_temp.portrait_refresh_diff d
                                     WHERE d.op = ''insert'' RETURNING %4$s)
                        INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, ins.%4$s::text, ''insert'', NULL, NULL, NULL, $3 FROM ins WHERE $4',
                       tname, k || coalesce(', ' || col_list, ''),
                       (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(key::text || cols) c), k)
        USING run, tname, started, history;
    END IF;

    INSERT INTO @extschema@.profile_run (run_id, target, started_at, finished_at, inserted, updated, deleted, unchanged, status)
    VALUES (run, tname, started, clock_timestamp(), n_ins, n_upd, n_del, n_src - n_ins - n_upd, 'succeeded');
    DROP TABLE pg_temp.portrait_refresh_diff;
    DROP TABLE pg_temp.portrait_refresh_source;
END
$$;
COMMENT ON PROCEDURE @extschema@.refresh_profile(regclass, text, name, jsonb, text) IS 'Make a profile table equal to a query''s result in one transaction, writing only changed rows, recording changes in profile_history and the run in profile_run';
