/*
 * evaluate.c
 *		ranking_metrics: how good one customer's top-k list is against the
 *		items they went on to buy (precision, recall, hit, average precision,
 *		NDCG at k), the per-customer step of the offline evaluation.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "portrait.h"

PG_FUNCTION_INFO_V1(pp_ranking_metrics);

/* The distinct non-NULL texts of an array, in order (*n of them). */
static text **
DistinctTexts(ArrayType *a, int limit, int *n)
{
	Datum	   *v;
	bool	   *nulls;
	int			na;
	text	  **out;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &v, &nulls, &na);
	out = palloc(sizeof(text *) * Max(na, 1));
	*n = 0;
	for (int i = 0; i < na && *n < limit; i++)
	{
		text	   *t;
		bool		dup = false;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(v[i]);
		for (int j = 0; j < *n && !dup; j++)
			dup = VARSIZE_ANY_EXHDR(out[j]) == VARSIZE_ANY_EXHDR(t) &&
				memcmp(VARDATA_ANY(out[j]), VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) == 0;
		if (!dup)
			out[(*n)++] = t;
	}
	return out;
}

/*
 * ranking_metrics(recommended, relevant, k): the first k distinct items of
 * recommended against the set relevant.  NULL when relevant is NULL or
 * empty (nothing to find); a NULL recommended list finds nothing.
 */
Datum
pp_ranking_metrics(PG_FUNCTION_ARGS)
{
	int32		k;
	text	  **rec;
	text	  **rel;
	int			nrec = 0;
	int			nrel = 0;
	int			hits = 0;
	double		ap = 0;
	double		dcg = 0;
	double		idcg = 0;
	TupleDesc	desc;
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	PortraitArgNotNull(fcinfo, 2, "k");
	k = PG_GETARG_INT32(2);
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k of ranking_metrics must be at least 1, not %d", k)));
	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	rel = DistinctTexts(PG_GETARG_ARRAYTYPE_P(1), INT_MAX, &nrel);
	if (nrel == 0)
		PG_RETURN_NULL();
	rec = PG_ARGISNULL(0) ? NULL : DistinctTexts(PG_GETARG_ARRAYTYPE_P(0), k, &nrec);
	for (int i = 0; i < nrec; i++)
	{
		bool		found = false;

		for (int j = 0; j < nrel && !found; j++)
			found = VARSIZE_ANY_EXHDR(rel[j]) == VARSIZE_ANY_EXHDR(rec[i]) &&
				memcmp(VARDATA_ANY(rel[j]), VARDATA_ANY(rec[i]), VARSIZE_ANY_EXHDR(rec[i])) == 0;
		if (found)
		{
			hits++;
			ap += (double) hits / (i + 1);
			dcg += 1.0 / log2(i + 2.0);
		}
	}
	for (int i = 0; i < Min(nrel, k); i++)
		idcg += 1.0 / log2(i + 2.0);

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ranking_metrics must return a composite");
	desc = BlessTupleDesc(desc);
	values[0] = Float8GetDatum((double) hits / k);
	values[1] = Float8GetDatum((double) hits / nrel);
	values[2] = Float8GetDatum(hits > 0 ? 1.0 : 0.0);
	values[3] = Float8GetDatum(ap / Min(nrel, k));
	values[4] = Float8GetDatum(dcg / idcg);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
