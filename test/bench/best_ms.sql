-- Read by the SQL benchmarks in test/bench (psql -f best_ms.sql -f -).
--
-- best_ms(qs, runs[, into_tables]): the best wall time of each query over runs
-- rounds, the queries run in turn in every round, so that load from outside
-- hits them alike.  A query returns one number (a row count, which comes back
-- as result_rows) unless into_tables names a temporary table for it, which then
-- keeps its answer for a comparison after the timing.
CREATE FUNCTION pg_temp.best_ms(qs text[], runs int, into_tables text[] DEFAULT NULL)
RETURNS TABLE (i int, ms float8, result_rows bigint) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8[]; n bigint[];
BEGIN
    best := array_fill('Infinity'::float8, ARRAY[cardinality(qs)]);
    n := array_fill(0::bigint, ARRAY[cardinality(qs)]);
    FOR r IN 1..runs LOOP
        FOR k IN 1..cardinality(qs) LOOP
            IF into_tables IS NULL THEN
                t0 := clock_timestamp();
                EXECUTE qs[k] INTO result_rows;
            ELSE
                EXECUTE format('DROP TABLE IF EXISTS %I', into_tables[k]);
                t0 := clock_timestamp();
                EXECUTE format('CREATE TEMP TABLE %I AS %s', into_tables[k], qs[k]);
                GET DIAGNOSTICS result_rows = ROW_COUNT;
            END IF;
            best[k] := least(best[k], extract(epoch FROM clock_timestamp() - t0) * 1000);
            n[k] := result_rows;
        END LOOP;
    END LOOP;
    FOR k IN 1..cardinality(qs) LOOP
        i := k; ms := best[k]; result_rows := n[k];
        RETURN NEXT;
    END LOOP;
END $$;
