/*
 * zone.c
 *		Calendar days of timestamptz values in a time zone: the session's,
 *		or one named by an argument (which travels with a distributed query,
 *		where the session's TimeZone may not).
 *
 * A full time zone conversion per row costs more than the rest of a
 * transition step, so offsets are cached as ranges of UTC time over which
 * the zone's offset is constant: a range runs from the zone's last offset
 * change at or before the time looked up (at most a year back) to its next
 * change after it.  A zone without changes is one range, a zone with
 * summer time a couple per year.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "pgtime.h"

#include "portrait.h"

#define UNIX_TO_PG_SECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)
#define ZONE_LOOKBACK_SECS ((int64) 400 * SECS_PER_DAY)

static inline int64
ZoneFloorDiv(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Seconds east of UTC of zone at ts by a full conversion (ts finite). */
static int64
ZoneLookup(TimestampTz ts, pg_tz *zone)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz = 0;

	if (timestamp2tm(ts, &tz, &tm, &fsec, NULL, zone) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return -(int64) tz;
}

/* Find the offset at ts and remember the range around it where it holds. */
static int64
ZoneLearn(PortraitZoneCache *zc, pg_tz *zone, TimestampTz ts)
{
	pg_time_t	secs = (pg_time_t) (ZoneFloorDiv(ts, USECS_PER_SEC) + UNIX_TO_PG_SECS);
	pg_time_t	t = secs - ZONE_LOOKBACK_SECS;
	long int	before_off;
	long int	after_off;
	int			before_dst;
	int			after_dst;
	pg_time_t	boundary = 0;
	int			r = 0;
	PortraitZoneRange *slot;

	/* walk the changes from a year back until the one after ts */
	for (int i = 0; i < 64; i++)
	{
		r = pg_next_dst_boundary(&t, &before_off, &before_dst, &boundary,
								 &after_off, &after_dst, zone);
		if (r != 1 || boundary > secs)
			break;
		t = boundary;
	}
	/*
	 * Unexpected (or more changes in a year than walked), or an offset that
	 * differs from the full conversion (which uses UTC outside the range of
	 * pg_time_t): no range, the conversion's answer.
	 */
	if (r < 0 || (r == 1 && boundary <= secs) || (int64) before_off != ZoneLookup(ts, zone))
		return ZoneLookup(ts, zone);

	if (zc->n < PORTRAIT_ZONE_RANGES)
		slot = &zc->r[zc->n++];
	else
	{
		slot = &zc->r[zc->next];
		zc->next = (zc->next + 1) % PORTRAIT_ZONE_RANGES;
	}
	slot->lo = (TimestampTz) (t - UNIX_TO_PG_SECS) * USECS_PER_SEC;
	slot->hi = (r == 1 && boundary - UNIX_TO_PG_SECS < PG_INT64_MAX / USECS_PER_SEC)
		? (TimestampTz) (boundary - UNIX_TO_PG_SECS) * USECS_PER_SEC : PG_INT64_MAX;
	slot->offset = (int64) before_off;
	zc->last = slot - zc->r;
	return slot->offset;
}

/* Seconds east of UTC of zone at the finite time ts, from the cache when it can. */
int64
PortraitZoneOffset(PortraitZoneCache *zc, pg_tz *zone, TimestampTz ts)
{
	if (unlikely(zc->zone != zone))
	{
		zc->zone = zone;
		zc->n = 0;
		zc->next = 0;
		zc->last = 0;
	}
	/* rows mostly arrive near the last one */
	if (likely(zc->n > 0 && ts >= zc->r[zc->last].lo && ts < zc->r[zc->last].hi))
		return zc->r[zc->last].offset;
	for (int i = 0; i < zc->n; i++)
		if (ts >= zc->r[i].lo && ts < zc->r[i].hi)
		{
			zc->last = i;
			return zc->r[i].offset;
		}
	return ZoneLearn(zc, zone, ts);
}

/* The calendar day (days since 2000-01-01) of the finite time ts in zone. */
int32
PortraitZoneDay(PortraitZoneCache *zc, pg_tz *zone, TimestampTz ts)
{
	int64		off = PortraitZoneOffset(zc, zone, ts);

	return (int32) ZoneFloorDiv(ts + off * USECS_PER_SEC, USECS_PER_DAY);
}

/*
 * The time zone of a name (len bytes, not terminated), as SET TimeZone and
 * AT TIME ZONE name it (e.g. Asia/Shanghai, UTC); *cache remembers the last
 * one, so a name is parsed once per query and call site.  An unknown name
 * is refused (22023).
 */
pg_tz *
PortraitZoneByName(const char *name, int len, PortraitZoneName *cache)
{
	char		buf[TZ_STRLEN_MAX + 1];
	pg_tz	   *zone = NULL;

	if (cache->zone != NULL && cache->len == len && memcmp(cache->name, name, len) == 0)
		return cache->zone;
	memcpy(buf, name, Min(len, TZ_STRLEN_MAX));
	buf[Min(len, TZ_STRLEN_MAX)] = '\0';
	if (len > 0 && len <= TZ_STRLEN_MAX && memchr(name, '\0', len) == NULL)
		zone = pg_tzset(buf);
	if (zone == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", buf),
				 errhint("Name a time zone of pg_timezone_names, e.g. 'Asia/Shanghai' or 'UTC'.")));
	cache->len = len;
	memcpy(cache->name, name, len);
	cache->name[len] = '\0';
	cache->zone = zone;
	return zone;
}

/* The time zone named by text argument argno; NULL is refused (22004). */
pg_tz *
PortraitZoneArg(FunctionCallInfo fcinfo, int argno, PortraitZoneName *cache)
{
	text	   *name;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("time zone must not be NULL"),
				 errhint("Name a time zone, e.g. 'Asia/Shanghai', or call the form without a time zone to use the session's.")));
	name = PG_GETARG_TEXT_PP(argno);
	return PortraitZoneByName(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name), cache);
}
