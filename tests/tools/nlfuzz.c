// SPDX-License-Identifier: GPL-2.0
/*
 * nlfuzz: generic netlink fuzzer for the "twill" family.
 *
 *   nlfuzz [-s SEED] [-n MESSAGES] [-t SECONDS] [-i IFINDEX] [-I IFNAME]
 *          [-w REPLY_TIMEOUT] [-p PROGRESS] [-v] [-D [-x EXCHANGE]]
 *   nlfuzz -H SECONDS -i IFINDEX
 *
 * Resolves the family with CTRL_CMD_GETFAMILY, then sends MESSAGES
 * generated messages (valid skeletons of every command aimed at the real
 * device -i/-I and at bogus ones, TWILL_A_NAT configurations valid and
 * malformed, GET_FLOWS dumps, SET_SERVICES valid and malformed: services
 * of a small pool of keys, so that the device's table stays bounded, with
 * bad families, addresses, ports and protocols, affinity, removals,
 * backends of the other family, out-of-range weights and states, the same
 * backend or service twice, limits and Maglev sizes prime or not, 0 or
 * huge, TWILL_F_REPLACE_SERVICES; GET_SERVICES with and without
 * NLM_F_DUMP, filtered to one service's key or with a bad filter (none or
 * two services, a partial key, SET_SERVICES' attributes), notification and out-of-range command numbers, corrupted
 * lengths, types, flags, deep/truncated/overlapping nests, random bytes,
 * batches of several messages in one send, staged TWILL_F_STAGE
 * transactions mixing SET_DEVICE and SET_SERVICES, committed or left
 * open, sockets closed with a transaction open, a second socket's
 * transaction to check -EBUSY for both writers, and a services round trip:
 * a staged replacement of the services, then a dump that must list exactly
 * them, a dump filtered to one of them that must list it alone, whole,
 * and one filtered to a service not committed that must list none).
 *
 * Every send is followed by a NLMSG_NOOP barrier with NLM_F_ACK; every
 * reply up to the barrier's ack (and the rest of any dump) is read and
 * checked: each must be a well-formed NLMSG_ERROR (error or ack, with
 * sane extack TLVs and the request echoed byte for byte), a dump sequence
 * ending in NLMSG_DONE whose messages agree with each other (generation,
 * endpoint continuation, peer/prefix counts, prefix sanity, the NAT
 * nest), a GET_FLOWS dump of well-formed flows none of which appears
 * twice, a GET_SERVICES dump whose messages agree with each other
 * (generation, limits, counts, a service's key repeated only to continue
 * it, its backends counted against TWILL_SERVICE_A_NUM_BACKENDS, the
 * totals against TWILL_A_NUM_SERVICES/NUM_BACKENDS; a filtered dump: at
 * most the service its filter names, and a filter that is not one key
 * refused) and whose services
 * are sane (family and address, protocol, affinity, backends of the
 * service's family, no backend twice, weights and states in range, no
 * more backends than Maglev slots), or a LOOKUP reply whose prefix covers
 * the address.  A second socket listens to the "events" group and checks
 * every notification (SERVICES_CHANGED: the counts, nothing else).
 * Anything else is an anomaly: printed with the exchange number, counted;
 * exit status 1.
 *
 * The message stream depends only on the seed and the arguments (not on
 * the replies), so "nlfuzz -s SEED ..." repeats a run; -D (dry run, no
 * kernel) generates the same messages and checks the generator itself;
 * -D -x N prints exchange N's messages in hex.
 *
 * -Q ADDR,PORT,PROTO: one GET_SERVICES dump of the device filtered to that
 * service (a field "-" is left out, for a partial key; PROTO tcp, udp or a
 * number), checked as any dump; prints "nlfuzz: filtered dump: N services,
 * B backends of T services" or "nlfuzz: filtered dump: error ERRNO: EXTACK"
 * (exit 1), for scenarios that check the filter.
 *
 * -H SECONDS: stage a transaction (TWILL_F_STAGE) on the device, print
 * "staged", hold the socket SECONDS, then stage once more (the device may
 * be gone by then: any well-formed answer will do) and close; for
 * scenarios that delete the device or its namespace under an open
 * transaction.
 *
 * At the end NAT is turned off on the device (the fuzzer's masquerade
 * must not outlive it), and its services are removed (a SET_SERVICES with
 * TWILL_F_REPLACE_SERVICES and no services) with the service limits back
 * at their defaults; a dump must then list none.
 *
 * Exit: 0 clean, 1 anomalies or fewer than MESSAGES sent (the -t limit or
 * an error stopped it), 2 usage or setup error.  Static build: see Makefile.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLM_F_DUMP_INTR
#define NLM_F_DUMP_INTR 0x10
#endif
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/*
 * The twill API (include/uapi/linux/twill.h).  The tools are built out of
 * tests/tools alone, so the values are repeated here; a build inside the
 * checkout checks them against the header.
 */
enum { C_UNSPEC, C_GET, C_SET, C_LOOKUP, C_DEV_CHANGED, C_PEER_ADDED,
       C_PEER_CHANGED, C_PEER_REMOVED, C_GET_FLOWS, C_GET_SERVICES,
       C_SET_SERVICES, C_SERVICES_CHANGED, C_MAX = C_SERVICES_CHANGED };
enum { F_REPLACE_PEERS = 1, F_STAGE = 2, F_REPLACE_SERVICES = 4,
       F_ALL = F_REPLACE_PEERS | F_STAGE | F_REPLACE_SERVICES };
enum { A_UNSPEC, A_IFINDEX, A_IFNAME, A_FLAGS, A_LISTEN_PORT, A_VNI,
       A_FWMARK, A_LOCAL, A_LINK, A_MAC, A_PORT_MIN, A_PORT_MAX, A_TTL,
       A_TOS, A_DF, A_UDP_CSUM, A_MAX_PEERS, A_MAX_PREFIXES, A_NUM_PEERS,
       A_NUM_PREFIXES, A_GENERATION, A_DROPS, A_PEERS, A_LOOKUP_ADDR,
       A_PAD, A_LINK_NAME, A_NAT, A_FLOWS, A_SERVICES, A_MAX_SERVICES,
       A_MAX_BACKENDS, A_MAGLEV_SIZE, A_NUM_SERVICES, A_NUM_BACKENDS,
       A_SERVICE_STATS, A_DIRECT, A_MAX = A_DIRECT };
enum { PF_REMOVE = 1, PF_UPDATE_ONLY = 2, PF_REPLACE_PREFIXES = 4,
       PF_TRUNCATED = 8 };
enum { P_UNSPEC, P_ENDPOINT, P_FLAGS, P_MAC, P_PREFIXES, P_RX_PACKETS,
       P_RX_BYTES, P_TX_PACKETS, P_TX_BYTES, P_LAST_RX, P_DROPS,
       P_NUM_PREFIXES, P_PAD, P_DIRECT, P_MAX = P_DIRECT };
enum { XF_REMOVE = 1 };
enum { X_UNSPEC, X_FAMILY, X_ADDR, X_CIDR, X_FLAGS, X_MAX = X_FLAGS };
enum { N_UNSPEC, N_MASQUERADE, N_EXCLUDE, N_TO4, N_TO6, N_PORT_MIN, N_PORT_MAX,
       N_MAX_FLOWS, N_NUM_FLOWS, N_BUCKETS, N_STATS, N_PAD, N_MAX = N_PAD };
enum { FL_UNSPEC, FL_FAMILY, FL_PROTO, FL_ORIG_SRC, FL_ORIG_DST, FL_ORIG_SPORT,
       FL_ORIG_DPORT, FL_REPLY_SRC, FL_REPLY_DST, FL_REPLY_SPORT,
       FL_REPLY_DPORT, FL_STATE, FL_TIMEOUT, FL_MAX = FL_TIMEOUT };
enum { SF_REMOVE = 1 };
enum { S_UNSPEC, S_FAMILY, S_ADDR, S_PORT, S_PROTO, S_FLAGS, S_AFFINITY,
       S_BACKENDS, S_NUM_BACKENDS, S_MAX = S_NUM_BACKENDS };
enum { B_UNSPEC, B_ADDR, B_PORT, B_WEIGHT, B_STATE, B_MAX = B_STATE };
enum { BS_ACTIVE, BS_TERMINATING, BS_MAINTENANCE, BS_MAX = BS_MAINTENANCE };
#define DROP_MAX 11
#define DF_MAX 2
#define DIRECT_MAX 1	/* TWILL_DIRECT_AUTO */
#define VNI_MAX 0xffffff
#define NAT_MAX_PREFIXES 32
#define NAT_STAT_MAX 10
#define NAT_MAX_FLOWS_LIMIT (1U << 24)	/* kmod/nat.c, nat_policy */
#define FLOW_S_MAX 4
#define SVC_STAT_MAX 9
#define SVC_DEFAULT_MAX_SERVICES 16384
#define SVC_DEFAULT_MAX_BACKENDS 131072
#define MAGLEV_DEFAULT_SIZE 16381
#define MAGLEV_MIN_SIZE 7
#define MAGLEV_MAX_SIZE 131071
#define SVC_MAX_AFFINITY 86400
#define BACKEND_MAX_WEIGHT 65535
#define SVC_MAX_SERVICES_LIMIT (1U << 20)	/* kmod/netlink.c, max_services_range */
#define SVC_MAX_BACKENDS_LIMIT (1U << 24)	/* max_backends_range */

#if defined(__has_include)
#if __has_include("../../include/uapi/linux/twill.h")
#include "../../include/uapi/linux/twill.h"
#define CHK(a, b) _Static_assert((int)(a) == (int)(b), #a " != " #b)
CHK(C_GET, TWILL_CMD_GET_DEVICE); CHK(C_SET, TWILL_CMD_SET_DEVICE);
CHK(C_LOOKUP, TWILL_CMD_LOOKUP); CHK(C_MAX, TWILL_CMD_MAX);
CHK(C_DEV_CHANGED, TWILL_CMD_DEVICE_CHANGED);
CHK(C_PEER_REMOVED, TWILL_CMD_PEER_REMOVED);
CHK(F_REPLACE_PEERS, TWILL_F_REPLACE_PEERS); CHK(F_STAGE, TWILL_F_STAGE);
CHK(A_IFINDEX, TWILL_A_IFINDEX); CHK(A_IFNAME, TWILL_A_IFNAME);
CHK(A_FLAGS, TWILL_A_FLAGS); CHK(A_LISTEN_PORT, TWILL_A_LISTEN_PORT);
CHK(A_VNI, TWILL_A_VNI); CHK(A_FWMARK, TWILL_A_FWMARK);
CHK(A_LOCAL, TWILL_A_LOCAL); CHK(A_LINK, TWILL_A_LINK);
CHK(A_MAC, TWILL_A_MAC); CHK(A_PORT_MIN, TWILL_A_PORT_MIN);
CHK(A_PORT_MAX, TWILL_A_PORT_MAX); CHK(A_TTL, TWILL_A_TTL);
CHK(A_TOS, TWILL_A_TOS); CHK(A_DF, TWILL_A_DF);
CHK(A_UDP_CSUM, TWILL_A_UDP_CSUM); CHK(A_MAX_PEERS, TWILL_A_MAX_PEERS);
CHK(A_MAX_PREFIXES, TWILL_A_MAX_PREFIXES);
CHK(A_NUM_PEERS, TWILL_A_NUM_PEERS);
CHK(A_NUM_PREFIXES, TWILL_A_NUM_PREFIXES);
CHK(A_GENERATION, TWILL_A_GENERATION); CHK(A_DROPS, TWILL_A_DROPS);
CHK(A_PEERS, TWILL_A_PEERS); CHK(A_LOOKUP_ADDR, TWILL_A_LOOKUP_ADDR);
CHK(A_PAD, TWILL_A_PAD); CHK(A_LINK_NAME, TWILL_A_LINK_NAME);
CHK(A_NAT, TWILL_A_NAT); CHK(A_FLOWS, TWILL_A_FLOWS);
CHK(A_MAX, TWILL_A_MAX); CHK(C_GET_FLOWS, TWILL_CMD_GET_FLOWS);
CHK(PF_REMOVE, TWILL_PEER_F_REMOVE);
CHK(PF_UPDATE_ONLY, TWILL_PEER_F_UPDATE_ONLY);
CHK(PF_REPLACE_PREFIXES, TWILL_PEER_F_REPLACE_PREFIXES);
CHK(PF_TRUNCATED, TWILL_PEER_F_TRUNCATED);
CHK(P_ENDPOINT, TWILL_PEER_A_ENDPOINT); CHK(P_FLAGS, TWILL_PEER_A_FLAGS);
CHK(P_MAC, TWILL_PEER_A_MAC); CHK(P_PREFIXES, TWILL_PEER_A_PREFIXES);
CHK(P_RX_PACKETS, TWILL_PEER_A_RX_PACKETS);
CHK(P_LAST_RX, TWILL_PEER_A_LAST_RX); CHK(P_DROPS, TWILL_PEER_A_DROPS);
CHK(P_NUM_PREFIXES, TWILL_PEER_A_NUM_PREFIXES);
CHK(P_PAD, TWILL_PEER_A_PAD); CHK(P_MAX, TWILL_PEER_A_MAX);
CHK(P_DIRECT, TWILL_PEER_A_DIRECT); CHK(A_DIRECT, TWILL_A_DIRECT);
CHK(DIRECT_MAX, TWILL_DIRECT_MAX);
CHK(XF_REMOVE, TWILL_PREFIX_F_REMOVE);
CHK(X_FAMILY, TWILL_PREFIX_A_FAMILY); CHK(X_ADDR, TWILL_PREFIX_A_ADDR);
CHK(X_CIDR, TWILL_PREFIX_A_CIDR); CHK(X_FLAGS, TWILL_PREFIX_A_FLAGS);
CHK(X_MAX, TWILL_PREFIX_A_MAX);
CHK(DROP_MAX, TWILL_DROP_MAX); CHK(DF_MAX, TWILL_DF_MAX);
CHK(VNI_MAX, TWILL_VNI_MAX);
CHK(N_MASQUERADE, TWILL_NAT_A_MASQUERADE); CHK(N_EXCLUDE, TWILL_NAT_A_EXCLUDE);
CHK(N_TO4, TWILL_NAT_A_TO4); CHK(N_TO6, TWILL_NAT_A_TO6);
CHK(N_PORT_MIN, TWILL_NAT_A_PORT_MIN); CHK(N_PORT_MAX, TWILL_NAT_A_PORT_MAX);
CHK(N_MAX_FLOWS, TWILL_NAT_A_MAX_FLOWS); CHK(N_NUM_FLOWS, TWILL_NAT_A_NUM_FLOWS);
CHK(N_BUCKETS, TWILL_NAT_A_BUCKETS); CHK(N_STATS, TWILL_NAT_A_STATS);
CHK(N_PAD, TWILL_NAT_A_PAD); CHK(N_MAX, TWILL_NAT_A_MAX);
CHK(NAT_MAX_PREFIXES, TWILL_NAT_MAX_PREFIXES);
CHK(NAT_STAT_MAX, TWILL_NAT_STAT_MAX);
CHK(FL_FAMILY, TWILL_FLOW_A_FAMILY); CHK(FL_PROTO, TWILL_FLOW_A_PROTO);
CHK(FL_ORIG_SRC, TWILL_FLOW_A_ORIG_SRC); CHK(FL_ORIG_DST, TWILL_FLOW_A_ORIG_DST);
CHK(FL_ORIG_SPORT, TWILL_FLOW_A_ORIG_SPORT);
CHK(FL_ORIG_DPORT, TWILL_FLOW_A_ORIG_DPORT);
CHK(FL_REPLY_SRC, TWILL_FLOW_A_REPLY_SRC);
CHK(FL_REPLY_DST, TWILL_FLOW_A_REPLY_DST);
CHK(FL_REPLY_SPORT, TWILL_FLOW_A_REPLY_SPORT);
CHK(FL_REPLY_DPORT, TWILL_FLOW_A_REPLY_DPORT);
CHK(FL_STATE, TWILL_FLOW_A_STATE); CHK(FL_TIMEOUT, TWILL_FLOW_A_TIMEOUT);
CHK(FL_MAX, TWILL_FLOW_A_MAX); CHK(FLOW_S_MAX, TWILL_FLOW_S_MAX);
CHK(C_GET_SERVICES, TWILL_CMD_GET_SERVICES);
CHK(C_SET_SERVICES, TWILL_CMD_SET_SERVICES);
CHK(C_SERVICES_CHANGED, TWILL_CMD_SERVICES_CHANGED);
CHK(F_REPLACE_SERVICES, TWILL_F_REPLACE_SERVICES); CHK(F_ALL, __TWILL_F_ALL);
CHK(A_SERVICES, TWILL_A_SERVICES); CHK(A_MAX_SERVICES, TWILL_A_MAX_SERVICES);
CHK(A_MAX_BACKENDS, TWILL_A_MAX_BACKENDS);
CHK(A_MAGLEV_SIZE, TWILL_A_MAGLEV_SIZE);
CHK(A_NUM_SERVICES, TWILL_A_NUM_SERVICES);
CHK(A_NUM_BACKENDS, TWILL_A_NUM_BACKENDS);
CHK(A_SERVICE_STATS, TWILL_A_SERVICE_STATS);
CHK(SF_REMOVE, TWILL_SERVICE_F_REMOVE);
CHK(S_FAMILY, TWILL_SERVICE_A_FAMILY); CHK(S_ADDR, TWILL_SERVICE_A_ADDR);
CHK(S_PORT, TWILL_SERVICE_A_PORT); CHK(S_PROTO, TWILL_SERVICE_A_PROTO);
CHK(S_FLAGS, TWILL_SERVICE_A_FLAGS); CHK(S_AFFINITY, TWILL_SERVICE_A_AFFINITY);
CHK(S_BACKENDS, TWILL_SERVICE_A_BACKENDS);
CHK(S_NUM_BACKENDS, TWILL_SERVICE_A_NUM_BACKENDS); CHK(S_MAX, TWILL_SERVICE_A_MAX);
CHK(B_ADDR, TWILL_BACKEND_A_ADDR); CHK(B_PORT, TWILL_BACKEND_A_PORT);
CHK(B_WEIGHT, TWILL_BACKEND_A_WEIGHT); CHK(B_STATE, TWILL_BACKEND_A_STATE);
CHK(B_MAX, TWILL_BACKEND_A_MAX);
CHK(BS_ACTIVE, TWILL_BACKEND_S_ACTIVE);
CHK(BS_TERMINATING, TWILL_BACKEND_S_TERMINATING);
CHK(BS_MAINTENANCE, TWILL_BACKEND_S_MAINTENANCE); CHK(BS_MAX, TWILL_BACKEND_S_MAX);
CHK(SVC_STAT_MAX, TWILL_SERVICE_STAT_MAX);
CHK(SVC_DEFAULT_MAX_SERVICES, TWILL_SERVICE_DEFAULT_MAX_SERVICES);
CHK(SVC_DEFAULT_MAX_BACKENDS, TWILL_SERVICE_DEFAULT_MAX_BACKENDS);
CHK(MAGLEV_DEFAULT_SIZE, TWILL_MAGLEV_DEFAULT_SIZE);
CHK(MAGLEV_MIN_SIZE, TWILL_MAGLEV_MIN_SIZE); CHK(MAGLEV_MAX_SIZE, TWILL_MAGLEV_MAX_SIZE);
CHK(SVC_MAX_AFFINITY, TWILL_SERVICE_MAX_AFFINITY);
CHK(BACKEND_MAX_WEIGHT, TWILL_BACKEND_MAX_WEIGHT);
#endif
#endif

/* ------------------------------------------------------------------ */
/* options, counters                                                  */

static uint64_t opt_seed;
static long opt_count = 20000;
static double opt_time = 120;
static uint32_t opt_ifindex;
static const char *opt_ifname;
static int opt_wait = 30;
static long opt_progress = 2000;
static int opt_verbose;
static int opt_dry;
static long opt_dump_exch = -1;
static int opt_hold;
static const char *opt_query;	/* -Q */

static uint16_t family_id;
static uint32_t events_grp;
static uint32_t other_ids[256];	/* registered genl families (not ours) */
static int n_other_ids;

static long st_msgs, st_exch, st_batches, st_tx, st_tx_open, st_reconnects;
static long st_own, st_acks, st_errs, st_dumps, st_dump_msgs, st_dump_intr;
static long st_lookups, st_events, st_ev_overrun, st_stray, st_send_err;
static long st_overrun, st_unknown_attr, st_gen_back, st_replies;
static long st_nat_sets, st_flow_dumps, st_flows;
static long st_svc_sets, st_svc_acks, st_svc_errs, st_svc_dumps, st_svc_dump_msgs;
static long st_svcs, st_backends, st_svc_events, st_svc_intr, st_svc_rt;
static long st_svc_ev_match;
/* the last SERVICES_CHANGED event: its device, generation and counts */
static int ev_svc_ok;
static uint32_t ev_svc_ifx, ev_svc_gen, ev_svc_num, ev_svc_nb;
static long st_errno[4096];
static long anomalies;
static long cur_exch;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void hexdump(const char *what, const void *p, size_t len, size_t max)
{
	const uint8_t *b = p;
	size_t i;

	fprintf(stderr, "    %s (%zu bytes):", what, len);
	for (i = 0; i < len && i < max; i++)
		fprintf(stderr, "%s%02x", i % 32 ? " " : "\n      ", b[i]);
	if (len > max)
		fprintf(stderr, "\n      ...");
	fprintf(stderr, "\n");
}

static const void *anom_req, *anom_rep;
static size_t anom_req_len, anom_rep_len;

static void anomaly(const char *fmt, ...)
{
	va_list ap;

	anomalies++;
	if (anomalies > 20 && !opt_verbose) {
		if (anomalies == 21)
			fprintf(stderr, "nlfuzz: more anomalies, not shown\n");
		return;
	}
	fprintf(stderr, "nlfuzz: ANOMALY #%ld (seed %llu, exchange %ld): ",
		anomalies, (unsigned long long)opt_seed, cur_exch);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (anom_req)
		hexdump("request", anom_req, anom_req_len, 512);
	if (anom_rep)
		hexdump("reply", anom_rep, anom_rep_len, 512);
}

/* ------------------------------------------------------------------ */
/* PRNG: splitmix64, the same sequence everywhere                     */

static uint64_t rng;

static uint64_t r64(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(r64() % n) : 0;
}

static int chance(unsigned int pct)
{
	return rn(1000) < pct * 10;
}

/*
 * In a "clean" message (about 40% of them) the generator leaves out its
 * deliberate mistakes, so that commits succeed often enough to exercise
 * the table; bad() is chance() that says no in clean messages.
 */
static int g_clean;

static int bad(unsigned int pct)
{
	int r = chance(pct);

	return g_clean ? 0 : r;
}

/* rn(n) in a message with mistakes, n (the "no mistake" case) in a clean one */
static uint32_t pick(uint32_t n)
{
	uint32_t r = rn(n);

	return g_clean ? n : r;
}

static void rbytes(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = (uint8_t)r64();
}

/* ------------------------------------------------------------------ */
/* message builder                                                    */

#define MSG_MAX 32768
#define MAX_ATTRS 2048
#define BATCH_MAX 8

struct msg {
	uint8_t b[MSG_MAX];
	size_t len;
	uint32_t aoff[MAX_ATTRS];	/* offsets of attribute headers */
	int na;
	uint32_t noff[MAX_ATTRS];	/* offsets of the nests among them */
	int nn;
	int full;
	int badlen;	/* nlmsg_len does not describe the message */
	int garbage;	/* body replaced by random bytes */
	uint32_t seq;
};

static struct nlmsghdr *mh(struct msg *m)
{
	return (struct nlmsghdr *)m->b;
}

static void m_init(struct msg *m, uint16_t type, uint16_t flags, uint8_t cmd)
{
	struct genlmsghdr *g;

	memset(m->b, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	mh(m)->nlmsg_type = type;
	mh(m)->nlmsg_flags = flags;
	g = (struct genlmsghdr *)(m->b + NLMSG_HDRLEN);
	g->cmd = cmd;
	g->version = 1;
	m->len = NLMSG_HDRLEN + GENL_HDRLEN;
	m->na = 0;
	m->nn = 0;
	m->full = 0;
	m->badlen = 0;
	m->garbage = 0;
}

static long m_put(struct msg *m, uint16_t type, const void *data, size_t len)
{
	size_t need = NLA_ALIGN(NLA_HDRLEN + len);
	struct nlattr *a;
	size_t off = m->len;

	if (m->full || off + need > MSG_MAX - 64 || len > 0xfff0) {
		m->full = 1;
		return -1;
	}
	a = (struct nlattr *)(m->b + off);
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	a->nla_type = type;
	if (len)
		memcpy(m->b + off + NLA_HDRLEN, data, len);
	memset(m->b + off + NLA_HDRLEN + len, 0, need - NLA_HDRLEN - len);
	if (m->na < MAX_ATTRS)
		m->aoff[m->na++] = (uint32_t)off;
	m->len += need;
	return (long)off;
}

static void put_u8(struct msg *m, uint16_t t, uint8_t v) { m_put(m, t, &v, 1); }
static void put_u16(struct msg *m, uint16_t t, uint16_t v) { m_put(m, t, &v, 2); }
static void put_u32(struct msg *m, uint16_t t, uint32_t v) { m_put(m, t, &v, 4); }

static long nest(struct msg *m, uint16_t type)
{
	/* Nests carry NLA_F_NESTED, as libmnl's do; sometimes not. */
	long off;

	if (!bad(3))
		type |= NLA_F_NESTED;
	off = m_put(m, type, NULL, 0);
	if (off >= 0 && m->nn < MAX_ATTRS)
		m->noff[m->nn++] = (uint32_t)off;
	return off;
}

static void nest_end(struct msg *m, long off)
{
	if (off < 0)
		return;
	((struct nlattr *)(m->b + off))->nla_len = (uint16_t)(m->len - (size_t)off);
}

/* Appends a copy of the nest at @off, the last thing written (duplicates). */
static void m_dup(struct msg *m, long off)
{
	size_t len;

	if (off < 0 || m->full)
		return;
	len = m->len - (size_t)off;
	if (m->len + len > MSG_MAX - 64) {
		m->full = 1;
		return;
	}
	memcpy(m->b + m->len, m->b + off, len);
	if (m->na < MAX_ATTRS)
		m->aoff[m->na++] = (uint32_t)m->len;
	if (m->nn < MAX_ATTRS)
		m->noff[m->nn++] = (uint32_t)m->len;
	m->len += len;
}

static void m_finish(struct msg *m)
{
	mh(m)->nlmsg_len = (uint32_t)m->len;
}

/* ------------------------------------------------------------------ */
/* generators: valid-looking skeletons with edge values               */

static void gen_random_attrs(struct msg *m, int n, int maxtype, int depth);

/* An endpoint address from a small pool (the table stays small). */
static void gen_sockaddr(uint8_t *buf, size_t *len)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	uint16_t port = chance(70) ? 0 : chance(50) ? htons(8472) : (uint16_t)r64();

	if (chance(65)) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = port;
		switch (pick(20)) {
		case 0: sin.sin_addr.s_addr = 0; break;			/* zeronet */
		case 1: sin.sin_addr.s_addr = htonl(0xe0000001); break;	/* mcast */
		case 2: sin.sin_addr.s_addr = htonl(0xffffffff); break;
		case 3: sin.sin_addr.s_addr = htonl(0x7f000001); break;
		default: sin.sin_addr.s_addr = htonl(0xc00002c8 + rn(12)); break;
		}
		memcpy(buf, &sin, sizeof(sin));
		*len = sizeof(sin);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = port;
		switch (pick(20)) {
		case 0: break;						/* any */
		case 1: sin6.sin6_addr.s6_addr[0] = 0xff; sin6.sin6_addr.s6_addr[15] = 1; break;
		case 2: sin6.sin6_addr.s6_addr[0] = 0xfe; sin6.sin6_addr.s6_addr[1] = 0x80;
			sin6.sin6_addr.s6_addr[15] = 1; sin6.sin6_scope_id = rn(5); break;
		case 3: sin6.sin6_addr.s6_addr[10] = 0xff; sin6.sin6_addr.s6_addr[11] = 0xff;
			sin6.sin6_addr.s6_addr[12] = 192; sin6.sin6_addr.s6_addr[15] = 7; break;
		default:
			sin6.sin6_addr.s6_addr[0] = 0x20; sin6.sin6_addr.s6_addr[1] = 0x01;
			sin6.sin6_addr.s6_addr[2] = 0x0d; sin6.sin6_addr.s6_addr[3] = 0xb8;
			sin6.sin6_addr.s6_addr[15] = (uint8_t)(0xc8 + rn(8));
			break;
		}
		if (bad(5))
			sin6.sin6_flowinfo = (uint32_t)r64();
		memcpy(buf, &sin6, sizeof(sin6));
		*len = sizeof(sin6);
	}
	switch (pick(40)) {
	case 0: *len = 8; break;				/* short */
	case 1: *len = *len == 16 ? 28 : 16; break;		/* family/size mismatch */
	case 2: ((struct sockaddr *)buf)->sa_family = (sa_family_t)rn(64); break;
	case 3: *len = 32; break;				/* long */
	case 4: *len = 0; break;
	}
}

static void mask_prefix(uint8_t *a, int bytes, int cidr)
{
	int i;

	for (i = 0; i < bytes; i++) {
		int keep = cidr - i * 8;

		if (keep >= 8)
			continue;
		a[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

/* Random address in the pools the generator's prefixes come from. */
static int gen_addr(uint8_t *a, int v6)
{
	if (!v6) {
		a[0] = 10;
		switch (rn(4)) {
		case 0: a[1] = 244; a[2] = (uint8_t)rn(4); break;
		default: a[1] = 100; a[2] = (uint8_t)rn(48); break;
		}
		a[3] = (uint8_t)r64();
		return 4;
	}
	memset(a, 0, 16);
	a[0] = 0xfd;
	if (chance(25)) {
		a[2] = 0x02; a[3] = 0x44; a[5] = (uint8_t)rn(4);
	} else {
		a[3] = 0xf0; a[5] = (uint8_t)rn(32);
	}
	if (chance(50))
		rbytes(a + 8, 8);
	return 16;
}

static void gen_prefix(struct msg *m)
{
	long n = nest(m, !bad(10) ? 0 : (uint16_t)rn(8));
	uint8_t a[20];
	int v6 = chance(35), bytes, cidr;
	uint16_t fam = v6 ? AF_INET6 : AF_INET;

	bytes = gen_addr(a, v6);
	if (!v6) {
		static const int c4[] = { 0, 8, 12, 16, 20, 24, 24, 24, 26, 28, 30, 32, 32 };
		cidr = c4[rn(sizeof(c4) / sizeof(c4[0]))];
	} else {
		static const int c6[] = { 0, 32, 48, 56, 64, 64, 64, 96, 112, 127, 128 };
		cidr = c6[rn(sizeof(c6) / sizeof(c6[0]))];
	}
	if (cidr > 0 && cidr < 14 && !v6)
		cidr = 8;	/* 10/8 at most: the real pods stay reachable */
	if (!bad(12))
		mask_prefix(a, bytes, cidr);
	switch (pick(30)) {
	case 0: fam = v6 ? AF_INET : AF_INET6; break;
	case 1: fam = (uint16_t)rn(50); break;
	case 2: cidr = v6 ? 129 + (int)rn(127) : 33 + (int)rn(100); break;
	case 3: bytes = (int)rn(20); break;
	}
	if (!bad(3))
		put_u16(m, X_FAMILY, fam);
	if (!bad(3))
		m_put(m, X_ADDR, a, (size_t)bytes);
	if (!bad(3))
		put_u8(m, X_CIDR, (uint8_t)cidr);
	if (chance(15))
		put_u32(m, X_FLAGS, !bad(20) ? XF_REMOVE : (uint32_t)r64());
	if (bad(2))
		gen_random_attrs(m, 1 + (int)rn(3), X_MAX + 2, 1);
	if (bad(3))	/* duplicate attribute: the last one counts */
		put_u8(m, X_CIDR, (uint8_t)rn(140));
	nest_end(m, n);
}

static void gen_peer(struct msg *m, int big)
{
	long n = nest(m, !bad(10) ? 0 : (uint16_t)r64());
	uint8_t ep[32], mac[6];
	size_t len;
	int i, np;

	gen_sockaddr(ep, &len);
	if (!bad(4))
		m_put(m, P_ENDPOINT, ep, len);
	if (chance(30)) {
		static const uint32_t fl[] = { PF_REMOVE, PF_UPDATE_ONLY,
			PF_REPLACE_PREFIXES, PF_REPLACE_PREFIXES,
			PF_UPDATE_ONLY | PF_REPLACE_PREFIXES, 0, PF_TRUNCATED, 0x10,
			0xffffffff };
		put_u32(m, P_FLAGS, !bad(10) ? fl[rn(g_clean ? 6 : 9)] : (uint32_t)r64());
	}
	if (chance(50)) {
		mac[0] = 0x02; mac[1] = 0x74; mac[2] = 0x77;
		rbytes(mac + 3, 3);
		switch (pick(12)) {
		case 0: memset(mac, 0, 6); break;
		case 1: mac[0] = 0x01; break;	/* multicast */
		case 2: memset(mac, 0xff, 6); break;
		}
		m_put(m, P_MAC, mac, !bad(5) ? 6 : rn(10));
	}
	if (chance(30)) {	/* direct: 0/1, else refused by the policy */
		uint8_t d[4] = { (uint8_t)rn(2) };

		if (bad(5))
			d[0] = (uint8_t)r64();
		m_put(m, P_DIRECT, d, !bad(5) ? 1 : rn(5));
	}
	if (chance(75)) {
		long pn = nest(m, P_PREFIXES);

		np = big ? 50 + (int)rn(400) : (int)rn(7);
		for (i = 0; i < np && !m->full; i++)
			gen_prefix(m);
		if (bad(2))
			gen_random_attrs(m, 1 + (int)rn(2), 3, 1);
		nest_end(m, pn);
	}
	if (bad(3)) {	/* read-only attributes in a request */
		uint64_t v = r64();

		m_put(m, (uint16_t)(P_RX_PACKETS + rn(P_PAD - P_RX_PACKETS + 1)), &v,
		      8);
	}
	if (bad(2))
		gen_random_attrs(m, 1 + (int)rn(3), P_MAX + 3, 2);
	nest_end(m, n);
}

static void gen_peers(struct msg *m)
{
	long n = nest(m, A_PEERS);
	int i, np = chance(5) ? 0 : 1 + (int)rn(chance(10) ? 12 : 4);
	int big = chance(4);

	for (i = 0; i < np && !m->full; i++)
		gen_peer(m, big && i == 0);
	nest_end(m, n);
}

/*
 * A prefix of a NAT list: from the generator's pools, or (in a message
 * with mistakes) of the wrong family, out of range, with host bits set or
 * a short address.
 */
static void gen_nat_prefix(struct msg *m)
{
	long n = nest(m, !bad(10) ? 0 : (uint16_t)rn(8));
	uint8_t a[16];
	int v6 = chance(35), bytes = gen_addr(a, v6);
	int cidr = v6 ? 32 + 16 * (int)rn(5) : 8 * (1 + (int)rn(3));
	uint16_t fam = v6 ? AF_INET6 : AF_INET;
	int k = (int)pick(12);

	if (k != 3)
		mask_prefix(a, bytes, cidr);
	switch (k) {
	case 0: fam = v6 ? AF_INET : AF_INET6; break;	/* wrong family */
	case 1: fam = (uint16_t)rn(50); break;
	case 2: cidr = v6 ? 129 + (int)rn(127) : 33 + (int)rn(100); break;
	case 3: a[bytes - 1] |= 1; break;		/* host bits set */
	case 4: bytes = (int)rn(20); break;
	}
	if (!bad(3))
		put_u16(m, X_FAMILY, fam);
	if (!bad(3))
		m_put(m, X_ADDR, a, (size_t)bytes);
	if (!bad(3))
		put_u8(m, X_CIDR, (uint8_t)cidr);
	if (bad(3))	/* not taken in NAT lists */
		put_u32(m, X_FLAGS, XF_REMOVE);
	nest_end(m, n);
}

static void gen_nat_list(struct msg *m, uint16_t type, int count)
{
	long n = nest(m, type);
	int i;

	for (i = 0; i < count && !m->full; i++)
		gen_nat_prefix(m);
	nest_end(m, n);
}

/* TWILL_NAT_A_TO4/TO6: a unicast address, or zero, multicast, wrong size. */
static void gen_nat_to(struct msg *m, int v6)
{
	uint8_t a[20] = { 0 };
	size_t len = v6 ? 16 : 4;

	if (v6) {
		a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = 0xb8;
		a[15] = (uint8_t)(0xc8 + rn(8));
	} else {
		a[0] = 192; a[2] = 2; a[3] = (uint8_t)(0xc8 + rn(12));
	}
	switch (pick(10)) {
	case 0: memset(a, 0, sizeof(a)); break;			/* zero */
	case 1: a[0] = v6 ? 0xff : 224; break;			/* multicast */
	case 2: memset(a, 0xff, sizeof(a)); break;		/* broadcast */
	case 3: len = v6 ? 4 : 16; break;			/* the other size */
	case 4: len = rn(20); break;
	}
	m_put(m, v6 ? N_TO6 : N_TO4, a, len);
}

/*
 * TWILL_A_NAT: NAT off (an empty nest) or a configuration; in a message
 * with mistakes prefix lists with bad prefixes or too many of them,
 * settings without masquerade, port_min > port_max, max_flows 0 or above
 * the limit, read-only attributes.  Valid limits stay small: the kernel
 * sizes the hash table from max_flows.
 */
static void gen_nat(struct msg *m)
{
	static const uint32_t flows[] = { 1, 16, 1024, 65536, 131072 };
	long n = nest(m, A_NAT);
	int nmasq = 1 + (int)rn(3), nexcl = (int)rn(3);
	uint16_t lo, hi;

	st_nat_sets++;
	if (chance(25)) {	/* NAT off */
		nest_end(m, n);
		return;
	}
	if (bad(6))
		nmasq = 0;	/* settings without masquerade */
	if (bad(6))
		nmasq = NAT_MAX_PREFIXES + 1 + (int)rn(4);
	if (bad(3))
		nexcl = NAT_MAX_PREFIXES + 1;
	if (nmasq)
		gen_nat_list(m, N_MASQUERADE, nmasq);
	if (nexcl || chance(10))
		gen_nat_list(m, N_EXCLUDE, nexcl);
	if (chance(30))
		gen_nat_to(m, 0);
	if (chance(20))
		gen_nat_to(m, 1);
	if (chance(50)) {
		lo = (uint16_t)(1024 + rn(30000));
		hi = (uint16_t)(lo + rn(30000));
		switch (pick(8)) {
		case 0: hi = (uint16_t)(lo - 1 - rn(lo - 1)); break;	/* min > max */
		case 1: lo = 0; break;
		case 2: hi = 0; break;
		}
		if (bad(3))
			put_u32(m, N_PORT_MIN, lo);	/* wrong size */
		else
			put_u16(m, N_PORT_MIN, lo);
		put_u16(m, N_PORT_MAX, hi);
	}
	if (chance(40)) {
		uint32_t v = flows[rn(5)];

		switch (pick(6)) {
		case 0: v = 0; break;
		case 1: v = NAT_MAX_FLOWS_LIMIT + 1 + rn(100); break;
		case 2: v = 0xffffffff; break;
		}
		put_u32(m, N_MAX_FLOWS, v);
	}
	if (bad(3))	/* read-only attributes in a request */
		put_u32(m, (uint16_t)(N_NUM_FLOWS + rn(2)), (uint32_t)r64());
	if (bad(2)) {
		long st = nest(m, N_STATS);
		uint64_t v = r64();

		m_put(m, (uint16_t)(1 + rn(NAT_STAT_MAX)), &v, 8);
		nest_end(m, st);
	}
	if (bad(2))
		gen_random_attrs(m, 1 + (int)rn(3), N_MAX + 2, 1);
	nest_end(m, n);
}

/* A chain of nests DEPTH deep ending in random bytes. */
static void gen_deep(struct msg *m, int depth)
{
	long offs[80];
	int i, d = 0;
	uint8_t junk[16];

	for (i = 0; i < depth && i < 80; i++) {
		static const uint16_t ty[] = { 0, A_PEERS, P_PREFIXES, A_DROPS, 1 };
		offs[d++] = nest(m, chance(80) ? ty[rn(5)] : (uint16_t)r64());
	}
	rbytes(junk, sizeof(junk));
	m_put(m, (uint16_t)rn(8), junk, rn(sizeof(junk) + 1));
	while (d > 0)
		nest_end(m, offs[--d]);
}

static void gen_random_attrs(struct msg *m, int n, int maxtype, int depth)
{
	uint8_t buf[64];
	int i;

	for (i = 0; i < n && !m->full; i++) {
		uint16_t t = (uint16_t)rn((uint32_t)maxtype + 1);

		if (chance(5))
			t = (uint16_t)r64();
		if (depth > 0 && chance(20)) {
			long o = nest(m, t);

			gen_random_attrs(m, 1 + (int)rn(3), maxtype, depth - 1);
			nest_end(m, o);
			continue;
		}
		rbytes(buf, sizeof(buf));
		m_put(m, t, buf, rn(chance(80) ? 9 : 65));
	}
}

/* TWILL_A_IFINDEX/IFNAME: the real device, bogus ones, none. */
static void gen_target(struct msg *m)
{
	static const char *names[] = { "lo", "twill-nope", "", "tw0000000000000",
				       "eth0", "twill1" };
	char name[40] = "twill0";
	int k = (int)rn(100);
	int have = opt_ifindex || opt_ifname;

	if (g_clean && have)
		k %= 60;
	if (have && k < 60) {
		if (opt_ifindex && (k < 45 || !opt_ifname))
			put_u32(m, A_IFINDEX, opt_ifindex);
		else
			m_put(m, A_IFNAME, opt_ifname, strlen(opt_ifname) + 1);
		return;
	}
	if (have && k < 65) {	/* both, agreeing or not */
		if (opt_ifindex)
			put_u32(m, A_IFINDEX, chance(70) ? opt_ifindex : 0);
		m_put(m, A_IFNAME, opt_ifname ? opt_ifname : "lo",
		      strlen(opt_ifname ? opt_ifname : "lo") + 1);
		return;
	}
	switch (rn(10)) {
	case 0: put_u32(m, A_IFINDEX, 0); break;
	case 1: put_u32(m, A_IFINDEX, 1); break;	/* lo: not twill */
	case 2: put_u32(m, A_IFINDEX, opt_ifindex + 1 + rn(3)); break;
	case 3: put_u32(m, A_IFINDEX, (uint32_t)r64()); break;
	case 4: put_u32(m, A_IFINDEX, 0xffffffff); break;
	case 5: {
		const char *s = names[rn(6)];
		m_put(m, A_IFNAME, s, strlen(s) + 1);
		break;
	}
	case 6:	/* no NUL */
		m_put(m, A_IFNAME, opt_ifname ? opt_ifname : "twill0",
		      strlen(opt_ifname ? opt_ifname : "twill0"));
		break;
	case 7:	/* too long */
		memset(name, 'x', sizeof(name));
		name[16 + rn(20)] = 0;
		m_put(m, A_IFNAME, name, strlen(name) + 1);
		break;
	case 8:	/* wrong sizes */
		m_put(m, A_IFINDEX, name, rn(9));
		break;
	default:
		break;	/* nothing */
	}
}

static void gen_settings(struct msg *m)
{
	uint8_t b[20];
	int n = (int)rn(4), i;

	for (i = 0; i < n; i++) {
		switch (g_clean ? 99 : rn(16)) {
		case 0: {
			static const uint16_t p[] = { 8472, 8472, 8472, 0, 1, 4789, 65535 };
			put_u16(m, A_LISTEN_PORT, chance(85) ? p[rn(7)] : (uint16_t)r64());
			break;
		}
		case 1: {
			static const uint32_t v[] = { 1, 1, 1, 0, 2, VNI_MAX, VNI_MAX + 1, 0xffffffff };
			put_u32(m, A_VNI, v[rn(8)]);
			break;
		}
		case 2: put_u32(m, A_FWMARK, chance(50) ? 0 : (uint32_t)r64()); break;
		case 3: {
			static const size_t l[] = { 0, 0, 4, 16, 5, 3 };
			size_t len = l[rn(6)];

			memset(b, 0, sizeof(b));
			if (len == 4) {
				b[0] = 192; b[2] = 2; b[3] = (uint8_t)rn(4);
			} else if (len == 16) {
				b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
				b[15] = (uint8_t)rn(4);
			}
			m_put(m, A_LOCAL, b, len);
			break;
		}
		case 4:
			if (chance(50)) {
				put_u32(m, A_LINK, chance(60) ? 0 : rn(12));
			} else {
				/* by name: existing, missing, too long, no NUL */
				static const char *const n[] = {
					"lo", "ul0", "twill0", "nosuchif",
					"a-name-longer-than-ifnamsiz", "",
				};
				const char *name = n[rn(6)];

				m_put(m, A_LINK_NAME, name,
				      strlen(name) + (chance(90) ? 1 : 0));
			}
			break;
		case 5:
			b[0] = 0x02; b[1] = 0x74; b[2] = 0x77;
			rbytes(b + 3, 3);
			if (chance(10))
				b[0] = 1;
			if (chance(5))
				memset(b, 0, 6);
			m_put(m, A_MAC, b, chance(95) ? 6 : rn(12));
			break;
		case 6: put_u16(m, A_PORT_MIN, chance(30) ? 0 : (uint16_t)r64()); break;
		case 7: put_u16(m, A_PORT_MAX, chance(30) ? 65535 : (uint16_t)r64()); break;
		case 8: put_u8(m, A_TTL, (uint8_t)r64()); break;
		case 9: put_u8(m, A_TOS, chance(50) ? 1 : (uint8_t)r64()); break;
		case 10: put_u8(m, A_DF, (uint8_t)rn(5)); break;
		case 11: put_u8(m, A_UDP_CSUM, (uint8_t)rn(3)); break;
		case 12: {
			static const uint32_t lim[] = { 0, 1, 16, 1024, 65536, 1000000, 0xffffffff };
			/* mostly generous limits, so peers can still be added */
			put_u32(m, chance(50) ? A_MAX_PEERS : A_MAX_PREFIXES,
				chance(70) ? 65536 : lim[rn(7)]);
			break;
		}
		case 13:	/* read-only attributes */
			put_u32(m, (uint16_t)(A_NUM_PEERS + rn(3)), (uint32_t)r64());
			break;
		case 14:
			b[0] = 10;
			m_put(m, A_LOOKUP_ADDR, b, 4);
			break;
		case 15:	/* direct: off/auto, else refused by the policy */
			put_u8(m, A_DIRECT, chance(80) ? (uint8_t)rn(DIRECT_MAX + 1) :
							 (uint8_t)r64());
			break;
		default:	/* clean: harmless valid settings */
			switch (rn(5)) {
			case 0: put_u8(m, A_TTL, (uint8_t)rn(65)); break;
			case 1: put_u8(m, A_TOS, (uint8_t)(rn(2) ? 1 : 0)); break;
			case 2: put_u8(m, A_DF, (uint8_t)rn(DF_MAX + 1)); break;
			case 3: put_u8(m, A_UDP_CSUM, (uint8_t)rn(2)); break;
			default: put_u32(m, A_FWMARK, rn(4)); break;
			}
			break;
		}
	}
}

static uint32_t gen_devflags(void)
{
	/* F_REPLACE_SERVICES too: in SET_DEVICE, it empties the services */
	static const uint32_t f[] = { 0, 0, 0, F_REPLACE_PEERS, F_STAGE,
				      F_STAGE | F_REPLACE_PEERS, F_REPLACE_SERVICES,
				      F_ALL + 1, 0x80000000 };
	return f[rn(9)];
}

/* A SET_DEVICE body; flags < 0: random. */
static void gen_set_body(struct msg *m, long flags)
{
	int order = (int)rn(3);

	if (order == 0)
		gen_target(m);
	if (flags >= 0)
		put_u32(m, A_FLAGS, (uint32_t)flags);
	else if (chance(60))
		put_u32(m, A_FLAGS, g_clean ? (uint32_t)(rn(5) ? 0 : F_REPLACE_PEERS) :
			gen_devflags());
	if (order == 1)
		gen_target(m);
	if (chance(25))
		gen_settings(m);
	if (chance(10))
		gen_nat(m);
	if (bad(2)) {	/* flows are read only */
		long f = nest(m, A_FLOWS);

		gen_random_attrs(m, 1 + (int)rn(3), FL_MAX + 1, 1);
		nest_end(m, f);
	}
	if (chance(80))
		gen_peers(m);
	if (order == 2)
		gen_target(m);
	if (bad(3))
		gen_deep(m, 1 + (int)rn(64));
}

static void gen_lookup_body(struct msg *m)
{
	uint8_t a[20];
	int len;

	gen_target(m);
	len = gen_addr(a, chance(35));
	switch (pick(15)) {
	case 0: len = 0; break;
	case 1: len = 5; break;
	case 2: len = 17 + (int)rn(3); break;
	case 3: return;	/* no address */
	}
	m_put(m, A_LOOKUP_ADDR, a, (size_t)len);
	if (bad(3))
		gen_random_attrs(m, 1, A_MAX + 2, 1);
}

/* ------------------------------------------------------------------ */
/* services                                                           */

/*
 * The generator's services come from a small pool of keys: 12 IPv4 and 6
 * IPv6 virtual addresses, 3 ports, TCP and UDP (108 services), each with
 * a few backends (SVC_BIG_MAX at most), so the device's service table
 * stays small whatever is committed.
 */
#define SVC_V4 12
#define SVC_V6 6
#define SVC_NPORTS 3
#define SVC_KEYS ((SVC_V4 + SVC_V6) * SVC_NPORTS * 2)
#define SVC_BIG_MAX 80
static const uint16_t svc_ports[SVC_NPORTS] = { 80, 443, 53 };
static uint8_t svc_named[SVC_KEYS];	/* keys named in this transaction */

static void svc_tx_reset(void)
{
	memset(svc_named, 0, sizeof(svc_named));
}

/* A key of the pool; in a clean message one the transaction did not name. */
static int svc_pick_key(void)
{
	int k = (int)rn(SVC_KEYS), i;

	for (i = 0; g_clean && svc_named[k] && i < SVC_KEYS; i++)
		k = (k + 1) % SVC_KEYS;
	svc_named[k] = 1;
	return k;
}

static int svc_key_v6(int k)
{
	return k / (SVC_NPORTS * 2) >= SVC_V4;
}

/* The virtual address of key @k: 10.96.0.1-12, fd00:96::1-6. */
static size_t svc_vip(uint8_t *a, int k)
{
	int i = k / (SVC_NPORTS * 2);

	memset(a, 0, 16);
	if (!svc_key_v6(k)) {
		a[0] = 10; a[1] = 96; a[3] = (uint8_t)(1 + i);
		return 4;
	}
	a[0] = 0xfd; a[3] = 0x96; a[15] = (uint8_t)(1 + i - SVC_V4);
	return 16;
}

/*
 * One backend of a service of family @v6, the @i-th: distinct addresses
 * in 10.244/16 or fd02:44::/64 (or, with mistakes, a few that repeat),
 * the service's port or another, weights and states in range or not.
 */
static long gen_backend(struct msg *m, int v6, int i)
{
	static const uint32_t w[] = { 0, 1, 1, 1, 2, 10, 100, BACKEND_MAX_WEIGHT };
	long n = nest(m, !bad(10) ? 0 : (uint16_t)rn(8));
	uint8_t a[20] = { 0 };
	size_t alen = v6 ? 16 : 4;

	if (!v6) {
		a[0] = 10; a[1] = 244;
	} else {
		a[0] = 0xfd; a[1] = 0x02; a[3] = 0x44;
	}
	a[alen - 2] = (uint8_t)(i / 36);
	a[alen - 1] = (uint8_t)(1 + (i % 36) * 7 + rn(7));
	switch (pick(24)) {
	case 0: a[alen - 2] = 0; a[alen - 1] = (uint8_t)(1 + rn(3)); break;	/* repeats */
	case 1: alen = v6 ? 4 : 16; break;		/* the other family */
	case 2: memset(a, 0, sizeof(a)); break;		/* not unicast */
	case 3: a[0] = v6 ? 0xff : 239; break;
	case 4: memset(a, 0xff, sizeof(a)); break;
	case 5: alen = rn(21); break;
	}
	if (!bad(4))
		m_put(m, B_ADDR, a, alen);
	if (chance(50)) {
		static const uint16_t p[] = { 0, 8080, 8443, 53, 80, 443 };
		uint16_t port = chance(80) ? p[rn(6)] : (uint16_t)r64();

		if (bad(3))
			put_u32(m, B_PORT, port);	/* wrong size */
		else
			put_u16(m, B_PORT, port);
	}
	if (chance(50)) {
		uint32_t v = w[rn(8)];

		switch (pick(8)) {
		case 0: v = BACKEND_MAX_WEIGHT + 1; break;
		case 1: v = BACKEND_MAX_WEIGHT + 1 + (uint32_t)rn(0xffff0000); break;
		case 2: v = 0xffffffff; break;
		}
		if (bad(3))
			put_u16(m, B_WEIGHT, (uint16_t)v);	/* wrong size */
		else
			put_u32(m, B_WEIGHT, v);
	}
	if (chance(50)) {
		uint8_t st = (uint8_t)rn(BS_MAX + 1);

		if (bad(8))
			st = (uint8_t)(BS_MAX + 1 + rn(255 - BS_MAX));
		if (bad(3))
			put_u32(m, B_STATE, st);	/* wrong size */
		else
			put_u8(m, B_STATE, st);
	}
	if (bad(2))
		gen_random_attrs(m, 1 + (int)rn(2), B_MAX + 2, 1);
	nest_end(m, n);
	return n;
}

/*
 * One service: a key of the pool (or, with mistakes, a wrong family,
 * address, port or protocol, a part missing), to remove or with its
 * affinity and backends (duplicates and other mistakes included).
 */
static long gen_service(struct msg *m, int big)
{
	static const uint32_t aff[] = { 0, 1, 60, 10800, SVC_MAX_AFFINITY };
	static const uint8_t badproto[] = { 0, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_SCTP,
					    IPPROTO_UDPLITE, 255 };
	long n = nest(m, !bad(10) ? 0 : (uint16_t)rn(8)), bn, last = -1;
	int k = svc_pick_key(), v6 = svc_key_v6(k), bv6 = v6, i, nb;
	int remove = chance(12);
	uint8_t a[20];
	size_t alen = svc_vip(a, k);
	uint16_t fam = v6 ? AF_INET6 : AF_INET;
	uint16_t port = svc_ports[(k / 2) % SVC_NPORTS];
	uint8_t proto = k % 2 ? IPPROTO_UDP : IPPROTO_TCP;

	switch (pick(30)) {
	case 0: fam = v6 ? AF_INET : AF_INET6; break;	/* family/address mismatch */
	case 1: fam = (uint16_t)rn(50); break;
	case 2: memset(a, 0, sizeof(a)); break;		/* not unicast */
	case 3: a[0] = v6 ? 0xff : 224; break;
	case 4: memset(a, 0xff, sizeof(a)); break;
	case 5: alen = rn(21); break;
	case 6: port = 0; break;
	case 7: proto = badproto[rn(6)]; break;
	case 8: proto = (uint8_t)r64(); break;
	case 9: bv6 = !v6; break;			/* backends of the other family */
	}
	if (!bad(3)) {
		if (bad(3))
			put_u32(m, S_FAMILY, fam);	/* wrong size */
		else
			put_u16(m, S_FAMILY, fam);
	}
	if (!bad(3))
		m_put(m, S_ADDR, a, alen);
	if (!bad(3)) {
		if (bad(3))
			put_u8(m, S_PORT, (uint8_t)port);
		else
			put_u16(m, S_PORT, port);
	}
	if (!bad(3))
		put_u8(m, S_PROTO, proto);
	if (remove || chance(5)) {
		uint32_t f = remove ? SF_REMOVE : 0;

		switch (pick(10)) {
		case 0: f = SF_REMOVE << 1; break;
		case 1: f = 0x80000000; break;
		case 2: f = (uint32_t)r64(); break;
		}
		put_u32(m, S_FLAGS, f);
	}
	if ((!remove && chance(30)) || bad(3)) {
		uint32_t v = aff[rn(5)];

		switch (pick(8)) {
		case 0: v = SVC_MAX_AFFINITY + 1; break;
		case 1: v = 0xffffffff; break;
		}
		put_u32(m, S_AFFINITY, v);
	}
	if (!remove || bad(5)) {
		bn = nest(m, S_BACKENDS);
		nb = big ? 20 + (int)rn(SVC_BIG_MAX - 19) : chance(10) ? 0 : 1 + (int)rn(6);
		for (i = 0; i < nb && !m->full; i++)
			last = gen_backend(m, bv6, i);
		if (bad(4))	/* the same backend twice */
			m_dup(m, last);
		nest_end(m, bn);
	}
	if (bad(3))	/* read only */
		put_u32(m, S_NUM_BACKENDS, (uint32_t)rn(10));
	if (bad(2))
		gen_random_attrs(m, 1 + (int)rn(3), S_MAX + 2, 2);
	nest_end(m, n);
	return n;
}

/*
 * A GET_SERVICES filter: TWILL_A_SERVICES with the key of pool key @k
 * (< 0: any, with mistakes: no service or two, a part missing, of the
 * wrong size or a bad value, what only SET_SERVICES takes).
 */
static void gen_svc_filter(struct msg *m, int k)
{
	long l = nest(m, A_SERVICES), sv;
	int i, n = 1, kk;
	uint8_t a[16];
	size_t alen;
	uint16_t fam, port;
	uint8_t proto;

	if (k < 0 && bad(10))
		n = chance(50) ? 0 : 2;
	for (i = 0; i < n; i++) {
		kk = k >= 0 ? k : (int)rn(SVC_KEYS);
		alen = svc_vip(a, kk);
		fam = alen == 4 ? AF_INET : AF_INET6;
		port = svc_ports[(kk / 2) % SVC_NPORTS];
		proto = kk % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		switch (k >= 0 ? 20 : pick(20)) {
		case 0: fam = alen == 4 ? AF_INET6 : AF_INET; break;
		case 1: alen = rn(17); break;
		case 2: port = 0; break;
		case 3: proto = IPPROTO_SCTP; break;
		case 4: a[0] = alen == 4 ? 224 : 0xff; break;
		}
		sv = nest(m, 0);
		if (k >= 0 || !bad(4))
			put_u16(m, S_FAMILY, fam);
		if (k >= 0 || !bad(4))
			m_put(m, S_ADDR, a, alen);
		if (k >= 0 || !bad(4))
			put_u16(m, S_PORT, port);
		if (k >= 0 || !bad(4))
			put_u8(m, S_PROTO, proto);
		if (k < 0 && bad(4)) {
			switch (rn(4)) {
			case 0: put_u32(m, S_FLAGS, 0); break;
			case 1: put_u32(m, S_AFFINITY, 60); break;
			case 2: nest_end(m, nest(m, S_BACKENDS)); break;
			default: put_u32(m, S_NUM_BACKENDS, 1); break;
			}
		}
		nest_end(m, sv);
	}
	nest_end(m, l);
}

/* TWILL_A_SERVICES with @count services (a service twice, with mistakes). */
static void gen_svc_list(struct msg *m, int count)
{
	long n = nest(m, A_SERVICES), last = -1;
	int i, big = chance(3) ? (int)rn((uint32_t)count + 1) : -1;

	for (i = 0; i < count && !m->full; i++)
		last = gen_service(m, i == big);
	if (bad(4))
		m_dup(m, last);
	if (bad(2))
		gen_random_attrs(m, 1 + (int)rn(2), S_MAX + 2, 1);
	nest_end(m, n);
}

/* A Maglev size: mostly small primes (a table is built per service). */
static uint32_t gen_maglev_size(void)
{
	static const uint32_t primes[] = { MAGLEV_MIN_SIZE, 13, 251, 1021, 4093,
					   MAGLEV_DEFAULT_SIZE, MAGLEV_DEFAULT_SIZE, 65521 };
	static const uint32_t nonprimes[] = { 0, 1, 2, 5, 9, 1000, 16383, 16384,
					      MAGLEV_MAX_SIZE + 1, 131101, 1U << 20,
					      0xffffffff };

	if (bad(25))
		return nonprimes[rn(12)];
	if (chance(1))
		return MAGLEV_MAX_SIZE;
	return primes[rn(8)];
}

/*
 * TWILL_A_MAX_SERVICES, _MAX_BACKENDS, _MAGLEV_SIZE: mostly generous (so
 * services can still be added), with mistakes 0, small, past the policy's
 * range or of the wrong size.
 */
static void gen_svc_limits(struct msg *m)
{
	static const uint32_t ms[] = { 1024, SVC_DEFAULT_MAX_SERVICES,
				       SVC_DEFAULT_MAX_SERVICES, 65536,
				       SVC_MAX_SERVICES_LIMIT };
	static const uint32_t mb[] = { 4096, SVC_DEFAULT_MAX_BACKENDS,
				       SVC_DEFAULT_MAX_BACKENDS, 1U << 20,
				       SVC_MAX_BACKENDS_LIMIT };
	uint32_t v;

	if (chance(40)) {
		v = ms[rn(5)];
		switch (pick(10)) {
		case 0: v = 0; break;
		case 1: v = 1 + rn(16); break;
		case 2: v = SVC_MAX_SERVICES_LIMIT + 1; break;
		case 3: v = 0xffffffff; break;
		}
		put_u32(m, A_MAX_SERVICES, v);
	}
	if (chance(40)) {
		v = mb[rn(5)];
		switch (pick(10)) {
		case 0: v = 0; break;
		case 1: v = 1 + rn(64); break;
		case 2: v = SVC_MAX_BACKENDS_LIMIT + 1; break;
		case 3: v = 0xffffffff; break;
		}
		put_u32(m, A_MAX_BACKENDS, v);
	}
	if (chance(40)) {
		v = gen_maglev_size();
		if (bad(3))
			put_u16(m, A_MAGLEV_SIZE, (uint16_t)v);	/* wrong size */
		else
			put_u32(m, A_MAGLEV_SIZE, v);
	}
}

static uint32_t gen_svc_flags(void)
{
	static const uint32_t f[] = { 0, 0, 0, F_REPLACE_SERVICES, F_STAGE,
				      F_STAGE | F_REPLACE_SERVICES, F_REPLACE_PEERS,
				      F_REPLACE_PEERS | F_REPLACE_SERVICES, F_ALL + 1,
				      0x80000000 };

	return g_clean ? f[rn(4)] : f[rn(10)];
}

/*
 * A SET_SERVICES body; flags < 0: random.  With mistakes, attributes the
 * command does not take (SET_DEVICE's, read-only ones) and junk.
 */
static void gen_svc_body(struct msg *m, long flags)
{
	int order = (int)rn(2);

	st_svc_sets++;
	if (order == 0)
		gen_target(m);
	if (flags >= 0)
		put_u32(m, A_FLAGS, (uint32_t)flags);
	else if (chance(60))
		put_u32(m, A_FLAGS, gen_svc_flags());
	if (order == 1)
		gen_target(m);
	if (chance(20))
		gen_svc_limits(m);
	if (chance(85))
		gen_svc_list(m, chance(8) ? 0 : 1 + (int)rn(chance(10) ? 10 : 4));
	if (bad(4)) {
		switch (rn(4)) {
		case 0: gen_peers(m); break;
		case 1: gen_settings(m); break;
		case 2: gen_nat(m); break;
		default: put_u32(m, A_MAX_PEERS, 65536); break;
		}
	}
	if (bad(3)) {	/* read only */
		if (chance(50)) {
			put_u32(m, (uint16_t)(A_NUM_SERVICES + rn(2)), (uint32_t)r64());
		} else {
			long st = nest(m, A_SERVICE_STATS);
			uint64_t v = r64();

			m_put(m, (uint16_t)(1 + rn(SVC_STAT_MAX)), &v, 8);
			nest_end(m, st);
		}
	}
	if (bad(2))
		gen_random_attrs(m, 1 + (int)rn(3), A_MAX + 2, 2);
	if (bad(2))
		gen_deep(m, 1 + (int)rn(40));
}

/*
 * A service message: SET_SERVICES, GET_SERVICES dumps (and without
 * NLM_F_DUMP, which is refused), SET_SERVICES as a dump, the
 * notification command, the commands with each other's bodies.
 */
static void gen_svc_message(struct msg *m, uint16_t flags)
{
	int k = (int)rn(g_clean ? 65 : 100);

	svc_tx_reset();
	if (k < 40) {
		m_init(m, family_id, flags, C_SET_SERVICES);
		gen_svc_body(m, -1);
	} else if (k < 65) {
		m_init(m, family_id, flags | NLM_F_DUMP, C_GET_SERVICES);
		if (!bad(10))
			gen_target(m);
		if (chance(40))		/* filtered to one service */
			gen_svc_filter(m, -1);
		if (bad(10))
			gen_random_attrs(m, 1 + (int)rn(3), A_MAX + 2, 2);
	} else if (k < 75) {	/* a dump command without NLM_F_DUMP */
		uint16_t half = chance(50) ? 0 : chance(50) ? NLM_F_ROOT : NLM_F_MATCH;

		m_init(m, family_id, flags | half, C_GET_SERVICES);
		gen_target(m);
	} else if (k < 83) {	/* a do command as a dump */
		m_init(m, family_id, flags | NLM_F_DUMP, C_SET_SERVICES);
		gen_svc_body(m, -1);
	} else if (k < 89) {	/* the notification */
		m_init(m, family_id, flags | (chance(30) ? NLM_F_DUMP : 0),
		       C_SERVICES_CHANGED);
		if (chance(50))
			gen_svc_body(m, -1);
		else
			gen_target(m);
	} else if (k < 95) {	/* SET_DEVICE does not take services */
		m_init(m, family_id, flags, C_SET);
		gen_target(m);
		if (chance(50))
			gen_svc_limits(m);
		gen_svc_list(m, 1 + (int)rn(3));
	} else {		/* GET_SERVICES with SET_SERVICES's attributes */
		m_init(m, family_id, flags | NLM_F_DUMP, C_GET_SERVICES);
		gen_svc_body(m, -1);
	}
}

/* One message of a random kind (flags include NLM_F_ACK mostly). */
static void gen_message(struct msg *m)
{
	uint16_t flags = NLM_F_REQUEST | (chance(90) ? NLM_F_ACK : 0);
	int k;

	g_clean = chance(40);
	if (chance(20)) {
		gen_svc_message(m, flags);
		m_finish(m);
		return;
	}
	k = (int)rn(g_clean ? 72 : 100);

	if (k < 15) {
		m_init(m, family_id, flags | NLM_F_DUMP, chance(30) ? C_GET_FLOWS : C_GET);
		if (!bad(10))
			gen_target(m);
		if (bad(10))
			gen_random_attrs(m, 1 + (int)rn(3), A_MAX + 2, 2);
	} else if (k < 55) {
		m_init(m, family_id, flags, C_SET);
		gen_set_body(m, -1);
	} else if (k < 72) {
		m_init(m, family_id, flags, C_LOOKUP);
		gen_lookup_body(m);
	} else if (k < 80) {	/* notification commands */
		m_init(m, family_id, flags | (chance(30) ? NLM_F_DUMP : 0),
		       (uint8_t)(C_DEV_CHANGED + rn(4)));
		if (chance(50))
			gen_set_body(m, -1);
		else
			gen_target(m);
	} else if (k < 86) {	/* out of range commands */
		static const uint8_t c[] = { 0, C_MAX + 1, C_MAX + 2, 64, 128, 255 };

		m_init(m, family_id, flags | (chance(30) ? NLM_F_DUMP : 0), c[rn(6)]);
		if (chance(50))
			gen_set_body(m, -1);
	} else if (k < 90) {	/* a command without its usual form */
		m_init(m, family_id, flags | (chance(50) ? NLM_F_DUMP : 0),
		       chance(20) ? C_GET_FLOWS : (uint8_t)(C_GET + rn(3)));
		if (chance(50))
			gen_lookup_body(m);
		else
			gen_set_body(m, -1);
	} else if (k < 95) {	/* nothing but random attributes */
		m_init(m, family_id, flags | (chance(20) ? NLM_F_DUMP : 0),
		       (uint8_t)rn(C_MAX + 2));
		gen_random_attrs(m, 1 + (int)rn(10), A_MAX + 4, 3);
	} else {		/* deep nesting */
		m_init(m, family_id, flags, chance(70) ? C_SET : C_LOOKUP);
		gen_target(m);
		gen_deep(m, 1 + (int)rn(80));
	}
	m_finish(m);
}

/* ------------------------------------------------------------------ */
/* mutations of a finished message                                    */

static uint16_t random_type(void)
{
	switch (rn(8)) {
	case 0: return (uint16_t)rn(NLMSG_MIN_TYPE);	/* control messages */
	case 1: return GENL_ID_CTRL;
	case 2:
	case 3: {
		uint16_t t = (uint16_t)(family_id + (rn(2) ? 1 : -1));
		int i;

		for (i = 0; i < n_other_ids; i++)
			if (other_ids[i] == t)
				return family_id;
		return t;
	}
	case 4:
	case 5: {
		/* an id no family has: never send junk to another family */
		uint16_t t;
		int i, tries;

		for (tries = 0; tries < 100; tries++) {
			t = (uint16_t)(0x100 + rn(0xfe00));
			for (i = 0; i < n_other_ids; i++)
				if (other_ids[i] == t)
					break;
			if (i == n_other_ids && t != family_id)
				return t;
		}
		return 0xfff0;
	}
	default: return family_id;
	}
}

static void mutate(struct msg *m)
{
	struct nlmsghdr *h = mh(m);
	struct genlmsghdr *g = (struct genlmsghdr *)(m->b + NLMSG_HDRLEN);
	int rounds = 1 + (chance(25) ? (int)rn(3) : 0), r;

	for (r = 0; r < rounds; r++) {
		switch (rn(14)) {
		case 0:	/* nlmsg_len */
			m->badlen = 1;
			switch (rn(5)) {
			case 0: h->nlmsg_len = (uint32_t)rn(NLMSG_HDRLEN + 1); break;
			case 1: h->nlmsg_len = (uint32_t)(m->len + 1 + rn(64)); break;
			case 2: h->nlmsg_len = (uint32_t)r64(); break;
			default: h->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + rn((uint32_t)m->len)); break;
			}
			break;
		case 1:	/* type: only control types, nlctrl, unused ids */
			h->nlmsg_type = random_type();
			break;
		case 2:	/* flags */
			if (chance(50))
				h->nlmsg_flags ^= (uint16_t)(1u << rn(16));
			else
				h->nlmsg_flags = (uint16_t)r64();
			if (h->nlmsg_type == GENL_ID_CTRL)	/* nlctrl: requests only */
				h->nlmsg_flags |= NLM_F_REQUEST;
			break;
		case 3:	/* genl header */
			switch (rn(3)) {
			case 0: g->cmd = (uint8_t)r64(); break;
			case 1: g->version = (uint8_t)r64(); break;
			default: g->reserved = (uint16_t)r64(); break;
			}
			break;
		case 4:	/* short: no room for the genl header */
			m->len = NLMSG_HDRLEN + rn(GENL_HDRLEN);
			h->nlmsg_len = (uint32_t)m->len;
			m->na = 0;
			break;
		case 5:
		case 6: {	/* an attribute's length: short, long, overlapping */
			struct nlattr *a;
			size_t off, room;

			if (!m->na)
				break;
			off = m->aoff[rn((uint32_t)m->na)];
			if (off + NLA_HDRLEN > m->len)
				break;
			a = (struct nlattr *)(m->b + off);
			room = m->len - off;
			switch (rn(6)) {
			case 0: a->nla_len = (uint16_t)rn(NLA_HDRLEN); break;
			case 1: a->nla_len = (uint16_t)(a->nla_len - 1 - rn(a->nla_len ? a->nla_len : 1)); break;
			case 2: a->nla_len = (uint16_t)(a->nla_len + 1 + rn(16)); break;
			case 3: a->nla_len = (uint16_t)(room - rn(8)); break;
			case 4: a->nla_len = (uint16_t)(room + rn(64)); break;
			default: a->nla_len = 0xffff; break;
			}
			break;
		}
		case 7: {	/* an attribute's type and flag bits */
			struct nlattr *a;
			size_t off;

			if (!m->na)
				break;
			off = m->aoff[rn((uint32_t)m->na)];
			if (off + NLA_HDRLEN > m->len)
				break;
			a = (struct nlattr *)(m->b + off);
			switch (rn(4)) {
			case 0: a->nla_type ^= NLA_F_NESTED; break;
			case 1: a->nla_type ^= NLA_F_NET_BYTEORDER; break;
			case 2: a->nla_type = (uint16_t)((a->nla_type & 0xc000) | rn(A_MAX + 3)); break;
			default: a->nla_type = (uint16_t)r64(); break;
			}
			break;
		}
		case 8:
		case 9: {	/* an attribute's payload */
			struct nlattr *a;
			size_t off, plen, i, k;

			if (!m->na)
				break;
			off = m->aoff[rn((uint32_t)m->na)];
			if (off + NLA_HDRLEN > m->len)
				break;
			a = (struct nlattr *)(m->b + off);
			plen = a->nla_len > NLA_HDRLEN ? a->nla_len - NLA_HDRLEN : 0;
			if (off + NLA_HDRLEN + plen > m->len)
				plen = m->len - off - NLA_HDRLEN;
			for (k = 1 + rn(4), i = 0; plen && i < k; i++)
				m->b[off + NLA_HDRLEN + rn((uint32_t)plen)] ^= (uint8_t)(1 + rn(255));
			break;
		}
		case 10:	/* cut, with nlmsg_len fixed: nests overflow */
			if (m->len > NLMSG_HDRLEN + GENL_HDRLEN)
				m->len = NLMSG_HDRLEN + GENL_HDRLEN +
					 rn((uint32_t)(m->len - NLMSG_HDRLEN - GENL_HDRLEN));
			h->nlmsg_len = (uint32_t)m->len;
			break;
		case 11: {	/* garbage appended */
			size_t k = 1 + rn(64);

			if (m->len + k < MSG_MAX) {
				rbytes(m->b + m->len, k);
				m->len += k;
				h->nlmsg_len = (uint32_t)m->len;
			}
			break;
		}
		case 12: {	/* body replaced by random bytes */
			size_t k = rn(256);

			m->len = NLMSG_HDRLEN + GENL_HDRLEN + k;
			rbytes(m->b + NLMSG_HDRLEN + GENL_HDRLEN, k);
			h->nlmsg_len = (uint32_t)m->len;
			m->na = 0;
			m->garbage = 1;
			break;
		}
		default: {	/* random bytes over random places */
			size_t i, k = 1 + rn(8);

			for (i = 0; i < k; i++) {
				size_t at = NLMSG_HDRLEN + rn((uint32_t)(m->len - NLMSG_HDRLEN));

				if (at < m->len)
					m->b[at] = (uint8_t)r64();
			}
			break;
		}
		}
	}
	/* nlmsg_len always describes what is sent unless mutated above */
	if (!m->badlen)
		h->nlmsg_len = (uint32_t)m->len;
}

/* ------------------------------------------------------------------ */
/* sockets                                                            */

struct nlsock {
	int fd;
	uint32_t portid;
	int ext_ack, cap_ack;
};

static int sock_open(struct nlsock *s, int ext_ack, int cap_ack, int strict)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t sl = sizeof(sa);
	int one = 1, big = 4 << 20;

	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (s->fd < 0) {
		perror("nlfuzz: socket");
		return -1;
	}
	if (bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &sl) < 0) {
		perror("nlfuzz: bind");
		close(s->fd);
		return -1;
	}
	s->portid = sa.nl_pid;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	s->ext_ack = ext_ack;
	s->cap_ack = cap_ack;
	if (ext_ack)
		setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	if (cap_ack)
		setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (strict)
		setsockopt(s->fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	return 0;
}

static void sock_close(struct nlsock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int send_buf(struct nlsock *s, const void *buf, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(s->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* resolving the family                                               */

static uint8_t rbuf[1 << 19];

static int walk_attrs(const uint8_t *p, size_t len,
		      int (*cb)(void *arg, const struct nlattr *a), void *arg)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		size_t step;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return -1;
		if (cb && cb(arg, a))
			return -1;
		step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			return 0;
		p += step;
		len -= step;
	}
	return len ? -1 : 0;
}

#define NLA_DATA(a) ((const uint8_t *)(a) + NLA_HDRLEN)
#define NLA_PLEN(a) ((size_t)(a)->nla_len - NLA_HDRLEN)
#define NLA_T(a) ((a)->nla_type & NLA_TYPE_MASK)

static int grp_cb(void *arg, const struct nlattr *a)
{
	uint32_t *id = arg;

	if (NLA_T(a) == CTRL_ATTR_MCAST_GRP_ID && NLA_PLEN(a) == 4)
		memcpy(&id[1], NLA_DATA(a), 4);
	if (NLA_T(a) == CTRL_ATTR_MCAST_GRP_NAME &&
	    !strncmp((const char *)NLA_DATA(a), "events", NLA_PLEN(a)))
		id[0] = 1;
	return 0;
}

static int grps_cb(void *arg, const struct nlattr *a)
{
	uint32_t id[2] = { 0, 0 };

	walk_attrs(NLA_DATA(a), NLA_PLEN(a), grp_cb, id);
	if (id[0])
		*(uint32_t *)arg = id[1];
	return 0;
}

struct famctx {
	uint16_t id;
	int ours;
};

static int fam_cb(void *arg, const struct nlattr *a)
{
	struct famctx *f = arg;

	if (NLA_T(a) == CTRL_ATTR_FAMILY_ID && NLA_PLEN(a) == 2)
		memcpy(&f->id, NLA_DATA(a), 2);
	if (NLA_T(a) == CTRL_ATTR_FAMILY_NAME &&
	    !strncmp((const char *)NLA_DATA(a), "twill", NLA_PLEN(a)))
		f->ours = 1;
	if (NLA_T(a) == CTRL_ATTR_MCAST_GROUPS && f->ours)
		walk_attrs(NLA_DATA(a), NLA_PLEN(a), grps_cb, &events_grp);
	return 0;
}

/* Dump every family: ours gives the id and the events group, the others
 * are ids the mutations must never hit. */
static int resolve_family(void)
{
	struct nlsock s;
	struct msg *m = calloc(1, sizeof(*m));
	int done = 0;

	if (!m || sock_open(&s, 1, 1, 0))
		return -1;
	m_init(m, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_DUMP, CTRL_CMD_GETFAMILY);
	m_finish(m);
	mh(m)->nlmsg_seq = 1;
	if (send_buf(&s, m->b, m->len)) {
		perror("nlfuzz: send GETFAMILY");
		return -1;
	}
	while (!done) {
		ssize_t n = recv(s.fd, rbuf, sizeof(rbuf), 0);
		const struct nlmsghdr *h = (const void *)rbuf;
		size_t rem = n > 0 ? (size_t)n : 0;

		if (n <= 0) {
			perror("nlfuzz: recv GETFAMILY");
			return -1;
		}
		for (; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
			struct famctx f = { 0, 0 };

			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			walk_attrs((const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN,
				   h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, fam_cb, &f);
			if (f.ours)
				family_id = f.id;
			else if (n_other_ids < 256)
				other_ids[n_other_ids++] = f.id;
		}
	}
	sock_close(&s);
	free(m);
	return family_id ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* reply checking                                                     */

/* a service's key in replies: family(2) address(16) port(2) protocol(1) */
#define SVC_KEYLEN 21

struct pend {
	struct msg *m;
	uint32_t seq;
	int strict;		/* headers intact: replies are predictable */
	uint16_t type, flags;
	uint8_t cmd;
	int is_dump;		/* a dump should start (ours or nlctrl) */
	int want_term;		/* an error/ack or DONE must come */
	int got_term;
	int got_ack;		/* error 0 */
	int err;
	int lookup_replies;
	int expect;		/* 1: expect err == expect_err */
	int expect_err;
	/* dump state */
	int dump_msgs, dump_done, dump_intr, dump_error;
	int have_gen;
	uint32_t gen, ifindex, num_peers, num_prefixes;
	int have_nums;
	int lastep_len;
	uint8_t lastep[28];
	int bad_dump;	/* an anomaly already reported for this dump */
	/* GET_SERVICES dump state: the last message's figures and last key */
	uint32_t num_services, num_backends, max_services, max_backends, maglev_size;
	int lastsvc_ok;
	uint8_t lastsvc[SVC_KEYLEN];
	/* GET_SERVICES with a filter (TWILL_A_SERVICES): its key, or bad */
	int svc_filter, filter_bad;
	uint8_t filter_key[SVC_KEYLEN];
};

#define MAX_PEND (BATCH_MAX + 2)
static struct pend pend[MAX_PEND];
static int npend;
static int exch_strict;

/* endpoints and prefixes seen in the current dump */
struct epent {
	uint8_t key[28];
	int len;
	uint32_t seen, reported, listed;
};
static struct epent *eps;
static size_t neps, caps_eps;
#define PFX_HASH (1 << 16)
static uint8_t (*pfxset)[18];	/* family(1) cidr(1) addr(16); [0] = 0: empty */
static size_t npfx;
static long dump_prefixes;
/* services seen in the current GET_SERVICES dump, keyed by SVC_KEYLEN */
static struct epent *svcs;
static size_t nsvcs, caps_svcs;
static long dump_backends;


static void bk_reset(void);

static void dump_reset(void)
{
	neps = 0;
	nsvcs = 0;
	dump_backends = 0;
	bk_reset();
	if (npfx)
		memset(pfxset, 0, PFX_HASH * sizeof(*pfxset));
	npfx = 0;
	dump_prefixes = 0;
}

static struct epent *ent_find(struct epent **v, size_t *n, size_t *cap,
			      const uint8_t *k, int len, int add)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if ((*v)[i].len == len && !memcmp((*v)[i].key, k, (size_t)len))
			return &(*v)[i];
	if (!add)
		return NULL;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v) {
			perror("nlfuzz: realloc");
			exit(2);
		}
	}
	memset(&(*v)[*n], 0, sizeof((*v)[*n]));
	memcpy((*v)[*n].key, k, (size_t)len);
	(*v)[*n].len = len;
	return &(*v)[(*n)++];
}

static struct epent *ep_find(const uint8_t *k, int len, int add)
{
	return ent_find(&eps, &neps, &caps_eps, k, len, add);
}

static struct epent *svc_find(const uint8_t *k, int add)
{
	return ent_find(&svcs, &nsvcs, &caps_svcs, k, SVC_KEYLEN, add);
}

/* Returns 1 if the prefix was already in the set. */
static int pfx_add(int fam, int cidr, const uint8_t *addr, int alen)
{
	uint8_t k[18] = { (uint8_t)fam, (uint8_t)cidr };
	uint32_t h = 2166136261u;
	size_t i;

	memcpy(k + 2, addr, (size_t)alen);
	for (i = 0; i < 18; i++)
		h = (h ^ k[i]) * 16777619u;
	if (npfx >= PFX_HASH / 2)
		return 0;	/* too many to track: no check */
	for (i = h & (PFX_HASH - 1);; i = (i + 1) & (PFX_HASH - 1)) {
		if (!pfxset[i][0]) {
			memcpy(pfxset[i], k, 18);
			npfx++;
			return 0;
		}
		if (!memcmp(pfxset[i], k, 18))
			return 1;
	}
}

/*
 * Sets of FLOW_HASH 64-bit hashes: the flows seen in the current GET_FLOWS
 * dump (their orig tuple), the backends seen in the current GET_SERVICES
 * dump (service key, address, port).
 */
#define FLOW_HASH (1 << 16)
static uint64_t *flowset, *bkset;	/* 0: empty */
static size_t nflowset, nbkset;

static void hset_reset(uint64_t *set, size_t *n)
{
	if (*n)
		memset(set, 0, FLOW_HASH * sizeof(*set));
	*n = 0;
}

/* Returns 1 if the key was already in the set. */
static int hset_add(uint64_t *set, size_t *n, const uint8_t *key, size_t len)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ key[i]) * 1099511628211ULL;
	h |= 1;
	if (*n >= FLOW_HASH / 2)
		return 0;	/* too many to track: no check */
	for (i = h & (FLOW_HASH - 1);; i = (i + 1) & (FLOW_HASH - 1)) {
		if (!set[i]) {
			set[i] = h;
			(*n)++;
			return 0;
		}
		if (set[i] == h)
			return 1;
	}
}

static void flows_reset(void)
{
	hset_reset(flowset, &nflowset);
}

static int flow_add(const uint8_t *key, size_t len)
{
	return hset_add(flowset, &nflowset, key, len);
}

static void bk_reset(void)
{
	hset_reset(bkset, &nbkset);
}

/* validation of family messages: dump replies, lookup replies, events */
enum vmode { V_DUMP, V_LOOKUP, V_EVENT, V_FLOWS, V_SERVICES };

struct vctx {
	enum vmode mode;
	int cmd;		/* genl cmd of the message */
	const char *err;	/* first problem */
	char errbuf[160];
	int npeers, ifname_ok;
	int have_ifindex, have_gen;
	uint32_t ifindex, gen, num_peers, num_prefixes;
	int have_num_peers, have_num_prefixes;
	/* current peer */
	int p_eplen, p_has_mac, p_has_nump, p_has_pfx, p_flags_trunc;
	uint8_t p_ep[28];
	uint32_t p_nump;
	int p_npfx;
	/* the first and the last peer of a message (dump continuation) */
	int first_eplen, last_eplen;
	uint8_t first_ep[28], last_ep[28];
	int first_pfx, last_pfx;
	/* lookup */
	int l_fam, l_cidr, l_alen;
	uint8_t l_addr[16];
	/* NAT nest */
	int nat_n, nat_masq, nat_ports;
	uint16_t nat_pmin, nat_pmax;
	/* current flow: attributes seen, family, address sizes, tuple key */
	uint32_t f_have;
	int f_fam, f_alen[4];
	uint8_t f_key[40];
	int nflows;
	/* service settings and counts (GET_SERVICES, SERVICES_CHANGED) */
	uint32_t max_services, max_backends, maglev_size, num_services, num_backends;
	uint32_t have_svc;	/* bits 1 << A_MAX_SERVICES .. A_NUM_BACKENDS */
	int have_svcs, have_svc_stats, nsvcs;
	uint32_t most_backends;	/* the largest service's num_backends */
	/* current service and backend */
	uint32_t s_have, b_have;
	int s_fam, s_alen, s_nb;
	uint32_t s_numb;
	const struct nlattr *s_backends;
	uint8_t s_key[SVC_KEYLEN], last_svc[SVC_KEYLEN];
	uint8_t b_key[SVC_KEYLEN + 18];	/* service key, address, port */
	struct pend *p;
};

static int verr(struct vctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->err)
		return -1;
	va_start(ap, fmt);
	vsnprintf(c->errbuf, sizeof(c->errbuf), fmt, ap);
	va_end(ap);
	c->err = c->errbuf;
	return -1;
}

static int host_bits_clear(const uint8_t *a, int bytes, int cidr)
{
	int i;

	for (i = 0; i < bytes; i++) {
		int keep = cidr - i * 8;
		uint8_t mask = keep >= 8 ? 0 : keep <= 0 ? 0xff : (uint8_t)(0xff >> keep);

		if (a[i] & mask)
			return 0;
	}
	return 1;
}

static int drops_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;

	if (NLA_T(a) == 0 && NLA_PLEN(a) <= 8)
		return 0;	/* padding */
	if (NLA_PLEN(a) != 8)
		return verr(c, "drop counter %d has %zu bytes", NLA_T(a), NLA_PLEN(a));
	if (NLA_T(a) > DROP_MAX)
		st_unknown_attr++;
	return 0;
}

static int prefix_cb(void *arg, const struct nlattr *a)
{
	int *f = arg;	/* fam, cidr, alen, addr(16 bytes as ints) */

	switch (NLA_T(a)) {
	case X_FAMILY:
		if (NLA_PLEN(a) != 2)
			return -1;
		f[0] = *(const uint16_t *)NLA_DATA(a);
		break;
	case X_ADDR:
		if (NLA_PLEN(a) != 4 && NLA_PLEN(a) != 16)
			return -1;
		f[2] = (int)NLA_PLEN(a);
		memcpy(&f[3], NLA_DATA(a), NLA_PLEN(a));
		break;
	case X_CIDR:
		if (NLA_PLEN(a) != 1)
			return -1;
		f[1] = *NLA_DATA(a);
		break;
	case X_FLAGS:
		return -1;	/* never in replies */
	default:
		st_unknown_attr++;
	}
	return 0;
}

/* One prefix nest of a reply, checked: family, cidr, length, address in f. */
static int reply_prefix(struct vctx *c, const struct nlattr *a, int *f)
{
	const uint8_t *addr = (const uint8_t *)&f[3];

	if (walk_attrs(NLA_DATA(a), NLA_PLEN(a), prefix_cb, f))
		return verr(c, "malformed prefix");
	if (f[0] < 0 || f[1] < 0 || !f[2])
		return verr(c, "prefix lacks family, address or length");
	if (!((f[0] == AF_INET && f[2] == 4 && f[1] <= 32) ||
	      (f[0] == AF_INET6 && f[2] == 16 && f[1] <= 128)))
		return verr(c, "prefix family %d, %d bytes, /%d disagree", f[0], f[2], f[1]);
	if (!host_bits_clear(addr, f[2], f[1]))
		return verr(c, "prefix with host bits set");
	return 0;
}

static int prefixes_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	int f[3 + 4] = { -1, -1, 0, 0, 0, 0, 0 };
	const uint8_t *addr = (const uint8_t *)&f[3];

	if (reply_prefix(c, a, f))
		return -1;
	c->p_npfx++;
	if (c->mode == V_DUMP && pfx_add(f[0], f[1], addr, f[2]))
		return verr(c, "prefix listed twice in one dump");
	if (c->mode == V_LOOKUP) {
		c->l_fam = f[0];
		c->l_cidr = f[1];
		c->l_alen = f[2];
		memcpy(c->l_addr, addr, (size_t)f[2]);
	}
	return 0;
}

static int peer_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	const struct sockaddr *sa;

	switch (NLA_T(a)) {
	case P_ENDPOINT:
		sa = (const void *)NLA_DATA(a);
		if (!((NLA_PLEN(a) == sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) ||
		      (NLA_PLEN(a) == sizeof(struct sockaddr_in6) && sa->sa_family == AF_INET6)))
			return verr(c, "endpoint of %zu bytes, family %d", NLA_PLEN(a),
				    NLA_PLEN(a) >= 2 ? sa->sa_family : -1);
		if (!((const struct sockaddr_in *)sa)->sin_port)
			return verr(c, "endpoint with port 0");
		c->p_eplen = (int)NLA_PLEN(a);
		memcpy(c->p_ep, sa, NLA_PLEN(a));
		break;
	case P_FLAGS:
		if (NLA_PLEN(a) != 4)
			return verr(c, "peer flags of %zu bytes", NLA_PLEN(a));
		if (c->mode != V_EVENT || *(const uint32_t *)NLA_DATA(a) != PF_TRUNCATED)
			return verr(c, "peer flags 0x%x in a reply", *(const uint32_t *)NLA_DATA(a));
		c->p_flags_trunc = 1;
		break;
	case P_MAC:
		if (NLA_PLEN(a) != 6)
			return verr(c, "peer MAC of %zu bytes", NLA_PLEN(a));
		c->p_has_mac = 1;
		break;
	case P_PREFIXES:
		c->p_has_pfx = 1;
		if (walk_attrs(NLA_DATA(a), NLA_PLEN(a), prefixes_cb, c))
			return verr(c, "malformed prefix list");
		break;
	case P_RX_PACKETS: case P_RX_BYTES: case P_TX_PACKETS: case P_TX_BYTES:
	case P_LAST_RX:
		if (NLA_PLEN(a) != 8)
			return verr(c, "peer counter %d of %zu bytes", NLA_T(a), NLA_PLEN(a));
		if (c->mode != V_DUMP)
			return verr(c, "peer counter %d outside a dump", NLA_T(a));
		break;
	case P_DROPS:
		if (walk_attrs(NLA_DATA(a), NLA_PLEN(a), drops_cb, c))
			return verr(c, "malformed peer drops");
		break;
	case P_NUM_PREFIXES:
		if (NLA_PLEN(a) != 4)
			return verr(c, "peer num_prefixes of %zu bytes", NLA_PLEN(a));
		c->p_has_nump = 1;
		c->p_nump = *(const uint32_t *)NLA_DATA(a);
		break;
	case P_PAD:
		break;
	case P_DIRECT:
		if (NLA_PLEN(a) != 1 || *(const uint8_t *)NLA_DATA(a) > 1)
			return verr(c, "peer direct of %zu bytes or above 1", NLA_PLEN(a));
		break;
	default:
		st_unknown_attr++;
	}
	return 0;
}

static int peers_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;

	c->p_eplen = c->p_has_mac = c->p_has_nump = c->p_has_pfx = 0;
	c->p_flags_trunc = c->p_npfx = 0;
	if (walk_attrs(NLA_DATA(a), NLA_PLEN(a), peer_cb, c))
		return verr(c, "malformed peer");
	if (c->err)
		return -1;
	if (!c->p_eplen || !c->p_has_mac || !c->p_has_nump)
		return verr(c, "peer lacks endpoint, MAC or num_prefixes");
	if (c->npeers == 0) {
		c->first_eplen = c->p_eplen;
		memcpy(c->first_ep, c->p_ep, 28);
		c->first_pfx = c->p_npfx;
	}
	c->last_eplen = c->p_eplen;
	memcpy(c->last_ep, c->p_ep, 28);
	c->last_pfx = c->p_npfx;
	c->npeers++;

	if (c->mode == V_DUMP) {
		struct pend *p = c->p;
		struct epent *e = ep_find(c->p_ep, c->p_eplen, 0);
		int cont = c->npeers == 1 && p->lastep_len == c->p_eplen &&
			   !memcmp(p->lastep, c->p_ep, (size_t)c->p_eplen);

		if (!p->dump_intr && e && !cont)
			return verr(c, "peer listed twice in one dump (not a continuation)");
		if (!e)
			e = ep_find(c->p_ep, c->p_eplen, 1);
		if (e->seen && e->reported != c->p_nump && !p->dump_intr)
			return verr(c, "peer num_prefixes changed within a dump");
		e->seen++;
		e->reported = c->p_nump;
		e->listed += (uint32_t)c->p_npfx;
		dump_prefixes += c->p_npfx;
		if (!c->p_has_pfx)
			return verr(c, "dumped peer without prefixes attribute");
		if (c->p_npfx > (int)c->p_nump)
			return verr(c, "peer has %d prefixes listed, num_prefixes %u",
				    c->p_npfx, c->p_nump);
	} else if (c->mode == V_EVENT) {
		if (c->cmd == C_PEER_REMOVED) {
			if (c->p_has_pfx)
				return verr(c, "PEER_REMOVED with prefixes");
		} else {
			if (!c->p_has_pfx)
				return verr(c, "peer event without prefixes");
			if (!c->p_flags_trunc && c->p_npfx != (int)c->p_nump)
				return verr(c, "peer event lists %d prefixes, num_prefixes %u, not truncated",
					    c->p_npfx, c->p_nump);
			if (c->p_flags_trunc && c->p_npfx >= (int)c->p_nump)
				return verr(c, "truncated peer event lists all %d prefixes",
					    c->p_npfx);
		}
	} else {
		if (c->p_npfx != 1)
			return verr(c, "lookup reply with %d prefixes", c->p_npfx);
	}
	return 0;
}

static int nat_prefixes_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	int f[3 + 4] = { -1, -1, 0, 0, 0, 0, 0 };

	if (reply_prefix(c, a, f))
		return -1;
	c->nat_n++;
	return 0;
}

/* An attribute of TWILL_A_NAT in a reply or an event. */
static int nat_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	size_t l = NLA_PLEN(a);
	const uint8_t *d = NLA_DATA(a);
	int t = NLA_T(a);

	switch (t) {
	case N_MASQUERADE:
	case N_EXCLUDE:
		c->nat_n = 0;
		if (walk_attrs(d, l, nat_prefixes_cb, c))
			return verr(c, "malformed NAT prefix list");
		if (c->nat_n > NAT_MAX_PREFIXES)
			return verr(c, "NAT list of %d prefixes", c->nat_n);
		if (t == N_MASQUERADE)
			c->nat_masq = c->nat_n;
		break;
	case N_TO4:
	case N_TO6:
		if (l != (t == N_TO4 ? 4u : 16u))
			return verr(c, "NAT address %d of %zu bytes", t, l);
		break;
	case N_PORT_MIN:
	case N_PORT_MAX:
		if (l != 2)
			return verr(c, "NAT port %d of %zu bytes", t, l);
		if (t == N_PORT_MIN)
			memcpy(&c->nat_pmin, d, 2);
		else
			memcpy(&c->nat_pmax, d, 2);
		c->nat_ports |= t == N_PORT_MIN ? 1 : 2;
		break;
	case N_MAX_FLOWS:
	case N_NUM_FLOWS:
	case N_BUCKETS:
		if (l != 4)
			return verr(c, "NAT attribute %d of %zu bytes, want 4", t, l);
		if (t != N_NUM_FLOWS && !*(const uint32_t *)d)
			return verr(c, "NAT attribute %d is 0", t);
		break;
	case N_STATS:
		if (walk_attrs(d, l, drops_cb, c))
			return verr(c, "malformed NAT stats");
		break;
	case N_PAD:
		break;
	default:
		st_unknown_attr++;
	}
	return c->err ? -1 : 0;
}

static int check_nat(struct vctx *c, const uint8_t *d, size_t l)
{
	c->nat_masq = c->nat_ports = 0;
	if (walk_attrs(d, l, nat_cb, c))
		return verr(c, "malformed NAT nest");
	if (c->err)
		return -1;
	if (!c->nat_masq)
		return verr(c, "NAT nest without masquerade prefixes");
	if (c->nat_ports == 3 && c->nat_pmin > c->nat_pmax)
		return verr(c, "NAT ports %u-%u", c->nat_pmin, c->nat_pmax);
	return 0;
}

/* An attribute of one flow; f_key: family, proto, orig addresses, ports. */
static int flow_cb(void *arg, const struct nlattr *a)
{
	static const int key_off[FL_MAX + 1] = {
		[FL_ORIG_SRC] = 3, [FL_ORIG_DST] = 19,
		[FL_ORIG_SPORT] = 35, [FL_ORIG_DPORT] = 37,
	};
	struct vctx *c = arg;
	size_t l = NLA_PLEN(a);
	const uint8_t *d = NLA_DATA(a);
	int t = NLA_T(a);
	size_t want;

	switch (t) {
	case FL_FAMILY:
	case FL_ORIG_SPORT: case FL_ORIG_DPORT:
	case FL_REPLY_SPORT: case FL_REPLY_DPORT:
		want = 2;
		break;
	case FL_PROTO:
	case FL_STATE:
		want = 1;
		break;
	case FL_TIMEOUT:
		want = 4;
		break;
	case FL_ORIG_SRC: case FL_ORIG_DST:
	case FL_REPLY_SRC: case FL_REPLY_DST:
		if (l != 4 && l != 16)
			return verr(c, "flow address %d of %zu bytes", t, l);
		c->f_alen[(t == FL_ORIG_SRC ? 0 : t == FL_ORIG_DST ? 1 :
			   t == FL_REPLY_SRC ? 2 : 3)] = (int)l;
		want = l;
		break;
	default:
		st_unknown_attr++;
		return 0;
	}
	if (l != want)
		return verr(c, "flow attribute %d of %zu bytes, want %zu", t, l, want);
	if (c->f_have & (1u << t))
		return verr(c, "flow attribute %d twice", t);
	c->f_have |= 1u << t;
	if (t == FL_FAMILY)
		c->f_fam = *(const uint16_t *)d;
	if (t == FL_STATE && *d > FLOW_S_MAX)
		return verr(c, "flow state %u", *d);
	if (t == FL_FAMILY)
		memcpy(c->f_key, d, 2);
	else if (t == FL_PROTO)
		c->f_key[2] = *d;
	else if (key_off[t])
		memcpy(c->f_key + key_off[t], d, l);
	return 0;
}

static int flows_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	int i, alen;

	c->f_have = 0;
	c->f_fam = 0;
	memset(c->f_alen, 0, sizeof(c->f_alen));
	memset(c->f_key, 0, sizeof(c->f_key));
	if (walk_attrs(NLA_DATA(a), NLA_PLEN(a), flow_cb, c))
		return verr(c, "malformed flow");
	if (c->err)
		return -1;
	for (i = FL_FAMILY; i <= FL_MAX; i++)
		if (!(c->f_have & (1u << i)))
			return verr(c, "flow lacks attribute %d", i);
	if (c->f_fam != AF_INET && c->f_fam != AF_INET6)
		return verr(c, "flow of family %d", c->f_fam);
	alen = c->f_fam == AF_INET ? 4 : 16;
	for (i = 0; i < 4; i++)
		if (c->f_alen[i] != alen)
			return verr(c, "flow of family %d with a %d-byte address", c->f_fam,
				    c->f_alen[i]);
	c->nflows++;
	st_flows++;
	if (flow_add(c->f_key, sizeof(c->f_key)))
		return verr(c, "flow listed twice in one dump");
	return 0;
}

/* Unicast as the kernel means it for services and backends. */
static int unicast_addr(const uint8_t *a, size_t len)
{
	static const uint8_t any[16];

	if (len == 4)
		return a[0] != 0 && (a[0] & 0xf0) != 0xe0 &&
		       !(a[0] == 0xff && a[1] == 0xff && a[2] == 0xff && a[3] == 0xff);
	return memcmp(a, any, 16) && a[0] != 0xff;
}

static int is_prime(uint32_t n)
{
	uint32_t d;

	if (n < 2)
		return 0;
	for (d = 2; d * d <= n; d++)
		if (!(n % d))
			return 0;
	return 1;
}

/* An attribute of one backend: address, port, weight, state. */
static int backend_cb(void *arg, const struct nlattr *a)
{
	static const size_t want[B_MAX + 1] = {
		[B_PORT] = 2, [B_WEIGHT] = 4, [B_STATE] = 1,
	};
	struct vctx *c = arg;
	size_t l = NLA_PLEN(a);
	const uint8_t *d = NLA_DATA(a);
	int t = NLA_T(a);
	uint32_t v32;
	uint16_t v16;

	if (t == B_UNSPEC || t > B_MAX) {
		st_unknown_attr++;
		return 0;
	}
	if (c->b_have & (1u << t))
		return verr(c, "backend attribute %d twice", t);
	c->b_have |= 1u << t;
	if (want[t] && l != want[t])
		return verr(c, "backend attribute %d of %zu bytes, want %zu", t, l, want[t]);
	switch (t) {
	case B_ADDR:
		if (l != (size_t)c->s_alen)
			return verr(c, "backend address of %zu bytes in a service of family %d",
				    l, c->s_fam);
		if (!unicast_addr(d, l))
			return verr(c, "backend address is not unicast");
		memcpy(c->b_key + SVC_KEYLEN, d, l);
		break;
	case B_PORT:
		memcpy(&v16, d, 2);
		if (!v16)
			return verr(c, "backend port 0 (the service's port is filled in)");
		memcpy(c->b_key + SVC_KEYLEN + 16, d, 2);
		break;
	case B_WEIGHT:
		memcpy(&v32, d, 4);
		if (v32 > BACKEND_MAX_WEIGHT)
			return verr(c, "backend weight %u", v32);
		break;
	case B_STATE:
		if (*d > BS_MAX)
			return verr(c, "backend state %u", *d);
		break;
	}
	return 0;
}

static int backends_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	uint32_t all = (1u << B_ADDR) | (1u << B_PORT) | (1u << B_WEIGHT) | (1u << B_STATE);

	c->b_have = 0;
	memset(c->b_key, 0, sizeof(c->b_key));
	memcpy(c->b_key, c->s_key, SVC_KEYLEN);
	if (walk_attrs(NLA_DATA(a), NLA_PLEN(a), backend_cb, c))
		return verr(c, "malformed backend");
	if (c->err)
		return -1;
	if ((c->b_have & all) != all)
		return verr(c, "backend lacks attributes (has 0x%x)", c->b_have);
	c->s_nb++;
	st_backends++;
	/* the same address and port twice in a service is refused */
	if (c->mode == V_SERVICES && !c->p->dump_intr &&
	    hset_add(bkset, &nbkset, c->b_key, sizeof(c->b_key)))
		return verr(c, "backend listed twice in a service");
	return 0;
}

/* An attribute of one service; the backends are walked once it is read. */
static int svc_cb(void *arg, const struct nlattr *a)
{
	static const size_t want[S_MAX + 1] = {
		[S_FAMILY] = 2, [S_PORT] = 2, [S_PROTO] = 1, [S_AFFINITY] = 4,
		[S_NUM_BACKENDS] = 4,
	};
	struct vctx *c = arg;
	size_t l = NLA_PLEN(a);
	const uint8_t *d = NLA_DATA(a);
	int t = NLA_T(a);
	uint32_t v32;
	uint16_t v16;

	if (t == S_UNSPEC || t > S_MAX) {
		st_unknown_attr++;
		return 0;
	}
	if (t == S_FLAGS)
		return verr(c, "service flags in a reply");
	if (c->s_have & (1u << t))
		return verr(c, "service attribute %d twice", t);
	c->s_have |= 1u << t;
	if (want[t] && l != want[t])
		return verr(c, "service attribute %d of %zu bytes, want %zu", t, l, want[t]);
	switch (t) {
	case S_FAMILY:
		memcpy(&v16, d, 2);
		c->s_fam = v16;
		memcpy(c->s_key, d, 2);
		break;
	case S_ADDR:
		if (l != 4 && l != 16)
			return verr(c, "service address of %zu bytes", l);
		c->s_alen = (int)l;
		memcpy(c->s_key + 2, d, l);
		break;
	case S_PORT:
		memcpy(&v16, d, 2);
		if (!v16)
			return verr(c, "service port 0");
		memcpy(c->s_key + 18, d, 2);
		break;
	case S_PROTO:
		if (*d != IPPROTO_TCP && *d != IPPROTO_UDP)
			return verr(c, "service protocol %u", *d);
		c->s_key[20] = *d;
		break;
	case S_AFFINITY:
		memcpy(&v32, d, 4);
		if (v32 > SVC_MAX_AFFINITY)
			return verr(c, "service affinity %u", v32);
		break;
	case S_BACKENDS:
		c->s_backends = a;
		break;
	case S_NUM_BACKENDS:
		memcpy(&c->s_numb, d, 4);
		break;
	}
	return 0;
}

/*
 * The services of a GET_SERVICES dump are merged by key: a service may
 * appear again only first in the message after the one it ended, with the
 * rest of its backends.
 */
static int svc_dump_entry(struct vctx *c)
{
	struct pend *p = c->p;
	struct epent *e = svc_find(c->s_key, 0);
	int cont = c->nsvcs == 1 && p->lastsvc_ok &&
		   !memcmp(p->lastsvc, c->s_key, SVC_KEYLEN);

	if (!p->dump_intr && e && !cont)
		return verr(c, "service listed twice in one dump (not a continuation)");
	if (!e)
		e = svc_find(c->s_key, 1);
	if (e->seen && e->reported != c->s_numb && !p->dump_intr)
		return verr(c, "service num_backends %u -> %u within a dump", e->reported,
			    c->s_numb);
	e->seen++;
	e->reported = c->s_numb;
	e->listed += (uint32_t)c->s_nb;
	dump_backends += c->s_nb;
	if (e->listed > e->reported && !p->dump_intr)
		return verr(c, "service has %u backends listed, num_backends %u", e->listed,
			    e->reported);
	return 0;
}

static int svcs_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	uint32_t all = (1u << S_FAMILY) | (1u << S_ADDR) | (1u << S_PORT) |
		       (1u << S_PROTO) | (1u << S_AFFINITY) | (1u << S_BACKENDS) |
		       (1u << S_NUM_BACKENDS);

	c->s_have = 0;
	c->s_fam = c->s_alen = c->s_nb = 0;
	c->s_numb = 0;
	c->s_backends = NULL;
	memset(c->s_key, 0, sizeof(c->s_key));
	if (walk_attrs(NLA_DATA(a), NLA_PLEN(a), svc_cb, c))
		return verr(c, "malformed service");
	if (c->err)
		return -1;
	if ((c->s_have & all) != all)
		return verr(c, "service lacks attributes (has 0x%x)", c->s_have);
	if (!((c->s_fam == AF_INET && c->s_alen == 4) ||
	      (c->s_fam == AF_INET6 && c->s_alen == 16)))
		return verr(c, "service of family %d with a %d-byte address", c->s_fam,
			    c->s_alen);
	if (!unicast_addr(c->s_key + 2, (size_t)c->s_alen))
		return verr(c, "service address is not unicast");
	c->nsvcs++;
	st_svcs++;
	if (walk_attrs(NLA_DATA(c->s_backends), NLA_PLEN(c->s_backends), backends_cb, c))
		return verr(c, "malformed backend list");
	if (c->err)
		return -1;
	if (c->s_nb > (int)c->s_numb)
		return verr(c, "service lists %d backends, num_backends %u", c->s_nb,
			    c->s_numb);
	if (c->s_numb > c->most_backends)
		c->most_backends = c->s_numb;
	memcpy(c->last_svc, c->s_key, SVC_KEYLEN);
	return c->mode == V_SERVICES ? svc_dump_entry(c) : 0;
}

/* TWILL_A_MAX_SERVICES .. TWILL_A_NUM_BACKENDS */
static int svc_setting(struct vctx *c, int t, const uint8_t *d, size_t l)
{
	uint32_t v;

	if (l != 4)
		return verr(c, "attribute %d of %zu bytes, want 4", t, l);
	if (c->have_svc & (1u << (t - A_MAX_SERVICES)))
		return verr(c, "attribute %d twice", t);
	c->have_svc |= 1u << (t - A_MAX_SERVICES);
	memcpy(&v, d, 4);
	switch (t) {
	case A_MAX_SERVICES:
		c->max_services = v;
		if (!v || v > SVC_MAX_SERVICES_LIMIT)
			return verr(c, "max_services %u", v);
		break;
	case A_MAX_BACKENDS:
		c->max_backends = v;
		if (!v || v > SVC_MAX_BACKENDS_LIMIT)
			return verr(c, "max_backends %u", v);
		break;
	case A_MAGLEV_SIZE:
		c->maglev_size = v;
		if (v < MAGLEV_MIN_SIZE || v > MAGLEV_MAX_SIZE || !is_prime(v))
			return verr(c, "Maglev size %u is not a prime in %u..%u", v,
				    MAGLEV_MIN_SIZE, MAGLEV_MAX_SIZE);
		break;
	case A_NUM_SERVICES:
		c->num_services = v;
		break;
	default:
		c->num_backends = v;
		break;
	}
	return 0;
}

#define HAVE_SVC_LIMITS 7	/* max_services, max_backends, maglev_size */
#define HAVE_SVC_COUNTS 24	/* num_services, num_backends */

static int dev_cb(void *arg, const struct nlattr *a)
{
	struct vctx *c = arg;
	size_t l = NLA_PLEN(a);
	const uint8_t *d = NLA_DATA(a);
	int t = NLA_T(a);

	switch (t) {
	case A_IFINDEX:
		if (l != 4)
			return verr(c, "ifindex of %zu bytes", l);
		c->have_ifindex = 1;
		memcpy(&c->ifindex, d, 4);
		break;
	case A_IFNAME:
		if (l < 2 || l > IFNAMSIZ || d[l - 1] || strlen((const char *)d) != l - 1)
			return verr(c, "bad ifname attribute (%zu bytes)", l);
		c->ifname_ok = 1;
		break;
	case A_LISTEN_PORT: case A_PORT_MIN: case A_PORT_MAX:
		if (l != 2)
			return verr(c, "attribute %d of %zu bytes, want 2", t, l);
		break;
	case A_VNI:
		if (l != 4 || *(const uint32_t *)d > VNI_MAX)
			return verr(c, "bad VNI attribute");
		break;
	case A_FWMARK: case A_LINK: case A_MAX_PEERS: case A_MAX_PREFIXES:
		if (l != 4)
			return verr(c, "attribute %d of %zu bytes, want 4", t, l);
		break;
	case A_NUM_PEERS:
	case A_NUM_PREFIXES:
	case A_GENERATION:
		if (l != 4)
			return verr(c, "attribute %d of %zu bytes, want 4", t, l);
		if (t == A_NUM_PEERS) {
			c->have_num_peers = 1;
			memcpy(&c->num_peers, d, 4);
		} else if (t == A_NUM_PREFIXES) {
			c->have_num_prefixes = 1;
			memcpy(&c->num_prefixes, d, 4);
		} else {
			c->have_gen = 1;
			memcpy(&c->gen, d, 4);
		}
		break;
	case A_LOCAL:
		if (l != 0 && l != 4 && l != 16)
			return verr(c, "local address of %zu bytes", l);
		break;
	case A_MAC:
		if (l != 6)
			return verr(c, "MAC of %zu bytes", l);
		break;
	case A_LINK_NAME:
		if (l < 2 || l > IFNAMSIZ || d[l - 1] || strlen((const char *)d) != l - 1)
			return verr(c, "bad link name attribute (%zu bytes)", l);
		break;
	case A_TTL: case A_TOS: case A_DF: case A_UDP_CSUM: case A_DIRECT:
		if (l != 1)
			return verr(c, "attribute %d of %zu bytes, want 1", t, l);
		if ((t == A_DF && *d > DF_MAX) || (t == A_UDP_CSUM && *d > 1) ||
		    (t == A_DIRECT && *d > DIRECT_MAX))
			return verr(c, "attribute %d out of range (%u)", t, *d);
		break;
	case A_DROPS:
		if (walk_attrs(d, l, drops_cb, c))
			return verr(c, "malformed drops");
		break;
	case A_NAT:
		if (c->mode == V_FLOWS || c->mode == V_SERVICES)
			return verr(c, "NAT settings in a flows or services dump");
		if (c->mode == V_EVENT && c->cmd == C_SERVICES_CHANGED)
			return verr(c, "NAT settings in a services event");
		if (check_nat(c, d, l))
			return -1;
		break;
	case A_FLOWS:
		if (c->mode != V_FLOWS)
			return verr(c, "flows outside a GET_FLOWS dump");
		if (walk_attrs(d, l, flows_cb, c))
			return verr(c, "malformed flows");
		break;
	case A_PEERS:
		if (c->mode == V_FLOWS || c->mode == V_SERVICES)
			return verr(c, "peers in a flows or services dump");
		if (c->mode == V_EVENT && c->cmd == C_SERVICES_CHANGED)
			return verr(c, "peers in a services event");
		if (c->mode == V_EVENT && c->cmd == C_DEV_CHANGED)
			return verr(c, "peers in a device event");
		if (walk_attrs(d, l, peers_cb, c))
			return verr(c, "malformed peers");
		break;
	case A_MAX_SERVICES: case A_MAX_BACKENDS: case A_MAGLEV_SIZE:
	case A_NUM_SERVICES: case A_NUM_BACKENDS:
		if (svc_setting(c, t, d, l))
			return -1;
		break;
	case A_SERVICES:
		if (c->mode != V_SERVICES)
			return verr(c, "services outside a GET_SERVICES dump");
		c->have_svcs++;
		if (walk_attrs(d, l, svcs_cb, c))
			return verr(c, "malformed services");
		break;
	case A_SERVICE_STATS:
		if (c->mode != V_SERVICES)
			return verr(c, "service counters outside a GET_SERVICES dump");
		c->have_svc_stats++;
		if (walk_attrs(d, l, drops_cb, c))
			return verr(c, "malformed service counters");
		break;
	case A_FLAGS: case A_LOOKUP_ADDR:
		return verr(c, "request-only attribute %d in a reply", t);
	case A_PAD:
		break;
	default:
		st_unknown_attr++;
	}
	return c->err ? -1 : 0;
}

/* Validate a family message (after the genl header); 0 or -1 (c->err). */
static int validate_family_msg(const struct nlmsghdr *h, struct vctx *c)
{
	const struct genlmsghdr *g = NLMSG_DATA(h);

	if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return verr(c, "family message without genl header");
	c->cmd = g->cmd;
	if (g->version != 1)
		return verr(c, "genl version %u", g->version);
	if (walk_attrs((const uint8_t *)g + GENL_HDRLEN,
		       h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, dev_cb, c))
		return verr(c, "malformed attributes");
	if (c->err)
		return -1;
	switch (c->mode) {
	case V_DUMP:
		if (g->cmd != C_GET)
			return verr(c, "dump message with cmd %u", g->cmd);
		if (!c->have_ifindex || !c->ifname_ok || !c->have_gen ||
		    !c->have_num_peers || !c->have_num_prefixes)
			return verr(c, "dump message lacks device attributes");
		break;
	case V_SERVICES:
		if (g->cmd != C_GET_SERVICES)
			return verr(c, "services dump message with cmd %u", g->cmd);
		if (!c->have_ifindex || !c->ifname_ok || !c->have_gen ||
		    c->have_svc != (HAVE_SVC_LIMITS | HAVE_SVC_COUNTS) || c->have_svcs != 1)
			return verr(c, "services dump message lacks device attributes, limits, "
				    "counts or services (0x%x, %d)", c->have_svc, c->have_svcs);
		if (c->have_svc_stats > 1)
			return verr(c, "service counters twice");
		if (c->most_backends > c->maglev_size)
			return verr(c, "a service with %u backends, more than the %u Maglev slots",
				    c->most_backends, c->maglev_size);
		if (c->num_services > c->max_services || c->num_backends > c->max_backends)
			return verr(c, "%u services, %u backends: past the limits %u, %u",
				    c->num_services, c->num_backends, c->max_services,
				    c->max_backends);
		break;
	case V_FLOWS:
		if (g->cmd != C_GET_FLOWS)
			return verr(c, "flows dump message with cmd %u", g->cmd);
		if (!c->have_ifindex || !c->ifname_ok)
			return verr(c, "flows dump message lacks ifindex or ifname");
		break;
	case V_LOOKUP:
		if (g->cmd != C_LOOKUP)
			return verr(c, "lookup reply with cmd %u", g->cmd);
		if (!c->have_ifindex || c->npeers != 1)
			return verr(c, "lookup reply: ifindex %d, %d peers", c->have_ifindex,
				    c->npeers);
		break;
	case V_EVENT:
		if ((g->cmd < C_DEV_CHANGED || g->cmd > C_PEER_REMOVED) &&
		    g->cmd != C_SERVICES_CHANGED)
			return verr(c, "event with cmd %u", g->cmd);
		if (!c->have_ifindex || !c->ifname_ok || !c->have_gen)
			return verr(c, "event lacks ifindex, ifname or generation");
		if (g->cmd == C_SERVICES_CHANGED) {
			/* the counts, nothing else of the services */
			if (c->have_svc != HAVE_SVC_COUNTS)
				return verr(c, "services event with service attributes 0x%x",
					    c->have_svc);
			st_svc_events++;
		} else if (g->cmd != C_DEV_CHANGED && c->npeers != 1) {
			return verr(c, "peer event with %d peers", c->npeers);
		}
		break;
	}
	return 0;
}

/* The address a LOOKUP request asks for, as the kernel parses it. */
static int request_lookup_addr(const struct msg *m, uint8_t *addr)
{
	const uint8_t *p = m->b + NLMSG_HDRLEN + GENL_HDRLEN;
	size_t len = m->len - NLMSG_HDRLEN - GENL_HDRLEN;
	int found = 0;

	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		size_t step;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return 0;
		if (NLA_T(a) == A_LOOKUP_ADDR) {
			found = (NLA_PLEN(a) == 4 || NLA_PLEN(a) == 16) ? (int)NLA_PLEN(a) : 0;
			if (found)
				memcpy(addr, NLA_DATA(a), (size_t)found);
		}
		step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return found;
}

static int in_prefix(const uint8_t *addr, const uint8_t *pfx, int cidr)
{
	int i;

	for (i = 0; i < cidr; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));

		if ((addr[i / 8] & bit) != (pfx[i / 8] & bit))
			return 0;
	}
	return 1;
}

static struct pend *find_pend(uint32_t seq)
{
	int i;

	for (i = 0; i < npend; i++)
		if (pend[i].seq == seq)
			return &pend[i];
	return NULL;
}

static int errno_ok(int e)
{
	/* Kernel-internal codes (ERESTARTSYS 512, ENOTSUPP 524...) must
	 * never reach userspace; neither must positive values. */
	return e <= 0 && e >= -133;
}

/* The last extack message seen (-Q prints it). */
static char last_extack[256];

/* extack TLVs after an error/ack or a DONE; orig_len: length of the
 * request the offsets point into. */
static const char *check_tlvs(const uint8_t *p, size_t len, size_t orig_len)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		size_t step;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return "malformed extack TLV";
		switch (NLA_T(a)) {
		case NLMSGERR_ATTR_MSG:
			if (!NLA_PLEN(a) || NLA_DATA(a)[NLA_PLEN(a) - 1])
				return "extack message not NUL-terminated";
			snprintf(last_extack, sizeof(last_extack), "%s",
				 (const char *)NLA_DATA(a));
			break;
		case NLMSGERR_ATTR_OFFS:
			if (NLA_PLEN(a) != 4)
				return "extack offset not u32";
			if (orig_len && *(const uint32_t *)NLA_DATA(a) >= orig_len)
				return "extack offset outside the request";
			if (orig_len && *(const uint32_t *)NLA_DATA(a) < NLMSG_HDRLEN)
				return "extack offset inside the netlink header";
			break;
		default:
			break;
		}
		step = NLA_ALIGN(a->nla_len);
		if (step >= len)
			return NULL;
		p += step;
		len -= step;
	}
	return len ? "trailing bytes after extack TLVs" : NULL;
}

static void count_errno(int e)
{
	if (e < 0 && e > -4096)
		st_errno[-e]++;
}

static void handle_error(struct nlsock *s, const struct nlmsghdr *h, struct pend *p)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN, off;
	const char *why;

	if (plen < sizeof(*e)) {
		anomaly("NLMSG_ERROR of %u bytes", h->nlmsg_len);
		return;
	}
	if (!errno_ok(e->error)) {
		anomaly("error code %d is not a userspace errno", e->error);
		return;
	}
	if (e->msg.nlmsg_seq != h->nlmsg_seq) {
		anomaly("NLMSG_ERROR echoes seq %u in a reply with seq %u",
			e->msg.nlmsg_seq, h->nlmsg_seq);
		return;
	}
	off = sizeof(*e);
	if (h->nlmsg_flags & NLM_F_CAPPED) {
		/* only the header echoed */
	} else {
		size_t olen = e->msg.nlmsg_len;

		if (!e->error)
			anomaly("ack without NLM_F_CAPPED");
		if (olen < NLMSG_HDRLEN || plen < sizeof(*e) - NLMSG_HDRLEN + olen) {
			anomaly("NLMSG_ERROR echo of %zu bytes in %zu", olen, plen);
			return;
		}
		if (p && p->strict && (olen != p->m->len ||
				       memcmp(&e->msg, p->m->b, olen)))
			anomaly("NLMSG_ERROR does not echo the request");
		off = sizeof(*e) - NLMSG_HDRLEN + NLMSG_ALIGN(olen);
		if (s->cap_ack)
			anomaly("uncapped error on a NETLINK_CAP_ACK socket");
	}
	if (p && p->strict && memcmp(&e->msg, p->m->b, NLMSG_HDRLEN))
		anomaly("NLMSG_ERROR echoes another header");
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!s->ext_ack)
			anomaly("extack TLVs without NETLINK_EXT_ACK");
		if (off > plen) {
			anomaly("extack TLVs beyond the message");
			return;
		}
		why = check_tlvs((const uint8_t *)e + off, plen - off,
				 p && p->strict ? p->m->len : 0);
		if (why)
			anomaly("%s", why);
	} else if (off < plen && NLMSG_ALIGN(off) != NLMSG_ALIGN(plen)) {
		anomaly("%zu bytes after the NLMSG_ERROR payload without NLM_F_ACK_TLVS",
			plen - off);
	}
	if (e->error)
		st_errs++;
	else
		st_acks++;
	count_errno(e->error);
	if (!p)
		return;
	if (p->strict && p->type == family_id && p->cmd == C_SET_SERVICES &&
	    !(p->flags & NLM_F_DUMP)) {
		if (e->error)
			st_svc_errs++;
		else
			st_svc_acks++;
	}
	if (p->got_term && p->strict)
		anomaly("second error/ack for one request (seq %u)", p->seq);
	p->got_term = 1;
	p->err = e->error;
	if (!e->error)
		p->got_ack = 1;
	if (e->error && p->is_dump)
		p->dump_done = 1;	/* the dump never started */
	if (!p->strict)
		return;
	if (!e->error && !(p->flags & NLM_F_ACK) && !p->is_dump)
		anomaly("ack for a request without NLM_F_ACK");
	if (!e->error && p->type == family_id && (p->flags & NLM_F_REQUEST) &&
	    p->m->len >= NLMSG_HDRLEN + GENL_HDRLEN) {
		int dump = (p->flags & NLM_F_DUMP) == NLM_F_DUMP;

		if ((p->cmd == C_GET || p->cmd == C_GET_FLOWS || p->cmd == C_GET_SERVICES) &&
		    !dump)
			anomaly("dump command %u without NLM_F_DUMP acked", p->cmd);
		if (p->cmd != C_GET && p->cmd != C_SET && p->cmd != C_LOOKUP &&
		    p->cmd != C_GET_FLOWS && p->cmd != C_GET_SERVICES &&
		    p->cmd != C_SET_SERVICES)
			anomaly("command %u acked", p->cmd);
		if ((p->cmd == C_SET || p->cmd == C_LOOKUP || p->cmd == C_SET_SERVICES) && dump)
			anomaly("command %u acked as a dump", p->cmd);
		if (p->cmd == C_LOOKUP && !dump && p->lookup_replies != 1)
			anomaly("LOOKUP acked after %d replies", p->lookup_replies);
	}
	if (e->error && p->type == family_id && (p->flags & NLM_F_REQUEST) &&
	    p->m->len >= NLMSG_HDRLEN + GENL_HDRLEN) {
		/*
		 * genetlink has no such operation: -EOPNOTSUPP before anything
		 * of ours, after its header check (-EINVAL: a reserved field,
		 * flags other than REQUEST, ACK, ECHO and both DUMP bits).
		 */
		const struct genlmsghdr *g = (const void *)(p->m->b + NLMSG_HDRLEN);
		int dump = (p->flags & NLM_F_DUMP) == NLM_F_DUMP;
		uint16_t fl = dump ? p->flags & ~NLM_F_DUMP : p->flags;
		int want = g->reserved || (fl & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO)) ?
			   -EINVAL : -EOPNOTSUPP;

		if (((p->cmd == C_GET_SERVICES && !dump) || (p->cmd == C_SET_SERVICES && dump)) &&
		    e->error != want)
			anomaly("command %u %s NLM_F_DUMP refused with %d, want %d", p->cmd,
				dump ? "with" : "without", e->error, want);
	}
	if (p->expect && e->error != p->expect_err)
		anomaly("expected %d (%s), got %d (%s)", p->expect_err,
			strerror(-p->expect_err), e->error, strerror(-e->error));
}

static void dump_finish(struct pend *p)
{
	size_t i;
	long sum = 0;

	if (p->bad_dump || p->dump_intr || p->dump_error || !p->dump_msgs ||
	    !p->have_nums)
		return;
	for (i = 0; i < neps; i++) {
		sum += eps[i].reported;
		if (eps[i].listed != eps[i].reported) {
			anomaly("dump lists %u prefixes for a peer with num_prefixes %u",
				eps[i].listed, eps[i].reported);
			return;
		}
	}
	if (neps != p->num_peers)
		anomaly("dump lists %zu peers, num_peers %u", neps, p->num_peers);
	else if (dump_prefixes != (long)p->num_prefixes)
		anomaly("dump lists %ld prefixes, num_prefixes %u", dump_prefixes,
			p->num_prefixes);
	else if (sum != (long)p->num_prefixes)
		anomaly("peers' num_prefixes sum to %ld, device num_prefixes %u", sum,
			p->num_prefixes);
}

/* A complete GET_SERVICES dump: its services and backends as counted. */
static void svc_dump_finish(struct pend *p)
{
	size_t i;
	long sum = 0;

	if (p->bad_dump || p->dump_intr || p->dump_error || !p->dump_msgs ||
	    !p->have_nums)
		return;
	if (p->svc_filter && p->strict) {
		/* the one service the filter names, or none: no totals */
		if (nsvcs > 1)
			anomaly("a filtered dump lists %zu services", nsvcs);
		else if (nsvcs && memcmp(svcs[0].key, p->filter_key, SVC_KEYLEN))
			anomaly("a filtered dump lists a service the filter does not name");
		else if (nsvcs && svcs[0].listed != svcs[0].reported)
			anomaly("a filtered dump lists %u backends of a service with "
				"num_backends %u", svcs[0].listed, svcs[0].reported);
		return;
	}
	for (i = 0; i < nsvcs; i++) {
		sum += svcs[i].reported;
		if (svcs[i].listed != svcs[i].reported) {
			anomaly("dump lists %u backends for a service with num_backends %u",
				svcs[i].listed, svcs[i].reported);
			return;
		}
	}
	if (nsvcs != p->num_services)
		anomaly("dump lists %zu services, num_services %u", nsvcs, p->num_services);
	else if (dump_backends != (long)p->num_backends)
		anomaly("dump lists %ld backends, num_backends %u", dump_backends,
			p->num_backends);
	else if (sum != (long)p->num_backends)
		anomaly("services' num_backends sum to %ld, device num_backends %u", sum,
			p->num_backends);
	/* the event of the commit that made this generation has its counts */
	if (ev_svc_ok && ev_svc_ifx == p->ifindex && ev_svc_gen == p->gen) {
		st_svc_ev_match++;
		if (ev_svc_num != p->num_services || ev_svc_nb != p->num_backends)
			anomaly("SERVICES_CHANGED of generation %u says %u services, %u backends; "
				"a dump of that generation %u, %u", p->gen, ev_svc_num, ev_svc_nb,
				p->num_services, p->num_backends);
	}
}

/* One message of a GET_SERVICES dump, validated: against the previous. */
static void svc_dump_msg(struct pend *p, const struct vctx *c)
{
	st_svc_dump_msgs++;
	if (p->dump_msgs && !p->dump_intr &&
	    (c->num_services != p->num_services || c->num_backends != p->num_backends ||
	     c->max_services != p->max_services || c->max_backends != p->max_backends ||
	     c->maglev_size != p->maglev_size))
		anomaly("service counts or limits changed within a dump without NLM_F_DUMP_INTR");
	if (p->dump_msgs && !p->dump_intr && c->have_svc_stats)
		anomaly("service counters in a dump message other than the first");
	p->num_services = c->num_services;
	p->num_backends = c->num_backends;
	p->max_services = c->max_services;
	p->max_backends = c->max_backends;
	p->maglev_size = c->maglev_size;
	p->lastsvc_ok = c->nsvcs > 0;
	memcpy(p->lastsvc, c->last_svc, SVC_KEYLEN);
}

static void handle_done(struct nlsock *s, const struct nlmsghdr *h, struct pend *p)
{
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
	int err = 0;

	if (!p) {
		if (exch_strict)
			anomaly("NLMSG_DONE for an unknown seq %u", h->nlmsg_seq);
		st_stray++;
		return;
	}
	if (plen < 4) {
		anomaly("NLMSG_DONE of %u bytes", h->nlmsg_len);
	} else {
		memcpy(&err, NLMSG_DATA(h), 4);
		if (!errno_ok(err))
			anomaly("NLMSG_DONE error %d", err);
		count_errno(err);
		if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
			const char *why;

			if (!s->ext_ack)
				anomaly("extack TLVs in DONE without NETLINK_EXT_ACK");
			why = check_tlvs((const uint8_t *)NLMSG_DATA(h) + 4, plen - 4, 0);
			if (why)
				anomaly("DONE: %s", why);
		}
	}
	if (!(h->nlmsg_flags & NLM_F_MULTI))
		anomaly("NLMSG_DONE without NLM_F_MULTI");
	if (p->strict && !p->is_dump)
		anomaly("NLMSG_DONE for a request that is not a dump");
	if (p->dump_done && p->strict)
		anomaly("second NLMSG_DONE (seq %u)", p->seq);
	p->dump_done = 1;
	p->got_term = 1;
	if (err)
		p->dump_error = err;
	if (p->type == family_id && p->cmd == C_GET) {
		st_dumps++;
		if (!err)
			dump_finish(p);
	}
	if (p->type == family_id && p->cmd == C_GET_FLOWS)
		st_flow_dumps++;
	if (p->type == family_id && p->cmd == C_GET_SERVICES) {
		st_svc_dumps++;
		if (p->dump_intr)
			st_svc_intr++;
		if (!err)
			svc_dump_finish(p);
		if (!err && p->strict && p->svc_filter && p->filter_bad)
			anomaly("GET_SERVICES accepted a filter that is not one service's key");
	}
	if (p->expect && err != p->expect_err)
		anomaly("dump: expected %d, DONE says %d", p->expect_err, err);
}

static void handle_family(const struct nlmsghdr *h, struct pend *p)
{
	struct vctx c;

	if (!p) {
		if (exch_strict)
			anomaly("family message for an unknown seq %u", h->nlmsg_seq);
		st_stray++;
		return;
	}
	memset(&c, 0, sizeof(c));
	c.p = p;
	if (p->is_dump && p->type == family_id) {
		c.mode = p->cmd == C_GET_FLOWS ? V_FLOWS :
			 p->cmd == C_GET_SERVICES ? V_SERVICES : V_DUMP;
		if (p->dump_done)
			anomaly("dump message after NLMSG_DONE");
		if (!(h->nlmsg_flags & NLM_F_MULTI))
			anomaly("dump message without NLM_F_MULTI");
		st_dump_msgs++;
		if (h->nlmsg_flags & NLM_F_DUMP_INTR) {
			if (!p->dump_intr)
				st_dump_intr++;
			p->dump_intr = 1;
		}
		if (validate_family_msg(h, &c)) {
			anomaly("dump message: %s", c.err);
			p->bad_dump = 1;
			return;
		}
		if (p->dump_msgs && !p->dump_intr) {
			if (c.gen != p->gen)
				anomaly("generation %u -> %u within a dump without NLM_F_DUMP_INTR",
					p->gen, c.gen);
			if (c.ifindex != p->ifindex)
				anomaly("ifindex %u -> %u within a dump", p->ifindex, c.ifindex);
		}
		if (!p->dump_msgs && opt_ifindex && p->strict) {
			/* a dump of the real device by ifindex answers for it */
			const struct nlattr *a = (const void *)(p->m->b + NLMSG_HDRLEN + GENL_HDRLEN);

			if (p->m->len >= NLMSG_HDRLEN + GENL_HDRLEN + 8 &&
			    NLA_T(a) == A_IFINDEX && a->nla_len == 8 &&
			    *(const uint32_t *)NLA_DATA(a) == opt_ifindex &&
			    c.ifindex != opt_ifindex)
				anomaly("dump of ifindex %u answers ifindex %u", opt_ifindex,
					c.ifindex);
		}
		if (c.mode == V_SERVICES)
			svc_dump_msg(p, &c);
		p->dump_msgs++;
		p->gen = c.gen;
		p->ifindex = c.ifindex;
		p->num_peers = c.num_peers;
		p->num_prefixes = c.num_prefixes;
		p->have_nums = 1;
		p->lastep_len = c.npeers ? c.last_eplen : 0;
		memcpy(p->lastep, c.last_ep, 28);
		return;
	}
	if (p->type == family_id && p->cmd == C_LOOKUP && p->strict) {
		uint8_t addr[16];
		int alen;

		c.mode = V_LOOKUP;
		p->lookup_replies++;
		st_lookups++;
		if (h->nlmsg_flags & NLM_F_MULTI)
			anomaly("lookup reply with NLM_F_MULTI");
		if (p->lookup_replies > 1)
			anomaly("second lookup reply");
		if (p->got_term)
			anomaly("lookup reply after the ack");
		if (validate_family_msg(h, &c)) {
			anomaly("lookup reply: %s", c.err);
			return;
		}
		alen = request_lookup_addr(p->m, addr);
		if (alen && (c.l_alen != alen ||
			     !in_prefix(addr, c.l_addr, c.l_cidr)))
			anomaly("lookup answered with a prefix (/%d) that does not cover the address",
				c.l_cidr);
		return;
	}
	if (p->strict)
		anomaly("unexpected family message (cmd %u) for request cmd %u",
			((const struct genlmsghdr *)NLMSG_DATA(h))->cmd, p->cmd);
	else
		st_stray++;
}

/* One received datagram on the request socket. */
static int barrier_seq_seen;
static uint32_t barrier_seq;

static void handle_datagram(struct nlsock *s, const uint8_t *buf, size_t n)
{
	const struct nlmsghdr *h = (const void *)buf;
	size_t rem = n;

	while (rem >= NLMSG_HDRLEN) {
		struct pend *p;

		anom_rep = h;
		anom_rep_len = rem;
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > rem) {
			anomaly("reply with nlmsg_len %u in a datagram of %zu", h->nlmsg_len, rem);
			break;
		}
		anom_rep_len = h->nlmsg_len;
		st_replies++;
		if (h->nlmsg_pid != s->portid && h->nlmsg_pid != 0)
			anomaly("reply addressed to port %u, we are %u", h->nlmsg_pid, s->portid);
		p = find_pend(h->nlmsg_seq);
		anom_req = p ? p->m->b : NULL;
		anom_req_len = p ? p->m->len : 0;
		if (h->nlmsg_seq == barrier_seq && h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(*e) || e->error)
				anomaly("barrier NOOP answered with error %d",
					h->nlmsg_len >= NLMSG_HDRLEN + sizeof(*e) ? e->error : 0);
			barrier_seq_seen = 1;
		} else if (h->nlmsg_type == NLMSG_ERROR) {
			if (!p) {
				if (exch_strict)
					anomaly("NLMSG_ERROR for an unknown seq %u", h->nlmsg_seq);
				st_stray++;
			}
			handle_error(s, h, p);
		} else if (h->nlmsg_type == NLMSG_DONE) {
			handle_done(s, h, p);
		} else if (h->nlmsg_type == family_id) {
			handle_family(h, p);
		} else if (p && h->nlmsg_type == p->type && p->type >= NLMSG_MIN_TYPE) {
			/* another family's answer (nlctrl): only the form */
			if (h->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
				anomaly("reply of type %u without genl header", h->nlmsg_type);
			else if (walk_attrs((const uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN,
					    h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, NULL, NULL))
				anomaly("reply of type %u with malformed attributes", h->nlmsg_type);
		} else if (p && !p->strict) {
			st_stray++;
		} else {
			anomaly("reply of type %u (seq %u) nobody asked for", h->nlmsg_type,
				h->nlmsg_seq);
		}
		{
			size_t step = NLMSG_ALIGN(h->nlmsg_len);

			if (step >= rem) {
				rem = 0;
				break;
			}
			rem -= step;
			h = (const void *)((const uint8_t *)h + step);
		}
	}
	if (rem)
		anomaly("%zu stray bytes at the end of a reply datagram", rem);
	anom_req = anom_rep = NULL;
}

/* ------------------------------------------------------------------ */
/* events                                                             */

static struct nlsock evsock = { .fd = -1 };
static uint32_t ev_gen[64], ev_ifx[64];

static void drain_events(void)
{
	for (;;) {
		ssize_t n = recv(evsock.fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		const struct nlmsghdr *h = (const void *)rbuf;
		size_t rem;

		if (n < 0) {
			if (errno == ENOBUFS) {
				st_ev_overrun++;
				continue;
			}
			if (errno != EAGAIN && errno != EINTR)
				anomaly("events socket: %s", strerror(errno));
			return;
		}
		rem = (size_t)n;
		for (; rem >= NLMSG_HDRLEN; ) {
			struct vctx c;
			size_t step;

			anom_rep = h;
			anom_rep_len = rem;
			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > rem) {
				anomaly("event with nlmsg_len %u in %zu bytes", h->nlmsg_len, rem);
				break;
			}
			anom_rep_len = h->nlmsg_len;
			st_events++;
			memset(&c, 0, sizeof(c));
			c.mode = V_EVENT;
			if (h->nlmsg_type != family_id)
				anomaly("event of type %u", h->nlmsg_type);
			else if (validate_family_msg(h, &c))
				anomaly("event: %s", c.err);
			else {
				/* generation never goes back (note only: events of
				 * parallel commits may interleave) */
				uint32_t k = c.ifindex % 64;

				if (ev_ifx[k] == c.ifindex && (int32_t)(c.gen - ev_gen[k]) < 0)
					st_gen_back++;
				ev_ifx[k] = c.ifindex;
				ev_gen[k] = c.gen;
				if (c.cmd == C_SERVICES_CHANGED) {
					ev_svc_ok = 1;
					ev_svc_ifx = c.ifindex;
					ev_svc_gen = c.gen;
					ev_svc_num = c.num_services;
					ev_svc_nb = c.num_backends;
				}
			}
			step = NLMSG_ALIGN(h->nlmsg_len);
			if (step >= rem) {
				rem = 0;
				break;
			}
			rem -= step;
			h = (const void *)((const uint8_t *)h + step);
		}
		if (rem)
			anomaly("%zu stray bytes in an event datagram", rem);
		anom_rep = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* exchanges                                                          */

static uint32_t next_seq = 1000;
static uint8_t sendbuf[BATCH_MAX * MSG_MAX];

/* A GET_SERVICES filter as the kernel must read it (see pend_filter). */
struct filter_ctx {
	int n, parts, other;
	const struct nlattr *list;
	uint8_t key[SVC_KEYLEN];
};

static int filter_key_cb(void *arg, const struct nlattr *a)
{
	struct filter_ctx *f = arg;
	size_t l = NLA_PLEN(a);

	switch (NLA_T(a)) {
	case S_FAMILY:
	case S_PORT:
		if (l != 2)
			break;
		memcpy(f->key + (NLA_T(a) == S_FAMILY ? 0 : 18), NLA_DATA(a), 2);
		f->parts |= 1 << NLA_T(a);
		return 0;
	case S_ADDR:
		if (l != 4 && l != 16)
			break;
		memset(f->key + 2, 0, 16);
		memcpy(f->key + 2, NLA_DATA(a), l);
		f->parts |= 1 << S_ADDR;
		return 0;
	case S_PROTO:
		if (l != 1)
			break;
		f->key[20] = *NLA_DATA(a);
		f->parts |= 1 << S_PROTO;
		return 0;
	}
	f->other = 1;
	return 0;
}

static int filter_svc_cb(void *arg, const struct nlattr *a)
{
	struct filter_ctx *f = arg;

	if (++f->n == 1 && walk_attrs(NLA_DATA(a), NLA_PLEN(a), filter_key_cb, f))
		f->other = 1;
	return 0;
}

static int filter_top_cb(void *arg, const struct nlattr *a)
{
	struct filter_ctx *f = arg;

	if (NLA_T(a) == A_SERVICES)
		f->list = a;	/* the last one counts, as in the kernel */
	return 0;
}

/*
 * A GET_SERVICES dump with TWILL_A_SERVICES: its key, and whether it is
 * certainly refused (not one service, a part missing or of the wrong
 * size, anything but the key): a key with a bad value may be refused too.
 */
static void pend_filter(struct pend *p, const struct msg *m)
{
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;
	struct filter_ctx f;
	int all = (1 << S_FAMILY) | (1 << S_ADDR) | (1 << S_PORT) | (1 << S_PROTO);

	memset(&f, 0, sizeof(f));
	if (m->len < off || walk_attrs(m->b + off, m->len - off, filter_top_cb, &f) ||
	    !f.list)
		return;
	p->svc_filter = 1;
	if (walk_attrs(NLA_DATA(f.list), NLA_PLEN(f.list), filter_svc_cb, &f))
		f.other = 1;
	p->filter_bad = f.n != 1 || f.other || f.parts != all;
	memcpy(p->filter_key, f.key, SVC_KEYLEN);
}

/* Effective request fields from the bytes that go out. */
static void pend_init(struct pend *p, struct msg *m)
{
	const struct nlmsghdr *h = mh(m);
	const struct genlmsghdr *g = (const void *)(m->b + NLMSG_HDRLEN);

	memset(p, 0, sizeof(*p));
	p->m = m;
	p->seq = h->nlmsg_seq;
	p->strict = !m->badlen && h->nlmsg_len == m->len;
	p->type = h->nlmsg_type;
	p->flags = h->nlmsg_flags;
	p->cmd = m->len >= NLMSG_HDRLEN + GENL_HDRLEN ? g->cmd : 0;
	p->is_dump = (h->nlmsg_flags & NLM_F_REQUEST) &&
		     (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP &&
		     h->nlmsg_type >= NLMSG_MIN_TYPE;
	p->want_term = (h->nlmsg_flags & NLM_F_ACK) || p->is_dump;
	/* A request the kernel skips (not a request, control type) is acked
	 * only with NLM_F_ACK: want_term stays as computed. */
	if (!(h->nlmsg_flags & NLM_F_REQUEST) || h->nlmsg_type < NLMSG_MIN_TYPE)
		p->want_term = !!(h->nlmsg_flags & NLM_F_ACK);
	if (p->strict && p->is_dump && p->type == family_id && p->cmd == C_GET_SERVICES)
		pend_filter(p, m);
}

/*
 * Send @n messages in @groups sendmsg calls (group sizes in @gsz), then the
 * barrier; read and check everything.  Returns -1 on a hang.
 */
static int exchange(struct nlsock *s, struct msg **msgs, int n)
{
	struct nlmsghdr barrier = { .nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_NOOP,
				    .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK };
	size_t len = 0;
	int i, ret;
	double deadline;

	npend = 0;
	exch_strict = 1;
	for (i = 0; i < n; i++) {
		struct msg *m = msgs[i];

		m->seq = next_seq++;
		mh(m)->nlmsg_seq = m->seq;
		mh(m)->nlmsg_pid = chance(97) ? 0 : (uint32_t)r64();
		pend_init(&pend[npend++], m);
		if (!pend[npend - 1].strict)
			exch_strict = 0;
		/* a shorter nlmsg_len makes the rest a message of its own */
		memcpy(sendbuf + len, m->b, m->len);
		len += NLMSG_ALIGN(m->len);
		if (NLMSG_ALIGN(m->len) != m->len)
			memset(sendbuf + len - (NLMSG_ALIGN(m->len) - m->len), 0,
			       NLMSG_ALIGN(m->len) - m->len);
	}
	/* A batch whose messages are all strict is strict: each message's
	 * header is where the previous one says. */
	st_msgs += n;
	if (n > 1)
		st_batches++;
	if (opt_dry)
		return 0;
	ret = send_buf(s, sendbuf, len);
	if (ret) {
		st_send_err++;
		count_errno(ret);
		for (i = 0; i < npend; i++)
			pend[i].want_term = 0, pend[i].is_dump = 0;
	}
	barrier_seq = next_seq++;
	barrier.nlmsg_seq = barrier_seq;
	barrier_seq_seen = 0;
	ret = send_buf(s, &barrier, sizeof(barrier));
	if (ret) {
		anomaly("sending the barrier failed: %s", strerror(-ret));
		return -1;
	}
	deadline = now_s() + opt_wait;
	dump_reset();
	flows_reset();
	for (;;) {
		struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
		ssize_t got;
		int flags = 0;

		if (barrier_seq_seen) {
			flags = MSG_DONTWAIT;
		} else {
			int left = (int)((deadline - now_s()) * 1000);

			if (left <= 0 || poll(&pfd, 1, left) <= 0) {
				anomaly("no answer to the barrier within %ds: kernel hang?",
					opt_wait);
				return -1;
			}
		}
		got = recv(s->fd, rbuf, sizeof(rbuf), flags | MSG_TRUNC);
		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* replies lost: nothing can be expected now */
				st_overrun++;
				exch_strict = 0;
				for (i = 0; i < npend; i++)
					pend[i].strict = 0;
				continue;
			}
			anomaly("recv: %s", strerror(errno));
			return -1;
		}
		if ((size_t)got > sizeof(rbuf)) {
			anomaly("reply datagram of %zd bytes", got);
			continue;
		}
		handle_datagram(s, rbuf, (size_t)got);
	}
	/* what must have come */
	for (i = 0; i < npend; i++) {
		struct pend *p = &pend[i];

		if (!p->strict || !exch_strict)
			continue;
		anom_req = p->m->b;
		anom_req_len = p->m->len;
		if (p->want_term && !p->got_term)
			anomaly("no error/ack/DONE for seq %u", p->seq);
		if (p->expect && !p->got_term)
			anomaly("expected %d, got no answer", p->expect_err);
		anom_req = NULL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* main loop                                                          */

static struct msg *mbuf[BATCH_MAX];
static struct nlsock mainsock = { .fd = -1 };

static int reopen_main(void)
{
	/* options of the new socket: from the PRNG, drawn in dry runs too */
	int ext = chance(85), cap = chance(15), strict = chance(30);

	st_reconnects++;
	if (opt_dry)
		return 0;
	sock_close(&mainsock);
	return sock_open(&mainsock, ext, cap, strict);
}

/* The ownership check: a second socket's transaction blocks writers of the
 * main socket with -EBUSY, does not block dumps, and goes with its socket. */
static int ownership_check(void)
{
	struct nlsock s2 = { .fd = -1 };
	struct msg *m = mbuf[0];

	st_own++;
	if (reopen_main())	/* drops any transaction of ours */
		return -1;
	if (!opt_dry && sock_open(&s2, 1, 0, 0))
		return -1;
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET);
	put_u32(m, A_IFINDEX, opt_ifindex);
	put_u32(m, A_FLAGS, F_STAGE);
	m_finish(m);
	if (opt_dry)
		s2 = mainsock;
	if (exchange(&s2, &m, 1))
		return -1;
	if (!opt_dry && (!pend[0].got_ack)) {
		anom_req = m->b;
		anom_req_len = m->len;
		anomaly("a fresh socket could not stage a transaction: %d", pend[0].err);
		anom_req = NULL;
	}
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET);
	put_u32(m, A_IFINDEX, opt_ifindex);
	m_finish(m);
	if (exchange(&mainsock, &m, 1))
		return -1;
	if (!opt_dry && pend[0].err != -EBUSY) {
		anom_req = m->b;
		anom_req_len = m->len;
		anomaly("SET during another socket's transaction: %d, want -EBUSY",
			pend[0].err);
		anom_req = NULL;
	}
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET_SERVICES);
	put_u32(m, A_IFINDEX, opt_ifindex);
	m_finish(m);
	if (exchange(&mainsock, &m, 1))
		return -1;
	if (!opt_dry && pend[0].err != -EBUSY) {
		anom_req = m->b;
		anom_req_len = m->len;
		anomaly("SET_SERVICES during another socket's transaction: %d, want -EBUSY",
			pend[0].err);
		anom_req = NULL;
	}
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
	       chance(50) ? C_GET : C_GET_SERVICES);
	put_u32(m, A_IFINDEX, opt_ifindex);
	m_finish(m);
	if (exchange(&mainsock, &m, 1))
		return -1;
	if (!opt_dry && (pend[0].err || pend[0].dump_error || !pend[0].dump_done)) {
		anomaly("dump (cmd %u) during another socket's transaction failed: %d/%d",
			pend[0].cmd, pend[0].err, pend[0].dump_error);
	}
	if (!opt_dry)
		sock_close(&s2);
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET);
	put_u32(m, A_IFINDEX, opt_ifindex);
	m_finish(m);
	if (exchange(&mainsock, &m, 1))
		return -1;
	if (!opt_dry && !pend[0].got_ack) {
		anom_req = m->b;
		anom_req_len = m->len;
		anomaly("SET after the other socket closed: %d, want 0 (transaction not dropped?)",
			pend[0].err);
		anom_req = NULL;
	}
	return 0;
}

/* Self-check of the generator in a dry run: every message we did not
 * corrupt must parse as well-formed TLVs, and so must every nest in it. */
static long dry_bad;

static int dry_walk(const struct msg *m)
{
	int i;

	if (walk_attrs(m->b + NLMSG_HDRLEN + GENL_HDRLEN,
		       m->len - NLMSG_HDRLEN - GENL_HDRLEN, NULL, NULL))
		return -1;
	for (i = 0; i < m->nn; i++) {
		const struct nlattr *a = (const void *)(m->b + m->noff[i]);

		if (m->noff[i] + a->nla_len > m->len ||
		    walk_attrs(NLA_DATA(a), NLA_PLEN(a), NULL, NULL))
			return -1;
	}
	return 0;
}

static void dry_check(struct msg *m, int mutated)
{
	if (m->len < NLMSG_HDRLEN || m->len > MSG_MAX) {
		dry_bad++;
		fprintf(stderr, "nlfuzz: dry: exchange %ld: length %zu\n", cur_exch, m->len);
		return;
	}
	if (!mutated) {
		if (mh(m)->nlmsg_len != m->len ||
		    dry_walk(m)) {
			dry_bad++;
			fprintf(stderr, "nlfuzz: dry: exchange %ld: generator made a malformed message\n",
				cur_exch);
			hexdump("message", m->b, m->len, 256);
		}
	}
}

static void print_exchange(struct msg **msgs, int n)
{
	int i;

	if (cur_exch != opt_dump_exch)
		return;
	for (i = 0; i < n; i++) {
		char what[32];

		snprintf(what, sizeof(what), "message %d", i);
		hexdump(what, msgs[i]->b, msgs[i]->len, MSG_MAX);
	}
}

/* Service @k of the pool with @nb distinct valid backends. */
static void rt_service(struct msg *m, int k, int nb)
{
	uint8_t a[16];
	size_t alen = svc_vip(a, k);
	long sv = nest(m, 0), bs, b;
	int i;

	put_u16(m, S_FAMILY, alen == 4 ? AF_INET : AF_INET6);
	m_put(m, S_ADDR, a, alen);
	put_u16(m, S_PORT, svc_ports[(k / 2) % SVC_NPORTS]);
	put_u8(m, S_PROTO, k % 2 ? IPPROTO_UDP : IPPROTO_TCP);
	if (chance(30))
		put_u32(m, S_AFFINITY, rn(SVC_MAX_AFFINITY + 1));
	bs = nest(m, S_BACKENDS);
	for (i = 0; i < nb; i++) {
		memset(a, 0, sizeof(a));
		if (alen == 4) {
			a[0] = 10; a[1] = 244;
		} else {
			a[0] = 0xfd; a[1] = 0x02; a[3] = 0x44;
		}
		a[alen - 2] = (uint8_t)(i >> 8);
		a[alen - 1] = (uint8_t)i;
		b = nest(m, 0);
		m_put(m, B_ADDR, a, alen);
		if (chance(30))
			put_u16(m, B_PORT, (uint16_t)(8000 + rn(100)));
		if (chance(30))
			put_u32(m, B_WEIGHT, rn(BACKEND_MAX_WEIGHT + 1));
		if (chance(30))
			put_u8(m, B_STATE, (uint8_t)rn(BS_MAX + 1));
		nest_end(m, b);
	}
	nest_end(m, bs);
	nest_end(m, sv);
}

/*
 * The services round trip: the default limits (a transaction holds at
 * most twice the committed ones), then a staged transaction of
 * SET_SERVICES messages, the first with F_REPLACE_SERVICES, one service
 * each (some with hundreds of backends, so that the dump continues
 * services across messages), then a dump must list exactly those.
 */
/* The checker's key of pool key @k: family, address, port, protocol. */
static void svc_key_of(uint8_t *key, int k)
{
	uint8_t a[16];
	size_t alen = svc_vip(a, k);
	uint16_t fam = alen == 4 ? AF_INET : AF_INET6;
	uint16_t port = svc_ports[(k / 2) % SVC_NPORTS];

	memset(key, 0, SVC_KEYLEN);
	memcpy(key, &fam, 2);
	memcpy(key + 2, a, alen);
	memcpy(key + 18, &port, 2);
	key[20] = k % 2 ? IPPROTO_UDP : IPPROTO_TCP;
}

/*
 * A dump filtered to pool key @k must list exactly that service with its
 * @nb backends (continued over messages when they are many), or nothing
 * when @nb < 0 (not committed).
 */
static int svc_filtered_rt(int k, int nb)
{
	uint8_t key[SVC_KEYLEN];
	struct epent *e;

	m_init(mbuf[0], family_id, NLM_F_REQUEST | NLM_F_DUMP, C_GET_SERVICES);
	put_u32(mbuf[0], A_IFINDEX, opt_ifindex);
	gen_svc_filter(mbuf[0], k);
	m_finish(mbuf[0]);
	if (opt_dry)
		dry_check(mbuf[0], mbuf[0]->full);
	if (exchange(&mainsock, mbuf, 1))
		return -1;
	if (opt_dry || pend[0].dump_intr)
		return 0;
	if (pend[0].err || pend[0].dump_error || !pend[0].dump_done) {
		anomaly("services round trip: filtered dump failed: %d/%d", pend[0].err,
			pend[0].dump_error);
		return 0;
	}
	svc_key_of(key, k);
	e = svc_find(key, 0);
	if (nb < 0 ? nsvcs != 0 : nsvcs != 1 || !e || e->listed != (uint32_t)nb)
		anomaly("services round trip: a dump filtered to a service %s lists %zu "
			"services, %s with %u backends (want %d)",
			nb < 0 ? "not committed" : "committed", nsvcs,
			e ? "it" : "not it", e ? e->listed : 0, nb);
	return 0;
}

static int svc_roundtrip(void)
{
	int n = 1 + (int)rn(5), j, keys[BATCH_MAX], nb[BATCH_MAX], other;
	long total = 0;
	struct msg *m = mbuf[0];

	st_svc_rt++;
	if (reopen_main())	/* drops any transaction of ours */
		return -1;
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET_SERVICES);
	put_u32(m, A_IFINDEX, opt_ifindex);
	put_u32(m, A_MAX_SERVICES, SVC_DEFAULT_MAX_SERVICES);
	put_u32(m, A_MAX_BACKENDS, SVC_DEFAULT_MAX_BACKENDS);
	put_u32(m, A_MAGLEV_SIZE, chance(50) ? 1021 : MAGLEV_DEFAULT_SIZE);
	m_finish(m);
	st_svc_sets++;
	if (exchange(&mainsock, &m, 1))
		return -1;
	if (!opt_dry && !pend[0].got_ack) {
		anom_req = m->b;
		anom_req_len = m->len;
		anomaly("services round trip: the default limits refused: %d", pend[0].err);
		anom_req = NULL;
		return 0;
	}
	g_clean = 1;
	svc_tx_reset();
	for (j = 0; j < n; j++) {
		long sv;

		m = mbuf[j];
		keys[j] = svc_pick_key();
		nb[j] = chance(50) ? (int)rn(8) : 100 + (int)rn(500);
		total += nb[j];
		m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET_SERVICES);
		put_u32(m, A_IFINDEX, opt_ifindex);
		put_u32(m, A_FLAGS, (j ? 0 : F_REPLACE_SERVICES) | (j < n - 1 ? F_STAGE : 0));
		sv = nest(m, A_SERVICES);
		rt_service(m, keys[j], nb[j]);
		nest_end(m, sv);
		m_finish(m);
		st_svc_sets++;
		if (opt_dry)
			dry_check(m, m->full);
	}
	print_exchange(mbuf, n);
	if (exchange(&mainsock, mbuf, n))
		return -1;
	for (j = 0; j < n && !opt_dry; j++) {
		if (!pend[j].got_ack) {
			anom_req = mbuf[j]->b;
			anom_req_len = mbuf[j]->len;
			anomaly("services round trip: SET_SERVICES %d of %d refused: %d", j + 1, n,
				pend[j].err);
			anom_req = NULL;
			return 0;
		}
	}
	if (!opt_dry)
		drain_events();	/* the commit's SERVICES_CHANGED, for the dump */
	m_init(mbuf[0], family_id, NLM_F_REQUEST | NLM_F_DUMP, C_GET_SERVICES);
	put_u32(mbuf[0], A_IFINDEX, opt_ifindex);
	m_finish(mbuf[0]);
	if (exchange(&mainsock, mbuf, 1))
		return -1;
	if (opt_dry || pend[0].dump_intr)
		return 0;
	if (pend[0].err || pend[0].dump_error || !pend[0].dump_done || !pend[0].have_nums) {
		anomaly("services round trip: dump failed: %d/%d", pend[0].err,
			pend[0].dump_error);
		return 0;
	}
	if (pend[0].num_services != (uint32_t)n || pend[0].num_backends != total ||
	    nsvcs != (size_t)n) {
		anomaly("services round trip: committed %d services with %ld backends, the dump "
			"says %u services, %u backends and lists %zu services", n, total,
			pend[0].num_services, pend[0].num_backends, nsvcs);
		return 0;
	}
	for (j = 0; j < n; j++) {
		uint8_t key[SVC_KEYLEN] = { 0 }, a[16];
		size_t alen = svc_vip(a, keys[j]);
		uint16_t fam = alen == 4 ? AF_INET : AF_INET6;
		uint16_t port = svc_ports[(keys[j] / 2) % SVC_NPORTS];
		struct epent *e;

		memcpy(key, &fam, 2);
		memcpy(key + 2, a, alen);
		memcpy(key + 18, &port, 2);
		key[20] = keys[j] % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		e = svc_find(key, 0);
		if (!e || e->listed != (uint32_t)nb[j]) {
			anomaly("services round trip: service %d of %d (%d backends) dumped %s %u",
				j + 1, n, nb[j], e ? "with" : "missing", e ? e->listed : 0);
			return 0;
		}
	}
	/* filtered: one of them alone, then a key none of them has */
	j = (int)rn((uint32_t)n);
	if (svc_filtered_rt(keys[j], nb[j]))
		return -1;
	for (other = (int)rn(SVC_KEYS), j = 0; j < n; j++) {
		if (keys[j] == other) {
			other = (other + 1) % SVC_KEYS;
			j = -1;
		}
	}
	return svc_filtered_rt(other, -1);
}

static void summary(double t0, int stopped_by_time);

/*
 * NAT off on the device: what the fuzzer configured must not outlive it
 * (the hooks act on the host's traffic).  A fresh socket drops our own
 * open transaction; the answer is only reported.
 */
static void nat_off(void)
{
	struct msg *m = mbuf[0];
	long off;

	if (opt_dry || !opt_ifindex || reopen_main())
		return;
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET);
	put_u32(m, A_IFINDEX, opt_ifindex);
	off = m_put(m, A_NAT | NLA_F_NESTED, NULL, 0);
	nest_end(m, off);
	m_finish(m);
	if (exchange(&mainsock, &m, 1))
		return;
	if (!pend[0].got_ack)
		printf("nlfuzz: turning NAT off at the end: %d\n", pend[0].err);
}

/*
 * The fuzzer's services go too, and the limits return to their defaults:
 * TWILL_F_REPLACE_SERVICES removes every service the transaction does not
 * name, here all of them.  A dump then must list none.
 */
static void services_off(void)
{
	struct msg *m = mbuf[0];

	if (opt_dry || !opt_ifindex)
		return;
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET_SERVICES);
	put_u32(m, A_IFINDEX, opt_ifindex);
	put_u32(m, A_FLAGS, F_REPLACE_SERVICES);
	put_u32(m, A_MAX_SERVICES, SVC_DEFAULT_MAX_SERVICES);
	put_u32(m, A_MAX_BACKENDS, SVC_DEFAULT_MAX_BACKENDS);
	put_u32(m, A_MAGLEV_SIZE, MAGLEV_DEFAULT_SIZE);
	m_finish(m);
	if (exchange(&mainsock, &m, 1))
		return;
	if (!pend[0].got_ack) {
		printf("nlfuzz: removing the services at the end: %d\n", pend[0].err);
		return;
	}
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_DUMP, C_GET_SERVICES);
	put_u32(m, A_IFINDEX, opt_ifindex);
	m_finish(m);
	if (exchange(&mainsock, &m, 1))
		return;
	if (pend[0].err || pend[0].dump_error || !pend[0].dump_done || !pend[0].have_nums)
		anomaly("services dump after removing them all failed: %d/%d",
			pend[0].err, pend[0].dump_error);
	else if (pend[0].num_services || pend[0].num_backends || nsvcs ||
		 pend[0].maglev_size != MAGLEV_DEFAULT_SIZE ||
		 pend[0].max_services != SVC_DEFAULT_MAX_SERVICES ||
		 pend[0].max_backends != SVC_DEFAULT_MAX_BACKENDS)
		anomaly("after SET_SERVICES with only F_REPLACE_SERVICES and the default limits: "
			"%u services, %u backends, %zu listed, limits %u %u %u",
			pend[0].num_services, pend[0].num_backends, nsvcs,
			pend[0].max_services, pend[0].max_backends, pend[0].maglev_size);
}

/* A staged message: one peer with one prefix. */
static void stage_msg(struct msg *m, uint32_t flags, uint8_t last)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t a[4] = { 10, 100, 200, last };
	long peers, peer, pfx, x;

	sin.sin_addr.s_addr = htonl(0xc00002fa);	/* 192.0.2.250 */
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK, C_SET);
	put_u32(m, A_IFINDEX, opt_ifindex);
	put_u32(m, A_FLAGS, flags);
	peers = m_put(m, A_PEERS | NLA_F_NESTED, NULL, 0);
	peer = m_put(m, NLA_F_NESTED, NULL, 0);
	m_put(m, P_ENDPOINT, &sin, sizeof(sin));
	pfx = m_put(m, P_PREFIXES | NLA_F_NESTED, NULL, 0);
	x = m_put(m, NLA_F_NESTED, NULL, 0);
	put_u16(m, X_FAMILY, AF_INET);
	m_put(m, X_ADDR, a, 4);
	put_u8(m, X_CIDR, 32);
	nest_end(m, x);
	nest_end(m, pfx);
	nest_end(m, peer);
	nest_end(m, peers);
	m_finish(m);
}

static int hold(double t0)
{
	struct msg *m = mbuf[0];

	stage_msg(m, F_STAGE | F_REPLACE_PEERS, 1);
	if (exchange(&mainsock, &m, 1))
		return 1;
	if (!pend[0].got_ack) {
		fprintf(stderr, "nlfuzz: could not stage a transaction on ifindex %u: %d\n",
			opt_ifindex, pend[0].err);
		return 1;
	}
	printf("nlfuzz: staged a transaction on ifindex %u, holding it %ds\n", opt_ifindex,
	       opt_hold);
	sleep((unsigned int)opt_hold);
	stage_msg(m, F_STAGE, 2);
	if (exchange(&mainsock, &m, 1))
		return 1;
	printf("nlfuzz: second staged message after the hold: %d\n", pend[0].err);
	sock_close(&mainsock);
	drain_events();
	summary(t0, 0);
	return anomalies ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: nlfuzz [-s SEED] [-n MESSAGES] [-t SECONDS] [-i IFINDEX] [-I IFNAME]\n"
		"              [-w REPLY_TIMEOUT] [-p PROGRESS] [-v] [-D [-x EXCHANGE]]\n"
		"       nlfuzz -H SECONDS -i IFINDEX\n"
		"       nlfuzz -Q ADDR,PORT,PROTO -i IFINDEX\n");
	exit(2);
}

static const char *errname(int e)
{
	static char buf[16];

	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case E2BIG: return "E2BIG";
	case ENOMEM: return "ENOMEM";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ERANGE: return "ERANGE";
	case EMSGSIZE: return "EMSGSIZE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENOBUFS: return "ENOBUFS";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case ENETUNREACH: return "ENETUNREACH";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case ELOOP: return "ELOOP";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case EFAULT: return "EFAULT";
	}
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

static void summary(double t0, int stopped_by_time)
{
	int e;

	printf("nlfuzz: seed %llu: %ld messages in %ld exchanges (%ld batches, %ld transactions, "
	       "%ld left open, %ld socket reopens, %ld ownership checks) in %.1fs%s\n",
	       (unsigned long long)opt_seed, st_msgs, st_exch, st_batches, st_tx, st_tx_open,
	       st_reconnects, st_own, now_s() - t0,
	       stopped_by_time ? " (stopped by the time limit)" : "");
	if (opt_dry) {
		printf("nlfuzz: dry run: %ld malformed unmutated messages, %ld NAT configurations, "
		       "%ld SET_SERVICES\n", dry_bad, st_nat_sets, st_svc_sets);
		return;
	}
	printf("nlfuzz: replies %ld: acks %ld, errors %ld, dumps %ld (%ld messages, %ld interrupted), "
	       "lookups %ld, stray %ld, overruns %ld, send errors %ld\n",
	       st_replies, st_acks, st_errs, st_dumps, st_dump_msgs, st_dump_intr, st_lookups,
	       st_stray, st_overrun, st_send_err);
	printf("nlfuzz: events %ld (overruns %ld, generation went back %ld), unknown attributes %ld\n",
	       st_events, st_ev_overrun, st_gen_back, st_unknown_attr);
	printf("nlfuzz: NAT configurations %ld, flow dumps %ld (%ld flows)\n", st_nat_sets,
	       st_flow_dumps, st_flows);
	printf("nlfuzz: SET_SERVICES %ld (acks %ld, errors %ld), service dumps %ld (%ld messages, "
	       "%ld interrupted, %ld services, %ld backends), services events %ld\n",
	       st_svc_sets, st_svc_acks, st_svc_errs, st_svc_dumps, st_svc_dump_msgs,
	       st_svc_intr, st_svcs, st_backends, st_svc_events);
	printf("nlfuzz: services round trips %ld, dumps matched with their SERVICES_CHANGED %ld\n",
	       st_svc_rt, st_svc_ev_match);
	printf("nlfuzz: errors by errno:");
	for (e = 1; e < 4096; e++)
		if (st_errno[e])
			printf(" %s=%ld", errname(e), st_errno[e]);
	printf("\nnlfuzz: anomalies %ld\n", anomalies);
}

/*
 * -Q ADDR,PORT,PROTO: one GET_SERVICES dump filtered to that key (a field
 * "-" is left out; PROTO tcp, udp or a number), checked as any dump; prints
 * what it lists, or the kernel's error and extack message.
 */
static int query(const char *spec, double t0)
{
	char buf[128], *f[3], *save = NULL;
	struct msg *m = mbuf[0];
	uint8_t a[16];
	long l, sv;
	int i;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (i = 0; i < 3; i++)
		f[i] = strtok_r(i ? NULL : buf, ",", &save);
	if (!f[2] || strtok_r(NULL, ",", &save))
		usage();
	g_clean = 1;
	m_init(m, family_id, NLM_F_REQUEST | NLM_F_DUMP, C_GET_SERVICES);
	put_u32(m, A_IFINDEX, opt_ifindex);
	l = nest(m, A_SERVICES);
	sv = nest(m, 0);
	if (inet_pton(AF_INET, f[0], a) == 1) {
		put_u16(m, S_FAMILY, AF_INET);
		m_put(m, S_ADDR, a, 4);
	} else if (inet_pton(AF_INET6, f[0], a) == 1) {
		put_u16(m, S_FAMILY, AF_INET6);
		m_put(m, S_ADDR, a, 16);
	} else if (strcmp(f[0], "-")) {
		usage();
	}
	if (strcmp(f[1], "-"))
		put_u16(m, S_PORT, (uint16_t)strtoul(f[1], NULL, 0));
	if (strcmp(f[2], "-"))
		put_u8(m, S_PROTO, !strcmp(f[2], "tcp") ? IPPROTO_TCP :
				   !strcmp(f[2], "udp") ? IPPROTO_UDP :
				   (uint8_t)strtoul(f[2], NULL, 0));
	nest_end(m, sv);
	nest_end(m, l);
	m_finish(m);
	last_extack[0] = '\0';
	/* extended acks, whatever the seed gave the first socket */
	sock_close(&mainsock);
	if (sock_open(&mainsock, 1, 0, 0))
		return 2;
	if (exchange(&mainsock, &m, 1))
		return 2;
	if (pend[0].err || pend[0].dump_error)
		printf("nlfuzz: filtered dump: error %s: %s\n",
		       errname(-(pend[0].err ? pend[0].err : pend[0].dump_error)),
		       last_extack);
	else
		printf("nlfuzz: filtered dump: %zu services, %ld backends of %u services\n",
		       nsvcs, dump_backends, pend[0].num_services);
	summary(t0, 0);
	return anomalies || pend[0].err || pend[0].dump_error ? 1 : 0;
}

int main(int argc, char **argv)
{
	double t0, deadline;
	long reopen_in;
	int opt, i, stopped = 0;

	opt_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	while ((opt = getopt(argc, argv, "s:n:t:i:I:w:p:vDx:F:H:Q:h")) != -1) {
		switch (opt) {
		case 's': opt_seed = strtoull(optarg, NULL, 0); break;
		case 'n': opt_count = strtol(optarg, NULL, 0); break;
		case 't': opt_time = strtod(optarg, NULL); break;
		case 'i': opt_ifindex = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'I': opt_ifname = optarg; break;
		case 'w': opt_wait = atoi(optarg); break;
		case 'p': opt_progress = strtol(optarg, NULL, 0); break;
		case 'v': opt_verbose = 1; break;
		case 'D': opt_dry = 1; break;
		case 'x': opt_dump_exch = strtol(optarg, NULL, 0); break;
		case 'F': family_id = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'H': opt_hold = atoi(optarg); break;
		case 'Q': opt_query = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || opt_count < 0 || opt_wait < 1)
		usage();
	if (opt_ifname && strlen(opt_ifname) >= IFNAMSIZ)
		usage();
	if (opt_ifname && !opt_ifindex && !opt_dry)
		opt_ifindex = if_nametoindex(opt_ifname);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < BATCH_MAX; i++) {
		mbuf[i] = calloc(1, sizeof(struct msg));
		if (!mbuf[i])
			return 2;
	}
	pfxset = calloc(PFX_HASH, sizeof(*pfxset));
	flowset = calloc(FLOW_HASH, sizeof(*flowset));
	bkset = calloc(FLOW_HASH, sizeof(*bkset));
	if (!pfxset || !flowset || !bkset)
		return 2;
	if (opt_dry) {
		if (!family_id)
			family_id = 0x20;
	} else {
		if (resolve_family()) {
			fprintf(stderr, "nlfuzz: generic netlink family \"twill\" not found\n");
			return 2;
		}
		if (sock_open(&evsock, 0, 0, 0))
			return 2;
		if (events_grp &&
		    setsockopt(evsock.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &events_grp,
			       sizeof(events_grp)) < 0) {
			perror("nlfuzz: join events group");
			return 2;
		}
		if (!events_grp)
			anomaly("family has no \"events\" multicast group");
	}
	printf("nlfuzz: seed %llu, %ld messages, at most %.0fs, family 0x%x, events group %u, "
	       "device ifindex %u name %s%s\n",
	       (unsigned long long)opt_seed, opt_count, opt_time, family_id, events_grp,
	       opt_ifindex, opt_ifname ? opt_ifname : "-", opt_dry ? " (dry run)" : "");
	rng = opt_seed;
	t0 = now_s();
	deadline = t0 + opt_time;
	if (!opt_dry && reopen_main())
		return 2;
	if (opt_dry)
		mainsock.fd = -1;
	if (opt_hold > 0 && !opt_dry)
		return hold(t0);
	if (opt_query && !opt_dry)
		return query(opt_query, t0);
	reopen_in = 20 + rn(300);

	while (st_msgs < opt_count) {
		int kind = (int)rn(100), n = 1, j;

		if (now_s() > deadline) {
			stopped = 1;
			break;
		}
		cur_exch = ++st_exch;
		if (opt_progress && st_exch % opt_progress == 0)
			printf("nlfuzz: progress: exchange %ld, %ld messages, %ld anomalies, %.0fs\n",
			       st_exch, st_msgs, anomalies, now_s() - t0);
		if (--reopen_in <= 0) {
			reopen_in = 20 + rn(300);
			if (reopen_main())
				return 2;
		}
		if (kind < 2 && opt_ifindex) {
			if (ownership_check())
				break;
			continue;
		}
		if (kind < 4 && opt_ifindex) {
			if (svc_roundtrip())
				break;
			continue;
		}
		if (kind < 16) {
			/* a transaction of 2..6 SET messages to the device */
			int leave_open = chance(35), together = chance(50);

			st_tx++;
			n = 2 + (int)rn(5);
			svc_tx_reset();
			for (j = 0; j < n; j++) {
				struct msg *m = mbuf[j];
				long fl = F_STAGE;
				int svc = chance(30);	/* SET_SERVICES mixed in */

				g_clean = chance(60);
				if (j == 0 && chance(40))
					fl |= F_REPLACE_PEERS;
				if (j == 0 && chance(20))
					fl |= F_REPLACE_SERVICES;
				if (j > 0 && bad(5))
					fl |= F_REPLACE_PEERS;	/* refused: not first */
				if (j > 0 && bad(5))
					fl |= F_REPLACE_SERVICES;
				if (j == n - 1 && !leave_open)
					fl &= ~F_STAGE;
				m_init(m, family_id, NLM_F_REQUEST | NLM_F_ACK,
				       svc ? C_SET_SERVICES : C_SET);
				put_u32(m, A_IFINDEX, opt_ifindex);
				put_u32(m, A_FLAGS, (uint32_t)fl);
				if (svc) {
					st_svc_sets++;
					if (chance(10))
						gen_svc_limits(m);
					if (chance(85))
						gen_svc_list(m, 1 + (int)rn(4));
				} else {
					if (chance(15))
						gen_settings(m);
					if (chance(8))
						gen_nat(m);
					if (chance(85))
						gen_peers(m);
				}
				m_finish(m);
				if (bad(15))
					mutate(m);
				if (opt_dry)
					dry_check(m, 1);
			}
			print_exchange(mbuf, n);
			if (together) {
				if (exchange(&mainsock, mbuf, n))
					break;
			} else {
				for (j = 0; j < n; j++)
					if (exchange(&mainsock, &mbuf[j], 1))
						break;
				if (j < n)
					break;
			}
			if (leave_open) {
				st_tx_open++;
				if (chance(50) && reopen_main())	/* abandon it */
					return 2;
			}
		} else {
			int mutated[BATCH_MAX];

			if (kind < 26)
				n = 2 + (int)rn(BATCH_MAX - 1);
			for (j = 0; j < n; j++) {
				gen_message(mbuf[j]);
				mutated[j] = bad(50);
				if (mutated[j])
					mutate(mbuf[j]);
				if (opt_dry)
					dry_check(mbuf[j], mutated[j] || mbuf[j]->full);
			}
			print_exchange(mbuf, n);
			if (exchange(&mainsock, mbuf, n))
				break;
		}
		if (!opt_dry)
			drain_events();
	}
	if (!opt_dry) {
		nat_off();
		services_off();
		sock_close(&mainsock);
		drain_events();
		sock_close(&evsock);
	}
	summary(t0, stopped);
	if (opt_dry)
		return dry_bad ? 1 : 0;
	/* A run that stopped short of its count did not test what it says. */
	if (st_msgs < opt_count) {
		fprintf(stderr, "nlfuzz: FAILED: sent %ld of %ld messages (%s)\n", st_msgs,
			opt_count, stopped ? "stopped by the time limit" : "stopped by an error");
		return 1;
	}
	return anomalies ? 1 : 0;
}
