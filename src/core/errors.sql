
-- ==================== errors: raising a caught error again ====================

-- ---------- functions ----------

-- The plpgsql functions that run queries built around a caller's input catch
-- their errors and raise them again through this, so that the caller sees
-- the error's SQLSTATE, message, detail and hint without the internal query
-- in its context.  An empty detail or hint is left out, not shown empty.
CREATE FUNCTION @extschema@.raise_again(sqlstate text, message text, detail text DEFAULT '', hint text DEFAULT '')
    RETURNS void LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF coalesce(detail, '') = '' AND coalesce(hint, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message;
    ELSIF coalesce(hint, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail;
    ELSIF coalesce(detail, '') = '' THEN
        RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, HINT = hint;
    END IF;
    RAISE EXCEPTION USING ERRCODE = sqlstate, MESSAGE = message, DETAIL = detail, HINT = hint;
END
$$;
COMMENT ON FUNCTION @extschema@.raise_again(text, text, text, text) IS 'Raise an error caught by a pg_portrait function again, with its SQLSTATE, message, detail and hint and without the internal query in its context';
