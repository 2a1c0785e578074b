// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend: send crafted UDP payloads, by default VXLAN packets carrying an
 * inner Ethernet + IPv4/IPv6 + UDP packet, for the twill datapath tests.
 * The outer IP and UDP headers are the kernel's (an ordinary UDP socket
 * bound to -s ADDR), so the tool needs no raw sockets.
 *
 *   udpsend -s 192.0.2.2 -i 10.244.2.11,10.244.1.11 192.0.2.1
 *   udpsend -s 192.0.2.2 -f 0x00 -i ... 192.0.2.1        bad flags
 *   udpsend -s 192.0.2.2 -v 7 -i ... 192.0.2.1           wrong VNI
 *   udpsend -s 192.0.2.2 -t 4 192.0.2.1                  truncated
 *   udpsend -s 192.0.2.2 -x 'de ad be ef' 192.0.2.1      raw bytes
 *   udpsend -s 192.0.2.2 -i ... -F 10000 -S 1 192.0.2.1  fuzz
 *   udpsend -T 0x10 -x 00 -p 9 10.244.2.5               plain datagram, TOS
 *   udpsend -P 9000 -x 00 -W 60 127.0.0.1               hold port 9000 60 s
 *
 * Prints "sent N" on success, also when SIGTERM or SIGINT stops it
 * before COUNT (a flood of -c 1000000000 stopped by the scenario says how
 * much it sent).  Static build: see Makefile.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXPKT 9000

static void usage(void)
{
	fprintf(stderr,
		"usage: udpsend [-s SRC] [-P SPORT] [-p DPORT] [-c COUNT] [-T TOS] [-W SECS]\n"
		"               [-x HEX | [-f FLAGS] [-r] [-v VNI]\n"
		"                [-i INNER_SRC,INNER_DST] [-d DMAC] [-m SMAC]\n"
		"                [-e ETHERTYPE] [-l PAYLOAD_LEN]]\n"
		"               [-t TRUNCATE_TO] [-F FUZZ_COUNT] [-S SEED] DST\n");
	exit(2);
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int parse_hex(const char *s, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else if (*s == ' ' || *s == ':' || *s == '\n' || *s == '\t')
			continue;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= max)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
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

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Inner IP + UDP (dst port 9) with @plen payload bytes; returns length. */
static size_t build_inner_ip(uint8_t *p, int family, const void *src,
			     const void *dst, size_t plen)
{
	uint8_t *udp;
	size_t i, hl = family == AF_INET ? 20 : 40, ulen = 8 + plen;
	uint32_t sum;

	memset(p, 0, hl + ulen);
	if (family == AF_INET) {
		p[0] = 0x45;
		put16(p + 2, (unsigned int)(hl + ulen));
		put16(p + 4, 0x7477);
		p[8] = 64;
		p[9] = IPPROTO_UDP;
		memcpy(p + 12, src, 4);
		memcpy(p + 16, dst, 4);
		put16(p + 10, csum_fold(csum_add(0, p, 20)));
	} else {
		p[0] = 0x60;
		put16(p + 4, (unsigned int)ulen);
		p[6] = IPPROTO_UDP;
		p[7] = 64;
		memcpy(p + 8, src, 16);
		memcpy(p + 24, dst, 16);
	}
	udp = p + hl;
	put16(udp, 40000);
	put16(udp + 2, 9);
	put16(udp + 4, (unsigned int)ulen);
	for (i = 0; i < plen; i++)
		udp[8 + i] = (uint8_t)("twill-udpsend-payload"[i % 21]);
	/* pseudo header + UDP */
	if (family == AF_INET)
		sum = csum_add(0, p + 12, 8);
	else
		sum = csum_add(0, p + 8, 32);
	sum += IPPROTO_UDP + (uint32_t)ulen;
	sum = csum_add(sum, udp, ulen);
	put16(udp + 6, csum_fold(sum) ? csum_fold(sum) : 0xffff);
	return hl + ulen;
}

/* xorshift, reproducible across libcs */
static uint64_t rng_state = 0x7477696c6cULL;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static size_t mutate(uint8_t *p, const uint8_t *base, size_t len)
{
	size_t n = len, i, k;

	memcpy(p, base, len);
	switch (rnd() % 6) {
	case 0: /* flip a few bits, mostly in the headers */
		for (k = 1 + rnd() % 4, i = 0; i < k; i++)
			p[rnd() % (n < 80 ? n : 80)] ^= (uint8_t)(1u << (rnd() % 8));
		break;
	case 1: /* random bytes somewhere */
		for (k = 1 + rnd() % 8, i = 0; i < k; i++)
			p[rnd() % n] = (uint8_t)rnd();
		break;
	case 2: /* truncate */
		n = rnd() % len;
		break;
	case 3: /* extend with garbage */
		k = rnd() % 200;
		if (n + k > MAXPKT)
			k = MAXPKT - n;
		for (i = 0; i < k; i++)
			p[n + i] = (uint8_t)rnd();
		n += k;
		break;
	case 4: /* keep the VXLAN header, scramble the inner headers */
		for (i = 8; i < n && i < 8 + 14 + 40; i++)
			if (rnd() % 4 == 0)
				p[i] = (uint8_t)rnd();
		break;
	default: /* all random */
		n = rnd() % 120;
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)rnd();
		break;
	}
	return n;
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

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };
	static uint8_t pkt[MAXPKT + 256], buf[MAXPKT + 256];
	struct sockaddr_storage src, dst;
	const char *srcstr = NULL, *inner = NULL, *hex = NULL;
	uint8_t dmac[6] = { 0x02, 0x74, 0x77, 0, 0, 0x01 };
	uint8_t smac[6] = { 0x02, 0x74, 0x77, 0, 0, 0x02 };
	long sport = 0, dport = 8472, count = 1, fuzz = 0, trunc = -1;
	long flags = 0x08, vni = 1, ethertype = -1, plen = 16;
	int reserved = 0, fd, opt, one = 1, tos = -1, linger = 0;
	size_t len = 0;
	long i, sent = 0;

	while ((opt = getopt(argc, argv, "s:P:p:c:x:f:rv:i:d:m:e:l:t:F:S:T:W:h")) != -1) {
		switch (opt) {
		case 's': srcstr = optarg; break;
		case 'P': sport = strtol(optarg, NULL, 0); break;
		case 'p': dport = strtol(optarg, NULL, 0); break;
		case 'c': count = strtol(optarg, NULL, 0); break;
		case 'T': tos = (int)strtol(optarg, NULL, 0); break;
		case 'W': linger = (int)strtol(optarg, NULL, 0); break;
		case 'x': hex = optarg; break;
		case 'f': flags = strtol(optarg, NULL, 0); break;
		case 'r': reserved = 1; break;
		case 'v': vni = strtol(optarg, NULL, 0); break;
		case 'i': inner = optarg; break;
		case 'd': if (parse_mac(optarg, dmac)) usage(); break;
		case 'm': if (parse_mac(optarg, smac)) usage(); break;
		case 'e': ethertype = strtol(optarg, NULL, 0); break;
		case 'l': plen = strtol(optarg, NULL, 0); break;
		case 't': trunc = strtol(optarg, NULL, 0); break;
		case 'F': fuzz = strtol(optarg, NULL, 0); break;
		case 'S': rng_state ^= (uint64_t)strtoull(optarg, NULL, 0) * 0x9e3779b97f4a7c15ULL; break;
		default: usage();
		}
	}
	if (optind != argc - 1 || plen < 0 || plen > 1400)
		usage();
	if (parse_addr(argv[optind], &dst, (int)dport)) {
		fprintf(stderr, "udpsend: bad destination %s\n", argv[optind]);
		return 2;
	}

	if (hex) {
		int n = parse_hex(hex, pkt, MAXPKT);

		if (n < 0) {
			fprintf(stderr, "udpsend: bad hex\n");
			return 2;
		}
		len = (size_t)n;
	} else {
		/* VXLAN header: flags, 3 reserved, VNI (3 bytes), 1 reserved */
		pkt[0] = (uint8_t)flags;
		pkt[4] = (uint8_t)(vni >> 16);
		pkt[5] = (uint8_t)(vni >> 8);
		pkt[6] = (uint8_t)vni;
		if (reserved)
			pkt[3] = pkt[7] = 0x01;
		len = 8;
		if (inner) {
			char a[64], *comma;
			uint8_t sa[16], da[16];
			int fam = AF_INET;

			snprintf(a, sizeof(a), "%s", inner);
			comma = strchr(a, ',');
			if (!comma)
				usage();
			*comma = '\0';
			if (inet_pton(AF_INET, a, sa) != 1) {
				fam = AF_INET6;
				if (inet_pton(AF_INET6, a, sa) != 1)
					usage();
			}
			if (inet_pton(fam, comma + 1, da) != 1)
				usage();
			memcpy(pkt + len, dmac, 6);
			memcpy(pkt + len + 6, smac, 6);
			if (ethertype < 0)
				ethertype = fam == AF_INET ? 0x0800 : 0x86dd;
			put16(pkt + len + 12, (unsigned int)ethertype);
			len += 14;
			len += build_inner_ip(pkt + len, fam, sa, da, (size_t)plen);
		}
	}
	if (trunc >= 0 && (size_t)trunc < len)
		len = (size_t)trunc;

	fd = socket(dst.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpsend: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (tos >= 0 &&
	    (dst.ss_family == AF_INET ?
	     setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) :
	     setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos)))) {
		perror("udpsend: TOS");
		return 1;
	}
	if (srcstr || sport) {
		if (parse_addr(srcstr ? srcstr : (dst.ss_family == AF_INET ? "0.0.0.0" : "::"),
			       &src, (int)sport) || src.ss_family != dst.ss_family) {
			fprintf(stderr, "udpsend: bad source %s\n", srcstr);
			return 2;
		}
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			perror("udpsend: bind");
			return 1;
		}
	}

	/* Without SA_RESTART: a sendto() blocked on a full queue returns. */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < (fuzz ? fuzz : count) && !stop; i++) {
		const uint8_t *p = pkt;
		size_t n = len;

		if (fuzz) {
			n = mutate(buf, pkt, len);
			p = buf;
		}
		if (sendto(fd, p, n, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			/* ICMP errors from earlier packets surface here */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == EINTR)
				continue;
			perror("udpsend: sendto");
			return 1;
		}
		sent++;
	}
	printf("sent %ld\n", sent);
	fflush(stdout);
	/* -W: keep the socket (and its port) a while, e.g. to block a port. */
	if (linger > 0 && !stop)
		sleep((unsigned int)linger);
	close(fd);
	return 0;
}
