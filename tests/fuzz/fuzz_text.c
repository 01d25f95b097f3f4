/* fuzz_text.c — libFuzzer target on the tokenizer library (petite_text.h). Byte 0 picks the mode:
 *   even: the rest is a tokenizer.json (hostile JSON, patterns, vocabularies, merges, templates):
 *         loaded; if it loads, texts are encoded (with and without special tokens), the ids decoded,
 *         streamed, and some ids outside the vocabulary must be refused;
 *   odd:  the rest is text (any bytes) for real tokenizers loaded once from $PETITE_FUZZ_TOKENIZERS
 *         (paths separated by ':': tokenizer.json files or directories, .tiktoken files, .model files):
 *         encode, decode, stream; the decoded and the streamed text must be valid UTF-8 (that the
 *         stream equals the decode is test_text's check, on the reference corpus).
 *   PETITE_FUZZ_TOKENIZERS=a.json:b.model ./fuzz_text CORPUS -max_total_time=30 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "petite/petite_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ptk_tokenizer *real[16];
static int nreal = -1;

static void load_real(void) {
    nreal = 0;
    const char *env = getenv("PETITE_FUZZ_TOKENIZERS");
    if (!env) return;
    char *list = strdup(env), *save = NULL;
    for (char *p = strtok_r(list, ":", &save); p && nreal < 16; p = strtok_r(NULL, ":", &save)) {
        ptk_tokenizer *t;
        if (ptk_load_file(p, &t) == PETITE_OK) real[nreal++] = t;
        else fprintf(stderr, "fuzz_text: %s: %s\n", p, ptk_last_error());
    }
    free(list);
}

static int valid_utf8(const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : 9;
        if (k == 9 || i + k >= n + (k == 0)) return 0;
        unsigned long cp = k ? c & (0x3Fu >> k) : c;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && (cp < 0x800 || (cp >= 0xD800 && cp < 0xE000))) || (k == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        i += k + 1;
    }
    return 1;
}

static void exercise(ptk_tokenizer *t, const char *text, size_t n, int strict) {
    for (uint32_t flags = 0; flags < 2; flags++) {
        int32_t *ids;
        size_t count;
        if (ptk_encode(t, text, n, flags, &ids, &count) != PETITE_OK) continue;
        char *out;
        size_t len;
        if (ptk_decode(t, ids, count, 0, &out, &len) == PETITE_OK) {
            if (strict && !valid_utf8((const unsigned char *)out, len)) abort();
            ptk_free_buffer(out);
        }
        if (ptk_decode(t, ids, count, PTK_RAW, &out, &len) == PETITE_OK) {
            ptk_stream *s;
            if (ptk_stream_new(t, 0, &s) == PETITE_OK) {
                char *acc = malloc(len + 64);
                size_t al = 0;
                const char *piece;
                size_t pl;
                int ok = 1;
                for (size_t k = 0; k <= count && ok; k++) {
                    ok = (k < count ? ptk_stream_push(s, ids[k], &piece, &pl) : ptk_stream_finish(s, &piece, &pl)) ==
                         PETITE_OK;
                    if (ok && al + pl <= len + 63) memcpy(acc + al, piece, pl), al += pl;
                    else if (ok) ok = 0, al = SIZE_MAX;
                }
                if (strict && ok && !valid_utf8((const unsigned char *)acc, al)) abort();
                free(acc);
                ptk_stream_free(s);
            }
            ptk_free_buffer(out);
        }
        ptk_free_buffer(ids);
    }
    int32_t bad[3] = {-1, ptk_vocab_size(t), INT32_MAX};
    char *out;
    size_t len;
    for (int k = 0; k < 3; k++)
        if (ptk_decode(t, &bad[k], 1, 0, &out, &len) == PETITE_OK) abort(); /* an id outside must be refused */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    if (nreal < 0) load_real();
    const char *rest = (const char *)data + 1;
    size_t n = size - 1;
    if (!(data[0] & 1)) {
        ptk_tokenizer *t;
        if (ptk_load_bytes(rest, n, NULL, 0, &t) != PETITE_OK) return 0;
        static const char *const texts[] = {"", "Hello world, it's 2024!", "  \t\n\r\n  x", "\xe2\x96\x81\xc3\xa9\xff\xfe<s>"};
        for (int k = 0; k < 4; k++) exercise(t, texts[k], strlen(texts[k]), 0);
        ptk_free(t);
        return 0;
    }
    for (int k = 0; k < nreal; k++) exercise(real[k], rest, n, 1);
    return 0;
}
