#!/usr/bin/env bash
# ALTER EXTENSION pg_portrait UPDATE from every released version gives the
# catalog of a fresh install, and keeps the data made with the old version:
# scores and stored models, profile runs, and a segment rule the user edited;
# the built-in rules the user left alone become the current ones (0.5.0 reads
# the standard map's bounds inclusively).
# The catalog is compared through pg_dump --binary-upgrade, which writes every
# member object of the extension (functions, types, operators, casts,
# aggregates, tables, policies, comments, initial privileges); object ids,
# transaction ids and sequence positions are masked.  Prints TAP lines; needs PGHOST/PGPORT/PGUSER of
# a running cluster and PGBIN.
set -euo pipefail
. "$(dirname "$0")/lib/tap.sh"
export PGOPTIONS="-c client_min_messages=warning"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

catalog() {
	"$PGBIN/pg_dump" --binary-upgrade --schema-only -d "$1" |
		sed -E -e '/^\\(un)?restrict /d' -e '/binary_upgrade_set_next_/d' \
			-e "s/'\{[0-9,]+\}'/'{oids}'/" -e "s/relfrozenxid = '[0-9]+'/relfrozenxid = 'xid'/" \
			-e "s/oid = '[0-9]+'/oid = 'oid'/" -e '/pg_catalog\.setval\(/d'
}

current=$(psql -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'pg_portrait'")
mapfile -t olds < <(psql -d postgres -c "SELECT version FROM pg_available_extension_versions
                                         WHERE name = 'pg_portrait' AND version <> '$current' ORDER BY version")
echo "1..$((2 + 12 * ${#olds[@]}))"

psql -d postgres -c "DROP DATABASE IF EXISTS upgrade_fresh" -c "CREATE DATABASE upgrade_fresh"
psql -d upgrade_fresh -c "CREATE EXTENSION pg_portrait"
catalog upgrade_fresh >"$tmp/fresh.sql"
newest=$(psql -d postgres -c "SELECT version FROM pg_available_extension_versions WHERE name = 'pg_portrait'
                               ORDER BY string_to_array(version, '.')::int[] DESC LIMIT 1")
check "a fresh install is the newest version there is a script for" "$newest" "$(psql -d upgrade_fresh -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_portrait'")"

for old in "${olds[@]}"; do
	psql -d postgres -c "DROP DATABASE IF EXISTS upgrade_old" -c "CREATE DATABASE upgrade_old"
	psql -d upgrade_old <<-SQL
		CREATE EXTENSION pg_portrait VERSION '$old';
		UPDATE portrait.rfm_segment_rule SET segment = 'VIP' WHERE map = 'standard' AND priority = 1;
		CREATE TABLE summary AS
		SELECT g AS customer_id, (g * 37) % 400 AS recency, 1 + (g * 13) % 9 AS frequency, ((g * 7919) % 1000) / 3.0 AS monetary
		FROM generate_series(1, 500) g;
		CREATE TABLE models AS SELECT portrait.rfm_breaks(recency, frequency, monetary) AS model FROM summary;
		CREATE TABLE profile (customer_id int PRIMARY KEY, recency int);
		CALL portrait.refresh_profile('public.profile', 'SELECT customer_id, recency FROM public.summary');
		CREATE TABLE states AS
		SELECT g % 7 AS customer_id, portrait.rfm_summary_trans(NULL, date '2024-01-01' + g, (g * 3.07)::numeric(12,2), date '2024-12-31') AS st
		FROM generate_series(1, 70) g;
	SQL
	state_sql="SELECT md5(string_agg(format('%s %s', customer_id, portrait.rfm_summary_final(st)), ',' ORDER BY customer_id, st::text))
	           FROM states"
	states_before=$(psql -d upgrade_old -c "$state_sql")
	score_sql="SELECT md5(string_agg(format('%s %s', customer_id, (s).code), ',' ORDER BY customer_id))
	           FROM (SELECT customer_id, portrait.rfm_score(recency, frequency, monetary, m.model) s FROM summary, models m) x"
	rule_sql="SELECT string_agg(concat_ws(' ', priority, segment, r_low, r_high, fm_low, fm_high, builtin, inclusive), ', ' ORDER BY priority)
	          FROM portrait.rfm_segment_rule WHERE map = 'standard'"
	before=$(psql -d upgrade_old -c "$score_sql")
	psql -d upgrade_old -c "ALTER EXTENSION pg_portrait UPDATE"
	check "$old updates to $current" "$current" "$(psql -d upgrade_old -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_portrait'")"
	check "scores and stored models are unchanged by the update from $old" "$before" "$(psql -d upgrade_old -c "$score_sql")"
	check "aggregate states stored with $old give the same summaries after the update" "$states_before" "$(psql -d upgrade_old -c "$state_sql")"
	# the standard map: the rule the user edited stays as it was (half-open
	# bounds, a user rule); the rules still as installed take the inclusive reading
	check "the edited standard rule is kept by the update from $old" "1 VIP 4 5 4 5 f f" \
		"$(psql -d upgrade_old -c "$rule_sql AND priority = 1")"
	check "the unedited standard rules are replaced by the inclusive ones by the update from $old" \
		"$(psql -d upgrade_fresh -c "$rule_sql AND priority > 1")" "$(psql -d upgrade_old -c "$rule_sql AND priority > 1")"
	check "segments after the update from $old: the edited rule half-open, the others inclusive" "VIP|Loyal Customers|Need Attention|Hibernating" \
		"$(psql -d upgrade_old -c "SELECT concat_ws('|', portrait.rfm_segment(5, 5, 5), portrait.rfm_segment(4, 4, 4),
		                                              portrait.rfm_segment(2, 1, 3), portrait.rfm_segment(1, 1, 1))")"
	check "profile runs made with $old are kept" "1 500" "$(psql -d upgrade_old -c "SELECT count(*) || ' ' || sum(inserted) FROM portrait.profile_run")"
	check "runs and history made with $old belong to their table (by OID) after the update" "1 500" \
		"$(psql -d upgrade_old -c "SELECT (SELECT count(*) FROM portrait.profile_run WHERE target_table = 'public.profile'::regclass) || ' ' ||
		                                  (SELECT count(*) FROM portrait.profile_history WHERE target_table = 'public.profile'::regclass)")"
	# the key dictionary after the update: dumped as configuration like a fresh
	# install's, its ids kept by a refresh and new keys numbered on, none reused
	config_sql="SELECT string_agg(c::regclass::text, ',' ORDER BY c::regclass::text)
	            FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'pg_portrait'"
	check "the configuration tables dumped with their data after the update from $old are a fresh install's (dictionary, tags)" \
		"$(psql -d upgrade_fresh -c "$config_sql")" "$(psql -d upgrade_old -c "$config_sql")"
	psql -d upgrade_old >/dev/null <<-SQL
		CREATE TABLE tag_src AS SELECT 'k' || g AS key, (g % 3)::text AS grp FROM generate_series(1, 100) g;
		INSERT INTO portrait.tag (name, value_type, source_column) VALUES ('grp', 'categorical', 'grp');
		SELECT portrait.build_tags('up', 'tag_src', 'key', '2026-11-01');
		CREATE TABLE dict_before AS SELECT key, id FROM portrait.key_dictionary WHERE base = 'up';
		DELETE FROM tag_src WHERE key IN ('k1', 'k50');
		INSERT INTO tag_src SELECT 'n' || g, '1' FROM generate_series(1, 30) g;
		SELECT portrait.build_tags('up', 'tag_src', 'key', '2026-11-08');
	SQL
	check "the dictionary made after the update from $old numbers the keys densely" "100 0 99" \
		"$(psql -d upgrade_old -c "SELECT count(*) || ' ' || min(id) || ' ' || max(id) FROM dict_before")"
	check "a refresh after the update from $old keeps every id and numbers new keys on, none reused" "0 30 100 129" \
		"$(psql -d upgrade_old -c "SELECT (SELECT count(*) FROM dict_before b LEFT JOIN portrait.key_dictionary d ON d.base = 'up' AND d.key = b.key
		                                   WHERE d.id IS DISTINCT FROM b.id) || ' ' || count(*) || ' ' || min(id) || ' ' || max(id)
		                          FROM portrait.key_dictionary WHERE base = 'up' AND key NOT IN (SELECT key FROM dict_before)")"
	psql -d upgrade_old -c "DELETE FROM portrait.tag_bitmap" -c "DELETE FROM portrait.tag_numeric" -c "DELETE FROM portrait.tag_snapshot" \
		-c "DELETE FROM portrait.tag" -c "DELETE FROM portrait.key_dictionary" -c "DELETE FROM portrait.key_dictionary_base"
	# the data above is not part of the extension's catalog: compare without it
	psql -d upgrade_old -c "DROP TABLE summary, models, profile, states, tag_src, dict_before"
	catalog upgrade_old >"$tmp/updated.sql"
	if diff -u "$tmp/fresh.sql" "$tmp/updated.sql" >"$tmp/diff"; then
		check "the catalog after updating from $old equals a fresh install" same same
	else
		check "the catalog after updating from $old equals a fresh install" same different
		sed -n '1,60p' "$tmp/diff" | sed 's/^/# /'
	fi
done

# the comparison sees a difference when there is one
psql -d upgrade_fresh -c "COMMENT ON FUNCTION portrait.model_kind(portrait.model) IS 'changed'"
if catalog upgrade_fresh | diff -q "$tmp/fresh.sql" - >/dev/null; then
	check "the catalog comparison notices a changed comment" different same
else
	check "the catalog comparison notices a changed comment" different different
fi
psql -d postgres -c "DROP DATABASE upgrade_fresh" -c "DROP DATABASE IF EXISTS upgrade_old"
