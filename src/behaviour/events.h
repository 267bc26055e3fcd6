/*
 * events.h
 *		The event list, the aggregate state that window_funnel and
 *		sequence_match/count share: private to the behaviour family.
 */
#ifndef PORTRAIT_EVENTS_H
#define PORTRAIT_EVENTS_H

#include "datatype/timestamp.h"

#include "portrait.h"

#define PORTRAIT_EVENT_MAX_CONDS 32
#define PORTRAIT_EVENT_INITIAL_ROWS 16

typedef enum EventListKind
{
	EVENT_LIST_FUNNEL = 1,
	EVENT_LIST_SEQUENCE = 2
} EventListKind;

/*
 * Aggregate state of window_funnel and sequence_match/count: options, then
 * textlen bytes of text (the pattern), MAXALIGN'ed, then room for cap rows,
 * n of them used.  Packed rows (at most 8 conditions, timestamps within
 * EVENT_PACK_SPAN of EVENT_PACK_BASE) are one uint64 each, the time offset
 * above the mask byte, so that their integer order is the canonical (time,
 * mask) order; wide rows are cap timestamps followed by cap masks.  The
 * header fields are the family's to read; the rows' layout is private to
 * events.c (read them through EventListSorted).
 */
typedef struct EventList
{
	int32		vl_len_;
	uint8		kind;			/* EventListKind */
	uint8		nconds;			/* number of conditions, 1..32 */
	uint16		flags;			/* funnel modes */
	int32		textlen;
	int32		packed;			/* rows packed (0: wide, as in 0.1.0) */
	int64		param;			/* funnel window in microseconds */
	int64		n;
	int64		cap;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} EventList;

#define EventListText(l)	((char *) (l)->data)

/* One row of an event list in canonical (timestamp, mask) order. */
typedef struct EventRow
{
	int64		ts;
	uint32		mask;
	uint32		pad;
} EventRow;

extern EventList *EventListNew(int kind, int nconds, int flags, int64 param, const char *text,
							   int32 textlen, int64 cap);
extern EventList *EventListAppend(EventList *l, int64 ts, uint32 mask);
extern void EventListCheckSame(const EventList *a, const EventList *b);
extern Datum EventListCombine(FunctionCallInfo fcinfo);
extern EventRow *EventListSorted(const EventList *l);
extern uint32 EventConditionMask(ArrayType *conds, int maxconds, int *nconds, const char *what);
extern int64 EventIntervalUsec(const Interval *iv, const char *what);

#endif							/* PORTRAIT_EVENTS_H */
