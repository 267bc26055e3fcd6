# Sourced by the TAP scripts in test/: numbered test lines, and psql as they
# all call it.
n=0

# check NAME WANT GOT: "ok" when GOT equals WANT, else "not ok" with both shown.
check() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "#   got: $3"; echo "#  want: $2"; fi
}

# psql ARGS: the cluster's psql (PGBIN), bare values out, stopping at the
# first error; in the database PSQL_DB when that is set and ARGS name none.
psql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 ${PSQL_DB:+-d "$PSQL_DB"} "$@"; }
