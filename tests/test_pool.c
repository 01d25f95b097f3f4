/* test_pool.c — the thread pool itself (src/compute/parallel.c): many short jobs back to back,
 * every task count from 0 to a few thousand, 2 to 4 threads, free and (Linux) all on one CPU.
 * Each task must run exactly once per job, on a thread index below the pool's count that no
 * other task holds at the same time, and all must be done when pc_parallel returns. Then the
 * workers are made nearly unschedulable (SCHED_IDLE beside the caller on one CPU) and the jobs
 * must still finish at the caller's pace: the caller takes every task no worker has claimed and
 * never waits for a worker that has not joined. */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compute/compute.h"

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <time.h>
#define HAVE_AFFINITY 1
#endif

#define MAX_TASKS 5000
#define MAX_THREADS 4

typedef struct job {
    int runs[MAX_TASKS];         /* times each task ran (plain ints: tasks write disjoint entries) */
    int32_t stamp[MAX_TASKS];    /* the job that last ran it */
    uint32_t out[MAX_TASKS];     /* each task's output */
    int32_t id;
    int threads;
    atomic_int busy[MAX_THREADS]; /* a thread index held by a running task */
    atomic_int bad_thread, shared_thread;
    atomic_int demote;           /* make the workers SCHED_IDLE as they run a task */
    atomic_int demoted[MAX_THREADS];
    int work;                    /* busy work per task */
} job;

/* a task's output: the longer the higher t % 7 (uneven tasks) */
static uint32_t output(size_t t, int work) {
    uint32_t h = (uint32_t)t;
    for (int i = 0; i < work + (int)(t % 7) * work; i++) h = h * 2654435761u + 1u;
    return h;
}

static void task(void *arg, size_t t, size_t thread) {
    job *j = arg;
    if (thread >= (size_t)j->threads) {
        atomic_store(&j->bad_thread, 1);
        return;
    }
    if (atomic_exchange(&j->busy[thread], 1)) atomic_store(&j->shared_thread, 1);
#ifdef HAVE_AFFINITY
    if (thread && atomic_load(&j->demote) && !atomic_exchange(&j->demoted[thread], 1)) {
        struct sched_param sp = {0};
        pthread_setschedparam(pthread_self(), SCHED_IDLE, &sp);
    }
#endif
    j->out[t] = output(t, j->work);
    j->runs[t]++;
    j->stamp[t] = j->id;
    atomic_store(&j->busy[thread], 0);
}

static uint32_t rng = 12345;
static uint32_t next(void) {
    rng ^= rng << 13, rng ^= rng >> 17, rng ^= rng << 5;
    return rng;
}

/* one job of n tasks; checks it; returns 0 on a failure */
static int run_job(const pc_ctx *c, job *j, size_t n) {
    j->id++;
    pc_parallel(c, n, task, j);
    size_t lost = 0, twice = 0, stale = 0, wrong = 0, first = n;
    for (size_t t = 0; t < n; t++) {
        if (j->runs[t] == 0) lost++;
        if (j->runs[t] > 1) twice++;
        if (j->runs[t] && j->stamp[t] != j->id) stale++;
        if (j->runs[t] && j->out[t] != output(t, j->work)) wrong++;
        if ((j->runs[t] != 1 || j->stamp[t] != j->id || j->out[t] != output(t, j->work)) && first == n) first = t;
        j->runs[t] = 0;
        j->out[t] = 0;
    }
    size_t beyond = 0;
    for (size_t t = n; t < MAX_TASKS; t++) beyond += j->runs[t] != 0;
    int ok = !lost && !twice && !stale && !wrong && !beyond && !atomic_load(&j->bad_thread) && !atomic_load(&j->shared_thread);
    CHECK(ok, "%d threads, job %d of %zu tasks: %zu lost, %zu run twice, %zu stale, %zu wrong output, %zu beyond n (first bad %zu), thread index out of range %d, shared %d",
          j->threads, (int)j->id, n, lost, twice, stale, wrong, beyond, first, atomic_load(&j->bad_thread), atomic_load(&j->shared_thread));
    atomic_store(&j->bad_thread, 0);
    atomic_store(&j->shared_thread, 0);
    return ok;
}

static job J;

static void stress(const char *where, int jobs) {
    for (int threads = 2; threads <= MAX_THREADS; threads++) {
        pc_ctx c = {0};
        c.pool = pc_pool_create(threads);
        CHECK(pc_ctx_threads(&c) == threads, "%s: a pool of %d threads has %d", where, threads, pc_ctx_threads(&c));
        memset(&J, 0, sizeof J);
        J.threads = pc_ctx_threads(&c);
        int failed = 0;
        /* every count from 0 to 70 (around the thread count and its multiples), then random ones
         * up to MAX_TASKS, mostly small: short jobs back to back */
        for (int k = 0; k < jobs && failed < 5; k++) {
            size_t n = k <= 70 ? (size_t)k : (next() % 4 == 0 ? next() % MAX_TASKS : next() % 100);
            J.work = (int)(next() % 3) * 20;
            failed += !run_job(&c, &J, n);
        }
        pc_pool_destroy(c.pool);
        printf("pool: %s, %d threads, %d jobs %s\n", where, threads, jobs, failed ? "FAILED" : "ok");
    }
}

#ifdef HAVE_AFFINITY
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* workers at SCHED_IDLE on the caller's CPU get it only when nothing else wants it: jobs must not
 * wait for them. A pool that waited for every worker to take part would take about a scheduler
 * period of the idle class per job (near a second); these jobs take microseconds on the caller. */
static void starved_workers(void) {
    pc_ctx c = {0};
    c.pool = pc_pool_create(MAX_THREADS);
    memset(&J, 0, sizeof J);
    J.threads = pc_ctx_threads(&c);
    /* demote every worker: run jobs whose tasks sleep a little, so the workers get the CPU, join
     * and demote themselves (given up after 5 seconds) */
    atomic_store(&J.demote, 1);
    int all = 0;
    double t0 = now_s();
    while (!all && now_s() - t0 < 5) {
        J.work = 2000;
        run_job(&c, &J, 64);
        all = 1;
        for (int i = 1; i < J.threads; i++) all &= atomic_load(&J.demoted[i]);
    }
    CHECK(all, "starved workers: not every worker ran a task within 5 s");
    const int jobs = 300;
    const double limit = 10;
    t0 = now_s();
    int done = 0;
    for (; done < jobs && now_s() - t0 < limit; done++) {
        J.work = 20;
        if (!run_job(&c, &J, (size_t)(done % 200) + 2)) break;
    }
    double took = now_s() - t0;
    CHECK(done == jobs, "starved workers: %d of %d short jobs in %.1f s (the caller waits for workers it does not need)",
          done, jobs, took);
    printf("pool: %d short jobs beside %d SCHED_IDLE workers on one CPU: %.3f s\n", done, J.threads - 1, took);
    pc_pool_destroy(c.pool);
}
#endif

int main(void) {
    /* no pool, or fewer than 2 tasks: everything on the caller, thread 0 */
    memset(&J, 0, sizeof J);
    J.threads = 1;
    pc_ctx none = {0};
    for (size_t n = 0; n < 5; n++) run_job(&none, &J, n);
    CHECK(pc_pool_create(1) == NULL && pc_pool_create(0) == NULL && pc_pool_create(-3) == NULL, "a pool of fewer than 2 threads");

    stress("free", 3000);
#ifdef HAVE_AFFINITY
    /* again with every thread on one CPU (as under `taskset -c 0`): the workers are now mostly
     * descheduled while the caller runs */
    cpu_set_t all, one;
    if (sched_getaffinity(0, sizeof all, &all) == 0) {
        int cpu = 0;
        while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &all)) cpu++;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (cpu < CPU_SETSIZE && sched_setaffinity(0, sizeof one, &one) == 0) {
            stress("one CPU", 3000);
            starved_workers();
            sched_setaffinity(0, sizeof all, &all);
        } else {
            printf("pool: could not pin to one CPU; the one-CPU runs skipped\n");
        }
    }
#endif
    return check_done("pool");
}
