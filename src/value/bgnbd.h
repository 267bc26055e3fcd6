/*
 * bgnbd.h
 *		The BG/NBD model as gamma_gamma.c's clv reads it: private to the
 *		value family.
 */
#ifndef PORTRAIT_BGNBD_H
#define PORTRAIT_BGNBD_H

#include "portrait.h"

typedef struct BgnbdParams
{
	double		r;
	double		alpha;
	double		a;
	double		b;
	int			unit;			/* FitTimeUnit */
} BgnbdParams;

extern void *BgnbdParseModel(const PortraitModel *m, MemoryContext cxt);
extern double BgnbdExpectedPurchases(const BgnbdParams *p, double t, double x, double t_x, double T);
extern void BgnbdCheckCustomer(double x, double t_x, double T);

#endif							/* PORTRAIT_BGNBD_H */
