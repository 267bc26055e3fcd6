/*
 * tree_model.c
 *		The decision_tree model: its fields and checks, scoring rows
 *		(tree_predict, tree_probability, tree_value, tree_leaf) and reading
 *		it as rules (tree_rules) or nodes (tree_nodes).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "trees.h"
#include "kmeans.h"

PG_FUNCTION_INFO_V1(pp_tree_predict);
PG_FUNCTION_INFO_V1(pp_tree_probability);
PG_FUNCTION_INFO_V1(pp_tree_value);
PG_FUNCTION_INFO_V1(pp_tree_leaf);
PG_FUNCTION_INFO_V1(pp_tree_rules);
PG_FUNCTION_INFO_V1(pp_tree_nodes);

static const ModelFieldSpec tree_fields[] = {
	{"task", MF_TEXT, true},
	{"criterion", MF_TEXT, true},
	{"dim", MF_INT, true},
	{"n", MF_INT, true},
	{"max_depth", MF_INT, true},
	{"min_samples_leaf", MF_INT, true},
	{"feature_names", MF_TEXT_ARRAY, false},
	{"categorical", MF_INT_ARRAY, false},
	{"classes", MF_TEXT_ARRAY, false},
	{"class_weight", MF_FLOAT_ARRAY, false},
	{"node_feature", MF_INT_ARRAY, true},
	{"node_threshold", MF_FLOAT_ARRAY, true},
	{"node_left", MF_INT_ARRAY, true},
	{"node_right", MF_INT_ARRAY, true},
	{"node_missing_left", MF_INT_ARRAY, true},
	{"node_missing", MF_INT_ARRAY, true},
	{"node_n", MF_INT_ARRAY, true},
	{"node_weight", MF_FLOAT_ARRAY, true},
	{"node_impurity", MF_FLOAT_ARRAY, true},
	{"node_value", MF_FLOAT_MATRIX, true},
	{"node_rows", MF_FLOAT_MATRIX, false},
	{"node_levels_start", MF_INT_ARRAY, true},
	{"levels", MF_FLOAT_ARRAY, true},
	{"max_bins", MF_INT, false},
	{"trainer", MF_TEXT, false},
};

/* 22P02 for a decision_tree model whose fields do not fit together. */
static void
pg_attribute_noreturn()
BadTreeModel(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid portrait.model"),
			 errdetail("%s", detail)));
}

/* Length of an array field of the model. */
static int
FieldLen(const PortraitModel *m, const char *name)
{
	const ModelField *f = ModelGetField(m, name);

	return f == NULL ? -1 : f->rows;
}

/*
 * Cross-field checks: children come after their parent (preorder), so
 * scoring always ends at a leaf; the arrays agree in length.
 */
static void
TreeValidate(const PortraitModel *m)
{
	const char *task = ModelGetText(m, "task");
	bool		classify = strcmp(task, "classification") == 0;
	int64		d = ModelGetInt(m, "dim");
	int			nn;
	int			len;
	int			rows;
	int			cols;
	const int64 *feature = ModelGetIntArray(m, "node_feature", &nn);
	const int64 *left = ModelGetIntArray(m, "node_left", &len);
	const int64 *right;
	const int64 *start;
	int			nc = FieldLen(m, "classes");
	int		   *parents;

	if (!classify && strcmp(task, "regression") != 0)
		BadTreeModel("Field \"task\" must be \"classification\" or \"regression\".");
	if (d < 1 || d > PORTRAIT_TREE_MAX_DIM || nn < 1)
		BadTreeModel("A decision_tree model needs 1 <= dim <= 1000 and at least one node.");
	if (classify && (nc < 1 || FieldLen(m, "class_weight") != nc || FieldLen(m, "node_rows") != nn))
		BadTreeModel("A classification tree needs classes, class_weight and node_rows.");
	right = ModelGetIntArray(m, "node_right", &len);
	if (FieldLen(m, "node_left") != nn || len != nn || FieldLen(m, "node_threshold") != nn ||
		FieldLen(m, "node_missing_left") != nn || FieldLen(m, "node_missing") != nn || FieldLen(m, "node_n") != nn ||
		FieldLen(m, "node_weight") != nn || FieldLen(m, "node_impurity") != nn)
		BadTreeModel("The node fields must hold one value per node.");
	ModelGetFloatMatrix(m, "node_value", &rows, &cols);
	if (rows != nn || cols != (classify ? nc : 1))
		BadTreeModel("Field \"node_value\" must hold a row per node (one value per class).");
	if (classify)
	{
		ModelGetFloatMatrix(m, "node_rows", &rows, &cols);
		if (cols != nc)
			BadTreeModel("Field \"node_rows\" must hold a row count per class.");
	}
	start = ModelGetIntArray(m, "node_levels_start", &len);
	if (len != nn + 1 || start[0] != 0 || start[nn] != FieldLen(m, "levels"))
		BadTreeModel("Field \"node_levels_start\" must hold nodes + 1 offsets into levels.");
	parents = palloc0(sizeof(int) * nn);
	for (int i = 0; i < nn; i++)
	{
		if (start[i + 1] < start[i])
			BadTreeModel("Field \"node_levels_start\" must not decrease.");
		if (feature[i] == -1)
			continue;
		if (feature[i] < 0 || feature[i] >= d || left[i] <= i || left[i] >= nn || right[i] <= i || right[i] >= nn)
			BadTreeModel("A split node must name a feature and have both children after it.");
		parents[left[i]]++;
		parents[right[i]]++;
	}
	/* a tree: every node but the root the child of exactly one node */
	for (int i = 1; i < nn; i++)
		if (parents[i] != 1)
			BadTreeModel("Every node but the root must be the child of exactly one node.");
	pfree(parents);
	if (FieldLen(m, "feature_names") >= 0 && FieldLen(m, "feature_names") != d)
		BadTreeModel("Field \"feature_names\" must hold dim names.");
}

const ModelKindSpec DecisionTreeModelKind = {
	PORTRAIT_KIND_DECISION_TREE, "decision_tree", tree_fields, lengthof(tree_fields), TreeValidate
};

/* ---------- scoring ---------- */

/* The text array field name as d C strings. */
static const char **
TextArray(const PortraitModel *m, const char *name, int n)
{
	int			len;
	const char *s = ModelGetTextArray(m, name, &len);
	const char **out = palloc(sizeof(char *) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		out[i] = s;
		s += strlen(s) + 1;
	}
	return out;
}

/* A tree as scoring reads it. */
void *
TreeParse(const PortraitModel *m, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	TreeModel  *t = palloc0(sizeof(TreeModel));
	int			len;
	int			cols;

	t->task = strcmp(ModelGetText(m, "task"), "classification") == 0 ? TREE_CLASSIFICATION : TREE_REGRESSION;
	t->d = ModelGetInt(m, "dim");
	t->feature = ModelGetIntArray(m, "node_feature", &t->nnodes);
	t->threshold = ModelGetFloatArray(m, "node_threshold", &len);
	t->left = ModelGetIntArray(m, "node_left", &len);
	t->right = ModelGetIntArray(m, "node_right", &len);
	t->missing_left = ModelGetIntArray(m, "node_missing_left", &len);
	t->nmissing = ModelGetIntArray(m, "node_missing", &len);
	t->cat_start = ModelGetIntArray(m, "node_levels_start", &len);
	t->levels = ModelGetFloatArray(m, "levels", &len);
	t->value = ModelGetFloatMatrix(m, "node_value", &len, &cols);
	t->n = ModelGetIntArray(m, "node_n", &len);
	if (t->task == TREE_CLASSIFICATION)
	{
		t->nclasses = FieldLen(m, "classes");
		t->classes = TextArray(m, "classes", t->nclasses);
		t->rows = ModelGetFloatMatrix(m, "node_rows", &len, &cols);
	}
	t->names = KmFeatureNames(m, t->d, NULL);
	t->row = palloc(sizeof(double) * t->d);
	MemoryContextSwitchTo(old);
	return t;
}

/* Whether row x goes left at split node i. */
static inline bool
NodeGoesLeft(const TreeModel *t, int64 i, const double *x)
{
	double		v = x[t->feature[i]];

	if (isnan(v))
		return t->missing_left[i] != 0;
	if (t->cat_start[i + 1] == t->cat_start[i])
		return v <= t->threshold[i];
	for (int64 l = t->cat_start[i]; l < t->cat_start[i + 1]; l++)
		if (t->levels[l] == v)
			return true;
	return false;
}

/* The leaf row x falls in. */
int64
TreeLeafOf(const TreeModel *t, const double *x)
{
	int64		i = 0;

	while (t->feature[i] >= 0)
		i = NodeGoesLeft(t, i, x) ? t->left[i] : t->right[i];
	return i;
}

/* The predicted class of a node: the largest weighted count, the first on a tie. */
int
TreeLeafClass(const TreeModel *t, int64 leaf)
{
	const double *v = t->value + leaf * t->nclasses;
	int			best = 0;

	for (int k = 1; k < t->nclasses; k++)
		if (v[k] > v[best])
			best = k;
	return best;
}

/* The model at argno 0 and the leaf of the features at argno 1. */
static TreeModel *
TreeArgs(FunctionCallInfo fcinfo, const char *func, int64 *leaf)
{
	TreeModel  *t = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 0, PORTRAIT_KIND_DECISION_TREE,
								func, TreeParse);
	int			d = TreeFeaturesArg(fcinfo, 1, t->row, t->d);

	if (d != t->d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d values but the model was fitted on %d", d, t->d),
				 errhint("Pass the same features, in the same order, as to the fit.")));
	*leaf = TreeLeafOf(t, t->row);
	return t;
}

/* 22023: a function of one task called with a tree of the other. */
static void
CheckTask(const TreeModel *t, TreeTask task, const char *func)
{
	if (t->task != task)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a %s tree, not a %s tree", func,
						task == TREE_CLASSIFICATION ? "classification" : "regression",
						t->task == TREE_CLASSIFICATION ? "classification" : "regression"),
				 errhint(task == TREE_CLASSIFICATION ? "Use tree_value for a regression tree." :
						 "Use tree_predict or tree_probability for a classification tree.")));
}

/* tree_predict(model, features): the predicted class. */
Datum
pp_tree_predict(PG_FUNCTION_ARGS)
{
	int64		leaf;
	TreeModel  *t = TreeArgs(fcinfo, "tree_predict", &leaf);

	CheckTask(t, TREE_CLASSIFICATION, "tree_predict");
	PG_RETURN_TEXT_P(cstring_to_text(t->classes[TreeLeafClass(t, leaf)]));
}

/* tree_probability(model, features, class): the leaf's weighted share of class (0 for an unknown class). */
Datum
pp_tree_probability(PG_FUNCTION_ARGS)
{
	int64		leaf;
	TreeModel  *t = TreeArgs(fcinfo, "tree_probability", &leaf);
	char	   *cls = text_to_cstring(PG_GETARG_TEXT_PP(2));
	const double *v;
	double		w = 0;
	double		c = 0;

	CheckTask(t, TREE_CLASSIFICATION, "tree_probability");
	v = t->value + leaf * t->nclasses;
	for (int k = 0; k < t->nclasses; k++)
	{
		w += v[k];
		if (strcmp(t->classes[k], cls) == 0)
			c = v[k];
	}
	PG_RETURN_FLOAT8(CheckScore(c / w, "tree_probability"));
}

/* tree_value(model, features): the leaf's mean target of a regression tree. */
Datum
pp_tree_value(PG_FUNCTION_ARGS)
{
	int64		leaf;
	TreeModel  *t = TreeArgs(fcinfo, "tree_value", &leaf);

	CheckTask(t, TREE_REGRESSION, "tree_value");
	PG_RETURN_FLOAT8(t->value[leaf]);
}

/* tree_leaf(model, features): the node number of the leaf, as tree_rules and tree_nodes number them. */
Datum
pp_tree_leaf(PG_FUNCTION_ARGS)
{
	int64		leaf;

	(void) TreeArgs(fcinfo, "tree_leaf", &leaf);
	PG_RETURN_INT32((int32) leaf);
}

/* ---------- rules ---------- */

/* One leaf as rules read it. */
typedef struct TreeRule
{
	int64		leaf;
	char	   *condition;
	const char *prediction;
	double		purity;			/* share of the leaf's rows in the predicted class; NaN for regression */
	double		value;
	int64		n;
} TreeRule;

/* A threshold or level in a rule: six significant digits, for reading (tree_nodes has them exact). */
static void
AppendRuleNumber(StringInfo buf, double x)
{
	appendStringInfo(buf, "%.6g", x);
}

/* A number as the shortest text that reads back the same. */
static Datum
NumberText(double x)
{
	StringInfoData buf;

	initStringInfo(&buf);
	PortraitFormatDouble(&buf, x);
	return CStringGetTextDatum(buf.data);
}

/* Whether the path's step b (its node path[b]) went left. */
static inline bool
PathLeft(const TreeModel *t, const int64 *path, int b, int depth, int64 leaf)
{
	return (b + 1 < depth ? path[b + 1] : leaf) == t->left[path[b]];
}

static int
CompareLevelValues(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : (x > y);
}

/*
 * The categorical tests of feature f on the path from step a, as one term:
 * the deepest IN test (its levels were all seen below the earlier tests)
 * less the levels of NOT IN tests after it, or without an IN test the union
 * of the NOT IN sets; "OR f IS NULL" where NULLs followed every test of the
 * path that training rows without f met.
 */
static void
CategoricalTerm(const TreeModel *t, int f, const int64 *path, int a, int depth, int64 leaf, bool *done,
				StringInfo buf)
{
	int			in = -1;
	bool		nulls = false;
	bool		seen = false;
	int			n = 0;
	int64		cap = 0;
	double	   *lv;

	for (int b = a; b < depth; b++)
	{
		int64		k = path[b];

		if (t->feature[k] != f || t->cat_start[k + 1] == t->cat_start[k])
			continue;
		done[b] = true;
		cap += t->cat_start[k + 1] - t->cat_start[k];
		if (PathLeft(t, path, b, depth, leaf))
			in = b;
		if (t->nmissing[k] > 0)
		{
			nulls = (seen ? nulls : true) && (t->missing_left[k] != 0) == PathLeft(t, path, b, depth, leaf);
			seen = true;
		}
	}
	lv = palloc(sizeof(double) * Max(cap, 1));
	if (in >= 0)
	{
		int64		k = path[in];

		for (int64 l = t->cat_start[k]; l < t->cat_start[k + 1]; l++)
		{
			bool		out = false;

			for (int b = in + 1; b < depth && !out; b++)
			{
				int64		q = path[b];

				if (t->feature[q] != f || t->cat_start[q + 1] == t->cat_start[q] || PathLeft(t, path, b, depth, leaf))
					continue;
				for (int64 m = t->cat_start[q]; m < t->cat_start[q + 1] && !out; m++)
					out = t->levels[m] == t->levels[l];
			}
			if (!out)
				lv[n++] = t->levels[l];
		}
	}
	else
	{
		for (int b = a; b < depth; b++)
		{
			int64		q = path[b];

			if (t->feature[q] != f || t->cat_start[q + 1] == t->cat_start[q])
				continue;
			for (int64 m = t->cat_start[q]; m < t->cat_start[q + 1]; m++)
				lv[n++] = t->levels[m];
		}
		qsort(lv, n, sizeof(double), CompareLevelValues);
	}
	if (nulls)
		appendStringInfoChar(buf, '(');
	appendStringInfo(buf, "%s %sIN (", t->names[f], in >= 0 ? "" : "NOT ");
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && lv[i] == lv[i - 1])
			continue;
		if (i > 0)
			appendStringInfoString(buf, ", ");
		AppendRuleNumber(buf, lv[i]);
	}
	appendStringInfoChar(buf, ')');
	if (nulls)
		appendStringInfo(buf, " OR %s IS NULL)", t->names[f]);
	pfree(lv);
}

/*
 * The condition of the path from the root to each leaf: per numeric feature
 * the tightest bounds ("a < x <= b"), categorical tests as IN / NOT IN, an
 * "OR x IS NULL" where the rows without the feature followed this path.
 */
static void
PathConditions(const TreeModel *t, int64 node, int64 *path, int depth, TreeRule *rules, int *nrules)
{
	/* a model read from text may be deeper than a fit makes */
	check_stack_depth();
	if (t->feature[node] >= 0)
	{
		path[depth] = node;
		PathConditions(t, t->left[node], path, depth + 1, rules, nrules);
		PathConditions(t, t->right[node], path, depth + 1, rules, nrules);
		return;
	}
	{
		StringInfoData buf;
		TreeRule   *r = &rules[(*nrules)++];
		bool	   *done = palloc0(sizeof(bool) * (depth + 1));

		initStringInfo(&buf);
		for (int a = 0; a < depth; a++)
		{
			int64		i = path[a];
			int			f = t->feature[i];
			bool		categorical = t->cat_start[i + 1] > t->cat_start[i];
			bool		has_lo = false;
			bool		has_hi = false;
			double		lo = 0;
			double		hi = 0;
			bool		nulls = false;
			bool		seen = false;
			bool		term = false;

			if (done[a])
				continue;
			if (buf.len > 0)
				appendStringInfoString(&buf, " AND ");
			if (categorical)
			{
				CategoricalTerm(t, f, path, a, depth, node, done, &buf);
				continue;
			}
			/* every numeric test of this feature on the path, merged */
			for (int b = a; b < depth; b++)
			{
				int64		k = path[b];
				bool		kleft = PathLeft(t, path, b, depth, node);

				if (t->feature[k] != f || t->cat_start[k + 1] > t->cat_start[k])
					continue;
				done[b] = true;
				if (t->nmissing[k] > 0)
				{
					nulls = (seen ? nulls : true) && (t->missing_left[k] != 0) == kleft;
					seen = true;
				}
				if (kleft && (!has_hi || t->threshold[k] < hi))
					hi = t->threshold[k], has_hi = true;
				if (!kleft && (!has_lo || t->threshold[k] > lo))
					lo = t->threshold[k], has_lo = true;
			}
			if (nulls)
				appendStringInfoChar(&buf, '(');
			if (has_lo && has_hi)
			{
				AppendRuleNumber(&buf, lo);
				appendStringInfo(&buf, " < %s <= ", t->names[f]);
				AppendRuleNumber(&buf, hi);
				term = true;
			}
			else if (has_lo)
				appendStringInfo(&buf, "%s > ", t->names[f]);
			else
				appendStringInfo(&buf, "%s <= ", t->names[f]);
			if (!term)
				AppendRuleNumber(&buf, has_lo ? lo : hi);
			if (nulls)
				appendStringInfo(&buf, " OR %s IS NULL)", t->names[f]);
		}
		if (buf.len == 0)
			appendStringInfoString(&buf, "all rows");
		r->leaf = node;
		r->condition = buf.data;
		r->n = t->n[node];
		if (t->task == TREE_CLASSIFICATION)
		{
			int			c = TreeLeafClass(t, node);
			double		total = 0;

			for (int k = 0; k < t->nclasses; k++)
				total += t->rows[node * t->nclasses + k];
			r->prediction = t->classes[c];
			r->purity = total > 0 ? t->rows[node * t->nclasses + c] / total : 0;
			r->value = NAN;
		}
		else
		{
			r->prediction = NULL;
			r->value = t->value[node];
			r->purity = NAN;
		}
		pfree(done);
	}
}

/* Every leaf's rule, in node order. */
static TreeRule *
TreeRules(const TreeModel *t, int *nrules)
{
	TreeRule   *rules = palloc(sizeof(TreeRule) * t->nnodes);
	int64	   *path = palloc(sizeof(int64) * t->nnodes);

	*nrules = 0;
	PathConditions(t, 0, path, 0, rules, nrules);
	return rules;
}

/* The sentence of a rule: "condition → class 83% (n = 412)" or "condition → value (n = 412)". */
static char *
RuleText(const TreeRule *r)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s → ", r->condition);
	if (r->prediction != NULL)
		appendStringInfo(&buf, "%s %.0f%%", r->prediction, 100 * r->purity);
	else
		appendStringInfo(&buf, "%.4g", r->value);
	appendStringInfo(&buf, " (n = %lld)", (long long) r->n);
	return buf.data;
}

/*
 * The rules of a tree as a text[]: all leaves, or (segment not NULL) the
 * leaves that predict segment, largest first (then by node).
 */
Datum
TreeRulesArray(const TreeModel *t, const char *segment)
{
	int			nr;
	TreeRule   *rules = TreeRules(t, &nr);
	Datum	   *out = palloc(sizeof(Datum) * Max(nr, 1));
	int			m = 0;
	bool	   *used = palloc0(sizeof(bool) * Max(nr, 1));

	for (;;)
	{
		int			best = -1;

		for (int i = 0; i < nr; i++)
			if (!used[i] && (segment == NULL || strcmp(rules[i].prediction, segment) == 0) &&
				(best < 0 || rules[i].n > rules[best].n))
				best = i;
		if (best < 0)
			break;
		used[best] = true;
		out[m++] = CStringGetTextDatum(RuleText(&rules[best]));
	}
	return PointerGetDatum(construct_array(out, m, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The tree argument of a set-returning function, and its tuplestore set up. */
static TreeModel *
SrfTree(FunctionCallInfo fcinfo, const char *func, PortraitModel **model)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);

	ModelCheckKind(m, PORTRAIT_KIND_DECISION_TREE, func);
	InitMaterializedSRF(fcinfo, 0);
	if (model != NULL)
		*model = m;
	return TreeParse(m, CurrentMemoryContext);
}

/* tree_rules(model): one row per leaf. */
Datum
pp_tree_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TreeModel  *t = SrfTree(fcinfo, "tree_rules", NULL);
	int			nr;
	TreeRule   *rules = TreeRules(t, &nr);
	int64		total = t->n[0];

	for (int i = 0; i < nr; i++)
	{
		Datum		values[7];
		bool		nulls[7] = {0};
		TreeRule   *r = &rules[i];

		values[0] = Int32GetDatum((int32) r->leaf);
		values[1] = CStringGetTextDatum(r->condition);
		if (r->prediction != NULL)
		{
			values[2] = CStringGetTextDatum(r->prediction);
			values[3] = Float8GetDatum(r->purity);
		}
		else
		{
			values[2] = NumberText(r->value);
			nulls[3] = true;
		}
		values[4] = Int64GetDatum(r->n);
		values[5] = Float8GetDatum(total > 0 ? (double) r->n / total : 0);
		values[6] = CStringGetTextDatum(RuleText(r));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* tree_nodes(model): one row per node, in preorder (scikit-learn's numbering). */
Datum
pp_tree_nodes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PortraitModel *m;
	TreeModel  *t = SrfTree(fcinfo, "tree_nodes", &m);
	int			len;
	const double *impurity = ModelGetFloatArray(m, "node_impurity", &len);
	int		   *depth = palloc0(sizeof(int) * t->nnodes);

	for (int i = 0; i < t->nnodes; i++)
	{
		Datum		values[11];
		bool		nulls[11] = {0};
		bool		split = t->feature[i] >= 0;

		if (split)
			depth[t->left[i]] = depth[t->right[i]] = depth[i] + 1;
		values[0] = Int32GetDatum(i);
		values[1] = Int32GetDatum(depth[i]);
		values[2] = Int32GetDatum(split ? t->feature[i] + 1 : 0);
		nulls[2] = !split;
		values[3] = split ? CStringGetTextDatum(t->names[t->feature[i]]) : (Datum) 0;
		nulls[3] = !split;
		nulls[4] = !split || t->cat_start[i + 1] > t->cat_start[i];
		values[4] = Float8GetDatum(t->threshold[i]);
		nulls[5] = t->cat_start[i + 1] == t->cat_start[i];
		if (!nulls[5])
			values[5] = PortraitFloat8ArrayDatum(t->levels + t->cat_start[i], t->cat_start[i + 1] - t->cat_start[i]);
		values[6] = Int32GetDatum(split ? t->left[i] : 0);
		nulls[6] = !split;
		values[7] = Int32GetDatum(split ? t->right[i] : 0);
		nulls[7] = !split;
		values[8] = Int64GetDatum(t->n[i]);
		if (t->task == TREE_CLASSIFICATION)
			values[9] = CStringGetTextDatum(t->classes[TreeLeafClass(t, i)]);
		else
			values[9] = NumberText(t->value[i]);
		values[10] = Float8GetDatum(impurity[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
