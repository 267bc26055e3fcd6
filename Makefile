# pg_portrait: PGXS build.  `make demo` and `make test` also do the machine
# set-up (see README.md); everything else is the usual `make && make install`.

EXTENSION  = pg_portrait
EXTVERSION = 0.5.0

MODULE_big = pg_portrait

# One folder per family under src/, each C file next to the SQL that declares
# it.  src/core is what every family uses and uses no family.
CORE_OBJS = \
	src/core/common.o \
	src/core/model.o \
	src/core/points.o \
	src/core/linalg.o \
	src/core/optim.o \
	src/core/fit.o \
	src/core/special.o \
	src/core/tgi.o \
	src/core/trainer.o \
	src/core/options.o \
	src/core/zone.o
CORE_SQL = \
	src/core/header.sql \
	src/core/errors.sql \
	src/core/model.sql \
	src/core/points.sql \
	src/core/tgi.sql

# Value, churn and lifetime value: RFM, BG/NBD, Gamma-Gamma, logistic churn,
# MBG/NBD, Pareto/NBD and the holdout comparison of the three churn models.
VALUE_OBJS = \
	src/value/rfm.o \
	src/value/bgnbd.o \
	src/value/gamma_gamma.o \
	src/value/logit.o \
	src/value/auc.o \
	src/value/mbgnbd.o \
	src/value/pareto_nbd.o \
	src/value/btyd_compare.o
VALUE_SQL = \
	src/value/rfm.sql \
	src/value/bgnbd.sql \
	src/value/gamma_gamma.sql \
	src/value/logit.sql \
	src/value/mbgnbd.sql \
	src/value/pareto_nbd.sql \
	src/value/btyd_compare.sql

# Segmentation: k-means (options, distance kernels, fit, model, silhouette,
# streaming trainer; one private header, src/segment/kmeans.h).
SEGMENT_OBJS = \
	src/segment/kmeans_options.o \
	src/segment/kmeans_kernels.o \
	src/segment/kmeans.o \
	src/segment/kmeans_model.o \
	src/segment/silhouette.o \
	src/segment/kmeans_train.o
SEGMENT_SQL = \
	src/segment/kmeans.sql

# Segmentation with trees: isolation forest (anomalies) and CART decision
# rules (one private header, src/segment/trees.h).
TREES_OBJS = \
	src/segment/iforest.o \
	src/segment/tree.o \
	src/segment/tree_fit.o \
	src/segment/tree_model.o \
	src/segment/tree_train.o
TREES_SQL = \
	src/segment/iforest.sql \
	src/segment/tree.sql
# Segmentation beyond k-means: density (DBSCAN over a k-d tree) and
# hierarchical clustering.
CLUSTER_OBJS = \
	src/segment/cluster.o \
	src/segment/kdtree.o \
	src/segment/dbscan.o \
	src/segment/hierarchical.o
CLUSTER_SQL = \
	src/segment/dbscan.sql \
	src/segment/hierarchical.sql

# Behaviour over time: event lists, funnels, retention, sequences, A/B tests.
# Behaviour over time: event lists, funnels, retention, sequences, A/B tests,
# journeys and channel attribution.
BEHAVIOUR_OBJS = \
	src/behaviour/events.o \
	src/behaviour/funnel.o \
	src/behaviour/retention.o \
	src/behaviour/sequence.o \
	src/behaviour/abtest.o \
	src/behaviour/journey.o \
	src/behaviour/attribution.o
BEHAVIOUR_SQL = \
	src/behaviour/events.sql \
	src/behaviour/funnel.sql \
	src/behaviour/retention.sql \
	src/behaviour/sequence.sql \
	src/behaviour/abtest.sql \
	src/behaviour/journey.sql \
	src/behaviour/attribution.sql

# Profile tables: refresh, history, lifecycle.
PROFILE_OBJS = \
	src/profile/profile.o
PROFILE_SQL = \
	src/profile/profile.sql \
	src/profile/incremental.sql

# Preferences and recommendations: the basket state, association rules,
# preference (affinity) tags, item similarity and recommendations.
RECOMMEND_OBJS = \
	src/recommend/baskets.o \
	src/recommend/rules.o \
	src/recommend/similarity.o \
	src/recommend/evaluate.o
RECOMMEND_SQL = \
	src/recommend/baskets.sql \
	src/recommend/rules.sql \
	src/recommend/preferences.sql \
	src/recommend/similarity.sql \
	src/recommend/evaluate.sql

# Tags and audiences: bitmaps of dense customer ids (CRoaring), the key
# dictionary that gives the ids, the tag library and its builder, audiences.
TAGS_OBJS = \
	src/tags/bitmap.o \
	src/tags/build.o \
	src/tags/bsi.o \
	src/tags/audience.o
TAGS_SQL = \
	src/tags/bitmap.sql \
	src/tags/bsi.sql \
	src/tags/dictionary.sql \
	src/tags/tag.sql \
	src/tags/audience.sql

# The entry file holds the module magic and calls each family's init.
OBJS = src/pg_portrait.o $(CORE_OBJS) $(VALUE_OBJS) $(SEGMENT_OBJS) $(BEHAVIOUR_OBJS) $(PROFILE_OBJS) $(TREES_OBJS) $(RECOMMEND_OBJS) $(CLUSTER_OBJS) $(TAGS_OBJS)
PG_CPPFLAGS += -I$(srcdir)/src/core

# The install script is the modules' SQL in the order they were added (types
# and shared functions first), not grouped by family: a release's script
# stays the same when a file moves between folders.
FAMILY_SQL = $(CORE_SQL) $(VALUE_SQL) $(SEGMENT_SQL) $(BEHAVIOUR_SQL) $(PROFILE_SQL) $(TREES_SQL) $(RECOMMEND_SQL) $(CLUSTER_SQL) $(TAGS_SQL)
SQL_ORDER = header model points rfm kmeans tgi bgnbd gamma_gamma logit events funnel retention sequence abtest profile errors mbgnbd pareto_nbd btyd_compare iforest tree baskets rules preferences similarity evaluate journey attribution dbscan hierarchical bitmap bsi dictionary tag incremental audience
SQL_MODULES = $(foreach m,$(SQL_ORDER),$(filter %/$(m).sql,$(FAMILY_SQL)))
ifneq ($(sort $(SQL_MODULES)),$(sort $(FAMILY_SQL)))
$(error every SQL module must be named once in SQL_ORDER: $(filter-out $(SQL_MODULES),$(FAMILY_SQL)))
endif

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Released install scripts, kept as they shipped, and the update scripts
# between releases (ALTER EXTENSION pg_portrait UPDATE).
DATA = $(wildcard update/$(EXTENSION)--*.sql)

REGRESS = model rfm_summary rfm_score rfm_segment kmeans tgi bgnbd gamma_gamma logit funnel retention sequence abtest lifecycle refresh_profile churn_models iforest decision_tree fpgrowth preferences recommend attribution dbscan hierarchical bitmap bsi dictionary tags incremental audience
REGRESS_OPTS = --inputdir=. --load-extension=pg_portrait

SHLIB_LINK += -llapack -lblas -lroaring -lm
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

# No LLVM bitcode: JIT inlining would read the module's summary for every
# query that calls one of its functions, which costs more than it saves (the
# functions do much work per call); they are called as they are.
override with_llvm = no

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# No server development files yet: only the set-up targets below work.
all:
	@echo "PostgreSQL server headers not found: run 'make test' or 'make demo' as root, or install postgresql-server-dev-15" >&2
	@exit 1
endif

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_MODULES)
	cat $^ > $@

.PHONY: demo test bench sanitize sqlsmith citus

# Main job: set up, build, start a throwaway cluster, print the demo portrait.
demo:
	./test/portrait.sh demo

# Every pg_regress and pgTAP suite on a throwaway cluster.
test:
	./test/portrait.sh test

# The workflows on Citus (a coordinator and two workers on loopback) compared
# with a local copy; Citus from CITUS_ROOT (a DESTDIR root) or the system.
# Without Citus it is a TAP skip.  `make test` runs it too.
citus:
	./test/portrait.sh citus

# Every suite again with the extension built with AddressSanitizer and
# UndefinedBehaviorSanitizer (doc/hardening-sanitize.md); reports count as failures.
sanitize:
	PORTRAIT_SANITIZE=1 ./test/portrait.sh test

# The long random-SQL run for release checks (SQLSMITH_QUERIES, SQLSMITH_SEED).
sqlsmith:
	./test/portrait.sh sqlsmith

# Benchmarks (not part of the tests): ./test/portrait.sh bench [NAME]
bench:
	./test/portrait.sh bench
