/*
 * cidr.h - IPv4 and IPv6 address blocks ("10.10.0.0/16",
 * "2a05:d01c:abc::/56"): parse, print canonically, compare.
 *
 * Parsing uses inet_pton for the address (so IPv4 is a strict dotted quad,
 * no leading zeros beyond what inet_pton takes) and a decimal prefix
 * (0..32 or 0..128, no sign, no leading zeros). Host bits set below the
 * prefix ("10.1.2.3/16") are cleared: the block is the one the user
 * meant, and si_cidr_parse reports that it did so (*masked = 1) so the
 * caller can say "searching 10.1.0.0/16". A bare address is not a block.
 * Nothing is allocated.
 */
#ifndef SI_UTIL_CIDR_H
#define SI_UTIL_CIDR_H

#include <stddef.h>

/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128" plus NUL. */
#define SI_CIDR_STRLEN 50

struct si_cidr {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network order; IPv4 in the first 4 */
	unsigned prefix;          /* 0..32 or 0..128 */
};

enum si_cidr_rel {
	SI_CIDR_DISJOINT = 0,     /* different families, or no overlap */
	SI_CIDR_EQUAL,            /* the same block */
	SI_CIDR_INSIDE,           /* a lies inside b (b is bigger) */
	SI_CIDR_CONTAINS          /* a contains b (a is bigger) */
};

/* Parse s ("addr/prefix"). Returns 0 and fills *out (masked may be NULL),
 * or -1 when s is not a block. */
int si_cidr_parse(const char *s, struct si_cidr *out, int *masked);

/* The canonical text: dotted quad, or RFC 5952 IPv6 (lower-case,
 * compressed), "/prefix". Returns 0, -1 when n is too small. */
int si_cidr_format(const struct si_cidr *c, char *out, size_t n);

/* How a relates to b. */
enum si_cidr_rel si_cidr_relation(const struct si_cidr *a, const struct si_cidr *b);

/* 1 when ip (text, IPv4 or IPv6) lies inside c, 0 otherwise (also when
 * ip does not parse). */
int si_cidr_contains_ip(const struct si_cidr *c, const char *ip);

#endif
