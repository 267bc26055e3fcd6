/*
 * rfm.c
 *		RFM: per-customer purchase summaries, quantile breaks (model kind
 *		"rfm"), scores in two forms that agree, and rule-based segment maps.
 *
 * Days are calendar days: a date as it is, a timestamp's date, a
 * timestamptz's date in the session time zone or the one named by the
 * zone argument.  All day counts are
 * differences of those days, which is the convention of the
 * customer-base-analysis literature (x, t_x, T).
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "pgtime.h"
#include "windowapi.h"

#include "portrait.h"

#define PORTRAIT_RFM_MAX_BUCKETS 100
#define PORTRAIT_RFM_DEFAULT_BUCKETS 5
#define RFM_STATE_VERSION 1
/* the text form: version 2 adds the flags (version 1 text still reads) */
#define RFM_STATE_TEXT_VERSION 2

/*
 * flags: the largest display scale of numeric amounts, plus one (0: float8
 * amounts, or none with a value yet; RFM_SCALE_UNROUNDED: more decimals than
 * a double holds), so that sums of money come out as the decimals they are.
 */
#define RFM_SCALE_MASK 0x00FF
#define RFM_SCALE_UNROUNDED 0x00FF
#define RFM_MAX_ROUNDED_SCALE 15

typedef enum RfmTimeType
{
	RFM_DATE = 1,
	RFM_TIMESTAMP = 2,
	RFM_TIMESTAMPTZ = 3
} RfmTimeType;

/*
 * rfm_summary's state: counters, compensated sums and the sorted set of
 * distinct purchase days (needed for x and for order independence).  It is
 * grown by replacement (capacity doubles), modified in place otherwise.
 */
typedef struct RfmState
{
	int32		vl_len_;
	uint8		version;
	uint8		timetype;		/* RfmTimeType */
	uint16		flags;			/* RFM_SCALE_MASK: money scale + 1 */
	int32		as_of_day;
	int64		as_of;			/* as_of as given (date widened) */
	int64		purchases;		/* rows with amount >= 0 or NULL */
	int64		valued;			/* purchases with an amount */
	int64		refunds;		/* rows with amount < 0 */
	int64		first_ts;		/* earliest and latest purchase, as given */
	int64		last_ts;
	KahanSum	gross;			/* sum of purchase amounts */
	KahanSum	refund;			/* sum of refund amounts (negative) */
	double		first_day_total;	/* purchases on days[0] */
	int32		ndays;
	int32		capacity;
	int32		days[FLEXIBLE_ARRAY_MEMBER];
} RfmState;

/* a new state fills the allocator's 128-byte chunk class (four days) */
#define RFM_FIRST_STATE_SIZE 128
#define RFM_INITIAL_DAYS ((RFM_FIRST_STATE_SIZE - offsetof(RfmState, days)) / sizeof(int32))
#define RfmStateSize(cap) (offsetof(RfmState, days) + sizeof(int32) * (cap))

PG_FUNCTION_INFO_V1(pp_rfm_state_in);
PG_FUNCTION_INFO_V1(pp_rfm_state_out);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_date_num);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_date_f8);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_ts_num);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_ts_f8);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_tstz_num);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_tstz_f8);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_tstz_num_zone);
PG_FUNCTION_INFO_V1(pp_rfm_summary_trans_tstz_f8_zone);
PG_FUNCTION_INFO_V1(pp_rfm_summary_combine);
PG_FUNCTION_INFO_V1(pp_rfm_summary_final);
PG_FUNCTION_INFO_V1(pp_rfm_breaks_trans);
PG_FUNCTION_INFO_V1(pp_rfm_breaks_trans_buckets);
PG_FUNCTION_INFO_V1(pp_rfm_breaks_combine);
PG_FUNCTION_INFO_V1(pp_rfm_breaks_final);
PG_FUNCTION_INFO_V1(pp_rfm_score);
PG_FUNCTION_INFO_V1(pp_rfm_score_window);
PG_FUNCTION_INFO_V1(pp_rfm_score_text);
PG_FUNCTION_INFO_V1(pp_rfm_segment);

/* ---------- days ---------- */

/*
 * fn_extra of the transition functions: the offset ranges of the zone days
 * are counted in (src/core/zone.c) and the zone argument as last parsed.
 */
typedef struct DayCache
{
	PortraitZoneCache ranges;
	PortraitZoneName zone;
} DayCache;

static void
NotFinite(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("%s must be a finite date or time", what)));
}

static inline int64
FloorDiv(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/*
 * Raw value (date widened to int64) and calendar day of a time datum; a
 * timestamptz's day is in zone.
 */
static inline int64
TimeValue(Datum d, RfmTimeType tt, int32 *day, DayCache *cache, pg_tz *zone, const char *what)
{
	if (tt == RFM_DATE)
	{
		DateADT		v = DatumGetDateADT(d);

		if (DATE_NOT_FINITE(v))
			NotFinite(what);
		*day = v;
		return v;
	}
	else
	{
		Timestamp	v = DatumGetTimestamp(d);

		if (TIMESTAMP_NOT_FINITE(v))
			NotFinite(what);
		if (tt == RFM_TIMESTAMP)
			*day = (int32) FloorDiv(v, USECS_PER_DAY);
		else
			*day = PortraitZoneDay(&cache->ranges, zone, v);
		return v;
	}
}

static Datum
TimeToTimestamptz(int64 v, RfmTimeType tt)
{
	int			overflow = 0;
	TimestampTz r;

	if (tt == RFM_DATE)
		r = date2timestamptz_opt_overflow((DateADT) v, &overflow);
	else if (tt == RFM_TIMESTAMP)
		r = timestamp2timestamptz_opt_overflow(v, &overflow);
	else
		r = v;
	if (overflow)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return TimestampTzGetDatum(r);
}

static char *
DayText(int32 day)
{
	return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(day)));
}

/* ---------- rfm_summary ---------- */

static RfmState *
RfmStateNew(int capacity)
{
	RfmState   *s = palloc(RfmStateSize(capacity));

	memset(s, 0, offsetof(RfmState, days));

	SET_VARSIZE(s, RfmStateSize(capacity));
	s->version = RFM_STATE_VERSION;
	s->capacity = capacity;
	return s;
}

/* A copy of s with room for at least need days. */
static RfmState *
RfmStateGrow(const RfmState *s, int need)
{
	Size		size = RFM_FIRST_STATE_SIZE;
	int			cap;
	RfmState   *n;

	/* fill the allocator's power-of-two chunk classes */
	while (RfmStateSize(need) > size)
		size *= 2;
	cap = (size - offsetof(RfmState, days)) / sizeof(int32);
	n = RfmStateNew(cap);
	memcpy(n, s, offsetof(RfmState, days));
	SET_VARSIZE(n, RfmStateSize(cap));
	n->capacity = cap;
	memcpy(n->days, s->days, sizeof(int32) * s->ndays);
	return n;
}

/* Index of the first day >= day. */
static inline int
DaySearch(const RfmState *s, int32 day)
{
	int			lo = 0;
	int			hi = s->ndays;

	/* rows mostly arrive in time order: try the end first */
	if (hi > 0 && s->days[hi - 1] < day)
		return hi;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (s->days[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The fifth argument of rfm_summary, after_as_of: 'error' (the default of
 * the three-argument form) or 'ignore' (rows after the as_of day are left
 * out, as if the data ended there).  Read per row: it is a few bytes.
 */
static bool
IgnoreAfterAsOf(FunctionCallInfo fcinfo)
{
	text	   *t;
	int			len;

	if (PG_NARGS() < 5)
		return false;
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("after_as_of must not be NULL"),
				 errhint("Pass 'error' or 'ignore'.")));
	t = PG_GETARG_TEXT_PP(4);
	len = VARSIZE_ANY_EXHDR(t);
	if (len == 6 && memcmp(VARDATA_ANY(t), "ignore", 6) == 0)
		return true;
	if (len == 5 && memcmp(VARDATA_ANY(t), "error", 5) == 0)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid after_as_of \"%s\"", text_to_cstring(t)),
			 errhint("Pass 'error' (rows after the as_of day raise an error) or 'ignore' (they are left out).")));
	return false;				/* not reached */
}

/* Raise 22003 when a sum of amounts has left the range of float8. */
static inline void
CheckSum(const KahanSum *k, const char *what)
{
	if (unlikely(isinf(k->hi) || isnan(k->hi) || isinf(k->lo) || isnan(k->lo)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("sum of %s amounts is out of range for type double precision", what),
				 errdetail("The %s amounts of a group add up to more than about 1.8e308.", what),
				 errhint("Check the amounts for wrong values, or sum them in a smaller unit of money.")));
}

/* The money scale flag of a numeric amount. */
static inline uint16
AmountScaleFlag(Datum num)
{
	int			scale = PortraitNumericScale(num);

	return scale > RFM_MAX_ROUNDED_SCALE ? RFM_SCALE_UNROUNDED : (uint16) (scale + 1);
}

/* The larger of two scale flags (RFM_SCALE_UNROUNDED wins). */
static inline uint16
MergeScaleFlags(uint16 a, uint16 b)
{
	uint16		x = a & RFM_SCALE_MASK;
	uint16		y = b & RFM_SCALE_MASK;

	return (a & ~RFM_SCALE_MASK) | Max(x, y);
}

/*
 * A sum of decimals with at most `scale` digits after the point has at most
 * as many itself: rounding the float8 sum to them gives the double nearest to
 * the exact decimal sum (32.62, not 32.620000000000005), as long as the
 * scaled sum is an exact integer in a double.
 */
static double
RoundMoney(double x, uint16 flags)
{
	int			f = flags & RFM_SCALE_MASK;
	double		p;

	if (f == 0 || f == RFM_SCALE_UNROUNDED)
		return x;
	p = pow(10.0, f - 1);
	if (!(fabs(x) * p < 4503599627370496.0))	/* 2^52 */
		return x;
	return rint(x * p) / p;
}

static void
AsOfMismatch(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("as_of must be on the same day for every row of a group"),
			 errdetail("The summary counts days up to the as_of day; rows with as_of on different days do not add up."),
			 errhint("Pass one as_of for the whole query, e.g. a literal, current_date or now().")));
}

/*
 * The transition step shared by the fourteen overloads: (state, ordered_at,
 * amount, as_of [, after_as_of [, zone]]).  NULL ordered_at rows are
 * skipped; a NULL amount is a purchase of unknown value; a negative amount
 * is a refund.  Without a zone argument timestamptz days are in the session
 * time zone.  as_of is compared by its day, which is all the summary uses:
 * now() differs between the nodes of a distributed query, its day does not.
 */
static inline Datum
RfmSummaryTrans(FunctionCallInfo fcinfo, RfmTimeType tt, bool numeric_amount, bool zone_arg)
{
	pg_tz	   *zone = session_timezone;
	DayCache   *cache = fcinfo->flinfo->fn_extra;
	RfmState   *s;
	int32		day;
	int32		as_of_day;
	int64		ts;
	int64		as_of;
	double		amount = 0;
	bool		has_amount = !PG_ARGISNULL(2);
	int			pos;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be NULL")));
	if (cache == NULL)
	{
		cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(DayCache));
		fcinfo->flinfo->fn_extra = cache;
	}
	if (zone_arg)
		zone = PortraitZoneArg(fcinfo, 5, &cache->zone);

	ts = TimeValue(PG_GETARG_DATUM(1), tt, &day, cache, zone, "ordered_at");
	if (has_amount)
	{
		amount = numeric_amount ? PortraitNumericToDouble(PG_GETARG_DATUM(2), "amount")
			: PG_GETARG_FLOAT8(2);
		CheckFinite(amount, "amount");
	}

	/*
	 * A row after the as_of day is left out before it touches the state, so
	 * that the result is the same as with the row filtered out by a WHERE
	 * clause.  The first row's as_of decides the day until a state exists.
	 */
	if (IgnoreAfterAsOf(fcinfo))
	{
		int32		limit;

		if (PG_ARGISNULL(0))
			(void) TimeValue(PG_GETARG_DATUM(3), tt, &limit, cache, zone, "as_of");
		else
			limit = ((RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0)))->as_of_day;
		if (day > limit)
		{
			if (PG_ARGISNULL(0))
				PG_RETURN_NULL();
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		}
	}

	if (PG_ARGISNULL(0))
	{
		as_of = TimeValue(PG_GETARG_DATUM(3), tt, &as_of_day, cache, zone, "as_of");
		s = RfmStateNew(RFM_INITIAL_DAYS);
		s->timetype = tt;
		s->as_of = as_of;
		s->as_of_day = as_of_day;
	}
	else
	{
		(void) PortraitAggContext(fcinfo);
		s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
		as_of = tt == RFM_DATE ? (int64) PG_GETARG_DATEADT(3) : PG_GETARG_INT64(3);
		if (as_of != s->as_of)
		{
			(void) TimeValue(PG_GETARG_DATUM(3), tt, &as_of_day, cache, zone, "as_of");
			if (as_of_day != s->as_of_day)
				AsOfMismatch();
		}
	}

	if (unlikely(day > s->as_of_day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order on %s is after as_of %s", DayText(day), DayText(s->as_of_day)),
				 errdetail("Orders after the as_of day would make recency negative."),
				 errhint("Pass 'ignore' as rfm_summary's fourth argument to leave such rows out, filter them with WHERE ordered_at < as_of + interval '1 day', or move as_of to a later day.")));

	if (has_amount && numeric_amount)
	{
		uint16		sf = AmountScaleFlag(PG_GETARG_DATUM(2));

		if (sf > (s->flags & RFM_SCALE_MASK))
			s->flags = MergeScaleFlags(s->flags, sf);
	}
	if (has_amount && amount < 0)
	{
		s->refunds++;
		KahanAdd(&s->refund, amount);
		CheckSum(&s->refund, "refund");
		PG_RETURN_POINTER(s);
	}

	if (s->purchases == 0 || ts < s->first_ts)
		s->first_ts = ts;
	if (s->purchases == 0 || ts > s->last_ts)
		s->last_ts = ts;
	s->purchases++;
	if (has_amount)
	{
		s->valued++;
		KahanAdd(&s->gross, amount);
		CheckSum(&s->gross, "purchase");
	}

	pos = DaySearch(s, day);
	if (pos < s->ndays && s->days[pos] == day)
	{
		if (pos == 0)
			s->first_day_total += amount;
		PG_RETURN_POINTER(s);
	}
	if (s->ndays >= s->capacity)
		s = RfmStateGrow(s, s->ndays + 1);
	memmove(&s->days[pos + 1], &s->days[pos], sizeof(int32) * (s->ndays - pos));
	s->days[pos] = day;
	s->ndays++;
	if (pos == 0)
		s->first_day_total = amount;
	PG_RETURN_POINTER(s);
}

Datum
pp_rfm_summary_trans_date_num(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_DATE, true, false);
}

Datum
pp_rfm_summary_trans_date_f8(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_DATE, false, false);
}

Datum
pp_rfm_summary_trans_ts_num(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_TIMESTAMP, true, false);
}

Datum
pp_rfm_summary_trans_ts_f8(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_TIMESTAMP, false, false);
}

Datum
pp_rfm_summary_trans_tstz_num(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_TIMESTAMPTZ, true, false);
}

Datum
pp_rfm_summary_trans_tstz_f8(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_TIMESTAMPTZ, false, false);
}

/* rfm_summary(timestamptz, numeric, timestamptz, after_as_of, zone) */
Datum
pp_rfm_summary_trans_tstz_num_zone(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_TIMESTAMPTZ, true, true);
}

/* rfm_summary(timestamptz, float8, timestamptz, after_as_of, zone) */
Datum
pp_rfm_summary_trans_tstz_f8_zone(PG_FUNCTION_ARGS)
{
	return RfmSummaryTrans(fcinfo, RFM_TIMESTAMPTZ, false, true);
}

/* Merge two partial states (parallel workers, distributed nodes). */
Datum
pp_rfm_summary_combine(PG_FUNCTION_ARGS)
{
	RfmState   *a;
	RfmState   *b;
	RfmState   *r;
	int			i = 0;
	int			j = 0;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(1)));
	a = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));

	/* by day: the nodes of a distributed query each have their own now() */
	if (a->timetype != b->timetype || a->as_of_day != b->as_of_day)
		AsOfMismatch();

	r = RfmStateNew(Max(a->ndays + b->ndays, 4));
	memcpy(r, a, offsetof(RfmState, ndays));
	SET_VARSIZE(r, RfmStateSize(Max(a->ndays + b->ndays, 4)));
	r->capacity = Max(a->ndays + b->ndays, 4);
	r->purchases = a->purchases + b->purchases;
	r->valued = a->valued + b->valued;
	r->refunds = a->refunds + b->refunds;
	KahanMerge(&r->gross, &b->gross);
	KahanMerge(&r->refund, &b->refund);
	CheckSum(&r->gross, "purchase");
	CheckSum(&r->refund, "refund");
	r->flags = MergeScaleFlags(a->flags, b->flags);
	if (a->purchases == 0 || (b->purchases > 0 && b->first_ts < a->first_ts))
		r->first_ts = b->first_ts;
	if (a->purchases == 0 || (b->purchases > 0 && b->last_ts > a->last_ts))
		r->last_ts = b->last_ts;

	if (a->ndays == 0 || (b->ndays > 0 && b->days[0] < a->days[0]))
		r->first_day_total = b->first_day_total;
	else if (b->ndays > 0 && b->days[0] == a->days[0])
		r->first_day_total = a->first_day_total + b->first_day_total;

	r->ndays = 0;
	while (i < a->ndays || j < b->ndays)
	{
		int32		d;

		if (j >= b->ndays || (i < a->ndays && a->days[i] < b->days[j]))
			d = a->days[i++];
		else if (i >= a->ndays || b->days[j] < a->days[i])
			d = b->days[j++];
		else
		{
			d = a->days[i++];
			j++;
		}
		r->days[r->ndays++] = d;
	}
	PG_RETURN_POINTER(r);
}

Datum
pp_rfm_summary_final(PG_FUNCTION_ARGS)
{
	RfmState   *s;
	TupleDesc	tupdesc = fcinfo->flinfo->fn_extra;
	Datum		values[12];
	bool		nulls[12] = {0};
	double		gross;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	if (tupdesc == NULL)
	{
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "rfm_summary must return a composite type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}

	/* money sums are rounded to their numeric inputs' scale; means are not */
	gross = KahanValue(&s->gross);
	values[1] = Int64GetDatum(s->purchases);
	values[2] = Float8GetDatum(RoundMoney(gross + KahanValue(&s->refund), s->flags));
	values[10] = Int64GetDatum(s->refunds);
	values[11] = Float8GetDatum(RoundMoney(KahanValue(&s->refund), s->flags));
	if (s->purchases == 0)
	{
		/* refunds only: nothing about purchase timing is known */
		for (int i = 0; i < 10; i++)
			nulls[i] = (i != 1 && i != 2);
	}
	else
	{
		int32		first = s->days[0];
		int32		last = s->days[s->ndays - 1];
		int32		x = s->ndays - 1;

		values[0] = Int32GetDatum(s->as_of_day - last);
		if (s->valued > 0)
			values[3] = Float8GetDatum(gross / s->valued);
		else
			nulls[3] = true;
		values[4] = TimeToTimestamptz(s->first_ts, s->timetype);
		values[5] = TimeToTimestamptz(s->last_ts, s->timetype);
		values[6] = Int32GetDatum(s->as_of_day - first);
		values[7] = Int32GetDatum(x);
		values[8] = Int32GetDatum(last - first);
		values[9] = Float8GetDatum(x > 0 ? (gross - s->first_day_total) / x : 0.0);
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * Text form: version;timetype;flags;as_of;as_of_day;purchases;valued;refunds;
 * first;last;g;g;r;r;fdt;days (version 1, written before 0.5.0, has no flags)
 */
Datum
pp_rfm_state_out(PG_FUNCTION_ARGS)
{
	RfmState   *s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%d;%d;%d;%lld;%d;%lld;%lld;%lld;%lld;%lld;",
					 RFM_STATE_TEXT_VERSION, s->timetype, s->flags, (long long) s->as_of, s->as_of_day,
					 (long long) s->purchases, (long long) s->valued, (long long) s->refunds,
					 (long long) s->first_ts, (long long) s->last_ts);
	PortraitFormatDouble(&buf, s->gross.hi);
	appendStringInfoChar(&buf, ';');
	PortraitFormatDouble(&buf, s->gross.lo);
	appendStringInfoChar(&buf, ';');
	PortraitFormatDouble(&buf, s->refund.hi);
	appendStringInfoChar(&buf, ';');
	PortraitFormatDouble(&buf, s->refund.lo);
	appendStringInfoChar(&buf, ';');
	PortraitFormatDouble(&buf, s->first_day_total);
	appendStringInfoChar(&buf, ';');
	for (int i = 0; i < s->ndays; i++)
		appendStringInfo(&buf, i > 0 ? ",%d" : "%d", s->days[i]);
	PG_RETURN_CSTRING(buf.data);
}

Datum
pp_rfm_state_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	const char *tn = "portrait.rfm_state";
	int64		hdr[9];
	int64		version;
	int64		flags = 0;
	double		sums[5];
	RfmState   *s;
	int			ndays = 0;
	bool		ok;

	version = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	hdr[0] = version == 2 ? RFM_STATE_VERSION : version;
	hdr[1] = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	if (version == 2)
	{
		flags = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ';', tn, input);
	}
	for (int i = 2; i < 9; i++)
	{
		hdr[i] = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ';', tn, input);
	}
	for (int i = 0; i < 5; i++)
	{
		sums[i] = PortraitParseDouble(&p, tn, input);
		PortraitExpectChar(&p, ';', tn, input);
	}
	for (const char *q = p; *q; q++)
		if (*q == ',')
			ndays++;
	if (*p)
		ndays++;
	s = RfmStateNew(Max(ndays, 4));
	s->timetype = hdr[1];
	s->flags = (flags >= 0 && flags <= RFM_SCALE_MASK) ? (uint16) flags : 0;
	s->as_of = hdr[2];
	s->as_of_day = hdr[3];
	s->purchases = hdr[4];
	s->valued = hdr[5];
	s->refunds = hdr[6];
	s->first_ts = hdr[7];
	s->last_ts = hdr[8];
	s->gross.hi = sums[0];
	s->gross.lo = sums[1];
	s->refund.hi = sums[2];
	s->refund.lo = sums[3];
	s->first_day_total = sums[4];
	for (int i = 0; i < ndays; i++)
	{
		int64		d;

		if (i > 0)
			PortraitExpectChar(&p, ',', tn, input);
		d = PortraitParseInt64(&p, tn, input);
		if (d > s->as_of_day || d < PG_INT32_MIN || (i > 0 && d <= s->days[i - 1]))
			ndays = -1;
		if (ndays < 0)
			break;
		s->days[i] = (int32) d;
	}
	s->ndays = Max(ndays, 0);

	ok = ndays >= 0 && *p == '\0' && hdr[0] == RFM_STATE_VERSION &&
		hdr[1] >= RFM_DATE && hdr[1] <= RFM_TIMESTAMPTZ &&
		flags >= 0 && flags <= RFM_SCALE_MASK &&
		hdr[3] >= PG_INT32_MIN && hdr[3] <= PG_INT32_MAX &&
		s->purchases >= 0 && s->refunds >= 0 && s->valued >= 0 && s->valued <= s->purchases &&
		(s->purchases == 0) == (ndays == 0) && ndays <= s->purchases &&
		s->first_ts <= s->last_ts;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	PG_RETURN_POINTER(s);
}

/* ---------- breaks: the rfm model ---------- */

enum
{
	DIM_R = 0,
	DIM_F = 1,
	DIM_M = 2
};

static const char *const dim_names[3] = {"recency", "frequency", "monetary"};

typedef struct RfmBreaks
{
	int			buckets;
	int64		n;
	/* recency cuts are non-increasing (r counts cuts above), others non-decreasing */
	double		cuts[3][PORTRAIT_RFM_MAX_BUCKETS - 1];
	double		mean_score[3];
	double		mean_value[3];
} RfmBreaks;

static inline int
ScoreOne(const RfmBreaks *b, int dim, double v)
{
	int			s = 1;
	const double *c = b->cuts[dim];

	if (dim == DIM_R)
	{
		for (int j = 0; j < b->buckets - 1; j++)
			s += (c[j] > v);
	}
	else
	{
		for (int j = 0; j < b->buckets - 1; j++)
			s += (c[j] < v);
	}
	return s;
}

static void
CheckBuckets(int64 buckets)
{
	if (buckets < 2 || buckets > PORTRAIT_RFM_MAX_BUCKETS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("buckets must be between 2 and %d, not %lld",
						PORTRAIT_RFM_MAX_BUCKETS, (long long) buckets)));
}

/*
 * Quantile cut points of n rows (r, f, m).  Cut j is the order statistic
 * ceil(j n / B) of the column (recency negated, so recent scores high):
 * a value's score is then 1 + floor(B * share of values strictly below it),
 * capped at B, which gives equal values equal scores.
 */
static void
RfmComputeBreaks(const double *rows, int64 n, int buckets, RfmBreaks *out)
{
	double	   *col = palloc(sizeof(double) * Max(n, 1));
	KahanSum	ss[3] = {{0}};
	size_t		pos[PORTRAIT_RFM_MAX_BUCKETS - 1];
	size_t		ks[PORTRAIT_RFM_MAX_BUCKETS - 1];
	int			nk = 0;

	memset(out, 0, sizeof(RfmBreaks));
	out->buckets = buckets;
	out->n = n;
	/* cut j at position ceil(j n / B) - 1 of the sorted column; positions repeat when n < B */
	for (int j = 1; j < buckets; j++)
	{
		pos[j - 1] = (j * n + buckets - 1) / buckets - 1;
		if (nk == 0 || ks[nk - 1] != pos[j - 1])
			ks[nk++] = pos[j - 1];
	}
	for (int d = 0; d < 3; d++)
	{
		KahanSum	vs = {0};

		for (int64 i = 0; i < n; i++)
		{
			double		v = rows[i * 3 + d];

			KahanAdd(&vs, v);
			col[i] = d == DIM_R ? -v : v;
		}
		PortraitSelectDoubles(col, n, ks, nk);
		for (int j = 1; j < buckets; j++)
		{
			double		c = col[pos[j - 1]];

			out->cuts[d][j - 1] = d == DIM_R ? -c : c;
		}
		out->mean_value[d] = KahanValue(&vs) / n;
		CHECK_FOR_INTERRUPTS();
	}
	for (int64 i = 0; i < n; i++)
	{
		PORTRAIT_ROW_INTERRUPTS(i);
		for (int d = 0; d < 3; d++)
			KahanAdd(&ss[d], ScoreOne(out, d, rows[i * 3 + d]));
	}
	for (int d = 0; d < 3; d++)
		out->mean_score[d] = KahanValue(&ss[d]) / n;
	pfree(col);
}

static void
RfmValidate(const PortraitModel *m)
{
	int64		buckets = ModelGetInt(m, "buckets");
	int			n;
	const double *v;

	if (buckets < 2 || buckets > PORTRAIT_RFM_MAX_BUCKETS || ModelGetInt(m, "n") < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type portrait.model"),
				 errdetail("An rfm model needs 2 to %d buckets and n >= 1.", PORTRAIT_RFM_MAX_BUCKETS)));
	for (int d = 0; d < 3; d++)
	{
		v = ModelGetFloatArray(m, dim_names[d], &n);
		if (n != buckets - 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type portrait.model"),
					 errdetail("Field \"%s\" must hold buckets - 1 = %lld cut points, not %d.",
							   dim_names[d], (long long) buckets - 1, n)));
		for (int j = 1; j < n; j++)
			if (d == DIM_R ? v[j] > v[j - 1] : v[j] < v[j - 1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid input syntax for type portrait.model"),
						 errdetail("Cut points of \"%s\" must be %s.", dim_names[d],
								   d == DIM_R ? "non-increasing" : "non-decreasing")));
	}
	v = ModelGetFloatArray(m, "mean_score", &n);
	if (n != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type portrait.model"),
				 errdetail("Field \"mean_score\" must hold 3 numbers (r, f, m).")));
	v = ModelGetFloatArray(m, "mean_value", &n);
	if (v != NULL && n != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type portrait.model"),
				 errdetail("Field \"mean_value\" must hold 3 numbers (recency, frequency, monetary).")));
}

static const ModelFieldSpec rfm_fields[] = {
	{"buckets", MF_INT, true},
	{"n", MF_INT, true},
	{"recency", MF_FLOAT_ARRAY, true},
	{"frequency", MF_FLOAT_ARRAY, true},
	{"monetary", MF_FLOAT_ARRAY, true},
	{"mean_score", MF_FLOAT_ARRAY, true},
	{"mean_value", MF_FLOAT_ARRAY, false},
};

const ModelKindSpec RfmModelKind = {
	PORTRAIT_KIND_RFM, "rfm", rfm_fields, lengthof(rfm_fields), RfmValidate
};

static PortraitModel *
RfmBreaksToModel(const RfmBreaks *b)
{
	ModelBuilder *mb = ModelBuild(PORTRAIT_KIND_RFM);

	ModelPutInt(mb, "buckets", b->buckets);
	ModelPutInt(mb, "n", b->n);
	for (int d = 0; d < 3; d++)
		ModelPutFloatArray(mb, dim_names[d], b->cuts[d], b->buckets - 1);
	ModelPutFloatArray(mb, "mean_score", b->mean_score, 3);
	ModelPutFloatArray(mb, "mean_value", b->mean_value, 3);
	return ModelFinish(mb);
}

static void *
RfmParseModel(const PortraitModel *m, MemoryContext cxt)
{
	RfmBreaks  *b = MemoryContextAllocZero(cxt, sizeof(RfmBreaks));
	int			n;

	b->buckets = ModelGetInt(m, "buckets");
	b->n = ModelGetInt(m, "n");
	for (int d = 0; d < 3; d++)
		memcpy(b->cuts[d], ModelGetFloatArray(m, dim_names[d], &n), sizeof(double) * (b->buckets - 1));
	memcpy(b->mean_score, ModelGetFloatArray(m, "mean_score", &n), sizeof(double) * 3);
	return b;
}

/* Read (r, f, m) at argument 1..3; false if any is NULL. */
static bool
RfmRowArgs(FunctionCallInfo fcinfo, double *row)
{
	for (int d = 0; d < 3; d++)
	{
		if (PG_ARGISNULL(d + 1))
			return false;
		row[d] = PG_GETARG_FLOAT8(d + 1);
		CheckFinite(row[d], dim_names[d]);
	}
	return true;
}

static Datum
RfmBreaksTrans(FunctionCallInfo fcinfo, int64 buckets)
{
	double		row[3];
	PointsState *ps;

	if (!RfmRowArgs(fcinfo, row))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	ps = PointsGetState(fcinfo, 0, 3, buckets);
	PointsAppend(ps, row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

Datum
pp_rfm_breaks_trans(PG_FUNCTION_ARGS)
{
	return RfmBreaksTrans(fcinfo, PORTRAIT_RFM_DEFAULT_BUCKETS);
}

Datum
pp_rfm_breaks_trans_buckets(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("buckets must not be NULL")));
	CheckBuckets(PG_GETARG_INT32(4));
	return RfmBreaksTrans(fcinfo, PG_GETARG_INT32(4));
}

Datum
pp_rfm_breaks_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

Datum
pp_rfm_breaks_final(PG_FUNCTION_ARGS)
{
	PointsState *ps;
	RfmBreaks	b;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ps = PointsRead(PG_GETARG_DATUM(0));
	if (ps->n == 0)
		PG_RETURN_NULL();
	PointsCheckFit(ps, sizeof(double));	/* one column at a time */
	RfmComputeBreaks(ps->values, ps->n, (int) ps->param, &b);
	PG_RETURN_POINTER(RfmBreaksToModel(&b));
}

/* ---------- segment maps ---------- */

/* Dimensions a rule can bound: scores r, f, m and fm = (f + m) / 2. */
#define RULE_DIMS 4

typedef struct RfmRule
{
	text	   *segment;		/* ready for result rows */
	bool		relative;		/* bounds apply to score - population mean score */
	bool		inclusive;		/* lower bounds admit their own value */
	bool		has_lo[RULE_DIMS];
	bool		has_hi[RULE_DIMS];
	double		lo[RULE_DIMS];	/* exclusive unless inclusive */
	double		hi[RULE_DIMS];	/* inclusive */
} RfmRule;

typedef struct RfmMap
{
	char	   *name;
	int			nrules;
	bool		relative;		/* some rule needs the population means */
	RfmRule    *rules;
} RfmMap;

/* Load a map's rules (ordered by priority) into cxt. */
static RfmMap *
RfmLoadMap(const char *name, MemoryContext cxt)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	RfmMap	   *map;
	int			ret;

	args[0] = CStringGetTextDatum(name);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(
		"SELECT segment, relative, r_low, r_high, f_low, f_high, m_low, m_high, fm_low, fm_high, "
		"pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.->>) 'inclusive' "
		"FROM portrait.rfm_segment_rule r WHERE map OPERATOR(pg_catalog.=) $1 ORDER BY priority",
		1, argtypes, args, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "reading portrait.rfm_segment_rule failed: %d", ret);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("segment map \"%s\" does not exist", name),
				 errhint("Maps are the values of portrait.rfm_segment_rule.map; built in are 'standard' and 'cn8'.")));

	map = MemoryContextAllocZero(cxt, sizeof(RfmMap));
	map->name = MemoryContextStrdup(cxt, name);
	map->nrules = SPI_processed;
	map->rules = MemoryContextAllocZero(cxt, sizeof(RfmRule) * map->nrules);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		RfmRule    *r = &map->rules[i];
		bool		isnull;
		Datum		d;
		MemoryContext old;

		d = SPI_getbinval(tup, td, 1, &isnull);
		old = MemoryContextSwitchTo(cxt);
		r->segment = DatumGetTextPCopy(d);
		MemoryContextSwitchTo(old);
		d = SPI_getbinval(tup, td, 2, &isnull);
		r->relative = !isnull && DatumGetBool(d);
		map->relative |= r->relative;
		for (int k = 0; k < RULE_DIMS; k++)
		{
			d = SPI_getbinval(tup, td, 3 + 2 * k, &isnull);
			r->has_lo[k] = !isnull;
			r->lo[k] = isnull ? 0 : DatumGetFloat8(d);
			d = SPI_getbinval(tup, td, 4 + 2 * k, &isnull);
			r->has_hi[k] = !isnull;
			r->hi[k] = isnull ? 0 : DatumGetFloat8(d);
		}
		/* read by name: a catalog not yet updated to 0.5.0 has no such column */
		d = SPI_getbinval(tup, td, 3 + 2 * RULE_DIMS, &isnull);
		r->inclusive = !isnull && strcmp(TextDatumGetCString(d), "true") == 0;
	}
	SPI_finish();
	return map;
}

/* The first rule of map that (r, f, m) satisfies, or NULL. */
static const RfmRule *
RfmApplyMap(const RfmMap *map, int r, int f, int m, const double *mean_score)
{
	double		x[RULE_DIMS] = {r, f, m, (f + m) / 2.0};
	double		mean[RULE_DIMS] = {0, 0, 0, 0};

	if (map->relative)
	{
		if (mean_score == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("segment map \"%s\" compares scores with the population mean", map->name),
					 errhint("Pass the rfm model: rfm_segment(r, f, m, map, model), or use rfm_score.")));
		mean[0] = mean_score[0];
		mean[1] = mean_score[1];
		mean[2] = mean_score[2];
		mean[3] = (mean_score[1] + mean_score[2]) / 2.0;
	}
	for (int i = 0; i < map->nrules; i++)
	{
		const RfmRule *rule = &map->rules[i];
		bool		ok = true;

		for (int k = 0; k < RULE_DIMS && ok; k++)
		{
			double		v = rule->relative ? x[k] - mean[k] : x[k];

			if (rule->has_lo[k] && !(rule->inclusive ? v >= rule->lo[k] : v > rule->lo[k]))
				ok = false;
			if (rule->has_hi[k] && !(v <= rule->hi[k]))
				ok = false;
		}
		if (ok)
			return rule;
	}
	return NULL;
}

/* scores up to this many buckets have their segment remembered per (r, f, m) */
#define RFM_MEMO_BUCKETS 9

/* fn_extra of the scoring functions: parsed model, map, result row type. */
typedef struct RfmScoreCache
{
	void	   *model_slot;
	RfmMap	   *map;
	MemoryContext mapcxt;		/* holds map; reset when another map is asked for */
	TupleDesc	tupdesc;
	/* by (r, f, m), for maps without relative rules: -1 not yet known, 0 no rule, i + 1 rule i */
	int16		memo[RFM_MEMO_BUCKETS][RFM_MEMO_BUCKETS][RFM_MEMO_BUCKETS];
} RfmScoreCache;

static RfmScoreCache *
ScoreCache(FunctionCallInfo fcinfo)
{
	RfmScoreCache *c = fcinfo->flinfo->fn_extra;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RfmScoreCache));
		fcinfo->flinfo->fn_extra = c;
	}
	return c;
}

/* The map named name (NULL: the standard map), loaded once per query. */
static const RfmMap *
CachedMap(FunctionCallInfo fcinfo, RfmScoreCache *c, text *name)
{
	const char *s = name ? VARDATA_ANY(name) : "standard";
	size_t		len = name ? VARSIZE_ANY_EXHDR(name) : strlen("standard");

	if (c->map == NULL || strlen(c->map->name) != len || memcmp(c->map->name, s, len) != 0)
	{
		char	   *cs = pnstrdup(s, len);

		if (c->mapcxt == NULL)
			c->mapcxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "rfm segment map",
											  ALLOCSET_SMALL_SIZES);
		c->map = NULL;
		MemoryContextReset(c->mapcxt);
		c->map = RfmLoadMap(cs, c->mapcxt);
		pfree(cs);
		memset(c->memo, 0xff, sizeof(c->memo));
	}
	return c->map;
}

/* The rfm_score composite (r, f, m, code, segment) for one row. */
static Datum
RfmScoreTuple(FunctionCallInfo fcinfo, RfmScoreCache *c, const RfmBreaks *b,
			  const double *row, const RfmMap *map)
{
	Datum		values[5];
	bool		nulls[5] = {0};
	int			s[3];
	union
	{
		int32		align;		/* a varlena header's */
		char		buf[VARHDRSZ + 64];
	}			code;
	const RfmRule *rule;

	for (int d = 0; d < 3; d++)
		s[d] = ScoreOne(b, d, row[d]);
	if (b->buckets <= 9)
	{
		SET_VARSIZE(code.buf, VARHDRSZ + 3);
		code.buf[VARHDRSZ] = '0' + s[0];
		code.buf[VARHDRSZ + 1] = '0' + s[1];
		code.buf[VARHDRSZ + 2] = '0' + s[2];
	}
	else
		SET_VARSIZE(code.buf, VARHDRSZ + snprintf(code.buf + VARHDRSZ, 64, "%d-%d-%d", s[0], s[1], s[2]));

	/* the rules' answer depends on (r, f, m) alone unless a rule is relative */
	if (b->buckets <= RFM_MEMO_BUCKETS && !map->relative)
	{
		int16	   *memo = &c->memo[s[0] - 1][s[1] - 1][s[2] - 1];

		if (*memo < 0)
		{
			rule = RfmApplyMap(map, s[0], s[1], s[2], b->mean_score);
			*memo = rule ? rule - map->rules + 1 : 0;
		}
		rule = *memo > 0 ? &map->rules[*memo - 1] : NULL;
	}
	else
		rule = RfmApplyMap(map, s[0], s[1], s[2], b->mean_score);

	if (c->tupdesc == NULL)
	{
		TupleDesc	td;
		MemoryContext old;

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "rfm_score must return a composite type");
		old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		c->tupdesc = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
	}
	values[0] = Int32GetDatum(s[0]);
	values[1] = Int32GetDatum(s[1]);
	values[2] = Int32GetDatum(s[2]);
	values[3] = PointerGetDatum(code.buf);	/* copied into the row */
	if (rule)
		values[4] = PointerGetDatum(rule->segment);
	else
		nulls[4] = true;
	return HeapTupleGetDatum(heap_form_tuple(c->tupdesc, values, nulls));
}

/* rfm_score(recency, frequency, monetary, model [, map]) */
Datum
pp_rfm_score(PG_FUNCTION_ARGS)
{
	RfmScoreCache *c;
	const RfmBreaks *b;
	double		row[3];
	text	   *mapname;

	/* STRICT in SQL */
	for (int d = 0; d < 3; d++)
	{
		row[d] = PG_GETARG_FLOAT8(d);
		CheckFinite(row[d], dim_names[d]);
	}
	c = ScoreCache(fcinfo);
	b = ModelCached(fcinfo, &c->model_slot, 3, PORTRAIT_KIND_RFM, "rfm_score", RfmParseModel);
	mapname = PG_NARGS() > 4 ? PG_GETARG_TEXT_PP(4) : NULL;
	PG_RETURN_DATUM(RfmScoreTuple(fcinfo, c, b, row, CachedMap(fcinfo, c, mapname)));
}

/*
 * rfm_score(recency, frequency, monetary, text [, text]): a quoted model
 * literal without a cast resolves here (text is preferred for an unknown
 * literal), not to the window form, which would ask for an OVER clause.
 */
Datum
pp_rfm_score_text(PG_FUNCTION_ARGS)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("rfm_score takes a portrait.model, not text, as its fourth argument"),
			 errdetail("A quoted model literal without a cast is read as text."),
			 errhint("Cast the model: rfm_score(recency, frequency, monetary, '{...}'::portrait.model). The window form takes an integer bucket count: rfm_score(recency, frequency, monetary, 5) OVER ().")));
	PG_RETURN_NULL();			/* not reached */
}

/* Partition-local state of the window form. */
typedef struct RfmWindowState
{
	bool		ready;
	int64		used;			/* rows without NULLs */
	RfmBreaks	breaks;
} RfmWindowState;

/*
 * rfm_score(recency, frequency, monetary [, buckets [, map]]) OVER (...):
 * breaks from the whole partition (the same computation as rfm_breaks),
 * then the current row scored against them.
 */
Datum
pp_rfm_score_window(PG_FUNCTION_ARGS)
{
	WindowObject win = PG_WINDOW_OBJECT();
	RfmWindowState *st = WinGetPartitionLocalMemory(win, sizeof(RfmWindowState));
	RfmScoreCache *c = ScoreCache(fcinfo);
	double		row[3];
	bool		isnull;
	text	   *mapname;

	if (!st->ready)
	{
		int64		total = WinGetPartitionRowCount(win);
		double	   *rows = palloc(mul_size(sizeof(double) * 3, Max(total, 1)));
		int64		n = 0;
		int64		buckets = PORTRAIT_RFM_DEFAULT_BUCKETS;

		if (PG_NARGS() > 3)
		{
			Datum		bd = WinGetFuncArgCurrent(win, 3, &isnull);

			if (isnull)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("buckets must not be NULL")));
			buckets = DatumGetInt32(bd);
			CheckBuckets(buckets);
		}
		for (int64 i = 0; i < total; i++)
		{
			bool		anynull = false;
			bool		isout;

			for (int d = 0; d < 3; d++)
			{
				Datum		v = WinGetFuncArgInPartition(win, d, i, WINDOW_SEEK_HEAD, false,
														 &isnull, &isout);

				anynull |= isnull;
				if (!isnull)
				{
					rows[n * 3 + d] = DatumGetFloat8(v);
					CheckFinite(rows[n * 3 + d], dim_names[d]);
				}
			}
			if (!anynull)
				n++;
			if ((i & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		if (n > 0)
			RfmComputeBreaks(rows, n, buckets, &st->breaks);
		st->used = n;
		st->ready = true;
		pfree(rows);
	}

	for (int d = 0; d < 3; d++)
	{
		row[d] = DatumGetFloat8(WinGetFuncArgCurrent(win, d, &isnull));
		if (isnull)
			PG_RETURN_NULL();
	}
	if (PG_NARGS() > 4)
	{
		Datum		md = WinGetFuncArgCurrent(win, 4, &isnull);

		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("map must not be NULL")));
		mapname = DatumGetTextPP(md);
	}
	else
		mapname = NULL;
	PG_RETURN_DATUM(RfmScoreTuple(fcinfo, c, &st->breaks, row, CachedMap(fcinfo, c, mapname)));
}

/* rfm_segment(r, f, m [, map [, model]]) */
Datum
pp_rfm_segment(PG_FUNCTION_ARGS)
{
	RfmScoreCache *c = ScoreCache(fcinfo);
	const RfmBreaks *b = NULL;
	const RfmRule *rule;
	text	   *mapname = PG_NARGS() > 3 ? PG_GETARG_TEXT_PP(3) : NULL;

	if (PG_NARGS() > 4)
		b = ModelCached(fcinfo, &c->model_slot, 4, PORTRAIT_KIND_RFM, "rfm_segment", RfmParseModel);
	rule = RfmApplyMap(CachedMap(fcinfo, c, mapname), PG_GETARG_INT32(0), PG_GETARG_INT32(1),
					   PG_GETARG_INT32(2), b ? b->mean_score : NULL);

	/*
	 * Scores no rule covers are the caller's mistake (a score of 9 against a
	 * 5-bucket map, a map with a gap): say so rather than return NULL.
	 */
	if (rule == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("RFM scores (%d, %d, %d) match no rule of segment map \"%s\"",
						PG_GETARG_INT32(0), PG_GETARG_INT32(1), PG_GETARG_INT32(2),
						CachedMap(fcinfo, c, mapname)->name),
				 errdetail("The built-in maps cover scores from 1 to 5, the scores of rfm_score with 5 buckets."),
				 errhint("Pass scores the map covers, or add a rule without bounds as the map's last priority to name every other score.")));
	PG_RETURN_TEXT_P(DatumGetTextPCopy(PointerGetDatum(rule->segment)));
}

/* ---------- stored states: merge and finalise at a later day ---------- */

PG_FUNCTION_INFO_V1(pp_rfm_state_merge);
PG_FUNCTION_INFO_V1(pp_rfm_summary_final_at);

/*
 * A copy of s counted up to as_of_day instead of its own as_of day.  The
 * days, counts and sums do not depend on the as_of day; only the final
 * recency and tenure do, so a stored state moves to a later day unchanged.
 */
static RfmState *
RfmStateRebase(const RfmState *s, int32 as_of_day)
{
	RfmState   *r = (RfmState *) palloc(VARSIZE(s));

	memcpy(r, s, VARSIZE(s));
	if (s->ndays > 0 && s->days[s->ndays - 1] > as_of_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("order on %s is after as_of %s", DayText(s->days[s->ndays - 1]), DayText(as_of_day)),
				 errdetail("Orders after the as_of day would make recency negative."),
				 errhint("Finalise the state at its last purchase day or later.")));
	r->as_of_day = as_of_day;
	r->as_of = s->timetype == RFM_DATE ? (int64) as_of_day : (int64) as_of_day * USECS_PER_DAY;
	return r;
}

/*
 * s (a fresh copy) without its unused room for days: a merged state is
 * stored, and the room the aggregate grew (up to half of it unused, and not
 * initialised) would be written to the table and to the WAL with every
 * update.  The next day added grows it again.
 */
static RfmState *
RfmStateTrim(RfmState *s)
{
	s->capacity = s->ndays;
	SET_VARSIZE(s, RfmStateSize(s->ndays));
	return s;
}

/*
 * rfm_state_merge(a, b): the state of the rows of a and b together, counted
 * up to the later of their as_of days, so that a stored state merges with
 * the partial state of new rows taken on a later day.  NULL is the state of
 * no rows.
 */
Datum
pp_rfm_state_merge(PG_FUNCTION_ARGS)
{
	RfmState   *a;
	RfmState   *b;
	int32		day;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(RfmStateTrim((RfmState *) PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(PG_ARGISNULL(0) ? 1 : 0))));
	}
	a = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	b = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (a->timetype != b->timetype)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("cannot merge rfm states of different time types"),
				 errdetail("One state was built from %s values, the other from %s values.",
						   a->timetype == RFM_DATE ? "date" : a->timetype == RFM_TIMESTAMP ? "timestamp" : "timestamptz",
						   b->timetype == RFM_DATE ? "date" : b->timetype == RFM_TIMESTAMP ? "timestamp" : "timestamptz"),
				 errhint("Build every state of a customer from the same column type.")));
	day = Max(a->as_of_day, b->as_of_day);
	if (a->as_of_day != day)
		a = RfmStateRebase(a, day);
	if (b->as_of_day != day)
		b = RfmStateRebase(b, day);
	PG_RETURN_POINTER(RfmStateTrim((RfmState *)
								   DatumGetPointer(DirectFunctionCall2(pp_rfm_summary_combine, PointerGetDatum(a),
																	   PointerGetDatum(b)))));
}

/*
 * rfm_summary_final(state, as_of): the summary of a stored state as of a
 * later day, equal to rfm_summary over the same rows with that as_of.
 */
Datum
pp_rfm_summary_final_at(PG_FUNCTION_ARGS)
{
	RfmState   *s;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("as_of must not be NULL")));
	if (DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		NotFinite("as_of");
	s = (RfmState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	s = RfmStateRebase(s, PG_GETARG_DATEADT(1));
	/* the final function reads its state from argument 0 */
	fcinfo->args[0].value = PointerGetDatum(s);
	return pp_rfm_summary_final(fcinfo);
}
