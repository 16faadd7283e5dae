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

/* 1 when cp is an invisible format character that text shown to people
 * must not carry: the bidirectional controls (U+061C, U+200E/U+200F,
 * U+202A-U+202E, U+2066-U+2069), which reorder what follows them ("Trojan
 * Source", CVE-2021-42574), and the other zero-width and invisible format
 * characters (soft hyphen, U+180E, U+200B-U+200D, U+2060-U+2064,
 * U+206A-U+206F, U+FEFF, U+FFF9-U+FFFB, the tag characters U+E0000-U+E007F
 * and the Hangul fillers), which hide or disguise text. Variation
 * selectors are kept: emoji need them. */
int utf8_is_invisible(unsigned int cp);

#endif
