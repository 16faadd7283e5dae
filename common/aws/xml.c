#include "aws/xml.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "aws/json_error.h"
#include "util/iso8601.h"
#include "util/strutil.h"

/*
 * Limits. A hostile or broken answer must not make us allocate without
 * bound; each cap sits above what AWS documents so real answers never hit
 * it, and going over is an error (SI_ERR_LIMIT), never a silent truncation
 * that would make search results quietly incomplete.
 */

/* Longest single text value. STS session tokens are the longest values we
 * read (a few KiB with session tags); everything else is under 1 KiB. */
#define S_MAX_VALUE ((size_t)64 * 1024)
/* Instances per DescribeInstances page: EC2's MaxResults tops out at 1000. */
#define S_MAX_INSTANCES 1000
/* ENIs per DescribeNetworkInterfaces page: same MaxResults ceiling. Callers
 * must paginate (an unpaginated call may list every ENI of the region). */
#define S_MAX_ENIS_PAGE 1000
/* ENIs per instance: the largest instance types allow a few dozen. */
#define S_MAX_ENIS_PER_INSTANCE 128
/* Tags per resource: 50 user tags plus "aws:" system tags, which do not
 * count against the 50. */
#define S_MAX_TAGS 128
/* Private IPv4 and IPv6 addresses per ENI: EC2 allows at most 50 of each
 * per interface on the largest types. */
#define S_MAX_IPS 256
/* IPv6 addresses per instance (the union over its ENIs). */
#define S_MAX_INSTANCE_IPV6 1024
/* Regions: AWS has a few dozen. */
#define S_MAX_REGIONS 256
/* Region names end up in host names (ec2.<region>.amazonaws.com), so they
 * are checked; the longest today is ~14 characters. */
#define S_MAX_REGION_NAME 32

/* No XML_PARSE_NOENT / DTDLOAD / DTDATTR: entities are never expanded and
 * no external subset is ever fetched; NONET forbids network access outright.
 * NOERROR/NOWARNING keep libxml2 from printing to stderr: errors are read
 * back from the context instead. NOBLANKS and COMPACT shrink the tree of the
 * indented answers AWS sends. */
#define S_XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | \
		       XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS | \
		       XML_PARSE_COMPACT)

/* Per-parse state reached from SAX callbacks via ctxt->_private. */
struct s_parse_state {
	int saw_dtd;
	size_t nodes;                        /* elements, attributes, CDATA */
	startElementNsSAX2Func start_element;   /* libxml2's tree builders */
	cdataBlockSAXFunc cdata_block;
};

/* ---- document loading ------------------------------------------------ */

/* SAX hook run at <!DOCTYPE, before any entity declaration is read: AWS never
 * sends a DTD, so a DTD means a hostile or foreign document (billion laughs,
 * external entities). Stop right there. */
static void s_on_subset(void *ctx, const xmlChar *name,
			const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct s_parse_state *st = ctxt->_private;

	(void)name;
	(void)external_id;
	(void)system_id;
	if (st != NULL)
		st->saw_dtd = 1;
	xmlStopParser(ctxt);
}

/* Count n more nodes; past AWS_XML_MAX_NODES stop the parser, so the
 * tree stops growing there (see xml.h). Returns 0 to go on. */
static int s_count_nodes(xmlParserCtxtPtr ctxt, size_t n)
{
	struct s_parse_state *st = ctxt->_private;

	st->nodes += n;
	if (st->nodes <= AWS_XML_MAX_NODES)
		return 0;
	xmlStopParser(ctxt);
	return -1;
}

/* SAX2 start of element: counted (with its attributes and namespace
 * declarations, each a node of its own) before libxml2 builds it. */
static void s_on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
		       const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
		       int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct s_parse_state *st = ctxt->_private;

	if (s_count_nodes(ctxt, 1 + (size_t)nb_namespaces + (size_t)nb_attributes) != 0)
		return;
	st->start_element(ctx, localname, prefix, uri, nb_namespaces, namespaces,
			  nb_attributes, nb_defaulted, attributes);
}

/* CDATA sections are nodes too ("<![CDATA[]]>" is 12 bytes). */
static void s_on_cdata(void *ctx, const xmlChar *value, int len)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct s_parse_state *st = ctxt->_private;

	if (s_count_nodes(ctxt, 1) != 0)
		return;
	st->cdata_block(ctx, value, len);
}

/* libxml2 messages end with a newline; copy without it. */
static int s_set_xml_err(struct si_err *err, xmlParserCtxtPtr ctxt)
{
	const xmlError *xe = xmlCtxtGetLastError(ctxt);
	char msg[160];
	size_t n;

	if (xe == NULL || xe->message == NULL)
		return si_err_set(err, SI_ERR_INVALID, "malformed XML answer");
	n = strlen(xe->message);
	if (n >= sizeof(msg))
		n = sizeof(msg) - 1;
	memcpy(msg, xe->message, n);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	msg[n] = '\0';
	return si_err_set(err, SI_ERR_INVALID, "malformed XML answer (line %d): %s",
			  xe->line, msg);
}

/* Parse xml into a tree; the caller frees it with xmlFreeDoc. */
static xmlDocPtr s_read(const char *xml, size_t len, struct si_err *err)
{
	struct s_parse_state st = { 0 };
	xmlParserCtxtPtr ctxt = NULL;
	xmlDocPtr doc = NULL;

	if (xml == NULL || len == 0) {
		si_err_set(err, SI_ERR_INVALID, "empty XML answer");
		return NULL;
	}
	/* The cap also keeps len within the int libxml2 takes. */
	if (len > AWS_XML_MAX_DOC) {
		si_err_set(err, SI_ERR_LIMIT, "XML answer of %zu bytes exceeds %zu",
			   len, AWS_XML_MAX_DOC);
		return NULL;
	}
	ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (ctxt == NULL) {
		si_err_set(err, SI_ERR_NOMEM, "cannot create XML parser");
		return NULL;
	}
	/* ctxt->sax is this context's own copy, so the hooks stay per call.
	 * Comments and processing instructions ("<!---->", "<?a?>") would be
	 * nodes nobody reads: they are not built at all. */
	(void)xmlCtxtUseOptions(ctxt, S_XML_OPTIONS);
	ctxt->_private = &st;
	ctxt->sax->internalSubset = s_on_subset;
	ctxt->sax->externalSubset = s_on_subset;
	st.start_element = ctxt->sax->startElementNs;
	st.cdata_block = ctxt->sax->cdataBlock;
	if (ctxt->sax->initialized != XML_SAX2_MAGIC || st.start_element == NULL ||
	    st.cdata_block == NULL) {
		si_err_set(err, SI_ERR_INTERNAL, "XML parser is not SAX2");
		goto fail;
	}
	ctxt->sax->startElementNs = s_on_start;
	ctxt->sax->cdataBlock = s_on_cdata;
	ctxt->sax->comment = NULL;
	ctxt->sax->processingInstruction = NULL;
	(void)xmlParseDocument(ctxt);

	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (st.nodes > AWS_XML_MAX_NODES) {
		si_err_set(err, SI_ERR_LIMIT, "too many items: XML answer has more than %zu "
			   "elements", AWS_XML_MAX_NODES);
		goto fail;
	}
	if (st.saw_dtd ||
	    (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL))) {
		si_err_set(err, SI_ERR_INVALID,
			   "XML answer has a DTD (refused: AWS never sends one)");
		goto fail;
	}
	if (!ctxt->wellFormed || doc == NULL) {
		s_set_xml_err(err, ctxt);
		goto fail;
	}
	if (xmlDocGetRootElement(doc) == NULL) {
		si_err_set(err, SI_ERR_INVALID, "XML answer has no root element");
		goto fail;
	}
	xmlFreeParserCtxt(ctxt);
	return doc;
fail:
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return NULL;
}

/* ---- tree helpers ---------------------------------------------------- */

/* Element test by local name: AWS puts everything in a versioned default
 * namespace, which we do not pin. */
static int s_is(const xmlNode *n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->name != NULL &&
	       strcmp((const char *)n->name, name) == 0;
}

/* First child element called name, or NULL (parent may be NULL). */
static xmlNode *s_child(const xmlNode *parent, const char *name)
{
	if (parent == NULL)
		return NULL;
	for (xmlNode *c = parent->children; c != NULL; c = c->next)
		if (s_is(c, name))
			return c;
	return NULL;
}

/* Next sibling element after n called name, or NULL. */
static xmlNode *s_next(const xmlNode *n, const char *name)
{
	for (xmlNode *c = n->next; c != NULL; c = c->next)
		if (s_is(c, name))
			return c;
	return NULL;
}

static size_t s_count(const xmlNode *parent, const char *name)
{
	size_t k = 0;

	for (xmlNode *c = s_child(parent, name); c != NULL; c = s_next(c, name))
		k++;
	return k;
}

static int s_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Text of element n (its direct text and CDATA children only), trimmed of
 * surrounding XML whitespace, into a new string. Absent n or empty text
 * gives *out = NULL. */
static int s_text(const xmlNode *n, char **out, struct si_err *err)
{
	size_t total = 0, a, b;
	char *s;

	*out = NULL;
	if (n == NULL)
		return 0;
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		if (c->content == NULL)
			continue;
		total += strlen((const char *)c->content);
		if (total > S_MAX_VALUE)
			return si_err_set(err, SI_ERR_LIMIT,
					  "<%s> value longer than %zu bytes",
					  (const char *)n->name, S_MAX_VALUE);
	}
	s = malloc(total + 1);
	if (s == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	total = 0;
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		size_t k;

		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		if (c->content == NULL)
			continue;
		k = strlen((const char *)c->content);
		memcpy(s + total, c->content, k);
		total += k;
	}
	/* The STS documentation sample wraps its token in newlines and
	 * indentation; real answers have none, either way the value is the
	 * trimmed text. */
	a = 0;
	b = total;
	while (a < b && s_ws(s[a]))
		a++;
	while (b > a && s_ws(s[b - 1]))
		b--;
	if (a == b) {
		free(s);
		return 0;
	}
	memmove(s, s + a, b - a);
	s[b - a] = '\0';
	*out = s;
	return 0;
}

static int s_child_text(const xmlNode *parent, const char *name, char **out,
			struct si_err *err)
{
	return s_text(s_child(parent, name), out, err);
}

/* "true" (any surrounding space) is 1; anything else, or absent, is 0. */
static int s_child_bool(const xmlNode *parent, const char *name, int *out,
			struct si_err *err)
{
	char *v = NULL;

	if (s_child_text(parent, name, &v, err) != 0)
		return -1;
	*out = v != NULL && strcmp(v, "true") == 0;
	free(v);
	return 0;
}

static int s_strdup(const char *s, char **out, struct si_err *err)
{
	*out = NULL;
	if (s == NULL)
		return 0;
	*out = strdup(s);
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	return 0;
}

/* Zeroed array of n elements of size sz; n == 0 gives NULL. */
static int s_calloc(size_t n, size_t sz, void *out, struct si_err *err)
{
	void *p = NULL;

	if (n > 0) {
		p = calloc(n, sz);
		if (p == NULL)
			return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	}
	memcpy(out, &p, sizeof(p));
	return 0;
}

/* A string field of a struct, found by offset: lets each element list be a
 * table instead of a wall of calls. */
struct s_field {
	const char *elem;
	size_t off;
};

static int s_fields(const xmlNode *parent, void *obj, const struct s_field *f,
		    size_t n, struct si_err *err)
{
	for (size_t i = 0; i < n; i++) {
		char **slot = (char **)((char *)obj + f[i].off);

		if (s_child_text(parent, f[i].elem, slot, err) != 0)
			return -1;
	}
	return 0;
}

/* Count the <item> children of set (NULL set: 0), failing past max. */
static int s_items(const xmlNode *set, size_t max, const char *what,
		   size_t *n, struct si_err *err)
{
	*n = s_count(set, "item");
	if (*n > max)
		return si_err_set(err, SI_ERR_LIMIT, "%zu %s exceed the limit of %zu",
				  *n, what, max);
	return 0;
}

/* ---- error envelopes ------------------------------------------------- */

/*
 * The <Error> element of an AWS error answer, found the way botocore's
 * parsers find it (QueryParser, EC2QueryParser and RestXMLParser
 * _do_error_parse): the root element's name is not looked at, so EC2's
 * <Response><Errors><Error>, the Query services' <ErrorResponse><Error>,
 * S3's bare <Error> root and mixtures such as <ErrorResponse><Errors><Error>
 * (sent by AWS-compatible endpoints) all work. botocore folds an "Errors"
 * wrapper into the top level, so an Error inside Errors wins over a sibling
 * one; a root named Error is the error itself (RestXMLParser's S3 case).
 * NULL when the document is no error answer.
 */
static const xmlNode *s_error_elem(const xmlNode *root)
{
	const xmlNode *e = s_child(s_child(root, "Errors"), "Error");

	if (e == NULL)
		e = s_child(root, "Error");
	if (e == NULL && s_is(root, "Error"))
		e = root;
	return e;
}

/* EC2 says RequestID, the Query services and rest-xml say RequestId;
 * botocore's EC2 parser lets RequestID win when both are present. */
static int s_request_id(const xmlNode *n, char **out, struct si_err *err)
{
	const xmlNode *r = s_child(n, "RequestID");

	if (r == NULL)
		r = s_child(n, "RequestId");
	return s_text(r, out, err);
}

/* Code, Message and request id of the error answer rooted at root, into a
 * zeroed out; a missing field stays NULL (the code too: callers say "no
 * error code"). The request id is a child of the root (botocore); S3 puts it
 * in its <Error> root, and an id inside a wrapped <Error> is taken when the
 * root has none. -1 when root is no error answer or a value is over a
 * limit; the caller clears out. */
static int s_error_fields(const xmlNode *root, struct aws_error *out,
			  struct si_err *err)
{
	const xmlNode *e = s_error_elem(root);

	if (e == NULL)
		return si_err_set(err, SI_ERR_INVALID,
				  "<%s> is not an AWS error answer",
				  (const char *)root->name);
	if (s_child_text(e, "Code", &out->code, err) != 0 ||
	    s_child_text(e, "Message", &out->message, err) != 0 ||
	    s_request_id(root, &out->request_id, err) != 0)
		return -1;
	if (out->request_id == NULL && e != root &&
	    s_request_id(e, &out->request_id, err) != 0)
		return -1;
	return 0;
}

/* Check the root is `want`; an error envelope instead becomes SI_ERR_REMOTE
 * carrying the AWS code, so callers see why without a second parse. */
static int s_expect_root(const xmlNode *root, const char *want,
			 struct si_err *err)
{
	struct aws_error ae = { 0 };
	struct si_err sub = { 0 };

	if (s_is(root, want))
		return 0;
	if (s_error_elem(root) == NULL)
		return si_err_set(err, SI_ERR_INVALID,
				  "unexpected XML root <%s>, expected <%s>",
				  (const char *)root->name, want);
	if (s_error_fields(root, &ae, &sub) != 0) {
		aws_error_clear(&ae);
		return si_err_set(err, SI_ERR_REMOTE, "AWS error answer (%s)", sub.msg);
	}
	si_err_set(err, SI_ERR_REMOTE, "AWS error %s: %s",
		   ae.code != NULL ? ae.code : "with no error code",
		   ae.message != NULL ? ae.message : "");
	aws_error_clear(&ae);
	return -1;
}

xmlDocPtr aws_xml_read(const char *xml, size_t len, const char *root,
		       const xmlNode **rootp, struct si_err *err)
{
	xmlDocPtr doc = s_read(xml, len, err);

	*rootp = NULL;
	if (doc == NULL)
		return NULL;
	*rootp = xmlDocGetRootElement(doc);
	if (s_expect_root(*rootp, root, err) != 0) {
		xmlFreeDoc(doc);
		*rootp = NULL;
		return NULL;
	}
	return doc;
}

const xmlNode *aws_xml_child(const xmlNode *parent, const char *name)
{
	return s_child(parent, name);
}

const xmlNode *aws_xml_next(const xmlNode *n, const char *name)
{
	return n != NULL ? s_next(n, name) : NULL;
}

const xmlNode *aws_xml_path(const xmlNode *from, const char *path)
{
	char seg[128];
	const char *p = path;

	while (from != NULL && *p != '\0') {
		size_t k = strcspn(p, "/");

		if (k == 0 || k >= sizeof(seg))
			return NULL;
		memcpy(seg, p, k);
		seg[k] = '\0';
		from = s_child(from, seg);
		p += k;
		if (*p == '/')
			p++;
	}
	return from;
}

int aws_xml_count(const xmlNode *parent, const char *name, size_t max, size_t *n,
		  struct si_err *err)
{
	*n = s_count(parent, name);
	if (*n > max)
		return si_err_set(err, SI_ERR_LIMIT, "more than %zu <%s> in one answer", max,
				  name);
	return 0;
}

int aws_xml_text(const xmlNode *n, char **out, struct si_err *err)
{
	return s_text(n, out, err);
}

int aws_xml_child_text(const xmlNode *parent, const char *name, char **out,
		       struct si_err *err)
{
	*out = NULL;
	return s_text(strchr(name, '/') ? aws_xml_path(parent, name) : s_child(parent, name),
		      out, err);
}

int aws_xml_parse_error(const char *xml, size_t len, struct aws_error *out,
			struct si_err *err)
{
	xmlDocPtr doc;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	doc = s_read(xml, len, err);
	if (doc == NULL)
		return -1;
	rc = s_error_fields(xmlDocGetRootElement(doc), out, err);
	if (rc != 0)
		aws_error_clear(out);
	xmlFreeDoc(doc);
	return rc;
}

/* What a body that starts with '<' says (nothing when it is not an XML
 * error answer). Only running out of memory is an error: a failed call's
 * answer being unreadable is itself the answer. */
static int s_describe_xml(const char *body, size_t len, struct aws_error *got,
			  struct si_err *err)
{
	struct si_err sub = { 0 };

	if (aws_xml_parse_error(body, len, got, &sub) == 0)
		return 0;
	if (sub.code != SI_ERR_NOMEM)
		return 0;
	if (err != NULL)
		*err = sub;
	return -1;
}

static int s_describe_json(const char *body, size_t len, const char *errortype,
			   struct aws_error *got, struct si_err *err)
{
	struct si_err sub = { 0 };

	if (aws_json_parse_error(body, len, errortype, got, &sub) == 0)
		return 0;
	if (sub.code != SI_ERR_NOMEM)
		return 0;
	if (err != NULL)
		*err = sub;
	return -1;
}

/* Some proxies and SDK stand-ins put a byte order mark before a body. */
#define S_UTF8_BOM "\xEF\xBB\xBF"

/* "HTTP 403, no error code" and, when the answer had a message, ": " and
 * that message, into a new string. */
static int s_no_code_message(long status, const char *msg, char **out,
			     struct si_err *err)
{
	const char *sep = msg != NULL ? ": " : "";
	int n;

	if (msg == NULL)
		msg = "";
	n = snprintf(NULL, 0, "HTTP %ld, no error code%s%s", status, sep, msg);
	if (n < 0)
		return si_err_set(err, SI_ERR_INTERNAL, "cannot format error message");
	*out = malloc((size_t)n + 1);
	if (*out == NULL)
		return si_err_set(err, SI_ERR_NOMEM, "out of memory");
	if (snprintf(*out, (size_t)n + 1, "HTTP %ld, no error code%s%s", status, sep,
		     msg) != n) {
		free(*out);
		*out = NULL;
		return si_err_set(err, SI_ERR_INTERNAL, "cannot format error message");
	}
	return 0;
}

/*
 * One answer for every failed AWS call, whatever its protocol: the body is
 * read as XML when it starts with '<' (EC2, Query, rest-xml), as JSON when
 * it starts with '{' or the caller has an X-Amzn-ErrorType header (JSON
 * protocols), and as nothing otherwise (an HTML page from a proxy, an empty
 * 5xx). Assumes status is the HTTP status the call got. The message is
 * never NULL so callers can print it as is; when there is no code it says
 * so, because an empty code in a log line reads as a bug of ours.
 */
int aws_error_describe(long status, const char *body, size_t len,
		       const char *errortype, struct aws_error *out,
		       struct si_err *err)
{
	struct aws_error got = { 0 };
	size_t i = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (body == NULL)
		len = 0;
	/* A UTF-8 byte order mark, then XML whitespace, may precede either. */
	if (len >= SI_LITLEN(S_UTF8_BOM) && memcmp(body, S_UTF8_BOM, SI_LITLEN(S_UTF8_BOM)) == 0)
		i = SI_LITLEN(S_UTF8_BOM);
	while (i < len && s_ws(body[i]))
		i++;
	if (i < len && body[i] == '<')
		rc = s_describe_xml(body, len, &got, err);
	else if (i < len && body[i] == '{')
		rc = s_describe_json(body + i, len - i, errortype, &got, err);
	else if (errortype != NULL)
		rc = s_describe_json(NULL, 0, errortype, &got, err);
	else
		rc = 0;
	if (rc != 0)
		goto out;
	if (got.code == NULL) {
		rc = s_no_code_message(status, got.message, &out->message, err);
		if (rc != 0)
			goto out;
		free(got.message);
		got.message = NULL;
	} else if (got.message == NULL) {
		got.message = strdup("");
		if (got.message == NULL) {
			rc = si_err_set(err, SI_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	out->code = got.code;
	out->request_id = got.request_id;
	if (got.message != NULL)
		out->message = got.message;
	memset(&got, 0, sizeof(got));
out:
	aws_error_clear(&got);
	if (rc != 0)
		aws_error_clear(out);
	return rc;
}

/* ---- STS ------------------------------------------------------------- */

/* STS actions whose answers carry Credentials in <Action>Result. */
static const char *const s_sts_actions[] = {
	"AssumeRole", "GetSessionToken", "AssumeRoleWithWebIdentity",
	"AssumeRoleWithSAML",
};

static int s_sts_result(const xmlNode *root, const xmlNode **result,
			struct si_err *err)
{
	char name[64];

	for (size_t i = 0; i < sizeof(s_sts_actions) / sizeof(s_sts_actions[0]); i++) {
		int k = snprintf(name, sizeof(name), "%sResponse", s_sts_actions[i]);

		if (k < 0 || (size_t)k >= sizeof(name))
			return si_err_set(err, SI_ERR_INTERNAL, "action name too long");
		if (!s_is(root, name))
			continue;
		k = snprintf(name, sizeof(name), "%sResult", s_sts_actions[i]);
		if (k < 0 || (size_t)k >= sizeof(name))
			return si_err_set(err, SI_ERR_INTERNAL, "action name too long");
		*result = s_child(root, name);
		if (*result == NULL)
			return si_err_set(err, SI_ERR_INVALID, "STS answer without <%s>", name);
		return 0;
	}
	return s_expect_root(root, "AssumeRoleResponse", err);
}

/* The STS credentials answer. Credentials are cached until their
 * Expiration, so a missing or unreadable Expiration fails the parse rather
 * than produce credentials with no known lifetime. */
int aws_xml_parse_assume_role(const char *xml, size_t len,
			      struct sts_credentials *out, struct si_err *err)
{
	const xmlNode *result = NULL, *cred;
	char *exp = NULL;
	xmlDocPtr doc;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	doc = s_read(xml, len, err);
	if (doc == NULL)
		return -1;
	if (s_sts_result(xmlDocGetRootElement(doc), &result, err) != 0)
		goto out;
	cred = s_child(result, "Credentials");
	if (cred == NULL) {
		si_err_set(err, SI_ERR_INVALID, "STS answer without <Credentials>");
		goto out;
	}
	if (s_child_text(cred, "AccessKeyId", &out->access_key_id, err) != 0 ||
	    s_child_text(cred, "SecretAccessKey", &out->secret_access_key, err) != 0 ||
	    s_child_text(cred, "SessionToken", &out->session_token, err) != 0 ||
	    s_child_text(cred, "Expiration", &exp, err) != 0 ||
	    s_child_text(s_child(result, "AssumedRoleUser"), "Arn",
			 &out->assumed_role_arn, err) != 0)
		goto out;
	if (out->access_key_id == NULL || out->secret_access_key == NULL ||
	    out->session_token == NULL || exp == NULL) {
		si_err_set(err, SI_ERR_INVALID, "STS credentials incomplete");
		goto out;
	}
	if (si_iso8601_parse(exp, strlen(exp), &out->expiration, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		sts_credentials_clear(out);
	free(exp);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- EC2 pieces ------------------------------------------------------ */

static int s_parse_tags(const xmlNode *set, struct ec2_tag **tags, size_t *n,
			struct si_err *err)
{
	size_t cnt;

	if (s_items(set, S_MAX_TAGS, "tags", &cnt, err) != 0 ||
	    s_calloc(cnt, sizeof(**tags), tags, err) != 0)
		return -1;
	for (xmlNode *it = s_child(set, "item"); it != NULL; it = s_next(it, "item")) {
		struct ec2_tag *t = &(*tags)[*n];

		if (s_child_text(it, "key", &t->key, err) != 0)
			return -1;
		if (t->key == NULL)
			continue; /* a tag without a key is no tag */
		(*n)++;
		if (s_child_text(it, "value", &t->value, err) != 0)
			return -1;
		/* The tag exists, so its empty value is "", not absent. */
		if (t->value == NULL && s_strdup("", &t->value, err) != 0)
			return -1;
	}
	return 0;
}

/* ipv6AddressesSet/item/ipv6Address into a string list. */
static int s_parse_ipv6(const xmlNode *set, char ***v, size_t *n,
			struct si_err *err)
{
	size_t cnt;

	if (s_items(set, S_MAX_IPS, "IPv6 addresses", &cnt, err) != 0 ||
	    s_calloc(cnt, sizeof(**v), v, err) != 0)
		return -1;
	for (xmlNode *it = s_child(set, "item"); it != NULL; it = s_next(it, "item")) {
		if (s_child_text(it, "ipv6Address", &(*v)[*n], err) != 0)
			return -1;
		if ((*v)[*n] != NULL)
			(*n)++;
	}
	return 0;
}

static int s_parse_private_ips(const xmlNode *set, struct ec2_eni *e,
			       struct si_err *err)
{
	size_t cnt;

	if (s_items(set, S_MAX_IPS, "private IPs", &cnt, err) != 0 ||
	    s_calloc(cnt, sizeof(*e->ips), &e->ips, err) != 0)
		return -1;
	for (xmlNode *it = s_child(set, "item"); it != NULL; it = s_next(it, "item")) {
		struct ec2_private_ip *ip = &e->ips[e->n_ips++];
		const xmlNode *assoc = s_child(it, "association");

		if (s_child_text(it, "privateIpAddress", &ip->private_ip, err) != 0 ||
		    s_child_text(it, "privateDnsName", &ip->private_dns, err) != 0 ||
		    s_child_bool(it, "primary", &ip->primary, err) != 0 ||
		    s_child_text(assoc, "publicIp", &ip->public_ip, err) != 0 ||
		    s_child_text(assoc, "publicDnsName", &ip->public_dns, err) != 0)
			return -1;
	}
	return 0;
}

/* The ENI-level <association> describes the primary address; use it when
 * the primary's own item carries none. */
static int s_eni_assoc_fallback(const xmlNode *item, struct ec2_eni *e,
				struct si_err *err)
{
	const xmlNode *assoc = s_child(item, "association");

	if (assoc == NULL)
		return 0;
	for (size_t i = 0; i < e->n_ips; i++) {
		struct ec2_private_ip *ip = &e->ips[i];

		if (!ip->primary || ip->public_ip != NULL)
			continue;
		if (s_child_text(assoc, "publicIp", &ip->public_ip, err) != 0)
			return -1;
		if (ip->public_dns == NULL &&
		    s_child_text(assoc, "publicDnsName", &ip->public_dns, err) != 0)
			return -1;
	}
	return 0;
}

static const struct s_field s_eni_fields[] = {
	{ "networkInterfaceId", offsetof(struct ec2_eni, eni_id) },
	{ "description", offsetof(struct ec2_eni, description) },
	{ "interfaceType", offsetof(struct ec2_eni, interface_type) },
	{ "requesterId", offsetof(struct ec2_eni, requester_id) },
	{ "status", offsetof(struct ec2_eni, status) },
	{ "vpcId", offsetof(struct ec2_eni, vpc_id) },
	{ "subnetId", offsetof(struct ec2_eni, subnet_id) },
	{ "availabilityZone", offsetof(struct ec2_eni, az) },
	{ "ownerId", offsetof(struct ec2_eni, owner_id) },
	{ "macAddress", offsetof(struct ec2_eni, mac) },
};

/* One networkInterfaceSet item; the same shape serves an instance's ENIs
 * and DescribeNetworkInterfaces. e must be zeroed and is filled in place,
 * so on failure ec2_eni_clear(e) frees what was set. */
static int s_parse_eni(const xmlNode *item, struct ec2_eni *e,
		       struct si_err *err)
{
	if (s_fields(item, e, s_eni_fields,
		     sizeof(s_eni_fields) / sizeof(s_eni_fields[0]), err) != 0 ||
	    s_child_bool(item, "requesterManaged", &e->requester_managed, err) != 0 ||
	    s_child_text(s_child(item, "attachment"), "instanceId",
			 &e->attached_instance_id, err) != 0 ||
	    s_parse_private_ips(s_child(item, "privateIpAddressesSet"), e, err) != 0 ||
	    s_eni_assoc_fallback(item, e, err) != 0 ||
	    s_parse_ipv6(s_child(item, "ipv6AddressesSet"), &e->ipv6, &e->n_ipv6,
			 err) != 0 ||
	    s_parse_tags(s_child(item, "tagSet"), &e->tags, &e->n_tags, err) != 0)
		return -1;
	return 0;
}

/* ---- DescribeInstances ----------------------------------------------- */

/* Direct children of the instance item only: <ipAddress>, <dnsName> and
 * <privateIpAddress> also occur inside networkInterfaceSet, so a subtree
 * search would pick the wrong one. */
static const struct s_field s_instance_fields[] = {
	{ "instanceId", offsetof(struct ec2_instance, instance_id) },
	{ "instanceType", offsetof(struct ec2_instance, instance_type) },
	{ "launchTime", offsetof(struct ec2_instance, launch_time) },
	{ "reason", offsetof(struct ec2_instance, state_reason) },
	{ "imageId", offsetof(struct ec2_instance, image_id) },
	{ "vpcId", offsetof(struct ec2_instance, vpc_id) },
	{ "subnetId", offsetof(struct ec2_instance, subnet_id) },
	{ "privateIpAddress", offsetof(struct ec2_instance, private_ip) },
	{ "privateDnsName", offsetof(struct ec2_instance, private_dns) },
	{ "ipAddress", offsetof(struct ec2_instance, public_ip) },
	{ "dnsName", offsetof(struct ec2_instance, public_dns) },
	{ "keyName", offsetof(struct ec2_instance, key_name) },
	{ "platform", offsetof(struct ec2_instance, platform) },
};

/* Instance IPv6 list: the union over its ENIs, without duplicates. */
static int s_instance_ipv6(struct ec2_instance *in, struct si_err *err)
{
	size_t total = 0;

	for (size_t i = 0; i < in->n_enis; i++)
		total += in->enis[i].n_ipv6;
	if (total > S_MAX_INSTANCE_IPV6)
		return si_err_set(err, SI_ERR_LIMIT,
				  "%zu IPv6 addresses on one instance exceed %d",
				  total, S_MAX_INSTANCE_IPV6);
	if (s_calloc(total, sizeof(*in->ipv6), &in->ipv6, err) != 0)
		return -1;
	for (size_t i = 0; i < in->n_enis; i++) {
		for (size_t j = 0; j < in->enis[i].n_ipv6; j++) {
			const char *a = in->enis[i].ipv6[j];
			int dup = 0;

			for (size_t k = 0; k < in->n_ipv6 && !dup; k++)
				dup = strcmp(in->ipv6[k], a) == 0;
			if (dup)
				continue;
			if (s_strdup(a, &in->ipv6[in->n_ipv6], err) != 0)
				return -1;
			in->n_ipv6++;
		}
	}
	return 0;
}

static int s_parse_instance(const xmlNode *item, const char *owner,
			    struct ec2_instance *in, struct si_err *err)
{
	const xmlNode *set = s_child(item, "networkInterfaceSet");
	size_t cnt;

	if (s_fields(item, in, s_instance_fields,
		     sizeof(s_instance_fields) / sizeof(s_instance_fields[0]),
		     err) != 0 ||
	    s_child_text(s_child(item, "instanceState"), "name", &in->state, err) != 0 ||
	    s_child_text(s_child(item, "placement"), "availabilityZone", &in->az,
			 err) != 0 ||
	    s_strdup(owner, &in->owner_id, err) != 0 ||
	    s_parse_tags(s_child(item, "tagSet"), &in->tags, &in->n_tags, err) != 0)
		return -1;
	if (s_items(set, S_MAX_ENIS_PER_INSTANCE, "network interfaces", &cnt, err) != 0 ||
	    s_calloc(cnt, sizeof(*in->enis), &in->enis, err) != 0)
		return -1;
	for (xmlNode *it = s_child(set, "item"); it != NULL; it = s_next(it, "item"))
		if (s_parse_eni(it, &in->enis[in->n_enis++], err) != 0)
			return -1;
	return s_instance_ipv6(in, err);
}

static int s_count_instances(const xmlNode *rset, size_t *total,
			     struct si_err *err)
{
	size_t reservations = 0;

	*total = 0;
	for (xmlNode *r = s_child(rset, "item"); r != NULL; r = s_next(r, "item")) {
		/* Every reservation holds at least one instance, so more
		 * reservations than instances allowed is a hostile page too. */
		if (++reservations > S_MAX_INSTANCES)
			return si_err_set(err, SI_ERR_LIMIT,
					  "too many items: more than %d reservations in one page",
					  S_MAX_INSTANCES);
		*total += s_count(s_child(r, "instancesSet"), "item");
		if (*total > S_MAX_INSTANCES)
			return si_err_set(err, SI_ERR_LIMIT,
					  "more than %d instances in one page",
					  S_MAX_INSTANCES);
	}
	return 0;
}

/* One DescribeInstances page, flattened: every reservation's instances in
 * one array, each carrying its reservation's ownerId. Counts are checked
 * before anything is allocated, so a hostile page costs at most the
 * limits; on failure nothing is left to free. */
int aws_xml_parse_describe_instances(const char *xml, size_t len,
				     struct ec2_instance_list *out,
				     struct si_err *err)
{
	const xmlNode *root, *rset;
	size_t total;
	xmlDocPtr doc;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	doc = s_read(xml, len, err);
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (s_expect_root(root, "DescribeInstancesResponse", err) != 0)
		goto out;
	rset = s_child(root, "reservationSet");
	if (s_count_instances(rset, &total, err) != 0 ||
	    s_calloc(total, sizeof(*out->items), &out->items, err) != 0)
		goto out;
	for (xmlNode *r = s_child(rset, "item"); r != NULL; r = s_next(r, "item")) {
		const xmlNode *iset = s_child(r, "instancesSet");
		char *owner = NULL;
		int bad = 0;

		if (s_child_text(r, "ownerId", &owner, err) != 0)
			goto out;
		for (xmlNode *it = s_child(iset, "item"); it != NULL && !bad;
		     it = s_next(it, "item"))
			bad = s_parse_instance(it, owner, &out->items[out->n++], err);
		free(owner);
		if (bad)
			goto out;
	}
	if (s_child_text(root, "nextToken", &out->next_token, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		ec2_instance_list_free(out);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- DescribeNetworkInterfaces --------------------------------------- */

int aws_xml_parse_describe_network_interfaces(const char *xml, size_t len,
					      struct ec2_eni_list *out,
					      struct si_err *err)
{
	const xmlNode *root, *set;
	size_t cnt;
	xmlDocPtr doc;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	doc = s_read(xml, len, err);
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (s_expect_root(root, "DescribeNetworkInterfacesResponse", err) != 0)
		goto out;
	set = s_child(root, "networkInterfaceSet");
	if (s_items(set, S_MAX_ENIS_PAGE, "network interfaces", &cnt, err) != 0 ||
	    s_calloc(cnt, sizeof(*out->items), &out->items, err) != 0)
		goto out;
	for (xmlNode *it = s_child(set, "item"); it != NULL; it = s_next(it, "item"))
		if (s_parse_eni(it, &out->items[out->n++], err) != 0)
			goto out;
	if (s_child_text(root, "nextToken", &out->next_token, err) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		ec2_eni_list_free(out);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- DescribeRegions ------------------------------------------------- */

void aws_xml_regions_free(char **regions, size_t n)
{
	if (regions == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(regions[i]);
	free(regions);
}

/* Lower-case letters, digits and '-' only: the name becomes part of a host
 * name, so anything else could point our signed requests elsewhere. */
static int s_region_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > S_MAX_REGION_NAME)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '-'))
			return 0;
	return 1;
}

/* The region list of DescribeRegions. Region names are spliced into host
 * names, so each one is checked (s_region_ok) and one bad name fails the
 * whole answer rather than be skipped quietly. */
int aws_xml_parse_describe_regions(const char *xml, size_t len,
				   char ***regions, size_t *n,
				   struct si_err *err)
{
	const xmlNode *root, *set;
	char **v = NULL;
	size_t cnt, k = 0;
	xmlDocPtr doc;
	int rc = -1;

	*regions = NULL;
	*n = 0;
	doc = s_read(xml, len, err);
	if (doc == NULL)
		return -1;
	root = xmlDocGetRootElement(doc);
	if (s_expect_root(root, "DescribeRegionsResponse", err) != 0)
		goto out;
	set = s_child(root, "regionInfo");
	if (s_items(set, S_MAX_REGIONS, "regions", &cnt, err) != 0 ||
	    s_calloc(cnt, sizeof(*v), &v, err) != 0)
		goto out;
	for (xmlNode *it = s_child(set, "item"); it != NULL; it = s_next(it, "item")) {
		if (s_child_text(it, "regionName", &v[k], err) != 0)
			goto out;
		if (v[k] == NULL)
			continue;
		if (!s_region_ok(v[k++])) {
			si_err_set(err, SI_ERR_INVALID, "implausible region name in answer");
			goto out;
		}
	}
	*regions = v;
	*n = k;
	v = NULL;
	rc = 0;
out:
	aws_xml_regions_free(v, k);
	xmlFreeDoc(doc);
	return rc;
}
