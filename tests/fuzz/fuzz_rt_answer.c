/*
 * fuzz_rt_answer.c - libFuzzer target: every registered type's answer
 * parser (search/registry.h) through the collector (search/collect.h).
 * The first byte picks the type, the second the request step, the third
 * the kind of term searched; the rest is the answer body. Each parse must
 * fail cleanly or give resources that free cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libxml/parser.h>

#include "search/collect.h"
#include "search/registry.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	xmlInitParser();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum search_term_kind kinds[] = {
		SEARCH_TERM_ID, SEARCH_TERM_NAME, SEARCH_TERM_HOST, SEARCH_TERM_CIDR,
		SEARCH_TERM_ARN, SEARCH_TERM_IPV4,
	};
	static const char *const values[] = {
		"sg-0123456789abcdef0", "web", "api.example.com", "10.0.0.0/8",
		"arn:aws:ec2:us-east-1:123456789012:security-group/sg-1", "10.0.0.1",
	};
	size_t n_types = 0, k;
	struct search_term term;
	struct rt_collect c;
	struct si_err err;
	const struct rt_type *t;

	if (size < 3)
		return 0;
	while (rt_types[n_types] != NULL)
		n_types++;
	t = rt_types[data[0] % n_types];
	k = data[2] % (sizeof(kinds) / sizeof(kinds[0]));
	memset(&term, 0, sizeof(term));
	term.kind = kinds[k];
	term.value = values[k];
	term.name_lc = values[k];
	term.resource = "sg-1";
	term.type = t;
	memset(&c, 0, sizeof(c));
	(void)rt_collect_answer(t, data[1] % 8, data[1] & 0x80 ? 0 : RT_NO_PARENT, &term,
				"us-east-1", "123456789012", NULL, 0, (const char *)data + 3,
				size - 3, &c, &err);
	rt_collect_free(&c);
	return 0;
}
