/*
 * model.c
 *		portrait.model: the one type every fitted model is a value of.
 *
 * Inside, a compact varlena: header (format, kind) and the kind's fields in
 * canonical order.  As text, a JSON object {"kind": ..., "format": ..., fields}
 * that reads back to the identical binary value.  Every way in (text, binary
 * receive, the builder used by the fitting code) validates against the kind's
 * field list and its consistency check.
 */
#include "postgres.h"

#include <errno.h>
#include <math.h>

#include "access/detoast.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "portrait.h"

PG_FUNCTION_INFO_V1(pp_model_in);
PG_FUNCTION_INFO_V1(pp_model_out);
PG_FUNCTION_INFO_V1(pp_model_recv);
PG_FUNCTION_INFO_V1(pp_model_send);
PG_FUNCTION_INFO_V1(pp_model_to_jsonb);
PG_FUNCTION_INFO_V1(pp_model_kind);

/*
 * The kinds a model may be, registered at library load by the entry file, so
 * that the type names no family.
 */
#define PORTRAIT_MODEL_MAX_KINDS 32
static const ModelKindSpec *model_kinds[PORTRAIT_MODEL_MAX_KINDS];
static int	model_nkinds = 0;

#define MODEL_NAME_MAX 63
/* object, matrix, row: a model needs 3 levels; some slack for messages */
#define PORTRAIT_MODEL_MAX_DEPTH 32

typedef struct BuilderField
{
	int			spec;
	ModelFieldType type;
	int32		rows;
	int32		cols;
	Size		datalen;
	void	   *data;			/* values; for text, concatenated NUL-terminated strings */
} BuilderField;

struct ModelBuilder
{
	const ModelKindSpec *kind;
	int			nfields;
	BuilderField *fields;		/* one slot per spec entry, spec order */
	bool	   *present;
	bool		from_text;		/* errors are 22P02 rather than 22023 */
};

/* Make a family's model kind known to the type (from _PG_init). */
void
ModelRegisterKind(const ModelKindSpec *spec)
{
	if (model_nkinds >= PORTRAIT_MODEL_MAX_KINDS)
		elog(ERROR, "too many model kinds");
	model_kinds[model_nkinds++] = spec;
}

static const ModelKindSpec *
KindByNumber(int kind)
{
	for (int i = 0; i < model_nkinds; i++)
		if ((int) model_kinds[i]->kind == kind)
			return model_kinds[i];
	return NULL;
}

static const ModelKindSpec *
KindByName(const char *name)
{
	for (int i = 0; i < model_nkinds; i++)
		if (strcmp(model_kinds[i]->name, name) == 0)
			return model_kinds[i];
	return NULL;
}

const char *
ModelKindName(PortraitModelKind kind)
{
	const ModelKindSpec *k = KindByNumber(kind);

	return k ? k->name : "unknown";
}

static const char *
FieldTypeName(ModelFieldType t)
{
	switch (t)
	{
		case MF_INT:
			return "an integer";
		case MF_FLOAT:
			return "a number";
		case MF_BOOL:
			return "a boolean";
		case MF_TEXT:
			return "a string";
		case MF_FLOAT_ARRAY:
			return "an array of numbers";
		case MF_INT_ARRAY:
			return "an array of integers";
		case MF_TEXT_ARRAY:
			return "an array of strings";
		case MF_FLOAT_MATRIX:
			return "an array of arrays of numbers";
	}
	return "?";
}

/* A malformed model: 22P02 when it came as text, 22023 otherwise. */
static void
pg_attribute_noreturn()
BadModel(bool from_text, const char *fmt,...)
pg_attribute_printf(2, 3);

static void
BadModel(bool from_text, const char *fmt,...)
{
	char		detail[512];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	ereport(ERROR,
			(errcode(from_text ? ERRCODE_INVALID_TEXT_REPRESENTATION : ERRCODE_INVALID_PARAMETER_VALUE),
			 from_text ? errmsg("invalid input syntax for type portrait.model") : errmsg("invalid portrait.model"),
			 errdetail_internal("%s", detail)));
}

ModelBuilder *
ModelBuild(PortraitModelKind kind)
{
	ModelBuilder *b = palloc0(sizeof(ModelBuilder));

	b->kind = KindByNumber(kind);
	if (b->kind == NULL)
		elog(ERROR, "unknown model kind %d", (int) kind);
	b->nfields = b->kind->nfields;
	b->fields = palloc0(sizeof(BuilderField) * b->nfields);
	b->present = palloc0(sizeof(bool) * b->nfields);
	return b;
}

static BuilderField *
BuilderSlot(ModelBuilder *b, const char *name, ModelFieldType type)
{
	for (int i = 0; i < b->nfields; i++)
	{
		const ModelFieldSpec *s = &b->kind->fields[i];

		if (strcmp(s->name, name) != 0)
			continue;
		if (s->type != type)
			BadModel(b->from_text, "Field \"%s\" of a model of kind \"%s\" must be %s.",
					 name, b->kind->name, FieldTypeName(s->type));
		if (b->present[i])
			BadModel(b->from_text, "Field \"%s\" appears more than once.", name);
		b->present[i] = true;
		b->fields[i].spec = i;
		b->fields[i].type = type;
		b->fields[i].cols = 1;
		return &b->fields[i];
	}
	BadModel(b->from_text, "A model of kind \"%s\" has no field \"%s\".", b->kind->name, name);
}

static void
CheckFiniteField(ModelBuilder *b, const char *name, const double *v, Size n)
{
	for (Size i = 0; i < n; i++)
		if (isnan(v[i]) || isinf(v[i]))
			BadModel(b->from_text, "Field \"%s\" holds a value that is not finite.", name);
}

/* Float fields of every shape: a scalar, a vector or a rows x cols matrix. */
static void
PutFloats(ModelBuilder *b, const char *name, ModelFieldType t, const double *v, int rows, int cols)
{
	BuilderField *f = BuilderSlot(b, name, t);
	Size		n = (Size) rows * cols;

	f->rows = rows;
	f->cols = cols;
	CheckFiniteField(b, name, v, n);
	f->datalen = sizeof(double) * n;
	f->data = palloc(f->datalen + 1);
	if (n > 0)
		memcpy(f->data, v, f->datalen);
	/* JSON numbers have no negative zero: store +0 so the text form reads back */
	for (Size i = 0; i < n; i++)
		if (((double *) f->data)[i] == 0.0)
			((double *) f->data)[i] = 0.0;
}

void
ModelPutInt(ModelBuilder *b, const char *name, int64 v)
{
	BuilderField *f = BuilderSlot(b, name, MF_INT);

	f->rows = 1;
	f->datalen = sizeof(int64);
	f->data = palloc(sizeof(int64));
	memcpy(f->data, &v, sizeof(int64));
}

void
ModelPutFloat(ModelBuilder *b, const char *name, double v)
{
	PutFloats(b, name, MF_FLOAT, &v, 1, 1);
}
void
ModelPutBool(ModelBuilder *b, const char *name, bool v)
{
	BuilderField *f = BuilderSlot(b, name, MF_BOOL);

	f->rows = 1;
	f->datalen = 1;
	f->data = palloc(1);
	*(char *) f->data = v ? 1 : 0;
}

void
ModelPutText(ModelBuilder *b, const char *name, const char *v)
{
	BuilderField *f = BuilderSlot(b, name, MF_TEXT);

	f->rows = 1;
	f->datalen = strlen(v) + 1;
	f->data = pstrdup(v);
}

void
ModelPutFloatArray(ModelBuilder *b, const char *name, const double *v, int n)
{
	PutFloats(b, name, MF_FLOAT_ARRAY, v, n, 1);
}

void
ModelPutIntArray(ModelBuilder *b, const char *name, const int64 *v, int n)
{
	BuilderField *f = BuilderSlot(b, name, MF_INT_ARRAY);

	f->rows = n;
	f->datalen = sizeof(int64) * n;
	f->data = palloc(f->datalen + 1);
	if (n > 0)
		memcpy(f->data, v, f->datalen);
}

void
ModelPutTextArray(ModelBuilder *b, const char *name, const char *const *v, int n)
{
	BuilderField *f = BuilderSlot(b, name, MF_TEXT_ARRAY);
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendBinaryStringInfo(&buf, v[i], strlen(v[i]) + 1);
	f->rows = n;
	f->datalen = buf.len;
	f->data = buf.data;
}

void
ModelPutFloatMatrix(ModelBuilder *b, const char *name, const double *v, int rows, int cols)
{
	PutFloats(b, name, MF_FLOAT_MATRIX, v, rows, cols);
}

/* Lay the fields out in canonical order and run the kind's checks. */
PortraitModel *
ModelFinish(ModelBuilder *b)
{
	Size		total = MAXALIGN(offsetof(PortraitModel, data));
	PortraitModel *m;
	char	   *p;
	int			nf = 0;

	for (int i = 0; i < b->nfields; i++)
	{
		const ModelFieldSpec *s = &b->kind->fields[i];

		if (!b->present[i])
		{
			if (s->required)
				BadModel(b->from_text, "A model of kind \"%s\" needs the field \"%s\".", b->kind->name, s->name);
			continue;
		}
		total += MAXALIGN(sizeof(ModelField) + strlen(s->name) + 1) + MAXALIGN(b->fields[i].datalen);
		nf++;
	}
	if (total > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model is too large")));

	m = palloc0(total);
	SET_VARSIZE(m, total);
	m->format = PORTRAIT_MODEL_FORMAT;
	m->kind = b->kind->kind;
	m->nfields = nf;
	p = (char *) m + MAXALIGN(offsetof(PortraitModel, data));
	for (int i = 0; i < b->nfields; i++)
	{
		const ModelFieldSpec *s = &b->kind->fields[i];
		BuilderField *bf = &b->fields[i];
		ModelField *f = (ModelField *) p;
		Size		hdr;

		if (!b->present[i])
			continue;
		hdr = MAXALIGN(sizeof(ModelField) + strlen(s->name) + 1);
		f->size = hdr + MAXALIGN(bf->datalen);
		f->type = bf->type;
		f->namelen = strlen(s->name);
		f->spec = i;
		f->rows = bf->rows;
		f->cols = bf->cols;
		memcpy(p + sizeof(ModelField), s->name, f->namelen + 1);
		if (bf->datalen > 0)
			memcpy(p + hdr, bf->data, bf->datalen);
		p += f->size;
	}
	if (b->kind->validate)
		b->kind->validate(m);
	return m;
}

/* ---------- accessors ---------- */

static inline const char *
FieldName(const ModelField *f)
{
	return (const char *) f + sizeof(ModelField);
}

static inline const void *
FieldData(const ModelField *f)
{
	return (const char *) f + MAXALIGN(sizeof(ModelField) + f->namelen + 1);
}

static inline const ModelField *
FirstField(const PortraitModel *m)
{
	return (const ModelField *) ((const char *) m + MAXALIGN(offsetof(PortraitModel, data)));
}

static inline const ModelField *
NextField(const ModelField *f)
{
	return (const ModelField *) ((const char *) f + f->size);
}

/* Raise 22023 unless m is a model of the given kind. */
void
ModelCheckKind(const PortraitModel *m, PortraitModelKind kind, const char *func)
{
	if (m->kind != kind)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s expects a %s model, not a %s model", func,
						ModelKindName(kind), ModelKindName(m->kind))));
}

const ModelField *
ModelGetField(const PortraitModel *m, const char *name)
{
	const ModelField *f = FirstField(m);

	for (int i = 0; i < m->nfields; i++, f = NextField(f))
		if (strcmp(FieldName(f), name) == 0)
			return f;
	return NULL;
}

static const ModelField *
FieldOfType(const PortraitModel *m, const char *name, ModelFieldType t)
{
	const ModelField *f = ModelGetField(m, name);

	if (f != NULL && f->type != t)
		elog(ERROR, "model field \"%s\" has type %d, expected %d", name, f->type, t);
	return f;
}

int64
ModelGetInt(const PortraitModel *m, const char *name)
{
	const ModelField *f = FieldOfType(m, name, MF_INT);
	int64		v = 0;

	if (f)
		memcpy(&v, FieldData(f), sizeof(int64));
	return v;
}

double
ModelGetFloat(const PortraitModel *m, const char *name)
{
	const ModelField *f = FieldOfType(m, name, MF_FLOAT);

	return f ? *(const double *) FieldData(f) : 0.0;
}

bool
ModelGetBool(const PortraitModel *m, const char *name)
{
	const ModelField *f = FieldOfType(m, name, MF_BOOL);

	return f ? *(const char *) FieldData(f) != 0 : false;
}

const char *
ModelGetText(const PortraitModel *m, const char *name)
{
	const ModelField *f = FieldOfType(m, name, MF_TEXT);

	return f ? (const char *) FieldData(f) : NULL;
}

const double *
ModelGetFloatArray(const PortraitModel *m, const char *name, int *n)
{
	const ModelField *f = FieldOfType(m, name, MF_FLOAT_ARRAY);

	*n = f ? f->rows : 0;
	return f ? (const double *) FieldData(f) : NULL;
}

const int64 *
ModelGetIntArray(const PortraitModel *m, const char *name, int *n)
{
	const ModelField *f = FieldOfType(m, name, MF_INT_ARRAY);

	*n = f ? f->rows : 0;
	return f ? (const int64 *) FieldData(f) : NULL;
}

const double *
ModelGetFloatMatrix(const PortraitModel *m, const char *name, int *rows, int *cols)
{
	const ModelField *f = FieldOfType(m, name, MF_FLOAT_MATRIX);

	*rows = f ? f->rows : 0;
	*cols = f ? f->cols : 0;
	return f ? (const double *) FieldData(f) : NULL;
}

/*
 * Text array fields: the first of *n consecutive NUL-terminated strings
 * (NULL when the field is absent).
 */
const char *
ModelGetTextArray(const PortraitModel *m, const char *name, int *n)
{
	const ModelField *f = FieldOfType(m, name, MF_TEXT_ARRAY);

	*n = f ? f->rows : 0;
	return f ? (const char *) FieldData(f) : NULL;
}

/* ---------- cached parse ---------- */

typedef struct ModelCache
{
	bool		stable;			/* the argument is a constant or a query parameter */
	bool		has_ext;		/* the model came as this on-disk TOAST pointer */
	struct varatt_external ext;
	Size		len;
	char	   *bytes;
	void	   *parsed;
	MemoryContext cxt;
} ModelCache;

void *
ModelCached(FunctionCallInfo fcinfo, void **slot, int argno, PortraitModelKind kind,
			const char *func, ModelParseFn parse)
{
	return ModelCachedAny(fcinfo, slot, argno, &kind, 1, func, parse);
}

/*
 * Raise 22023 unless m is of one of the nkinds kinds (a function that scores
 * several model kinds, such as churn_risk).
 */
static void
CheckKindOf(const PortraitModel *m, const PortraitModelKind *kinds, int nkinds, const char *func)
{
	StringInfoData names;

	if (nkinds == 1)
	{
		ModelCheckKind(m, kinds[0], func);
		return;
	}
	for (int i = 0; i < nkinds; i++)
		if (m->kind == kinds[i])
			return;
	initStringInfo(&names);
	for (int i = 0; i < nkinds; i++)
		appendStringInfo(&names, "%s%s", i == 0 ? "" : (i == nkinds - 1 ? " or " : ", "),
						 ModelKindName(kinds[i]));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s expects a %s model, not a %s model", func, names.data,
					ModelKindName(m->kind))));
}

/*
 * Whether argument argno of the call is a constant of the plan.  A query
 * parameter is not enough: PL/pgSQL keeps a simple expression's state, and
 * with it fn_extra, from one call of the function to the next while its
 * variables (parameters of the expression) change, so a model passed
 * through a PL/pgSQL variable (lifecycle_stage's) differs between calls.
 */
static bool
ArgIsConst(FmgrInfo *flinfo, int argno)
{
	Node	   *expr = flinfo->fn_expr;
	List	   *args;

	if (expr == NULL)
		return false;
	if (IsA(expr, FuncExpr))
		args = ((FuncExpr *) expr)->args;
	else if (IsA(expr, OpExpr))
		args = ((OpExpr *) expr)->args;
	else
		return false;
	if (argno < 0 || argno >= list_length(args))
		return false;
	return IsA(list_nth(args, argno), Const);
}

/* ModelCached for a function that accepts models of several kinds. */
void *
ModelCachedAny(FunctionCallInfo fcinfo, void **slot, int argno, const PortraitModelKind *kinds,
			   int nkinds, const char *func, ModelParseFn parse)
{
	ModelCache *c = *slot;
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	PortraitModel *m;

	/* a constant of the plan cannot change */
	if (c != NULL && c->stable)
		return c->parsed;

	/* the common case: the same untoasted model as the previous row */
	if (c != NULL && !VARATT_IS_EXTENDED(raw) && VARSIZE(raw) == c->len &&
		memcmp(raw, c->bytes, c->len) == 0)
		return c->parsed;

	/*
	 * A model joined from a table arrives as the same TOAST pointer on every
	 * row; TOAST values are immutable, so the pointer identifies the value.
	 */
	if (c != NULL && c->has_ext && VARATT_IS_EXTERNAL_ONDISK(raw))
	{
		struct varatt_external ext;

		VARATT_EXTERNAL_GET_POINTER(ext, raw);
		if (memcmp(&ext, &c->ext, sizeof(ext)) == 0)
			return c->parsed;
	}

	m = DatumGetPortraitModel(PointerGetDatum(raw));
	if (c != NULL && VARSIZE(m) == c->len && memcmp(m, c->bytes, c->len) == 0)
	{
		c->has_ext = VARATT_IS_EXTERNAL_ONDISK(raw);
		if (c->has_ext)
			VARATT_EXTERNAL_GET_POINTER(c->ext, raw);
		return c->parsed;
	}

	CheckKindOf(m, kinds, nkinds, func);
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
		*slot = c;
	}
	if (c->cxt)
		MemoryContextDelete(c->cxt);
	c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "portrait model cache",
								   ALLOCSET_SMALL_SIZES);
	c->len = VARSIZE(m);
	c->bytes = MemoryContextAlloc(c->cxt, c->len);
	memcpy(c->bytes, m, c->len);
	c->parsed = parse((PortraitModel *) c->bytes, c->cxt);
	c->stable = ArgIsConst(fcinfo->flinfo, argno);
	c->has_ext = VARATT_IS_EXTERNAL_ONDISK(raw);
	if (c->has_ext)
		VARATT_EXTERNAL_GET_POINTER(c->ext, raw);
	return c->parsed;
}

/* ---------- text form ---------- */

static void
AppendFloats(StringInfo buf, const double *v, int n)
{
	appendStringInfoChar(buf, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		PortraitFormatDouble(buf, v[i]);
	}
	appendStringInfoChar(buf, ']');
}

Datum
pp_model_out(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	const ModelField *f = FirstField(m);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"kind\": \"%s\", \"format\": %d", ModelKindName(m->kind), m->format);
	for (int i = 0; i < m->nfields; i++, f = NextField(f))
	{
		const void *d = FieldData(f);

		appendStringInfoString(&buf, ", ");
		escape_json(&buf, FieldName(f));
		appendStringInfoString(&buf, ": ");
		switch ((ModelFieldType) f->type)
		{
			case MF_INT:
				{
					int64		v;

					memcpy(&v, d, sizeof(int64));
					appendStringInfo(&buf, INT64_FORMAT, v);
					break;
				}
			case MF_FLOAT:
				PortraitFormatDouble(&buf, *(const double *) d);
				break;
			case MF_BOOL:
				appendStringInfoString(&buf, *(const char *) d ? "true" : "false");
				break;
			case MF_TEXT:
				escape_json(&buf, (const char *) d);
				break;
			case MF_FLOAT_ARRAY:
				AppendFloats(&buf, d, f->rows);
				break;
			case MF_INT_ARRAY:
				appendStringInfoChar(&buf, '[');
				for (int j = 0; j < f->rows; j++)
				{
					int64		v;

					memcpy(&v, (const char *) d + j * sizeof(int64), sizeof(int64));
					appendStringInfo(&buf, j > 0 ? ", " INT64_FORMAT : INT64_FORMAT, v);
				}
				appendStringInfoChar(&buf, ']');
				break;
			case MF_TEXT_ARRAY:
				{
					/* walked in order: finding each element from the first is quadratic */
					const char *t = (const char *) d;

					appendStringInfoChar(&buf, '[');
					for (int j = 0; j < f->rows; j++, t += strlen(t) + 1)
					{
						if (j > 0)
							appendStringInfoString(&buf, ", ");
						escape_json(&buf, t);
					}
					appendStringInfoChar(&buf, ']');
				}
				break;
			case MF_FLOAT_MATRIX:
				appendStringInfoChar(&buf, '[');
				for (int r = 0; r < f->rows; r++)
				{
					if (r > 0)
						appendStringInfoString(&buf, ", ");
					AppendFloats(&buf, (const double *) d + (Size) r * f->cols, f->cols);
				}
				appendStringInfoChar(&buf, ']');
				break;
		}
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* Numeric jsonb scalar -> double (exact: numeric_float8 rounds correctly). */
static double
JsonbNumberToDouble(ModelBuilder *b, const char *name, JsonbValue *v)
{
	double		d;

	if (v->type != jbvNumeric)
		BadModel(true, "Field \"%s\" must hold numbers.", name);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (isnan(d) || isinf(d))
		BadModel(true, "Field \"%s\" holds a value that is not a finite float8.", name);
	return d;
}

/*
 * Numeric jsonb scalar -> int64, exactly: through the number's decimal digits
 * rather than a double, so that every int64 the output wrote reads back.
 */
static int64
JsonbNumberToInt(ModelBuilder *b, const char *name, JsonbValue *v)
{
	char	   *digits;
	char	   *end;
	long long	i;

	if (v->type != jbvNumeric)
		BadModel(true, "Field \"%s\" must hold numbers.", name);
	digits = numeric_normalize(v->val.numeric);
	errno = 0;
	i = strtoll(digits, &end, 10);
	if (*end != '\0' || end == digits || errno == ERANGE)
		BadModel(true, "Field \"%s\" must hold integers between %lld and %lld.",
				 name, (long long) PG_INT64_MIN, (long long) PG_INT64_MAX);
	return (int64) i;
}

/* Collect an array (of scalars, or of arrays of numbers) from the iterator. */
static void
ReadJsonArray(ModelBuilder *b, const char *name, ModelFieldType t, JsonbIterator **it)
{
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData buf;
	int			n = 0;
	int			rows = 0;
	int			cols = -1;
	int			inrow = 0;
	int			depth = 1;

	initStringInfo(&buf);
	while ((tok = JsonbIteratorNext(it, &v, false)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_ARRAY)
		{
			if (t != MF_FLOAT_MATRIX || depth > 1)
				BadModel(true, "Field \"%s\" must be %s.", name, FieldTypeName(t));
			depth++;
			inrow = 0;
			continue;
		}
		if (tok == WJB_END_ARRAY)
		{
			if (--depth == 0)
				break;
			if (cols >= 0 && inrow != cols)
				BadModel(true, "Rows of field \"%s\" differ in length.", name);
			cols = inrow;
			rows++;
			continue;
		}
		if (tok != WJB_ELEM || (t == MF_FLOAT_MATRIX && depth != 2))
			BadModel(true, "Field \"%s\" must be %s.", name, FieldTypeName(t));
		switch (t)
		{
			case MF_FLOAT_ARRAY:
			case MF_FLOAT_MATRIX:
				{
					double		d = JsonbNumberToDouble(b, name, &v);

					appendBinaryStringInfo(&buf, (const char *) &d, sizeof(double));
					break;
				}
			case MF_INT_ARRAY:
				{
					int64		i = JsonbNumberToInt(b, name, &v);

					appendBinaryStringInfo(&buf, (const char *) &i, sizeof(int64));
					break;
				}
			case MF_TEXT_ARRAY:
				if (v.type != jbvString)
					BadModel(true, "Field \"%s\" must hold strings.", name);
				appendBinaryStringInfo(&buf, v.val.string.val, v.val.string.len);
				appendStringInfoChar(&buf, '\0');
				break;
			default:
				elog(ERROR, "unexpected field type %d", t);
		}
		n++;
		inrow++;
	}

	switch (t)
	{
		case MF_FLOAT_ARRAY:
			ModelPutFloatArray(b, name, (double *) buf.data, n);
			break;
		case MF_FLOAT_MATRIX:
			ModelPutFloatMatrix(b, name, (double *) buf.data, rows, rows > 0 ? cols : 1);
			break;
		case MF_INT_ARRAY:
			ModelPutIntArray(b, name, (int64 *) buf.data, n);
			break;
		case MF_TEXT_ARRAY:
			{
				const char **strs = palloc(sizeof(char *) * (n + 1));
				const char *s = buf.data;

				for (int i = 0; i < n; i++, s += strlen(s) + 1)
					strs[i] = s;
				ModelPutTextArray(b, name, strs, n);
				break;
			}
		default:
			break;
	}
}

static char *
JsonbKey(JsonbValue *v)
{
	return pnstrdup(v->val.string.val, Min(v->val.string.len, MODEL_NAME_MAX + 1));
}

/*
 * Reject JSON nested deeper than a model can be before parsing it: the JSON
 * parser recurses per level, so a hostile text would otherwise end in a stack
 * depth error rather than an input syntax error.
 */
static void
CheckJsonDepth(const char *str)
{
	int			depth = 0;
	bool		instring = false;

	for (const char *p = str; *p; p++)
	{
		if (instring)
		{
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				instring = false;
		}
		else if (*p == '"')
			instring = true;
		else if (*p == '[' || *p == '{')
		{
			if (++depth > PORTRAIT_MODEL_MAX_DEPTH)
				BadModel(true, "A model nests JSON arrays and objects at most %d levels deep.",
						 PORTRAIT_MODEL_MAX_DEPTH);
		}
		else if (*p == ']' || *p == '}')
			depth--;
	}
}

/*
 * The text as jsonb.  Every data error of the JSON reader (a number too
 * large for numeric, an escape that is not a character) is malformed model
 * input, so it is reported as 22P02 with the reader's message.
 */
static Jsonb *
ModelJsonb(const char *str)
{
	MemoryContext cxt = CurrentMemoryContext;
	Jsonb	   *jb = NULL;

	CheckJsonDepth(str);
	PG_TRY();
	{
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION ||
			edata->sqlerrcode == ERRCODE_INVALID_TEXT_REPRESENTATION)
			PG_RE_THROW();
		FlushErrorState();
		edata->sqlerrcode = ERRCODE_INVALID_TEXT_REPRESENTATION;
		ReThrowError(edata);
	}
	PG_END_TRY();
	return jb;
}

/* Build a model from its JSON text form. */
static PortraitModel *
ModelFromJson(const char *str)
{
	Jsonb	   *jb = ModelJsonb(str);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	JsonbValue *kindv;
	JsonbValue *fmtv;
	ModelBuilder *b;
	char	   *kindname;
	const ModelKindSpec *kind;

	if (!JB_ROOT_IS_OBJECT(jb))
		BadModel(true, "A model is a JSON object.");
	kindv = getKeyJsonValueFromContainer(&jb->root, "kind", 4, NULL);
	if (kindv == NULL || kindv->type != jbvString)
		BadModel(true, "A model needs a string field \"kind\".");
	kindname = pnstrdup(kindv->val.string.val, kindv->val.string.len);
	kind = KindByName(kindname);
	if (kind == NULL)
		BadModel(true, "Unknown model kind \"%s\".", kindname);
	fmtv = getKeyJsonValueFromContainer(&jb->root, "format", 6, NULL);
	if (fmtv == NULL || fmtv->type != jbvNumeric)
		BadModel(true, "A model needs a numeric field \"format\".");
	if (JsonbNumberToDouble(NULL, "format", fmtv) != PORTRAIT_MODEL_FORMAT)
		BadModel(true, "Model format %s is not supported; this version reads format %d.",
				 DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(fmtv->val.numeric))),
				 PORTRAIT_MODEL_FORMAT);

	b = ModelBuild(kind->kind);
	b->from_text = true;

	it = JsonbIteratorInit(&jb->root);
	tok = JsonbIteratorNext(&it, &v, false);	/* WJB_BEGIN_OBJECT */
	while ((tok = JsonbIteratorNext(&it, &v, false)) == WJB_KEY)
	{
		char	   *name = JsonbKey(&v);
		bool		isformat = strcmp(name, "format") == 0;
		bool		iskind = strcmp(name, "kind") == 0;
		const ModelFieldSpec *spec = NULL;

		for (int i = 0; i < kind->nfields && !iskind && !isformat; i++)
			if (strcmp(kind->fields[i].name, name) == 0)
				spec = &kind->fields[i];
		if (spec == NULL && !iskind && !isformat)
			BadModel(true, "A model of kind \"%s\" has no field \"%s\".", kind->name, name);

		tok = JsonbIteratorNext(&it, &v, false);
		if (iskind || isformat)
		{
			if (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT)
				BadModel(true, "Field \"%s\" must be a scalar.", name);
			continue;
		}
		if (tok == WJB_BEGIN_ARRAY)
		{
			if (spec->type != MF_FLOAT_ARRAY && spec->type != MF_INT_ARRAY &&
				spec->type != MF_TEXT_ARRAY && spec->type != MF_FLOAT_MATRIX)
				BadModel(true, "Field \"%s\" must be %s.", name, FieldTypeName(spec->type));
			ReadJsonArray(b, spec->name, spec->type, &it);
			continue;
		}
		if (tok != WJB_VALUE)
			BadModel(true, "Field \"%s\" must be %s.", name, FieldTypeName(spec->type));
		switch (spec->type)
		{
			case MF_INT:
				ModelPutInt(b, spec->name, JsonbNumberToInt(b, name, &v));
				break;
			case MF_FLOAT:
				ModelPutFloat(b, spec->name, JsonbNumberToDouble(b, name, &v));
				break;
			case MF_BOOL:
				if (v.type != jbvBool)
					BadModel(true, "Field \"%s\" must be a boolean.", name);
				ModelPutBool(b, spec->name, v.val.boolean);
				break;
			case MF_TEXT:
				if (v.type != jbvString)
					BadModel(true, "Field \"%s\" must be a string.", name);
				ModelPutText(b, spec->name, pnstrdup(v.val.string.val, v.val.string.len));
				break;
			default:
				BadModel(true, "Field \"%s\" must be %s.", name, FieldTypeName(spec->type));
		}
	}
	return ModelFinish(b);
}

Datum
pp_model_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(ModelFromJson(PG_GETARG_CSTRING(0)));
}

Datum
pp_model_to_jsonb(PG_FUNCTION_ARGS)
{
	Datum		text = DirectFunctionCall1(pp_model_out, PG_GETARG_DATUM(0));

	return DirectFunctionCall1(jsonb_in, text);
}

Datum
pp_model_kind(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);

	PG_RETURN_TEXT_P(cstring_to_text(ModelKindName(m->kind)));
}

/* ---------- binary form: portable field by field, validated on receipt ---------- */

Datum
pp_model_send(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	const ModelField *f = FirstField(m);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, m->format);
	pq_sendint16(&buf, m->kind);
	pq_sendint16(&buf, m->nfields);
	for (int i = 0; i < m->nfields; i++, f = NextField(f))
	{
		const char *d = FieldData(f);
		Size		n = (Size) f->rows * f->cols;

		pq_sendint8(&buf, f->type);
		pq_sendstring(&buf, FieldName(f));
		pq_sendint32(&buf, f->rows);
		pq_sendint32(&buf, f->cols);
		switch ((ModelFieldType) f->type)
		{
			case MF_INT:
			case MF_INT_ARRAY:
				for (Size j = 0; j < n; j++)
				{
					int64		v;

					memcpy(&v, d + j * sizeof(int64), sizeof(int64));
					pq_sendint64(&buf, v);
				}
				break;
			case MF_FLOAT:
			case MF_FLOAT_ARRAY:
			case MF_FLOAT_MATRIX:
				for (Size j = 0; j < n; j++)
					pq_sendfloat8(&buf, ((const double *) d)[j]);
				break;
			case MF_BOOL:
				pq_sendint8(&buf, *d);
				break;
			case MF_TEXT:
				pq_sendstring(&buf, d);
				break;
			case MF_TEXT_ARRAY:
				{
					const char *t = (const char *) d;

					for (int j = 0; j < f->rows; j++, t += strlen(t) + 1)
						pq_sendstring(&buf, t);
				}
				break;
		}
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
BadBinary(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid external portrait.model value")));
}

Datum
pp_model_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			format = pq_getmsgint(buf, 2);
	int			kind = pq_getmsgint(buf, 2);
	int			nfields = pq_getmsgint(buf, 2);
	ModelBuilder *b;

	if (format != PORTRAIT_MODEL_FORMAT || KindByNumber(kind) == NULL)
		BadBinary();
	b = ModelBuild(kind);
	for (int i = 0; i < nfields; i++)
	{
		int			type = pq_getmsgint(buf, 1);
		const char *name = pq_getmsgstring(buf);
		int32		rows = pq_getmsgint(buf, 4);
		int32		cols = pq_getmsgint(buf, 4);
		Size		n;

		if (rows < 0 || cols < 1 || (type != MF_FLOAT_MATRIX && cols != 1) ||
			(Size) rows * cols > (Size) (buf->len - buf->cursor))
			BadBinary();
		n = (Size) rows * cols;
		switch (type)
		{
			case MF_INT:
			case MF_INT_ARRAY:
				{
					int64	   *v = palloc(sizeof(int64) * (n + 1));

					for (Size j = 0; j < n; j++)
						v[j] = pq_getmsgint64(buf);
					if (type == MF_INT)
					{
						if (n != 1)
							BadBinary();
						ModelPutInt(b, name, v[0]);
					}
					else
						ModelPutIntArray(b, name, v, rows);
					break;
				}
			case MF_FLOAT:
			case MF_FLOAT_ARRAY:
			case MF_FLOAT_MATRIX:
				{
					double	   *v = palloc(sizeof(double) * (n + 1));

					for (Size j = 0; j < n; j++)
						v[j] = pq_getmsgfloat8(buf);
					if (type == MF_FLOAT)
					{
						if (n != 1)
							BadBinary();
						ModelPutFloat(b, name, v[0]);
					}
					else if (type == MF_FLOAT_ARRAY)
						ModelPutFloatArray(b, name, v, rows);
					else
						ModelPutFloatMatrix(b, name, v, rows, cols);
					break;
				}
			case MF_BOOL:
				ModelPutBool(b, name, pq_getmsgint(buf, 1) != 0);
				break;
			case MF_TEXT:
				ModelPutText(b, name, pq_getmsgstring(buf));
				break;
			case MF_TEXT_ARRAY:
				{
					const char **v = palloc(sizeof(char *) * (n + 1));

					for (Size j = 0; j < n; j++)
						v[j] = pq_getmsgstring(buf);
					ModelPutTextArray(b, name, v, rows);
					break;
				}
			default:
				BadBinary();
		}
	}
	PG_RETURN_POINTER(ModelFinish(b));
}
