# Bollard: the two commands the README starts with are `make demo` and `make test`.
# Each installs what it needs on a fresh Debian machine first (`make deps`).

SWIFT ?= swift
DEBIAN_PACKAGES := libzmq3-dev libv4l-dev libsqlite3-dev libturbojpeg0-dev zlib1g-dev pkg-config python3 python3-zmq python3-cryptography python3-venv faketime libcurl4 chromium wrk curl systemd binutils libcurl4-openssl-dev postgresql
BIN_DEBUG := .build/debug

.PHONY: deps build test demo bench-sync bench-scale bench-capture bench-http release install deb

## Debian packages for the C libraries (installed only when missing).
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing: $$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build

## schemathesis (PyPI) for the property-based run of the HTTP API from its OpenAPI document.
SCHEMATHESIS := .build/schemathesis/bin/st
$(SCHEMATHESIS):
	python3 -m venv .build/schemathesis
	.build/schemathesis/bin/pip install -q 'schemathesis>=4,<5'

## The test suite (.ci/run runs exactly this).
test: deps $(SCHEMATHESIS)
	$(SWIFT) build --build-tests
	# One test at a time: on 2 cores, the blocking integration tests would otherwise
	# hold the cooperative pool and starve the timing-sensitive watchdog and thread tests.
	# Everything on SQLite first; then central's suites again on PostgreSQL, against a
	# throwaway cluster (scripts/with-postgres) that is gone when the run ends.
	BOLLARD_SCHEMATHESIS=$(CURDIR)/$(SCHEMATHESIS) scripts/with-postgres sh -c '\
		$(SWIFT) test --skip-build --no-parallel && \
		BOLLARD_TEST_ENGINE=postgres $(SWIFT) test --skip-build --no-parallel --filter "$(POSTGRES_SUITES)"'

## Central's suites, run a second time on PostgreSQL by `make test`.
POSTGRES_SUITES := CentralCoreTests|CentralHTTPTests|IntegrationTests

## Release binaries for installation: the Swift runtime linked in, so a gate needs only Debian's libraries.
VERSION ?= 0.1.0
BIN_RELEASE := .build/release
RELEASE_FLAGS := -c release --static-swift-stdlib
release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product bollard-edge
	$(SWIFT) build $(RELEASE_FLAGS) --product bollardctl
	$(SWIFT) build $(RELEASE_FLAGS) --product bollard-central

## Binaries, model, units, sysusers/tmpfiles entries, configuration and docs under DESTDIR (packaging/install.sh).
install: release
	packaging/install.sh $(BIN_RELEASE) "$(DESTDIR)" all

## dist/bollard-edge_$(VERSION)_ARCH.deb and dist/bollard-central_$(VERSION)_ARCH.deb (packaging/build-deb.sh).
deb: release
	packaging/build-deb.sh $(BIN_RELEASE) $(VERSION) dist

## Central plus 30 simulated gates of "Casco Viejo" on this machine; Ctrl-C stops.
demo: build
	$(BIN_DEBUG)/bollard-central demo --gates 30

## Sync benchmark: ingest rate, permit propagation to 30 gates, decision time with 1M permits.
bench-sync: deps
	$(SWIFT) build -c release --product bollard-bench
	$(SWIFT) build -c release --product bollard-edge
	.build/release/bollard-bench sync

## Scale benchmark (issue 13): 300 simulated gates (in-process CURVE clients speaking the real protocol)
## against 1, then 2 `bollard-central run` instances sharing one SQLite data folder, then the same on one
## PostgreSQL database (a throwaway cluster, scripts/with-postgres): durable events/s, permit change →
## all gates p50/p99, failover time after SIGKILL, every event stored once.
## SCALE_ARGS passes options, e.g. SCALE_ARGS="--instances 2 --changes 30 --store postgresql".
SCALE_ARGS ?= --store both
bench-scale: deps
	$(SWIFT) build -c release --product bollard-bench
	$(SWIFT) build -c release --product bollard-central
	scripts/with-postgres .build/release/bollard-bench scale $(SCALE_ARGS)

## Control centre benchmark (issue 10): p50/p99 of the dashboard and the gate and violation list APIs
## with 30 gates and 1,000,000 stored events, wrk against a release build.
bench-http: deps
	$(SWIFT) build -c release --product bollard-bench
	$(SWIFT) build -c release --product bollard-central
	Tests/Benchmarks/bench-http.sh

## Capture benchmark (issue 8): .y4m capture → motion gate → recogniser → tracker → decision on one
## thread, at 640x480 and 1280x720 with a plate in one frame of five; frames/s, CPU ms per stage, peak RSS.
bench-capture: deps
	$(SWIFT) build -c release --product bollard-bench
	.build/release/bollard-bench capture

# ---------------------------------------------------------------- plate recognition (issue 3)
# Python is used offline only: to render synthetic plates and train the character model.
OCR_PY_DIR   := Edge/Training
OCR_VENV     := $(OCR_PY_DIR)/.venv
OCR_PY       := $(OCR_VENV)/bin/python
OCR_STAMP    := $(OCR_VENV)/.installed
OCR_MODEL    := Edge/PlateRecognition/Resources/plates.bmodel
OCR_RELEASE  := .build-ocr-release
OCR_BENCH    := .build-ocr-bench
OCR_DEV_SET  ?= ../shared/datasets/openalpr-eu-dev
OCR_SCORER   ?= ../shared/tools/score-plates
OCR_FONTS    := fonts-opendin fonts-liberation fonts-roboto-unhinted fonts-routed-gothic fonts-dejavu-extra fonts-freefont-ttf fonts-b612

OCR_READER   ?= whole-plate
# Another model file for bench-recognition (default: the packaged one).
OCR_BENCH_MODEL ?=
OCR_MODEL_ARG := $(if $(OCR_BENCH_MODEL),--model $(OCR_BENCH_MODEL),)

.PHONY: train-ocr package-ensemble train-reader calibrate-reader bench-recognition ocr-venv ocr-fonts ocr-spanish-set ocr-heldout-sets ocr-two-line-set ocr-calib-sets

$(OCR_STAMP): $(OCR_PY_DIR)/requirements.txt
	python3 -m venv $(OCR_VENV)
	$(OCR_VENV)/bin/pip install -q -r $(OCR_PY_DIR)/requirements.txt
	touch $(OCR_STAMP)

ocr-venv: $(OCR_STAMP)

# Fonts close to plate fonts (DIN 1451-like OSP-DIN first); needs root and apt.
ocr-fonts:
	@test -f /usr/share/fonts/truetype/opendin/OSP-DIN.ttf -a -f /usr/share/fonts/opentype/b612/B612-Bold.otf \
	  -a -f /usr/share/fonts/truetype/routed-gothic/routed-gothic-narrow.ttf -a -f /usr/share/fonts/truetype/freefont/FreeSansBold.ttf \
	  -a -f /usr/share/fonts/truetype/roboto/unhinted/RobotoCondensed-Bold.ttf -a -f /usr/share/fonts/truetype/liberation/LiberationSansNarrow-Bold.ttf \
	  -a -f /usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(OCR_FONTS))

# Render plates and train the three character MLPs of the ensemble on one thread
# (about 10, 15 and 15 minutes), each written as one member of a new model file
# (magic, version, alphabet, layer table, training commands, SHA-256; see
# Edge/Training/model_file.py): $(OCR_ENSEMBLE), the base that train-reader
# adds the whole-plate reader to. The packaged model is replaced by train-reader only,
# so it always carries the reader the gate reads with by default.
train-ocr: $(OCR_STAMP) ocr-fonts
	@mkdir -p $(OCR_BENCH) && rm -f $(OCR_BENCH)/plates.bmodel.new
	cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ../../$(OCR_PY) train_ocr.py \
	  --seed 7 --plates 20000 --epochs 12 --hidden 256 128 --regulation-share 0.5 --member 1 --out ../../$(OCR_BENCH)/plates.bmodel.new
	cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ../../$(OCR_PY) train_ocr.py \
	  --seed 11 --plates 30000 --epochs 14 --hidden 384 192 --regulation-share 0.5 --member 2 --out ../../$(OCR_BENCH)/plates.bmodel.new
	cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ../../$(OCR_PY) train_ocr.py \
	  --seed 13 --plates 30000 --epochs 14 --hidden 384 192 --w-apex 0.0 0.55 --regulation-share 0.5 --member 3 --out ../../$(OCR_BENCH)/plates.bmodel.new
	mv $(OCR_BENCH)/plates.bmodel.new $(OCR_ENSEMBLE)
	@echo "character ensemble in $(OCR_ENSEMBLE): make package-ensemble puts it into $(OCR_MODEL) (keeping the reader), make train-reader trains a new reader on it"

# The ensemble that train-ocr wrote, in place of the packaged one; the packaged reader and its
# calibration are kept byte for byte (Edge/Training/model_file.py with-members).
package-ensemble:
	cd $(OCR_PY_DIR) && ../../$(OCR_PY) model_file.py with-members ../../$(OCR_MODEL) ../../$(OCR_ENSEMBLE) ../../$(OCR_BENCH)/plates.bmodel.packaged
	mv $(OCR_BENCH)/plates.bmodel.packaged $(OCR_MODEL)

# The whole-plate reader (CNN + CTC, issue 9) on one thread with PyTorch (CPU wheel;
# Edge/Training/requirements-reader.txt), about 15 minutes of rendering and 25 of
# training on a busy box; written with the character ensemble of $(OCR_ENSEMBLE) when
# train-ocr made one, else of the packaged model, as a format version 2 file, then
# calibrated (calibrate-reader, version 3) into the packaged model: the gate's default
# reader (recognition_reader = whole-plate) needs it there.
OCR_READER_MODEL := $(OCR_MODEL)
OCR_ENSEMBLE := $(OCR_BENCH)/plates-ensemble.bmodel
train-reader: $(OCR_STAMP) ocr-fonts
	$(OCR_VENV)/bin/pip install -q -r $(OCR_PY_DIR)/requirements-reader.txt
	@mkdir -p $(OCR_BENCH)
	cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 nice -n 19 ../../$(OCR_PY) train_reader.py --seed 21 --plates 40000 --epochs 8 --max-minutes 35 \
	  --base ../../$(if $(wildcard $(OCR_ENSEMBLE)),$(OCR_ENSEMBLE),$(OCR_MODEL)) --out ../../$(OCR_BENCH)/plates.bmodel.reader --cache ../../$(OCR_BENCH)/reader-chunks
	mv $(OCR_BENCH)/plates.bmodel.reader $(OCR_READER_MODEL)
	$(MAKE) calibrate-reader

# Rendered calibration sets for the whole-plate reader's confidence, each with its own
# seed: never the benchmark sets below, never photographs.
OCR_CALIB_SETS := calib-spanish calib-regulation calib-mixed calib-hd
ocr-calib-sets: $(OCR_STAMP) ocr-fonts
	@test -f $(OCR_BENCH)/calib-spanish/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/calib-spanish --count 300 --seed 6101 --layout spanish)
	@test -f $(OCR_BENCH)/calib-regulation/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/calib-regulation --count 300 --seed 6102 --layout spanish --style regulation)
	@test -f $(OCR_BENCH)/calib-mixed/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/calib-mixed --count 400 --seed 6103 --layout mixed)
	@test -f $(OCR_BENCH)/calib-hd/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/calib-hd --count 100 --seed 6104 --layout spanish --size 1280 720)

# Fit the whole-plate reader's confidence calibration (Edge/Training/calibrate_reader.py)
# on what the release build reads in the calibration sets, and write it into the
# candidate model file (format version 3, weights unchanged). About a minute.
calibrate-reader: ocr-calib-sets
	swift build -c release --product bollard-edge --scratch-path $(OCR_RELEASE)
	@for s in $(OCR_CALIB_SETS); do \
	  $(OCR_RELEASE)/release/bollard-edge recognize --reader whole-plate --model $(OCR_READER_MODEL) --json --evidence $(OCR_BENCH)/$$s/*.jpg \
	    > $(OCR_BENCH)/$$s.evidence.jsonl || exit 1; done
	cd $(OCR_PY_DIR) && ../../$(OCR_PY) calibrate_reader.py --base ../../$(OCR_READER_MODEL) --out ../../$(OCR_BENCH)/plates-reader.calibrated \
	  $(foreach s,$(OCR_CALIB_SETS),--set ../../$(OCR_BENCH)/$(s)/labels.csv ../../$(OCR_BENCH)/$(s).evidence.jsonl)
	mv $(OCR_BENCH)/plates-reader.calibrated $(OCR_READER_MODEL)

# The rendered Spanish benchmark set (fixed seed, never used for training).
ocr-spanish-set: $(OCR_STAMP) ocr-fonts
	@test -f $(OCR_BENCH)/spanish/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/spanish --count 200 --seed 2024 --layout spanish)

# Held-out rendered sets, never trained on: Spanish plates in the regulation layout with
# frames, screws, IR and motion blur (issue 9's renderer), and the mixed European set.
ocr-heldout-sets: $(OCR_STAMP) ocr-fonts
	@test -f $(OCR_BENCH)/regulation/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/regulation --count 200 --seed 2025 --layout spanish --style regulation)
	@test -f $(OCR_BENCH)/mixed/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/mixed --count 300 --seed 4242 --layout mixed)

# Two-line (square) plates, never trained on, seed 7070 used for nothing else: Spanish
# motorcycle plates (NNNN over LLL), French (LL over NNN-LL) and British (LLNN over LLL)
# square plates with frames, screws, IR and motion blur (render_scenes.py --layout two-line).
ocr-two-line-set: $(OCR_STAMP) ocr-fonts
	@test -f $(OCR_BENCH)/two-line/labels.csv || \
	  (cd $(OCR_PY_DIR) && OMP_NUM_THREADS=1 ../../$(OCR_PY) render_scenes.py --out ../../$(OCR_BENCH)/two-line --count 200 --seed 7070 --layout two-line)

# Release build, then the scorer's line for the dev set and the rendered sets, plus throughput.
# OCR_READER=characters measures the character ensemble alone (the default is
# whole-plate, the gate's reader, with its cross-check).
bench-recognition: ocr-spanish-set ocr-heldout-sets ocr-two-line-set
	swift build -c release --product bollard-edge --scratch-path $(OCR_RELEASE)
	@mkdir -p $(OCR_BENCH)
	@$(OCR_RELEASE)/release/bollard-edge recognize --reader $(OCR_READER) $(OCR_MODEL_ARG) --json $(OCR_DEV_SET)/*.jpg > $(OCR_BENCH)/dev.jsonl
	@echo "reader $(OCR_READER), openalpr-eu-dev:"; $(OCR_SCORER) $(OCR_DEV_SET)/labels.csv $(OCR_BENCH)/dev.jsonl | tail -1
	@$(OCR_RELEASE)/release/bollard-edge recognize --reader $(OCR_READER) $(OCR_MODEL_ARG) --json $(OCR_BENCH)/spanish/*.jpg > $(OCR_BENCH)/spanish.jsonl
	@echo "rendered Spanish (seed 2024, 200 images):"; $(OCR_SCORER) $(OCR_BENCH)/spanish/labels.csv $(OCR_BENCH)/spanish.jsonl | tail -1
	@$(OCR_RELEASE)/release/bollard-edge recognize --reader $(OCR_READER) $(OCR_MODEL_ARG) --json $(OCR_BENCH)/regulation/*.jpg > $(OCR_BENCH)/regulation.jsonl
	@echo "rendered Spanish, regulation style (seed 2025, 200 images):"; $(OCR_SCORER) $(OCR_BENCH)/regulation/labels.csv $(OCR_BENCH)/regulation.jsonl | tail -1
	@$(OCR_RELEASE)/release/bollard-edge recognize --reader $(OCR_READER) $(OCR_MODEL_ARG) --json $(OCR_BENCH)/mixed/*.jpg > $(OCR_BENCH)/mixed.jsonl
	@echo "rendered mixed European (seed 4242, 300 images):"; $(OCR_SCORER) $(OCR_BENCH)/mixed/labels.csv $(OCR_BENCH)/mixed.jsonl | tail -1
	@$(OCR_RELEASE)/release/bollard-edge recognize --reader $(OCR_READER) $(OCR_MODEL_ARG) --json $(OCR_BENCH)/two-line/*.jpg > $(OCR_BENCH)/two-line.jsonl
	@echo "rendered two-line plates (seed 7070, 200 images):"; $(OCR_SCORER) $(OCR_BENCH)/two-line/labels.csv $(OCR_BENCH)/two-line.jsonl | tail -1
	@echo "reads at >= 0.9 (acted on without review):"; python3 $(OCR_PY_DIR)/confident_share.py $(OCR_DEV_SET)/labels.csv $(OCR_BENCH)/dev.jsonl \
	  $(foreach s,spanish regulation mixed two-line,$(OCR_BENCH)/$(s)/labels.csv $(OCR_BENCH)/$(s).jsonl)
	@cat $(OCR_BENCH)/dev.jsonl $(OCR_BENCH)/spanish.jsonl | python3 -c 'import sys,json; ms=[json.loads(l)["ms"] for l in sys.stdin if "\"ms\"" in l]; print(f"throughput: {len(ms)} images in {sum(ms):.0f} ms of recognition = {1000*len(ms)/sum(ms):.1f} images/s on one thread")'
