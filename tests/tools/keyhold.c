// SPDX-License-Identifier: GPL-2.0
/*
 * keyhold: keep the kernel's busiest networking static keys switched on
 * for the life of the test VM, then sleep forever.
 *
 * Why: QEMU 7.2's multi-threaded TCG does not always see the kernel's live
 * code patching (text_poke_bp: int3 first, then the new bytes) the way a
 * CPU does.  A vCPU can execute the transient int3 after the patch is
 * complete, and the kernel dies with "Oops: int3" in code that merely
 * contains the patch site.  The lane saw this twice on 6.12, in
 * netif_receive_skb() and __netif_receive_skb_core() (the netstamp key,
 * which every iputils ping and tcpdump switches on and off), with no twill
 * frame on the stack.  Holding one reference to each key stops the
 * patching: later users only move a reference count.
 *
 *   netstamp_needed_key     a socket with SO_TIMESTAMPNS
 *   udp_encap_needed_key    an IPv4 UDP socket with UDP_ENCAP
 *   udpv6_encap_needed_key  the same on IPv6 (twill and vxlan sockets
 *                           switch both whenever the last one closes)
 *
 * The encapsulation asked for is L2TP in UDP: the kernel accepts it whatever
 * its configuration and turns both keys on for it.  ESP in UDP, used before,
 * exists only with CONFIG_XFRM; the 7.3-debug kernel has none, so there the
 * option failed with ENOPROTOOPT ("UDP_ENCAP (IPv4): Protocol not
 * available") and the keys were left to switch.
 *
 * The sockets are never bound, so they receive nothing.
 */
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_ENCAP
#define UDP_ENCAP 100
#endif
#ifndef UDP_ENCAP_L2TPINUDP
#define UDP_ENCAP_L2TPINUDP 3
#endif

/* A failure is printed (the run's output shows it) and the rest held. */
static void hold(int family, int level, int opt, int val, const char *what)
{
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0 || setsockopt(fd, level, opt, &val, sizeof(val)) < 0)
		perror(what);
}

int main(void)
{
	hold(AF_INET, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
	hold(AF_INET, IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_L2TPINUDP,
	     "UDP_ENCAP (IPv4)");
	hold(AF_INET6, IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_L2TPINUDP,
	     "UDP_ENCAP (IPv6)");
	for (;;)
		pause();
}
