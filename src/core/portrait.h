/*
 * portrait.h
 *		The core every family uses: input checks, the model type, the
 *		collected-points aggregate state, linear algebra, the optimiser and
 *		what the likelihood fits share.  Nothing here names a family's
 *		private layout: those live in the family's own header.
 */
#ifndef PORTRAIT_H
#define PORTRAIT_H

#include "postgres.h"

#include <math.h>

#include "access/htup.h"
#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"

/* ---------- common.c: argument checks and conversions ---------- */

/* Raise 22000 unless x is finite; what names the value in the message. */
static inline void
CheckFinite(double x, const char *what)
{
	if (unlikely(isnan(x) || isinf(x)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be a finite number, not %s", what,
						isnan(x) ? "NaN" : (x > 0 ? "Infinity" : "-Infinity"))));
}

/*
 * Raise 22000 unless x, a value computed from a model and a customer, is
 * finite: an extreme model (edited by hand, or read from text) must not give
 * a silent NaN or Infinity.  Returns x.
 */
static inline double
CheckScore(double x, const char *func)
{
	if (unlikely(isnan(x) || isinf(x)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s result is not a finite number", func),
				 errdetail("The model's parameters or the arguments are outside the range in which %s can be evaluated.", func),
				 errhint("Check the model's parameters, or fit the model again.")));
	return x;
}

/* Raise 22023 unless v is a non-negative integer count (what names it). */
static inline void
CheckCount(double v, const char *what)
{
	CheckFinite(v, what);
	if (unlikely(v < 0 || v != floor(v)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a non-negative integer, not %g", what, v),
				 errdetail("It counts purchases.")));
}

extern double PortraitNumericToDouble(Datum num, const char *what);
extern int	PortraitNumericScale(Datum num);
extern void PortraitFormatDouble(StringInfo buf, double x);
extern double PortraitParseDouble(const char **pos, const char *typname, const char *input);
extern int64 PortraitParseInt64(const char **pos, const char *typname, const char *input);
extern void PortraitExpectChar(const char **pos, char c, const char *typname, const char *input);
extern void PortraitSortDoubles(double *v, size_t n);
extern void PortraitSelectDoubles(double *v, size_t n, const size_t *ks, int nk);

/* options.c: fit options (a jsonb object), visit(key, value, arg) for each key */
typedef void (*PortraitOptionFn) (const char *key, JsonbValue *value, void *arg);
extern void PortraitForEachOption(Jsonb *opts, const char *func, PortraitOptionFn visit, void *arg);
extern void PortraitUnknownOption(const char *func, const char *key, const char *known) pg_attribute_noreturn();
extern void PortraitBadOption(const char *func, const char *key, const char *should) pg_attribute_noreturn();
extern double PortraitOptionFloat(JsonbValue *v, const char *func, const char *key);
extern double PortraitOptionRange(JsonbValue *v, const char *func, const char *key, double lo, double hi,
								  bool open, const char *should);
extern int64 PortraitOptionInteger(JsonbValue *v, const char *func, const char *key, int64 lo, int64 hi);
extern bool PortraitOptionBool(JsonbValue *v, const char *func, const char *key);
extern char *PortraitOptionString(JsonbValue *v, const char *func, const char *key, const char *should);
extern JsonbValue *PortraitOptionArray(JsonbValue *v, const char *func, const char *key, const char *should, int *n);
extern char **PortraitOptionNames(JsonbValue *v, const char *func, const char *key, int *n);

/* The options a transition function saw last at its call site, and their text. */
typedef struct PortraitOptionsCache
{
	Size		len;
	char	   *bytes;
	char	   *text;
} PortraitOptionsCache;
extern bool PortraitOptionsChanged(PortraitOptionsCache *c, MemoryContext cxt, Jsonb *jb);
extern const double *PortraitFloatArray(ArrayType *a, int *n, const char *what);
extern int	PortraitFloatArg(FunctionCallInfo fcinfo, int argno, double *buf, int max, const char *what);
extern MemoryContext PortraitAggContext(FunctionCallInfo fcinfo);
extern void PortraitArgNotNull(FunctionCallInfo fcinfo, int argno, const char *what);
extern Datum PortraitStateUnchanged(FunctionCallInfo fcinfo);

/* trainer.c: the sources and internal queries of the streaming trainers */
extern char *TrainerRelationFrom(Oid relid);
extern char *TrainerSingleQuery(const char *source, const char *func);
extern char *TrainerSourceFrom(const char *source, const char *func);
extern TupleDesc TrainerSourceColumns(const char *from);
extern void TrainerConnect(void);
extern struct _SPI_plan *TrainerPrepare(const char *sql, int nargs, Oid *argtypes, int natts, const Oid *types, int ntypes);
extern HeapTuple TrainerRun(struct _SPI_plan *plan, Datum *values, int natts, const Oid *types, int ntypes, TupleDesc *desc);
extern Datum TrainerRunValue(struct _SPI_plan *plan, Datum *values, Oid type, bool *isnull);
extern Datum PortraitFloat8ArrayDatum(const double *v, int n);
extern ArrayType *TrainerSumsNew(FunctionCallInfo fcinfo, int len);

/* Segment profiles: deviations (standard units) that make a label term. */
#define PORTRAIT_PROFILE_MIN_Z		0.5
#define PORTRAIT_PROFILE_STRONG_Z	1.5
extern double PortraitTgi(double part, double total, double pop_part, double pop_total);

/* A value's share in a group against the population (NaN where undefined). */
typedef struct PortraitShareStats
{
	double		share;			/* in the group */
	double		pop_share;
	double		tgi;
	double		tgi_low;		/* 95% interval of the TGI */
	double		tgi_high;
	double		z;				/* group against the rest of the population */
	double		effect;			/* Cohen's h */
} PortraitShareStats;
extern void PortraitShareCompare(int64 a, int64 ng, int64 A, int64 N, PortraitShareStats *s);
extern char *PortraitProfileLabel(const double *z, const char *const *names, int d, int maxterms);

/*
 * Settings of a family, defined once at library load by the entry file
 * (src/pg_portrait.c), so that no module here calls up into a family.
 */
extern void PortraitPointsInit(void);

/*
 * ARR_DATA_PTR without its signed/unsigned mix (which -Wextra reports in
 * PostgreSQL's macro).
 */
static inline char *
PortraitArrayData(ArrayType *a)
{
	return (char *) a + (ARR_HASNULL(a) ? (Size) a->dataoffset : (Size) ARR_OVERHEAD_NONULLS(ARR_NDIM(a)));
}

/*
 * Count, mean and sum of squared deviations of a set of numbers: Welford's
 * update one value at a time, Chan et al.'s merge of two sets (parallel
 * workers, distributed partial states).
 */
typedef struct PortraitMoments
{
	int64		n;
	double		mean;
	double		m2;
} PortraitMoments;

static inline void
MomentsAdd(PortraitMoments *m, double x)
{
	double		d = x - m->mean;

	m->n++;
	m->mean += d / m->n;
	m->m2 += d * (x - m->mean);
}

static inline void
MomentsMerge(PortraitMoments *a, const PortraitMoments *b)
{
	double		n;
	double		d;

	if (b->n == 0)
		return;
	if (a->n == 0)
	{
		*a = *b;
		return;
	}
	n = (double) a->n + (double) b->n;
	d = b->mean - a->mean;
	a->mean += d * ((double) b->n / n);
	a->m2 += b->m2 + d * d * ((double) a->n * (double) b->n / n);
	a->n += b->n;
}

extern void PortraitColumnMoments(const double *rows, int64 n, int stride, int first, int p,
								  double *mean, double *var);

/* Neumaier-compensated sum, so that results hardly depend on row order. */
typedef struct KahanSum
{
	double		hi;
	double		lo;
} KahanSum;

static inline void
KahanAdd(KahanSum *s, double x)
{
	double		t = s->hi + x;

	if (fabs(s->hi) >= fabs(x))
		s->lo += (s->hi - t) + x;
	else
		s->lo += (x - t) + s->hi;
	s->hi = t;
}

static inline void
KahanMerge(KahanSum *s, const KahanSum *o)
{
	KahanAdd(s, o->hi);
	KahanAdd(s, o->lo);
}

static inline double
KahanValue(const KahanSum *s)
{
	return s->hi + s->lo;
}

/*
 * In a cheap pass over every collected row of a final function: a cancel or
 * statement_timeout must not wait for the whole pass.  (Passes whose rows
 * cost more than a few operations test on every row.)
 */
#define PORTRAIT_ROW_INTERRUPTS(i) \
	do { \
		if (((i) & 4095) == 0) \
			CHECK_FOR_INTERRUPTS(); \
	} while (0)

/* ---------- zone.c: calendar days of times in a time zone ---------- */

#define PORTRAIT_ZONE_RANGES 8

/* A UTC range [lo, hi) over which a zone's offset (seconds east) holds. */
typedef struct PortraitZoneRange
{
	TimestampTz lo;
	TimestampTz hi;
	int64		offset;
} PortraitZoneRange;

/* Offset ranges of one zone, kept in fn_extra; zeroed memory is empty. */
typedef struct PortraitZoneCache
{
	pg_tz	   *zone;			/* the zone the ranges are of */
	int			n;
	int			next;			/* slot replaced next when all are used */
	int			last;			/* slot of the last hit */
	PortraitZoneRange r[PORTRAIT_ZONE_RANGES];
} PortraitZoneCache;

/* A zone argument as last parsed (zeroed memory: none yet). */
typedef struct PortraitZoneName
{
	pg_tz	   *zone;
	int			len;
	char		name[TZ_STRLEN_MAX + 1];
} PortraitZoneName;

extern int64 PortraitZoneOffset(PortraitZoneCache *zc, pg_tz *zone, TimestampTz ts);
extern int32 PortraitZoneDay(PortraitZoneCache *zc, pg_tz *zone, TimestampTz ts);
extern pg_tz *PortraitZoneByName(const char *name, int len, PortraitZoneName *cache);
extern pg_tz *PortraitZoneArg(FunctionCallInfo fcinfo, int argno, PortraitZoneName *cache);

/* ---------- model.c: the portrait.model type ---------- */

#define PORTRAIT_MODEL_FORMAT 1

typedef enum PortraitModelKind
{
	PORTRAIT_KIND_RFM = 1,
	PORTRAIT_KIND_KMEANS = 2,
	PORTRAIT_KIND_BGNBD = 3,
	PORTRAIT_KIND_GAMMA_GAMMA = 4,
	PORTRAIT_KIND_LOGIT = 5,
	PORTRAIT_KIND_MBGNBD = 6,
	PORTRAIT_KIND_PARETO_NBD = 7,
	/* numbers are stored on disk: reserved per family, never reused */
	PORTRAIT_KIND_ITEM_SIMILARITY = 8,	/* recommend */
	PORTRAIT_KIND_DBSCAN = 9,	/* segment */
	PORTRAIT_KIND_HIERARCHICAL = 10,	/* segment */
	PORTRAIT_KIND_ISOLATION_FOREST = 11,	/* segment */
	PORTRAIT_KIND_DECISION_TREE = 12,	/* segment */
	PORTRAIT_KIND_ATTRIBUTION = 13	/* behaviour */
} PortraitModelKind;

typedef enum ModelFieldType
{
	MF_INT = 1,					/* int64 scalar */
	MF_FLOAT = 2,				/* float8 scalar */
	MF_BOOL = 3,
	MF_TEXT = 4,
	MF_FLOAT_ARRAY = 5,			/* 1-D float8 */
	MF_INT_ARRAY = 6,			/* 1-D int64 */
	MF_TEXT_ARRAY = 7,			/* 1-D text */
	MF_FLOAT_MATRIX = 8			/* rows x cols float8, row-major */
} ModelFieldType;

/* One field a model kind may hold. */
typedef struct ModelFieldSpec
{
	const char *name;
	ModelFieldType type;
	bool		required;
} ModelFieldSpec;

typedef struct PortraitModel PortraitModel;

/* A model kind: its JSON name, its fields in canonical order, its checks. */
typedef struct ModelKindSpec
{
	PortraitModelKind kind;
	const char *name;
	const ModelFieldSpec *fields;
	int			nfields;
	/* cross-field consistency; raises 22P02 (text input) or 22023 */
	void		(*validate) (const PortraitModel *model);
} ModelKindSpec;

/*
 * On-disk form: a varlena with a small header and the fields in the kind's
 * canonical order, each starting MAXALIGN'ed.  Read it only through the
 * accessors below.
 */
struct PortraitModel
{
	int32		vl_len_;
	uint16		format;			/* PORTRAIT_MODEL_FORMAT */
	uint16		kind;			/* PortraitModelKind */
	uint16		nfields;
	uint16		flags;			/* reserved, zero */
	char		data[FLEXIBLE_ARRAY_MEMBER];
};

typedef struct ModelField
{
	uint32		size;			/* bytes from this header to the next field */
	uint8		type;			/* ModelFieldType */
	uint8		namelen;
	uint16		spec;			/* index into the kind's field specs */
	int32		rows;			/* element count (rows for a matrix) */
	int32		cols;			/* columns of a matrix, else 1 */
	/* name (NUL-terminated), then MAXALIGN'ed values */
} ModelField;

#define DatumGetPortraitModel(d)	((PortraitModel *) PG_DETOAST_DATUM(d))
#define PG_GETARG_PORTRAIT_MODEL(n) DatumGetPortraitModel(PG_GETARG_DATUM(n))

typedef struct ModelBuilder ModelBuilder;

extern ModelBuilder *ModelBuild(PortraitModelKind kind);
extern void ModelPutInt(ModelBuilder *b, const char *name, int64 v);
extern void ModelPutFloat(ModelBuilder *b, const char *name, double v);
extern void ModelPutBool(ModelBuilder *b, const char *name, bool v);
extern void ModelPutText(ModelBuilder *b, const char *name, const char *v);
extern void ModelPutFloatArray(ModelBuilder *b, const char *name, const double *v, int n);
extern void ModelPutIntArray(ModelBuilder *b, const char *name, const int64 *v, int n);
extern void ModelPutTextArray(ModelBuilder *b, const char *name, const char *const *v, int n);
extern void ModelPutFloatMatrix(ModelBuilder *b, const char *name, const double *v, int rows, int cols);
extern PortraitModel *ModelFinish(ModelBuilder *b);

extern void ModelCheckKind(const PortraitModel *m, PortraitModelKind kind, const char *func);
extern const ModelField *ModelGetField(const PortraitModel *m, const char *name);
extern int64 ModelGetInt(const PortraitModel *m, const char *name);
extern double ModelGetFloat(const PortraitModel *m, const char *name);
extern bool ModelGetBool(const PortraitModel *m, const char *name);
extern const char *ModelGetText(const PortraitModel *m, const char *name);
extern const double *ModelGetFloatArray(const PortraitModel *m, const char *name, int *n);
extern const int64 *ModelGetIntArray(const PortraitModel *m, const char *name, int *n);
extern const double *ModelGetFloatMatrix(const PortraitModel *m, const char *name, int *rows, int *cols);
extern const char *ModelGetTextArray(const PortraitModel *m, const char *name, int *n);
extern const char *ModelKindName(PortraitModelKind kind);
extern Datum pp_model_out(PG_FUNCTION_ARGS);

/*
 * Per-call-site cache of a parsed model: parse runs once per distinct model
 * value in a query, not once per row.  slot lives in fn_extra (pass
 * &fcinfo->flinfo->fn_extra when the function caches nothing else).
 */
typedef void *(*ModelParseFn) (const PortraitModel *m, MemoryContext cxt);
extern void *ModelCached(FunctionCallInfo fcinfo, void **slot, int argno, PortraitModelKind kind,
						 const char *func, ModelParseFn parse);
extern void *ModelCachedAny(FunctionCallInfo fcinfo, void **slot, int argno,
							const PortraitModelKind *kinds, int nkinds, const char *func,
							ModelParseFn parse);

/* Kinds defined by the families, registered by the entry file. */
extern void ModelRegisterKind(const ModelKindSpec *spec);
extern const ModelKindSpec RfmModelKind;
extern const ModelKindSpec BgnbdModelKind;
extern const ModelKindSpec GammaGammaModelKind;
extern const ModelKindSpec MbgnbdModelKind;
extern const ModelKindSpec ParetoNbdModelKind;
extern const ModelKindSpec LogitModelKind;
extern const ModelKindSpec KmeansModelKind;
extern const ModelKindSpec AttributionModelKind;
extern const ModelKindSpec DbscanModelKind;
extern const ModelKindSpec HclustModelKind;

/* ---------- points.c: collected rows of a fixed width ---------- */

/*
 * Aggregate state that holds every input row (d float8 values each).  Grows
 * as an expanded object in the aggregate's memory context; its flat form
 * (portrait.points) has text I/O, so partial states can move between nodes.
 */
typedef struct PointsFlat
{
	int32		vl_len_;
	int32		dim;
	int64		n;
	int64		param;			/* aggregate-specific constant, e.g. buckets */
	double		values[FLEXIBLE_ARRAY_MEMBER];
	/* after the n * dim values: the aux text, up to the varlena's end */
} PointsFlat;

typedef struct PointsState
{
	ExpandedObjectHeader hdr;
	int			dim;
	int64		n;
	int64		capacity;		/* rows allocated */
	int64		param;
	double	   *values;			/* n * dim, row-major */
	char	   *aux;			/* aggregate-specific constant text, e.g. options */
	Size		auxlen;			/* bytes of aux (no terminator); 0 if none */
} PointsState;

extern PointsState *PointsGetState(FunctionCallInfo fcinfo, int argno, int dim, int64 param);
extern void PointsAppend(PointsState *ps, const double *row);
extern PointsState *PointsRead(Datum d);
extern Datum PointsCombine(FunctionCallInfo fcinfo);
extern int	PointsCompareRows(const void *a, const void *b, void *arg);
extern void PointsSortRows(double *rows, int64 n, int dim);
extern void PointsSetAux(PointsState *ps, const char *aux, Size len);
extern void PointsReplaceAux(PointsState *ps, const char *aux, Size len);
extern void PointsCheckFit(const PointsState *ps, Size work_per_row);
extern void PortraitFitBudget(double need, const char *what, const char *hint);

/*
 * Working memory of PointsSortRows: a (first value, second value, row) key
 * per row and, for rows of three values, a copy of the third.
 */
#define PORTRAIT_POINTS_SORT_BYTES	(3 * sizeof(double) + sizeof(int64))

/* ---------- linalg.c: the only caller of LAPACK ---------- */

extern int	LinalgCholeskySolve(int n, double *a, double *b, int nrhs);
extern int	LinalgCholeskyInverse(int n, double *a);
extern double LinalgConditionNumber(int n, const double *a);
extern int	LinalgSolve(int n, double *a, double *b, int nrhs);

/* ---------- optim.c: the optimiser of the likelihood models ---------- */

/*
 * An objective to minimise: returns f(theta) and, when grad is not NULL,
 * fills the gradient.  Returning NaN or Infinity rejects the point.
 */
typedef double (*OptimObjective) (const double *theta, double *grad, void *arg);

typedef struct OptimSettings
{
	int			max_iterations;
	double		gtol;			/* converged when max |gradient| <= gtol */
	bool		numeric_gradient;	/* central differences instead of grad */
} OptimSettings;

typedef struct OptimResult
{
	double		value;			/* f at the returned point */
	double		grad_norm;		/* max |gradient| there */
	int			iterations;
	int			evaluations;
	bool		converged;
} OptimResult;

extern void OptimMinimize(OptimObjective fn, void *arg, int n, double *theta,
						  const OptimSettings *settings, OptimResult *res);
extern void OptimNumericGradient(OptimObjective fn, void *arg, int n, const double *theta,
								 double *grad);

/* ---------- fit.c: options, rows and objective of the likelihood fits ---------- */

/* Options shared by the likelihood fits (jsonb argument of the aggregates). */
#define PORTRAIT_FIT_DEFAULT_MAX_ITERATIONS 200
#define PORTRAIT_FIT_MAX_ITERATIONS 10000

typedef enum FitTimeUnit
{
	FIT_UNIT_DAYS = 0,
	FIT_UNIT_WEEKS = 1,
	FIT_UNIT_MONTHS = 2,
	FIT_UNIT_HOURS = 3
} FitTimeUnit;

typedef struct FitOptions
{
	double		penalizer;		/* L2 penalty on the parameters */
	int			max_iterations;
	int			unit;			/* FitTimeUnit */
	bool		numeric_gradient;	/* finite differences, to check the analytic one */
	const char *text;			/* the options as given (canonical jsonb text), or NULL */
} FitOptions;

extern void FitOptionsDefault(FitOptions *o);
extern void FitOptionsParse(Jsonb *opts, bool with_unit, const char *func, FitOptions *o);
extern const FitOptions *FitOptionsCached(FunctionCallInfo fcinfo, int argno, bool with_unit,
										  const char *func);
extern PointsState *FitPointsState(FunctionCallInfo fcinfo, int dim, const FitOptions *o);
extern double *FitPointsRows(PointsState *ps, bool with_unit, const char *func, FitOptions *o,
							 int64 *n);
extern int64 FitSortUnique(double *rows, int64 n, int dim, double *w);
extern double FitPenalizedObjective(double ll, const double *gsum, const double *pv, int np,
									double nobs, double penalizer, double *grad);
/*
 * The one driver of the likelihood fits.  A model supplies its spec: how
 * its collected rows become the objective's data (and the start, on
 * log-parameters), the objective, the log-likelihood to report and any extra
 * model fields; the driver runs the options, the optimiser, the checks of the
 * result and writes the model.
 */
#define PORTRAIT_FIT_MAX_PARAMS 8

typedef struct FitResult
{
	void	   *data;			/* what prepare made of the rows */
	int64		n;				/* rows collected */
	int64		nobs;			/* rows the fit used (the model's n) */
	double		params[PORTRAIT_FIT_MAX_PARAMS];	/* natural parameters */
	double		log_likelihood; /* unpenalised */
	bool		converged;
	OptimResult optim;
} FitResult;

typedef struct FitSpec
{
	const char *func;			/* SQL name of the aggregate, for messages */
	const char *label;			/* the model's name in messages, e.g. BG/NBD */
	PortraitModelKind kind;
	int			nparams;
	const char *const *param_names;	/* model fields, in theta's order */
	bool		with_unit;		/* the unit option, recorded in the model */
	double		gtol;
	bool		numeric_gradient;	/* no analytic gradient */
	double		max_param;		/* a parameter beyond it is no maximum; 0: none */
	/* sort and merge the rows, raise 22023 for too few, set theta and *nobs */
	void	   *(*prepare) (double *rows, int64 n, const FitOptions *o, double *theta, int64 *nobs);
	OptimObjective objective;
	/* the unpenalised log-likelihood at the fitted parameters */
	double		(*loglik) (void *data, const double *params, const OptimResult *res, const FitOptions *o);
	/* extra model fields, or NULL */
	void		(*put) (ModelBuilder *mb, const FitResult *fr);
} FitSpec;

#define PORTRAIT_FIT_MAX_DIM 8
typedef void (*FitRowCheck) (double *row);
extern Datum FitTrans(FunctionCallInfo fcinfo, int dim, FitRowCheck check, const FitOptions *o);
extern void FitRun(const FitSpec *spec, double *rows, int64 n, const FitOptions *o, FitResult *out);
extern PortraitModel *FitModel(const FitSpec *spec, const FitResult *fr, const FitOptions *o);
extern Datum FitFinal(FunctionCallInfo fcinfo, const FitSpec *spec);
extern const char *FitTimeUnitName(int unit);
extern int	FitTimeUnitByName(const char *name);
extern double FitTimeUnitsPerMonth(int unit);

/* ---------- special.c: special functions of the likelihood models ---------- */

extern double PortraitDigamma(double x);
extern double PortraitLogGammaRatio(double z, double x);
extern double PortraitDigammaRatio(double z, double x);
extern double PortraitHyp2f1(double a, double b, double c, double z);
extern double PortraitLogHyp2f1(double a, double b, double c, double z, int *sign);
extern bool PortraitHyp2f1Excess(double a, double b, double c, double z, double *excess);

#endif							/* PORTRAIT_H */
