#!/bin/sh
# shellcheck shell=dash
# A real container runtime on twill: Debian's podman (4.3, CNI network
# backend, crun, conmon) runs containers from a local root filesystem
# (--rootfs: busybox and flowtool, no image registry) on two hosts joined
# by twill, on the network "pods" (a conflist: twill, then portmap).  A
# container on hostA reaches one on hostB by address (IPv4 and IPv6); a
# published port (-p 8080:80) on hostA reaches its container from hostB;
# podman's stop and rm release everything (no veth, no lease, no cache).
#
# podman runs in a host's network namespace by nsenter (not `ip netns
# exec`, whose private mount namespace would hide podman's /run/netns
# mounts from the next podman command).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/topo.sh"

FLOWTOOL=${FLOWTOOL:-flowtool}
if ! command -v "$FLOWTOOL" >/dev/null 2>&1 && [ -x "$TOPO_DIR/../tools/flowtool" ]; then
	FLOWTOOL=$TOPO_DIR/../tools/flowtool
fi
# path_of TOOL: its file on PATH (dash's command -v may print the name)
path_of() {
	local d
	case $1 in /*) [ -x "$1" ] && echo "$1" && return ;; esac
	for d in $(echo "$PATH" | tr ':' ' '); do
		[ -x "$d/$1" ] && [ ! -d "$d/$1" ] && {
			echo "$d/$1"
			return
		}
	done
	t_fail "$1 is not in the guest (tests/vm/mkinitramfs)"
}
for t in podman conmon crun busybox "$FLOWTOOL"; do
	path_of "$t" >/dev/null
done
CONMON=$(path_of conmon)
CRUN=$(path_of crun)
for f in /usr/lib/cni/twill /usr/lib/cni/host-local /usr/lib/cni/portmap; do
	[ -x "$f" ] || t_fail "$f is not in the guest"
done

# crun wants a pure cgroup v2 hierarchy; the guest mounts none.
CG_MOUNTED=0
if ! grep -q ' /sys/fs/cgroup ' /proc/mounts; then
	mount -t cgroup2 none /sys/fs/cgroup || t_fail "mount cgroup2"
	CG_MOUNTED=1
fi
podman_cleanup() {
	local h
	for h in hostA hostB; do
		[ -f "$TW_TMP/$h/containers.conf" ] && pm "$h" rm -f -a -t 0 >/dev/null 2>&1
	done
	[ $CG_MOUNTED = 0 ] || umount /sys/fs/cgroup
	rm -rf /run/containers /run/libpod
}
on_cleanup podman_cleanup

# The root filesystem: busybox (static) and flowtool (static).
ROOTFS=$TW_TMP/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/sys" "$ROOTFS/dev" "$ROOTFS/etc" "$ROOTFS/tmp"
cp "$(path_of busybox)" "$ROOTFS/bin/busybox"
for t in sh ip ping sleep cat; do
	ln -s busybox "$ROOTFS/bin/$t"
done
cp "$(path_of "$FLOWTOOL")" "$ROOTFS/bin/flowtool"
echo 'root:x:0:0:root:/:/bin/sh' >"$ROOTFS/etc/passwd"

# pm HOST ARGS: podman in HOST's network namespace with HOST's configuration
pm() {
	local h=$1
	shift
	CONTAINERS_CONF=$TW_TMP/$h/containers.conf \
		CONTAINERS_STORAGE_CONF=$TW_TMP/$h/storage.conf \
		nsenter --net="/run/netns/$h" podman "$@"
}

# pm_run HOST ARGS: podman run with what this guest needs (no cgroups,
# no seccomp profile file, the guest's rlimits), on the network pods
pm_run() {
	local h=$1
	shift
	pm "$h" run --cgroups=disabled --security-opt seccomp=unconfined \
		--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
		--network pods "$@"
}

# leases DIR: host-local's leases in DIR
leases() {
	[ -d "$1" ] || {
		echo 0
		return
	}
	find "$1" -type f ! -name 'last_reserved_ip*' ! -name lock | grep -c . || :
}

step "topology: hostA, hostB, twill0 mesh; podman's configuration per host"
topo_hosts hostA hostB
topo_twill_mesh 4 hostA hostB
for h in hostA hostB; do
	n=$(host_idx "$h")
	d=$TW_TMP/$h
	mkdir -p "$d/net.d" "$d/tmp"
	printf 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.%s.1/24\nFLANNEL_IPV6_NETWORK=fd00:244::/48\nFLANNEL_IPV6_SUBNET=fd00:244:0:%s::1/64\nFLANNEL_MTU=1450\n' \
		"$n" "$n" >"$d/subnet.env"
	cat >"$d/net.d/10-pods.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "pods",
 "plugins": [{"type": "twill", "subnetFile": "$d/subnet.env", "dataDir": "$d/cache",
              "ipam": {"type": "host-local", "dataDir": "$d/ipam"}},
             {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
	cat >"$d/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$d/events.log"
conmon_path = ["$CONMON"]
runtime = "crun"
tmp_dir = "/run/libpod-$h"
# the guest's / is the initramfs, where pivot_root(2) is refused
no_pivot_root = true
static_dir = "$d/libpod"
volume_path = "$d/volumes"
[engine.runtimes]
crun = ["$CRUN"]
[network]
network_backend = "cni"
cni_plugin_dirs = ["/usr/lib/cni"]
network_config_dir = "$d/net.d"
EOF
	cat >"$d/storage.conf" <<EOF
[storage]
driver = "vfs"
runroot = "/run/containers/$h"
graphroot = "$d/storage"
EOF
done

step "podman sees the network"
check_ok "hostA: podman network ls" pm hostA network ls
check_contains "$CHECK_OUT" "pods" "the network pods"
check_contains "$CHECK_OUT" "twill" "of driver twill"

step "a container on hostB, one on hostA reaches it by address"
check_ok "hostB: podman run -d b1" pm_run hostB -d --name b1 --rootfs "$ROOTFS" sleep 600
out=$(pm hostB exec b1 ip -4 addr show dev eth0) || t_fail "podman exec b1: $out"
B4=$(printf '%s\n' "$out" | sed -n 's/.*inet \([0-9.]*\)\/32 .*/\1/p')
out=$(pm hostB exec b1 ip -6 addr show dev eth0) || t_fail "podman exec b1: $out"
B6=$(printf '%s\n' "$out" | sed -n 's/.*inet6 \(fd00:[0-9a-f:]*\)\/128 .*/\1/p')
case $B4 in 10.244.2.*) info "ok: b1 is $B4" ;; *) t_fail "b1's IPv4 address '$B4': $out" ;; esac
case $B6 in fd00:244:0:2:*) info "ok: b1 is $B6" ;; *) t_fail "b1's IPv6 address '$B6'" ;; esac
check_ok "hostA: a container pings b1 (IPv4)" pm_run hostA --rm --rootfs "$ROOTFS" ping -c 3 -W 5 "$B4"
check_contains "$CHECK_OUT" "3 packets received" "three IPv4 replies"
check_ok "hostA: a container pings b1 (IPv6)" pm_run hostA --rm --rootfs "$ROOTFS" ping -c 3 -W 5 "$B6"
check_contains "$CHECK_OUT" "3 packets received" "three IPv6 replies"
check_eq "$(leases "$TW_TMP/hostA/ipam")" 0 "hostA: the --rm containers' leases released"

step "a published port: hostB -> hostA:8080 -> a1:80"
check_ok "hostA: podman run -d -p 8080:80 a1" pm_run hostA -d --name a1 -p 8080:80 --rootfs "$ROOTFS" /bin/flowtool serve 80
reach_a1() { nsx hostB "$FLOWTOOL" connect -t 2 "$(ul4 hostA)" 8080 | grep -q '^ok=1 '; }
topo_wait 30 reach_a1 ||
	t_fail "hostB cannot reach hostA:8080: $(nsx hostB "$FLOWTOOL" connect -t 2 "$(ul4 hostA)" 8080 2>&1)"
info "ok: hostB -> hostA:8080 reached a1"
check_contains "$(pm hostA logs a1)" "tcp 192.0.2.2" "a1 saw hostB's connection"

step "stop and remove: nothing left"
for h in hostA hostB; do
	check_ok "$h: podman rm -f -a" pm "$h" rm -f -a -t 0
	check_eq "$(nsx "$h" "$IP" -o link show | grep -c ': tw[0-9a-f]\{8\}@' || :)" 0 "$h: no veth left"
	check_eq "$(leases "$TW_TMP/$h/ipam")" 0 "$h: no lease left"
	check_eq "$(find "$TW_TMP/$h/cache" -type f 2>/dev/null | grep -c . || :)" 0 "$h: no cache entry left"
done
check_lacks "$(nsx hostA iptables -t nat -S)" "8080" "hostA: portmap's rules removed"

echo "PASS: cni-podman"
