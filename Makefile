# FieldPay — the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

# What the package builds against (pkg-config finds each C library).
BUILD_PACKAGES := pkg-config libsqlite3-dev libzbar-dev libqrencode-dev libv4l-dev libpng-dev libturbojpeg0-dev
# What regenerating fixtures, samples and the hard corpus needs (not the build or the tests).
TOOL_PACKAGES := zbar-tools zint qrencode imagemagick fonts-dejavu-core python3-numpy python3-pil

CORPUS ?= .build/hard-corpus
FIELDPAY_RELEASE := .build/release/fieldpay
DEMO := FIELDPAY_PROFILE=devices/demo.toml $(FIELDPAY_RELEASE)
# Seconds per libFuzzer target: 30 in make test, more with make fuzz FUZZ_SECONDS=600.
FUZZ_SECONDS ?= 30

.PHONY: all deps tool-deps build release test fuzz demo bench corpus fixtures samples format clean help

all: build

help:
	@echo "make demo     install what is needed, build, load the sample invoices and scan the sample images"
	@echo "make test     install what is needed, build, run the whole test suite (unit, CLI, real V4L2 in qemu, fuzzing)"
	@echo "make fuzz     fuzz the payload parsers and the invoice-file reader for FUZZ_SECONDS per target (default 30)"
	@echo "make bench    decode, live-scan and invoice-cache benchmarks (the cache one builds a 1M-invoice book)"
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
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

demo: release
	@echo
	@echo "FieldPay demo on devices/demo.toml: load the sample invoices, list what is overdue, scan the samples."
	@rm -f .build/demo/device.sqlite .build/demo/device.sqlite-wal .build/demo/device.sqlite-shm
	$(DEMO) invoices import samples/invoices.csv
	@echo
	$(DEMO) invoices list --overdue
	@for image in samples/invoices/*; do \
	    echo; echo "== $$image"; \
	    $(DEMO) scan --lookup --quiet "$$image" || true; \
	done
	@echo
	@echo "Try: $(DEMO) lookup INV/2026-27/004120    or    $(DEMO) scan --lookup PHOTO.jpg"

bench: release
	$(FIELDPAY_RELEASE) bench decode
	$(FIELDPAY_RELEASE) bench live
	$(FIELDPAY_RELEASE) bench cache

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
