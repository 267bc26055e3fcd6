/*
 * tree_train.c
 *		decision_tree_train: a classification tree grown level by level, one
 *		parallel aggregate scan per level, for tables larger than memory or
 *		distributed ones.
 *
 * A first scan finds the feature count and the class labels; a second the
 * bin edges of each feature (max_bins - 1 quantiles, percentile_disc).  Then
 * each level is one scan of tree_level, whose state (float8[], summed by
 * the combine function) holds, for every open leaf of the tree so far, the
 * row count of each class in each bin of each feature (plus a bin for NULL).
 * The driver picks each open leaf's split from those histograms with the
 * criteria of decision_tree_fit, thresholds at the bin edges (x <= edge goes
 * left), and the next level's scan routes rows through the grown tree.  With
 * at least as many bins as distinct values the splits are decision_tree_fit's,
 * with the threshold at the lower value instead of the midpoint.
 */
#include "postgres.h"

#include <float.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "trees.h"

PG_FUNCTION_INFO_V1(pp_tree_level_trans);
PG_FUNCTION_INFO_V1(pp_tree_level_combine);
PG_FUNCTION_INFO_V1(pp_decision_tree_train_query);
PG_FUNCTION_INFO_V1(pp_decision_tree_train_table);

/* state: [open leaves, features, bins (with the NULL bin), classes, counts...] */
#define LEVEL_HEADER 4
#define LEVEL_LEN(nopen, d, nb, c) (LEVEL_HEADER + (Size) (nopen) * (d) * (nb) * (c))
/* the largest histogram state (128 MB of counts) */
#define LEVEL_MAX_LEN ((Size) 16 * 1024 * 1024)

/* What tree_level reads once per query from its constant arguments. */
typedef struct LevelCache
{
	void	   *model;			/* ModelCached's slot */
	bool		ready;
	int			nopen;
	int		   *open;			/* sorted leaf numbers */
	int			nclasses;
	char	  **classes;		/* sorted by bytes */
	int			d;
	int			nedges;			/* per feature */
	double	   *edges;			/* d x nedges */
	double		row[PORTRAIT_TREE_MAX_DIM];
} LevelCache;

static int
CompareInts(const void *a, const void *b)
{
	int			x = *(const int *) a;
	int			y = *(const int *) b;

	return x < y ? -1 : (x > y);
}

static int
CompareCStrings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Read the open leaves, classes and edges arguments (3, 4, 5) into the cache. */
static void
LevelArgs(FunctionCallInfo fcinfo, LevelCache *c, int d)
{
	MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	ArrayType  *open = PG_GETARG_ARRAYTYPE_P(4);
	ArrayType  *classes = PG_GETARG_ARRAYTYPE_P(5);
	int			ne;
	const double *edges = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(6), &ne, "edges");
	Datum	   *el;
	bool	   *nulls;
	int			n;

	deconstruct_array(open, INT4OID, 4, true, TYPALIGN_INT, &el, &nulls, &n);
	c->nopen = n;
	c->open = palloc(sizeof(int) * Max(n, 1));
	for (int i = 0; i < n; i++)
		c->open[i] = nulls[i] ? -1 : DatumGetInt32(el[i]);
	qsort(c->open, n, sizeof(int), CompareInts);
	deconstruct_array(classes, TEXTOID, -1, false, TYPALIGN_INT, &el, &nulls, &n);
	c->nclasses = n;
	c->classes = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
		c->classes[i] = nulls[i] ? "" : TextDatumGetCString(el[i]);
	qsort(c->classes, n, sizeof(char *), CompareCStrings);
	if (n < 1 || n > PORTRAIT_TREE_MAX_CLASSES || d < 1 || ne % d != 0 ||
		LEVEL_LEN(c->nopen, d, ne / d + 2, n) > LEVEL_MAX_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid arguments of tree_level"),
				 errhint("tree_level is a step of decision_tree_train; call that instead.")));
	c->d = d;
	c->nedges = ne / d;
	c->edges = palloc(sizeof(double) * Max(ne, 1));
	memcpy(c->edges, edges, sizeof(double) * ne);
	c->ready = true;
	MemoryContextSwitchTo(old);
}

/*
 * tree_level(state, features, label, model, open, classes, edges): count
 * the row in its leaf's histograms, if the leaf is open.
 */
Datum
pp_tree_level_trans(PG_FUNCTION_ARGS)
{
	LevelCache *c = fcinfo->flinfo->fn_extra;
	TreeModel  *t;
	ArrayType  *st;
	double	   *h;
	int			d;
	int			nb;
	int64		leaf;
	int		   *slot;
	char	   *label;
	char	  **cls;

	if (c == NULL)
		c = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LevelCache));
	for (int a = 3; a <= 6; a++)
		PortraitArgNotNull(fcinfo, a, "the arguments of tree_level");
	t = ModelCached(fcinfo, &c->model, 3, PORTRAIT_KIND_DECISION_TREE, "tree_level", TreeParse);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return PortraitStateUnchanged(fcinfo);
	if (!c->ready)
		LevelArgs(fcinfo, c, t->d);
	d = TreeFeaturesArg(fcinfo, 1, c->row, PORTRAIT_TREE_MAX_DIM);
	if (d != c->d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("all rows must have the same number of values"),
				 errdetail("A row has %d values where the first scan found %d.", d, c->d)));
	nb = c->nedges + 2;
	if (PG_ARGISNULL(0))
	{
		st = TrainerSumsNew(fcinfo, LEVEL_LEN(c->nopen, d, nb, c->nclasses));
		h = (double *) PortraitArrayData(st);
		h[0] = c->nopen;
		h[1] = d;
		h[2] = nb;
		h[3] = c->nclasses;
	}
	else
	{
		/* a state of this query's shape (a user's aggregate can pass any float8[]) */
		(void) PortraitAggContext(fcinfo);
		st = PG_GETARG_ARRAYTYPE_P(0);
		h = (double *) PortraitArrayData(st);
		if (ARR_NDIM(st) != 1 || ARR_HASNULL(st) ||
			(Size) ARR_DIMS(st)[0] != LEVEL_LEN(c->nopen, d, nb, c->nclasses) ||
			h[0] != c->nopen || h[1] != d || h[2] != nb || h[3] != c->nclasses)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid tree_level state")));
	}
	leaf = TreeLeafOf(t, c->row);
	slot = bsearch(&(int) {(int) leaf}, c->open, c->nopen, sizeof(int), CompareInts);
	if (slot == NULL)
		PG_RETURN_ARRAYTYPE_P(st);
	label = text_to_cstring(PG_GETARG_TEXT_PP(2));
	cls = bsearch(&label, c->classes, c->nclasses, sizeof(char *), CompareCStrings);
	if (cls == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("label \"%s\" was not in the input when decision_tree_train began", label),
				 errhint("Train on data that does not change while it trains.")));
	pfree(label);
	h += LEVEL_HEADER + (Size) (slot - c->open) * d * nb * c->nclasses;
	for (int j = 0; j < d; j++)
	{
		const double *e = c->edges + (Size) j * c->nedges;
		double		x = c->row[j];
		int			b;

		if (isnan(x))
			b = nb - 1;
		else
		{
			/* the first edge >= x, or the bin past the last edge */
			int			lo = 0;
			int			hi = c->nedges;

			while (lo < hi)
			{
				int			mid = (lo + hi) / 2;

				if (e[mid] < x)
					lo = mid + 1;
				else
					hi = mid;
			}
			b = lo;
		}
		h[((Size) j * nb + b) * c->nclasses + (cls - c->classes)] += 1;
	}
	PG_RETURN_ARRAYTYPE_P(st);
}

/* Combine of tree_level: the counts added. */
Datum
pp_tree_level_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	ArrayType  *b;
	double	   *x;
	const double *y;
	int			n;

	(void) PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1))
		return PortraitStateUnchanged(fcinfo);
	b = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(b) != 1 || ARR_HASNULL(b) || ARR_DIMS(b)[0] < LEVEL_HEADER)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid tree_level state")));
	if (PG_ARGISNULL(0))
	{
		a = TrainerSumsNew(fcinfo, ARR_DIMS(b)[0]);
		memcpy(PortraitArrayData(a), PortraitArrayData(b), sizeof(double) * ARR_DIMS(b)[0]);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	a = PG_GETARG_ARRAYTYPE_P(0);
	if (ARR_NDIM(a) != 1 || ARR_NDIM(b) != 1 || ARR_DIMS(a)[0] != ARR_DIMS(b)[0] || ARR_HASNULL(a) || ARR_HASNULL(b))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid tree_level state")));
	n = ARR_DIMS(a)[0];
	x = (double *) PortraitArrayData(a);
	y = (const double *) PortraitArrayData(b);
	for (int i = LEVEL_HEADER; i < n; i++)
		x[i] += y[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* ---------- the driver ---------- */

/* The split of one open leaf chosen from its histograms. */
typedef struct LevelSplit
{
	int			feature;		/* -1: none */
	int			bin;			/* the last bin going left */
	double		score;
	bool		missing_left;
} LevelSplit;

/*
 * The best split of an open leaf from its histograms h (d x nb x C counts),
 * with class weights w; counts and weighted totals of the node in rows, wv.
 */
static LevelSplit
BestSplit(const double *h, int d, int nb, int C, const double *w, const double *edges, int nedges,
		  const TreeOptions *o, int64 msl, double *l, double *r, double *nm)
{
	LevelSplit	best = {-1, 0, 0, false};

	for (int j = 0; j < d; j++)
	{
		const double *hj = h + (Size) j * nb * C;
		const double *e = edges + (Size) j * nedges;
		int64		mm = 0;
		int64		left = 0;
		double		best_proxy = -INFINITY;
		int			bestb = -1;
		int64		bestleft = 0;

		memset(nm, 0, sizeof(double) * C);
		for (int b = 0; b < nb - 1; b++)
			for (int k = 0; k < C; k++)
			{
				nm[k] += hj[b * C + k] * w[k];
				mm += (int64) hj[b * C + k];
			}
		memset(l, 0, sizeof(double) * C);
		for (int b = 0; b < nedges; b++)
		{
			double		proxy;

			for (int k = 0; k < C; k++)
			{
				l[k] += hj[b * C + k] * w[k];
				left += (int64) hj[b * C + k];
			}
			/* an edge equal to the one before adds no split */
			if ((b > 0 && e[b] == e[b - 1]) || left < msl || mm - left < msl)
				continue;
			for (int k = 0; k < C; k++)
				r[k] = nm[k] - l[k];
			proxy = TreeProxy(o->criterion, C, l, r);
			if (proxy > best_proxy)
			{
				best_proxy = proxy;
				bestb = b;
				bestleft = left;
			}
		}
		if (bestb < 0)
			continue;
		best_proxy += TreeProxyBase(o->criterion, C, nm);
		if (best.feature < 0 || best_proxy > best.score)
		{
			best.feature = j;
			best.bin = bestb;
			best.score = best_proxy;
			best.missing_left = bestleft >= mm - bestleft;
		}
	}
	return best;
}

/* A node's weighted counts, impurity and rows from its row counts per class. */
static int64
AddNode(TreeNodes *t, const double *rows, const double *w, int C, const TreeOptions *o, double *wv)
{
	int64		n = 0;
	double		total = 0;

	for (int k = 0; k < C; k++)
	{
		wv[k] = rows[k] * w[k];
		total += wv[k];
		n += (int64) rows[k];
	}
	return TreeNodesAdd(t, n, total, TreeImpurity(o->criterion, C, wv, total), wv, rows);
}

/* Copy node i of the grown tree and its subtree into out in preorder; its new number. */
static int64
Preorder(const TreeNodes *t, int64 i, TreeNodes *out)
{
	int64		id = TreeNodesAdd(out, t->nrows[i], t->weight[i], t->impurity[i],
								  t->value + i * t->nvalue, t->rowcounts + i * t->nvalue);
	int64		child;

	check_stack_depth();
	out->feature[id] = t->feature[i];
	out->threshold[id] = t->threshold[i];
	out->missing_left[id] = t->missing_left[i];
	out->nmissing[id] = t->nmissing[i];
	if (t->feature[i] < 0)
		return id;
	child = Preorder(t, t->lchild[i], out);
	out->lchild[id] = child;
	child = Preorder(t, t->rchild[i], out);
	out->rchild[id] = child;
	return id;
}

/*
 * The quantile scan: the edges of every feature in one float8[], each
 * feature's percentile_disc($1) (or $2, zeros, for a feature without values).
 */
static char *
QuantileQuery(const char *x, const char *from, int d)
{
	StringInfoData q;

	initStringInfo(&q);
	appendStringInfoString(&q, "SELECT ");
	for (int j = 1; j <= d; j++)
		appendStringInfoString(&q, "pg_catalog.array_cat(");
	appendStringInfoString(&q, "ARRAY[]::pg_catalog.float8[]");
	for (int j = 1; j <= d; j++)
		appendStringInfo(&q, ", COALESCE(pg_catalog.percentile_disc($1) WITHIN GROUP (ORDER BY (%s)[%d]), $2))",
						 x, j);
	appendStringInfo(&q, " FROM %s", from);
	return q.data;
}

/*
 * The driver of decision_tree_train over a FROM item: features and label
 * are quoted column names of it.
 */
static Datum
TrainDriver(FunctionCallInfo fcinfo, const char *from, const char *feat, const char *lab, Jsonb *options)
{
	Oid			fn = fcinfo->flinfo->fn_oid;
	Oid			modeltype = get_func_rettype(fn);
	const char *nsp = quote_identifier(get_namespace_name(get_func_namespace(fn)));
	char	   *x = psprintf("(%s)::pg_catalog.float8[]", feat);
	char	   *l = psprintf("(%s)::pg_catalog.text", lab);
	TreeOptions o;
	TreeData	data;
	TreeNodes	nodes;
	TreeNodes	pre;
	SPIPlanPtr	plan;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	Oid			firsttypes[3] = {INT8OID, INT4OID, TEXTARRAYOID};
	Datum		classes;
	Datum		edges;
	int			d;
	int			C;
	int			nb;
	int			nedges;
	double	   *w;
	double	   *edgev;
	char	  **labels;
	int64	   *open;
	int			nopen;
	int64		msl;
	double	   *l1;
	double	   *r1;
	double	   *nm;
	double	   *wv;
	double	   *rows;
	Oid			leveltypes[4];
	Oid			statetype = FLOAT8ARRAYOID;
	PortraitModel *model;

	memset(&data, 0, sizeof(data));
	TreeParseOptions(JsonbToCString(NULL, &options->root, VARSIZE(options)), "decision_tree_train",
					 TREE_CLASSIFICATION, &o);
	msl = Max(o.min_samples_leaf, 1);
	TrainerConnect();

	/* scan 1: rows, features and labels (in byte order) */
	plan = TrainerPrepare(psprintf("SELECT pg_catalog.count(*), pg_catalog.max(pg_catalog.cardinality(x)), "
								   "pg_catalog.array_agg(DISTINCT l ORDER BY l) "
								   "FROM (SELECT %s AS x, %s COLLATE \"C\" AS l FROM %s) s "
								   "WHERE x IS NOT NULL AND l IS NOT NULL", x, l, from),
						  0, NULL, 3, firsttypes, 3);
	tup = TrainerRun(plan, NULL, 3, firsttypes, 3, &desc);
	data.n = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
	if (data.n == 0)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	d = DatumGetInt32(SPI_getbinval(tup, desc, 2, &isnull));
	classes = SPI_getbinval(tup, desc, 3, &isnull);
	{
		Datum	   *el;
		bool	   *nulls;

		deconstruct_array(DatumGetArrayTypeP(classes), TEXTOID, -1, false, TYPALIGN_INT, &el, &nulls, &C);
		if (C > PORTRAIT_TREE_MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("decision_tree_train handles at most %d classes", PORTRAIT_TREE_MAX_CLASSES),
					 errhint("Group rare labels into one before training.")));
		labels = palloc(sizeof(char *) * C);
		for (int k = 0; k < C; k++)
			labels[k] = TextDatumGetCString(el[k]);
	}
	if (d < 1 || d > PORTRAIT_TREE_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must hold between 1 and %d values, not %d", PORTRAIT_TREE_MAX_DIM, d)));
	if (o.names != NULL && o.nnames != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature_names must hold %d names, not %d", d, o.nnames)));
	if (o.ncategorical > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("decision_tree_train does not split categorical features"),
				 errhint("Use decision_tree_fit, or pass the codes as numbers.")));

	/* class weights, as decision_tree_fit's */
	w = palloc(sizeof(double) * C);
	for (int k = 0; k < C; k++)
		w[k] = 1.0;
	for (int i = 0; i < o.nweights; i++)
	{
		int			k;

		for (k = 0; k < C && strcmp(labels[k], o.weight_labels[i]) != 0; k++)
			;
		if (k == C)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("class_weight names class \"%s\", which no row has", o.weight_labels[i])));
		w[k] = o.weight_values[i];
	}

	/* scan 2: the bin edges, max_bins - 1 quantiles of each feature */
	nedges = o.max_bins - 1;
	{
		double	   *fr = palloc(sizeof(double) * nedges);
		double	   *zeros = palloc0(sizeof(double) * nedges);
		Oid			qtypes[2] = {FLOAT8ARRAYOID, FLOAT8ARRAYOID};
		Datum		qargs[2];
		int			ne;

		for (int b = 0; b < nedges; b++)
			fr[b] = (double) (b + 1) / o.max_bins;
		qargs[0] = PortraitFloat8ArrayDatum(fr, nedges);
		qargs[1] = PortraitFloat8ArrayDatum(zeros, nedges);
		plan = TrainerPrepare(QuantileQuery(x, from, d), 2, qtypes, 1, &statetype, 1);
		edges = TrainerRunValue(plan, qargs, statetype, &isnull);
		edgev = (double *) PortraitFloatArray(DatumGetArrayTypeP(edges), &ne, "bin edges");
		if (ne != d * nedges)
			elog(ERROR, "decision_tree_train: unexpected bin edges");
	}
	nb = nedges + 2;

	/* levels: one scan each */
	data.d = d;
	data.nclasses = C;
	data.classes = (const char *const *) labels;
	data.class_weight = w;
	data.categorical = NULL;
	TreeNodesInit(&nodes, C);
	l1 = palloc(sizeof(double) * C);
	r1 = palloc(sizeof(double) * C);
	nm = palloc(sizeof(double) * C);
	wv = palloc(sizeof(double) * C);
	rows = palloc0(sizeof(double) * C);
	TreeNodesAdd(&nodes, 0, 0, 0, rows, rows);
	open = palloc(sizeof(int64));
	open[0] = 0;
	nopen = 1;
	leveltypes[0] = modeltype;
	leveltypes[1] = INT4ARRAYOID;
	leveltypes[2] = TEXTARRAYOID;
	leveltypes[3] = FLOAT8ARRAYOID;
	plan = TrainerPrepare(psprintf("SELECT %s.tree_level(%s, %s, $1, $2, $3, $4) FROM %s", nsp, x, l, from),
						  4, leveltypes, 1, &statetype, 1);
	for (int depth = 0; depth < o.max_depth && nopen > 0; depth++)
	{
		Datum		args[4];
		Datum	   *ids = palloc(sizeof(Datum) * nopen);
		Datum		st;
		const double *h;
		int			hn;
		int64	   *next = palloc(sizeof(int64) * 2 * nopen);
		int			nnext = 0;

		CHECK_FOR_INTERRUPTS();
		if (LEVEL_LEN(nopen, d, nb, C) > LEVEL_MAX_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the histograms of level %d of decision_tree_train are too large", depth),
					 errdetail("%d open leaves of %d features of %d bins of %d classes.", nopen, d, nb, C),
					 errhint("Lower max_depth or max_bins, or raise min_samples_leaf.")));
		model = TreeNodesModel(&nodes, &data, &o, NULL, 0, "decision_tree_train");
		for (int i = 0; i < nopen; i++)
			ids[i] = Int32GetDatum((int32) open[i]);
		args[0] = PointerGetDatum(model);
		args[1] = PointerGetDatum(construct_array(ids, nopen, INT4OID, 4, true, TYPALIGN_INT));
		args[2] = classes;
		args[3] = edges;
		st = TrainerRunValue(plan, args, statetype, &isnull);
		if (isnull)
			elog(ERROR, "decision_tree_train: the input changed during training");
		h = PortraitFloatArray(DatumGetArrayTypeP(st), &hn, "tree_level");
		if ((Size) hn != LEVEL_LEN(nopen, d, nb, C))
			elog(ERROR, "decision_tree_train: unexpected histograms");
		/* open leaves in increasing node number: the order of the state's slots */
		for (int i = 0; i < nopen; i++)
		{
			const double *hs = h + LEVEL_HEADER + (Size) i * d * nb * C;
			int64		id = open[i];
			LevelSplit	s;
			int64		lid;
			int64		rid;
			double	   *lrows = palloc0(sizeof(double) * C);
			double	   *rrows = palloc0(sizeof(double) * C);
			int64		nmiss = 0;

			/* the node's own counts: every bin of the first feature, NULL included */
			memset(rows, 0, sizeof(double) * C);
			for (int b = 0; b < nb; b++)
				for (int k = 0; k < C; k++)
					rows[k] += hs[b * C + k];
			if (depth == 0)
			{
				/* the root's statistics come with the first scan of rows */
				nodes.nnodes = 0;
				AddNode(&nodes, rows, w, C, &o, wv);
			}
			if (nodes.nrows[id] < 2 * msl || nodes.impurity[id] <= DBL_EPSILON)
				continue;
			s = BestSplit(hs, d, nb, C, w, edgev, nedges, &o, msl, l1, r1, nm);
			if (s.feature < 0)
				continue;
			for (int b = 0; b < nb; b++)
				for (int k = 0; k < C; k++)
				{
					double		v = hs[((Size) s.feature * nb + b) * C + k];

					if (b == nb - 1)
						nmiss += (int64) v;
					if (b <= s.bin || (b == nb - 1 && s.missing_left))
						lrows[k] += v;
					else
						rrows[k] += v;
				}
			lid = AddNode(&nodes, lrows, w, C, &o, wv);
			rid = AddNode(&nodes, rrows, w, C, &o, wv);
			nodes.feature[id] = s.feature;
			nodes.threshold[id] = edgev[(Size) s.feature * nedges + s.bin];
			nodes.missing_left[id] = s.missing_left;
			nodes.nmissing[id] = nmiss;
			nodes.lchild[id] = lid;
			nodes.rchild[id] = rid;
			next[nnext++] = lid;
			next[nnext++] = rid;
		}
		open = next;
		nopen = nnext;
	}
	TreeNodesInit(&pre, C);
	Preorder(&nodes, 0, &pre);
	model = TreeNodesModel(&pre, &data, &o, NULL, 0, "decision_tree_train");
	model = (PortraitModel *) DatumGetPointer(SPI_datumTransfer(PointerGetDatum(model), false, -1));
	SPI_finish();
	PG_RETURN_POINTER(model);
}

/* decision_tree_train(source text, features, label, options): a query or a relation name. */
Datum
pp_decision_tree_train_query(PG_FUNCTION_ARGS)
{
	return TrainDriver(fcinfo, TrainerSourceFrom(text_to_cstring(PG_GETARG_TEXT_PP(0)), "decision_tree_train"),
					   quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(1))),
					   quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(2))), PG_GETARG_JSONB_P(3));
}

/* decision_tree_train(source regclass, features, label, options) */
Datum
pp_decision_tree_train_table(PG_FUNCTION_ARGS)
{
	return TrainDriver(fcinfo, TrainerRelationFrom(PG_GETARG_OID(0)),
					   quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(1))),
					   quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(2))), PG_GETARG_JSONB_P(3));
}
