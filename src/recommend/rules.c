/*
 * rules.c
 *		fpgrowth: frequent itemsets of market baskets by FP-growth (Han, Pei
 *		and Yin 2000) and the association rules between them.
 *
 * The transition and combine functions only collect (basket, item) lines
 * (baskets.c); the final function groups them into baskets, counts the
 * items, builds the FP-tree of the frequent ones and mines it through
 * conditional trees.  Trees are built from lexicographically sorted paths,
 * so building needs no child lookups, and everything that decides an order
 * (item ranks, output order) is taken from counts and item names only: the
 * result does not depend on the order of the rows or on the plan.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "portrait.h"
#include "recommend.h"

PG_FUNCTION_INFO_V1(pp_fpgrowth_trans);
PG_FUNCTION_INFO_V1(pp_fpgrowth_final);

#define FPGROWTH "fpgrowth"
#define PORTRAIT_RULES_MAX_ITEMSETS 5000000
#define PORTRAIT_RULES_MAX_RULES 5000000
#define PORTRAIT_RULES_MAX_RULE_ITEMS 30
#define PORTRAIT_RULES_HINT "Raise min_support (or min_count), lower max_len, or raise portrait.fit_memory_limit."

typedef struct RulesOptions
{
	double		min_support;	/* fraction of baskets, 0 when min_count is given */
	int64		min_count;		/* baskets, 0 when min_support is given */
	int			max_len;		/* items per itemset */
	double		min_confidence;
	double		min_lift;
	bool		rules;			/* whether to derive rules */
} RulesOptions;

static void
RulesOption(const char *key, JsonbValue *v, void *arg)
{
	RulesOptions *o = arg;

	if (strcmp(key, "min_support") == 0)
	{
		double		d = PortraitOptionFloat(v, FPGROWTH, key);

		if (d <= 0 || d > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"min_support\" of fpgrowth must be greater than 0 and at most 1, not %g", d),
					 errhint("It is a fraction of the baskets; give a count of baskets as \"min_count\".")));
		o->min_support = d;
	}
	else if (strcmp(key, "min_count") == 0)
		o->min_count = PortraitOptionInteger(v, FPGROWTH, key, 1, PG_INT32_MAX);
	else if (strcmp(key, "max_len") == 0)
		o->max_len = (int) PortraitOptionInteger(v, FPGROWTH, key, 1, 1000000);
	else if (strcmp(key, "min_confidence") == 0)
		o->min_confidence = PortraitOptionRange(v, FPGROWTH, key, 0, 1, false, "a number from 0 to 1");
	else if (strcmp(key, "min_lift") == 0)
		o->min_lift = PortraitOptionRange(v, FPGROWTH, key, 0, 1e300, false, "a non-negative number");
	else if (strcmp(key, "rules") == 0)
		o->rules = PortraitOptionBool(v, FPGROWTH, key);
	else
		PortraitUnknownOption(FPGROWTH, key, "min_support, min_count, max_len, min_confidence, min_lift and rules");
}

static void
RulesOptionsParse(Jsonb *opts, RulesOptions *o)
{
	memset(o, 0, sizeof(RulesOptions));
	o->max_len = 1000000;
	o->rules = true;
	PortraitForEachOption(opts, FPGROWTH, RulesOption, o);
	if ((o->min_support > 0) == (o->min_count > 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("fpgrowth needs exactly one of the options \"min_support\" and \"min_count\""),
				 errhint("For example '{\"min_support\": 0.01}' or '{\"min_count\": 20}'.")));
}

static void
RulesOptionsCheck(Jsonb *opts)
{
	RulesOptions o;

	RulesOptionsParse(opts, &o);
}

/* Transition function of fpgrowth (every key type). */
Datum
pp_fpgrowth_trans(PG_FUNCTION_ARGS)
{
	return BasketLinesTrans(fcinfo, RulesOptionsCheck);
}

/* ---------- FP-trees ---------- */

/* Ascending int32 sort, the comparison inlined (a basket's ranks, an itemset's items). */
#define ST_SORT SortInt32
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* A node while the tree is built: its item (the tree's local index), parent, count. */
typedef struct FpNode
{
	int32		item;
	int32		parent;
	int64		count;
} FpNode;

/* What a walk to the root reads of a node. */
typedef struct FpUp
{
	int32		parent;
	int32		item;
} FpUp;

/*
 * A tree over m items, local index i standing for global rank gitem[i]
 * (ascending); node 0 is the root.  Paths run from the root through
 * ascending local items.  The nodes are numbered item by item (the nodes of
 * item i are first[i] .. first[i + 1] - 1), so mining an item reads its
 * nodes in one run and the walks up touch only the compact up array.
 */
typedef struct FpTree
{
	int32		m;
	int32	   *gitem;
	int32	   *first;			/* m + 1 */
	int64	   *support;		/* count of each item in the tree */
	FpUp	   *up;
	int64	   *count;			/* per node */
	int32		nnodes;
	double		bytes;
} FpTree;

/* Paths to insert: items (ascending local indices) and a count each. */
typedef struct PathSet
{
	int32		n;
	int64	   *start;			/* n + 1 */
	int32	   *items;
	int64	   *count;
} PathSet;

/* The mining's state: the prefix, the itemsets found, the working memory. */
typedef struct Miner
{
	int64		min_count;
	int			max_len;
	int32		nfreq;
	int32	   *prefix;
	/* itemsets found: global ranks, ascending within each */
	int64		nsets;
	int64		setcap;
	int64	   *setstart;
	int64	   *setcount;
	int32	   *pool;
	int64		poollen;
	int64		poolcap;
	/* per global rank: count in the conditional base, local index in the conditional tree */
	int64	   *scratch;
	int32	   *localof;
	int32	   *touched;
	double		base_bytes;		/* what is held for the whole fit */
	double		tree_bytes;		/* trees alive on the recursion */
} Miner;

static double
MinerBytes(const Miner *mn)
{
	return mn->base_bytes + mn->tree_bytes +
		(double) mn->setcap * 2 * sizeof(int64) + (double) mn->poolcap * sizeof(int32);
}

static void
MinerBudget(const Miner *mn, double more)
{
	PortraitFitBudget(MinerBytes(mn) + more, "fpgrowth", PORTRAIT_RULES_HINT);
}

/* Lexicographic order of paths x and y (ascending items). */
static inline int
ComparePaths(int32 x, int32 y, const PathSet *ps)
{
	int64		i = ps->start[x];
	int64		j = ps->start[y];
	int64		ie = ps->start[x + 1];
	int64		je = ps->start[y + 1];

	for (; i < ie && j < je; i++, j++)
		if (ps->items[i] != ps->items[j])
			return ps->items[i] < ps->items[j] ? -1 : 1;
	if (i < ie)
		return 1;
	if (j < je)
		return -1;
	return 0;
}

/* the comparison inlined into the sort */
#define ST_SORT SortPaths
#define ST_ELEMENT_TYPE int32
#define ST_COMPARE_ARG_TYPE const PathSet
#define ST_COMPARE(a, b, arg) ComparePaths(*(a), *(b), (arg))
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Build the tree of the paths over m items (gitem: their global ranks).  In
 * lexicographic order every path shares with the previous one exactly the
 * prefix of nodes it shares with the tree, so a stack of the previous path's
 * nodes replaces any child lookup.
 */
static FpTree *
BuildTree(Miner *mn, int32 m, const int32 *gitem, PathSet *ps)
{
	FpTree	   *t = palloc(sizeof(FpTree));
	FpNode	   *node;
	int32		nnodes = 1;
	int32	   *newid;
	int32	   *order;
	int32	   *stack;
	int32		depth = 0;
	int64		total = ps->start[ps->n];
	int32		prev = -1;
	double		kept = (double) m * (2 * sizeof(int32) + sizeof(int64)) +
		(double) (total + 1) * (sizeof(FpUp) + sizeof(int64));

	/* what is kept, and while building the nodes, their renumbering and the order */
	MinerBudget(mn, kept + (double) (total + 1) * (sizeof(FpNode) + sizeof(int32)) +
				(double) ps->n * sizeof(int32) + (double) m * sizeof(int32));
	t->bytes = kept;
	mn->tree_bytes += t->bytes;
	t->m = m;
	t->gitem = palloc(sizeof(int32) * m);
	memcpy(t->gitem, gitem, sizeof(int32) * m);
	t->support = palloc0(sizeof(int64) * m);
	node = palloc_extended(sizeof(FpNode) * (total + 1), MCXT_ALLOC_HUGE);
	node[0].item = -1;
	node[0].parent = -1;
	node[0].count = 0;

	order = palloc_extended(sizeof(int32) * Max(ps->n, 1), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < ps->n; i++)
		order[i] = i;
	SortPaths(order, ps->n, ps);
	stack = palloc(sizeof(int32) * Max(m, 1));

	for (int32 r = 0; r < ps->n; r++)
	{
		int32		p = order[r];
		int64		s = ps->start[p];
		int32		len = (int32) (ps->start[p + 1] - s);
		int64		c = ps->count[p];
		int32		common = 0;

		if ((r & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (prev >= 0)
		{
			int64		ps0 = ps->start[prev];
			int32		plen = (int32) (ps->start[prev + 1] - ps0);

			while (common < len && common < plen && common < depth &&
				   ps->items[s + common] == ps->items[ps0 + common])
				common++;
		}
		for (int32 k = 0; k < common; k++)
			node[stack[k]].count += c;
		for (int32 k = common; k < len; k++)
		{
			int32		id = nnodes++;

			node[id].item = ps->items[s + k];
			node[id].parent = k > 0 ? stack[k - 1] : 0;
			node[id].count = c;
			stack[k] = id;
		}
		depth = len;
		for (int32 k = 0; k < len; k++)
			t->support[ps->items[s + k]] += c;
		prev = p;
	}
	pfree(order);
	pfree(stack);

	/* renumber item by item, each item's nodes in the order they were made */
	t->first = palloc0(sizeof(int32) * (m + 1));
	for (int32 id = 1; id < nnodes; id++)
		t->first[node[id].item + 1]++;
	t->first[0] = 1;
	for (int32 i = 0; i < m; i++)
		t->first[i + 1] += t->first[i];
	newid = palloc_extended(sizeof(int32) * nnodes, MCXT_ALLOC_HUGE);
	t->up = palloc_extended(sizeof(FpUp) * nnodes, MCXT_ALLOC_HUGE);
	t->count = palloc_extended(sizeof(int64) * nnodes, MCXT_ALLOC_HUGE);
	newid[0] = 0;
	t->up[0].parent = -1;
	t->up[0].item = -1;
	t->count[0] = 0;
	{
		int32	   *fill = palloc(sizeof(int32) * Max(m, 1));

		memcpy(fill, t->first, sizeof(int32) * m);
		/* a parent is made before its children, so it has its new number first */
		for (int32 id = 1; id < nnodes; id++)
		{
			int32		nid = fill[node[id].item]++;

			newid[id] = nid;
			t->up[nid].parent = newid[node[id].parent];
			t->up[nid].item = node[id].item;
			t->count[nid] = node[id].count;
		}
		pfree(fill);
	}
	t->nnodes = nnodes;
	pfree(newid);
	pfree(node);
	return t;
}

static void
FreeTree(Miner *mn, FpTree *t)
{
	mn->tree_bytes -= t->bytes;
	pfree(t->gitem);
	pfree(t->first);
	pfree(t->support);
	pfree(t->up);
	pfree(t->count);
	pfree(t);
}

/* Record the prefix's first len items (global ranks) as an itemset of count c. */
static void
Emit(Miner *mn, int len, int64 c)
{
	if (mn->nsets >= PORTRAIT_RULES_MAX_ITEMSETS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("fpgrowth found more than %d frequent itemsets", PORTRAIT_RULES_MAX_ITEMSETS),
				 errhint(PORTRAIT_RULES_HINT)));
	if (mn->nsets + 1 >= mn->setcap)
	{
		int64		cap = Max(mn->setcap * 2, 1024);

		MinerBudget(mn, (double) (cap - mn->setcap) * 2 * sizeof(int64));
		mn->setstart = mn->setstart ? repalloc_huge(mn->setstart, sizeof(int64) * cap) :
			palloc_extended(sizeof(int64) * cap, MCXT_ALLOC_HUGE);
		mn->setcount = mn->setcount ? repalloc_huge(mn->setcount, sizeof(int64) * cap) :
			palloc_extended(sizeof(int64) * cap, MCXT_ALLOC_HUGE);
		mn->setcap = cap;
		if (mn->nsets == 0)
			mn->setstart[0] = 0;
	}
	if (mn->poollen + len > mn->poolcap)
	{
		int64		cap = Max(Max(mn->poolcap * 2, 4096), mn->poollen + len);

		MinerBudget(mn, (double) (cap - mn->poolcap) * sizeof(int32));
		mn->pool = mn->pool ? repalloc_huge(mn->pool, sizeof(int32) * cap) :
			palloc_extended(sizeof(int32) * cap, MCXT_ALLOC_HUGE);
		mn->poolcap = cap;
	}
	/* the prefix was built from the least frequent item up: store ascending */
	for (int k = 0; k < len; k++)
		mn->pool[mn->poollen + k] = mn->prefix[len - 1 - k];
	mn->poollen += len;
	mn->setcount[mn->nsets] = c;
	mn->nsets++;
	mn->setstart[mn->nsets] = mn->poollen;
}

/*
 * Mine tree t under the prefix of depth items: each item of t, from the
 * least frequent, joins the prefix; its conditional pattern base (the paths
 * above its nodes) becomes the tree mined for the longer prefix.
 */
static void
Mine(Miner *mn, FpTree *t, int depth)
{
	check_stack_depth();
	for (int32 li = t->m - 1; li >= 0; li--)
	{
		int32		ntouched = 0;
		int32		m = 0;
		int32	   *gitem;
		PathSet		ps;
		int64		npaths = 0;
		int64		walked = 0;
		int64		nitems = 0;

		CHECK_FOR_INTERRUPTS();
		if (t->support[li] < mn->min_count)
			continue;
		mn->prefix[depth] = t->gitem[li];
		Emit(mn, depth + 1, t->support[li]);
		if (depth + 1 >= mn->max_len)
			continue;

		/* counts of the items above li's nodes */
		for (int32 nd = t->first[li]; nd < t->first[li + 1]; nd++)
		{
			int64		c = t->count[nd];

			npaths++;
			for (int32 a = t->up[nd].parent; a > 0; a = t->up[a].parent)
			{
				int32		g = t->gitem[t->up[a].item];

				if (mn->scratch[g] == 0)
					mn->touched[ntouched++] = g;
				mn->scratch[g] += c;
				walked++;
			}
		}
		/* at the last level the counts are the itemsets: no conditional tree */
		if (depth + 2 >= mn->max_len)
		{
			for (int32 k = 0; k < ntouched; k++)
			{
				int32		g = mn->touched[k];

				if (mn->scratch[g] >= mn->min_count)
				{
					mn->prefix[depth + 1] = g;
					Emit(mn, depth + 2, mn->scratch[g]);
				}
				mn->scratch[g] = 0;
			}
			continue;
		}
		/* the frequent ones, ascending global rank, become the conditional tree's items */
		gitem = palloc(sizeof(int32) * Max(ntouched, 1));
		for (int32 k = 0; k < ntouched; k++)
			if (mn->scratch[mn->touched[k]] >= mn->min_count)
				gitem[m++] = mn->touched[k];
		if (m > 0)
		{
			SortInt32(gitem, m);
			for (int32 k = 0; k < m; k++)
				mn->localof[gitem[k]] = k;
			/* the paths hold at most the items walked above */
			MinerBudget(mn, (double) (npaths + 1) * 2 * sizeof(int64) + (double) walked * sizeof(int32));
			ps.n = 0;
			ps.start = palloc_extended(sizeof(int64) * (npaths + 1), MCXT_ALLOC_HUGE);
			ps.count = palloc_extended(sizeof(int64) * Max(npaths, 1), MCXT_ALLOC_HUGE);
			ps.items = palloc_extended(sizeof(int32) * Max(walked, 1), MCXT_ALLOC_HUGE);
			ps.start[0] = 0;
			for (int32 nd = t->first[li]; nd < t->first[li + 1]; nd++)
			{
				int64		first = nitems;

				/* walking up gives descending items: reversed below */
				for (int32 a = t->up[nd].parent; a > 0; a = t->up[a].parent)
				{
					int32		l = mn->localof[t->gitem[t->up[a].item]];

					if (l >= 0)
						ps.items[nitems++] = l;
				}
				if (nitems == first)
					continue;
				for (int64 x = first, y = nitems - 1; x < y; x++, y--)
				{
					int32		tmp = ps.items[x];

					ps.items[x] = ps.items[y];
					ps.items[y] = tmp;
				}
				ps.count[ps.n++] = t->count[nd];
				ps.start[ps.n] = nitems;
			}
		}
		for (int32 k = 0; k < ntouched; k++)
		{
			mn->scratch[mn->touched[k]] = 0;
			mn->localof[mn->touched[k]] = -1;
		}
		if (m > 0)
		{
			FpTree	   *cond = BuildTree(mn, m, gitem, &ps);

			pfree(ps.start);
			pfree(ps.count);
			pfree(ps.items);
			Mine(mn, cond, depth + 1);
			FreeTree(mn, cond);
		}
		pfree(gitem);
	}
}

/* ---------- result ---------- */

/* Itemsets in the output's order: by size, count descending, then by their items. */
typedef struct SetOrderArg
{
	const Miner *mn;
} SetOrderArg;

static int
CompareSets(const void *a, const void *b, void *arg)
{
	const Miner *mn = ((SetOrderArg *) arg)->mn;
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;
	int64		lx = mn->setstart[x + 1] - mn->setstart[x];
	int64		ly = mn->setstart[y + 1] - mn->setstart[y];

	if (lx != ly)
		return lx < ly ? -1 : 1;
	if (mn->setcount[x] != mn->setcount[y])
		return mn->setcount[x] > mn->setcount[y] ? -1 : 1;
	for (int64 k = 0; k < lx; k++)
	{
		int32		p = mn->pool[mn->setstart[x] + k];
		int32		q = mn->pool[mn->setstart[y] + k];

		if (p != q)
			return p < q ? -1 : 1;
	}
	return 0;
}

/* Hash of itemsets (as name positions, ascending) to their index. */
typedef struct SetHash
{
	int64	   *slots;			/* index + 1, 0 empty */
	uint64		mask;
	const Miner *mn;
} SetHash;

static uint32
HashItems(const int32 *items, int len)
{
	return hash_bytes((const unsigned char *) items, len * (int) sizeof(int32));
}

static void
SetHashBuild(SetHash *h, const Miner *mn)
{
	uint64		n = 1024;

	while (n < (uint64) mn->nsets * 2)
		n *= 2;
	MinerBudget(mn, (double) n * sizeof(int64));
	h->slots = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	h->mask = n - 1;
	h->mn = mn;
	for (int64 s = 0; s < mn->nsets; s++)
	{
		int64		st = mn->setstart[s];
		uint64		i = HashItems(mn->pool + st, (int) (mn->setstart[s + 1] - st)) & h->mask;

		while (h->slots[i] != 0)
			i = (i + 1) & h->mask;
		h->slots[i] = s + 1;
	}
}

/* Count of the itemset items[0..len-1]; every subset of a frequent itemset is one. */
static int64
SetHashCount(const SetHash *h, const int32 *items, int len)
{
	const Miner *mn = h->mn;

	for (uint64 i = HashItems(items, len) & h->mask; h->slots[i] != 0; i = (i + 1) & h->mask)
	{
		int64		s = h->slots[i] - 1;
		int64		st = mn->setstart[s];

		if (mn->setstart[s + 1] - st == len && memcmp(mn->pool + st, items, sizeof(int32) * len) == 0)
			return mn->setcount[s];
	}
	elog(ERROR, "fpgrowth: a subset of a frequent itemset is missing");
	return 0;
}

typedef struct Rule
{
	int64		set;
	uint32		mask;			/* the antecedent's items of the set */
	int64		count;
	int64		ante_count;
	int64		cons_count;
	double		confidence;
	double		lift;
} Rule;

typedef struct RuleOrderArg
{
	const Miner *mn;
} RuleOrderArg;

/* Items of set s selected (in) or not (out) by mask, first difference decides. */
static int
CompareMasked(const Miner *mn, int64 s1, uint32 m1, int64 s2, uint32 m2, bool in)
{
	int64		i = mn->setstart[s1];
	int64		j = mn->setstart[s2];
	int64		ie = mn->setstart[s1 + 1];
	int64		je = mn->setstart[s2 + 1];

	for (;;)
	{
		while (i < ie && (((m1 >> (i - mn->setstart[s1])) & 1) != 0) != in)
			i++;
		while (j < je && (((m2 >> (j - mn->setstart[s2])) & 1) != 0) != in)
			j++;
		if (i >= ie || j >= je)
			return (i < ie) - (j < je);
		if (mn->pool[i] != mn->pool[j])
			return mn->pool[i] < mn->pool[j] ? -1 : 1;
		i++;
		j++;
	}
}

/* Rules by lift, confidence, count descending, then antecedent, then consequent. */
static int
CompareRules(const void *a, const void *b, void *arg)
{
	const Rule *x = a;
	const Rule *y = b;
	const Miner *mn = ((RuleOrderArg *) arg)->mn;
	int			c;

	if (x->lift != y->lift)
		return x->lift > y->lift ? -1 : 1;
	if (x->confidence != y->confidence)
		return x->confidence > y->confidence ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = CompareMasked(mn, x->set, x->mask, y->set, y->mask, true);
	if (c != 0)
		return c;
	return CompareMasked(mn, x->set, x->mask, y->set, y->mask, false);
}

static void
AppendItems(StringInfo buf, const Miner *mn, const char *const *names, int64 s, uint32 mask, bool in,
			bool all)
{
	bool		first = true;

	appendStringInfoChar(buf, '[');
	for (int64 k = mn->setstart[s]; k < mn->setstart[s + 1]; k++)
	{
		if (!all && (((mask >> (k - mn->setstart[s])) & 1) != 0) != in)
			continue;
		if (!first)
			appendStringInfoString(buf, ", ");
		escape_json(buf, names[mn->pool[k]]);
		first = false;
	}
	appendStringInfoChar(buf, ']');
}

static void
AppendNumber(StringInfo buf, const char *key, double x)
{
	appendStringInfo(buf, ", \"%s\": ", key);
	if (isinf(x))
		appendStringInfoString(buf, "\"Infinity\"");
	else
		PortraitFormatDouble(buf, x);
}

/* Sort items by count descending, then name: the global ranks. */
typedef struct RankArg
{
	const BasketLines *bl;
	const int64 *count;
} RankArg;

static int
CompareRank(const void *a, const void *b, void *arg)
{
	const RankArg *r = arg;
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	if (r->count[x] != r->count[y])
		return r->count[x] > r->count[y] ? -1 : 1;
	return BasketItemCompare(r->bl, x, y);
}

static int
CompareName(const void *a, const void *b, void *arg)
{
	return BasketItemCompare((const BasketLines *) arg, *(const int32 *) a, *(const int32 *) b);
}

/*
 * Final function of fpgrowth: a jsonb document with the baskets, the
 * frequent itemsets and the rules (doc/recommend.md gives its shape).
 */
Datum
pp_fpgrowth_final(PG_FUNCTION_ARGS)
{
	BasketLines *bl = BasketLinesRead(PG_GETARG_DATUM(0));
	RulesOptions o;
	BasketGroups g;
	int64	   *count;
	int32	   *byrank;
	int32	   *rankof;
	int32	   *alpha;			/* global rank -> position by name */
	const char **names;			/* by name position */
	int32		nfreq = 0;
	Miner		mn;
	PathSet		ps;
	int32	   *gitem;
	FpTree	   *tree;
	int64	   *order;
	SetOrderArg sarg;
	StringInfoData buf;
	Rule	   *rules = NULL;
	int64		nrules = 0;
	int64		ncand = 0;

	RulesOptionsParse(BasketLinesOptions(bl), &o);
	BasketLinesGroup(bl, &g, FPGROWTH, PORTRAIT_RULES_HINT);
	memset(&mn, 0, sizeof(Miner));
	mn.min_count = o.min_count > 0 ? o.min_count :
		Max((int64) ceil(o.min_support * g.nbaskets - 1e-9), 1);
	mn.max_len = o.max_len;

	/* baskets per item, and the frequent items' ranks */
	count = palloc_extended(sizeof(int64) * Max(bl->items.n, 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	for (int64 k = 0; k < g.nlines; k++)
		count[g.items[k]]++;
	byrank = palloc_extended(sizeof(int32) * Max(bl->items.n, 1), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < bl->items.n; i++)
		if (count[i] >= mn.min_count)
			byrank[nfreq++] = i;
	{
		RankArg		ra = {bl, count};

		qsort_arg(byrank, nfreq, sizeof(int32), CompareRank, &ra);
	}
	rankof = palloc_extended(sizeof(int32) * Max(bl->items.n, 1), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < bl->items.n; i++)
		rankof[i] = -1;
	for (int32 r = 0; r < nfreq; r++)
		rankof[byrank[r]] = r;

	/* the baskets as paths of ascending ranks */
	mn.base_bytes = BasketLinesBytes(bl) + (double) g.nlines * 2 * sizeof(int32) +
		(double) bl->items.n * (sizeof(int64) + 2 * sizeof(int32)) + (double) nfreq * (sizeof(int64) + 4 * sizeof(int32));
	MinerBudget(&mn, (double) (g.nbaskets + 1) * 2 * sizeof(int64));
	ps.n = 0;
	ps.start = palloc_extended(sizeof(int64) * (g.nbaskets + 1), MCXT_ALLOC_HUGE);
	ps.count = palloc_extended(sizeof(int64) * Max(g.nbaskets, 1), MCXT_ALLOC_HUGE);
	ps.items = palloc_extended(sizeof(int32) * Max(g.nlines, 1), MCXT_ALLOC_HUGE);
	ps.start[0] = 0;
	{
		int64		n = 0;

		for (int32 b = 0; b < g.nbaskets; b++)
		{
			int64		first = n;

			for (int64 k = g.start[b]; k < g.start[b + 1]; k++)
				if (rankof[g.items[k]] >= 0)
					ps.items[n++] = rankof[g.items[k]];
			if (n == first)
				continue;
			SortInt32(ps.items + first, n - first);
			ps.count[ps.n++] = 1;
			ps.start[ps.n] = n;
		}
	}
	gitem = palloc(sizeof(int32) * Max(nfreq, 1));
	mn.nfreq = nfreq;
	mn.prefix = palloc(sizeof(int32) * Max(Min(nfreq, o.max_len), 1));
	mn.scratch = palloc0(sizeof(int64) * Max(nfreq, 1));
	mn.localof = palloc(sizeof(int32) * Max(nfreq, 1));
	mn.touched = palloc(sizeof(int32) * Max(nfreq, 1));
	for (int32 r = 0; r < nfreq; r++)
	{
		gitem[r] = r;
		mn.localof[r] = -1;
	}
	if (nfreq > 0)
	{
		tree = BuildTree(&mn, nfreq, gitem, &ps);
		pfree(ps.start);
		pfree(ps.count);
		pfree(ps.items);
		Mine(&mn, tree, 0);
		FreeTree(&mn, tree);
	}

	/* name positions: itemsets hold their items in name order from here on */
	alpha = palloc(sizeof(int32) * Max(nfreq, 1));
	names = palloc(sizeof(char *) * Max(nfreq, 1));
	{
		int32	   *byname = palloc(sizeof(int32) * Max(nfreq, 1));

		memcpy(byname, byrank, sizeof(int32) * nfreq);
		qsort_arg(byname, nfreq, sizeof(int32), CompareName, bl);
		for (int32 p = 0; p < nfreq; p++)
		{
			uint32		len;

			alpha[rankof[byname[p]]] = p;
			names[p] = BasketItemName(bl, byname[p], &len);
		}
	}
	for (int64 s = 0; s < mn.nsets; s++)
	{
		int32	   *it = mn.pool + mn.setstart[s];
		int			len = (int) (mn.setstart[s + 1] - mn.setstart[s]);

		for (int k = 0; k < len; k++)
			it[k] = alpha[it[k]];
		SortInt32(it, len);
	}
	order = palloc_extended(sizeof(int64) * Max(mn.nsets, 1), MCXT_ALLOC_HUGE);
	for (int64 s = 0; s < mn.nsets; s++)
		order[s] = s;
	sarg.mn = &mn;
	qsort_arg(order, mn.nsets, sizeof(int64), CompareSets, &sarg);

	/* rules: every split of every itemset of two or more items */
	if (o.rules)
	{
		SetHash		h;
		int32		ante[PORTRAIT_RULES_MAX_RULE_ITEMS];
		int32		cons[PORTRAIT_RULES_MAX_RULE_ITEMS];
		int64		cap = 0;

		for (int64 s = 0; s < mn.nsets; s++)
		{
			int64		len = mn.setstart[s + 1] - mn.setstart[s];

			if (len > PORTRAIT_RULES_MAX_RULE_ITEMS)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("fpgrowth found an itemset of %lld items, too many to derive rules from",
								(long long) len),
						 errdetail("Rules are derived from itemsets of at most %d items.", PORTRAIT_RULES_MAX_RULE_ITEMS),
						 errhint("Set max_len, or set \"rules\" to false.")));
			if (len >= 2)
				ncand += ((int64) 1 << len) - 2;
			if (ncand > PORTRAIT_RULES_MAX_RULES * (int64) 4)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("fpgrowth would derive more than %d candidate rules", PORTRAIT_RULES_MAX_RULES * 4),
						 errhint(PORTRAIT_RULES_HINT)));
		}
		SetHashBuild(&h, &mn);
		for (int64 s = 0; s < mn.nsets; s++)
		{
			const int32 *it = mn.pool + mn.setstart[s];
			int			len = (int) (mn.setstart[s + 1] - mn.setstart[s]);
			int64		cxy = mn.setcount[s];

			if (len < 2)
				continue;
			if ((s & 255) == 0)
				CHECK_FOR_INTERRUPTS();
			for (uint32 mask = 1; mask < ((uint32) 1 << len) - 1; mask++)
			{
				int			na = 0;
				int			nc = 0;
				int64		cx,
							cy;
				double		conf,
							lift;

				for (int k = 0; k < len; k++)
				{
					if ((mask >> k) & 1)
						ante[na++] = it[k];
					else
						cons[nc++] = it[k];
				}
				cx = SetHashCount(&h, ante, na);
				cy = SetHashCount(&h, cons, nc);
				conf = (double) cxy / (double) cx;
				lift = (double) cxy * (double) g.nbaskets / ((double) cx * (double) cy);
				if (conf < o.min_confidence || lift < o.min_lift)
					continue;
				if (nrules >= PORTRAIT_RULES_MAX_RULES)
					ereport(ERROR,
							(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
							 errmsg("fpgrowth found more than %d rules", PORTRAIT_RULES_MAX_RULES),
							 errhint("Raise min_confidence or min_lift, or raise min_support.")));
				if (nrules >= cap)
				{
					cap = Max(cap * 2, 1024);
					MinerBudget(&mn, (double) cap * sizeof(Rule));
					rules = rules ? repalloc_huge(rules, sizeof(Rule) * cap) :
						palloc_extended(sizeof(Rule) * cap, MCXT_ALLOC_HUGE);
				}
				rules[nrules].set = s;
				rules[nrules].mask = mask;
				rules[nrules].count = cxy;
				rules[nrules].ante_count = cx;
				rules[nrules].cons_count = cy;
				rules[nrules].confidence = conf;
				rules[nrules].lift = lift;
				nrules++;
			}
		}
		if (nrules > 1)
		{
			RuleOrderArg ra = {&mn};

			qsort_arg(rules, nrules, sizeof(Rule), CompareRules, &ra);
		}
	}

	/* the document */
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"baskets\": %d, \"lines\": %lld, \"items\": %d, \"frequent_items\": %d, "
					 "\"min_count\": %lld, \"max_len\": ",
					 g.nbaskets, (long long) g.nlines, bl->items.n, nfreq, (long long) mn.min_count);
	if (o.max_len >= 1000000)
		appendStringInfoString(&buf, "null");
	else
		appendStringInfo(&buf, "%d", o.max_len);
	appendStringInfoString(&buf, ", \"itemsets\": [");
	for (int64 r = 0; r < mn.nsets; r++)
	{
		int64		s = order[r];

		if ((r & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (r > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"items\": ");
		AppendItems(&buf, &mn, names, s, 0, true, true);
		appendStringInfo(&buf, ", \"count\": %lld", (long long) mn.setcount[s]);
		AppendNumber(&buf, "support", (double) mn.setcount[s] / g.nbaskets);
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "], \"rules\": [");
	for (int64 r = 0; r < nrules; r++)
	{
		const Rule *ru = &rules[r];
		double		n = g.nbaskets;
		double		sy = ru->cons_count / n;

		if ((r & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
		if (r > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, "{\"antecedent\": ");
		AppendItems(&buf, &mn, names, ru->set, ru->mask, true, false);
		appendStringInfoString(&buf, ", \"consequent\": ");
		AppendItems(&buf, &mn, names, ru->set, ru->mask, false, false);
		appendStringInfo(&buf, ", \"count\": %lld", (long long) ru->count);
		AppendNumber(&buf, "support", ru->count / n);
		AppendNumber(&buf, "antecedent_support", ru->ante_count / n);
		AppendNumber(&buf, "consequent_support", sy);
		AppendNumber(&buf, "confidence", ru->confidence);
		AppendNumber(&buf, "lift", ru->lift);
		AppendNumber(&buf, "leverage", ru->count / n - (ru->ante_count / n) * sy);
		AppendNumber(&buf, "conviction", ru->count == ru->ante_count ? get_float8_infinity() :
					 (1 - sy) / (1 - ru->confidence));
		appendStringInfoChar(&buf, '}');
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
