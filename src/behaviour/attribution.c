/*
 * attribution.c
 *		portrait.attribution_state and the channel attribution models over
 *		customers' journeys: first touch, last touch, linear, time decay,
 *		position based, the Markov chain removal effect (order 1 to 4,
 *		solved exactly) and Shapley values (exact and Zhao et al.'s
 *		simplified and ordered forms).
 *
 * The aggregate portrait.attribution(journey_list, options) folds each
 * customer's journeys into one state: per channel the heuristic credits,
 * touches and cost; the Markov transition counts between states (tuples of
 * the last `order` channels); the conversions and value of each ordered
 * channel coalition.  All of it is sums, so states of parallel workers or
 * distributed nodes combine by addition.  While the aggregate runs the
 * state is an expanded object; its flat form is its text form, so what a
 * worker ships is what a person reads.
 *
 * Final functions put channels in name order and states in canonical order
 * first, so that the linear systems (and so the results) do not depend on
 * the order in which rows or workers came.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "attribution.h"

PG_FUNCTION_INFO_V1(pp_attribution_state_in);
PG_FUNCTION_INFO_V1(pp_attribution_state_out);
PG_FUNCTION_INFO_V1(pp_attribution_trans);
PG_FUNCTION_INFO_V1(pp_attribution_combine);
PG_FUNCTION_INFO_V1(pp_attribution_models);
PG_FUNCTION_INFO_V1(pp_attribution_removal_effects);
PG_FUNCTION_INFO_V1(pp_attribution_transitions);
PG_FUNCTION_INFO_V1(pp_attribution_shapley_ordered);
PG_FUNCTION_INFO_V1(pp_attribution_markov_model);

#define PORTRAIT_ATTRIBUTION_MAX_ORDER 4
/* channels of the exact Shapley computation over all 2^n coalitions */
#define PORTRAIT_ATTRIBUTION_SHAPLEY_MAX 20
/* Markov states (tuples of channels) of one dense solve */
#define PORTRAIT_ATTRIBUTION_MAX_STATES 5000
#define PORTRAIT_ATTRIBUTION_DEFAULT_HALF_LIFE_DAYS 7.0

/* symbols after a Markov state besides channels */
#define SYM_CONVERSION (-1)
#define SYM_NULL (-2)

/* per-channel sums */
enum
{
	CH_TOUCHES,
	CH_COST,
	CH_FIRST, CH_FIRST_V,
	CH_LAST, CH_LAST_V,
	CH_LINEAR, CH_LINEAR_V,
	CH_DECAY, CH_DECAY_V,
	CH_POSITION, CH_POSITION_V,
	CH_NVALS
};

#define NMODELS 8
static const char *const model_names[NMODELS] = {
	"first_touch", "last_touch", "linear", "time_decay", "position_based", "markov", "shapley",
	"shapley_simplified"
};

static const char *const attr_type = "portrait.attribution_state";
static const char *const attr_func = "attribution";
static const char *const attr_known = "order, half_life_days, position_first, position_last, direct";

/*
 * Keys of bytes (names, tuples of channel ids) to dense ids, each with width
 * doubles of sums; open addressing, every array in the state's context.
 */
typedef struct KeyMap
{
	int32		n;
	int32		cap;
	int32		width;
	int32		nslots;			/* power of two, at least 2 * cap */
	int32	   *slots;			/* id + 1, 0 empty */
	uint32	   *hash;
	int64	   *keyoff;
	int32	   *keylen;
	char	   *keys;
	int64		keysused;
	int64		keyscap;
	double	   *vals;			/* cap * width */
	MemoryContext cxt;
} KeyMap;

typedef struct AttrOptions
{
	int			order;
	double		half_life;		/* microseconds */
	double		pos_first;
	double		pos_last;
	int			directlen;		/* 0: none */
	char		direct[PORTRAIT_ATTRIBUTION_MAX_NAME + 1];
} AttrOptions;

typedef struct AttrState
{
	ExpandedObjectHeader hdr;
	AttrOptions opt;
	double		journeys;
	double		conversions;
	double		value;
	double		nulls;
	KeyMap		channels;		/* name -> CH_NVALS sums */
	KeyMap		trans;			/* int16 from-state ids, then next symbol -> count */
	KeyMap		coal;			/* int16 ids, first-touch order -> conversions, value */
	char	   *flat;			/* text form cached by AttrFlatSize */
	Size		flatlen;
} AttrState;

static Size AttrFlatSize(ExpandedObjectHeader *eohptr);
static void AttrFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

/* The shared fit budget, with the hint every attribution step gives. */
static void
AttributionBudget(double bytes, const char *what)
{
	PortraitFitBudget(bytes, what,
					  "Raise portrait.fit_memory_limit, or reduce the problem (fewer channels, a lower order).");
}

static const ExpandedObjectMethods attr_methods = {
	AttrFlatSize,
	AttrFlatten
};

/* ---------- the map ---------- */

static void
KeyMapInit(KeyMap *m, int width, MemoryContext cxt)
{
	memset(m, 0, sizeof(KeyMap));
	m->width = width;
	m->cxt = cxt;
	m->cap = 16;
	m->nslots = 32;
	m->slots = MemoryContextAllocZero(cxt, sizeof(int32) * m->nslots);
	m->hash = MemoryContextAlloc(cxt, sizeof(uint32) * m->cap);
	m->keyoff = MemoryContextAlloc(cxt, sizeof(int64) * m->cap);
	m->keylen = MemoryContextAlloc(cxt, sizeof(int32) * m->cap);
	m->vals = MemoryContextAllocZero(cxt, sizeof(double) * m->cap * Max(width, 1));
	m->keyscap = 256;
	m->keys = MemoryContextAlloc(cxt, m->keyscap);
}

static inline const char *
KeyMapKey(const KeyMap *m, int32 id, int32 *len)
{
	*len = m->keylen[id];
	return m->keys + m->keyoff[id];
}

/* Grow the entry arrays to twice their size and rehash. */
static void
KeyMapGrow(KeyMap *m)
{
	int32		cap = m->cap * 2;

	/* the state's maps together stay within the fit budget */
	AttributionBudget((double) cap * (sizeof(double) * Max(m->width, 1) + 2 * sizeof(int32) +
											sizeof(uint32) + sizeof(int64) + sizeof(int32)) + m->keyscap,
							"the attribution state");
	if ((Size) cap * sizeof(double) * Max(m->width, 1) > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("attribution state has too many distinct paths"),
				 errhint("Use a lower order, or de-duplicate repeated touches.")));
	m->hash = repalloc(m->hash, sizeof(uint32) * cap);
	m->keyoff = repalloc(m->keyoff, sizeof(int64) * cap);
	m->keylen = repalloc(m->keylen, sizeof(int32) * cap);
	m->vals = repalloc(m->vals, sizeof(double) * cap * Max(m->width, 1));
	memset(m->vals + (Size) m->cap * Max(m->width, 1), 0, sizeof(double) * (cap - m->cap) * Max(m->width, 1));
	m->cap = cap;
	pfree(m->slots);
	m->nslots = cap * 2;
	m->slots = MemoryContextAllocZero(m->cxt, sizeof(int32) * m->nslots);
	for (int32 i = 0; i < m->n; i++)
	{
		uint32		s = m->hash[i] & (m->nslots - 1);

		while (m->slots[s] != 0)
			s = (s + 1) & (m->nslots - 1);
		m->slots[s] = i + 1;
	}
}

/* Id of key, added (with zero sums) when add, else -1 when absent. */
static int32
KeyMapFind(KeyMap *m, const void *key, int32 len, bool add)
{
	uint32		h = hash_bytes(key, len);
	uint32		s = h & (m->nslots - 1);
	int32		id;

	while (m->slots[s] != 0)
	{
		id = m->slots[s] - 1;
		if (m->hash[id] == h && m->keylen[id] == len && memcmp(m->keys + m->keyoff[id], key, len) == 0)
			return id;
		s = (s + 1) & (m->nslots - 1);
	}
	if (!add)
		return -1;
	if (m->keysused + len > m->keyscap)
	{
		int64		cap = Max(m->keyscap * 2, m->keysused + len);

		if (cap > (int64) MaxAllocSize)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("attribution state has too many distinct paths"),
					 errhint("Use a lower order, or de-duplicate repeated touches.")));
		m->keys = repalloc(m->keys, cap);
		m->keyscap = cap;
	}
	id = m->n++;
	memcpy(m->keys + m->keysused, key, len);
	m->keyoff[id] = m->keysused;
	m->keylen[id] = len;
	m->keysused += len;
	m->hash[id] = h;
	m->slots[s] = id + 1;
	if (m->n * 2 > m->cap)
		KeyMapGrow(m);
	return id;
}

static inline double *
KeyMapVals(KeyMap *m, int32 id)
{
	return m->vals + (Size) id * m->width;
}

/* ---------- the state ---------- */

static AttrState *
AttrNew(MemoryContext parent, const AttrOptions *opt)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "portrait attribution", ALLOCSET_DEFAULT_SIZES);
	AttrState  *st = MemoryContextAllocZero(cxt, sizeof(AttrState));

	EOH_init_header(&st->hdr, &attr_methods, cxt);
	st->opt = *opt;
	KeyMapInit(&st->channels, CH_NVALS, cxt);
	KeyMapInit(&st->trans, 1, cxt);
	KeyMapInit(&st->coal, 2, cxt);
	return st;
}

/* Global id of a channel name, added when new (54000 past the channel limit). */
static int32
AttrChannel(AttrState *st, const char *name, int32 len)
{
	int32		id = KeyMapFind(&st->channels, name, len, false);

	if (id >= 0)
		return id;
	if (st->channels.n >= PORTRAIT_ATTRIBUTION_MAX_CHANNELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many channels: more than %d", PORTRAIT_ATTRIBUTION_MAX_CHANNELS),
				 errhint("Group rare channels into one, e.g. 'other'.")));
	return KeyMapFind(&st->channels, name, len, true);
}

static inline void
AttrDirty(AttrState *st)
{
	if (st->flat != NULL)
	{
		pfree(st->flat);
		st->flat = NULL;
	}
}

/* ---------- options ---------- */

static void
AttrOptionVisit(const char *key, JsonbValue *v, void *arg)
{
	AttrOptions *o = arg;

	if (strcmp(key, "order") == 0)
		o->order = (int) PortraitOptionInteger(v, attr_func, key, 1, PORTRAIT_ATTRIBUTION_MAX_ORDER);
	else if (strcmp(key, "half_life_days") == 0)
		o->half_life = PortraitOptionRange(v, attr_func, key, 0, 1e6, true,
										   "a number of days above 0") * USECS_PER_DAY;
	else if (strcmp(key, "position_first") == 0)
		o->pos_first = PortraitOptionRange(v, attr_func, key, 0, 1, false, "a number from 0 to 1");
	else if (strcmp(key, "position_last") == 0)
		o->pos_last = PortraitOptionRange(v, attr_func, key, 0, 1, false, "a number from 0 to 1");
	else if (strcmp(key, "direct") == 0)
	{
		char	   *d = PortraitOptionString(v, attr_func, key, "a channel name");

		JourneyCheckName(d, (int) strlen(d));
		o->directlen = (int) strlen(d);
		memcpy(o->direct, d, o->directlen);
	}
	else
		PortraitUnknownOption(attr_func, key, attr_known);
}

static void
AttrParseOptions(Jsonb *jb, AttrOptions *o)
{
	memset(o, 0, sizeof(AttrOptions));
	o->order = 1;
	o->half_life = PORTRAIT_ATTRIBUTION_DEFAULT_HALF_LIFE_DAYS * USECS_PER_DAY;
	o->pos_first = 0.4;
	o->pos_last = 0.4;
	if (jb != NULL)
		PortraitForEachOption(jb, attr_func, AttrOptionVisit, o);
	if (o->pos_first + o->pos_last > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options \"position_first\" and \"position_last\" of %s must not add up to more than 1", attr_func),
				 errhint("The middle touches share 1 - position_first - position_last.")));
}

static bool
AttrSameOptions(const AttrOptions *a, const AttrOptions *b)
{
	return a->order == b->order && a->half_life == b->half_life && a->pos_first == b->pos_first &&
		a->pos_last == b->pos_last && a->directlen == b->directlen &&
		memcmp(a->direct, b->direct, a->directlen) == 0;
}

static void
AttrCheckOptions(const AttrOptions *a, const AttrOptions *b)
{
	if (!AttrSameOptions(a, b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aggregate options must be the same for all rows of a group"),
				 errdetail("The order, half-life, position weights and direct channel are fixed for one attribution state.")));
}

/* ---------- adding journeys ---------- */

typedef struct AttrAdd
{
	AttrState  *st;
	int32	   *map;			/* list channel -> state channel; [nnames] direct, -1 until used */
	int			nnames;
	int16	   *buf;			/* key buffer */
	bool	   *seen;			/* state channel seen in this journey */
} AttrAdd;

/* Count one transition: the last `order` channels before touch i, then sym. */
static void
AttrCountStep(AttrAdd *a, const int16 *g, int i, int16 sym)
{
	int			k = Min(i, a->st->opt.order);

	memcpy(a->buf, g + i - k, sizeof(int16) * k);
	a->buf[k] = sym;
	KeyMapVals(&a->st->trans, KeyMapFind(&a->st->trans, a->buf, sizeof(int16) * (k + 1), true))[0] += 1;
}

/* Add one journey of a customer to the state. */
static void
AttrVisit(const Journey *j, void *arg)
{
	AttrAdd    *a = arg;
	AttrState  *st = a->st;
	int			k = j->ntouch;
	int16	   *g = palloc(sizeof(int16) * k);
	int			nd = 0;

	for (int i = 0; i < k; i++)
	{
		int32		c = j->chan[i];

		if (a->map[c] < 0)
			a->map[c] = AttrChannel(st, st->opt.direct, st->opt.directlen);
		g[i] = (int16) a->map[c];
	}
	st->journeys += 1;
	if (j->converted)
	{
		double		v = j->value;
		double		wsum = 0;
		double	   *w = palloc(sizeof(double) * k);
		double		f = st->opt.pos_first;
		double		l = st->opt.pos_last;

		st->conversions += 1;
		st->value += v;
		KeyMapVals(&st->channels, g[0])[CH_FIRST] += 1;
		KeyMapVals(&st->channels, g[0])[CH_FIRST_V] += v;
		KeyMapVals(&st->channels, g[k - 1])[CH_LAST] += 1;
		KeyMapVals(&st->channels, g[k - 1])[CH_LAST_V] += v;
		/* time decay, relative to the latest touch so that nothing underflows */
		for (int i = 0; i < k; i++)
		{
			w[i] = exp2(-((double) (j->ts[k - 1] - j->ts[i])) / st->opt.half_life);
			wsum += w[i];
		}
		for (int i = 0; i < k; i++)
		{
			double	   *cv = KeyMapVals(&st->channels, g[i]);
			double		pw;

			cv[CH_LINEAR] += 1.0 / k;
			cv[CH_LINEAR_V] += v / k;
			cv[CH_DECAY] += w[i] / wsum;
			cv[CH_DECAY_V] += v * (w[i] / wsum);
			if (k == 1)
				pw = 1;
			else if (k == 2)
				pw = f + l > 0 ? (i == 0 ? f : l) / (f + l) : 0.5;
			else
				pw = i == 0 ? f : (i == k - 1 ? l : (1 - f - l) / (k - 2));
			cv[CH_POSITION] += pw;
			cv[CH_POSITION_V] += v * pw;
		}
		pfree(w);
		/* the coalition: distinct channels in first-touch order */
		for (int i = 0; i < k; i++)
			if (!a->seen[g[i]])
			{
				a->seen[g[i]] = true;
				a->buf[nd++] = g[i];
			}
		for (int i = 0; i < nd; i++)
			a->seen[a->buf[i]] = false;
		{
			double	   *cv = KeyMapVals(&st->coal, KeyMapFind(&st->coal, a->buf, sizeof(int16) * nd, true));

			cv[0] += 1;
			cv[1] += v;
		}
	}
	else
		st->nulls += 1;
	for (int i = 0; i < k; i++)
		AttrCountStep(a, g, i, g[i]);
	AttrCountStep(a, g, k, j->converted ? SYM_CONVERSION : SYM_NULL);
	pfree(g);
}

/* Fold a customer's journey list into the state. */
static void
AttrAddList(AttrState *st, const JourneyList *l)
{
	const char **names = JourneyListNameArray(l);
	AttrAdd		a;

	a.st = st;
	a.nnames = l->nnames;
	a.map = palloc(sizeof(int32) * (l->nnames + 1));
	for (int32 i = 0; i < l->nnames; i++)
		a.map[i] = AttrChannel(st, names[i], (int32) strlen(names[i]));
	a.map[l->nnames] = -1;
	a.buf = palloc(sizeof(int16) * (Max(l->n, st->opt.order) + 2));
	a.seen = palloc0(sizeof(bool) * PORTRAIT_ATTRIBUTION_MAX_CHANNELS);
	for (int32 i = 0; i < l->n; i++)
	{
		const JourneyRow *r = &JourneyListRows(l)[i];

		if (r->chan != JOURNEY_CONVERSION)
		{
			double	   *cv = KeyMapVals(&st->channels, a.map[r->chan]);

			cv[CH_TOUCHES] += 1;
			cv[CH_COST] += r->amount;
		}
	}
	JourneyListEach(l, st->opt.directlen > 0, AttrVisit, &a);
	pfree(a.map);
	pfree(a.buf);
	pfree(a.seen);
	pfree(names);
}

static inline bool
IsOurExpanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &attr_methods;
}

static AttrState *AttrParse(const char *input, Size len, MemoryContext parent);

/* Read-only view of a state datum, expanded or flat. */
static AttrState *
AttrRead(Datum d, MemoryContext parent)
{
	struct varlena *f;

	if (IsOurExpanded(d))
		return (AttrState *) DatumGetEOHP(d);
	f = PG_DETOAST_DATUM(d);
	return AttrParse(VARDATA(f), VARSIZE(f) - VARHDRSZ, parent);
}

/* The options of this call site (parsed when their bytes change). */
typedef struct AttrCallCache
{
	PortraitOptionsCache c;
	AttrOptions opt;
} AttrCallCache;

/* attribution(journey_list, options): transition. */
Datum
pp_attribution_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	AttrCallCache *cc = fcinfo->flinfo->fn_extra;
	AttrState  *st;

	if (cc == NULL)
		cc = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AttrCallCache));
	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
	{
		Jsonb	   *jb = PG_GETARG_JSONB_P(2);

		if (PortraitOptionsChanged(&cc->c, fcinfo->flinfo->fn_mcxt, jb))
			AttrParseOptions(jb, &cc->opt);
	}
	else if (cc->opt.order == 0)
		AttrParseOptions(NULL, &cc->opt);

	if (PG_ARGISNULL(0))
		st = AttrNew(aggcxt, &cc->opt);
	else if (IsOurExpanded(PG_GETARG_DATUM(0)))
		st = (AttrState *) DatumGetEOHP(PG_GETARG_DATUM(0));
	else
		st = AttrRead(PG_GETARG_DATUM(0), aggcxt);
	AttrCheckOptions(&st->opt, &cc->opt);
	/*
	 * The per-customer work allocates in the per-row context; the maps
	 * allocate in the state's own context themselves.
	 */
	if (!PG_ARGISNULL(1))
	{
		AttrAddList(st, (JourneyList *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1)));
		AttrDirty(st);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/* Add every sum of map b into map a (keys of b mapped by remap, or as they are). */
static void
KeyMapMerge(KeyMap *a, const KeyMap *b, const int32 *remap)
{
	int16	   *buf = palloc(sizeof(int16) * 8);
	int			bufn = 8;

	for (int32 id = 0; id < b->n; id++)
	{
		int32		len;
		const char *key;
		const double *bv = b->vals + (Size) id * b->width;
		double	   *av;
		int32		aid;

		PORTRAIT_ROW_INTERRUPTS(id);
		key = KeyMapKey(b, id, &len);
		if (remap != NULL)
		{
			int			nk = len / (int) sizeof(int16);

			if (nk > bufn)
			{
				bufn = nk * 2;
				buf = repalloc(buf, sizeof(int16) * bufn);
			}
			memcpy(buf, key, len);
			for (int i = 0; i < nk; i++)
				if (buf[i] >= 0)
					buf[i] = (int16) remap[buf[i]];
			key = (const char *) buf;
		}
		aid = KeyMapFind(a, key, len, true);
		av = KeyMapVals(a, aid);
		for (int w = 0; w < a->width; w++)
			av[w] += bv[w];
	}
	pfree(buf);
}

/* Combine: the sums of both states. */
Datum
pp_attribution_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	AttrState  *a;
	AttrState  *b;
	int32	   *remap;
	MemoryContext old;

	if (PG_ARGISNULL(1))
		return PortraitStateUnchanged(fcinfo);
	if (PG_ARGISNULL(0))
	{
		a = AttrRead(PG_GETARG_DATUM(1), aggcxt);
		if (IsOurExpanded(PG_GETARG_DATUM(1)))
		{
			/* a read-only expanded argument: copy it through its text form */
			AttrState  *src = a;

			(void) AttrFlatSize(&src->hdr);
			a = AttrParse(src->flat, src->flatlen, aggcxt);
		}
		PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
	}
	if (IsOurExpanded(PG_GETARG_DATUM(0)))
		a = (AttrState *) DatumGetEOHP(PG_GETARG_DATUM(0));
	else
		a = AttrRead(PG_GETARG_DATUM(0), aggcxt);
	b = AttrRead(PG_GETARG_DATUM(1), CurrentMemoryContext);
	AttrCheckOptions(&a->opt, &b->opt);
	old = MemoryContextSwitchTo(a->hdr.eoh_context);
	remap = palloc(sizeof(int32) * Max(b->channels.n, 1));
	for (int32 id = 0; id < b->channels.n; id++)
	{
		int32		len;
		const char *key = KeyMapKey(&b->channels, id, &len);

		remap[id] = AttrChannel(a, key, len);
	}
	for (int32 id = 0; id < b->channels.n; id++)
	{
		double	   *av = KeyMapVals(&a->channels, remap[id]);
		const double *bv = b->channels.vals + (Size) id * CH_NVALS;

		for (int w = 0; w < CH_NVALS; w++)
			av[w] += bv[w];
	}
	KeyMapMerge(&a->trans, &b->trans, remap);
	KeyMapMerge(&a->coal, &b->coal, remap);
	a->journeys += b->journeys;
	a->conversions += b->conversions;
	a->value += b->value;
	a->nulls += b->nulls;
	pfree(remap);
	MemoryContextSwitchTo(old);
	AttrDirty(a);
	PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
}

/* ---------- text form (also the flat form) ---------- */

/* Append the sums of a map: ;n;key|v|v,key|v|v... with int16 keys as i.i.i */
static void
KeyMapOut(StringInfo buf, const KeyMap *m)
{
	appendStringInfo(buf, ";%d;", m->n);
	for (int32 id = 0; id < m->n; id++)
	{
		int32		len;
		const int16 *key = (const int16 *) KeyMapKey(m, id, &len);

		if (id > 0)
			appendStringInfoChar(buf, ',');
		for (int i = 0; i < len / (int) sizeof(int16); i++)
			appendStringInfo(buf, i > 0 ? ".%d" : "%d", key[i]);
		for (int w = 0; w < m->width; w++)
		{
			appendStringInfoChar(buf, '|');
			PortraitFormatDouble(buf, m->vals[(Size) id * m->width + w]);
		}
	}
}

/*
 * Text form: 1;order;half_life;position_first;position_last;len:direct;
 * journeys;conversions;value;nulls, then the channels (;n;len:name|sums,...),
 * the transitions and the coalitions (;n;ids|sums,...).
 */
static void
AttrFormat(StringInfo buf, const AttrState *st)
{
	appendStringInfo(buf, "1;%d;", st->opt.order);
	PortraitFormatDouble(buf, st->opt.half_life);
	appendStringInfoChar(buf, ';');
	PortraitFormatDouble(buf, st->opt.pos_first);
	appendStringInfoChar(buf, ';');
	PortraitFormatDouble(buf, st->opt.pos_last);
	appendStringInfo(buf, ";%d:", st->opt.directlen);
	appendBinaryStringInfo(buf, st->opt.direct, st->opt.directlen);
	appendStringInfo(buf, ";%.0f;%.0f;", st->journeys, st->conversions);
	PortraitFormatDouble(buf, st->value);
	appendStringInfo(buf, ";%.0f", st->nulls);
	appendStringInfo(buf, ";%d;", st->channels.n);
	for (int32 id = 0; id < st->channels.n; id++)
	{
		int32		len;
		const char *key = KeyMapKey(&st->channels, id, &len);

		if (id > 0)
			appendStringInfoChar(buf, ',');
		appendStringInfo(buf, "%d:", len);
		appendBinaryStringInfo(buf, key, len);
		for (int w = 0; w < CH_NVALS; w++)
		{
			appendStringInfoChar(buf, '|');
			PortraitFormatDouble(buf, st->channels.vals[(Size) id * CH_NVALS + w]);
		}
	}
	KeyMapOut(buf, &st->trans);
	KeyMapOut(buf, &st->coal);
}

static Size
AttrFlatSize(ExpandedObjectHeader *eohptr)
{
	AttrState  *st = (AttrState *) eohptr;

	if (st->flat == NULL)
	{
		StringInfoData buf;
		MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);

		initStringInfo(&buf);
		AttrFormat(&buf, st);
		st->flat = buf.data;
		st->flatlen = buf.len;
		MemoryContextSwitchTo(old);
	}
	return VARHDRSZ + st->flatlen;
}

static void
AttrFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	AttrState  *st = (AttrState *) eohptr;

	(void) AttrFlatSize(eohptr);
	SET_VARSIZE(result, allocated_size);
	memcpy(VARDATA(result), st->flat, st->flatlen);
}

typedef struct AttrParser
{
	const char *p;
	const char *end;
	const char *input;
} AttrParser;

static void pg_attribute_noreturn()
AttrBad(const AttrParser *ps)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%.200s\"", attr_type, ps->input)));
}

static int64
AttrInt(AttrParser *ps)
{
	return PortraitParseInt64(&ps->p, attr_type, ps->input);
}

static double
AttrNum(AttrParser *ps, bool nonneg)
{
	double		v = PortraitParseDouble(&ps->p, attr_type, ps->input);

	if (nonneg && v < 0)
		AttrBad(ps);
	return v;
}

/* A count: a non-negative integer that a double holds exactly. */
static double
AttrCount(AttrParser *ps)
{
	double		v = AttrNum(ps, true);

	if (v != floor(v) || v > 9007199254740992.0)
		AttrBad(ps);
	return v;
}

static void
AttrChar(AttrParser *ps, char c)
{
	if (ps->p >= ps->end || *ps->p != c)
		AttrBad(ps);
	ps->p++;
}

/*
 * Read a map's entries; keys are ids of nch channels, the last one of a
 * transition key may be a symbol.  Raises 22P02 on anything inconsistent.
 */
static void
KeyMapIn(AttrParser *ps, KeyMap *m, int nch, int maxlen, bool trans)
{
	int64		n;
	int16	   *buf = palloc(sizeof(int16) * (maxlen + 1));

	AttrChar(ps, ';');
	n = AttrInt(ps);
	AttrChar(ps, ';');
	if (n < 0 || n > ps->end - ps->p)
		AttrBad(ps);
	for (int64 e = 0; e < n; e++)
	{
		int			k = 0;
		double	   *v;
		int32		id;

		PORTRAIT_ROW_INTERRUPTS(e);
		if (e > 0)
			AttrChar(ps, ',');
		for (;;)
		{
			int64		x;

			if (k >= maxlen)
				AttrBad(ps);
			x = AttrInt(ps);
			if (x >= nch || x < (trans ? SYM_NULL : 0))
				AttrBad(ps);
			buf[k++] = (int16) x;
			if (ps->p < ps->end && *ps->p == '.')
				ps->p++;
			else
				break;
		}
		/* a transition's symbols are channels except the last */
		if (trans)
			for (int i = 0; i < k - 1; i++)
				if (buf[i] < 0)
					AttrBad(ps);
		if ((!trans && k == 0) || KeyMapFind(m, buf, sizeof(int16) * k, false) >= 0)
			AttrBad(ps);
		id = KeyMapFind(m, buf, sizeof(int16) * k, true);
		v = KeyMapVals(m, id);
		for (int w = 0; w < m->width; w++)
		{
			AttrChar(ps, '|');
			/* transition and coalition counts are whole; a coalition's value is not */
			v[w] = (trans || w == 0) ? AttrCount(ps) : AttrNum(ps, true);
		}
	}
	pfree(buf);
}

/* A state from its text form (len bytes, not NUL-terminated) in a new context. */
static AttrState *
AttrParse(const char *input, Size len, MemoryContext parent)
{
	char	   *copy = pnstrdup(input, len);
	AttrParser	ps = {copy, copy + strlen(copy), copy};
	AttrOptions o;
	AttrState  *st;
	int64		dl;
	MemoryContext old;

	memset(&o, 0, sizeof(o));
	if (AttrInt(&ps) != 1)
		AttrBad(&ps);
	AttrChar(&ps, ';');
	o.order = (int) AttrInt(&ps);
	AttrChar(&ps, ';');
	o.half_life = AttrNum(&ps, true);
	AttrChar(&ps, ';');
	o.pos_first = AttrNum(&ps, true);
	AttrChar(&ps, ';');
	o.pos_last = AttrNum(&ps, true);
	AttrChar(&ps, ';');
	dl = AttrInt(&ps);
	AttrChar(&ps, ':');
	if (o.order < 1 || o.order > PORTRAIT_ATTRIBUTION_MAX_ORDER || o.half_life <= 0 ||
		o.pos_first > 1 || o.pos_last > 1 || o.pos_first + o.pos_last > 1 ||
		dl < 0 || dl > PORTRAIT_ATTRIBUTION_MAX_NAME || dl > ps.end - ps.p)
		AttrBad(&ps);
	o.directlen = (int) dl;
	memcpy(o.direct, ps.p, dl);
	ps.p += dl;
	st = AttrNew(parent, &o);
	old = MemoryContextSwitchTo(st->hdr.eoh_context);
	AttrChar(&ps, ';');
	st->journeys = AttrCount(&ps);
	AttrChar(&ps, ';');
	st->conversions = AttrCount(&ps);
	AttrChar(&ps, ';');
	st->value = AttrNum(&ps, true);
	AttrChar(&ps, ';');
	st->nulls = AttrCount(&ps);
	AttrChar(&ps, ';');
	{
		int64		n = AttrInt(&ps);

		AttrChar(&ps, ';');
		if (n < 0 || n > PORTRAIT_ATTRIBUTION_MAX_CHANNELS)
			AttrBad(&ps);
		for (int64 e = 0; e < n; e++)
		{
			int64		nl;
			int32		id;
			double	   *v;

			if (e > 0)
				AttrChar(&ps, ',');
			nl = AttrInt(&ps);
			AttrChar(&ps, ':');
			if (nl < 1 || nl > PORTRAIT_ATTRIBUTION_MAX_NAME || nl > ps.end - ps.p ||
				memchr(ps.p, '\0', nl) != NULL || KeyMapFind(&st->channels, ps.p, (int32) nl, false) >= 0)
				AttrBad(&ps);
			id = KeyMapFind(&st->channels, ps.p, (int32) nl, true);
			ps.p += nl;
			v = KeyMapVals(&st->channels, id);
			for (int w = 0; w < CH_NVALS; w++)
			{
				AttrChar(&ps, '|');
				v[w] = w == CH_TOUCHES ? AttrCount(&ps) : AttrNum(&ps, true);
			}
		}
	}
	KeyMapIn(&ps, &st->trans, st->channels.n, st->opt.order + 1, true);
	KeyMapIn(&ps, &st->coal, st->channels.n, Max(st->channels.n, 1), false);
	if (ps.p != ps.end)
		AttrBad(&ps);
	MemoryContextSwitchTo(old);
	pfree(copy);
	return st;
}

Datum
pp_attribution_state_out(PG_FUNCTION_ARGS)
{
	AttrState  *st = AttrRead(PG_GETARG_DATUM(0), CurrentMemoryContext);

	(void) AttrFlatSize(&st->hdr);
	PG_RETURN_CSTRING(pnstrdup(st->flat, st->flatlen));
}

/* Text input: parsed and checked, then stored as its canonical text. */
Datum
pp_attribution_state_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	AttrState  *st = AttrParse(input, strlen(input), CurrentMemoryContext);
	struct varlena *f;
	Size		sz = AttrFlatSize(&st->hdr);

	f = palloc(sz);
	AttrFlatten(&st->hdr, f, sz);
	PG_RETURN_POINTER(f);
}

/* ---------- the models ---------- */

/* Results per channel, channels in name order. */
typedef struct AttrResult
{
	int			nch;
	const char **names;			/* in name order */
	int32	   *order;			/* name-order position -> state id */
	int32	   *rank;			/* state id -> name-order position */
	double	   *conv;			/* nch * NMODELS */
	double	   *value;
	bool	   *isnull;			/* nch * NMODELS */
	double	   *removal;		/* nch */
	double		p_conv;			/* Markov probability of conversion from the start */
} AttrResult;

typedef struct NameRef
{
	const char *name;
	int32		len;
	int32		id;
} NameRef;

static int
NameRefCmp(const void *a, const void *b)
{
	const NameRef *x = a;
	const NameRef *y = b;
	int			c = memcmp(x->name, y->name, Min(x->len, y->len));

	return c != 0 ? c : (x->len > y->len) - (x->len < y->len);
}

/* Channels of st in name order. */
static void
AttrSortChannels(const AttrState *st, AttrResult *r)
{
	int			n = st->channels.n;
	NameRef    *refs = palloc(sizeof(NameRef) * Max(n, 1));

	for (int32 id = 0; id < n; id++)
	{
		refs[id].name = KeyMapKey(&st->channels, id, &refs[id].len);
		refs[id].id = id;
	}
	qsort(refs, n, sizeof(NameRef), NameRefCmp);
	r->nch = n;
	r->names = palloc(sizeof(char *) * Max(n, 1));
	r->order = palloc(sizeof(int32) * Max(n, 1));
	r->rank = palloc(sizeof(int32) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		r->names[i] = pnstrdup(refs[i].name, refs[i].len);
		r->order[i] = refs[i].id;
		r->rank[refs[i].id] = i;
	}
	pfree(refs);
}

/* Markov states in canonical order: tuples of name-order positions. */
typedef struct MarkovStates
{
	int			n;
	int			maxlen;
	int16	   *tuples;			/* n * maxlen, -1 padded */
	int		   *len;
	KeyMap		index;			/* tuple -> canonical index */
	/* transitions: from state, to state (or -1 conversion, -2 null), count */
	int			ntrans;
	int		   *from;
	int		   *to;
	double	   *count;
	double	   *rowsum;
} MarkovStates;

/* Canonical order of states of *(int *) arg channels: shorter first, then by channel. */
static int
TupleCmp(const void *a, const void *b, void *arg)
{
	const int16 *x = a;
	const int16 *y = b;
	int			maxlen = *(int *) arg;
	int			lx = 0;
	int			ly = 0;

	while (lx < maxlen && x[lx] >= 0)
		lx++;
	while (ly < maxlen && y[ly] >= 0)
		ly++;
	if (lx != ly)
		return lx < ly ? -1 : 1;
	for (int i = 0; i < lx; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* The canonical Markov chain of st (channel ids as name-order positions). */
static void
MarkovBuild(const AttrState *st, const AttrResult *r, MarkovStates *ms)
{
	int			maxlen = st->opt.order;
	KeyMap		seen;
	int16	   *buf = palloc(sizeof(int16) * (maxlen + 1));
	int16	   *tmp;

	KeyMapInit(&seen, 0, CurrentMemoryContext);
	/* every state that is left is a from-state of some transition */
	for (int32 id = 0; id < st->trans.n; id++)
	{
		int32		len;
		const int16 *key = (const int16 *) KeyMapKey(&st->trans, id, &len);
		int			k = len / (int) sizeof(int16) - 1;

		for (int i = 0; i < maxlen; i++)
			buf[i] = i < k ? (int16) r->rank[key[i]] : -1;
		(void) KeyMapFind(&seen, buf, sizeof(int16) * maxlen, true);
	}
	if (seen.n > PORTRAIT_ATTRIBUTION_MAX_STATES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("Markov chain has %d states, more than %d", seen.n, PORTRAIT_ATTRIBUTION_MAX_STATES),
				 errhint("Use a lower order.")));
	ms->n = seen.n;
	ms->maxlen = maxlen;
	ms->tuples = palloc(sizeof(int16) * maxlen * Max(seen.n, 1));
	for (int32 id = 0; id < seen.n; id++)
	{
		int32		len;

		memcpy(ms->tuples + id * maxlen, KeyMapKey(&seen, id, &len), sizeof(int16) * maxlen);
	}
	qsort_arg(ms->tuples, seen.n, sizeof(int16) * maxlen, TupleCmp, &maxlen);
	ms->len = palloc(sizeof(int) * Max(seen.n, 1));
	KeyMapInit(&ms->index, 0, CurrentMemoryContext);
	for (int s = 0; s < seen.n; s++)
	{
		int			l = 0;

		while (l < maxlen && ms->tuples[s * maxlen + l] >= 0)
			l++;
		ms->len[s] = l;
		(void) KeyMapFind(&ms->index, ms->tuples + s * maxlen, sizeof(int16) * maxlen, true);
	}
	ms->ntrans = st->trans.n;
	ms->from = palloc(sizeof(int) * Max(ms->ntrans, 1));
	ms->to = palloc(sizeof(int) * Max(ms->ntrans, 1));
	ms->count = palloc(sizeof(double) * Max(ms->ntrans, 1));
	ms->rowsum = palloc0(sizeof(double) * Max(ms->n, 1));
	tmp = palloc(sizeof(int16) * (maxlen + 1));
	for (int32 id = 0; id < st->trans.n; id++)
	{
		int32		len;
		const int16 *key = (const int16 *) KeyMapKey(&st->trans, id, &len);
		int			k = len / (int) sizeof(int16) - 1;
		int16		sym = key[k];

		for (int i = 0; i < maxlen; i++)
			buf[i] = i < k ? (int16) r->rank[key[i]] : -1;
		ms->from[id] = KeyMapFind(&ms->index, buf, sizeof(int16) * maxlen, false);
		if (sym < 0)
			ms->to[id] = sym == SYM_CONVERSION ? -1 : -2;
		else
		{
			/* the next state: the last maxlen of the from tuple and sym */
			int			m = 0;

			for (int i = 0; i < k; i++)
				tmp[m++] = buf[i];
			tmp[m++] = (int16) r->rank[sym];
			if (m > maxlen)
			{
				memmove(tmp, tmp + 1, sizeof(int16) * maxlen);
				m = maxlen;
			}
			for (int i = m; i < maxlen; i++)
				tmp[i] = -1;
			ms->to[id] = KeyMapFind(&ms->index, tmp, sizeof(int16) * maxlen, false);
			if (ms->to[id] < 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("attribution state is inconsistent: a Markov state has no transitions out"),
						 errhint("Build the state with portrait.attribution.")));
		}
		ms->count[id] = KeyMapVals((KeyMap *) &st->trans, id)[0];
		ms->rowsum[ms->from[id]] += ms->count[id];
	}
	pfree(buf);
	pfree(tmp);
}

/* Does state s contain channel c (a name-order position)? */
static inline bool
StateHas(const MarkovStates *ms, int s, int c)
{
	for (int i = 0; i < ms->len[s]; i++)
		if (ms->tuples[s * ms->maxlen + i] == c)
			return true;
	return false;
}

/*
 * Probability of absorption in conversion from the start state when every
 * state containing channel removed (-1: none) leads to the null state
 * instead: the solution x of (I - Q) x = R over the states kept.
 */
static double
MarkovConversion(const MarkovStates *ms, int removed)
{
	int		   *idx = palloc(sizeof(int) * Max(ms->n, 1));
	int			m = 0;
	double	   *a;
	double	   *b;
	int			info;
	double		p;

	for (int s = 0; s < ms->n; s++)
		idx[s] = (removed >= 0 && StateHas(ms, s, removed)) ? -1 : m++;
	if (m == 0 || idx[0] < 0)
		return 0;
	a = palloc_extended(sizeof(double) * m * m, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	b = palloc0(sizeof(double) * m);
	for (int s = 0; s < m; s++)
		a[s + (Size) s * m] = 1;
	for (int t = 0; t < ms->ntrans; t++)
	{
		int			is = idx[ms->from[t]];
		double		pr;

		if (is < 0 || ms->rowsum[ms->from[t]] <= 0)
			continue;
		pr = ms->count[t] / ms->rowsum[ms->from[t]];
		if (ms->to[t] == -1)
			b[is] += pr;
		else if (ms->to[t] >= 0 && idx[ms->to[t]] >= 0)
			a[is + (Size) idx[ms->to[t]] * m] -= pr;
	}
	info = LinalgSolve(m, a, b, 1);
	if (info != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("Markov chain could not be solved"),
				 errdetail("LAPACK dgesv returned info = %d.", info),
				 errhint("Build the state with portrait.attribution; every state must lead to conversion or null.")));
	p = b[idx[0]];
	pfree(a);
	pfree(b);
	pfree(idx);
	/* rounding may leave a probability a hair outside [0, 1] */
	return Min(Max(p, 0), 1);
}

/* Markov credits and removal effects (model index 5). */
static void
AttrMarkov(const AttrState *st, AttrResult *r)
{
	MarkovStates ms;
	double		resum = 0;

	memset(r->removal, 0, sizeof(double) * Max(r->nch, 1));
	if (st->trans.n == 0)
		return;
	MarkovBuild(st, r, &ms);
	AttributionBudget((double) ms.n * ms.n * sizeof(double), "the Markov chain's linear system");
	r->p_conv = MarkovConversion(&ms, -1);
	for (int c = 0; c < r->nch; c++)
	{
		CHECK_FOR_INTERRUPTS();
		if (r->p_conv > 0)
			r->removal[c] = Max(1 - MarkovConversion(&ms, c) / r->p_conv, 0);
		resum += r->removal[c];
	}
	for (int c = 0; c < r->nch; c++)
	{
		double		share = resum > 0 ? r->removal[c] / resum : 0;

		r->conv[c * NMODELS + 5] = st->conversions * share;
		r->value[c * NMODELS + 5] = st->value * share;
	}
}

/*
 * Shapley values with v(S) = conversions (value) of journeys whose channel
 * set lies in S: exactly over the 2^n coalitions of the n channels that
 * occur in converting journeys (model 6, NULL past the limit), and by Zhao
 * et al.'s simplified formula, each journey's conversion split equally
 * among its distinct channels (model 7), which equals it.
 */
static void
AttrShapley(const AttrState *st, AttrResult *r)
{
	int		   *player = palloc(sizeof(int) * Max(r->nch, 1));
	int		   *chan_of = palloc(sizeof(int) * Max(r->nch, 1));
	int			n = 0;

	for (int c = 0; c < r->nch; c++)
		player[c] = -1;
	for (int32 id = 0; id < st->coal.n; id++)
	{
		int32		len;
		const int16 *key = (const int16 *) KeyMapKey(&st->coal, id, &len);
		int			k = len / (int) sizeof(int16);
		const double *v = st->coal.vals + (Size) id * 2;

		for (int i = 0; i < k; i++)
		{
			int			c = r->rank[key[i]];

			r->conv[c * NMODELS + 7] += v[0] / k;
			r->value[c * NMODELS + 7] += v[1] / k;
			player[c] = 0;
		}
	}
	for (int c = 0; c < r->nch; c++)
		if (player[c] == 0)
		{
			chan_of[n] = c;
			player[c] = n++;
		}
	if (n > PORTRAIT_ATTRIBUTION_SHAPLEY_MAX)
	{
		for (int c = 0; c < r->nch; c++)
			r->isnull[c * NMODELS + 6] = true;
		return;
	}
	if (n > 0)
	{
		Size		nmask = (Size) 1 << n;
		double	   *vc;
		double	   *vv;
		double	   *w = palloc(sizeof(double) * n);

		AttributionBudget(2.0 * nmask * sizeof(double), "the exact Shapley computation");
		vc = palloc_extended(sizeof(double) * nmask, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		vv = palloc_extended(sizeof(double) * nmask, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
		for (int32 id = 0; id < st->coal.n; id++)
		{
			int32		len;
			const int16 *key = (const int16 *) KeyMapKey(&st->coal, id, &len);
			Size		mask = 0;

			for (int i = 0; i < len / (int) sizeof(int16); i++)
				mask |= (Size) 1 << player[r->rank[key[i]]];
			vc[mask] += st->coal.vals[(Size) id * 2];
			vv[mask] += st->coal.vals[(Size) id * 2 + 1];
		}
		/* zeta transform: v(S) = sum over subsets T of S of r(T) */
		for (int b = 0; b < n; b++)
		{
			CHECK_FOR_INTERRUPTS();
			for (Size mask = 0; mask < nmask; mask++)
				if (mask & ((Size) 1 << b))
				{
					vc[mask] += vc[mask ^ ((Size) 1 << b)];
					vv[mask] += vv[mask ^ ((Size) 1 << b)];
				}
		}
		/* w[s] = s! (n - 1 - s)! / n!, the weight of a coalition of s others */
		w[0] = 1.0 / n;
		for (int s = 1; s < n; s++)
			w[s] = w[s - 1] * s / (n - s);
		for (int j = 0; j < n; j++)
		{
			Size		bit = (Size) 1 << j;
			double		sc = 0;
			double		sv = 0;

			CHECK_FOR_INTERRUPTS();
			for (Size mask = 0; mask < nmask; mask++)
				if (!(mask & bit))
				{
					double		ws = w[pg_popcount64((uint64) mask)];

					sc += ws * (vc[mask | bit] - vc[mask]);
					sv += ws * (vv[mask | bit] - vv[mask]);
				}
			r->conv[chan_of[j] * NMODELS + 6] = sc;
			r->value[chan_of[j] * NMODELS + 6] = sv;
		}
		pfree(vc);
		pfree(vv);
		pfree(w);
	}
}

/*
 * The set-up of a reader of the state: the tuplestore, the state at
 * argument 0 and its channels in name order.
 */
static AttrResult *
AttrBegin(FunctionCallInfo fcinfo, AttrState **st)
{
	AttrResult *r = palloc0(sizeof(AttrResult));

	InitMaterializedSRF(fcinfo, 0);
	*st = AttrRead(PG_GETARG_DATUM(0), CurrentMemoryContext);
	AttrSortChannels(*st, r);
	return r;
}

/* Every model's credits per channel (r has the channels in name order). */
static void
AttrCompute(const AttrState *st, AttrResult *r)
{
	int			n = r->nch;

	r->conv = palloc0(sizeof(double) * NMODELS * Max(n, 1));
	r->value = palloc0(sizeof(double) * NMODELS * Max(n, 1));
	r->isnull = palloc0(sizeof(bool) * NMODELS * Max(n, 1));
	r->removal = palloc0(sizeof(double) * Max(n, 1));
	for (int c = 0; c < n; c++)
	{
		const double *v = st->channels.vals + (Size) r->order[c] * CH_NVALS;

		for (int m = 0; m < 5; m++)
		{
			r->conv[c * NMODELS + m] = v[CH_FIRST + 2 * m];
			r->value[c * NMODELS + m] = v[CH_FIRST_V + 2 * m];
		}
	}
	AttrMarkov(st, r);
	AttrShapley(st, r);
}

/*
 * attribution_models(state): per channel (name order) and model: the
 * conversions and value credited, the channel's cost and the model's ROI,
 * (value - cost) / cost (NULL without cost).
 */
Datum
pp_attribution_models(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	AttrResult *r = AttrBegin(fcinfo, &st);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	AttrCompute(st, r);
	for (int c = 0; c < r->nch; c++)
	{
		const double *v = st->channels.vals + (Size) r->order[c] * CH_NVALS;

		for (int m = 0; m < NMODELS; m++)
		{
			Datum		values[7];
			bool		nulls[7] = {false, false, false, false, false, false, false};
			double		cost = v[CH_COST];

			values[0] = CStringGetTextDatum(r->names[c]);
			values[1] = CStringGetTextDatum(model_names[m]);
			values[2] = Float8GetDatum(r->conv[c * NMODELS + m]);
			values[3] = Float8GetDatum(r->value[c * NMODELS + m]);
			values[4] = Int64GetDatum((int64) v[CH_TOUCHES]);
			values[5] = Float8GetDatum(cost);
			if (cost > 0)
				values[6] = Float8GetDatum((r->value[c * NMODELS + m] - cost) / cost);
			else
				nulls[6] = true;
			if (r->isnull[c * NMODELS + m])
				nulls[2] = nulls[3] = nulls[6] = true;
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * attribution_removal_effects(state): per channel the Markov removal effect
 * and the conversion probability without it, and the chain's probability.
 */
Datum
pp_attribution_removal_effects(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	AttrResult *r = AttrBegin(fcinfo, &st);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	r->conv = palloc0(sizeof(double) * NMODELS * Max(r->nch, 1));
	r->value = palloc0(sizeof(double) * NMODELS * Max(r->nch, 1));
	r->removal = palloc0(sizeof(double) * Max(r->nch, 1));
	AttrMarkov(st, r);
	for (int c = 0; c < r->nch; c++)
	{
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(r->names[c]);
		values[1] = Float8GetDatum(r->removal[c]);
		values[2] = Float8GetDatum(r->p_conv * (1 - r->removal[c]));
		values[3] = Float8GetDatum(r->p_conv);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Name of a state: '(start)' or its channels joined by ' > '. */
static char *
StateName(const MarkovStates *ms, const AttrResult *r, int s)
{
	StringInfoData buf;

	if (s == -1)
		return "(conversion)";
	if (s == -2)
		return "(null)";
	if (ms->len[s] == 0)
		return "(start)";
	initStringInfo(&buf);
	for (int i = 0; i < ms->len[s]; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, " > ");
		appendStringInfoString(&buf, r->names[ms->tuples[s * ms->maxlen + i]]);
	}
	return buf.data;
}

/* Transitions in canonical order: from state, then to state (states, conversion, null). */
static int
TransCmp(const void *a, const void *b, void *arg)
{
	const MarkovStates *ms = arg;
	int			x = *(const int *) a;
	int			y = *(const int *) b;
	int			tx;
	int			ty;

	if (ms->from[x] != ms->from[y])
		return ms->from[x] < ms->from[y] ? -1 : 1;
	tx = ms->to[x] < 0 ? ms->n - ms->to[x] : ms->to[x];
	ty = ms->to[y] < 0 ? ms->n - ms->to[y] : ms->to[y];
	return (tx > ty) - (tx < ty);
}

/* attribution_transitions(state): the Markov chain's transitions for BI. */
Datum
pp_attribution_transitions(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	AttrResult *r = AttrBegin(fcinfo, &st);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MarkovStates ms;
	int		   *perm;
	if (st->trans.n == 0)
		return (Datum) 0;
	MarkovBuild(st, r, &ms);
	perm = palloc(sizeof(int) * ms.ntrans);
	for (int t = 0; t < ms.ntrans; t++)
		perm[t] = t;
	qsort_arg(perm, ms.ntrans, sizeof(int), TransCmp, &ms);
	for (int i = 0; i < ms.ntrans; i++)
	{
		int			t = perm[i];
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		values[0] = CStringGetTextDatum(StateName(&ms, r, ms.from[t]));
		values[1] = CStringGetTextDatum(StateName(&ms, r, ms.to[t]));
		values[2] = Int64GetDatum((int64) ms.count[t]);
		values[3] = Float8GetDatum(ms.count[t] / ms.rowsum[ms.from[t]]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * attribution_shapley_ordered(state): Zhao et al.'s ordered Shapley value,
 * the credit of each channel at each position of the journeys' distinct
 * channels in first-touch order; over positions it sums to the Shapley value.
 */
Datum
pp_attribution_shapley_ordered(PG_FUNCTION_ARGS)
{
	AttrState  *st;
	AttrResult *r = AttrBegin(fcinfo, &st);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			maxk = 1;
	double	   *conv;
	double	   *value;
	for (int32 id = 0; id < st->coal.n; id++)
		maxk = Max(maxk, st->coal.keylen[id] / (int) sizeof(int16));
	conv = palloc0(sizeof(double) * maxk * Max(r->nch, 1));
	value = palloc0(sizeof(double) * maxk * Max(r->nch, 1));
	for (int32 id = 0; id < st->coal.n; id++)
	{
		int32		len;
		const int16 *key = (const int16 *) KeyMapKey(&st->coal, id, &len);
		int			k = len / (int) sizeof(int16);

		for (int i = 0; i < k; i++)
		{
			conv[r->rank[key[i]] * maxk + i] += st->coal.vals[(Size) id * 2] / k;
			value[r->rank[key[i]] * maxk + i] += st->coal.vals[(Size) id * 2 + 1] / k;
		}
	}
	for (int c = 0; c < r->nch; c++)
		for (int i = 0; i < maxk; i++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			if (conv[c * maxk + i] == 0 && value[c * maxk + i] == 0)
				continue;
			values[0] = CStringGetTextDatum(r->names[c]);
			values[1] = Int32GetDatum(i + 1);
			values[2] = Float8GetDatum(conv[c * maxk + i]);
			values[3] = Float8GetDatum(value[c * maxk + i]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}

/* ---------- the fitted Markov chain as a portrait.model ---------- */

/* Cross-field checks of an attribution model (22P02: it comes from text). */
static void
AttributionValidate(const PortraitModel *m)
{
	int			nch;
	int			nst;
	int			nre;
	int			rows;
	int			cols;
	const double *p;
	const double *re;
	int64		order = ModelGetInt(m, "order");

	(void) ModelGetTextArray(m, "channels", &nch);
	(void) ModelGetTextArray(m, "states", &nst);
	re = ModelGetFloatArray(m, "removal_effects", &nre);
	p = ModelGetFloatMatrix(m, "transitions", &rows, &cols);
	if (order < 1 || order > PORTRAIT_ATTRIBUTION_MAX_ORDER || nre != nch || rows != nst || cols != nst + 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid portrait.model"),
				 errdetail("An attribution model needs an order from 1 to 4, one removal effect per channel and an n x (n + 2) transition matrix for n states.")));
	for (int i = 0; i < nre; i++)
		if (!(re[i] >= 0 && re[i] <= 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid portrait.model"),
					 errdetail("Removal effects of an attribution model lie between 0 and 1.")));
	for (int s = 0; s < rows; s++)
	{
		double		sum = 0;

		for (int t = 0; t < cols; t++)
		{
			double		x = p[(Size) s * cols + t];

			if (!(x >= 0 && x <= 1))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
						 errmsg("invalid portrait.model"),
						 errdetail("Transition probabilities of an attribution model lie between 0 and 1.")));
			sum += x;
		}
		if (fabs(sum - 1) > 1e-9)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid portrait.model"),
					 errdetail("Row %d of the transition matrix of an attribution model sums to %g, not 1.", s + 1, sum)));
	}
}

static const ModelFieldSpec attribution_fields[] = {
	{"order", MF_INT, true},
	{"channels", MF_TEXT_ARRAY, true},
	{"states", MF_TEXT_ARRAY, true},
	{"transitions", MF_FLOAT_MATRIX, true},
	{"removal_effects", MF_FLOAT_ARRAY, true},
	{"conversion_probability", MF_FLOAT, false},
	{"journeys", MF_INT, false},
	{"conversions", MF_FLOAT, false},
	{"value", MF_FLOAT, false},
};

const ModelKindSpec AttributionModelKind = {
	PORTRAIT_KIND_ATTRIBUTION, "attribution", attribution_fields, lengthof(attribution_fields),
	AttributionValidate
};

/*
 * attribution_markov_model(state): the fitted Markov chain as a model:
 * states in canonical order ((start) first), the transition matrix with a
 * column per state then (conversion) and (null), the removal effects.
 */
Datum
pp_attribution_markov_model(PG_FUNCTION_ARGS)
{
	AttrState  *st = AttrRead(PG_GETARG_DATUM(0), CurrentMemoryContext);
	AttrResult *r = palloc0(sizeof(AttrResult));
	MarkovStates ms;
	ModelBuilder *b;
	const char **names;
	double	   *p;
	int			cols;

	AttrSortChannels(st, r);
	r->conv = palloc0(sizeof(double) * NMODELS * Max(r->nch, 1));
	r->value = palloc0(sizeof(double) * NMODELS * Max(r->nch, 1));
	r->removal = palloc0(sizeof(double) * Max(r->nch, 1));
	if (st->trans.n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("attribution state has no journeys"),
				 errhint("Build the state from customers' journeys with portrait.attribution.")));
	AttrMarkov(st, r);
	MarkovBuild(st, r, &ms);
	cols = ms.n + 2;
	AttributionBudget((double) ms.n * cols * sizeof(double), "the attribution model's transition matrix");
	p = palloc_extended(sizeof(double) * ms.n * cols, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int t = 0; t < ms.ntrans; t++)
	{
		int			col = ms.to[t] >= 0 ? ms.to[t] : ms.n - 1 - ms.to[t];

		p[(Size) ms.from[t] * cols + col] = ms.count[t] / ms.rowsum[ms.from[t]];
	}
	names = palloc(sizeof(char *) * ms.n);
	for (int s = 0; s < ms.n; s++)
		names[s] = StateName(&ms, r, s);
	b = ModelBuild(PORTRAIT_KIND_ATTRIBUTION);
	ModelPutInt(b, "order", st->opt.order);
	ModelPutTextArray(b, "channels", r->names, r->nch);
	ModelPutTextArray(b, "states", names, ms.n);
	ModelPutFloatMatrix(b, "transitions", p, ms.n, cols);
	ModelPutFloatArray(b, "removal_effects", r->removal, r->nch);
	ModelPutFloat(b, "conversion_probability", r->p_conv);
	ModelPutInt(b, "journeys", (int64) st->journeys);
	ModelPutFloat(b, "conversions", st->conversions);
	ModelPutFloat(b, "value", st->value);
	PG_RETURN_POINTER(ModelFinish(b));
}
