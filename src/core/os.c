/* os.c — mutex and monotonic clock. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "core/os.h"

#include <time.h>

#if defined(_WIN32)
int pt_mutex_init(pt_mutex *m) {
    InitializeSRWLock(m);
    return 0;
}
void pt_mutex_destroy(pt_mutex *m) { (void)m; }
void pt_mutex_lock(pt_mutex *m) { AcquireSRWLockExclusive(m); }
void pt_mutex_unlock(pt_mutex *m) { ReleaseSRWLockExclusive(m); }
uint64_t pt_now_ns(void) {
    LARGE_INTEGER f, c;
    QueryPerformanceFrequency(&f);
    QueryPerformanceCounter(&c);
    return (uint64_t)((double)c.QuadPart * 1e9 / (double)f.QuadPart);
}
#else
int pt_mutex_init(pt_mutex *m) { return pthread_mutex_init(m, NULL); }
void pt_mutex_destroy(pt_mutex *m) { pthread_mutex_destroy(m); }
void pt_mutex_lock(pt_mutex *m) { pthread_mutex_lock(m); }
void pt_mutex_unlock(pt_mutex *m) { pthread_mutex_unlock(m); }
uint64_t pt_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
#endif
