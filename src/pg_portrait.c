/*
 * pg_portrait.c
 *		The library's entry: its magic block and the load-time set-up of each
 *		family (its model kinds, its settings).  It is the one file that
 *		knows every family, so the core needs to know none.
 */
#include "postgres.h"

#include "fmgr.h"

#include "portrait.h"
#include "segment/kmeans.h"
#include "segment/trees.h"
#include "recommend/recommend.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Library load: each family's model kinds and settings. */
void
_PG_init(void)
{
	ModelRegisterKind(&RfmModelKind);
	ModelRegisterKind(&BgnbdModelKind);
	ModelRegisterKind(&GammaGammaModelKind);
	ModelRegisterKind(&MbgnbdModelKind);
	ModelRegisterKind(&ParetoNbdModelKind);
	ModelRegisterKind(&LogitModelKind);
	ModelRegisterKind(&KmeansModelKind);
	ModelRegisterKind(&IforestModelKind);
	ModelRegisterKind(&DecisionTreeModelKind);
	ModelRegisterKind(&ItemSimilarityModelKind);
	ModelRegisterKind(&AttributionModelKind);
	ModelRegisterKind(&DbscanModelKind);
	ModelRegisterKind(&HclustModelKind);

	PortraitKmeansInit();
	PortraitPointsInit();
}
