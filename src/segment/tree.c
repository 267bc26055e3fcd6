/*
 * tree.c
 *		The aggregates that fit CART trees: decision_tree_fit (classes),
 *		regression_tree_fit (values) and segment_rules (the readable rules
 *		of a shallow tree of segment membership); their options, their state
 *		and its class labels.
 *
 * The rows are collected in a portrait.points state of d + 1 values: the
 * features (NaN stands for a NULL feature, which input never holds since
 * NaN is refused) and the target.  For classification the target is the
 * number of the row's label in the state's dictionary, which lives in the
 * state's text after the options: one line per label, hex-encoded, in the
 * order the state first saw them.  The combine function merges two
 * dictionaries and renumbers the second state's rows; the final function
 * sorts the labels (byte order) and the rows, so the tree depends only on
 * the multiset of rows.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "trees.h"

PG_FUNCTION_INFO_V1(pp_decision_tree_fit_trans);
PG_FUNCTION_INFO_V1(pp_decision_tree_fit_combine);
PG_FUNCTION_INFO_V1(pp_decision_tree_fit_final);
PG_FUNCTION_INFO_V1(pp_regression_tree_fit_trans);
PG_FUNCTION_INFO_V1(pp_regression_tree_fit_combine);
PG_FUNCTION_INFO_V1(pp_regression_tree_fit_final);
PG_FUNCTION_INFO_V1(pp_segment_rules_trans);
PG_FUNCTION_INFO_V1(pp_segment_rules_final);

/* ---------- options ---------- */

typedef struct TreeOptionArgs
{
	TreeOptions *o;
	const char *func;
} TreeOptionArgs;

/* class_weight: "balanced" or an object of label: weight. */
static void
ClassWeightOption(JsonbValue *v, TreeOptions *o, const char *func)
{
	static const char *const should = "\"balanced\" or an object of positive weights by class label";
	JsonbIterator *it;
	JsonbValue	kv;
	JsonbIteratorToken tok;
	int			cap = 8;

	if (v->type == jbvString)
	{
		if (v->val.string.len != 8 || strncmp(v->val.string.val, "balanced", 8) != 0)
			PortraitBadOption(func, "class_weight", should);
		o->balanced = true;
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		PortraitBadOption(func, "class_weight", should);
	o->weight_labels = palloc(sizeof(char *) * cap);
	o->weight_values = palloc(sizeof(double) * cap);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &kv, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		if (o->nweights == cap)
		{
			cap *= 2;
			o->weight_labels = repalloc(o->weight_labels, sizeof(char *) * cap);
			o->weight_values = repalloc(o->weight_values, sizeof(double) * cap);
		}
		o->weight_labels[o->nweights] = pnstrdup(kv.val.string.val, kv.val.string.len);
		(void) JsonbIteratorNext(&it, &kv, true);
		o->weight_values[o->nweights] = PortraitOptionRange(&kv, func, "class_weight", 0, INFINITY, true,
															"an object of positive weights by class label");
		o->nweights++;
	}
}

/* categorical: an array of feature names or 1-based positions. */
static void
CategoricalOption(JsonbValue *v, TreeOptions *o, const char *func)
{
	static const char *const should = "an array of feature names or positions (1, 2, ...)";
	int			n;
	JsonbValue *e = PortraitOptionArray(v, func, "categorical", should, &n);

	o->ncategorical = n;
	o->categorical_names = palloc0(sizeof(char *) * Max(n, 1));
	o->categorical_pos = palloc0(sizeof(int) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (e[i].type == jbvString)
			o->categorical_names[i] = pnstrdup(e[i].val.string.val, e[i].val.string.len);
		else if (e[i].type == jbvNumeric)
			o->categorical_pos[i] = PortraitOptionInteger(&e[i], func, "categorical", 1, PORTRAIT_TREE_MAX_DIM);
		else
			PortraitBadOption(func, "categorical", should);
	}
}

/* One options key into TreeOptions (the visitor of PortraitForEachOption). */
static void
TreeOption(const char *key, JsonbValue *v, void *arg)
{
	TreeOptionArgs *a = arg;
	TreeOptions *o = a->o;
	bool		classify = o->task == TREE_CLASSIFICATION;
	bool		explain = strcmp(a->func, "segment_rules") == 0;
	bool		train = strcmp(a->func, "decision_tree_train") == 0;

	if (strcmp(key, "max_depth") == 0)
		o->max_depth = PortraitOptionInteger(v, a->func, key, 1, PORTRAIT_TREE_MAX_DEPTH);
	else if (strcmp(key, "min_samples_leaf") == 0)
		o->min_samples_leaf = PortraitOptionInteger(v, a->func, key, 1, PORTRAIT_TREE_MAX_LEAF);
	else if (strcmp(key, "criterion") == 0)
	{
		const char *should = classify ? "\"gini\" or \"entropy\"" : "\"squared_error\"";
		char	   *s = PortraitOptionString(v, a->func, key, should);

		if (classify && strcmp(s, "gini") == 0)
			o->criterion = TREE_GINI;
		else if (classify && strcmp(s, "entropy") == 0)
			o->criterion = TREE_ENTROPY;
		else if (!classify && strcmp(s, "squared_error") == 0)
			o->criterion = TREE_SQUARED_ERROR;
		else
			PortraitBadOption(a->func, key, should);
	}
	else if (classify && strcmp(key, "class_weight") == 0)
		ClassWeightOption(v, o, a->func);
	else if (strcmp(key, "feature_names") == 0)
		o->names = PortraitOptionNames(v, a->func, key, &o->nnames);
	else if (strcmp(key, "categorical") == 0)
		CategoricalOption(v, o, a->func);
	else if (train && strcmp(key, "max_bins") == 0)
		o->max_bins = PortraitOptionInteger(v, a->func, key, 2, PORTRAIT_TREE_MAX_BINS);
	else if (train)
		PortraitUnknownOption(a->func, key, "max_depth, min_samples_leaf, criterion, class_weight, feature_names and max_bins");
	else if (explain && strcmp(key, "segment") == 0)
		o->segment = PortraitOptionString(v, a->func, key, "a segment label (a string)");
	else if (explain)
		PortraitUnknownOption(a->func, key, "segment, max_depth, min_samples_leaf, criterion, class_weight, feature_names and categorical");
	else if (classify)
		PortraitUnknownOption(a->func, key, "max_depth, min_samples_leaf, criterion, class_weight, feature_names and categorical");
	else
		PortraitUnknownOption(a->func, key, "max_depth, min_samples_leaf, criterion, feature_names and categorical");
}

/* Options from their canonical JSON text (NULL: all defaults) for func. */
void
TreeParseOptions(const char *text, const char *func, TreeTask task, TreeOptions *o)
{
	TreeOptionArgs a = {o, func};

	memset(o, 0, sizeof(TreeOptions));
	o->task = task;
	o->criterion = task == TREE_CLASSIFICATION ? TREE_GINI : TREE_SQUARED_ERROR;
	o->max_depth = strcmp(func, "segment_rules") == 0 ? 3 : PORTRAIT_TREE_DEFAULT_DEPTH;
	o->max_bins = PORTRAIT_TREE_DEFAULT_BINS;
	if (text != NULL && text[0] != '\0')
		PortraitForEachOption(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text))),
							  func, TreeOption, &a);
}

/* ---------- reading the features ---------- */

/*
 * The float8[] features argument into buf (room for max), NULL elements as
 * NaN; its length is returned (buf untouched when longer than max).
 * Arrays without NULLs are read in place by PortraitFloatArg.
 */
int
TreeFeaturesArg(FunctionCallInfo fcinfo, int argno, double *buf, int max)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	bool		maybe_nulls;
	ArrayType  *a;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (VARATT_IS_SHORT(raw))
	{
		int32		dataoffset;

		memcpy(&dataoffset, VARDATA_SHORT(raw) + offsetof(ArrayType, dataoffset) - VARHDRSZ, sizeof(int32));
		maybe_nulls = dataoffset != 0;
	}
	else
		maybe_nulls = VARATT_IS_EXTENDED(raw) || ARR_HASNULL((ArrayType *) raw);
	if (!maybe_nulls)
		return PortraitFloatArg(fcinfo, argno, buf, max, "features");
	a = PG_GETARG_ARRAYTYPE_P(argno);
	if (!ARR_HASNULL(a) || ARR_NDIM(a) != 1)
		return PortraitFloatArg(fcinfo, argno, buf, max, "features");
	deconstruct_array(a, FLOAT8OID, sizeof(double), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if (n <= max)
		for (int j = 0; j < n; j++)
		{
			buf[j] = nulls[j] ? NAN : DatumGetFloat8(elems[j]);
			if (!nulls[j])
				CheckFinite(buf[j], "features");
		}
	pfree(elems);
	pfree(nulls);
	if ((Pointer) a != (Pointer) raw)
		pfree(a);
	return n;
}

/* ---------- the state ---------- */

/* The transition's per-call-site cache: options, the row and the labels of the state last seen. */
typedef struct TreeTransCache
{
	PortraitOptionsCache opts;
	PointsState *owner;			/* the state the labels below are of */
	Size		ownerlen;		/* its text's length then */
	int			nclasses;
	int			cap;
	char	  **labels;
	int		   *lens;
	int			last;
	double		row[PORTRAIT_TREE_MAX_DIM + 1];
} TreeTransCache;

/* Hex form of a label, as the state's text holds it. */
static void
AppendHex(StringInfo buf, const char *s, int len)
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < len; i++)
	{
		appendStringInfoChar(buf, hex[(unsigned char) s[i] >> 4]);
		appendStringInfoChar(buf, hex[(unsigned char) s[i] & 15]);
	}
}

static int
HexDigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid class label in a decision tree state")));
	return 0;
}

/*
 * The options text and the labels of a state's text (NULL: none yet).
 * *labels and *lens are palloc'd in the current context.
 */
static char *
SplitStateText(const char *aux, Size auxlen, int *nlabels, char ***labels, int **lens)
{
	const char *p;
	const char *end = aux + auxlen;
	const char *nl;
	char	   *opts;
	int			cap = 8;

	*nlabels = 0;
	*labels = palloc(sizeof(char *) * cap);
	*lens = palloc(sizeof(int) * cap);
	if (aux == NULL)
		return NULL;
	nl = memchr(aux, '\n', auxlen);
	if (nl == NULL)
		nl = end;
	opts = pnstrdup(aux, nl - aux);
	for (p = nl; p < end;)
	{
		const char *q;
		char	   *s;
		int			len;

		p++;					/* the newline */
		q = memchr(p, '\n', end - p);
		if (q == NULL)
			q = end;
		if ((q - p) % 2 != 0)
			HexDigit('x');
		len = (q - p) / 2;
		s = palloc(len + 1);
		for (int i = 0; i < len; i++)
			s[i] = (char) (HexDigit(p[2 * i]) * 16 + HexDigit(p[2 * i + 1]));
		s[len] = '\0';
		if (*nlabels == cap)
		{
			cap *= 2;
			*labels = repalloc(*labels, sizeof(char *) * cap);
			*lens = repalloc(*lens, sizeof(int) * cap);
		}
		(*labels)[*nlabels] = s;
		(*lens)[*nlabels] = len;
		(*nlabels)++;
		p = q;
	}
	return opts;
}

/* 54000: more class labels than a tree handles. */
static void
TooManyClasses(const char *func)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("%s handles at most %d classes", func, PORTRAIT_TREE_MAX_CLASSES),
			 errhint("Group rare labels into one before fitting.")));
}

/* The state's text for the options and the labels. */
static void
SetStateText(PointsState *ps, const char *opts, int n, char **labels, const int *lens)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoString(&buf, opts);
	for (int i = 0; i < n; i++)
	{
		appendStringInfoChar(&buf, '\n');
		AppendHex(&buf, labels[i], lens[i]);
	}
	PointsReplaceAux(ps, buf.data, buf.len);
	pfree(buf.data);
}

/* The class number of a label in the state, added to its dictionary if new. */
static int
ClassOf(TreeTransCache *c, MemoryContext cxt, PointsState *ps, const char *opts, const char *label, int len,
		const char *func)
{
	MemoryContext old;

	/* a new state, or one this cache has not read: read its labels */
	if (c->owner != ps || c->ownerlen != ps->auxlen || ps->n == 0)
	{
		char	   *o;

		old = MemoryContextSwitchTo(cxt);
		for (int i = 0; i < c->nclasses; i++)
			pfree(c->labels[i]);
		if (c->labels != NULL)
		{
			pfree(c->labels);
			pfree(c->lens);
		}
		o = SplitStateText(ps->aux, ps->auxlen, &c->nclasses, &c->labels, &c->lens);
		c->cap = Max(c->nclasses, 8);
		c->labels = repalloc(c->labels, sizeof(char *) * c->cap);
		c->lens = repalloc(c->lens, sizeof(int) * c->cap);
		MemoryContextSwitchTo(old);
		if (o != NULL && strcmp(o, opts) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("aggregate options must be the same for all rows of a group"),
					 errdetail("A row has options %.200s where earlier rows had %.200s.", opts, o)));
		if (o == NULL)
			SetStateText(ps, opts, 0, NULL, NULL);
		c->owner = ps;
		c->ownerlen = ps->auxlen;
		c->last = 0;
	}
	else
	{
		Size		olen = strlen(opts);

		/* every row of a group must pass the same options */
		if (ps->auxlen < olen || memcmp(ps->aux, opts, olen) != 0 ||
			(ps->auxlen > olen && ps->aux[olen] != '\n'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("aggregate options must be the same for all rows of a group"),
					 errdetail("A row has options %.200s where earlier rows had others.", opts)));
	}
	if (c->last < c->nclasses && c->lens[c->last] == len && memcmp(c->labels[c->last], label, len) == 0)
		return c->last;
	for (int i = 0; i < c->nclasses; i++)
		if (c->lens[i] == len && memcmp(c->labels[i], label, len) == 0)
			return c->last = i;
	if (c->nclasses >= PORTRAIT_TREE_MAX_CLASSES)
		TooManyClasses(func);
	old = MemoryContextSwitchTo(cxt);
	if (c->nclasses == c->cap)
	{
		c->cap *= 2;
		c->labels = repalloc(c->labels, sizeof(char *) * c->cap);
		c->lens = repalloc(c->lens, sizeof(int) * c->cap);
	}
	c->labels[c->nclasses] = pnstrdup(label, len);
	c->lens[c->nclasses] = len;
	MemoryContextSwitchTo(old);
	c->nclasses++;
	SetStateText(ps, opts, c->nclasses, c->labels, c->lens);
	c->ownerlen = ps->auxlen;
	return c->last = c->nclasses - 1;
}

/*
 * (state, features, target [, options]): collect one row.  A NULL features
 * array or target skips the row.  func names the aggregate.
 */
static Datum
TreeFitTrans(FunctionCallInfo fcinfo, TreeTask task, bool has_options, const char *func)
{
	TreeTransCache *c = fcinfo->flinfo->fn_extra;
	PointsState *ps;
	const char *opts = "{}";
	int			d;

	if (c == NULL)
		c = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(TreeTransCache));
	if (has_options && !PG_ARGISNULL(3))
	{
		if (PortraitOptionsChanged(&c->opts, fcinfo->flinfo->fn_mcxt, PG_GETARG_JSONB_P(3)))
		{
			TreeOptions o;

			/* errors in the options come before any row is collected */
			TreeParseOptions(c->opts.text, func, task, &o);
		}
		opts = c->opts.text;
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return PortraitStateUnchanged(fcinfo);
	d = TreeFeaturesArg(fcinfo, 1, c->row, PORTRAIT_TREE_MAX_DIM);
	if (d < 1 || d > PORTRAIT_TREE_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must hold between 1 and %d values, not %d", PORTRAIT_TREE_MAX_DIM, d)));
	ps = PointsGetState(fcinfo, 0, d + 1, task);
	if (task == TREE_CLASSIFICATION)
	{
		text	   *label = PG_GETARG_TEXT_PP(2);
		int			len = VARSIZE_ANY_EXHDR(label);

		if (len > PORTRAIT_TREE_MAX_LABEL_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("class labels of %s must be at most %d bytes, not %d",
							func, PORTRAIT_TREE_MAX_LABEL_BYTES, len)));
		c->row[d] = ClassOf(c, fcinfo->flinfo->fn_mcxt, ps, opts, VARDATA_ANY(label), len, func);
	}
	else
	{
		c->row[d] = PG_GETARG_FLOAT8(2);
		CheckFinite(c->row[d], "target");
		PointsSetAux(ps, opts, strlen(opts));
	}
	PointsAppend(ps, c->row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* decision_tree_fit's transition, with or without options. */
Datum
pp_decision_tree_fit_trans(PG_FUNCTION_ARGS)
{
	return TreeFitTrans(fcinfo, TREE_CLASSIFICATION, PG_NARGS() > 3, "decision_tree_fit");
}

/* segment_rules's transition, with or without options. */
Datum
pp_segment_rules_trans(PG_FUNCTION_ARGS)
{
	return TreeFitTrans(fcinfo, TREE_CLASSIFICATION, PG_NARGS() > 3, "segment_rules");
}

/* regression_tree_fit's transition, with or without options. */
Datum
pp_regression_tree_fit_trans(PG_FUNCTION_ARGS)
{
	return TreeFitTrans(fcinfo, TREE_REGRESSION, PG_NARGS() > 3, "regression_tree_fit");
}

/* Combine of regression_tree_fit: the rows of both states. */
Datum
pp_regression_tree_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/*
 * Combine of decision_tree_fit and segment_rules: the labels of the second
 * state join the first's dictionary and its rows are renumbered to it.
 */
Datum
pp_decision_tree_fit_combine(PG_FUNCTION_ARGS)
{
	PointsState *a;
	PointsState *b;
	char	   *aopts;
	char	   *bopts;
	int			na;
	int			nb;
	char	  **alabels;
	char	  **blabels;
	int		   *alens;
	int		   *blens;
	int		   *map;
	double	   *row;
	int			dim;

	if (PG_ARGISNULL(1))
		return PortraitStateUnchanged(fcinfo);
	b = PointsRead(PG_GETARG_DATUM(1));
	dim = b->dim;
	a = PointsGetState(fcinfo, 0, dim, b->param);
	aopts = SplitStateText(a->aux, a->auxlen, &na, &alabels, &alens);
	bopts = SplitStateText(b->aux, b->auxlen, &nb, &blabels, &blens);
	if (bopts == NULL)
		PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
	if (aopts != NULL && strcmp(aopts, bopts) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aggregate options must be the same for all rows of a group"),
				 errdetail("A row has options %.200s where earlier rows had %.200s.", bopts, aopts)));
	map = palloc(sizeof(int) * Max(nb, 1));
	for (int i = 0; i < nb; i++)
	{
		int			j;

		for (j = 0; j < na; j++)
			if (alens[j] == blens[i] && memcmp(alabels[j], blabels[i], blens[i]) == 0)
				break;
		if (j == na)
		{
			if (na >= PORTRAIT_TREE_MAX_CLASSES)
				TooManyClasses("decision_tree_fit");
			alabels = repalloc(alabels, sizeof(char *) * (na + 1));
			alens = repalloc(alens, sizeof(int) * (na + 1));
			alabels[na] = blabels[i];
			alens[na] = blens[i];
			na++;
		}
		map[i] = j;
	}
	SetStateText(a, bopts, na, alabels, alens);
	row = palloc(sizeof(double) * dim);
	for (int64 i = 0; i < b->n; i++)
	{
		int			code = (int) b->values[i * dim + dim - 1];

		if (code < 0 || code >= nb)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid class number in a decision tree state")));
		memcpy(row, b->values + i * dim, sizeof(double) * dim);
		row[dim - 1] = map[code];
		PointsAppend(a, row);
		PORTRAIT_ROW_INTERRUPTS(i);
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
}

/* ---------- final functions ---------- */

/* Byte order of two labels, for sorting the class numbers. */
static int
CompareLabels(const void *a, const void *b, void *arg)
{
	const char *const *labels = arg;

	return strcmp(labels[*(const int *) a], labels[*(const int *) b]);
}

/*
 * Position (0-based) of each categorical feature of the options, checked
 * against the d features and their names.
 */
static bool *
CategoricalFeatures(const TreeOptions *o, int d, const char *func)
{
	bool	   *cat = palloc0(sizeof(bool) * d);

	for (int i = 0; i < o->ncategorical; i++)
	{
		int			pos = o->categorical_pos[i];

		if (o->categorical_names[i] != NULL)
		{
			for (int j = 0; j < o->nnames && pos == 0; j++)
				if (strcmp(o->names[j], o->categorical_names[i]) == 0)
					pos = j + 1;
			if (pos == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("categorical feature \"%s\" of %s is not one of feature_names",
								o->categorical_names[i], func)));
		}
		if (pos > d)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("categorical feature %d of %s is beyond the %d features", pos, func, d)));
		cat[pos - 1] = true;
	}
	return cat;
}

/*
 * The rows of a state as TreeData: labels sorted and rows renumbered
 * (segment: every other label becomes "other"), class weights, rows in
 * canonical order.
 */
static void
PrepareData(PointsState *ps, const char *func, TreeTask task, TreeOptions *o, TreeData *data)
{
	int			d = ps->dim - 1;
	int			nl = 0;
	char	  **labels = NULL;
	int		   *lens = NULL;
	char	   *opts;

	/*
	 * The final function is SQL-callable and a points state has a text
	 * form: a state another aggregate made, or one typed in, is refused
	 * here rather than read as labels it does not hold.
	 */
	if (ps->param != task || ps->aux == NULL || d < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the state passed to %s was not made by its aggregate", func)));
	if (task == TREE_CLASSIFICATION)
		opts = SplitStateText(ps->aux, ps->auxlen, &nl, &labels, &lens);
	else
		opts = ps->aux;
	if (opts == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the state passed to %s was not made by its aggregate", func)));
	if (task == TREE_CLASSIFICATION)
	{
		for (int64 i = 0; i < ps->n; i++)
		{
			double		t = ps->values[i * ps->dim + d];

			if (!(t >= 0 && t < nl && t == floor(t)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("the state passed to %s was not made by its aggregate", func),
						 errdetail("Row %lld has class number %g of %d classes.", (long long) i + 1, t, nl)));
		}
	}
	TreeParseOptions(opts, func, task, o);
	if (o->names != NULL && o->nnames != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature_names must hold %d names, not %d", d, o->nnames)));
	memset(data, 0, sizeof(TreeData));
	data->d = d;
	data->n = ps->n;
	data->categorical = CategoricalFeatures(o, d, func);
	if (task == TREE_CLASSIFICATION)
	{
		int		   *order = palloc(sizeof(int) * Max(nl, 1));
		int		   *rank = palloc(sizeof(int) * Max(nl, 1));
		char	  **classes;
		double	   *weight;
		int64	   *count;
		int			nc;

		for (int i = 0; i < nl; i++)
			order[i] = i;
		qsort_arg(order, nl, sizeof(int), CompareLabels, labels);
		if (o->segment != NULL)
		{
			/* one against the rest: the segment, then "other" */
			int			seg = -1;

			for (int i = 0; i < nl; i++)
				if (strcmp(labels[i], o->segment) == 0)
					seg = i;
			if (seg < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("segment \"%s\" is not a label of any row", o->segment)));
			nc = 2;
			classes = palloc(sizeof(char *) * 2);
			classes[0] = o->segment;
			classes[1] = strcmp(o->segment, "other") == 0 ? "rest" : "other";
			for (int i = 0; i < nl; i++)
				rank[i] = i == seg ? 0 : 1;
		}
		else
		{
			nc = nl;
			classes = palloc(sizeof(char *) * Max(nl, 1));
			for (int i = 0; i < nl; i++)
			{
				classes[i] = labels[order[i]];
				rank[order[i]] = i;
			}
		}
		count = palloc0(sizeof(int64) * Max(nc, 1));
		for (int64 i = 0; i < ps->n; i++)
		{
			double	   *t = ps->values + i * ps->dim + d;

			*t = rank[(int) *t];
			count[(int) *t]++;
		}
		weight = palloc(sizeof(double) * Max(nc, 1));
		for (int k = 0; k < nc; k++)
			weight[k] = o->balanced ? (double) ps->n / ((double) nc * count[k]) : 1.0;
		for (int w = 0; w < o->nweights; w++)
		{
			int			k;

			for (k = 0; k < nc; k++)
				if (strcmp(classes[k], o->weight_labels[w]) == 0)
					break;
			if (k == nc)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("class_weight names class \"%s\", which no row has", o->weight_labels[w])));
			weight[k] = o->weight_values[w];
		}
		data->nclasses = nc;
		data->classes = (const char *const *) classes;
		data->class_weight = weight;
	}
	/*
	 * The sorted row numbers of each feature, a scratch list, a flag and a
	 * weight per row, and the nodes (fewer than two per row), each a dozen
	 * numbers and its class counts.
	 */
	PointsCheckFit(ps, PORTRAIT_POINTS_SORT_BYTES + (d + 1) * sizeof(int64) + sizeof(bool) + sizeof(double) +
				   2 * (12 + 2 * data->nclasses) * sizeof(double));
	PointsSortRows(ps->values, ps->n, ps->dim);
	data->x = ps->values;
}

/*
 * The rows of a final function's state, prepared for func; 22023 if there
 * are none (an empty group never gets here: the final function is strict).
 */
static PointsState *
FinalRows(FunctionCallInfo fcinfo, const char *func, TreeTask task, TreeOptions *o, TreeData *data)
{
	PointsState *ps = PointsRead(PG_GETARG_DATUM(0));

	PrepareData(ps, func, task, o, data);
	if (data->n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs at least 1 row", func)));
	return ps;
}

/* A final function that returns the tree as a decision_tree model. */
static Datum
TreeFitFinal(FunctionCallInfo fcinfo, const char *func, TreeTask task)
{
	TreeOptions o;
	TreeData	data;

	FinalRows(fcinfo, func, task, &o, &data);
	PG_RETURN_POINTER(TreeGrow(&data, &o));
}

/* Final of decision_tree_fit: the classification tree. */
Datum
pp_decision_tree_fit_final(PG_FUNCTION_ARGS)
{
	return TreeFitFinal(fcinfo, "decision_tree_fit", TREE_CLASSIFICATION);
}

/* Final of regression_tree_fit: the regression tree. */
Datum
pp_regression_tree_fit_final(PG_FUNCTION_ARGS)
{
	return TreeFitFinal(fcinfo, "regression_tree_fit", TREE_REGRESSION);
}

/*
 * Final of segment_rules: a shallow tree of segment membership (max_depth 3
 * and leaves of at least 1% of the rows unless given) and its rules.
 */
Datum
pp_segment_rules_final(PG_FUNCTION_ARGS)
{
	TreeOptions o;
	TreeData	data;
	PortraitModel *m;

	FinalRows(fcinfo, "segment_rules", TREE_CLASSIFICATION, &o, &data);
	if (o.min_samples_leaf == 0)
		o.min_samples_leaf = Max((data.n + 99) / 100, 1);
	m = TreeGrow(&data, &o);
	PG_RETURN_DATUM(TreeRulesArray(TreeParse(m, CurrentMemoryContext), o.segment));
}
