/*
 * funnel.c
 *		window_funnel: the highest step of an ordered chain of events a
 *		customer reached inside a time window (ClickHouse's windowFunnel),
 *		and funnel_counts / funnel_table, which turn per-customer levels
 *		into the table a BI tool plots.
 *
 * The chain search follows ClickHouse: events are taken in (time, step)
 * order; a step-1 event starts a chain; an event of step k extends the
 * chain that reached step k - 1 most recently if it lies within the window
 * of that chain's first event.  A row meeting several conditions is one
 * event per condition at the same time, so it can fill consecutive steps
 * (unless strict_once).  The modes change the search as documented in
 * sql/funnel.sql.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "portrait.h"
#include "events.h"

#define PORTRAIT_FUNNEL_MAX_STEPS PORTRAIT_EVENT_MAX_CONDS
#define PORTRAIT_FUNNEL_MAX_CHAINS 100000

#define FUNNEL_STRICT_DEDUPLICATION	0x01
#define FUNNEL_STRICT_ORDER			0x02
#define FUNNEL_STRICT_INCREASE		0x04
#define FUNNEL_STRICT_ONCE			0x08
#define FUNNEL_ALLOW_REENTRY		0x10

PG_FUNCTION_INFO_V1(pp_window_funnel_trans);
PG_FUNCTION_INFO_V1(pp_window_funnel_trans_mode);
PG_FUNCTION_INFO_V1(pp_window_funnel_trans_steps);
PG_FUNCTION_INFO_V1(pp_window_funnel_trans_mode_steps);
PG_FUNCTION_INFO_V1(pp_window_funnel_combine);
PG_FUNCTION_INFO_V1(pp_window_funnel_final);
PG_FUNCTION_INFO_V1(pp_funnel_counts_trans);
PG_FUNCTION_INFO_V1(pp_funnel_counts_combine);
PG_FUNCTION_INFO_V1(pp_funnel_counts_final);
PG_FUNCTION_INFO_V1(pp_funnel_table);

static const struct
{
	const char *name;
	int			flag;
}			funnel_modes[] =
{
	{"strict_deduplication", FUNNEL_STRICT_DEDUPLICATION},
	{"strict_order", FUNNEL_STRICT_ORDER},
	{"strict_increase", FUNNEL_STRICT_INCREASE},
	{"strict_once", FUNNEL_STRICT_ONCE},
	{"allow_reentry", FUNNEL_ALLOW_REENTRY}
};

/* Mode flags of a comma- or space-separated list of mode names. */
static int
FunnelParseMode(const char *s)
{
	int			flags = 0;

	while (*s)
	{
		const char *end;
		bool		found = false;

		if (*s == ',' || *s == ' ')
		{
			s++;
			continue;
		}
		for (end = s; *end && *end != ',' && *end != ' '; end++)
			;
		for (int i = 0; i < (int) lengthof(funnel_modes); i++)
			if ((ptrdiff_t) strlen(funnel_modes[i].name) == end - s &&
				strncmp(funnel_modes[i].name, s, end - s) == 0)
			{
				flags |= funnel_modes[i].flag;
				found = true;
			}
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown window_funnel mode \"%.*s\"", (int) (end - s), s),
					 errhint("Modes are strict_deduplication, strict_order, strict_increase, strict_once and allow_reentry, separated by commas.")));
		s = end;
	}
	if ((flags & FUNNEL_ALLOW_REENTRY) && !(flags & FUNNEL_STRICT_ORDER))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("window_funnel mode allow_reentry needs strict_order"),
				 errdetail("allow_reentry changes what strict_order does when the first step occurs again."),
				 errhint("Add strict_order to the modes, as ClickHouse requires.")));
	return flags;
}

/* Mode cache of a transition call site: the mode text parses once per query. */
typedef struct FunnelModeCache
{
	text	   *mode;
	int			flags;
} FunnelModeCache;

/* Mode flags of mode, parsed once per distinct mode text in a query. */
static int
FunnelCachedMode(FunctionCallInfo fcinfo, text *mode)
{
	FunnelModeCache *c = fcinfo->flinfo->fn_extra;

	if (c == NULL || VARSIZE_ANY(c->mode) != VARSIZE_ANY(mode) ||
		memcmp(c->mode, mode, VARSIZE_ANY(mode)) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		int			flags = FunnelParseMode(text_to_cstring(mode));

		if (c == NULL)
			c = palloc0(sizeof(FunnelModeCache));
		else
			pfree(c->mode);
		c->mode = (text *) palloc(VARSIZE_ANY(mode));
		memcpy(c->mode, mode, VARSIZE_ANY(mode));
		c->flags = flags;
		fcinfo->flinfo->fn_extra = c;
		MemoryContextSwitchTo(old);
	}
	return c->flags;
}

/*
 * Transition body: window at argument 1, timestamp at tsarg, the row's step
 * mask and the number of steps from the caller.  Rows with a NULL
 * timestamp are skipped.  A new or enlarged list is built in the per-row
 * context: the executor copies it into the aggregate context (freeing the
 * one it replaces), so nothing is left behind there.
 */
static Datum
FunnelTrans(FunctionCallInfo fcinfo, int flags, int tsarg, uint32 mask, int nsteps)
{
	EventList  *l;
	int64		window;
	TimestampTz ts;

	(void) PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("window_funnel window must not be NULL")));
	window = EventIntervalUsec(PG_GETARG_INTERVAL_P(1), "window_funnel window");
	if (PG_ARGISNULL(0))
		l = EventListNew(EVENT_LIST_FUNNEL, nsteps, flags, window, NULL, 0, PORTRAIT_EVENT_INITIAL_ROWS);
	else
	{
		l = (EventList *) PG_GETARG_POINTER(0);
		if (unlikely(l->nconds != nsteps || l->param != window || l->flags != flags))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("window_funnel window, mode and number of steps must be the same for all rows of a group")));
	}
	if (PG_ARGISNULL(tsarg))
		PG_RETURN_POINTER(l);
	ts = PG_GETARG_TIMESTAMPTZ(tsarg);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("window_funnel timestamp must be finite")));
	/* rows meeting no step matter only to strict_order, which they interrupt */
	if (mask == 0 && !(flags & FUNNEL_STRICT_ORDER))
		PG_RETURN_POINTER(l);
	PG_RETURN_POINTER(EventListAppend(l, ts, mask));
}

/*
 * Transition with the steps in a bool[] at argument tsarg + 1 (the VARIADIC
 * forms); a NULL array skips the row.
 */
static Datum
FunnelTransArray(FunctionCallInfo fcinfo, int flags, int tsarg)
{
	int			nsteps;
	uint32		mask;

	if (PG_ARGISNULL(tsarg + 1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	mask = EventConditionMask(PG_GETARG_ARRAYTYPE_P(tsarg + 1), PORTRAIT_FUNNEL_MAX_STEPS, &nsteps,
							  "window_funnel steps");
	return FunnelTrans(fcinfo, flags, tsarg, mask, nsteps);
}

/*
 * Transition with the steps as separate bool arguments after tsarg (the
 * fixed-arity forms, which spare the executor building an array per row).
 */
static Datum
FunnelTransArgs(FunctionCallInfo fcinfo, int flags, int tsarg)
{
	int			nsteps = PG_NARGS() - tsarg - 1;
	uint32		mask = 0;

	for (int k = 0; k < nsteps; k++)
		if (!PG_ARGISNULL(tsarg + 1 + k) && PG_GETARG_BOOL(tsarg + 1 + k))
			mask |= (uint32) 1 << k;
	return FunnelTrans(fcinfo, flags, tsarg, mask, nsteps);
}

/* Mode flags of argument 2 (NULL: no mode). */
static int
FunnelModeArg(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(2) ? 0 : FunnelCachedMode(fcinfo, PG_GETARG_TEXT_PP(2));
}

/* window_funnel(window, ts, VARIADIC steps) transition. */
Datum
pp_window_funnel_trans(PG_FUNCTION_ARGS)
{
	return FunnelTransArray(fcinfo, 0, 2);
}

/* window_funnel(window, mode, ts, VARIADIC steps) transition. */
Datum
pp_window_funnel_trans_mode(PG_FUNCTION_ARGS)
{
	return FunnelTransArray(fcinfo, FunnelModeArg(fcinfo), 3);
}

/* window_funnel(window, ts, step1, step2, ...) transition. */
Datum
pp_window_funnel_trans_steps(PG_FUNCTION_ARGS)
{
	return FunnelTransArgs(fcinfo, 0, 2);
}

/* window_funnel(window, mode, ts, step1, step2, ...) transition. */
Datum
pp_window_funnel_trans_mode_steps(PG_FUNCTION_ARGS)
{
	return FunnelTransArgs(fcinfo, FunnelModeArg(fcinfo), 3);
}

/* Combine: the rows of both partial states. */
Datum
pp_window_funnel_combine(PG_FUNCTION_ARGS)
{
	return EventListCombine(fcinfo);
}

/* Highest level reached: the last reached level, counting from 1. */
static int
FunnelMaxLevel(const bool *reached, int nsteps)
{
	for (int k = nsteps; k > 0; k--)
		if (reached[k - 1])
			return k;
	return 0;
}

/* Number of leading levels reached (strict_order's answer on a skip). */
static int
FunnelLeadingLevels(const bool *reached, int nsteps)
{
	int			k = 0;

	while (k < nsteps && reached[k])
		k++;
	return k;
}

/* A partial chain of strict_once: its times and the rows it used per level. */
typedef struct FunnelChain
{
	int64		first;
	int64		last;
	int32		path[PORTRAIT_FUNNEL_MAX_STEPS];
} FunnelChain;

typedef struct FunnelLevelChains
{
	FunnelChain *chains;
	int			n;
	int			cap;
} FunnelLevelChains;

/*
 * Search state.  Without strict_once each level keeps the first and last
 * time of the chain that reached it most recently (a later start is never
 * worse).  With strict_once a row may fill only one step of a chain, so
 * every partial chain is kept with the rows it used; chains out of the
 * window are dropped and the number alive is bounded by
 * PORTRAIT_FUNNEL_MAX_CHAINS.
 */
typedef struct FunnelSearch
{
	int			nsteps;
	int			flags;
	uint64		window;
	bool		reached[PORTRAIT_FUNNEL_MAX_STEPS];
	int64		first[PORTRAIT_FUNNEL_MAX_STEPS];
	int64		last[PORTRAIT_FUNNEL_MAX_STEPS];
	FunnelLevelChains lv[PORTRAIT_FUNNEL_MAX_STEPS];
	int64		live;
} FunnelSearch;

/* Can a chain (first, last) take a step at time t? */
static inline bool
FunnelFits(const FunnelSearch *fs, int64 first, int64 last, int64 t)
{
	bool		ok = (uint64) t - (uint64) first <= fs->window;

	if (fs->flags & FUNNEL_STRICT_INCREASE)
		ok = ok && last < t;
	return ok;
}

/* Append a chain at level s extending from (NULL for a new chain). */
static void
FunnelAddChain(FunnelSearch *fs, int s, const FunnelChain *from, int64 t, int32 row)
{
	FunnelLevelChains *to = &fs->lv[s];
	FunnelChain *nc;

	if (++fs->live > PORTRAIT_FUNNEL_MAX_CHAINS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("window_funnel strict_once tracks more than %d partial chains",
						PORTRAIT_FUNNEL_MAX_CHAINS),
				 errdetail("Many rows meet several steps at once within one window."),
				 errhint("Use a shorter window, fewer overlapping conditions, or drop strict_once.")));
	if (to->n >= to->cap)
	{
		to->cap = Max(8, to->cap * 2);
		to->chains = to->chains ? repalloc(to->chains, sizeof(FunnelChain) * to->cap)
			: palloc(sizeof(FunnelChain) * to->cap);
	}
	nc = &to->chains[to->n++];
	if (from)
	{
		memcpy(nc->path, from->path, sizeof(int32) * s);
		nc->first = from->first;
	}
	else
		nc->first = t;
	nc->last = t;
	nc->path[s] = row;
}

/*
 * Step s (s >= 1) at time t by row: extend the chains of level s - 1.
 * Returns true when the last step is reached.
 */
static bool
FunnelStep(FunnelSearch *fs, int s, int64 t, int32 row)
{
	FunnelLevelChains *prev = &fs->lv[s - 1];

	if (!(fs->flags & FUNNEL_STRICT_ONCE))
	{
		if (!FunnelFits(fs, fs->first[s - 1], fs->last[s - 1], t))
			return false;
		fs->reached[s] = true;
		fs->first[s] = fs->first[s - 1];
		fs->last[s] = t;
		return s + 1 == fs->nsteps;
	}
	for (int c = 0; c < prev->n; c++)
	{
		FunnelChain *from = &prev->chains[c];
		bool		ok = true;

		if ((uint64) t - (uint64) from->first > fs->window)
		{
			/* never in the window again: drop it */
			memmove(from, from + 1, sizeof(FunnelChain) * (prev->n - c - 1));
			prev->n--;
			fs->live--;
			c--;
			continue;
		}
		for (int k = 0; k < s && ok; k++)
			ok = from->path[k] != row;
		if (!ok || !FunnelFits(fs, from->first, from->last, t))
			continue;
		FunnelAddChain(fs, s, from, t, row);
		fs->reached[s] = true;
		if (s + 1 == fs->nsteps)
			return true;
	}
	return false;
}

/*
 * The chain search over rows in canonical order: the events at one time are
 * taken in step order (rows meeting no step first, which only strict_order
 * keeps), a row meeting several steps being one event per step.
 */
static int
FunnelLevel(const EventRow *rows, int64 n, int nsteps, int flags, uint64 window)
{
	FunnelSearch *fs;
	bool		started = false;
	bool		order = (flags & FUNNEL_STRICT_ORDER) != 0;
	int64		b = 0;

	if (n == 0)
		return 0;
	if (!order && nsteps == 1)
		return 1;
	/* a level's first and last times are written when it is reached, before any read */
	fs = palloc(sizeof(FunnelSearch));
	fs->nsteps = nsteps;
	fs->flags = flags;
	fs->window = window;
	fs->live = 0;
	memset(fs->reached, 0, sizeof(fs->reached));
	if (flags & FUNNEL_STRICT_ONCE)
		memset(fs->lv, 0, sizeof(fs->lv));

	while (b < n)
	{
		int64		e = b;
		int64		t = rows[b].ts;
		uint32		steps = 0;

		CHECK_FOR_INTERRUPTS();
		while (e < n && rows[e].ts == t)
			steps |= rows[e++].mask;
		/* strict_order: an event meeting no step ends the search */
		if (order && started)
			for (int64 i = b; i < e; i++)
				if (rows[i].mask == 0)
					return FunnelMaxLevel(fs->reached, nsteps);
		/* the steps met at time t, in ascending order */
		while (steps != 0)
		{
			int			s = pg_rightmost_one_pos32(steps);

			steps &= steps - 1;
			for (int64 i = b; i < e; i++)
			{
				uint32		m = rows[i].mask;

				if (!(m & ((uint32) 1 << s)))
					continue;
				if (s == 0)
				{
					/*
					 * strict_order (ClickHouse since allow_reentry): the first
					 * step occurring again once the chain is past it breaks
					 * the chain, unless allow_reentry, which passes over it
					 */
					if (order && started && nsteps > 1 && fs->reached[1])
					{
						if (flags & FUNNEL_ALLOW_REENTRY)
							continue;
						return FunnelLeadingLevels(fs->reached, nsteps);
					}
					fs->reached[0] = true;
					fs->first[0] = fs->last[0] = t;
					if (flags & FUNNEL_STRICT_ONCE)
						FunnelAddChain(fs, 0, NULL, t, (int32) i);
					started = true;
				}
				else if ((flags & FUNNEL_STRICT_DEDUPLICATION) && fs->reached[s])
					return FunnelMaxLevel(fs->reached, nsteps);
				else if (order && started && !fs->reached[s - 1])
					return FunnelLeadingLevels(fs->reached, nsteps);
				else if (fs->reached[s - 1] && FunnelStep(fs, s, t, (int32) i))
					return nsteps;
			}
		}
		b = e;
	}
	return FunnelMaxLevel(fs->reached, nsteps);
}

/* Final: sort the rows canonically, then run the chain search. */
Datum
pp_window_funnel_final(PG_FUNCTION_ARGS)
{
	EventList  *l = (EventList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	EventRow   *rows;
	int			level;

	if (l->kind != EVENT_LIST_FUNNEL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("event list is not a window_funnel state")));
	if (l->n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("window_funnel handles at most %d events per group", PG_INT32_MAX)));
	rows = EventListSorted(l);
	level = FunnelLevel(rows, l->n, l->nconds, l->flags, (uint64) l->param);
	pfree(rows);
	PG_RETURN_INT32(level);
}

/* ---------- funnel_counts / funnel_table ---------- */

/* A new int8[] of n zeros. */
static ArrayType *
FunnelCountsNew(int n)
{
	Datum	   *zeros = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		zeros[i] = Int64GetDatum(0);
	return construct_array(zeros, n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/* Length of a funnel_counts state or result; 22000 unless a plain int8[]. */
static inline int
FunnelCountsLength(ArrayType *a)
{
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("funnel counts must be a one-dimensional bigint array without NULLs")));
	return ARR_DIMS(a)[0];
}

/*
 * State: int8[steps + 1], element k the customers whose level is exactly k.
 * Modified in place (it lives in the aggregate context).
 */
Datum
pp_funnel_counts_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ArrayType  *a;
	int			steps;
	int			level;

	aggcxt = PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("funnel_counts steps must not be NULL")));
	steps = PG_GETARG_INT32(2);
	if (steps < 1 || steps > PORTRAIT_FUNNEL_MAX_STEPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel_counts steps must be between 1 and %d, not %d",
						PORTRAIT_FUNNEL_MAX_STEPS, steps)));
	if (PG_ARGISNULL(0))
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		a = FunnelCountsNew(steps + 1);
		MemoryContextSwitchTo(old);
	}
	else
		a = PG_GETARG_ARRAYTYPE_P(0);
	if (FunnelCountsLength(a) != steps + 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel_counts steps must be the same for all rows of a group")));
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(a);
	level = PG_GETARG_INT32(1);
	if (level < 0 || level > steps)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel level %d is outside 0..%d", level, steps),
				 errhint("Pass the number of steps given to window_funnel.")));
	((int64 *) PortraitArrayData(a))[level]++;
	PG_RETURN_POINTER(a);
}

/* Combine: element-wise sum of two count arrays. */
Datum
pp_funnel_counts_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	ArrayType  *b;
	int			n;

	(void) PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(PG_GETARG_DATUM(1));
	a = PG_GETARG_ARRAYTYPE_P(0);
	b = PG_GETARG_ARRAYTYPE_P(1);
	n = FunnelCountsLength(a);
	if (FunnelCountsLength(b) != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("funnel_counts steps must be the same for all rows of a group")));
	for (int i = 0; i < n; i++)
		((int64 *) PortraitArrayData(a))[i] += ((int64 *) PortraitArrayData(b))[i];
	PG_RETURN_POINTER(a);
}

/* Final: int8[steps], element k the customers who reached step k or beyond. */
Datum
pp_funnel_counts_final(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int			n = FunnelCountsLength(a);
	const int64 *exact = (const int64 *) PortraitArrayData(a);
	Datum	   *out = palloc(sizeof(Datum) * n);
	int64		sum = 0;

	for (int k = n - 1; k >= 1; k--)
	{
		sum += exact[k];
		out[k - 1] = Int64GetDatum(sum);
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n - 1, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
										  TYPALIGN_DOUBLE));
}

/*
 * funnel_table(users bigint[]): one row per step with the customers who
 * reached it and the conversion from the previous and from the first step.
 */
Datum
pp_funnel_table(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int			n = FunnelCountsLength(a);
	const int64 *users = (const int64 *) PortraitArrayData(a);

	InitMaterializedSRF(fcinfo, 0);
	for (int k = 0; k < n; k++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (users[k] < 0 || (k > 0 && users[k] > users[k - 1]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("funnel counts must be non-negative and non-increasing"),
					 errdetail("Step %d has %lld customers.", k + 1, (long long) users[k]),
					 errhint("Pass the result of portrait.funnel_counts.")));
		values[0] = Int32GetDatum(k + 1);
		values[1] = Int64GetDatum(users[k]);
		if (k == 0)
			values[2] = Float8GetDatum(users[0] > 0 ? 1.0 : 0.0);
		else if (users[k - 1] > 0)
			values[2] = Float8GetDatum((double) users[k] / (double) users[k - 1]);
		else
			nulls[2] = true;
		if (users[0] > 0)
			values[3] = Float8GetDatum((double) users[k] / (double) users[0]);
		else
			nulls[3] = true;
		if (k == 0 && users[0] == 0)
			nulls[2] = true;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
