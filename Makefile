# The contract: `make run` serves the embedded corpus, `make test` runs every test.
GO      ?= go
BIN     := bin/yicha
ADDR    ?= 127.0.0.1:8080
DATA    ?= data
FUZZTIME ?= 5s

.PHONY: build run test deps check-format vet unit fuzz-short bench

build:
	$(GO) build -o $(BIN) ./cmd/yicha

run: build
	./$(BIN) serve --addr $(ADDR) --data $(DATA)

test: deps check-format vet unit fuzz-short

# What the tests need beyond Go: Debian's Chromium for the browser tests and
# CJK fonts so its screenshots show Chinese. Installed only when missing.
deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi 'noto.*cjk'; then \
		echo "installing chromium and fonts-noto-cjk"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

check-format:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

# Browser tests fail instead of skipping when Chromium is missing; their
# screenshots land in artifacts/screenshots.
unit:
	YICHA_REQUIRE_BROWSER=1 $(GO) test -race -count=1 ./...

# A few seconds of each fuzz target on top of its seed corpus.
fuzz-short:
	$(GO) test ./index  -run '^$$' -fuzz '^FuzzTokenizer$$'    -fuzztime $(FUZZTIME)
	$(GO) test ./corpus -run '^$$' -fuzz '^FuzzParsePolicy$$'  -fuzztime $(FUZZTIME)
	$(GO) test ./search -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./web    -run '^$$' -fuzz '^FuzzAPISearch$$'    -fuzztime $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
