
-- ==================== events: the state of the behaviour aggregates ====================

-- ---------- types ----------

CREATE TYPE @extschema@.event_list;

CREATE FUNCTION @extschema@.event_list_in(cstring) RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_event_list_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.event_list_in(cstring) IS 'Text input of portrait.event_list (kind;conditions;flags;param;length:text;n;ts:mask,...)';

CREATE FUNCTION @extschema@.event_list_out(@extschema@.event_list) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_event_list_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.event_list_out(@extschema@.event_list) IS 'Text output of portrait.event_list';

CREATE TYPE @extschema@.event_list (
    INPUT = @extschema@.event_list_in,
    OUTPUT = @extschema@.event_list_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.event_list IS 'State of window_funnel and sequence_match/count: timestamps with condition bitmasks (movable between nodes as text)';
