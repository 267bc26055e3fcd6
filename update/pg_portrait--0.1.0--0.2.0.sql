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

-- refresh_profile checks the caller's privileges on the target up front; an
-- unknown option is 0A000 (was 22023) here and in lifecycle_stage and profile_views.
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
    IF mode = 'rhythm' AND model IS NOT NULL AND repeat_frequency >= 1 THEN
        -- P(alive) of BG/NBD; a customer without repeat purchases is always alive in
        -- that model, so those keep the day thresholds
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
    ELSIF previous_stage IN ('dormant', 'churned') THEN
        stage := 'reactivated';
    ELSE
        stage := 'active';
    END IF;
    RETURN stage;
END
$$;
COMMENT ON FUNCTION @extschema@.lifecycle_stage(double precision, double precision, double precision, double precision, text, jsonb, @extschema@.model) IS 'Lifecycle stage of a customer (new, active, at_risk, dormant, churned, reactivated) from rfm_summary fields, by day thresholds or by the customer''s own rhythm; reactivated needs the previous stage';

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
    col jsonb := '{}';      -- measure -> SQL expression over the profile (NULL::float8 when absent)
    measure text;
    vname text;
    bad boolean;
    aggs text;
BEGIN
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('key', 'segment', 'cluster', 'revenue', 'recency', 'frequency', 'monetary', 'churn_risk',
                       'clv', 'min_customers', 'prefix') THEN
            RAISE EXCEPTION 'unsupported option "%" of profile_views', opt USING ERRCODE = '0A000',
                HINT = 'Options are key, segment, cluster, revenue, recency, frequency, monetary, churn_risk, clv (column names), min_customers and prefix.';
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
    FOR opt IN SELECT unnest(ARRAY[key, seg]) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = opt AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" is not a column of %', opt, tname USING ERRCODE = '22023',
                HINT = 'Name the key and segment columns with the options key and segment.';
        END IF;
    END LOOP;
    FOR measure, opt IN SELECT m, coalesce(o->>m, d)
                        FROM (VALUES ('revenue', 'monetary'), ('recency', 'recency_days'), ('frequency', 'frequency'),
                                     ('monetary', 'monetary'), ('churn_risk', 'churn_risk'), ('clv', 'clv')) v(m, d) LOOP
        col := col || jsonb_build_object(measure,
            CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = opt AND attnum > 0 AND NOT attisdropped)
                 THEN format('p.%I::float8', opt) ELSE 'NULL::float8' END);
    END LOOP;
    aggs := format('count(*) AS customers, count(*)::float8 / sum(count(*)) OVER () AS share,
                    sum(%s) AS revenue, avg(%s) AS avg_recency_days, avg(%s) AS avg_frequency,
                    avg(%s) AS avg_monetary, avg(%s) AS avg_churn_risk, avg(%s) AS avg_clv',
                   col->>'revenue', col->>'recency', col->>'frequency', col->>'monetary', col->>'churn_risk', col->>'clv');

    -- segment overview
    vname := format('%I.%I', nsp, prefix || '_segments');
    EXECUTE format('CREATE OR REPLACE VIEW %s AS SELECT g.segment, g.customers, g.share, g.revenue, g.avg_recency_days, g.avg_frequency,
                        g.avg_monetary, g.avg_churn_risk, g.avg_clv
                    FROM (SELECT p.%I::text AS segment, %s, count(*) AS n FROM %s p GROUP BY p.%I) g WHERE g.n >= %s',
                   vname, seg, aggs, tname, seg, k);
    EXECUTE format('COMMENT ON VIEW %s IS %L', vname,
                   format('Segment overview of %s (groups of fewer than %s customers left out)', tname, k));
    PERFORM @extschema@.profile_comment_columns(vname::regclass);
    RETURN NEXT vname;

    -- migration between the last two runs: keys without a change of the segment in the
    -- last run stayed where they are; new keys come from NULL, deleted ones go to NULL
    vname := format('%I.%I', nsp, prefix || '_migration');
    EXECUTE format($v$CREATE OR REPLACE VIEW %1$s AS
        WITH last AS (SELECT max(r.run_id) AS run_id FROM @extschema@.profile_run r WHERE r.target = %2$L),
             ch AS (SELECT h.key, h.op, h.old_value FROM @extschema@.profile_history h, last
                    WHERE h.target = %2$L AND h.run_id = last.run_id
                      AND (h.op = 'insert' OR h.column_name = %3$L)),
             moves AS (SELECT CASE WHEN c.key IS NULL THEN p.%4$I::text WHEN c.op = 'insert' THEN NULL ELSE c.old_value END AS from_segment,
                              p.%4$I::text AS to_segment
                       FROM %5$s p LEFT JOIN ch c ON c.key = p.%6$I::text
                       UNION ALL
                       SELECT c.old_value, NULL FROM ch c WHERE c.op = 'delete')
        SELECT m.from_segment, m.to_segment, count(*) AS customers,
               count(*)::float8 / sum(count(*)) OVER (PARTITION BY m.from_segment) AS share_of_from
        FROM moves m GROUP BY m.from_segment, m.to_segment HAVING count(*) >= %7$s$v$,
        vname, tname, seg, seg, tname, key, k);
    EXECUTE format('COMMENT ON VIEW %s IS %L', vname,
                   format('Segment migration of %s in its last refresh (groups of fewer than %s customers left out)', tname, k));
    PERFORM @extschema@.profile_comment_columns(vname::regclass);
    RETURN NEXT vname;

    -- cluster profiles, when there is a cluster column
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = clu AND attnum > 0 AND NOT attisdropped) THEN
        vname := format('%I.%I', nsp, prefix || '_clusters');
        EXECUTE format('CREATE OR REPLACE VIEW %s AS SELECT g.cluster, g.customers, g.share, g.revenue, g.avg_recency_days, g.avg_frequency,
                            g.avg_monetary, g.avg_churn_risk, g.avg_clv, g.top_segment
                        FROM (SELECT p.%I::text AS cluster, %s, mode() WITHIN GROUP (ORDER BY p.%I::text) AS top_segment, count(*) AS n
                              FROM %s p GROUP BY p.%I) g WHERE g.n >= %s',
                       vname, clu, aggs, seg, tname, clu, k);
        EXECUTE format('COMMENT ON VIEW %s IS %L', vname,
                       format('Cluster profiles of %s (groups of fewer than %s customers left out)', tname, k));
        PERFORM @extschema@.profile_comment_columns(vname::regclass);
        RETURN NEXT vname;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_views(regclass, jsonb) IS 'Create (or replace) the BI views of a profile table: <name>_segments, <name>_migration and, with a cluster column, <name>_clusters; returns their names';

-- ==================== behaviour analytics: speed ====================

-- window_funnel with 2 to 8 steps as separate arguments resolves to these
-- fixed-arity aggregates (no bool[] built per row); the VARIADIC forms stay.

-- Fixed-arity transitions for 2 to 8 steps: a call with the steps as
-- separate arguments resolves to them rather than to the VARIADIC form.
CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool) IS 'Transition function of window_funnel with 2 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool) IS 'Transition function of window_funnel with 3 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool) IS 'Transition function of window_funnel with 4 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 5 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 6 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 7 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 8 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool) IS 'Transition function of window_funnel with 2 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool) IS 'Transition function of window_funnel with 3 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool) IS 'Transition function of window_funnel with 4 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 5 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 6 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 7 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 8 step arguments and a mode';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool) IS 'window_funnel and 2 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool) IS 'window_funnel and 3 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool) IS 'window_funnel and 4 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool) IS 'window_funnel and 5 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool, bool) IS 'window_funnel and 6 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel and 7 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool, step8 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel and 8 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool) IS 'window_funnel with a mode and 2 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool) IS 'window_funnel with a mode and 3 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool) IS 'window_funnel with a mode and 4 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 5 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 6 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 7 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool, step8 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 8 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

-- COST: the executor copies every combined state whole into the aggregate's
-- memory, so merging per-customer partial states costs about as much as
-- aggregating their rows again; with it the planner keeps GROUP BY customer
-- serial when groups have few events (there the parallel plan measured
-- slower: the leader re-hashes and copies every customer's state), and
-- still splits few large groups over workers.
ALTER FUNCTION @extschema@.window_funnel_combine(@extschema@.event_list, @extschema@.event_list) COST 100;

-- cohort_activity's state is now the first period and a bitmap of offsets
COMMENT ON FUNCTION @extschema@.cohort_state_in(cstring) IS 'Text input of the cohort_activity aggregate state (period;periods;first period;active offsets)';

-- cohort_matrix over integer customers: one aggregate, no GROUP BY customer
CREATE TYPE @extschema@.cohort_users;

CREATE FUNCTION @extschema@.cohort_users_in(cstring) RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_in(cstring) IS 'Text input of the cohort_users aggregate state (period;periods;customer:first:offsets;...)';

CREATE FUNCTION @extschema@.cohort_users_out(@extschema@.cohort_users) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_cohort_users_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_out(@extschema@.cohort_users) IS 'Text output of the cohort_users aggregate state, in customer order';

CREATE TYPE @extschema@.cohort_users (
    INPUT = @extschema@.cohort_users_in,
    OUTPUT = @extschema@.cohort_users_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.cohort_users IS 'State of cohort_users: per integer customer key, the first active period and the active period offsets';

CREATE FUNCTION @extschema@.cohort_table(state @extschema@.cohort_users)
    RETURNS TABLE (cohort timestamptz, period_offset integer, cohort_users bigint, active_users bigint)
    AS 'MODULE_PATHNAME', 'pp_cohort_table' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.cohort_table(@extschema@.cohort_users) IS 'Cohort matrix of a cohort_users state: per cohort (ascending) and offset 0..periods, the customers of the cohort and those active';

CREATE FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer) IS 'Transition function of cohort_users (depends on the session time zone)';

CREATE FUNCTION @extschema@.cohort_users_combine(@extschema@.cohort_users, @extschema@.cohort_users)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_combine(@extschema@.cohort_users, @extschema@.cohort_users) IS 'Combine function of cohort_users';

CREATE AGGREGATE @extschema@.cohort_users(customer bigint, ts timestamptz, period text, periods integer) (
    SFUNC = @extschema@.cohort_users_trans,
    STYPE = @extschema@.cohort_users,
    COMBINEFUNC = @extschema@.cohort_users_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_users(bigint, timestamptz, text, integer) IS 'Every customer''s cohort period and active offsets 0..periods in one state (input of cohort_table); rows with a NULL customer or timestamp are skipped';

CREATE OR REPLACE FUNCTION @extschema@.cohort_matrix(source regclass, user_col name, ts_col name,
                                          period text DEFAULT 'month', periods integer DEFAULT 12)
    RETURNS TABLE (cohort timestamptz, period_offset integer, cohort_users bigint,
                   active_users bigint, share double precision)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    user_type regtype;
BEGIN
    IF period IS NULL OR periods IS NULL THEN
        RAISE EXCEPTION 'cohort_matrix period and periods must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT a.atttypid INTO user_type FROM pg_attribute a
     WHERE a.attrelid = source AND a.attname = user_col AND a.attnum > 0 AND NOT a.attisdropped;
    IF user_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
        -- integer customers: one aggregate over the events, no GROUP BY customer
        BEGIN
            RETURN QUERY EXECUTE format(
                $q$
                SELECT t.cohort, t.period_offset, t.cohort_users, t.active_users,
                       t.active_users::double precision / t.cohort_users
                  FROM @extschema@.cohort_table(
                         (SELECT @extschema@.cohort_users(%3$I, %2$I, $1, $2) FROM %1$s)) AS t
                $q$, source, ts_col, user_col)
            USING period, periods;
            RETURN;
        EXCEPTION WHEN program_limit_exceeded THEN
            -- more customers than one state holds: group by customer below
        END;
    END IF;
    RETURN QUERY EXECUTE format(
        $q$
        WITH per_user AS (
            SELECT @extschema@.cohort_activity(%2$I, $1, $2) AS a
              FROM %1$s
             WHERE %2$I IS NOT NULL AND %3$I IS NOT NULL
             GROUP BY %3$I),
        cells AS (
            SELECT (a).cohort AS cohort, o AS k, count(*) AS users
              FROM per_user, unnest((a).offsets) AS o
             GROUP BY 1, 2)
        -- every customer is active at offset 0 of its cohort: those are the cohort sizes
        SELECT s.cohort, k.k, s.users, coalesce(act.users, 0)::bigint,
               coalesce(act.users, 0)::double precision / s.users
          FROM cells s
         CROSS JOIN generate_series(0, $2) AS k(k)
          LEFT JOIN cells act ON act.cohort = s.cohort AND act.k = k.k
         WHERE s.k = 0
         ORDER BY 1, 2
        $q$, source, ts_col, user_col)
    USING period, periods;
END
$$;
