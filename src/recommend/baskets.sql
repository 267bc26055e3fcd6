
-- ==================== baskets: the state of the market-basket aggregates ====================

-- ---------- types ----------

CREATE TYPE @extschema@.basket_lines;

CREATE FUNCTION @extschema@.basket_lines_in(cstring) RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_basket_lines_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.basket_lines_in(cstring) IS 'Text input of the basket aggregate state (JSON: basket_type, item_type, options, baskets as [basket, [items]])';

CREATE FUNCTION @extschema@.basket_lines_out(@extschema@.basket_lines) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_basket_lines_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.basket_lines_out(@extschema@.basket_lines) IS 'Text output of the basket aggregate state';

CREATE TYPE @extschema@.basket_lines (
    INPUT = @extschema@.basket_lines_in,
    OUTPUT = @extschema@.basket_lines_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.basket_lines IS 'State of the market-basket aggregates: the (basket, item) lines collected, movable between nodes as text';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.basket_lines_combine(@extschema@.basket_lines, @extschema@.basket_lines)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_basket_lines_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.basket_lines_combine(@extschema@.basket_lines, @extschema@.basket_lines) IS 'Combine function of the market-basket aggregates (appends the lines)';
