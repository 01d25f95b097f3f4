/* text.h — the tokenizer library's internal interfaces (libpetite_text; public API in
 * include/petite/petite_text.h). Layer: beside the runtime, like the vision library; it includes
 * the public headers and its own files only.
 *
 *   unicode.c   UTF-8 decoding (invalid bytes -> U+FFFD, WHATWG "maximal subpart"), general
 *               categories and White_Space from tables generated out of Debian's unicode-data
 *               (tools/gen_unicode.py -> unicode_tables.h), NFC / NFD / NFKC / NFKD, extended
 *               grapheme clusters (UAX #29)
 *   regex.c     the split patterns tokenizer files name: a small backtracking engine with
 *               Perl / JavaScript leftmost-first semantics over code points
 *   json.c      a strict JSON reader into a tree (tokenizer.json)
 *   tokenizer.c models (BPE, WordPiece, Unigram), normalizers, pre-tokenizers, post-processors,
 *               decoders, added tokens; the public API */
#ifndef PETITE_TEXT_INTERNAL_H
#define PETITE_TEXT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- unicode.c ---- */

/* The code point at s[0..n) (n > 0) and its length in *len (1..4). Invalid or truncated sequences
 * decode to U+FFFD one maximal subpart at a time (as WHATWG's TextDecoder and Python's
 * errors="replace"): *len is then the bytes that subpart covers (at least 1). Surrogates encoded in
 * UTF-8 (ED A0..BF xx) are invalid. */
uint32_t ptu_decode(const uint8_t *s, size_t n, size_t *len);
/* UTF-8 bytes of cp (cp <= 0x10FFFF, not a surrogate) into out; returns 1..4. */
size_t ptu_encode(uint32_t cp, uint8_t out[4]);

/* Unicode general categories (values are stable: tables are generated with these numbers). */
typedef enum {
    PTU_Cn = 0, PTU_Lu, PTU_Ll, PTU_Lt, PTU_Lm, PTU_Lo, PTU_Mn, PTU_Mc, PTU_Me, PTU_Nd, PTU_Nl, PTU_No,
    PTU_Pc, PTU_Pd, PTU_Ps, PTU_Pe, PTU_Pi, PTU_Pf, PTU_Po, PTU_Sm, PTU_Sc, PTU_Sk, PTU_So, PTU_Zs,
    PTU_Zl, PTU_Zp, PTU_Cc, PTU_Cf, PTU_Cs, PTU_Co, PTU_CATEGORY_COUNT
} ptu_category;
ptu_category ptu_category_of(uint32_t cp);
bool ptu_is_letter(uint32_t cp);      /* \p{L}: Lu Ll Lt Lm Lo */
bool ptu_is_number(uint32_t cp);      /* \p{N}: Nd Nl No */
bool ptu_is_mark(uint32_t cp);        /* \p{M}: Mn Mc Me */
bool ptu_is_white_space(uint32_t cp); /* the regex class \s as JavaScript defines it (WhiteSpace +
                                         LineTerminator: the White_Space property plus U+FEFF,
                                         less U+0085) */
bool ptu_is_punctuation(uint32_t cp); /* \p{P} */

typedef enum { PTU_NFC, PTU_NFD, PTU_NFKC, PTU_NFKD } ptu_form;
/* s[0..n) (valid UTF-8) normalized into a new malloc'ed buffer (*out, *out_len, NUL-terminated);
 * false if out of memory. */
bool ptu_normalize(const uint8_t *s, size_t n, ptu_form form, uint8_t **out, size_t *out_len);
/* Lower case of cp by the simple (1:1) mapping of UnicodeData.txt. */
uint32_t ptu_lower(uint32_t cp);

/* The length in bytes of the extended grapheme cluster that starts at s[0..n) (n > 0; at least 1),
 * by UAX #29's rules GB3..GB13, GB999 (Unicode 15.0: Grapheme_Cluster_Break, Extended_Pictographic
 * for emoji ZWJ sequences, regional-indicator pairs, Hangul syllable sequences). s[0] is taken to
 * start a cluster (regional indicators pair from there). Invalid UTF-8 bytes are each their own
 * cluster (as U+FFFD decoded one maximal subpart at a time, each subpart alone: no break rule joins
 * it to its neighbours, as for a control; a U+FFFD spelled EF BF BD is an ordinary character).
 * Time linear in the returned length (plus one code point). */
size_t ptu_grapheme_len(const uint8_t *s, size_t n);

/* ---- regex.c ---- */

typedef struct ptx_regex ptx_regex;
/* Compile pattern[0..n) (UTF-8). Supported: literals and escapes (\r \n \t \f \v \s \S \d \D \w \W
 * \p{..} \P{..} with L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P S Z C and their long names, \\ \. and
 * other escaped punctuation, \uXXXX, \x{..}), '.', classes [...] and [^...] with ranges and the
 * escapes above, groups ( ) (?: ) (?i: ) (case-insensitive over ASCII and the simple case mapping),
 * alternation |, quantifiers ? * + {m} {m,} {m,n} and their lazy forms, lookahead (?= ) (?! ),
 * anchors ^ $. Anything else: NULL with a message naming the position in err. */
ptx_regex *ptx_regex_compile(const char *pattern, size_t n, char *err, size_t errlen);
/* The leftmost match at or after byte `start` of the UTF-8 subject s[0..n) with leftmost-first
 * (backtracking, Perl / JavaScript) semantics; true with its byte range [*ms, *me). An empty match
 * is reported like any other (callers advance past it). Never recurses without bound: a pattern and
 * subject that would need more than a fixed backtracking budget is reported as no match with
 * *budget_exceeded set (ms / me untouched). */
bool ptx_regex_search(const ptx_regex *re, const uint8_t *s, size_t n, size_t start, size_t *ms, size_t *me,
                      bool *budget_exceeded);
void ptx_regex_free(ptx_regex *re);

#endif
