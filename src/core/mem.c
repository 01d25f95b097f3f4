/* mem.c — the bare-metal heap (PETITE_BARE_METAL): first fit over the region given with
 * petite_set_heap. Blocks lie end to end, each a header (its size, the low bit set when in use)
 * then the payload, 16-byte aligned; free neighbours are merged as the search walks past them.
 * Hosted builds use the C library instead (mem.h) and have only petite_set_heap's refusal here. */
#include "core/mem.h"

#include <stdint.h>
#include <string.h>

#include "core/error.h"

#if defined(PETITE_BARE_METAL)

#define ALIGN 16u
typedef struct blk {
    size_t size; /* bytes of the block, header included; bit 0: in use */
    size_t pad;  /* keeps the payload 16-byte aligned on 32- and 64-bit targets */
#if UINTPTR_MAX == 0xFFFFFFFFu
    size_t pad2[2];
#endif
} blk;

static unsigned char *heap_base;
static size_t heap_bytes;

petite_status petite_set_heap(void *mem, size_t bytes) {
    if (!mem) return pt_bad_args(__func__);
    uintptr_t a = ((uintptr_t)mem + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    size_t lost = (size_t)(a - (uintptr_t)mem);
    if (bytes < lost + 4 * sizeof(blk)) return pt_bad_args(__func__);
    heap_base = (unsigned char *)a;
    heap_bytes = (bytes - lost) & ~(size_t)(ALIGN - 1);
    blk *b = (blk *)heap_base;
    b->size = heap_bytes;
    return PETITE_OK;
}

static blk *next_of(blk *b) { return (blk *)((unsigned char *)b + (b->size & ~(size_t)1)); }
static int inside(const blk *b) { return (const unsigned char *)b < heap_base + heap_bytes; }

void *pt_malloc(size_t n) {
    if (!heap_base || n > heap_bytes) return NULL;
    const size_t need = (sizeof(blk) + n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    for (blk *b = (blk *)heap_base; inside(b); b = next_of(b)) {
        if (b->size & 1) continue;
        while (inside(next_of(b)) && !(next_of(b)->size & 1)) b->size += next_of(b)->size; /* merge free runs */
        if (b->size < need) continue;
        if (b->size - need >= 2 * sizeof(blk) + ALIGN) { /* split off the rest */
            blk *rest = (blk *)((unsigned char *)b + need);
            rest->size = b->size - need;
            b->size = need;
        }
        b->size |= 1;
        return b + 1;
    }
    return NULL;
}

void pt_free(void *p) {
    if (p) ((blk *)p - 1)->size &= ~(size_t)1;
}

void *pt_calloc(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    void *p = pt_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

void *pt_realloc(void *p, size_t n) {
    if (!p) return pt_malloc(n);
    const size_t have = (((blk *)p - 1)->size & ~(size_t)1) - sizeof(blk);
    if (n <= have) return p;
    void *q = pt_malloc(n);
    if (!q) return NULL;
    memcpy(q, p, have);
    pt_free(p);
    return q;
}

#else

petite_status petite_set_heap(void *mem, size_t bytes) {
    (void)mem, (void)bytes;
    return PETITE_ERR_NOT_SUPPORTED; /* hosted builds allocate with the C library */
}

#endif
