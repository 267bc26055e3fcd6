/*
 * bgnbd.c
 *		The BG/NBD model of Fader, Hardie & Lee ("Counting your customers the
 *		easy way", Marketing Science 24(2), 2005): maximum-likelihood fit
 *		from the repeat-purchase summary (x, t_x, T) of each customer (model
 *		kind "bgnbd"), P(alive), churn risk, expected purchases (conditional
 *		and of a new customer) and P(N(t) = n).
 *
 * While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha);
 * after each purchase she drops out with probability p ~ Beta(a, b).  Times
 * are in the caller's unit (days by default), which the model records.
 *
 * The MBG/NBD of Batislam, Denizel & Filiztekin (2007) differs in one
 * point: the customer may also drop out right at her first purchase, so one
 * without repeat purchases is not certainly alive.  Its likelihood and
 * expectations are the BG/NBD ones with b + 1 in place of b in the terms of
 * the dropout process ("shift" 1 below); mbgnbd.c holds its aggregate.
 * The scoring functions here also accept Pareto/NBD models (pareto_nbd.c).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "bgnbd.h"

#define PORTRAIT_BGNBD_MIN_CUSTOMERS 10
#define PORTRAIT_BGNBD_MAX_N 10000000
#define BGNBD_GTOL 1e-9
#define BGNBD_NPARAMS 4
/* a parameter beyond this means the maximum lies at the boundary */
#define PORTRAIT_BGNBD_MAX_PARAM 1e8

PG_FUNCTION_INFO_V1(pp_bgnbd_fit_trans);
PG_FUNCTION_INFO_V1(pp_bgnbd_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_bgnbd_fit_combine);
PG_FUNCTION_INFO_V1(pp_bgnbd_fit_final);
PG_FUNCTION_INFO_V1(pp_bgnbd_loglik);
PG_FUNCTION_INFO_V1(pp_btyd_loglik);
PG_FUNCTION_INFO_V1(pp_p_alive);
PG_FUNCTION_INFO_V1(pp_churn_risk);
PG_FUNCTION_INFO_V1(pp_expected_purchases);
PG_FUNCTION_INFO_V1(pp_expected_purchases_new);
PG_FUNCTION_INFO_V1(pp_prob_purchases);
PG_FUNCTION_INFO_V1(pp_hyp2f1);

/* 22023 for a summary that breaks the rules of (x, t_x, T). */
static void
pg_attribute_noreturn()
BadCustomer(const char *msg, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", msg),
			 errdetail("%s", detail),
			 errhint("x is the number of repeat purchases, t_x the time from the first to the last purchase, T the time from the first purchase to the end of the period.")));
}

/*
 * The rules of a repeat-purchase summary: finite, x a non-negative integer,
 * 0 <= t_x <= T, t_x > 0 exactly when x > 0.
 */
void
BgnbdCheckCustomer(double x, double t_x, double T)
{
	CheckCount(x, "x");
	CheckFinite(t_x, "t_x");
	CheckFinite(T, "T");
	if (t_x < 0 || T < 0)
		BadCustomer("t_x and T must not be negative", "A time span cannot be negative.");
	if (t_x > T)
		BadCustomer("t_x must not exceed T",
					"The last purchase cannot come after the end of the period.");
	if (x > 0 && t_x == 0)
		BadCustomer("a customer with repeat purchases must have t_x > 0",
					"Repeat purchases on the first purchase day are not repeat purchases; merge them into the first one.");
	if (x == 0 && t_x != 0)
		BadCustomer("t_x must be 0 when x is 0",
					"Without repeat purchases the last purchase is the first one.");
}

/* ---------- the likelihood ---------- */

static double BtydLoglik(const BgnbdParams *p, double x, double t_x, double T);

/*
 * Log-likelihood of one customer, and its gradient in (r, alpha, a, b) when
 * grad is not NULL.  gx holds the parameter terms that depend only on x:
 * lgamma sums and digammas.  Written with log-sum-exp so that large x and
 * small probabilities neither overflow nor underflow:
 *
 *   l = lnG(r+x) - lnG(r) + r ln(alpha) + lnB(a, b+x) - lnB(a, b)
 *       + ln( (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) )
 */
typedef struct BgnbdGroupTerms
{
	double		lconst;			/* every term that does not involve t_x, T */
	double		log_a_b;		/* ln a - ln(b+x-1), x > 0 */
	double		d_r;			/* digamma(r+x) - digamma(r) + ln alpha */
	double		d_a;			/* digamma(a+b) - digamma(a+b+x) */
	double		d_b;			/* digamma(a+b) + digamma(b+x) - digamma(b) - digamma(a+b+x) */
} BgnbdGroupTerms;

/*
 * The terms of customers with x repeat purchases at parameters p.  The
 * MBG/NBD (shift k = 1) has B(a, b+x+1)/B(a, b) and a/(b+x) where the
 * BG/NBD has B(a, b+x)/B(a, b) and a/(b+x-1), the latter for every x.
 */
static void
BgnbdGroup(const BgnbdParams *p, int k, double x, bool want_grad, BgnbdGroupTerms *g)
{
	double		r = p->r,
				a = p->a,
				b = p->b;

	/* lgamma differences as ratios: exact also when a, b are huge */
	g->lconst = PortraitLogGammaRatio(r, x) + r * log(p->alpha)
		+ PortraitLogGammaRatio(b, x + k) - PortraitLogGammaRatio(a + b, x + k);
	g->log_a_b = (x > 0 || k > 0) ? log(a) - log(b + x - 1 + k) : 0;
	if (want_grad)
	{
		double		dab = -PortraitDigammaRatio(a + b, x + k);

		g->d_r = PortraitDigammaRatio(r, x) + log(p->alpha);
		g->d_a = dab;
		g->d_b = dab + PortraitDigammaRatio(b, x + k);
	}
}

/*
 * One customer's log-likelihood (gradient added to grad when not NULL), given
 * lT = ln(alpha + T) and, where x > 0 or k > 0, lt = ln(alpha + t_x): the
 * fit computes each of those logarithms once per distinct value.
 */
static inline double
BgnbdRowLogs(const BgnbdParams *p, const BgnbdGroupTerms *g, int k, double x, double t_x, double T,
			 double lT, double lt, double *grad)
{
	double		rx = p->r + x;
	double		a3 = -rx * lT;
	double		l;
	double		w4 = 0;

	if (x > 0 || k > 0)
	{
		double		a4;
		double		m;

		a4 = g->log_a_b - rx * lt;
		m = Max(a3, a4);
		/* the larger term's exp(0) is exactly 1: only the other needs exp */
		if (isfinite(m))
			l = m + log((a3 == m ? 1.0 : exp(a3 - m)) + (a4 == m ? 1.0 : exp(a4 - m)));
		else
			l = m + log(exp(a3 - m) + exp(a4 - m));
		if (grad)
			w4 = exp(a4 - l);
	}
	else
		l = a3;
	if (grad)
	{
		double		w3 = 1 - w4;

		grad[0] += g->d_r - w3 * lT - w4 * lt;
		grad[1] += p->r / p->alpha - rx * (w3 / (p->alpha + T) + w4 / (p->alpha + t_x));
		grad[2] += g->d_a;
		grad[3] += g->d_b;
		if (x > 0 || k > 0)
		{
			grad[2] += w4 / p->a;
			grad[3] -= w4 / (p->b + x - 1 + k);
		}
	}
	return g->lconst + l;
}

/* One customer's log-likelihood (gradient added to grad when not NULL). */
static inline double
BgnbdRow(const BgnbdParams *p, const BgnbdGroupTerms *g, int k, double x, double t_x, double T,
		 double *grad)
{
	double		lT = log(p->alpha + T);
	double		lt = (x > 0 || k > 0) ? log(p->alpha + t_x) : 0;

	return BgnbdRowLogs(p, g, k, x, t_x, T, lT, lt, grad);
}

/*
 * The fit's objective at theta = log(r, alpha, a, b): the mean negative
 * log-likelihood plus penalizer * (r^2 + alpha^2 + a^2 + b^2), the L2
 * penalty of the lifetimes library; the gradient is with respect to theta.
 */
double
BgnbdObjective(const double *theta, double *grad, void *arg)
{
	const BgnbdData *d = arg;
	BgnbdParams p;
	KahanSum	ll = {0};
	double		gsum[BGNBD_NPARAMS] = {0};
	double		pv[BGNBD_NPARAMS];

	p.r = exp(theta[0]);
	p.alpha = exp(theta[1]);
	p.a = exp(theta[2]);
	p.b = exp(theta[3]);
	pv[0] = p.r;
	pv[1] = p.alpha;
	pv[2] = p.a;
	pv[3] = p.b;
	/* ln(alpha + T) once per distinct T: customers share few tenures */
	for (int64 j = 0; j < d->nT; j++)
		d->lT[j] = log(p.alpha + d->T_values[j]);
	for (int64 k = 0; k < d->ngroups; k++)
	{
		BgnbdGroupTerms g;
		double		x = d->x[d->group_start[k]];
		bool		uses_t_x = x > 0 || d->shift > 0;
		double		t_x_prev = NAN;
		double		lt = 0;

		CHECK_FOR_INTERRUPTS();
		BgnbdGroup(&p, d->shift, x, grad != NULL, &g);
		for (int64 i = d->group_start[k]; i < d->group_start[k + 1]; i++)
		{
			double		rg[BGNBD_NPARAMS] = {0};
			double		l;

			PORTRAIT_ROW_INTERRUPTS(i);
			/* rows of a group are sorted by t_x: its log changes only with it */
			if (uses_t_x && !(d->t_x[i] == t_x_prev))
			{
				t_x_prev = d->t_x[i];
				lt = log(p.alpha + t_x_prev);
			}
			l = BgnbdRowLogs(&p, &g, d->shift, x, d->t_x[i], d->T[i], d->lT[d->T_index[i]], lt,
							 grad ? rg : NULL);

			KahanAdd(&ll, d->w[i] * l);
			if (grad)
				for (int j = 0; j < BGNBD_NPARAMS; j++)
					gsum[j] += d->w[i] * rg[j];
		}
	}
	return FitPenalizedObjective(KahanValue(&ll), gsum, pv, BGNBD_NPARAMS, d->n, d->penalizer, grad);
}

/*
 * The distinct T values of the rows, sorted, each row's index among them and
 * room for their logarithms, which BgnbdObjective fills per evaluation.
 */
static void
BgnbdIndexTenures(BgnbdData *d)
{
	int64		k = d->nrows;
	int64		nt = 0;

	d->T_values = palloc_extended(mul_size(sizeof(double), Max(k, 1)), MCXT_ALLOC_HUGE);
	d->T_index = palloc_extended(mul_size(sizeof(int32), Max(k, 1)), MCXT_ALLOC_HUGE);
	memcpy(d->T_values, d->T, sizeof(double) * k);
	PortraitSortDoubles(d->T_values, k);
	for (int64 i = 0; i < k; i++)
		if (nt == 0 || d->T_values[i] != d->T_values[nt - 1])
			d->T_values[nt++] = d->T_values[i];
	for (int64 i = 0; i < k; i++)
	{
		int64		lo = 0;
		int64		hi = nt - 1;

		/* the first value >= T[i], which is T[i] itself */
		while (lo < hi)
		{
			int64		mid = (lo + hi) / 2;

			if (d->T_values[mid] < d->T[i])
				lo = mid + 1;
			else
				hi = mid;
		}
		Assert(d->T_values[lo] == d->T[i]);
		d->T_index[i] = (int32) lo;
	}
	d->nT = nt;
	d->lT = palloc_extended(mul_size(sizeof(double), Max(nt, 1)), MCXT_ALLOC_HUGE);
}

/* Distinct rows in canonical order (FitSortUnique), grouped by x. */
static void
BgnbdPrepare(double *rows, int64 n, BgnbdData *d)
{
	double	   *w = palloc_extended(mul_size(sizeof(double), n), MCXT_ALLOC_HUGE);
	int64		k = FitSortUnique(rows, n, 3, w);

	d->x = palloc_extended(mul_size(sizeof(double) * 3, k), MCXT_ALLOC_HUGE);
	d->t_x = d->x + k;
	d->T = d->t_x + k;
	d->w = w;
	d->group_start = palloc_extended(mul_size(sizeof(int64), k + 1), MCXT_ALLOC_HUGE);
	d->ngroups = 0;
	for (int64 i = 0; i < k; i++)
	{
		d->x[i] = rows[i * 3];
		d->t_x[i] = rows[i * 3 + 1];
		d->T[i] = rows[i * 3 + 2];
		if (i == 0 || d->x[i] != d->x[i - 1])
			d->group_start[d->ngroups++] = i;
	}
	d->nrows = k;
	d->group_start[d->ngroups] = k;
	d->n = n;
	BgnbdIndexTenures(d);
}

/* ---------- the model ---------- */

/*
 * Consistency of a bgnbd, mbgnbd or pareto_nbd model: positive parameters,
 * a known unit.
 */
void
BtydValidate(const PortraitModel *m)
{
	const char *unit = ModelGetText(m, "unit");
	const char *bg[] = {"r", "alpha", "a", "b"};
	const char *pnbd[] = {"r", "alpha", "s", "beta"};
	const char **names = m->kind == PORTRAIT_KIND_PARETO_NBD ? pnbd : bg;
	int			first = 0;

	/* r = 0 is the BG/NBD's limit on data without repeat purchases */
	if (m->kind == PORTRAIT_KIND_BGNBD && ModelGetFloat(m, "r") == 0)
		first = 1;
	for (int i = first; i < 4; i++)
		if (!(ModelGetFloat(m, names[i]) > 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid portrait.model"),
					 errdetail("Parameter \"%s\" of a%s %s model must be positive%s.", names[i],
							   m->kind == PORTRAIT_KIND_MBGNBD ? "n" : "",
							   ModelKindName(m->kind),
							   i == 0 && m->kind == PORTRAIT_KIND_BGNBD ? " or 0" : "")));
	if (unit != NULL && FitTimeUnitByName(unit) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid portrait.model"),
				 errdetail("Field \"unit\" must be days, weeks, months or hours.")));
}

const ModelFieldSpec BgnbdFields[BGNBD_NFIELDS] = {
	{"r", MF_FLOAT, true},
	{"alpha", MF_FLOAT, true},
	{"a", MF_FLOAT, true},
	{"b", MF_FLOAT, true},
	{"unit", MF_TEXT, false},
	{"log_likelihood", MF_FLOAT, false},
	{"n", MF_INT, false},
	{"penalizer", MF_FLOAT, false},
	{"iterations", MF_INT, false},
	{"converged", MF_BOOL, false},
};

const ModelKindSpec BgnbdModelKind = {
	PORTRAIT_KIND_BGNBD, "bgnbd", BgnbdFields, BGNBD_NFIELDS, BtydValidate
};

/* A bgnbd, mbgnbd or pareto_nbd model as BgnbdParams, for ModelCached. */
void *
BgnbdParseModel(const PortraitModel *m, MemoryContext cxt)
{
	BgnbdParams *p = MemoryContextAllocZero(cxt, sizeof(BgnbdParams));
	const char *unit = ModelGetText(m, "unit");

	p->kind = m->kind;
	p->r = ModelGetFloat(m, "r");
	p->alpha = ModelGetFloat(m, "alpha");
	if (m->kind == PORTRAIT_KIND_PARETO_NBD)
	{
		p->s = ModelGetFloat(m, "s");
		p->beta = ModelGetFloat(m, "beta");
	}
	else
	{
		p->a = ModelGetFloat(m, "a");
		p->b = ModelGetFloat(m, "b");
	}
	p->unit = unit ? FitTimeUnitByName(unit) : FIT_UNIT_DAYS;
	return p;
}

/* ---------- the aggregate ---------- */

/* The row check of the three purchase-model fits. */
static void
BtydCheckRow(double *row)
{
	BgnbdCheckCustomer(row[0], row[1], row[2]);
}

/*
 * Transition of bgnbd_fit, mbgnbd_fit and pareto_nbd_fit: check the summary
 * and collect it (NULLs skipped).
 */
Datum
BtydTrans(FunctionCallInfo fcinfo, const FitOptions *o)
{
	return FitTrans(fcinfo, 3, BtydCheckRow, o);
}

/* bgnbd_fit(x, t_x, T) transition. */
Datum
pp_bgnbd_fit_trans(PG_FUNCTION_ARGS)
{
	return BtydTrans(fcinfo, NULL);
}

/* bgnbd_fit(x, t_x, T, options) transition. */
Datum
pp_bgnbd_fit_trans_options(PG_FUNCTION_ARGS)
{
	return BtydTrans(fcinfo, FitOptionsCached(fcinfo, 4, true, "bgnbd_fit"));
}

/* Combine of bgnbd_fit: concatenate the collected rows. */
Datum
pp_bgnbd_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/*
 * 22023 unless a purchase-model fit has enough data: at least
 * PORTRAIT_BGNBD_MIN_CUSTOMERS customers, some repeat buyers, a positive
 * mean observation time.  label names the model ("BG/NBD").
 */
static void
BtydCheckEnough(const char *label, int64 n, int64 repeaters, double meanT)
{
	const char *an = label[0] == 'M' ? "n" : "";

	/*
	 * Without repeat purchases the likelihood rises to 1 as r goes to 0,
	 * where the dropout parameters, and with them P(alive), are left open
	 * (bgnbd_fit, whose P(alive) is 1 there anyway, returns that limit
	 * before it gets here; btyd_compare, which fits all three, gets the
	 * BG/NBD's 22023 below).
	 */
	if (n >= PORTRAIT_BGNBD_MIN_CUSTOMERS && repeaters == 0 && meanT > 0 && strcmp(label, "BG/NBD") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("a%s %s fit has no limit on data without repeat purchases", an, label),
				 errdetail("The likelihood of %lld customers without repeat purchases is highest as r goes to 0, where the data leave P(alive) undetermined.",
						   (long long) n),
				 errhint("Fit bgnbd_fit, whose limit on such data is determined, or include customers with repeat purchases.")));
	if (n < PORTRAIT_BGNBD_MIN_CUSTOMERS || repeaters == 0 || meanT == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too few customers to fit a%s %s model", an, label),
				 errdetail("The fit got %lld customers, %lld of them with repeat purchases.",
						   (long long) n, (long long) repeaters),
				 errhint("The fit needs at least %d customers, some of them with repeat purchases, observed for some time.",
						 PORTRAIT_BGNBD_MIN_CUSTOMERS)));
}

/*
 * The fit's data from the collected rows (FitSpec.prepare of BG/NBD,
 * MBG/NBD and, with its own start, Pareto/NBD): too few customers are an
 * error, the start is r = a = b = 1 and alpha of the order of the
 * observation times.
 */
void *
BgnbdFitPrepare(double *rows, int64 n, const FitOptions *o, double *theta, int64 *nobs,
				PortraitModelKind kind)
{
	const char *label = kind == PORTRAIT_KIND_MBGNBD ? "MBG/NBD" :
		(kind == PORTRAIT_KIND_PARETO_NBD ? "Pareto/NBD" : "BG/NBD");
	BgnbdData  *d = palloc0(sizeof(BgnbdData));
	int64		repeaters = 0;
	double		meanT;
	KahanSum	tsum = {0};

	BgnbdPrepare(rows, n, d);
	/* from the sorted rows: the start must not depend on the row order */
	for (int64 i = 0; i < d->nrows; i++)
	{
		if (d->x[i] > 0)
			repeaters += (int64) d->w[i];
		KahanAdd(&tsum, d->w[i] * d->T[i]);
	}
	meanT = KahanValue(&tsum) / n;
	BtydCheckEnough(label, n, repeaters, meanT);
	d->penalizer = o->penalizer;
	d->kind = kind;
	d->shift = kind == PORTRAIT_KIND_MBGNBD ? 1 : 0;
	theta[0] = 0;
	theta[1] = log(meanT);
	theta[2] = 0;
	theta[3] = 0;
	*nobs = n;
	return d;
}

static void *
BgnbdSpecPrepare(double *rows, int64 n, const FitOptions *o, double *theta, int64 *nobs)
{
	return BgnbdFitPrepare(rows, n, o, theta, nobs, PORTRAIT_KIND_BGNBD);
}

/*
 * The unpenalised log-likelihood sum at the fitted parameters (FitSpec.loglik
 * of the three purchase models), summed in the rows' canonical order.
 */
double
BtydSpecLoglik(void *arg, const double *pv, const OptimResult *res, const FitOptions *o)
{
	const BgnbdData *d = arg;
	BgnbdParams p = {0};
	KahanSum	ll = {0};

	p.kind = d->kind;
	p.r = pv[0];
	p.alpha = pv[1];
	if (d->kind == PORTRAIT_KIND_PARETO_NBD)
	{
		p.s = pv[2];
		p.beta = pv[3];
	}
	else
	{
		p.a = pv[2];
		p.b = pv[3];
	}
	for (int64 i = 0; i < d->nrows; i++)
	{
		PORTRAIT_ROW_INTERRUPTS(i);
		KahanAdd(&ll, d->w[i] * BtydLoglik(&p, d->x[i], d->t_x[i], d->T[i]));
	}
	return KahanValue(&ll);
}

static const char *const bgnbd_param_names[] = {"r", "alpha", "a", "b"};

/*
 * On some data the likelihood keeps rising as a and b grow together (every
 * customer drops out with about the same probability): past 1e8 the fit
 * is reported as not converged.
 */
const FitSpec BgnbdFitSpec = {
	"bgnbd_fit", "BG/NBD", PORTRAIT_KIND_BGNBD, BGNBD_NPARAMS, bgnbd_param_names, true,
	BGNBD_GTOL, false, PORTRAIT_BGNBD_MAX_PARAM, BgnbdSpecPrepare, BgnbdObjective,
	BtydSpecLoglik, NULL
};

/*
 * The BG/NBD's limit on data without repeat purchases, or NULL for other
 * data: each customer's likelihood (alpha/(alpha+T))^r rises to 1 as r goes
 * to 0, the rate of every customer's purchases then being 0.  Dropouts
 * happen only after purchases, so the limit's predictions are determined
 * (P(alive) = 1, no expected purchases) whatever alpha, a and b; the model
 * records r = 0, alpha = the longest T and a = b = 1.
 */
static PortraitModel *
BgnbdNoRepeatLimit(PointsState *ps)
{
	double		maxT = 0;
	FitOptions	o;
	FitResult	fr;
	int64		n;

	if (ps->n < PORTRAIT_BGNBD_MIN_CUSTOMERS)
		return NULL;
	for (int64 i = 0; i < ps->n; i++)
	{
		if (ps->values[i * 3] > 0)
			return NULL;
		maxT = Max(maxT, ps->values[i * 3 + 2]);
	}
	if (maxT == 0)
		return NULL;
	pfree(FitPointsRows(ps, true, "bgnbd_fit", &o, &n));
	memset(&fr, 0, sizeof(fr));
	fr.n = fr.nobs = n;
	fr.params[0] = 0;
	fr.params[1] = maxT;
	fr.params[2] = 1;
	fr.params[3] = 1;
	fr.log_likelihood = 0;
	fr.converged = true;
	return FitModel(&BgnbdFitSpec, &fr, &o);
}

/*
 * Final function of bgnbd_fit: the maximum-likelihood fit as a model (its
 * limit on data without repeat purchases).
 */
Datum
pp_bgnbd_fit_final(PG_FUNCTION_ARGS)
{
	if (!PG_ARGISNULL(0))
	{
		PortraitModel *limit = BgnbdNoRepeatLimit(PointsRead(PG_GETARG_DATUM(0)));

		if (limit != NULL)
			PG_RETURN_POINTER(limit);
	}
	return FitFinal(fcinfo, &BgnbdFitSpec);
}

/* ---------- scoring ---------- */

/* The models the scoring functions of this file accept. */
static const PortraitModelKind btyd_kinds[] = {
	PORTRAIT_KIND_BGNBD, PORTRAIT_KIND_MBGNBD, PORTRAIT_KIND_PARETO_NBD
};

/* The bgnbd, mbgnbd or pareto_nbd model in argument argno, parsed once per query. */
const BgnbdParams *
BtydCachedParams(FunctionCallInfo fcinfo, void **slot, int argno, const char *func)
{
	return ModelCachedAny(fcinfo, slot, argno, btyd_kinds, lengthof(btyd_kinds), func,
						  BgnbdParseModel);
}

static const BgnbdParams *
CachedParams(FunctionCallInfo fcinfo, int argno, const char *func)
{
	return BtydCachedParams(fcinfo, &fcinfo->flinfo->fn_extra, argno, func);
}

/* The shift of the dropout terms: 1 for MBG/NBD, 0 for BG/NBD. */
static inline int
Shift(const BgnbdParams *p)
{
	return p->kind == PORTRAIT_KIND_MBGNBD ? 1 : 0;
}

/* One customer's log-likelihood under any of the three models. */
static double
BtydLoglik(const BgnbdParams *p, double x, double t_x, double T)
{
	BgnbdGroupTerms g;

	if (p->kind == PORTRAIT_KIND_PARETO_NBD)
		return ParetoNbdLoglik(p, x, t_x, T);
	BgnbdGroup(p, Shift(p), x, false, &g);
	return BgnbdRow(p, &g, Shift(p), x, t_x, T, NULL);
}

/* btyd_loglik(x, t_x, T, model): one customer's log-likelihood under any churn model. */
Datum
pp_btyd_loglik(PG_FUNCTION_ARGS)
{
	double		x = PG_GETARG_FLOAT8(0);
	double		t_x = PG_GETARG_FLOAT8(1);
	double		T = PG_GETARG_FLOAT8(2);
	const BgnbdParams *p = CachedParams(fcinfo, 3, "btyd_loglik");

	BgnbdCheckCustomer(x, t_x, T);
	PG_RETURN_FLOAT8(CheckScore(BtydLoglik(p, x, t_x, T), "btyd_loglik"));
}

/* bgnbd_loglik(x, t_x, T, model): one customer's log-likelihood. */
Datum
pp_bgnbd_loglik(PG_FUNCTION_ARGS)
{
	double		x = PG_GETARG_FLOAT8(0);
	double		t_x = PG_GETARG_FLOAT8(1);
	double		T = PG_GETARG_FLOAT8(2);
	const BgnbdParams *p = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 3, PORTRAIT_KIND_BGNBD,
									   "bgnbd_loglik", BgnbdParseModel);
	BgnbdGroupTerms g;

	BgnbdCheckCustomer(x, t_x, T);
	BgnbdGroup(p, 0, x, false, &g);
	PG_RETURN_FLOAT8(CheckScore(BgnbdRow(p, &g, 0, x, t_x, T, NULL), "bgnbd_loglik"));
}

/*
 * ln of the odds of having dropped out: P(dead) / P(alive) = [x > 0]
 * a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x); -Infinity when
 * x = 0 (the BG/NBD lets customers drop out only right after a repeat
 * purchase).  The MBG/NBD has a / (b + x) for every x, the Pareto/NBD its
 * own (pareto_nbd.c).
 */
static double
BgnbdLogDeadOdds(const BgnbdParams *p, double x, double t_x, double T)
{
	int			k = Shift(p);

	if (p->kind == PORTRAIT_KIND_PARETO_NBD)
		return ParetoNbdLogDeadOdds(p, x, t_x, T);
	if (x == 0 && k == 0)
		return -INFINITY;
	return log(p->a) - log(p->b + x - 1 + k) + (p->r + x) * (log(p->alpha + T) - log(p->alpha + t_x));
}

/* 1 / (1 + exp(v)) without overflow. */
double
BtydLogistic(double v)
{
	if (v > 0)
		return exp(-v) / (1 + exp(-v));
	return 1 / (1 + exp(v));
}

/* The log dead-odds of the customer (x, t_x, T) in arguments 0-2 under the model in 3. */
static double
DeadOddsArgs(FunctionCallInfo fcinfo, const char *func)
{
	double		x = PG_GETARG_FLOAT8(0);
	double		t_x = PG_GETARG_FLOAT8(1);
	double		T = PG_GETARG_FLOAT8(2);
	const BgnbdParams *p = CachedParams(fcinfo, 3, func);

	BgnbdCheckCustomer(x, t_x, T);
	return BgnbdLogDeadOdds(p, x, t_x, T);
}

/* p_alive(x, t_x, T, model) */
Datum
pp_p_alive(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(CheckScore(BtydLogistic(DeadOddsArgs(fcinfo, "p_alive")), "p_alive"));
}

/* 1 - p_alive, computed directly so that small risks keep their digits. */
Datum
pp_churn_risk(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(CheckScore(BtydLogistic(-DeadOddsArgs(fcinfo, "churn_risk")), "churn_risk"));
}

/* 22000/22023 unless the horizon t is finite and not negative. */
static void
CheckHorizon(double t)
{
	CheckFinite(t, "t");
	if (t < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("t must not be negative, not %g", t),
				 errdetail("t is the length of the future period, in the model's time unit.")));
}

/*
 * E[Y(t) | x, t_x, T]: expected purchases in the next t of a customer with
 * that history (FHL 2005, eq. 10):
 *
 *   (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
 *                        2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] P(alive)
 *
 * The bracket is 1 - exp(L), computed as -expm1(L) so that short horizons
 * keep their digits.  Near the boundary of the parameters (r, alpha and b
 * huge: a homogeneous Poisson buyer who rarely drops out) the two terms of
 * L are huge and cancel; there the Pfaff transformation turns the factor
 * times the bracket into (r+x) w G, w = t/(alpha+T), with G the excess
 * series of 2F1(r+x, a-1; a+b+x-1; -w) (PortraitHyp2f1Excess), which loses
 * nothing and has no pole at a = 1.  Elsewhere, at a = 1 the two factors
 * are 0/0 with a finite limit; within 1e-7 of it the mean of the values at
 * 1 -/+ 2e-7 is used.  A new customer is x = t_x = T = 0.
 */
double
BgnbdExpectedPurchases(const BgnbdParams *p, double t, double x, double t_x, double T)
{
	double		am1 = p->a - 1;
	int			k = Shift(p);
	double		big;
	double		z;
	double		w;
	int			sign;
	double		lf;
	double		L;
	double		c;

	sign = 1;
	if (t == 0)
		return 0;
	if (p->kind == PORTRAIT_KIND_PARETO_NBD)
		return ParetoNbdExpectedPurchases(p, t, x, t_x, T);
	big = p->alpha + T + t;
	z = t / big;
	w = t / (p->alpha + T);
	c = p->a + p->b + x - 1 + k;
	lf = fabs(am1) < 1e-7 ? 0 : PortraitLogHyp2f1(p->r + x, p->b + x + k, c, z, &sign);
	L = (p->r + x) * (log(p->alpha + T) - log(big)) + lf;
	if (w < 0.5 && (fabs(am1) < 1e-7 || fabs(L) < 1e-3 * fabs(lf)))
	{
		double		g;

		if (PortraitHyp2f1Excess(p->r + x, am1, c, -w, &g))
			return (p->r + x) * w * g * BtydLogistic(BgnbdLogDeadOdds(p, x, t_x, T));
	}
	if (fabs(am1) < 1e-7)
	{
		BgnbdParams lo = *p;
		BgnbdParams hi = *p;

		lo.a = 1 - 2e-7;
		hi.a = 1 + 2e-7;
		return (BgnbdExpectedPurchases(&lo, t, x, t_x, T) + BgnbdExpectedPurchases(&hi, t, x, t_x, T)) / 2;
	}
	{
		double		bracket = sign > 0 ? -expm1(L) : 1 + (sign < 0 ? exp(L) : 0);

		return c / am1 * bracket * BtydLogistic(BgnbdLogDeadOdds(p, x, t_x, T));
	}
}

/* expected_purchases(model, t, x, t_x, T) */
Datum
pp_expected_purchases(PG_FUNCTION_ARGS)
{
	const BgnbdParams *p = CachedParams(fcinfo, 0, "expected_purchases");
	double		t = PG_GETARG_FLOAT8(1);
	double		x = PG_GETARG_FLOAT8(2);
	double		t_x = PG_GETARG_FLOAT8(3);
	double		T = PG_GETARG_FLOAT8(4);

	CheckHorizon(t);
	BgnbdCheckCustomer(x, t_x, T);
	PG_RETURN_FLOAT8(CheckScore(BgnbdExpectedPurchases(p, t, x, t_x, T), "expected_purchases"));
}

/* expected_purchases(model, t): E[X(t)] of a customer who has just arrived. */
Datum
pp_expected_purchases_new(PG_FUNCTION_ARGS)
{
	const BgnbdParams *p = CachedParams(fcinfo, 0, "expected_purchases");
	double		t = PG_GETARG_FLOAT8(1);

	CheckHorizon(t);
	PG_RETURN_FLOAT8(CheckScore(BgnbdExpectedPurchases(p, t, 0, 0, 0), "expected_purchases"));
}

/*
 * P(X(t) = n) of a new customer (FHL 2005, eq. 8):
 *
 *   B(a, b+n)/B(a, b) NB(n) + [n > 0] B(a+1, b+n-1)/B(a, b) P(NB >= n)
 *
 * where NB is the negative binomial count with pmf
 * G(r+j)/(G(r) j!) p^r (1-p)^j, p = alpha/(alpha+t).  The tail P(NB >= n)
 * is 1 minus the head sum while the head is small, else summed directly,
 * so that neither end loses its digits to cancellation.
 */
static double
BgnbdProbPurchases(const BgnbdParams *p, double t, int64 n)
{
	double		r = p->r;
	double		lp;
	double		lq;
	double		lnb_n;
	double		first;
	double		head = 0;
	double		tail;
	double		pmf;

	if (t == 0)
		return n == 0 ? 1 : 0;
	lp = log(p->alpha) - log(p->alpha + t);
	lq = log(t) - log(p->alpha + t);
	lnb_n = PortraitLogGammaRatio(r, n) - lgamma(n + 1.0) + r * lp + n * lq;
	/* B(a, b+n) / B(a, b) NB(n) */
	first = exp(PortraitLogGammaRatio(p->b, n) - PortraitLogGammaRatio(p->a + p->b, n) + lnb_n);
	if (n == 0)
		return first;

	/* head: pmf_0 .. pmf_{n-1} by the ratio recurrence */
	pmf = exp(r * lp);
	for (int64 j = 0; j < n && head <= 0.5; j++)
	{
		head += pmf;
		pmf *= (r + j) / (j + 1) * exp(lq);
		if ((j & 0xFFFFF) == 0xFFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	if (head <= 0.5)
		tail = 1 - head;
	else
	{
		/* tail: pmf_n, pmf_{n+1}, ... until the rest is negligible */
		double		q = exp(lq);

		tail = 0;
		pmf = exp(lnb_n);
		for (int64 j = n;; j++)
		{
			double		ratio = (r + j) / (j + 1) * q;

			tail += pmf;
			pmf *= ratio;
			if (pmf == 0 || (ratio < 1 && pmf / (1 - ratio) <= DBL_EPSILON * tail))
				break;
			if (j - n > PORTRAIT_BGNBD_MAX_N)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("the purchase count distribution did not converge"),
						 errhint("Use a shorter horizon t.")));
			if ((j & 0xFFFFF) == 0xFFFFF)
				CHECK_FOR_INTERRUPTS();
		}
	}
	/* + B(a+1, b+n-1) / B(a, b) P(NB >= n) */
	return first + exp(log(p->a) + PortraitLogGammaRatio(p->b, n - 1) - PortraitLogGammaRatio(p->a + p->b, n)) * tail;
}

/* prob_purchases(model, t, n) */
Datum
pp_prob_purchases(PG_FUNCTION_ARGS)
{
	const BgnbdParams *p = CachedParams(fcinfo, 0, "prob_purchases");
	double		t = PG_GETARG_FLOAT8(1);
	int64		n = PG_GETARG_INT32(2);

	CheckHorizon(t);
	if (n < 0 || n > PORTRAIT_BGNBD_MAX_N)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n must be between 0 and %d, not %lld", PORTRAIT_BGNBD_MAX_N, (long long) n)));
	if (p->kind == PORTRAIT_KIND_PARETO_NBD)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("prob_purchases is not available for pareto_nbd models"),
				 errhint("Use a bgnbd or mbgnbd model.")));
	if (p->kind == PORTRAIT_KIND_MBGNBD)
	{
		/*
		 * MBG/NBD: with p the customer drops out at once (no purchase);
		 * otherwise she buys as a BG/NBD customer whose dropout
		 * probability, weighted by 1 - p, is Beta(a, b + 1).
		 */
		BgnbdParams q = *p;
		double		w0 = p->a / (p->a + p->b);

		q.b = p->b + 1;
		PG_RETURN_FLOAT8(CheckScore((n == 0 ? w0 : 0) + (1 - w0) * BgnbdProbPurchases(&q, t, n),
									"prob_purchases"));
	}
	PG_RETURN_FLOAT8(CheckScore(BgnbdProbPurchases(p, t, n), "prob_purchases"));
}

/* hyp2f1(a, b, c, z): the Gauss hypergeometric function, exposed for tests and users. */
Datum
pp_hyp2f1(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(PortraitHyp2f1(PG_GETARG_FLOAT8(0), PG_GETARG_FLOAT8(1),
									PG_GETARG_FLOAT8(2), PG_GETARG_FLOAT8(3)));
}
