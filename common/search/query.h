/*
 * query.h - parse and classify the text of an /infra-search command.
 *
 * Grammar (terms and modifiers separated by ASCII whitespace or U+00A0,
 * which Slack clients insert when text is pasted):
 *
 *     TEXT     = "" | "help" | ITEM { ITEM }
 *     ITEM     = TERM | "account:" ALIAS | "region:" REGION
 *
 * Each TERM is classified by query_classify() into one kind (below). The
 * classification runs a fixed table of matchers in order; the first
 * matcher that claims a term decides its kind, or declares it malformed
 * with a reason meant to be shown to the user (an ephemeral Slack reply).
 * A malformed query must never reach AWS.
 *
 * Decisions (each has a unit test):
 * - IPv4 is a strict dotted quad. Leading zeros ("010.0.0.1") are rejected:
 *   inet_aton() and many tools read them as octal (010 = 8), so the user's
 *   intent is ambiguous and we ask rather than guess.
 * - IPv6 is normalised with inet_pton()/inet_ntop() to lower-case
 *   compressed form (RFC 5952), the form EC2 reports.
 * - Instance and interface IDs ("i-", "eni-") are 8 or 17 hex digits of
 *   either case, normalised to lower case. A term that starts with "i-" or
 *   "eni-" but is not a valid ID is malformed (not searched as a Name).
 * - A Name term (anything else of >= 2 characters) is matched as a
 *   substring of the Name tag; the EC2 filter value is "*term*". The EC2
 *   wildcards '*' and '?' are rejected in user input (substring matching
 *   already happens, and a bare "*" would list every instance); a
 *   backslash, EC2's escape character, is escaped in the filter.
 * - Modifiers may repeat ("account:a account:b" searches both); duplicates
 *   are dropped. Alias and region are lower-cased; region shape is checked
 *   here, whether the alias/region is configured is checked by the caller
 *   with query_check_accounts() / query_check_regions().
 * - EC2 DNS names (ip-A-B-C-D.ec2.internal, ip-A-B-C-D.REGION.compute.
 *   internal, ec2-A-B-C-D.compute-1.amazonaws.com, ec2-A-B-C-D.REGION.
 *   compute.amazonaws.com, resource-based i-ID.REGION.compute.internal and
 *   a bare "ip-A-B-C-D" host name as shell prompts show it) are decoded:
 *   the caller searches by the encoded ip (or instance_id) in the encoded
 *   region, which also finds instances in VPCs with custom DNS. A name that
 *   ends in an EC2 DNS suffix but cannot be decoded is malformed.
 * - "help" is help only as the whole text; with other words it is a Name.
 * - Identical terms (after normalisation) are searched once.
 *
 * Everything lives in fixed-size arrays inside the structs: nothing to free.
 */
#ifndef SI_QUERY_H
#define SI_QUERY_H

#include <stddef.h>

#include "aws/region.h"
#include "util/err.h"

/* Slack allows long texts, but no useful query is longer than a few IDs;
 * 1024 bytes bounds the work and keeps error messages short. */
#define QUERY_MAX_TEXT_LEN 1024

/* Each term becomes a separate EC2 filter value; 10 keeps one request per
 * target small and the answer readable. */
#define QUERY_MAX_TERMS 10

/* A DNS name is at most 253 bytes; nothing we classify is longer. */
#define QUERY_MAX_TERM_LEN 255

/* account:/region: modifiers of each kind; more is not a narrowing. */
#define QUERY_MAX_MODIFIERS 8

/* Aliases are [a-z0-9_-]; 64 matches the config's practical length. */
#define QUERY_MAX_ALIAS_LEN 64

/* The longest region name aws_region_valid() accepts (aws/region.h). */
#define QUERY_MAX_REGION_LEN AWS_REGION_MAX_LEN

/* Room for a friendly reason that quotes part of the term. */
#define QUERY_REASON_MAX 200

enum query_kind {
	QUERY_MALFORMED = 0,  /* reason says why; never searched */
	QUERY_INSTANCE_ID,    /* value: "i-0123456789abcdef0" */
	QUERY_INSTANCE_ARN,   /* value: ARN; instance_id, region, account_id */
	QUERY_IPV4,           /* value and ip: "10.0.0.1" */
	QUERY_IPV6,           /* value and ip: canonical, e.g. "2001:db8::1" */
	QUERY_PRIVATE_DNS,    /* value: lower-case name without trailing dot;
	                         region; ip ("ip-" names) or instance_id
	                         (resource-based "i-" names) */
	QUERY_PUBLIC_DNS,     /* value: name; region; ip */
	QUERY_ENI_ID,         /* value: "eni-0123456789abcdef0" */
	QUERY_NAME,           /* value: term; filter: "*term*" (escaped) */
	QUERY_HELP            /* only from query_parse(), never classify */
};

struct query_term {
	enum query_kind kind;
	char value[QUERY_MAX_TERM_LEN + 1];
	char filter[2 * QUERY_MAX_TERM_LEN + 3]; /* NAME only: EC2 filter */
	char ip[46];          /* INET6_ADDRSTRLEN; "" when not applicable */
	char region[QUERY_MAX_REGION_LEN + 1];    /* "" = every region */
	char account_id[13];  /* ARN only: 12 digits */
	char instance_id[20]; /* ARN and resource-based DNS names */
	char reason[QUERY_REASON_MAX];            /* MALFORMED only */
};

struct query {
	enum query_kind kind; /* QUERY_HELP, or QUERY_MALFORMED if any term
	                         is; else the kind of terms[0] */
	struct query_term terms[QUERY_MAX_TERMS];
	size_t n_terms;
	char accounts[QUERY_MAX_MODIFIERS][QUERY_MAX_ALIAS_LEN + 1];
	size_t n_accounts;    /* 0 = every configured account */
	char regions[QUERY_MAX_MODIFIERS][QUERY_MAX_REGION_LEN + 1];
	size_t n_regions;     /* 0 = every configured region */
};

/*
 * Classify one term (NUL-terminated, no whitespace expected) into out,
 * which is fully overwritten. Returns out->kind. Never returns QUERY_HELP.
 */
enum query_kind query_classify(const char *term, struct query_term *out);

/*
 * Parse the whole command text (NUL-terminated; NULL is treated as "").
 * out is fully overwritten. Returns 0 with out->kind == QUERY_HELP for
 * empty text or "help", 0 with terms filled otherwise. Returns -1 with
 * err->msg a friendly message for the user (and out->kind ==
 * QUERY_MALFORMED) when the text is too long (SI_ERR_LIMIT), has too many
 * terms or modifiers (SI_ERR_LIMIT), is not UTF-8, has a malformed term or
 * modifier (SI_ERR_INVALID), or has modifiers but no term.
 */
int query_parse(const char *text, struct query *out, struct si_err *err);

/*
 * Check every account:ALIAS of q against the n configured aliases
 * (strings owned by the caller). Returns 0 if all are known (or q has
 * none); -1 with SI_ERR_NOTFOUND and a message naming the unknown alias and
 * listing the known ones otherwise.
 */
int query_check_accounts(const struct query *q, const char *const *aliases,
			 size_t n, struct si_err *err);

/* The same for region:REGION against the configured regions. */
int query_check_regions(const struct query *q, const char *const *regions,
			size_t n, struct si_err *err);

/* A short fixed name, e.g. "instance-id", "ipv4", "name". */
const char *query_kind_name(enum query_kind kind);

#endif
