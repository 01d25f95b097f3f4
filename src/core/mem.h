/* mem.h — the library's heap. Hosted builds: the C library's malloc family (macros, so tools that
 * wrap malloc still see every call). Bare-metal builds (PETITE_BARE_METAL): a first-fit allocator
 * over the one region the application hands over with petite_set_heap; the C library's malloc is
 * never called. */
#ifndef PETITE_CORE_MEM_H
#define PETITE_CORE_MEM_H

#include <stddef.h>

#if defined(PETITE_BARE_METAL)
void *pt_malloc(size_t n);
void *pt_calloc(size_t n, size_t size);
void *pt_realloc(void *p, size_t n);
void pt_free(void *p);
#else
#include <stdlib.h>
#define pt_malloc(n) malloc(n)
#define pt_calloc(n, size) calloc((n), (size))
#define pt_realloc(p, n) realloc((p), (n))
#define pt_free(p) free(p)
#endif

#endif
