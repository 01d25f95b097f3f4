/* bench_text — tokenizer throughput: encode a text file in one call (as one string), repeated, on
 * one thread; MB/s by wall and by CPU time, and decode of the result.
 *
 *   bench_text TOKENIZER TEXTFILE [REPEATS]      (TOKENIZER: tokenizer.json, dir, .tiktoken, .model) */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "petite/petite_text.h"

#ifndef CLOCK_PROCESS_CPUTIME_ID /* where there is none: the C library's processor time */
#define CLOCK_PROCESS_CPUTIME_ID (-1)
#endif
/* resident bytes now (Linux; 0 elsewhere) */
static double rss_mb(void) {
#ifdef __linux__
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, res = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2) res = 0;
        fclose(f);
    }
    return res * 4096.0 / 1e6;
#else
    return 0;
#endif
}

static double now(clockid_t c) {
    if ((int)c == -1) return (double)clock() / CLOCKS_PER_SEC;
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_text TOKENIZER TEXTFILE [REPEATS]\n");
        return 2;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    FILE *f = fopen(argv[2], "rb");
    if (!f) return fprintf(stderr, "cannot read %s\n", argv[2]), 1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) return fprintf(stderr, "read failed\n"), 1;
    fclose(f);
    double r0 = rss_mb(), t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
    ptk_tokenizer *t;
    if (ptk_load_file(argv[1], &t)) return fprintf(stderr, "%s\n", ptk_last_error()), 1;
    double load = now(CLOCK_MONOTONIC) - t0, load_cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0, held = rss_mb() - r0;
    double best_w = 1e30, best_c = 1e30, dec = 1e30;
    size_t count = 0;
    for (int r = 0; r < reps; r++) {
        int32_t *ids;
        double w = now(CLOCK_MONOTONIC), c = now(CLOCK_PROCESS_CPUTIME_ID);
        if (ptk_encode(t, text, (size_t)n, 0, &ids, &count)) return fprintf(stderr, "%s\n", ptk_last_error()), 1;
        w = now(CLOCK_MONOTONIC) - w, c = now(CLOCK_PROCESS_CPUTIME_ID) - c;
        if (w < best_w) best_w = w;
        if (c < best_c) best_c = c;
        char *out;
        size_t len;
        double d = now(CLOCK_MONOTONIC);
        if (ptk_decode(t, ids, count, 0, &out, &len)) return fprintf(stderr, "%s\n", ptk_last_error()), 1;
        d = now(CLOCK_MONOTONIC) - d;
        if (d < dec) dec = d;
        ptk_free_buffer(out);
        ptk_free_buffer(ids);
    }
    printf("%s: %.2f MB in %zu ids; load %.3f s (CPU %.3f s), %.1f MB resident after it; encode %.2f MB/s wall, "
           "%.2f MB/s CPU (best of %d); decode %.1f MB/s\n",
           argv[1], n / 1e6, count, load, load_cpu, held, n / 1e6 / best_w, n / 1e6 / best_c, reps, n / 1e6 / dec);
    ptk_free(t);
    free(text);
    return 0;
}
