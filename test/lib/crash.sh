# Sourced by the crash scripts in test/ (after tap.sh): a session of the script
# holds an advisory lock that a statement under test waits for in the middle of
# its work, the statement's backend is killed with kill -9, and the script waits
# for crash recovery.  The killed pid goes to $PORTRAIT_KILLED_PIDS (if set) so
# the runner does not count the intended kill as a crash.

# crash_hold DB KEY: hold advisory lock KEY in a session that stays open;
# crash_ready is "locked" once it is held.
crash_hold() {
	coproc crash_holder { "$PGBIN/psql" -X -q -At -d "$1"; }
	# bash forgets a coprocess's variables when it exits (the crash ends it): keep copies
	crash_holder_in=${crash_holder[1]} crash_holder_out=${crash_holder[0]} crash_holder_pid=$crash_holder_PID
	echo "SELECT 'locked' FROM (SELECT pg_advisory_lock($2)) l;" >&"$crash_holder_in"
	crash_ready=""
	read -r -t 30 crash_ready <&"$crash_holder_out" || true
}

# crash_kill DB APPNAME: kill -9 the backend of application APPNAME once it
# waits for an advisory lock; crash_pid is its pid (empty: it never waited).
crash_kill() {
	crash_pid=""
	for _ in $(seq 1 600); do
		crash_pid=$(psql -d "$1" -c "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		                             WHERE l.locktype = 'advisory' AND NOT l.granted AND a.application_name = '$2'")
		[ -n "$crash_pid" ] && break
		sleep 0.1
	done
	[ -n "${PORTRAIT_KILLED_PIDS:-}" ] && [ -n "$crash_pid" ] && echo "$crash_pid" >>"$PORTRAIT_KILLED_PIDS"
	[ -n "$crash_pid" ] && kill -9 "$crash_pid"
	return 0
}

# crash_recover DB: end the lock holder and wait until the server accepts
# connections again after crash recovery; crash_up is yes or no.
crash_recover() {
	exec {crash_holder_in}>&- 2>/dev/null || true
	wait "$crash_holder_pid" 2>/dev/null || true
	crash_up=no
	for _ in $(seq 1 300); do
		if psql -d "$1" -c "SELECT 1" >/dev/null 2>&1; then crash_up=yes; break; fi
		sleep 0.2
	done
}
