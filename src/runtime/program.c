/* program.c — open a `.pte` (mmap or buffer), verify its Program table, and serve its data. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* madvise */
#include "runtime/program.h"
#include "core/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "format/ptd.h"

#if defined(PETITE_BARE_METAL)
/* no file system: programs come from memory (petite_program_open_buffer) */
#elif !defined(_WIN32)
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#else
#include <windows.h>
#endif

#define PT_BUFFER_ALIGN 16u

static petite_status fail_open(pt_err *e, petite_program *p) {
    pt_set_last_error(e);
    petite_program_close(p);
    return e->status;
}

/* Verify the Program table: every top-level vector, the segment table against the file, the
 * constant-segment choice, and the plan names. Plans themselves are verified when loaded. */
static petite_status verify_program(petite_program *p, pt_err *e) {
    const fb_buf *b = &p->fb;
    petite_status s;
    if ((s = fb_root(b, &p->root, e, "Program")) != PETITE_OK) return s;
    if ((s = fb_u32(b, &p->root, PRG_VERSION, 0, &p->version, e, "Program.version")) ||
        (s = fb_vec_field(b, &p->root, PRG_EXECUTION_PLAN, 4, &p->plans, e,
                          "Program.execution_plan")) ||
        (s = fb_vec_field(b, &p->root, PRG_CONSTANT_BUFFER, 4, &p->constant_buffer, e,
                          "Program.constant_buffer")) ||
        (s = fb_vec_field(b, &p->root, PRG_BACKEND_DELEGATE_DATA, 4, &p->delegate_data, e,
                          "Program.backend_delegate_data")) ||
        (s = fb_vec_field(b, &p->root, PRG_SEGMENTS, 4, &p->segments, e, "Program.segments")) ||
        (s = fb_vec_field(b, &p->root, PRG_MUTABLE_DATA_SEGMENTS, 4, &p->mutable_segs, e,
                          "Program.mutable_data_segments")) ||
        (s = fb_vec_field(b, &p->root, PRG_NAMED_DATA, 4, &p->named_data, e,
                          "Program.named_data")))
        return s;

    fb_table cs;
    if ((s = fb_table_field(b, &p->root, PRG_CONSTANT_SEGMENT, &cs, e,
                            "Program.constant_segment")))
        return s;
    if (cs.pos) {
        if ((s = fb_u32(b, &cs, SUBSEG_SEGMENT_INDEX, 0, &p->const_segment, e,
                        "Program.constant_segment.segment_index")) ||
            (s = fb_vec_field(b, &cs, SUBSEG_OFFSETS, 8, &p->const_offsets, e,
                              "Program.constant_segment.offsets")))
            return s;
    }
    if (p->const_offsets.len > 0 && p->constant_buffer.len > 0)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "Program has both constant_segment.offsets and the legacy constant_buffer");
    if (p->const_offsets.len > 1 && p->const_segment >= p->segments.len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "Program.constant_segment.segment_index %u: only %u segments",
                       p->const_segment, p->segments.len);

    /* every segment must lie inside the file */
    for (uint32_t i = 0; i < p->segments.len; i++) {
        const uint8_t *ptr;
        uint64_t size;
        if ((s = pt_program_segment(p, i, &ptr, &size, e))) return s;
    }

    if (p->plans.len == 0)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "Program.execution_plan is empty");
    p->nplans = p->plans.len;
    p->plan_names = pt_calloc(p->nplans, sizeof *p->plan_names);
    if (!p->plan_names)
        return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for %u plan names",
                       p->nplans);
    for (uint32_t i = 0; i < p->nplans; i++) {
        fb_table plan;
        uint32_t len;
        if ((s = pt_program_plan(p, i, &plan, e)) ||
            (s = fb_string_field(b, &plan, PLAN_NAME, &p->plan_names[i], &len, e,
                                 "ExecutionPlan.name")))
            return pt_prefix(e, "execution_plan[%u]", i);
        if (!p->plan_names[i])
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "execution_plan[%u] has no name", i);
    }
    return PETITE_OK;
}

static petite_status finish_open(petite_program *p, petite_program **out, pt_err *e) {
    petite_status s = pte_parse_header(p->data, p->size, &p->hdr, e);
    if (s != PETITE_OK) return fail_open(e, p);
    p->fb.p = p->data;
    p->fb.n = (size_t)p->hdr.program_size;
    if ((s = verify_program(p, e)) != PETITE_OK) return fail_open(e, p);
    *out = p;
    return PETITE_OK;
}

/* ---- the derived-constant cache (core/cache.h) ---- */

struct pt_cache_entry {
    pt_cache_entry *next;
    const void *data;
    size_t desc_len, size;
    void *buf;
    unsigned char desc[]; /* desc_len bytes */
};

/* [data, data + bytes) of the file mapping will not be read again (its derived copy replaces it, or it
 * was folded into one): mark its 16-byte granules (constants are 16-byte aligned), and give a page
 * back to the OS once every granule of it has been handed back, so a page shared by two constants
 * goes when both have. Marking is idempotent. A later read of a page given back faults it in from
 * the file again: nothing is lost, but the kernel may map the page cache's whole large folio around
 * it, so nothing should read such bytes at run time (and each call gives back again what such a
 * fault mapped within 2 MiB of its range). Called with the cache lock held. */
#define PT_GRANULE 16
static void release_source(petite_program *p, const void *data, size_t bytes) {
#if !defined(_WIN32) && !defined(PETITE_BARE_METAL)
    if (!p->map || !bytes) return;
    const uintptr_t lo = (uintptr_t)data, hi = lo + bytes, mlo = (uintptr_t)p->map, mhi = mlo + p->map_size;
    if (lo < mlo || hi > mhi || hi < lo) return;
    const size_t page = (size_t)sysconf(_SC_PAGESIZE), npages = (p->map_size + page - 1) / page;
    const size_t per = page / PT_GRANULE, words = (per + 63) / 64;
    if (page % PT_GRANULE || words > 64) { /* an unusual page size: whole pages inside the range only */
        uintptr_t a = (lo + page - 1) / page * page, b = hi / page * page;
        if (b > a) madvise((void *)a, b - a, MADV_DONTNEED);
        return;
    }
    if (!p->released && !(p->released = pt_calloc(npages * words, sizeof *p->released))) return;
    const size_t g0 = (lo - mlo) / PT_GRANULE, g1 = (hi - mlo + PT_GRANULE - 1) / PT_GRANULE; /* granules [g0, g1) */
    const size_t glast = (p->map_size + PT_GRANULE - 1) / PT_GRANULE; /* granules past the file count as given */
    for (size_t pg = g0 / per; pg * per < g1; pg++) /* mark */
        for (size_t gi = pg * per > g0 ? pg * per : g0; gi < (pg + 1) * per && gi < g1; gi++)
            p->released[pg * words + (gi % per) / 64] |= (uint64_t)1 << (gi % 64);
    /* give back every page all of whose granules are given, here and within 2 MiB around: the page
       cache may hold the file in large folios, and a fault maps a whole folio, pages given back
       before among them (reading the next constant would otherwise keep its neighbours resident) */
    const size_t win = ((size_t)2 << 20) / page;
    const size_t pa = g0 / per > win ? (g0 / per) / win * win - win : 0;
    const size_t pb = (g1 + per - 1) / per / win * win + 2 * win < npages ? (g1 + per - 1) / per / win * win + 2 * win : npages;
    size_t run0 = 0, runn = 0; /* one madvise per run of adjacent pages */
    for (size_t pg = pa; pg < pb; pg++) {
        const uint64_t *w = p->released + pg * words;
        bool all = true;
        for (size_t k = 0; k < per && all; k += 64) {
            const size_t gi = pg * per + k; /* granules past the file count as given */
            const size_t n = gi >= glast ? 0 : glast - gi < 64 ? glast - gi : 64;
            const uint64_t want = n == 64 ? ~(uint64_t)0 : (((uint64_t)1 << n) - 1);
            all = (w[k / 64] & want) == want;
        }
        if (!all) continue;
        if (runn && run0 + runn == pg) runn++;
        else {
            if (runn) madvise((uint8_t *)p->map + run0 * page, runn * page, MADV_DONTNEED);
            run0 = pg, runn = 1;
        }
    }
    if (runn) madvise((uint8_t *)p->map + run0 * page, runn * page, MADV_DONTNEED);
#else
    (void)p, (void)data, (void)bytes;
#endif
}

static void consumed(void *ctx, const void *src, size_t bytes) { release_source(ctx, src, bytes); }

void pt_program_drop_pages(petite_program *p) {
#if !defined(_WIN32) && !defined(PETITE_BARE_METAL)
    if (p->map && p->map_size) madvise(p->map, p->map_size, MADV_DONTNEED);
#else
    (void)p;
#endif
}

static void cache_release(void *owner, const void *data, size_t bytes) {
    petite_program *p = owner;
    pt_mutex_lock(&p->cache_lock);
    release_source(p, data, bytes);
    pt_mutex_unlock(&p->cache_lock);
}

/* A derived constant: large ones start on a 2 MiB boundary and their whole 2 MiB pages are marked
 * for transparent huge pages (packed weights are streamed every run: fewer TLB misses) */
#define HUGE_PAGE (2u << 20)
static void *derived_alloc(size_t size) {
#if !defined(_WIN32) && defined(MADV_HUGEPAGE)
    if (size >= 2 * (size_t)HUGE_PAGE) {
        void *p = NULL;
        if (posix_memalign(&p, HUGE_PAGE, size) != 0) return NULL;
        /* whole huge pages only: the tail stays in small pages, so resident memory does not grow */
        madvise(p, size / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE); /* a hint: ignored where THP is off */
        return p;
    }
#endif
    return pt_aligned_alloc(size ? size : 1);
}

static const void *cache_get(void *owner, const void *data, size_t data_bytes, const void *desc, size_t desc_len,
                             size_t size, pt_fill_fn fill, const void *arg, uint64_t *charged, pt_err *e) {
    petite_program *p = owner;
    void *found = NULL;
    pt_mutex_lock(&p->cache_lock);
    for (pt_cache_entry *c = p->cache_entries; c && !found; c = c->next)
        if (c->data == data && c->size == size && c->desc_len == desc_len && memcmp(c->desc, desc, desc_len) == 0)
            found = c->buf;
    if (!found) {
        pt_cache_entry *c = pt_malloc(sizeof *c + desc_len);
        void *buf = c ? derived_alloc(size) : NULL;
        if (!buf) {
            pt_free(c);
            pt_mutex_unlock(&p->cache_lock);
            pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for %zu bytes of packed constants", size);
            return NULL;
        }
        fill(buf, arg, consumed, p);
        release_source(p, data, data_bytes);
        c->data = data, c->desc_len = desc_len, c->size = size, c->buf = buf;
        memcpy(c->desc, desc, desc_len);
        c->next = p->cache_entries;
        p->cache_entries = c;
        found = buf;
    }
    pt_mutex_unlock(&p->cache_lock);
    *charged = size;
    return found;
}

/* Common start of the open functions: check arguments, allocate the handle. NULL on failure
 * (the thread's last error says why). */
static petite_program *begin_open(const char *fn, const char *what_null, bool bad,
                                  petite_program **out, pt_err *e) {
    pt_err_clear(e);
    if (!out || bad) {
        pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: NULL %s", fn, out ? what_null : "out");
        pt_set_last_error(e);
        return NULL;
    }
    *out = NULL;
    petite_program *p = pt_calloc(1, sizeof *p);
    if (!p || pt_mutex_init(&p->cache_lock) != 0) {
        pt_free(p);
        pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for a program");
        pt_set_last_error(e);
        return NULL;
    }
    p->cache_lock_ok = 1;
    p->cache.owner = p;
    p->cache.get = cache_get;
    p->cache.release = cache_release;
    return p;
}

petite_status petite_program_open_buffer(const void *data, size_t size, uint32_t flags,
                                         petite_program **out) {
    pt_err e;
    petite_program *p = begin_open("petite_program_open_buffer", "data", !data && size, out, &e);
    if (!p) return e.status;
    if ((flags & PETITE_ZERO_COPY) && ((uintptr_t)data % PT_BUFFER_ALIGN) == 0) {
        p->data = data;
    } else if (size) {
        p->owned = pt_aligned_alloc(size);
        if (!p->owned) {
            pt_fail(&e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory to copy a %zu-byte program",
                    size);
            return fail_open(&e, p);
        }
        memcpy(p->owned, data, size);
        p->data = p->owned;
    } else {
        p->data = (const uint8_t *)"";
    }
    p->size = size;
    return finish_open(p, out, &e);
}

petite_status petite_program_open_file(const char *path, petite_program **out) {
    pt_err e;
    petite_program *p = begin_open("petite_program_open_file", "path", !path, out, &e);
    if (!p) return e.status;
#if defined(PETITE_BARE_METAL)
    pt_fail(&e, PETITE_ERR_NOT_SUPPORTED, "a bare-metal build has no file system: open '%s' from memory with "
            "petite_program_open_buffer", path);
    return fail_open(&e, p);
#elif !defined(_WIN32)
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        pt_fail(&e, PETITE_ERR_ACCESS_FAILED, "cannot open '%s': %s", path, strerror(errno));
        return fail_open(&e, p);
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        pt_fail(&e, PETITE_ERR_ACCESS_FAILED, "'%s' is not a regular file", path);
        close(fd);
        return fail_open(&e, p);
    }
    p->size = (size_t)st.st_size;
    if (p->size > 0) {
        void *m = mmap(NULL, p->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            pt_fail(&e, PETITE_ERR_ACCESS_FAILED, "cannot map '%s': %s", path, strerror(errno));
            close(fd);
            return fail_open(&e, p);
        }
#ifdef MADV_NOHUGEPAGE
        /* small pages only: packing hands the weights' pages back as it goes (release_source), which
         * a 2 MiB mapping of the page cache would keep resident */
        madvise(m, p->size, MADV_NOHUGEPAGE);
#endif
        p->map = m;
        p->map_size = p->size;
        p->data = m;
    } else {
        p->data = (const uint8_t *)"";
    }
    close(fd);
#else
    /* a read-only view of the file: zero-copy, as mmap elsewhere */
    HANDLE fh = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    if (fh == INVALID_HANDLE_VALUE) {
        pt_fail(&e, PETITE_ERR_ACCESS_FAILED, "cannot open '%s' (error %lu)", path, (unsigned long)GetLastError());
        return fail_open(&e, p);
    }
    LARGE_INTEGER sz;
    if (!GetFileSizeEx(fh, &sz) || GetFileType(fh) != FILE_TYPE_DISK || (uint64_t)sz.QuadPart > (uint64_t)SIZE_MAX) {
        pt_fail(&e, PETITE_ERR_ACCESS_FAILED, "'%s' is not a regular file", path);
        CloseHandle(fh);
        return fail_open(&e, p);
    }
    p->size = (size_t)sz.QuadPart;
    if (p->size > 0) {
        HANDLE mh = CreateFileMappingA(fh, NULL, PAGE_READONLY, 0, 0, NULL);
        void *m = mh ? MapViewOfFile(mh, FILE_MAP_READ, 0, 0, 0) : NULL;
        if (mh) CloseHandle(mh); /* the view keeps the mapping */
        if (!m) {
            pt_fail(&e, PETITE_ERR_ACCESS_FAILED, "cannot map '%s' (error %lu)", path, (unsigned long)GetLastError());
            CloseHandle(fh);
            return fail_open(&e, p);
        }
        p->map = m;
        p->map_size = p->size;
        p->data = m;
    } else {
        p->data = (const uint8_t *)"";
    }
    CloseHandle(fh);
#endif
    petite_status s = finish_open(p, out, &e);
    if (s != PETITE_OK) {
        /* say which file */
        pt_prefix(&e, "'%s'", path);
        pt_set_last_error(&e);
    }
    return s;
}

void petite_program_close(petite_program *p) {
    if (!p) return;
#if defined(PETITE_BARE_METAL)
    (void)0;
#elif !defined(_WIN32)
    if (p->map) munmap(p->map, p->map_size);
#else
    if (p->map) UnmapViewOfFile(p->map);
#endif
    pt_aligned_free(p->owned);
    for (size_t i = 0; i < p->nptd; i++) pt_ptd_close(p->ptd[i]);
    pt_free(p->ptd);
    pt_free(p->plan_names);
    pt_free(p->released);
    while (p->cache_entries) {
        pt_cache_entry *c = p->cache_entries;
        p->cache_entries = c->next;
        pt_aligned_free(c->buf);
        pt_free(c);
    }
    if (p->cache_lock_ok) pt_mutex_destroy(&p->cache_lock);
    pt_free(p);
}

const char *petite_program_errmsg(const petite_program *p) {
    return p ? p->err.msg : "NULL program handle";
}

petite_status petite_program_attach_data_file(petite_program *p, const char *path) {
    if (!p) return pt_bad_args(__func__);
    pt_err_clear(&p->err);
    if (atomic_load(&p->methods_loaded)) {
        pt_fail(&p->err, PETITE_ERR_INVALID_STATE,
                "attach data files before loading methods (a method of this program is loaded)");
        pt_set_last_error(&p->err);
        return p->err.status;
    }
    pt_ptd *d = NULL;
    petite_status s = pt_ptd_open(path, &d, &p->err);
    /* one key, one blob: a key an earlier attached file (or the program) already serves is refused */
    for (uint32_t i = 0; s == PETITE_OK && i < pt_ptd_count(d); i++) {
        const char *key;
        uint32_t klen;
        const uint8_t *ptr;
        uint64_t size;
        pt_err quiet;
        if ((s = pt_ptd_key(d, i, &key, &klen, &p->err))) break;
        pt_err_clear(&quiet);
        if (pt_program_named(p, key, klen, &ptr, &size, &quiet) == PETITE_OK)
            s = pt_fail(&p->err, PETITE_ERR_INVALID_EXTERNAL_DATA, "%s: key '%.*s' is already served by %s", path,
                        (int)(klen > 200 ? 200 : klen), key, "the program or a data file attached before");
    }
    if (s != PETITE_OK && d) {
        pt_ptd_close(d);
        d = NULL;
    }
    if (s == PETITE_OK) {
        pt_ptd **grown = pt_realloc(p->ptd, (p->nptd + 1) * sizeof *grown);
        if (!grown) {
            pt_ptd_close(d);
            s = pt_fail(&p->err, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
        } else {
            p->ptd = grown;
            p->ptd[p->nptd++] = d;
        }
    }
    if (s != PETITE_OK) pt_set_last_error(&p->err);
    return s;
}

petite_status petite_program_method_count(const petite_program *p, size_t *count) {
    if (!p || !count) return pt_bad_args(__func__);
    *count = p->nplans;
    return PETITE_OK;
}

petite_status petite_program_method_name(const petite_program *p, size_t i, const char **name) {
    if (!p || !name) return pt_bad_args(__func__);
    if (i >= p->nplans) return PETITE_ERR_NOT_FOUND;
    *name = p->plan_names[i];
    return PETITE_OK;
}

int64_t pt_program_find_plan(const petite_program *p, const char *name) {
    for (uint32_t i = 0; i < p->nplans; i++)
        if (strcmp(p->plan_names[i], name) == 0) return i;
    return -1;
}

petite_status pt_program_plan(const petite_program *p, uint32_t i, fb_table *t, pt_err *e) {
    return fb_vec_table(&p->fb, &p->plans, i, t, e, "Program.execution_plan");
}

petite_status pt_program_segment(const petite_program *p, uint64_t index, const uint8_t **ptr,
                                 uint64_t *size, pt_err *e) {
    if (index >= p->segments.len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "segment %llu does not exist (%u segments)",
                       (unsigned long long)index, p->segments.len);
    fb_table seg;
    uint64_t off, sz;
    petite_status s;
    if ((s = fb_vec_table(&p->fb, &p->segments, (uint32_t)index, &seg, e, "Program.segments")) ||
        (s = fb_u64(&p->fb, &seg, SEGMENT_OFFSET, 0, &off, e, "DataSegment.offset")) ||
        (s = fb_u64(&p->fb, &seg, SEGMENT_SIZE, 0, &sz, e, "DataSegment.size")))
        return s;
    uint64_t base = p->hdr.segment_base;
    if (sz > 0 && (!p->hdr.present || base == 0))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "segment %llu has data but the file has no segment base (extended header)",
                       (unsigned long long)index);
    if (base > p->size || off > p->size - base || sz > p->size - base - off)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "segment %llu [%llu, +%llu) lies outside the %zu-byte file",
                       (unsigned long long)index, (unsigned long long)(base + off),
                       (unsigned long long)sz, p->size);
    *ptr = p->data + base + off;
    *size = sz;
    return PETITE_OK;
}

petite_status pt_program_constant(const petite_program *p, uint32_t idx, uint64_t nbytes,
                                  const uint8_t **ptr, pt_err *e) {
    petite_status s;
    if (p->const_offsets.len > 0) {
        if (idx >= p->const_offsets.len)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "data_buffer_idx %u: the constant segment has %u entries", idx,
                           p->const_offsets.len);
        const uint8_t *seg;
        uint64_t segsize;
        if ((s = pt_program_segment(p, p->const_segment, &seg, &segsize, e))) return s;
        uint64_t off = fb_vec_u64(&p->fb, &p->const_offsets, idx);
        if (off > segsize || nbytes > segsize - off)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "constant %u: %llu bytes at offset %llu overrun the %llu-byte constant segment",
                           idx, (unsigned long long)nbytes, (unsigned long long)off,
                           (unsigned long long)segsize);
        *ptr = seg + off;
        return PETITE_OK;
    }
    if (idx >= p->constant_buffer.len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "data_buffer_idx %u: the program has %u constant buffers", idx,
                       p->constant_buffer.len);
    fb_table buf;
    fb_vec storage;
    if ((s = fb_vec_table(&p->fb, &p->constant_buffer, idx, &buf, e, "Program.constant_buffer")) ||
        (s = fb_vec_field(&p->fb, &buf, BUFFER_STORAGE, 1, &storage, e, "Buffer.storage")))
        return s;
    if (nbytes > storage.len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "constant_buffer[%u] has %u bytes, the tensor needs %llu", idx, storage.len,
                       (unsigned long long)nbytes);
    *ptr = p->fb.p + storage.pos;
    return PETITE_OK;
}

petite_status pt_program_mutable(const petite_program *p, uint64_t table, uint32_t idx,
                                 uint64_t nbytes, const uint8_t **ptr, pt_err *e) {
    if (table >= p->mutable_segs.len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "mutable_data_segments[%llu] does not exist (%u entries)",
                       (unsigned long long)table, p->mutable_segs.len);
    fb_table sub;
    fb_vec offs;
    uint32_t segi;
    petite_status s;
    if ((s = fb_vec_table(&p->fb, &p->mutable_segs, (uint32_t)table, &sub, e,
                          "Program.mutable_data_segments")) ||
        (s = fb_u32(&p->fb, &sub, SUBSEG_SEGMENT_INDEX, 0, &segi, e,
                    "SubsegmentOffsets.segment_index")) ||
        (s = fb_vec_field(&p->fb, &sub, SUBSEG_OFFSETS, 8, &offs, e, "SubsegmentOffsets.offsets")))
        return s;
    if (idx >= offs.len)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "mutable data index %u: the table has %u entries", idx, offs.len);
    const uint8_t *seg;
    uint64_t segsize;
    if ((s = pt_program_segment(p, segi, &seg, &segsize, e))) return s;
    uint64_t off = fb_vec_u64(&p->fb, &offs, idx);
    if (off > segsize || nbytes > segsize - off)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "mutable data %u: %llu bytes at %llu overrun the %llu-byte segment", idx,
                       (unsigned long long)nbytes, (unsigned long long)off,
                       (unsigned long long)segsize);
    *ptr = seg + off;
    return PETITE_OK;
}

petite_status pt_program_named(const petite_program *p, const char *key, size_t keylen,
                               const uint8_t **ptr, uint64_t *size, pt_err *e) {
    petite_status s;
    for (uint32_t i = 0; i < p->named_data.len; i++) {
        fb_table nd;
        const char *k;
        uint32_t klen, segi;
        if ((s = fb_vec_table(&p->fb, &p->named_data, i, &nd, e, "Program.named_data")) ||
            (s = fb_string_field(&p->fb, &nd, NAMED_KEY, &k, &klen, e, "NamedData.key")))
            return s;
        if (!k || klen != keylen || memcmp(k, key, keylen) != 0) continue;
        if ((s = fb_u32(&p->fb, &nd, NAMED_SEGMENT_INDEX, 0, &segi, e, "NamedData.segment_index")))
            return s;
        return pt_program_segment(p, segi, ptr, size, e);
    }
    for (size_t i = 0; i < p->nptd; i++) {
        s = pt_ptd_get(p->ptd[i], key, keylen, ptr, size, e);
        if (s != PETITE_ERR_NOT_FOUND) return s;
    }
    return pt_fail(e, PETITE_ERR_NOT_FOUND,
                   "named data '%.*s' is neither in the program nor in an attached .ptd file",
                   (int)(keylen > 200 ? 200 : keylen), key);
}

petite_status pt_program_delegate_blob(const petite_program *p, uint8_t location, uint32_t index,
                                       const uint8_t **ptr, uint64_t *size, pt_err *e) {
    if (location == PTE_LOCATION_SEGMENT) return pt_program_segment(p, index, ptr, size, e);
    if (location != PTE_LOCATION_INLINE)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "unknown delegate data location %u",
                       (unsigned)location);
    fb_table d;
    fb_vec v;
    petite_status s;
    if ((s = fb_vec_table(&p->fb, &p->delegate_data, index, &d, e,
                          "Program.backend_delegate_data")) ||
        (s = fb_vec_field(&p->fb, &d, 0, 1, &v, e, "BackendDelegateInlineData.data")))
        return s;
    *ptr = p->fb.p + v.pos;
    *size = v.len;
    return PETITE_OK;
}
