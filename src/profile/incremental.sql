
-- ==================== incremental: stored states, watermarks, corrections ====================

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
