/*
 * cidr.c - IPv4 and IPv6 address blocks (see cidr.h).
 *
 * The address is read by inet_pton, the one parser the C library already
 * gets right for both families (RFC 4291 text forms, strict dotted quads);
 * the prefix by hand, because strtol would take signs, spaces and "0x".
 */
#include "util/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

/* Prefix lengths are at most 128: three decimal digits. */
#define S_PREFIX_DIGITS 3

/* Bits in an address of each family. */
#define S_BITS_V4 32u
#define S_BITS_V6 128u

static unsigned s_bits(int family)
{
	return family == AF_INET ? S_BITS_V4 : S_BITS_V6;
}

/* "0".."128" without sign, space or leading zero. Returns 0 and *out, or -1. */
static int s_prefix(const char *s, unsigned max, unsigned *out)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n == 0 || n > S_PREFIX_DIGITS || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* Clear the bits of addr below prefix; returns 1 when one was set. */
static int s_mask(unsigned char *addr, unsigned bits, unsigned prefix)
{
	int changed = 0;

	for (unsigned i = prefix; i < bits; i++) {
		unsigned char bit = (unsigned char)(0x80u >> (i % 8));

		if (addr[i / 8] & bit) {
			addr[i / 8] &= (unsigned char)~bit;
			changed = 1;
		}
	}
	return changed;
}

/* 1 when the first n bits of a and b are equal. */
static int s_same_bits(const unsigned char *a, const unsigned char *b, unsigned n)
{
	size_t whole = n / 8;
	unsigned rest = n % 8;
	unsigned char m;

	if (memcmp(a, b, whole) != 0)
		return 0;
	if (rest == 0)
		return 1;
	m = (unsigned char)(0xffu << (8 - rest));
	return (a[whole] & m) == (b[whole] & m);
}

int si_cidr_parse(const char *s, struct si_cidr *out, int *masked)
{
	char addr[INET6_ADDRSTRLEN];
	const char *slash;
	struct si_cidr c;
	size_t an;
	int m;

	if (s == NULL)
		return -1;
	slash = strchr(s, '/');
	if (slash == NULL || strchr(slash + 1, '/') != NULL)
		return -1;
	an = (size_t)(slash - s);
	if (an == 0 || an >= sizeof(addr))
		return -1;
	memcpy(addr, s, an);
	addr[an] = '\0';
	memset(&c, 0, sizeof(c));
	c.family = memchr(addr, ':', an) != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(c.family, addr, c.addr) != 1)
		return -1;
	if (s_prefix(slash + 1, s_bits(c.family), &c.prefix) != 0)
		return -1;
	m = s_mask(c.addr, s_bits(c.family), c.prefix);
	*out = c;
	if (masked != NULL)
		*masked = m;
	return 0;
}

int si_cidr_format(const struct si_cidr *c, char *out, size_t n)
{
	char addr[INET6_ADDRSTRLEN];
	int w;

	if (n == 0)
		return -1;
	out[0] = '\0';
	if ((c->family != AF_INET && c->family != AF_INET6) || c->prefix > s_bits(c->family))
		return -1;
	/* glibc and musl print IPv6 as RFC 5952 asks: lower case, the longest
	 * run of zero groups compressed, a lone zero group kept. */
	if (inet_ntop(c->family, c->addr, addr, sizeof(addr)) == NULL)
		return -1;
	w = snprintf(out, n, "%s/%u", addr, c->prefix);
	if (w < 0 || (size_t)w >= n) {
		out[0] = '\0';
		return -1;
	}
	return 0;
}

enum si_cidr_rel si_cidr_relation(const struct si_cidr *a, const struct si_cidr *b)
{
	unsigned shorter;

	if (a->family != b->family)
		return SI_CIDR_DISJOINT;
	shorter = a->prefix < b->prefix ? a->prefix : b->prefix;
	/* Two blocks overlap exactly when they agree on the bits of the
	 * bigger one's prefix; then the smaller lies inside the bigger. */
	if (!s_same_bits(a->addr, b->addr, shorter))
		return SI_CIDR_DISJOINT;
	if (a->prefix == b->prefix)
		return SI_CIDR_EQUAL;
	return a->prefix > b->prefix ? SI_CIDR_INSIDE : SI_CIDR_CONTAINS;
}

int si_cidr_contains_ip(const struct si_cidr *c, const char *ip)
{
	unsigned char bin[16];

	if (ip == NULL || (c->family != AF_INET && c->family != AF_INET6) ||
	    c->prefix > s_bits(c->family))
		return 0;
	if (inet_pton(c->family, ip, bin) != 1)
		return 0;
	return s_same_bits(c->addr, bin, c->prefix);
}
