
-- ==================== sequence: sequence_match, sequence_count ====================

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.sequence_trans(@extschema@.event_list, text, timestamptz, bool[])
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_sequence_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_trans(@extschema@.event_list, text, timestamptz, bool[]) IS 'Transition function of sequence_match and sequence_count (checks the pattern on the first row)';

CREATE FUNCTION @extschema@.sequence_combine(@extschema@.event_list, @extschema@.event_list)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_sequence_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_combine(@extschema@.event_list, @extschema@.event_list) IS 'Combine function of sequence_match and sequence_count';

CREATE FUNCTION @extschema@.sequence_match_final(@extschema@.event_list) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pp_sequence_match_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_match_final(@extschema@.event_list) IS 'Final function of sequence_match';

CREATE FUNCTION @extschema@.sequence_count_final(@extschema@.event_list) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_sequence_count_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_count_final(@extschema@.event_list) IS 'Final function of sequence_count';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.sequence_match(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = @extschema@.sequence_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.sequence_combine,
    FINALFUNC = @extschema@.sequence_match_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sequence_match(text, timestamptz, VARIADIC bool[]) IS 'Whether the events (rows meeting a condition, in time order) contain the pattern: (?N), ., .*, (?t op seconds) as in ClickHouse sequenceMatch; at most 64 events per pattern';

CREATE AGGREGATE @extschema@.sequence_count(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = @extschema@.sequence_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.sequence_combine,
    FINALFUNC = @extschema@.sequence_count_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sequence_count(text, timestamptz, VARIADIC bool[]) IS 'Number of non-overlapping occurrences of the pattern (ClickHouse sequenceCount); each match starts after the previous one ends';

-- ---------- stored states (incremental refresh) ----------

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
