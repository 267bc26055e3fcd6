
-- ==================== points: collected-rows aggregate state ====================

CREATE TYPE @extschema@.points;

CREATE FUNCTION @extschema@.points_in(cstring) RETURNS @extschema@.points
    AS 'MODULE_PATHNAME', 'pp_points_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.points_in(cstring) IS 'Text input of portrait.points (dim;param;n;values)';

CREATE FUNCTION @extschema@.points_out(@extschema@.points) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_points_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.points_out(@extschema@.points) IS 'Text output of portrait.points';

CREATE TYPE @extschema@.points (
    INPUT = @extschema@.points_in,
    OUTPUT = @extschema@.points_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.points IS 'Aggregate state holding every input row of a fit (movable between nodes as text)';
