#!/usr/bin/env bash
# The Debian package: debian/ builds postgresql-15-portrait with
# dpkg-buildpackage in a copy of the tree, lintian finds nothing to warn
# about, the package holds the extension's files and the right dependencies,
# and CREATE EXTENSION works from the package's files alone.  That last part
# runs on a server of its own: a private copy of the PostgreSQL binaries with
# the package extracted over it, so neither the machine's PostgreSQL nor the
# cluster of the other tests sees the package.  Prints TAP lines; needs
# dpkg-dev, debhelper, postgresql-server-dev-all and lintian (test/portrait.sh
# installs them).
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGVER=15
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$ROOT/pg_portrait.control")
pkg=postgresql-$PGVER-portrait
debver=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)

tmp=$(mktemp -d /tmp/pg_portrait_deb.XXXXXX)
chmod 755 "$tmp"
cleanup() {
	if [ -f "$tmp/data/postmaster.pid" ]; then
		runas "$tmp/inst/usr/lib/postgresql/$PGVER/bin/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
runas() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

echo "1..13"

# the copy holds what a source package would: no objects of the work tree's build
mkdir "$tmp/src"
(cd "$ROOT" && tar cf - --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
	Makefile pg_portrait.control README.md CHANGELOG.md src update sql expected debian) | tar xf - -C "$tmp/src"
# The package's own regression run (dh_pgxs_test) starts a cluster on
# localhost:5432; make test runs those suites already, so it is skipped here.
if (cd "$tmp/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1); then
	check "dpkg-buildpackage -us -uc -b builds the package" 0 0
else
	check "dpkg-buildpackage -us -uc -b builds the package" 0 1
	tail -n 40 "$tmp/build.log" | sed 's/^/# /'
fi
deb="$tmp/${pkg}_${debver}_$(dpkg --print-architecture).deb"
check "the binary package is $pkg $debver" yes "$([ -f "$deb" ] && echo yes || echo no)"
[ -f "$deb" ] || exit 1

# control.in and control agree (pg_buildext checkcontrol is what dh runs in clean)
check "debian/control is debian/control.in for the versions of debian/pgversions" 0 \
	"$(cd "$tmp/src" && pg_buildext checkcontrol >/dev/null 2>&1; echo $?)"

lint=$(cd "$tmp" && lintian --fail-on error,warning ./*.changes 2>/dev/null) && rc=0 || rc=$?
check "lintian reports no error or warning" "0 " "$rc $(printf '%s' "$lint" | grep -E '^[EW]:' | head -n 5 | tr '\n' ' ')"

files=$(dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|')
ext=/usr/share/postgresql/$PGVER/extension
check "it holds the module, the control file and the install script of $version" "3" \
	"$(printf '%s\n' "$files" | grep -cxE "/usr/lib/postgresql/$PGVER/lib/pg_portrait\.so|$ext/pg_portrait\.control|$ext/pg_portrait--$version\.sql")"
check "it holds every released script and update script of update/" "" \
	"$(cd "$ROOT/update" && for f in *.sql; do printf '%s\n' "$files" | grep -qx "$ext/$f" || echo "$f"; done)"
# every path is one of these directories, in one, or a parent of one
allowed="/usr/lib/postgresql/$PGVER/lib/ $ext/ /usr/share/doc/$pkg/ /usr/share/lintian/overrides/"
check "nothing outside the server's directories, the doc directory and lintian's overrides" "" \
	"$(printf '%s\n' "$files" | awk -v allowed="$allowed" '
		BEGIN { n = split(allowed, a, " ") }
		{ p = $0; ok = 0
		  for (i = 1; i <= n; i++) if (index(p, a[i]) == 1 || (p ~ /\/$/ && index(a[i], p) == 1)) ok = 1
		  if (!ok) print p }')"

depends=$(dpkg-deb -f "$deb" Depends)
check "it depends on the PostgreSQL $PGVER server" yes "$(printf '%s' "$depends" | grep -qE "(^|, )postgresql-$PGVER( |,|$)" && echo yes || echo no)"
# the module calls LAPACK only (BLAS comes with it: liblapack3 depends on libblas3)
check "it depends on LAPACK through the module's shared libraries" yes \
	"$(printf '%s' "$depends" | grep -qE '(^|, )liblapack3' && echo yes || echo no)"
check "the module links LAPACK" yes \
	"$(dpkg-deb --fsys-tarfile "$deb" | tar xOf - ./usr/lib/postgresql/$PGVER/lib/pg_portrait.so >"$tmp/module.so" &&
		readelf -d "$tmp/module.so" | grep -q 'NEEDED.*liblapack\.so' && echo yes || echo no)"

# a private server with the package's files over a copy of the binaries
inst="$tmp/inst"
mkdir -p "$inst/usr/lib/postgresql" "$inst/usr/share/postgresql" "$tmp/pkgroot"
cp -a "/usr/lib/postgresql/$PGVER" "$inst/usr/lib/postgresql/"
cp -a "/usr/share/postgresql/$PGVER" "$inst/usr/share/postgresql/"
rm -rf "$inst/usr/lib/postgresql/$PGVER/lib/pg_portrait"* "$inst/usr/lib/postgresql/$PGVER/lib/bitcode/pg_portrait"* \
	"$inst$ext/pg_portrait"*
dpkg-deb -x "$deb" "$tmp/pkgroot"
cp -a "$tmp/pkgroot/usr/lib/postgresql/$PGVER/." "$inst/usr/lib/postgresql/$PGVER/"
cp -a "$tmp/pkgroot/usr/share/postgresql/$PGVER/." "$inst/usr/share/postgresql/$PGVER/"
bin="$inst/usr/lib/postgresql/$PGVER/bin"
mkdir -p "$tmp/data" "$tmp/sock"
[ "$(id -u)" = 0 ] && chown postgres: "$tmp/data" "$tmp/sock"
runas "$bin/initdb" -D "$tmp/data" -U postgres -E UTF8 --locale=C --auth=trust >"$tmp/initdb.log" 2>&1
cat >>"$tmp/data/postgresql.conf" <<-EOF
	listen_addresses = ''
	unix_socket_directories = '$tmp/sock'
	fsync = off
	shared_buffers = 32MB
EOF
runas "$bin/pg_ctl" -D "$tmp/data" -l "$tmp/data/server.log" -w start >/dev/null
pq() { "$bin/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$tmp/sock" -U postgres -d postgres "$@"; }

check "CREATE EXTENSION pg_portrait from the package's files gives $version" "$version" \
	"$(pq -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_portrait" \
		-c "SELECT extversion FROM pg_extension WHERE extname = 'pg_portrait'" 2>&1)"
# a fit that goes through LAPACK (the Hessian of the logistic regression)
check "a model fitted with the packaged module (LAPACK) has its coefficients" "logit|2" \
	"$(pq -c "SELECT portrait.model_kind(m), (SELECT count(*) FROM portrait.logit_coefficients(m))
	          FROM (SELECT portrait.logit_fit(g % 3 = 0, ARRAY[(g % 7)::float8]) m FROM generate_series(1, 200) g) s" 2>&1)"
check "the server is the private copy with the package's files" "$inst/usr/lib/postgresql/$PGVER/lib" \
	"$(pq -c "SELECT setting FROM pg_config WHERE name = 'PKGLIBDIR'")"
