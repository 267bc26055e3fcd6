/*
 * tags.h
 *		What the tag-library modules share: reading and returning
 *		portrait.bitmap values, and the bit-sliced index of numeric tags.
 */
#ifndef PORTRAIT_TAGS_H
#define PORTRAIT_TAGS_H

#include <roaring/roaring.h>

#include "fmgr.h"

/* bitmap.c */
extern roaring_bitmap_t *BitmapKeep(MemoryContext cxt, roaring_bitmap_t *rb);
extern roaring_bitmap_t *BitmapDeserialize(const char *buf, Size len);
extern roaring_bitmap_t *BitmapReadChecked(const char *buf, Size len);
extern const roaring_bitmap_t *BitmapRead(Datum d);
extern Datum BitmapResult(const roaring_bitmap_t *rb);
extern uint32 BitmapCheckId(int64 id);

/* bsi.c: comparisons of a numeric tag against decimal constants */
typedef enum BsiOp
{
	BSI_EQ,
	BSI_NE,
	BSI_LT,
	BSI_LE,
	BSI_GT,
	BSI_GE,
	BSI_BETWEEN					/* lo <= v AND v <= hi */
} BsiOp;

/*
 * The ids of bsi (a portrait.bsi datum) whose value compares true against
 * the decimal constant lo (and hi for BSI_BETWEEN), exactly: constants are
 * not rounded to the index's scale.  Ids without a value never match, not
 * even BSI_NE.  The result belongs to the current memory context.
 */
extern roaring_bitmap_t *BsiCompare(Datum bsi, BsiOp op, const char *lo, const char *hi);
/* The ids that have a value. */
extern roaring_bitmap_t *BsiExistence(Datum bsi);

/* bsi.c: an index built pair by pair (build_tags) */
typedef struct BsiBuild BsiBuild;
extern BsiBuild *BsiBuildNew(MemoryContext parent, int scale);
extern uint64 BsiBuildValue(Datum value, Oid type, int scale);
extern void BsiBuildAdd(BsiBuild *b, uint32 id, uint64 val);
extern Datum BsiBuildResult(BsiBuild *b);

#endif							/* PORTRAIT_TAGS_H */
