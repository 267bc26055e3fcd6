/*
 * bgnbd.h
 *		The BG/NBD, MBG/NBD and Pareto/NBD models as their files and
 *		gamma_gamma.c's clv read them: private to the value family.
 */
#ifndef PORTRAIT_BGNBD_H
#define PORTRAIT_BGNBD_H

#include "portrait.h"

/* The parameters of a bgnbd, mbgnbd or pareto_nbd model. */
typedef struct BgnbdParams
{
	double		r;
	double		alpha;
	double		a;				/* bgnbd, mbgnbd: dropout p ~ Beta(a, b) */
	double		b;
	double		s;				/* pareto_nbd: dropout rate mu ~ Gamma(s, beta) */
	double		beta;
	int			unit;			/* FitTimeUnit */
	int			kind;			/* PortraitModelKind */
} BgnbdParams;

/* Distinct (x, t_x, T) rows with their counts, sorted; rows of one x contiguous. */
typedef struct BgnbdData
{
	int64		nrows;			/* distinct rows */
	double	   *x;
	double	   *t_x;
	double	   *T;
	double	   *w;				/* customers with this row */
	int64		ngroups;		/* distinct x values */
	int64	   *group_start;	/* first row of each group, ngroups + 1 entries */
	double		n;				/* customers */
	double		penalizer;
	int			kind;			/* PortraitModelKind of the fit */
	int			shift;			/* 1 MBG/NBD, 0 BG/NBD (Pareto/NBD does not read it) */
	int64		nT;				/* distinct T values */
	double	   *T_values;		/* them, sorted */
	int32	   *T_index;		/* each row's T among them */
	double	   *lT;				/* BgnbdObjective's ln(alpha + T_values[j]) */
} BgnbdData;

#define BGNBD_NFIELDS 10
extern const ModelFieldSpec BgnbdFields[BGNBD_NFIELDS];

extern void *BgnbdParseModel(const PortraitModel *m, MemoryContext cxt);
extern const BgnbdParams *BtydCachedParams(FunctionCallInfo fcinfo, void **slot, int argno,
										   const char *func);
extern double BgnbdExpectedPurchases(const BgnbdParams *p, double t, double x, double t_x, double T);
extern void BgnbdCheckCustomer(double x, double t_x, double T);
extern void BtydValidate(const PortraitModel *m);
extern Datum BtydTrans(FunctionCallInfo fcinfo, const FitOptions *o);
extern double BtydLogistic(double v);

/* the BG/NBD likelihood and data, which the MBG/NBD (shift 1) and Pareto/NBD fits share */
extern void *BgnbdFitPrepare(double *rows, int64 n, const FitOptions *o, double *theta,
							 int64 *nobs, PortraitModelKind kind);
extern double BgnbdObjective(const double *theta, double *grad, void *arg);
extern double BtydSpecLoglik(void *arg, const double *pv, const OptimResult *res,
							  const FitOptions *o);
extern const FitSpec BgnbdFitSpec;
extern const FitSpec MbgnbdFitSpec;

/* pareto_nbd.c */
extern const FitSpec ParetoNbdFitSpec;
extern double ParetoNbdLoglik(const BgnbdParams *p, double x, double t_x, double T);
extern double ParetoNbdLogDeadOdds(const BgnbdParams *p, double x, double t_x, double T);
extern double ParetoNbdExpectedPurchases(const BgnbdParams *p, double t, double x, double t_x,
										 double T);

#endif							/* PORTRAIT_BGNBD_H */
