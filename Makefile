# geo311 — see README.md.
GO ?= go
SHARED ?= $(abspath ../shared)

.PHONY: test deps vet unit bench fuzz build clean loadtest

## test: everything CI runs: install test dependencies, vet, race-enabled tests.
test: deps vet
	GEO311_SHARED=$(SHARED) $(GO) test -race -count=1 -timeout 30m ./...

deps:
	@bash .ci/install-deps

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

## bench: the benchmarks quoted in README.md's Performance section.
bench:
	GEO311_SHARED=$(SHARED) $(GO) test -run '^$$' -bench . -benchmem ./...

## fuzz: each fuzz target for FUZZTIME (default 1m).
FUZZTIME ?= 1m
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

build:
	$(GO) build -o bin/geo311 ./cmd/geo311

## loadtest: LOADRATE requests/s of mixed intake, routing, tiles and status lookups for LOADDURATION
## against a child `geo311 serve --demo` on loopback (SQLite in a temporary directory); prints
## throughput, p50/p99 per kind and the server's RSS over time, and fails on any error or on memory
## growth (see go doc ./cmd/geo311-load). LOADARGS adds flags, e.g. LOADARGS='--database-url postgres://...'.
LOADRATE ?= 200
LOADDURATION ?= 3m
LOADARGS ?=
loadtest:
	$(GO) build -o bin/geo311 ./cmd/geo311
	$(GO) build -o bin/geo311-load ./cmd/geo311-load
	bin/geo311-load --geo311 bin/geo311 --rate $(LOADRATE) --duration $(LOADDURATION) $(LOADARGS)

clean:
	rm -rf bin
