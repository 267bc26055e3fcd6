/*
 * tgi.c
 *		Segment profiles: how a customer group differs from its population in
 *		categorical attributes (shares, TGI, z-scores, Cohen's h) and numeric
 *		attributes (means, Cohen's d), from one pass over the rows.
 *
 * The state, portrait.profile, holds for every attribute either the counts
 * of its values or the moments (count, mean, M2) of its numbers, once for
 * the group and once for all rows.  Counts are exact and kept sorted by
 * attribute name and value bytes, so a profile does not depend on row order
 * or on a parallel plan; moments merge with Chan's formula.  Profiles add
 * up: the population of GROUP BY segment profiles is their profile_merge.
 *
 * While an aggregate runs the state is an expanded object in the aggregate
 * context; its flat form is its text form, which is also what parallel
 * workers and distributed engines pass around.
 *
 * Its C names say SegProfile: "profile" alone is the profile tables of
 * src/profile/ (refresh_profile and its history).  The SQL type keeps its
 * name portrait.profile, which stored values and queries use.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "portrait.h"

/* Limits: more distinct values than this need bucketing first. */
#define PORTRAIT_TGI_MAX_VALUES		1000
#define PORTRAIT_TGI_MAX_ATTRS		1000
#define PORTRAIT_TGI_MAX_TERMS		10
#define PORTRAIT_TGI_DEFAULT_TERMS	3
#define PORTRAIT_TGI_Z95			1.959963984540054	/* two-sided 95% normal quantile */
#define SEG_PROFILE_FORMAT				1

typedef enum AttrKind
{
	KIND_UNKNOWN = 'u',			/* only NULLs seen so far */
	KIND_CATEGORY = 'c',
	KIND_NUMERIC = 'n'
} AttrKind;

typedef struct SegProfValue
{
	char	   *str;
	int			len;
	int64		group;
	int64		all;
} SegProfValue;

typedef struct SegProfAttr
{
	char	   *name;
	int			namelen;
	char		kind;			/* AttrKind */
	int			nvalues;
	int			capvalues;
	SegProfValue  *values;			/* sorted by bytes */
	PortraitMoments group;
	PortraitMoments all;
} SegProfAttr;

typedef struct SegProfileState
{
	ExpandedObjectHeader hdr;
	int64		n_group;
	int64		n_all;
	int			nattrs;
	int			capattrs;
	SegProfAttr   *attrs;			/* sorted by name bytes */
	/* per-row scratch: attribute index of each key position, key offsets */
	int			capkeys;
	int		   *hint;
	uint32	   *keyoff;
	/* the text form, built on demand and dropped on any change */
	char	   *flat;
	Size		flatlen;
} SegProfileState;

/* The flat form: a varlena holding the text form. */
typedef struct SegProfileFlat
{
	int32		vl_len_;
	char		text[FLEXIBLE_ARRAY_MEMBER];
} SegProfileFlat;

PG_FUNCTION_INFO_V1(pp_profile_in);
PG_FUNCTION_INFO_V1(pp_profile_out);
PG_FUNCTION_INFO_V1(pp_tgi_trans);
PG_FUNCTION_INFO_V1(pp_profile_agg_trans);
PG_FUNCTION_INFO_V1(pp_tgi_trans_record);
PG_FUNCTION_INFO_V1(pp_profile_agg_trans_record);
PG_FUNCTION_INFO_V1(pp_profile_combine);
PG_FUNCTION_INFO_V1(pp_tgi_table);
PG_FUNCTION_INFO_V1(pp_tgi_table_population);
PG_FUNCTION_INFO_V1(pp_profile_label);
PG_FUNCTION_INFO_V1(pp_profile_label_population);
PG_FUNCTION_INFO_V1(pp_tgi_value);

static Size SegProfileFlatSize(ExpandedObjectHeader *eohptr);
static void SegProfileFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods seg_profile_methods = {
	SegProfileFlatSize,
	SegProfileFlatten
};

/* ---------- the state ---------- */

/* Byte order of names and values (shorter first on a common prefix). */
static inline int
CompareBytes(const char *a, int alen, const char *b, int blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return (alen > blen) - (alen < blen);
}

/* A new, empty expanded state in its own context under parent. */
static SegProfileState *
SegProfileNew(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "portrait profile", ALLOCSET_SMALL_SIZES);
	SegProfileState *ps = MemoryContextAllocZero(cxt, sizeof(SegProfileState));

	EOH_init_header(&ps->hdr, &seg_profile_methods, cxt);
	return ps;
}

/* Is d a pointer to one of our expanded states? */
static inline bool
IsProfileExpanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &seg_profile_methods;
}

/* Drop the cached text form: the state is about to change. */
static inline void
SegProfileTouch(SegProfileState *ps)
{
	if (unlikely(ps->flat != NULL))
	{
		pfree(ps->flat);
		ps->flat = NULL;
	}
}

/* Raise 54000: an attribute with too many distinct values. */
static void
TooManyValues(const SegProfAttr *a)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("attribute \"%.*s\" has more than %d distinct values",
					a->namelen, a->name, PORTRAIT_TGI_MAX_VALUES),
			 errdetail("A profile keeps a count per value; an attribute with that many values is an identifier or a number."),
			 errhint("Bucket the attribute first (a CASE expression, width_bucket or date_trunc), or pass it as a number to profile its mean.")));
}

/* Raise 22000: an attribute that is a number in some rows and text in others. */
static void
KindMismatch(const SegProfAttr *a)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("attribute \"%.*s\" is a number in some rows and text in others",
					a->namelen, a->name),
			 errhint("Pass the attribute as text in every row (to_jsonb(x::text)) to profile its values, or as a number to profile its mean.")));
}

/* Position of the attribute name in ps (sorted), or where it would go. */
static int
SearchAttr(const SegProfileState *ps, const char *name, int len, bool *found)
{
	int			lo = 0;
	int			hi = ps->nattrs;

	*found = false;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = CompareBytes(ps->attrs[mid].name, ps->attrs[mid].namelen, name, len);

		if (c == 0)
		{
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the attribute name, inserted (kind unknown) if new. */
static int
SegProfileAttr(SegProfileState *ps, const char *name, int len)
{
	bool		found;
	int			lo = SearchAttr(ps, name, len, &found);
	SegProfAttr   *a;

	if (found)
		return lo;
	if (ps->nattrs >= PORTRAIT_TGI_MAX_ATTRS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a profile can have at most %d attributes", PORTRAIT_TGI_MAX_ATTRS),
				 errhint("Profile fewer attributes at a time.")));
	if (ps->nattrs >= ps->capattrs)
	{
		int			cap = Max(ps->capattrs * 2, 16);

		ps->attrs = ps->attrs == NULL
			? MemoryContextAlloc(ps->hdr.eoh_context, sizeof(SegProfAttr) * cap)
			: repalloc(ps->attrs, sizeof(SegProfAttr) * cap);
		ps->capattrs = cap;
	}
	memmove(&ps->attrs[lo + 1], &ps->attrs[lo], sizeof(SegProfAttr) * (ps->nattrs - lo));
	ps->nattrs++;
	a = &ps->attrs[lo];
	memset(a, 0, sizeof(SegProfAttr));
	a->name = MemoryContextAlloc(ps->hdr.eoh_context, len + 1);
	memcpy(a->name, name, len);
	a->name[len] = '\0';
	a->namelen = len;
	a->kind = KIND_UNKNOWN;
	/* indexes moved: forget the key position hints */
	for (int i = 0; i < ps->capkeys; i++)
		ps->hint[i] = -1;
	return lo;
}

/* The value's cell in a categorical attribute, inserted with zero counts if new. */
static SegProfValue *
SegProfileValue(SegProfileState *ps, SegProfAttr *a, const char *str, int len)
{
	int			lo = 0;
	int			hi = a->nvalues;
	SegProfValue  *v;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = CompareBytes(a->values[mid].str, a->values[mid].len, str, len);

		if (c == 0)
			return &a->values[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->nvalues >= PORTRAIT_TGI_MAX_VALUES)
		TooManyValues(a);
	if (a->nvalues >= a->capvalues)
	{
		int			cap = Max(a->capvalues * 2, 8);

		a->values = a->values == NULL
			? MemoryContextAlloc(ps->hdr.eoh_context, sizeof(SegProfValue) * cap)
			: repalloc(a->values, sizeof(SegProfValue) * cap);
		a->capvalues = cap;
	}
	memmove(&a->values[lo + 1], &a->values[lo], sizeof(SegProfValue) * (a->nvalues - lo));
	a->nvalues++;
	v = &a->values[lo];
	v->str = MemoryContextAlloc(ps->hdr.eoh_context, len + 1);
	memcpy(v->str, str, len);
	v->str[len] = '\0';
	v->len = len;
	v->group = 0;
	v->all = 0;
	return v;
}

/* Set or check an attribute's kind. */
static inline void
SetKind(SegProfAttr *a, char kind)
{
	if (a->kind == kind)
		return;
	if (a->kind != KIND_UNKNOWN)
		KindMismatch(a);
	a->kind = kind;
}

/* ---------- text form ---------- */

/* Append LEN:bytes (the text form's strings). */
static void
AppendBytes(StringInfo buf, const char *s, int len)
{
	appendStringInfo(buf, "%d:", len);
	appendBinaryStringInfo(buf, s, len);
}

/* Append :n:mean:m2 with exact shortest floats. */
static void
AppendMoments(StringInfo buf, const PortraitMoments *m)
{
	appendStringInfo(buf, ":%lld:", (long long) m->n);
	PortraitFormatDouble(buf, m->mean);
	appendStringInfoChar(buf, ':');
	PortraitFormatDouble(buf, m->m2);
}

/*
 * Text form: format;n_group;n_all;nattrs then per attribute
 * ;LEN:name:kind, kind c followed by :nvalues and :LEN:value:group:all per
 * value, kind n by :n:mean:m2 of the group and of all rows, kind u by
 * nothing.  Strings carry their byte length, so any character is allowed.
 */
static char *
SegProfileText(const SegProfileState *ps, Size *len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%d;%lld;%lld;%d", SEG_PROFILE_FORMAT, (long long) ps->n_group,
					 (long long) ps->n_all, ps->nattrs);
	for (int i = 0; i < ps->nattrs; i++)
	{
		const SegProfAttr *a = &ps->attrs[i];

		appendStringInfoChar(&buf, ';');
		AppendBytes(&buf, a->name, a->namelen);
		appendStringInfo(&buf, ":%c", a->kind);
		if (a->kind == KIND_CATEGORY)
		{
			appendStringInfo(&buf, ":%d", a->nvalues);
			for (int j = 0; j < a->nvalues; j++)
			{
				appendStringInfoChar(&buf, ':');
				AppendBytes(&buf, a->values[j].str, a->values[j].len);
				appendStringInfo(&buf, ":%lld:%lld", (long long) a->values[j].group,
								 (long long) a->values[j].all);
			}
		}
		else if (a->kind == KIND_NUMERIC)
		{
			AppendMoments(&buf, &a->group);
			AppendMoments(&buf, &a->all);
		}
	}
	*len = buf.len;
	return buf.data;
}

/* Raise 22P02 for a malformed text form, saying why. */
static void
BadProfile(const char *input, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%.200s\"", "portrait.profile", input),
			 errdetail("%s", why)));
}

/* Read LEN:bytes at *pos; returns the bytes (not terminated) and their length. */
static const char *
ParseBytes(const char **pos, int *len, const char *input)
{
	int64		n = PortraitParseInt64(pos, "portrait.profile", input);
	const char *s;

	PortraitExpectChar(pos, ':', "portrait.profile", input);
	if (n < 0 || n > (int64) MaxAllocSize || strnlen(*pos, n) != (size_t) n)
		BadProfile(input, "A string is shorter than its length.");
	s = *pos;
	*pos += n;
	*len = (int) n;
	return s;
}

/* Read :n:mean:m2 at *pos and check it. */
static void
ParseMoments(const char **pos, PortraitMoments *m, const char *input)
{
	PortraitExpectChar(pos, ':', "portrait.profile", input);
	m->n = PortraitParseInt64(pos, "portrait.profile", input);
	PortraitExpectChar(pos, ':', "portrait.profile", input);
	m->mean = PortraitParseDouble(pos, "portrait.profile", input);
	PortraitExpectChar(pos, ':', "portrait.profile", input);
	m->m2 = PortraitParseDouble(pos, "portrait.profile", input);
	if (m->n < 0 || m->m2 < 0 || (m->n == 0 && (m->mean != 0 || m->m2 != 0)))
		BadProfile(input, "Moments must have a count of at least zero and a non-negative M2.");
}

/* Parse and check a text form into a new expanded state in parent. */
static SegProfileState *
SegProfileParse(const char *input, MemoryContext parent)
{
	const char *p = input;
	SegProfileState *ps = SegProfileNew(parent);
	int64		fmt;
	int64		nattrs;

	fmt = PortraitParseInt64(&p, "portrait.profile", input);
	if (fmt != SEG_PROFILE_FORMAT)
		BadProfile(input, "Unknown format version.");
	PortraitExpectChar(&p, ';', "portrait.profile", input);
	ps->n_group = PortraitParseInt64(&p, "portrait.profile", input);
	PortraitExpectChar(&p, ';', "portrait.profile", input);
	ps->n_all = PortraitParseInt64(&p, "portrait.profile", input);
	PortraitExpectChar(&p, ';', "portrait.profile", input);
	nattrs = PortraitParseInt64(&p, "portrait.profile", input);
	if (ps->n_group < 0 || ps->n_group > ps->n_all)
		BadProfile(input, "The group must have between zero and all rows.");
	if (nattrs < 0 || nattrs > PORTRAIT_TGI_MAX_ATTRS)
		BadProfile(input, "The attribute count is out of range.");
	for (int i = 0; i < nattrs; i++)
	{
		const char *name;
		int			namelen;
		int			idx;
		SegProfAttr   *a;
		char		kind;

		PortraitExpectChar(&p, ';', "portrait.profile", input);
		name = ParseBytes(&p, &namelen, input);
		if (ps->nattrs > 0 &&
			CompareBytes(ps->attrs[ps->nattrs - 1].name, ps->attrs[ps->nattrs - 1].namelen,
						 name, namelen) >= 0)
			BadProfile(input, "Attributes must be sorted and distinct.");
		idx = SegProfileAttr(ps, name, namelen);
		a = &ps->attrs[idx];
		PortraitExpectChar(&p, ':', "portrait.profile", input);
		kind = *p++;
		if (kind == KIND_CATEGORY)
		{
			int64		nvalues;
			int64		sg = 0;
			int64		sa = 0;

			a->kind = KIND_CATEGORY;
			PortraitExpectChar(&p, ':', "portrait.profile", input);
			nvalues = PortraitParseInt64(&p, "portrait.profile", input);
			if (nvalues < 0 || nvalues > PORTRAIT_TGI_MAX_VALUES)
				BadProfile(input, "The value count is out of range.");
			for (int j = 0; j < nvalues; j++)
			{
				const char *s;
				int			len;
				SegProfValue  *v;

				PortraitExpectChar(&p, ':', "portrait.profile", input);
				s = ParseBytes(&p, &len, input);
				if (a->nvalues > 0 &&
					CompareBytes(a->values[a->nvalues - 1].str, a->values[a->nvalues - 1].len, s, len) >= 0)
					BadProfile(input, "Values must be sorted and distinct.");
				v = SegProfileValue(ps, a, s, len);
				PortraitExpectChar(&p, ':', "portrait.profile", input);
				v->group = PortraitParseInt64(&p, "portrait.profile", input);
				PortraitExpectChar(&p, ':', "portrait.profile", input);
				v->all = PortraitParseInt64(&p, "portrait.profile", input);
				if (v->group < 0 || v->group > v->all)
					BadProfile(input, "A value's group count must be between zero and its count.");
				sg += v->group;
				sa += v->all;
			}
			if (sg > ps->n_group || sa > ps->n_all)
				BadProfile(input, "An attribute's counts add up to more than the rows.");
		}
		else if (kind == KIND_NUMERIC)
		{
			a->kind = KIND_NUMERIC;
			ParseMoments(&p, &a->group, input);
			ParseMoments(&p, &a->all, input);
			if (a->group.n > a->all.n || a->group.n > ps->n_group || a->all.n > ps->n_all)
				BadProfile(input, "An attribute's counts add up to more than the rows.");
		}
		else if (kind != KIND_UNKNOWN)
			BadProfile(input, "Unknown attribute kind.");
	}
	if (*p != '\0')
		BadProfile(input, "Unexpected text after the last attribute.");
	return ps;
}

/* Flat size of an expanded state: the text form, built once and kept until a change. */
static Size
SegProfileFlatSize(ExpandedObjectHeader *eohptr)
{
	SegProfileState *ps = (SegProfileState *) eohptr;

	if (ps->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(ps->hdr.eoh_context);

		ps->flat = SegProfileText(ps, &ps->flatlen);
		MemoryContextSwitchTo(old);
	}
	return add_size(offsetof(SegProfileFlat, text), ps->flatlen);
}

/* Write the flat form (the text form built by SegProfileFlatSize). */
static void
SegProfileFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	SegProfileState *ps = (SegProfileState *) eohptr;
	SegProfileFlat *f = result;

	Assert(ps->flat != NULL);
	SET_VARSIZE(f, allocated_size);
	memcpy(f->text, ps->flat, ps->flatlen);
}

/* Read-only view of a profile datum, expanded or flat (flat is parsed here). */
static SegProfileState *
SegProfileRead(Datum d)
{
	SegProfileFlat *f;
	char	   *text;

	if (IsProfileExpanded(d))
		return (SegProfileState *) DatumGetEOHP(d);
	f = (SegProfileFlat *) PG_DETOAST_DATUM(d);
	text = pnstrdup(f->text, VARSIZE(f) - offsetof(SegProfileFlat, text));
	return SegProfileParse(text, CurrentMemoryContext);
}

/* The transition state at argno, created in the aggregate context on the first row. */
static SegProfileState *
SegProfileGetState(FunctionCallInfo fcinfo, int argno)
{
	MemoryContext aggcxt;
	MemoryContext old;
	SegProfileState *ps;

	aggcxt = PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(argno))
		return SegProfileNew(aggcxt);
	if (IsProfileExpanded(PG_GETARG_DATUM(argno)))
		return (SegProfileState *) DatumGetEOHP(PG_GETARG_DATUM(argno));
	old = MemoryContextSwitchTo(aggcxt);
	ps = SegProfileRead(PG_GETARG_DATUM(argno));
	MemoryContextSwitchTo(old);
	return ps;
}

/* ---------- aggregation ---------- */

/* Raise 22023: attrs is not a jsonb object. */
static void
NotObject(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("attrs must be a jsonb object"),
			 errhint("Pass one key per attribute, e.g. jsonb_build_object('region', region, 'monetary', monetary).")));
}

/* Grow the per-row scratch to n keys. */
static void
SegProfileScratch(SegProfileState *ps, int n)
{
	int			cap = Max(ps->capkeys * 2, 32);

	while (cap < n)
		cap *= 2;
	ps->hint = ps->hint == NULL
		? MemoryContextAlloc(ps->hdr.eoh_context, sizeof(int) * cap)
		: repalloc(ps->hint, sizeof(int) * cap);
	ps->keyoff = ps->keyoff == NULL
		? MemoryContextAlloc(ps->hdr.eoh_context, sizeof(uint32) * cap)
		: repalloc(ps->keyoff, sizeof(uint32) * cap);
	for (int i = ps->capkeys; i < cap; i++)
		ps->hint[i] = -1;
	ps->capkeys = cap;
}

/* Count a row: every attribute it has is added after this. */
static inline void
SegProfileCountRow(SegProfileState *ps, bool in_group)
{
	SegProfileTouch(ps);
	ps->n_all++;
	if (in_group)
		ps->n_group++;
}

/*
 * The attribute of the row's pos-th key or column.  Rows usually carry the
 * same attributes in the same positions, so the attribute of each position
 * is remembered (and checked by name).
 */
static inline SegProfAttr *
SegProfileAttrAt(SegProfileState *ps, int pos, const char *name, int len)
{
	int			idx;

	if (unlikely(pos >= ps->capkeys))
		SegProfileScratch(ps, pos + 1);
	idx = ps->hint[pos];
	if (idx < 0 || idx >= ps->nattrs || ps->attrs[idx].namelen != len ||
		memcmp(ps->attrs[idx].name, name, len) != 0)
	{
		idx = SegProfileAttr(ps, name, len);
		ps->hint[pos] = idx;
	}
	return &ps->attrs[idx];
}

/* Add a number of a numeric attribute to the group's and all rows' moments. */
static inline void
SegProfileAddNumber(SegProfAttr *a, double x, bool in_group)
{
	SetKind(a, KIND_NUMERIC);
	CheckFinite(x, a->name);
	MomentsAdd(&a->all, x);
	if (in_group)
		MomentsAdd(&a->group, x);
}

/* Count a value of a text attribute. */
static inline void
SegProfileAddValue(SegProfileState *ps, SegProfAttr *a, const char *str, int len, bool in_group)
{
	SegProfValue  *v;

	SetKind(a, KIND_CATEGORY);
	v = SegProfileValue(ps, a, str, len);
	v->all++;
	if (in_group)
		v->group++;
}

/*
 * Count one row given as a jsonb object.  It is read in place (keys, then
 * values, as jsonb stores them), so a row allocates nothing once its
 * attribute values have been seen.
 */
static void
SegProfileAddJsonb(SegProfileState *ps, Jsonb *jb, bool in_group)
{
	JsonbContainer *jc = &jb->root;
	int			n;
	const char *base;
	uint32		off = 0;
	uint32		keysend;

	if (!JsonContainerIsObject(jc))
		NotObject();
	SegProfileCountRow(ps, in_group);
	n = JsonContainerSize(jc);
	if (n == 0)
		return;
	if (n > ps->capkeys)
		SegProfileScratch(ps, n);
	base = (const char *) &jc->children[n * 2];

	/* key offsets first: values start where the last key ends */
	for (int i = 0; i < n; i++)
	{
		JEntry		je = jc->children[i];

		ps->keyoff[i] = off;
		off = JBE_HAS_OFF(je) ? JBE_OFFLENFLD(je) : off + JBE_OFFLENFLD(je);
	}
	keysend = off;
	for (int i = 0; i < n; i++)
	{
		uint32		klen = (i + 1 < n ? ps->keyoff[i + 1] : keysend) - ps->keyoff[i];
		JEntry		je = jc->children[n + i];
		uint32		voff = off;
		SegProfAttr   *a;

		off = JBE_HAS_OFF(je) ? JBE_OFFLENFLD(je) : off + JBE_OFFLENFLD(je);
		a = SegProfileAttrAt(ps, i, base + ps->keyoff[i], klen);
		if (JBE_ISNULL(je))
			continue;			/* the NULL bucket is what the counts leave */
		if (JBE_ISNUMERIC(je))
			SegProfileAddNumber(a, PortraitNumericToDouble(NumericGetDatum((Numeric) (base + INTALIGN(voff))),
														a->name), in_group);
		else if (JBE_ISSTRING(je))
			SegProfileAddValue(ps, a, base + voff, off - voff, in_group);
		else if (JBE_ISBOOL_TRUE(je))
			SegProfileAddValue(ps, a, "true", 4, in_group);
		else if (JBE_ISBOOL_FALSE(je))
			SegProfileAddValue(ps, a, "false", 5, in_group);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("attribute \"%.*s\" has a nested value", a->namelen, a->name),
					 errhint("Each attribute must be a string, number, boolean or null.")));
	}
}

/* How a record column is read. */
typedef enum ColumnRead
{
	COL_SKIP,					/* dropped column */
	COL_INT2,
	COL_INT4,
	COL_INT8,
	COL_FLOAT4,
	COL_FLOAT8,
	COL_NUMERIC,
	COL_BOOL,
	COL_TEXT,					/* text, varchar, char: the bytes */
	COL_OUTPUT					/* anything else: its text output */
} ColumnRead;

/* fn_extra of the record forms: the row type's columns, read without lookups. */
typedef struct RecordCache
{
	Oid			typid;
	int32		typmod;
	TupleDesc	desc;
	ColumnRead *read;
	FmgrInfo   *out;
	Datum	   *values;
	bool	   *nulls;
	bool		unnamed;		/* an anonymous row: columns f1, f2, ... */
	ArrayType  *names_arg;		/* the names argument as last read, or NULL */
	char	  **names;			/* its elements, one per column */
} RecordCache;

/* The cached reading plan of a row type, rebuilt when the type changes. */
static RecordCache *
RecordCacheFor(FunctionCallInfo fcinfo, Oid typid, int32 typmod)
{
	RecordCache *rc = fcinfo->flinfo->fn_extra;
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	MemoryContext old;
	TupleDesc	desc;
	int			n;

	if (rc != NULL && rc->typid == typid && rc->typmod == typmod)
		return rc;
	if (rc == NULL)
		rc = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(cxt, sizeof(RecordCache));
	desc = lookup_rowtype_tupdesc(typid, typmod);
	old = MemoryContextSwitchTo(cxt);
	rc->desc = CreateTupleDescCopy(desc);
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(desc);
	n = rc->desc->natts;
	if (n > PORTRAIT_TGI_MAX_ATTRS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a profile can have at most %d attributes", PORTRAIT_TGI_MAX_ATTRS),
				 errhint("Profile fewer attributes at a time.")));
	rc->read = MemoryContextAllocZero(cxt, sizeof(ColumnRead) * Max(n, 1));
	rc->out = MemoryContextAllocZero(cxt, sizeof(FmgrInfo) * Max(n, 1));
	rc->values = MemoryContextAllocZero(cxt, sizeof(Datum) * Max(n, 1));
	rc->nulls = MemoryContextAllocZero(cxt, sizeof(bool) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		Form_pg_attribute att = TupleDescAttr(rc->desc, i);

		if (att->attisdropped)
			rc->read[i] = COL_SKIP;
		else
			switch (att->atttypid)
			{
				case INT2OID:
					rc->read[i] = COL_INT2;
					break;
				case INT4OID:
					rc->read[i] = COL_INT4;
					break;
				case INT8OID:
					rc->read[i] = COL_INT8;
					break;
				case FLOAT4OID:
					rc->read[i] = COL_FLOAT4;
					break;
				case FLOAT8OID:
					rc->read[i] = COL_FLOAT8;
					break;
				case NUMERICOID:
					rc->read[i] = COL_NUMERIC;
					break;
				case BOOLOID:
					rc->read[i] = COL_BOOL;
					break;
				case TEXTOID:
				case VARCHAROID:
				case BPCHAROID:
					rc->read[i] = COL_TEXT;
					break;
				default:
					{
						Oid			outfn;
						bool		varlena;

						getTypeOutputInfo(att->atttypid, &outfn, &varlena);
						fmgr_info_cxt(outfn, &rc->out[i], cxt);
						rc->read[i] = COL_OUTPUT;
					}
			}
	}
	/*
	 * ROW(a, b) names its columns f1, f2, ...; so does a LATERAL row that
	 * Citus sends to its workers, which drops the subquery's column names.
	 */
	rc->unnamed = typid == RECORDOID && n > 0;
	for (int i = 0; i < n && rc->unnamed; i++)
	{
		char		gen[NAMEDATALEN];

		snprintf(gen, sizeof(gen), "f%d", i + 1);
		rc->unnamed = strcmp(NameStr(TupleDescAttr(rc->desc, i)->attname), gen) == 0;
	}
	rc->names_arg = NULL;
	rc->typid = typid;
	rc->typmod = typmod;
	return rc;
}

/*
 * The attribute names of the names argument (one text per column of the
 * record, none NULL or empty), read again only when the array changes.
 */
static void
RecordNames(FunctionCallInfo fcinfo, RecordCache *rc, ArrayType *arr)
{
	MemoryContext cxt = fcinfo->flinfo->fn_mcxt;
	Datum	   *elems;
	bool	   *enulls;
	int			n;

	if (rc->names_arg != NULL && VARSIZE(rc->names_arg) == VARSIZE(arr) &&
		memcmp(rc->names_arg, arr, VARSIZE(arr)) == 0)
		return;
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("attribute names must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
	if (n != rc->desc->natts)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the number of attribute names (%d) differs from the number of columns of attrs (%d)", n, rc->desc->natts),
				 errhint("Name every column of attrs, in order.")));
	rc->names = MemoryContextAllocZero(cxt, sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		if (enulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("attribute names must not be NULL")));
		rc->names[i] = MemoryContextStrdup(cxt, TextDatumGetCString(elems[i]));
		if (rc->names[i][0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("attribute names must not be empty")));
	}
	rc->names_arg = MemoryContextAlloc(cxt, VARSIZE(arr));
	memcpy(rc->names_arg, arr, VARSIZE(arr));
}

/*
 * Count one row given as a record: a column is an attribute named like the
 * column, or by names (NULL: the record's own names, which an anonymous row
 * lacks); numbers (integers, floats, numeric) are numeric attributes, text
 * columns are counted by their bytes, booleans as true/false, any other type
 * by its text output.  Nothing is allocated per row for text and numbers.
 */
static void
SegProfileAddRecord(FunctionCallInfo fcinfo, SegProfileState *ps, HeapTupleHeader th, bool in_group,
					ArrayType *names)
{
	RecordCache *rc = RecordCacheFor(fcinfo, HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
	HeapTupleData tup;

	if (names != NULL)
		RecordNames(fcinfo, rc, names);
	else if (rc->unnamed)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the columns of the attrs record have no names"),
				 errdetail("An anonymous row such as ROW(a, b) names its columns f1, f2, ...; so does a distributed plan (Citus sends a LATERAL row to its workers as ROW(...))."),
				 errhint("Pass the names, as in profile_agg(a, ARRAY['region', 'city_tier']) or tgi(in_group, a, ARRAY[...]), or use the jsonb form.")));

	tup.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = th;
	heap_deform_tuple(&tup, rc->desc, rc->values, rc->nulls);
	SegProfileCountRow(ps, in_group);
	for (int i = 0; i < rc->desc->natts; i++)
	{
		const char *name = names ? rc->names[i] : NameStr(TupleDescAttr(rc->desc, i)->attname);
		Datum		d = rc->values[i];
		SegProfAttr   *a;

		if (rc->read[i] == COL_SKIP)
			continue;
		a = SegProfileAttrAt(ps, i, name, strlen(name));
		if (rc->nulls[i])
			continue;
		switch (rc->read[i])
		{
			case COL_INT2:
				SegProfileAddNumber(a, DatumGetInt16(d), in_group);
				break;
			case COL_INT4:
				SegProfileAddNumber(a, DatumGetInt32(d), in_group);
				break;
			case COL_INT8:
				SegProfileAddNumber(a, (double) DatumGetInt64(d), in_group);
				break;
			case COL_FLOAT4:
				SegProfileAddNumber(a, DatumGetFloat4(d), in_group);
				break;
			case COL_FLOAT8:
				SegProfileAddNumber(a, DatumGetFloat8(d), in_group);
				break;
			case COL_NUMERIC:
				SegProfileAddNumber(a, PortraitNumericToDouble(d, a->name), in_group);
				break;
			case COL_BOOL:
				if (DatumGetBool(d))
					SegProfileAddValue(ps, a, "true", 4, in_group);
				else
					SegProfileAddValue(ps, a, "false", 5, in_group);
				break;
			case COL_TEXT:
				{
					text	   *t = DatumGetTextPP(d);

					SegProfileAddValue(ps, a, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), in_group);
				}
				break;
			case COL_OUTPUT:
				{
					char	   *s = OutputFunctionCall(&rc->out[i], d);

					SegProfileAddValue(ps, a, s, strlen(s), in_group);
				}
				break;
			case COL_SKIP:
				break;
		}
	}
}

/* tgi(in_group, attrs): rows with NULL attrs are skipped; NULL in_group is outside the group. */
Datum
pp_tgi_trans(PG_FUNCTION_ARGS)
{
	SegProfileState *ps = SegProfileGetState(fcinfo, 0);

	if (!PG_ARGISNULL(2))
		SegProfileAddJsonb(ps, PG_GETARG_JSONB_P(2), !PG_ARGISNULL(1) && PG_GETARG_BOOL(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* The names argument at argno of the forms that have one (22004 if NULL), else NULL. */
static ArrayType *
RecordNamesArg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno)
		return NULL;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("attribute names must not be NULL")));
	return PG_GETARG_ARRAYTYPE_P(argno);
}

/*
 * tgi(in_group, attrs record[, names]): the columns of a row are the
 * attributes, named by the columns or by names.
 */
Datum
pp_tgi_trans_record(PG_FUNCTION_ARGS)
{
	SegProfileState *ps = SegProfileGetState(fcinfo, 0);

	if (!PG_ARGISNULL(2))
		SegProfileAddRecord(fcinfo, ps, PG_GETARG_HEAPTUPLEHEADER(2), !PG_ARGISNULL(1) && PG_GETARG_BOOL(1),
							RecordNamesArg(fcinfo, 3));
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* profile_agg(attrs): every row is in the group. */
Datum
pp_profile_agg_trans(PG_FUNCTION_ARGS)
{
	SegProfileState *ps = SegProfileGetState(fcinfo, 0);

	if (!PG_ARGISNULL(1))
		SegProfileAddJsonb(ps, PG_GETARG_JSONB_P(1), true);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* profile_agg(attrs record[, names]) */
Datum
pp_profile_agg_trans_record(PG_FUNCTION_ARGS)
{
	SegProfileState *ps = SegProfileGetState(fcinfo, 0);

	if (!PG_ARGISNULL(1))
		SegProfileAddRecord(fcinfo, ps, PG_GETARG_HEAPTUPLEHEADER(1), true, RecordNamesArg(fcinfo, 2));
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* Add profile b into a (combine of every profile aggregate, and profile_merge). */
static void
SegProfileMerge(SegProfileState *a, const SegProfileState *b)
{
	SegProfileTouch(a);
	a->n_group += b->n_group;
	a->n_all += b->n_all;
	for (int i = 0; i < b->nattrs; i++)
	{
		const SegProfAttr *ba = &b->attrs[i];
		int			idx = SegProfileAttr(a, ba->name, ba->namelen);
		SegProfAttr   *aa = &a->attrs[idx];

		if (ba->kind == KIND_UNKNOWN)
			continue;
		SetKind(aa, ba->kind);
		if (ba->kind == KIND_NUMERIC)
		{
			MomentsMerge(&aa->group, &ba->group);
			MomentsMerge(&aa->all, &ba->all);
		}
		else
			for (int j = 0; j < ba->nvalues; j++)
			{
				SegProfValue  *v = SegProfileValue(a, aa, ba->values[j].str, ba->values[j].len);

				v->group += ba->values[j].group;
				v->all += ba->values[j].all;
			}
	}
}

/* Combine function of every profile aggregate and transition function of profile_merge. */
Datum
pp_profile_combine(PG_FUNCTION_ARGS)
{
	SegProfileState *a;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	a = SegProfileGetState(fcinfo, 0);
	SegProfileMerge(a, SegProfileRead(PG_GETARG_DATUM(1)));
	PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
}

/* Text output of portrait.profile. */
Datum
pp_profile_out(PG_FUNCTION_ARGS)
{
	SegProfileState *ps = SegProfileRead(PG_GETARG_DATUM(0));
	Size		len;

	PG_RETURN_CSTRING(SegProfileText(ps, &len));
}

/* Text input of portrait.profile: parsed and checked, stored as its canonical text. */
Datum
pp_profile_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	SegProfileState *ps = SegProfileParse(input, CurrentMemoryContext);
	Size		len;
	char	   *text = SegProfileText(ps, &len);
	SegProfileFlat *f = palloc(offsetof(SegProfileFlat, text) + len);

	SET_VARSIZE(f, offsetof(SegProfileFlat, text) + len);
	memcpy(f->text, text, len);
	PG_RETURN_POINTER(f);
}

/* ---------- results ---------- */

/* One result row: a category value, the NULL bucket, or a numeric attribute. */
typedef struct SegProfileRow
{
	const SegProfAttr *attr;
	const char *value;			/* NULL: the NULL bucket or a numeric attribute */
	int			valuelen;
	bool		numeric;
	int64		group_count;
	int64		pop_count;
	double		group_share;	/* NaN: not defined */
	double		pop_share;
	double		tgi;
	double		tgi_low;		/* 95% interval of the TGI */
	double		tgi_high;
	double		z;
	double		effect;			/* Cohen's h (category) or d (numeric) */
	double		group_mean;
	double		pop_mean;
} SegProfileRow;

/*
 * The TGI of a share against the population's, 100 x (part / total) /
 * (population part / population total): counts of a segment profile, or
 * weights (spend, weighted events) of a customer's preferences.  NaN when it
 * is not defined (an empty group, or a value the population lacks).
 */
double
PortraitTgi(double part, double total, double pop_part, double pop_total)
{
	if (!(total > 0) || !(pop_part > 0) || !(pop_total > 0))
		return NAN;
	return 100.0 * (part / total) / (pop_part / pop_total);
}

/* tgi_value(part, total, population_part, population_total): PortraitTgi, NULL when undefined. */
Datum
pp_tgi_value(PG_FUNCTION_ARGS)
{
	double		part = PG_GETARG_FLOAT8(0);
	double		total = PG_GETARG_FLOAT8(1);
	double		pop_part = PG_GETARG_FLOAT8(2);
	double		pop_total = PG_GETARG_FLOAT8(3);
	double		t;

	CheckFinite(part, "part");
	CheckFinite(total, "total");
	CheckFinite(pop_part, "population_part");
	CheckFinite(pop_total, "population_total");
	if (part < 0 || part > total || pop_part > pop_total)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tgi_value needs 0 <= part <= total and population_part <= population_total")));
	t = PortraitTgi(part, total, pop_part, pop_total);
	if (isnan(t))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(CheckScore(t, "tgi_value"));
}

/*
 * The share of a value in a group of ng (a of them have it) against its
 * share in the population of N (A have it): shares, TGI with the Wilson 95%
 * interval, z-score of the group against the rest and Cohen's h.  Segment
 * profiles and audience profiles (src/tags) both report these.
 */
void
PortraitShareCompare(int64 a, int64 ng, int64 A, int64 N, PortraitShareStats *s)
{
	double		pg = ng > 0 ? (double) a / ng : NAN;
	double		pp = N > 0 ? (double) A / N : NAN;

	s->share = pg;
	s->pop_share = pp;
	s->tgi = (ng > 0 && A > 0) ? PortraitTgi(a, ng, A, N) : NAN;
	s->tgi_low = s->tgi_high = NAN;
	if (ng > 0 && A > 0)
	{
		/*
		 * Wilson score interval of the group share; the population share is
		 * a census, not a sample, so it divides the bounds as it is.
		 */
		double		z2n = PORTRAIT_TGI_Z95 * PORTRAIT_TGI_Z95 / ng;
		double		center = (pg + z2n / 2) / (1 + z2n);
		double		half = PORTRAIT_TGI_Z95 * sqrt(pg * (1 - pg) / ng + z2n / (4.0 * ng)) / (1 + z2n);

		s->tgi_low = 100.0 * Max(center - half, 0.0) / pp;
		s->tgi_high = 100.0 * Min(center + half, 1.0) / pp;
	}
	/* group against the rest of the population; Var(pg - pp) = p(1-p)(1/ng - 1/N) */
	s->z = (ng > 0 && ng < N && A > 0 && A < N)
		? (pg - pp) / sqrt(pp * (1 - pp) * (1.0 / ng - 1.0 / N)) : NAN;
	if (ng > 0 && ng < N)
	{
		double		prest = (double) (A - a) / (N - ng);

		s->effect = 2 * asin(sqrt(pg)) - 2 * asin(sqrt(prest));
	}
	else
		s->effect = NAN;
}

/* Statistics of a category value with a in the group of ng, A in the population of N. */
static void
CategoryStats(SegProfileRow *r, int64 a, int64 ng, int64 A, int64 N)
{
	PortraitShareStats s;

	PortraitShareCompare(a, ng, A, N, &s);
	r->group_count = a;
	r->pop_count = A;
	r->group_share = s.share;
	r->pop_share = s.pop_share;
	r->tgi = s.tgi;
	r->tgi_low = s.tgi_low;
	r->tgi_high = s.tgi_high;
	r->z = s.z;
	r->effect = s.effect;
	r->group_mean = NAN;
	r->pop_mean = NAN;
}

/* Statistics of a numeric attribute: group and population moments, rows ng of N. */
static void
NumericStats(SegProfileRow *r, const PortraitMoments *g, const PortraitMoments *p)
{
	r->group_count = g->n;
	r->pop_count = p->n;
	r->group_share = NAN;
	r->pop_share = NAN;
	r->tgi = NAN;
	r->tgi_low = NAN;
	r->tgi_high = NAN;
	r->group_mean = g->n > 0 ? g->mean : NAN;
	r->pop_mean = p->n > 0 ? p->mean : NAN;
	r->z = NAN;
	r->effect = NAN;
	if (g->n > 0 && g->n < p->n && p->n > 1)
	{
		double		s2 = p->m2 / (p->n - 1);
		double		nr = (double) (p->n - g->n);
		double		mr = ((double) p->n * p->mean - (double) g->n * g->mean) / nr;
		double		dm = g->mean - mr;
		double		m2r = p->m2 - g->m2 - dm * dm * (double) g->n * nr / p->n;
		double		pooled;

		if (s2 > 0)
			r->z = (g->mean - p->mean) / sqrt(s2 * (1.0 / g->n - 1.0 / p->n));
		/* Cohen's d: group against the rest, pooled SD of the two */
		pooled = p->n > 2 ? (g->m2 + Max(m2r, 0.0)) / (p->n - 2) : 0;
		if (pooled > 0)
			r->effect = dm / sqrt(pooled);
	}
}

/* Raise 22000: the group profile does not come from the population's rows. */
static void
NotInPopulation(const SegProfAttr *a, const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("group profile is not part of the population profile"),
			 errdetail("Attribute \"%.*s\": %s", a->namelen, a->name, why),
			 errhint("Build the population from the same rows, e.g. profile_merge of every group's profile.")));
}

/* Find attribute name in ps, or NULL. */
static const SegProfAttr *
FindAttr(const SegProfileState *ps, const char *name, int len)
{
	bool		found;
	int			i = SearchAttr(ps, name, len, &found);

	return found ? &ps->attrs[i] : NULL;
}

/*
 * The rows of group g against population p: g's group counts against p's
 * counts of all rows (g == p for a profile of one group and its population).
 * Attributes in name order, values in byte order, the NULL bucket last.
 */
static SegProfileRow *
SegProfileRows(const SegProfileState *g, const SegProfileState *p, int *nrows)
{
	int			cap = 0;
	int			n = 0;
	SegProfileRow *rows;

	if (g != p)
	{
		if (g->n_group > p->n_all)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("group profile is not part of the population profile"),
					 errdetail("The group has %lld rows, the population %lld.",
							   (long long) g->n_group, (long long) p->n_all),
					 errhint("Build the population from the same rows, e.g. profile_merge of every group's profile.")));
		for (int i = 0; i < g->nattrs; i++)
		{
			const SegProfAttr *ga = &g->attrs[i];
			const SegProfAttr *pa = FindAttr(p, ga->name, ga->namelen);

			if (ga->kind == KIND_UNKNOWN)
				continue;
			if (pa == NULL)
				NotInPopulation(ga, "the population does not have it.");
			if (pa->kind != ga->kind)
				KindMismatch(ga);
		}
	}
	for (int i = 0; i < p->nattrs; i++)
		cap += p->attrs[i].kind == KIND_CATEGORY ? p->attrs[i].nvalues + 1 : 1;
	rows = palloc0(sizeof(SegProfileRow) * Max(cap, 1));

	for (int i = 0; i < p->nattrs; i++)
	{
		const SegProfAttr *pa = &p->attrs[i];
		const SegProfAttr *ga = g == p ? pa : FindAttr(g, pa->name, pa->namelen);
		static const PortraitMoments none = {0};

		CHECK_FOR_INTERRUPTS();
		if (pa->kind == KIND_NUMERIC)
		{
			rows[n].attr = pa;
			rows[n].numeric = true;
			NumericStats(&rows[n], ga && ga->kind == KIND_NUMERIC ? &ga->group : &none, &pa->all);
			if (rows[n].group_count > rows[n].pop_count)
				NotInPopulation(pa, "the group has more values than the population.");
			n++;
		}
		else
		{
			int64		sg = 0;
			int64		sa = 0;
			int			k = 0;

			for (int j = 0; j < pa->nvalues; j++)
			{
				const SegProfValue *pv = &pa->values[j];
				int64		a = 0;

				if (ga == pa)
					a = pv->group;
				else if (ga != NULL && ga->kind == KIND_CATEGORY)
				{
					/* both sorted: walk g's values alongside */
					while (k < ga->nvalues &&
						   CompareBytes(ga->values[k].str, ga->values[k].len, pv->str, pv->len) < 0)
					{
						if (ga->values[k].group > 0)
							NotInPopulation(pa, psprintf("value \"%s\" is missing from the population.",
														 ga->values[k].str));
						k++;
					}
					if (k < ga->nvalues && ga->values[k].len == pv->len &&
						memcmp(ga->values[k].str, pv->str, pv->len) == 0)
						a = ga->values[k++].group;
				}
				if (a > pv->all)
					NotInPopulation(pa, psprintf("value \"%s\" has more rows in the group than in the population.",
												 pv->str));
				rows[n].attr = pa;
				rows[n].value = pv->str;
				rows[n].valuelen = pv->len;
				CategoryStats(&rows[n], a, g->n_group, pv->all, p->n_all);
				n++;
				sg += a;
				sa += pv->all;
			}
			if (ga != NULL && ga != pa && ga->kind == KIND_CATEGORY)
				for (; k < ga->nvalues; k++)
					if (ga->values[k].group > 0)
						NotInPopulation(pa, psprintf("value \"%s\" is missing from the population.",
													 ga->values[k].str));
			/* the NULL bucket: rows without a value */
			if (p->n_all - sa > 0)
			{
				if (g->n_group - sg > p->n_all - sa)
					NotInPopulation(pa, "the group has more NULLs than the population.");
				rows[n].attr = pa;
				rows[n].value = NULL;
				CategoryStats(&rows[n], g->n_group - sg, g->n_group, p->n_all - sa, p->n_all);
				n++;
			}
		}
	}
	*nrows = n;
	return rows;
}

/* Result column i: x, or NULL where it is not defined (NaN). */
static inline void
PutFloat(Datum *values, bool *nulls, int i, double x)
{
	nulls[i] = isnan(x) || isinf(x);
	values[i] = Float8GetDatum(nulls[i] ? 0 : x);
}

/* Raise 22023 for a negative min_count. */
static void
CheckMinCount(int64 min_count)
{
	if (min_count < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_count must be zero or positive, not %lld", (long long) min_count)));
}

/* Emit the rows of g against p with at least min_count group rows. */
static Datum
TgiTable(FunctionCallInfo fcinfo, const SegProfileState *g, const SegProfileState *p, int64 min_count)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	SegProfileRow *rows;
	int			n;

	CheckMinCount(min_count);
	InitMaterializedSRF(fcinfo, 0);
	rows = SegProfileRows(g, p, &n);
	for (int i = 0; i < n; i++)
	{
		const SegProfileRow *r = &rows[i];
		Datum		values[13];
		bool		nulls[13] = {0};

		if (r->group_count < min_count)
			continue;
		values[0] = PointerGetDatum(cstring_to_text_with_len(r->attr->name, r->attr->namelen));
		if (r->value != NULL)
			values[1] = PointerGetDatum(cstring_to_text_with_len(r->value, r->valuelen));
		else
			nulls[1] = true;
		values[2] = Int64GetDatum(r->group_count);
		PutFloat(values, nulls, 3, r->group_share);
		values[4] = Int64GetDatum(r->pop_count);
		PutFloat(values, nulls, 5, r->pop_share);
		PutFloat(values, nulls, 6, r->tgi);
		PutFloat(values, nulls, 7, r->tgi_low);
		PutFloat(values, nulls, 8, r->tgi_high);
		PutFloat(values, nulls, 9, r->z);
		PutFloat(values, nulls, 10, r->effect);
		PutFloat(values, nulls, 11, r->group_mean);
		PutFloat(values, nulls, 12, r->pop_mean);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* tgi_table(profile [, min_count]): the group of a tgi() profile against its rows. */
Datum
pp_tgi_table(PG_FUNCTION_ARGS)
{
	SegProfileState *ps = SegProfileRead(PG_GETARG_DATUM(0));

	return TgiTable(fcinfo, ps, ps, PG_GETARG_INT64(1));
}

/* tgi_table(grp, population [, min_count]): a group's profile against a population's. */
Datum
pp_tgi_table_population(PG_FUNCTION_ARGS)
{
	SegProfileState *g = SegProfileRead(PG_GETARG_DATUM(0));
	SegProfileState *p = SegProfileRead(PG_GETARG_DATUM(1));

	return TgiTable(fcinfo, g, p, PG_GETARG_INT64(2));
}

/*
 * The label of g against p from the effect sizes: Cohen's d of numeric
 * attributes (either sign) and Cohen's h of over-represented values.
 */
static text *
SegProfileLabelText(const SegProfileState *g, const SegProfileState *p, int terms, int64 min_count)
{
	SegProfileRow *rows;
	int			n;
	int			d = 0;
	double	   *z;
	const char **names;
	char	   *label;

	if (terms < 1 || terms > PORTRAIT_TGI_MAX_TERMS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("terms must be between 1 and %d, not %d", PORTRAIT_TGI_MAX_TERMS, terms)));
	CheckMinCount(min_count);
	rows = SegProfileRows(g, p, &n);
	z = palloc(sizeof(double) * Max(n, 1));
	names = palloc(sizeof(char *) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		const SegProfileRow *r = &rows[i];

		if (isnan(r->effect) || r->group_count < min_count)
			continue;
		if (r->numeric)
		{
			z[d] = r->effect;
			names[d++] = r->attr->name;
		}
		else if (r->value != NULL && r->effect > 0)
		{
			z[d] = r->effect;
			names[d++] = psprintf("%s=%s", r->attr->name, r->value);
		}
	}
	label = PortraitProfileLabel(z, names, d, terms);
	return cstring_to_text(label);
}

/* profile_label(profile [, terms [, min_count]]) */
Datum
pp_profile_label(PG_FUNCTION_ARGS)
{
	SegProfileState *ps = SegProfileRead(PG_GETARG_DATUM(0));

	PG_RETURN_TEXT_P(SegProfileLabelText(ps, ps, PG_GETARG_INT32(1), PG_GETARG_INT64(2)));
}

/* profile_label(grp, population [, terms [, min_count]]) */
Datum
pp_profile_label_population(PG_FUNCTION_ARGS)
{
	SegProfileState *g = SegProfileRead(PG_GETARG_DATUM(0));
	SegProfileState *p = SegProfileRead(PG_GETARG_DATUM(1));

	PG_RETURN_TEXT_P(SegProfileLabelText(g, p, PG_GETARG_INT32(2), PG_GETARG_INT64(3)));
}
