-- ==================== tags: key dictionary ====================

CREATE TABLE @extschema@.key_dictionary_base (
    base text PRIMARY KEY,
    next_id bigint NOT NULL DEFAULT 0 CHECK (next_id BETWEEN 0 AND 4294967296)
);
COMMENT ON TABLE @extschema@.key_dictionary_base IS 'One row per customer base of the key dictionary: the next dense id to assign (ids are never reused)';
COMMENT ON COLUMN @extschema@.key_dictionary_base.base IS 'Name of the customer base';
COMMENT ON COLUMN @extschema@.key_dictionary_base.next_id IS 'The id the next new key of the base gets';

CREATE TABLE @extschema@.key_dictionary (
    base text NOT NULL REFERENCES @extschema@.key_dictionary_base (base),
    key text NOT NULL,
    id bigint NOT NULL CHECK (id BETWEEN 0 AND 4294967295),
    PRIMARY KEY (base, key),
    UNIQUE (base, id)
);
COMMENT ON TABLE @extschema@.key_dictionary IS 'Customer key to dense bitmap id, per customer base: assigned once by dictionary_assign, never changed or reused';
COMMENT ON COLUMN @extschema@.key_dictionary.base IS 'Name of the customer base';
COMMENT ON COLUMN @extschema@.key_dictionary.key IS 'Customer key in text form (bigint, text or uuid keys cast to text)';
COMMENT ON COLUMN @extschema@.key_dictionary.id IS 'Dense id of the key in the bitmaps of the base, 0 to 4294967295';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.key_dictionary_base', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.key_dictionary', '');

CREATE FUNCTION @extschema@.dictionary_assign(base text, keys text[]) RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    start bigint;
    added bigint;
BEGIN
    IF base IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'dictionary_assign: base must not be NULL';
    END IF;
    INSERT INTO @extschema@.key_dictionary_base AS b (base) VALUES (dictionary_assign.base)
        ON CONFLICT DO NOTHING;
    -- the row lock on the base serialises concurrent assigners of one base;
    -- each statement below then sees the keys the previous holder added
    SELECT b.next_id INTO start FROM @extschema@.key_dictionary_base b
        WHERE b.base = dictionary_assign.base FOR UPDATE;
    INSERT INTO @extschema@.key_dictionary (base, key, id)
    SELECT dictionary_assign.base, n.k, start + row_number() OVER (ORDER BY n.k COLLATE "C") - 1
    FROM (SELECT DISTINCT u.k FROM unnest(keys) AS u(k)
          WHERE u.k IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM @extschema@.key_dictionary d
                            WHERE d.base = dictionary_assign.base AND d.key = u.k)) n;
    GET DIAGNOSTICS added = ROW_COUNT;
    UPDATE @extschema@.key_dictionary_base b SET next_id = start + added
        WHERE b.base = dictionary_assign.base;
    RETURN added;
EXCEPTION WHEN check_violation THEN
    RAISE EXCEPTION USING ERRCODE = '22003',
        MESSAGE = format('dictionary_assign: customer base %s has no ids left', quote_literal(base)),
        DETAIL = 'A base holds at most 4294967296 keys (ids 0 to 4294967295).';
END $$;
COMMENT ON FUNCTION @extschema@.dictionary_assign(text, text[]) IS 'Give every new key of the array the next dense ids of the base (in key order), keep the ids of known keys; returns the number of new keys. Safe under concurrent calls';
