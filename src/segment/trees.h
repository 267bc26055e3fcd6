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
#define PORTRAIT_TREE_MAX_LEAF			1000000000
#define PORTRAIT_TREE_DEFAULT_BINS		32
#define PORTRAIT_TREE_MAX_BINS			1024

typedef enum TreeTask
{
	TREE_CLASSIFICATION = 1,
	TREE_REGRESSION = 2
} TreeTask;

typedef enum TreeCriterion
{
	TREE_GINI,
	TREE_ENTROPY,
	TREE_SQUARED_ERROR
} TreeCriterion;

/* The options of a tree fit, read from their canonical JSON text. */
typedef struct TreeOptions
{
	TreeTask	task;
	TreeCriterion criterion;
	int			max_depth;
	int64		min_samples_leaf;	/* 0: not given */
	bool		balanced;		/* class_weight "balanced" */
	int			nweights;		/* class_weight as an object */
	char	  **weight_labels;
	double	   *weight_values;
	int			nnames;
	char	  **names;
	int			ncategorical;	/* the categorical option: names or 1-based positions */
	char	  **categorical_names;
	int		   *categorical_pos;	/* 0 where a name was given */
	char	   *segment;		/* segment_rules: the segment against the rest */
	int			max_bins;		/* decision_tree_train: bins per feature */
} TreeOptions;

extern void TreeParseOptions(const char *text, const char *func, TreeTask task, TreeOptions *o);

/*
 * Rows to grow a tree on: n rows of d features (NaN where a feature is
 * NULL) and the target in column d (class number or value), in canonical
 * order; a weight per class.
 */
typedef struct TreeData
{
	const double *x;
	int64		n;
	int			d;
	int			nclasses;		/* 0 for regression */
	const char *const *classes;
	const double *class_weight;
	const bool *categorical;
} TreeData;

extern const ModelKindSpec DecisionTreeModelKind;

/* The nodes of a tree as a fit grows it (tree_fit.c). */
typedef struct TreeNodes
{
	int			nclasses;
	int			nvalue;			/* max(nclasses, 1) */
	int64		nnodes;
	int64		cap;
	int64	   *feature;		/* -1 for a leaf */
	double	   *threshold;
	int64	   *lchild;
	int64	   *rchild;
	int64	   *missing_left;
	int64	   *nmissing;
	int64	   *nrows;
	double	   *weight;
	double	   *impurity;
	double	   *value;			/* nnodes x nvalue */
	double	   *rowcounts;		/* nnodes x nvalue (classification) */
	int64	   *cat_start;
	double	   *levels;
	int64		nlevels;
	int64		levcap;
	double	   *scratch;		/* nvalue */
} TreeNodes;

extern void TreeNodesInit(TreeNodes *t, int nclasses);
extern int64 TreeNodesAdd(TreeNodes *t, int64 m, double w, double impurity, const double *value, const double *rows);
extern void TreeNodesSetLevels(TreeNodes *t, int64 id, const double *levels, int n);

extern PortraitModel *TreeGrow(const TreeData *data, const TreeOptions *o);
extern PortraitModel *TreeNodesModel(const TreeNodes *t, const TreeData *data, const TreeOptions *o,
									 const int64 *cat, int ncat, const char *trainer);
extern double TreeImpurity(TreeCriterion criterion, int nstats, const double *s, double w);
extern double TreeProxy(TreeCriterion criterion, int nstats, const double *l, const double *r);
extern double TreeProxyBase(TreeCriterion criterion, int nstats, const double *s);
extern int	TreeFeaturesArg(FunctionCallInfo fcinfo, int argno, double *buf, int max);

/* A tree as scoring reads it, parsed once per call site. */
typedef struct TreeModel
{
	TreeTask	task;
	int			d;
	int			nclasses;
	int			nnodes;
	const char **classes;
	const char **names;
	const int64 *feature;		/* -1 for a leaf */
	const double *threshold;
	const int64 *left;
	const int64 *right;
	const int64 *missing_left;
	const int64 *nmissing;		/* training rows without the split feature */
	const int64 *cat_start;		/* nnodes + 1 offsets into levels */
	const double *levels;
	const double *value;		/* nnodes x max(nclasses, 1) */
	const double *rows;			/* nnodes x nclasses row counts */
	const int64 *n;
	double	   *row;
} TreeModel;

extern void *TreeParse(const PortraitModel *m, MemoryContext cxt);
extern int64 TreeLeafOf(const TreeModel *t, const double *x);
extern int	TreeLeafClass(const TreeModel *t, int64 leaf);
extern Datum TreeRulesArray(const TreeModel *t, const char *segment);

#endif							/* PORTRAIT_TREES_H */
