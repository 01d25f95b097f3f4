/* test_text_unicode.c — tests of src/text/unicode.c and src/text/regex.c.
 *
 *   test_text_unicode                      built-in cases (decode, encode, categories, normalization,
 *                                          regex features, grapheme clusters, hostile input)
 *   test_text_unicode --regex-ref FILE     + every split of tests/text/regex_reference.mjs's output
 *   test_text_unicode --norm-ref FILE      + normalization, decoding, lowercase and categories against
 *                                          tests/text/norm_reference.py's output
 *   test_text_unicode --bench FILE         split FILE with the Llama 3 pattern, print MB/s
 *   test_text_unicode --grapheme-ref FILE  + every line of Unicode's GraphemeBreakTest.txt (exact
 *                                          boundaries of ptu_grapheme_len)
 *   test_text_unicode --grapheme-prop DIR  + Grapheme_Cluster_Break / Extended_Pictographic of every
 *                                          code point (DIR: the UCD, /usr/share/unicode)
 *
 * Prints "text unicode: N passed, M failed"; exit status 0 only if nothing failed.
 * Build: gcc -std=c11 -O2 -Isrc -Iinclude src/text/unicode.c src/text/regex.c tests/test_text_unicode.c */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/text.h"

static long g_pass, g_fail;
static int g_shown;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (cond) g_pass++;                                                                    \
        else {                                                                                 \
            g_fail++;                                                                          \
            if (g_shown++ < 40) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
        }                                                                                      \
    } while (0)

static const char *const LLAMA3 =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char *const GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

// --- helpers -------------------------------------------------------------------------------------

// Decodes s[0..n) to code points (at most cap); returns the count.
static size_t decode_all(const uint8_t *s, size_t n, uint32_t *out, size_t cap) {
    size_t k = 0;
    for (size_t i = 0; i < n && k < cap;) {
        size_t len;
        out[k++] = ptu_decode(s + i, n - i, &len);
        i += len;
    }
    return k;
}

// The split of s by re as "a-b a-b ..." (byte ranges) into buf; false if over budget.
static bool split_str(const ptx_regex *re, const uint8_t *s, size_t n, char *buf, size_t cap) {
    size_t pos = 0, k = 0;
    buf[0] = 0;
    while (pos <= n) {
        size_t ms, me;
        bool over;
        if (!ptx_regex_search(re, s, n, pos, &ms, &me, &over)) { if (over) return false; break; }
        if (k < cap) k += (size_t)snprintf(buf + k, cap - k, k ? " %zu-%zu" : "%zu-%zu", ms, me);
        if (me == ms) {
            if (me >= n) break;
            size_t len;
            ptu_decode(s + me, n - me, &len);
            pos = me + len;
        } else pos = me;
    }
    return true;
}

static ptx_regex *compile(const char *p) {
    char err[160];
    ptx_regex *re = ptx_regex_compile(p, strlen(p), err, sizeof err);
    if (!re) printf("  (compile %s: %s)\n", p, err);
    return re;
}

// Expects the split of subject by pattern to be `want` (byte ranges "a-b a-b").
static void expect_split(const char *pattern, const char *subject, const char *want) {
    ptx_regex *re = compile(pattern);
    CHECK(re != NULL, "compile %s", pattern);
    if (!re) return;
    char got[4096];
    bool ok = split_str(re, (const uint8_t *)subject, strlen(subject), got, sizeof got);
    CHECK(ok && !strcmp(got, want), "split /%s/ of \"%s\": got [%s] want [%s]", pattern, subject, got, want);
    ptx_regex_free(re);
}

static void expect_error(const char *pattern, size_t n) {
    char err[160] = "";
    ptx_regex *re = ptx_regex_compile(pattern, n, err, sizeof err);
    CHECK(re == NULL && err[0], "pattern %.60s should not compile", pattern);
    ptx_regex_free(re);
}

static size_t hex_decode(const char *h, size_t hn, uint8_t *out) {
    if (hn == 1 && h[0] == '-') return 0;
    size_t k = 0;
    for (size_t i = 0; i + 1 < hn; i += 2) {
        unsigned v;
        char t[3] = {h[i], h[i + 1], 0};
        v = (unsigned)strtoul(t, NULL, 16);
        out[k++] = (uint8_t)v;
    }
    return k;
}

// Reads one line of any length into *buf (grown as needed); false at end of file.
static bool read_line(FILE *f, char **buf, size_t *cap) {
    size_t n = 0;
    if (!*buf) { *cap = 1 << 16; *buf = malloc(*cap); if (!*buf) return false; }
    for (;;) {
        if (!fgets(*buf + n, (int)(*cap - n), f)) return n > 0;
        n += strlen(*buf + n);
        if (n && (*buf)[n - 1] == '\n') { (*buf)[--n] = 0; return true; }
        if (n + 1 >= *cap) {
            char *b = realloc(*buf, *cap * 2);
            if (!b) return false;
            *buf = b; *cap *= 2;
        }
    }
}

// --- built-in cases ------------------------------------------------------------------------------

static void test_decode(void) {
    static const struct { const char *bytes; size_t n; uint32_t cps[8]; size_t ncp; } cases[] = {
        {"A", 1, {0x41}, 1},
        {"\xC3\xA9", 2, {0xE9}, 1},
        {"\xE2\x82\xAC", 3, {0x20AC}, 1},
        {"\xF0\x9F\x98\x80", 4, {0x1F600}, 1},
        {"\xF4\x8F\xBF\xBF", 4, {0x10FFFF}, 1},
        {"\xEF\xBF\xBD", 3, {0xFFFD}, 1},
        {"\xC0\x80", 2, {0xFFFD, 0xFFFD}, 2},                   // overlong 2-byte lead
        {"\xC1\xBF", 2, {0xFFFD, 0xFFFD}, 2},
        {"\xE0\x80\x80", 3, {0xFFFD, 0xFFFD, 0xFFFD}, 3},       // overlong 3-byte
        {"\xE0\x9F\xBF", 3, {0xFFFD, 0xFFFD, 0xFFFD}, 3},
        {"\xF0\x80\x80\x80", 4, {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}, 4}, // overlong 4-byte
        {"\xF0\x8F\xBF\xBF", 4, {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}, 4},
        {"\xED\xA0\x80", 3, {0xFFFD, 0xFFFD, 0xFFFD}, 3},       // surrogate D800
        {"\xED\xBF\xBF", 3, {0xFFFD, 0xFFFD, 0xFFFD}, 3},       // surrogate DFFF
        {"\xED\x9F\xBF", 3, {0xD7FF}, 1},
        {"\xF4\x90\x80\x80", 4, {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}, 4}, // > U+10FFFF
        {"\xF5\x80\x80\x80", 4, {0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD}, 4},
        {"\xFF\xFE", 2, {0xFFFD, 0xFFFD}, 2},
        {"\x80\xBF", 2, {0xFFFD, 0xFFFD}, 2},                   // lone continuations
        {"\xE2\x82", 2, {0xFFFD}, 1},                           // truncated at the end: one U+FFFD
        {"\xF0\x9F\x98", 3, {0xFFFD}, 1},
        {"\xE2\x82\x41", 3, {0xFFFD, 0x41}, 2},                 // truncated before ASCII
        {"\xF0\x90\x80\x41", 4, {0xFFFD, 0x41}, 2},
        {"\xE1\x80\xC2\xA9", 4, {0xFFFD, 0xA9}, 2},
        {"\xC2\x41", 2, {0xFFFD, 0x41}, 2},
        {"\xC2", 1, {0xFFFD}, 1},
        {"a\x00" "b", 3, {0x61, 0, 0x62}, 3},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint32_t got[16];
        size_t k = decode_all((const uint8_t *)cases[c].bytes, cases[c].n, got, 16);
        bool same = k == cases[c].ncp && !memcmp(got, cases[c].cps, k * sizeof(uint32_t));
        CHECK(same, "decode case %zu: %zu code points (want %zu), first U+%04X", c, k, cases[c].ncp, k ? got[0] : 0);
    }
    // encode / decode round trip of every scalar value
    long bad = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        uint8_t b[4];
        size_t n = ptu_encode(cp, b), len;
        size_t want = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        if (n != want || ptu_decode(b, n, &len) != cp || len != n) bad++;
    }
    CHECK(bad == 0, "encode/decode round trip: %ld code points wrong", bad);
}

static void test_properties(void) {
    static const struct { uint32_t cp; ptu_category cat; } cats[] = {
        {'A', PTU_Lu}, {'z', PTU_Ll}, {0x1C5, PTU_Lt}, {0x2B0, PTU_Lm}, {0x4E2D, PTU_Lo}, {0x301, PTU_Mn},
        {0x903, PTU_Mc}, {0x20DD, PTU_Me}, {'5', PTU_Nd}, {0x216B, PTU_Nl}, {0xBD, PTU_No}, {'_', PTU_Pc},
        {'-', PTU_Pd}, {'(', PTU_Ps}, {')', PTU_Pe}, {0xAB, PTU_Pi}, {0xBB, PTU_Pf}, {'!', PTU_Po},
        {'+', PTU_Sm}, {'$', PTU_Sc}, {'^', PTU_Sk}, {0xA9, PTU_So}, {' ', PTU_Zs}, {0x2028, PTU_Zl},
        {0x2029, PTU_Zp}, {0, PTU_Cc}, {0xFEFF, PTU_Cf}, {0xD800, PTU_Cs}, {0xE000, PTU_Co}, {0x378, PTU_Cn},
        {0x10FFFF, PTU_Cn}, {0xE0001, PTU_Cf}, {0xF0000, PTU_Co}, {0x31350, PTU_Lo}, {0x1F600, PTU_So},
        {0x11F00, PTU_Mn}, {0xAC00, PTU_Lo}, {0xD7A3, PTU_Lo}, {0x10FFFE, PTU_Cn}, {0x100000, PTU_Co},
        {0xE0100, PTU_Mn}, {0x3134A, PTU_Lo}, {0x110000, PTU_Cn}, {0xFFFFFFFF, PTU_Cn},
    };
    for (size_t i = 0; i < sizeof cats / sizeof cats[0]; i++)
        CHECK(ptu_category_of(cats[i].cp) == cats[i].cat, "category of U+%04X: %d, want %d", cats[i].cp,
              ptu_category_of(cats[i].cp), cats[i].cat);
    CHECK(ptu_is_letter(0x1C5) && ptu_is_letter('a') && !ptu_is_letter('1'), "is_letter");
    CHECK(ptu_is_number(0x216B) && ptu_is_number(0x663) && !ptu_is_number('a'), "is_number");
    CHECK(ptu_is_mark(0x301) && ptu_is_mark(0x20DD) && !ptu_is_mark('a'), "is_mark");
    CHECK(ptu_is_punctuation('!') && ptu_is_punctuation(0x3001) && !ptu_is_punctuation('+'), "is_punctuation");
    // JavaScript's \s: U+FEFF yes (not White_Space), U+0085 no (White_Space), U+180E no
    CHECK(ptu_is_white_space(0xFEFF) && !ptu_is_white_space(0x85) && !ptu_is_white_space(0x180E) &&
              ptu_is_white_space(0xA0) && ptu_is_white_space(0x3000) && ptu_is_white_space('\v') &&
              ptu_is_white_space(0x2028) && !ptu_is_white_space(0x200B),
          "white space (JavaScript's \\s)");
    CHECK(ptu_lower('A') == 'a' && ptu_lower(0xC9) == 0xE9 && ptu_lower(0x130) == 'i' && ptu_lower(0x3A3) == 0x3C3 &&
              ptu_lower(0x1C5) == 0x1C6 && ptu_lower(0x212A) == 'k' && ptu_lower(0x10400) == 0x10428 &&
              ptu_lower(0x17F) == 0x17F && ptu_lower('a') == 'a' && ptu_lower(0x1E9E) == 0xDF,
          "simple lowercase");
}

static void expect_norm(const char *src, ptu_form form, const char *want) {
    uint8_t *out = NULL;
    size_t n = 0;
    bool ok = ptu_normalize((const uint8_t *)src, strlen(src), form, &out, &n);
    CHECK(ok && n == strlen(want) && !memcmp(out, want, n) && out[n] == 0, "normalize form %d of \"%s\"", form, src);
    free(out);
}

static void test_normalize(void) {
    expect_norm("", PTU_NFC, "");
    expect_norm("plain ascii", PTU_NFKD, "plain ascii");
    expect_norm("e\xCC\x81", PTU_NFC, "\xC3\xA9");                        // e + acute -> é
    expect_norm("\xC3\xA9", PTU_NFD, "e\xCC\x81");
    expect_norm("\xED\x95\x9C", PTU_NFD, "\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB");   // 한 -> jamo
    expect_norm("\xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB", PTU_NFC, "\xED\x95\x9C");
    expect_norm("\xE1\x84\x92\xE1\x85\xA1", PTU_NFC, "\xED\x95\x98");     // LV
    expect_norm("\xEA\xB0\x80\xE1\x86\xA7", PTU_NFC, "\xEA\xB0\x80\xE1\x86\xA7"); // U+11A7 is no trailing jamo
    expect_norm("\xEF\xAC\x81", PTU_NFKC, "fi");                         // ﬁ
    expect_norm("\xEF\xAC\x81", PTU_NFC, "\xEF\xAC\x81");
    expect_norm("\xE2\x84\xAB", PTU_NFC, "\xC3\x85");                    // Å (U+212B) -> U+00C5
    expect_norm("a\xCC\x81\xCC\xA3", PTU_NFC, "\xE1\xBA\xA1\xCC\x81");   // reordered, then composed
    expect_norm("\xE1\xBA\x9B\xCC\xA3", PTU_NFD, "\xC5\xBF\xCC\xA3\xCC\x87");  // UAX #15 ẛ̣
    expect_norm("\xE1\xBA\x9B\xCC\xA3", PTU_NFC, "\xE1\xBA\x9B\xCC\xA3");
    expect_norm("\xE1\xBA\x9B\xCC\xA3", PTU_NFKD, "s\xCC\xA3\xCC\x87");
    expect_norm("\xE1\xBA\x9B\xCC\xA3", PTU_NFKC, "\xE1\xB9\xA9");
    expect_norm("\xE2\x91\xA0", PTU_NFKC, "1");                          // ①
    expect_norm("\xE0\xA5\x98", PTU_NFC, "\xE0\xA4\x95\xE0\xA4\xBC");     // excluded from composition
    expect_norm("\xCD\x84", PTU_NFC, "\xCC\x88\xCC\x81");                 // U+0344 singleton-ish
    expect_norm("\xCC\x81" "a", PTU_NFC, "\xCC\x81" "a");                // leading non-starter
    expect_norm("\xEF\xB7\xBA", PTU_NFKD,                                // U+FDFA: 18 code points
                "\xD8\xB5\xD9\x84\xD9\x89 \xD8\xA7\xD9\x84\xD9\x84\xD9\x87 \xD8\xB9\xD9\x84\xD9\x8A\xD9\x87 "
                "\xD9\x88\xD8\xB3\xD9\x84\xD9\x85");
    expect_norm("\xF0\xAF\xA0\x80", PTU_NFC, "\xE4\xB8\xBD");             // CJK compatibility U+2F800
    // invalid UTF-8 is read as U+FFFD (never crashes)
    expect_norm("a\xFF\xE2\x82", PTU_NFC, "a\xEF\xBF\xBD\xEF\xBF\xBD");
    // a long run of combining marks (the stable counting sort): 100000 x (U+0301 U+0323)
    size_t reps = 100000;
    uint8_t *s = malloc(4 * reps + 1), *want = malloc(4 * reps + 1);
    s[0] = want[0] = 'a';
    for (size_t i = 0; i < reps; i++) { memcpy(s + 1 + 4 * i, "\xCC\x81\xCC\xA3", 4); }
    // NFD: a, all U+0323 (ccc 220), then all U+0301 (230)
    for (size_t i = 0; i < reps; i++) memcpy(want + 1 + 2 * i, "\xCC\xA3", 2);
    for (size_t i = 0; i < reps; i++) memcpy(want + 1 + 2 * reps + 2 * i, "\xCC\x81", 2);
    uint8_t *out = NULL;
    size_t n = 0;
    bool ok = ptu_normalize(s, 1 + 4 * reps, PTU_NFD, &out, &n);
    CHECK(ok && n == 1 + 4 * reps && !memcmp(out, want, n), "NFD of 200000 combining marks");
    free(out);
    free(s); free(want);
}

static void test_regex_features(void) {
    expect_split(GPT2, "Hello world's 123  end", "0-5 5-11 11-13 13-17 17-18 18-22");
    expect_split(GPT2, "  x", "0-1 1-3");
    expect_split(LLAMA3, "I'M 12345 ok\r\n\n  x", "0-1 1-3 3-4 4-7 7-9 9-12 12-15 15-16 16-18");
    expect_split(LLAMA3, "\xC5\xBF'\xC5\xBF", "0-2 2-5");           // ſ'ſ: (?i:'s) matches 'ſ
    expect_split("\\s+", "a  b\t\xE2\x80\xA8", "1-3 4-8");
    expect_split("\\p{P}", "a,b!\xE3\x80\x81", "1-2 3-4 4-7");
    expect_split("[0-9]", "a1b22", "1-2 3-4 4-5");
    expect_split(" ?[^\\s]+", "ab  cd e", "0-2 3-6 6-8");
    expect_split("\\p{N}", "x\xC2\xBD\xE2\x85\xAB" "9", "1-3 3-6 6-7");
    expect_split("<\\|endoftext\\|>|\\.\\.\\.", "a<|endoftext|>...", "1-14 14-17");
    expect_split("a*", "baa", "0-0 1-3 3-3");                          // empty matches
    expect_split("a*?", "aa", "0-0 1-1 2-2");
    expect_split("a+?", "aaa", "0-1 1-2 2-3");
    expect_split("(?:ab)+", "ababxab", "0-4 5-7");
    expect_split("(?:a|ab)(?:c|bcd)", "abcd", "0-4");                 // leftmost-first, not longest
    expect_split("a{2,3}", "aaaaaaa", "0-3 3-6");
    expect_split("a{2}", "aaaaa", "0-2 2-4");
    expect_split("a{2,}?", "aaaaa", "0-2 2-4");
    expect_split("(?:a|b){1,2}c", "abcbbc", "0-3 3-6");
    expect_split("x(?=y)", "xxy", "1-2");
    expect_split("x(?!y)", "xxy", "0-1");
    expect_split("^a|a$", "aaa", "0-1 2-3");
    expect_split(".", "a\nb\xE2\x80\xA8", "0-1 2-3");
    expect_split("[^]", "a\n", "0-1 1-2");
    expect_split("[]", "abc", "");
    expect_split("\\d\\D\\w\\W", "1a_!", "0-4");
    expect_split("\\d\\D\\w\\W", "1a_!x", "0-4");
    expect_split("\\d\\D\\w\\W", "1a!_ 2b_!", "5-9");
    expect_split("[a-c\\d]+", "abz19c", "0-2 3-6");
    expect_split("[\\u0041-\\u{43}]", "ABCD", "0-1 1-2 2-3");
    expect_split("\\x41\\u00e9\\x{1F600}", "A\xC3\xA9\xF0\x9F\x98\x80", "0-7");
    expect_split("\\uD83D\\uDE00", "\xF0\x9F\x98\x80", "0-4");
    expect_split("(?i:abc)", "ABC aBc", "0-3 4-7");
    expect_split("(?i:k)", "\xE2\x84\xAA", "0-3");                   // KELVIN SIGN folds to k
    expect_split("(?i:[a-c]+)", "xAbC", "1-4");
    expect_split("(?i:\\p{Lu})", "a1", "0-1");                       // classes match the fold orbit
    expect_split("(?i:[^\\W]+)", "\xC5\xBF!", "0-2");                  // U+017F is a word character
    expect_split("(?i:\\W)", "\xC5\xBF" "K", "");
    expect_split("(?i:\xC3\x9F)", "\xE1\xBA\x9E", "0-3");               // ß and ẞ
    expect_split("(?i:[\xCF\x83])", "\xCF\x82\xCE\xA3", "0-2 2-4");        // σ: ς and Σ
    expect_split("(?i:[^k])", "\xE2\x84\xAA" "Kx", "4-5");                // KELVIN SIGN is k
    expect_split("\\p{Lu}\\p{Ll}+|\\p{Letter}|\\P{L}", "Ab1\xC7\x85", "0-2 2-3 3-5");
    expect_split("\\p{Lt}|\\p{Nl}|\\p{Me}|\\p{Zs}", "\xC7\x85\xE2\x85\xAB\xE2\x83\x9D\xE3\x80\x80", "0-2 2-5 5-8 8-11");
    expect_split("(?:a?)*?b", "aab", "0-3");
    expect_split("(?:a|)*", "aa", "0-2 2-2");                          // empty iterations stop the loop
    expect_split("(?:(?:a*)*)*b", "aab", "0-3");
    expect_split("\\s+(?!\\S)|\\s+", "a   b   ", "1-3 3-4 5-8");
    expect_split("\\.|\\*|\\\\|\\-|\\'", ".*\\-'", "0-1 1-2 2-3 3-4 4-5");
    expect_split("", "ab", "0-0 1-1 2-2");
    expect_split("a|", "ab", "0-1 1-1 2-2");
    // invalid UTF-8 in the subject: one U+FFFD per maximal subpart, which \P{L} matches
    expect_split("\\P{L}", "a\xE2\x82\xFF" "b", "1-3 3-4");
    expect_split("[^a]+", "a\xE2\x82\xFF\xC3\xA9" "a", "1-6");
    expect_split("[^a]+x|\\S", "\xE2\x82\xFF\xE2\x82", "0-2 2-3 3-5");
}

static void test_hostile(void) {
    // malformed patterns: each must fail with a message
    static const char *const bad[] = {
        "(", ")", "(?:a", "[a", "[a-", "[\\", "\\", "a**", "a{2,1}", "*a", "+", "?", "{1}", "a{", "a{1",
        "a{1,2", "a{,2}", "]", "}", "(?<x>a)", "(?P<x>a)", "(?=a)*", "\\1", "\\q", "\\p{Foo}", "\\p{L",
        "\\p", "[z-a]", "[\\s-z]", "\\u12", "\\x{110000}", "\\x{}", "\\u{1234567890}", "(?i)a", "\\b", "\\c1",
        "[\\d-\\w]", "\\p{L}{1,2}{3}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect_error(bad[i], strlen(bad[i]));
    expect_error("a\xFF", 2);                // invalid UTF-8 in the pattern
    expect_error("[\xE2\x82]", 4);
    expect_error("\xED\xA0\x80", 3);
    // deeply nested groups
    size_t depth = 100000;
    char *p = malloc(2 * depth + 2);
    memset(p, '(', depth); p[depth] = 'a'; memset(p + depth + 1, ')', depth); p[2 * depth + 1] = 0;
    expect_error(p, 2 * depth + 1);
    memset(p, '[', depth);
    expect_error(p, depth);
    free(p);
    expect_split("(((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))", "a", "0-1");
    // huge quantifiers: fine over one code point, too large (and refused) over a group
    expect_split("a{1000000}", "aaaa", "");
    expect_split("a{0,2147483647}", "aaa", "0-3 3-3");
    expect_error("(?:ab){1000000}", 15);
    expect_error("(?:(?:ab){1000}){1000}", 22);
    expect_error("(?:(?:){65536}){65536}", 22);
    expect_error("a{99999999999999999999}{2}", 26);
    {   // a quantifier over a group of a quantified-away 200000-node subtree: compile time stays linear
        size_t big = 200000;
        char *pat = malloc(big + 32);
        size_t k = (size_t)sprintf(pat, "(?:(?:");
        memset(pat + k, 'a', big);
        k += big;
        k += (size_t)sprintf(pat + k, "){0}b){60000}");
        clock_t t0 = clock();
        char err[160];
        ptx_regex *re = ptx_regex_compile(pat, k, err, sizeof err);
        double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK(dt < 5, "compile of (?:(?:a{200000 times}){0}b){60000}: %.2f s (%s)", dt, re ? "compiled" : err);
        ptx_regex_free(re);
        free(pat);
    }
    {   // 1300 case-insensitive alternatives (under the first-set limit): first sets stay cheap
        char *pat = malloc(2 * 4000 + 16);
        size_t k = (size_t)sprintf(pat, "(?i:");
        for (int i = 0; i < 1300; i++) { pat[k++] = (char)('a' + i % 26); pat[k++] = '|'; }
        pat[k - 1] = ')';
        clock_t t0 = clock();
        char err[160];
        ptx_regex *re = ptx_regex_compile(pat, k, err, sizeof err);
        double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK(re && dt < 5, "compile of 1300 case-insensitive alternatives: %.2f s (%s)", dt, re ? "compiled" : err);
        ptx_regex_free(re);
        free(pat);
    }
    {   // a class of 60000 single non-ASCII items: compiles; matching it is charged per item walked
        size_t items = 60000;
        char *cls = malloc(3 * items + 8);
        size_t k = 0;
        cls[k++] = '[';
        for (size_t i = 0; i < items; i++) {   // U+4E00.. as literal members (3 bytes each)
            uint8_t b[4];
            k += ptu_encode(0x4E00 + (uint32_t)i % 0x5000, b);
            memcpy(cls + k - 3, b, 3);
        }
        cls[k++] = ']'; cls[k++] = '+'; cls[k] = 0;
        char err[160];
        ptx_regex *re = ptx_regex_compile(cls, k, err, sizeof err);
        CHECK(re != NULL, "60000-item class: %s", err);
        uint8_t subj[3 * 2000];
        for (size_t i = 0; i < 2000; i++) ptu_encode(0xAC00, subj + 3 * i);   // never a member
        size_t ms, me;
        bool over = false;
        clock_t t0 = clock();
        bool found = re && ptx_regex_search(re, subj, sizeof subj, 0, &ms, &me, &over);
        double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK(re && !found && dt < 10, "60000-item class over 2000 code points: found %d over %d %.2f s", found, over, dt);
        ptx_regex_free(re);
        cls[0] = '[';
        memset(cls + 1, 'a', 3 * items);   // 180000 items: refused
        cls[3 * items + 1] = ']';
        expect_error(cls, 3 * items + 2);
        free(cls);
    }
    // catastrophic backtracking: must end, as no match or over budget
    {
        ptx_regex *re = compile("(?:a|a)*(?:x+x+)+y");
        char subj[64];
        memset(subj, 'a', 30); memset(subj + 30, 'x', 30); subj[60] = 0;
        size_t ms = 0, me = 0;
        bool over = false;
        clock_t t0 = clock();
        bool found = re && ptx_regex_search(re, (const uint8_t *)subj, 60, 0, &ms, &me, &over);
        double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
        CHECK(re && !found && over, "catastrophic pattern reported over budget (found %d over %d)", found, over);
        CHECK(dt < 30, "catastrophic pattern took %.1f s", dt);
        printf("  catastrophic pattern: over budget after %.2f s\n", dt);
        ptx_regex_free(re);
    }
    // long subjects with the tokenizer patterns (and all their adversarial shapes)
    size_t big = 4 << 20;
    uint8_t *s = malloc(big);
    ptx_regex *llama = compile(LLAMA3), *gpt2 = compile(GPT2);
    static const struct { const char *unit; const char *what; } shapes[] = {
        {" ", "spaces"}, {"a", "letters"}, {"1", "digits"}, {"!", "punctuation"}, {" \t", "space-tab"},
        {"\r", "CR"}, {" \xC3\xA9", "space-letter"}, {"\xE2\x82", "truncated UTF-8"}, {"\xFF", "invalid bytes"},
        {"'", "apostrophes"}, {"\xCC\x81", "combining marks"},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t u = strlen(shapes[k].unit), len = big / u * u;
        for (size_t i = 0; i < len; i += u) memcpy(s + i, shapes[k].unit, u);
        for (int which = 0; which < 2; which++) {
            ptx_regex *re = which ? gpt2 : llama;
            if (!re) continue;
            size_t pos = 0, pieces = 0;
            bool over = false;
            clock_t t0 = clock();
            while (pos < len) {
                size_t ms, me;
                if (!ptx_regex_search(re, s, len, pos, &ms, &me, &over)) break;
                pieces++;
                pos = me > ms ? me : me + 1;
            }
            double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
            CHECK(!over && pos >= len && dt < 20, "%s over 4 MB of %s: over %d, stopped at %zu, %.2f s",
                  which ? "GPT-2" : "Llama 3", shapes[k].what, over, pos, dt);
        }
    }
    // a trailing space run followed by a letter, and a whole-subject lookahead scan
    memset(s, ' ', big); s[big - 1] = 'x';
    {
        char got[64];
        bool ok = gpt2 && split_str(gpt2, s, big, got, sizeof got);
        char want[64];
        snprintf(want, sizeof want, "0-%zu %zu-%zu", (size_t)big - 2, (size_t)big - 2, (size_t)big);
        CHECK(ok && !strcmp(got, want), "GPT-2 on 4 MB of spaces then x: [%s]", got);
    }
    ptx_regex_free(llama); ptx_regex_free(gpt2);
    // a generic (non single-code-point) greedy loop over a long subject: bounded by frames/budget
    {
        ptx_regex *re = compile("(?:a|b)*c");
        memset(s, 'a', big);
        size_t ms, me;
        bool over = false;
        bool found = re && ptx_regex_search(re, s, big, 0, &ms, &me, &over);
        CHECK(re && !found, "(?:a|b)*c over 4 MB of a: found %d over %d", found, over);
        ptx_regex_free(re);
    }
    // random bytes as patterns and subjects: never crash
    uint32_t x = 12345;
    long compiled = 0;
    for (int t = 0; t < 20000; t++) {
        char pat[24];
        static const char alphabet[] = "ab()[]{}|?*+\\^$.-,:=!ipPsSdwLN0123{}\xC3\xA9\xFF";
        size_t pn = 1 + t % 23;
        for (size_t i = 0; i < pn; i++) { x = x * 1103515245 + 12345; pat[i] = alphabet[(x >> 16) % (sizeof alphabet - 1)]; }
        char err[96];
        ptx_regex *re = ptx_regex_compile(pat, pn, err, sizeof err);
        if (!re) continue;
        compiled++;
        uint8_t subj[32];
        for (size_t i = 0; i < sizeof subj; i++) { x = x * 1103515245 + 12345; subj[i] = (uint8_t)alphabet[(x >> 16) % (sizeof alphabet - 1)]; }
        char buf[512];
        split_str(re, subj, sizeof subj, buf, sizeof buf);
        ptx_regex_free(re);
    }
    CHECK(compiled > 100, "random patterns: %ld compiled", compiled);
    free(s);
    {
        ptx_regex *re = ptx_regex_compile(NULL, 0, NULL, 0);   // the empty pattern
        size_t ms = 1, me = 1;
        bool over = true;
        CHECK(re && ptx_regex_search(re, NULL, 0, 0, &ms, &me, &over) && ms == 0 && me == 0 && !over, "NULL pattern");
        CHECK(re && !ptx_regex_search(re, (const uint8_t *)"ab", 2, 3, &ms, &me, &over), "start beyond the subject");
        ptx_regex_free(re);
    }
    ptx_regex_free(NULL);
}

// --- references ----------------------------------------------------------------------------------

static void check_regex_ref(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    ptx_regex *re = NULL;
    uint8_t *subj = malloc(1 << 16);
    size_t *want = malloc(sizeof(size_t) * (1 << 15));
    long patterns = 0, strings = 0, matches = 0, wrong = 0, over_budget = 0;
    bool random_pattern = false;
    while (read_line(f, &line, &cap)) {
        if (!strncmp(line, "{\"space\":[", 10)) {
            char *q = line + 10;
            long bad = 0;
            uint32_t next = 0;
            while (*q && *q != ']') {
                uint32_t cp = (uint32_t)strtoul(q, &q, 10);
                for (; next < cp; next++) if (ptu_is_white_space(next)) bad++;
                if (!ptu_is_white_space(cp)) bad++;
                next = cp + 1;
                if (*q == ',') q++;
            }
            for (; next <= 0x10FFFF; next++) if (ptu_is_white_space(next)) bad++;
            CHECK(bad == 0, "\\s differs from node's on %ld code points", bad);
            continue;
        }
        if (!strncmp(line, "{\"pattern\":\"", 12)) {
            ptx_regex_free(re);
            char *h = line + 12, *e = strchr(h, '"');
            size_t pn = hex_decode(h, (size_t)(e - h), subj);
            char err[160];
            re = ptx_regex_compile((const char *)subj, pn, err, sizeof err);
            CHECK(re != NULL, "reference pattern %.*s: %s", (int)pn, subj, err);
            patterns++;
            random_pattern = strstr(line, "\"random\":true") != NULL;
            continue;
        }
        if (!re || strncmp(line, "{\"s\":\"", 6)) continue;
        char *h = line + 6, *e = strchr(h, '"');
        size_t n = hex_decode(h, (size_t)(e - h), subj);
        char *q = strstr(e, "\"m\":[") + 5;
        size_t nw = 0;
        while (*q && *q != ']') { want[nw++] = strtoul(q, &q, 10); if (*q == ',') q++; }
        // split and compare
        size_t pos = 0, k = 0;
        bool ok = true, over = false;
        while (pos <= n) {
            size_t ms, me;
            if (!ptx_regex_search(re, subj, n, pos, &ms, &me, &over)) { if (over) ok = false; break; }
            if (k + 2 > nw || want[k] != ms || want[k + 1] != me) { ok = false; break; }
            k += 2;
            if (me == ms) {
                if (me >= n) break;
                size_t len;
                ptu_decode(subj + me, n - me, &len);
                pos = me + len;
            } else pos = me;
        }
        if (k != nw) ok = false;
        strings++;
        matches += (long)nw / 2;
        if (over && random_pattern) {   // exponential random pattern: the budget did its job
            if (over_budget++ < 5) printf("  (random pattern %ld string %ld: over budget, not compared)\n", patterns, strings);
            continue;
        }
        if (!ok) {
            wrong++;
            char got[2048];
            split_str(re, subj, n, got, sizeof got);
            CHECK(false, "pattern %ld string %ld (%.*s): got [%s], node %s", patterns, strings, (int)n, subj, got, strstr(line, "\"m\""));
        } else g_pass++;
    }
    printf("  regex reference: %ld patterns, %ld strings, %ld node matches, %ld splits differ, %ld random-pattern "
           "splits over budget (not compared)\n", patterns, strings, matches, wrong, over_budget);
    CHECK(over_budget * 1000 <= strings, "too many splits over budget: %ld", over_budget);
    ptx_regex_free(re);
    free(subj); free(want); free(line);
    fclose(f);
}

static void check_norm_ref(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    uint8_t *buf[5];
    size_t len[5];
    for (int i = 0; i < 5; i++) buf[i] = malloc(1 << 12);
    long nlines = 0, nwrong = 0, dlines = 0, dwrong = 0, llines = 0, lwrong = 0, kwrong = 0, kcount = 0;
    static const ptu_form forms[4] = {PTU_NFC, PTU_NFD, PTU_NFKC, PTU_NFKD};
    while (read_line(f, &line, &cap)) {
        char kind = line[0];
        if (kind == 'K') {
            const char *h = line + 2;
            for (uint32_t cp = 0; cp <= 0x10FFFF && h[2 * cp] && h[2 * cp + 1]; cp++) {
                char t[3] = {h[2 * cp], h[2 * cp + 1], 0};
                unsigned v = (unsigned)strtoul(t, NULL, 16);
                if (v == 0xFF) continue;
                kcount++;
                if ((unsigned)ptu_category_of(cp) != v) {
                    kwrong++;
                    CHECK(false, "category of U+%04X: %d, Python %u", cp, ptu_category_of(cp), v);
                }
            }
            continue;
        }
        // split fields
        char *fields[6];
        int nf = 0;
        for (char *t = line; nf < 6;) {
            fields[nf++] = t;
            char *sp = strchr(t, ' ');
            if (!sp) break;
            *sp = 0;
            t = sp + 1;
        }
        if (kind == 'N' && nf == 6) {
            for (int i = 0; i < 5; i++) len[i] = hex_decode(fields[1 + i], strlen(fields[1 + i]), buf[i]);
            nlines++;
            bool ok = true;
            for (int fm = 0; fm < 4; fm++) {
                uint8_t *out = NULL;
                size_t on = 0;
                bool r = ptu_normalize(buf[0], len[0], forms[fm], &out, &on);
                if (!r || on != len[1 + fm] || memcmp(out, buf[1 + fm], on)) {
                    ok = false;
                    CHECK(false, "normalize form %d of %s: got %zu bytes, want %s", fm, fields[1], on, fields[2 + fm]);
                }
                free(out);
            }
            if (!ok) nwrong++; else g_pass++;
        } else if (kind == 'D' && nf == 3) {
            len[0] = hex_decode(fields[1], strlen(fields[1]), buf[0]);
            len[1] = hex_decode(fields[2], strlen(fields[2]), buf[1]);
            size_t k = 0;
            for (size_t i = 0; i < len[0];) {
                size_t l;
                uint32_t cp = ptu_decode(buf[0] + i, len[0] - i, &l);
                i += l;
                k += ptu_encode(cp, buf[2] + k);
            }
            dlines++;
            bool ok = k == len[1] && !memcmp(buf[2], buf[1], k);
            if (!ok) { dwrong++; CHECK(false, "decode of %s: want %s", fields[1], fields[2]); } else g_pass++;
        } else if (kind == 'L' && nf == 3) {
            uint32_t cp = (uint32_t)strtoul(fields[1], NULL, 16), lo = (uint32_t)strtoul(fields[2], NULL, 16);
            llines++;
            if (ptu_lower(cp) != lo) { lwrong++; CHECK(false, "lower of U+%04X: U+%04X, Python U+%04X", cp, ptu_lower(cp), lo); }
        }
    }
    if (llines) CHECK(lwrong == 0, "lowercase: %ld of %ld differ", lwrong, llines);
    printf("  norm reference: %ld strings x 4 forms (%ld differ), %ld byte strings decoded (%ld differ), "
           "%ld lowercase (%ld differ), %ld categories (%ld differ)\n", nlines, nwrong, dlines, dwrong, llines, lwrong,
           kcount, kwrong);
    CHECK(kcount > 100000, "categories compared: %ld", kcount);
    for (int i = 0; i < 5; i++) free(buf[i]);
    free(line);
    fclose(f);
}

// --- extended grapheme clusters ------------------------------------------------------------------

// The cluster lengths of s[0..n) by ptu_grapheme_len as "l l l" into buf.
static void grapheme_lens(const uint8_t *s, size_t n, char *buf, size_t cap) {
    size_t k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n;) {
        size_t l = ptu_grapheme_len(s + i, n - i);
        if (l == 0 || l > n - i) { snprintf(buf + k, cap - k, "%sBAD(%zu)", k ? " " : "", l); return; }
        if (k < cap) k += (size_t)snprintf(buf + k, cap - k, k ? " %zu" : "%zu", l);
        i += l;
    }
}

static void expect_graphemes(const char *s, size_t n, const char *want) {
    char got[256];
    grapheme_lens((const uint8_t *)s, n, got, sizeof got);
    CHECK(!strcmp(got, want), "graphemes of %zu bytes (%02X..): [%s], want [%s]", n, n ? (uint8_t)s[0] : 0, got, want);
}

static void test_graphemes(void) {
#define G(lit, want) expect_graphemes(lit, sizeof(lit) - 1, want)
    G("abc", "1 1 1");
    G("a\r\nb", "1 2 1");                                     // GB3
    G("\n\r", "1 1");
    G("\x01\xCC\x81", "1 2");                                 // GB4: a control takes no mark
    G("e\xCC\x81\xCC\x88x", "5 1");                           // GB9
    G("\xE0\xA4\x95\xE0\xA4\xBE", "6");                       // GB9a: KA + AA (SpacingMark)
    G("\xD8\x80" "1", "3");                                   // GB9b: U+0600 (Prepend) + 1
    G("\xD8\x80\n", "2 1");                                   // ... but not before a control
    G("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8", "9");           // GB6-8: L V T
    G("\xEA\xB0\x80\xE1\x86\xA8", "6");                       // LV T
    G("\xEA\xB0\x81\xE1\x85\xA1", "3 3");                     // LVT V
    G("\xEA\xB0\x81\xE1\x86\xA8\xE1\x86\xA8", "9");           // LVT T T
    G("\xE1\x84\x80\xEA\xB0\x80", "6");                       // L LV
    G("\xE1\x86\xA8\xE1\x84\x80", "3 3");                     // T L
    G("\xF0\x9F\x87\xAB\xF0\x9F\x87\xB7\xF0\x9F\x87\xA9", "8 4"); // GB12/13: FR, D
    G("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", "18"); // GB11 family
    G("\xF0\x9F\x8F\xB3\xEF\xB8\x8F\xE2\x80\x8D\xF0\x9F\x8C\x88", "14"); // flag + VS16 + ZWJ + rainbow
    G("a\xE2\x80\x8D\xF0\x9F\x91\xA8", "4 4");                // ZWJ after a letter: no GB11
    G("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "8");               // skin tone modifier (Extend)
    // invalid UTF-8: each maximal subpart alone
    G("\xFF\xCC\x81", "1 2");
    G("a\xFF", "1 1");
    G("\xE2\x82" "a", "2 1");
    G("\xD8\x80\xFF", "2 1");                                 // Prepend does not take an invalid byte
    G("\xED\xA0\x80", "1 1 1");                               // an encoded surrogate: three subparts
    G("\xEF\xBF\xBD\xCC\x81", "5");                           // a real U+FFFD is an ordinary character
    G("\xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F", "7 2");         // truncated emoji after ZWJ
#undef G
    CHECK(ptu_grapheme_len((const uint8_t *)"", 0) == 0, "n == 0");

    // hostile: long runs, each walked in linear time
    size_t big = 4 << 20;
    uint8_t *s = malloc(big);
    static const struct { const char *head, *unit; const char *what; size_t want_len; } runs[] = {
        {"a", "\xCC\x81", "a + combining marks", 0},
        {"", "\xE2\x80\x8D", "ZWJ", 0},
        {"\xF0\x9F\x98\x80", "\xE2\x80\x8D\xF0\x9F\x98\x80", "emoji ZWJ chain", 0},
        {"\xF0\x9F\x98\x80", "\xCC\x81", "emoji + extends", 0},
        {"", "\xD8\x80", "Prepend", 0},
        {"", "\xE0\xA4\xBE", "SpacingMark", 0},
        {"", "\xE1\x84\x80", "Hangul L", 0},
        {"", "\xE1\x86\xA8", "Hangul T", 0},
        {"", "\xF0\x9F\x87\xAB", "regional indicators", 8},
        {"", "\xE2\x80\x8D\xF0\x9F\x98\x80", "ZWJ emoji (no leading emoji)", 3},
        {"", "\xF0\x9F\x98\x80\xE2\x80\x8D", "emoji ZWJ", 0},
        {"", "\xFF", "invalid bytes", 1},
        {"", "\xE2\x82", "truncated UTF-8", 2},
        {"", "\r\n", "CR LF", 2},
        {"", "\xD8\x80\xFF", "Prepend + invalid", 2},
    };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        size_t h = strlen(runs[k].head), u = strlen(runs[k].unit), len = h + (big - h) / u * u;
        memcpy(s, runs[k].head, h);
        for (size_t i = h; i + u <= len; i += u) memcpy(s + i, runs[k].unit, u);
        clock_t t0 = clock();
        size_t pos = 0, clusters = 0, first = 0;
        bool bad = false;
        while (pos < len) {
            size_t l = ptu_grapheme_len(s + pos, len - pos);
            if (l == 0 || l > len - pos) { bad = true; break; }
            if (!clusters) first = l;
            clusters++;
            pos += l;
        }
        double dt = (double)(clock() - t0) / CLOCKS_PER_SEC;
        size_t want_first = runs[k].want_len ? runs[k].want_len : len;
        CHECK(!bad && pos == len && first == want_first && dt < 10,
              "graphemes over 4 MB of %s: %zu clusters, first %zu (want %zu), %.2f s", runs[k].what, clusters, first,
              want_first, dt);
    }
    // random bytes from an alphabet of the interesting classes: clusters partition the text, an
    // invalid subpart is always alone, and restarting at any boundary gives the same next boundary
    static const char *const alphabet[] = {
        "a", "\r", "\n", "\x01", "\xCC\x81", "\xE2\x80\x8D", "\xF0\x9F\x87\xAB", "\xD8\x80", "\xE0\xA4\xBE",
        "\xE1\x84\x80", "\xE1\x85\xA1", "\xE1\x86\xA8", "\xEA\xB0\x80", "\xEA\xB0\x81", "\xF0\x9F\x98\x80",
        "\xFF", "\xE2\x82", "\xF0", "\x80", "\xEF\xBF\xBD",
    };
    uint32_t x = 777;
    long bad = 0;
    for (int t = 0; t < 20000; t++) {
        size_t n = 0, m = 1 + (size_t)t % 40;
        for (size_t i = 0; i < m; i++) {
            x = x * 1103515245 + 12345;
            const char *a = alphabet[(x >> 16) % (sizeof alphabet / sizeof alphabet[0])];
            memcpy(s + n, a, strlen(a));
            n += strlen(a);
        }
        for (size_t pos = 0; pos < n;) {
            size_t l = ptu_grapheme_len(s + pos, n - pos), dl;
            if (l == 0 || l > n - pos) { bad++; break; }
            // every code point inside the cluster decodes validly unless the cluster is one subpart
            for (size_t i = pos; i < pos + l; i += dl) {
                uint32_t cp = ptu_decode(s + i, n - i, &dl);
                bool invalid = cp == 0xFFFD && !(dl == 3 && s[i] == 0xEF);
                if (invalid && !(i == pos && dl == l)) { bad++; break; }
            }
            pos += l;
        }
    }
    CHECK(bad == 0, "random grapheme strings: %ld bad", bad);
    free(s);
}

// Every line of GraphemeBreakTest.txt: the boundaries (÷) and non-boundaries (×) between its code
// points must be exactly those of ptu_grapheme_len walked from the start.
static void check_grapheme_ref(const char *path) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    char *line = NULL;
    size_t cap = 0;
    long lines = 0, wrong = 0;
    while (read_line(f, &line, &cap)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        uint8_t s[256];
        size_t off[64], n = 0, ncp = 0;   // off[k]: byte offset before code point k
        bool brk[65], parsed = true;
        int marks = 0;
        for (char *t = strtok(line, " \t"); t; t = strtok(NULL, " \t")) {
            if (!strcmp(t, "\xC3\xB7") || !strcmp(t, "\xC3\x97")) {   // ÷ or ×
                if (marks != (int)ncp || ncp >= 64) { parsed = false; break; }
                brk[marks++] = t[1] == '\xB7';
            } else {
                char *e;
                unsigned long cp = strtoul(t, &e, 16);
                if (*e || marks != (int)ncp + 1 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || n + 4 > sizeof s) {
                    parsed = false;
                    break;
                }
                off[ncp++] = n;
                n += ptu_encode((uint32_t)cp, s + n);
            }
        }
        if (!ncp && !marks) continue;   // comment or blank
        CHECK(parsed && marks == (int)ncp + 1, "GraphemeBreakTest line %ld does not parse", lines + 1);
        if (!parsed || marks != (int)ncp + 1) { wrong++; lines++; continue; }
        off[ncp] = n;
        // the boundaries found, as code point indices
        bool got[65] = {false};
        bool ok = true;
        got[0] = true;
        size_t k = 0;
        for (size_t pos = 0; pos < n;) {
            size_t l = ptu_grapheme_len(s + pos, n - pos);
            if (l == 0 || l > n - pos) { ok = false; break; }
            pos += l;
            while (k < ncp && off[k] < pos) k++;
            if (off[k] != pos) { ok = false; break; }   // not at a code point boundary
            got[k] = true;
        }
        for (size_t i = 0; ok && i <= ncp; i++) ok = got[i] == brk[i];
        lines++;
        if (!ok) {
            wrong++;
            char g[400], w[400];
            size_t gk = 0, wk = 0;
            for (size_t i = 0; i <= ncp && gk < 300 && wk < 300; i++) {
                gk += (size_t)snprintf(g + gk, sizeof g - gk, "%s", got[i] ? "/" : "x");
                wk += (size_t)snprintf(w + wk, sizeof w - wk, "%s", brk[i] ? "/" : "x");
            }
            CHECK(false, "GraphemeBreakTest line %ld: boundaries %s, want %s", lines, g, w);
        } else g_pass++;
    }
    printf("  grapheme reference: %ld lines of %s, %ld differ\n", lines, path, wrong);
    CHECK(lines >= 600 && wrong == 0, "grapheme reference: %ld lines, %ld differ", lines, wrong);
    free(line);
    fclose(f);
}

// Grapheme_Cluster_Break and Extended_Pictographic of every code point (from UCD/auxiliary/
// GraphemeBreakProperty.txt and UCD/emoji/emoji-data.txt), checked through ptu_grapheme_len's
// behaviour: each code point must join or not with the probes below (before and after it) exactly
// as the first code point listed with its value does. Surrogates cannot be spelled in UTF-8.
enum { GP_COUNT = 15 };
static const char *const GP_NAMES[GP_COUNT] = {"Other", "CR", "LF", "Control", "Extend", "ZWJ", "Regional_Indicator",
    "Prepend", "SpacingMark", "L", "V", "T", "LV", "LVT", "Extended_Pictographic"};

static bool read_prop_file(const char *path, uint8_t *val, const char *only) {
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "open %s", path);
    if (!f) return false;
    char *line = NULL;
    size_t cap = 0;
    while (read_line(f, &line, &cap)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        char *semi = strchr(line, ';');
        if (!semi) continue;
        char *e;
        unsigned long a = strtoul(line, &e, 16), b = a;
        if (e[0] == '.' && e[1] == '.') b = strtoul(e + 2, NULL, 16);
        char name[64];
        if (sscanf(semi + 1, " %63s", name) != 1) continue;
        if (only && strcmp(name, only)) continue;
        for (int v = 1; v < GP_COUNT; v++)
            if (!strcmp(name, GP_NAMES[v]))
                for (unsigned long cp = a; cp <= b && cp <= 0x10FFFF; cp++) val[cp] = (uint8_t)v;
    }
    free(line);
    fclose(f);
    return true;
}

// Bit i: whether cp joins probe i (probe before cp for i < nprobes, after it above).
static uint64_t grapheme_signature(uint32_t cp) {
    static const char *const probes[] = {
        "a", "\r", "\n", "\x01", "\xCC\x81", "\xE2\x80\x8D", "\xF0\x9F\x87\xAB", "\xD8\x80", "\xE0\xA4\xBE",
        "\xE1\x84\x80", "\xE1\x85\xA1", "\xE1\x86\xA8", "\xEA\xB0\x80", "\xEA\xB0\x81", "\xF0\x9F\x98\x80",
        "\xF0\x9F\x98\x80\xE2\x80\x8D",   // Extended_Pictographic ZWJ: GB11 on the left
    };
    enum { NP = sizeof probes / sizeof probes[0] };
    uint8_t buf[16], c[4];
    size_t cn = ptu_encode(cp, c);
    uint64_t sig = 0;
    for (size_t i = 0; i < NP; i++) {
        size_t pn = strlen(probes[i]);
        memcpy(buf, probes[i], pn); memcpy(buf + pn, c, cn);
        if (ptu_grapheme_len(buf, pn + cn) > pn) sig |= 1ull << i;
        memcpy(buf, c, cn); memcpy(buf + cn, probes[i], pn);
        if (ptu_grapheme_len(buf, pn + cn) > cn) sig |= 1ull << (NP + i);
    }
    // GB11's context: EP cp EP joins whole only for ZWJ, EP cp ZWJ EP only for Extend
    static const uint8_t ep[4] = {0xF0, 0x9F, 0x98, 0x80}, zwj[3] = {0xE2, 0x80, 0x8D};
    memcpy(buf, ep, 4); memcpy(buf + 4, c, cn); memcpy(buf + 4 + cn, ep, 4);
    if (ptu_grapheme_len(buf, 8 + cn) == 8 + cn) sig |= 1ull << (2 * NP);
    memcpy(buf + 4 + cn, zwj, 3); memcpy(buf + 7 + cn, ep, 4);
    if (ptu_grapheme_len(buf, 11 + cn) == 11 + cn) sig |= 1ull << (2 * NP + 1);
    return sig;
}

static void check_grapheme_props(const char *ucd) {
    uint8_t *val = calloc(0x110000, 1);
    char path[1024];
    snprintf(path, sizeof path, "%s/auxiliary/GraphemeBreakProperty.txt", ucd);
    bool ok = read_prop_file(path, val, NULL);
    snprintf(path, sizeof path, "%s/emoji/emoji-data.txt", ucd);
    ok = ok && read_prop_file(path, val, "Extended_Pictographic");
    if (!ok) { free(val); return; }
    uint64_t rep[GP_COUNT];
    bool have[GP_COUNT] = {false};
    long checked = 0, wrong = 0;
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        uint64_t sig = grapheme_signature(cp);
        int v = val[cp];
        if (!have[v]) { have[v] = true; rep[v] = sig; }
        checked++;
        if (sig != rep[v]) { wrong++; CHECK(false, "U+%04X (%s) behaves otherwise than its class", cp, GP_NAMES[v]); }
    }
    // the classes must all differ from one another (else the check above proves less)
    int distinct = 0;
    for (int a = 0; a < GP_COUNT; a++) {
        bool uniq = have[a];
        for (int b = 0; b < GP_COUNT && uniq; b++) uniq = b == a || !have[b] || rep[a] != rep[b];
        distinct += uniq;
    }
    printf("  grapheme properties: %ld code points checked, %ld differ; %d of %d classes distinguishable\n",
           checked, wrong, distinct, GP_COUNT);
    CHECK(wrong == 0 && distinct == GP_COUNT, "grapheme properties: %ld differ, %d classes distinct", wrong, distinct);
    free(val);
}

static void bench(const char *path) {
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "open %s", path);
    if (!f) return;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    static const struct { const char *name, *pattern; } pats[] = {
        {"Llama 3", NULL}, {"GPT-2", NULL},
        {"o200k", "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
                  "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
                  "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"},
    };
    for (size_t k = 0; k < 3; k++) {
        ptx_regex *re = compile(k == 0 ? LLAMA3 : k == 1 ? GPT2 : pats[k].pattern);
        if (!re) continue;
        struct timespec t0, t1;
        timespec_get(&t0, TIME_UTC);
        size_t pos = 0, pieces = 0;
        bool over = false;
        while (pos < got) {
            size_t ms, me;
            if (!ptx_regex_search(re, s, got, pos, &ms, &me, &over)) break;
            pieces++;
            pos = me > ms ? me : me + 1;
        }
        timespec_get(&t1, TIME_UTC);
        double dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        printf("  bench %s: %zu pieces, %.1f MB in %.3f s: %.1f MB/s\n", pats[k].name, pieces, (double)got / 1e6, dt,
               (double)got / 1e6 / dt);
        CHECK(!over, "bench over budget");
        ptx_regex_free(re);
    }
    free(s);
}

int main(int argc, char **argv) {
    test_decode();
    test_properties();
    test_normalize();
    test_regex_features();
    test_hostile();
    test_graphemes();
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--regex-ref")) check_regex_ref(argv[i + 1]);
        else if (!strcmp(argv[i], "--norm-ref")) check_norm_ref(argv[i + 1]);
        else if (!strcmp(argv[i], "--bench")) bench(argv[i + 1]);
        else if (!strcmp(argv[i], "--grapheme-ref")) check_grapheme_ref(argv[i + 1]);
        else if (!strcmp(argv[i], "--grapheme-prop")) check_grapheme_props(argv[i + 1]);
        else { printf("unknown option %s\n", argv[i]); g_fail++; }
    }
    printf("text unicode: %ld passed, %ld failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
