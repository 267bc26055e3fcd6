/*
 * similarity.c
 *		item_similarity: item-to-item similarity from co-occurrence in baskets
 *		(or customer histories), kept as the top neighbours of each item in a
 *		portrait.model; recommend: top-N items for a history from that model,
 *		with the item that led to each and a popularity fallback.
 *
 * The aggregate shares fpgrowth's state (baskets.c).  Its final function
 * counts co-occurrences one item at a time through an inverted index (the
 * baskets of each item), so the work is the sum over baskets of their size
 * squared and the memory one counter per item, never an items x items table.
 * Items are kept in name order, and ties between equal scores are broken by
 * name: the model does not depend on the order of the rows or on the plan.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "recommend.h"

PG_FUNCTION_INFO_V1(pp_item_similarity_trans);
PG_FUNCTION_INFO_V1(pp_item_similarity_final);
PG_FUNCTION_INFO_V1(pp_recommend);
PG_FUNCTION_INFO_V1(pp_item_neighbours);

#define ITEM_SIMILARITY "item_similarity"
#define PORTRAIT_SIM_DEFAULT_TOP 20
#define PORTRAIT_SIM_MAX_TOP 10000
/* co-occurrence work (sum of squared basket sizes) above which the fit is refused */
#define PORTRAIT_SIM_MAX_WORK 4000000000.0
#define PORTRAIT_SIM_HINT "Raise portrait.fit_memory_limit, lower \"top\", or fit on a sample of the baskets."

typedef enum SimMeasure
{
	SIM_COSINE = 0,
	SIM_JACCARD = 1,
	SIM_LIFT = 2
} SimMeasure;

static const char *const measure_names[] = {"cosine", "jaccard", "lift"};

typedef struct SimOptions
{
	int			measure;
	double		shrinkage;		/* score x co / (co + shrinkage) */
	int			top;
	int64		min_cooccurrence;
} SimOptions;

static void
SimOption(const char *key, JsonbValue *v, void *arg)
{
	SimOptions *o = arg;

	if (strcmp(key, "measure") == 0)
	{
		char	   *s = PortraitOptionString(v, ITEM_SIMILARITY, key, "cosine, jaccard or lift");

		o->measure = -1;
		for (int i = 0; i < (int) lengthof(measure_names); i++)
			if (strcmp(s, measure_names[i]) == 0)
				o->measure = i;
		if (o->measure < 0)
			PortraitBadOption(ITEM_SIMILARITY, key, "cosine, jaccard or lift");
	}
	else if (strcmp(key, "shrinkage") == 0)
		o->shrinkage = PortraitOptionRange(v, ITEM_SIMILARITY, key, 0, 1e12, false, "a non-negative number");
	else if (strcmp(key, "top") == 0)
		o->top = (int) PortraitOptionInteger(v, ITEM_SIMILARITY, key, 1, PORTRAIT_SIM_MAX_TOP);
	else if (strcmp(key, "min_cooccurrence") == 0)
		o->min_cooccurrence = PortraitOptionInteger(v, ITEM_SIMILARITY, key, 1, PG_INT32_MAX);
	else
		PortraitUnknownOption(ITEM_SIMILARITY, key, "measure, shrinkage, top and min_cooccurrence");
}

static void
SimOptionsParse(Jsonb *opts, SimOptions *o)
{
	o->measure = SIM_COSINE;
	o->shrinkage = 0;
	o->top = PORTRAIT_SIM_DEFAULT_TOP;
	o->min_cooccurrence = 1;
	PortraitForEachOption(opts, ITEM_SIMILARITY, SimOption, o);
}

static void
SimOptionsCheck(Jsonb *opts)
{
	SimOptions	o;

	SimOptionsParse(opts, &o);
}

/* Transition function of item_similarity (every key type). */
Datum
pp_item_similarity_trans(PG_FUNCTION_ARGS)
{
	return BasketLinesTrans(fcinfo, SimOptionsCheck);
}

/* ---------- the model kind ---------- */

/* 22P02 for a model whose fields do not fit together. */
static void
BadSimModel(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type portrait.model"),
			 errdetail("%s", why)));
}

static void
SimValidate(const PortraitModel *m)
{
	int			nitems,
				ncounts,
				noff,
				nnb,
				nsc;
	const int64 *counts = ModelGetIntArray(m, "counts", &ncounts);
	const int64 *off = ModelGetIntArray(m, "offsets", &noff);
	const int64 *nb = ModelGetIntArray(m, "neighbours", &nnb);
	const double *sc = ModelGetFloatArray(m, "scores", &nsc);
	const char *measure = ModelGetText(m, "measure");
	int64		baskets = ModelGetInt(m, "baskets");
	bool		known = false;

	(void) ModelGetTextArray(m, "items", &nitems);
	for (int i = 0; i < (int) lengthof(measure_names); i++)
		if (strcmp(measure, measure_names[i]) == 0)
			known = true;
	if (!known)
		BadSimModel("Field \"measure\" must be cosine, jaccard or lift.");
	if (nitems < 1 || ncounts != nitems || noff != nitems + 1)
		BadSimModel("Fields \"counts\" and \"offsets\" must hold one number per item (offsets one more).");
	if (nnb != nsc || off[0] != 0 || off[nitems] != nnb)
		BadSimModel("Fields \"neighbours\" and \"scores\" must match \"offsets\".");
	for (int i = 0; i < nitems; i++)
	{
		if (off[i + 1] < off[i])
			BadSimModel("Field \"offsets\" must be non-decreasing.");
		if (counts[i] < 1 || counts[i] > baskets)
			BadSimModel("Item counts must be from 1 to the baskets.");
	}
	for (int k = 0; k < nnb; k++)
	{
		if (nb[k] < 0 || nb[k] >= nitems)
			BadSimModel("Neighbours must be item positions.");
		if (!isfinite(sc[k]) || sc[k] < 0)
			BadSimModel("Scores must be finite and non-negative.");
	}
}

static const ModelFieldSpec sim_fields[] = {
	{"measure", MF_TEXT, true},
	{"shrinkage", MF_FLOAT, true},
	{"top", MF_INT, true},
	{"baskets", MF_INT, true},
	{"items", MF_TEXT_ARRAY, true},
	{"counts", MF_INT_ARRAY, true},
	{"offsets", MF_INT_ARRAY, true},
	{"neighbours", MF_INT_ARRAY, true},
	{"scores", MF_FLOAT_ARRAY, true},
};

const ModelKindSpec ItemSimilarityModelKind = {
	PORTRAIT_KIND_ITEM_SIMILARITY, "item_similarity", sim_fields, lengthof(sim_fields), SimValidate
};

/* ---------- the fit ---------- */

typedef struct Candidate
{
	int32		item;			/* name position */
	double		score;
} Candidate;

/* Score descending, then name. */
static int
CompareCandidates(const void *a, const void *b)
{
	const Candidate *x = a;
	const Candidate *y = b;

	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return (x->item > y->item) - (x->item < y->item);
}

static int
CompareNames(const void *a, const void *b, void *arg)
{
	return BasketItemCompare((const BasketLines *) arg, *(const int32 *) a, *(const int32 *) b);
}

/* Similarity of items seen in ni and nj of n baskets, together in co. */
static inline double
Similarity(const SimOptions *o, int64 co, int64 ni, int64 nj, int64 n)
{
	double		s;

	switch (o->measure)
	{
		case SIM_JACCARD:
			s = (double) co / (double) (ni + nj - co);
			break;
		case SIM_LIFT:
			s = (double) co * (double) n / ((double) ni * (double) nj);
			break;
		default:
			s = (double) co / sqrt((double) ni * (double) nj);
			break;
	}
	if (o->shrinkage > 0)
		s *= (double) co / ((double) co + o->shrinkage);
	return s;
}

/* Final function of item_similarity: the item_similarity model. */
Datum
pp_item_similarity_final(PG_FUNCTION_ARGS)
{
	BasketLines *bl = BasketLinesRead(PG_GETARG_DATUM(0));
	SimOptions	o;
	BasketGroups g;
	int32		m = bl->items.n;
	int32	   *byname;
	int32	   *pos;
	int64	   *count;
	int64	   *istart;
	int32	   *ibasket;
	int64	   *co;
	int32	   *touched;
	Candidate  *cand;
	int64	   *offsets;
	int64	   *nb;
	double	   *sc;
	int64		nnb = 0;
	double		work = 0;
	const char **names;
	ModelBuilder *mb;

	SimOptionsParse(BasketLinesOptions(bl), &o);
	BasketLinesGroup(bl, &g, ITEM_SIMILARITY, PORTRAIT_SIM_HINT);
	for (int32 b = 0; b < g.nbaskets; b++)
	{
		double		len = (double) (g.start[b + 1] - g.start[b]);

		work += len * len;
	}
	if (work > PORTRAIT_SIM_MAX_WORK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("item_similarity would count %.0f co-occurrences, more than %.0f", work, PORTRAIT_SIM_MAX_WORK),
				 errdetail("The work grows with the square of a basket's items; the largest baskets dominate it."),
				 errhint("Leave out the largest baskets (or histories), or fit on a sample.")));
	PortraitFitBudget(BasketLinesBytes(bl) + (double) g.nlines * (2 * sizeof(int32)) +
					  (double) m * (4 * sizeof(int64) + 3 * sizeof(int32) + sizeof(Candidate)) +
					  (double) m * Min(o.top, m) * (sizeof(int64) + sizeof(double)),
					  ITEM_SIMILARITY, PORTRAIT_SIM_HINT);

	/* name order: positions in the model */
	byname = palloc_extended(sizeof(int32) * m, MCXT_ALLOC_HUGE);
	pos = palloc_extended(sizeof(int32) * m, MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < m; i++)
		byname[i] = i;
	qsort_arg(byname, m, sizeof(int32), CompareNames, bl);
	for (int32 p = 0; p < m; p++)
		pos[byname[p]] = p;

	/* the baskets of each item */
	count = palloc_extended(sizeof(int64) * m, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int64 k = 0; k < g.nlines; k++)
		count[g.items[k]]++;
	istart = palloc_extended(sizeof(int64) * (m + 1), MCXT_ALLOC_HUGE);
	istart[0] = 0;
	for (int32 i = 0; i < m; i++)
		istart[i + 1] = istart[i] + count[i];
	ibasket = palloc_extended(sizeof(int32) * Max(g.nlines, 1), MCXT_ALLOC_HUGE);
	{
		int64	   *fill = palloc_extended(sizeof(int64) * m, MCXT_ALLOC_HUGE);

		memcpy(fill, istart, sizeof(int64) * m);
		for (int32 b = 0; b < g.nbaskets; b++)
			for (int64 k = g.start[b]; k < g.start[b + 1]; k++)
				ibasket[fill[g.items[k]]++] = b;
		pfree(fill);
	}

	co = palloc_extended(sizeof(int64) * m, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	touched = palloc_extended(sizeof(int32) * m, MCXT_ALLOC_HUGE);
	cand = palloc_extended(sizeof(Candidate) * m, MCXT_ALLOC_HUGE);
	offsets = palloc_extended(sizeof(int64) * (m + 1), MCXT_ALLOC_HUGE);
	nb = palloc_extended(sizeof(int64) * Max((int64) m * Min(o.top, m), 1), MCXT_ALLOC_HUGE);
	sc = palloc_extended(sizeof(double) * Max((int64) m * Min(o.top, m), 1), MCXT_ALLOC_HUGE);
	offsets[0] = 0;
	for (int32 p = 0; p < m; p++)
	{
		int32		i = byname[p];
		int32		nt = 0;
		int32		nc = 0;

		CHECK_FOR_INTERRUPTS();
		for (int64 k = istart[i]; k < istart[i + 1]; k++)
		{
			int32		b = ibasket[k];

			for (int64 l = g.start[b]; l < g.start[b + 1]; l++)
			{
				int32		j = g.items[l];

				if (j == i)
					continue;
				if (co[j] == 0)
					touched[nt++] = j;
				co[j]++;
			}
		}
		for (int32 t = 0; t < nt; t++)
		{
			int32		j = touched[t];

			if (co[j] >= o.min_cooccurrence)
			{
				cand[nc].item = pos[j];
				cand[nc].score = Similarity(&o, co[j], count[i], count[j], g.nbaskets);
				nc++;
			}
			co[j] = 0;
		}
		qsort(cand, nc, sizeof(Candidate), CompareCandidates);
		for (int32 c = 0; c < Min(nc, o.top); c++)
		{
			nb[nnb] = cand[c].item;
			sc[nnb] = CheckScore(cand[c].score, ITEM_SIMILARITY);
			nnb++;
		}
		offsets[p + 1] = nnb;
	}

	names = palloc_extended(sizeof(char *) * m, MCXT_ALLOC_HUGE);
	{
		int64	   *bycount = palloc_extended(sizeof(int64) * m, MCXT_ALLOC_HUGE);

		for (int32 p = 0; p < m; p++)
		{
			uint32		len;

			names[p] = BasketItemName(bl, byname[p], &len);
			bycount[p] = count[byname[p]];
		}
		mb = ModelBuild(PORTRAIT_KIND_ITEM_SIMILARITY);
		ModelPutText(mb, "measure", measure_names[o.measure]);
		ModelPutFloat(mb, "shrinkage", o.shrinkage);
		ModelPutInt(mb, "top", o.top);
		ModelPutInt(mb, "baskets", g.nbaskets);
		ModelPutTextArray(mb, "items", names, m);
		ModelPutIntArray(mb, "counts", bycount, m);
	}
	ModelPutIntArray(mb, "offsets", offsets, m + 1);
	ModelPutIntArray(mb, "neighbours", nb, (int) nnb);
	ModelPutFloatArray(mb, "scores", sc, (int) nnb);
	PG_RETURN_POINTER(ModelFinish(mb));
}

/* ---------- scoring ---------- */

/* A parsed model with what each call reuses: a name index, scratch per item. */
typedef struct SimModel
{
	int32		m;
	int64		baskets;
	const char **names;
	uint32	   *namelen;
	int64	   *counts;
	int64	   *offsets;
	int64	   *nb;
	double	   *sc;
	int32	   *popular;		/* positions by count descending, then name */
	int32	   *slots;			/* name hash: position + 1, 0 empty */
	uint32		mask;
	/* scratch, all zero (or -1) between calls */
	double	   *hist;
	double	   *score;
	double	   *best;
	int32	   *because;
	bool	   *chosen;
	int32	   *touched;
	int32		ntouched;
} SimModel;

static int
ComparePopular(const void *a, const void *b, void *arg)
{
	const SimModel *sm = arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	if (sm->counts[x] != sm->counts[y])
		return sm->counts[x] > sm->counts[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static void *
SimParse(const PortraitModel *pm, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	SimModel   *sm = palloc0(sizeof(SimModel));
	int			n;
	const char *s;
	const int64 *v;
	const double *d;
	uint32		nslots = 16;

	s = ModelGetTextArray(pm, "items", &n);
	sm->m = n;
	sm->baskets = ModelGetInt(pm, "baskets");
	sm->names = palloc(sizeof(char *) * n);
	sm->namelen = palloc(sizeof(uint32) * n);
	for (int i = 0; i < n; i++)
	{
		sm->namelen[i] = strlen(s);
		sm->names[i] = pstrdup(s);
		s += sm->namelen[i] + 1;
	}
	v = ModelGetIntArray(pm, "counts", &n);
	sm->counts = palloc(sizeof(int64) * n);
	memcpy(sm->counts, v, sizeof(int64) * n);
	v = ModelGetIntArray(pm, "offsets", &n);
	sm->offsets = palloc(sizeof(int64) * n);
	memcpy(sm->offsets, v, sizeof(int64) * n);
	v = ModelGetIntArray(pm, "neighbours", &n);
	sm->nb = palloc(sizeof(int64) * Max(n, 1));
	memcpy(sm->nb, v, sizeof(int64) * n);
	d = ModelGetFloatArray(pm, "scores", &n);
	sm->sc = palloc(sizeof(double) * Max(n, 1));
	memcpy(sm->sc, d, sizeof(double) * n);

	while (nslots < (uint32) sm->m * 2)
		nslots *= 2;
	sm->slots = palloc0(sizeof(int32) * nslots);
	sm->mask = nslots - 1;
	for (int32 i = 0; i < sm->m; i++)
	{
		uint32		h = hash_bytes((const unsigned char *) sm->names[i], (int) sm->namelen[i]) & sm->mask;

		while (sm->slots[h] != 0)
			h = (h + 1) & sm->mask;
		sm->slots[h] = i + 1;
	}
	sm->popular = palloc(sizeof(int32) * sm->m);
	for (int32 i = 0; i < sm->m; i++)
		sm->popular[i] = i;
	qsort_arg(sm->popular, sm->m, sizeof(int32), ComparePopular, sm);
	sm->hist = palloc0(sizeof(double) * sm->m);
	sm->score = palloc0(sizeof(double) * sm->m);
	sm->best = palloc0(sizeof(double) * sm->m);
	sm->because = palloc(sizeof(int32) * sm->m);
	sm->chosen = palloc0(sizeof(bool) * sm->m);
	sm->touched = palloc(sizeof(int32) * sm->m);
	for (int32 i = 0; i < sm->m; i++)
		sm->because[i] = -1;
	MemoryContextSwitchTo(old);
	return sm;
}

/* Position of an item name, or -1. */
static int32
SimLookup(const SimModel *sm, const char *s, uint32 len)
{
	for (uint32 h = hash_bytes((const unsigned char *) s, (int) len) & sm->mask; sm->slots[h] != 0;
		 h = (h + 1) & sm->mask)
	{
		int32		i = sm->slots[h] - 1;

		if (sm->namelen[i] == len && memcmp(sm->names[i], s, len) == 0)
			return i;
	}
	return -1;
}

typedef struct RecOptions
{
	bool		exclude_seen;
	bool		fill;
	bool		popular_only;
} RecOptions;

static void
RecOption(const char *key, JsonbValue *v, void *arg)
{
	RecOptions *o = arg;

	if (strcmp(key, "exclude_seen") == 0)
		o->exclude_seen = PortraitOptionBool(v, "recommend", key);
	else if (strcmp(key, "fill") == 0)
		o->fill = PortraitOptionBool(v, "recommend", key);
	else if (strcmp(key, "method") == 0)
	{
		char	   *s = PortraitOptionString(v, "recommend", key, "similar or popular");

		if (strcmp(s, "popular") == 0)
			o->popular_only = true;
		else if (strcmp(s, "similar") == 0)
			o->popular_only = false;
		else
			PortraitBadOption("recommend", key, "similar or popular");
	}
	else
		PortraitUnknownOption("recommend", key, "exclude_seen, fill and method");
}

/* Candidate order for recommend: score descending, then name. */
static int
CompareScored(const void *a, const void *b, void *arg)
{
	const SimModel *sm = arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	if (sm->score[x] != sm->score[y])
		return sm->score[x] > sm->score[y] ? -1 : 1;
	return (x > y) - (x < y);
}

static int
CompareInt32s(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Per call site: the parsed model and the options last seen. */
typedef struct RecCache
{
	void	   *model_slot;
	PortraitOptionsCache opts;
	RecOptions ro;
} RecCache;

static void
PutRow(Tuplestorestate *ts, TupleDesc desc, int rank, const SimModel *sm, int32 item, double score,
	   int32 because, const char *source)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	values[0] = Int32GetDatum(rank);
	values[1] = CStringGetTextDatum(sm->names[item]);
	values[2] = Float8GetDatum(score);
	if (because >= 0)
		values[3] = CStringGetTextDatum(sm->names[because]);
	else
		nulls[3] = true;
	values[4] = CStringGetTextDatum(source);
	tuplestore_putvalues(ts, desc, values, nulls);
}

/*
 * The rows of recommend for a history (positions histitems, ascending, their
 * weights in sm->hist, marked in sm->chosen): scored neighbours first, then
 * popular items.
 */
static void
RecommendRows(SimModel *sm, const RecOptions *ro, const int32 *histitems, int32 nhist, int32 k,
			  ReturnSetInfo *rsinfo)
{
	int			rank = 0;

	if (!ro->popular_only)
	{
		for (int32 h = 0; h < nhist; h++)
		{
			int32		i = histitems[h];
			double		wi = sm->hist[i];

			for (int64 e = sm->offsets[i]; e < sm->offsets[i + 1]; e++)
			{
				int32		j = (int32) sm->nb[e];
				double		c = wi * sm->sc[e];

				if (c <= 0 || (ro->exclude_seen && sm->chosen[j]))
					continue;
				if (sm->score[j] == 0)
					sm->touched[sm->ntouched++] = j;
				sm->score[j] += c;
				if (c > sm->best[j] || (c == sm->best[j] && i < sm->because[j]))
				{
					sm->best[j] = c;
					sm->because[j] = i;
				}
			}
		}
		if (sm->ntouched > 1)
			qsort_arg(sm->touched, sm->ntouched, sizeof(int32), CompareScored, sm);
	}
	/* from here on chosen marks what may not be recommended */
	if (!ro->exclude_seen)
		for (int32 h = 0; h < nhist; h++)
			sm->chosen[histitems[h]] = false;
	for (int32 t = 0; t < sm->ntouched && rank < k; t++)
	{
		int32		j = sm->touched[t];

		PutRow(rsinfo->setResult, rsinfo->setDesc, ++rank, sm, j, sm->score[j], sm->because[j], "similar");
		sm->chosen[j] = true;
	}
	if (ro->fill || ro->popular_only || nhist == 0)
		for (int32 p = 0; p < sm->m && rank < k; p++)
		{
			int32		j = sm->popular[p];

			if (sm->chosen[j])
				continue;
			PutRow(rsinfo->setResult, rsinfo->setDesc, ++rank, sm, j,
				   (double) sm->counts[j] / (double) sm->baskets, -1, "popular");
			sm->chosen[j] = true;
		}
}

/*
 * recommend(model, items, weights, k, options): the k best items for a
 * history (items, optionally weighted), each with the history item that
 * contributed most to its score; when the history gives fewer than k (or
 * nothing: a new customer), the most popular items fill the list.
 */
Datum
pp_recommend(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	RecCache   *rc = fcinfo->flinfo->fn_extra;
	SimModel   *sm;
	int32		k;
	int32		nhist = 0;
	int32	   *histitems;
	RecOptions	ro;

	PortraitArgNotNull(fcinfo, 0, "model");
	PortraitArgNotNull(fcinfo, 3, "k");
	PortraitArgNotNull(fcinfo, 4, "options");
	k = PG_GETARG_INT32(3);
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k of recommend must be at least 1, not %d", k)));
	if (rc == NULL)
	{
		rc = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RecCache));
		fcinfo->flinfo->fn_extra = rc;
	}
	if (PortraitOptionsChanged(&rc->opts, fcinfo->flinfo->fn_mcxt, PG_GETARG_JSONB_P(4)))
	{
		rc->ro.exclude_seen = true;
		rc->ro.fill = true;
		rc->ro.popular_only = false;
		PortraitForEachOption(PG_GETARG_JSONB_P(4), "recommend", RecOption, &rc->ro);
	}
	sm = ModelCached(fcinfo, &rc->model_slot, 0, PORTRAIT_KIND_ITEM_SIMILARITY, "recommend", SimParse);
	InitMaterializedSRF(fcinfo, 0);

	/* the history: weights summed per known item */
	histitems = palloc(sizeof(int32) * Max(sm->m, 1));
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *items = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *iv;
		bool	   *inull;
		int			ni;
		const double *w = NULL;
		int			nw = 0;

		deconstruct_array(items, TEXTOID, -1, false, TYPALIGN_INT, &iv, &inull, &ni);
		if (!PG_ARGISNULL(2))
		{
			w = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(2), &nw, "weights");
			if (nw != ni)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("recommend needs one weight per item"),
						 errdetail("There are %d items and %d weights.", ni, nw)));
		}
		for (int i = 0; i < ni; i++)
		{
			text	   *t;
			int32		p;
			double		wi = w ? w[i] : 1.0;

			if (inull[i])
				continue;
			if (wi < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("weights of recommend must not be negative, not %g", wi)));
			t = DatumGetTextPP(iv[i]);
			p = SimLookup(sm, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
			if (p < 0)
				continue;
			if (!sm->chosen[p])
			{
				sm->chosen[p] = true;	/* marks the history while scoring */
				histitems[nhist++] = p;
			}
			sm->hist[p] += wi;
		}
	}

	/* in model order, so that the sums do not depend on the order of the history */
	qsort(histitems, nhist, sizeof(int32), CompareInt32s);
	sm->ntouched = 0;
	ro = rc->ro;
	PG_TRY();
	{
		RecommendRows(sm, &ro, histitems, nhist, k, rsinfo);
	}
	PG_FINALLY();
	{
		/* the scratch back to zero for the next call, even after an error */
		for (int32 t = 0; t < sm->ntouched; t++)
		{
			int32		j = sm->touched[t];

			sm->score[j] = 0;
			sm->best[j] = 0;
			sm->because[j] = -1;
		}
		for (int32 h = 0; h < nhist; h++)
			sm->hist[histitems[h]] = 0;
		memset(sm->chosen, 0, sizeof(bool) * sm->m);
	}
	PG_END_TRY();
	return (Datum) 0;
}

/* item_neighbours(model): every item's stored neighbours with their scores, by item, then rank. */
Datum
pp_item_neighbours(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SimModel   *sm = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 0, PORTRAIT_KIND_ITEM_SIMILARITY,
								 "item_neighbours", SimParse);

	InitMaterializedSRF(fcinfo, 0);
	for (int32 i = 0; i < sm->m; i++)
		for (int64 e = sm->offsets[i]; e < sm->offsets[i + 1]; e++)
		{
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			values[0] = CStringGetTextDatum(sm->names[i]);
			values[1] = Int32GetDatum((int32) (e - sm->offsets[i] + 1));
			values[2] = CStringGetTextDatum(sm->names[sm->nb[e]]);
			values[3] = Float8GetDatum(sm->sc[e]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	return (Datum) 0;
}
