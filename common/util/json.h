/*
 * json.h - the one bounded JSON reader: one document, read with json-c
 * under limits the caller states.
 *
 * Every JSON document we read comes from a peer (AWS's answers and
 * credential documents, Slack's interaction payloads) and is read by the
 * same rules: the length is capped before json-c sees it (json-c takes an
 * int), nesting is capped so a hostile document cannot make json-c recurse
 * deep, the document must be exactly one JSON object, and anything after
 * it but JSON's whitespace means the body is not what we think it is. What
 * differs between callers (the size cap, the depth, json-c's strict mode,
 * UTF-8 checking, the document's name in messages) is an argument, so
 * there is one copy of the rules (STYLE.md habit 13). Layers above util
 * wrap it (aws/json.h: aws_json_read) or call it directly (slack/action.c).
 */
#ifndef SI_UTIL_JSON_H
#define SI_UTIL_JSON_H

#include <stddef.h>

#include <json-c/json.h>

#include "util/err.h"

/* Flags of struct si_json_opts. */
/* json-c's strict mode: RFC 8259's grammar (no trailing commas, no
 * comments, ...) instead of json-c's lenient one. */
#define SI_JSON_STRICT 0x1u
/* Refuse a document that is not UTF-8 (RFC 8259 section 8.1), so text read
 * from it can reach logs and messages without another check. */
#define SI_JSON_UTF8 0x2u

/* How one kind of document is read. Callers keep one static const copy. */
struct si_json_opts {
	const char *what;    /* the document's name, first word of every message
				("answer", "payload"); NULL: "JSON document" */
	size_t max_bytes;    /* longest document; 0 or more than INT_MAX: INT_MAX,
				the most json-c can take */
	int max_depth;       /* nesting cap (>= 1), json-c's count: the document
				itself is level 1, so {"a":1} is 2 deep and
				{"a":[[]]} 3 */
	unsigned flags;      /* SI_JSON_STRICT, SI_JSON_UTF8 */
};

/*
 * The one JSON object in s[0..len) (s need not be NUL-terminated; it may be
 * NULL when len is 0), read under opts. A NUL byte anywhere in the bytes
 * is refused (json-c stops at it; after the document it is trailing data);
 * an escaped one (\u0000) inside a string is JSON and is kept: json-c's
 * string length then exceeds strlen(), which callers that keep strings
 * check.
 * Returns the object, which the caller frees with json_object_put, or NULL
 * with err set, every message starting with opts->what:
 *   SI_ERR_LIMIT   "<what> of N bytes (at most M)" (len over the cap);
 *   SI_ERR_INVALID "<what> is not JSON (<json-c's reason>)" (bad syntax,
 *                  truncated, deeper than max_depth, not UTF-8 under
 *                  SI_JSON_UTF8, a NUL byte), "<what> has trailing data",
 *                  "<what> is not a JSON object" (another type of value),
 *                  "<what>: NULL body", or a max_depth below 1;
 *   SI_ERR_NOMEM.
 */
struct json_object *si_json_read(const char *s, size_t len, const struct si_json_opts *opts,
				 struct si_err *err);

#endif
