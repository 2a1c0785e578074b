/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * twill: container overlay device (CIDR peer table + VXLAN) configured over
 * generic netlink.  Family name "twill", version 1.
 *
 * Commands
 * --------
 * Every command names its device with TWILL_A_IFINDEX or TWILL_A_IFNAME; if
 * both are given (ifindex non-zero), the ifindex wins.
 *
 * TWILL_CMD_GET_DEVICE (dump only, needs CAP_NET_ADMIN in the device's netns)
 *   Request:  TWILL_A_IFINDEX or TWILL_A_IFNAME.
 *   Replies:  one or more messages, every one of them carrying the device
 *             attributes (TWILL_A_IFINDEX, TWILL_A_IFNAME, TWILL_A_GENERATION
 *             and the settings) followed by TWILL_A_PEERS holding as many
 *             peers as fit.  A peer whose prefixes do not fit continues in
 *             the next message: the same TWILL_PEER_A_ENDPOINT appears again
 *             at the start of that message's TWILL_A_PEERS with the
 *             remaining prefixes.  A client must therefore merge
 *             consecutive entries with the same endpoint, keyed by endpoint,
 *             and read until NLMSG_DONE.  If the table changed while the
 *             dump was running, the messages after the change carry
 *             NLM_F_DUMP_INTR: start over.
 *
 * TWILL_CMD_SET_DEVICE (do, needs CAP_NET_ADMIN in the device's netns)
 *   Request:  TWILL_A_IFINDEX or TWILL_A_IFNAME, any settings, TWILL_A_FLAGS,
 *             TWILL_A_PEERS.  Every peer is identified by its endpoint
 *             (address and port); an address belongs to at most one peer
 *             of a device, within one request too (-EEXIST).  IPv6
 *             link-local endpoints are refused.
 *   All of a request is validated before anything is changed: on error the
 *   device is exactly as before and extack names the offending attribute.
 *   Unknown flag bits are refused with -EOPNOTSUPP so clients can probe.
 *
 *   Who may change what: the device's UDP sockets live in the namespace
 *   that created it, also after the device moved into a container's
 *   namespace.  Changing TWILL_A_LISTEN_PORT, TWILL_A_FWMARK, TWILL_A_LOCAL
 *   or TWILL_A_LINK/TWILL_A_LINK_NAME (values repeated unchanged are fine)
 *   needs CAP_NET_ADMIN in the user namespace owning that namespace, and
 *   raising TWILL_A_MAX_PEERS or TWILL_A_MAX_PREFIXES above their defaults
 *   (16384, 2097152) needs CAP_NET_ADMIN in the initial user namespace;
 *   otherwise -EPERM with extack naming the setting.  Peers and prefixes
 *   need only the device's own netns.  Everything a request makes the
 *   kernel allocate is charged to the sender's memory cgroup.
 *
 *   Large changes span several messages: every message but the last carries
 *   TWILL_F_STAGE; the kernel validates and stages them, and the last
 *   message (without TWILL_F_STAGE) commits the whole transaction at once.
 *   TWILL_F_REPLACE_PEERS must be in the first message of a transaction.
 *   A staged transaction belongs to the socket that started it; it is
 *   dropped when that socket closes, when any of its messages is refused,
 *   when the device goes away, or when its socket sends nothing for 10
 *   seconds.  Other writers get -EBUSY meanwhile.  A transaction may hold
 *   at most twice the device's committed max-peers and max-prefixes
 *   entries (-ENOSPC): a limit it raises counts from the next one on.
 *
 *   A commit is atomic for readers of the table in this sense: a prefix
 *   that maps to a peer before and after the commit is found by every
 *   lookup during it (new entries are inserted before old ones are removed).
 *
 * TWILL_CMD_LOOKUP (do, needs CAP_NET_ADMIN)
 *   Request:  TWILL_A_IFINDEX or TWILL_A_IFNAME, TWILL_A_LOOKUP_ADDR (4 or 16
 *             bytes, network order).
 *   Reply:    TWILL_A_IFINDEX, TWILL_A_PEERS with one peer carrying its
 *             endpoint, MAC, TWILL_PEER_A_NUM_PREFIXES and exactly one
 *             prefix: the longest match.
 *             -ENOENT (with extack) when no prefix covers the address.
 *
 * TWILL_CMD_GET_FLOWS (dump only, needs CAP_NET_ADMIN in the device's netns)
 *   Request:  TWILL_A_IFINDEX or TWILL_A_IFNAME.
 *   Replies:  messages carrying TWILL_A_IFINDEX, TWILL_A_IFNAME and
 *             TWILL_A_FLOWS: the NAT flow table's entries, as many as fit.
 *             The dump resumes by hash bucket, each bucket whole in one
 *             message: a flow that lives through the dump appears in it
 *             once; flows created or removed while it runs may or may
 *             not appear.
 *             -ENOENT (with extack) when the device has no NAT.
 *
 * NAT (TWILL_A_NAT, nest of enum twill_nat_attr)
 *   In TWILL_CMD_SET_DEVICE the nest replaces the device's whole NAT
 *   configuration, atomically with the rest of the request: attributes left
 *   out take their defaults, and a nest without TWILL_NAT_A_MASQUERADE
 *   prefixes turns NAT off and drops every flow.  Changing the NAT
 *   configuration in any way needs CAP_NET_ADMIN in the namespace that
 *   created the device (the hooks act on the host's traffic), raising
 *   TWILL_NAT_A_MAX_FLOWS above its default (131072) needs it in the
 *   initial user namespace.
 *   What it does: packets leaving the device's namespace through any
 *   device other than a twill device, whose source lies in a masquerade
 *   prefix and whose destination lies in no exclude prefix, get their
 *   source rewritten to TWILL_NAT_A_TO4/TO6 or else the egress device's
 *   primary address for that destination; the source port (ICMP echo
 *   identifier) is kept when free, else chosen in PORT_MIN..PORT_MAX.
 *   Replies, and ICMP errors about translated packets (inner header too),
 *   are translated back before routing.  twill's own VXLAN packets are
 *   never translated.  The device's flow table holds at most MAX_FLOWS
 *   flows; when it is full, new flows are dropped and counted, existing
 *   ones are untouched.  GET_DEVICE replies and DEVICE_CHANGED events
 *   carry TWILL_A_NAT (settings, TWILL_NAT_A_NUM_FLOWS, TWILL_NAT_A_STATS)
 *   when NAT is on.  Moving the device to another namespace turns its NAT
 *   off.
 *
 * TWILL_CMD_SET_SERVICES (do, needs CAP_NET_ADMIN in the namespace that
 * created the device, as NAT)
 *   Request:  TWILL_A_IFINDEX or TWILL_A_IFNAME, TWILL_A_FLAGS,
 *             TWILL_A_MAX_SERVICES, TWILL_A_MAX_BACKENDS,
 *             TWILL_A_MAGLEV_SIZE, TWILL_A_SERVICES.
 *   Each service (family, address, port, protocol) given replaces that
 *   service whole: its backends (a backend without a port takes the
 *   service's) and its affinity; with TWILL_SERVICE_F_REMOVE it is removed
 *   (a service that does not exist is no error).  TWILL_F_REPLACE_SERVICES
 *   removes every service the transaction does not name; like
 *   TWILL_F_REPLACE_PEERS it belongs in the transaction's first message,
 *   SET_DEVICE or SET_SERVICES (so does TWILL_F_REPLACE_PEERS in a
 *   SET_SERVICES message: a setconf is one transaction).  A service given
 *   twice in a transaction, the same backend (address and port) twice in
 *   a service, a backend of the other family, or more backends than
 *   Maglev slots are refused; so is anything past the limits (-ENOSPC).
 *   Messages are staged exactly as SET_DEVICE's (TWILL_F_STAGE) and may be
 *   mixed with them in one transaction, which holds at most twice the
 *   device's limits.  Repeating the current services unchanged needs no
 *   privilege; raising TWILL_A_MAX_SERVICES or TWILL_A_MAX_BACKENDS above
 *   their defaults needs CAP_NET_ADMIN in the initial user namespace.
 *   A commit builds the whole next service table, with a Maglev table of
 *   TWILL_A_MAGLEV_SIZE slots for every changed service, before anything
 *   is published, then replaces the table at once: readers see all of a
 *   transaction's services or none.  Backends are chosen among the active
 *   ones with a weight, else among the terminating ones; a service without
 *   such a backend has no table (its new connections will be refused).
 *   Right after the ack (a grace period and one walk of the flow table
 *   later, so that the ack does not wait for them) the flows of the
 *   services and backends the commit removed go too; the walk counts them
 *   in TWILL_SERVICE_STAT_FLOWS_PURGED when it is done.
 *
 * TWILL_CMD_GET_SERVICES (dump only, needs CAP_NET_ADMIN in the device's
 * netns)
 *   Request:  TWILL_A_IFINDEX or TWILL_A_IFNAME; optionally a filter,
 *             TWILL_A_SERVICES with exactly one service holding only its
 *             key (TWILL_SERVICE_A_FAMILY, _ADDR, _PORT and _PROTO, all
 *             four, valid as in SET_SERVICES).  Anything else in the filter
 *             (another service, none, flags, affinity, backends) is refused
 *             with -EINVAL and extack before the dump starts.
 *   Replies:  TWILL_A_IFINDEX, TWILL_A_IFNAME, TWILL_A_GENERATION, the
 *             limits, TWILL_A_NUM_SERVICES, TWILL_A_NUM_BACKENDS and
 *             TWILL_A_SERVICES with as many services as fit.  A service
 *             whose backends do not fit continues in the next message with
 *             its key repeated: merge by key.  NLM_F_DUMP_INTR as for
 *             GET_DEVICE.  With a filter, TWILL_A_SERVICES holds only the
 *             service it names (found by hash, not by walking the table:
 *             the cost does not grow with the device's services), or is
 *             empty if the device has no such service; the counts are
 *             still the device's.
 *
 * Direct routing (TWILL_PEER_A_DIRECT, TWILL_A_DIRECT)
 *   Packets for a direct peer's prefixes leave unencapsulated: the inner IP
 *   packet is sent out of the underlay device that the route to the peer's
 *   endpoint names (looked up in the namespace that created the device, as
 *   for VXLAN), with the endpoint's address as the link-layer next hop
 *   (ARP or neighbour discovery for it), as flannel's DirectRouting does.
 *   The peer's host routes them to its pods natively.  A peer is sent to
 *   directly when TWILL_PEER_A_DIRECT is 1 or the device's TWILL_A_DIRECT
 *   is TWILL_DIRECT_AUTO, and only while the route to its endpoint has no
 *   gateway (a peer behind a router cannot be reached on the link): else
 *   that packet goes as VXLAN.  A packet larger than the underlay route's
 *   MTU gets ICMP "fragmentation needed" (IPv4 with DF) or "packet too
 *   big" (IPv6), or is dropped (TWILL_DROP_TOO_BIG).  Direct packets count
 *   as the peer's and the device's tx packets and bytes.  Setting either
 *   attribute to a different value sends raw packets in the namespace that
 *   created the device and so needs CAP_NET_ADMIN there (-EPERM), also for
 *   a peer created with TWILL_PEER_A_DIRECT 1.  A TWILL_CMD_SET_DEVICE peer
 *   without TWILL_PEER_A_DIRECT keeps its flag (a new one: 0).
 *
 * Notifications (multicast group TWILL_MCGRP_EVENTS, "events"; joining it
 * needs CAP_NET_ADMIN in the namespace's user namespace)
 *   TWILL_CMD_DEVICE_CHANGED   device settings changed (device attributes)
 *   TWILL_CMD_PEER_ADDED       a peer was created
 *   TWILL_CMD_PEER_CHANGED     a peer's MAC, direct flag or prefixes changed
 *   TWILL_CMD_PEER_REMOVED     a peer was removed
 *   Peer events carry TWILL_A_IFINDEX, TWILL_A_IFNAME, TWILL_A_GENERATION and
 *   TWILL_A_PEERS with one peer: endpoint, MAC, TWILL_PEER_A_DIRECT,
 *   TWILL_PEER_A_NUM_PREFIXES and, except for TWILL_CMD_PEER_REMOVED, its prefixes when they fit in
 *   one message (else TWILL_PEER_A_FLAGS has TWILL_PEER_F_TRUNCATED and the
 *   client re-reads with GET).
 *   TWILL_CMD_SERVICES_CHANGED  the device's services or their settings
 *                              changed: TWILL_A_IFINDEX, TWILL_A_IFNAME,
 *                              TWILL_A_GENERATION, TWILL_A_NUM_SERVICES,
 *                              TWILL_A_NUM_BACKENDS (re-read with
 *                              TWILL_CMD_GET_SERVICES)
 *   One event is sent per changed object, after the commit.
 *
 * Arrays (TWILL_A_PEERS, TWILL_PEER_A_PREFIXES) are nests of nests; the
 * attribute type of each element is ignored (send 0).
 *
 * TWILL_A_DROPS and TWILL_PEER_A_DROPS hold one u64 per enum twill_drop
 * reason; attribute type 0 inside them is alignment padding: skip it.
 * Optional settings that are unset (e.g. TWILL_A_LOCAL) are left out of
 * replies.
 *
 * Addresses are in network byte order; ports and all other integers are in
 * host byte order.
 *
 * Every command is validated strictly: attributes a command does not take
 * (e.g. the read-only counters), trailing bytes and a non-zero reserved
 * field of the generic netlink header are refused with -EINVAL.
 */
#ifndef _UAPI_LINUX_TWILL_H
#define _UAPI_LINUX_TWILL_H

#define TWILL_GENL_NAME		"twill"
#define TWILL_GENL_VERSION	1
#define TWILL_MCGRP_EVENTS	"events"

#define TWILL_DEFAULT_PORT	8472
#define TWILL_DEFAULT_VNI	1
#define TWILL_VNI_MAX		0xffffff

enum twill_cmd {
	TWILL_CMD_UNSPEC,
	TWILL_CMD_GET_DEVICE,
	TWILL_CMD_SET_DEVICE,
	TWILL_CMD_LOOKUP,
	TWILL_CMD_DEVICE_CHANGED,
	TWILL_CMD_PEER_ADDED,
	TWILL_CMD_PEER_CHANGED,
	TWILL_CMD_PEER_REMOVED,
	TWILL_CMD_GET_FLOWS,
	TWILL_CMD_GET_SERVICES,
	TWILL_CMD_SET_SERVICES,
	TWILL_CMD_SERVICES_CHANGED,
	__TWILL_CMD_MAX
};
#define TWILL_CMD_MAX (__TWILL_CMD_MAX - 1)

/* TWILL_A_FLAGS */
enum twill_device_flag {
	TWILL_F_REPLACE_PEERS = 1U << 0,	/* peers not in the request go */
	TWILL_F_STAGE = 1U << 1,		/* more messages follow */
	TWILL_F_REPLACE_SERVICES = 1U << 2,	/* services not in the
						 * transaction go
						 */
	__TWILL_F_ALL = TWILL_F_REPLACE_PEERS | TWILL_F_STAGE |
			TWILL_F_REPLACE_SERVICES
};

enum twill_attr {
	TWILL_A_UNSPEC,
	TWILL_A_IFINDEX,	/* u32 */
	TWILL_A_IFNAME,		/* string, < IFNAMSIZ */
	TWILL_A_FLAGS,		/* u32, enum twill_device_flag */
	TWILL_A_LISTEN_PORT,	/* u16, UDP port; default 8472 */
	TWILL_A_VNI,		/* u32, 24 bits; default 1 */
	TWILL_A_FWMARK,		/* u32, mark of outer packets; 0 = none */
	TWILL_A_LOCAL,		/* binary 4 or 16: local underlay address;
				 * empty (0 bytes) clears it
				 */
	TWILL_A_LINK,		/* u32, underlay ifindex to bind; 0 = none */
	TWILL_A_MAC,		/* binary 6: the device's VTEP MAC */
	TWILL_A_PORT_MIN,	/* u16, outer UDP source ports, both ends in */
	TWILL_A_PORT_MAX,	/* u16 */
	TWILL_A_TTL,		/* u8, outer TTL; 0 = inherit/route default */
	TWILL_A_TOS,		/* u8, outer TOS; 1 = inherit from inner */
	TWILL_A_DF,		/* u8, enum twill_df */
	TWILL_A_UDP_CSUM,	/* u8, outer UDP checksum (IPv4 underlay) 0/1 */
	TWILL_A_MAX_PEERS,	/* u32, limit; refused with -ENOSPC */
	TWILL_A_MAX_PREFIXES,	/* u32, limit; refused with -ENOSPC */
	TWILL_A_NUM_PEERS,	/* u32, read only */
	TWILL_A_NUM_PREFIXES,	/* u32, read only */
	TWILL_A_GENERATION,	/* u32, read only: bumped by every commit */
	TWILL_A_DROPS,		/* nest of u64 indexed by enum twill_drop */
	TWILL_A_PEERS,		/* nest of nests of enum twill_peer_attr */
	TWILL_A_LOOKUP_ADDR,	/* binary 4 or 16, TWILL_CMD_LOOKUP only */
	TWILL_A_PAD,
	TWILL_A_LINK_NAME,	/* string, < IFNAMSIZ: the underlay interface
				 * by name, resolved in the namespace that
				 * created the device (where its sockets
				 * live); in replies, the name of TWILL_A_LINK
				 * there, when it still exists
				 */
	TWILL_A_NAT,		/* nest of enum twill_nat_attr */
	TWILL_A_FLOWS,		/* nest of nests of enum twill_flow_attr,
				 * TWILL_CMD_GET_FLOWS replies only
				 */
	TWILL_A_SERVICES,	/* nest of nests of enum twill_service_attr */
	TWILL_A_MAX_SERVICES,	/* u32, limit; refused with -ENOSPC */
	TWILL_A_MAX_BACKENDS,	/* u32, limit, all services together */
	TWILL_A_MAGLEV_SIZE,	/* u32, prime: slots of a service's table */
	TWILL_A_NUM_SERVICES,	/* u32, read only */
	TWILL_A_NUM_BACKENDS,	/* u32, read only */
	TWILL_A_SERVICE_STATS,	/* nest of u64 indexed by enum
				 * twill_service_stat, read only (the first
				 * TWILL_CMD_GET_SERVICES reply); type 0 is
				 * padding
				 */
	TWILL_A_DIRECT,		/* u8, enum twill_direct; default off (see
				 * "Direct routing")
				 */
	__TWILL_A_MAX
};
#define TWILL_A_MAX (__TWILL_A_MAX - 1)

enum twill_df {
	TWILL_DF_UNSET,		/* DF clear on outer IPv4 */
	TWILL_DF_SET,		/* DF set (default) */
	TWILL_DF_INHERIT,	/* copy from inner IPv4 */
	__TWILL_DF_MAX
};
#define TWILL_DF_MAX (__TWILL_DF_MAX - 1)

/* TWILL_A_DIRECT: which peers are sent to directly (see "Direct routing"). */
enum twill_direct {
	TWILL_DIRECT_OFF,	/* only peers with TWILL_PEER_A_DIRECT (default) */
	TWILL_DIRECT_AUTO,	/* every peer on a directly connected subnet */
	__TWILL_DIRECT_MAX
};
#define TWILL_DIRECT_MAX (__TWILL_DIRECT_MAX - 1)

/* TWILL_PEER_A_FLAGS */
enum twill_peer_flag {
	TWILL_PEER_F_REMOVE = 1U << 0,		/* remove this peer */
	TWILL_PEER_F_UPDATE_ONLY = 1U << 1,	/* do not create it */
	TWILL_PEER_F_REPLACE_PREFIXES = 1U << 2,/* its prefixes are exactly
						 * those listed
						 */
	TWILL_PEER_F_TRUNCATED = 1U << 3,	/* events only (refused in
						 * requests): prefixes left out
						 */
	__TWILL_PEER_F_ALL = TWILL_PEER_F_REMOVE | TWILL_PEER_F_UPDATE_ONLY |
			     TWILL_PEER_F_REPLACE_PREFIXES
};

enum twill_peer_attr {
	TWILL_PEER_A_UNSPEC,
	TWILL_PEER_A_ENDPOINT,	/* binary: struct sockaddr_in or sockaddr_in6;
				 * port 0 means the device's listen port
				 */
	TWILL_PEER_A_FLAGS,	/* u32, enum twill_peer_flag */
	TWILL_PEER_A_MAC,	/* binary 6: remote VTEP MAC; all-zero clears */
	TWILL_PEER_A_PREFIXES,	/* nest of nests of enum twill_prefix_attr */
	TWILL_PEER_A_RX_PACKETS,/* u64, read only */
	TWILL_PEER_A_RX_BYTES,	/* u64 */
	TWILL_PEER_A_TX_PACKETS,/* u64 */
	TWILL_PEER_A_TX_BYTES,	/* u64 */
	TWILL_PEER_A_LAST_RX,	/* u64, CLOCK_REALTIME ns of the last valid
				 * packet received; 0 = never
				 */
	TWILL_PEER_A_DROPS,	/* nest of u64 indexed by enum twill_drop */
	TWILL_PEER_A_NUM_PREFIXES,/* u32, read only */
	TWILL_PEER_A_PAD,
	TWILL_PEER_A_DIRECT,	/* u8, 0/1: send to this peer unencapsulated
				 * (see "Direct routing"); default 0
				 */
	__TWILL_PEER_A_MAX
};
#define TWILL_PEER_A_MAX (__TWILL_PEER_A_MAX - 1)

/* TWILL_PREFIX_A_FLAGS */
enum twill_prefix_flag {
	TWILL_PREFIX_F_REMOVE = 1U << 0,	/* remove this prefix */
	__TWILL_PREFIX_F_ALL = TWILL_PREFIX_F_REMOVE
};

enum twill_prefix_attr {
	TWILL_PREFIX_A_UNSPEC,
	TWILL_PREFIX_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	TWILL_PREFIX_A_ADDR,	/* binary 4 or 16, host bits must be zero */
	TWILL_PREFIX_A_CIDR,	/* u8, 0..32 or 0..128 */
	TWILL_PREFIX_A_FLAGS,	/* u32, enum twill_prefix_flag */
	__TWILL_PREFIX_A_MAX
};
#define TWILL_PREFIX_A_MAX (__TWILL_PREFIX_A_MAX - 1)

/* Why packets were dropped; indexes of TWILL_A_DROPS / TWILL_PEER_A_DROPS. */
enum twill_drop {
	TWILL_DROP_UNSPEC,
	TWILL_DROP_NO_PEER,	/* tx: no prefix covers the destination */
	TWILL_DROP_NO_ROUTE,	/* tx: no underlay route to the peer */
	TWILL_DROP_TOO_BIG,	/* tx: larger than the path MTU */
	TWILL_DROP_LOOP,	/* tx: outer packet routed back into twill */
	TWILL_DROP_BAD_PROTO,	/* tx/rx: not IPv4/IPv6 inside */
	TWILL_DROP_NOMEM,	/* tx/rx: allocation or headroom failure */
	TWILL_DROP_UNKNOWN_PEER,/* rx: outer source is not a peer endpoint */
	TWILL_DROP_BAD_HEADER,	/* rx: truncated or bad VXLAN flags/reserved */
	TWILL_DROP_BAD_VNI,	/* rx: VNI is not the device's */
	TWILL_DROP_SPOOFED,	/* rx: inner source outside the peer's prefixes */
	TWILL_DROP_BAD_INNER,	/* rx: malformed inner IP header */
	__TWILL_DROP_MAX
};
#define TWILL_DROP_MAX (__TWILL_DROP_MAX - 1)

/* TWILL_A_NAT: the device's masquerade (see "NAT" above). */
#define TWILL_NAT_DEFAULT_PORT_MIN	1024
#define TWILL_NAT_DEFAULT_PORT_MAX	65535
#define TWILL_NAT_DEFAULT_MAX_FLOWS	131072
#define TWILL_NAT_MAX_PREFIXES		32	/* per list */

enum twill_nat_attr {
	TWILL_NAT_A_UNSPEC,
	TWILL_NAT_A_MASQUERADE,	/* nest of nests of enum twill_prefix_attr
				 * (FAMILY, ADDR, CIDR): sources to translate
				 */
	TWILL_NAT_A_EXCLUDE,	/* same: destinations never translated
				 * (the cluster's and services' prefixes)
				 */
	TWILL_NAT_A_TO4,	/* binary 4: source for IPv4; absent = the
				 * egress device's primary address
				 */
	TWILL_NAT_A_TO6,	/* binary 16: source for IPv6 */
	TWILL_NAT_A_PORT_MIN,	/* u16, default 1024 */
	TWILL_NAT_A_PORT_MAX,	/* u16, default 65535 */
	TWILL_NAT_A_MAX_FLOWS,	/* u32, default 131072, at least 1 */
	TWILL_NAT_A_NUM_FLOWS,	/* u32, read only */
	TWILL_NAT_A_BUCKETS,	/* u32, read only: hash buckets, sized from
				 * MAX_FLOWS when NAT is turned on
				 */
	TWILL_NAT_A_STATS,	/* nest of u64 indexed by enum twill_nat_stat,
				 * read only; type 0 is padding
				 */
	TWILL_NAT_A_PAD,
	__TWILL_NAT_A_MAX
};
#define TWILL_NAT_A_MAX (__TWILL_NAT_A_MAX - 1)

/* Counters of a device's NAT; indexes of TWILL_NAT_A_STATS. */
enum twill_nat_stat {
	TWILL_NAT_STAT_UNSPEC,
	TWILL_NAT_STAT_TX_PACKETS,	/* packets source-translated */
	TWILL_NAT_STAT_RX_PACKETS,	/* replies translated back */
	TWILL_NAT_STAT_ICMP_ERRORS,	/* ICMP errors translated back */
	TWILL_NAT_STAT_FLOWS_CREATED,
	TWILL_NAT_STAT_FLOWS_EXPIRED,	/* removed by the collector */
	TWILL_NAT_STAT_DROP_FULL,	/* new flow, table at MAX_FLOWS */
	TWILL_NAT_STAT_DROP_NO_PORT,	/* no free port in the range */
	TWILL_NAT_STAT_DROP_NO_ADDR,	/* egress device has no address */
	TWILL_NAT_STAT_DROP_BAD,	/* truncated, or a protocol whose
					 * checksum cannot be fixed (UDP-Lite,
					 * DCCP)
					 */
	TWILL_NAT_STAT_DROP_NOMEM,
	__TWILL_NAT_STAT_MAX
};
#define TWILL_NAT_STAT_MAX (__TWILL_NAT_STAT_MAX - 1)

/* Counters of a device's services; indexes of TWILL_A_SERVICE_STATS. */
enum twill_service_stat {
	TWILL_SERVICE_STAT_UNSPEC,
	TWILL_SERVICE_STAT_PACKETS,	/* to a service, sent to its backend */
	TWILL_SERVICE_STAT_REPLIES,	/* backends' replies translated back */
	TWILL_SERVICE_STAT_FLOWS_CREATED,
	TWILL_SERVICE_STAT_REFUSED,	/* no backend: TCP reset, or ICMP
					 * port unreachable */
	TWILL_SERVICE_STAT_DROP_NO_SERVICE,/* a virtual address's port
					    * or protocol without a service
					    */
	TWILL_SERVICE_STAT_DROP_FULL,	/* new flow, table at MAX_FLOWS */
	TWILL_SERVICE_STAT_DROP_IN_USE,	/* the backend's reply tuple is
					 * another flow's
					 */
	TWILL_SERVICE_STAT_DROP_NOMEM,
	TWILL_SERVICE_STAT_FLOWS_PURGED,/* flows of a removed service or
					 * backend, removed right after
					 * the commit's ack
					 */
	__TWILL_SERVICE_STAT_MAX
};
#define TWILL_SERVICE_STAT_MAX (__TWILL_SERVICE_STAT_MAX - 1)

/*
 * A flow's two tuples as on the wire: ORIG is what the pod sent, REPLY what
 * the far end sends back (to the translated address and port).  For ICMP
 * echo the identifier is the request's source port and the reply's
 * destination port; other protocols without ports have 0.
 */
enum twill_flow_attr {
	TWILL_FLOW_A_UNSPEC,
	TWILL_FLOW_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	TWILL_FLOW_A_PROTO,	/* u8, IPPROTO_* */
	TWILL_FLOW_A_ORIG_SRC,	/* binary 4 or 16 */
	TWILL_FLOW_A_ORIG_DST,
	TWILL_FLOW_A_ORIG_SPORT,/* u16 */
	TWILL_FLOW_A_ORIG_DPORT,
	TWILL_FLOW_A_REPLY_SRC,
	TWILL_FLOW_A_REPLY_DST,
	TWILL_FLOW_A_REPLY_SPORT,
	TWILL_FLOW_A_REPLY_DPORT,
	TWILL_FLOW_A_STATE,	/* u8, enum twill_flow_state */
	TWILL_FLOW_A_TIMEOUT,	/* u32, ms until it expires */
	__TWILL_FLOW_A_MAX
};
#define TWILL_FLOW_A_MAX (__TWILL_FLOW_A_MAX - 1)

/* Flow states and their timeouts (after the last packet). */
enum twill_flow_state {
	TWILL_FLOW_S_UNREPLIED,	/* TCP 60 s, UDP 30 s, ICMP/other 30 s */
	TWILL_FLOW_S_REPLIED,	/* UDP 120 s, ICMP/other 30 s */
	TWILL_FLOW_S_ESTABLISHED,/* TCP 6 h */
	TWILL_FLOW_S_CLOSING,	/* TCP FIN seen: 120 s, both ways: 10 s */
	TWILL_FLOW_S_CLOSED,	/* TCP RST seen: 10 s */
	/*
	 * Not a flow: a client's session affinity to a service's backend,
	 * kept for the service's affinity timeout after the client's last
	 * new flow.  ORIG: client -> virtual address, ports 0 -> the
	 * service's; REPLY: backend -> client, ports the backend's -> the
	 * service's.  No packet matches it.
	 */
	TWILL_FLOW_S_AFFINITY,
	__TWILL_FLOW_S_MAX
};
#define TWILL_FLOW_S_MAX (__TWILL_FLOW_S_MAX - 1)

/*
 * Services (see TWILL_CMD_SET_SERVICES above): limits and the Maglev table
 * size, a prime in MIN..MAX.  Each service with a backend to choose has a
 * table of 2 bytes a slot (32 KiB at the default), charged to the memory
 * cgroup of whoever set it.
 */
#define TWILL_SERVICE_DEFAULT_MAX_SERVICES	16384
#define TWILL_SERVICE_DEFAULT_MAX_BACKENDS	131072
#define TWILL_MAGLEV_DEFAULT_SIZE		16381
#define TWILL_MAGLEV_MIN_SIZE			7
#define TWILL_MAGLEV_MAX_SIZE			131071

/* TWILL_SERVICE_A_FLAGS */
enum twill_service_flag {
	TWILL_SERVICE_F_REMOVE = 1U << 0,	/* remove this service */
	__TWILL_SERVICE_F_ALL = TWILL_SERVICE_F_REMOVE
};

#define TWILL_SERVICE_MAX_AFFINITY	86400	/* seconds, as Kubernetes */
#define TWILL_BACKEND_MAX_WEIGHT	65535
#define TWILL_BACKEND_DEFAULT_WEIGHT	1

/* A service: (family, address, port, protocol) and its backends. */
enum twill_service_attr {
	TWILL_SERVICE_A_UNSPEC,
	TWILL_SERVICE_A_FAMILY,	/* u16, AF_INET or AF_INET6 */
	TWILL_SERVICE_A_ADDR,	/* binary 4 or 16: the virtual address */
	TWILL_SERVICE_A_PORT,	/* u16, 1..65535 */
	TWILL_SERVICE_A_PROTO,	/* u8, IPPROTO_TCP or IPPROTO_UDP */
	TWILL_SERVICE_A_FLAGS,	/* u32, enum twill_service_flag */
	TWILL_SERVICE_A_AFFINITY,/* u32, client affinity timeout in seconds,
				  * 0..86400; 0 (default) = off
				  */
	TWILL_SERVICE_A_BACKENDS,/* nest of nests of enum twill_backend_attr */
	TWILL_SERVICE_A_NUM_BACKENDS,/* u32, read only */
	__TWILL_SERVICE_A_MAX
};
#define TWILL_SERVICE_A_MAX (__TWILL_SERVICE_A_MAX - 1)

enum twill_backend_attr {
	TWILL_BACKEND_A_UNSPEC,
	TWILL_BACKEND_A_ADDR,	/* binary 4 or 16, the service's family */
	TWILL_BACKEND_A_PORT,	/* u16; 0 or absent: the service's port */
	TWILL_BACKEND_A_WEIGHT,	/* u32, 0..65535, default 1; 0 = not chosen */
	TWILL_BACKEND_A_STATE,	/* u8, enum twill_backend_state */
	__TWILL_BACKEND_A_MAX
};
#define TWILL_BACKEND_A_MAX (__TWILL_BACKEND_A_MAX - 1)

enum twill_backend_state {
	TWILL_BACKEND_S_ACTIVE,		/* chosen for new flows (default) */
	TWILL_BACKEND_S_TERMINATING,	/* chosen only while no backend is
					 * active; its flows continue
					 */
	TWILL_BACKEND_S_MAINTENANCE,	/* never chosen */
	__TWILL_BACKEND_S_MAX
};
#define TWILL_BACKEND_S_MAX (__TWILL_BACKEND_S_MAX - 1)

/* IFLA_TWILL_* for rtnetlink (ip link add ... type twill). */
enum {
	IFLA_TWILL_UNSPEC,
	IFLA_TWILL_PORT,	/* u16, host order */
	IFLA_TWILL_VNI,		/* u32 */
	__IFLA_TWILL_MAX
};
#define IFLA_TWILL_MAX (__IFLA_TWILL_MAX - 1)

#endif /* _UAPI_LINUX_TWILL_H */
