/*
 * query.h - parse and classify the text of an /infra-search command.
 *
 * Grammar (terms and modifiers separated by ASCII whitespace or U+00A0,
 * which Slack clients insert when text is pasted):
 *
 *     TEXT     = "" | "help" | ITEM { ITEM }
 *     ITEM     = TERM | "account:" ALIAS | "region:" REGION | "at:" WHEN
 *
 * Each TERM is classified by query_classify() into one kind (below). The
 * classification runs a fixed table of matchers in order; the first
 * matcher that claims a term decides its kind, or declares it malformed
 * (or an ID or ARN of a type we cannot search: QUERY_UNKNOWN) with a
 * reason meant to be shown to the user (an ephemeral Slack reply). A
 * malformed or unknown query must never reach AWS.
 *
 * Decisions (each has a unit test):
 * - The classifier knows no resource type by heart: which ID prefixes,
 *   ARN types and DNS suffixes exist is asked of the registry
 *   (search/registry.h: rt_by_id_prefix, rt_by_arn, rt_by_dns), so a new
 *   type module is searchable without a change here.
 * - IPv4 is a strict dotted quad. Leading zeros ("010.0.0.1") are rejected:
 *   inet_aton() and many tools read them as octal (010 = 8), so the user's
 *   intent is ambiguous and we ask rather than guess.
 * - IPv6 is normalised with inet_pton()/inet_ntop() to lower-case
 *   compressed form (RFC 5952), the form EC2 reports.
 * - Resource IDs ("sg-", "vol-", any prefix a type claims) are 8 or 17 hex
 *   digits of either case, normalised to lower case (QUERY_RESOURCE_ID,
 *   type pinned). A claimed prefix followed by hex digits of another count
 *   (at least 6, one of them a decimal digit: a paste cut short) is
 *   malformed; followed by anything else ("vpc-prod", "sg-web") it is a
 *   Name, since people name things after their kind.
 * - Instance and interface IDs ("i-", "eni-": the prefixes of the types
 *   named "instance" and "network-interface") keep their own kinds
 *   (QUERY_INSTANCE_ID, QUERY_ENI_ID, no type pinned: the engine asks both
 *   EC2 types as before), and stay strict: a term with their prefix that
 *   is not a valid ID is malformed, not searched as a Name.
 * - An ID-shaped term no type claims (QUERY_UNKNOWN): one to four groups
 *   of letters joined by '-', then '-' and 17 hex digits, or 8 hex digits
 *   with both a decimal digit and a letter a-f ("xyz-0123abcd",
 *   "tgw-attach-0a1b2c3d"). Eight decimal digits alone ("backup-20240115")
 *   stay a Name: dates and build numbers look like that, AWS IDs rarely.
 * - ARNs (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) are parsed: the
 *   partition is aws, aws-cn or aws-us-gov; REGION is empty (global
 *   services: S3, IAM, Route 53) or a region name; ACCOUNT is empty or 12
 *   digits; RESOURCE is not empty and may hold ':' and '/'. Its type is
 *   the part before its first '/' or ':', or the first two parts when
 *   that type is unknown and a third part follows ("loadbalancer/app" of
 *   loadbalancer/app/NAME/ID), or "" when it has neither; resource (the
 *   id part) is what follows the first separator ("app/NAME/ID", "db1").
 *   Prefix fields are lower-cased, the resource kept as typed except an
 *   EC2-style ID in it, which must be valid for the type and is
 *   lower-cased. Instance ARNs keep QUERY_INSTANCE_ARN; other known types
 *   give QUERY_ARN; an unknown service or type QUERY_UNKNOWN ("I can't
 *   look up dynamodb/table yet; I can search: ..."). A term starting
 *   "arn:" is never a Name.
 * - CIDR blocks ("10.10.0.0/16", "2a05:d01c:abc::/56") are read by
 *   si_cidr_parse (util/cidr.h) and written back canonically. Host bits
 *   below the prefix are cleared (10.1.2.3/16 searches 10.1.0.0/16) and
 *   note says so for the caller to show. A term is taken for a block when
 *   the part before its one '/' looks like an address (digits and dots, or
 *   hex with ':'); "team/web" stays a Name.
 * - Host names (QUERY_HOST): a term with a dot, of ASCII letters, digits,
 *   '-', '_' and dots only, whose last label is letters only or an IDN
 *   "xn--" label ("web.prod" and "www.example.com" are hosts; "v1.2",
 *   "release-2.0" and "node.v2" stay Names). Lower-cased, one final dot
 *   dropped, at most 253 bytes, labels of 1 to 63 bytes not starting or
 *   ending with '-' (else malformed). '_' is allowed anywhere: Route 53
 *   holds record names such as _dmarc.example.com. A Unicode name must be
 *   typed in its xn-- form; a dotted term with non-ASCII letters stays a
 *   Name. A host that ends in one of a type's DNS suffixes (rt_by_dns) is
 *   pinned to that type, and its region is read from it: the label the
 *   suffix's "*" matches (NLB: NAME.elb.REGION.amazonaws.com), else the
 *   label just before the suffix (ELB: NAME.REGION.elb.amazonaws.com,
 *   internal-NAME..., RDS: ID.HASH.REGION.rds.amazonaws.com including
 *   cluster-/cluster-ro- endpoints). A name whose region part is not a
 *   region, or with no label before the region, is malformed. Other hosts
 *   have no type and no region (Route 53, then DNS).
 * - A Name term (anything else of >= 2 characters) is matched as a
 *   case-insensitive substring of the name of every named type; value is
 *   the term as typed, name_lc its ASCII lower case (letters beyond ASCII
 *   are compared as they are). The EC2 wildcards '*' and '?' are rejected
 *   in user input (substring matching already happens, and a bare "*"
 *   would list everything); the modules escape '\' for EC2 filters.
 * - Modifiers may repeat ("account:a account:b" searches both); duplicates
 *   are dropped. Alias and region are lower-cased; region shape is checked
 *   here, whether the alias/region is configured is checked by the caller
 *   with query_check_accounts() / query_check_regions().
 * - EC2 DNS names (ip-A-B-C-D.ec2.internal, ip-A-B-C-D.REGION.compute.
 *   internal, ec2-A-B-C-D.compute-1.amazonaws.com, ec2-A-B-C-D.REGION.
 *   compute.amazonaws.com, resource-based i-ID.REGION.compute.internal and
 *   a bare "ip-A-B-C-D" host name as shell prompts show it) are decoded
 *   before any other host rule: the caller searches by the encoded ip (or
 *   instance_id) in the encoded region, which also finds instances in VPCs
 *   with custom DNS. A name that ends in an EC2 DNS suffix but cannot be
 *   decoded is malformed.
 * - at:WHEN asks who held an address or name at a past moment (answered
 *   from the inventory, index.h). WHEN is ISO 8601 as util/iso8601.h reads
 *   it (the one parser), with the short forms people type completed first:
 *   a date alone ("2026-11-30") is its midnight, minutes without seconds
 *   ("2026-11-30T03:00") get ":00", and no zone means UTC, the zone of the
 *   AWS, flow and CloudTrail logs the question comes from (the reply shows
 *   the moment in the reader's own zone, so a misread is visible). Or a
 *   time ago: '-', 1 to 6 digits and a unit s, m, h, d or w ("-6h",
 *   "-30m", "-2d"), at most 10 years, counted from the request time the
 *   caller passes (query_parse_at; a journaled search re-parsed after a
 *   crash passes the time it was asked, so it asks about the same
 *   moment). One at: per query; a moment after the request time, or one
 *   not understood, is malformed (an ephemeral reply: a typo must not
 *   answer for the wrong time).
 * - "help" is help only as the whole text; with other words it is a Name.
 * - Identical terms (after normalisation) are searched once.
 *
 * Everything lives in fixed-size arrays inside the structs (the pinned
 * type points to a static registry entry): nothing to free, and the
 * structs may be copied.
 */
#ifndef SI_QUERY_H
#define SI_QUERY_H

#include <stddef.h>
#include <time.h>

#include "aws/region.h"
#include "util/err.h"

struct rt_type;

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

/* Room for a friendly reason that quotes part of the term and, for an
 * unknown ID or ARN, lists what can be searched (rt_describe_known); below
 * SI_ERR_MSG_MAX, which carries it to the user. */
#define QUERY_REASON_MAX 480

/* Room for a note shown beside the results ("searching 10.1.0.0/16: ..."). */
#define QUERY_NOTE_MAX 160

/* ARN fields: partitions are "aws-us-gov" at most; service names are
 * short ("elasticloadbalancing" is 20), 40 leaves room. */
#define QUERY_MAX_PARTITION_LEN 15
#define QUERY_MAX_SERVICE_LEN 40

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
	QUERY_NAME,           /* value: term as typed; name_lc */
	QUERY_RESOURCE_ID,    /* value: "sg-0123456789abcdef0"; type */
	QUERY_ARN,            /* value: ARN; partition, service, region and
	                         account_id ("" when the ARN has none),
	                         resource, type */
	QUERY_CIDR,           /* value: canonical block "10.1.0.0/16"; note
	                         when host bits were cleared */
	QUERY_HOST,           /* value: lower-case host name, no final dot;
	                         type and region when a DNS suffix claims it */
	QUERY_UNKNOWN,        /* an ID or ARN of a type we cannot search yet:
	                         value: the term; reason says what we can
	                         search; never searched */
	QUERY_HELP            /* only from query_parse(), never classify */
};

struct query_term {
	enum query_kind kind;
	char value[QUERY_MAX_TERM_LEN + 1];
	char name_lc[QUERY_MAX_TERM_LEN + 1];     /* NAME only: value in ASCII
	                                           * lower case */
	char ip[46];          /* INET6_ADDRSTRLEN; "" when not applicable */
	char region[QUERY_MAX_REGION_LEN + 1];    /* "" = every region */
	char account_id[13];  /* ARN only: 12 digits, or "" */
	char instance_id[20]; /* instance ARN and resource-based DNS names */
	char partition[QUERY_MAX_PARTITION_LEN + 1];  /* ARN and UNKNOWN ARN */
	char service[QUERY_MAX_SERVICE_LEN + 1];      /* ARN and UNKNOWN ARN */
	char resource[QUERY_MAX_TERM_LEN + 1];    /* ARN: the resource id part,
	                                           * after the resource type */
	const struct rt_type *type;  /* RESOURCE_ID, ARN, HOST of a type's
	                              * DNS suffix: the one type to ask
	                              * (static, never freed); else NULL */
	char note[QUERY_NOTE_MAX];                /* CIDR with host bits: what
	                                           * is searched instead */
	char reason[QUERY_REASON_MAX];            /* MALFORMED, UNKNOWN */
};

struct query {
	enum query_kind kind; /* QUERY_HELP, or QUERY_MALFORMED /
	                         QUERY_UNKNOWN when query_parse failed (the
	                         latter when a term was an unknown ID or
	                         ARN); else the kind of terms[0] */
	struct query_term terms[QUERY_MAX_TERMS];
	size_t n_terms;
	char accounts[QUERY_MAX_MODIFIERS][QUERY_MAX_ALIAS_LEN + 1];
	size_t n_accounts;    /* 0 = every configured account */
	char regions[QUERY_MAX_MODIFIERS][QUERY_MAX_REGION_LEN + 1];
	size_t n_regions;     /* 0 = every configured region */
	int has_at;           /* at: was given */
	time_t at;            /* its moment, Unix seconds (<= the request
	                       * time); 0 without at: */
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
 * err->msg a friendly message for the user (shown ephemerally, nothing is
 * searched) and out->kind == QUERY_MALFORMED, n_terms 0, when the text is
 * too long (SI_ERR_LIMIT), has too many terms or modifiers (SI_ERR_LIMIT),
 * is not UTF-8, has a malformed term or modifier (SI_ERR_INVALID), or has
 * modifiers but no term. A term that is an ID or ARN of a type we cannot
 * search (QUERY_UNKNOWN) fails the same way (SI_ERR_INVALID, the term's
 * reason as message) but leaves out->kind == QUERY_UNKNOWN, so that the
 * caller can count it apart from typing mistakes.
 */
int query_parse(const char *text, struct query *out, struct si_err *err);

/*
 * query_parse for a request made at now (Unix seconds, the caller's
 * clock): the same contract, and at: is read too, a time ago counted from
 * now and a moment after now refused (SI_ERR_INVALID). query_parse is this
 * with no request time: an at: there fails with a message saying so.
 */
int query_parse_at(const char *text, time_t now, struct query *out, struct si_err *err);

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

/* A short fixed name, e.g. "instance-id", "ipv4", "name", "arn",
 * "unsupported" (QUERY_UNKNOWN). */
const char *query_kind_name(enum query_kind kind);

#endif
