# The README's Commands section is this file. Every target installs what it needs.
#   make run     install, start the local stack, load a demo district, serve the API on localhost
#   make test    every test (unit, CSV samples, end-to-end against DynamoDB Local and moto)
#   make bench   ingest and API figures for a 100,000-student district (STUDENTS=… to change)
#   make stop    stop the local stack

SHELL := /bin/bash
STACK := infra/local/stack.sh
STUDENTS ?= 100000
DEMO_STUDENTS ?= 2000
TENANT ?= demo-district
PORT ?= 8080
API := http://127.0.0.1:$(PORT)/ims/oneroster/rostering/v1p2
ADMIN := ./target/debug/oneroster-admin

.PHONY: run test bench stop stack-up lint build

build:
	cargo build --workspace --bins

stack-up:
	$(STACK) up

stop:
	$(STACK) down
	@if [ -f .local/run/local-server.pid ]; then kill $$(cat .local/run/local-server.pid) 2>/dev/null || true; rm -f .local/run/local-server.pid; fi

run: stack-up build
	@eval "$$($(STACK) env)"; \
	mkdir -p .local/demo .local/run; \
	./target/debug/district-gen --students $(DEMO_STUDENTS) --out .local/demo/bulk.zip --delta .local/demo/delta.zip; \
	if [ -f .local/run/local-server.pid ]; then kill $$(cat .local/run/local-server.pid) 2>/dev/null || true; fi; \
	nohup ./target/debug/local-server serve --listen 127.0.0.1:$(PORT) > .local/run/local-server.log 2>&1 & echo $$! > .local/run/local-server.pid; \
	for i in $$(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:$(PORT)/.well-known/jwks.json && break; sleep 0.2; done; \
	$(ADMIN) tenant create $(TENANT) --name "Demo District" > /dev/null && \
	$(ADMIN) upload .local/demo/bulk.zip --tenant $(TENANT) > .local/run/demo-job.json && \
	echo "Demo district '$(TENANT)' loaded ($(DEMO_STUDENTS) students; job report in .local/run/demo-job.json)." && \
	$(ADMIN) client create --tenant $(TENANT) --name "make run demo" > .local/run/demo-client.json && \
	id=$$(python3 -c 'import json;print(json.load(open(".local/run/demo-client.json"))["client_id"])') && \
	secret=$$(python3 -c 'import json;print(json.load(open(".local/run/demo-client.json"))["client_secret"])') && \
	token=$$(curl -sf -u "$$id:$$secret" -d grant_type=client_credentials http://127.0.0.1:$(PORT)/oauth/token | python3 -c 'import json,sys;print(json.load(sys.stdin)["access_token"])') && \
	curl -sf -H "Authorization: Bearer $$token" "$(API)/users?limit=1" > /dev/null && \
	echo && echo "OneRoster API:  $(API)   (stop everything with: make stop)" && \
	echo "  Demo client (all scopes; also in .local/run/demo-client.json): $$id / $$secret" && \
	echo "  Get a token and read students:" && \
	echo "    TOKEN=\$$(curl -s -u '$$id:$$secret' -d grant_type=client_credentials http://127.0.0.1:$(PORT)/oauth/token | python3 -c 'import json,sys;print(json.load(sys.stdin)[\"access_token\"])')" && \
	echo "    curl -s -H \"Authorization: Bearer \$$TOKEN\" '$(API)/students?limit=2&fields=sourcedId,givenName,familyName'" && \
	echo "  Discovery document: $(API)/discovery/" && \
	echo "  DynamoDB Local $$DYNAMODB_ENDPOINT, S3/SQS (moto) $$S3_ENDPOINT, table oneroster, bucket oneroster-uploads" && \
	echo "  Admin CLI (with: eval \"\$$($(STACK) env)\"):  $(ADMIN) tenant|client|upload|jobs --help" && \
	echo "  Apply the demo delta:    $(ADMIN) upload .local/demo/delta.zip --tenant $(TENANT)"

lint:
	cargo fmt --all -- --check

test: stack-up
	@eval "$$($(STACK) env)"; mkdir -p .local; : > .local/test.log; \
	cargo fmt --all -- --check && cargo test --workspace 2>&1 | tee .local/test.log; rc=$${PIPESTATUS[0]}; \
	$(STACK) down; \
	awk '/^test result:/ { p += $$4; f += $$6 } END { printf "%d passed, %d failed\n", p, f }' .local/test.log; \
	exit $$rc

bench: stack-up
	@eval "$$($(STACK) env)"; \
	cargo build --profile bench-release -p e2e --bin bench && \
	./target/bench-release/bench --students $(STUDENTS); rc=$$?; \
	$(STACK) down; exit $$rc
