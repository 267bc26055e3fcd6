
-- ==================== evaluate: offline evaluation of recommendations ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.ranking_metrics(recommended text[], relevant text[], k integer,
    OUT precision_at_k double precision, OUT recall_at_k double precision, OUT hit double precision,
    OUT average_precision double precision, OUT ndcg_at_k double precision)
    AS 'MODULE_PATHNAME', 'pp_ranking_metrics' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ranking_metrics(text[], text[], integer) IS 'One customer''s top-k list against the items they went on to buy: precision@k, recall@k, hit (0 or 1), average precision@k (MAP@k is its mean) and NDCG@k; NULL when relevant is empty';

CREATE FUNCTION @extschema@.time_split(source regclass, options jsonb)
    RETURNS TABLE (customer text, train text[], train_at timestamptz[], test text[])
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    known constant text[] := ARRAY['customer', 'item', 'at', 'cutoff'];
    cutoff timestamptz;
BEGIN
    PERFORM @extschema@.check_source_options('time_split', source, options, known, ARRAY['customer', 'item', 'at']);
    IF options->>'item' IS NULL OR options->>'at' IS NULL OR options->>'cutoff' IS NULL THEN
        RAISE EXCEPTION 'time_split needs the options "item", "at" and "cutoff"' USING ERRCODE = '22023';
    END IF;
    BEGIN
        cutoff := (options->>'cutoff')::timestamptz;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'option "cutoff" of time_split must be a timestamp' USING ERRCODE = '22023';
    END;
    RETURN QUERY EXECUTE format(
        $q$
        WITH l AS (SELECT (%1$I)::text AS customer, (%2$I)::text AS item, (%3$I)::timestamptz AS at
                   FROM %4$s WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND %3$I IS NOT NULL),
        tr AS (SELECT l.customer, pg_catalog.array_agg(l.item ORDER BY l.at, l.item COLLATE "C") AS train,
                      pg_catalog.array_agg(l.at ORDER BY l.at, l.item COLLATE "C") AS train_at
               FROM l WHERE l.at OPERATOR(pg_catalog.<) $1 GROUP BY l.customer),
        te AS (SELECT l.customer, pg_catalog.array_agg(DISTINCT l.item COLLATE "C") AS test
               FROM l LEFT JOIN tr ON tr.customer OPERATOR(pg_catalog.=) l.customer
               WHERE l.at OPERATOR(pg_catalog.>=) $1
                 AND NOT coalesce(l.item OPERATOR(pg_catalog.=) ANY (tr.train), false)
               GROUP BY l.customer)
        SELECT coalesce(tr.customer, te.customer), coalesce(tr.train, '{}'), coalesce(tr.train_at, '{}'),
               coalesce(te.test, '{}')
        FROM tr FULL JOIN te ON te.customer OPERATOR(pg_catalog.=) tr.customer
        ORDER BY coalesce(tr.customer, te.customer) COLLATE "C"
        $q$, coalesce(options->>'customer', 'customer_id'), options->>'item', options->>'at', source)
    USING cutoff;
END
$$;
COMMENT ON FUNCTION @extschema@.time_split(regclass, jsonb) IS 'Time-split holdout of order lines or events: per customer the items before cutoff (train, in time order, with their times) and the distinct new items from cutoff on (test); options customer, item, at, cutoff';

CREATE FUNCTION @extschema@.recommend_evaluate(source regclass, options jsonb)
    RETURNS TABLE (recommender text, customers bigint, k integer, precision_at_k double precision,
                   recall_at_k double precision, hit_rate double precision, map_at_k double precision,
                   ndcg_at_k double precision, coverage double precision)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    known constant text[] := ARRAY['customer', 'item', 'at', 'cutoff', 'k', 'half_life', 'similarity'];
    kk integer;
    half_life interval;
    sim jsonb;
BEGIN
    PERFORM @extschema@.check_source_options('recommend_evaluate', source, options, known, '{}');
    BEGIN
        kk := coalesce((options->>'k')::integer, 10);
        half_life := (options->>'half_life')::interval;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION 'option "k" of recommend_evaluate is an integer, "half_life" an interval' USING ERRCODE = '22023';
    END;
    IF kk < 1 THEN
        RAISE EXCEPTION 'option "k" of recommend_evaluate must be at least 1, not %', kk USING ERRCODE = '22023';
    END IF;
    sim := coalesce(options->'similarity', '{}');
    RETURN QUERY
    WITH s AS (SELECT * FROM @extschema@.time_split(source, options - 'k' - 'half_life' - 'similarity')),
    m AS (SELECT @extschema@.item_similarity(s.customer, t.item, sim) AS model,
                 pg_catalog.count(DISTINCT t.item) AS catalogue
          FROM s CROSS JOIN LATERAL pg_catalog.unnest(s.train) AS t(item)),
    e AS (SELECT s.test,
                 ARRAY(SELECT r.item FROM @extschema@.recommend(m.model, s.train,
                         CASE WHEN half_life IS NOT NULL THEN
                           ARRAY(SELECT @extschema@.recency_weight(a.at, (options->>'cutoff')::timestamptz, half_life)
                                 FROM pg_catalog.unnest(s.train_at) WITH ORDINALITY AS a(at, i) ORDER BY a.i) END,
                         kk) r ORDER BY r.rank) AS ours,
                 ARRAY(SELECT r.item FROM @extschema@.recommend(m.model, s.train, NULL, kk, '{"method": "popular"}') r
                       ORDER BY r.rank) AS popular
          FROM s CROSS JOIN m WHERE pg_catalog.cardinality(s.test) OPERATOR(pg_catalog.>) 0),
    x AS (SELECT 'item_similarity'::text AS rec, e.ours AS l, e.test FROM e
          UNION ALL SELECT 'popularity', e.popular, e.test FROM e)
    SELECT x.rec, pg_catalog.count(*), kk, pg_catalog.avg(mt.precision_at_k), pg_catalog.avg(mt.recall_at_k),
           pg_catalog.avg(mt.hit), pg_catalog.avg(mt.average_precision), pg_catalog.avg(mt.ndcg_at_k),
           (SELECT pg_catalog.count(DISTINCT i) FROM x AS x2 CROSS JOIN LATERAL pg_catalog.unnest(x2.l) AS u(i)
             WHERE x2.rec OPERATOR(pg_catalog.=) x.rec)::float8 OPERATOR(pg_catalog./) pg_catalog.max(m.catalogue)
    FROM x CROSS JOIN LATERAL @extschema@.ranking_metrics(x.l, x.test, kk) AS mt CROSS JOIN m
    GROUP BY x.rec ORDER BY x.rec;
END
$$;
COMMENT ON FUNCTION @extschema@.recommend_evaluate(regclass, jsonb) IS 'Offline evaluation on a time split: item_similarity fitted on the lines before cutoff, then recommend and the popularity baseline for every customer with new items after it, in one statement: precision@k, recall@k, hit rate, MAP@k, NDCG@k and catalogue coverage; options customer, item, at, cutoff, k, half_life, similarity';
