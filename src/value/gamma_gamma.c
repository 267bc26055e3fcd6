/*
 * gamma_gamma.c
 *		The Gamma-Gamma spend model of Fader, Hardie & Lee ("RFM and CLV:
 *		using iso-value curves for customer base analysis", JMR 42(4), 2005;
 *		note "The Gamma-Gamma model of monetary value", 2013): a customer's
 *		transaction values are Gamma(p, nu) with nu ~ Gamma(q, gamma) across
 *		customers (model kind "gamma_gamma"), the expected average value of a
 *		customer, and customer lifetime value with a BG/NBD model.
 *
 * The fit uses repeat buyers only (x > 0): avg_value is the mean value of
 * the repeat purchases, which customers without repeat purchases do not
 * have.  Their rows are skipped, and the model counts them.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "bgnbd.h"

#define PORTRAIT_GG_MIN_CUSTOMERS 10
#define PORTRAIT_CLV_MAX_MONTHS 1200
#define GG_GTOL 1e-9
#define GG_NPARAMS 3

PG_FUNCTION_INFO_V1(pp_gamma_gamma_fit_trans);
PG_FUNCTION_INFO_V1(pp_gamma_gamma_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_gamma_gamma_fit_combine);
PG_FUNCTION_INFO_V1(pp_gamma_gamma_fit_final);
PG_FUNCTION_INFO_V1(pp_expected_avg_value);
PG_FUNCTION_INFO_V1(pp_clv);

typedef struct GammaGammaParams
{
	double		p;
	double		q;
	double		gamma;
} GammaGammaParams;

/*
 * Check one (x, avg_value) pair: x a count, avg_value finite and, for a
 * repeat buyer, positive (the model is for spend).
 */
static void
CheckSpend(double x, double m)
{
	CheckCount(x, "x");
	CheckFinite(m, "avg_value");
	if (x > 0 && m <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("avg_value must be positive for a customer with repeat purchases, not %g", m),
				 errdetail("The Gamma-Gamma model describes positive spend."),
				 errhint("Leave out customers whose repeat purchases have no value, or net refunds out elsewhere.")));
}

/* ---------- the likelihood ---------- */

/* Distinct (x, avg_value) rows of repeat buyers with their counts, sorted. */
typedef struct GammaGammaData
{
	int64		nrows;
	double	   *x;
	double	   *m;
	double	   *logx;
	double	   *logm;
	double	   *w;
	double		n;
	double		penalizer;
} GammaGammaData;

/*
 * Mean negative log-likelihood plus penalizer * (p^2 + q^2 + gamma^2) at
 * theta = log(p, q, gamma), gradient in theta.  One customer's term:
 *
 *   lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + (px-1) ln(m) + px ln(x)
 *     - (px+q) ln(xm + gamma)
 */
static double
GammaGammaObjective(const double *theta, double *grad, void *arg)
{
	const GammaGammaData *d = arg;
	double		p = exp(theta[0]);
	double		q = exp(theta[1]);
	double		g = exp(theta[2]);
	double		lg = log(g);
	double		lgq = lgamma(q);
	KahanSum	ll = {0};
	double		gs[GG_NPARAMS] = {0};
	double		pv[GG_NPARAMS] = {p, q, g};

	for (int64 i = 0; i < d->nrows; i++)
	{
		double		x = d->x[i];
		double		px = p * x;
		double		lxm = log(x * d->m[i] + g);
		double		l = PortraitLogGammaRatio(px, q) - lgq + q * lg + (px - 1) * d->logm[i]
			+ px * d->logx[i] - (px + q) * lxm;

		PORTRAIT_ROW_INTERRUPTS(i);
		KahanAdd(&ll, d->w[i] * l);
		if (grad)
		{
			double		dpq = PortraitDigammaRatio(px, q);	/* psi(px+q) - psi(px) */

			gs[0] += d->w[i] * x * (dpq + d->logm[i] + d->logx[i] - lxm);
			gs[1] += d->w[i] * (PortraitDigammaRatio(q, px) + lg - lxm);
			gs[2] += d->w[i] * (q / g - (px + q) / (x * d->m[i] + g));
		}
	}
	return FitPenalizedObjective(KahanValue(&ll), gs, pv, GG_NPARAMS, d->n, d->penalizer, grad);
}

/* Distinct rows in canonical order (FitSortUnique), with their logarithms. */
static void
GammaGammaPrepare(double *rows, int64 n, GammaGammaData *d)
{
	double	   *w = palloc_extended(mul_size(sizeof(double), n), MCXT_ALLOC_HUGE);
	int64		k = FitSortUnique(rows, n, 2, w);

	d->x = palloc_extended(mul_size(sizeof(double) * 4, k), MCXT_ALLOC_HUGE);
	d->m = d->x + k;
	d->logx = d->m + k;
	d->logm = d->logx + k;
	d->w = w;
	for (int64 i = 0; i < k; i++)
	{
		d->x[i] = rows[i * 2];
		d->m[i] = rows[i * 2 + 1];
		d->logx[i] = log(d->x[i]);
		d->logm[i] = log(d->m[i]);
	}
	d->nrows = k;
	d->n = n;
}

/* ---------- the model ---------- */

/* Consistency of a gamma_gamma model: positive parameters. */
static void
GammaGammaValidate(const PortraitModel *m)
{
	const char *names[] = {"p", "q", "gamma"};

	for (int i = 0; i < 3; i++)
		if (!(ModelGetFloat(m, names[i]) > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid portrait.model"),
					 errdetail("Parameter \"%s\" of a gamma_gamma model must be positive.", names[i])));
}

static const ModelFieldSpec gamma_gamma_fields[] = {
	{"p", MF_FLOAT, true},
	{"q", MF_FLOAT, true},
	{"gamma", MF_FLOAT, true},
	{"log_likelihood", MF_FLOAT, false},
	{"n", MF_INT, false},
	{"skipped", MF_INT, false},
	{"penalizer", MF_FLOAT, false},
	{"iterations", MF_INT, false},
	{"converged", MF_BOOL, false},
};

const ModelKindSpec GammaGammaModelKind = {
	PORTRAIT_KIND_GAMMA_GAMMA, "gamma_gamma", gamma_gamma_fields, lengthof(gamma_gamma_fields),
	GammaGammaValidate
};

/* A gamma_gamma model as GammaGammaParams, for ModelCached. */
static void *
GammaGammaParseModel(const PortraitModel *m, MemoryContext cxt)
{
	GammaGammaParams *p = MemoryContextAllocZero(cxt, sizeof(GammaGammaParams));

	p->p = ModelGetFloat(m, "p");
	p->q = ModelGetFloat(m, "q");
	p->gamma = ModelGetFloat(m, "gamma");
	return p;
}

/* ---------- the aggregate ---------- */

/*
 * The row check of gamma_gamma_fit; customers without repeat purchases are
 * collected as (0, 0) rows, which the fit counts as skipped.
 */
static void
GammaGammaCheckRow(double *row)
{
	CheckSpend(row[0], row[1]);
	if (row[0] == 0)
		row[1] = 0;
}

/* Transition of gamma_gamma_fit: check the pair and collect it (NULLs skipped). */
static Datum
GammaGammaTrans(FunctionCallInfo fcinfo, const FitOptions *o)
{
	return FitTrans(fcinfo, 2, GammaGammaCheckRow, o);
}

/* gamma_gamma_fit(x, avg_value) transition. */
Datum
pp_gamma_gamma_fit_trans(PG_FUNCTION_ARGS)
{
	return GammaGammaTrans(fcinfo, NULL);
}

/* gamma_gamma_fit(x, avg_value, options) transition. */
Datum
pp_gamma_gamma_fit_trans_options(PG_FUNCTION_ARGS)
{
	return GammaGammaTrans(fcinfo, FitOptionsCached(fcinfo, 3, false, "gamma_gamma_fit"));
}

/* Combine of gamma_gamma_fit: concatenate the collected rows. */
Datum
pp_gamma_gamma_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/*
 * 22000 when every repeat buyer has the same average value: the density of
 * that value then grows without bound as p and q do (the spend becomes a
 * point mass), so the likelihood has no maximum and no finite limit.
 */
static void
GammaGammaCheckSpread(const double *rows, int64 k)
{
	for (int64 i = 1; i < k; i++)
		if (rows[i * 2 + 1] != rows[1])
			return;
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("a Gamma-Gamma fit has no limit when every repeat buyer has the same average value"),
			 errdetail("All %lld repeat buyers have avg_value %g: the likelihood grows without bound as the spend distribution narrows to that value.",
					   (long long) k, rows[1]),
			 errhint("Use that value as every customer's expected average value, or fit on spend that varies.")));
}

/*
 * The fit's data (FitSpec.prepare): the repeat buyers, at least
 * PORTRAIT_GG_MIN_CUSTOMERS of them; the start is p = 1, q = 2 and a spend
 * scale of the order of the data.
 */
static void *
GammaGammaSpecPrepare(double *rows, int64 n, const FitOptions *o, double *theta, int64 *nobs)
{
	GammaGammaData *d = palloc0(sizeof(GammaGammaData));
	int64		k = 0;
	KahanSum	msum = {0};

	/* keep the repeat buyers */
	for (int64 i = 0; i < n; i++)
		if (rows[i * 2] > 0)
		{
			rows[k * 2] = rows[i * 2];
			rows[k * 2 + 1] = rows[i * 2 + 1];
			k++;
		}
	if (k < PORTRAIT_GG_MIN_CUSTOMERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too few repeat buyers to fit a Gamma-Gamma model"),
				 errdetail("The fit got %lld customers, %lld of them with repeat purchases.",
						   (long long) n, (long long) k),
				 errhint("The fit needs at least %d customers with repeat purchases (x > 0).",
						 PORTRAIT_GG_MIN_CUSTOMERS)));
	GammaGammaCheckSpread(rows, k);
	GammaGammaPrepare(rows, k, d);
	/* from the sorted rows: the start must not depend on the row order */
	for (int64 i = 0; i < d->nrows; i++)
		KahanAdd(&msum, d->w[i] * d->m[i]);
	d->penalizer = o->penalizer;
	theta[0] = 0;
	theta[1] = log(2.0);
	theta[2] = log(KahanValue(&msum) / k);
	*nobs = k;
	return d;
}

/* The objective is the penalised mean; the log-likelihood takes the penalty out again. */
static double
GammaGammaSpecLoglik(void *arg, const double *pv, const OptimResult *res, const FitOptions *o)
{
	const GammaGammaData *d = arg;

	return -(res->value - o->penalizer * (pv[0] * pv[0] + pv[1] * pv[1] + pv[2] * pv[2])) * d->n;
}

/* The customers without repeat purchases, which the fit skipped. */
static void
GammaGammaSpecPut(ModelBuilder *mb, const FitResult *fr)
{
	ModelPutInt(mb, "skipped", fr->n - fr->nobs);
}

static const char *const gamma_gamma_param_names[] = {"p", "q", "gamma"};

static const FitSpec GammaGammaFitSpec = {
	"gamma_gamma_fit", "Gamma-Gamma", PORTRAIT_KIND_GAMMA_GAMMA, GG_NPARAMS,
	gamma_gamma_param_names, false, GG_GTOL, false, 0, GammaGammaSpecPrepare,
	GammaGammaObjective, GammaGammaSpecLoglik, GammaGammaSpecPut
};

/* Final function of gamma_gamma_fit: the maximum-likelihood fit of the repeat buyers. */
Datum
pp_gamma_gamma_fit_final(PG_FUNCTION_ARGS)
{
	return FitFinal(fcinfo, &GammaGammaFitSpec);
}

/* ---------- scoring ---------- */

/*
 * E[M | x, avg_value] = (gamma + x avg_value) p / (p x + q - 1): a weighted
 * mean of the population mean p gamma / (q - 1) and the customer's own
 * average, weighted by p x.  Without repeat purchases it is the population
 * mean.  It is finite only when q > 1.
 */
static double
GammaGammaExpected(const GammaGammaParams *gg, double x, double m)
{
	if (gg->q <= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a gamma_gamma model with q = %g <= 1 has no finite mean spend", gg->q),
				 errhint("Refit with a penalizer or with more repeat buyers.")));
	if (x == 0)
		return gg->p * gg->gamma / (gg->q - 1);
	return (gg->gamma + x * m) * gg->p / (gg->p * x + gg->q - 1);
}

/* expected_avg_value(model, x, avg_value) */
Datum
pp_expected_avg_value(PG_FUNCTION_ARGS)
{
	const GammaGammaParams *gg = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 0,
											 PORTRAIT_KIND_GAMMA_GAMMA, "expected_avg_value",
											 GammaGammaParseModel);
	double		x = PG_GETARG_FLOAT8(1);
	double		m = PG_GETARG_FLOAT8(2);

	CheckSpend(x, m);
	PG_RETURN_FLOAT8(CheckScore(GammaGammaExpected(gg, x, m), "expected_avg_value"));
}

/* fn_extra of clv: one cached parse per model argument. */
typedef struct ClvCache
{
	void	   *bgnbd_slot;
	void	   *gg_slot;
} ClvCache;

/*
 * clv(bgnbd_model, gg_model, x, t_x, T, avg_value, months, monthly_discount):
 * the discounted sum over months i = 1..months of the expected average
 * value times the purchases expected in month i,
 *
 *   sum_i E[M] (E[Y(i f)] - E[Y((i-1) f)]) / (1 + monthly_discount)^i
 *
 * with f the purchase model's time units per month (30 days, 4.345 weeks),
 * as in the lifetimes library's customer_lifetime_value.  The purchase
 * model is a bgnbd, mbgnbd or pareto_nbd model.
 */
Datum
pp_clv(PG_FUNCTION_ARGS)
{
	ClvCache   *c = fcinfo->flinfo->fn_extra;
	const BgnbdParams *bg;
	const GammaGammaParams *gg;
	double		x = PG_GETARG_FLOAT8(2);
	double		t_x = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);
	double		m = PG_GETARG_FLOAT8(5);
	int32		months = PG_GETARG_INT32(6);
	double		disc = PG_GETARG_FLOAT8(7);
	double		f;
	double		value;
	double		prev = 0;
	KahanSum	sum = {0};

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ClvCache));
		fcinfo->flinfo->fn_extra = c;
	}
	bg = BtydCachedParams(fcinfo, &c->bgnbd_slot, 0, "clv");
	gg = ModelCached(fcinfo, &c->gg_slot, 1, PORTRAIT_KIND_GAMMA_GAMMA, "clv", GammaGammaParseModel);
	BgnbdCheckCustomer(x, t_x, T);
	CheckSpend(x, m);
	CheckFinite(disc, "monthly_discount");
	if (months < 0 || months > PORTRAIT_CLV_MAX_MONTHS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("months must be between 0 and %d, not %d", PORTRAIT_CLV_MAX_MONTHS, months)));
	if (disc < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("monthly_discount must not be negative, not %g", disc),
				 errhint("0.01 discounts by 1%% a month.")));

	value = GammaGammaExpected(gg, x, m);
	f = FitTimeUnitsPerMonth(bg->unit);
	for (int i = 1; i <= months; i++)
	{
		double		cur = BgnbdExpectedPurchases(bg, i * f, x, t_x, T);

		KahanAdd(&sum, value * (cur - prev) / pow(1 + disc, i));
		prev = cur;
	}
	PG_RETURN_FLOAT8(CheckScore(KahanValue(&sum), "clv"));
}
