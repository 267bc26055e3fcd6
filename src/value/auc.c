/*
 * auc.c
 *		The auc aggregate: exact area under the ROC curve of scores against
 *		boolean labels (any scorer's, not only logit's), ties counted half.
 */
#include "postgres.h"

#include "portrait.h"

PG_FUNCTION_INFO_V1(pp_auc_trans);
PG_FUNCTION_INFO_V1(pp_auc_combine);
PG_FUNCTION_INFO_V1(pp_auc_final);

/* ---------- auc: exact area under the ROC curve ---------- */

/* Transition of auc: append (score, label), skipping NULL rows. */
Datum
pp_auc_trans(PG_FUNCTION_ARGS)
{
	double		row[2];
	PointsState *ps;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return PortraitStateUnchanged(fcinfo);
	row[0] = PG_GETARG_FLOAT8(1);
	CheckFinite(row[0], "score");
	row[1] = PG_GETARG_BOOL(2) ? 1.0 : 0.0;
	ps = PointsGetState(fcinfo, 0, 2, 0);
	PointsAppend(ps, row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* Combine of auc: the rows of both states. */
Datum
pp_auc_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/* A row of the auc state. */
typedef struct ScoredRow
{
	double		score;
	double		label;			/* 0 or 1 */
} ScoredRow;

/* Order of auc rows: by score, then label. */
static inline int
ScoredCompare(const ScoredRow *a, const ScoredRow *b)
{
	if (a->score != b->score)
		return a->score < b->score ? -1 : 1;
	return (a->label > b->label) - (a->label < b->label);
}

#define ST_SORT SortScored
#define ST_ELEMENT_TYPE ScoredRow
#define ST_COMPARE(a, b) ScoredCompare(a, b)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Final function (sorts the state's rows): the probability that a random
 * positive scores above a random negative, ties counted half.  NULL when
 * either class is missing.
 */
Datum
pp_auc_final(PG_FUNCTION_ARGS)
{
	PointsState *ps = PointsRead(PG_GETARG_DATUM(0));
	double		pos = 0;
	double		neg = 0;
	double		wins = 0;		/* twice the count, so that it stays an integer */
	int64		i = 0;

	SortScored((ScoredRow *) ps->values, ps->n);
	while (i < ps->n)
	{
		double		score = ps->values[i * 2];
		double		gpos = 0;
		double		gneg = 0;

		for (; i < ps->n && ps->values[i * 2] == score; i++)
		{
			if (ps->values[i * 2 + 1] != 0)
				gpos++;
			else
				gneg++;
		}
		wins += gpos * (2 * neg + gneg);
		pos += gpos;
		neg += gneg;
	}
	if (pos == 0 || neg == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(wins / (2 * pos * neg));
}
