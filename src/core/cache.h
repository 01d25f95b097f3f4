/* cache.h — constants derived once per program (packed weights), shared by every method instance
 * and thread. The runtime implements it (runtime/program.c); kernels and backends reach it through
 * this interface only, so they never see the program. */
#ifndef PETITE_CORE_CACHE_H
#define PETITE_CORE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Writes the derived form of `arg` into dst (size bytes, 64-byte aligned). Cannot fail. It may
 * call consumed(ctx, src, bytes) for source bytes it will not read again (so a memory-mapped
 * file's pages can go back to the OS while a large constant is still being derived). */
typedef void (*pt_fill_fn)(void *dst, const void *arg, void (*consumed)(void *ctx, const void *src, size_t bytes),
                           void *ctx);

typedef struct pt_const_cache {
    void *owner;
    /* The derived constant for (data, desc): made once with fill(dst, arg) and kept until the
     * program closes. data is the source constant (its address identifies it; data_bytes its
     * length: once derived, a memory-mapped source's pages are handed back to the OS, and read
     * again from the file only if something still reads them), desc the bytes that say how it was
     * derived (layout, ISA, shape); size the derived bytes. NULL with *e set on failure (out of
     * memory). *charged is set to size (the caller counts it against its memory limit). */
    const void *(*get)(void *owner, const void *data, size_t data_bytes, const void *desc, size_t desc_len,
                       size_t size, pt_fill_fn fill, const void *arg, uint64_t *charged, pt_err *e);
    /* Source bytes the caller will not read again though no derived constant was made from them
     * (a bias or scales folded into one): a memory-mapped file's page goes back to the OS once every
     * byte of it has been handed back this way or through get. */
    void (*release)(void *owner, const void *data, size_t bytes);
} pt_const_cache;

#endif
