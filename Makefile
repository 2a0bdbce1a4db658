# The contract: `make run` serves the embedded corpus, `make test` runs every test.
GO      ?= go
BIN     := bin/yicha
ADDR    ?= 127.0.0.1:8080
DATA    ?= data
FUZZTIME ?= 5s

.PHONY: build run test check-format vet unit fuzz-short bench

build:
	$(GO) build -o $(BIN) ./cmd/yicha

run: build
	./$(BIN) serve --addr $(ADDR) --data $(DATA)

test: check-format vet unit fuzz-short

check-format:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

# A few seconds of each fuzz target on top of its seed corpus.
fuzz-short:
	$(GO) test ./index  -run '^$$' -fuzz '^FuzzTokenizer$$'    -fuzztime $(FUZZTIME)
	$(GO) test ./corpus -run '^$$' -fuzz '^FuzzParsePolicy$$'  -fuzztime $(FUZZTIME)
	$(GO) test ./search -run '^$$' -fuzz '^FuzzParseRequest$$' -fuzztime $(FUZZTIME)
	$(GO) test ./web    -run '^$$' -fuzz '^FuzzAPISearch$$'    -fuzztime $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
