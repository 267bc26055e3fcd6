# Sourced by the benchmarks in test/bench that need q (psql on $DB) defined.
# measure CMD: run CMD after a CHECKPOINT; prints "ms wal_bytes" (wall time and
# the pg_current_wal_insert_lsn difference).
measure() {
	q -c "CHECKPOINT" >/dev/null
	local lsn0 t0 t1 lsn1
	lsn0=$(q -c "SELECT pg_current_wal_insert_lsn()")
	t0=$(date +%s%N)
	q -c "$1" >/dev/null
	t1=$(date +%s%N)
	lsn1=$(q -c "SELECT pg_current_wal_insert_lsn()")
	echo "$(((t1 - t0) / 1000000)) $(q -c "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")"
}
