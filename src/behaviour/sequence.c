/*
 * sequence.c
 *		sequence_match and sequence_count: does a customer's event history
 *		contain a pattern, and how many non-overlapping times (ClickHouse's
 *		sequenceMatch / sequenceCount pattern language).
 *
 * Pattern language:
 *	(?N)			an event meeting condition N (1-based)
 *	.				any one event
 *	.*				any number of events
 *	(?t op S)		between the events before and after it: their times are
 *					S seconds apart as op says (op: <, <=, >, >=, ==); other
 *					events may lie between the two (as in ClickHouse).
 * A pattern matches anywhere in the history (an implicit leading .*).  Only
 * rows meeting at least one condition are events.
 *
 * The engine is a position automaton run once over the events: state k
 * means "the first k event items are matched", and keeps the time of the
 * event that matched item k when a time condition follows it.  One time per
 * state suffices for range conditions: with > and >= the earliest one
 * dominates, with < and <= the latest.  Only == needs every time within
 * its distance of the newest (bounded by PORTRAIT_SEQUENCE_MAX_PENDING).
 * So the work is O(events x pattern items) with no backtracking; patterns
 * are limited to PORTRAIT_SEQUENCE_MAX_ITEMS event items.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "portrait.h"
#include "events.h"

#define PORTRAIT_SEQUENCE_MAX_ITEMS 64
#define PORTRAIT_SEQUENCE_MAX_SECONDS INT64CONST(9000000000000)	/* fits in microseconds */
#define PORTRAIT_SEQUENCE_MAX_PENDING 1000000

PG_FUNCTION_INFO_V1(pp_sequence_trans);
PG_FUNCTION_INFO_V1(pp_sequence_combine);
PG_FUNCTION_INFO_V1(pp_sequence_match_final);
PG_FUNCTION_INFO_V1(pp_sequence_count_final);

typedef enum SeqTimeOp
{
	SEQ_TIME_NONE = 0,
	SEQ_TIME_LT,
	SEQ_TIME_LE,
	SEQ_TIME_GT,
	SEQ_TIME_GE,
	SEQ_TIME_EQ
} SeqTimeOp;

/* What may lie between event item k and k + 1 (gap 0 is before the first item). */
typedef struct SeqGap
{
	bool		star;			/* any events may lie between */
	SeqTimeOp	op;
	int64		usec;			/* time condition in microseconds */
} SeqGap;

typedef struct SeqPattern
{
	int			nitems;
	int32		cond[PORTRAIT_SEQUENCE_MAX_ITEMS];	/* condition index, -1 for '.' */
	SeqGap		gap[PORTRAIT_SEQUENCE_MAX_ITEMS + 1];
} SeqPattern;

/* Raise 22P02 for a malformed pattern, naming the 1-based position of pos. */
static void
SeqSyntaxError(const char *pattern, const char *pos, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("malformed sequence pattern at position %d: %s", (int) (pos - pattern) + 1, what),
			 errdetail("Pattern: \"%s\".", pattern),
			 errhint("Items are (?N), ., .* and (?t op seconds) with op one of <, <=, >, >=, ==.")));
}

/* Read a non-negative decimal integer at *p (at most max). */
static int64
SeqReadNumber(const char *pattern, const char **p, int64 max)
{
	int64		v = 0;
	const char *start = *p;

	while (**p >= '0' && **p <= '9')
	{
		v = v * 10 + (**p - '0');
		if (v > max)
			SeqSyntaxError(pattern, start, "number too large");
		(*p)++;
	}
	if (*p == start)
		SeqSyntaxError(pattern, start, "expected a number");
	return v;
}

/* Parse a pattern over nconds conditions. */
static void
SeqParse(const char *pattern, int nconds, SeqPattern *pat)
{
	const char *p = pattern;
	bool		after_item = false; /* the previous token was an event item */

	memset(pat, 0, sizeof(SeqPattern));
	pat->gap[0].star = true;
	while (*p)
	{
		SeqGap	   *gap = &pat->gap[pat->nitems];
		const char *start = p;

		if (p[0] == '(' && p[1] == '?' && p[2] == 't')
		{
			SeqTimeOp	op;
			int64		secs;

			if (!after_item)
				SeqSyntaxError(pattern, start, "a time condition must follow an event");
			p += 3;
			if (p[0] == '<' && p[1] == '=')
				op = SEQ_TIME_LE, p += 2;
			else if (p[0] == '>' && p[1] == '=')
				op = SEQ_TIME_GE, p += 2;
			else if (p[0] == '=' && p[1] == '=')
				op = SEQ_TIME_EQ, p += 2;
			else if (p[0] == '<')
				op = SEQ_TIME_LT, p++;
			else if (p[0] == '>')
				op = SEQ_TIME_GT, p++;
			else
				SeqSyntaxError(pattern, p, "unknown time condition");
			secs = SeqReadNumber(pattern, &p, PORTRAIT_SEQUENCE_MAX_SECONDS);
			if (*p != ')')
				SeqSyntaxError(pattern, p, "expected )");
			p++;
			gap->op = op;
			gap->usec = secs * USECS_PER_SEC;
			gap->star = false;
			after_item = false;
			if (!(*p == '(' || *p == '.') || (p[0] == '.' && p[1] == '*') ||
				(p[0] == '(' && p[1] == '?' && p[2] == 't'))
				SeqSyntaxError(pattern, p, "a time condition must be followed by an event");
			continue;
		}
		if (p[0] == '(' && p[1] == '?')
		{
			int64		n;

			p += 2;
			n = SeqReadNumber(pattern, &p, PORTRAIT_EVENT_MAX_CONDS);
			if (*p != ')')
				SeqSyntaxError(pattern, p, "expected )");
			if (n < 1 || n > nconds)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("sequence pattern refers to condition %lld at position %d, but %d conditions are given",
								(long long) n, (int) (start - pattern) + 1, nconds)));
			p++;
			if (pat->nitems >= PORTRAIT_SEQUENCE_MAX_ITEMS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("sequence pattern has more than %d events", PORTRAIT_SEQUENCE_MAX_ITEMS)));
			pat->cond[pat->nitems++] = (int32) (n - 1);
			after_item = true;
			continue;
		}
		if (p[0] == '.' && p[1] == '*')
		{
			gap->star = true;
			p += 2;
			after_item = false;
			continue;
		}
		if (p[0] == '.')
		{
			if (pat->nitems >= PORTRAIT_SEQUENCE_MAX_ITEMS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("sequence pattern has more than %d events", PORTRAIT_SEQUENCE_MAX_ITEMS)));
			pat->cond[pat->nitems++] = -1;
			p++;
			after_item = true;
			continue;
		}
		SeqSyntaxError(pattern, p, "unexpected character");
	}
	if (pat->nitems == 0)
		SeqSyntaxError(pattern, p, "a pattern needs at least one event");
}

/* Does the gap's time condition hold between times base and t (t >= base)? */
static inline bool
SeqTimeOk(const SeqGap *g, int64 base, int64 t)
{
	uint64		d = (uint64) t - (uint64) base;
	uint64		s = (uint64) g->usec;

	switch (g->op)
	{
		case SEQ_TIME_NONE:
			return true;
		case SEQ_TIME_LT:
			return d < s;
		case SEQ_TIME_LE:
			return d <= s;
		case SEQ_TIME_GT:
			return d > s;
		case SEQ_TIME_GE:
			return d >= s;
		case SEQ_TIME_EQ:
			return d == s;
	}
	return false;
}

/* Can the state "k items matched" wait over events that are not its next item? */
static inline bool
SeqGapSkips(const SeqGap *g)
{
	return g->star || g->op != SEQ_TIME_NONE;
}

/*
 * Times of the events that matched item k when an == condition follows it:
 * every one within the condition's distance of the newest may still match,
 * so all are kept (ascending; older ones are dropped as time moves on).
 */
typedef struct SeqBases
{
	int64	   *v;
	int64		head;
	int64		n;
	int64		cap;
} SeqBases;

/* Drop the times more than usec before t. */
static inline void
SeqBasesPrune(SeqBases *b, int64 t, int64 usec)
{
	while (b->head < b->n && (uint64) t - (uint64) b->v[b->head] > (uint64) usec)
		b->head++;
}

/* Add time t (ascending) after dropping the times too old to match again. */
static void
SeqBasesPush(SeqBases *b, int64 t, int64 usec)
{
	SeqBasesPrune(b, t, usec);
	if (b->head < b->n && b->v[b->n - 1] == t)
		return;
	if (b->n >= b->cap)
	{
		if (b->head > 0)
		{
			memmove(b->v, b->v + b->head, sizeof(int64) * (b->n - b->head));
			b->n -= b->head;
			b->head = 0;
		}
		if (b->n >= b->cap)
		{
			if (b->cap >= PORTRAIT_SEQUENCE_MAX_PENDING)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("sequence pattern keeps more than %d candidate events for an == time condition",
								PORTRAIT_SEQUENCE_MAX_PENDING),
						 errhint("Use a shorter distance or a range condition (<=, >=).")));
			b->cap = Max(64, b->cap * 2);
			b->v = b->v ? repalloc(b->v, sizeof(int64) * b->cap) : palloc(sizeof(int64) * b->cap);
		}
	}
	b->v[b->n++] = t;
}

/*
 * Run the automaton over rows; count = false stops at the first match and
 * returns 1, count = true counts non-overlapping matches (after a match the
 * search restarts with the next event).
 */
static int64
SeqRun(const SeqPattern *pat, const EventRow *rows, int64 n, bool count)
{
	int			m = pat->nitems;
	bool		active[PORTRAIT_SEQUENCE_MAX_ITEMS + 1];
	int64		base[PORTRAIT_SEQUENCE_MAX_ITEMS + 1];
	SeqBases	eq[PORTRAIT_SEQUENCE_MAX_ITEMS + 1];
	int64		matches = 0;

	memset(active, 0, sizeof(active));
	memset(eq, 0, sizeof(eq));
	active[0] = true;
	for (int64 i = 0; i < n; i++)
	{
		int64		t = rows[i].ts;
		uint32		mask = rows[i].mask;

		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		/* from the top down, so each state reads its predecessor's old value */
		for (int k = m; k >= 1; k--)
		{
			const SeqGap *in = &pat->gap[k - 1];
			const SeqGap *out = &pat->gap[k];
			int			c = pat->cond[k - 1];
			bool		reached = false;

			if (active[k - 1] && (c < 0 || (mask & ((uint32) 1 << c))))
			{
				if (in->op == SEQ_TIME_EQ)
				{
					SeqBases   *b = &eq[k - 1];

					SeqBasesPrune(b, t, in->usec);
					reached = b->head < b->n && (uint64) t - (uint64) b->v[b->head] == (uint64) in->usec;
				}
				else
					reached = k == 1 || SeqTimeOk(in, base[k - 1], t);
			}
			if (k == m)
				active[k] = reached;
			else if (out->op == SEQ_TIME_EQ)
			{
				if (reached)
				{
					SeqBasesPush(&eq[k], t, out->usec);
					active[k] = true;
				}
			}
			else if (active[k] && SeqGapSkips(out))
			{
				/* keep the dominating time: the latest for < and <=, else the earliest */
				if (reached && (out->op == SEQ_TIME_LT || out->op == SEQ_TIME_LE))
					base[k] = t;
			}
			else
			{
				active[k] = reached;
				if (reached)
					base[k] = t;
			}
		}
		if (active[m])
		{
			if (!count)
				return 1;
			matches++;
			memset(active, 0, sizeof(active));
			for (int k = 0; k <= m; k++)
				eq[k].head = eq[k].n = 0;
		}
		active[0] = true;
	}
	return matches;
}

/* Parsed pattern cached per call site, keyed by the pattern text. */
typedef struct SeqCache
{
	char	   *text;
	int32		textlen;
	int			nconds;
	SeqPattern	pat;
} SeqCache;

/* The parsed pattern, parsed once per distinct pattern in a query. */
static const SeqPattern *
SeqCachedPattern(FunctionCallInfo fcinfo, const char *text, int32 textlen, int nconds)
{
	SeqCache   *c = fcinfo->flinfo->fn_extra;

	if (c == NULL || c->textlen != textlen || c->nconds != nconds || memcmp(c->text, text, textlen) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		char	   *s = pnstrdup(text, textlen);

		if (c == NULL)
			c = palloc0(sizeof(SeqCache));
		else
			pfree(c->text);
		c->text = NULL;
		fcinfo->flinfo->fn_extra = c;
		MemoryContextSwitchTo(old);
		SeqParse(s, nconds, &c->pat);
		c->text = s;
		c->textlen = textlen;
		c->nconds = nconds;
	}
	return &c->pat;
}

/*
 * Transition (state, pattern, ts, conds): the pattern is checked on the
 * first row; rows with a NULL timestamp or meeting no condition are not
 * kept.  NULL conditions are false.
 */
Datum
pp_sequence_trans(PG_FUNCTION_ARGS)
{
	EventList  *l;
	text	   *pattern;
	int			nconds;
	uint32		mask;
	TimestampTz ts;

	(void) PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("sequence pattern must not be NULL")));
	if (PG_ARGISNULL(3))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	pattern = PG_GETARG_TEXT_PP(1);
	mask = EventConditionMask(PG_GETARG_ARRAYTYPE_P(3), PORTRAIT_EVENT_MAX_CONDS, &nconds,
							  "sequence conditions");
	if (PG_ARGISNULL(0))
	{
		(void) SeqCachedPattern(fcinfo, VARDATA_ANY(pattern), VARSIZE_ANY_EXHDR(pattern), nconds);
		/* in the per-row context: the executor copies it into its own */
		l = EventListNew(EVENT_LIST_SEQUENCE, nconds, 0, 0, VARDATA_ANY(pattern),
						 VARSIZE_ANY_EXHDR(pattern), PORTRAIT_EVENT_INITIAL_ROWS);
	}
	else
	{
		l = (EventList *) PG_GETARG_POINTER(0);
		if (l->nconds != nconds || l->textlen != (int32) VARSIZE_ANY_EXHDR(pattern) ||
			memcmp(EventListText(l), VARDATA_ANY(pattern), l->textlen) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("sequence pattern and number of conditions must be the same for all rows of a group")));
	}
	if (PG_ARGISNULL(2) || mask == 0)
		PG_RETURN_POINTER(l);
	ts = PG_GETARG_TIMESTAMPTZ(2);
	if (TIMESTAMP_NOT_FINITE(ts))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("sequence timestamp must be finite")));
	PG_RETURN_POINTER(EventListAppend(l, ts, mask));
}

/* Combine: the rows of both partial states. */
Datum
pp_sequence_combine(PG_FUNCTION_ARGS)
{
	return EventListCombine(fcinfo);
}

/* Shared final body. */
static int64
SeqFinal(FunctionCallInfo fcinfo, bool count)
{
	EventList  *l = (EventList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	const SeqPattern *pat;
	EventRow   *rows;
	int64		r;

	if (l->kind != EVENT_LIST_SEQUENCE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("event list is not a sequence_match or sequence_count state")));
	pat = SeqCachedPattern(fcinfo, EventListText(l), l->textlen, l->nconds);
	rows = EventListSorted(l);
	r = SeqRun(pat, rows, l->n, count);
	pfree(rows);
	return r;
}

/* sequence_match final: whether the pattern occurs. */
Datum
pp_sequence_match_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(SeqFinal(fcinfo, false) > 0);
}

/* sequence_count final: the number of non-overlapping occurrences. */
Datum
pp_sequence_count_final(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(SeqFinal(fcinfo, true));
}
