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
