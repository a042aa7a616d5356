# oci-ts: build, test, demo and benchmark entry points.
#
#   make / make build   dist/oci-ts (single executable), dist/oci-ts.cjs (plain bundle), dist/hello
#   make deps           install missing Debian packages (as root) and node_modules (npm ci)
#   make typecheck      tsc --noEmit
#   make test           build, then unit tests (+ integration tests when root)
#   make test-unit      build, then unit tests only
#   make test-engines   build, then Docker/containerd/Podman scenarios with runc and oci-ts (root)
#   make demo           deps + build, then run a busybox container with dist/oci-ts
#   make bench          oci-ts vs runc, crun and the Node floor -> bench/results/latest.{md,png} (BENCH_ENGINES=1: + docker/podman)
#   make fuzz           a long property-based fuzz run (OCI_TS_FUZZ_RUNS, OCI_TS_FUZZ_SEED)
#   make soak           build, then 500 leak-soak lifecycles (OCI_TS_SOAK_CYCLES to change)
#   make clean          remove build/ and dist/
#
# Incremental: every output is a file target. The bundle's inputs come from esbuild's
# metafile (build/*.d); the C shim is delegated to c-shim/Makefile on every run (it knows its
# own sources) and only its real mtime change triggers a re-pack of the executables.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DELETE_ON_ERROR:
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules --no-print-directory

NODE := $(shell command -v node)
NPM ?= npm
ifeq ($(NODE),)
$(error node not found on PATH (Node 20 is required; see scripts/deps.sh))
endif

NODE_MODULES := node_modules/.oci-ts-stamp
FFI_NODE     := node_modules/@yuuang/ffi-rs-linux-x64-gnu/ffi-rs.linux-x64-gnu.node
SHIM         := build/oci-ts-shim
VALIDATORS   := build/validators.cjs
BUILD_JS     := scripts/build.mjs
BASE_NODE    := build/node-stripped
SCHEMAS      := $(shell find schemas -type f -name '*.json' 2>/dev/null)
# dist/oci-ts runs build/oci-ts.sea.cjs, a bundle without help/yargs and the validators; those
# are SEA assets with their V8 code caches, loaded by lib/sys/split.ts when needed.
SEA_MAIN     := build/oci-ts.sea.cjs
SPLIT        := build/split/help.js build/split/help.cache build/split/validators.js build/split/validators.cache
SEA_ASSETS   := --asset shim=$(SHIM) --asset ffi-rs.node=$(FFI_NODE) \
                $(foreach f,$(SPLIT),--asset $(notdir $(f))=$(f))
# what every bundle and executable depends on besides its own sources
BUILD_DEPS   := $(BUILD_JS) scripts/build-common.mjs lib/sys/string-width-lite.ts package.json $(NODE_MODULES)

.PHONY: all build lib fuzz soak test-engines deps deps-system deps-npm typecheck test test-unit demo bench clean help FORCE

all: build

build: dist/oci-ts dist/oci-ts.cjs dist/hello lib

help:
	@sed -n '3,14p' Makefile | sed 's/^# \{0,1\}//'

# ---------------------------------------------------------------------------------------------
# dependencies

deps:
	bash scripts/deps.sh all

deps-system:
	bash scripts/deps.sh system

deps-npm $(NODE_MODULES): package.json $(wildcard package-lock.json)
	bash scripts/deps.sh npm

# installed by npm (so that a fresh clone can run `make build` without `make deps` first)
$(FFI_NODE): $(NODE_MODULES)
	@test -f $@ || { echo "$@ missing after npm ci (ffi-rs supports linux-x64-gnu only here)" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# inputs made by other parts of the tree

# c-shim/Makefile decides whether the shim is out of date; make re-reads the mtime afterwards.
$(SHIM): FORCE
	@$(MAKE) -q -C c-shim 2>/dev/null || $(MAKE) -C c-shim

$(VALIDATORS): scripts/build-validator.mjs $(SCHEMAS) $(NODE_MODULES)
	$(NODE) scripts/build-validator.mjs

# The commit for `oci-ts --version`, rewritten only when it changes.
build/commit.txt: FORCE
	@mkdir -p build
	@c=$$(git rev-parse HEAD 2>/dev/null || echo unknown); \
	 [ "$$(cat $@ 2>/dev/null)" = "$$c" ] || echo "$$c" > $@

# A stripped copy of the node binary that runs the build (`command -v node`): the SEA base.
$(BASE_NODE): $(NODE)
	@mkdir -p build
	cp $(NODE) $@.tmp
	strip $@.tmp
	mv $@.tmp $@

# ---------------------------------------------------------------------------------------------
# bundles (esbuild, CJS, node20) and single executables (Node SEA, useCodeCache, no snapshot)

-include build/oci-ts.cjs.d build/hello.cjs.d build/lib.cjs.d build/oci-ts.sea.cjs.d build/split/help.js.d build/split/validators.js.d

# The library (package.json "main"/"types"): dist/lib.cjs bundled from lib/index.ts, .d.ts in dist/types.
lib: dist/lib.cjs

dist/lib.cjs: lib/index.ts scripts/build-lib.mjs $(VALIDATORS) $(FFI_NODE) build/commit.txt $(BUILD_DEPS)
	$(NODE) scripts/build-lib.mjs --out $@ --types dist/types --depfile build/lib.cjs.d

dist/oci-ts.cjs: bin/oci-ts.ts $(VALIDATORS) $(FFI_NODE) build/commit.txt $(BUILD_DEPS)
	$(NODE) $(BUILD_JS) bundle bin/oci-ts.ts $@ --depfile build/oci-ts.cjs.d

# The single executable's main script (--sea: help.ts and the validators left out, minified) and
# the split-off parts (lib/sys/split.ts, docs/performance.md).
$(SEA_MAIN): bin/oci-ts.ts $(VALIDATORS) $(FFI_NODE) build/commit.txt $(BUILD_DEPS)
	$(NODE) $(BUILD_JS) bundle bin/oci-ts.ts $@ --sea --depfile build/oci-ts.sea.cjs.d

build/split/help.js build/split/help.cache &: scripts/code-cache.cjs $(FFI_NODE) build/commit.txt $(BUILD_DEPS)
	$(NODE) $(BUILD_JS) split help build/split/help.js build/split/help.cache --depfile build/split/help.js.d

build/split/validators.js build/split/validators.cache &: $(VALIDATORS) scripts/validator-samples.ts scripts/code-cache.cjs $(BUILD_DEPS)
	$(NODE) $(BUILD_JS) split validators build/split/validators.js build/split/validators.cache --depfile build/split/validators.js.d

dist/oci-ts: $(SEA_MAIN) $(SPLIT) $(BASE_NODE) $(SHIM) $(FFI_NODE) $(BUILD_JS)
	$(NODE) $(BUILD_JS) sea $(SEA_MAIN) $@ --base $(BASE_NODE) \
	  --config build/sea-config.json --blob build/oci-ts.blob $(SEA_ASSETS)

# The platform floor for benchmarks: a hello world built exactly like dist/oci-ts.
build/hello.cjs: scripts/hello.ts $(FFI_NODE) $(BUILD_DEPS)
	$(NODE) $(BUILD_JS) bundle scripts/hello.ts $@ --depfile build/hello.cjs.d

dist/hello: build/hello.cjs $(SPLIT) $(BASE_NODE) $(SHIM) $(FFI_NODE) $(BUILD_JS)
	$(NODE) $(BUILD_JS) sea build/hello.cjs $@ --base $(BASE_NODE) \
	  --config build/hello.sea-config.json --blob build/hello.blob $(SEA_ASSETS)

# ---------------------------------------------------------------------------------------------
# checks, demo, benchmarks

typecheck: $(NODE_MODULES) $(VALIDATORS)
	node_modules/.bin/tsc --noEmit -p tsconfig.json

test: build
	bash scripts/test.sh all

# The runtime-tools config validator (Debian's Go and runtime-tools sources; tools/rt-validate/README.md).
# Not part of build: tests/integration/runtime-tools.test.ts builds it itself when missing or stale.
build/rt-validate: tools/rt-validate/main.go tools/rt-validate/build.sh
	bash tools/rt-validate/build.sh $@

test-unit: build
	bash scripts/test.sh unit

demo:
	$(MAKE) deps build
	bash scripts/demo.sh

bench:
	bash bench/run.sh

clean:
	rm -rf build dist

FORCE:

# A long property-based fuzz run (the normal test run does a bounded one). OCI_TS_FUZZ_SEED=<n> replays.
fuzz: build
	unset NODE_EXTRA_CA_CERTS NODE_OPTIONS; OCI_TS_FUZZ_RUNS=$${OCI_TS_FUZZ_RUNS:-20000} \
	  node --import tsx --test --test-reporter=spec tests/unit/fuzz-*.test.ts

# Docker, containerd and Podman driving oci-ts and runc through the same scenarios (root; installs
# the engines from apt, private daemon configs, full teardown). See docs/engines.md.
test-engines: build
	bash tests/engines/run.sh

# The conformance suite: each case under runc (from apt) and oci-ts in one run, a static probe
# reporting from inside the container (root). See tests/conformance/README.md.
.PHONY: conformance
conformance: build
	env -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS node --import tsx --test --test-reporter=spec tests/conformance/*.test.ts

# The leak soak: full lifecycles counting processes, mounts, cgroups, fds, files and memfds.
soak: build
	env -u NODE_EXTRA_CA_CERTS -u NODE_OPTIONS OCI_TS_SOAK_CYCLES=$${OCI_TS_SOAK_CYCLES:-500} \
	  node --import tsx --test --test-reporter=spec tests/integration/soak.test.ts
