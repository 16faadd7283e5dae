#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/utf8.h"

struct row {
	const char *bytes;
	size_t n;
	size_t want_len;
	unsigned int want_cp;
};

/* RFC 3629 table 3 edges and the classic malformed forms. */
static const struct row s_rows[] = {
	{ "A", 1, 1, 0x41 },
	{ "\x7f", 1, 1, 0x7f },
	{ "\xc2\x80", 2, 2, 0x80 },
	{ "\xdf\xbf", 2, 2, 0x7ff },
	{ "\xe0\xa0\x80", 3, 3, 0x800 },
	{ "\xe1\x88\xb4", 3, 3, 0x1234 },          /* the SigV4 suite's U+1234 */
	{ "\xef\xbf\xbf", 3, 3, 0xffff },
	{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
	{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
	{ "\x80", 1, 0, 0 },                        /* lone continuation */
	{ "\xc0\xaf", 2, 0, 0 },                    /* overlong '/' */
	{ "\xc1\xbf", 2, 0, 0 },                    /* overlong */
	{ "\xe0\x80\xaf", 3, 0, 0 },                /* overlong, 3 bytes */
	{ "\xf0\x80\x80\xaf", 4, 0, 0 },            /* overlong, 4 bytes */
	{ "\xed\xa0\x80", 3, 0, 0 },                /* surrogate U+D800 */
	{ "\xed\xbf\xbf", 3, 0, 0 },                /* surrogate U+DFFF */
	{ "\xf4\x90\x80\x80", 4, 0, 0 },            /* U+110000 */
	{ "\xf5\x80\x80\x80", 4, 0, 0 },            /* F5 never leads */
	{ "\xe1\x88", 2, 0, 0 },                    /* truncated */
	{ "\xc2\x41", 2, 0, 0 },                    /* bad continuation */
	{ "\xff", 1, 0, 0 },
};

static void test_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_rows) / sizeof(s_rows[0]); i++) {
		const struct row *r = &s_rows[i];
		unsigned int cp = 0xdeadbeef;
		size_t len = utf8_seq((const unsigned char *)r->bytes, r->n, &cp);

		if (len != r->want_len)
			fail_msg("row %zu: length %zu, want %zu", i, len, r->want_len);
		if (len > 0 && cp != r->want_cp)
			fail_msg("row %zu: code point U+%X, want U+%X", i, cp, r->want_cp);
	}
}

static void test_null_cp_and_empty(void **state)
{
	(void)state;
	assert_int_equal(utf8_seq((const unsigned char *)"\xe1\x88\xb4", 3, NULL), 3);
	assert_int_equal(utf8_seq((const unsigned char *)"", 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_null_cp_and_empty),
	};
	return cmocka_run_group_tests_name("utf8", tests, NULL, NULL);
}
