/*
 * utf8.h - one strict UTF-8 decoder for every module that cuts or checks
 * text (the query classifier, the Block Kit renderer).
 */
#ifndef SI_UTF8_H
#define SI_UTF8_H

#include <stddef.h>

/* Length in bytes (1-4) of the well-formed UTF-8 sequence at s, given n > 0
 * bytes left, or 0 when it is not well-formed as RFC 3629 defines it: no
 * overlong forms, no surrogates, nothing above U+10FFFF, no truncated
 * sequence. When cp is not NULL it receives the code point. */
size_t utf8_seq(const unsigned char *s, size_t n, unsigned int *cp);

#endif
