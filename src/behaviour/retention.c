/*
 * retention.c
 *		retention (ClickHouse's retention flags), cohort_activity (a
 *		customer's cohort period and the period offsets it was active in,
 *		the input of cohort_matrix) and session_id (a window function that
 *		numbers sessions split by an inactivity gap).
 *
 * Periods are calendar periods, the ones date_trunc gives: day, week (ISO,
 * from Monday), month, quarter, year; in the session time zone, or in the
 * one named by the zone argument, which the state keeps for its period
 * starts (a distributed query's workers need not share the session's).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
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
#include "events.h"

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
PG_FUNCTION_INFO_V1(pp_cohort_users_in);
PG_FUNCTION_INFO_V1(pp_cohort_users_out);
PG_FUNCTION_INFO_V1(pp_cohort_users_trans);
PG_FUNCTION_INFO_V1(pp_cohort_users_combine);
PG_FUNCTION_INFO_V1(pp_cohort_table);
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

/*
 * Number of the calendar period holding ts in zone (0 = the one starting
 * 2000-01-01).
 */
static int32
PeriodIndex(PortraitZoneCache *zc, pg_tz *zone, TimestampTz ts, CohortPeriod p)
{
	int32		days;
	int			y,
				m,
				d;

	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort timestamp must be finite")));
	days = PortraitZoneDay(zc, zone, ts);
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

/* Start of period idx as a timestamptz (local midnight in zone). */
static TimestampTz
PeriodStart(int32 idx, CohortPeriod p, pg_tz *zone)
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
	tz = DetermineTimeZoneOffset(&tm, zone);
	if (tm2timestamp(&tm, 0, &tz, &r) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("cohort period is out of range")));
	return r;
}

/* ---------- cohort_activity ---------- */

/*
 * State: the period kind, the first active period number, and a bitmap of
 * the offsets 0..periods from it with activity.  Its size is fixed by
 * periods, so a group's state is allocated once and updated in place: no
 * per-row growth, sorting or deduplication.  When an earlier period turns
 * up, the bitmap moves up by the difference; offsets that move past
 * periods can never come back (the first period only gets earlier), so
 * dropping them loses nothing.
 */
typedef struct CohortState
{
	int32		vl_len_;
	int32		period;			/* CohortPeriod */
	int32		periods;		/* highest offset kept */
	int32		empty;			/* no timestamp seen yet */
	int32		first;			/* first active period number */
	int32		zonelen;		/* bytes of the zone name after the bits; 0: the session's */
	uint32		bits[FLEXIBLE_ARRAY_MEMBER];	/* bit k: active at offset k */
} CohortState;

#define CohortWords(periods)	((periods) / 32 + 1)
#define CohortStateSize(periods, zonelen) \
	(offsetof(CohortState, bits) + sizeof(uint32) * CohortWords(periods) + (zonelen))
#define CohortStateZone(s)		((char *) ((s)->bits + CohortWords((s)->periods)))

/* A new empty cohort_activity state in the current memory context. */
static CohortState *
CohortStateNew(int period, int periods, const char *zone, int zonelen)
{
	CohortState *s = palloc0(CohortStateSize(periods, zonelen));

	SET_VARSIZE(s, CohortStateSize(periods, zonelen));
	s->period = period;
	s->periods = periods;
	s->empty = 1;
	s->zonelen = zonelen;
	memcpy(CohortStateZone(s), zone, zonelen);
	return s;
}

/* The zone periods are counted in: the one named (len > 0) or the session's. */
static pg_tz *
CohortZone(const char *name, int len, PortraitZoneName *cache)
{
	return len == 0 ? session_timezone : PortraitZoneByName(name, len, cache);
}

/* Move every offset of a bitmap up by "by" (> 0), dropping those past periods. */
static void
CohortShiftBits(uint32 *bits, int periods, int64 by)
{
	int			nw = CohortWords(periods);
	int			top = periods % 32;

	if (by > periods)
	{
		memset(bits, 0, sizeof(uint32) * nw);
		return;
	}
	for (int i = nw - 1; i >= 0; i--)
	{
		int			src = i - (int) (by / 32);
		int			sh = (int) (by % 32);
		uint32		v = 0;

		if (src >= 0)
		{
			v = bits[src] << sh;
			if (sh > 0 && src > 0)
				v |= bits[src - 1] >> (32 - sh);
		}
		bits[i] = v;
	}
	if (top < 31)
		bits[nw - 1] &= ((uint32) 1 << (top + 1)) - 1;
}

/* Record activity in period number v. */
static inline void
CohortMark(CohortState *s, int32 v)
{
	int64		off;

	if (s->empty)
	{
		s->empty = 0;
		s->first = v;
		s->bits[0] |= 1;
		return;
	}
	off = (int64) v - s->first;
	if (off < 0)
	{
		CohortShiftBits(s->bits, s->periods, -off);
		s->first = v;
		off = 0;
	}
	if (off <= s->periods)
		s->bits[off / 32] |= (uint32) 1 << (off % 32);
}

/* Is offset k (0..periods) marked? */
static inline bool
CohortHas(const CohortState *s, int k)
{
	return (s->bits[k / 32] >> (k % 32)) & 1;
}

/* Raise 22023 unless two zone names (lengths 0: the session's) are the same. */
static void
CohortCheckZone(const char *a, int alen, const char *b, int blen)
{
	if (alen != blen || memcmp(a, b, alen) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort time zone must be the same for all rows of a group")));
}

/* Raise 22023 unless two states use the same period kind, periods and zone. */
static void
CohortCheckSame(const CohortState *a, int period, int periods, const char *zone, int zonelen)
{
	if (a->period != period || a->periods != periods)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort period and periods must be the same for all rows of a group")));
	CohortCheckZone(CohortStateZone(a), a->zonelen, zone, zonelen);
}

/* Per-call-site cache: the period and zone texts parse once per query. */
typedef struct CohortCache
{
	char	   *period_text;	/* the period argument as given */
	int			period_len;
	CohortPeriod period;
	pg_tz	   *zone;			/* of this row */
	PortraitZoneName zone_arg;	/* the zone argument (name empty: none) */
	PortraitZoneCache ranges;
} CohortCache;

/*
 * The period kind (parsed once per query), periods and zone of a transition
 * call: period at argument argno, periods at argno + 1, the zone at argno +
 * 2 when the call has one (c->zone_arg then names it), else the session's.
 */
static CohortCache *
CohortArgs(FunctionCallInfo fcinfo, int argno, int32 *periods)
{
	CohortCache *c = fcinfo->flinfo->fn_extra;
	text	   *ptext;

	if (PG_ARGISNULL(argno) || PG_ARGISNULL(argno + 1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cohort period and periods must not be NULL")));
	*periods = PG_GETARG_INT32(argno + 1);
	if (*periods < 0 || *periods > PORTRAIT_COHORT_MAX_PERIODS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort periods must be between 0 and %d, not %d",
						PORTRAIT_COHORT_MAX_PERIODS, *periods)));
	ptext = PG_GETARG_TEXT_PP(argno);
	if (c == NULL || c->period_len != (int) VARSIZE_ANY_EXHDR(ptext) ||
		memcmp(c->period_text, VARDATA_ANY(ptext), c->period_len) != 0)
	{
		CohortPeriod p = CohortParsePeriod(ptext);
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (c == NULL)
			c = palloc0(sizeof(CohortCache));
		c->period_text = text_to_cstring(ptext);
		c->period_len = VARSIZE_ANY_EXHDR(ptext);
		c->period = p;
		fcinfo->flinfo->fn_extra = c;
		MemoryContextSwitchTo(old);
	}
	if (PG_NARGS() > argno + 2)
		c->zone = PortraitZoneArg(fcinfo, argno + 2, &c->zone_arg);
	else
		c->zone = session_timezone;
	return c;
}

/*
 * cohort_activity transition: mark the period holding ts.  A new state is
 * built in the per-row context; the executor copies it into the aggregate
 * context once, and later rows update that copy in place.
 */
Datum
pp_cohort_activity_trans(PG_FUNCTION_ARGS)
{
	CohortState *s;
	CohortCache *c;
	int32		periods;

	(void) PortraitAggContext(fcinfo);
	c = CohortArgs(fcinfo, 2, &periods);
	if (PG_ARGISNULL(0))
		s = CohortStateNew(c->period, periods, c->zone_arg.name, c->zone_arg.len);
	else
	{
		s = (CohortState *) PG_GETARG_POINTER(0);
		CohortCheckSame(s, c->period, periods, c->zone_arg.name, c->zone_arg.len);
	}
	if (!PG_ARGISNULL(1))
		CohortMark(s, PeriodIndex(&c->ranges, c->zone, PG_GETARG_TIMESTAMPTZ(1), c->period));
	PG_RETURN_POINTER(s);
}

/*
 * The cases of a cohort combine function with a NULL state: true with
 * *result set (the other state, or NULL) when there is nothing to merge.
 * A state returned as is gets copied into the aggregate context by the
 * executor.
 */
static bool
CohortCombineNulls(FunctionCallInfo fcinfo, Datum *result)
{
	(void) PortraitAggContext(fcinfo);
	if (!PG_ARGISNULL(0) && !PG_ARGISNULL(1))
		return false;
	fcinfo->isnull = PG_ARGISNULL(0) && PG_ARGISNULL(1);
	if (fcinfo->isnull)
		*result = (Datum) 0;
	else if (PG_ARGISNULL(0))
		*result = PointerGetDatum(PG_DETOAST_DATUM(PG_GETARG_DATUM(1)));
	else
		*result = PG_GETARG_DATUM(0);
	return true;
}

/* Combine: the union of both activity sets, from the earlier first period. */
Datum
pp_cohort_activity_combine(PG_FUNCTION_ARGS)
{
	Datum		result;
	CohortState *a;
	CohortState *b;

	if (CohortCombineNulls(fcinfo, &result))
		return result;
	b = (CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	a = (CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	CohortCheckSame(a, b->period, b->periods, CohortStateZone(b), b->zonelen);
	if (b->empty)
		PG_RETURN_POINTER(a);
	if (!a->empty && b->first < a->first)
	{
		CohortShiftBits(a->bits, a->periods, (int64) a->first - b->first);
		a->first = b->first;
	}
	for (int k = 0; k <= b->periods; k++)
		if (CohortHas(b, k))
			CohortMark(a, (int32) ((int64) b->first + k));
	PG_RETURN_POINTER(a);
}

/* Final-function cache: the result row descriptor and the last cohort start. */
typedef struct CohortFinalCache
{
	TupleDesc	tupdesc;
	PortraitZoneName zone_name;
	pg_tz	   *zone;
	int32		period;
	int32		idx;
	TimestampTz start;
} CohortFinalCache;

/* Final: (cohort period start, active offsets 0..periods in ascending order). */
Datum
pp_cohort_activity_final(PG_FUNCTION_ARGS)
{
	CohortState *s = (CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	CohortFinalCache *fc = fcinfo->flinfo->fn_extra;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	Datum	   *offs;
	int			k = 0;
	pg_tz	   *zone;

	if (s->empty)
		PG_RETURN_NULL();
	if (fc == NULL)
	{
		TupleDesc	tupdesc;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "cohort_activity must return a composite type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		fc = palloc0(sizeof(CohortFinalCache));
		fc->tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = fc;
	}
	/* most customers share a few cohorts: converting the start once is enough */
	zone = CohortZone(CohortStateZone(s), s->zonelen, &fc->zone_name);
	if (fc->zone != zone || fc->period != s->period || fc->idx != s->first)
	{
		fc->start = PeriodStart(s->first, (CohortPeriod) s->period, zone);
		fc->zone = zone;
		fc->period = s->period;
		fc->idx = s->first;
	}
	offs = palloc(sizeof(Datum) * (s->periods + 1));
	for (int i = 0; i <= s->periods; i++)
		if (CohortHas(s, i))
			offs[k++] = Int32GetDatum(i);
	values[0] = TimestampTzGetDatum(fc->start);
	values[1] = PointerGetDatum(construct_array(offs, k, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(fc->tupdesc, values, nulls)));
}

static void BadCohortInput(const char *tn, const char *input) pg_attribute_noreturn();

/* Raise the 22P02 of a malformed cohort state literal. */
static void
BadCohortInput(const char *tn, const char *input)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
}

/*
 * Read "period[@zone];periods" at *p (the start of both cohort state
 * literals); *zone points at the zone name in the input (*zonelen 0: none).
 */
static void
CohortParseHead(const char **p, const char *tn, const char *input, int *period, int *periods,
				const char **zone, int *zonelen)
{
	const char *semi = strchr(*p, ';');
	const char *at = semi ? memchr(*p, '@', semi - *p) : NULL;
	const char *end = at ? at : semi;
	int64		v;

	*period = 0;
	for (int i = 1; semi && i < (int) lengthof(period_names); i++)
		if ((ptrdiff_t) strlen(period_names[i]) == end - *p && strncmp(*p, period_names[i], end - *p) == 0)
			*period = i;
	if (*period == 0)
		BadCohortInput(tn, input);
	*zone = at ? at + 1 : semi;
	*zonelen = at ? (int) (semi - at - 1) : 0;
	if (at)
	{
		char		buf[TZ_STRLEN_MAX + 1];

		if (*zonelen == 0 || *zonelen > TZ_STRLEN_MAX)
			BadCohortInput(tn, input);
		memcpy(buf, *zone, *zonelen);
		buf[*zonelen] = '\0';
		if (pg_tzset(buf) == NULL)
			BadCohortInput(tn, input);
	}
	*p = semi;
	PortraitExpectChar(p, ';', tn, input);
	v = PortraitParseInt64(p, tn, input);
	if (v < 0 || v > PORTRAIT_COHORT_MAX_PERIODS)
		BadCohortInput(tn, input);
	*periods = (int) v;
}

/* Read a comma-separated offset list at *p into bits; offset 0 must be there. */
static void
CohortParseOffsets(const char **p, const char *tn, const char *input, uint32 *bits, int periods)
{
	for (;;)
	{
		int64		k = PortraitParseInt64(p, tn, input);

		if (k < 0 || k > periods)
			BadCohortInput(tn, input);
		bits[k / 32] |= (uint32) 1 << (k % 32);
		if (**p != ',')
			break;
		(*p)++;
	}
	/* offset 0 is the first period itself, always active */
	if (!(bits[0] & 1))
		BadCohortInput(tn, input);
}

/* Append the offsets marked in bits, comma-separated. */
static void
CohortAppendOffsets(StringInfo buf, const uint32 *bits, int periods)
{
	bool		any = false;

	for (int k = 0; k <= periods; k++)
		if ((bits[k / 32] >> (k % 32)) & 1)
		{
			appendStringInfo(buf, any ? ",%d" : "%d", k);
			any = true;
		}
}

/* Append "period[@zone]" of a state to buf (the zone when one was named). */
static void
CohortAppendPeriod(StringInfo buf, int period, const char *zone, int zonelen)
{
	appendStringInfoString(buf, period_names[period]);
	if (zonelen > 0)
	{
		appendStringInfoChar(buf, '@');
		appendBinaryStringInfo(buf, zone, zonelen);
	}
}

/*
 * Text form: period[@zone];periods;first;offsets (first and offsets empty
 * when no row was seen).
 */
Datum
pp_cohort_state_out(PG_FUNCTION_ARGS)
{
	CohortState *s = (CohortState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	initStringInfo(&buf);
	CohortAppendPeriod(&buf, s->period, CohortStateZone(s), s->zonelen);
	appendStringInfo(&buf, ";%d;", s->periods);
	if (!s->empty)
		appendStringInfo(&buf, "%d", s->first);
	appendStringInfoChar(&buf, ';');
	if (!s->empty)
		CohortAppendOffsets(&buf, s->bits, s->periods);
	PG_RETURN_CSTRING(buf.data);
}

/* Text input of portrait.cohort_state. */
Datum
pp_cohort_state_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	const char *tn = "portrait.cohort_state";
	int			period;
	int			periods;
	int64		first;
	CohortState *s;
	const char *zone;
	int			zonelen;

	CohortParseHead(&p, tn, input, &period, &periods, &zone, &zonelen);
	PortraitExpectChar(&p, ';', tn, input);
	s = CohortStateNew(period, periods, zone, zonelen);
	if (*p == ';' && p[1] == '\0')
		PG_RETURN_POINTER(s);
	first = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	if (first < PG_INT32_MIN || first > PG_INT32_MAX)
		BadCohortInput(tn, input);
	s->empty = 0;
	s->first = (int32) first;
	CohortParseOffsets(&p, tn, input, s->bits, periods);
	if (*p != '\0')
		BadCohortInput(tn, input);
	PG_RETURN_POINTER(s);
}

/* ---------- cohort_users: every customer's activity in one state ---------- */

/*
 * State of cohort_users: an open-addressing hash table from an integer
 * customer key to that customer's first period and activity bitmap (what a
 * cohort_activity state holds for one customer).  cohort_matrix runs it as
 * one aggregate over the events and reads the matrix off the table, instead
 * of grouping the events by customer and aggregating the groups again.  A
 * slot is a key, the first period (PG_INT32_MIN when the slot is free) and
 * the bitmap words.  The table doubles when three quarters full; a new or
 * doubled table is built in the per-row context and copied by the executor,
 * later rows update it in place.
 */
typedef struct CohortUsers
{
	int32		vl_len_;
	int32		period;			/* CohortPeriod */
	int32		periods;		/* highest offset kept */
	int32		words;			/* bitmap words per slot */
	int64		n;				/* customers */
	int64		cap;			/* slots, a power of two */
	int32		zonelen;		/* bytes of zone; 0: the session's time zone */
	char		zone[TZ_STRLEN_MAX + 1];	/* the zone named, not terminated */
	char		slots[FLEXIBLE_ARRAY_MEMBER];
} CohortUsers;

#define COHORT_FREE PG_INT32_MIN
#define CohortSlotSize(words) MAXALIGN(sizeof(int64) + sizeof(int32) * (1 + (words)))
#define CohortSlotKey(u, i) \
	((int64 *) ((u)->slots + (Size) (i) * CohortSlotSize((u)->words)))
#define CohortSlotFirst(u, i) ((int32 *) (CohortSlotKey(u, i) + 1))
#define CohortSlotBits(u, i) ((uint32 *) (CohortSlotFirst(u, i) + 1))

/* A new empty table with cap slots, in the current memory context. */
static CohortUsers *
CohortUsersNew(int period, int periods, const char *zone, int zonelen, int64 cap)
{
	int			words = CohortWords(periods);
	Size		slot = CohortSlotSize(words);
	CohortUsers *u;

	if (cap > (int64) ((MaxAllocSize - offsetof(CohortUsers, slots)) / slot))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many customers for one cohort_users state"),
				 errdetail("A state of %lld slots of %zu bytes would pass 1 GB.", (long long) cap, slot),
				 errhint("Use cohort_activity grouped by customer for larger tables.")));
	u = palloc(offsetof(CohortUsers, slots) + slot * cap);
	SET_VARSIZE(u, offsetof(CohortUsers, slots) + slot * cap);
	u->period = period;
	u->periods = periods;
	u->words = words;
	u->n = 0;
	u->cap = cap;
	u->zonelen = zonelen;
	memcpy(u->zone, zone, zonelen);
	for (int64 i = 0; i < cap; i++)
		*CohortSlotFirst(u, i) = COHORT_FREE;
	return u;
}

/* Slot of key: its own, or the free one where it belongs. */
static inline int64
CohortUsersProbe(const CohortUsers *u, int64 key)
{
	uint32		h = hash_combine(murmurhash32((uint32) key),
								 murmurhash32((uint32) ((uint64) key >> 32)));
	int64		mask = u->cap - 1;
	int64		i = h & mask;

	while (*CohortSlotFirst(u, i) != COHORT_FREE && *CohortSlotKey(u, i) != key)
		i = (i + 1) & mask;
	return i;
}

/* A copy of u with cap slots (the new state). */
static CohortUsers *
CohortUsersResize(const CohortUsers *u, int64 cap)
{
	CohortUsers *r = CohortUsersNew(u->period, u->periods, u->zone, u->zonelen, cap);
	Size		slot = CohortSlotSize(u->words);

	for (int64 i = 0; i < u->cap; i++)
		if (*CohortSlotFirst(u, i) != COHORT_FREE)
			memcpy(CohortSlotKey(r, CohortUsersProbe(r, *CohortSlotKey(u, i))),
				   CohortSlotKey(u, i), slot);
	r->n = u->n;
	return r;
}

/*
 * The slot of key, added empty (first period COHORT_FREE is replaced by the
 * caller) when new; *u may be replaced by a larger copy.
 */
static int64
CohortUsersSlot(CohortUsers **u, int64 key, bool *isnew)
{
	int64		i = CohortUsersProbe(*u, key);

	*isnew = *CohortSlotFirst(*u, i) == COHORT_FREE;
	if (!*isnew)
		return i;
	if (((*u)->n + 1) * 4 > (*u)->cap * 3)
	{
		*u = CohortUsersResize(*u, (*u)->cap * 2);
		i = CohortUsersProbe(*u, key);
	}
	(*u)->n++;
	*CohortSlotKey(*u, i) = key;
	memset(CohortSlotBits(*u, i), 0, sizeof(uint32) * (*u)->words);
	return i;
}

/* Record activity of the customer in slot i in period number v (as CohortMark). */
static inline void
CohortUsersMark(CohortUsers *u, int64 i, bool isnew, int32 v)
{
	int32	   *first = CohortSlotFirst(u, i);
	uint32	   *bits = CohortSlotBits(u, i);
	int64		off;

	if (isnew)
	{
		*first = v;
		bits[0] = 1;
		return;
	}
	off = (int64) v - *first;
	if (off < 0)
	{
		CohortShiftBits(bits, u->periods, -off);
		*first = v;
		off = 0;
	}
	if (off <= u->periods)
		bits[off / 32] |= (uint32) 1 << (off % 32);
}

/* Raise 22023 unless a table uses the given period kind, periods and zone. */
static void
CohortUsersCheck(const CohortUsers *u, int period, int periods, const char *zone, int zonelen)
{
	if (u->period != period || u->periods != periods)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cohort period and periods must be the same for all rows of a group")));
	CohortCheckZone(u->zone, u->zonelen, zone, zonelen);
}

/* cohort_users(customer, ts, period, periods) transition. */
Datum
pp_cohort_users_trans(PG_FUNCTION_ARGS)
{
	CohortUsers *u;
	CohortCache *c;
	int32		periods;
	int64		i;
	bool		isnew;

	(void) PortraitAggContext(fcinfo);
	c = CohortArgs(fcinfo, 3, &periods);
	if (PG_ARGISNULL(0))
		u = CohortUsersNew(c->period, periods, c->zone_arg.name, c->zone_arg.len, 1024);
	else
	{
		u = (CohortUsers *) PG_GETARG_POINTER(0);
		CohortUsersCheck(u, c->period, periods, c->zone_arg.name, c->zone_arg.len);
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(u);
	i = CohortUsersSlot(&u, PG_GETARG_INT64(1), &isnew);
	CohortUsersMark(u, i, isnew, PeriodIndex(&c->ranges, c->zone, PG_GETARG_TIMESTAMPTZ(2), c->period));
	PG_RETURN_POINTER(u);
}

/* Combine: every customer of b merged into a. */
Datum
pp_cohort_users_combine(PG_FUNCTION_ARGS)
{
	Datum		result;
	CohortUsers *a;
	CohortUsers *b;

	if (CohortCombineNulls(fcinfo, &result))
		return result;
	b = (CohortUsers *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	a = (CohortUsers *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	CohortUsersCheck(a, b->period, b->periods, b->zone, b->zonelen);
	if ((a->n + b->n) * 4 > a->cap * 3)
	{
		/* room for both at once rather than doubling on the way */
		int64		cap = a->cap;

		while ((a->n + b->n) * 4 > cap * 3)
			cap *= 2;
		a = CohortUsersResize(a, cap);
	}
	for (int64 j = 0; j < b->cap; j++)
	{
		int32		bfirst = *CohortSlotFirst(b, j);
		const uint32 *bbits = CohortSlotBits(b, j);
		bool		isnew;
		int64		i;

		if (bfirst == COHORT_FREE)
			continue;
		CHECK_FOR_INTERRUPTS();
		i = CohortUsersSlot(&a, *CohortSlotKey(b, j), &isnew);
		for (int k = 0; k <= b->periods; k++)
			if ((bbits[k / 32] >> (k % 32)) & 1)
			{
				CohortUsersMark(a, i, isnew, (int32) ((int64) bfirst + k));
				isnew = false;
			}
	}
	PG_RETURN_POINTER(a);
}

/* qsort order of (first period) values. */
static int
Int32Cmp(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/*
 * cohort_table(state): per cohort (first active period, ascending) and
 * offset 0..periods, the customers of the cohort and those active at that
 * offset.
 */
Datum
pp_cohort_table(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CohortUsers *u = (CohortUsers *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	int32	   *firsts;
	int64		ncohorts = 0;
	int64	   *counts;
	int			width = u->periods + 1;
	PortraitZoneName zone_name = {0};
	pg_tz	   *zone = CohortZone(u->zone, u->zonelen, &zone_name);

	InitMaterializedSRF(fcinfo, 0);
	/* the distinct cohorts, sorted */
	firsts = palloc(sizeof(int32) * Max(u->n, 1));
	for (int64 i = 0; i < u->cap; i++)
		if (*CohortSlotFirst(u, i) != COHORT_FREE)
			firsts[ncohorts++] = *CohortSlotFirst(u, i);
	qsort(firsts, ncohorts, sizeof(int32), Int32Cmp);
	{
		int64		k = 0;

		for (int64 i = 0; i < ncohorts; i++)
			if (k == 0 || firsts[i] != firsts[k - 1])
				firsts[k++] = firsts[i];
		ncohorts = k;
	}
	if ((Size) Max(ncohorts, 1) > MaxAllocSize / sizeof(int64) / width)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cohort matrix of %lld cohorts and %d offsets is too large", (long long) ncohorts, width),
				 errhint("Use fewer periods or a longer period.")));
	counts = palloc0(mul_size(Max(ncohorts, 1), mul_size(width, sizeof(int64))));
	for (int64 i = 0; i < u->cap; i++)
	{
		int32		f = *CohortSlotFirst(u, i);
		const uint32 *bits = CohortSlotBits(u, i);
		int64		lo = 0;
		int64		hi = ncohorts - 1;

		if (f == COHORT_FREE)
			continue;
		while (lo < hi)
		{
			int64		mid = (lo + hi) / 2;

			if (firsts[mid] < f)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (int k = 0; k < width; k++)
			if ((bits[k / 32] >> (k % 32)) & 1)
				counts[lo * width + k]++;
	}
	for (int64 c = 0; c < ncohorts; c++)
	{
		TimestampTz start = PeriodStart(firsts[c], (CohortPeriod) u->period, zone);

		CHECK_FOR_INTERRUPTS();
		for (int k = 0; k < width; k++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = TimestampTzGetDatum(start);
			values[1] = Int32GetDatum(k);
			values[2] = Int64GetDatum(counts[c * width]);
			values[3] = Int64GetDatum(counts[c * width + k]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/* qsort_arg order of slots (of the table in arg) by customer key. */
static int
CohortSlotKeyCmp(const void *a, const void *b, void *arg)
{
	int64		x = *CohortSlotKey((CohortUsers *) arg, *(const int64 *) a);
	int64		y = *CohortSlotKey((CohortUsers *) arg, *(const int64 *) b);

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Text form: period[@zone];periods;key:first:offset,offset,...;... in key order. */
Datum
pp_cohort_users_out(PG_FUNCTION_ARGS)
{
	CohortUsers *u = (CohortUsers *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int64	   *slots = palloc(sizeof(int64) * Max(u->n, 1));
	int64		m = 0;

	for (int64 i = 0; i < u->cap; i++)
		if (*CohortSlotFirst(u, i) != COHORT_FREE)
			slots[m++] = i;
	qsort_arg(slots, m, sizeof(int64), CohortSlotKeyCmp, u);
	initStringInfo(&buf);
	CohortAppendPeriod(&buf, u->period, u->zone, u->zonelen);
	appendStringInfo(&buf, ";%d", u->periods);
	for (int64 j = 0; j < m; j++)
	{
		appendStringInfo(&buf, ";%lld:%d:", (long long) *CohortSlotKey(u, slots[j]),
						 *CohortSlotFirst(u, slots[j]));
		CohortAppendOffsets(&buf, CohortSlotBits(u, slots[j]), u->periods);
	}
	PG_RETURN_CSTRING(buf.data);
}

/* Text input of portrait.cohort_users. */
Datum
pp_cohort_users_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	const char *tn = "portrait.cohort_users";
	int			period;
	int			periods;
	CohortUsers *u;
	const char *zone;
	int			zonelen;

	CohortParseHead(&p, tn, input, &period, &periods, &zone, &zonelen);
	u = CohortUsersNew(period, periods, zone, zonelen, 1024);
	while (*p == ';')
	{
		int64		key;
		int64		first;
		int64		i;
		bool		isnew;

		p++;
		key = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ':', tn, input);
		first = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ':', tn, input);
		if (first <= PG_INT32_MIN || first > PG_INT32_MAX)
			BadCohortInput(tn, input);
		i = CohortUsersSlot(&u, key, &isnew);
		if (!isnew)
			BadCohortInput(tn, input);
		*CohortSlotFirst(u, i) = (int32) first;
		CohortParseOffsets(&p, tn, input, CohortSlotBits(u, i), periods);
	}
	if (*p != '\0')
		BadCohortInput(tn, input);
	PG_RETURN_POINTER(u);
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
