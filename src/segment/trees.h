/*
 * trees.h
 *		What the tree models of the segment family share: the isolation
 *		forest (iforest.c) and the CART decision tree (tree.c, explain.c).
 */
#ifndef PORTRAIT_TREES_H
#define PORTRAIT_TREES_H

#include "portrait.h"

/* ---------- isolation forest ---------- */

#define PORTRAIT_IFOREST_MAX_DIM		1000
#define PORTRAIT_IFOREST_DEFAULT_TREES	100
#define PORTRAIT_IFOREST_MAX_TREES		10000
#define PORTRAIT_IFOREST_DEFAULT_SAMPLES 256
#define PORTRAIT_IFOREST_MAX_SAMPLES	1000000
/* MAD times this estimates the standard deviation of normal data */
#define PORTRAIT_ROBUST_MAD_SCALE		1.4826
/* mean absolute deviation times this does, used where the MAD is 0 */
#define PORTRAIT_ROBUST_MEANAD_SCALE	1.253314
/* robust z from which anomaly_reasons names a feature */
#define PORTRAIT_IFOREST_REASON_Z		2.0
#define PORTRAIT_IFOREST_DEFAULT_REASONS 3

extern const ModelKindSpec IforestModelKind;

/* ---------- decision tree ---------- */

#define PORTRAIT_TREE_MAX_DIM			1000
#define PORTRAIT_TREE_MAX_DEPTH			30
#define PORTRAIT_TREE_DEFAULT_DEPTH		5
#define PORTRAIT_TREE_MAX_CLASSES		1000
#define PORTRAIT_TREE_MAX_LEVELS		1000
#define PORTRAIT_TREE_MAX_LABEL_BYTES	200

extern const ModelKindSpec DecisionTreeModelKind;

#endif							/* PORTRAIT_TREES_H */
