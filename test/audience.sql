-- Audiences: random seeded expressions (nesting of AND / OR / NOT, IN lists,
-- keywords in any case, hostile tag names and values, AS OF an older
-- snapshot) give exactly the customers of the same condition in plain SQL on
-- the profile the tags were built from; saved audiences, diffs, overlaps and
-- profiles equal their recomputation; every error path has its SQLSTATE;
-- a low-privilege role reads nothing through an audience.
BEGIN;
SELECT plan(60);

SELECT setseed(0.22);
-- the profile of two snapshots: au_old (1 November) and au_new (8 November)
-- the tag library of this test only (rolled back at the end)
DELETE FROM portrait.audience;
DELETE FROM portrait.tag_numeric;
DELETE FROM portrait.tag_bitmap;
DELETE FROM portrait.tag_snapshot;
DELETE FROM portrait.tag;
CREATE TABLE au_old (cust text, seg text, tier text, vip boolean, "x""; DROP TABLE au_old; --" text,
                     risk numeric, clv numeric);
INSERT INTO au_old
SELECT 'c' || g, (ARRAY['Champions', 'Loyal', 'At Risk', 'Hibernating', NULL])[1 + (random() * 4.99)::int],
       (ARRAY['tier1', 'tier2', 'tier3', NULL])[1 + (random() * 3.99)::int],
       CASE WHEN random() < 0.1 THEN NULL ELSE random() < 0.3 END,
       (ARRAY['O''Brien', 'a;b', 'back\slash', '--c', '/*d*/', '"q"', NULL])[1 + (random() * 6.99)::int],
       CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 2 - 0.5)::numeric, 2) END,
       CASE WHEN random() < 0.2 THEN NULL ELSE round((random() * 3000)::numeric, 1) END
FROM generate_series(1, 3000) g;
CREATE TABLE au_new AS SELECT * FROM au_old WHERE random() < 0.9;
INSERT INTO au_new
SELECT 'n' || g, (ARRAY['Champions', 'Loyal', 'New', NULL])[1 + (random() * 3.99)::int], 'tier1',
       random() < 0.5, 'O''Brien', round(random()::numeric, 2), NULL
FROM generate_series(1, 400) g;
UPDATE au_new SET risk = risk + 0.25 WHERE random() < 0.3;
UPDATE au_new SET seg = 'Loyal' WHERE seg = 'Champions' AND random() < 0.3;
UPDATE au_new SET vip = NOT vip WHERE random() < 0.2;
INSERT INTO portrait.tag (name, value_type, source_column) VALUES
    ('seg', 'categorical', 'seg'), ('城市等级', 'categorical', 'tier'), ('vip', 'boolean', 'vip'),
    ('x"; DROP TABLE au_old; --', 'categorical', 'x"; DROP TABLE au_old; --');
INSERT INTO portrait.tag (name, value_type, source_column, scale) VALUES
    ('risk', 'numeric', 'risk', 2), ('clv', 'numeric', 'clv', 1);
SELECT portrait.build_tags('au', 'au_old', 'cust', '2026-11-01');
SELECT portrait.build_tags('au', 'au_new', 'cust', '2026-11-08');
-- build_tags built the numeric tags' indexes; they are built again here by
-- bsi_agg (clv through its float8 path)
INSERT INTO portrait.tag_numeric AS t (base, tag, snapshot, members)
SELECT 'au', v.tag, p.snapshot, CASE v.tag WHEN 'risk' THEN portrait.bsi_agg(d.id, p.risk, 2)
                                          ELSE portrait.bsi_agg(d.id, p.clv::float8, 1) END
FROM (SELECT date '2026-11-01', o.cust, o.risk, o.clv FROM au_old o
      UNION ALL SELECT date '2026-11-08', n.cust, n.risk, n.clv FROM au_new n) p(snapshot, cust, risk, clv)
JOIN portrait.key_dictionary d ON d.base = 'au' AND d.key = p.cust
CROSS JOIN (VALUES ('risk'), ('clv')) v(tag)
GROUP BY v.tag, p.snapshot
ON CONFLICT (base, tag, snapshot) DO UPDATE SET members = excluded.members;

-- a random expression and the same condition in SQL, with two-valued leaves
-- (an audience condition is false for a customer without a value, so NOT of
-- it is true: SQL's "IS NOT TRUE")
CREATE FUNCTION pg_temp.kw(word text) RETURNS text LANGUAGE sql AS $$
    SELECT CASE (random() * 2)::int WHEN 0 THEN upper(word) WHEN 1 THEN lower(word) ELSE initcap(word) END $$;
CREATE FUNCTION pg_temp.lit(v text) RETURNS text LANGUAGE sql AS $$ SELECT '''' || replace(v, '''', '''''') || '''' $$;
CREATE FUNCTION pg_temp.pick(a text[]) RETURNS text LANGUAGE sql AS $$ SELECT a[1 + floor(random() * array_length(a, 1))::int] $$;
CREATE FUNCTION pg_temp.leaf(OUT expr text, OUT pred text) LANGUAGE plpgsql AS $$
DECLARE
    tags text[] := ARRAY['seg', '城市等级', '"x""; DROP TABLE au_old; --"'];
    cols text[] := ARRAY['seg', 'tier', '"x""; DROP TABLE au_old; --"'];
    vals text[][] := ARRAY[ARRAY['Champions', 'Loyal', 'At Risk', 'Hibernating', 'New', 'Loyal'],
                           ARRAY['tier1', 'tier2', 'tier3', 'tier1', 'tier2', 'tier3'],
                           ARRAY['O''Brien', 'a;b', 'back\slash', '--c', '/*d*/', '"q"']];
    t int := 1 + floor(random() * 3)::int;
    r float8 := random();
    v text := vals[t][1 + floor(random() * 6)::int];
    w text := vals[t][1 + floor(random() * 6)::int];
    x numeric := round((random() * 2 - 0.5)::numeric, 1 + (random() * 2)::int);
    y numeric := round((random() * 3000)::numeric, (random() * 2)::int);
    z numeric := y + round((random() * 1500)::numeric, 1);
    op text;
BEGIN
    IF random() < 0.25 THEN
        -- a numeric tag: exact comparisons, with constants of more decimals than its scale too
        r := random();
        IF r < 0.4 THEN
            op := pg_temp.pick(ARRAY['=', '<>', '!=', '<', '<=', '>', '>=']);
            IF op = '=' THEN
                x := (SELECT risk FROM au_new WHERE risk IS NOT NULL ORDER BY cust OFFSET floor(random() * 100)::int LIMIT 1);
            END IF;
            expr := 'risk ' || op || ' ' || x;
            pred := format('coalesce(risk %s %s, false)', CASE op WHEN '!=' THEN '<>' ELSE op END, x);
        ELSIF r < 0.6 THEN
            expr := format('clv %s %s %s %s', pg_temp.kw('between'), y, pg_temp.kw('and'), z);
            pred := format('coalesce(clv BETWEEN %s AND %s, false)', y, z);
        ELSIF r < 0.7 THEN
            expr := format('clv NOT BETWEEN %s AND %s', y, z);
            pred := format('coalesce(clv NOT BETWEEN %s AND %s, false)', y, z);
        ELSIF r < 0.8 THEN
            expr := format('risk IN (%s, %s, 0.5)', round(x, 2), round(x + 0.01, 2));
            pred := format('coalesce(risk IN (%s, %s, 0.5), false)', round(x, 2), round(x + 0.01, 2));
        ELSIF r < 0.9 THEN
            expr := format('risk NOT IN (%s, 0.5)', round(x, 2));
            pred := format('coalesce(risk NOT IN (%s, 0.5), false)', round(x, 2));
        ELSE
            op := pg_temp.pick(ARRAY['risk', 'clv']);
            expr := format('has(%s)', op); pred := op || ' IS NOT NULL';
        END IF;
        RETURN;
    END IF;
    IF random() < 0.25 THEN
        r := random();
        IF r < 0.2 THEN expr := 'vip'; pred := 'coalesce(vip, false)';
        ELSIF r < 0.4 THEN expr := 'vip = ' || pg_temp.kw('true'); pred := 'coalesce(vip, false)';
        ELSIF r < 0.6 THEN expr := 'vip = ' || pg_temp.kw('false'); pred := 'NOT coalesce(vip, false)';
        ELSIF r < 0.8 THEN expr := 'vip <> true'; pred := 'NOT coalesce(vip, false)';
        ELSE expr := pg_temp.kw('has') || '(vip)'; pred := 'coalesce(vip, false)';
        END IF;
        RETURN;
    END IF;
    IF r < 0.3 THEN
        expr := tags[t] || ' = ' || pg_temp.lit(v); pred := format('coalesce(%s = %L, false)', cols[t], v);
    ELSIF r < 0.45 THEN
        expr := tags[t] || pg_temp.pick(ARRAY[' <> ', ' != ', '<>']) || pg_temp.lit(v);
        pred := format('coalesce(%s <> %L, false)', cols[t], v);
    ELSIF r < 0.7 THEN
        expr := format('%s %s (%s, %s)', tags[t], pg_temp.kw('in'), pg_temp.lit(v), pg_temp.lit(w));
        pred := format('coalesce(%s IN (%L, %L), false)', cols[t], v, w);
    ELSIF r < 0.85 THEN
        expr := format('%s %s %s (%s,%s)', tags[t], pg_temp.kw('not'), pg_temp.kw('in'), pg_temp.lit(v), pg_temp.lit(w));
        pred := format('coalesce(%s NOT IN (%L, %L), false)', cols[t], v, w);
    ELSE
        expr := format('%s( %s )', pg_temp.kw('has'), tags[t]); pred := format('%s IS NOT NULL', cols[t]);
    END IF;
END $$;
CREATE FUNCTION pg_temp.gen(depth int, OUT expr text, OUT pred text) LANGUAGE plpgsql AS $$
DECLARE
    a record;
    b record;
    r float8 := random();
    op text;
    paren boolean := random() < 0.6;
BEGIN
    IF depth <= 0 OR r < 0.3 THEN
        SELECT * INTO a FROM pg_temp.leaf();
        expr := a.expr; pred := '(' || a.pred || ')';
    ELSIF r < 0.45 THEN
        a := pg_temp.gen(depth - 1);
        expr := pg_temp.kw('not') || ' (' || a.expr || ')'; pred := 'NOT (' || a.pred || ')';
    ELSE
        a := pg_temp.gen(depth - 1);
        b := pg_temp.gen(depth - 1);
        op := CASE WHEN random() < 0.5 THEN 'and' ELSE 'or' END;
        -- without parentheses both sides read with the same precedence (NOT, AND, OR)
        IF paren THEN
            expr := '(' || a.expr || ') ' || pg_temp.kw(op) || ' (' || b.expr || ')';
            pred := '(' || a.pred || ') ' || op || ' (' || b.pred || ')';
        ELSE
            expr := a.expr || E'\n ' || pg_temp.kw(op) || '  ' || b.expr;
            pred := a.pred || ' ' || op || ' ' || b.pred;
        END IF;
    END IF;
END $$;
CREATE FUNCTION pg_temp.sql_members(tbl text, pred text) RETURNS portrait.bitmap LANGUAGE plpgsql AS $$
DECLARE
    m portrait.bitmap;
BEGIN
    EXECUTE format('SELECT coalesce(portrait.bitmap_agg(d.id), ''{}'') FROM %I p
                    JOIN portrait.key_dictionary d ON d.base = ''au'' AND d.key = p.cust WHERE %s', tbl, pred) INTO m;
    RETURN m;
END $$;

CREATE TEMP TABLE au_cases AS
SELECT i, g.expr, g.pred, i % 4 = 0 AS old
FROM generate_series(1, 400) i, LATERAL pg_temp.gen(1 + i % 5) g;
CREATE TEMP TABLE au_results AS
SELECT i, expr, old,
       portrait.audience('au', expr || CASE WHEN old THEN pg_temp.kw(' as of ') || '''2026-11-01''' ELSE '' END) AS got,
       pg_temp.sql_members(CASE WHEN old THEN 'au_old' ELSE 'au_new' END, pred) AS want
FROM au_cases;

SELECT is((SELECT count(*) FROM au_results WHERE NOT got OPERATOR(portrait.=) want), 0::bigint,
          '400 random expressions: every audience holds exactly the customers of the plain-SQL condition');
SELECT is((SELECT count(*) FROM au_results WHERE portrait.audience_count('au', expr || CASE WHEN old THEN ' AS OF ''2026-11-01''' ELSE '' END)
                                              <> portrait.bitmap_cardinality(want)), 0::bigint,
          'and every audience_count is the plain-SQL count');
SELECT cmp_ok((SELECT count(*) FROM au_results WHERE old), '>=', 90::bigint, 'a quarter of them AS OF the older snapshot');
SELECT cmp_ok((SELECT count(DISTINCT portrait.bitmap_cardinality(want)) FROM au_results), '>=', 100::bigint,
          'the expressions select many different audiences');
SELECT cmp_ok((SELECT max(length(expr)) FROM au_results), '>', 300, 'some are long and deeply nested');
SELECT is((SELECT count(*) FROM portrait.tag), 6::bigint, 'hostile tag names and values ran nothing');

-- precedence: NOT binds tighter than AND, AND than OR
SELECT is(portrait.audience_count('au', $$vip OR seg = 'Loyal' AND NOT has(城市等级)$$),
          portrait.bitmap_cardinality(pg_temp.sql_members('au_new', 'coalesce(vip, false) OR (coalesce(seg = ''Loyal'', false) AND tier IS NULL)')),
          'NOT, then AND, then OR');
-- the snapshot argument, and the latest snapshot by default
SELECT is(portrait.audience_count('au', 'vip', '2026-11-01'), (SELECT count(*) FROM au_old WHERE vip), 'the snapshot argument');
SELECT is(portrait.audience_count('au', 'vip'), (SELECT count(*) FROM au_new WHERE vip), 'without one, the latest snapshot');
SELECT is(portrait.audience_count('au', $$seg = 'New' AS OF '2026-11-01'$$), 0::bigint,
          'a value another snapshot has selects no one in a snapshot without it');
SELECT is(portrait.audience_count('au', 'NOT has(seg)'), (SELECT count(*) FROM au_new WHERE seg IS NULL),
          'NOT is the rest of the snapshot population');

-- members: the keys, for COPY
SELECT set_eq($$SELECT portrait.audience_members('au', 'vip AND 城市等级 = ''tier1''')$$,
              $$SELECT cust FROM au_new WHERE vip AND tier = 'tier1'$$, 'audience_members are the customer keys');
SELECT is((SELECT array_agg(m) FROM portrait.audience_members('au', 'vip') m),
          (SELECT array_agg(d.key ORDER BY d.id) FROM au_new p JOIN portrait.key_dictionary d ON d.base = 'au' AND d.key = p.cust WHERE vip),
          'in id order');

-- overlap: Venn regions
CREATE TEMP TABLE au_venn AS SELECT * FROM portrait.audience_overlap('au', ARRAY['vip', $$seg IN ('Champions', 'Loyal')$$, $$城市等级 = 'tier1'$$]);
SELECT is((SELECT sum(customers) FROM au_venn)::bigint,
          portrait.audience_count('au', $$vip OR seg IN ('Champions', 'Loyal') OR 城市等级 = 'tier1'$$),
          'the regions partition the union');
SELECT is((SELECT customers FROM au_venn WHERE audiences = '{1,3}'),
          portrait.audience_count('au', $$vip AND NOT seg IN ('Champions', 'Loyal') AND 城市等级 = 'tier1'$$),
          'a region holds the customers of exactly its audiences');
SELECT is((SELECT customers FROM au_venn WHERE member_of = '{t,t,t}'),
          (SELECT count(*) FROM au_new WHERE vip AND seg IN ('Champions', 'Loyal') AND tier = 'tier1'),
          'member_of flags the same audiences');
SELECT is((SELECT count(*) FROM au_venn), 7::bigint, 'three overlapping audiences: seven regions');

-- saved audiences and their change between snapshots, against the old profile
SELECT is(portrait.audience_save('loyal vips', 'au', $$seg = 'Loyal' AND vip$$, description => 'for the November push'),
          (SELECT count(*) FROM au_new WHERE seg = 'Loyal' AND vip), 'audience_save returns the count');
SELECT is((SELECT (expression, created_by) FROM portrait.audience WHERE name = 'loyal vips'),
          ($$seg = 'Loyal' AND vip$$::text, current_user::name), 'the saved audience');
CREATE TEMP TABLE au_diff AS SELECT * FROM portrait.audience_diff('loyal vips', '2026-11-01', '2026-11-08');
SELECT is((SELECT array_agg(change || ':' || customers ORDER BY change) FROM au_diff),
          (SELECT array_agg(c ORDER BY c) FROM (
             SELECT 'entered:' || count(*) FILTER (WHERE n.cust IS NOT NULL AND o.cust IS NULL) AS c1,
                    'left:' || count(*) FILTER (WHERE o.cust IS NOT NULL AND n.cust IS NULL) AS c2,
                    'stayed:' || count(*) FILTER (WHERE o.cust IS NOT NULL AND n.cust IS NOT NULL) AS c3
             FROM (SELECT cust FROM au_old WHERE seg = 'Loyal' AND vip) o
             FULL JOIN (SELECT cust FROM au_new WHERE seg = 'Loyal' AND vip) n USING (cust)) s,
             LATERAL unnest(ARRAY[c1, c2, c3]) c),
          'entered, left and stayed counts equal the recomputation from the two profiles');
SELECT set_eq($$SELECT key FROM portrait.audience_diff_members('loyal vips', '2026-11-01', '2026-11-08') WHERE change = 'left'$$,
              $$SELECT cust FROM au_old WHERE seg = 'Loyal' AND vip EXCEPT SELECT cust FROM au_new WHERE seg = 'Loyal' AND vip$$,
              'the keys who left');
SELECT set_eq($$SELECT key FROM portrait.audience_diff_members('au', 'vip', '2026-11-01', '2026-11-08') WHERE change = 'entered'$$,
              $$SELECT cust FROM au_new WHERE vip EXCEPT SELECT cust FROM au_old WHERE vip$$,
              'the keys who entered an expression');
SELECT is(portrait.audience_save('loyal vips', 'au', 'vip', '2026-11-01'), (SELECT count(*) FROM au_old WHERE vip),
          'saving again replaces it, fixed to a snapshot');
SELECT is((SELECT portrait.audience_count(base, expression, snapshot) FROM portrait.audience WHERE name = 'loyal vips'),
          (SELECT count(*) FROM au_old WHERE vip), 'a saved audience is counted at its snapshot');

-- the profile: the statistics of tgi_table, from bitmaps only
CREATE TEMP TABLE au_tgi AS
SELECT t.* FROM (SELECT portrait.tgi(coalesce(vip, false), jsonb_build_object('seg', seg, '城市等级', tier)) AS pr FROM au_new) s,
     portrait.tgi_table(pr) t WHERE t.value IS NOT NULL;
CREATE TEMP TABLE au_prof AS SELECT * FROM portrait.audience_profile('au', 'vip');
SELECT is((SELECT count(*) FROM au_prof p JOIN au_tgi t ON t.attribute = p.tag AND t.value = p.value
           WHERE p.audience_count = t.group_count AND p.population_count = t.population_count
             AND abs(p.tgi - t.tgi) < 1e-9 * t.tgi AND abs(p.z - t.z) < 1e-9 * abs(t.z)
             AND abs(p.tgi_low - t.tgi_low) < 1e-9 * t.tgi AND abs(p.effect_size - t.effect_size) < 1e-9 * abs(t.effect_size)),
          (SELECT count(*) FROM au_tgi), 'audience_profile has the counts, TGI, interval, z and effect of tgi_table');
SELECT is((SELECT (audience_share, population_count) FROM au_prof WHERE tag = 'vip' AND value = 'true'),
          (1.0::float8, (SELECT count(*) FROM au_new WHERE vip)), 'the boolean tag is profiled too');
SELECT is((SELECT count(DISTINCT tag) FROM au_prof), 6::bigint, 'every tag of the snapshot');
SELECT is((SELECT array_agg(tag || ':' || audience_count || ':' || population_count || ':' || round(audience_mean::numeric, 9)
                            || ':' || round(population_mean::numeric, 9) ORDER BY tag)
           FROM au_prof WHERE value IS NULL),
          (SELECT array_agg(t ORDER BY t) FROM (
             SELECT 'clv:' || count(clv) FILTER (WHERE vip) || ':' || count(clv) || ':' || round(avg(clv) FILTER (WHERE vip), 9)
                    || ':' || round(avg(clv), 9) FROM au_new
             UNION ALL
             SELECT 'risk:' || count(risk) FILTER (WHERE vip) || ':' || count(risk) || ':' || round(avg(risk) FILTER (WHERE vip), 9)
                    || ':' || round(avg(risk), 9) FROM au_new) s(t)),
          'numeric tags: how many have a value and the means, in the audience and in the population');

-- errors
SELECT throws_like($$SELECT portrait.audience_count('au', 'seg = ''Loyal'' AND (vip')$$,
                   'syntax error in audience expression at character 23%', 'a syntax error says where');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg = ''Loyal'' AND (vip')$$, '22P02', NULL, 'a syntax error is 22P02');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg = ''Loyal')$$, '22P02', NULL, 'an unterminated string is 22P02');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'vip)')$$, '22P02', NULL, 'an unbalanced ) is 22P02');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'and = ''x''')$$, '22P02', NULL, 'a keyword as a tag name needs quotes');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg = ''x'' AS OF 2026')$$, '22P02', NULL, 'AS OF needs a date literal');
SELECT throws_ok($$SELECT portrait.audience_count('au', repeat('(', 10000) || 'vip' || repeat(')', 10000))$$, '54001', NULL,
                 '10 000 nested parentheses are 54001, not a stack overflow');
SELECT throws_ok($$SELECT portrait.audience_count('au', repeat('NOT ', 10000) || 'vip')$$, '54001', NULL, 'and so are 10 000 NOTs');
SELECT is(portrait.audience_count('au', 'vip' || repeat(' OR vip', 10000)), (SELECT count(*) FROM au_new WHERE vip),
          'a long flat OR list is not nesting');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'sge = ''Loyal''')$$, '22023', 'unknown tag "sge" in audience expression at character 1',
                 'an unknown tag is 22023 naming it');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg = ''Loyl''')$$, '22023', 'tag "seg" has no value ''Loyl'' (audience expression at character 7)',
                 'an unknown value is 22023 naming it');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg >= ''Loyal''')$$, '42804', NULL, 'an order on a categorical tag is 42804');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg')$$, '42804', NULL, 'a categorical tag alone is 42804');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'vip = ''yes''')$$, '42804', NULL, 'a boolean tag against a string is 42804');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'risk >= ''0.7''')$$, '42804', NULL, 'a numeric tag against a string is 42804');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg BETWEEN 1 AND 2')$$, '42804', NULL, 'BETWEEN on a categorical tag is 42804');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'risk >= 1e5')$$, '22P02', NULL, 'numbers are decimal constants');
SELECT throws_ok($$SELECT portrait.audience_count('au', '  ')$$, '22023', 'audience expression is empty', 'an empty expression is 22023');
SELECT throws_ok($$SELECT portrait.audience_count('au', NULL)$$, '22004', NULL, 'a NULL expression is 22004');
SELECT throws_ok($$SELECT portrait.audience_overlap('au', ARRAY['vip', NULL])$$, '22004', NULL, 'a NULL in the overlap list is 22004');
SELECT throws_ok($$SELECT portrait.audience_count('nobase', 'vip')$$, '22023', NULL, 'a base without snapshots is 22023');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'vip AS OF ''2026-10-01''')$$, '22023', NULL, 'a snapshot that was not built is 22023');
SELECT throws_ok($$SELECT portrait.audience_save('x', 'au', 'vip AS OF ''2026-11-01''')$$, '22023', NULL,
                 'a saved expression has no AS OF');
SELECT throws_ok($$SELECT portrait.audience_save('x', 'au', 'nope')$$, '22023', NULL, 'an expression is checked when it is saved');
SELECT throws_ok($$SELECT * FROM portrait.audience_diff('nope', '2026-11-01', '2026-11-08')$$, '22023', 'saved audience ''nope'' does not exist',
                 'an unknown saved audience is 22023');
SELECT throws_ok($$SELECT * FROM portrait.audience_diff('au', 'vip', NULL, '2026-11-08')$$, '22004', NULL, 'a diff needs both snapshots');
SELECT throws_ok($$SELECT portrait.audience_count('au', 'vip AS OF ''2026-11-01''', '2026-11-08')$$, '22023', NULL,
                 'AS OF against a different snapshot argument is 22023');

-- a low-privilege role: no tag data through an audience; the members need the dictionary too
CREATE ROLE au_low NOLOGIN;
CREATE ROLE au_reader NOLOGIN;
GRANT USAGE ON SCHEMA portrait TO au_low, au_reader;
GRANT SELECT ON portrait.tag, portrait.tag_bitmap, portrait.tag_snapshot TO au_reader;
SET LOCAL ROLE au_low;
SELECT throws_ok($$SELECT portrait.audience_count('au', 'vip')$$, '42501', NULL, 'a role without SELECT on the tag tables gets 42501');
SET LOCAL ROLE au_reader;
SELECT throws_ok($$SELECT portrait.audience_members('au', 'vip')$$, '42501', NULL,
                 'one that may read the tags but not the dictionary counts but gets no member keys');
RESET ROLE;
-- row-level security of the tag tables applies to audiences as to SQL
ALTER TABLE portrait.tag_bitmap ENABLE ROW LEVEL SECURITY;
CREATE POLICY au_no_vip ON portrait.tag_bitmap FOR SELECT TO au_reader USING (tag <> 'vip');
SELECT count(*) AS au_loyal FROM au_new WHERE seg = 'Loyal' \gset
SET LOCAL ROLE au_reader;
SELECT is(portrait.audience_count('au', 'vip OR seg = ''Loyal'''), :au_loyal::bigint,
          'a role whose policy hides a tag''s bitmaps selects no one by it');
RESET ROLE;
-- a value that looks like SQL is a value
SELECT throws_ok($$SELECT portrait.audience_count('au', 'seg = ''x'''' OR 1=1; --''')$$, '22023',
                 'tag "seg" has no value ''x'''' OR 1=1; --'' (audience expression at character 7)',
                 'an injected value is only a value that does not exist');
SELECT is(portrait.audience_count('au', $$"x""; DROP TABLE au_old; --" = 'O''Brien' AND "x""; DROP TABLE au_old; --" <> '/*d*/'$$),
          (SELECT count(*) FROM au_new WHERE "x""; DROP TABLE au_old; --" = 'O''Brien'), 'quotes and comment markers in names and values are data');

SELECT * FROM finish();
ROLLBACK;
