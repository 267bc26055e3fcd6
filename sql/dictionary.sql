-- the key dictionary: customer keys to dense bitmap ids, per customer base
SET search_path = portrait, public;

-- new keys get the next ids in key order; the count of new keys is returned
SELECT dictionary_assign('shop', ARRAY['c-30', 'c-10', 'c-20', 'c-10', NULL]);
SELECT key, id FROM key_dictionary WHERE base = 'shop' ORDER BY id;

-- known keys keep their ids; only the new one is added
SELECT dictionary_assign('shop', ARRAY['c-20', 'c-05']);
SELECT key, id FROM key_dictionary WHERE base = 'shop' ORDER BY id;

-- ids are never reused, even after keys are deleted
DELETE FROM key_dictionary WHERE base = 'shop' AND key = 'c-30';
SELECT dictionary_assign('shop', ARRAY['c-40']);
SELECT key, id FROM key_dictionary WHERE base = 'shop' ORDER BY id;

-- bases are independent; bigint and uuid keys in their text form
SELECT dictionary_assign('app', ARRAY[9007199254740993::bigint::text, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid::text]);
SELECT key, id FROM key_dictionary WHERE base = 'app' ORDER BY id;

-- bulk mapping both ways is a join: keys to a bitmap, a bitmap back to keys
CREATE TEMP TABLE picked (customer text);
INSERT INTO picked VALUES ('c-05'), ('c-40'), ('c-10');
SELECT bitmap_agg(d.id) FROM picked p JOIN key_dictionary d ON d.base = 'shop' AND d.key = p.customer;
SELECT d.key FROM bitmap_unnest('{0,4}') AS u(id) JOIN key_dictionary d ON d.base = 'shop' AND d.id = u.id ORDER BY d.key;

SELECT dictionary_assign(NULL, ARRAY['x']);
DELETE FROM key_dictionary; DELETE FROM key_dictionary_base;
