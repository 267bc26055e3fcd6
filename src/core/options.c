/*
 * options.c
 *		The jsonb options of every fit, read one way: one visitor over the
 *		keys, one spelling per setting (with its documented aliases), one
 *		validator per kind of value, one message per kind of mistake, and one
 *		per-call-site cache of the options a transition function was given.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "portrait.h"

/*
 * Settings that families spelt differently: the first spelling is the one
 * every fit documents, the second is accepted for it.
 */
static const char *const aliases[][2] = {
	{"max_iter", "max_iterations"},
	{"penalizer", "lambda"},
};

/* The documented spelling of key. */
static const char *
CanonicalKey(const char *key)
{
	for (int i = 0; i < (int) lengthof(aliases); i++)
		if (strcmp(key, aliases[i][1]) == 0)
			return aliases[i][0];
	return key;
}

/*
 * Visit each key of a fit's jsonb options object in turn (22023 unless it is
 * an object), under its documented spelling; nested values come as
 * jbvBinary.  A setting given under both of its spellings is 22023.  The
 * caller decides what keys mean and which are refused.
 */
void
PortraitForEachOption(Jsonb *opts, const char *func, PortraitOptionFn visit, void *arg)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	bool		seen[lengthof(aliases)] = {false};

	if (!JB_ROOT_IS_OBJECT(opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of %s must be a JSON object", func),
				 errhint("For example '{\"max_iter\": 100}'.")));
	it = JsonbIteratorInit(&opts->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		const char *canonical;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		canonical = CanonicalKey(key);
		for (int i = 0; i < (int) lengthof(aliases); i++)
			if (strcmp(canonical, aliases[i][0]) == 0)
			{
				if (seen[i])
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("options \"%s\" and \"%s\" of %s name the same setting",
									aliases[i][0], aliases[i][1], func),
							 errhint("Give it once, as \"%s\".", aliases[i][0])));
				seen[i] = true;
			}
		(void) JsonbIteratorNext(&it, &v, true);
		visit(canonical, &v, arg);
		pfree(key);
	}
}

/*
 * An option key a function does not know: 0A000 everywhere, so that a
 * misspelt option is never silently ignored and callers can tell it from a
 * known option with a bad value (22023).
 */
void
PortraitUnknownOption(const char *func, const char *key, const char *known)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("unsupported option \"%s\" of %s", key, func),
			 errhint("The options are %s.", known)));
}

/* A known option with an unusable value: 22023, saying what it must be. */
void
PortraitBadOption(const char *func, const char *key, const char *should)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" of %s must be %s", key, func, should)));
}

/* A finite number. */
double
PortraitOptionFloat(JsonbValue *v, const char *func, const char *key)
{
	double		d;

	if (v->type != jbvNumeric)
		PortraitBadOption(func, key, "a number");
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d))
		PortraitBadOption(func, key, "a finite number");
	return d;
}

/*
 * A number in [lo, hi], or in (lo, hi) when open; should says which, for the
 * message.
 */
double
PortraitOptionRange(JsonbValue *v, const char *func, const char *key, double lo, double hi, bool open,
					const char *should)
{
	double		d;

	if (v->type != jbvNumeric)
		PortraitBadOption(func, key, "a number");
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d) || d < lo || d > hi || (open && (d == lo || d == hi)))
		PortraitBadOption(func, key, should);
	return d;
}

/* An integer from lo to hi. */
int64
PortraitOptionInteger(JsonbValue *v, const char *func, const char *key, int64 lo, int64 hi)
{
	double		d;

	if (v->type != jbvNumeric)
		PortraitBadOption(func, key, "a number");
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d) || d != floor(d) || d < (double) lo || d > (double) hi)
		PortraitBadOption(func, key, psprintf("an integer from " INT64_FORMAT " to " INT64_FORMAT, lo, hi));
	return (int64) d;
}

/* true or false. */
bool
PortraitOptionBool(JsonbValue *v, const char *func, const char *key)
{
	if (v->type != jbvBool)
		PortraitBadOption(func, key, "true or false");
	return v->val.boolean;
}

/* A string (palloc'd); should names the allowed values for the message. */
char *
PortraitOptionString(JsonbValue *v, const char *func, const char *key, const char *should)
{
	if (v->type != jbvString)
		PortraitBadOption(func, key, should);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

/* The elements of an array (nested containers stay jbvBinary); *n of them. */
JsonbValue *
PortraitOptionArray(JsonbValue *v, const char *func, const char *key, const char *should, int *n)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	JsonbValue *out;
	int			cap = 8;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		PortraitBadOption(func, key, should);
	out = palloc(sizeof(JsonbValue) * cap);
	*n = 0;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (*n >= cap)
		{
			cap *= 2;
			out = repalloc(out, sizeof(JsonbValue) * cap);
		}
		out[(*n)++] = e;
	}
	return out;
}

/* An array of strings (feature_names): *n palloc'd strings. */
char **
PortraitOptionNames(JsonbValue *v, const char *func, const char *key, int *n)
{
	JsonbValue *e = PortraitOptionArray(v, func, key, "an array of strings", n);
	char	  **names = palloc(sizeof(char *) * Max(*n, 1));

	for (int i = 0; i < *n; i++)
	{
		if (e[i].type != jbvString)
			PortraitBadOption(func, key, "an array of strings");
		names[i] = pnstrdup(e[i].val.string.val, e[i].val.string.len);
	}
	return names;
}

/*
 * Whether jb differs from the options this call site saw last; if so they
 * are remembered, with their canonical text (which rides in the aggregate
 * state to the final function), and the caller checks them.  Everything
 * lives in cxt, the call site's context, so it lasts the query.
 */
bool
PortraitOptionsChanged(PortraitOptionsCache *c, MemoryContext cxt, Jsonb *jb)
{
	Size		len = VARSIZE(jb);
	MemoryContext old;

	if (c->bytes != NULL && c->len == len && memcmp(c->bytes, jb, len) == 0)
		return false;
	old = MemoryContextSwitchTo(cxt);
	if (c->bytes != NULL)
	{
		pfree(c->bytes);
		pfree(c->text);
	}
	c->len = len;
	c->bytes = palloc(len);
	memcpy(c->bytes, jb, len);
	c->text = JsonbToCString(NULL, &jb->root, len);
	MemoryContextSwitchTo(old);
	return true;
}
