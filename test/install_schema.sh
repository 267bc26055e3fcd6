#!/usr/bin/env bash
# CREATE EXTENSION into a schema that already exists: refused unless the
# installing role owns it and it is empty, so that no object another role
# placed there (a function shadowing an internal call) becomes part of what
# the extension runs.  Needs PGHOST/PGPORT/PGUSER of a running cluster (a
# superuser) and PGBIN.  Prints TAP lines.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"
psql() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
# the first line of an error, or "ok"
try() { local out; if out=$(psql "$@" 2>&1); then echo ok; else printf '%s\n' "$out" | grep -m1 -E 'ERROR' | sed 's/^.*ERROR: *//'; fi; }

echo "1..5"
psql -d postgres -c "DROP DATABASE IF EXISTS install_schema" -c "CREATE DATABASE install_schema" \
	-c "DROP ROLE IF EXISTS portrait_planter" -c "CREATE ROLE portrait_planter LOGIN"
psql -d postgres -c "GRANT CREATE ON DATABASE install_schema TO portrait_planter"

# a role with CREATE on the database prepares the schema and a shadowing function
psql -d install_schema -U portrait_planter <<'SQL'
CREATE SCHEMA portrait;
CREATE FUNCTION portrait.p_alive(numeric, numeric, numeric, anyelement) RETURNS float8 LANGUAGE sql AS 'SELECT 1.0';
SQL
check "a schema owned by another role is refused" \
	"schema portrait is owned by role portrait_planter, not by the role installing pg_portrait" \
	"$(try -d install_schema -c "CREATE EXTENSION pg_portrait")"
check "and nothing was installed" "0" \
	"$(psql -d install_schema -c "SELECT count(*) FROM pg_extension WHERE extname = 'pg_portrait'")"

# the installer's own schema, but not empty
psql -d install_schema -c "DROP SCHEMA portrait CASCADE" -c "CREATE SCHEMA portrait" \
	-c "CREATE FUNCTION portrait.leftover() RETURNS int LANGUAGE sql AS 'SELECT 1'"
check "the installer's own schema holding objects is refused" "schema portrait already holds 1 objects" \
	"$(try -d install_schema -c "CREATE EXTENSION pg_portrait")"

# an empty schema of the installer's, and no schema at all
psql -d install_schema -c "DROP FUNCTION portrait.leftover()"
check "an empty schema of the installing role is used" "ok" "$(try -d install_schema -c "CREATE EXTENSION pg_portrait")"
psql -d install_schema -c "DROP EXTENSION pg_portrait" -c "DROP SCHEMA portrait"
check "without a schema, the extension makes its own" "ok" "$(try -d install_schema -c "CREATE EXTENSION pg_portrait")"

psql -d postgres -c "DROP DATABASE install_schema" -c "DROP ROLE portrait_planter"
