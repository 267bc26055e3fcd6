
-- ==================== rules: frequent itemsets (FP-growth) and association rules ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.frequent_itemsets(result jsonb)
    RETURNS TABLE (items text[], size integer, count bigint, support double precision)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s->'items')),
           pg_catalog.jsonb_array_length(s->'items'), (s->>'count')::bigint, (s->>'support')::float8
    FROM pg_catalog.jsonb_array_elements(result->'itemsets') WITH ORDINALITY AS e(s, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.frequent_itemsets(jsonb) IS 'The frequent itemsets of an fpgrowth result, by size, then count descending, then items: items (by name), size, baskets containing them, support';

CREATE FUNCTION @extschema@.association_rules(result jsonb)
    RETURNS TABLE (antecedent text[], consequent text[], count bigint, support double precision,
                   confidence double precision, lift double precision, leverage double precision,
                   conviction double precision, antecedent_support double precision,
                   consequent_support double precision)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ARRAY(SELECT pg_catalog.jsonb_array_elements_text(r->'antecedent')),
           ARRAY(SELECT pg_catalog.jsonb_array_elements_text(r->'consequent')),
           (r->>'count')::bigint, (r->>'support')::float8, (r->>'confidence')::float8,
           (r->>'lift')::float8, (r->>'leverage')::float8, (r->>'conviction')::float8,
           (r->>'antecedent_support')::float8, (r->>'consequent_support')::float8
    FROM pg_catalog.jsonb_array_elements(result->'rules') WITH ORDINALITY AS e(r, i)
    ORDER BY i
$$;
COMMENT ON FUNCTION @extschema@.association_rules(jsonb) IS 'The association rules X => Y of an fpgrowth result, by lift, confidence and count descending, then items: support, confidence, lift, leverage, conviction (Infinity when confidence is 1)';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, text, jsonb) IS 'Transition function of fpgrowth (bigint basket, text item)';

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, bigint, bigint, jsonb) IS 'Transition function of fpgrowth (bigint basket, bigint item)';

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, text, jsonb) IS 'Transition function of fpgrowth (text basket, text item)';

CREATE FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_trans(@extschema@.basket_lines, text, bigint, jsonb) IS 'Transition function of fpgrowth (text basket, bigint item)';

CREATE FUNCTION @extschema@.fpgrowth_final(@extschema@.basket_lines) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pp_fpgrowth_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.fpgrowth_final(@extschema@.basket_lines) IS 'Final function of fpgrowth: FP-growth over the collected baskets, then the rules';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.fpgrowth(basket bigint, item text, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(bigint, text, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';

CREATE AGGREGATE @extschema@.fpgrowth(basket bigint, item bigint, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(bigint, bigint, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';

CREATE AGGREGATE @extschema@.fpgrowth(basket text, item text, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(text, text, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';

CREATE AGGREGATE @extschema@.fpgrowth(basket text, item bigint, options jsonb) (
    SFUNC = @extschema@.fpgrowth_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.fpgrowth_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.fpgrowth(text, bigint, jsonb) IS 'Frequent itemsets (FP-growth) and association rules of (basket, item) rows as a jsonb document; options min_support or min_count, max_len, min_confidence, min_lift, rules';
