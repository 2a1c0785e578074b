// SPDX-License-Identifier: GPL-2.0
/*
 * The NAT datapath: what the netfilter hooks do with one packet.
 *
 * A flow has two tuples as on the wire, ORIG (what the pod sent) and REPLY
 * (what comes back); a packet found in direction d becomes the inverse of
 * the other direction's tuple.  Destination changes happen before routing
 * (twill_xlate_in), source changes after it (twill_xlate_out), so each hook
 * rewrites one side: for masquerade, replies on the way in, pod packets on
 * the way out.  ICMP errors are looked up by the packet they quote and get
 * both the outer address and the quoted header rewritten.
 *
 * A service flow (TWILL_FLOW_F_SERVICE): a pod's (or a remote host's)
 * packets get the backend as destination before routing, and before
 * conntrack, which so tracks client -> backend; the backend's replies
 * reach conntrack and routing as they are (a strict rp_filter sees the
 * backend's real address) and get the service as source after routing
 * (twill_xlate_out).  A host process's packets are translated on their
 * way out, after conntrack saw them to the service: their replies get the
 * service back before conntrack and routing.  A hairpin flow's replies
 * change destination too, which routing needs: before routing.
 */

#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/sched/mm.h>
#include <linux/siphash.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/inetdevice.h>
#include <net/addrconf.h>
#include <net/checksum.h>
#include <net/icmp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "device.h"
#include "nat.h"
#include "reject.h"
#include "rx.h"
#include "service.h"

enum { SRC, DST };

/* Probes for a free port before a new flow is dropped (RFC 6056 style). */
#define PORT_TRIES	128

struct pkt {
	/* On the wire; of an ICMP error: its quoted packet's, inverted. */
	struct twill_flow_tuple t;
	u32 l4off;
	u8 icmp_type;
	bool syn, fin, rst;
	bool error;
	u32 inner_l4;		/* quoted packet: its L4 header */
	u32 inner_nh;		/* and its IP header */
	u8 inner_icmp_type;
};

static bool is_icmp(const struct twill_flow_tuple *t)
{
	return t->family == AF_INET ? t->proto == IPPROTO_ICMP :
				      t->proto == IPPROTO_ICMPV6;
}

static bool is_echo(int family, u8 type, bool *request)
{
	if (family == AF_INET) {
		*request = type == ICMP_ECHO;
		return type == ICMP_ECHO || type == ICMP_ECHOREPLY;
	}
	*request = type == ICMPV6_ECHO_REQUEST;
	return type == ICMPV6_ECHO_REQUEST || type == ICMPV6_ECHO_REPLY;
}

static bool is_error(int family, u8 type)
{
	if (family == AF_INET)
		return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED ||
		       type == ICMP_PARAMETERPROB;
	return type == ICMPV6_DEST_UNREACH || type == ICMPV6_PKT_TOOBIG ||
	       type == ICMPV6_TIME_EXCEED || type == ICMPV6_PARAMPROB;
}

/* Addresses, protocol and L4 offset of the IP header at @off. */
static int read_ip(const struct sk_buff *skb, u32 off, int family,
		   struct twill_flow_tuple *t, u32 *l4off)
{
	const struct ipv6hdr *ip6h;
	const struct iphdr *iph;
	struct ipv6hdr _ip6h;
	struct iphdr _iph;
	__be16 frag_off;
	u8 nexthdr;
	int l4;

	memset(t, 0, sizeof(*t));
	t->family = family;
	if (family == AF_INET) {
		iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
		if (!iph || iph->ihl < 5)
			return -EINVAL;
		t->src.ip = iph->saddr;
		t->dst.ip = iph->daddr;
		t->proto = iph->protocol;
		*l4off = off + iph->ihl * 4;
		/* Fragments after the first have no ports to go by. */
		return iph->frag_off & htons(IP_OFFSET) ? -EINVAL : 0;
	}
	ip6h = skb_header_pointer(skb, off, sizeof(_ip6h), &_ip6h);
	if (!ip6h)
		return -EINVAL;
	t->src.in6 = ip6h->saddr;
	t->dst.in6 = ip6h->daddr;
	nexthdr = ip6h->nexthdr;
	l4 = ipv6_skip_exthdr(skb, off + sizeof(*ip6h), &nexthdr, &frag_off);
	if (l4 < 0 || (frag_off & htons(~0x7)))
		return -EINVAL;
	t->proto = nexthdr;
	*l4off = l4;
	return 0;
}

/* Ports of TCP and UDP, identifiers of ICMP echo; none for the rest. */
static int read_ports(const struct sk_buff *skb, u32 off,
		      struct twill_flow_tuple *t, u8 *icmp_type)
{
	const struct icmphdr *ih;
	struct icmphdr _ih;
	const __be16 *ports;
	__be16 _ports[2];
	bool request;

	if (is_icmp(t)) {
		/* struct icmp6hdr has the same first eight bytes. */
		ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
		if (!ih)
			return -EINVAL;
		*icmp_type = ih->type;
		if (is_echo(t->family, ih->type, &request)) {
			if (request)
				t->sport = ih->un.echo.id;
			else
				t->dport = ih->un.echo.id;
		}
		return 0;
	}
	switch (t->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		ports = skb_header_pointer(skb, off, sizeof(_ports), _ports);
		if (!ports)
			return -EINVAL;
		t->sport = ports[0];
		t->dport = ports[1];
		return 0;
	case IPPROTO_UDPLITE:
	case IPPROTO_DCCP:
		/* Ports we do not parse under a checksum we would break. */
		return -EPROTONOSUPPORT;
	default:
		return 0;
	}
}

static int read_tcp_flags(const struct sk_buff *skb, struct pkt *p)
{
	const struct tcphdr *th;
	struct tcphdr _th;

	th = skb_header_pointer(skb, p->l4off, sizeof(_th), &_th);
	if (!th)
		return -EINVAL;
	p->syn = th->syn;
	p->fin = th->fin;
	p->rst = th->rst;
	return 0;
}

/* The quoted packet of an ICMP error; @p->t becomes its inverse. */
static int parse_error(const struct sk_buff *skb, int family, struct pkt *p)
{
	struct twill_flow_tuple inner;
	bool request;
	int ret;

	p->inner_nh = p->l4off + sizeof(struct icmphdr);
	ret = read_ip(skb, p->inner_nh, family, &inner, &p->inner_l4);
	if (!ret)
		ret = read_ports(skb, p->inner_l4, &inner, &p->inner_icmp_type);
	if (ret)
		return ret;
	/* Nobody sends errors about errors (RFC 1122, RFC 4443). */
	if (is_icmp(&inner) && !is_echo(family, p->inner_icmp_type, &request))
		return -EINVAL;
	p->error = true;
	twill_flow_tuple_invert(&p->t, &inner);
	return 0;
}

/*
 * Fills @p; on error, the addresses in @p->t are valid when the IP header
 * was (the caller decides whether to let the packet pass).
 */
static int parse(const struct sk_buff *skb, int family, struct pkt *p)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = read_ip(skb, skb_network_offset(skb), family, &p->t, &p->l4off);
	if (ret)
		return ret;
	ret = read_ports(skb, p->l4off, &p->t, &p->icmp_type);
	if (!ret && p->t.proto == IPPROTO_TCP)
		ret = read_tcp_flags(skb, p);
	if (!ret && is_icmp(&p->t) && is_error(family, p->icmp_type))
		ret = parse_error(skb, family, p);
	return ret;
}

static bool prefix_match(const struct twill_nat_prefix *px, u8 n, int family,
			 const union nf_inet_addr *a)
{
	u8 i;

	for (i = 0; i < n; i++) {
		if (px[i].family != family)
			continue;
		if (family == AF_INET) {
			if (!((a->ip ^ px[i].addr.ip) & px[i].mask.ip))
				return true;
		} else if (!ipv6_masked_addr_cmp(&a->in6, &px[i].mask.in6,
						 &px[i].addr.in6)) {
			return true;
		}
	}
	return false;
}

/* --- Rewriting ------------------------------------------------------- */

/* Where a packet's L4 checksum and ports are, once writable. */
struct l4 {
	__sum16 *check;		/* NULL: none to fix (UDP over IPv4 without) */
	bool pseudo;		/* the checksum covers the addresses */
	__be16 *port[2];	/* SRC, DST; NULL where there is none */
	bool udp;
};

static u32 l4_len(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
		return sizeof(struct udphdr);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return sizeof(struct icmphdr);
	default:
		return 0;
	}
}

static void l4_fields(struct sk_buff *skb, u32 off, const struct twill_flow_tuple *t,
		      u8 icmp_type, struct l4 *l)
{
	void *h = skb->data + off;
	struct icmphdr *ih = h;
	struct tcphdr *th = h;
	struct udphdr *uh = h;
	bool request;

	memset(l, 0, sizeof(*l));
	/*
	 * A quoted packet may stop short of its checksum (parse() made sure
	 * of the ports only): then there is none to patch, and the field
	 * past the packet's end is neither read nor written.
	 */
	if (skb->len < off + l4_len(t->proto)) {
		if (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP) {
			l->port[SRC] = &th->source;
			l->port[DST] = &th->dest;
		}
		return;
	}
	if (is_icmp(t)) {
		l->check = &ih->checksum;
		l->pseudo = t->family == AF_INET6;
		if (is_echo(t->family, icmp_type, &request))
			l->port[request ? SRC : DST] = &ih->un.echo.id;
	} else if (t->proto == IPPROTO_TCP) {
		l->check = &th->check;
		l->pseudo = true;
		l->port[SRC] = &th->source;
		l->port[DST] = &th->dest;
	} else if (t->proto == IPPROTO_UDP) {
		l->udp = true;
		l->pseudo = true;
		l->port[SRC] = &uh->source;
		l->port[DST] = &uh->dest;
		/* IPv4 UDP without a checksum keeps none. */
		if (uh->check || skb->ip_summed == CHECKSUM_PARTIAL ||
		    t->family == AF_INET6)
			l->check = &uh->check;
	}
}

static __be32 *addr4(struct sk_buff *skb, u32 nh, int side)
{
	struct iphdr *iph = (struct iphdr *)(skb->data + nh);

	return side == SRC ? &iph->saddr : &iph->daddr;
}

static struct in6_addr *addr6(struct sk_buff *skb, u32 nh, int side)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)(skb->data + nh);

	return side == SRC ? &ip6h->saddr : &ip6h->daddr;
}

/* The address of @side of the IP header at @nh, its checksum(s) fixed. */
static void set_addr(struct sk_buff *skb, u32 nh, int family, int side,
		     const struct l4 *l, const union nf_inet_addr *to)
{
	struct iphdr *iph = (struct iphdr *)(skb->data + nh);
	struct in6_addr *a6;
	__be32 *a4;

	if (family == AF_INET) {
		a4 = addr4(skb, nh, side);
		if (l->check && l->pseudo)
			inet_proto_csum_replace4(l->check, skb, *a4, to->ip,
						 true);
		csum_replace4(&iph->check, *a4, to->ip);
		*a4 = to->ip;
		return;
	}
	a6 = addr6(skb, nh, side);
	if (l->check)
		inet_proto_csum_replace16(l->check, skb, a6->s6_addr32,
					  to->ip6, true);
	*a6 = to->in6;
}

static void set_port(struct sk_buff *skb, const struct l4 *l, int side,
		     __be16 to)
{
	if (!l->port[side])
		return;
	if (l->check)
		inet_proto_csum_replace2(l->check, skb, *l->port[side], to,
					 false);
	*l->port[side] = to;
}

static void side_of(const struct twill_flow_tuple *t, int side,
		    const union nf_inet_addr **a, __be16 *port)
{
	*a = side == SRC ? &t->src : &t->dst;
	*port = side == SRC ? t->sport : t->dport;
}

/* Makes @side of an ordinary packet that of @to. */
static int rewrite(struct sk_buff *skb, const struct pkt *p, int side,
		   const struct twill_flow_tuple *to)
{
	const union nf_inet_addr *old_a, *new_a;
	__be16 old_p, new_p;
	struct l4 l;

	side_of(&p->t, side, &old_a, &old_p);
	side_of(to, side, &new_a, &new_p);
	if (skb_ensure_writable(skb, p->l4off + l4_len(p->t.proto)))
		return -ENOMEM;
	l4_fields(skb, p->l4off, &p->t, p->icmp_type, &l);
	if (!nf_inet_addr_cmp(old_a, new_a))
		set_addr(skb, skb_network_offset(skb), p->t.family, side, &l,
			 new_a);
	if (old_p != new_p)
		set_port(skb, &l, side, new_p);
	if (l.udp && l.check && !*l.check)
		*l.check = CSUM_MANGLED_0;
	return 0;
}

/* The quoted packet's checksums are only patched: the ICMP one is redone. */
static void fix_inner_csum(__sum16 *check, int family,
			   const union nf_inet_addr *from,
			   const union nf_inet_addr *to)
{
	int i;

	if (family == AF_INET) {
		csum_replace4(check, from->ip, to->ip);
		return;
	}
	for (i = 0; i < 4; i++)
		csum_replace4(check, from->ip6[i], to->ip6[i]);
}

/*
 * The quoted packet went the other way: its opposite side is the one
 * that changes, to the same address and port.
 */
static void rewrite_inner(struct sk_buff *skb, const struct pkt *p, int side,
			  const union nf_inet_addr *to, __be16 port)
{
	int family = p->t.family, iside = !side;
	struct twill_flow_tuple inner;
	union nf_inet_addr old;
	struct l4 l;

	twill_flow_tuple_invert(&inner, &p->t);
	old = iside == SRC ? inner.src : inner.dst;
	l4_fields(skb, p->inner_l4, &inner, p->inner_icmp_type, &l);
	if (family == AF_INET) {
		struct iphdr *iph = (struct iphdr *)(skb->data + p->inner_nh);

		csum_replace4(&iph->check, old.ip, to->ip);
		*addr4(skb, p->inner_nh, iside) = to->ip;
	} else {
		*addr6(skb, p->inner_nh, iside) = to->in6;
	}
	if (l.check && l.pseudo)
		fix_inner_csum(l.check, family, &old, to);
	if (l.port[iside]) {
		if (l.check)
			csum_replace2(l.check, *l.port[iside], port);
		*l.port[iside] = port;
	}
}

static void icmp_csum(struct sk_buff *skb, const struct pkt *p)
{
	u32 len = skb->len - p->l4off;
	struct icmp6hdr *ih6;
	struct icmphdr *ih;
	__wsum csum;

	if (p->t.family == AF_INET) {
		ih = (struct icmphdr *)(skb->data + p->l4off);
		ih->checksum = 0;
		ih->checksum = csum_fold(skb_checksum(skb, p->l4off, len, 0));
	} else {
		ih6 = (struct icmp6hdr *)(skb->data + p->l4off);
		ih6->icmp6_cksum = 0;
		csum = skb_checksum(skb, p->l4off, len, 0);
		ih6->icmp6_cksum = csum_ipv6_magic(&ipv6_hdr(skb)->saddr,
						   &ipv6_hdr(skb)->daddr, len,
						   IPPROTO_ICMPV6, csum);
	}
	skb->ip_summed = CHECKSUM_NONE;
}

/* An ICMP error: the outer address of @side, the quoted packet inside. */
static int rewrite_error(struct sk_buff *skb, const struct pkt *p, int side,
			 const struct twill_flow_tuple *to)
{
	u32 len = p->inner_l4 + sizeof(struct icmphdr);
	const union nf_inet_addr *new_a;
	struct l4 none = {};
	__be16 new_p;

	side_of(to, side, &new_a, &new_p);
	if (p->t.proto == IPPROTO_TCP || p->t.proto == IPPROTO_UDP)
		len = p->inner_l4 + l4_len(p->t.proto);
	if (skb_ensure_writable(skb, min(len, skb->len)))
		return -ENOMEM;
	set_addr(skb, skb_network_offset(skb), p->t.family, side, &none,
		 new_a);
	rewrite_inner(skb, p, side, new_a, new_p);
	if (skb->ip_summed != CHECKSUM_PARTIAL)
		icmp_csum(skb, p);
	return 0;
}

static bool side_changes(const struct pkt *p, int side,
			 const struct twill_flow_tuple *to)
{
	const union nf_inet_addr *old_a, *new_a;
	__be16 old_p, new_p;

	side_of(&p->t, side, &old_a, &old_p);
	side_of(to, side, &new_a, &new_p);
	return !nf_inet_addr_cmp(old_a, new_a) || old_p != new_p;
}

static int rewrite_side(struct sk_buff *skb, const struct pkt *p, int side,
			const struct twill_flow_tuple *to)
{
	if (!side_changes(p, side, to))
		return 0;
	return p->error ? rewrite_error(skb, p, side, to) :
			  rewrite(skb, p, side, to);
}

/*
 * Translates @side of a packet found at node @n (both sides for a hairpin
 * flow), if it changes in the node's direction; updates the flow and the
 * counters.
 */
static unsigned int apply(struct twill_nat *nat, struct sk_buff *skb,
			  const struct pkt *p, struct twill_flow_node *n,
			  int side)
{
	struct twill_flow *f = twill_flow_of(n);
	bool both = f->flags & TWILL_FLOW_F_HAIRPIN;
	struct twill_flow_tuple to;
	int ret;

	twill_flow_tuple_invert(&to, &f->node[!n->dir].t);
	if (!side_changes(p, side, &to) &&
	    !(both && side_changes(p, !side, &to)))
		return NF_ACCEPT;
	ret = rewrite_side(skb, p, side, &to);
	if (!ret && both)
		ret = rewrite_side(skb, p, !side, &to);
	if (ret) {
		twill_nat_count(nat, TWILL_NAT_STAT_DROP_NOMEM);
		return NF_DROP;
	}
	if (p->error) {
		twill_nat_count(nat, TWILL_NAT_STAT_ICMP_ERRORS);
		return NF_ACCEPT;
	}
	twill_flow_seen(f, n->dir, p->syn, p->fin, p->rst);
	if (f->flags & TWILL_FLOW_F_SERVICE)
		twill_nat_count_service(nat, n->dir == TWILL_FLOW_ORIG ?
					TWILL_SERVICE_STAT_PACKETS :
					TWILL_SERVICE_STAT_REPLIES);
	else
		twill_nat_count(nat, side == SRC ? TWILL_NAT_STAT_TX_PACKETS :
						   TWILL_NAT_STAT_RX_PACKETS);
	return NF_ACCEPT;
}

/*
 * A service's reply from a backend to a pod or a remote client: translated
 * after routing (see the top of the file).
 */
static bool reply_after_routing(const struct twill_flow_node *n)
{
	const struct twill_flow *f = twill_flow_of((struct twill_flow_node *)n);

	return n->dir == TWILL_FLOW_REPLY &&
	       (f->flags & TWILL_FLOW_F_SERVICE) &&
	       !(f->flags & (TWILL_FLOW_F_LOCAL | TWILL_FLOW_F_HAIRPIN));
}

/* Before routing, a service's replies change source, all else destination. */
static int side_in(const struct twill_flow_node *n)
{
	const struct twill_flow *f = twill_flow_of((struct twill_flow_node *)n);

	return (f->flags & TWILL_FLOW_F_SERVICE) && n->dir == TWILL_FLOW_REPLY ?
	       SRC : DST;
}

/* --- New flows ------------------------------------------------------- */

/* The address replies will come back to. */
static bool nat_source(const struct twill_nat_config *cfg,
		       const struct net_device *out, struct twill_flow_tuple *r)
{
	if (r->family == AF_INET) {
		if (cfg->has_to4) {
			r->dst.ip = cfg->to4;
			return true;
		}
		r->dst.ip = inet_select_addr(out, r->src.ip, RT_SCOPE_UNIVERSE);
		return r->dst.ip;
	}
	if (cfg->has_to6) {
		r->dst.in6 = cfg->to6;
		return true;
	}
	return !ipv6_dev_get_saddr(dev_net(out), out, &r->src.in6, 0,
				   &r->dst.in6);
}

static void port_range(const struct twill_nat_config *cfg, const struct pkt *p,
		       u16 *lo, u16 *hi)
{
	bool request;

	*lo = cfg->port_min;
	*hi = cfg->port_max;
	if (p->t.proto == IPPROTO_TCP || p->t.proto == IPPROTO_UDP)
		return;
	/* Echo identifiers are not ports: the whole space. */
	if (is_icmp(&p->t) && is_echo(p->t.family, p->icmp_type, &request) &&
	    request) {
		*lo = 0;
		*hi = U16_MAX;
		return;
	}
	/* No ports: a flow per (source, destination) pair. */
	*lo = 0;
	*hi = 0;
}

/*
 * After the first insert of @f (@ret): a full table may be full of flows
 * the collector has not reached yet, reclaimed once before a last try;
 * counts the flows that expired on the way.
 */
static int insert_end(struct twill_nat *nat, struct twill_flow *f, int ret,
		      unsigned int expired)
{
	if (ret == -ENOSPC) {
		expired += twill_flow_reclaim(&nat->flows);
		ret = twill_flow_insert(&nat->flows, f, &expired);
	}
	if (expired)
		this_cpu_add(nat->stats->n[TWILL_NAT_STAT_FLOWS_EXPIRED],
			     expired);
	return ret;
}

/*
 * Inserts @f, keeping the pod's port when it is in the range and free for
 * this destination, else probing from a random place in the range.
 */
static int claim_port(struct twill_nat *nat, const struct twill_nat_config *cfg,
		      const struct pkt *p, struct twill_flow *f)
{
	struct twill_flow_tuple *r = &f->node[TWILL_FLOW_REPLY].t;
	u16 port = ntohs(r->dport), lo, hi;
	unsigned int expired = 0;
	u32 n, start, i, tries;
	int ret = -EADDRINUSE;

	port_range(cfg, p, &lo, &hi);
	if (port >= lo && port <= hi)
		ret = twill_flow_insert(&nat->flows, f, &expired);
	n = hi - lo + 1;
	tries = min_t(u32, n, PORT_TRIES);
	start = (u32)(((u64)get_random_u32() * n) >> 32);
	for (i = 0; ret == -EADDRINUSE && i < tries; i++) {
		r->dport = htons(lo + (start + i) % n);
		ret = twill_flow_insert(&nat->flows, f, &expired);
	}
	return insert_end(nat, f, ret, expired);
}

/* Flows are charged to whoever turned NAT on, not to a random softirq. */
static struct twill_flow *alloc_flow(struct twill_nat *nat,
				     const struct twill_flow_tuple *orig)
{
	struct mem_cgroup *old = set_active_memcg(nat->memcg);
	struct twill_flow *f = twill_flow_alloc(orig);

	set_active_memcg(old);
	return f;
}

static unsigned int drop(struct twill_nat *nat, struct twill_flow *f,
			 enum twill_nat_stat why)
{
	if (f)
		twill_flow_free(f);
	twill_nat_count(nat, why);
	return NF_DROP;
}

static unsigned int masquerade(struct twill_nat *nat,
			       const struct twill_nat_config *cfg,
			       struct sk_buff *skb, const struct pkt *p,
			       const struct net_device *out)
{
	struct twill_flow_node *n;
	struct twill_flow *f;
	int ret;

	f = alloc_flow(nat, &p->t);
	if (!f)
		return drop(nat, NULL, TWILL_NAT_STAT_DROP_NOMEM);
	twill_flow_tuple_invert(&f->node[TWILL_FLOW_REPLY].t, &p->t);
	if (!nat_source(cfg, out, &f->node[TWILL_FLOW_REPLY].t))
		return drop(nat, f, TWILL_NAT_STAT_DROP_NO_ADDR);
	twill_flow_seen(f, TWILL_FLOW_ORIG, p->syn, p->fin, p->rst);
	ret = claim_port(nat, cfg, p, f);
	if (ret == -EEXIST) {
		/* Another CPU made this flow meanwhile: use it. */
		twill_flow_free(f);
		n = twill_flow_lookup(&nat->flows, &p->t);
		return n ? apply(nat, skb, p, n, SRC) :
			   drop(nat, NULL, TWILL_NAT_STAT_DROP_NO_PORT);
	}
	if (ret)
		return drop(nat, f, ret == -ENOSPC ? TWILL_NAT_STAT_DROP_FULL :
						     TWILL_NAT_STAT_DROP_NO_PORT);
	twill_nat_count(nat, TWILL_NAT_STAT_FLOWS_CREATED);
	return apply(nat, skb, p, &f->node[TWILL_FLOW_ORIG], SRC);
}

/* twill's own VXLAN packets leave through its UDP tunnel sockets. */
static bool from_tunnel(const struct sock *sk)
{
	return sk && sk_fullsock(sk) && sk->sk_protocol == IPPROTO_UDP &&
	       sk->sk_type == SOCK_DGRAM &&
	       READ_ONCE(udp_sk(sk)->encap_rcv) == twill_rx_encap_rcv;
}

/*
 * Link-local and multicast packets (neighbour discovery among them) stay
 * on their link: even a masquerade of everything leaves them alone.
 */
static bool link_scoped(const struct twill_flow_tuple *t)
{
	if (t->family == AF_INET)
		return ipv4_is_multicast(t->dst.ip) || ipv4_is_lbcast(t->dst.ip) ||
		       ipv4_is_linklocal_169(t->src.ip) ||
		       ipv4_is_linklocal_169(t->dst.ip);
	return (ipv6_addr_type(&t->dst.in6) &
		(IPV6_ADDR_MULTICAST | IPV6_ADDR_LINKLOCAL)) ||
	       (ipv6_addr_type(&t->src.in6) & IPV6_ADDR_LINKLOCAL);
}

static bool wants_masquerade(const struct twill_nat_config *cfg,
			     const struct pkt *p,
			     const struct nf_hook_state *state)
{
	return state->out && !twill_device_is(state->out) &&
	       !link_scoped(&p->t) &&
	       !from_tunnel(state->sk) &&
	       !prefix_match(cfg->excl, cfg->nexcl, p->t.family, &p->t.dst);
}

static int family_of(const struct sk_buff *skb)
{
	return skb->protocol == htons(ETH_P_IPV6) ? AF_INET6 : AF_INET;
}

/* --- Services -------------------------------------------------------- */

static siphash_key_t choice_key __read_mostly;

static unsigned int drop_service(struct twill_nat *nat, struct twill_flow *f,
				 enum twill_service_stat why)
{
	if (f)
		twill_flow_free(f);
	twill_nat_count_service(nat, why);
	return NF_DROP;
}

/* A host process's packet (@local) is routed already: to us, if refused. */
static unsigned int refuse(struct twill_nat *nat, struct sk_buff *skb,
			   const struct pkt *p, bool local)
{
	twill_reject(nat->net, skb, p->t.family, p->t.proto, p->l4off, local);
	return drop_service(nat, NULL, TWILL_SERVICE_STAT_REFUSED);
}

static int insert_service_flow(struct twill_nat *nat, struct twill_flow *f)
{
	unsigned int expired = 0;
	int ret;

	ret = twill_flow_insert(&nat->flows, f, &expired);
	return insert_end(nat, f, ret, expired);
}

/* A new flow from the client to @be; replies come from the backend. */
static unsigned int service_flow(struct twill_nat *nat, struct sk_buff *skb,
				 const struct pkt *p,
				 const struct twill_backend *be, bool local)
{
	struct twill_flow_tuple *r;
	struct twill_flow_node *n;
	struct twill_flow *f;
	int ret;

	f = alloc_flow(nat, &p->t);
	if (!f)
		return drop_service(nat, NULL, TWILL_SERVICE_STAT_DROP_NOMEM);
	f->flags = TWILL_FLOW_F_SERVICE | (local ? TWILL_FLOW_F_LOCAL : 0);
	r = &f->node[TWILL_FLOW_REPLY].t;
	twill_flow_tuple_invert(r, &p->t);
	r->src = be->addr;
	r->sport = be->port;
	if (nf_inet_addr_cmp(&be->addr, &p->t.src)) {
		/*
		 * The client is the backend: it sees the service address as
		 * the source (from the client's port), answers that, and the
		 * answer comes back through us (kube-proxy masquerades such a
		 * packet to the host's address instead).
		 */
		f->flags |= TWILL_FLOW_F_HAIRPIN;
		r->dst = p->t.dst;
	}
	twill_flow_seen(f, TWILL_FLOW_ORIG, p->syn, p->fin, p->rst);
	ret = insert_service_flow(nat, f);
	if (ret == -EEXIST) {
		/* Another CPU made this flow meanwhile: use its backend. */
		twill_flow_free(f);
		n = twill_flow_lookup(&nat->flows, &p->t);
		return n ? apply(nat, skb, p, n, side_in(n)) :
			   drop_service(nat, NULL, TWILL_SERVICE_STAT_DROP_IN_USE);
	}
	if (ret)
		return drop_service(nat, f, ret == -ENOSPC ?
					    TWILL_SERVICE_STAT_DROP_FULL :
					    TWILL_SERVICE_STAT_DROP_IN_USE);
	twill_nat_count_service(nat, TWILL_SERVICE_STAT_FLOWS_CREATED);
	return apply(nat, skb, p, &f->node[TWILL_FLOW_ORIG], DST);
}

/*
 * Session affinity.  Maglev chooses by the client's address alone, so a
 * client meets one backend on every host as long as the backends stay the
 * same; an affinity entry keeps that choice through changes of the
 * backends, for the service's timeout after the client's last new flow (as
 * kube-proxy's "recent" match does).  The entry lives in the flow table,
 * with its memory limit, collector and purge, as a flow no packet can
 * match: its tuples carry a mark in the pad that packets' tuples leave
 * zero.  ORIG is client -> virtual address (port 0 -> the service's
 * port), REPLY backend -> client, which is all the purge needs to drop an
 * entry whose backend left.
 */
#define AFFINITY_ORIG	1
#define AFFINITY_REPLY	2

static void affinity_tuple(struct twill_flow_tuple *k, const struct pkt *p)
{
	memset(k, 0, sizeof(*k));
	k->src = p->t.src;
	k->dst = p->t.dst;
	k->dport = p->t.dport;
	k->proto = p->t.proto;
	k->family = p->t.family;
	k->zero = AFFINITY_ORIG;
}

/*
 * The backend the client's affinity entry names if it can still be
 * chosen, its timeout restarted; else NULL, the entry expired so that a
 * new one can take its place.
 */
static const struct twill_backend *
affinity_backend(struct twill_nat *nat, const struct twill_service *svc,
		 const struct pkt *p)
{
	const struct twill_backend *be;
	const struct twill_flow_tuple *r;
	struct twill_flow_tuple k;
	struct twill_flow_node *n;
	struct twill_flow *f;

	affinity_tuple(&k, p);
	n = twill_flow_lookup(&nat->flows, &k);
	if (!n)
		return NULL;
	f = twill_flow_of(n);
	r = &f->node[TWILL_FLOW_REPLY].t;
	be = twill_service_backend(svc, &r->src, r->sport);
	if (be && twill_service_choosable(svc, be)) {
		WRITE_ONCE(f->expires, jiffies + svc->affinity * HZ);
		return be;
	}
	WRITE_ONCE(f->expires, jiffies - 1);
	return NULL;
}

/* Remembers @be as the client's choice; best effort (a full table). */
static void affinity_record(struct twill_nat *nat,
			    const struct twill_service *svc,
			    const struct pkt *p, const struct twill_backend *be)
{
	struct twill_flow_tuple k, *r;
	unsigned int expired = 0;
	struct twill_flow *f;

	affinity_tuple(&k, p);
	f = alloc_flow(nat, &k);
	if (!f)
		return;
	f->flags = TWILL_FLOW_F_SERVICE | TWILL_FLOW_F_AFFINITY;
	f->state = TWILL_FLOW_S_AFFINITY;
	f->expires = jiffies + svc->affinity * HZ;
	r = &f->node[TWILL_FLOW_REPLY].t;
	twill_flow_tuple_invert(r, &k);
	r->src = be->addr;
	r->sport = be->port;
	r->zero = AFFINITY_REPLY;
	/*
	 * -EEXIST: another CPU recorded this client meanwhile; -EADDRINUSE:
	 * the same client, backend and port through another service.
	 * Either way the client keeps the hash's choice.
	 */
	if (insert_end(nat, f, twill_flow_insert(&nat->flows, f, &expired),
		       expired))
		twill_flow_free(f);
}

/* The backend for a new flow of @p; NULL: none to choose. */
static const struct twill_backend *choose(struct twill_nat *nat,
					  const struct twill_service *svc,
					  const struct pkt *p)
{
	const struct twill_backend *be;

	net_get_random_once(&choice_key, sizeof(choice_key));
	if (!svc->affinity)
		return twill_service_choose(svc, siphash(&p->t, sizeof(p->t),
							 &choice_key));
	be = affinity_backend(nat, svc, p);
	if (be)
		return be;
	be = twill_service_choose(svc, siphash(&p->t.src, sizeof(p->t.src),
					       &choice_key));
	if (be)
		affinity_record(nat, svc, p, be);
	return be;
}

/*
 * A packet to a virtual address that no flow knows: a new flow to the
 * backend Maglev picks for its 5-tuple, a refusal when the service has
 * none, a drop when the address has no service for this port.
 */
static unsigned int service_in(struct twill_nat *nat,
			       struct twill_service_table *table,
			       struct sk_buff *skb, const struct pkt *p,
			       bool local)
{
	const struct twill_backend *be;
	struct twill_service *svc;

	svc = twill_service_lookup(table, p->t.family, &p->t.dst, p->t.dport,
				   p->t.proto);
	if (!svc)
		return drop_service(nat, NULL,
				    TWILL_SERVICE_STAT_DROP_NO_SERVICE);
	be = choose(nat, svc, p);
	if (!be)
		return refuse(nat, skb, p, local);
	return service_flow(nat, skb, p, be, local);
}

/* The device's services if @t is to one of their addresses, else NULL. */
static struct twill_service_table *
to_service(struct twill_nat *nat, const struct twill_flow_tuple *t)
{
	struct twill_service_table *table;

	table = rcu_dereference(nat->tdev->services);
	if (table && twill_service_vip_known(table, t->family, &t->dst))
		return table;
	return NULL;
}

/*
 * Before routing (@local false) and a host process's packets on their way
 * out (@local true): destinations are chosen here.
 */
static unsigned int xlate_dst(struct twill_nat *nat, struct sk_buff *skb,
			      bool local)
{
	struct twill_service_table *table;
	struct twill_flow_node *n;
	struct pkt p;

	if (parse(skb, family_of(skb), &p)) {
		/* A virtual address takes only what its services can. */
		if (!p.error && p.t.family && to_service(nat, &p.t))
			return drop_service(nat, NULL,
					    TWILL_SERVICE_STAT_DROP_NO_SERVICE);
		/* Not ours to judge: what we cannot read was never translated. */
		return NF_ACCEPT;
	}
	n = twill_flow_lookup(&nat->flows, &p.t);
	/* Masquerade's flows are no business of the host's own packets. */
	if (n && local && !(twill_flow_of(n)->flags & TWILL_FLOW_F_SERVICE))
		return NF_ACCEPT;
	if (n && !local && reply_after_routing(n))
		return NF_ACCEPT;
	if (n)
		return apply(nat, skb, &p, n, side_in(n));
	table = p.error ? NULL : to_service(nat, &p.t);
	return table ? service_in(nat, table, skb, &p, local) : NF_ACCEPT;
}

unsigned int twill_xlate_in(struct twill_nat *nat, struct sk_buff *skb)
{
	return xlate_dst(nat, skb, false);
}

unsigned int twill_xlate_local(struct twill_nat *nat, struct sk_buff *skb)
{
	return xlate_dst(nat, skb, true);
}

unsigned int twill_xlate_out(struct twill_nat *nat, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	const struct twill_nat_config *cfg = rcu_dereference(nat->cfg);
	struct twill_flow_node *n = NULL;
	bool pod, looked = false;
	struct pkt p;
	int ret;

	ret = parse(skb, family_of(skb), &p);
	if (!ret && rcu_access_pointer(nat->tdev->services)) {
		n = twill_flow_lookup(&nat->flows, &p.t);
		looked = true;
		if (n && reply_after_routing(n))
			return apply(nat, skb, &p, n, SRC);
	}
	if (!cfg)
		return NF_ACCEPT;
	pod = prefix_match(cfg->masq, cfg->nmasq, p.t.family, &p.t.src);
	if (ret) {
		/* A pod's packet we cannot translate must not leak out. */
		if (pod && !p.error && wants_masquerade(cfg, &p, state))
			return drop(nat, NULL, TWILL_NAT_STAT_DROP_BAD);
		return NF_ACCEPT;
	}
	if (!pod && !p.error)
		return NF_ACCEPT;
	/* One lookup a packet, where services made it above already. */
	if (!looked)
		n = twill_flow_lookup(&nat->flows, &p.t);
	if (n)
		return apply(nat, skb, &p, n, SRC);
	if (p.error || !pod || !wants_masquerade(cfg, &p, state))
		return NF_ACCEPT;
	return masquerade(nat, cfg, skb, &p, state->out);
}
