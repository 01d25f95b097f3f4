/* test_text — petite_text against the references: for every vocabulary the reference harness wrote
 * (tests/text/reference.mjs: transformers.js with the models' real tokenizer.json files), every
 * corpus text is encoded without and with special tokens and must give exactly the reference's ids,
 * and decoding those ids must give exactly the reference's text; the streaming decoder, fed one id
 * at a time, must give the same text as one decode. Invalid UTF-8 entries are fed as their raw
 * bytes (the reference saw them decoded with U+FFFD).
 *
 *   test_text CORPUS.json REFDIR [VOCAB...]      (exit 77: no references, skipped)
 *
 * Then hostile input: damaged tokenizer files are refused with a message naming the field, and
 * random bytes as text never crash. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "petite/petite_text.h"
#include "text/json.h"

static int failed, passed;

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = len >= 0 ? malloc((size_t)len + 1) : NULL;
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) free(b), b = NULL;
    fclose(f);
    if (b) b[len] = 0, *n = (size_t)len;
    return b;
}

static int hexv(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; }

/* the corpus entry's bytes: its text, or its hex */
static char *entry_bytes(const pj_value *corpus, const char *name, size_t *n) {
    for (uint32_t i = 0; corpus && i < corpus->n; i++) {
        const pj_value *e = &corpus->u.items[i];
        const char *nm = pj_str(pj_get(e, "name"));
        if (!nm || strcmp(nm, name)) continue;
        const pj_value *hx = pj_get(e, "hex"), *tx = pj_get(e, "text");
        if (pj_is(hx, PJ_STRING)) {
            char *b = malloc(hx->n / 2 + 1);
            for (uint32_t k = 0; b && k + 1 < hx->n; k += 2) b[k / 2] = (char)(hexv(hx->u.str[k]) * 16 + hexv(hx->u.str[k + 1]));
            *n = hx->n / 2;
            return b;
        }
        if (pj_is(tx, PJ_STRING)) {
            char *b = malloc(tx->n + 1);
            if (b) memcpy(b, tx->u.str, tx->n), b[tx->n] = 0;
            *n = tx->n;
            return b;
        }
    }
    return NULL;
}

static int same_ids(const pj_value *want, const int32_t *got, size_t n) {
    if (!pj_is(want, PJ_ARRAY) || want->n != n) return 0;
    for (size_t k = 0; k < n; k++) {
        int64_t v;
        if (!pj_int(&want->u.items[k], 0, INT32_MAX, &v) || v != got[k]) return 0;
    }
    return 1;
}

static void show_ids(const char *what, const pj_value *want, const int32_t *got, size_t n) {
    printf("    %s: want", what);
    for (uint32_t k = 0; want && k < want->n && k < 24; k++) printf(" %g", want->u.items[k].u.num);
    printf("%s\n    %s: got ", want && want->n > 24 ? " ..." : "", what);
    for (size_t k = 0; k < n && k < 24; k++) printf(" %d", (int)got[k]);
    printf("%s\n", n > 24 ? " ..." : "");
}

static void check_vocab(const char *refpath, const pj_value *corpus) {
    size_t n;
    char *txt = slurp(refpath, &n), err[256];
    pj_doc *d = txt ? pj_parse(txt, n, err, sizeof err) : NULL;
    if (!d) {
        printf("FAIL %s: cannot read (%s)\n", refpath, txt ? err : "missing");
        failed++;
        free(txt);
        return;
    }
    const pj_value *r = pj_root(d), *cases = pj_get(r, "cases");
    const char *name = pj_str(pj_get(r, "vocab")), *tj = pj_str(pj_get(r, "tokenizer_json"));
    if (!cases) { /* not a reference file (the corpus, a tokenizer file beside them) */
        pj_free(d), free(txt);
        return;
    }
    const char *tt = pj_str(pj_get(r, "tiktoken_file"));
    if (!tt && !tj) {
        printf("skip %s: %s is not a tokenizer.json\n", name ? name : refpath, tj ? tj : "(none)");
        pj_free(d), free(txt);
        return;
    }
    ptk_tokenizer *t;
    /* a rank file named tokenizer.model (Meta's Llama 3) through ptk_load_file: told apart from a
     * SentencePiece model by its bytes */
    const bool model = tt && strlen(tt) > 6 && !strcmp(tt + strlen(tt) - 6, ".model");
    if (tt && !model ? ptk_load_tiktoken(tt, name, &t) : ptk_load_file(tt ? tt : tj, &t)) {
        printf("FAIL %s: load: %s\n", name, ptk_last_error());
        failed++;
        pj_free(d), free(txt);
        return;
    }
    int bad = 0, good = 0, shown = 0;
    for (uint32_t c = 0; cases && c < cases->n; c++) {
        const pj_value *k = &cases->u.items[c];
        const char *cname = pj_str(pj_get(k, "name"));
        size_t len;
        char *text = cname ? entry_bytes(corpus, cname, &len) : NULL;
        if (!text) {
            printf("FAIL %s: case %u (%s) not in the corpus\n", name, c, cname ? cname : "?");
            bad++;
            continue;
        }
        for (int special = 0; special < 2; special++) {
            int32_t *ids = NULL;
            size_t cnt = 0;
            const pj_value *want = pj_get(k, special ? "ids_special" : "ids");
            if (!want) continue;
            if (ptk_encode(t, text, len, special ? PTK_ADD_SPECIAL : 0, &ids, &cnt)) {
                printf("FAIL %s / %s: encode: %s\n", name, cname, ptk_last_error());
                bad++;
                continue;
            }
            if (!same_ids(want, ids, cnt)) {
                bad++;
                if (shown++ < 6) {
                    printf("FAIL %s / %s%s: ids differ\n", name, cname, special ? " (with special tokens)" : "");
                    show_ids("ids", want, ids, cnt);
                }
            } else {
                good++;
            }
            if (!special) { /* decode the reference's ids */
                const pj_value *wd = pj_get(k, "decoded");
                int32_t *ri = malloc((want->n + 1) * sizeof *ri);
                int64_t v;
                for (uint32_t j = 0; ri && j < want->n; j++) ri[j] = pj_int(&want->u.items[j], 0, INT32_MAX, &v) ? (int32_t)v : -1;
                char *out = NULL;
                size_t ol = 0;
                if (ri && pj_is(wd, PJ_STRING) && !ptk_decode(t, ri, want->n, 0, &out, &ol) && ol == wd->n &&
                    !memcmp(out, wd->u.str, ol)) {
                    good++;
                } else {
                    bad++;
                    if (shown++ < 6)
                        printf("FAIL %s / %s: decode: want \"%.60s\" got \"%.60s\" (%s)\n", name, cname, wd ? wd->u.str : "",
                               out ? out : "", out ? "differs" : ptk_last_error());
                }
                /* streaming: one id at a time gives the same text (before the config's space cleanup) */
                ptk_stream *s;
                if (ri && !ptk_stream_new(t, 0, &s)) {
                    char *acc = malloc(1);
                    size_t al = 0;
                    const char *piece;
                    size_t pl;
                    int ok = acc != NULL;
                    for (uint32_t j = 0; ok && j <= want->n; j++) {
                        ok = !(j < want->n ? ptk_stream_push(s, ri[j], &piece, &pl) : ptk_stream_finish(s, &piece, &pl));
                        char *na = ok ? realloc(acc, al + pl + 1) : NULL;
                        if (!na) break;
                        acc = na, memcpy(acc + al, piece, pl), al += pl;
                    }
                    const pj_value *raw = pj_get(k, "decoded_nocleanup");
                    if (!pj_is(raw, PJ_STRING)) raw = wd;
                    if (acc && raw && al == raw->n && !memcmp(acc, raw->u.str, al)) good++;
                    else {
                        bad++;
                        if (shown++ < 6) printf("FAIL %s / %s: streamed \"%.60s\" but decoded \"%.60s\"\n", name, cname, acc ? acc : "", out ? out : "");
                    }
                    free(acc);
                    ptk_stream_free(s);
                }
                ptk_free_buffer(out);
                free(ri);
            }
            ptk_free_buffer(ids);
        }
        free(text);
    }
    printf("%s %-14s %d of %d checks exact (%u texts)\n", bad ? "FAIL" : "ok  ", name, good, good + bad,
           cases ? cases->n : 0);
    passed += good, failed += bad;
    ptk_free(t);
    pj_free(d), free(txt);
}

static void hostile(void) {
    static const char *const bad[] = {
        "", "{", "[]", "{\"model\": 3}", "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a b\"]}}",
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": -1}, \"merges\": []}}",
        "{\"model\": {\"type\": \"WordLevel\", \"vocab\": {}}}",
        ("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"pre_tokenizer\": {\"type\": \"Split\", "
         "\"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\"}}"),
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}, \"added_tokens\": [{\"id\": 5}]}",
    };
    const char *field[] = {"JSON", "JSON", "not an object", "model", "merges[0]", "vocab", "model.type", "pre_tokenizer", "added_tokens[0]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ptk_tokenizer *t = NULL;
        petite_status s = ptk_load_bytes(bad[i], strlen(bad[i]), NULL, 0, &t);
        if (s && strstr(ptk_last_error(), field[i])) passed++;
        else {
            failed++;
            printf("FAIL damaged file %zu refused naming \"%s\": status %d, \"%s\"\n", i, field[i], (int)s, ptk_last_error());
        }
        ptk_free(t);
    }
    /* a tiny byte-level tokenizer, and random bytes through it */
    static const char tiny[] =
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"\\u0120\": 3}, \"merges\": [\"a b\"]},"
        " \"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}, \"decoder\": {\"type\": \"ByteLevel\"}}";
    ptk_tokenizer *t;
    if (ptk_load_bytes(tiny, sizeof tiny - 1, NULL, 0, &t)) {
        printf("FAIL tiny tokenizer: %s\n", ptk_last_error());
        failed++;
        return;
    }
    int32_t *ids;
    size_t n;
    if (!ptk_encode(t, "abab a", 6, 0, &ids, &n) && n == 4 && ids[0] == 2 && ids[1] == 2 && ids[2] == 3 && ids[3] == 0) passed++;
    else failed++, printf("FAIL tiny: \"abab a\" -> %zu ids\n", n);
    ptk_free_buffer(ids);
    uint32_t seed = 1;
    char buf[256];
    for (int r = 0; r < 2000; r++) {
        size_t len = (size_t)(r % 256);
        for (size_t k = 0; k < len; k++) seed = seed * 1103515245u + 12345u, buf[k] = (char)(seed >> 16);
        if (!ptk_encode(t, buf, len, 0, &ids, &n)) ptk_free_buffer(ids);
    }
    int32_t badid = 99;
    char *out;
    if (ptk_decode(t, &badid, 1, 0, &out, &n) && strstr(ptk_last_error(), "99")) passed++;
    else failed++, printf("FAIL an id outside the vocabulary is refused\n");
    passed++; /* random bytes: no crash */
    ptk_free(t);
}

/* encode text with a tokenizer given as JSON; the ids, or -1 and the error in err */
static int encode_json(const char *json, const char *text, int32_t *ids, size_t cap, char *err, size_t errlen) {
    ptk_tokenizer *t;
    if (ptk_load_bytes(json, strlen(json), NULL, 0, &t)) {
        snprintf(err, errlen, "%s", ptk_last_error());
        return -1;
    }
    int32_t *got;
    size_t n = 0;
    int r = -1;
    if (!ptk_encode(t, text, strlen(text), 0, &got, &n)) {
        r = (int)(n < cap ? n : cap);
        memcpy(ids, got, (size_t)r * sizeof *ids);
        ptk_free_buffer(got);
    } else {
        snprintf(err, errlen, "%s", ptk_last_error());
    }
    ptk_free(t);
    return r;
}

/* model.vocab and model.merges are read as the parser reaches them (no tree); a file in another
 * order (merges first, the continuing prefix after the merges), escapes in the pieces and both
 * forms of a merge must give the same tokenizer, and a damaged stream must name its field */
static void streamed_members(void) {
    static const struct { const char *json, *text; int n; int32_t ids[4]; } same[] = {
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"c\": 3, \"abc\": 4}, "
         "\"merges\": [\"a b\", [\"ab\", \"c\"]]}}", "abcab", 2, {4, 2}},
        {"{\"model\": {\"merges\": [\"a b\", [\"ab\", \"c\"]], \"type\": \"BPE\", "
         "\"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2, \"c\": 3, \"abc\": 4}}}", "abcab", 2, {4, 2}},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\\u0061\": 0, \"b\": 1, \"a\\u0062\": 2, \"c\": 3, \"abc\": 4}, "
         "\"merges\": [\"\\u0061 b\", [\"ab\", \"\\u0063\"]]}}", "abcab", 2, {4, 2}},
        /* the continuing prefix before the vocabulary (read in the stream), after the merges (the
         * file read again the plain way), and WordPiece's empty one */
        {"{\"model\": {\"type\": \"BPE\", \"continuing_subword_prefix\": \"##\", \"vocab\": {\"a\": 0, \"##b\": 1, "
         "\"ab\": 2, \"##c\": 3, \"abc\": 4}, \"merges\": [\"a ##b\", \"ab ##c\"]}}", "abc", 1, {4}},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"##b\": 1, \"ab\": 2, \"##c\": 3, \"abc\": 4}, "
         "\"merges\": [\"a ##b\", \"ab ##c\"], \"continuing_subword_prefix\": \"##\"}}", "abc", 1, {4}},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"##b\": 1, \"ab\": 2, \"a##b\": 3}, \"merges\": [\"a ##b\"], "
         "\"continuing_subword_prefix\": \"##\"}}", "ab", 1, {2}},
        {"{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"?\", \"continuing_subword_prefix\": \"\", "
         "\"vocab\": {\"?\": 0, \"ab\": 1, \"c\": 2}}}", "abc", 2, {1, 2}},
        {"{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"?\", \"vocab\": {\"?\": 0, \"ab\": 1, \"##c\": 2}}}",
         "abc", 2, {1, 2}},
        /* a piece given twice: its lowest id is found */
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"b\": 5, \"a\": 0, \"b\": 1}, \"merges\": []}}", "ab", 2, {0, 1}},
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        int32_t ids[8];
        char err[300] = "";
        int n = encode_json(same[i].json, same[i].text, ids, 8, err, sizeof err);
        if (n == same[i].n && !memcmp(ids, same[i].ids, (size_t)n * sizeof *ids)) passed++;
        else failed++, printf("FAIL streamed members, case %zu: %d ids (%d %d) %s\n", i, n, n > 0 ? ids[0] : -1, n > 1 ? ids[1] : -1, err);
    }
    static const struct { const char *json, *field; } bad[] = {
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": \"1\"}, \"merges\": []}}", "model.vocab[\"b\"]: bad id"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1.5}, \"merges\": []}}", "model.vocab[\"b\"]"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0 \"b\": 1}, \"merges\": []}}", "JSON at byte"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\", \"a c\"]}}",
         "model.merges[1]: \"c\" is not"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"b a\"]}}",
         "model.merges[0]: the merged piece"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"ab\"]}}", "model.merges[0]: \"ab\" has no space"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [[\"a\", \"b\", \"c\"]]}}", "model.merges[0]: not"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\",]}}", "JSON at byte"},
        {"{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, \"merges\": [\"a b\"", "JSON at byte"},
        {"{\"model\": {\"type\": \"Unigram\", \"vocab\": {\"a\": 0}}}", "model.vocab"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int32_t ids[8];
        char err[300] = "";
        int n = encode_json(bad[i].json, "ab", ids, 8, err, sizeof err);
        if (n < 0 && strstr(err, bad[i].field)) passed++;
        else failed++, printf("FAIL damaged stream %zu refused naming '%s': %d, \"%s\"\n", i, bad[i].field, n, err);
    }
}

int main(int argc, char **argv) {
    hostile();
    streamed_members();
    if (argc < 3) {
        printf("text: %d passed, %d failed (no references given)\n", passed, failed);
        return failed ? 1 : 77;
    }
    size_t n;
    char *ctext = slurp(argv[1], &n), err[256];
    if (!ctext) {
        printf("text: %d passed, %d failed; no corpus at %s (tests/text/make_refs.sh writes it): the references were "
               "skipped\n", passed, failed, argv[1]);
        return failed ? 1 : 77;
    }
    pj_doc *cd = pj_parse(ctext, n, err, sizeof err);
    if (!cd) {
        printf("FAIL corpus %s: %s\n", argv[1], ctext ? err : "cannot read");
        return 1;
    }
    DIR *dir = opendir(argv[2]);
    if (!dir) {
        printf("text: no references in %s: skipped\n", argv[2]);
        return 77;
    }
    struct dirent *de;
    char path[4096];
    while ((de = readdir(dir))) {
        size_t L = strlen(de->d_name);
        if (L < 6 || strcmp(de->d_name + L - 5, ".json")) continue;
        int want = argc == 3;
        for (int i = 3; i < argc; i++) want |= !strncmp(de->d_name, argv[i], strlen(argv[i]));
        if (!want) continue;
        snprintf(path, sizeof path, "%s/%s", argv[2], de->d_name);
        check_vocab(path, pj_root(cd));
    }
    closedir(dir);
    pj_free(cd);
    free(ctext);
    printf("text: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
