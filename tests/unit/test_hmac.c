/*
 * test_hmac.c - the HMAC-SHA256 helper against RFC 4231 ("Identifiers and
 * Test Vectors for HMAC-SHA-224, -256, -384, and -512"), section 4, with
 * keys and data written in hex as the RFC prints them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/hmac.h"
#include "util/strutil.h"

struct vec {
	const char *name;
	const char *key_hex;
	const char *data_hex; /* NULL: data_text instead */
	const char *data_text;
	const char *mac_hex;  /* test case 5 gives only the first 128 bits */
};

#define AA20 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define AA131 AA20 AA20 AA20 AA20 AA20 AA20 "aaaaaaaaaaaaaaaaaaaaaa"
#define DD50 "dddddddddddddddddddddddddddddddddddddddddddddddddd" \
	     "dddddddddddddddddddddddddddddddddddddddddddddddddd"
#define CD50 "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd" \
	     "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static const struct vec s_vectors[] = {
	{ "4.2", "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", NULL, "Hi There",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "4.3", "4a656665", NULL, "what do ya want for nothing?",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "4.4", AA20, DD50, NULL,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "4.5", "0102030405060708090a0b0c0d0e0f10111213141516171819", CD50, NULL,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "4.6", "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c", NULL, "Test With Truncation",
	  "a3b6167473100ee06e0c796c2955552b" },
	{ "4.7", AA131, NULL, "Test Using Larger Than Block-Size Key - Hash Key First",
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "4.8", AA131, NULL,
	  "This is a test using a larger than block-size key and a larger than block-size "
	  "data. The key needs to be hashed before being used by the HMAC algorithm.",
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	/* not in the RFC: the empty key and message (Python's hmac agrees) */
	{ "empty", "", NULL, "",
	  "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad" },
};

/* Decode hex into a malloc'd buffer; *n gets its length. */
static unsigned char *s_unhex(const char *hex, size_t *n)
{
	size_t len = strlen(hex) / 2;
	unsigned char *out = malloc(len + 1);

	assert_non_null(out);
	for (size_t i = 0; i < len; i++) {
		int hi = si_hexval(hex[2 * i]), lo = si_hexval(hex[2 * i + 1]);

		assert_true(hi >= 0 && lo >= 0);
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	*n = len;
	return out;
}

static void test_rfc4231(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(s_vectors) / sizeof(s_vectors[0]); i++) {
		const struct vec *v = &s_vectors[i];
		unsigned char mac[SI_HMAC_SHA256_LEN];
		char hex[2 * SI_HMAC_SHA256_LEN + 1];
		struct si_err err = { 0 };
		size_t klen, dlen;
		unsigned char *key = s_unhex(v->key_hex, &klen);
		unsigned char *data;

		if (v->data_hex != NULL) {
			data = s_unhex(v->data_hex, &dlen);
		} else {
			dlen = strlen(v->data_text);
			data = malloc(dlen + 1);
			assert_non_null(data);
			memcpy(data, v->data_text, dlen + 1);
		}
		if (si_hmac_sha256(key, klen, data, dlen, mac, sizeof(mac), &err) != 0)
			fail_msg("%s: %s", v->name, err.msg);
		si_hex_encode(mac, sizeof(mac), hex);
		if (strncmp(hex, v->mac_hex, strlen(v->mac_hex)) != 0)
			fail_msg("%s: got %s want %s", v->name, hex, v->mac_hex);
		free(key);
		free(data);
	}
}

/* Parts are MACed as their concatenation, empty and NULL-with-0 parts too. */
static void test_parts(void **state)
{
	static const char want[] =
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
	const struct si_hmac_part parts[] = {
		{ "what do ", 8 }, { NULL, 0 }, { "", 0 }, { "ya want", 7 },
		{ " for nothing?", 13 },
	};
	unsigned char mac[SI_HMAC_SHA256_LEN];
	char hex[2 * SI_HMAC_SHA256_LEN + 1];

	(void)state;
	assert_int_equal(si_hmac_sha256_parts("Jefe", 4, parts, 5, mac, sizeof(mac), NULL), 0);
	si_hex_encode(mac, sizeof(mac), hex);
	assert_string_equal(hex, want);
}

static void test_bad_arguments(void **state)
{
	unsigned char mac[SI_HMAC_SHA256_LEN + 1];
	const struct si_hmac_part bad = { NULL, 3 };
	struct si_err err = { 0 };

	(void)state;
	assert_int_equal(si_hmac_sha256("k", 1, "d", 1, mac, SI_HMAC_SHA256_LEN - 1, &err), -1);
	assert_int_equal(err.code, SI_ERR_INVALID);
	assert_int_equal(si_hmac_sha256("k", 1, "d", 1, NULL, SI_HMAC_SHA256_LEN, NULL), -1);
	assert_int_equal(si_hmac_sha256(NULL, 1, "d", 1, mac, sizeof(mac), NULL), -1);
	assert_int_equal(si_hmac_sha256_parts("k", 1, &bad, 1, mac, sizeof(mac), NULL), -1);
	/* a larger buffer is fine; exactly 32 bytes are written */
	mac[SI_HMAC_SHA256_LEN] = 0x5a;
	assert_int_equal(si_hmac_sha256("k", 1, "d", 1, mac, sizeof(mac), NULL), 0);
	assert_int_equal(mac[SI_HMAC_SHA256_LEN], 0x5a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4231),
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests_name("hmac", tests, NULL, NULL);
}
