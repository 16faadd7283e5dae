#include "util/utf8.h"

/* Contract in utf8.h (RFC 3629 section 4, table 3). Why by hand rather
 * than mbrtowc: it must not depend on the process locale, and it must
 * refuse overlongs and surrogates that some decoders let through, since
 * its callers bound user text by characters and escape it for Slack. */
size_t utf8_seq(const unsigned char *s, size_t n, unsigned int *cp_out)
{
	size_t len, i;
	unsigned int cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		if (cp_out != NULL)
			*cp_out = s[0];
		return 1;
	}
	/* The lead byte gives the length; C0, C1 and F5..FF never lead. */
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	if (cp_out != NULL)
		*cp_out = cp;
	return len;
}

/* Ranges for utf8_is_invisible (see utf8.h), sorted. */
static const struct {
	unsigned int lo, hi;
} s_invisible[] = {
	{ 0x00AD, 0x00AD },   /* soft hyphen */
	{ 0x034F, 0x034F },   /* combining grapheme joiner */
	{ 0x061C, 0x061C },   /* Arabic letter mark (bidi) */
	{ 0x115F, 0x1160 },   /* Hangul choseong/jungseong fillers */
	{ 0x17B4, 0x17B5 },   /* Khmer inherent vowels (invisible) */
	{ 0x180B, 0x180F },   /* Mongolian selectors, vowel separator */
	{ 0x200B, 0x200F },   /* zero-width space/(non-)joiner, LRM, RLM */
	{ 0x202A, 0x202E },   /* LRE, RLE, PDF, LRO, RLO */
	{ 0x2060, 0x206F },   /* word joiner, invisible operators, LRI..PDI, deprecated */
	{ 0x3164, 0x3164 },   /* Hangul filler */
	{ 0xFEFF, 0xFEFF },   /* zero-width no-break space (BOM) */
	{ 0xFFA0, 0xFFA0 },   /* halfwidth Hangul filler */
	{ 0xFFF9, 0xFFFB },   /* interlinear annotation controls */
	{ 0x1D173, 0x1D17A }, /* musical format characters */
	{ 0xE0000, 0xE007F }, /* tag characters */
};

int utf8_is_invisible(unsigned int cp)
{
	for (size_t i = 0; i < sizeof(s_invisible) / sizeof(s_invisible[0]); i++) {
		if (cp < s_invisible[i].lo)
			return 0;
		if (cp <= s_invisible[i].hi)
			return 1;
	}
	return 0;
}
