-- pg_portrait 0.3.0 -> 0.4.0
\echo Use "ALTER EXTENSION pg_portrait UPDATE TO '0.4.0'" to load this file. \quit

-- rfm_summary per customer stays one (serial) aggregate: merging per-customer
-- partial states in the leader redoes the per-customer work and measured
-- slower than the serial plan; few large groups still run in workers.
ALTER FUNCTION @extschema@.rfm_summary_combine(@extschema@.rfm_state, @extschema@.rfm_state) COST 100;
