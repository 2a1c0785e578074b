// SPDX-License-Identifier: GPL-2.0
/*
 * pktfuzz: send many randomized and mutated VXLAN datagrams from a plain
 * UDP socket (sendmmsg, batches of 64) to a twill device's port.
 *
 *   pktfuzz [-s SEED] [-n COUNT] [-t SECONDS] [-r PPS] [-b SRC] [-P SPORT]
 *           [-p DPORT] [-v VNI] [-d DMAC] [-m SMAC] [-4 SRC4,DST4]
 *           [-6 SRC6,DST6] [-k KIND] DST
 *
 * -4/-6 give the inner source (an address the sending peer owns) and
 * destination (a pod behind DST) of the "valid" packets; the other kinds
 * derive from them.  Kinds, mixed at random:
 *   valid       correct VXLAN header and VNI, well-formed inner IPv4/IPv6
 *               (UDP, TCP, ICMP) with random payload
 *   rand-inner  correct VXLAN header, random inner bytes
 *   trunc       cut inside the VXLAN, Ethernet or IP header
 *   bad-flags   I flag missing, other flag bits, reserved fields set
 *   bad-vni     another VNI
 *   ip4-bad     inner IPv4 with bad IHL/total length/version/checksum,
 *               options (valid and junk), fragments
 *   ip6-bad     inner IPv6 with bad payload length, extension headers,
 *               fragment headers, truncation
 *   ethertype   inner Ethernet with other EtherTypes (ARP, VLAN, MPLS,
 *               random), or IP under the wrong EtherType
 *   spoofed     valid-looking inner packet whose source is outside the
 *               sender's prefixes (random, DST's own pods, multicast,
 *               broadcast, zero, loopback)
 *   random      random bytes of random length
 *   big         valid packet of 1.5-4 KB (outer IP fragments, reassembled
 *               before twill sees them)
 * -r limits the rate (datagrams per second, batches of 64); -k sends only
 * the named kind.  The stream depends only on the seed.  Prints a summary with the count
 * per kind.  Exit 1 when the time limit (-t) stops it before COUNT datagrams
 * or every send failed, 2 when the socket could not be set up, else 0.
 * Static build: see Makefile.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PKTMAX 4200

enum kind { K_VALID, K_RAND_INNER, K_TRUNC, K_BAD_FLAGS, K_BAD_VNI, K_IP4_BAD,
	    K_IP6_BAD, K_ETHERTYPE, K_SPOOFED, K_RANDOM, K_BIG, K_NKINDS };
static const char *kind_name[K_NKINDS] = {
	"valid", "rand-inner", "trunc", "bad-flags", "bad-vni", "ip4-bad",
	"ip6-bad", "ethertype", "spoofed", "random", "big"
};
/* weights per 1000 */
static const int kind_weight[K_NKINDS] = { 170, 80, 100, 70, 70, 150, 110, 70,
					   110, 60, 10 };

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
	return rn(100) < pct;
}

static void rbytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = (uint8_t)r64();
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* configuration */
static uint8_t src4[4] = { 10, 244, 2, 11 }, dst4[4] = { 10, 244, 1, 11 };
static uint8_t src6[16], dst6[16];
static uint8_t dmac[6] = { 0x02, 0x74, 0x77, 0, 0, 0x01 };
static uint8_t smac[6] = { 0x02, 0x74, 0x77, 0, 0, 0x02 };
static uint32_t vni = 1;

static size_t vxlan_hdr(uint8_t *p, uint8_t flags, uint32_t v)
{
	memset(p, 0, 8);
	p[0] = flags;
	p[4] = (uint8_t)(v >> 16);
	p[5] = (uint8_t)(v >> 8);
	p[6] = (uint8_t)v;
	return 8;
}

static size_t eth_hdr(uint8_t *p, unsigned int type)
{
	memcpy(p, dmac, 6);
	memcpy(p + 6, smac, 6);
	if (chance(5))
		rbytes(p, 12);
	put16(p + 12, type);
	return 14;
}

/* L4 header + payload after an IP header; returns its length. */
static size_t l4(uint8_t *p, int proto, size_t plen)
{
	size_t h;

	switch (proto) {
	case IPPROTO_TCP:
		h = 20;
		rbytes(p, h);
		p[12] = 0x50;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		h = 8;
		rbytes(p, h);
		p[0] = proto == IPPROTO_ICMP ? 8 : 128;	/* echo request */
		p[1] = 0;
		break;
	default:
		h = 8;
		put16(p, 40000 + rn(1000));
		put16(p + 2, 9);
		put16(p + 4, (unsigned int)(8 + plen));
		p[6] = p[7] = 0;
		break;
	}
	rbytes(p + h, plen);
	return h + plen;
}

static int rand_proto4(void)
{
	static const int pr[] = { IPPROTO_UDP, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP };
	return pr[rn(4)];
}

/* Inner IPv4 packet; returns its length. */
static size_t ip4(uint8_t *p, const uint8_t *s, const uint8_t *d, size_t plen,
		  size_t optlen)
{
	int proto = rand_proto4();
	size_t hl = 20 + optlen, i;
	size_t len;

	memset(p, 0, hl);
	p[0] = (uint8_t)(0x40 | (hl / 4));
	p[1] = chance(10) ? (uint8_t)r64() : 0;
	p[8] = (uint8_t)(1 + rn(255));
	p[9] = (uint8_t)proto;
	put16(p + 4, rn(65536));
	memcpy(p + 12, s, 4);
	memcpy(p + 16, d, 4);
	for (i = 20; i < hl; i++)
		p[i] = 1;	/* NOP options */
	len = hl + l4(p + hl, proto, plen);
	put16(p + 2, (unsigned int)len);
	put16(p + 10, csum_fold(csum_add(0, p, hl)));
	return len;
}

static size_t ip6(uint8_t *p, const uint8_t *s, const uint8_t *d, size_t plen)
{
	static const int pr[] = { IPPROTO_UDP, IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMPV6 };
	int proto = pr[rn(4)];
	size_t len;

	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = (uint8_t)proto;
	p[7] = (uint8_t)(1 + rn(255));
	memcpy(p + 8, s, 16);
	memcpy(p + 24, d, 16);
	len = l4(p + 40, proto, plen);
	put16(p + 4, (unsigned int)len);
	return 40 + len;
}

static size_t small_payload(void)
{
	return chance(80) ? rn(120) : rn(1300);
}

/* A well-formed packet: VXLAN + Ethernet + IPv4 or IPv6 from src to dst. */
static size_t valid_pkt(uint8_t *p, size_t plen, const uint8_t *s4, const uint8_t *s6)
{
	size_t n = vxlan_hdr(p, 0x08, vni);

	if (chance(60)) {
		n += eth_hdr(p + n, 0x0800);
		n += ip4(p + n, s4, dst4, plen, 0);
	} else {
		n += eth_hdr(p + n, 0x86dd);
		n += ip6(p + n, s6, dst6, plen);
	}
	return n;
}

static size_t gen(uint8_t *p, enum kind k)
{
	size_t n, i, ipoff;
	uint8_t a4[4], a6[16];

	switch (k) {
	case K_VALID:
		return valid_pkt(p, small_payload(), src4, src6);

	case K_RAND_INNER:
		n = vxlan_hdr(p, 0x08, vni);
		if (chance(50)) {
			n += eth_hdr(p + n, chance(50) ? 0x0800 : 0x86dd);
		}
		i = rn(200);
		rbytes(p + n, i);
		return n + i;

	case K_TRUNC:
		n = valid_pkt(p, small_payload(), src4, src6);
		switch (rn(4)) {
		case 0: return rn(8);			/* in the VXLAN header */
		case 1: return 8 + rn(14);		/* in the Ethernet header */
		case 2: {				/* in the IP header */
			size_t ihl = p[22] >> 4 == 6 ? 40 : 20;

			return 22 + rn((uint32_t)ihl);
		}
		default: return 22 + rn((uint32_t)(n - 22));	/* anywhere */
		}

	case K_BAD_FLAGS:
		n = valid_pkt(p, small_payload(), src4, src6);
		switch (rn(5)) {
		case 0: p[0] = 0; break;
		case 1: p[0] = (uint8_t)(0x08 | (1u << rn(8))); if (p[0] == 0x08) p[0] = 0x0c; break;
		case 2: p[0] = (uint8_t)r64(); if (p[0] == 0x08) p[0] = 0x88; break;
		case 3: p[1 + rn(3)] = (uint8_t)(1 + rn(255)); break;	/* reserved */
		default: p[7] = (uint8_t)(1 + rn(255)); break;		/* reserved */
		}
		return n;

	case K_BAD_VNI:
		n = valid_pkt(p, small_payload(), src4, src6);
		{
			uint32_t v;

			do
				v = chance(50) ? (uint32_t)rn(4) : (uint32_t)(r64() & 0xffffff);
			while (v == vni);
			p[4] = (uint8_t)(v >> 16);
			p[5] = (uint8_t)(v >> 8);
			p[6] = (uint8_t)v;
		}
		return n;

	case K_IP4_BAD:
		n = vxlan_hdr(p, 0x08, vni);
		n += eth_hdr(p + n, 0x0800);
		ipoff = n;
		n += ip4(p + n, src4, dst4, small_payload(), chance(30) ? 4 * (1 + rn(10)) : 0);
		switch (rn(10)) {
		case 0: p[ipoff] = (uint8_t)(0x40 | rn(5)); break;		/* IHL < 5 */
		case 1: p[ipoff] = (uint8_t)(0x40 | (6 + rn(10))); break;	/* IHL past options */
		case 2: put16(p + ipoff + 2, (unsigned int)(n - ipoff + 1 + rn(2000))); break;
		case 3: put16(p + ipoff + 2, rn((uint32_t)(p[ipoff] & 15) * 4)); break;
		case 4: p[ipoff] = (uint8_t)((rn(16) << 4) | 5); break;	/* version */
		case 5: p[ipoff + 10] ^= 0x5a; break;				/* checksum */
		case 6:	/* fragment: MF and/or offset */
			put16(p + ipoff + 6, (chance(50) ? 0x2000 : 0) | rn(0x2000));
			put16(p + ipoff + 10, 0);
			put16(p + ipoff + 10, csum_fold(csum_add(0, p + ipoff, (p[ipoff] & 15) * 4u)));
			break;
		case 7:	/* junk options */
			if ((p[ipoff] & 15) > 5)
				rbytes(p + ipoff + 20, ((p[ipoff] & 15) - 5) * 4u);
			break;
		case 8: n = ipoff + 20 + rn(8); break;	/* cut after the header */
		default: p[ipoff + 9] = (uint8_t)r64(); break;	/* protocol */
		}
		return n;

	case K_IP6_BAD:
		n = vxlan_hdr(p, 0x08, vni);
		n += eth_hdr(p + n, 0x86dd);
		ipoff = n;
		n += ip6(p + n, src6, dst6, small_payload());
		switch (rn(7)) {
		case 0: put16(p + ipoff + 4, (unsigned int)(n - ipoff - 40 + 1 + rn(2000))); break;
		case 1: put16(p + ipoff + 4, rn((uint32_t)(n - ipoff - 40))); break;
		case 2: p[ipoff] = (uint8_t)(rn(16) << 4); break;	/* version */
		case 3: {	/* hop-by-hop / dest options header, maybe junk */
			size_t el = 8 * (1 + rn(3));

			memmove(p + ipoff + 40 + el, p + ipoff + 40, n - ipoff - 40);
			p[ipoff + 40] = p[ipoff + 6];
			p[ipoff + 41] = (uint8_t)(el / 8 - 1);
			memset(p + ipoff + 42, 0, el - 2);
			p[ipoff + 42] = 1;	/* PadN */
			p[ipoff + 43] = (uint8_t)(el - 4);
			if (chance(40))
				rbytes(p + ipoff + 42, el - 2);
			p[ipoff + 6] = chance(50) ? 0 : 60;
			n += el;
			put16(p + ipoff + 4, (unsigned int)(n - ipoff - 40));
			break;
		}
		case 4: {	/* fragment header */
			memmove(p + ipoff + 48, p + ipoff + 40, n - ipoff - 40);
			p[ipoff + 40] = p[ipoff + 6];
			p[ipoff + 41] = 0;
			put16(p + ipoff + 42, (rn(0x2000) << 3) | rn(2));
			rbytes(p + ipoff + 44, 4);
			p[ipoff + 6] = 44;
			n += 8;
			put16(p + ipoff + 4, (unsigned int)(n - ipoff - 40));
			break;
		}
		case 5: n = ipoff + rn(40); break;
		default: p[ipoff + 6] = (uint8_t)r64(); break;	/* next header */
		}
		return n;

	case K_ETHERTYPE:
		n = valid_pkt(p, small_payload(), src4, src6);
		{
			static const unsigned int et[] = { 0x0806, 0x8100, 0x88a8, 0x8847,
				0x88cc, 0x0000, 0xffff, 0x0600, 0x05dc };
			unsigned int t = chance(70) ? et[rn(9)] : rn(65536);

			if (chance(25))	/* IP under the other IP EtherType */
				t = p[22] >> 4 == 4 ? 0x86dd : 0x0800;
			if (t == 0x0800 || t == 0x86dd)
				t = p[22] >> 4 == 4 ? 0x86dd : 0x0800;
			put16(p + 20, t);
		}
		return n;

	case K_SPOOFED:
		switch (rn(7)) {
		case 0: memcpy(a4, dst4, 4); a4[3] ^= 0x7; break;	/* DST's pods */
		case 1: a4[0] = 224; a4[1] = 0; a4[2] = 0; a4[3] = 1; break;
		case 2: memset(a4, 255, 4); break;
		case 3: memset(a4, 0, 4); break;
		case 4: a4[0] = 127; a4[1] = 0; a4[2] = 0; a4[3] = 1; break;
		case 5: memcpy(a4, src4, 4); a4[2] ^= (uint8_t)(1 + rn(200)); break;
		default: rbytes(a4, 4); a4[0] = (uint8_t)(11 + rn(200)); break;
		}
		memcpy(a6, dst6, 16);
		switch (rn(4)) {
		case 0: a6[15] ^= 0x7; break;
		case 1: memset(a6, 0, 16); a6[0] = 0xff; a6[1] = 2; a6[15] = 1; break;
		case 2: memset(a6, 0, 16); a6[15] = 1; break;
		default: rbytes(a6, 16); a6[0] = 0x20; break;
		}
		return valid_pkt(p, small_payload(), a4, a6);

	case K_RANDOM:
		n = rn(chance(90) ? 100 : 1500);
		rbytes(p, n);
		if (chance(50) && n >= 8)
			vxlan_hdr(p, 0x08, vni);
		return n;

	case K_BIG:
	default:
		return valid_pkt(p, 1500 + rn(2500), src4, src6);
	}
}

static int parse_pair(const char *s, int fam, uint8_t *a, uint8_t *b)
{
	char buf[128], *c;

	snprintf(buf, sizeof(buf), "%s", s);
	c = strchr(buf, ',');
	if (!c)
		return -1;
	*c = 0;
	return inet_pton(fam, buf, a) == 1 && inet_pton(fam, c + 1, b) == 1 ? 0 : -1;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_addr(const char *s, struct sockaddr_storage *ss, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	return -1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pktfuzz [-s SEED] [-n COUNT] [-t SECONDS] [-r PPS] [-b SRC] [-P SPORT]\n"
		"               [-p DPORT] [-v VNI] [-d DMAC] [-m SMAC] [-4 SRC4,DST4]\n"
		"               [-6 SRC6,DST6] [-k KIND] DST\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static uint8_t pkts[BATCH][PKTMAX];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage dst, src;
	const char *srcstr = NULL;
	uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	long count = 200000, sent = 0, errs = 0, per_kind[K_NKINDS] = { 0 };
	long by_errno[256] = { 0 };
	double limit = 300, t0, dt, rate = 0;
	int only = -1;
	int dport = 8472, sport = 0, fd, opt, one = 1, i, k, stopped = 0;
	long made = 0;

	inet_pton(AF_INET6, "fd00:244:2::11", src6);
	inet_pton(AF_INET6, "fd00:244:1::11", dst6);
	while ((opt = getopt(argc, argv, "s:n:t:r:b:P:p:v:d:m:4:6:k:h")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': count = strtol(optarg, NULL, 0); break;
		case 't': limit = strtod(optarg, NULL); break;
		case 'r': rate = strtod(optarg, NULL); break;
		case 'k':
			for (only = 0; only < K_NKINDS; only++)
				if (!strcmp(optarg, kind_name[only]))
					break;
			if (only == K_NKINDS)
				usage();
			break;
		case 'b': srcstr = optarg; break;
		case 'P': sport = atoi(optarg); break;
		case 'p': dport = atoi(optarg); break;
		case 'v': vni = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'd': if (parse_mac(optarg, dmac)) usage(); break;
		case 'm': if (parse_mac(optarg, smac)) usage(); break;
		case '4': if (parse_pair(optarg, AF_INET, src4, dst4)) usage(); break;
		case '6': if (parse_pair(optarg, AF_INET6, src6, dst6)) usage(); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || count < 0)
		usage();
	if (parse_addr(argv[optind], &dst, dport)) {
		fprintf(stderr, "pktfuzz: bad destination %s\n", argv[optind]);
		return 2;
	}
	fd = socket(dst.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("pktfuzz: socket");
		return 2;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (srcstr || sport) {
		if (parse_addr(srcstr ? srcstr : dst.ss_family == AF_INET ? "0.0.0.0" : "::",
			       &src, sport) || src.ss_family != dst.ss_family) {
			fprintf(stderr, "pktfuzz: bad source %s\n", srcstr);
			return 2;
		}
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			perror("pktfuzz: bind");
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("pktfuzz: seed %llu, %ld datagrams to %s port %d, at most %.0fs\n",
	       (unsigned long long)seed, count, argv[optind], dport, limit);
	rng = seed;
	t0 = now_s();
	while (made < count) {
		int n = (int)(count - made < BATCH ? count - made : BATCH), done = 0;

		if (now_s() - t0 > limit) {
			stopped = 1;
			break;
		}
		if (rate > 0) {	/* pace: batch number made/64 is due at made/rate */
			double due = t0 + made / rate, wait = due - now_s();

			if (wait > 0) {
				struct timespec ts = { (time_t)wait,
						       (long)((wait - (time_t)wait) * 1e9) };

				nanosleep(&ts, NULL);
			}
		}
		for (i = 0; i < n; i++) {
			int w = (int)rn(1000), acc = 0;

			for (k = 0; k < K_NKINDS - 1; k++) {
				acc += kind_weight[k];
				if (w < acc)
					break;
			}
			if (only >= 0)
				k = only;
			per_kind[k]++;
			iov[i].iov_base = pkts[i];
			iov[i].iov_len = gen(pkts[i], (enum kind)k);
			memset(&mm[i], 0, sizeof(mm[i]));
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &dst;
			mm[i].msg_hdr.msg_namelen = dst.ss_family == AF_INET ?
				sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		}
		made += n;
		while (done < n) {
			int r = sendmmsg(fd, mm + done, (unsigned int)(n - done), 0);

			if (r < 0) {
				/* ICMP errors of earlier datagrams, full queues:
				 * count, skip the datagram, go on */
				errs++;
				by_errno[errno < 256 ? errno : 0]++;
				done++;
				continue;
			}
			sent += r;
			done += r;
		}
	}
	dt = now_s() - t0;
	printf("pktfuzz: seed %llu: sent %ld of %ld datagrams in %.1fs (%.0f/s)%s, send errors %ld",
	       (unsigned long long)seed, sent, made, dt, dt > 0 ? sent / dt : 0.0,
	       stopped ? " (stopped by the time limit)" : "", errs);
	for (i = 0; i < 256; i++)
		if (by_errno[i])
			printf(" [%s: %ld]", strerror(i), by_errno[i]);
	printf("\npktfuzz: kinds:");
	for (k = 0; k < K_NKINDS; k++)
		printf(" %s=%ld", kind_name[k], per_kind[k]);
	printf("\n");
	close(fd);
	/* Stopped short of the count: the run did not test what it says.
	 * Datagrams the socket refused (errors counted above) were made and
	 * tried; their share shows in the summary. */
	if (made < count) {
		fprintf(stderr, "pktfuzz: FAILED: made %ld of %ld datagrams (stopped by the time limit)\n",
			made, count);
		return 1;
	}
	return sent ? 0 : 1;
}
