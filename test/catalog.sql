-- Catalog properties of the extension as installed.
BEGIN;
SELECT plan(5);

SELECT is(
    (SELECT count(*)::int FROM pg_depend d
      WHERE d.refclassid = 'pg_extension'::regclass
        AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_portrait')
        AND d.deptype = 'e'
        AND NOT EXISTS (SELECT 1 FROM pg_description c
                         WHERE c.classoid = d.classid AND c.objoid = d.objid AND c.objsubid = 0)),
    0, 'every member of the extension has a COMMENT');

SELECT is_empty($$
    SELECT pg_describe_object(d.classid, d.objid, 0) FROM pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass
       AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_portrait')
       AND d.deptype = 'e'
       AND NOT EXISTS (SELECT 1 FROM pg_description c
                        WHERE c.classoid = d.classid AND c.objoid = d.objid AND c.objsubid = 0)$$,
    'no member lacks a comment (names listed on failure)');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_portrait')
       AND p.prokind = 'a' AND p.proparallel <> 's'$$,
    'every aggregate is PARALLEL SAFE');

SELECT is_empty($$
    SELECT a.aggfnoid::regprocedure::text FROM pg_aggregate a
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = a.aggfnoid AND d.deptype = 'e'
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_portrait')
       AND (a.aggcombinefn = 0 OR a.aggtranstype = 'internal'::regtype)$$,
    'every aggregate has a combine function and a state type with text I/O');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
     WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_portrait')
       AND (p.prosecdef OR (p.prolang IN (SELECT oid FROM pg_language WHERE lanname IN ('sql', 'plpgsql'))
                            AND NOT coalesce(p.proconfig::text[] && ARRAY['search_path=pg_catalog, pg_temp'], false)))$$,
    'functions are SECURITY INVOKER and SQL/plpgsql bodies pin search_path');

SELECT * FROM finish();
ROLLBACK;
