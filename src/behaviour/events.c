/*
 * events.c
 *		portrait.event_list: the aggregate state of the behaviour aggregates
 *		that need a customer's events in time order (window_funnel,
 *		sequence_match, sequence_count).
 *
 * Each kept row is a timestamp and a bitmask of the conditions it met:
 * 8 bytes packed into one integer for up to 8 conditions and timestamps
 * from about 858 to 3142 AD, else 12 bytes (a list holding a row that
 * does not pack is wide for good; wide is the layout of 0.1.0).  The state
 * is an ordinary varlena in the aggregate context,
 * appended to in place; when it is full a copy with twice the capacity
 * replaces it (the executor frees the old one), so appending is amortised
 * O(1) and nothing is allocated per row.  Rows are kept in arrival order and
 * sorted canonically by the final function, so results never depend on row
 * order or on how a parallel plan split the rows.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "events.h"

PG_FUNCTION_INFO_V1(pp_event_list_in);
PG_FUNCTION_INFO_V1(pp_event_list_out);

/* below this size a list is rounded up to a power of two (AllocSet's chunk sizes) */
#define PORTRAIT_EVENT_ROUND_LIMIT 8192

/*
 * Packed rows: (ts - EVENT_PACK_BASE) << 8 | mask, for masks of at most 8
 * conditions and times from about 858 to 3142 AD.
 */
#define EVENT_PACK_MAX_CONDS 8
#define EVENT_PACK_BASE (-(INT64CONST(1) << 55))
#define EVENT_PACK_SPAN (INT64CONST(1) << 56)

#define EventListRows(l)	((l)->data + MAXALIGN((l)->textlen))
#define EventListKeys(l)	((uint64 *) EventListRows(l))
#define EventListTs(l)		((int64 *) EventListRows(l))
#define EventListMask(l)	((uint32 *) (EventListTs(l) + (l)->cap))

static const char *const event_kind_names[] = {NULL, "funnel", "sequence"};

/* Can a row go into a packed list? */
static inline bool
EventPackable(int64 ts)
{
	return (uint64) ts - (uint64) EVENT_PACK_BASE < (uint64) EVENT_PACK_SPAN;
}

/* The packed form of a row (EventPackable(ts), mask below 256). */
static inline uint64
EventPack(int64 ts, uint32 mask)
{
	return (((uint64) ts - (uint64) EVENT_PACK_BASE) << 8) | mask;
}

/* Row i of l. */
static inline void
EventListGet(const EventList *l, int64 i, int64 *ts, uint32 *mask)
{
	if (l->packed)
	{
		uint64		k = EventListKeys(l)[i];

		*ts = (int64) ((k >> 8) + (uint64) EVENT_PACK_BASE);
		*mask = (uint32) (k & 0xFF);
	}
	else
	{
		*ts = EventListTs(l)[i];
		*mask = EventListMask(l)[i];
	}
}

/* Bytes of a list holding textlen bytes of text and room for cap rows. */
static Size
EventListBytes(int32 textlen, int64 cap, bool wide)
{
	return add_size(add_size(offsetof(EventList, data), MAXALIGN(textlen)),
					mul_size(cap, wide ? sizeof(int64) + sizeof(uint32) : sizeof(uint64)));
}

/* A new empty list in the current memory context, packed or wide. */
static EventList *
EventListAlloc(int kind, int nconds, int flags, int64 param, const char *text, int32 textlen,
			   int64 cap, bool wide)
{
	Size		sz;
	EventList  *l;

	cap = Max(cap, 4);
	sz = EventListBytes(textlen, cap, wide);
	if (sz <= PORTRAIT_EVENT_ROUND_LIMIT)
	{
		/*
		 * Small allocations come in power-of-two chunks anyway: use the
		 * whole chunk, so that fewer groups ever need to grow.
		 */
		Size		chunk = 64;

		while (chunk < sz)
			chunk *= 2;
		cap = (chunk - EventListBytes(textlen, 0, wide)) / (wide ? sizeof(int64) + sizeof(uint32) : sizeof(uint64));
		sz = EventListBytes(textlen, cap, wide);
	}
	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many events in one group: %lld", (long long) cap),
				 errdetail("An event list is limited to 1 GB (about 89 million events)."),
				 errhint("Group by a finer key, e.g. per user and month.")));
	/* only the header is zeroed: rows are written before they are read */
	l = palloc(sz);
	memset(l, 0, offsetof(EventList, data));
	SET_VARSIZE(l, sz);
	l->kind = kind;
	l->nconds = nconds;
	l->flags = flags;
	l->textlen = textlen;
	l->packed = !wide;
	l->param = param;
	l->n = 0;
	l->cap = cap;
	if (textlen > 0)
		memcpy(l->data, text, textlen);
	return l;
}

/* A new empty list in the current memory context. */
EventList *
EventListNew(int kind, int nconds, int flags, int64 param, const char *text, int32 textlen, int64 cap)
{
	return EventListAlloc(kind, nconds, flags, param, text, textlen, cap,
						  nconds > EVENT_PACK_MAX_CONDS);
}

/* A copy of l with room for cap rows, wide if l is or if wide is asked for. */
static EventList *
EventListResize(const EventList *l, int64 cap, bool wide)
{
	EventList  *r;

	wide = wide || !l->packed;
	r = EventListAlloc(l->kind, l->nconds, l->flags, l->param, EventListText(l), l->textlen, cap, wide);
	r->n = l->n;
	if (l->packed && !wide)
		memcpy(EventListKeys(r), EventListKeys(l), sizeof(uint64) * l->n);
	else if (!l->packed)
	{
		memcpy(EventListTs(r), EventListTs(l), sizeof(int64) * l->n);
		memcpy(EventListMask(r), EventListMask(l), sizeof(uint32) * l->n);
	}
	else
		for (int64 i = 0; i < l->n; i++)
			EventListGet(l, i, &EventListTs(r)[i], &EventListMask(r)[i]);
	return r;
}

/*
 * Append a row; returns l itself, or a larger (or wide) copy in the current
 * memory context when l was full or the row does not pack (the caller
 * returns that as the new state, and the executor moves it into the
 * aggregate context).
 */
EventList *
EventListAppend(EventList *l, int64 ts, uint32 mask)
{
	if (likely(l->packed))
	{
		if (unlikely(!EventPackable(ts)))
			l = EventListResize(l, l->n >= l->cap ? l->cap * 2 : l->cap, true);
		else
		{
			if (unlikely(l->n >= l->cap))
				l = EventListResize(l, l->cap * 2, false);
			EventListKeys(l)[l->n++] = EventPack(ts, mask);
			return l;
		}
	}
	if (unlikely(l->n >= l->cap))
		l = EventListResize(l, l->cap * 2, true);
	EventListTs(l)[l->n] = ts;
	EventListMask(l)[l->n] = mask;
	l->n++;
	return l;
}

/* Raise 22023 unless two lists come from the same aggregate call. */
void
EventListCheckSame(const EventList *a, const EventList *b)
{
	if (a->kind != b->kind || a->nconds != b->nconds || a->flags != b->flags ||
		a->param != b->param || a->textlen != b->textlen ||
		memcmp(EventListText(a), EventListText(b), a->textlen) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aggregate options must be the same for all rows of a group"),
				 errdetail("The window, mode, pattern and number of conditions are fixed for one group.")));
}

/* Combine function body: the rows of both states (order is not kept). */
Datum
EventListCombine(FunctionCallInfo fcinfo)
{
	EventList  *a;
	EventList  *b;
	EventList  *r;

	(void) PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	/*
	 * A state returned in place of another is copied into the aggregate
	 * context by the executor: b itself can be the first state, and a
	 * larger list is built in the per-row context.
	 */
	b = (EventList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(b);
	a = (EventList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	EventListCheckSame(a, b);
	r = a;
	if (a->n + b->n > a->cap || b->packed != a->packed)
		r = EventListResize(a, Max(a->n + b->n, a->cap * 2), !b->packed);
	if (r->packed)
		memcpy(EventListKeys(r) + r->n, EventListKeys(b), sizeof(uint64) * b->n);
	else
		for (int64 i = 0; i < b->n; i++)
			EventListGet(b, i, &EventListTs(r)[r->n + i], &EventListMask(r)[r->n + i]);
	r->n += b->n;
	PG_RETURN_POINTER(r);
}

/* Canonical order of rows: time, then mask. */
static inline int
EventRowCmp(const EventRow *x, const EventRow *y)
{
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->mask > y->mask) - (x->mask < y->mask);
}

/*
 * SortEventRows: the sort with EventRowCmp inlined.  One customer may have
 * millions of events: the sorts must be interruptible.
 */
#define ST_SORT SortEventRows
#define ST_ELEMENT_TYPE EventRow
#define ST_COMPARE(a, b) EventRowCmp(a, b)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* SortEventKeys: packed rows, whose integer order is the canonical order */
#define ST_SORT SortEventKeys
#define ST_ELEMENT_TYPE uint64
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The rows of l sorted by (timestamp, mask): the canonical order every
 * final function works on, whatever order the rows arrived in.
 */
EventRow *
EventListSorted(const EventList *l)
{
	EventRow   *rows = palloc_extended(mul_size(Max(l->n, 1), sizeof(EventRow)), MCXT_ALLOC_HUGE);
	bool		sorted = true;

	if (l->packed)
	{
		/* sort the keys in place in the row array, then unpack from its end */
		uint64	   *keys = (uint64 *) rows;

		memcpy(keys, EventListKeys(l), sizeof(uint64) * l->n);
		for (int64 i = 1; i < l->n && sorted; i++)
			sorted = keys[i - 1] <= keys[i];
		if (!sorted && l->n <= 32)
		{
			/* a customer's few dozen rows: insertion sort beats the general sort */
			for (int64 i = 1; i < l->n; i++)
			{
				uint64		k = keys[i];
				int64		j = i;

				for (; j > 0 && keys[j - 1] > k; j--)
					keys[j] = keys[j - 1];
				keys[j] = k;
			}
		}
		else if (!sorted)
			SortEventKeys(keys, l->n);
		for (int64 i = l->n - 1; i >= 0; i--)
		{
			uint64		k = keys[i];

			rows[i].ts = (int64) ((k >> 8) + (uint64) EVENT_PACK_BASE);
			rows[i].mask = (uint32) (k & 0xFF);
			rows[i].pad = 0;
		}
		return rows;
	}
	for (int64 i = 0; i < l->n; i++)
	{
		EventListGet(l, i, &rows[i].ts, &rows[i].mask);
		if (i > 0 && EventRowCmp(&rows[i - 1], &rows[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		SortEventRows(rows, l->n);
	return rows;
}

/*
 * Condition bitmask of one row from a bool[] of conditions (NULL elements
 * count as false).  Raises 22023 when the count is outside 1..maxconds.
 */
uint32
EventConditionMask(ArrayType *conds, int maxconds, int *nconds, const char *what)
{
	int			n;
	const bool *v;
	const bits8 *nulls;
	uint32		mask = 0;

	if (ARR_NDIM(conds) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	n = ARR_NDIM(conds) == 0 ? 0 : ARR_DIMS(conds)[0];
	if (n < 1 || n > maxconds)
		ereport(ERROR,
				(errcode(n > maxconds ? ERRCODE_PROGRAM_LIMIT_EXCEEDED : ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %d given, between 1 and %d allowed", what, n, maxconds)));
	v = (const bool *) PortraitArrayData(conds);
	nulls = ARR_NULLBITMAP(conds);
	if (nulls == NULL)
	{
		for (int i = 0; i < n; i++)
			if (v[i])
				mask |= (uint32) 1 << i;
	}
	else
	{
		int			k = 0;

		for (int i = 0; i < n; i++)
			if (nulls[i / 8] & (1 << (i % 8)))
			{
				if (v[k++])
					mask |= (uint32) 1 << i;
			}
	}
	*nconds = n;
	return mask;
}

/* Microseconds of an interval (a month is 30 days, a day 24 hours); 22023 if negative. */
int64
EventIntervalUsec(const Interval *iv, const char *what)
{
	int64		days;
	int64		usec;

	if (pg_mul_s64_overflow((int64) iv->month, DAYS_PER_MONTH, &days) ||
		pg_add_s64_overflow(days, (int64) iv->day, &days) ||
		pg_mul_s64_overflow(days, USECS_PER_DAY, &usec) ||
		pg_add_s64_overflow(usec, iv->time, &usec))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("%s is out of range", what)));
	if (usec < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", what),
				 errhint("Give a positive interval, e.g. '1 day'.")));
	return usec;
}

/* Text form: kind;nconds;flags;param;textlen:text;n;ts:mask,ts:mask,... */
Datum
pp_event_list_out(PG_FUNCTION_ARGS)
{
	EventList  *l = (EventList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s;%d;%d;%lld;%d:", event_kind_names[l->kind], l->nconds, l->flags,
					 (long long) l->param, l->textlen);
	appendBinaryStringInfo(&buf, EventListText(l), l->textlen);
	appendStringInfo(&buf, ";%lld;", (long long) l->n);
	for (int64 i = 0; i < l->n; i++)
	{
		int64		ts;
		uint32		mask;

		EventListGet(l, i, &ts, &mask);
		appendStringInfo(&buf, i > 0 ? ",%lld:%u" : "%lld:%u", (long long) ts, mask);
	}
	PG_RETURN_CSTRING(buf.data);
}

/* Text input of portrait.event_list; every field is checked. */
Datum
pp_event_list_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	const char *tn = "portrait.event_list";
	int			kind = 0;
	int64		nconds;
	int64		flags;
	int64		param;
	int64		textlen;
	const char *text;
	int64		n;
	EventList  *l;

	for (int k = 1; k < (int) lengthof(event_kind_names); k++)
	{
		size_t		len = strlen(event_kind_names[k]);

		if (strncmp(p, event_kind_names[k], len) == 0 && p[len] == ';')
		{
			kind = k;
			p += len;
		}
	}
	if (kind == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	PortraitExpectChar(&p, ';', tn, input);
	nconds = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	flags = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	param = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	textlen = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ':', tn, input);
	if (textlen < 0 || textlen > (int64) strlen(p) || nconds < 1 || nconds > PORTRAIT_EVENT_MAX_CONDS ||
		flags < 0 || flags > PG_UINT16_MAX || param < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	text = p;
	p += textlen;
	PortraitExpectChar(&p, ';', tn, input);
	n = PortraitParseInt64(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	if (n < 0 || n > (int64) strlen(p))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	l = EventListNew(kind, (int) nconds, (int) flags, param, text, (int32) textlen, n);
	for (int64 i = 0; i < n; i++)
	{
		int64		t;
		int64		m;

		if (i > 0)
			PortraitExpectChar(&p, ',', tn, input);
		t = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ':', tn, input);
		m = PortraitParseInt64(&p, tn, input);
		if (m < 0 || m >= ((int64) 1 << nconds) || TIMESTAMP_NOT_FINITE(t))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
		l = EventListAppend(l, t, (uint32) m);
	}
	if (*p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	PG_RETURN_POINTER(l);
}
