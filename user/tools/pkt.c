// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "tools/pkt.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define IP4_HLEN 20
#define IP6_HLEN 40
#define FRAG6_HLEN 8
#define TCP_HLEN 20
#define UDP_HLEN 8
#define ICMP_HLEN 8
#define NEXTHDR_FRAGMENT 44
#define ICMP4_ERR_LIMIT 576 /* RFC 1812 4.3.2.3 */
#define ICMP6_ERR_LIMIT 1280 /* RFC 4443 2.4(c) */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t pkt_sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo-header sum for an upper-layer checksum (RFC 768, 793, 8200 8.1). */
static uint32_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst,
			   uint8_t proto, size_t len)
{
	size_t alen = family == 4 ? 4 : 16;

	return pkt_sum16(src, alen, 0) + pkt_sum16(dst, alen, 0) + proto +
	       (uint32_t)len;
}

static int parse_addr(const char *text, int family, uint8_t *out)
{
	if (!text)
		return -EINVAL;
	return inet_pton(family == 4 ? AF_INET : AF_INET6, text, out) == 1 ?
		       0 : -EINVAL;
}

/* Writes Ethernet (and VLAN) for @type; returns the L3 offset. */
static size_t put_eth(uint8_t *d, const uint8_t *dmac, const uint8_t *smac,
		      uint16_t vlan_tci, bool tagged, uint16_t type)
{
	memcpy(d, dmac, 6);
	memcpy(d + 6, smac, 6);
	if (!tagged) {
		put16(d + 12, type);
		return ETH_HLEN;
	}
	put16(d + 12, 0x8100);
	put16(d + 14, vlan_tci);
	put16(d + 16, type);
	return ETH_HLEN + VLAN_HLEN;
}

static void put_ip4(uint8_t *ip, size_t hlen, uint8_t tos, size_t tot,
		    uint16_t frag_off, uint8_t ttl, uint8_t proto,
		    const uint8_t *src, const uint8_t *dst)
{
	ip[0] = 0x40 | (uint8_t)(hlen / 4);
	ip[1] = tos;
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 4, 0x1c46);
	put16(ip + 6, frag_off);
	ip[8] = ttl;
	ip[9] = proto;
	put16(ip + 10, 0);
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	memset(ip + IP4_HLEN, 1, hlen - IP4_HLEN); /* NOP options */
	put16(ip + 10, pkt_csum_fold(pkt_sum16(ip, hlen, 0)));
}

static void put_ip6(uint8_t *ip, uint8_t tc, uint32_t flow, size_t plen,
		    uint8_t nexthdr, uint8_t hops, const uint8_t *src,
		    const uint8_t *dst)
{
	put32(ip, 6u << 28 | (uint32_t)tc << 20 | (flow & 0xfffff));
	put16(ip + 4, (uint16_t)plen);
	ip[6] = nexthdr;
	ip[7] = hops;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
}

static void fill_payload(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
}

/* Writes the L4 header and payload at @l4; returns its length or 0. */
static size_t put_l4(uint8_t *l4, const struct pkt_spec *s, const uint8_t *src,
		     const uint8_t *dst)
{
	size_t len;

	switch (s->proto) {
	case IPPROTO_TCP:
		len = TCP_HLEN + s->payload_len;
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put32(l4 + 4, 1000);
		put32(l4 + 8, (s->tcp_flags & 0x10) ? 2000 : 0);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 65535);
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		fill_payload(l4 + TCP_HLEN, s->payload_len);
		put16(l4 + 16, pkt_csum_fold(pkt_sum16(l4, len,
					  pseudo_sum(s->family, src, dst,
						     IPPROTO_TCP, len))));
		return len;
	case IPPROTO_UDP: {
		uint16_t c;

		len = UDP_HLEN + s->payload_len;
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
		put16(l4 + 4, (uint16_t)len);
		put16(l4 + 6, 0);
		fill_payload(l4 + UDP_HLEN, s->payload_len);
		c = pkt_csum_fold(pkt_sum16(l4, len, pseudo_sum(s->family, src, dst,
						   IPPROTO_UDP, len)));
		put16(l4 + 6, c ? c : 0xffff);
		return len;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((s->proto == IPPROTO_ICMP) != (s->family == 4))
			return 0;
		len = ICMP_HLEN + s->payload_len;
		l4[0] = s->family == 4 ? 8 : 128; /* echo request */
		l4[1] = 0;
		put16(l4 + 2, 0);
		put16(l4 + 4, s->sport);
		put16(l4 + 6, s->dport);
		fill_payload(l4 + ICMP_HLEN, s->payload_len);
		put16(l4 + 2, pkt_csum_fold(pkt_sum16(l4, len,
					 s->family == 4 ?
						 0 :
						 pseudo_sum(6, src, dst,
							    IPPROTO_ICMPV6,
							    len))));
		return len;
	default:
		return 0;
	}
}

static void pad(struct pkt *p)
{
	if (p->len < PKT_ETH_MIN) {
		memset(p->data + p->len, 0, PKT_ETH_MIN - p->len);
		p->len = PKT_ETH_MIN;
	}
}

int pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	uint8_t src[16], dst[16];
	size_t l3, hlen, l4len, max;
	uint8_t ttl = s->ttl ? s->ttl : 64;
	uint8_t *ip, *l4;

	if ((s->family != 4 && s->family != 6) ||
	    parse_addr(s->src, s->family, src) ||
	    parse_addr(s->dst, s->family, dst) || s->vlan > 4095 ||
	    (s->ihl && (s->ihl < 5 || s->ihl > 15)))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	l3 = put_eth(p->data, s->dmac ? s->dmac : PKT_MAC_LB,
		     s->smac ? s->smac : PKT_MAC_PEER, s->vlan, s->vlan != 0,
		     s->family == 4 ? 0x0800 : 0x86dd);
	if (s->family == 4)
		hlen = (s->ihl ? s->ihl : 5) * 4;
	else
		hlen = IP6_HLEN + (s->frag ? FRAG6_HLEN : 0);
	max = PKT_MAX - l3 - hlen;
	if ((size_t)s->payload_len + TCP_HLEN > max)
		return -EINVAL;
	ip = p->data + l3;
	l4 = ip + hlen;
	l4len = put_l4(l4, s, src, dst);
	if (!l4len)
		return -EINVAL;
	if (s->family == 4) {
		put_ip4(ip, hlen, s->tos, hlen + l4len,
			(s->df ? 0x4000 : 0) | s->frag, ttl, s->proto, src,
			dst);
	} else if (!s->frag) {
		put_ip6(ip, s->tos, 0, l4len, s->proto, ttl, src, dst);
	} else {
		uint8_t *fh = ip + IP6_HLEN;

		put_ip6(ip, s->tos, 0, FRAG6_HLEN + l4len, NEXTHDR_FRAGMENT,
			ttl, src, dst);
		fh[0] = s->proto;
		fh[1] = 0;
		put16(fh + 2, s->frag);
		put32(fh + 4, 0x12345678);
	}
	p->len = l3 + hlen + l4len;
	pad(p);
	return 0;
}

size_t pkt_l3_off(const struct pkt *p)
{
	if (p->len >= ETH_HLEN + VLAN_HLEN && get16(p->data + 12) == 0x8100)
		return ETH_HLEN + VLAN_HLEN;
	return ETH_HLEN;
}

/* Length of the IP packet at @l3 by its header, or 0 if it does not fit. */
static size_t ip_len(const struct pkt *p, size_t l3)
{
	const uint8_t *ip = p->data + l3;
	size_t n;

	if (l3 + IP4_HLEN > p->len)
		return 0;
	if (ip[0] >> 4 == 4)
		n = get16(ip + 2);
	else if (ip[0] >> 4 == 6 && l3 + IP6_HLEN <= p->len)
		n = IP6_HLEN + get16(ip + 4);
	else
		return 0;
	return l3 + n <= p->len ? n : 0;
}

int pkt_build_icmp_error(struct pkt *p, const char *src, const char *dst,
			 uint8_t type, uint8_t code, uint32_t mtu,
			 const struct pkt *quoted, uint16_t vlan,
			 size_t quote_max)
{
	size_t ql3 = pkt_l3_off(quoted), qlen = ip_len(quoted, ql3);
	int family = quoted->data[ql3] >> 4;
	uint8_t s[16], d[16];
	size_t l3, hlen, limit;
	uint8_t *ip, *ic;

	if (!qlen || (family != 4 && family != 6) || vlan > 4095 ||
	    parse_addr(src, family, s) || parse_addr(dst, family, d))
		return -EINVAL;
	hlen = family == 4 ? IP4_HLEN : IP6_HLEN;
	limit = (family == 4 ? ICMP4_ERR_LIMIT : ICMP6_ERR_LIMIT) - hlen -
		ICMP_HLEN;
	if (quote_max && quote_max < limit)
		limit = quote_max;
	if (qlen > limit)
		qlen = limit;

	memset(p, 0, sizeof(*p));
	l3 = put_eth(p->data, PKT_MAC_LB, PKT_MAC_PEER, vlan, vlan != 0,
		     family == 4 ? 0x0800 : 0x86dd);
	ip = p->data + l3;
	ic = ip + hlen;
	ic[0] = type;
	ic[1] = code;
	if (family == 4)
		put16(ic + 6, (uint16_t)mtu);
	else
		put32(ic + 4, mtu);
	memcpy(ic + ICMP_HLEN, quoted->data + ql3, qlen);
	if (family == 4) {
		put_ip4(ip, hlen, 0, hlen + ICMP_HLEN + qlen, 0, 64,
			IPPROTO_ICMP, s, d);
		put16(ic + 2, pkt_csum_fold(pkt_sum16(ic, ICMP_HLEN + qlen, 0)));
	} else {
		put_ip6(ip, 0, 0, ICMP_HLEN + qlen, IPPROTO_ICMPV6, 64, s, d);
		put16(ic + 2,
		      pkt_csum_fold(pkt_sum16(ic, ICMP_HLEN + qlen,
				 pseudo_sum(6, s, d, IPPROTO_ICMPV6,
					    ICMP_HLEN + qlen))));
	}
	p->len = l3 + hlen + ICMP_HLEN + qlen;
	pad(p);
	return 0;
}

int pkt_encap(struct pkt *out, const struct pkt *in, int ofam,
	      const char *osrc, const char *odst, uint32_t entropy,
	      const uint8_t *dmac, const uint8_t *smac)
{
	size_t l3 = pkt_l3_off(in), inner = ip_len(in, l3), rest, ol3, ohlen;
	const uint8_t *ip = in->data + l3;
	uint8_t s[16], d[16], tos, proto;
	bool tagged = l3 != ETH_HLEN;

	if (!inner || (ofam != 4 && ofam != 6) || parse_addr(osrc, ofam, s) ||
	    parse_addr(odst, ofam, d))
		return -EINVAL;
	if (ip[0] >> 4 == 4) {
		tos = ip[1];
		proto = IPPROTO_IPIP;
	} else {
		tos = (uint8_t)(get16(ip) >> 4);
		proto = IPPROTO_IPV6;
	}
	ohlen = ofam == 4 ? IP4_HLEN : IP6_HLEN;
	rest = in->len - l3; /* the inner packet and any Ethernet padding */
	if (l3 + ohlen + rest > PKT_MAX)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ol3 = put_eth(out->data, dmac, smac, tagged ? get16(in->data + 14) : 0,
		      tagged, ofam == 4 ? 0x0800 : 0x86dd);
	if (ofam == 4)
		put_ip4(out->data + ol3, IP4_HLEN, tos, IP4_HLEN + inner,
			0x4000, 64, proto, s, d); /* outer DF always */
	else
		put_ip6(out->data + ol3, tos, entropy, inner, proto, 64, s, d);
	/* the outer IPv4 ID is 0: with DF, it is never reassembled */
	if (ofam == 4) {
		uint8_t *o = out->data + ol3;

		put16(o + 4, 0);
		put16(o + 10, 0);
		put16(o + 10, pkt_csum_fold(pkt_sum16(o, IP4_HLEN, 0)));
	}
	memcpy(out->data + ol3 + ohlen, ip, rest);
	out->len = ol3 + ohlen + rest;
	return 0;
}

void pkt_dump_diff(const char *what, const struct pkt *got,
		   const struct pkt *want)
{
	size_t n = got->len > want->len ? got->len : want->len;

	fprintf(stderr, "%s: got %zu bytes, want %zu ([x] differs)\n", what,
		got->len, want->len);
	for (size_t row = 0; row < n; row += 16) {
		fprintf(stderr, "  %04zx got ", row);
		for (size_t i = row; i < row + 16 && i < n; i++) {
			bool g = i < got->len, w = i < want->len;
			bool diff = g != w || (g && got->data[i] != want->data[i]);

			if (g)
				fprintf(stderr, diff ? "[%02x]" : " %02x ",
					got->data[i]);
			else
				fprintf(stderr, "[--]");
		}
		fprintf(stderr, "\n       want");
		for (size_t i = row; i < row + 16 && i < n; i++) {
			if (i < want->len)
				fprintf(stderr, " %02x ", want->data[i]);
			else
				fprintf(stderr, " -- ");
		}
		fprintf(stderr, "\n");
	}
}
