#!/bin/bash
# Install the host packages the VM test lane needs (Debian 12).  Idempotent:
# only calls apt-get when something is missing.  Used by `make test`,
# `make demo` and .ci/run.
set -euo pipefail

pkgs=(
	# VM and image
	qemu-system-x86 busybox-static cpio xz-utils zstd kmod
	# building the module and the CLI
	build-essential bc flex bison libelf-dev libssl-dev pkg-config libmnl-dev dkms
	# twilld, the node agent (userspace/twilld): etcd's JSON gateway
	libjson-c-dev libcurl4-openssl-dev
	# the 7.3 debug kernel from source (tests/vm/debug-kernel.sh)
	perl rsync
	# pahole: 6.12 headers ship vmlinux, so modules get BTF (needs pahole)
	dwarves
	# tools copied into the guest
	iproute2 iperf3 tcpdump nftables iputils-ping util-linux
	# the cluster scenarios (agent-*): a real etcd in the guest, and
	# openssl for its TLS certificates
	etcd-server etcd-client openssl
	# the CNI scenarios (cni-*): Debian's plugins (host-local, portmap),
	# the iptables portmap drives, and podman (CNI backend) with its
	# runtime crun and monitor conmon
	containernetworking-plugins iptables podman crun conmon
	# the kernel fetch (apt-get download, dpkg-deb)
	apt dpkg ca-certificates
	# make bench's plots (tests/bench/report) and their unit test
	gnuplot-nox
	# make check (tests/check.sh) and the spec/header unit test
	sparse cppcheck clang-tidy python3 python3-yaml
)

missing=()
for p in "${pkgs[@]}"; do
	# dpkg-query prints "install ok installed" only for installed packages
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "deps: installing ${missing[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages (or install them yourself)" >&2
	exit 1
fi
# An update first only when the package lists are missing or stale.
if [ "${TWILL_APT_UPDATED:-}" != 1 ] && ! apt-get install -y --no-install-recommends --dry-run "${missing[@]}" >/dev/null 2>&1; then
	apt-get update
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
