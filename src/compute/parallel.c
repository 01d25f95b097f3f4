/* parallel.c — a small thread pool for pc_parallel. The tasks of a job are cut into one
 * contiguous range per thread, so the same thread takes the same rows of every operator and finds
 * what it produced in its own cache; a thread that finishes its range steals from the far end of
 * the others'. Each range counts its unclaimed tasks: a claim decrements the count first, so the
 * owner (taking from the front) and thieves (from the back) never take the same task, and no task
 * is taken twice or lost.
 *
 * The caller never waits for a worker that is not there: it runs its own range, then steals
 * every task no worker has claimed, so a job finishes on the caller alone when the workers are
 * descheduled (a busy second core, a shared phone core). A worker joins a job explicitly: one
 * atomic word holds the job's generation, a closed flag and the count of workers inside the job,
 * and a worker enters by raising the count while the job is open and carries that generation.
 * When the caller has run out of tasks it closes the job and waits only for the workers inside,
 * each finishing at most the one task it claimed. Only then are the job's fields (function,
 * argument, ranges) rewritten for the next one, so no worker can read a stale job.
 *
 * Between jobs a worker spins briefly, then gives its core away (sched_yield) on each check, so
 * on a core shared with the caller it never holds up the caller; after a bounded number of checks
 * it sleeps on a condition variable, and the caller wakes it (only when one sleeps) with the next
 * job. The results are the same for any thread count: a task's output does not depend on which
 * thread runs it (tasks write disjoint outputs; the thread index only names a scratch slice).
 * One pool serves one method instance at a time (the runtime's threading rule), so jobs never
 * overlap. POSIX threads, or Win32 threads where _WIN32; none on bare metal. */
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
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

/* a short pause while spinning on another thread's progress */
static void cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
    __asm__ __volatile__("yield");
#endif
}

/* give the core to another runnable thread, if any (a worker on the caller's core) */
static void thread_yield(void) {
#if defined(_WIN32)
    SwitchToThread();
#else
    sched_yield();
#endif
}

#define PC_THREADS_MAX 64  /* at most 63 workers: the active count below has room for 255 */
#define SPIN_PAUSES 64     /* checks with a pause before a waiting thread yields its core */
#define SPIN_YIELDS 4000   /* checks with a yield before a worker sleeps */

/* the job word: generation << 9 | closed << 8 | workers inside the job. The generation wraps
 * after 2^23 jobs; a worker that slept through exactly that many only misses a job (the caller
 * runs it), and one whose join succeeds on a recurring word has joined the job open now, whose
 * fields it reads only after joining. */
#define JOB_ACTIVE 0xffu
#define JOB_CLOSED 0x100u
#define JOB_GEN_ONE 0x200u
#define JOB_GEN(s) ((s) & ~(JOB_GEN_ONE - 1u))

typedef struct task_range {
    _Alignas(64) atomic_size_t start; /* the owner takes from here up */
    atomic_size_t end;                /* thieves take from here down */
    atomic_ptrdiff_t unclaimed;
} task_range;

struct pc_pool {
    int threads;
    pc_thread *workers;
    pc_lock lock;
    pc_cond wake;
    /* the current job: written by the caller only while no worker is inside a job */
    pc_task_fn fn;
    void *arg;
    task_range ranges[PC_THREADS_MAX];
    _Alignas(64) atomic_uint job; /* generation | closed | active count (see above) */
    atomic_int sleepers;          /* workers asleep (or about to sleep) on `wake` */
    atomic_int stop;
};

/* claim one task of r: from the front (the owner) or the back (a thief); 0 when none is left */
static int claim(task_range *r, int front, size_t *task) {
    if (atomic_fetch_sub_explicit(&r->unclaimed, 1, memory_order_relaxed) <= 0) return 0;
    *task = front ? atomic_fetch_add_explicit(&r->start, 1, memory_order_relaxed)
                  : atomic_fetch_sub_explicit(&r->end, 1, memory_order_relaxed) - 1;
    return 1;
}

/* run tasks until none is unclaimed: the own range from the front, then the others' from the back */
static void run_tasks(pc_pool *p, size_t thread) {
    const size_t T = (size_t)p->threads;
    size_t task;
    while (claim(&p->ranges[thread], 1, &task)) p->fn(p->arg, task, thread);
    for (size_t k = 1; k < T; k++) {
        task_range *r = &p->ranges[(thread + k) % T];
        while (claim(r, 0, &task)) p->fn(p->arg, task, thread);
    }
}

/* a worker: wait until the job word carries a generation other than `seen`; returns the word */
static unsigned wait_for_job(pc_pool *p, unsigned seen) {
    unsigned s;
    for (int i = 0; i < SPIN_PAUSES + SPIN_YIELDS; i++) {
        s = atomic_load_explicit(&p->job, memory_order_acquire);
        if (JOB_GEN(s) != seen) return s;
        if (i < SPIN_PAUSES) cpu_pause();
        else thread_yield();
    }
    /* sleep; the caller's store of a new generation and its look at `sleepers` (both seq_cst),
     * against this thread's count in `sleepers` and its look at the word (both seq_cst), make
     * sure one of the two sees the other: either this thread sees the new job or it is woken */
    lock_take(&p->lock);
    atomic_fetch_add_explicit(&p->sleepers, 1, memory_order_seq_cst);
    while (JOB_GEN(s = atomic_load_explicit(&p->job, memory_order_seq_cst)) == seen) cond_wait(&p->wake, &p->lock);
    atomic_fetch_sub_explicit(&p->sleepers, 1, memory_order_relaxed);
    lock_give(&p->lock);
    return s;
}

typedef struct worker_arg {
    pc_pool *pool;
    size_t index;
} worker_arg;

static void *worker(void *varg) {
    worker_arg wa = *(worker_arg *)varg;
    free(varg);
    pc_pool *p = wa.pool;
    unsigned seen = 0; /* the generation the pool starts with (closed, no job) */
    for (;;) {
        unsigned s = wait_for_job(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_acquire)) return NULL;
        seen = JOB_GEN(s);
        /* join while the job is open and still this generation; once inside, the job's fields
         * stay as they are until this thread leaves */
        while (!(s & JOB_CLOSED) && JOB_GEN(s) == seen) {
            if (atomic_compare_exchange_weak_explicit(&p->job, &s, s + 1, memory_order_acquire, memory_order_acquire)) {
                run_tasks(p, wa.index);
                atomic_fetch_sub_explicit(&p->job, 1, memory_order_release);
                break;
            }
        }
    }
}

pc_pool *pc_pool_create(int threads) {
    if (threads < 2) return NULL;
    if (threads > PC_THREADS_MAX) threads = PC_THREADS_MAX;
    pc_pool *p = pool_alloc((sizeof *p + 63) & ~(size_t)63); /* the ranges sit on their own lines */
    if (!p) return NULL;
    memset(p, 0, sizeof *p);
    atomic_init(&p->job, JOB_CLOSED); /* generation 0, closed, nobody inside */
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->stop, 0);
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

/* publish a new generation (open or closed) and wake the sleepers, if any */
static void publish(pc_pool *p, unsigned word) {
    atomic_store_explicit(&p->job, word, memory_order_seq_cst);
    if (atomic_load_explicit(&p->sleepers, memory_order_seq_cst) > 0) {
        lock_take(&p->lock);
        cond_wake_all(&p->wake);
        lock_give(&p->lock);
    }
}

void pc_pool_destroy(pc_pool *p) {
    if (!p) return;
    /* no job is running (pc_parallel returned): a closed new generation with stop set ends every
     * worker, asleep or spinning */
    atomic_store_explicit(&p->stop, 1, memory_order_release);
    unsigned s = atomic_load_explicit(&p->job, memory_order_relaxed);
    publish(p, JOB_GEN(s) + JOB_GEN_ONE + JOB_CLOSED);
    for (int i = 0; i < p->threads - 1; i++) thread_join(p->workers[i]);
    cond_destroy(&p->wake);
    lock_destroy(&p->lock);
    free(p->workers);
    pool_free(p);
}

int pc_pool_threads(const pc_pool *p) { return p ? p->threads : 1; }

void pc_parallel(const pc_ctx *c, size_t ntasks, pc_task_fn fn, void *arg) {
    pc_pool *p = c->pool;
    if (!p || ntasks < 2 || ntasks > (size_t)PTRDIFF_MAX) {
        for (size_t t = 0; t < ntasks; t++) fn(arg, t, 0);
        return;
    }
    /* the last job is closed and empty: no worker reads these fields now */
    unsigned s = atomic_load_explicit(&p->job, memory_order_relaxed);
    p->fn = fn;
    p->arg = arg;
    const size_t T = (size_t)p->threads;
    for (size_t i = 0; i < T; i++) {
        size_t a = ntasks / T * i + (i < ntasks % T ? i : ntasks % T);
        size_t b = a + ntasks / T + (i < ntasks % T);
        atomic_store_explicit(&p->ranges[i].start, a, memory_order_relaxed);
        atomic_store_explicit(&p->ranges[i].end, b, memory_order_relaxed);
        atomic_store_explicit(&p->ranges[i].unclaimed, (ptrdiff_t)(b - a), memory_order_relaxed);
    }
    publish(p, JOB_GEN(s) + JOB_GEN_ONE); /* open, nobody inside */
    run_tasks(p, 0);
    /* every task is claimed: close the job, then wait for the workers inside it, each finishing
     * at most the task it claimed */
    s = atomic_fetch_or_explicit(&p->job, JOB_CLOSED, memory_order_acq_rel);
    for (int i = 0; s & JOB_ACTIVE; i++) {
        if (i < SPIN_PAUSES) cpu_pause();
        else thread_yield();
        s = atomic_load_explicit(&p->job, memory_order_acquire);
    }
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
