/*
 * region.c - the one region-name check (see region.h). Locale-free: the
 * letters and digits are ASCII ranges, not isalpha/isdigit.
 */
#include "aws/region.h"

#include <stddef.h>
#include <string.h>

/* Every region so far has 2 or 3 letter groups ("us-isob-east"); 4 leaves
 * room for one more word. */
#define S_MIN_GROUPS 2
#define S_MAX_GROUPS 4
/* Groups run from "de" to "southeast" (9); 12 leaves room. */
#define S_MIN_GROUP_LEN 2
#define S_MAX_GROUP_LEN 12
/* The number after the last '-' (eu-central-12 would be the 12th). */
#define S_MAX_DIGITS 2

/* Length of the run of lower-case ASCII letters at s. */
static size_t s_letters(const char *s)
{
	size_t n = 0;

	while (s[n] >= 'a' && s[n] <= 'z')
		n++;
	return n;
}

bool aws_region_valid(const char *s)
{
	size_t groups = 0, n;
	const char *p = s;

	if (s == NULL || strnlen(s, AWS_REGION_MAX_LEN + 1) > AWS_REGION_MAX_LEN)
		return false;
	/* letters, then '-' before the next group or the number */
	for (;;) {
		n = s_letters(p);
		if (n < S_MIN_GROUP_LEN || n > S_MAX_GROUP_LEN || p[n] != '-')
			return false;
		p += n + 1;
		if (++groups > S_MAX_GROUPS)
			return false;
		if (*p >= '0' && *p <= '9')
			break;
	}
	if (groups < S_MIN_GROUPS)
		return false;
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
		;
	return p[n] == '\0' && n >= 1 && n <= S_MAX_DIGITS;
}
