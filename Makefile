# twill: top-level build, install and test entry points.
# (kbuild itself reads ./Kbuild, not this file.)
#
#   make                  module for KDIR (the running kernel) + the CLI
#   make module | cli     one of them
#   make install          modules_install + CLI, agent, CNI plugin, man pages, bash completion
#   make dkms-install     /usr/src/twill-VERSION + dkms add/build/install
#   make dkms-remove      dkms remove + /usr/src/twill-VERSION
#   make test             the QEMU test suite (tests/vm/test), deps included
#   make unit             the native unit tests
#   make demo             boot a VM, load the module, show a device
#   make bench            the benchmarks (tests/bench/run)
#   make check            static checks (tests/check.sh)
#
# KVER/KDIR choose the kernel: KDIR=/path/to/build make module

# The version, from one place: VERSION (else git describe).
VERSION := $(shell cat VERSION 2>/dev/null || git describe --tags --always 2>/dev/null || echo 0.0.0)
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
DESTDIR ?=
PREFIX ?= /usr

all: module cli

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

cli:
	$(MAKE) -C userspace

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

dkms-install:
	rm -rf /usr/src/twill-$(VERSION)
	tests/vm/dkms-source /usr/src/twill-$(VERSION)
	dkms add -m twill -v $(VERSION)
	dkms build -m twill -v $(VERSION) -k $(KVER) --kernelsourcedir $(KDIR)
	dkms install -m twill -v $(VERSION) -k $(KVER) --kernelsourcedir $(KDIR)


dkms-remove:
	dkms remove -m twill -v $(VERSION) --all
	rm -rf /usr/src/twill-$(VERSION)

# The test targets install their host packages first (Debian, apt).
deps:
	tests/vm/deps.sh

test: deps
	tests/vm/test

unit:
	$(MAKE) -C tests/unit run

demo: deps
	tests/vm/demo

bench: deps
	@test -x tests/bench/run || { echo "make bench: tests/bench/run does not exist yet" >&2; exit 1; }
	tests/bench/run

check:
	tests/check.sh

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userspace clean

version:
	@echo $(VERSION)

.PHONY: all module cli install dkms-install dkms-remove deps test unit demo bench check clean version
