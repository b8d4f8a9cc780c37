# FieldPay — the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

# What the package builds against (pkg-config finds each C library), and rsvg-convert, which the tests use
# to render the SVGs we write.
BUILD_PACKAGES := pkg-config libsqlite3-dev libzbar-dev libqrencode-dev libv4l-dev libpng-dev libturbojpeg0-dev librsvg2-bin
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
	@rm -f .build/demo/device.sqlite .build/demo/device.sqlite-wal .build/demo/device.sqlite-shm .build/demo/device.key*
	$(DEMO) invoices import samples/invoices.csv
	@echo
	$(DEMO) invoices list --overdue
	@for image in samples/invoices/*; do \
	    echo; echo "== $$image"; \
	    $(DEMO) scan --lookup --quiet "$$image" || true; \
	done
	@echo
	@echo "== Payment QR for INV/2026-27/004512, written to .build/demo/qr.png and scanned back:"
	$(DEMO) qr --invoice INV/2026-27/004512 --out .build/demo/qr.png
	$(DEMO) scan --quiet .build/demo/qr.png
	@echo
	@echo "== Payments: cash, cheque and UPI, each with a signed receipt:"
	$(DEMO) pay --invoice INV/2026-27/004120 --amount 2600 --cash
	$(DEMO) pay --invoice INV/2026-27/004301 --amount 4875 --cheque 004512 --bank "HDFC Bank" --cheque-date 2026-11-30
	$(DEMO) pay --invoice INV/2026-27/004512 --amount 15110 --upi --utr 412345678901 --json > .build/demo/upi-receipt.json
	@echo
	$(DEMO) receipts show DEMO01-000003 --out .build/demo/receipt.svg
	$(DEMO) receipts verify .build/demo/receipt.svg
	@echo
	$(DEMO) queue
	@echo
	@echo "Try: $(DEMO) lookup INV/2026-27/004120    or    $(DEMO) scan --lookup PHOTO.jpg"

bench: release
	$(FIELDPAY_RELEASE) bench decode
	$(FIELDPAY_RELEASE) bench live
	$(FIELDPAY_RELEASE) bench cache
	$(FIELDPAY_RELEASE) bench payments

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
