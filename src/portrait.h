/*
 * portrait.h
 *		Declarations shared by the pg_portrait modules: input checks, the
 *		model type, the collected-points aggregate state and linear algebra.
 */
#ifndef PORTRAIT_H
#define PORTRAIT_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/expandeddatum.h"

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

extern double PortraitNumericToDouble(Datum num, const char *what);
extern void PortraitFormatDouble(StringInfo buf, double x);
extern double PortraitParseDouble(const char **pos, const char *typname, const char *input);
extern int64 PortraitParseInt64(const char **pos, const char *typname, const char *input);
extern void PortraitExpectChar(const char **pos, char c, const char *typname, const char *input);
extern void PortraitSortDoubles(double *v, size_t n);
extern const double *PortraitFloatArray(ArrayType *a, int *n, const char *what);

/* Segment profiles: deviations (standard units) that make a label term. */
#define PORTRAIT_PROFILE_MIN_Z		0.5
#define PORTRAIT_PROFILE_STRONG_Z	1.5
extern char *PortraitProfileLabel(const double *z, const char *const *names, int d, int maxterms);

/* Module initialisation called from _PG_init (settings). */
extern void PortraitKmeansInit(void);

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

/* ---------- model.c: the portrait.model type ---------- */

#define PORTRAIT_MODEL_FORMAT 1

typedef enum PortraitModelKind
{
	PORTRAIT_KIND_RFM = 1,
	PORTRAIT_KIND_KMEANS = 2,
	PORTRAIT_KIND_BGNBD = 3,
	PORTRAIT_KIND_GAMMA_GAMMA = 4,
	PORTRAIT_KIND_LOGIT = 5
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
extern const char **ModelGetTextArray(const PortraitModel *m, const char *name, int *n);
extern const char *ModelKindName(PortraitModelKind kind);

/*
 * Per-call-site cache of a parsed model: parse runs once per distinct model
 * value in a query, not once per row.  slot lives in fn_extra (pass
 * &fcinfo->flinfo->fn_extra when the function caches nothing else).
 */
typedef void *(*ModelParseFn) (const PortraitModel *m, MemoryContext cxt);
extern void *ModelCached(FunctionCallInfo fcinfo, void **slot, int argno, PortraitModelKind kind,
						 const char *func, ModelParseFn parse);

/* Kinds defined by the modules. */
extern const ModelKindSpec RfmModelKind;
extern const ModelKindSpec KmeansModelKind;

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
extern void PointsSetAux(PointsState *ps, const char *aux, Size len);

/* ---------- linalg.c: the only caller of LAPACK ---------- */

extern int	LinalgCholeskySolve(int n, double *a, double *b, int nrhs);
extern int	LinalgCholeskyInverse(int n, double *a);
extern double LinalgConditionNumber(int n, const double *a);

#endif							/* PORTRAIT_H */
