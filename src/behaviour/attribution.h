/*
 * attribution.h
 *		A customer's journeys (portrait.journey_list), shared by the journey
 *		aggregate and the attribution models: private to the behaviour family.
 */
#ifndef PORTRAIT_ATTRIBUTION_H
#define PORTRAIT_ATTRIBUTION_H

#include "datatype/timestamp.h"

#include "portrait.h"

/* longest channel name, in bytes */
#define PORTRAIT_ATTRIBUTION_MAX_NAME 255
/* channels of one attribution state (and of one customer) */
#define PORTRAIT_ATTRIBUTION_MAX_CHANNELS 1000

/* JourneyList.flags */
#define JOURNEY_DEDUPE 0x01

/* chan of a conversion row */
#define JOURNEY_CONVERSION (-1)

/* One touchpoint (chan >= 0, amount its cost) or conversion (amount its value). */
typedef struct JourneyRow
{
	int64		ts;
	double		amount;
	int32		chan;			/* index into the list's names, or JOURNEY_CONVERSION */
	int32		pad;
} JourneyRow;

/*
 * State and result of portrait.journeys: the options, then room for cap rows
 * (n used, in arrival order), then namecap bytes of channel names (nnames of
 * them, each NUL-terminated, namelen bytes used).  Appended to in place;
 * when an area is full a larger copy replaces the list (the executor frees
 * the old one), as event lists do.
 */
typedef struct JourneyList
{
	int32		vl_len_;
	int32		flags;
	int64		lookback;		/* microseconds; -1: no limit */
	int32		n;
	int32		cap;
	int32		nnames;
	int32		namelen;
	int32		namecap;
	int32		pad;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} JourneyList;

#define JourneyListRows(l)	((JourneyRow *) (l)->data)
#define JourneyListNames(l) ((l)->data + sizeof(JourneyRow) * (l)->cap)

/*
 * One journey: touches (channel indexes of the list; index nnames is the
 * direct channel of a conversion without touches) and its outcome.
 */
typedef struct Journey
{
	int			ntouch;
	const int32 *chan;
	const int64 *ts;
	bool		converted;
	int64		conv_ts;
	double		value;
} Journey;

typedef void (*JourneyVisit) (const Journey *j, void *arg);

extern void JourneyListEach(const JourneyList *l, bool direct, JourneyVisit visit, void *arg);
extern const char **JourneyListNameArray(const JourneyList *l);
extern void JourneyCheckName(const char *name, int len);

#endif							/* PORTRAIT_ATTRIBUTION_H */
