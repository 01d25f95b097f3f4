/* os.h — the little the library needs from the operating system besides memory: a mutex, a
 * monotonic clock and shared-library loading (POSIX here; Win32 where _WIN32; nothing in a
 * bare-metal build, PETITE_BARE_METAL). */
#ifndef PETITE_CORE_OS_H
#define PETITE_CORE_OS_H

#include <stddef.h>
#include <stdint.h>

#if defined(PETITE_BARE_METAL) /* one thread, no OS: the mutex does nothing */
typedef int pt_mutex;
#elif defined(_WIN32)
#include <windows.h>
typedef SRWLOCK pt_mutex;
#else
#include <pthread.h>
typedef pthread_mutex_t pt_mutex;
#endif

int pt_mutex_init(pt_mutex *m); /* 0 on success */
void pt_mutex_destroy(pt_mutex *m);
void pt_mutex_lock(pt_mutex *m);
void pt_mutex_unlock(pt_mutex *m);

/* Nanoseconds from a monotonic clock. */
uint64_t pt_now_ns(void);

/* Load a shared library (kept loaded for the process's life) and find `symbol` in it. NULL on
 * failure, with the system's reason in why[0..n). */
void *pt_dl_symbol(const char *path, const char *symbol, char *why, size_t n);

#endif
