
-- ==================== similarity: item-to-item similarity and top-N recommendations ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.recommend(model @extschema@.model, items text[], weights double precision[] DEFAULT NULL,
                                      k integer DEFAULT 10, options jsonb DEFAULT '{}')
    RETURNS TABLE (rank integer, item text, score double precision, because text, source text)
    AS 'MODULE_PATHNAME', 'pp_recommend' LANGUAGE C STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.recommend(@extschema@.model, text[], double precision[], integer, jsonb) IS 'Top k items for a history (items, optional weights) under an item_similarity model: score = sum of weight x similarity, because = the history item contributing most; popular items fill the list (source popular), all of it for an empty history; options exclude_seen, fill, method';

CREATE FUNCTION @extschema@.item_neighbours(model @extschema@.model)
    RETURNS TABLE (item text, rank integer, neighbour text, score double precision)
    AS 'MODULE_PATHNAME', 'pp_item_neighbours' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.item_neighbours(@extschema@.model) IS 'The neighbours an item_similarity model keeps: per item (by name) its most similar items with their scores';

CREATE FUNCTION @extschema@.recency_weight(at timestamptz, as_of timestamptz, half_life interval)
    RETURNS double precision
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.power(0.5::float8, GREATEST(0::float8, pg_catalog.date_part('epoch', as_of OPERATOR(pg_catalog.-) at))
                                         OPERATOR(pg_catalog./) pg_catalog.date_part('epoch', half_life))
$$;
COMMENT ON FUNCTION @extschema@.recency_weight(timestamptz, timestamptz, interval) IS 'Weight of an event at a time: 0.5 ^ (age / half_life), the age as_of - at (0 for events after as_of)';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, text, jsonb) IS 'Transition function of item_similarity (bigint basket, text item)';

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, bigint, bigint, jsonb) IS 'Transition function of item_similarity (bigint basket, bigint item)';

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, text, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, text, jsonb) IS 'Transition function of item_similarity (text basket, text item)';

CREATE FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, bigint, jsonb)
    RETURNS @extschema@.basket_lines
    AS 'MODULE_PATHNAME', 'pp_item_similarity_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_trans(@extschema@.basket_lines, text, bigint, jsonb) IS 'Transition function of item_similarity (text basket, bigint item)';

CREATE FUNCTION @extschema@.item_similarity_final(@extschema@.basket_lines) RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_item_similarity_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.item_similarity_final(@extschema@.basket_lines) IS 'Final function of item_similarity: co-occurrence counts and the top neighbours of each item';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.item_similarity(basket bigint, item text, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, text, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';

CREATE AGGREGATE @extschema@.item_similarity(basket bigint, item bigint, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(bigint, bigint, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';

CREATE AGGREGATE @extschema@.item_similarity(basket text, item text, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(text, text, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';

CREATE AGGREGATE @extschema@.item_similarity(basket text, item bigint, options jsonb) (
    SFUNC = @extschema@.item_similarity_trans,
    STYPE = @extschema@.basket_lines,
    COMBINEFUNC = @extschema@.basket_lines_combine,
    FINALFUNC = @extschema@.item_similarity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.item_similarity(text, bigint, jsonb) IS 'Item-to-item similarity model from co-occurrence in baskets or customer histories (cosine, jaccard or lift, with shrinkage): the top neighbours of every item; options measure, shrinkage, top, min_cooccurrence';
