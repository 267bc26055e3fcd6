
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
