/* parallel.c — a small thread pool for pc_parallel. The tasks of a job are cut into one
 * contiguous range per thread, so the same thread takes the same rows of every operator and finds
 * what it produced in its own cache; a thread that finishes its range steals from the far end of
 * the others'. Each range counts its unclaimed tasks: a claim decrements the count first, so the
 * owner (taking from the front) and thieves (from the back) never take the same task. Workers
 * spin briefly for the next job (inference runs many short operators back to back), then sleep on
 * a condition variable. Every worker takes part in every job and reports when it leaves it, so
 * the caller starts the next job only when no worker can still be reading the last one. One pool
 * serves one method instance at a time (the runtime's threading rule), so jobs never overlap.
 * POSIX threads, or Win32 threads where _WIN32. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"

/* the little of threads the pool needs: POSIX threads, or Win32 (SRW lock, condition variable,
 * CreateThread) where _WIN32 */
#if defined(PETITE_BARE_METAL)
/* no threads: the fallback at the end */
#elif defined(_WIN32)
#include <malloc.h>
#include <windows.h>
#define PC_HAVE_THREADS 1
typedef HANDLE pc_thread;
typedef SRWLOCK pc_lock;
typedef CONDITION_VARIABLE pc_cond;
static int lock_init(pc_lock *l) {
    InitializeSRWLock(l);
    return 0;
}
static void lock_destroy(pc_lock *l) { (void)l; }
static void lock_take(pc_lock *l) { AcquireSRWLockExclusive(l); }
static void lock_give(pc_lock *l) { ReleaseSRWLockExclusive(l); }
static int cond_init(pc_cond *c) {
    InitializeConditionVariable(c);
    return 0;
}
static void cond_destroy(pc_cond *c) { (void)c; }
static void cond_wait(pc_cond *c, pc_lock *l) { SleepConditionVariableSRW(c, l, INFINITE, 0); }
static void cond_wake_all(pc_cond *c) { WakeAllConditionVariable(c); }
static void *worker(void *varg);
static DWORD WINAPI win_worker(LPVOID arg) {
    worker(arg);
    return 0;
}
static int thread_start(pc_thread *t, void *arg) {
    *t = CreateThread(NULL, 0, win_worker, arg, 0, NULL);
    return *t ? 0 : -1;
}
static void thread_join(pc_thread t) {
    WaitForSingleObject(t, INFINITE);
    CloseHandle(t);
}
static void *pool_alloc(size_t n) { return _aligned_malloc(n, 64); }
static void pool_free(void *p) { _aligned_free(p); }
#else
#include <pthread.h>
#include <sched.h>
#define PC_HAVE_THREADS 1
typedef pthread_t pc_thread;
typedef pthread_mutex_t pc_lock;
typedef pthread_cond_t pc_cond;
static int lock_init(pc_lock *l) { return pthread_mutex_init(l, NULL); }
static void lock_destroy(pc_lock *l) { pthread_mutex_destroy(l); }
static void lock_take(pc_lock *l) { pthread_mutex_lock(l); }
static void lock_give(pc_lock *l) { pthread_mutex_unlock(l); }
static int cond_init(pc_cond *c) { return pthread_cond_init(c, NULL); }
static void cond_destroy(pc_cond *c) { pthread_cond_destroy(c); }
static void cond_wait(pc_cond *c, pc_lock *l) { pthread_cond_wait(c, l); }
static void cond_wake_all(pc_cond *c) { pthread_cond_broadcast(c); }
static void *worker(void *varg);
static int thread_start(pc_thread *t, void *arg) { return pthread_create(t, NULL, worker, arg); }
static void thread_join(pc_thread t) { pthread_join(t, NULL); }
static void *pool_alloc(size_t n) { return aligned_alloc(64, n); }
static void pool_free(void *p) { free(p); }
#endif

#ifdef PC_HAVE_THREADS

/* while waiting for the workers: a pause on x86, else give the core away */
static void wait_a_little(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(_WIN32)
    SwitchToThread();
#else
    sched_yield();
#endif
}

#define PC_POOL_MAX 64

typedef struct task_range {
    _Alignas(64) atomic_size_t start; /* the owner takes from here up */
    atomic_size_t end;                /* thieves take from here down */
    atomic_long unclaimed;
} task_range;

struct pc_pool {
    int threads;
    pc_thread *workers;
    pc_lock lock;
    pc_cond wake;
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
            lock_take(&p->lock);
            while ((g = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen)
                cond_wait(&p->wake, &p->lock);
            lock_give(&p->lock);
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
    pc_pool *p = pool_alloc((sizeof *p + 63) & ~(size_t)63); /* the ranges sit on their own lines */
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    p->workers = calloc((size_t)threads - 1, sizeof *p->workers);
    if (!p->workers || lock_init(&p->lock) != 0) {
        free(p->workers);
        pool_free(p);
        return NULL;
    }
    if (cond_init(&p->wake) != 0) {
        lock_destroy(&p->lock);
        free(p->workers);
        pool_free(p);
        return NULL;
    }
    p->threads = 1;
    for (int i = 0; i < threads - 1; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa) break;
        wa->pool = p;
        wa->index = (size_t)i + 1;
        if (thread_start(&p->workers[i], wa) != 0) {
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
    lock_take(&p->lock);
    atomic_store_explicit(&p->stop, 1, memory_order_release);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_acq_rel);
    cond_wake_all(&p->wake);
    lock_give(&p->lock);
    for (int i = 0; i < p->threads - 1; i++) thread_join(p->workers[i]);
    cond_destroy(&p->wake);
    lock_destroy(&p->lock);
    free(p->workers);
    pool_free(p);
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
    lock_take(&p->lock);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_acq_rel);
    cond_wake_all(&p->wake);
    lock_give(&p->lock);
    run_tasks(p, 0);
    while (atomic_load_explicit(&p->left, memory_order_acquire) < p->threads - 1) wait_a_little();
}

#else /* no threads (a bare-metal build): everything runs on the caller's thread */

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
