/*
 * silhouette.c
 *		The silhouette aggregate: how well rows sit in their clusters.
 */
#include "postgres.h"

#include "funcapi.h"

#include "kmeans.h"

PG_FUNCTION_INFO_V1(pp_silhouette_trans);
PG_FUNCTION_INFO_V1(pp_silhouette_trans_sample);
PG_FUNCTION_INFO_V1(pp_silhouette_combine);
PG_FUNCTION_INFO_V1(pp_silhouette_final);

/* ---------- silhouette ---------- */

/* qsort order of int64 values. */
static int
CmpInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * (state, features, cluster [, max_exact]): collect the row with its cluster
 * as one more column.  Rows with NULL features or cluster are skipped.
 */
static Datum
SilhouetteTrans(FunctionCallInfo fcinfo, int64 max_exact)
{
	const double *v;
	int			d;
	PointsState *ps;
	double	   *row;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	v = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(1), &d, "features");
	KmCheckDim(d);
	ps = PointsGetState(fcinfo, 0, d + 1, max_exact);
	if (unlikely(ps->n >= KmMaxRows(d + 1)))
		KmOverBudget(ps->n + 1, d + 1);
	row = fcinfo->flinfo->fn_extra;
	if (row == NULL)
		row = fcinfo->flinfo->fn_extra =
			MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * (PORTRAIT_KMEANS_MAX_DIM + 1));
	memcpy(row, v, sizeof(double) * d);
	row[d] = PG_GETARG_INT32(2);
	PointsAppend(ps, row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* (state, features, cluster): silhouette with the default exact-row limit. */
Datum
pp_silhouette_trans(PG_FUNCTION_ARGS)
{
	return SilhouetteTrans(fcinfo, PORTRAIT_SILHOUETTE_DEFAULT_EXACT);
}

/* (state, features, cluster, max_exact): silhouette with its own exact-row limit. */
Datum
pp_silhouette_trans_sample(PG_FUNCTION_ARGS)
{
	int64		max_exact;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("max_exact must not be NULL")));
	max_exact = PG_GETARG_INT32(3);
	if (max_exact < 2 || max_exact > PORTRAIT_SILHOUETTE_MAX_EXACT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_exact must be between 2 and %d, not %lld",
						PORTRAIT_SILHOUETTE_MAX_EXACT, (long long) max_exact),
				 errhint("The exact silhouette takes time quadratic in the rows; larger inputs use a seeded sample of max_exact rows.")));
	return SilhouetteTrans(fcinfo, max_exact);
}

/* Combine of silhouette: the rows of both states. */
Datum
pp_silhouette_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/*
 * The mean silhouette (Rousseeuw 1987) with Euclidean distances: for each
 * row, a = mean distance to the rest of its cluster, b = the smallest mean
 * distance to another cluster, s = (b - a) / max(a, b), and s = 0 for a
 * cluster of one (scikit-learn's convention).  Above max_exact rows it is
 * computed on a sample of max_exact rows drawn with a fixed seed from the
 * sorted rows, so it still does not depend on row order.
 */
Datum
pp_silhouette_final(PG_FUNCTION_ARGS)
{
	PointsState *ps;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {0};
	int			w;
	int			d;
	int64		n;
	int64		s;
	int64	   *idx;
	double	   *labels;
	int			m = 0;
	int		   *cl;
	int64	   *size;
	double	   *sum;
	double		total = 0;
	double		maxabs = 0;
	const double *rows;
	pg_prng_state rng;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ps = PointsRead(PG_GETARG_DATUM(0));
	n = ps->n;
	if (n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "silhouette must return a composite type");
	w = ps->dim;
	d = w - 1;
	PointsCheckFit(ps, PORTRAIT_POINTS_SORT_BYTES + sizeof(int64));	/* sort keys, sample order */
	PointsSortRows(ps->values, n, w);

	/* the rows used: all, or a seeded sample in sorted order */
	s = Min(n, ps->param);
	idx = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		idx[i] = i;
	if (s < n)
	{
		pg_prng_seed(&rng, 0);
		for (int64 i = 0; i < s; i++)
		{
			int64		j = (int64) pg_prng_uint64_range(&rng, i, n - 1);
			int64		t = idx[i];

			idx[i] = idx[j];
			idx[j] = t;
		}
		qsort(idx, s, sizeof(int64), CmpInt64);
	}

	/* dense cluster numbers 0..m-1 */
	labels = palloc(sizeof(double) * s);
	for (int64 i = 0; i < s; i++)
		labels[i] = ps->values[idx[i] * w + d];
	PortraitSortDoubles(labels, s);
	for (int64 i = 0; i < s; i++)
		if (i == 0 || labels[i] != labels[i - 1])
			labels[m++] = labels[i];
	if (m < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("silhouette needs at least 2 clusters, not %d", m),
				 errhint("Assign the rows to two or more clusters, for example with kmeans_assign.")));
	cl = palloc(sizeof(int) * s);
	size = palloc0(sizeof(int64) * m);
	for (int64 i = 0; i < s; i++)
	{
		double		c = ps->values[idx[i] * w + d];
		int			lo = 0;
		int			hi = m - 1;

		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (labels[mid] < c)
				lo = mid + 1;
			else
				hi = mid;
		}
		cl[i] = lo;
		size[lo]++;
	}

	/*
	 * s = (b - a) / max(a, b) does not change when every point is scaled by
	 * one factor, so coordinates whose squares would overflow (or vanish)
	 * are divided by the largest magnitude first; others are used as they are
	 */
	rows = ps->values;
	for (int64 i = 0; i < s; i++)
		for (int k = 0; k < d; k++)
			maxabs = Max(maxabs, fabs(ps->values[idx[i] * w + k]));
	if (maxabs > PORTRAIT_SILHOUETTE_SAFE_MAX || (maxabs > 0 && maxabs < PORTRAIT_SILHOUETTE_SAFE_MIN))
	{
		double	   *scaled = palloc_extended(mul_size(mul_size(sizeof(double), s), w), MCXT_ALLOC_HUGE);

		for (int64 i = 0; i < s; i++)
		{
			for (int k = 0; k < d; k++)
				scaled[i * w + k] = ps->values[idx[i] * w + k] / maxabs;
			scaled[i * w + d] = ps->values[idx[i] * w + d];
			idx[i] = i;
		}
		rows = scaled;
	}

	sum = palloc(sizeof(double) * m);
	for (int64 i = 0; i < s; i++)
	{
		const double *xi = rows + idx[i] * w;
		double		a;
		double		b = DBL_MAX;

		CHECK_FOR_INTERRUPTS();
		if (size[cl[i]] == 1)
			continue;
		memset(sum, 0, sizeof(double) * m);
		for (int64 j = 0; j < s; j++)
			sum[cl[j]] += sqrt(KmDist2(xi, rows + idx[j] * w, d));
		a = sum[cl[i]] / (size[cl[i]] - 1);
		for (int c = 0; c < m; c++)
			if (c != cl[i])
				b = Min(b, sum[c] / size[c]);
		if (Max(a, b) > 0)
			total += (b - a) / Max(a, b);
	}

	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(total / s);
	values[1] = Int64GetDatum(n);
	values[2] = Int64GetDatum(s);
	values[3] = BoolGetDatum(s == n);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
