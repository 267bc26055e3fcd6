/*
 * points.c
 *		portrait.points: the aggregate state of fits that need every input row
 *		(quantiles, k-means, exact AUC).
 *
 * While an aggregate runs, the state is an expanded object in the aggregate
 * context, so appending a row neither copies the state nor allocates.  Its
 * flat form is an ordinary varlena with text I/O, which is what parallel
 * workers and distributed engines pass around.
 */
#include "postgres.h"

#include <limits.h>

#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "portrait.h"

PG_FUNCTION_INFO_V1(pp_points_in);
PG_FUNCTION_INFO_V1(pp_points_out);

#define PORTRAIT_POINTS_MAX_DIM 1000
#define PORTRAIT_POINTS_MIN_ROWS 64

/* portrait.fit_memory_limit, in kB: the rows one collected-rows state may hold */
static int	fit_memory_limit = 1024 * 1024;

static Size PointsFlatSize(ExpandedObjectHeader *eohptr);
static void PointsFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods points_methods = {
	PointsFlatSize,
	PointsFlatten
};

/* Settings of the collected-rows state, shared by every fit that uses it. */
void
PortraitPointsInit(void)
{
	DefineCustomIntVariable("portrait.fit_memory_limit",
							"Memory the rows collected by one fitting aggregate may use.",
							"rfm_breaks, kmeans_fit, silhouette, the churn model fits, logit_fit, auc, the "
							"trees and forests, dbscan_fit, hclust_fit, fpgrowth, item_similarity, the "
							"attribution models and build_tags (its scan's work_mem) check their rows and working memory against it; above it "
							"they stop with an error instead of exhausting the server's memory.",
							&fit_memory_limit,
							1024 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
}

/* Rows of dim values that portrait.fit_memory_limit allows (at least 1). */
static int64
PointsMaxRows(int dim)
{
	return Max((int64) ((Size) fit_memory_limit * 1024 / (sizeof(double) * dim)), 1);
}

/* portrait.fit_memory_limit in kB, for memory that is not a fit's own (a query's work_mem) */
int
PortraitFitMemoryLimit(void)
{
	return fit_memory_limit;
}

/* 54000: n rows of dim values and work bytes besides need more than the limit. */
static void
OverBudget(int dim, int64 n, double work)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("the rows collected by this aggregate need more memory than portrait.fit_memory_limit allows"),
			 work > 0 ?
			 errdetail("%lld rows of %d values and the fit's working memory need %lld kB; the limit is %d kB.",
					   (long long) n, dim, (long long) ceil(((double) n * dim * sizeof(double) + work) / 1024),
					   fit_memory_limit) :
			 errdetail("%lld rows of %d values need %lld kB; the limit is %d kB.",
					   (long long) n, dim, (long long) ceil((double) n * dim * sizeof(double) / 1024),
					   fit_memory_limit),
			 errhint("Raise portrait.fit_memory_limit, fit on a sample of the rows (TABLESAMPLE), "
					 "or use a streaming trainer (kmeans_train, logit_train).")));
}

/*
 * Raise 54000 unless a state of n rows of dim values fits in the budget;
 * called before the memory is allocated.
 */
static void
PointsCheckBudget(int dim, int64 n)
{
	if (likely(n <= PointsMaxRows(dim)))
		return;
	OverBudget(dim, n, 0);
}

/*
 * Raise 54000 unless the rows of ps and the fit's own arrays, work_per_row
 * bytes for each row (sort keys, copies, weights), fit in the budget.  The
 * transition and combine functions count the rows alone; a final function
 * calls this before it allocates its working memory, so what the limit
 * bounds is what the fit really uses.
 */
void
PointsCheckFit(const PointsState *ps, Size work_per_row)
{
	double		need = (double) ps->n * (ps->dim * sizeof(double) + work_per_row);

	if (need > (double) fit_memory_limit * 1024)
		OverBudget(ps->dim, ps->n, (double) ps->n * work_per_row);
}

/*
 * Raise 54000 unless need bytes of a fit's working memory (collected keys,
 * trees, results) fit in portrait.fit_memory_limit; called before they are
 * allocated.  what says what needs them, hint what the caller can change.
 */
void
PortraitFitBudget(double need, const char *what, const char *hint)
{
	if (likely(need <= (double) fit_memory_limit * 1024))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s needs more memory than portrait.fit_memory_limit allows", what),
			 errdetail("It needs %lld kB; the limit is %d kB.", (long long) ceil(need / 1024), fit_memory_limit),
			 errhint("%s", hint)));
}

static Size
PointsBytes(int dim, int64 n)
{
	return add_size(offsetof(PointsFlat, values), mul_size(mul_size(sizeof(double), dim), n));
}

static Size
PointsFlatSize(ExpandedObjectHeader *eohptr)
{
	PointsState *ps = (PointsState *) eohptr;
	Size		sz = add_size(PointsBytes(ps->dim, ps->n), ps->auxlen);

	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("aggregate state of %lld rows of %d values is too large to pass between processes",
						(long long) ps->n, ps->dim),
				 errhint("Disable parallel aggregation for this query or use a streaming trainer.")));
	return sz;
}

static void
PointsFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	PointsState *ps = (PointsState *) eohptr;
	PointsFlat *f = result;

	memset(f, 0, offsetof(PointsFlat, values));
	SET_VARSIZE(f, allocated_size);
	f->dim = ps->dim;
	f->n = ps->n;
	f->param = ps->param;
	if (ps->n > 0)
		memcpy(f->values, ps->values, sizeof(double) * ps->dim * ps->n);
	if (ps->auxlen > 0)
		memcpy((char *) f + PointsBytes(ps->dim, ps->n), ps->aux, ps->auxlen);
}

/* A new, empty expanded state in context parent. */
static PointsState *
PointsNew(MemoryContext parent, int dim, int64 param, int64 capacity)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "portrait points", ALLOCSET_DEFAULT_SIZES);
	PointsState *ps = MemoryContextAllocZero(cxt, sizeof(PointsState));

	EOH_init_header(&ps->hdr, &points_methods, cxt);
	ps->dim = dim;
	ps->param = param;
	PointsCheckBudget(dim, capacity);
	ps->capacity = Min(Max(capacity, PORTRAIT_POINTS_MIN_ROWS), Max(capacity, PointsMaxRows(dim)));
	ps->values = MemoryContextAllocHuge(cxt, mul_size(mul_size(sizeof(double), dim), ps->capacity));
	return ps;
}

static inline bool
IsOurExpanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &points_methods;
}

/* Read-only view of a points datum, expanded or flat (flat is expanded here). */
PointsState *
PointsRead(Datum d)
{
	PointsFlat *f;
	PointsState *ps;

	if (IsOurExpanded(d))
		return (PointsState *) DatumGetEOHP(d);
	f = (PointsFlat *) PG_DETOAST_DATUM(d);
	ps = PointsNew(CurrentMemoryContext, f->dim, f->param, f->n);
	ps->n = f->n;
	if (f->n > 0)
		memcpy(ps->values, f->values, sizeof(double) * f->dim * f->n);
	if (VARSIZE(f) > PointsBytes(f->dim, f->n))
		PointsSetAux(ps, (const char *) f + PointsBytes(f->dim, f->n),
					 VARSIZE(f) - PointsBytes(f->dim, f->n));
	return ps;
}

/*
 * Attach the aggregate's constant text (its options) to the state, or check
 * that it equals the one already attached: every row of a group must pass
 * the same options.
 */
void
PointsSetAux(PointsState *ps, const char *aux, Size len)
{
	if (ps->aux == NULL)
	{
		ps->aux = MemoryContextAlloc(ps->hdr.eoh_context, len + 1);
		memcpy(ps->aux, aux, len);
		ps->aux[len] = '\0';
		ps->auxlen = len;
		return;
	}
	if (len != ps->auxlen || memcmp(aux, ps->aux, len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aggregate options must be the same for all rows of a group"),
				 errdetail("A row has options %.*s where earlier rows had %.200s.",
						   (int) Min(len, 200), aux, ps->aux)));
}

/*
 * Replace the state's constant text, for aggregates whose text grows with
 * the rows (the class labels of a classification tree).
 */
void
PointsReplaceAux(PointsState *ps, const char *aux, Size len)
{
	char	   *old = ps->aux;

	ps->aux = MemoryContextAlloc(ps->hdr.eoh_context, len + 1);
	memcpy(ps->aux, aux, len);
	ps->aux[len] = '\0';
	ps->auxlen = len;
	if (old != NULL)
		pfree(old);
}

/*
 * The transition state at argno, created on the first row in the aggregate
 * context.  dim and param must agree with the state's.
 */
PointsState *
PointsGetState(FunctionCallInfo fcinfo, int argno, int dim, int64 param)
{
	MemoryContext aggcxt;
	PointsState *ps;

	aggcxt = PortraitAggContext(fcinfo);

	if (PG_ARGISNULL(argno))
		return PointsNew(aggcxt, dim, param, 0);
	if (IsOurExpanded(PG_GETARG_DATUM(argno)))
		ps = (PointsState *) DatumGetEOHP(PG_GETARG_DATUM(argno));
	else
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		ps = PointsRead(PG_GETARG_DATUM(argno));
		MemoryContextSwitchTo(old);
	}
	if (ps->dim != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("all rows must have the same number of values"),
				 errdetail("A row has %d values where earlier rows had %d.", dim, ps->dim)));
	if (ps->param != param)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aggregate parameter must be the same for all rows of a group"),
				 errdetail("A row has %lld where earlier rows had %lld.",
						   (long long) param, (long long) ps->param)));
	return ps;
}

/* Append one row of dim values (growth doubles, so amortised O(1)). */
void
PointsAppend(PointsState *ps, const double *row)
{
	if (unlikely(ps->n >= ps->capacity))
	{
		int64		newcap = Min(ps->capacity * 2, PointsMaxRows(ps->dim));

		/* the budget may have been lowered since the state was made */
		PointsCheckBudget(ps->dim, ps->n + 1);
		newcap = Max(newcap, ps->n + 1);

		ps->values = repalloc_huge(ps->values, mul_size(mul_size(sizeof(double), ps->dim), newcap));
		ps->capacity = newcap;
	}
	memcpy(ps->values + ps->n * ps->dim, row, sizeof(double) * ps->dim);
	ps->n++;
}

/*
 * Combine function body shared by every points aggregate: append the second
 * state's rows to the first.  Row order is not kept, so fits must not depend
 * on it.
 */
Datum
PointsCombine(FunctionCallInfo fcinfo)
{
	PointsState *a;
	Datum		bd;
	const double *values;
	int64		n;
	int			dim;
	int64		param;
	const char *aux;
	Size		auxlen;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	/*
	 * A worker's state arrives flat: its rows are appended from where they
	 * are, not first copied into an expanded object.
	 */
	bd = PG_GETARG_DATUM(1);
	if (IsOurExpanded(bd))
	{
		PointsState *b = (PointsState *) DatumGetEOHP(bd);

		values = b->values;
		n = b->n;
		dim = b->dim;
		param = b->param;
		aux = b->aux;
		auxlen = b->auxlen;
	}
	else
	{
		PointsFlat *f = (PointsFlat *) PG_DETOAST_DATUM(bd);

		values = f->values;
		n = f->n;
		dim = f->dim;
		param = f->param;
		auxlen = VARSIZE(f) - PointsBytes(f->dim, f->n);
		aux = auxlen > 0 ? (const char *) f + PointsBytes(f->dim, f->n) : NULL;
	}
	a = PointsGetState(fcinfo, 0, dim, param);
	if (aux != NULL)
		PointsSetAux(a, aux, auxlen);
	if (n > 0)
	{
		/* each process kept its own rows under the limit: so must their union */
		PointsCheckBudget(dim, a->n + n);
		if (a->n + n > a->capacity)
		{
			int64		newcap = Max(a->capacity * 2, a->n + n);

			a->values = repalloc_huge(a->values, mul_size(mul_size(sizeof(double), dim), newcap));
			a->capacity = newcap;
		}
		memcpy(a->values + a->n * dim, values, mul_size(mul_size(sizeof(double), dim), n));
		a->n += n;
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
}

/*
 * Text form: dim;param;n;v,v,v,... (shortest exact float8s, row-major), then
 * ;aux when the aggregate attached a constant text.
 */
Datum
pp_points_out(PG_FUNCTION_ARGS)
{
	PointsState *ps = PointsRead(PG_GETARG_DATUM(0));
	StringInfoData buf;
	int64		total = ps->n * ps->dim;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%d;%lld;%lld;", ps->dim, (long long) ps->param, (long long) ps->n);
	for (int64 i = 0; i < total; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		PortraitFormatDouble(&buf, ps->values[i]);
	}
	if (ps->auxlen > 0)
	{
		appendStringInfoChar(&buf, ';');
		appendBinaryStringInfo(&buf, ps->aux, ps->auxlen);
	}
	PG_RETURN_CSTRING(buf.data);
}

Datum
pp_points_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	int64		dim;
	int64		param;
	int64		n;
	PointsFlat *f;
	int64		total;

	dim = PortraitParseInt64(&p, "portrait.points", input);
	PortraitExpectChar(&p, ';', "portrait.points", input);
	param = PortraitParseInt64(&p, "portrait.points", input);
	PortraitExpectChar(&p, ';', "portrait.points", input);
	n = PortraitParseInt64(&p, "portrait.points", input);
	PortraitExpectChar(&p, ';', "portrait.points", input);
	if (dim < 1 || dim > PORTRAIT_POINTS_MAX_DIM || n < 0 || n > (int64) (MaxAllocSize / sizeof(double) / dim))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "portrait.points", input)));
	PointsCheckBudget(dim, n);
	total = n * dim;
	f = palloc0(PointsBytes(dim, n));
	f->dim = dim;
	f->param = param;
	f->n = n;
	for (int64 i = 0; i < total; i++)
	{
		if (i > 0)
			PortraitExpectChar(&p, ',', "portrait.points", input);
		f->values[i] = PortraitParseDouble(&p, "portrait.points", input);
	}
	if (*p == ';' && p[1] != '\0')
	{
		Size		auxlen = strlen(p + 1);

		f = repalloc(f, add_size(PointsBytes(dim, n), auxlen));
		memcpy((char *) f + PointsBytes(dim, n), p + 1, auxlen);
		SET_VARSIZE(f, PointsBytes(dim, n) + auxlen);
		PG_RETURN_POINTER(f);
	}
	if (*p != '\0')
		PortraitExpectChar(&p, '\0', "portrait.points", input);
	SET_VARSIZE(f, PointsBytes(dim, n));
	PG_RETURN_POINTER(f);
}

/*
 * Lexicographic order of two rows of *(int *) arg doubles (no NaNs): the
 * canonical order fits sort their collected rows into, so that a result
 * depends only on the multiset of rows, not on scan order or plan.
 */
int
PointsCompareRows(const void *a, const void *b, void *arg)
{
	const double *x = a;
	const double *y = b;
	int			d = *(const int *) arg;

	for (int j = 0; j < d; j++)
		if (x[j] != y[j])
			return x[j] < y[j] ? -1 : 1;
	return 0;
}

/*
 * A row's first two values and its index, what PointsSortRows sorts: rows
 * whose first value repeats (a count, a bucket) are then told apart by the
 * second without a look into the rows.
 */
typedef struct RowKey
{
	double		first;
	double		second;			/* 0 for rows of one value */
	int64		row;
} RowKey;

typedef struct RowKeyArg
{
	const double *rows;
	int			dim;
} RowKeyArg;

/* PointsCompareRows of the rows two keys stand for (the keys decide nearly always). */
static inline int
CompareRowKeys(const RowKey *a, const RowKey *b, RowKeyArg *arg)
{
	const double *x;
	const double *y;

	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	if (a->second != b->second)
		return a->second < b->second ? -1 : 1;
	x = arg->rows + a->row * arg->dim;
	y = arg->rows + b->row * arg->dim;
	for (int j = 2; j < arg->dim; j++)
		if (x[j] != y[j])
			return x[j] < y[j] ? -1 : 1;
	return 0;
}

#define ST_SORT SortRowKeys
#define ST_ELEMENT_TYPE RowKey
#define ST_COMPARE(a, b, arg) CompareRowKeys(a, b, arg)
#define ST_COMPARE_ARG_TYPE RowKeyArg
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Sort n rows of dim doubles into the canonical order.  Rather than move
 * whole rows around while sorting, it sorts (first value, second value, row
 * number) keys with the comparison inlined.  Rows of up to three values are
 * then written in order from the keys (and a copy of the third values, read
 * at random from an array a third of the rows' size); wider rows are moved
 * once each by following the permutation's cycles.  Either needs
 * PORTRAIT_POINTS_SORT_BYTES per row while it runs.
 */
void
PointsSortRows(double *rows, int64 n, int dim)
{
	RowKey	   *keys;
	RowKeyArg	arg = {rows, dim};
	double	   *tmp;

	if (n < 2)
		return;
	keys = palloc_extended(mul_size(sizeof(RowKey), n), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		keys[i].first = rows[i * dim];
		keys[i].second = dim > 1 ? rows[i * dim + 1] : 0;
		keys[i].row = i;
	}
	SortRowKeys(keys, n, &arg);

	if (dim <= 3)
	{
		double	   *third = NULL;

		if (dim == 3)
		{
			third = palloc_extended(mul_size(sizeof(double), n), MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < n; i++)
				third[i] = rows[i * 3 + 2];
		}
		for (int64 p = 0; p < n; p++)
		{
			rows[p * dim] = keys[p].first;
			if (dim > 1)
				rows[p * dim + 1] = keys[p].second;
			if (dim == 3)
				rows[p * 3 + 2] = third[keys[p].row];
		}
		if (third)
			pfree(third);
		pfree(keys);
		return;
	}

	/* position p gets row keys[p].row; a done position gets row -1 */
	tmp = palloc(sizeof(double) * dim);
	for (int64 p = 0; p < n; p++)
	{
		int64		q = p;

		if (keys[p].row == p || keys[p].row < 0)
			continue;
		memcpy(tmp, rows + p * dim, sizeof(double) * dim);
		for (;;)
		{
			int64		src = keys[q].row;

			keys[q].row = -1;
			if (src == p)
			{
				memcpy(rows + q * dim, tmp, sizeof(double) * dim);
				break;
			}
			memcpy(rows + q * dim, rows + src * dim, sizeof(double) * dim);
			q = src;
		}
	}
	pfree(tmp);
	pfree(keys);
}

