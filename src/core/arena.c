#include "core/arena.h"
#include "core/mem.h"

#include <stdint.h>
#include <stdlib.h>
#if defined(_WIN32)
#include <malloc.h>
#endif
#include <string.h>

#define PT_ARENA_ALIGN 64
#define PT_ARENA_CHUNK (64u * 1024u)

struct pt_arena_block {
    pt_arena_block *next;
    size_t used, cap;
    unsigned char *mem; /* aligned start of the usable area */
};

void *pt_aligned_alloc(size_t size) {
    if (size == 0) size = 1;
    if (size > SIZE_MAX - PT_ARENA_ALIGN) return NULL;
    size = (size + PT_ARENA_ALIGN - 1) & ~(size_t)(PT_ARENA_ALIGN - 1);
#if defined(_WIN32)
    return _aligned_malloc(size, PT_ARENA_ALIGN); /* no C11 aligned_alloc in the Windows C runtime */
#elif defined(PETITE_BARE_METAL)
    return pt_aligned_zalloc(size); /* newlib-nano has no posix_memalign behind aligned_alloc */
#else
    return aligned_alloc(PT_ARENA_ALIGN, size);
#endif
}

#if defined(_WIN32)
void pt_aligned_free(void *p) { _aligned_free(p); }
#elif defined(PETITE_BARE_METAL)
void pt_aligned_free(void *p) { pt_aligned_zfree(p); }
#else
void pt_aligned_free(void *p) { pt_free(p); }
#endif

void *pt_aligned_zalloc(size_t size) {
    if (size > SIZE_MAX - PT_ARENA_ALIGN - sizeof(void *)) return NULL;
    unsigned char *raw = pt_calloc(1, size + PT_ARENA_ALIGN + sizeof(void *));
    if (!raw) return NULL;
    uintptr_t at = ((uintptr_t)(raw + sizeof(void *)) + PT_ARENA_ALIGN - 1) & ~(uintptr_t)(PT_ARENA_ALIGN - 1);
    memcpy((void *)(at - sizeof(void *)), &raw, sizeof raw);
    return (void *)at;
}

void pt_aligned_zfree(void *p) {
    if (!p) return;
    void *raw;
    memcpy(&raw, (unsigned char *)p - sizeof raw, sizeof raw);
    pt_free(raw);
}

void *pt_arena_alloc(pt_arena *a, size_t size) {
    if (size > SIZE_MAX / 2) return NULL;
    size_t need = (size + PT_ARENA_ALIGN - 1) & ~(size_t)(PT_ARENA_ALIGN - 1);
    if (need == 0) need = PT_ARENA_ALIGN;
    pt_arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > PT_ARENA_CHUNK ? need : PT_ARENA_CHUNK;
        b = pt_malloc(sizeof *b);
        if (!b) return NULL;
        b->mem = pt_aligned_alloc(cap);
        if (!b->mem) {
            pt_free(b);
            return NULL;
        }
        b->used = 0;
        b->cap = cap;
        /* keep the partly used block in front when the new one is a one-off large block */
        if (a->head && need > PT_ARENA_CHUNK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->mem + b->used;
    b->used += need;
    a->total += need;
    memset(p, 0, need);
    return p;
}

void *pt_arena_calloc(pt_arena *a, size_t n, size_t size) {
    if (size != 0 && n > SIZE_MAX / size) return NULL;
    return pt_arena_alloc(a, n * size);
}

void pt_arena_free(pt_arena *a) {
    pt_arena_block *b = a->head;
    while (b) {
        pt_arena_block *next = b->next;
        pt_aligned_free(b->mem);
        pt_free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}
