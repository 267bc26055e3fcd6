/*
 * cluster.c
 *		The rows of a density or hierarchical fit: sorted by key, split into
 *		keys and features, standardized with the population scaler.
 */
#include "postgres.h"

#include "cluster.h"

/* 22P02 for a model whose fields do not fit together (detail says how). */
void
ClusterBadModel(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid portrait.model"),
			 errdetail("%s", detail)));
}

/* 22023 for a state (perhaps typed in as text) that no transition function made. */
static void
pg_attribute_noreturn()
BadState(const char *func, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed %s state", func),
			 errdetail("%s", detail)));
}

/* Check a state's shape and keys before a final function trusts them. */
void
ClusterCheckState(const PointsState *ps, const char *func)
{
	int			stride = ps->dim;

	if (stride <= PORTRAIT_CLUSTER_KEY_VALUES)
		BadState(func, "Its rows hold no features.");
	for (int64 i = 0; i < ps->n; i++)
	{
		const double *r = ps->values + i * stride;

		if (!(r[0] >= PG_INT32_MIN && r[0] <= PG_INT32_MAX && r[0] == floor(r[0]) &&
			  r[1] >= 0 && r[1] <= PG_UINT32_MAX && r[1] == floor(r[1])))
			BadState(func, "A row's key is not a bigint.");
		for (int j = PORTRAIT_CLUSTER_KEY_VALUES; j < stride; j++)
			if (!isfinite(r[j]))
				BadState(func, "A row has a feature that is not finite.");
	}
}

/*
 * Sort the state's rows (checked with ClusterCheckState; by key, then features), return the n x d features
 * (z-scores when standardizing) and set the keys and the features' mean and
 * population sd, all allocated in the current context.
 */
double *
ClusterSortedRows(PointsState *ps, bool standardize, int64 **keys, double **mean, double **sd,
				  const char *func)
{
	int			stride = ps->dim;
	int			d = stride - PORTRAIT_CLUSTER_KEY_VALUES;
	int64		n = ps->n;
	double	   *x;
	double	   *var;

	PointsSortRows(ps->values, n, stride);
	x = palloc_extended(mul_size(mul_size(sizeof(double), d), n), MCXT_ALLOC_HUGE);
	*keys = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		(*keys)[i] = ClusterGetKey(ps->values + i * stride);
		memcpy(x + i * d, ps->values + i * stride + PORTRAIT_CLUSTER_KEY_VALUES, sizeof(double) * d);
	}
	*mean = palloc(sizeof(double) * d);
	*sd = palloc(sizeof(double) * d);
	var = palloc(sizeof(double) * d);
	PortraitColumnMoments(x, n, d, 0, d, *mean, var);
	for (int j = 0; j < d; j++)
	{
		if (!isfinite((*mean)[j]) || !isfinite(var[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d is out of range for %s", j + 1, func),
					 errhint("Scale the feature, for example with ln(1 + x), so that its values stay well below 1e150.")));
		(*sd)[j] = sqrt(var[j]);
	}
	pfree(var);
	if (standardize)
		for (int64 i = 0; i < n; i++)
		{
			PORTRAIT_ROW_INTERRUPTS(i);
			for (int j = 0; j < d; j++)
				x[i * d + j] = (x[i * d + j] - (*mean)[j]) / ClusterScale(true, (*sd)[j]);
		}
	return x;
}
