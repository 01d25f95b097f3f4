/* arena.h — bump allocator for everything a method or plan description owns.
 * Allocation happens at load; the run loop never allocates. Freed all at once. */
#ifndef PETITE_CORE_ARENA_H
#define PETITE_CORE_ARENA_H

#include <stddef.h>

typedef struct pt_arena_block pt_arena_block;
typedef struct pt_arena {
    pt_arena_block *head;
    size_t total; /* bytes handed out, for reporting */
} pt_arena;

/* Zeroed memory aligned to 64 bytes, or NULL (out of memory or size overflow). */
void *pt_arena_alloc(pt_arena *a, size_t size);
/* n * size with overflow check. */
void *pt_arena_calloc(pt_arena *a, size_t n, size_t size);
void pt_arena_free(pt_arena *a);

/* 64-byte aligned heap memory (planned buffers, copies); free with pt_aligned_free. */
void *pt_aligned_alloc(size_t size);
void pt_aligned_free(void *p);
/* 64-byte aligned zeroed memory that costs no resident pages until written (calloc underneath: a
 * large block is fresh zero pages); free with pt_aligned_zfree. */
void *pt_aligned_zalloc(size_t size);
void pt_aligned_zfree(void *p);

#endif
