
-- ==================== preferences: affinity tags per customer ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.preference_weights(weights jsonb DEFAULT '{}')
    RETURNS jsonb
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT '{"purchase": 10, "cart": 5, "favourite": 4, "like": 3, "search": 2, "view": 1}'::jsonb
           || coalesce(weights, '{}'::jsonb)
$$;
COMMENT ON FUNCTION @extschema@.preference_weights(jsonb) IS 'Event weights of preference_tags: the defaults (purchase 10, cart 5, favourite 4, like 3, search 2, view 1) with the given ones replacing them';

CREATE FUNCTION @extschema@.check_source_options(func text, source regclass, options jsonb, known text[],
                                                 columns text[])
    RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    k text;
    col text;
BEGIN
    IF source IS NULL OR options IS NULL THEN
        RAISE EXCEPTION '% arguments must not be NULL', func USING ERRCODE = '22004';
    END IF;
    IF jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'options of % must be a JSON object', func USING ERRCODE = '22023';
    END IF;
    FOR k IN SELECT jsonb_object_keys(options) LOOP
        IF NOT k = ANY (known) THEN
            RAISE EXCEPTION 'unsupported option "%" of %', k, func USING ERRCODE = '0A000',
                HINT = 'The options are ' || array_to_string(known, ', ') || '.';
        END IF;
    END LOOP;
    FOREACH k IN ARRAY columns LOOP
        col := CASE WHEN k = 'customer' THEN coalesce(options->>k, 'customer_id') ELSE options->>k END;
        IF col IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = source AND a.attname = col
                                                                         AND a.attnum > 0 AND NOT a.attisdropped) THEN
            RAISE EXCEPTION 'column "%" of % does not exist in %', col, func, source USING ERRCODE = '42703';
        END IF;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.check_source_options(text, regclass, jsonb, text[], text[]) IS 'Checks of the functions over a caller''s table (preference_tags, time_split, recommend_evaluate): NULL arguments 22004, options not an object 22023, an unknown option 0A000, an option naming a column the table lacks 42703';

CREATE FUNCTION @extschema@.preference_tags(source regclass, options jsonb)
    RETURNS TABLE (customer text, preferences jsonb)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    known constant text[] := ARRAY['customer', 'value', 'amount', 'event', 'weights', 'at', 'as_of',
                                   'half_life', 'top', 'min_support'];
    customer_col name;
    value_col name;
    amount_col name;
    event_col name;
    at_col name;
    weights jsonb;
    as_of timestamptz;
    half_life interval;
    top integer;
    min_support integer;
    weight_expr text;
BEGIN
    PERFORM @extschema@.check_source_options('preference_tags', source, options, known,
                                             ARRAY['customer', 'value', 'amount', 'event', 'at']);
    customer_col := coalesce(options->>'customer', 'customer_id');
    value_col := options->>'value';
    amount_col := options->>'amount';
    event_col := options->>'event';
    at_col := options->>'at';
    IF value_col IS NULL THEN
        RAISE EXCEPTION 'preference_tags needs the option "value"' USING ERRCODE = '22023',
            HINT = 'Name the column of the attribute to prefer, e.g. {"value": "category"}.';
    END IF;
    IF options ? 'weights' AND jsonb_typeof(options->'weights') <> 'object' THEN
        RAISE EXCEPTION 'option "weights" of preference_tags must be an object of event weights' USING ERRCODE = '22023';
    END IF;
    weights := @extschema@.preference_weights(options->'weights');
    IF EXISTS (SELECT 1 FROM jsonb_each(weights) e WHERE jsonb_typeof(e.value) <> 'number' OR (e.value)::text::float8 < 0) THEN
        RAISE EXCEPTION 'event weights of preference_tags must be non-negative numbers' USING ERRCODE = '22023';
    END IF;
    BEGIN
        top := coalesce((options->>'top')::integer, 3);
        min_support := coalesce((options->>'min_support')::integer, 2);
        half_life := (options->>'half_life')::interval;
        as_of := (options->>'as_of')::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'options of preference_tags: top and min_support are integers, half_life an interval, as_of a timestamp'
            USING ERRCODE = '22023';
    END;
    IF top < 1 THEN
        RAISE EXCEPTION 'option "top" of preference_tags must be at least 1, not %', top USING ERRCODE = '22023';
    END IF;
    IF min_support < 1 THEN
        RAISE EXCEPTION 'option "min_support" of preference_tags must be at least 1, not %', min_support USING ERRCODE = '22023';
    END IF;
    IF half_life IS NOT NULL AND (at_col IS NULL OR as_of IS NULL OR half_life <= interval '0') THEN
        RAISE EXCEPTION 'option "half_life" of preference_tags needs a positive interval, "at" and "as_of"' USING ERRCODE = '22023',
            HINT = 'For example {"at": "ordered_at", "as_of": "2024-12-31", "half_life": "90 days"}.';
    END IF;

    -- a row's weight: its amount (or 1), times its event's weight, times its recency weight
    weight_expr := CASE WHEN amount_col IS NULL THEN '1::float8' ELSE format('(%I)::float8', amount_col) END;
    IF event_col IS NOT NULL THEN
        weight_expr := weight_expr || format(' * ($1 OPERATOR(pg_catalog.->>) (%I)::text)::float8', event_col);
    END IF;
    IF half_life IS NOT NULL THEN
        weight_expr := weight_expr || format(' * @extschema@.recency_weight((%I)::timestamptz, $2, $3)', at_col);
    END IF;

    RETURN QUERY EXECUTE format(
        $q$
        WITH src AS (
            SELECT (%1$I)::text AS customer, (%2$I)::text AS value, %3$s AS w
            FROM %4$s WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL),
        cv AS (
            SELECT s.customer, s.value, pg_catalog.sum(s.w) AS w, pg_catalog.count(*) AS n
            FROM src s WHERE s.w OPERATOR(pg_catalog.>) 0 GROUP BY s.customer, s.value),
        pop AS (SELECT cv.value, pg_catalog.sum(cv.w) AS w FROM cv GROUP BY cv.value),
        tot AS (SELECT pg_catalog.sum(cv.w) AS w FROM cv),
        ct AS (SELECT cv.customer, pg_catalog.sum(cv.w) AS w FROM cv GROUP BY cv.customer),
        ranked AS (
            SELECT cv.customer, cv.value, cv.w, cv.n, ct.w AS cw, pop.w AS pw, tot.w AS tw,
                   pg_catalog.row_number() OVER (PARTITION BY cv.customer ORDER BY cv.w DESC, cv.value COLLATE "C") AS r
            FROM cv JOIN ct ON ct.customer OPERATOR(pg_catalog.=) cv.customer
                    JOIN pop ON pop.value OPERATOR(pg_catalog.=) cv.value CROSS JOIN tot
            WHERE cv.n OPERATOR(pg_catalog.>=) $4)
        SELECT r.customer,
               pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                   'value', r.value, 'weight', r.w, 'support', r.n,
                   'share', r.w OPERATOR(pg_catalog./) r.cw, 'population_share', r.pw OPERATOR(pg_catalog./) r.tw,
                   'tgi', @extschema@.tgi_value(r.w, r.cw, r.pw, r.tw)) ORDER BY r.r)
        FROM ranked r WHERE r.r OPERATOR(pg_catalog.<=) $5
        GROUP BY r.customer ORDER BY r.customer COLLATE "C"
        $q$, customer_col, value_col, weight_expr, source)
    USING weights, as_of, half_life, min_support, top;
END
$$;
COMMENT ON FUNCTION @extschema@.preference_tags(regclass, jsonb) IS 'Per customer the top values of an attribute (category, brand) by spend, count or weighted events, optionally recency-weighted: [{value, weight, support, share, population_share, tgi}] by weight; options customer, value, amount, event, weights, at, as_of, half_life, top, min_support; caller''s privileges';
