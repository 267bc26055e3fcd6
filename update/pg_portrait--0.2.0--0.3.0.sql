-- pg_portrait 0.2.0 -> 0.3.0
\echo Use "ALTER EXTENSION pg_portrait UPDATE TO '0.3.0'" to load this file. \quit

-- refresh_profile finds the differences with profile_diff (one streamed pass
-- over the profile and one over the source, matched in memory) instead of
-- copying the source into a temporary table and joining it to the profile.
CREATE FUNCTION @extschema@.profile_diff(target regclass, source text, key name)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_profile_diff'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.profile_diff(regclass, text, name) IS 'The changes refresh_profile makes: rows (op, n, rel, tid, changed, src) with op i (new key), u (changed row, changed naming its changed columns) or d (vanished key), then one = row counting unchanged rows; call with AS d(op "char", n bigint, rel oid, tid tid, changed text[], src <target row type>)';

-- source_search_path: the caller's search_path, captured by its default when
-- the call is made, so that the source query sees the caller's tables while
-- the body runs with a pinned path.
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
BEGIN
    IF target IS NULL OR source IS NULL OR key IS NULL THEN
        RAISE EXCEPTION 'refresh_profile target, source and key must not be NULL' USING ERRCODE = '22004';
    END IF;
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('wait', 'track', 'history') THEN
            RAISE EXCEPTION 'unsupported option "%" of refresh_profile', opt USING ERRCODE = '0A000',
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
    run := nextval('@extschema@.profile_run_run_id_seq');
    col_list := (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) c);

    -- one pass over target and source finds every difference: keys only in the
    -- source (i), only in the target (d), or with a changed column (u); the
    -- source must return the target's columns by name and runs unchanged (its
    -- errors reach the caller as they are), its columns cast to the target's
    -- types so that comparisons are exact
    PERFORM pg_catalog.set_config('search_path', source_search_path, true);
    EXECUTE format('CREATE TEMP TABLE portrait_refresh_diff ON COMMIT DROP AS
                    SELECT * FROM @extschema@.profile_diff($1, $2, $3)
                    AS d(op pg_catalog."char", n pg_catalog.int8, rel pg_catalog.oid, tid pg_catalog.tid, changed pg_catalog.text[], src %s)', tname)
    USING target, source, key;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    SELECT count(*) FILTER (WHERE op = 'i'), count(*) FILTER (WHERE op = 'u'),
           count(*) FILTER (WHERE op = 'd'), max(n) FILTER (WHERE op = '=')
    INTO n_ins, n_upd, n_del, n_same
    FROM pg_temp.portrait_refresh_diff;
    ANALYZE pg_temp.portrait_refresh_diff;

    -- The rows to change are fetched by tid.  The planner prices a TID lookup
    -- per row above a scan of the whole table, but the lookups win until
    -- some 5% of the rows change (the settings revert when the call ends).
    IF (n_upd + n_del) * 20 < n_upd + n_del + n_same THEN
        PERFORM pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true);
    END IF;

    -- changed rows: history first (old values), then one rewrite per changed row
    IF history AND cardinality(tracked) > 0 AND n_upd > 0 THEN
        diff_values := (SELECT string_agg(format('(%L, t.%2$I::text, (d.src).%2$I::text)', c, c), ', ')
                        FROM unnest(tracked) c);
        EXECUTE format('INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, t.%1$s::text, ''update'', v.c, v.o, v.n, $3
                        FROM pg_temp.portrait_refresh_diff d JOIN %2$s t ON t.tableoid = d.rel AND t.ctid = d.tid
                        CROSS JOIN LATERAL (VALUES %3$s) v(c, o, n) WHERE d.op = ''u'' AND v.c = ANY (d.changed)',
                       k, tname, diff_values)
        USING run, tname, started;
    END IF;
    IF n_upd > 0 THEN
        EXECUTE format('UPDATE %1$s t SET (%2$s) = (SELECT %3$s) FROM pg_temp.portrait_refresh_diff d
                        WHERE t.tableoid = d.rel AND t.ctid = d.tid AND d.op = ''u''',
                       tname, col_list, (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(cols) c));
    END IF;

    -- vanished keys: their tracked values go to the history as they are deleted
    IF n_del > 0 THEN
        old_values := coalesce((SELECT string_agg(format('(%L, t.%I::text)', c, c), ', ') FROM unnest(tracked) c), '(NULL, NULL)');
        EXECUTE format('WITH del AS (DELETE FROM %1$s t USING pg_temp.portrait_refresh_diff d
                                     WHERE t.tableoid = d.rel AND t.ctid = d.tid AND d.op = ''d'' RETURNING t.*)
                        INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, t.%2$s::text, ''delete'', v.c, v.o, NULL, $3
                        FROM del t CROSS JOIN LATERAL (VALUES %3$s) v(c, o) WHERE $4 AND t.%2$s IS NOT NULL',
                       tname, k, old_values)
        USING run, tname, started, history AND cardinality(tracked) > 0;
    END IF;

    -- new keys: one history row each (all their values are new)
    IF n_ins > 0 THEN
        EXECUTE format('WITH ins AS (INSERT INTO %1$s (%2$s) SELECT %3$s FROM pg_temp.portrait_refresh_diff d
                                     WHERE d.op = ''i'' RETURNING %4$s)
                        INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, ins.%4$s::text, ''insert'', NULL, NULL, NULL, $3 FROM ins WHERE $4',
                       tname, k || coalesce(', ' || col_list, ''),
                       (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(key::text || cols) c), k)
        USING run, tname, started, history;
    END IF;

    INSERT INTO @extschema@.profile_run (run_id, target, started_at, finished_at, inserted, updated, deleted, unchanged, status)
    VALUES (run, tname, started, clock_timestamp(), n_ins, n_upd, n_del, n_same, 'succeeded');
    DROP TABLE pg_temp.portrait_refresh_diff;
END
$$;
COMMENT ON PROCEDURE @extschema@.refresh_profile(regclass, text, name, jsonb, text) IS 'Make a profile table equal to a query''s result in one transaction, writing only changed rows, recording changes in profile_history and the run in profile_run';
