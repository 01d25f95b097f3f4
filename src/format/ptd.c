/* ptd.c — FlatTensor reader. Layout: [root u32]["FT01"]["FH01"][u32 length >= 40]
 * [u64 flatbuffer_offset][u64 flatbuffer_size][u64 segment_base_offset][u64 segment_data_size],
 * then the flatbuffer FlatTensor{version, segments:[DataSegment], named_data:[NamedData]} and
 * the segments. NamedData{key, segment_index, tensor_layout}. */
#include "format/ptd.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "format/fb.h"

enum { FT_VERSION, FT_SEGMENTS, FT_NAMED_DATA };
enum { FTN_KEY, FTN_SEGMENT_INDEX, FTN_LAYOUT };
enum { FTS_OFFSET, FTS_SIZE };

struct pt_ptd {
    uint8_t *data;
    size_t size;
    fb_buf fb;
    fb_vec segments, named;
    uint64_t seg_base;
};

void pt_ptd_close(pt_ptd *d) {
    if (!d) return;
    pt_aligned_free(d->data);
    pt_free(d);
}

uint32_t pt_ptd_count(const pt_ptd *d) { return d->named.len; }

static petite_status parse(pt_ptd *d, pt_err *e) {
    const uint8_t *p = d->data;
    if (d->size < 48 || memcmp(p + 4, "FT01", 4) != 0 || memcmp(p + 8, "FH01", 4) != 0)
        return pt_fail(e, PETITE_ERR_INVALID_EXTERNAL_DATA,
                       "not a .ptd file (want identifier \"FT01\" and header \"FH01\")");
    uint32_t hlen = fb_rd_u32(p + 12);
    uint64_t fb_off = fb_rd_u64(p + 16), fb_size = fb_rd_u64(p + 24);
    uint64_t seg_base = fb_rd_u64(p + 32), seg_size = fb_rd_u64(p + 40);
    if (hlen < 40 || fb_off > d->size || fb_size > d->size - fb_off)
        return pt_fail(e, PETITE_ERR_INVALID_EXTERNAL_DATA,
                       ".ptd header: flatbuffer [%llu, +%llu) does not fit the %zu-byte file",
                       (unsigned long long)fb_off, (unsigned long long)fb_size, d->size);
    if (seg_base > d->size || seg_size > d->size - seg_base)
        return pt_fail(e, PETITE_ERR_INVALID_EXTERNAL_DATA,
                       ".ptd header: segments [%llu, +%llu) do not fit the %zu-byte file",
                       (unsigned long long)seg_base, (unsigned long long)seg_size, d->size);
    d->seg_base = seg_base;
    d->fb.p = p;
    d->fb.n = (size_t)(fb_off + fb_size);
    fb_table root;
    petite_status s;
    if ((s = fb_root(&d->fb, &root, e, "FlatTensor")) ||
        (s = fb_vec_field(&d->fb, &root, FT_SEGMENTS, 4, &d->segments, e, "FlatTensor.segments")) ||
        (s = fb_vec_field(&d->fb, &root, FT_NAMED_DATA, 4, &d->named, e, "FlatTensor.named_data")))
        return s == PETITE_ERR_INVALID_PROGRAM ? (e->status = PETITE_ERR_INVALID_EXTERNAL_DATA) : s;
    if (!fb_has(&root, &d->fb, FT_NAMED_DATA))
        return pt_fail(e, PETITE_ERR_INVALID_EXTERNAL_DATA,
                       ".ptd has no named_data (an older FlatTensor layout is not supported)");
    return PETITE_OK;
}

petite_status pt_ptd_open_buffer(const void *data, size_t size, pt_ptd **out, pt_err *e) {
    *out = NULL;
    pt_ptd *d = pt_calloc(1, sizeof *d);
    if (!d) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    d->data = pt_aligned_alloc(size);
    if (!d->data) {
        pt_free(d);
        return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for a %zu-byte .ptd", size);
    }
    if (size) memcpy(d->data, data, size);
    d->size = size;
    petite_status s = parse(d, e);
    if (s != PETITE_OK) {
        pt_ptd_close(d);
        return s;
    }
    *out = d;
    return PETITE_OK;
}

petite_status pt_ptd_open(const char *path, pt_ptd **out, pt_err *e) {
    *out = NULL;
    if (!path) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "NULL .ptd path");
    FILE *f = fopen(path, "rb");
    if (!f) return pt_fail(e, PETITE_ERR_ACCESS_FAILED, "cannot open '%s'", path);
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *g = pt_realloc(buf, cap);
            if (!g) {
                pt_free(buf);
                fclose(f);
                return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory reading '%s'", path);
            }
            buf = g;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    petite_status s = pt_ptd_open_buffer(buf, n, out, e);
    pt_free(buf);
    if (s != PETITE_OK) pt_prefix(e, "'%s'", path);
    return s;
}

petite_status pt_ptd_key(const pt_ptd *d, uint32_t i, const char **key, uint32_t *len, pt_err *e) {
    fb_table nd;
    petite_status s;
    if ((s = fb_vec_table(&d->fb, &d->named, i, &nd, e, "FlatTensor.named_data")) ||
        (s = fb_string_field(&d->fb, &nd, FTN_KEY, key, len, e, "NamedData.key")))
        return s;
    if (!*key) return pt_fail(e, PETITE_ERR_INVALID_EXTERNAL_DATA, "FlatTensor.named_data[%u] has no key", i);
    return PETITE_OK;
}

petite_status pt_ptd_get(const pt_ptd *d, const char *key, size_t keylen, const uint8_t **ptr,
                         uint64_t *size, pt_err *e) {
    petite_status s;
    for (uint32_t i = 0; i < d->named.len; i++) {
        fb_table nd, seg;
        const char *k;
        uint32_t klen, segi;
        if ((s = fb_vec_table(&d->fb, &d->named, i, &nd, e, "FlatTensor.named_data")) ||
            (s = fb_string_field(&d->fb, &nd, FTN_KEY, &k, &klen, e, "NamedData.key")))
            return s;
        if (!k || klen != keylen || memcmp(k, key, keylen) != 0) continue;
        uint64_t off, sz;
        if ((s = fb_u32(&d->fb, &nd, FTN_SEGMENT_INDEX, 0, &segi, e, "NamedData.segment_index")) ||
            (s = fb_vec_table(&d->fb, &d->segments, segi, &seg, e, "FlatTensor.segments")) ||
            (s = fb_u64(&d->fb, &seg, FTS_OFFSET, 0, &off, e, "DataSegment.offset")) ||
            (s = fb_u64(&d->fb, &seg, FTS_SIZE, 0, &sz, e, "DataSegment.size")))
            return s;
        if (off > d->size - d->seg_base || sz > d->size - d->seg_base - off)
            return pt_fail(e, PETITE_ERR_INVALID_EXTERNAL_DATA,
                           ".ptd segment %u lies outside the file", segi);
        *ptr = d->data + d->seg_base + off;
        *size = sz;
        return PETITE_OK;
    }
    return PETITE_ERR_NOT_FOUND;
}
