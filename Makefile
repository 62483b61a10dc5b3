# The README's Commands section is this file. Every target installs what it needs.
#   make run            install, start the local stack, load a demo district, serve the API on localhost
#                       (EVENTS=1: with the table's change stream, for the events feed and webhooks)
#   make test           every test (unit, CSV samples, end-to-end against DynamoDB Local and moto),
#                       the template's lint, security scan and drift test, restart-check.sh, the Lambda build
#   make bench          ingest, API and rostering-write figures for a 100,000-student district (STUDENTS=… to change)
#   make bench-gradebook  only the gradebook figures (10,000 students, 5 line items per class)
#   make bench-ingest   only the ingest figures, with the ingest's phase timings (no API, no gradebook)
#   make bench-cpu      only the CPU-side ingest rate (no local stack; the loop to profile the parser)
#   make bench-validation  only the validation pass's peak RSS (no local stack; STUDENTS=1000000 for the largest districts)
#   make bench-fanout   only the apply's speed-up with 1, 2, 4 and 8 workers (a fresh table each)
#   make bench-events   only the first load and the change events' figures (events stored per second, lag)
#   make bench-pull     only the first load and a pull of it served as an SIS (time, calls, peak RSS)
#   make stop           stop the local stack and the API server, and wait until they have exited
#   make build-lambdas  the Lambda functions for x86_64, as zips in target/lambda/
#   make deploy         build and deploy to AWS with SAM (STACK_NAME=, STAGE=; README)

SHELL := /bin/bash
STACK := infra/local/stack.sh
STUDENTS ?= 100000
DEMO_STUDENTS ?= 2000
# 1: the local table has its change stream (change events, webhooks, the bus). Off by default:
# DynamoDB Local's writes slow down with every stream record it holds (a small DEMO_STUDENTS).
EVENTS ?= 0
TENANT ?= demo-district
PORT ?= 8080
# Where `make run` keeps its PID files and logs (stack.sh reads it too) and the demo district.
export RUN_DIR ?= .local/run
DEMO_DIR ?= .local/demo
API := http://127.0.0.1:$(PORT)/ims/oneroster/rostering/v1p2
ADMIN := ./target/debug/oneroster-admin
# The demo client's scopes: the standard's (what a client gets by default), and the attendance
# extension's read and the events feed, which a client holds only when named.
DEMO_SCOPES := roster.readonly roster-core.readonly roster-demographics.readonly gradebook.readonly \
	gradebook-core.readonly gradebook.createput gradebook.createpost gradebook.delete assessment.readonly \
	assessment.createput assessment.delete resource.readonly resource-core.readonly attendance.readonly \
	events.readonly
TOOLS := .local/tools
LAMBDAS := auth ingest rostering resources gradebook v1p2 purge export events webhooks

.PHONY: run test bench bench-ingest bench-gradebook bench-cpu bench-validation bench-fanout bench-events bench-pull stop stack-up lint lint-infra tools build build-lambdas deploy

build:
	cargo build --workspace --bins

stack-up:
	$(STACK) up

# Each process is stopped by its PID and waited for until it has exited and its port is closed.
stop:
	@rc=0; $(STACK) stop $(RUN_DIR)/local-server.pid $(PORT) || rc=$$?; $(STACK) down || rc=$$?; exit $$rc

run: stack-up build
	@eval "$$($(STACK) env)"; \
	mkdir -p $(DEMO_DIR) $(RUN_DIR); \
	./target/debug/district-gen --students $(DEMO_STUDENTS) --line-items 2 --attendance-days 5 --out $(DEMO_DIR)/bulk.zip --delta $(DEMO_DIR)/delta.zip; \
	$(STACK) stop $(RUN_DIR)/local-server.pid $(PORT) || exit 1; \
	CHANGE_STREAM=$(EVENTS) nohup ./target/debug/local-server serve --listen 127.0.0.1:$(PORT) --audit-log $(RUN_DIR)/audit.log > $(RUN_DIR)/local-server.log 2>&1 & echo $$! > $(RUN_DIR)/local-server.pid; \
	for i in $$(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$(PORT)/.well-known/jwks.json && break; sleep 0.2; done; \
	$(ADMIN) tenant create $(TENANT) --name "Demo District" > /dev/null && \
	$(ADMIN) upload $(DEMO_DIR)/bulk.zip --tenant $(TENANT) > $(RUN_DIR)/demo-job.json && \
	echo "Demo district '$(TENANT)' loaded ($(DEMO_STUDENTS) students; job report in $(RUN_DIR)/demo-job.json)." && \
	$(ADMIN) client create --tenant $(TENANT) --name "make run demo" --scopes "$(DEMO_SCOPES)" > $(RUN_DIR)/demo-client.json && \
	id=$$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["client_id"])' $(RUN_DIR)/demo-client.json) && \
	secret=$$(python3 -c 'import json,sys;print(json.load(open(sys.argv[1]))["client_secret"])' $(RUN_DIR)/demo-client.json) && \
	token=$$(curl -sf -u "$$id:$$secret" -d grant_type=client_credentials http://127.0.0.1:$(PORT)/oauth/token | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])') && \
	curl -sf -H "Authorization: Bearer $$token" "$(API)/users?limit=1" > /dev/null && \
	echo && echo "OneRoster API:  $(API)   (stop everything with: make stop)" && \
	echo "  Demo client (the standard's read and gradebook scopes and attendance.readonly; also in $(RUN_DIR)/demo-client.json): $$id / $$secret" && \
	echo "  Get a token and read students:" && \
	echo "    TOKEN=\$$(curl -s -u '$$id:$$secret' -d grant_type=client_credentials http://127.0.0.1:$(PORT)/oauth/token | python3 -c 'import json,sys;print(json.load(sys.stdin)[\"access_token\"])')" && \
	echo "    curl -s -H \"Authorization: Bearer \$$TOKEN\" '$(API)/students?limit=2&fields=sourcedId,givenName,familyName'" && \
	echo "  Discovery document: $(API)/discovery/" && \
	echo "  Resources service:  http://127.0.0.1:$(PORT)/ims/oneroster/resources/v1p2/classes/cls-0000-0000/resources" && \
	echo "  Gradebook service:  http://127.0.0.1:$(PORT)/ims/oneroster/gradebook/v1p2/classes/cls-0000-0000/results" && \
	echo "  Attendance (OneRoster+): http://127.0.0.1:$(PORT)/ims/oneroster/attendance/v1p2/attendance?filter=date%3D%272026-03-02%27" && \
	echo "  All three under the pre-split base: http://127.0.0.1:$(PORT)/ims/oneroster/v1p2/…" && \
	echo "  DynamoDB Local $$DYNAMODB_ENDPOINT, S3/SQS (moto) $$S3_ENDPOINT, table oneroster, bucket oneroster-uploads" && \
	echo "  Admin CLI (with: eval \"\$$($(STACK) env)\"):  $(ADMIN) tenant|client|upload|jobs --help" && \
	echo "  Apply the demo delta:    $(ADMIN) upload $(DEMO_DIR)/delta.zip --tenant $(TENANT)"

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

# Pinned infrastructure tools (cfn-lint, checkov, cargo-lambda, zig) in their own virtualenv.
$(TOOLS)/installed: infra/requirements.txt
	python3 -m venv $(TOOLS) && $(TOOLS)/bin/pip install -q --disable-pip-version-check -r infra/requirements.txt
	touch $@

tools: $(TOOLS)/installed

lint-infra: tools
	$(TOOLS)/bin/cfn-lint infra/template.yaml
	$(TOOLS)/bin/checkov -f infra/template.yaml --framework cloudformation --quiet --compact --skip-download

build-lambdas: tools
	PATH="$(abspath $(TOOLS))/bin:$$PATH" cargo lambda build --release --x86-64 --output-format zip $(addprefix -p ,$(LAMBDAS))
	@for f in $(LAMBDAS); do printf '  %-10s %s bytes zipped\n' $$f $$(stat -c %s target/lambda/$$f/bootstrap.zip); done

deploy: build-lambdas
	cargo build --release -p admin
	infra/deploy.sh

test: stack-up tools
	@$(STACK) browser; eval "$$($(STACK) env)"; mkdir -p .local; : > .local/test.log; \
	cargo fmt --all -- --check && $(MAKE) --no-print-directory lint-infra && \
	cargo test --workspace 2>&1 | tee .local/test.log; rc=$${PIPESTATUS[0]}; \
	$(STACK) down; \
	awk '/^test result:/ { p += $$4; f += $$6 } END { printf "%d passed, %d failed\n", p, f }' .local/test.log; \
	[ $$rc -eq 0 ] || exit $$rc; \
	MAKE="$(MAKE)" infra/local/restart-check.sh; rc=$$?; \
	$(MAKE) --no-print-directory build-lambdas; rc2=$$?; \
	[ $$rc -ne 0 ] && exit $$rc; exit $$rc2

# The bench's flags for each of its targets (the figures they print: the first lines above).
bench: BENCH_ARGS = --students $(STUDENTS)
bench-ingest: BENCH_ARGS = --students $(STUDENTS) --ingest-only
bench-gradebook: BENCH_ARGS = --gradebook-only
bench-fanout: BENCH_ARGS = --students $(STUDENTS) --fanout-only
bench-events: BENCH_ARGS = --students $(STUDENTS) --events-only
bench-pull: BENCH_ARGS = --students $(STUDENTS) --pull-only
bench bench-ingest bench-gradebook bench-fanout bench-events bench-pull: stack-up
	@eval "$$($(STACK) env)"; \
	cargo build --release -p e2e --bin bench && \
	./target/release/bench $(BENCH_ARGS); rc=$$?; \
	$(STACK) down; exit $$rc

bench-cpu:
	cargo build --release -p e2e --bin bench && ./target/release/bench --students $(STUDENTS) --cpu-only

bench-validation:
	cargo build --release -p e2e --bin bench && ./target/release/bench --students $(STUDENTS) --validate-only
