/*
 * mbgnbd.c
 *		The MBG/NBD model of Batislam, Denizel & Filiztekin ("Empirical
 *		validation and comparison of models for customer base analysis",
 *		IJRM 24(3), 2007): the BG/NBD in which a customer may also drop out
 *		at her first purchase (model kind "mbgnbd"), so that a customer who
 *		never came back gets a churn risk that grows with the time since.
 *
 * The likelihood and the scoring are bgnbd.c's with the dropout terms
 * shifted by one; this file holds the model kind and the aggregate.
 */
#include "postgres.h"

#include "portrait.h"
#include "bgnbd.h"

PG_FUNCTION_INFO_V1(pp_mbgnbd_fit_trans);
PG_FUNCTION_INFO_V1(pp_mbgnbd_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_mbgnbd_fit_final);

/* The fields are the BG/NBD ones: r, alpha, a, b, unit and the fit report. */
const ModelKindSpec MbgnbdModelKind = {
	PORTRAIT_KIND_MBGNBD, "mbgnbd", BgnbdFields, BGNBD_NFIELDS, BtydValidate
};

/* The fit's data from the collected rows, with the dropout terms shifted. */
static void *
MbgnbdSpecPrepare(double *rows, int64 n, const FitOptions *o, double *theta, int64 *nobs)
{
	return BgnbdFitPrepare(rows, n, o, theta, nobs, PORTRAIT_KIND_MBGNBD);
}

static const char *const mbgnbd_param_names[] = {"r", "alpha", "a", "b"};

/* As for the BG/NBD, a and b past 1e8 are a boundary, not a maximum. */
const FitSpec MbgnbdFitSpec = {
	"mbgnbd_fit", "MBG/NBD", PORTRAIT_KIND_MBGNBD, 4, mbgnbd_param_names, true,
	1e-9, false, 1e8, MbgnbdSpecPrepare, BgnbdObjective, BtydSpecLoglik, NULL
};

/* mbgnbd_fit(x, t_x, T) transition. */
Datum
pp_mbgnbd_fit_trans(PG_FUNCTION_ARGS)
{
	return BtydTrans(fcinfo, NULL);
}

/* mbgnbd_fit(x, t_x, T, options) transition. */
Datum
pp_mbgnbd_fit_trans_options(PG_FUNCTION_ARGS)
{
	return BtydTrans(fcinfo, FitOptionsCached(fcinfo, 4, true, "mbgnbd_fit"));
}

/* Final function of mbgnbd_fit: the maximum-likelihood fit as a model. */
Datum
pp_mbgnbd_fit_final(PG_FUNCTION_ARGS)
{
	return FitFinal(fcinfo, &MbgnbdFitSpec);
}
