/*
 * kmeans.c
 *		The kmeans_fit aggregate (model kind "kmeans"): collecting the rows,
 *		seeding, Lloyd's iterations with Hamerly's bounds and the numbering of
 *		the clusters.
 *
 * kmeans_fit collects its rows in a portrait.points state and fits in the
 * final function: rows are sorted lexicographically first, so the model does
 * not depend on row order or on how parallel workers split the input.  The
 * fit is exact Lloyd (scikit-learn's semantics for tol, n_init, k-means++
 * and the final assignment step), accelerated with Hamerly's bounds, which
 * skip distance computations that provably cannot change an assignment.
 *
 * Clusters are numbered 1..k: by size, largest first (ties by centroid),
 * except with explicit initial centroids, where cluster j is the one that
 * started from the j-th given centroid.
 */
#include "postgres.h"

#include "funcapi.h"

#include "kmeans.h"

PG_FUNCTION_INFO_V1(pp_kmeans_fit_trans);
PG_FUNCTION_INFO_V1(pp_kmeans_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_kmeans_fit_trans_opts);
PG_FUNCTION_INFO_V1(pp_kmeans_fit_combine);
PG_FUNCTION_INFO_V1(pp_kmeans_fit_final);

/* ---------- kmeans_fit: transition ---------- */

/* Per-call-site cache: the last options value and its canonical text. */
typedef struct KmTransCache
{
	PortraitOptionsCache opts;
	int			k;
	double		row[PORTRAIT_KMEANS_MAX_DIM];	/* the row being added */
} KmTransCache;

/* The transition's per-call-site cache, created on the first row. */
static KmTransCache *
TransCache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(KmTransCache));
	return fcinfo->flinfo->fn_extra;
}

/*
 * The options text for this row, parsed and checked once per distinct
 * options value (normally once per query).
 */
static const char *
OptionsText(FunctionCallInfo fcinfo, int argno, int k)
{
	KmTransCache *c = TransCache(fcinfo);
	KmOptions	o;

	if (PG_ARGISNULL(argno))
		return "{}";
	if (!PortraitOptionsChanged(&c->opts, fcinfo->flinfo->fn_mcxt, PG_GETARG_JSONB_P(argno)) && c->k == k)
		return c->opts.text;
	c->k = k;

	/* early errors: the options are checked before any row is collected */
	KmParseOptions(c->opts.text, &o, false);
	if (o.init == KM_INIT_EXPLICIT && o.init_rows != k)
		KmCheckOptionShapes(&o, k, o.init_cols);
	return c->opts.text;
}

/* (state, features, k [, options]): collect one row. */
static Datum
KmeansFitTrans(FunctionCallInfo fcinfo, bool has_options)
{
	const double *v;
	int			d;
	int			k;
	const char *opts;
	PointsState *ps;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be NULL")));
	k = PG_GETARG_INT32(2);
	KmCheckK(k);
	/* a NULL features array is a row without data: skipped */
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	opts = has_options ? OptionsText(fcinfo, 3, k) : NULL;
	v = TransCache(fcinfo)->row;
	d = PortraitFloatArg(fcinfo, 1, TransCache(fcinfo)->row, PORTRAIT_KMEANS_MAX_DIM, "features");
	KmCheckDim(d);
	ps = PointsGetState(fcinfo, 0, d, k);
	if (opts != NULL)
		PointsSetAux(ps, opts, strlen(opts));
	if (unlikely(ps->n >= KmMaxRows(d)))
		KmOverBudget(ps->n + 1, d);
	PointsAppend(ps, v);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* (state, features, k): collect one row. */
Datum
pp_kmeans_fit_trans(PG_FUNCTION_ARGS)
{
	return KmeansFitTrans(fcinfo, false);
}

/* (state, features, k, options): collect one row. */
Datum
pp_kmeans_fit_trans_options(PG_FUNCTION_ARGS)
{
	return KmeansFitTrans(fcinfo, true);
}

/*
 * The same under its name before 0.5.0, which the install scripts of 0.1.0
 * to 0.4.0 name: they must still load while an installation is updated.
 */
Datum
pp_kmeans_fit_trans_opts(PG_FUNCTION_ARGS)
{
	return pp_kmeans_fit_trans_options(fcinfo);
}

/* Combine of kmeans_fit: the rows of both states. */
Datum
pp_kmeans_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/* Rows that differ from their predecessor in the sorted data. */
static int64
CountDistinct(const double *x, int64 n, int d)
{
	int64		m = n > 0 ? 1 : 0;

	for (int64 i = 1; i < n; i++)
		if (PointsCompareRows(x + (i - 1) * d, x + i * d, &d) != 0)
			m++;
	return m;
}

/*
 * Values near the top of float8's range are finite, yet their mean, variance
 * or squared distances overflow: refuse them with a message about the
 * caller's features, before the model check would blame the model.
 */
void
KmCheckFeatureRange(int j, double mean, double var)
{
	if (unlikely(!isfinite(mean) || !isfinite(var)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("feature %d is out of range for k-means", j + 1),
				 errdetail("The feature's %s overflows double precision: its values are too large to cluster.",
						   isfinite(mean) ? "variance" : "mean"),
				 errhint("Scale the feature, for example with ln(1 + x), so that its values stay well below 1e150.")));
}

/*
 * Population mean and sd of each feature; with standardize, replace the
 * data by z-scores (a constant feature has scale 1 and becomes 0).  The
 * absolute tolerance is tol times the mean variance of the data clustered.
 */
static void
Standardize(KmFit *f, bool standardize, double tol)
{
	int			d = f->d;
	double		varsum = 0;

	double	   *var = palloc(sizeof(double) * d);

	PortraitColumnMoments(f->x, f->n, d, 0, d, f->mean, var);
	for (int j = 0; j < d; j++)
	{
		KmCheckFeatureRange(j, f->mean[j], var[j]);
		f->sd[j] = sqrt(var[j]);
		f->scale[j] = (standardize && f->sd[j] > 0) ? f->sd[j] : 1.0;
		f->shift[j] = standardize ? f->mean[j] : 0.0;
		varsum += var[j] / (f->scale[j] * f->scale[j]);
	}
	pfree(var);
	if (standardize)
		for (int64 i = 0; i < f->n; i++)
			for (int j = 0; j < d; j++)
				f->x[i * d + j] = (f->x[i * d + j] - f->shift[j]) / f->scale[j];
	f->tol_abs = tol * varsum / d;
}

/*
 * Greedy k-means++ (scikit-learn's: 2 + ln k candidates per center, the one
 * that lowers the potential most wins).  All candidates of a step are
 * scored in one pass over the rows.  On return labels[i] is the row's
 * nearest center (the lowest on ties) and upper[i] its squared distance,
 * which is the first Lloyd assignment.
 */
static void
SeedPlusPlus(KmFit *f, double *centers)
{
	int64		n = f->n;
	int			d = f->d;
	int			trials = 2 + (int) log(f->k);
	/* candidates padded to whole vectors for the AVX2 kernel */
	int			tp = KmAvx2() ? (trials + 3) / 4 * 4 : trials;
	double	   *closest = f->upper;
	double	   *cum = f->lower;
	int32	   *near = f->labels;
	int64	   *cand = palloc(sizeof(int64) * trials);
	double	   *cpot = palloc(sizeof(double) * tp);
	/* squared distances between the centers chosen so far and the candidates */
	double	   *cc = palloc(sizeof(double) * f->k * tp);
	int64		first = (int64) pg_prng_uint64_range(&f->rng, 0, n - 1);
	double		acc = 0;

	memcpy(centers, f->x + first * d, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
	{
		closest[i] = KmDist2(f->x + i * d, centers, d);
		near[i] = 0;
		acc += closest[i];
		cum[i] = acc;
	}
	for (int c = 1; c < f->k; c++)
	{
		int			best = 0;
		const double *bx;

		CHECK_FOR_INTERRUPTS();
		for (int t = 0; t < trials; t++)
		{
			double		r = pg_prng_double(&f->rng) * acc;
			int64		lo = 0;
			int64		hi = n - 1;

			/* first row whose cumulative weight exceeds r */
			while (lo < hi)
			{
				int64		mid = lo + (hi - lo) / 2;

				if (cum[mid] > r)
					hi = mid;
				else
					lo = mid + 1;
			}
			while (lo > 0 && closest[lo] == 0)
				lo--;
			cand[t] = lo;
		}
		/* padding lanes: a copy of the first candidate, never computed */
		for (int j = 0; j < c; j++)
			for (int t = 0; t < tp; t++)
				cc[j * tp + t] = t < trials ?
					KmDist2(centers + (Size) j * d, f->x + cand[t] * d, d) : DBL_MAX;
		for (int t = 0; t < tp; t++)
			for (int j = 0; j < d; j++)
				f->ct[(Size) j * tp + t] = f->x[cand[t < trials ? t : 0] * d + j];
		KmScoreCandidates(f, cc, trials, tp, cpot);
		for (int t = 1; t < trials; t++)
			if (cpot[t] < cpot[best])
				best = t;
		bx = f->x + cand[best] * d;
		memcpy(centers + (Size) c * d, bx, sizeof(double) * d);
		acc = 0;
		for (int64 i = 0; i < n; i++)
		{
			if (cc[near[i] * tp + best] < 4 * closest[i] * (1 + PORTRAIT_KMEANS_BOUND_SLACK))
			{
				double		t = KmDist2(f->x + i * d, bx, d);

				if (t < closest[i])
				{
					closest[i] = t;
					near[i] = c;
				}
			}
			acc += closest[i];
			cum[i] = acc;
		}
	}
	pfree(cand);
	pfree(cpot);
	pfree(cc);
}

/* k distinct rows chosen uniformly among the distinct rows. */
static void
SeedRandom(KmFit *f, double *centers)
{
	int32	   *idx = f->labels;
	int64		m = 0;

	for (int64 i = 0; i < f->n; i++)
		if (i == 0 || PointsCompareRows(f->x + (i - 1) * f->d, f->x + i * f->d, &f->d) != 0)
			idx[m++] = (int32) i;
	for (int c = 0; c < f->k; c++)
	{
		int64		j = (int64) pg_prng_uint64_range(&f->rng, c, m - 1);
		int32		t = idx[c];

		idx[c] = idx[j];
		idx[j] = t;
		memcpy(centers + (Size) c * f->d, f->x + (int64) idx[c] * f->d, sizeof(double) * f->d);
	}
}

/*
 * An empty cluster gets the row farthest from its own center (scikit-learn's
 * rule); that row leaves its old cluster's sums.  Rare, so the exact
 * distances are recomputed here.
 */
static void
RelocateEmpty(KmFit *f, const double *centers)
{
	int			d = f->d;

	for (int j = 0; j < f->k; j++)
	{
		int64		far = -1;
		double		fard = -1;

		if (f->counts[j] > 0)
			continue;
		for (int64 i = 0; i < f->n; i++)
		{
			int			a = f->labels[i];
			double		t;

			PORTRAIT_ROW_INTERRUPTS(i);
			if (f->counts[a] <= 1)
				continue;
			t = KmDist2(f->x + i * d, centers + (Size) a * d, d);
			if (t > fard)
			{
				fard = t;
				far = i;
			}
		}
		if (far < 0)
			continue;
		for (int c = 0; c < d; c++)
		{
			f->sums[(Size) f->labels[far] * d + c] -= f->x[far * d + c];
			f->sums[(Size) j * d + c] = f->x[far * d + c];
		}
		f->counts[f->labels[far]]--;
		f->counts[j] = 1;
	}
}

/* Half the distance from each center to its nearest other center. */
static void
HalfGaps(KmFit *f, const double *centers)
{
	for (int j = 0; j < f->k; j++)
		f->half_gap[j] = DBL_MAX;
	for (int j = 0; j < f->k; j++)
		for (int l = j + 1; l < f->k; l++)
		{
			double		g = 0.5 * sqrt(KmDist2(centers + (Size) j * f->d, centers + (Size) l * f->d, f->d));

			f->half_gap[j] = Min(f->half_gap[j], g);
			f->half_gap[l] = Min(f->half_gap[l], g);
		}
}

/*
 * Whether the assignment step may use the plain AVX2 pass, whose distance
 * buffer holds at most 64 centers (k * d <= 64 keeps k <= 64).
 */
static bool
PlainAvx2(const KmFit *f)
{
#ifdef KM_AVX2
	return km_avx2 && (int64) f->k * f->d <= 64;
#else
	return false;
#endif
}

/*
 * Whether Lloyd keeps Hamerly's bounds.  With AVX2 and few centers and
 * features (k * d <= 64) all k distances cost less than keeping and
 * testing the bounds, whose tests mispredict when clusters overlap: the
 * plain AVX2 pass is then used.  Assignments are the same either way.
 */
static bool
UseBounds(const KmFit *f)
{
	if (f->algorithm != KM_ALG_HAMERLY || f->k <= 1)
		return false;
	return !PlainAvx2(f);
}

/*
 * The assignment step of one Lloyd iteration, and each row added to its
 * cluster's sums (f->sums and f->counts, zeroed by the caller) in row
 * order.  Returns how many rows changed cluster.
 *
 * With Hamerly's bounds a row whose bounds prove its center nearest keeps
 * it without computing every distance.  The bounds are kept relative to
 * how far the centers have moved since the start (f->drift[j]: center j's
 * total move; drift: the total of each update's largest move), so a row
 * whose bounds settle it is only read, not written: its upper bound is
 * upper[i] + f->drift[a], its lower bound lower[i] - drift.  (Hamerly
 * lowers the lower bound of the rows of the center that moved most by the
 * second largest move only; the largest for all is looser but as valid.)
 * Always inlined with a constant flag, so each case gets a loop of its own;
 * the arrays are read through locals because the compiler cannot assume
 * stores to them leave f alone.
 */
static pg_attribute_always_inline int64
LloydPass(KmFit *f, const double *centers, bool hamerly, double drift)
{
	const int64 n = f->n;
	const int	d = f->d;
	const int	k = f->k;
	const double *x = f->x;
	const double *ct = f->ct;
	const double *moved = f->drift;
	const double *half_gap = f->half_gap;
	int32	   *labels = f->labels;
	double	   *upper = f->upper;
	double	   *lower = f->lower;
	double	   *sums = f->sums;
	int64	   *counts = f->counts;
	double	   *dist = f->dist;
	int64		changed = 0;

	for (int64 i = 0; i < n; i++)
	{
		const double *xi = x + i * d;
		int			a = labels[i];
		double		b1;
		double		b2;
		int			na;

		PORTRAIT_ROW_INTERRUPTS(i);
		if (hamerly && a >= 0)
		{
			double		u = upper[i] + moved[a];
			double		m = Max(half_gap[a], lower[i] - drift);

			if (u * (1 + PORTRAIT_KMEANS_BOUND_SLACK) < m)
				goto add;
			u = KmDistBound(xi, centers + (Size) a * d, d);
			upper[i] = u - moved[a];
			if (u * (1 + PORTRAIT_KMEANS_BOUND_SLACK) < m)
				goto add;
		}
		na = KmNearest2(xi, ct, k, d, dist, &b1, &b2);
		if (na != a)
		{
			changed++;
			labels[i] = a = na;
		}
		if (hamerly)
		{
			upper[i] = sqrt(b1) - moved[a];
			lower[i] = sqrt(b2) + drift;
		}
add:
		KmAddRow(sums + (Size) a * d, xi, d);
		counts[a]++;
	}
	return changed;
}

/*
 * Lloyd iterations from the given centers, updated in place.  Returns the
 * iterations run; *converged says whether tol (or unchanged labels) ended
 * them.  Hamerly's bounds only skip work: assignments equal plain Lloyd's.
 *
 * One pass over the rows per iteration (LloydPass): each row's assignment
 * is checked and the row added to its cluster's sums, which therefore still
 * add up the rows in row order.  On return the bounds are absolute again.
 */
static int
Lloyd(KmFit *f, double *centers, bool seeded, bool *converged)
{
	int64		n = f->n;
	int			d = f->d;
	int			k = f->k;
	bool		hamerly = UseBounds(f);
	int			it;
	double		drift = 0;

	*converged = false;
	memset(f->drift, 0, sizeof(double) * k);
	if (hamerly && seeded)
	{
		/* k-means++ left each row's nearest center and squared distance */
		for (int64 i = 0; i < n; i++)
		{
			f->upper[i] = sqrt(f->upper[i]);
			f->lower[i] = 0;
		}
	}
	else
		for (int64 i = 0; i < n; i++)
			f->labels[i] = -1;
	for (it = 0; it < f->max_iter; it++)
	{
		int64		changed;
		double		shift = 0;
		double		max1 = 0;

		CHECK_FOR_INTERRUPTS();
		KmTranspose(centers, k, d, f->ct);
		if (hamerly)
			HalfGaps(f, centers);
		memset(f->sums, 0, sizeof(double) * k * d);
		memset(f->counts, 0, sizeof(int64) * k);
		if (hamerly)
			changed = LloydPass(f, centers, true, drift);
#ifdef KM_AVX2
		else if (PlainAvx2(f))
			changed = KmPlainPassAvx2(f);
#endif
		else
			changed = LloydPass(f, centers, false, 0);

		/* new centers: means of the clusters */
		for (int j = 0; j < k; j++)
			if (f->counts[j] == 0)
			{
				RelocateEmpty(f, centers);
				break;
			}
		for (int j = 0; j < k; j++)
		{
			double	   *nc = f->newc + (Size) j * d;
			double		mv;

			if (f->counts[j] == 0)
				memcpy(nc, centers + (Size) j * d, sizeof(double) * d);
			else
				for (int c = 0; c < d; c++)
					nc[c] = f->sums[(Size) j * d + c] / f->counts[j];
			mv = KmDist2(nc, centers + (Size) j * d, d);
			shift += mv;
			mv = sqrt(mv);
			f->drift[j] += mv;
			max1 = Max(max1, mv);
		}
		drift += max1;
		memcpy(centers, f->newc, sizeof(double) * k * d);

		/* scikit-learn's tests: unchanged labels, or total squared shift <= tol */
		if ((it > 0 && changed == 0) || shift <= f->tol_abs)
		{
			*converged = true;
			it++;
			break;
		}
	}
	/* the bounds back in absolute terms, for AssignAll */
	if (hamerly)
		for (int64 i = 0; i < n; i++)
		{
			f->upper[i] += f->drift[f->labels[i]];
			f->lower[i] -= drift;
		}
	return it;
}

/*
 * Final assignment: labels, sizes and inertia of the given centers.  With
 * Hamerly's bounds (current for these centers after Lloyd) a row whose
 * bounds prove its center nearest only needs that one distance.
 */
static double
AssignAll(KmFit *f, const double *centers)
{
	double		inertia = 0;
	bool		hamerly = UseBounds(f);

	if (hamerly)
		HalfGaps(f, centers);
	KmTranspose(centers, f->k, f->d, f->ct);
	memset(f->counts, 0, sizeof(int64) * f->k);
	for (int64 i = 0; i < f->n; i++)
	{
		const double *xi = f->x + i * f->d;
		double		b1;
		int			a = f->labels[i];

		CHECK_FOR_INTERRUPTS();
		if (hamerly)
		{
			double		m = Max(f->half_gap[a], f->lower[i]);

			b1 = KmDist2(xi, centers + (Size) a * f->d, f->d);
			if (Min(f->upper[i], sqrt(b1)) * (1 + PORTRAIT_KMEANS_BOUND_SLACK) >= m)
				a = KmNearest1(xi, f->ct, f->k, f->d, f->dist, &b1);
		}
		else
			a = KmNearest1(xi, f->ct, f->k, f->d, f->dist, &b1);
		f->labels[i] = a;
		f->counts[a]++;
		inertia += b1;
	}
	return inertia;
}

/* Cluster order for numbering: larger first, then by centroid. */
typedef struct KmOrder
{
	int64		size;
	const double *c;
	int			d;
	int			j;
} KmOrder;

/* qsort order of KmOrder: the numbering of the clusters. */
static int
CmpClusters(const void *a, const void *b)
{
	const KmOrder *x = a;
	const KmOrder *y = b;
	int			d = x->d;
	int			r;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	r = PointsCompareRows(x->c, y->c, &d);
	if (r != 0)
		return r;
	return (x->j > y->j) - (x->j < y->j);
}

/*
 * Fit k clusters to the n x d rows at x (sorted and standardized here, in
 * place).  The caller has checked the memory budget.
 */
static void
FitKmeans(KmFit *f, const KmOptions *o, KmResult *res)
{
	int			k = f->k;
	int			d = f->d;
	double	   *centers = palloc(sizeof(double) * k * d);
	int64		distinct;

	PointsSortRows(f->x, f->n, f->d);
	distinct = CountDistinct(f->x, f->n, d);
	if (k > distinct)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k = %d is larger than the number of distinct rows, %lld", k, (long long) distinct),
				 errhint("Choose a k no larger than the number of distinct feature vectors.")));

	f->mean = palloc(sizeof(double) * d);
	f->sd = palloc(sizeof(double) * d);
	f->scale = palloc(sizeof(double) * d);
	f->shift = palloc(sizeof(double) * d);
	Standardize(f, o->standardize, o->tol);
	f->max_iter = o->max_iter;
	f->algorithm = o->algorithm;
	pg_prng_seed(&f->rng, (uint64) o->seed);

	f->labels = palloc_extended(mul_size(sizeof(int32), f->n), MCXT_ALLOC_HUGE);
	f->upper = palloc_extended(mul_size(sizeof(double), f->n), MCXT_ALLOC_HUGE);
	f->lower = palloc_extended(mul_size(sizeof(double), f->n), MCXT_ALLOC_HUGE);
	f->sums = palloc(sizeof(double) * k * d);
	f->newc = palloc(sizeof(double) * k * d);
	f->counts = palloc(sizeof(int64) * k);
	f->drift = palloc(sizeof(double) * k);
	f->half_gap = palloc(sizeof(double) * k);
	f->ct = palloc(sizeof(double) * (k + 16) * d);
	f->dist = palloc(sizeof(double) * (k + 16));

	res->centers = palloc(sizeof(double) * k * d);
	res->sizes = palloc(sizeof(int64) * k);
	res->inertia = DBL_MAX;
	res->iterations = 0;
	res->converged = false;
	for (int run = 0; run < o->n_init; run++)
	{
		bool		conv;
		int			iters;
		double		inertia;

		if (o->init == KM_INIT_EXPLICIT)
		{
			for (int j = 0; j < k; j++)
				for (int c = 0; c < d; c++)
					centers[j * d + c] = (o->init_centers[j * d + c] - f->shift[c]) / f->scale[c];
		}
		else if (o->init == KM_INIT_RANDOM)
			SeedRandom(f, centers);
		else
			SeedPlusPlus(f, centers);
		iters = Lloyd(f, centers, o->init == KM_INIT_PLUSPLUS, &conv);
		inertia = AssignAll(f, centers);
		/* the first run with the lowest inertia wins */
		if (inertia < res->inertia)
		{
			res->inertia = inertia;
			res->iterations = iters;
			res->converged = conv;
			memcpy(res->centers, centers, sizeof(double) * k * d);
			memcpy(res->sizes, f->counts, sizeof(int64) * k);
		}
	}

	if (o->init != KM_INIT_EXPLICIT)
	{
		KmOrder    *ord = palloc(sizeof(KmOrder) * k);

		for (int j = 0; j < k; j++)
		{
			ord[j].size = res->sizes[j];
			ord[j].c = res->centers + (Size) j * d;
			ord[j].d = d;
			ord[j].j = j;
		}
		qsort(ord, k, sizeof(KmOrder), CmpClusters);
		for (int j = 0; j < k; j++)
		{
			memcpy(centers + (Size) j * d, ord[j].c, sizeof(double) * d);
			f->counts[j] = ord[j].size;
		}
		memcpy(res->centers, centers, sizeof(double) * k * d);
		memcpy(res->sizes, f->counts, sizeof(int64) * k);
	}
}

/*
 * Final function: sort, standardize and fit in a context of its own (the
 * rows are sorted in place: the aggregate is FINALFUNC_MODIFY = READ_WRITE).
 */
Datum
pp_kmeans_fit_final(PG_FUNCTION_ARGS)
{
	PointsState *ps;
	KmOptions	o;
	KmFit		f;
	KmResult	r;
	MemoryContext cxt;
	MemoryContext old;
	PortraitModel *m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ps = PointsRead(PG_GETARG_DATUM(0));
	if (ps->n == 0)
		PG_RETURN_NULL();
	if (ps->n > KmMaxRows(ps->dim))
		KmOverBudget(ps->n, ps->dim);
	/* sort keys, then labels and Hamerly's two bounds */
	PointsCheckFit(ps, PORTRAIT_POINTS_SORT_BYTES + sizeof(int32) + 2 * sizeof(double));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "kmeans_fit", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	KmParseOptions(ps->aux, &o, false);
	KmCheckOptionShapes(&o, (int) ps->param, ps->dim);
	memset(&f, 0, sizeof(f));
	f.n = ps->n;
	f.d = ps->dim;
	f.k = (int) ps->param;
	f.x = ps->values;
	FitKmeans(&f, &o, &r);
	MemoryContextSwitchTo(old);
	m = KmeansToModel(&f, &o, &r, "kmeans_fit");
	MemoryContextDelete(cxt);
	PG_RETURN_POINTER(m);
}
