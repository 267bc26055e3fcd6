-- pg_portrait: customer profiling in SQL.
-- Assembled from src/*.sql by the Makefile; edit those files, not the result.

\echo Use "CREATE EXTENSION pg_portrait" to load this file. \quit

-- The schema is created for the extension unless it exists.  An existing one
-- must belong to the installing role and be empty: a schema another role owns
-- could hold objects (a function shadowing an internal call, say) that the
-- extension would later run with its callers' rights.
DO $$
DECLARE
    owner oid;
    objects bigint;
BEGIN
    SELECT n.nspowner INTO owner FROM pg_catalog.pg_namespace n WHERE n.oid = '@extschema@'::pg_catalog.regnamespace;
    IF owner OPERATOR(pg_catalog.<>) (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER) THEN
        RAISE EXCEPTION 'schema @extschema@ is owned by role %, not by the role installing pg_portrait',
                        pg_catalog.pg_get_userbyid(owner)
            USING ERRCODE = '42501',
                  DETAIL = 'pg_portrait installs into a schema of its own and runs no code of other roles from it.',
                  HINT = 'Drop the schema or give it to the installing role (after checking what it holds), then install again.';
    END IF;
    SELECT (SELECT pg_catalog.count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace)
         OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace)
         OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace)
         OPERATOR(pg_catalog.+) (SELECT pg_catalog.count(*) FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) '@extschema@'::pg_catalog.regnamespace)
      INTO objects;
    IF objects OPERATOR(pg_catalog.>) 0 THEN
        RAISE EXCEPTION 'schema @extschema@ already holds % objects', objects
            USING ERRCODE = '42P06',
                  DETAIL = 'pg_portrait installs into an empty schema of its own.',
                  HINT = 'Move the objects out of the schema or drop it, then install again.';
    END IF;
END
$$;

-- Every role may use the extension: functions run with the caller's rights
-- (SECURITY INVOKER), so this grants nothing the caller could not do already.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
