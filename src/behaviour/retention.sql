
-- ==================== retention: retention flags, cohorts, sessions ====================

-- ---------- types ----------

CREATE TYPE @extschema@.cohort_state;

CREATE FUNCTION @extschema@.cohort_state_in(cstring) RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_state_in(cstring) IS 'Text input of the cohort_activity aggregate state (period;periods;first period;active offsets)';

CREATE FUNCTION @extschema@.cohort_state_out(@extschema@.cohort_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_cohort_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_state_out(@extschema@.cohort_state) IS 'Text output of the cohort_activity aggregate state';

CREATE TYPE @extschema@.cohort_state (
    INPUT = @extschema@.cohort_state_in,
    OUTPUT = @extschema@.cohort_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.cohort_state IS 'State of cohort_activity: the calendar periods a customer was active in';

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

CREATE TYPE @extschema@.cohort_activity AS (
    cohort  timestamptz,
    offsets integer[]
);
COMMENT ON TYPE @extschema@.cohort_activity IS 'One customer''s cohort (start of the first active period) and active period offsets (result of cohort_activity)';
COMMENT ON COLUMN @extschema@.cohort_activity.cohort IS 'Start of the customer''s first active period, in the session time zone';
COMMENT ON COLUMN @extschema@.cohort_activity.offsets IS 'Periods after the cohort period with activity, ascending, 0 first, at most the periods argument';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.session_id(ts timestamptz, gap interval) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_session_id' LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.session_id(timestamptz, interval) IS 'Window function: session number 1, 2, ... within the partition, a new session after more than gap of inactivity (use OVER (PARTITION BY customer ORDER BY ts))';

CREATE FUNCTION @extschema@.cohort_table(state @extschema@.cohort_users)
    RETURNS TABLE (cohort timestamptz, period_offset integer, cohort_users bigint, active_users bigint)
    AS 'MODULE_PATHNAME', 'pp_cohort_table' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.cohort_table(@extschema@.cohort_users) IS 'Cohort matrix of a cohort_users state: per cohort (ascending) and offset 0..periods, the customers of the cohort and those active';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.retention_trans(bigint, bool[]) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_trans(bigint, bool[]) IS 'Transition function of retention';

CREATE FUNCTION @extschema@.retention_combine(bigint, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_retention_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_combine(bigint, bigint) IS 'Combine function of retention';

CREATE FUNCTION @extschema@.retention_final(bigint) RETURNS integer[]
    AS 'MODULE_PATHNAME', 'pp_retention_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_final(bigint) IS 'Final function of retention';

CREATE FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer)
    RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer) IS 'Transition function of cohort_activity (depends on the session time zone)';

CREATE FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer, text)
    RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer, text) IS 'Transition function of cohort_activity in a named time zone';

CREATE FUNCTION @extschema@.cohort_activity_combine(@extschema@.cohort_state, @extschema@.cohort_state)
    RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_combine(@extschema@.cohort_state, @extschema@.cohort_state) IS 'Combine function of cohort_activity';

CREATE FUNCTION @extschema@.cohort_activity_final(@extschema@.cohort_state) RETURNS @extschema@.cohort_activity
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_final' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_final(@extschema@.cohort_state) IS 'Final function of cohort_activity';

CREATE FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer) IS 'Transition function of cohort_users (depends on the session time zone)';

CREATE FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer, text)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer, text) IS 'Transition function of cohort_users in a named time zone';

CREATE FUNCTION @extschema@.cohort_users_combine(@extschema@.cohort_users, @extschema@.cohort_users)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_combine(@extschema@.cohort_users, @extschema@.cohort_users) IS 'Combine function of cohort_users';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.retention(VARIADIC conds bool[]) (
    SFUNC = @extschema@.retention_trans,
    STYPE = bigint,
    COMBINEFUNC = @extschema@.retention_combine,
    FINALFUNC = @extschema@.retention_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention(VARIADIC bool[]) IS 'ClickHouse retention flags: [1] = condition 1 met by some row; [k] = conditions 1 and k both met by some rows; up to 32 conditions';

CREATE AGGREGATE @extschema@.cohort_activity(ts timestamptz, period text, periods integer) (
    SFUNC = @extschema@.cohort_activity_trans,
    STYPE = @extschema@.cohort_state,
    COMBINEFUNC = @extschema@.cohort_activity_combine,
    FINALFUNC = @extschema@.cohort_activity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_activity(timestamptz, text, integer) IS 'One customer''s cohort period (day, week, month, quarter, year in the session time zone) and the period offsets 0..periods with activity';

CREATE AGGREGATE @extschema@.cohort_activity(ts timestamptz, period text, periods integer, zone text) (
    SFUNC = @extschema@.cohort_activity_trans,
    STYPE = @extschema@.cohort_state,
    COMBINEFUNC = @extschema@.cohort_activity_combine,
    FINALFUNC = @extschema@.cohort_activity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_activity(timestamptz, text, integer, text) IS 'One customer''s cohort period (day, week, month, quarter, year in the named time zone, the same on every node) and the period offsets 0..periods with activity';

CREATE AGGREGATE @extschema@.cohort_users(customer bigint, ts timestamptz, period text, periods integer) (
    SFUNC = @extschema@.cohort_users_trans,
    STYPE = @extschema@.cohort_users,
    COMBINEFUNC = @extschema@.cohort_users_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_users(bigint, timestamptz, text, integer) IS 'Every customer''s cohort period and active offsets 0..periods in one state (input of cohort_table); rows with a NULL customer or timestamp are skipped';

CREATE AGGREGATE @extschema@.cohort_users(customer bigint, ts timestamptz, period text, periods integer, zone text) (
    SFUNC = @extschema@.cohort_users_trans,
    STYPE = @extschema@.cohort_users,
    COMBINEFUNC = @extschema@.cohort_users_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_users(bigint, timestamptz, text, integer, text) IS 'Every customer''s cohort period (in the named time zone) and active offsets 0..periods in one state (input of cohort_table); rows with a NULL customer or timestamp are skipped';

-- ---------- cohort matrix ----------

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
CREATE FUNCTION @extschema@.cohort_matrix(source regclass, user_col name, ts_col name,
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

-- ---------- stored states (incremental refresh) ----------

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
