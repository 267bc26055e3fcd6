# Sourced by the TAP scripts in test/: numbered test lines.
n=0

# check NAME WANT GOT: "ok" when GOT equals WANT, else "not ok" with both shown.
check() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then echo "ok $n - $1"; else echo "not ok $n - $1"; echo "#   got: $3"; echo "#  want: $2"; fi
}
