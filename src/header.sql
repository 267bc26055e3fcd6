-- pg_portrait: customer profiling in SQL.
-- Assembled from src/*.sql by the Makefile; edit those files, not the result.

\echo Use "CREATE EXTENSION pg_portrait" to load this file. \quit
