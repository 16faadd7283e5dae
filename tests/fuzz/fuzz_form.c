/*
 * fuzz_form.c - form_parse() and slack_cmd_parse() on arbitrary bodies.
 *
 * Besides memory safety, checks the documented contracts: on failure the
 * output is zeroed; on success every pair is a NUL-free string of its
 * recorded length, counts respect FORM_MAX_PAIRS, and form_get() returns
 * the first pair of a key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack/form.h"
#include "slack/cmd.h"

static void s_check_form(const uint8_t *data, size_t size)
{
	struct form f;
	struct si_err err;
	const struct form_pair *p;
	size_t i;

	if (form_parse((const char *)data, size, &f, &err) != 0) {
		if (f.pairs != NULL || f.n_pairs != 0 || err.code == SI_OK)
			abort();
		return;
	}
	if (form_count(&f) > FORM_MAX_PAIRS)
		abort();
	for (i = 0; i < form_count(&f); i++) {
		p = form_pair_at(&f, i);
		if (strlen(p->key) != p->key_len || strlen(p->value) != p->value_len ||
		    p->key_len > FORM_MAX_KEY_LEN || p->value_len > size)
			abort();
		if (form_get(&f, p->key) != form_pair_at(&f, i)->value &&
		    form_count_key(&f, p->key) < 2)
			abort();
	}
	form_free(&f);
}

static void s_check_cmd(const uint8_t *data, size_t size)
{
	/* No trailing slash on purpose: the allow-list must still pin the
	 * host exactly, so whatever follows it ends the authority. */
	static const char *const prefixes[] = { "https://hooks.slack.com" };
	struct slack_cmd c, zero;
	struct si_err err;
	char next;

	memset(&zero, 0, sizeof(zero));
	if (slack_cmd_parse((const char *)data, size, &c, &err) != 0) {
		if (memcmp(&c, &zero, sizeof(c)) != 0)
			abort();
		return;
	}
	if (slack_cmd_response_url_allowed(c.response_url, prefixes, 1)) {
		next = c.response_url[strlen(prefixes[0])];
		if (next != '\0' && next != '/' && next != '?' && next != '#')
			abort();
	}
	slack_cmd_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	s_check_form(data, size);
	s_check_cmd(data, size);
	return 0;
}
