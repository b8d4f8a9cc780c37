# FieldPay — the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

# What the package builds against (pkg-config finds each C library).
BUILD_PACKAGES := pkg-config libsqlite3-dev libzbar-dev libqrencode-dev libv4l-dev libpng-dev libturbojpeg0-dev
# What regenerating fixtures, samples and the hard corpus needs (not the build or the tests).
TOOL_PACKAGES := zbar-tools zint qrencode imagemagick fonts-dejavu-core python3-numpy python3-pil

CORPUS ?= .build/hard-corpus
FIELDPAY_RELEASE := .build/release/fieldpay

.PHONY: all deps tool-deps build release test demo bench corpus fixtures samples format clean help

all: build

help:
	@echo "make demo     install what is needed, build, scan the sample invoices"
	@echo "make test     install what is needed, build, run the whole test suite"
	@echo "make bench    decode benchmark (ZBarDecoder vs a plain C loop, RSS over 100k decodes) and live-scan benchmark"
	@echo "make corpus   generate the synthetic hard corpus and compare fieldpay scan with zbarimg on it"
	@echo "make format   swift-format the sources in place"

deps:
	@scripts/apt-install.sh $(BUILD_PACKAGES)

tool-deps:
	@scripts/apt-install.sh $(BUILD_PACKAGES) $(TOOL_PACKAGES)

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product fieldpay

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	scripts/run-rig-tests.sh

demo: release
	@echo
	@echo "FieldPay demo: scanning the sample invoices in samples/invoices (the device daemon comes later)."
	@for image in samples/invoices/*; do \
	    echo; echo "== $$image"; \
	    $(FIELDPAY_RELEASE) scan --quiet "$$image" || true; \
	done
	@echo
	@echo "Try it on your own images: $(FIELDPAY_RELEASE) scan --json PHOTO.jpg"

bench: release
	$(FIELDPAY_RELEASE) bench decode
	$(FIELDPAY_RELEASE) bench live

corpus: release tool-deps
	/usr/bin/python3 scripts/hard-corpus.py $(CORPUS)
	scripts/compare-decoders.sh $(CORPUS) $(FIELDPAY_RELEASE)

fixtures: tool-deps
	scripts/make-fixtures.sh

samples: tool-deps
	scripts/make-samples.sh

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

clean:
	rm -rf .build
