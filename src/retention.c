/*
 * retention.c
 *		retention (ClickHouse's retention flags), cohort_activity (a
 *		customer's cohort period and the period offsets it was active in,
 *		the input of cohort_matrix) and session_id (a window function that
 *		numbers sessions split by an inactivity gap).
 *
 * Periods are calendar periods in the session time zone, the ones
 * date_trunc gives: day, week (ISO, from Monday), month, quarter, year.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "windowapi.h"

#include "portrait.h"

#define PORTRAIT_RETENTION_MAX_CONDS 32
#define PORTRAIT_COHORT_MAX_PERIODS 1000

PG_FUNCTION_INFO_V1(pp_retention_trans);
PG_FUNCTION_INFO_V1(pp_retention_combine);
PG_FUNCTION_INFO_V1(pp_retention_final);
PG_FUNCTION_INFO_V1(pp_cohort_state_in);
PG_FUNCTION_INFO_V1(pp_cohort_state_out);
PG_FUNCTION_INFO_V1(pp_cohort_activity_trans);
PG_FUNCTION_INFO_V1(pp_cohort_activity_combine);
PG_FUNCTION_INFO_V1(pp_cohort_activity_final);
PG_FUNCTION_INFO_V1(pp_session_id);

/* ---------- retention ---------- */

/*
 * The state is a bigint: bits 0..31 the conditions met by some row, bits
 * 32..39 the number of conditions.  By value, so combining is a bitwise OR.
 */
#define RetentionState(mask, n)	((int64) (mask) | ((int64) (n) << 32))
#define RetentionMask(s)		((uint32) ((s) & 0xFFFFFFFF))
#define RetentionCount(s)		((int) ((s) >> 32))

/* retention transition: OR in the conditions this row meets. */
Datum
pp_retention_trans(PG_FUNCTION_ARGS)
{
	int			n;
	uint32		mask;
	int64		s;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_INT64(PG_GETARG_INT64(0));
	}
	mask = EventConditionMask(PG_GETARG_ARRAYTYPE_P(1), PORTRAIT_RETENTION_MAX_CONDS, &n,
							  "retention conditions");
	if (PG_ARGISNULL(0))
		PG_RETURN_INT64(RetentionState(mask, n));
	s = PG_GETARG_INT64(0);
	if (RetentionCount(s) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention needs the same number of conditions in every row of a group")));
	PG_RETURN_INT64(s | mask);
}

/* Combine: OR of two states with the same number of conditions. */
Datum
pp_retention_combine(PG_FUNCTION_ARGS)
{
	int64		a;
	int64		b;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
			PG_RETURN_NULL();
		PG_RETURN_INT64(PG_ARGISNULL(0) ? PG_GETARG_INT64(1) : PG_GETARG_INT64(0));
	}
	a = PG_GETARG_INT64(0);
	b = PG_GETARG_INT64(1);
	if (RetentionCount(a) != RetentionCount(b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("retention needs the same number of conditions in every row of a group")));
	PG_RETURN_INT64(a | b);
}

/* Flags: [1] = condition 1 met; [k] = conditions 1 and k both met (by any rows). */
Datum
pp_retention_final(PG_FUNCTION_ARGS)
{
	int64		s = PG_GETARG_INT64(0);
	int			n = RetentionCount(s);
	uint32		mask = RetentionMask(s);
	Datum		out[PORTRAIT_RETENTION_MAX_CONDS];
	bool		first = (mask & 1) != 0;

	if (n < 1 || n > PORTRAIT_RETENTION_MAX_CONDS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid retention state %lld", (long long) s)));
	for (int k = 0; k < n; k++)
		out[k] = Int32GetDatum(first && (mask & ((uint32) 1 << k)) ? 1 : 0);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
}

/* ---------- periods ---------- */

typedef enum CohortPeriod
{
	PERIOD_DAY = 1,
	PERIOD_WEEK = 2,
	PERIOD_MONTH = 3,
	PERIOD_QUARTER = 4,
	PERIOD_YEAR = 5
} CohortPeriod;

static const char *const period_names[] = {NULL, "day", "week", "month", "quarter", "year"};

/* Period kind of a period name (case-insensitive); 22023 if unknown. */
static CohortPeriod
CohortParsePeriod(text *t)
{
	char	   *s = text_to_cstring(t);

	for (int i = 1; i < (int) lengthof(period_names); i++)
		if (pg_strcasecmp(s, period_names[i]) == 0)
			return (CohortPeriod) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown cohort period \"%s\"", s),
			 errhint("Periods are day, week, month, quarter and year.")));
	return PERIOD_DAY;			/* keep the compiler quiet */
}

/* Floor division for period numbers before 2000. */
static inline int32
FloorDiv(int32 a, int32 b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Seconds west of UTC of the session time zone at ts (PostgreSQL's tz convention). */
static int
ZoneOffsetAt(TimestampTz ts)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;

	if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort timestamp must be finite")));
	return tz;
}

/*
 * Time zone offsets cached per 15-minute bucket of UTC time: a bucket is
 * cached only when the offset is the same at its first and last
 * microsecond, so a zone transition inside it is never missed (zones do
 * not change twice within 15 minutes).  This replaces a time zone lookup
 * per row by an array probe.
 */
#define ZONE_BUCKET_USEC (INT64CONST(15) * 60 * USECS_PER_SEC)
#define ZONE_CACHE_SIZE 4096

typedef struct ZoneCache
{
	pg_tz	   *zone;
	int64		bucket[ZONE_CACHE_SIZE];
	int32		tz[ZONE_CACHE_SIZE];
} ZoneCache;

/* Offset of the session time zone at ts, from the bucket cache when possible. */
static int
ZoneCachedOffset(ZoneCache *zc, TimestampTz ts)
{
	int64		b;
	int			slot;
	int			tz1;

	if (TIMESTAMP_NOT_FINITE(ts))
		return ZoneOffsetAt(ts);	/* raises the error */
	if (zc->zone != session_timezone)
	{
		zc->zone = session_timezone;
		for (int i = 0; i < ZONE_CACHE_SIZE; i++)
			zc->bucket[i] = PG_INT64_MIN;
	}
	b = ts >= 0 ? ts / ZONE_BUCKET_USEC : -((-ts + ZONE_BUCKET_USEC - 1) / ZONE_BUCKET_USEC);
	slot = (int) (((uint64) b) & (ZONE_CACHE_SIZE - 1));
	if (zc->bucket[slot] == b)
		return zc->tz[slot];
	tz1 = ZoneOffsetAt(b * ZONE_BUCKET_USEC);
	if (tz1 != ZoneOffsetAt((b + 1) * ZONE_BUCKET_USEC - 1))
		return ZoneOffsetAt(ts);
	zc->bucket[slot] = b;
	zc->tz[slot] = tz1;
	return tz1;
}

/*
 * Number of the calendar period holding ts in the session time zone (0 = the
 * one starting 2000-01-01).
 */
static int32
PeriodIndex(ZoneCache *zc, TimestampTz ts, CohortPeriod p)
{
	int64		local = ts - (int64) ZoneCachedOffset(zc, ts) * USECS_PER_SEC;
	int32		days;
	int			y,
				m,
				d;

	days = (int32) (local >= 0 ? local / USECS_PER_DAY : -((-local + USECS_PER_DAY - 1) / USECS_PER_DAY));
	switch (p)
	{
		case PERIOD_DAY:
			return days;
		case PERIOD_WEEK:
			/* 2000-01-03 was a Monday */
			return FloorDiv(days - 2, 7);
		case PERIOD_MONTH:
			j2date(days + POSTGRES_EPOCH_JDATE, &y, &m, &d);
			return (y - 2000) * 12 + m - 1;
		case PERIOD_QUARTER:
			j2date(days + POSTGRES_EPOCH_JDATE, &y, &m, &d);
			return (y - 2000) * 4 + (m - 1) / 3;
		case PERIOD_YEAR:
			j2date(days + POSTGRES_EPOCH_JDATE, &y, &m, &d);
			return y - 2000;
	}
	return 0;
}

/* Start of period idx as a timestamptz (local midnight in the session time zone). */
static TimestampTz
PeriodStart(int32 idx, CohortPeriod p)
{
	struct pg_tm tm;
	int			tz;
	TimestampTz r;
	int32		days = 0;

	memset(&tm, 0, sizeof(tm));
	switch (p)
	{
		case PERIOD_DAY:
			days = idx;
			break;
		case PERIOD_WEEK:
			days = idx * 7 + 2;
			break;
		case PERIOD_MONTH:
			tm.tm_year = 2000 + FloorDiv(idx, 12);
			tm.tm_mon = idx - FloorDiv(idx, 12) * 12 + 1;
			tm.tm_mday = 1;
			break;
		case PERIOD_QUARTER:
			tm.tm_year = 2000 + FloorDiv(idx, 4);
			tm.tm_mon = (idx - FloorDiv(idx, 4) * 4) * 3 + 1;
			tm.tm_mday = 1;
			break;
		case PERIOD_YEAR:
			tm.tm_year = 2000 + idx;
			tm.tm_mon = 1;
			tm.tm_mday = 1;
			break;
	}
	if (p == PERIOD_DAY || p == PERIOD_WEEK)
		j2date(days + POSTGRES_EPOCH_JDATE, &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
	tz = DetermineTimeZoneOffset(&tm, session_timezone);
	if (tm2timestamp(&tm, 0, &tz, &r) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort period is out of range")));
	return r;
}

/* ---------- cohort_activity ---------- */

/*
 * State: the period kind and the period numbers seen (deduplicated when the
 * array fills, so it holds at most about twice the distinct periods).
 */
typedef struct CohortState
{
	int32		vl_len_;
	int32		period;			/* CohortPeriod */
	int32		periods;		/* highest offset kept */
	int32		n;
	int32		cap;
	int32		idx[FLEXIBLE_ARRAY_MEMBER];
} CohortState;

#define CohortStateSize(cap) (offsetof(CohortState, idx) + sizeof(int32) * (cap))

/* A new empty cohort_activity state with room for cap periods. */
static CohortState *
CohortStateNew(int period, int periods, int cap)
{
	CohortState *s;

	cap = Max(cap, 4);
	if ((Size) cap > (MaxAllocSize - offsetof(CohortState, idx)) / sizeof(int32))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct periods in one group")));
	s = palloc(CohortStateSize(cap));
	SET_VARSIZE(s, CohortStateSize(cap));
	s->period = period;
	s->periods = periods;
	s->n = 0;
	s->cap = cap;
	return s;
}

static int
Int32Cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Sort and deduplicate the period numbers in place. */
static void
CohortCompact(CohortState *s)
{
	int			k = 0;

	qsort(s->idx, s->n, sizeof(int32), Int32Cmp);
	for (int i = 0; i < s->n; i++)
		if (k == 0 || s->idx[i] != s->idx[k - 1])
			s->idx[k++] = s->idx[i];
	s->n = k;
}

/* Add period number v; returns s or a larger copy (the new state). */
static CohortState *
CohortAdd(CohortState *s, int32 v)
{
	if (s->n > 0 && s->idx[s->n - 1] == v)
		return s;
	if (s->n >= s->cap)
	{
		CohortCompact(s);
		if (s->n * 2 > s->cap)
		{
			CohortState *r = CohortStateNew(s->period, s->periods, s->cap * 2);

			memcpy(r->idx, s->idx, sizeof(int32) * s->n);
			r->n = s->n;
			s = r;
		}
	}
	s->idx[s->n++] = v;
	return s;
}

/* Per-call-site cache: the period text parses once per query. */
typedef struct CohortCache
{
	char	   *period_text;	/* the period argument as given */
	int			period_len;
	CohortPeriod period;
	ZoneCache	zones;
} CohortCache;

/* cohort_activity transition: add the period holding ts. */
Datum
pp_cohort_activity_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MemoryContext old;
	CohortState *s;
	CohortCache *c = fcinfo->flinfo->fn_extra;
	text	   *ptext;
	int32		periods;

	aggcxt = PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cohort_activity period and periods must not be NULL")));
	periods = PG_GETARG_INT32(3);
	if (periods < 0 || periods > PORTRAIT_COHORT_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort periods must be between 0 and %d, not %d",
						PORTRAIT_COHORT_MAX_PERIODS, periods)));
	ptext = PG_GETARG_TEXT_PP(2);
	if (c == NULL || c->period_len != (int) VARSIZE_ANY_EXHDR(ptext) ||
		memcmp(c->period_text, VARDATA_ANY(ptext), c->period_len) != 0)
	{
		CohortPeriod p = CohortParsePeriod(ptext);

		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		if (c == NULL)
			c = palloc0(sizeof(CohortCache));
		c->period_text = text_to_cstring(ptext);
		c->period_len = VARSIZE_ANY_EXHDR(ptext);
		c->period = p;
		fcinfo->flinfo->fn_extra = c;
		MemoryContextSwitchTo(old);
	}
	if (PG_ARGISNULL(0))
	{
		old = MemoryContextSwitchTo(aggcxt);
		s = CohortStateNew(c->period, periods, 8);
		MemoryContextSwitchTo(old);
	}
	else
	{
		s = (CohortState *) PG_GETARG_POINTER(0);
		if (s->period != (int32) c->period || s->periods != periods)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cohort period and periods must be the same for all rows of a group")));
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(s);
	old = MemoryContextSwitchTo(aggcxt);
	s = CohortAdd(s, PeriodIndex(&c->zones, PG_GETARG_TIMESTAMPTZ(1), c->period));
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(s);
}

/* Combine: the union of both period sets. */
Datum
pp_cohort_activity_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MemoryContext old;
	CohortState *a;
	CohortState *b;

	aggcxt = PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	old = MemoryContextSwitchTo(aggcxt);
	if (PG_ARGISNULL(0))
	{
		a = CohortStateNew(b->period, b->periods, b->n);
		memcpy(a->idx, b->idx, sizeof(int32) * b->n);
		a->n = b->n;
	}
	else
	{
		a = (CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
		if (a->period != b->period || a->periods != b->periods)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cohort period and periods must be the same for all rows of a group")));
		for (int i = 0; i < b->n; i++)
			a = CohortAdd(a, b->idx[i]);
	}
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/* Final: (cohort period start, active offsets 0..periods in ascending order). */
Datum
pp_cohort_activity_final(PG_FUNCTION_ARGS)
{
	CohortState *s = (CohortState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0));
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	Datum	   *offs;
	int			k = 0;

	if (s->n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "cohort_activity must return a composite type");
	CohortCompact(s);
	offs = palloc(sizeof(Datum) * s->n);
	for (int i = 0; i < s->n; i++)
	{
		int64		off = (int64) s->idx[i] - s->idx[0];

		if (off > s->periods)
			break;
		offs[k++] = Int32GetDatum((int32) off);
	}
	values[0] = TimestampTzGetDatum(PeriodStart(s->idx[0], (CohortPeriod) s->period));
	values[1] = PointerGetDatum(construct_array(offs, k, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/* Text form: period;periods;n;idx,idx,... */
Datum
pp_cohort_state_out(PG_FUNCTION_ARGS)
{
	CohortState *s = (CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s;%d;%d;", period_names[s->period], s->periods, s->n);
	for (int i = 0; i < s->n; i++)
		appendStringInfo(&buf, i > 0 ? ",%d" : "%d", s->idx[i]);
	PG_RETURN_CSTRING(buf.data);
}

/* Text input of portrait.cohort_state. */
Datum
pp_cohort_state_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	const char *tn = "portrait.cohort_state";
	const char *semi = strchr(p, ';');
	int			period = 0;
	int64		periods;
	int64		n;
	CohortState *s;

	for (int i = 1; semi && i < (int) lengthof(period_names); i++)
		if ((ptrdiff_t) strlen(period_names[i]) == semi - p && strncmp(p, period_names[i], semi - p) == 0)
			period = i;
	if (period == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	p = semi;
	PortraitExpectChar(&p, ';', tn, input);
	periods = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	n = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	if (periods < 0 || periods > PORTRAIT_COHORT_MAX_PERIODS || n < 0 || n > (int64) strlen(p))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	s = CohortStateNew(period, (int) periods, (int) n);
	for (int64 i = 0; i < n; i++)
	{
		int64		v;

		if (i > 0)
			PortraitExpectChar(&p, ',', tn, input);
		v = PortraitParseInt64(&p, tn, input);
		if (v < PG_INT32_MIN || v > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
		s->idx[s->n++] = (int32) v;
	}
	if (*p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	PG_RETURN_POINTER(s);
}

/* ---------- session_id ---------- */

typedef struct SessionCtx
{
	bool		have_prev;
	TimestampTz prev;
	int64		session;
} SessionCtx;

/*
 * session_id(ts, gap) OVER (PARTITION BY customer ORDER BY ts): 1 for the
 * first session of the partition, +1 whenever more than gap passed since the
 * previous row.  Rows with a NULL timestamp get NULL and do not break a
 * session.
 */
Datum
pp_session_id(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SessionCtx *ctx = WinGetPartitionLocalMemory(winobj, sizeof(SessionCtx));
	bool		isnull;
	Datum		d;
	TimestampTz ts;
	int64		gap;

	d = WinGetFuncArgCurrent(winobj, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("session_id gap must not be NULL")));
	gap = EventIntervalUsec(DatumGetIntervalP(d), "session_id gap");
	d = WinGetFuncArgCurrent(winobj, 0, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	ts = DatumGetTimestampTz(d);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("session_id timestamp must be finite")));
	if (!ctx->have_prev)
		ctx->session = 1;
	else if (ts < ctx->prev)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("session_id needs the rows of a partition in ascending time order"),
				 errhint("Use OVER (PARTITION BY customer ORDER BY ts).")));
	else if ((uint64) ts - (uint64) ctx->prev > (uint64) gap)
		ctx->session++;
	ctx->have_prev = true;
	ctx->prev = ts;
	PG_RETURN_INT64(ctx->session);
}
