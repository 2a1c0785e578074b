// SPDX-License-Identifier: GPL-2.0
/*
 * flowtool: TCP and UDP endpoints for the NAT scenarios and benchmark
 * (tests/netns/nat-*.sh, tests/bench/nat.sh).  Static build: see Makefile.
 *
 *   flowtool serve [-q] PORT[,PORT...]
 *	TCP and UDP on every address (IPv4 and IPv6) on each PORT.  Prints
 *	"tcp ADDR PORT" for every accepted connection and "udp ADDR PORT"
 *	for every datagram (the peer as seen here; -q: nothing).  TCP: a
 *	request byte 'q' is answered "ok\n" and the server closes; 'h' is
 *	answered "ok\n" and the connection stays until the peer closes.  UDP:
 *	every datagram is echoed.  Runs until killed; prints "listening" when
 *	ready.
 *
 *   flowtool connect [-n N] [-b SRC] [-P SPORT] [-t SECS] [-s SYNCNT] [-R]
 *		      [-H [-w SECS]] [-v] DST PORT
 *	N (1) connections at once; each that connects sends 'h' and waits
 *	for "ok".  Prints "local LOCALPORT" for each success with -P or -v,
 *	then "ok=N fail=M" when every attempt has ended or SECS (10; a
 *	fraction is fine: 0.8 ends the attempts before the first SYN
 *	retransmission) are over: the rest are failures, their sockets
 *	closed.  -s: TCP_SYNCNT (SYN retransmissions).  -H: then keep the
 *	connections until SIGTERM/SIGINT, at most -w SECS (300); -R: close
 *	them with a reset (SO_LINGER 0).  Held, SIGUSR1 probes them: each
 *	sends 'h' again and waits up to 30 s for "ok"; prints "probe LOCALPORT
 *	ok" or "probe LOCALPORT fail ERRNO" for each (ECONNRESET ...;
 *	"timeout"), then "probe ok=N fail=M"; a failed one is closed.  -v also prints "fail ERRNO" for
 *	each failure (ECONNREFUSED ...; "timeout": still pending at the
 *	end).  Exit 0 once done.
 *
 *   flowtool rate [-T SECS] [-c WORKERS] [-b SRC] DST PORT
 *	Short connections for SECS (5): connect, send 'q', read "ok" and the
 *	server's close, close.  WORKERS (1) processes.  Prints
 *	"conns=N fails=M secs=S connect_us=L rate=R" (L: the mean time
 *	connect() took, SYN to SYN-ACK, of the good connections; R:
 *	connections per second).
 *	SIGTERM ends it early (after each worker's connection under way),
 *	with the same summary.
 *
 *   flowtool udp [-b SRC] [-P SPORT] [-T TTL] [-l LEN] [-D] [-w MS]
 *		  [-n COUNT] DST PORT
 *	A connected UDP socket with IP_RECVERR: COUNT (1) datagrams of LEN
 *	(16) bytes, each followed by a wait of MS (2000) ms for what comes
 *	back; prints one line per datagram: "reply ADDR PORT LEN",
 *	"icmp type=T code=C from=ADDR info=I errno=NAME" (an ICMP error
 *	queued on the socket: type, code, the reporting router, the MTU for
 *	fragmentation needed / packet too big) or "timeout".  -T: TTL / hop
 *	limit; -D: don't fragment (IP_PMTUDISC_PROBE: no local MTU check).
 *
 *   flowtool udpflows [-b SRC] [-P SPORT] [-S SOCKETS] [-n N] [-r RATE]
 *		       DST PORTBASE
 *	From each of SOCKETS (1) sockets (each its own source port: SPORT,
 *	SPORT+1, ... with -P, so that a second run refreshes the same
 *	flows), one datagram to each of the N (100) ports PORTBASE.. of DST:
 *	SOCKETS x N flows.  -r: at most RATE datagrams per second.  Prints
 *	"sent N".
 *
 *   flowtool icmperr [-l QLEN] DST QSRC QSPORT QDST QDPORT
 *	One ICMP port unreachable (ICMPv6 destination unreachable, code 4)
 *	to DST, quoting a UDP datagram QSRC:QSPORT -> QDST:QDPORT of which
 *	only QLEN (8) bytes of the UDP header are quoted: a hostile error
 *	whose quote stops short of its checksum (QLEN 4 or 6).  From a raw
 *	socket (needs CAP_NET_RAW).  Prints "sent".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_PMTUDISC_PROBE
#define IP_PMTUDISC_PROBE 3
#endif
#ifndef IPV6_PMTUDISC_PROBE
#define IPV6_PMTUDISC_PROBE 3
#endif

static volatile sig_atomic_t stop;
static volatile sig_atomic_t probe;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: flowtool serve [-q] PORT[,PORT...]\n"
		"       flowtool connect [-n N] [-b SRC] [-P SPORT] [-t SECS] [-s SYNCNT] [-R] [-H [-w SECS]] [-v] DST PORT\n"
		"       flowtool rate [-T SECS] [-c WORKERS] [-b SRC] DST PORT\n"
		"       flowtool udp [-b SRC] [-P SPORT] [-T TTL] [-l LEN] [-D] [-w MS] [-n COUNT] DST PORT\n"
		"       flowtool udpflows [-b SRC] [-P SPORT] [-S SOCKETS] [-n N] [-r RATE] DST PORTBASE\n"
		"       flowtool icmperr [-l QLEN] DST QSRC QSPORT QDST QDPORT\n");
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || end == s || v < lo || v > hi) {
		fprintf(stderr, "flowtool: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static double fnum(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || end == s || v <= 0 || v > 86400) {
		fprintf(stderr, "flowtool: bad duration '%s'\n", s);
		exit(2);
	}
	return v;
}

static void raise_nofile(void)
{
	struct rlimit r = { 1 << 20, 1 << 20 };

	if (setrlimit(RLIMIT_NOFILE, &r)) {
		r.rlim_cur = r.rlim_max = 65536;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* ADDR (v4 or v6) and PORT into @ss; returns its length, 0 if bad. */
static socklen_t mkaddr(const char *s, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		return sizeof(*sin);
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		return sizeof(*sin6);
	}
	fprintf(stderr, "flowtool: bad address '%s'\n", s);
	exit(2);
}

/* "ADDR PORT" of @sa into @buf */
static const char *fmt(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		port = ntohs(s->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s %d", a, port);
	return buf;
}

static int local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &l))
		return -1;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port :
					       ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A socket of @dst's family, bound to SRC:SPORT when given. */
static int mksock(int type, const struct sockaddr_storage *dst, const char *src, int sport)
{
	struct sockaddr_storage ss;
	socklen_t l;
	int fd, one = 1;

	fd = socket(dst->ss_family, type, 0);
	if (fd < 0)
		return -1;
	if (src || sport) {
		l = mkaddr(src ? src : (dst->ss_family == AF_INET ? "0.0.0.0" : "::"), sport, &ss);
		if (ss.ss_family != dst->ss_family) {
			fprintf(stderr, "flowtool: source and destination families differ\n");
			exit(2);
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, l)) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* ------------------------------------------------------------------ serve */

enum { K_LISTEN, K_UDP, K_CONN };

struct ent {
	int fd;
	int kind;
};

static int serve(int argc, char **argv)
{
	int opt, quiet = 0, ep, i, n, one = 1;
	char *ports, *p, *save = NULL;
	struct epoll_event ev, evs[256];
	char buf[65536], pb[80];

	while ((opt = getopt(argc, argv, "q")) != -1) {
		switch (opt) {
		case 'q': quiet = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	ports = strdup(argv[optind]);
	for (p = strtok_r(ports, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		int port = (int)num(p, 1, 65535), fam, type;

		for (fam = 0; fam < 2; fam++) {
			for (type = 0; type < 2; type++) {
				struct sockaddr_storage ss;
				socklen_t l = mkaddr(fam ? "::" : "0.0.0.0", port, &ss);
				struct ent *e = malloc(sizeof(*e));
				int fd = socket(ss.ss_family, type ? SOCK_DGRAM : SOCK_STREAM, 0);

				if (fd < 0 || !e)
					die("socket");
				setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
				if (fam)
					setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
				if (bind(fd, (struct sockaddr *)&ss, l))
					die("bind");
				if (!type && listen(fd, 4096))
					die("listen");
				fcntl(fd, F_SETFL, O_NONBLOCK);
				e->fd = fd;
				e->kind = type ? K_UDP : K_LISTEN;
				ev.events = EPOLLIN;
				ev.data.ptr = e;
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
					die("epoll_ctl");
			}
		}
	}
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		n = epoll_wait(ep, evs, 256, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (i = 0; i < n; i++) {
			struct ent *e = evs[i].data.ptr;
			struct sockaddr_storage ss;
			socklen_t l = sizeof(ss);
			ssize_t r;

			if (e->kind == K_LISTEN) {
				for (;;) {
					struct ent *c;
					int fd;

					l = sizeof(ss);
					fd = accept4(e->fd, (struct sockaddr *)&ss, &l, SOCK_NONBLOCK);
					if (fd < 0)
						break;
					if (!quiet) {
						printf("tcp %s\n", fmt((struct sockaddr *)&ss, pb, sizeof(pb)));
						fflush(stdout);
					}
					c = malloc(sizeof(*c));
					if (!c)
						die("malloc");
					c->fd = fd;
					c->kind = K_CONN;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
						die("epoll_ctl");
				}
			} else if (e->kind == K_UDP) {
				for (;;) {
					l = sizeof(ss);
					r = recvfrom(e->fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &l);
					if (r < 0)
						break;
					if (!quiet) {
						printf("udp %s\n", fmt((struct sockaddr *)&ss, pb, sizeof(pb)));
						fflush(stdout);
					}
					sendto(e->fd, buf, (size_t)r, 0, (struct sockaddr *)&ss, l);
				}
			} else {
				int done = 0;

				r = read(e->fd, buf, sizeof(buf));
				if (r <= 0) {
					if (r < 0 && errno == EAGAIN)
						continue;
					done = 1;
				} else {
					ssize_t k;

					for (k = 0; k < r; k++) {
						if (buf[k] == 'q' || buf[k] == 'h') {
							if (write(e->fd, "ok\n", 3) != 3)
								done = 1;
							if (buf[k] == 'q')
								done = 1;
						}
					}
				}
				if (done) {
					close(e->fd);
					free(e);
				}
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- connect */

struct conn {
	int fd;
	int state;	/* 0 connecting, 1 waiting for "ok", 2 ok, 3 failed */
	int got;
	int err;	/* state 3: the socket's error, if any */
	int port;	/* local port, once connected */
};

static const char *errname(int e);

static void on_probe(int sig)
{
	(void)sig;
	probe = 1;
}

/* poll() until @deadline: how many are ready, -1 once it has passed. */
static int poll_until(struct pollfd *pfd, int n, double deadline)
{
	int k, ms = (int)((deadline - now()) * 1000);

	if (ms <= 0)
		return -1;
	k = poll(pfd, (nfds_t)n, ms);
	if (k < 0 && errno != EINTR)
		die("poll");
	return k < 0 ? 0 : k;
}

/* A readable connection waiting for "ok\n" (state 1): to 2 or 3 when done. */
static void read_answer(struct conn *c)
{
	char b[16];
	ssize_t r;

	r = read(c->fd, b, sizeof(b));
	if (r > 0 && (c->got += (int)r) >= 3) {
		c->state = 2;
	} else if (r == 0 || (r < 0 && errno != EAGAIN)) {
		c->err = r ? errno : 0;
		c->state = 3;
	}
}

/* One probe of the held connections (state 2): 'h' out, "ok\n" back. */
static void probe_held(struct conn *c, struct pollfd *pfd, int n)
{
	double deadline = now() + 30;
	int i, k, pending = 0, nok = 0, nfail = 0;

	for (i = 0; i < n; i++) {
		pfd[i].fd = -1;
		if (c[i].state != 2)
			continue;
		c[i].got = 0;
		c[i].err = 0;
		if (write(c[i].fd, "h", 1) != 1) {
			c[i].err = errno;
			c[i].state = 3;
			continue;
		}
		c[i].state = 1;
		pending++;
	}
	while (pending) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = c[i].state == 1 ? c[i].fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		k = poll_until(pfd, n, deadline);
		if (k < 0)
			break;
		for (i = 0; k > 0 && i < n; i++) {
			if (!pfd[i].revents)
				continue;
			read_answer(&c[i]);
			pending -= c[i].state != 1;
		}
	}
	for (i = 0; i < n; i++) {
		if (c[i].fd < 0)
			continue;
		if (c[i].state == 2) {
			nok++;
			printf("probe %d ok\n", c[i].port);
			continue;
		}
		nfail++;
		printf("probe %d fail %s\n", c[i].port, c[i].state == 1 ? "timeout" :
		       c[i].err ? errname(c[i].err) : "eof");
		close(c[i].fd);
		c[i].fd = -1;
		c[i].state = 3;
	}
	printf("probe ok=%d fail=%d\n", nok, nfail);
	fflush(stdout);
}

static int connect_cmd(int argc, char **argv)
{
	const char *src = NULL;
	int opt, n = 1, sport = 0, syncnt = 0, rst = 0, hold = 0, verbose = 0;
	int i, pending, nok = 0, nfail = 0;
	double secs = 10, hold_secs = 300, deadline;
	struct sockaddr_storage dst;
	socklen_t dl;
	struct conn *c;
	struct pollfd *pfd;
	struct sigaction sa = { .sa_handler = on_stop };

	while ((opt = getopt(argc, argv, "n:b:P:t:w:s:RHv")) != -1) {
		switch (opt) {
		case 'n': n = (int)num(optarg, 1, 1000000); break;
		case 'b': src = optarg; break;
		case 'P': sport = (int)num(optarg, 1, 65535); break;
		case 't': secs = fnum(optarg); break;
		case 'w': hold_secs = fnum(optarg); break;
		case 's': syncnt = (int)num(optarg, 1, 255); break;
		case 'R': rst = 1; break;
		case 'H': hold = 1; break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc - 2)
		usage();
	if (sport && n > 1) {
		fprintf(stderr, "flowtool: -P takes one connection\n");
		return 2;
	}
	raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_probe;
	sigaction(SIGUSR1, &sa, NULL);
	dl = mkaddr(argv[optind], (int)num(argv[optind + 1], 1, 65535), &dst);
	c = calloc((size_t)n, sizeof(*c));
	pfd = calloc((size_t)n, sizeof(*pfd));
	if (!c || !pfd)
		die("calloc");
	/* SECS from the first SYN */
	deadline = now() + secs;
	for (i = 0; i < n; i++) {
		c[i].fd = mksock(SOCK_STREAM, &dst, src, sport);
		if (c[i].fd < 0)
			die("socket/bind");
		if (syncnt)
			setsockopt(c[i].fd, IPPROTO_TCP, TCP_SYNCNT, &syncnt, sizeof(syncnt));
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
		if (connect(c[i].fd, (struct sockaddr *)&dst, dl) && errno != EINPROGRESS) {
			c[i].err = errno;
			c[i].state = 3;
			continue;
		}
	}
	for (;;) {
		int k;

		pending = 0;
		for (i = 0; i < n; i++) {
			pfd[i].fd = c[i].state < 2 ? c[i].fd : -1;
			pfd[i].events = c[i].state == 0 ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
			pending += c[i].state < 2;
		}
		if (!pending || stop)
			break;
		k = poll_until(pfd, n, deadline);
		if (k < 0)
			break;
		for (i = 0; k > 0 && i < n; i++) {
			int err = 0;
			socklen_t el = sizeof(err);

			if (!pfd[i].revents)
				continue;
			if (c[i].state == 0) {
				getsockopt(c[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				c[i].err = err;
				if (err || write(c[i].fd, "h", 1) != 1)
					c[i].state = 3;
				else
					c[i].state = 1;
			} else {
				read_answer(&c[i]);
			}
		}
	}
	for (i = 0; i < n; i++) {
		if (c[i].state != 2) {
			/* a failed attempt leaves nothing behind (no retransmission) */
			close(c[i].fd);
			c[i].fd = -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (c[i].state == 2) {
			nok++;
			c[i].port = local_port(c[i].fd);
			if (verbose || sport)
				printf("local %d\n", c[i].port);
		} else {
			nfail++;
			if (verbose)
				printf("fail %s\n", c[i].state < 2 ? "timeout" :
				       c[i].err ? errname(c[i].err) : "other");
		}
	}
	printf("ok=%d fail=%d\n", nok, nfail);
	fflush(stdout);
	/* -H: until SIGTERM/SIGINT, at most -w SECS */
	deadline = now() + hold_secs;
	while (hold && !stop && now() < deadline) {
		if (probe) {
			probe = 0;
			probe_held(c, pfd, n);
		}
		usleep(100000);
	}
	for (i = 0; i < n; i++) {
		if (c[i].fd < 0)
			continue;
		if (rst) {
			struct linger lg = { 1, 0 };

			setsockopt(c[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(c[i].fd);
	}
	return 0;
}

/* ------------------------------------------------------------------- rate */

static int rate_cmd(int argc, char **argv)
{
	const char *src = NULL;
	int opt, workers = 1, w, pipefd[2];
	struct sigaction sa = { .sa_handler = on_stop };
	pid_t pids[64];
	double secs = 5, t0;
	long conns = 0, fails = 0, lat_us = 0;
	struct sockaddr_storage dst;
	socklen_t dl;

	while ((opt = getopt(argc, argv, "T:c:b:")) != -1) {
		switch (opt) {
		case 'T': secs = (double)num(optarg, 1, 86400); break;
		case 'c': workers = (int)num(optarg, 1, 64); break;
		case 'b': src = optarg; break;
		default: usage();
		}
	}
	if (optind != argc - 2)
		usage();
	dl = mkaddr(argv[optind], (int)num(argv[optind + 1], 1, 65535), &dst);
	signal(SIGPIPE, SIG_IGN);
	/* no SA_RESTART: SIGTERM interrupts the read of the results below */
	sigaction(SIGTERM, &sa, NULL);
	if (pipe(pipefd))
		die("pipe");
	t0 = now();
	for (w = 0; w < workers; w++) {
		pid_t pid = fork();

		if (pid < 0)
			die("fork");
		pids[w] = pid;
		if (pid == 0) {
			long ok = 0, bad = 0, res[3];
			double end = t0 + secs, lat = 0, c0, c1 = 0;

			close(pipefd[0]);
			while (!stop && now() < end) {
				char b[16];
				int fd = mksock(SOCK_STREAM, &dst, src, 0), good = 0, got = 0;
				ssize_t r;

				if (fd < 0)
					die("socket");
				c0 = now();
				if (!connect(fd, (struct sockaddr *)&dst, dl) && write(fd, "q", 1) == 1) {
					c1 = now() - c0;
					while ((r = read(fd, b, sizeof(b))) > 0)
						got += (int)r;
					good = r == 0 && got >= 3;
				}
				close(fd);
				/* an attempt cut short by SIGTERM is not a failure */
				if (!good && stop)
					break;
				if (good) {
					ok++;
					lat += c1;
				} else {
					bad++;
				}
			}
			res[0] = ok;
			res[1] = bad;
			res[2] = (long)(lat * 1e6);
			if (write(pipefd[1], res, sizeof(res)) != sizeof(res))
				_exit(1);
			_exit(0);
		}
	}
	close(pipefd[1]);
	for (w = 0; w < workers; w++) {
		long res[3];
		ssize_t r;

		while ((r = read(pipefd[0], res, sizeof(res))) < 0 && errno == EINTR) {
			int i;

			/* SIGTERM: pass it on to the workers, once */
			for (i = 0; stop == 1 && i < workers; i++)
				kill(pids[i], SIGTERM);
			stop = 2;
		}
		if (r == sizeof(res)) {
			conns += res[0];
			fails += res[1];
			lat_us += res[2];
		}
	}
	while (wait(NULL) > 0)
		;
	secs = now() - t0;
	printf("conns=%ld fails=%ld secs=%.3f connect_us=%.1f rate=%.1f\n", conns,
	       fails, secs, conns ? (double)lat_us / (double)conns : 0.0,
	       (double)conns / secs);
	return 0;
}

/* -------------------------------------------------------------------- udp */

static const char *errname(int e)
{
	switch (e) {
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case ENETUNREACH: return "ENETUNREACH";
	case EMSGSIZE: return "EMSGSIZE";
	case EPROTO: return "EPROTO";
	case ECONNRESET: return "ECONNRESET";
	case EPIPE: return "EPIPE";
	case ETIMEDOUT: return "ETIMEDOUT";
	default: return "other";
	}
}

/* Print the ICMP error queued on @fd, if any; returns 1 if one was. */
static int read_errqueue(int fd)
{
	char data[2048], ctl[1024], pb[80];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr m = { 0 };
	struct cmsghdr *cm;
	int found = 0;

	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof(ctl);
	if (recvmsg(fd, &m, MSG_ERRQUEUE) < 0)
		return 0;
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		struct sock_extended_err *ee;
		char a[80];

		if (!((cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) ||
		      (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_RECVERR)))
			continue;
		ee = (struct sock_extended_err *)CMSG_DATA(cm);
		if (ee->ee_origin == SO_EE_ORIGIN_ICMP || ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
			fmt(SO_EE_OFFENDER(ee), pb, sizeof(pb));
			/* the address only */
			snprintf(a, sizeof(a), "%s", pb);
			*strchr(a, ' ') = '\0';
			printf("icmp type=%u code=%u from=%s info=%u errno=%s\n", ee->ee_type,
			       ee->ee_code, a, ee->ee_info, errname((int)ee->ee_errno));
		} else {
			printf("local errno=%s info=%u\n", errname((int)ee->ee_errno), ee->ee_info);
		}
		found = 1;
	}
	return found;
}

static int udp_cmd(int argc, char **argv)
{
	const char *src = NULL;
	int opt, sport = 0, ttl = -1, df = 0, wait_ms = 2000, count = 1, i, fd, one = 1;
	size_t len = 16;
	struct sockaddr_storage dst;
	socklen_t dl;
	static char buf[65536];

	while ((opt = getopt(argc, argv, "b:P:T:l:Dw:n:")) != -1) {
		switch (opt) {
		case 'b': src = optarg; break;
		case 'P': sport = (int)num(optarg, 1, 65535); break;
		case 'T': ttl = (int)num(optarg, 1, 255); break;
		case 'l': len = (size_t)num(optarg, 1, 65000); break;
		case 'D': df = 1; break;
		case 'w': wait_ms = (int)num(optarg, 1, 600000); break;
		case 'n': count = (int)num(optarg, 1, 1000000); break;
		default: usage();
		}
	}
	if (optind != argc - 2)
		usage();
	dl = mkaddr(argv[optind], (int)num(argv[optind + 1], 1, 65535), &dst);
	fd = mksock(SOCK_DGRAM, &dst, src, sport);
	if (fd < 0)
		die("socket/bind");
	if (dst.ss_family == AF_INET) {
		int pm = IP_PMTUDISC_PROBE;

		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
		if (ttl > 0)
			setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		if (df)
			setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pm, sizeof(pm));
	} else {
		int pm = IPV6_PMTUDISC_PROBE;

		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
		if (ttl > 0)
			setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof(ttl));
		if (df)
			setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pm, sizeof(pm));
	}
	if (connect(fd, (struct sockaddr *)&dst, dl))
		die("connect");
	memset(buf, 'u', len);
	for (i = 0; i < count; i++) {
		struct pollfd p = { fd, POLLIN, 0 };
		double end;
		int done = 0;

		if (send(fd, buf, len, 0) < 0) {
			/* an error queued by the previous datagram's ICMP */
			if (!read_errqueue(fd))
				printf("send errno=%s\n", errname(errno));
			continue;
		}
		end = now() + wait_ms / 1000.0;
		while (!done) {
			int ms = (int)((end - now()) * 1000), k;

			if (ms <= 0) {
				printf("timeout\n");
				break;
			}
			k = poll(&p, 1, ms);
			if (k < 0 && errno != EINTR)
				die("poll");
			if (k <= 0)
				continue;
			if (p.revents & POLLERR) {
				done = read_errqueue(fd);
				if (done)
					continue;
			}
			if (p.revents & POLLIN) {
				struct sockaddr_storage from;
				socklen_t fl = sizeof(from);
				char pb[80];
				ssize_t r = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
						     (struct sockaddr *)&from, &fl);

				if (r >= 0) {
					printf("reply %s %zd\n", fmt((struct sockaddr *)&from, pb, sizeof(pb)), r);
					done = 1;
				} else if (errno != EAGAIN) {
					/* the error itself; its details are queued */
					done = read_errqueue(fd);
					if (!done) {
						printf("recv errno=%s\n", errname(errno));
						done = 1;
					}
				}
			}
		}
		fflush(stdout);
		memset(buf, 'u', len);
	}
	fflush(stdout);
	return 0;
}

/* --------------------------------------------------------------- udpflows */

static int udpflows_cmd(int argc, char **argv)
{
	const char *src = NULL;
	int opt, nsock = 1, n = 100, base, s, i, *fds, sport = 0;
	long sent = 0, rate = 0;
	double t0;
	struct sockaddr_storage dst;

	while ((opt = getopt(argc, argv, "b:P:S:n:r:")) != -1) {
		switch (opt) {
		case 'b': src = optarg; break;
		case 'P': sport = (int)num(optarg, 1, 65535); break;
		case 'S': nsock = (int)num(optarg, 1, 10000); break;
		case 'n': n = (int)num(optarg, 1, 65535); break;
		case 'r': rate = num(optarg, 1, 100000000); break;
		default: usage();
		}
	}
	if (optind != argc - 2)
		usage();
	base = (int)num(argv[optind + 1], 1, 65535);
	if (base + n - 1 > 65535) {
		fprintf(stderr, "flowtool: PORTBASE + N goes past 65535\n");
		return 2;
	}
	mkaddr(argv[optind], base, &dst);
	fds = calloc((size_t)nsock, sizeof(*fds));
	if (!fds)
		die("calloc");
	/* All open at once: each keeps its own source port. */
	if (sport && sport + nsock - 1 > 65535) {
		fprintf(stderr, "flowtool: SPORT + SOCKETS goes past 65535\n");
		return 2;
	}
	for (s = 0; s < nsock; s++) {
		fds[s] = mksock(SOCK_DGRAM, &dst, src, sport ? sport + s : 0);
		if (fds[s] < 0)
			die("socket/bind");
	}
	t0 = now();
	for (s = 0; s < nsock; s++) {
		int fd = fds[s];

		for (i = 0; i < n; i++) {
			if (dst.ss_family == AF_INET)
				((struct sockaddr_in *)&dst)->sin_port = htons((uint16_t)(base + i));
			else
				((struct sockaddr_in6 *)&dst)->sin6_port = htons((uint16_t)(base + i));
			while (sendto(fd, "f", 1, 0, (struct sockaddr *)&dst,
				      dst.ss_family == AF_INET ? sizeof(struct sockaddr_in) :
								  sizeof(struct sockaddr_in6)) < 0) {
				/* ICMP errors of earlier datagrams; a full queue */
				if (errno == ECONNREFUSED || errno == EHOSTUNREACH)
					continue;
				if (errno == ENOBUFS || errno == EAGAIN) {
					usleep(1000);
					continue;
				}
				die("sendto");
			}
			sent++;
			if (rate && sent % 100 == 0) {
				double ahead = (double)sent / (double)rate - (now() - t0);

				if (ahead > 0)
					usleep((useconds_t)(ahead * 1e6));
			}
		}
	}
	for (s = 0; s < nsock; s++)
		close(fds[s]);
	printf("sent %ld\n", sent);
	return 0;
}

/* ---------------------------------------------------------------- icmperr */

static uint16_t csum16(const void *data, size_t len)
{
	const uint8_t *b = data;
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* The quoted datagram: its IP header and QLEN bytes of its UDP header. */
static size_t quote(uint8_t *q, int family, const struct sockaddr_storage *qs,
		    const struct sockaddr_storage *qd, size_t qlen)
{
	const struct sockaddr_in6 *s6 = (const void *)qs, *d6 = (const void *)qd;
	const struct sockaddr_in *s4 = (const void *)qs, *d4 = (const void *)qd;
	uint8_t udp[8];
	size_t ip;

	/* Ports are at the same offset in both address families. */
	memcpy(udp, &s4->sin_port, 2);
	memcpy(udp + 2, &d4->sin_port, 2);
	udp[4] = 0;
	udp[5] = 24;		/* the datagram's length: 8 + 16 */
	udp[6] = 0x12;		/* any checksum: nobody checks a quote's */
	udp[7] = 0x34;
	if (family == AF_INET) {
		ip = 20;
		memset(q, 0, ip);
		q[0] = 0x45;
		q[3] = 44;	/* total length: 20 + 24 */
		q[8] = 64;
		q[9] = IPPROTO_UDP;
		memcpy(q + 12, &s4->sin_addr, 4);
		memcpy(q + 16, &d4->sin_addr, 4);
		memcpy(q + 10, &(uint16_t){ csum16(q, ip) }, 2);
	} else {
		ip = 40;
		memset(q, 0, ip);
		q[0] = 0x60;
		q[5] = 24;	/* payload length */
		q[6] = IPPROTO_UDP;
		q[7] = 64;
		memcpy(q + 8, &s6->sin6_addr, 16);
		memcpy(q + 24, &d6->sin6_addr, 16);
	}
	memcpy(q + ip, udp, qlen);
	return ip + qlen;
}

static int icmperr_cmd(int argc, char **argv)
{
	struct sockaddr_storage dst, qs, qd;
	uint8_t msg[8 + 40 + 8] = { 0 };
	size_t qlen = 8, len;
	socklen_t dlen;
	int opt, fd;

	while ((opt = getopt(argc, argv, "l:")) != -1) {
		switch (opt) {
		case 'l': qlen = (size_t)num(optarg, 0, 8); break;
		default: usage();
		}
	}
	if (optind != argc - 5)
		usage();
	dlen = mkaddr(argv[optind], 0, &dst);
	mkaddr(argv[optind + 1], (int)num(argv[optind + 2], 0, 65535), &qs);
	mkaddr(argv[optind + 3], (int)num(argv[optind + 4], 0, 65535), &qd);
	if (qs.ss_family != dst.ss_family || qd.ss_family != dst.ss_family) {
		fprintf(stderr, "flowtool: DST, QSRC and QDST must be of one family\n");
		return 2;
	}
	len = 8 + quote(msg + 8, dst.ss_family, &qs, &qd, qlen);
	if (dst.ss_family == AF_INET) {
		msg[0] = 3;	/* destination unreachable: port unreachable */
		msg[1] = 3;
		memcpy(msg + 2, &(uint16_t){ csum16(msg, len) }, 2);
		fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	} else {
		/* the kernel fills in an ICMPv6 raw socket's checksum */
		msg[0] = 1;	/* destination unreachable: port unreachable */
		msg[1] = 4;
		fd = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	}
	if (fd < 0)
		die("socket");
	if (sendto(fd, msg, len, 0, (struct sockaddr *)&dst, dlen) != (ssize_t)len)
		die("sendto");
	close(fd);
	printf("sent\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "serve"))
		return serve(argc - 1, argv + 1);
	if (!strcmp(argv[1], "connect"))
		return connect_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rate"))
		return rate_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "udp"))
		return udp_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "udpflows"))
		return udpflows_cmd(argc - 1, argv + 1);
	if (!strcmp(argv[1], "icmperr"))
		return icmperr_cmd(argc - 1, argv + 1);
	usage();
	return 2;
}
