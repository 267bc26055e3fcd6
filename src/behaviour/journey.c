/*
 * journey.c
 *		portrait.journey_list and the aggregate portrait.journeys: a
 *		customer's touchpoints (time, channel, cost) and conversions (time,
 *		value), cut into journeys for the attribution models.
 *
 * The list is kept like the behaviour module's event lists: a varlena in
 * the aggregate context appended to in place, replaced by a copy of twice
 * the size when full, rows in arrival order and sorted canonically only
 * when read, so nothing depends on row order or on how a parallel plan
 * split the rows.  Unlike an event list a row carries a channel (an index
 * into the list's own small name dictionary) and an amount, not a mask.
 *
 * Canonical order: time, then touches before conversions (a touch at the
 * instant of a conversion counts for it), then channel name (bytewise),
 * then amount.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/memutils.h"
#include "funcapi.h"
#include "catalog/pg_type.h"
#include "utils/timestamp.h"

#include "portrait.h"
#include "events.h"
#include "attribution.h"

PG_FUNCTION_INFO_V1(pp_journey_list_in);
PG_FUNCTION_INFO_V1(pp_journey_list_out);
PG_FUNCTION_INFO_V1(pp_journeys_trans);
PG_FUNCTION_INFO_V1(pp_journeys_combine);
PG_FUNCTION_INFO_V1(pp_journey_paths);

static const char *const journey_type = "portrait.journey_list";

/* Bytes of a list with room for cap rows and namecap bytes of names. */
static Size
JourneyListBytes(int64 cap, int64 namecap)
{
	return add_size(add_size(offsetof(JourneyList, data), mul_size(cap, sizeof(JourneyRow))), namecap);
}

/* A new list in the current context, with the rows and names of src if given. */
static JourneyList *
JourneyListAlloc(int flags, int64 lookback, int64 cap, int64 namecap, const JourneyList *src)
{
	Size		sz;
	JourneyList *l;

	cap = Max(cap, 8);
	namecap = Max(namecap, 64);
	sz = JourneyListBytes(cap, namecap);
	if (sz > MaxAllocSize || cap > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many touchpoints and conversions in one group"),
				 errdetail("A journey list is limited to 1 GB (about 40 million rows)."),
				 errhint("Group by customer.")));
	l = palloc(sz);
	memset(l, 0, offsetof(JourneyList, data));
	SET_VARSIZE(l, sz);
	l->flags = flags;
	l->lookback = lookback;
	l->cap = (int32) cap;
	l->namecap = (int32) namecap;
	if (src != NULL)
	{
		l->n = src->n;
		l->nnames = src->nnames;
		l->namelen = src->namelen;
		memcpy(JourneyListRows(l), JourneyListRows(src), sizeof(JourneyRow) * src->n);
		memcpy(JourneyListNames(l), JourneyListNames(src), src->namelen);
	}
	return l;
}

/* Raise 22023 unless a channel name is usable (non-empty, at most 255 bytes). */
void
JourneyCheckName(const char *name, int len)
{
	if (len == 0 || len > PORTRAIT_ATTRIBUTION_MAX_NAME)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel name must have 1 to %d bytes, not %d", PORTRAIT_ATTRIBUTION_MAX_NAME, len)));
	if (memchr(name, '\0', len) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("channel name must not contain a zero byte")));
}

/* Index of a channel name in l, or -1. */
static int32
JourneyFindName(const JourneyList *l, const char *name, int len)
{
	const char *p = JourneyListNames(l);

	for (int32 i = 0; i < l->nnames; i++)
	{
		size_t		plen = strlen(p);

		if (plen == (size_t) len && memcmp(p, name, len) == 0)
			return i;
		p += plen + 1;
	}
	return -1;
}

/*
 * Index of a channel name in *lp, added when new (the list may be replaced
 * by a larger copy).
 */
static int32
JourneyNameIndex(JourneyList **lp, const char *name, int len)
{
	JourneyList *l = *lp;
	int32		i = JourneyFindName(l, name, len);

	if (i >= 0)
		return i;
	JourneyCheckName(name, len);
	if (l->nnames >= PORTRAIT_ATTRIBUTION_MAX_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many channels: more than %d", PORTRAIT_ATTRIBUTION_MAX_CHANNELS),
				 errhint("Group rare channels into one, e.g. 'other'.")));
	if (l->namelen + len + 1 > l->namecap)
		*lp = l = JourneyListAlloc(l->flags, l->lookback, l->cap, (int64) l->namecap * 2 + len + 1, l);
	memcpy(JourneyListNames(l) + l->namelen, name, len);
	JourneyListNames(l)[l->namelen + len] = '\0';
	l->namelen += len + 1;
	return l->nnames++;
}

/* Append a row (the list may be replaced by a larger copy). */
static JourneyList *
JourneyAppend(JourneyList *l, int64 ts, double amount, int32 chan)
{
	JourneyRow *r;

	if (l->n >= l->cap)
		l = JourneyListAlloc(l->flags, l->lookback, (int64) l->cap * 2, l->namecap, l);
	r = &JourneyListRows(l)[l->n++];
	r->ts = ts;
	r->amount = amount;
	r->chan = chan;
	r->pad = 0;
	return l;
}

/* Raise 22023 unless two lists were built with the same options. */
static void
JourneyCheckSame(const JourneyList *a, int flags, int64 lookback)
{
	if (a->flags != flags || a->lookback != lookback)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aggregate options must be the same for all rows of a group"),
				 errdetail("The lookback window and de-duplication are fixed for one group.")));
}

/* Raise 22023 (22000 for NaN/Infinity) unless an amount is a usable cost or value. */
static inline void
JourneyCheckAmount(double v, bool conversion)
{
	CheckFinite(v, conversion ? "conversion value" : "touchpoint cost");
	if (v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative, not %g", conversion ? "conversion value" : "touchpoint cost", v),
				 errhint("Record refunds as a separate measure; attribution credits non-negative values.")));
}

/*
 * journeys(touched_at, channel, amount, is_conversion [, lookback, dedupe]):
 * transition.  A conversion row ignores channel; amount NULL is 0.
 */
Datum
pp_journeys_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	MemoryContext old;
	JourneyList *l;
	bool		conversion;
	int64		ts;
	double		amount = 0;
	int32		chan = JOURNEY_CONVERSION;
	int64		lookback = -1;
	int			flags = 0;

	PortraitArgNotNull(fcinfo, 1, "touched_at");
	PortraitArgNotNull(fcinfo, 4, "is_conversion");
	ts = PG_GETARG_TIMESTAMPTZ(1);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("touched_at must be a finite timestamp")));
	conversion = PG_GETARG_BOOL(4);
	if (!conversion)
		PortraitArgNotNull(fcinfo, 2, "channel of a touchpoint");
	if (!PG_ARGISNULL(3))
	{
		amount = PG_GETARG_FLOAT8(3);
		JourneyCheckAmount(amount, conversion);
	}
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
		lookback = EventIntervalUsec(PG_GETARG_INTERVAL_P(5), "lookback");
	if (PG_NARGS() > 6)
	{
		PortraitArgNotNull(fcinfo, 6, "dedupe");
		if (PG_GETARG_BOOL(6))
			flags |= JOURNEY_DEDUPE;
	}

	old = MemoryContextSwitchTo(aggcxt);
	if (PG_ARGISNULL(0))
		l = JourneyListAlloc(flags, lookback, 0, 0, NULL);
	else
	{
		l = (JourneyList *) PG_GETARG_POINTER(0);
		JourneyCheckSame(l, flags, lookback);
	}
	if (!conversion)
	{
		text	   *t = PG_GETARG_TEXT_PP(2);

		chan = JourneyNameIndex(&l, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	}
	l = JourneyAppend(l, ts, amount, chan);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(l);
}

/* Combine: the rows of both lists, the second's channels mapped into the first's. */
Datum
pp_journeys_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	MemoryContext old;
	JourneyList *a;
	JourneyList *b;
	int32	   *map;
	const char *p;

	if (PG_ARGISNULL(1))
		return PortraitStateUnchanged(fcinfo);
	b = (JourneyList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(b);
	a = (JourneyList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	JourneyCheckSame(a, b->flags, b->lookback);
	old = MemoryContextSwitchTo(aggcxt);
	map = palloc(sizeof(int32) * Max(b->nnames, 1));
	p = JourneyListNames(b);
	for (int32 i = 0; i < b->nnames; i++)
	{
		size_t		len = strlen(p);

		map[i] = JourneyNameIndex(&a, p, (int) len);
		p += len + 1;
	}
	if (a->n + (int64) b->n > a->cap)
		a = JourneyListAlloc(a->flags, a->lookback, Max((int64) a->cap * 2, (int64) a->n + b->n), a->namecap, a);
	for (int32 i = 0; i < b->n; i++)
	{
		JourneyRow	r = JourneyListRows(b)[i];

		if (r.chan != JOURNEY_CONVERSION)
			r.chan = map[r.chan];
		JourneyListRows(a)[a->n++] = r;
	}
	pfree(map);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

/* The names of l as an array (pointers into l). */
const char **
JourneyListNameArray(const JourneyList *l)
{
	const char **names = palloc(sizeof(char *) * (l->nnames + 1));
	const char *p = JourneyListNames(l);

	for (int32 i = 0; i < l->nnames; i++)
	{
		names[i] = p;
		p += strlen(p) + 1;
	}
	return names;
}

/* Canonical order of rows; rank gives the order of channel names. */
static inline int
JourneyRowCmp(const JourneyRow *x, const JourneyRow *y, const int32 *rank)
{
	int32		cx;
	int32		cy;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	cx = x->chan == JOURNEY_CONVERSION ? PG_INT32_MAX : rank[x->chan];
	cy = y->chan == JOURNEY_CONVERSION ? PG_INT32_MAX : rank[y->chan];
	if (cx != cy)
		return cx < cy ? -1 : 1;
	return (x->amount > y->amount) - (x->amount < y->amount);
}

#define ST_SORT SortJourneyRows
#define ST_ELEMENT_TYPE JourneyRow
#define ST_COMPARE_ARG_TYPE int32
#define ST_COMPARE(a, b, arg) JourneyRowCmp(a, b, arg)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

static int
NameCmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The rows of l in canonical order (a palloc'd copy). */
static JourneyRow *
JourneyListSorted(const JourneyList *l)
{
	JourneyRow *rows = palloc_extended(sizeof(JourneyRow) * Max(l->n, 1), MCXT_ALLOC_HUGE);
	const char **names = JourneyListNameArray(l);
	const char **sorted = palloc(sizeof(char *) * (l->nnames + 1));
	int32	   *rank = palloc(sizeof(int32) * (l->nnames + 1));
	bool		inorder = true;

	memcpy(sorted, names, sizeof(char *) * l->nnames);
	qsort(sorted, l->nnames, sizeof(char *), NameCmp);
	/* names are pointers into l: a pointer's position in sorted is its rank */
	for (int32 i = 0; i < l->nnames; i++)
		for (int32 k = 0; k < l->nnames; k++)
			if (sorted[k] == names[i])
				rank[i] = k;
	memcpy(rows, JourneyListRows(l), sizeof(JourneyRow) * l->n);
	for (int32 i = 1; i < l->n && inorder; i++)
		inorder = JourneyRowCmp(&rows[i - 1], &rows[i], rank) <= 0;
	if (!inorder)
		SortJourneyRows(rows, l->n, rank);
	pfree(names);
	pfree(sorted);
	pfree(rank);
	return rows;
}

/*
 * Call visit for each journey of l in time order: for each conversion the
 * touches since the previous conversion that lie within the lookback window
 * before it; the touches after the last conversion, within the window
 * before the last of them, are a journey that did not convert.  With dedupe,
 * a touch of the same channel as the touch before it in the journey is
 * dropped.  A conversion without touches raises 22000 unless direct, when
 * it becomes one touch of channel index nnames at its time.
 */
void
JourneyListEach(const JourneyList *l, bool direct, JourneyVisit visit, void *arg)
{
	JourneyRow *rows = JourneyListSorted(l);
	int32	   *chan = palloc(sizeof(int32) * Max(l->n, 1));
	int64	   *ts = palloc(sizeof(int64) * Max(l->n, 1));
	int32		start = 0;
	Journey		j;

	for (int32 i = 0; i <= l->n; i++)
	{
		bool		conv = i < l->n && rows[i].chan == JOURNEY_CONVERSION;
		int64		end;
		int			k = 0;

		if (i < l->n && !conv)
			continue;
		/* a conversion, or the end: the touches rows[start..i) */
		if (!conv && start >= i)
			break;
		end = conv ? rows[i].ts : rows[i - 1].ts;
		for (int32 t = start; t < i; t++)
		{
			if (rows[t].chan == JOURNEY_CONVERSION)
				continue;
			if (l->lookback >= 0 && end - rows[t].ts > l->lookback)
				continue;
			if ((l->flags & JOURNEY_DEDUPE) && k > 0 && chan[k - 1] == rows[t].chan)
				continue;
			chan[k] = rows[t].chan;
			ts[k] = rows[t].ts;
			k++;
		}
		if (conv && k == 0)
		{
			if (!direct)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("a conversion has no touchpoint before it"),
						 errdetail("The conversion at %s has no touchpoint within the lookback window since the previous conversion.",
								   timestamptz_to_str(rows[i].ts)),
						 errhint("Set the option \"direct\" to a channel name to credit such conversions to it, or leave them out.")));
			chan[0] = l->nnames;
			ts[0] = rows[i].ts;
			k = 1;
		}
		if (k > 0)
		{
			j.ntouch = k;
			j.chan = chan;
			j.ts = ts;
			j.converted = conv;
			j.conv_ts = end;
			j.value = conv ? rows[i].amount : 0;
			visit(&j, arg);
		}
		start = i + 1;
	}
	pfree(rows);
	pfree(chan);
	pfree(ts);
}

typedef struct PathsOut
{
	ReturnSetInfo *rsinfo;
	const char **names;
	const char *direct;
	int			number;
} PathsOut;

/* One row of journey_paths. */
static void
PathsVisit(const Journey *j, void *arg)
{
	PathsOut   *o = arg;
	Datum	   *chans = palloc(sizeof(Datum) * j->ntouch);
	Datum	   *times = palloc(sizeof(Datum) * j->ntouch);
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	for (int i = 0; i < j->ntouch; i++)
	{
		chans[i] = CStringGetTextDatum(o->names[j->chan[i]]);
		times[i] = TimestampTzGetDatum(j->ts[i]);
	}
	values[0] = Int32GetDatum(++o->number);
	values[1] = PointerGetDatum(construct_array(chans, j->ntouch, TEXTOID, -1, false, TYPALIGN_INT));
	values[2] = PointerGetDatum(construct_array(times, j->ntouch, TIMESTAMPTZOID, sizeof(int64), true,
												TYPALIGN_DOUBLE));
	values[3] = BoolGetDatum(j->converted);
	values[4] = Float8GetDatum(j->value);
	nulls[4] = !j->converted;
	tuplestore_putvalues(o->rsinfo->setResult, o->rsinfo->setDesc, values, nulls);
}

/* journey_paths(journey_list, direct text): one row per journey, in time order. */
Datum
pp_journey_paths(PG_FUNCTION_ARGS)
{
	JourneyList *l;
	PathsOut	o;
	const char **names;

	InitMaterializedSRF(fcinfo, 0);
	/* not strict, for direct: a NULL list has no journeys */
	if (PG_ARGISNULL(0))
		return (Datum) 0;
	l = (JourneyList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	names = JourneyListNameArray(l);
	if (!PG_ARGISNULL(1))
	{
		char	   *d = TextDatumGetCString(PG_GETARG_DATUM(1));

		JourneyCheckName(d, (int) strlen(d));
		names[l->nnames] = d;
	}
	o.rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	o.names = names;
	o.number = 0;
	JourneyListEach(l, !PG_ARGISNULL(1), PathsVisit, &o);
	return (Datum) 0;
}

/*
 * Text form: lookback;flags;n;row,row,... with a touch ts:t:cost:len:name and
 * a conversion ts:c:value (lookback -1: none).
 */
Datum
pp_journey_list_out(PG_FUNCTION_ARGS)
{
	JourneyList *l = (JourneyList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	const char **names = JourneyListNameArray(l);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%lld;%d;%d;", (long long) l->lookback, l->flags, l->n);
	for (int32 i = 0; i < l->n; i++)
	{
		const JourneyRow *r = &JourneyListRows(l)[i];

		appendStringInfo(&buf, i > 0 ? ",%lld:%c:" : "%lld:%c:", (long long) r->ts,
						 r->chan == JOURNEY_CONVERSION ? 'c' : 't');
		PortraitFormatDouble(&buf, r->amount);
		if (r->chan != JOURNEY_CONVERSION)
		{
			appendStringInfo(&buf, ":%d:", (int) strlen(names[r->chan]));
			appendStringInfoString(&buf, names[r->chan]);
		}
	}
	PG_RETURN_CSTRING(buf.data);
}

/* Text input of portrait.journey_list; every field is checked. */
Datum
pp_journey_list_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	int64		lookback;
	int64		flags;
	int64		n;
	JourneyList *l;

	lookback = PortraitParseInt64(&p, journey_type, input);
	PortraitExpectChar(&p, ';', journey_type, input);
	flags = PortraitParseInt64(&p, journey_type, input);
	PortraitExpectChar(&p, ';', journey_type, input);
	n = PortraitParseInt64(&p, journey_type, input);
	PortraitExpectChar(&p, ';', journey_type, input);
	if (lookback < -1 || flags < 0 || flags > JOURNEY_DEDUPE || n < 0 || n > (int64) strlen(p))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", journey_type, input)));
	l = JourneyListAlloc((int) flags, lookback, n, 0, NULL);
	for (int64 i = 0; i < n; i++)
	{
		int64		ts;
		char		kind;
		double		amount;
		int32		chan = JOURNEY_CONVERSION;

		if (i > 0)
			PortraitExpectChar(&p, ',', journey_type, input);
		ts = PortraitParseInt64(&p, journey_type, input);
		PortraitExpectChar(&p, ':', journey_type, input);
		kind = *p;
		if ((kind != 't' && kind != 'c') || TIMESTAMP_NOT_FINITE(ts))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"", journey_type, input)));
		p++;
		PortraitExpectChar(&p, ':', journey_type, input);
		amount = PortraitParseDouble(&p, journey_type, input);
		JourneyCheckAmount(amount, kind == 'c');
		if (kind == 't')
		{
			int64		len;

			PortraitExpectChar(&p, ':', journey_type, input);
			len = PortraitParseInt64(&p, journey_type, input);
			PortraitExpectChar(&p, ':', journey_type, input);
			if (len < 1 || len > (int64) strlen(p))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid input syntax for type %s: \"%s\"", journey_type, input)));
			chan = JourneyNameIndex(&l, p, (int) len);
			p += len;
		}
		l = JourneyAppend(l, ts, amount, chan);
	}
	if (*p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", journey_type, input)));
	PG_RETURN_POINTER(l);
}
