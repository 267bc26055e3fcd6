/*
 * btyd_compare.c
 *		The model check every customer-base analysis does before it trusts a
 *		churn model, as one aggregate: BG/NBD, MBG/NBD and Pareto/NBD fitted
 *		to the calibration summaries (x, t_x, T), each customer's expected
 *		purchases in her holdout period against the purchases she made,
 *		the table of actual vs expected holdout purchases by calibration
 *		frequency (0, 1, ..., 7+), per-customer MAE and RMSE, and the
 *		log-likelihood, AIC and BIC of each fit.  The report is jsonb;
 *		btyd_compare_models and btyd_compare_by_frequency (SQL) read it
 *		as rows.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "bgnbd.h"

/* the last row of the frequency table holds x >= this */
#define BTYD_COMPARE_MAX_FREQUENCY 7
#define BTYD_NMODELS 3

PG_FUNCTION_INFO_V1(pp_btyd_compare_trans);
PG_FUNCTION_INFO_V1(pp_btyd_compare_trans_options);
PG_FUNCTION_INFO_V1(pp_btyd_compare_final);

/* The checks of one (x, t_x, T, x_holdout, holdout_length) row. */
static void
CompareCheckRow(double *row)
{
	BgnbdCheckCustomer(row[0], row[1], row[2]);
	CheckCount(row[3], "x_holdout");
	CheckFinite(row[4], "holdout_length");
	if (row[4] < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("holdout_length must not be negative, not %g", row[4]),
				 errdetail("It is the length of the customer's holdout period, in the unit of t_x and T.")));
}

/* Transition: check and collect the rows; rows with a NULL are skipped. */
static Datum
CompareTrans(FunctionCallInfo fcinfo, const FitOptions *o)
{
	return FitTrans(fcinfo, 5, CompareCheckRow, o);
}

/* btyd_compare(x, t_x, T, x_holdout, holdout_length) transition. */
Datum
pp_btyd_compare_trans(PG_FUNCTION_ARGS)
{
	return CompareTrans(fcinfo, NULL);
}

/* btyd_compare(x, t_x, T, x_holdout, holdout_length, options) transition. */
Datum
pp_btyd_compare_trans_options(PG_FUNCTION_ARGS)
{
	return CompareTrans(fcinfo, FitOptionsCached(fcinfo, 6, true, "btyd_compare"));
}

/* A "key": number pair of the report. */
static void
PutNumber(StringInfo buf, const char *key, double v)
{
	appendStringInfo(buf, "\"%s\": ", key);
	if (isfinite(v))
		PortraitFormatDouble(buf, v);
	else
		appendStringInfoString(buf, "null");
}

/*
 * Final function: fit the three models, score the holdout, write the
 * report.  Customers are evaluated once per distinct row, in canonical
 * order, so the report does not depend on the row order or the plan.
 */
Datum
pp_btyd_compare_final(PG_FUNCTION_ARGS)
{
	static const FitSpec *const specs[BTYD_NMODELS] = {&BgnbdFitSpec, &MbgnbdFitSpec, &ParetoNbdFitSpec};
	static const char *const names[BTYD_NMODELS] = {"bgnbd", "mbgnbd", "pareto_nbd"};
	PointsState *ps;
	FitOptions	o;
	double	   *rows;
	double	   *fitrows;
	double	   *w;
	int64		n;
	int64		k;
	FitResult	fr[BTYD_NMODELS];
	char	   *fits[BTYD_NMODELS];
	double		cnt[BTYD_COMPARE_MAX_FREQUENCY + 1] = {0};
	KahanSum	actual[BTYD_COMPARE_MAX_FREQUENCY + 1] = {{0}};
	KahanSum	expect[BTYD_NMODELS][BTYD_COMPARE_MAX_FREQUENCY + 1] = {{{0}}};
	KahanSum	abserr[BTYD_NMODELS] = {{0}};
	KahanSum	sqerr[BTYD_NMODELS] = {{0}};
	KahanSum	total_actual = {0};
	KahanSum	total_expect[BTYD_NMODELS] = {{0}};
	MemoryContext fitcxt;
	MemoryContext old;
	StringInfoData buf;
	Datum		result;
	int			best_bic = 0;
	int			best_rmse = 0;
	int			best_mae = 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ps = PointsRead(PG_GETARG_DATUM(0));
	fitcxt = AllocSetContextCreate(CurrentMemoryContext, "btyd_compare", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(fitcxt);
	rows = FitPointsRows(ps, true, "btyd_compare", &o, &n);
	if (n == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(fitcxt);
		PG_RETURN_NULL();
	}
	/* each fit sorts its own copy of the calibration summaries */
	fitrows = palloc_extended(mul_size(sizeof(double) * 3, n), MCXT_ALLOC_HUGE);
	for (int m = 0; m < BTYD_NMODELS; m++)
	{
		PortraitModel *model;

		for (int64 i = 0; i < n; i++)
			memcpy(fitrows + i * 3, rows + i * 5, sizeof(double) * 3);
		FitRun(specs[m], fitrows, n, &o, &fr[m]);
		model = FitModel(specs[m], &fr[m], &o);
		fits[m] = DatumGetCString(DirectFunctionCall1(pp_model_out, PointerGetDatum(model)));
	}

	/* the holdout, once per distinct (x, t_x, T, x_holdout, holdout_length) */
	w = palloc_extended(mul_size(sizeof(double), n), MCXT_ALLOC_HUGE);
	k = FitSortUnique(rows, n, 5, w);
	for (int64 i = 0; i < k; i++)
	{
		const double *row = rows + i * 5;
		int			f = (int) Min(row[0], (double) BTYD_COMPARE_MAX_FREQUENCY);

		CHECK_FOR_INTERRUPTS();
		cnt[f] += w[i];
		KahanAdd(&actual[f], w[i] * row[3]);
		KahanAdd(&total_actual, w[i] * row[3]);
		for (int m = 0; m < BTYD_NMODELS; m++)
		{
			BgnbdParams p = {0};
			double		e;

			p.kind = specs[m]->kind;
			p.r = fr[m].params[0];
			p.alpha = fr[m].params[1];
			if (p.kind == PORTRAIT_KIND_PARETO_NBD)
			{
				p.s = fr[m].params[2];
				p.beta = fr[m].params[3];
			}
			else
			{
				p.a = fr[m].params[2];
				p.b = fr[m].params[3];
			}
			e = CheckScore(BgnbdExpectedPurchases(&p, row[4], row[0], row[1], row[2]), "btyd_compare");
			KahanAdd(&expect[m][f], w[i] * e);
			KahanAdd(&total_expect[m], w[i] * e);
			KahanAdd(&abserr[m], w[i] * fabs(e - row[3]));
			KahanAdd(&sqerr[m], w[i] * (e - row[3]) * (e - row[3]));
		}
	}

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"customers\": " INT64_FORMAT ", \"unit\": \"%s\", ", n, FitTimeUnitName(o.unit));
	PutNumber(&buf, "holdout_actual", KahanValue(&total_actual));
	appendStringInfoString(&buf, ", \"models\": [");
	for (int m = 0; m < BTYD_NMODELS; m++)
	{
		double		ll = fr[m].log_likelihood;
		int			np = specs[m]->nparams;
		double		bic = np * log((double) n) - 2 * ll;
		double		rmse = sqrt(KahanValue(&sqerr[m]) / n);

		if (bic < np * log((double) n) - 2 * fr[best_bic].log_likelihood)
			best_bic = m;
		if (rmse < sqrt(KahanValue(&sqerr[best_rmse]) / n))
			best_rmse = m;
		if (KahanValue(&abserr[m]) < KahanValue(&abserr[best_mae]))
			best_mae = m;
		appendStringInfo(&buf, "%s{\"model\": \"%s\", ", m ? ", " : "", names[m]);
		PutNumber(&buf, "log_likelihood", ll);
		appendStringInfo(&buf, ", \"parameters\": %d, ", np);
		PutNumber(&buf, "aic", 2 * np - 2 * ll);
		appendStringInfoString(&buf, ", ");
		PutNumber(&buf, "bic", bic);
		appendStringInfoString(&buf, ", ");
		PutNumber(&buf, "holdout_expected", KahanValue(&total_expect[m]));
		appendStringInfoString(&buf, ", ");
		PutNumber(&buf, "mae", KahanValue(&abserr[m]) / n);
		appendStringInfoString(&buf, ", ");
		PutNumber(&buf, "rmse", rmse);
		appendStringInfo(&buf, ", \"converged\": %s, \"fit\": %s}",
						 fr[m].converged ? "true" : "false", fits[m]);
	}
	appendStringInfoString(&buf, "], \"by_frequency\": [");
	for (int f = 0; f <= BTYD_COMPARE_MAX_FREQUENCY; f++)
	{
		appendStringInfo(&buf, "%s{\"frequency\": \"%d%s\", \"customers\": %.0f, ", f ? ", " : "", f,
						 f == BTYD_COMPARE_MAX_FREQUENCY ? "+" : "", cnt[f]);
		/* means per customer of the row; no customers: null */
		PutNumber(&buf, "actual", cnt[f] > 0 ? KahanValue(&actual[f]) / cnt[f] : NAN);
		for (int m = 0; m < BTYD_NMODELS; m++)
		{
			appendStringInfoString(&buf, ", ");
			PutNumber(&buf, names[m], cnt[f] > 0 ? KahanValue(&expect[m][f]) / cnt[f] : NAN);
		}
		appendStringInfoChar(&buf, '}');
	}
	/*
	 * The pick: the model that wins most of the three criteria (BIC on the
	 * calibration fit, MAE and RMSE on the holdout), ties to the lower BIC.
	 * No single one is enough: BIC rewards the fit to the calibration data,
	 * RMSE is dominated by the heaviest buyers, MAE by the many light ones.
	 */
	{
		int			votes[BTYD_NMODELS] = {0};
		int			best = best_bic;

		votes[best_bic]++;
		votes[best_mae]++;
		votes[best_rmse]++;
		for (int m = 0; m < BTYD_NMODELS; m++)
			if (votes[m] > votes[best])
				best = m;
		appendStringInfo(&buf, "], \"best_bic\": \"%s\", \"best_mae\": \"%s\", \"best_rmse\": \"%s\", \"best\": \"%s\"}",
						 names[best_bic], names[best_mae], names[best_rmse], names[best]);
	}

	MemoryContextSwitchTo(old);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
	MemoryContextDelete(fitcxt);
	PG_RETURN_DATUM(result);
}
