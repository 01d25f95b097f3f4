/* parallel.c — a small thread pool for pc_parallel. The tasks of a job are cut into one
 * contiguous range per thread, so the same thread takes the same rows of every operator and finds
 * what it produced in its own cache; a thread that finishes its range steals from the far end of
 * the others'. Each range counts its unclaimed tasks: a claim decrements the count first, so the
 * owner (taking from the front) and thieves (from the back) never take the same task. Workers
 * spin briefly for the next job (inference runs many short operators back to back), then sleep on
 * a condition variable. Every worker takes part in every job and reports when it leaves it, so
 * the caller starts the next job only when no worker can still be reading the last one. One pool
 * serves one method instance at a time (the runtime's threading rule), so jobs never overlap. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"

#if !defined(_WIN32)
#include <pthread.h>
#include <sched.h>
#define PC_HAVE_THREADS 1
#endif

#ifdef PC_HAVE_THREADS

#define PC_POOL_MAX 64

typedef struct task_range {
    _Alignas(64) atomic_size_t start; /* the owner takes from here up */
    atomic_size_t end;                /* thieves take from here down */
    atomic_long unclaimed;
} task_range;

struct pc_pool {
    int threads;
    pthread_t *workers;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    /* the current job */
    pc_task_fn fn;
    void *arg;
    task_range ranges[PC_POOL_MAX];
    atomic_int left;             /* workers that have left the current job */
    atomic_uint generation;      /* bumped for each job (and for shutdown) */
    atomic_int stop;
};

static void run_tasks(pc_pool *p, size_t thread) {
    task_range *own = &p->ranges[thread];
    while (atomic_fetch_sub_explicit(&own->unclaimed, 1, memory_order_acq_rel) > 0)
        p->fn(p->arg, atomic_fetch_add_explicit(&own->start, 1, memory_order_relaxed), thread);
    for (int k = 1; k < p->threads; k++) {
        task_range *r = &p->ranges[(thread + (size_t)k) % (size_t)p->threads];
        while (atomic_fetch_sub_explicit(&r->unclaimed, 1, memory_order_acq_rel) > 0)
            p->fn(p->arg, atomic_fetch_sub_explicit(&r->end, 1, memory_order_relaxed) - 1, thread);
    }
}

typedef struct worker_arg {
    pc_pool *pool;
    size_t index;
} worker_arg;

static void *worker(void *varg) {
    worker_arg wa = *(worker_arg *)varg;
    free(varg);
    pc_pool *p = wa.pool;
    unsigned seen = 0;
    for (;;) {
        unsigned g;
        /* spin a little, then sleep until the generation moves */
        int spins = 0;
        while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen && spins < 20000) {
            spins++;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        }
        if (g == seen) {
            pthread_mutex_lock(&p->lock);
            while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&p->wake, &p->lock);
            pthread_mutex_unlock(&p->lock);
        }
        seen = g;
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) return NULL;
        run_tasks(p, wa.index);
        atomic_fetch_add_explicit(&p->left, 1, memory_order_release);
    }
}

pc_pool *pc_pool_create(int threads) {
    if (threads < 2) return NULL;
    if (threads > PC_POOL_MAX) threads = PC_POOL_MAX;
    pc_pool *p = aligned_alloc(64, (sizeof *p + 63) & ~(size_t)63); /* the ranges sit on their own lines */
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->workers = calloc((size_t)threads - 1, sizeof *p->workers);
    if (!p->workers || pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p->workers);
        free(p);
        return NULL;
    }
    if (pthread_cond_init(&p->wake, NULL) != 0) {
        pthread_mutex_destroy(&p->lock);
        free(p->workers);
        free(p);
        return NULL;
    }
    p->threads = 1;
    for (int i = 0; i < threads - 1; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa) break;
        wa->pool = p;
        wa->index = (size_t)i + 1;
        if (pthread_create(&p->workers[i], NULL, worker, wa) != 0) {
            free(wa);
            break;
        }
        p->threads++;
    }
    if (p->threads < 2) {
        pc_pool_destroy(p);
        return NULL;
    }
    return p;
}

void pc_pool_destroy(pc_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    atomic_store_explicit(&p->stop, 1, memory_order_release);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->threads - 1; i++) pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}

int pc_pool_threads(const pc_pool *p) { return p ? p->threads : 1; }

void pc_parallel(const pc_ctx *c, size_t ntasks, pc_task_fn fn, void *arg) {
    pc_pool *p = c->pool;
    if (!p || ntasks < 2) {
        for (size_t t = 0; t < ntasks; t++) fn(arg, t, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    const size_t T = (size_t)p->threads;
    for (size_t i = 0; i < T; i++) {
        size_t a = ntasks * i / T, b = ntasks * (i + 1) / T;
        atomic_store_explicit(&p->ranges[i].start, a, memory_order_relaxed);
        atomic_store_explicit(&p->ranges[i].end, b, memory_order_relaxed);
        atomic_store_explicit(&p->ranges[i].unclaimed, (long)(b - a), memory_order_relaxed);
    }
    atomic_store_explicit(&p->left, 0, memory_order_relaxed);
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->lock);
    run_tasks(p, 0);
    while (atomic_load_explicit(&p->left, memory_order_acquire) < p->threads - 1) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#else
        sched_yield();
#endif
    }
}

#else /* no threads on this platform yet: everything runs on the caller's thread */

pc_pool *pc_pool_create(int threads) {
    (void)threads;
    return NULL;
}
void pc_pool_destroy(pc_pool *p) { (void)p; }
int pc_pool_threads(const pc_pool *p) {
    (void)p;
    return 1;
}
void pc_parallel(const pc_ctx *c, size_t ntasks, pc_task_fn fn, void *arg) {
    (void)c;
    for (size_t t = 0; t < ntasks; t++) fn(arg, t, 0);
}

#endif
