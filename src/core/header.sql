-- pg_portrait: customer profiling in SQL.
-- Assembled from src/*.sql by the Makefile; edit those files, not the result.

\echo Use "CREATE EXTENSION pg_portrait" to load this file. \quit

-- Every role may use the extension: functions run with the caller's rights
-- (SECURITY INVOKER), so this grants nothing the caller could not do already.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;
