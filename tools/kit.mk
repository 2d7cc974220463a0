# tools/kit.mk - the instructors' and the kit's own targets, included by
# the Makefile: make test and its checks, slides, fuzzing, the slow-client
# check, benchmarks, and what students and graders get (handouts,
# releases, Gradescope, batch grading). INSTRUCTORS.md tells how to use
# them; the commands a student uses are in the Makefile.

# The goals that need the reference in solutions/ (the Makefile checks).
KIT_GOALS := test check-grader kitcheck handout release gradescope batch \
             prairielearn autolab check-platforms \
             check-handout check-gradescope check-batch check-no-ipv6 \
             check-trace slowloris
.PHONY: $(KIT_GOALS) diff format-check tidy bench bench-deps fuzz slides slides-check

# --- For instructors, and the kit's own checks
PREV_TABLE = common/stage/stage$(shell printf '%02d' $$(($(LAB) - 1))).c
diff: ## what the reference of stage LAB adds: its table's change, its files
	@if [ -f $(PREV_TABLE) ]; then diff -u $(PREV_TABLE) \
	    common/stage/stage$(firstword $(subst -, ,$(LAB_NAME))).c || true; fi
	@for f in solutions/$(LAB_NAME)/*.c; do \
	    diff -u --label /dev/null --label $$f /dev/null $$f || true; done

test: deps ## everything CI checks (docs/ARCHITECTURE.md, "What make test runs")
	$(PYTHON) tests/run_all.py

check-grader: ## the grader catches every variant in tests/mutants (RUNS=5 reference runs)
	$(PYTHON) tests/check_grader.py $(if $(RUNS),--runs $(RUNS))

kitcheck: ## every starter builds, scores 0 and fails fast with its TODOs
	$(PYTHON) tests/kitcheck.py

format-check: ## the C files are in the house style
	clang-format --dry-run -Werror $(C_FILES)

tidy: ## clang-tidy's checks on the C files (two at a time)
	@printf '%s\n' $(filter %.c,$(C_FILES)) | xargs -P 2 -n 8 sh -c \
	    'clang-tidy --quiet "$$@" -- $(filter-out -MMD -MP,$(CPPFLAGS)) -std=c11 2>/dev/null' tidy

handout: ## the students' tarball of stages 1..LAB (default all), no reference
	$(PYTHON) tools/handout.py $(if $(LAB),--lab $(LAB))

release: ## the reference of stages 1..LAB, for students who missed them
	$(PYTHON) tools/release.py --lab $(or $(LAB),$(error say which: LAB=K))

# The graders' packages: LAB=N, and OWN=1 (the stage's own tests, out of
# 100), GIVEN=K (stages 1..K from the reference), TIMEOUT=seconds.
GRADER_FLAGS = --lab $(or $(LAB),$(error say which: LAB=N)) $(if $(OWN),--own) \
               $(if $(GIVEN),--given $(GIVEN)) $(if $(TIMEOUT),--time-limit $(TIMEOUT))
gradescope: ## Gradescope's autograder zip for lab LAB [OWN=1] [GIVEN=K] [TIMEOUT=s]
	$(PYTHON) tools/graders.py gradescope $(GRADER_FLAGS)

prairielearn: ## PrairieLearn's external grader (a question's tests/) for lab LAB
	$(PYTHON) tools/graders.py prairielearn $(GRADER_FLAGS)

autolab: ## Autolab's autograde.tar and autograde-Makefile for lab LAB
	$(PYTHON) tools/graders.py autolab $(GRADER_FLAGS)

batch: ## grade a folder of submissions: DIR=d [LAB=N] [OWN=1] [GIVEN=K] [JOBS=2] [OUT=new dir]
	$(PYTHON) tools/batch.py $(or $(DIR),$(error say which folder: DIR=submissions/)) \
	    $(if $(LAB),--lab $(LAB)) $(if $(OWN),--own) $(if $(GIVEN),--given $(GIVEN)) \
	    $(if $(JOBS),--jobs $(JOBS)) $(if $(OUT),--out $(OUT))

check-handout: ## the handout (and graders) hold no solution or guide, build, score 0; its commands work
	$(PYTHON) tests/check_handout.py

check-gradescope: ## run_autograder on sample submissions (LAB=2 default)
	$(PYTHON) tests/check_platforms.py --platform gradescope $(if $(LAB),--lab $(LAB))

check-platforms: ## Gradescope, PrairieLearn, Autolab on samples: same points (LAB=2)
	$(PYTHON) tests/check_platforms.py $(if $(LAB),--lab $(LAB))

check-no-ipv6: ## the reference at full marks in a namespace whose loopback has no IPv6
	$(PYTHON) tests/check_no_ipv6.py

check-trace: ## a graded test's TRACE=1 timeline renders in headless Chromium
	$(PYTHON) tests/check_trace.py

check-batch: ## batch grading of sample submissions, sandboxed (as root)
	$(PYTHON) tests/check_batch.py $(if $(LAB),--lab $(LAB))

# Fuzzing (docs/HARDENING.md): each libFuzzer target in tests/fuzz links
# only the parsers it feeds (yours, or the reference's with SOL=1), and
# runs FUZZ_SECONDS from the seed corpus in tests/fuzz/corpus, keeping
# what it finds in build/fuzz/SRC/corpus and a crashing input beside it.
# FUZZ_CC=afl-clang-fast builds the same targets for AFL++.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz/$(SRC)
FUZZ_FLAGS    = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
# authority needs stage 04's tunnel.c and chunked stage 07's chunked.c: a
# handout of an earlier stage fuzzes the others.
FUZZ_NAMES   := request response $(if $(wildcard labs/04-*/tunnel.c),authority) \
                $(if $(wildcard labs/07-*/chunked.c),chunked)
fuzz_request_srcs   = $(call module_src,http) common/log.c common/httpdate.c
fuzz_response_srcs  = $(call module_src,http) common/log.c common/httpdate.c
fuzz_authority_srcs = $(call module_src,http) $(call module_src,tunnel) \
                      common/log.c common/httpdate.c common/net.c \
                      common/rio.c common/deadline.c
fuzz_chunked_srcs   = $(call module_src,chunked) common/log.c

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $$(fuzz_$$*_srcs)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter-out -MMD -MP,$(CPPFLAGS)) $(CFLAGS) $(FUZZ_FLAGS) \
	    $(filter %.c,$^) -o $@

fuzz: $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%) ## fuzz the parsers, FUZZ_SECONDS each (60)
	@for name in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$name; \
	    echo "fuzz_$$name: $(FUZZ_SECONDS) s"; \
	    $(FUZZ_DIR)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=16384 -timeout=10 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/crash-$$name- \
	        $(FUZZ_DIR)/corpus/$$name tests/fuzz/corpus/$$name \
	        2>$(FUZZ_DIR)/fuzz_$$name.log || \
	        { tail -40 $(FUZZ_DIR)/fuzz_$$name.log; exit 1; }; \
	    grep -E '^(Done|stat::number_of_executed_units)' \
	        $(FUZZ_DIR)/fuzz_$$name.log; \
	done

slowloris: $(REFERENCE) ## a client is served while 500 slow clients hold connections
	$(PYTHON) tests/slowloris.py --proxy $(REFERENCE)

BENCH_NEEDED = @test -f bench/bench.py || { echo "make bench: bench/ is in \
	the instructor's copy of the kit only"; exit 1; }

# The HTTP working group's cache tests (http-cache-tests, pinned in
# tools/cache-tests/package-lock.json, installed into build/cache-tests/
# by npm ci) run through stage LAB's program as a forward proxy; SOL=1:
# the reference; STRICT=1: fail on a required failure outside the
# exclusions tools/cache_tests.py lists.
cache-tests: lab ## the HTTP WG's cache tests through stage LAB's program (LAB 5 or later)
	@test '$(LAB)' -ge 5 2>/dev/null || { echo "make cache-tests: LAB=5 or later: the cache comes in stage 05"; exit 2; }
	$(PYTHON) tools/cache_tests.py $(BIN)/$(LAB_NAME) $(if $(STRICT),--strict)

bench-deps: ## install what make bench uses: wrk, nginx, tinyproxy, squid
	$(BENCH_NEEDED)
	@PYTHON=$(PYTHON) sh tools/deps.sh bench

bench: ## the reference against nginx direct, tinyproxy and squid (FULL=1: more)
	$(BENCH_NEEDED)
	$(PYTHON) bench/bench.py $(if $(FULL),--full)

# Lecture decks: every slides/NN-name.md, rendered by Marp (its version
# pinned in slides/package-lock.json, installed by npm ci) into
# build/slides/ as HTML, and as PDF where Chromium is installed. The
# diagrams, slides/diagrams/*.dot, are drawn by Graphviz into
# build/slides/diagrams/*.svg, beside the decks that show them. Each deck
# is copied there too, since Marp finds a PDF's images beside its source.
SLIDES_OUT := build/slides
DECKS      := $(notdir $(wildcard slides/[0-9][0-9]-*.md))
DIAGRAMS   := $(patsubst slides/%.dot,$(SLIDES_OUT)/%.svg,$(wildcard slides/diagrams/*.dot))
MARP_STAMP := slides/node_modules/.package-lock.json
MARP       := slides/node_modules/.bin/marp --theme slides/theme.css
CHROMIUM   ?= /usr/bin/chromium
SLIDES_PDF := $(if $(wildcard $(CHROMIUM)),$(DECKS:%.md=$(SLIDES_OUT)/%.pdf))
DOT_STYLE  := -Gfontname=Helvetica -Nfontname=Helvetica -Efontname=Helvetica \
              -Gbgcolor=transparent -Nshape=box -Nstyle=rounded,filled \
              -Nfillcolor='\#e8eef6' -Ncolor='\#224466' -Ecolor='\#333333'

slides: $(DECKS:%.md=$(SLIDES_OUT)/%.html) $(SLIDES_PDF) ## render the lecture decks into build/slides/
	@echo "slides: $(words $(DECKS)) decks in $(SLIDES_OUT)/$(if $(SLIDES_PDF),, as HTML only: no PDF without Chromium ($(CHROMIUM)); apt-get install chromium)"

$(MARP_STAMP): slides/package.json slides/package-lock.json | deps
	cd slides && npm ci --no-audit --no-fund --loglevel=error

$(SLIDES_OUT)/diagrams/%.svg: slides/diagrams/%.dot | deps
	@mkdir -p $(@D)
	dot $(DOT_STYLE) -Tsvg $< -o $@

$(SLIDES_OUT)/%.md: slides/%.md
	@mkdir -p $(@D)
	cp $< $@

$(SLIDES_OUT)/%.html: $(SLIDES_OUT)/%.md slides/theme.css $(DIAGRAMS) $(MARP_STAMP)
	$(MARP) $< -o $@

$(SLIDES_OUT)/%.pdf: $(SLIDES_OUT)/%.md slides/theme.css $(DIAGRAMS) $(MARP_STAMP)
	CHROME_PATH=$(CHROMIUM) $(MARP) --pdf --allow-local-files $< -o $@

slides-check: $(DIAGRAMS) $(MARP_STAMP) ## render every deck; no broken image, empty or overflowing slide
	$(PYTHON) -m unittest tests/test_check_slides.py
	$(PYTHON) tests/check_slides.py --marp '$(MARP)' \
	    --diagrams $(SLIDES_OUT)/diagrams $(addprefix slides/,$(DECKS))

# What needs the reference in solutions/, which a handout does not have:
# students get stages 1..K of it from an instructor's make release LAB=K.
SOL_NEEDED  := $(sort $(if $(filter run $(KIT_GOALS),$(MAKECMDGOALS)),$(STAGES)) \
                 $(if $(SOL),$(wordlist 1,$(or $(call num_of,$(LAB_NAME)),99),$(STAGES))) \
                 $(call given_of,labs-given$(GIVEN)) \
                 $(if $(filter diff,$(MAKECMDGOALS)),$(LAB_NAME)))
SOL_MISSING := $(strip $(foreach s,$(SOL_NEEDED),$(if $(wildcard solutions/$(s)/*.c),,$(s))))
ifneq ($(SOL_MISSING),)
$(error this needs the reference of $(SOL_MISSING) in solutions/, which a handout does not have: make lab, make unit and make grade work on your own files; a reference your instructor releases (make release LAB=K) unpacks at the top of the kit, beside this Makefile, and GIVEN=K then uses its stages 1..K)
endif
