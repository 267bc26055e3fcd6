
-- ==================== funnel: window_funnel, funnel_counts, funnel_table ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.funnel_table(users bigint[])
    RETURNS TABLE (step integer, users bigint, conversion_from_previous double precision,
                   conversion_from_first double precision)
    AS 'MODULE_PATHNAME', 'pp_funnel_table' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION @extschema@.funnel_table(bigint[]) IS 'Funnel table from funnel_counts: per step the customers reaching it, conversion from the previous step and from the first';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool[])
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool[]) IS 'Transition function of window_funnel';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool[])
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool[]) IS 'Transition function of window_funnel with a mode';

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

-- COST: the executor copies every combined state whole into the aggregate's
-- memory, so merging per-customer partial states costs about as much as
-- aggregating their rows again; with it the planner keeps GROUP BY customer
-- serial when groups have few events (there the parallel plan measured
-- slower: the leader re-hashes and copies every customer's state), and
-- still splits few large groups over workers.
CREATE FUNCTION @extschema@.window_funnel_combine(@extschema@.event_list, @extschema@.event_list)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.window_funnel_combine(@extschema@.event_list, @extschema@.event_list) IS 'Combine function of window_funnel';

CREATE FUNCTION @extschema@.window_funnel_final(@extschema@.event_list) RETURNS integer
    AS 'MODULE_PATHNAME', 'pp_window_funnel_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_final(@extschema@.event_list) IS 'Final function of window_funnel: the chain search';

CREATE FUNCTION @extschema@.funnel_counts_trans(bigint[], integer, integer) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_funnel_counts_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_counts_trans(bigint[], integer, integer) IS 'Transition function of funnel_counts';

CREATE FUNCTION @extschema@.funnel_counts_combine(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_funnel_counts_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_counts_combine(bigint[], bigint[]) IS 'Combine function of funnel_counts';

CREATE FUNCTION @extschema@.funnel_counts_final(bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_funnel_counts_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_counts_final(bigint[]) IS 'Final function of funnel_counts';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, VARIADIC bool[]) IS 'Highest step of the ordered chain step 1, 2, ... reached within the window from the chain''s first event (ClickHouse windowFunnel); up to 32 steps';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, VARIADIC bool[]) IS 'window_funnel with modes: comma-separated strict_deduplication, strict_order, strict_increase, strict_once';

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

CREATE AGGREGATE @extschema@.funnel_counts(level integer, steps integer) (
    SFUNC = @extschema@.funnel_counts_trans,
    STYPE = bigint[],
    COMBINEFUNC = @extschema@.funnel_counts_combine,
    FINALFUNC = @extschema@.funnel_counts_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.funnel_counts(integer, integer) IS 'Customers reaching each step 1..steps, from per-customer window_funnel levels (input of funnel_table)';

-- ---------- stored states (incremental refresh) ----------

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
