/* test_threads.c — one program shared by several threads: each thread loads methods (some loads
 * fail on purpose), runs them with a thread pool of its own, and checks that its error messages
 * and its results are its own. Run under ThreadSanitizer by scripts/test.sh.
 *
 *   test_threads CONFORMANCE_DIR */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "petite/petite.h"

#define THREADS 4
#define ROUNDS 200

static petite_program *prog;
static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what, long t, const char *msg) {
    pthread_mutex_lock(&lock);
    if (failures++ < 10) printf("FAIL thread %ld: %s: %s\n", t, what, msg);
    pthread_mutex_unlock(&lock);
}

static void *worker(void *arg) {
    long t = (long)(intptr_t)arg;
    char bad[32];
    snprintf(bad, sizeof bad, "missing_%ld", t);
    for (int r = 0; r < ROUNDS; r++) {
        petite_method *m = NULL;
        /* a failed load: the message must be this thread's, naming this thread's method */
        if (petite_method_load(prog, bad, &m) != PETITE_ERR_NOT_FOUND || m) fail("bad name loaded", t, "");
        else if (!strstr(petite_last_error(), bad)) fail("another thread's message", t, petite_last_error());
        petite_load_options o;
        petite_load_options_init(&o);
        o.num_threads = 2;
        if (petite_method_load_ex(prog, "forward", &o, &m) != PETITE_OK) {
            fail("load", t, petite_last_error());
            continue;
        }
        petite_io_info a, b;
        if (petite_method_io_info(m, PETITE_INPUT, 0, &a) || petite_method_io_info(m, PETITE_INPUT, 1, &b) ||
            a.dtype != PETITE_FLOAT32 || a.nbytes != b.nbytes || a.nbytes > 4096) {
            fail("inputs", t, petite_method_errmsg(m));
            petite_method_free(m);
            continue;
        }
        float x[1024], y[1024];
        size_t n = (size_t)a.nbytes / sizeof(float);
        for (size_t i = 0; i < n; i++) x[i] = (float)(t * 1000 + r + (long)i), y[i] = (float)i;
        const void *out;
        size_t nb;
        if (petite_method_set_input(m, 0, a.dtype, a.rank, a.sizes, x, (size_t)a.nbytes, PETITE_COPY) ||
            petite_method_set_input(m, 1, b.dtype, b.rank, b.sizes, y, (size_t)b.nbytes, PETITE_COPY) ||
            petite_method_run(m) || petite_method_output_data(m, 0, &out, &nb) || nb != (size_t)a.nbytes) {
            fail("run", t, petite_method_errmsg(m));
        } else {
            for (size_t i = 0; i < n; i++)
                if (((const float *)out)[i] != x[i] + y[i]) {
                    fail("another thread's numbers", t, "x + y");
                    break;
                }
        }
        petite_method_free(m);
    }
    return NULL;
}

/* weights packed once per program, shared: every thread's first load races to pack them */
static petite_program *prog2;
static float ref[4096];
static size_t ref_n;

static int run_linear(long t, float *got, size_t *n) {
    petite_method *m = NULL;
    petite_load_options o;
    petite_load_options_init(&o);
    o.num_threads = 1 + (int)(t % 2);
    if (petite_method_load_ex(prog2, "forward", &o, &m) != PETITE_OK) {
        fail("load linear", t, petite_last_error());
        return 1;
    }
    petite_io_info a;
    float x[1024];
    const void *out;
    size_t nb;
    int bad = petite_method_io_info(m, PETITE_INPUT, 0, &a) || a.nbytes > (int64_t)sizeof x;
    for (size_t i = 0; !bad && i < (size_t)a.nbytes / sizeof(float); i++) x[i] = (float)((long)i % 7 - 3);
    bad = bad || petite_method_set_input(m, 0, a.dtype, a.rank, a.sizes, x, (size_t)a.nbytes, PETITE_COPY) ||
          petite_method_run(m) || petite_method_output_data(m, 0, &out, &nb) || nb > sizeof ref;
    if (bad) fail("run linear", t, petite_method_errmsg(m));
    else memcpy(got, out, nb), *n = nb / sizeof(float);
    petite_method_free(m);
    return bad;
}

static void *worker2(void *arg) {
    long t = (long)(intptr_t)arg;
    for (int r = 0; r < ROUNDS / 4; r++) {
        float got[4096];
        size_t n = 0;
        if (run_linear(t, got, &n)) continue;
        if (n != ref_n || memcmp(got, ref, n * sizeof(float)) != 0) fail("linear output differs", t, "");
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *dir = corpus_dir_or_skip("threads", argc > 1 ? argv[1] : NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s/files/xnnpack_add.pte", dir);
    if (petite_program_open_file(path, &prog) != PETITE_OK) {
        printf("FAIL open %s: %s\n", path, petite_last_error());
        return 1;
    }
    pthread_t th[THREADS];
    for (long t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    /* second phase: a fresh program with weights, loaded first by all threads at once */
    snprintf(path, sizeof path, "%s/files/xnnpack_linear_planned.pte", dir);
    petite_program *solo = NULL;
    if (petite_program_open_file(path, &solo) != PETITE_OK || petite_program_open_file(path, &prog2) != PETITE_OK) {
        printf("FAIL open %s: %s\n", path, petite_last_error());
        return 1;
    }
    {
        petite_program *keep = prog2;
        prog2 = solo;
        if (run_linear(-1, ref, &ref_n)) return 1;
        prog2 = keep;
    }
    for (long t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, worker2, (void *)(intptr_t)t);
    for (int t = 0; t < THREADS; t++) pthread_join(th[t], NULL);
    petite_program_close(prog2);
    petite_program_close(solo);
    if (petite_program_errmsg(prog)[0]) {
        failures++;
        printf("FAIL the shared program carries a message: %s\n", petite_program_errmsg(prog));
    }
    petite_program_close(prog);
    printf("threads: %d threads x %d rounds of failed and good loads and runs on one program, then concurrent first loads "
           "sharing packed weights; %d failures\n", THREADS, ROUNDS, failures);
    return failures != 0;
}
