-- The corpus the model text fuzzer found (test/data/fuzz/corpus.csv, loaded by
-- test/fixtures/model_fuzz.sql): every rejected input fails with the SQLSTATE
-- recorded for it (22P02 for text input), every accepted one reads back to
-- the identical model, and every scoring call on an accepted model gives the
-- recorded outcome (a result, or a documented data error).
BEGIN;
SELECT plan((SELECT count(*)::int FROM test_fuzz.corpus)
            + (SELECT count(*)::int FROM test_fuzz.corpus WHERE stage = 'input' AND sqlstate = 'ok') + 3);

SELECT ok((SELECT count(*) FROM test_fuzz.corpus WHERE stage = 'input') > 50, 'the corpus holds the input classes');
SELECT is((SELECT count(*) FROM test_fuzz.corpus WHERE stage = 'input' AND sqlstate NOT IN ('ok', '22P02')), 0::bigint,
          'text input fails with 22P02 only');
SELECT is((SELECT count(DISTINCT c.kind) FROM test_fuzz.corpus f JOIN test_fuzz.calls c ON f.stage = c.kind || '.' || c.name),
          12::bigint, 'scoring calls of every model kind with a scoring function are covered');

-- text input
SELECT CASE WHEN sqlstate = 'ok'
            THEN lives_ok(format('SELECT %L::portrait.model', input), format('accepted: %s', left(input, 80)))
            ELSE throws_ok(format('SELECT %L::portrait.model', input), sqlstate, NULL,
                           format('%s: %s', sqlstate, message))
       END
FROM test_fuzz.corpus WHERE stage = 'input' ORDER BY sqlstate, message, input;

-- accepted models read back exactly: text, binary and jsonb forms
SELECT ok(m::text::portrait.model::text = m::text
          AND portrait.model_send(m::text::portrait.model) = portrait.model_send(m)
          AND m::jsonb = m::text::jsonb,
          format('round trip: %s', left(input, 80)))
FROM (SELECT input, input::portrait.model AS m FROM test_fuzz.corpus WHERE stage = 'input' AND sqlstate = 'ok') a
ORDER BY input;

-- scoring calls on accepted models
SELECT CASE WHEN f.sqlstate = 'ok'
            THEN lives_ok(q, format('%s works on %s', f.stage, left(f.input, 60)))
            ELSE throws_ok(q, f.sqlstate, NULL, format('%s: %s %s', f.stage, f.sqlstate, f.message))
       END
FROM test_fuzz.corpus f
JOIN test_fuzz.calls c ON f.stage = c.kind || '.' || c.name,
LATERAL (SELECT replace(c.sql, '$m', format('%L::portrait.model', (f.input::portrait.model)::text)) AS q) s
ORDER BY f.stage, f.sqlstate, f.message, f.input;

SELECT * FROM finish();
ROLLBACK;
