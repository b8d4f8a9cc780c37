# FieldPay — the two set-up commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)

# What the package builds against (pkg-config finds each C library), and rsvg-convert, which the tests use
# to render the SVGs we write.
BUILD_PACKAGES := pkg-config libsqlite3-dev libzbar-dev libqrencode-dev libv4l-dev libpng-dev libturbojpeg0-dev librsvg2-bin \
	curl openssl python3 python3-venv python3-cryptography chromium fonts-noto-core systemd binutils libxml2
# What regenerating fixtures, samples and the hard corpus needs (not the build or the tests).
TOOL_PACKAGES := zbar-tools zint qrencode imagemagick fonts-dejavu-core python3-numpy python3-pil

CORPUS ?= .build/hard-corpus
# Seed 2 is the held-out corpus the README's figures come from (seed 1 is the one the decoder was tuned on).
CORPUS_SEED ?= 2
FIELDPAY_RELEASE := .build/release/fieldpay
# The demo build: the same commands as fieldpay, plus the embedded hub and simulated payer of a [demo] profile.
DEMO := FIELDPAY_PROFILE=devices/demo.toml .build/release/fieldpay-demo
BENCH := .build/release/fieldpay-bench
# make demo runs the daemon until Ctrl-C; DEMO_SECONDS=N stops it after N seconds (scripts, CI).
DEMO_SECONDS ?=
# Minutes of the daemon soak in make bench (the README's figure is an hour: make bench SOAK_MINUTES=60).
SOAK_MINUTES ?= 3
# Seconds per libFuzzer target: 30 in make test, more with make fuzz FUZZ_SECONDS=600.
FUZZ_SECONDS ?= 30
# The fault harness: payments through the faulty proxy (1,000 in make test, 10,000 in make fault-long); receipts sent by a killed hub.
FAULT_PAYMENTS ?= 1000
SYNC_INVOICES ?= 1000000
MESSAGING_PAYMENTS ?= 500
# The ERP harness: payments booked in a fake Tally by a killed hub, and the outstanding bills pulled at the end.
ERP_PAYMENTS ?= 1000
ERP_BILLS ?= 100000
# ... then payments reversed (their vouchers cancelled), and payments to a fake Zoho Books (a push there is three
# requests: 300 take about 2 minutes; 1,000 about 7).
ERP_REVERSALS ?= 50
ZOHO_PAYMENTS ?= 300

.PHONY: all deps tool-deps build release release-all demo-cli demo-hub demo-collections demo-messaging demo-erp test fault fault-long schemathesis fuzz demo bench corpus fixtures samples format clean help

all: build

help:
	@echo "make demo     install what is needed, build, and run the device daemon on devices/demo.toml: open the printed URL"
	@echo "              and watch replayed invoices get scanned and paid (embedded hub, simulated payer; Ctrl-C stops)"
	@echo "make demo-cli the command-line walkthrough: import, lookup, scan the samples, QR, cash/cheque/UPI receipts"
	@echo "make demo-hub the hub and a device end to end over HTTPS (a demo CA): enroll, sync, pay by UPI, a signed PSP webhook, paid on both sides"
	@echo "make demo-collections  the managers' dashboard on a demo book (aging, allocation, follow-ups, reports) at http://127.0.0.1:8090/manage"
	@echo "make demo-messaging    receipts and reminders to the demo book's customers through a WhatsApp fake, on the Messages page at http://127.0.0.1:8091/manage/messages"
	@echo "make demo-erp the hub and a fake TallyPrime: bills pulled as invoices, a device's cash payment pushed as a Receipt voucher (Agst Ref), reconciled"
	@echo "make test     install what is needed, build, run the whole test suite (unit, CLI, real V4L2 in qemu, fuzzing)"
	@echo "make fuzz     fuzz the payload parsers and the invoice-file reader for FUZZ_SECONDS per target (default 30)"
	@echo "make fault    the fault harness: 1,000 payments through a faulty proxy with SIGKILLs; a 1M sync interrupted 20 times; 500 receipts sent by a hub SIGKILLed while it sends; 1,000 payments booked in a fake Tally by a hub SIGKILLed while it pushes, and 100,000 bills pulled"
	@echo "make fault-long  the same with 10,000 payments"
	@echo "make schemathesis  property-based tests of the hub against Sources/HubAPI/openapi.yaml"
	@echo "make bench    decode, live-scan, invoice-cache, payment and sync benchmarks (cache and sync build 1M-invoice books)"
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
	$(SWIFT) build -c release --product fieldpay-demo

release-all: deps
	$(SWIFT) build -c release

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	scripts/run-rig-tests.sh
	scripts/fuzz.sh $(FUZZ_SECONDS)
	scripts/schemathesis.sh .build/debug/fieldpay-hub
	$(MAKE) --no-print-directory fault

# The fault harness runs the release binaries: a million invoices through a debug build takes too long.
fault: release-all
	python3 scripts/fault-harness.py payments --bin .build/release --payments $(FAULT_PAYMENTS)
	python3 scripts/fault-harness.py sync --bin .build/release --invoices $(SYNC_INVOICES) --interruptions 20
	python3 scripts/fault-harness.py messaging --bin .build/release --payments $(MESSAGING_PAYMENTS)
	python3 scripts/fault-harness.py erp --bin .build/release --payments $(ERP_PAYMENTS) --bills $(ERP_BILLS) --reversals $(ERP_REVERSALS) --zoho-payments $(ZOHO_PAYMENTS)

fault-long:
	$(MAKE) --no-print-directory fault FAULT_PAYMENTS=10000

schemathesis: build
	scripts/schemathesis.sh .build/debug/fieldpay-hub

fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

demo: release
	@rm -rf .build/demo
	@$(DEMO) invoices import samples/invoices.csv >/dev/null
	@echo
	@echo "FieldPay demo on devices/demo.toml: the device daemon with replayed camera frames of the sample invoices,"
	@echo "a hub inside it with the same invoices, and a simulated payer who pays two QRs in three after 5 s."
	@echo "Open the URL below in a browser (from another machine: ssh -L 8787:127.0.0.1:8787 this-host). Ctrl-C stops."
	@echo
	$(if $(DEMO_SECONDS),timeout --signal=TERM --preserve-status $(DEMO_SECONDS)) env $(DEMO) run

demo-cli: release
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

demo-hub: release-all
	scripts/hub-demo.sh

demo-collections: release-all
	scripts/collections-demo.sh

demo-messaging: release-all
	scripts/messaging-demo.sh

demo-erp: release-all
	scripts/erp-demo.sh

bench: release-all
	$(BENCH) decode
	$(BENCH) live
	$(BENCH) cache
	$(BENCH) payments
	$(BENCH) sync
	$(BENCH) messaging
	$(BENCH) erp
	$(BENCH) kiosk
	$(BENCH) daemon --minutes $(SOAK_MINUTES)

corpus: release tool-deps
	/usr/bin/python3 scripts/hard-corpus.py $(CORPUS) --seed $(CORPUS_SEED)
	scripts/compare-decoders.sh $(CORPUS) $(FIELDPAY_RELEASE)

fixtures: tool-deps
	scripts/make-fixtures.sh

samples: tool-deps
	scripts/make-samples.sh

format:
	$(SWIFT) format --in-place --recursive Package.swift Sources Tests

clean:
	rm -rf .build
