# geo311 — see README.md.
GO ?= go
SHARED ?= $(abspath ../shared)

.PHONY: test deps vet unit bench fuzz build clean

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

clean:
	rm -rf bin
