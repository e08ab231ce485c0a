# Bollard: the two commands the README starts with are `make demo` and `make test`.
# Each installs what it needs on a fresh Debian machine first (`make deps`).

SWIFT ?= swift
DEBIAN_PACKAGES := libzmq3-dev libv4l-dev libsqlite3-dev libturbojpeg0-dev pkg-config python3 python3-zmq
BIN_DEBUG := .build/debug

.PHONY: deps build test demo bench-sync

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

## The test suite (.ci/run runs exactly this).
test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## Central plus 30 simulated gates of "Casco Viejo" on this machine; Ctrl-C stops.
demo: build
	$(BIN_DEBUG)/bollard-central demo --gates 30

## Sync benchmark: ingest rate, permit propagation to 30 gates, decision time with 1M permits.
bench-sync: deps
	$(SWIFT) build -c release --product bollard-bench
	$(SWIFT) build -c release --product bollard-edge
	.build/release/bollard-bench sync
