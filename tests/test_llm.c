/* test_llm.c — the text-generation runner (petite_llm.h) in C, for the sanitized builds (ASan, TSan):
 * greedy tokens equal eager PyTorch's (tests/llm/make_refs.py writes the files and the tokens), with
 * two threads per run; stop from another thread while one generates (and during prefill); the calls
 * out of order, NULL arguments, a prompt past the context (refused, nothing changed), a file without
 * metadata, a missing tokenizer.
 *
 *   test_llm DIR      (DIR: tiny_portable.pte, tiny_xnnpack.pte, tiny_8da4w.pte, tokenizer.json, greedy.json,
 *                      greedy_8da4w.json) */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "petite/petite_llm.h"

static int passed, failed;
#define CHECK(c, ...)                                                                                              \
    do {                                                                                                           \
        if (c) passed++;                                                                                           \
        else {                                                                                                     \
            failed++;                                                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                            \
            printf(__VA_ARGS__);                                                                                   \
            printf("\n");                                                                                          \
        }                                                                                                          \
    } while (0)

static char dir[1024];
static const char *path(const char *name) {
    static char p[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

typedef struct {
    int32_t ids[256];
    int n;
    int sleep_us;
    int pause_at;               /* > 0: after this many tokens, say so and wait for `go` (at most 10 s) */
    atomic_int reached, go;
} got;

static int collect(void *user, const char *t, size_t n, int32_t id) {
    (void)t, (void)n;
    got *g = user;
    if (id >= 0 && g->n < 256) g->ids[g->n++] = id;
    if (g->sleep_us) nanosleep(&(struct timespec){0, g->sleep_us * 1000L}, NULL);
    if (g->pause_at && g->n == g->pause_at) {
        atomic_store(&g->reached, 1);
        for (int i = 0; i < 10000 && !atomic_load(&g->go); i++) nanosleep(&(struct timespec){0, 1000000L}, NULL);
    }
    return 0;
}

static int read_greedy(const char *name, int32_t *ids, int cap) { /* "tokens": [a, b, ...] */
    FILE *f = fopen(path(name), "rb");
    if (!f) return -1;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strstr(buf, "\"tokens\"");
    if (!p || !(p = strchr(p, '['))) return -1;
    int k = 0;
    for (p++; k < cap;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) break;
        ids[k++] = (int32_t)v;
        p = end;
        while (*p == ',' || *p == ' ') p++;
    }
    return k;
}

typedef struct {
    petite_llm *l;
    petite_llm_config c;
    const char *prompt;
    got g;
    petite_status s;
    atomic_int done;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    j->s = petite_llm_generate(j->l, j->prompt, &j->c, collect, &j->g);
    atomic_store(&j->done, 1);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_llm DIR\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "%s", argv[1]);
    int32_t want[64];
    int nwant = read_greedy("greedy.json", want, 64);
    if (nwant <= 0) {
        printf("llm: skipped (no %s: tests/llm/make_refs.py writes it)\n", path("greedy.json"));
        return 77;
    }
    const char *models[] = {"tiny_portable.pte", "tiny_xnnpack.pte"};
    for (int mi = 0; mi < 2; mi++) {
        petite_llm_options o;
        petite_llm_options_init(&o);
        o.num_threads = 2;
        petite_llm *l = NULL;
        petite_status s = petite_llm_load(path(models[mi]), path("tokenizer.json"), &o, &l);
        CHECK(s == PETITE_OK, "load %s: %s", models[mi], petite_llm_last_error());
        if (s) continue;
        petite_llm_config c;
        petite_llm_config_init(&c);
        c.max_new_tokens = nwant, c.ignore_eos = 1;
        got g = {0};
        s = petite_llm_generate(l, "Hello, world", &c, collect, &g);
        CHECK(s == PETITE_OK && g.n == nwant && !memcmp(g.ids, want, sizeof *want * (size_t)nwant),
              "%s: greedy tokens equal eager's (%d of %d)", models[mi], g.n, nwant);
        /* out of order and NULL */
        const char *t;
        size_t n;
        int32_t tok, done;
        CHECK(petite_llm_next(l, &t, &n, &tok, &done) == PETITE_ERR_INVALID_STATE, "next without begin");
        CHECK(petite_llm_next(l, NULL, &n, &tok, &done) == PETITE_ERR_INVALID_ARGUMENT, "next with NULL");
        CHECK(petite_llm_begin(NULL, "x", &c) == PETITE_ERR_INVALID_ARGUMENT, "begin on NULL");
        petite_llm_reset(l);
        CHECK(petite_llm_begin(l, "Hi", &c) == PETITE_OK, "begin");
        CHECK(petite_llm_begin(l, "Hi", &c) == PETITE_ERR_INVALID_STATE, "begin while one runs");
        petite_llm_stop(l);
        do s = petite_llm_next(l, &t, &n, &tok, &done);
        while (!s && !done);
        petite_llm_stats st;
        petite_llm_stats_get(l, &st);
        CHECK(st.stop_reason == PETITE_LLM_STOPPED, "stop before the first next: %d", st.stop_reason);
        /* a prompt past the context: refused, the position unchanged */
        petite_llm_reset(l);
        char longp[200];
        memset(longp, 'x', 150), longp[150] = 0;
        CHECK(petite_llm_generate(l, longp, &c, collect, &g) == PETITE_ERR_OUT_OF_RESOURCES &&
                  strstr(petite_llm_errmsg(l), "context"), "a prompt past the context: %s", petite_llm_errmsg(l));
        petite_llm_stats_get(l, &st);
        CHECK(st.position == 0, "a refused prompt changes nothing (position %lld)", (long long)st.position);
        c.temperature = -1;
        CHECK(petite_llm_begin(l, "x", &c) == PETITE_ERR_INVALID_ARGUMENT, "temperature -1 refused");
        c.temperature = 0;
        /* stop from another thread while one generates: the generating thread holds at its 5th token
           until the stop has been called (no timing: a loaded machine cannot let it run to the end) */
        petite_llm_reset(l);
        job j = {.l = l, .c = c, .prompt = "Hello"};
        j.c.max_new_tokens = -1, j.g.pause_at = 5;
        pthread_t th;
        pthread_create(&th, NULL, run_job, &j);
        for (int i = 0; i < 10000 && !atomic_load(&j.g.reached); i++) nanosleep(&(struct timespec){0, 1000000L}, NULL);
        petite_llm_stop(l);
        atomic_store(&j.g.go, 1);
        pthread_join(th, NULL);
        petite_llm_stats_get(l, &st);
        CHECK(j.s == PETITE_OK && st.stop_reason == PETITE_LLM_STOPPED && j.g.n >= 5 && j.g.n <= 6,
              "%s: stop from another thread: status %d, reason %d, %d tokens", models[mi], j.s, st.stop_reason, j.g.n);
        /* stop during prefill: one token per call, another thread stopping until it ends */
        petite_llm_reset(l);
        memset(longp, 'y', 60), longp[60] = 0;
        job k = {.l = l, .c = c, .prompt = longp};
        k.c.prefill_chunk = 1;
        pthread_create(&th, NULL, run_job, &k);
        while (!atomic_load(&k.done)) { /* until the generation ends, however slowly it runs */
            petite_llm_stop(l);
            nanosleep(&(struct timespec){0, 20000L}, NULL);
        }
        pthread_join(th, NULL);
        petite_llm_stats_get(l, &st);
        CHECK(k.s == PETITE_OK && st.stop_reason == PETITE_LLM_STOPPED, "%s: stopped around prefill: reason %d",
              models[mi], st.stop_reason);
        printf("  %s: stop landed at position %lld of a %lld-token prompt\n", models[mi], (long long)st.position, 61LL);
        /* and the handle goes on */
        petite_llm_reset(l);
        g.n = 0;
        CHECK(petite_llm_generate(l, "Hello, world", &c, collect, &g) == PETITE_OK && g.n == nwant &&
                  !memcmp(g.ids, want, sizeof *want * (size_t)nwant), "%s: generates again after stops", models[mi]);
        int64_t v = 0;
        CHECK(petite_llm_metadata(l, "get_max_seq_len", &v) == PETITE_OK && v == petite_llm_context_length(l), "metadata");
        CHECK(petite_llm_metadata(l, "nope", &v) == PETITE_ERR_NOT_FOUND, "absent metadata");
        petite_llm_free(l);
    }
    /* 8da4w (the packed 4-bit tiles, rows quantized per call, on 1 and 2 threads): eager's tokens with the
       file's arithmetic */
    int32_t want4[64];
    const int nwant4 = read_greedy("greedy_8da4w.json", want4, 64);
    CHECK(nwant4 > 0, "greedy_8da4w.json (tests/llm/make_refs.py)");
    for (int threads = 1; threads <= 2 && nwant4 > 0; threads++) {
        petite_llm_options o;
        petite_llm_options_init(&o);
        o.num_threads = threads;
        petite_llm *q = NULL;
        petite_status s = petite_llm_load(path("tiny_8da4w.pte"), path("tokenizer.json"), &o, &q);
        CHECK(s == PETITE_OK, "load tiny_8da4w.pte: %s", petite_llm_last_error());
        if (s) break;
        petite_llm_config c;
        petite_llm_config_init(&c);
        c.max_new_tokens = nwant4, c.ignore_eos = 1;
        got g = {0};
        CHECK(petite_llm_generate(q, "Hello, world", &c, collect, &g) == PETITE_OK && g.n == nwant4 &&
                  !memcmp(g.ids, want4, sizeof *want4 * (size_t)nwant4),
              "tiny_8da4w.pte, %d thread(s): greedy tokens equal eager's with the file's arithmetic (%d of %d)", threads,
              g.n, nwant4);
        petite_llm_free(q);
    }
    /* loads that fail: each a message, nothing leaked (ASan) */
    petite_llm *l = (petite_llm *)1;
    CHECK(petite_llm_load(path("tokenizer.json"), path("tokenizer.json"), NULL, &l) != PETITE_OK && l == NULL,
          "a non-pte refused: %s", petite_llm_last_error());
    CHECK(petite_llm_load(path("tiny_portable.pte"), path("missing.json"), NULL, &l) != PETITE_OK &&
              strstr(petite_llm_last_error(), "missing.json"), "a missing tokenizer: %s", petite_llm_last_error());
    CHECK(petite_llm_load(NULL, NULL, NULL, &l) == PETITE_ERR_INVALID_ARGUMENT, "NULL paths");
    petite_llm_free(NULL);
    printf("llm: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
