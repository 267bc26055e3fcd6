/*
 * cluster.c
 *		The rows of a density or hierarchical fit: sorted by key, split into
 *		keys and features, standardized with the population scaler.
 */
#include "postgres.h"

#include "cluster.h"

/*
 * Sort the state's rows (by key, then features), return the n x d features
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
