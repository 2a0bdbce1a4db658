# The contract: `make run` serves the embedded corpus, `make test` runs every test.
# Every target builds with this Go, which the go command fetches from the Go
# module proxy when missing (go.mod requires it; a machine's own Go is older).
export GOTOOLCHAIN := go1.27.3
GO      ?= go
BIN     := bin/yicha
ADDR    ?= 127.0.0.1:8080
DATA    ?= data
FUZZTIME ?= 5s

.PHONY: build run test test-cluster bench-replicas deps check-format vet unit fuzz-short vulncheck bench bench-scale eval eval-deps load audit

build:
	$(GO) build -o $(BIN) ./cmd/yicha

run: build
	./$(BIN) serve --addr $(ADDR) --data $(DATA)

# Each phase in turn; their times are printed at the end.
test:
	@MAKE="$(MAKE)" ./deploy/dev/phases.sh deps check-format vet unit fuzz-short

# What the tests need beyond Go: Debian's Chromium for the browser tests and
# CJK fonts so its screenshots show Chinese. Installed only when missing.
deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
		echo "installing chromium and fonts-noto-cjk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

# gofmt of the same Go as the build, not whichever is first on PATH.
check-format:
	@out=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags testhooks ./cmd/yicha

# Browser tests fail instead of skipping when Chromium is missing; their
# screenshots land in artifacts/screenshots.
# Tests of the PostgreSQL corpus store run against a throwaway cluster on
# loopback (PostgreSQL installed from Debian when missing), stopped after.
# The web package takes close to go test's default 10 minutes under the race
# detector on a small, busy machine: the limit is raised.
unit:
	YICHA_REQUIRE_BROWSER=1 YICHA_REQUIRE_DB=1 ./deploy/dev/with-postgres.sh $(GO) test -race -count=1 -timeout 30m ./...

# Known vulnerabilities in the code's call graph: govulncheck (pinned) against
# a database built offline from a pinned golang.org/x/vulndb module; fails on a
# called vulnerability that is neither fixed nor accepted in the script.
# VULNCHECK_FLAGS='-show verbose' also prints govulncheck's own report.
VULNCHECK_FLAGS ?=
vulncheck:
	./deploy/dev/vulncheck.sh $(VULNCHECK_FLAGS)

# Three `yicha serve --db` replicas behind nginx (installed from Debian when
# missing) on a throwaway PostgreSQL: an edit, a SIGKILL, a restart under
# continuous searches, then QPS and p99 with one and three replicas; and
# two replicas with named admins: a publish on one reaches both.
test-cluster:
	@command -v nginx >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null)
	YICHA_TEST_CLUSTER=1 YICHA_REQUIRE_DB=1 ./deploy/dev/with-postgres.sh $(GO) test -count=1 -timeout 15m -run '^TestCluster(Publish)?$$' -v ./cmd/yicha

# A generated corpus of BENCH_DOCS entries in a throwaway PostgreSQL: one
# replica builds its index and writes a snapshot, a second starts from it,
# then ten one-entry edits are pushed; prints how soon each reached both
# replicas and how soon the second was ready. Not part of make test.
BENCH_DOCS ?= 100000
bench-replicas:
	YICHA_BENCH_REPLICAS=1 BENCH_DOCS=$(BENCH_DOCS) ./deploy/dev/with-postgres.sh $(GO) test -count=1 -timeout 3h -run '^TestBenchReplicas$$' -v ./cmd/yicha

# Lighthouse (mobile) and axe-core on home, results, a policy, the wizard,
# /transparency and a 办事清单 of a local server, axe also with the search
# suggestions open and in large text at 320px. Installs Debian's Chromium,
# Node and the pinned npm packages when missing (into AUDIT_CACHE); prints
# the scores and fails on accessibility below 100 or an axe violation. Not
# part of make test: performance depends on the machine's load.
audit: build
	BIN=./$(BIN) ./deploy/dev/audit.sh

# A few seconds of each fuzz target on top of its seed corpus.
fuzz-short:
	$(GO) test ./index  -run '^$$' -fuzz '^FuzzTokenizer$$'    -fuzztime $(FUZZTIME)
	$(GO) test ./corpus -run '^$$' -fuzz '^FuzzParsePolicy$$'  -fuzztime $(FUZZTIME)
	$(GO) test ./search -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./web    -run '^$$' -fuzz '^FuzzAPISearch$$'    -fuzztime $(FUZZTIME)

# Benchmarks: segmentation, index build, search latency (p50/p99) on the
# default corpus, the 11k statute articles and a generated 100k corpus, and
# cold start and memory of the server. Heavy cases run a fixed count.
bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./index
	$(GO) test -run '^$$' -bench 'Search' -benchtime 3000x -timeout 60m ./search
	$(GO) test -run '^$$' -bench . -benchtime 5x ./cmd/yicha

# Scale: yicha beside the Xapian+jieba peer on the same generated corpus of
# 100,000 documents and 1,000 real questions, written as a BEIR set to a
# temporary directory and removed after; prints build rate, p50 and p99 per
# question of each and the ratios. SCALE_DOCS and SCALE_QUESTIONS change the
# sizes. Several minutes; not part of make test.
SCALE_DOCS      ?= 100000
SCALE_QUESTIONS ?= 1000
bench-scale: build eval-deps
	GO="$(GO)" BIN=./$(BIN) PY=$(PY) SHARED=$(SHARED) SCALE_DOCS=$(SCALE_DOCS) SCALE_QUESTIONS=$(SCALE_QUESTIONS) \
		./deploy/dev/bench-scale.sh

# Load: wrk replays real residents' questions against /api/search, then hits
# /healthz the same way, in one run, and prints both and their ratio. A
# warm-up pass first fills the answer cache, as steady traffic does.
LOADTIME ?= 15s
LOADWARM ?= 10s
LOADCONN ?= 32
load: build
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)
	@set -e; tmp=$$(mktemp -d); trap 'kill $$pid 2>/dev/null; rm -rf $$tmp' EXIT; \
	$(PY) -c 'import json,sys,urllib.parse; \
		[print("/api/search?q=" + urllib.parse.quote(json.loads(l)["subject"][:200])) for l in open(sys.argv[1]) if json.loads(l).get("subject")]' \
		$(SHARED)/data/resident-questions/questions.jsonl > $$tmp/search.txt; \
	echo /healthz > $$tmp/health.txt; \
	./$(BIN) index --data $$tmp/data >/dev/null; \
	./$(BIN) serve --data $$tmp/data --addr 127.0.0.1:18099 --rate-limit 0 2>$$tmp/serve.log & pid=$$!; \
	for i in $$(seq 100); do curl -fs http://127.0.0.1:18099/healthz >/dev/null && break; sleep 0.1; done; \
	YICHA_PATHS=$$tmp/search.txt wrk -t2 -c$(LOADCONN) -d$(LOADWARM) -s cmd/yicha/testdata/replay.lua http://127.0.0.1:18099 > $$tmp/warm.out; \
	echo "warm-up: $$(awk '/Requests\/sec/ {print $$2}' $$tmp/warm.out) search QPS over $(LOADWARM) (first pass over every question)"; \
	for kind in search health; do \
		YICHA_PATHS=$$tmp/$$kind.txt wrk -t2 -c$(LOADCONN) -d$(LOADTIME) --latency -s cmd/yicha/testdata/replay.lua http://127.0.0.1:18099 > $$tmp/$$kind.out; \
	done; \
	for kind in search health; do \
		awk -v k=$$kind '/Requests\/sec/ {q=$$2} /^ +50%/ {p50=$$2} /^ +99%/ {p99=$$2} /Non-2xx/ {bad=$$NF} \
			END {printf "%-8s QPS=%-10s p50=%-9s p99=%-9s non-2xx=%s\n", k, q, p50, p99, (bad==""?0:bad)}' $$tmp/$$kind.out; \
	done; \
	s=$$(awk '/Requests\/sec/ {print $$2}' $$tmp/search.out); h=$$(awk '/Requests\/sec/ {print $$2}' $$tmp/health.out); \
	awk -v s=$$s -v h=$$h 'BEGIN {printf "search QPS / healthz QPS = %.2f\n", s/h}'


# Search quality: ours beside the peer engines on the same BEIR sets, in one
# run, then our own corpus on judged resident questions.
SHARED  ?= ../shared
EVALSETS ?= msgabench-gov-qa stard-lecoqa
PY      := /usr/bin/python3

eval-deps:
	@if ! $(PY) -c 'import xapian, jieba' 2>/dev/null; then \
		echo "installing python3-xapian and python3-jieba"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-xapian python3-jieba >/dev/null; \
	fi

eval: build eval-deps
	@rows=$$(mktemp); \
	for set in $(EVALSETS); do \
		d=$(SHARED)/data/$$set; \
		./$(BIN) eval --corpus $$d/corpus.jsonl --queries $$d/queries.jsonl --qrels $$d/qrels.tsv > $$rows.out || exit 1; \
		awk -v set=$$set '/^index:/ {ix=$$5; sub("s","",ix)} /^queries:/ {for (i=1;i<=NF;i++) if ($$i ~ /^mean=/) {q=$$i; sub("mean=","",q); sub("ms","",q)}} \
			/^nDCG/ {split($$1,a,"="); split($$2,b,"="); split($$3,c,"="); print set, "yicha", a[2], b[2], c[2], ix, q}' $$rows.out >> $$rows; \
		for peer in xapian-jieba bigram; do \
			$(PY) $(SHARED)/peers/beir_peer.py $$d --peer $$peer 2>/dev/null | \
			awk -v set=$$set -v peer=$$peer '{for (i=1;i<=NF;i++) {split($$i,kv,"="); v[kv[1]]=kv[2]}} \
				END {print set, "peer-" peer, v["nDCG@10"], v["MRR@10"], v["Recall@100"], v["index_s"], v["query_ms"]}' >> $$rows; \
		done; \
	done; \
	awk '{printf "%-18s %-20s %8s %8s %10s %9.2f %10.2f\n", $$1, $$2, $$3, $$4, $$5, $$6, $$7; \
			if ($$2=="yicha") {yi[$$1]=$$6; yq[$$1]=$$7} if ($$2=="peer-xapian-jieba") {xi[$$1]=$$6; xq[$$1]=$$7}} \
		END {for (s in yi) printf "%-18s yicha / xapian-jieba: index time x%.2f, query time x%.2f\n", s, yi[s]/xi[s], yq[s]/xq[s]}' \
		$$rows | (printf '%-18s %-20s %8s %8s %10s %9s %10s\n' set engine nDCG@10 MRR@10 Recall@100 index_s query_ms; cat); \
	rm -f $$rows $$rows.out
	@$(GO) test ./search -run '^(TestResidentJudgments|TestConfidenceOnJudgedQuestions)$$' -count=1 -v | grep -E 'hit@|not strong|FAIL' || true
