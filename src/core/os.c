/* os.c — mutex, monotonic clock, shared libraries. */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif
#include "core/os.h"

#include <stdio.h>
#include <time.h>
#if !defined(_WIN32) && !defined(__EMSCRIPTEN__) && !defined(PETITE_NO_DLOPEN) && !defined(PETITE_BARE_METAL)
#include <dlfcn.h>
#endif

#if defined(PETITE_BARE_METAL)
int pt_mutex_init(pt_mutex *m) {
    *m = 0;
    return 0;
}
void pt_mutex_destroy(pt_mutex *m) { (void)m; }
void pt_mutex_lock(pt_mutex *m) { (void)m; }
void pt_mutex_unlock(pt_mutex *m) { (void)m; }
uint64_t pt_now_ns(void) { return 0; } /* no clock: profiles read zero */
void *pt_dl_symbol(const char *path, const char *symbol, char *why, size_t n) {
    (void)path, (void)symbol;
    snprintf(why, n, "a bare-metal build cannot load shared libraries");
    return NULL;
}
#elif defined(_WIN32)
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
void *pt_dl_symbol(const char *path, const char *symbol, char *why, size_t n) {
    HMODULE h = LoadLibraryA(path);
    if (!h) {
        snprintf(why, n, "LoadLibrary failed (error %lu)", (unsigned long)GetLastError());
        return NULL;
    }
    void *f = (void *)GetProcAddress(h, symbol);
    if (!f) snprintf(why, n, "no symbol %s", symbol);
    return f;
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
#if defined(__EMSCRIPTEN__) || defined(PETITE_NO_DLOPEN)
void *pt_dl_symbol(const char *path, const char *symbol, char *why, size_t n) {
    (void)path, (void)symbol;
    snprintf(why, n, "this build cannot load shared libraries");
    return NULL;
}
#else
void *pt_dl_symbol(const char *path, const char *symbol, char *why, size_t n) {
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, n, "%s", e ? e : "dlopen failed");
        return NULL;
    }
    dlerror();
    void *f = dlsym(h, symbol);
    if (!f) snprintf(why, n, "no symbol %s", symbol); /* h stays open: harmless, and dlclose could run destructors */
    return f;
}
#endif
#endif
