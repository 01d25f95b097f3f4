/* method.c — turn one ExecutionPlan into a runnable method, and run it.
 *
 * Load validates everything (indices, sizes, offsets, kinds, kernels, backends) so that the run
 * loop can execute blindly: it touches only resolved pointers and never allocates. */
#include "runtime/method.h"
#include "core/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dtype.h"
#include "core/os.h"

/* ---- helpers ------------------------------------------------------------------------------ */

/* Planned address for memory_id (1-based) and offset, with nbytes available. */
static petite_status planned_ptr(petite_method *m, uint32_t memory_id, uint64_t offset,
                                 uint64_t nbytes, void **out, pt_err *e) {
    if (memory_id == 0 || memory_id > m->nplanned)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "allocation_info.memory_id %u: the plan has %u planned buffers (ids 1..%u)",
                       memory_id, m->nplanned, m->nplanned);
    uint64_t size = m->planned_sizes[memory_id - 1];
    if (offset > size || nbytes > size - offset)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "allocation_info: %llu bytes at offset %llu overrun planned buffer %u of %llu bytes",
                       (unsigned long long)nbytes, (unsigned long long)offset, memory_id,
                       (unsigned long long)size);
    *out = m->planned[memory_id - 1] ? m->planned[memory_id - 1] + offset : NULL;
    return PETITE_OK;
}

static uint64_t memory_used(const petite_method *m) {
    return m->planned_total + m->unplanned_bytes + m->backend_bytes + m->packed_bytes;
}

/* bytes: what is about to be added (0: what was just added is already in memory_used); the message
 * names it and the total against the limit */
petite_status pt_method_charge(petite_method *m, uint64_t bytes, const char *what, pt_err *e) {
    const uint64_t used = memory_used(m);
    if (m->memory_limit && (bytes > m->memory_limit || used > m->memory_limit - bytes)) {
        if (bytes)
            return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES,
                           "%s of %llu bytes brings the method to %llu bytes, over the memory limit of %llu bytes", what,
                           (unsigned long long)bytes, (unsigned long long)(used + bytes),
                           (unsigned long long)m->memory_limit);
        return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES, "with %s the method needs %llu bytes, over the memory limit of %llu bytes",
                       what, (unsigned long long)used, (unsigned long long)m->memory_limit);
    }
    return PETITE_OK;
}

/* An unplanned tensor's bytes are only counted while the plan is parsed; allocate_memory gives them
 * a buffer once the whole plan has been validated. */
static petite_status charge_unplanned(petite_method *m, uint64_t nbytes, pt_err *e) {
    if (nbytes == 0) return PETITE_OK;
    petite_status s = pt_method_charge(m, nbytes, "an unplanned tensor", e);
    if (s) return s;
    if (nbytes > SIZE_MAX) /* a 32-bit process */
        return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES, "an unplanned tensor of %llu bytes does not fit the address space",
                       (unsigned long long)nbytes);
    m->unplanned_bytes += nbytes;
    return PETITE_OK;
}

static petite_status own_buffer(petite_method *m, size_t nbytes, void **out, pt_err *e) {
    *out = NULL;
    void *buf = pt_aligned_zalloc(nbytes); /* zero, and resident only once written */
    void **grown = pt_realloc(m->owned, (m->nowned + 1) * sizeof *grown);
    if (!buf || !grown) {
        pt_aligned_zfree(buf);
        if (grown) m->owned = grown;
        return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED,
                       "no memory for a %zu-byte unplanned tensor", nbytes);
    }
    m->owned = grown;
    m->owned[m->nowned++] = buf;
    *out = buf;
    return PETITE_OK;
}

/* A planned tensor's initial state (a mutable segment or a .ptd), copied in by allocate_memory. */
static petite_status defer_init(petite_method *m, pt_tensor *t, const uint8_t *src, pt_err *e) {
    pt_init *grown = pt_realloc(m->inits, (m->ninits + 1) * sizeof *grown);
    if (!grown) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    m->inits = grown;
    m->inits[m->ninits++] = (pt_init){t, src};
    return PETITE_OK;
}

/* ---- values -------------------------------------------------------------------------------- */

static petite_status parse_tensor(petite_method *m, const fb_table *tt, pt_tensor *t, pt_err *e) {
    const fb_buf *b = &m->prog->fb;
    petite_status s;
    int8_t stype, dyn;
    int32_t storage_offset;
    uint32_t dbi;
    fb_vec sizes, dimo;
    fb_table alloc, extra;
    if ((s = fb_i8(b, tt, TENSOR_SCALAR_TYPE, 0, &stype, e, "Tensor.scalar_type")) ||
        (s = fb_i32(b, tt, TENSOR_STORAGE_OFFSET, 0, &storage_offset, e, "Tensor.storage_offset")) ||
        (s = fb_vec_field(b, tt, TENSOR_SIZES, 4, &sizes, e, "Tensor.sizes")) ||
        (s = fb_vec_field(b, tt, TENSOR_DIM_ORDER, 1, &dimo, e, "Tensor.dim_order")) ||
        (s = fb_u32(b, tt, TENSOR_DATA_BUFFER_IDX, 0, &dbi, e, "Tensor.data_buffer_idx")) ||
        (s = fb_table_field(b, tt, TENSOR_ALLOCATION_INFO, &alloc, e, "Tensor.allocation_info")) ||
        (s = fb_i8(b, tt, TENSOR_SHAPE_DYNAMISM, 0, &dyn, e, "Tensor.shape_dynamism")) ||
        (s = fb_table_field(b, tt, TENSOR_EXTRA_INFO, &extra, e, "Tensor.extra_tensor_info")))
        return s;

    if (!pt_dtype_valid(stype))
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "Tensor.scalar_type %d is not supported",
                       (int)stype);
    if (storage_offset != 0)
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "Tensor.storage_offset %d (only 0 is supported)",
                       (int)storage_offset);
    if (sizes.len > PETITE_MAX_RANK)
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "Tensor.sizes: rank %u exceeds the limit %d",
                       sizes.len, PETITE_MAX_RANK);
    if (dimo.len != sizes.len && !(dimo.len == 0 && dimo.pos == 0))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "Tensor.dim_order has %u entries for rank %u",
                       dimo.len, sizes.len);
    if (dyn < 0 || dyn > PETITE_DYNAMIC_UNBOUND)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "Tensor.shape_dynamism %d is unknown", (int)dyn);
    if (dyn == PETITE_DYNAMIC_UNBOUND)
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED,
                       "Tensor.shape_dynamism DYNAMIC_UNBOUND (fully dynamic shapes) is not supported");

    t->dtype = stype;
    t->rank = (int32_t)sizes.len;
    t->dynamism = (uint8_t)dyn;
    uint32_t seen = 0;
    t->contiguous = 1;
    for (uint32_t d = 0; d < sizes.len; d++) {
        int32_t sz = fb_vec_i32(b, &sizes, d);
        if (sz < 0)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "Tensor.sizes[%u] = %d is negative", d, sz);
        t->sizes[d] = t->max_sizes[d] = sz;
        uint8_t o = dimo.len ? fb_vec_u8(b, &dimo, d) : (uint8_t)d;
        if (o >= sizes.len || (seen & (1u << o)))
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "Tensor.dim_order is not a permutation of 0..%u", sizes.len - 1);
        seen |= 1u << o;
        t->dim_order[d] = o;
        if (o != d) t->contiguous = 0;
    }
    if (!pt_tensor_update_layout(t) ||
        t->numel > (int64_t)(INT64_MAX / 16))
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "Tensor.sizes: element count overflows");
    t->max_numel = t->numel;
    uint64_t nbytes = (uint64_t)t->numel * petite_dtype_size(t->dtype);

    /* where the data lives (FORMAT-NOTES 3.2) */
    uint8_t location = PTE_TENSOR_SEGMENT;
    const char *fqn = NULL;
    uint32_t fqn_len = 0;
    uint64_t mut_table = 0;
    if (extra.pos) {
        if ((s = fb_u8(b, &extra, EXTRA_LOCATION, 0, &location, e, "ExtraTensorInfo.location")) ||
            (s = fb_string_field(b, &extra, EXTRA_FQN, &fqn, &fqn_len, e,
                                 "ExtraTensorInfo.fully_qualified_name")) ||
            (s = fb_u64(b, &extra, EXTRA_MUTABLE_DATA_SEGMENTS_IDX, 0, &mut_table, e,
                        "ExtraTensorInfo.mutable_data_segments_idx")))
            return s;
    }
    const uint8_t *cdata = NULL;
    if (location == PTE_TENSOR_EXTERNAL) {
        if (!fqn || fqn_len == 0)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "EXTERNAL tensor without a fully_qualified_name");
        uint64_t have;
        s = pt_program_named(m->prog, fqn, fqn_len, &cdata, &have, e);
        if (s != PETITE_OK) {
            if (s == PETITE_ERR_NOT_FOUND) e->status = PETITE_ERR_INVALID_EXTERNAL_DATA;
            return pt_prefix(e, "external tensor '%s' (attach its .ptd file)", fqn);
        }
        /* exactly: a blob of another size belongs to another model (or another export) */
        if (have != nbytes)
            return pt_fail(e, PETITE_ERR_INVALID_EXTERNAL_DATA,
                           "external tensor '%s' has %llu bytes in the data file, the program's tensor has %llu", fqn,
                           (unsigned long long)have, (unsigned long long)nbytes);
    } else if (location != PTE_TENSOR_SEGMENT) {
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "ExtraTensorInfo.location %u is unknown",
                       (unsigned)location);
    }

    if (alloc.pos) {
        uint32_t mem_id, lo, hi;
        if ((s = fb_u32(b, &alloc, ALLOC_MEMORY_ID, 0, &mem_id, e, "AllocationDetails.memory_id")) ||
            (s = fb_u32(b, &alloc, ALLOC_OFFSET_LOW, 0, &lo, e, "AllocationDetails.memory_offset_low")) ||
            (s = fb_u32(b, &alloc, ALLOC_OFFSET_HIGH, 0, &hi, e, "AllocationDetails.memory_offset_high")))
            return s;
        uint64_t off = ((uint64_t)hi << 32) | lo;
        if (off % petite_dtype_size(t->dtype) != 0)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "allocation_info offset %llu is not aligned for %s",
                           (unsigned long long)off, petite_dtype_name(t->dtype));
        if ((s = planned_ptr(m, mem_id, off, nbytes, &t->data, e))) return s;
        t->storage = PT_STORE_PLANNED;
        t->plan_id = mem_id, t->plan_offset = off;
        /* initial state: from the external file, or the mutable segment */
        const uint8_t *init = cdata;
        if (!init && dbi > 0 && (s = pt_program_mutable(m->prog, mut_table, dbi, nbytes, &init, e)))
            return s;
        if (init && nbytes && !m->inspect) return defer_init(m, t, init, e);
        return PETITE_OK;
    }
    if (cdata || dbi > 0) {
        if (!cdata && (s = pt_program_constant(m->prog, dbi, nbytes, &cdata, e))) return s;
        /* writers align constants to 16; a misaligned one means a damaged file */
        if ((uintptr_t)cdata % petite_dtype_size(t->dtype) != 0)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "constant data at file offset %lld is not aligned for %s",
                           (long long)(cdata - m->prog->data), petite_dtype_name(t->dtype));
        t->data = (void *)cdata; /* never written: kernels only write out arguments */
        t->storage = PT_STORE_CONSTANT;
        m->constant_bytes += nbytes;
        return PETITE_OK;
    }
    /* unplanned: the method owns a buffer of the bound size (inputs may replace it zero-copy) */
    t->storage = nbytes ? PT_STORE_UNPLANNED : PT_STORE_NONE;
    return charge_unplanned(m, nbytes, e);
}

/* A list of value indices; every index must name an existing value. */
static petite_status parse_index_list(petite_method *m, const fb_table *vt, uint32_t vi,
                                      size_t elem, bool allow_none, pt_value *v, pt_err *e) {
    const fb_buf *b = &m->prog->fb;
    fb_vec items;
    petite_status s = fb_vec_field(b, vt, 0, elem, &items, e, "List.items");
    if (s) return s;
    int32_t *idx = pt_arena_calloc(&m->arena, items.len ? items.len : 1, sizeof *idx);
    if (!idx) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for a list");
    for (uint32_t j = 0; j < items.len; j++) {
        int64_t x = elem == 8 ? fb_vec_i64(b, &items, j) : fb_vec_i32(b, &items, j);
        if (x == -1 && allow_none) {
            idx[j] = -1;
            continue;
        }
        if (x < 0 || x >= (int64_t)m->nvalues)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "list item %u refers to value %lld (the plan has %u values)", j,
                           (long long)x, m->nvalues);
        if (x == vi)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "list item %u refers to the list itself", j);
        idx[j] = (int32_t)x;
    }
    v->u.list.idx = idx;
    v->u.list.n = items.len;
    v->u.list.base = m->values;
    return PETITE_OK;
}

static petite_status parse_value(petite_method *m, uint32_t vi, const fb_table *ev, pt_err *e) {
    const fb_buf *b = &m->prog->fb;
    pt_value *v = &m->values[vi];
    uint8_t type;
    fb_table vt;
    petite_status s = fb_union_field(b, ev, EVALUE_VAL_TYPE, &type, &vt, e, "EValue.val");
    if (s) return s;
    switch (type) {
    case KT_NONE:
    case KT_NULL:
        v->kind = PETITE_KIND_NONE;
        return PETITE_OK;
    case KT_INT:
        v->kind = PETITE_KIND_INT;
        return fb_i64(b, &vt, 0, 0, &v->u.i, e, "Int.int_val");
    case KT_BOOL: {
        uint8_t x;
        v->kind = PETITE_KIND_BOOL;
        s = fb_u8(b, &vt, 0, 0, &x, e, "Bool.bool_val");
        v->u.b = x != 0;
        return s;
    }
    case KT_DOUBLE:
        v->kind = PETITE_KIND_DOUBLE;
        return fb_f64(b, &vt, 0, 0, &v->u.d, e, "Double.double_val");
    case KT_STRING: {
        const char *str;
        uint32_t len;
        v->kind = PETITE_KIND_STRING;
        if ((s = fb_string_field(b, &vt, 0, &str, &len, e, "String.string_val"))) return s;
        v->u.s.p = str ? str : "";
        v->u.s.n = len;
        return PETITE_OK;
    }
    case KT_TENSOR: {
        v->kind = PETITE_KIND_TENSOR;
        v->u.t = pt_arena_alloc(&m->arena, sizeof *v->u.t);
        if (!v->u.t) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for a tensor");
        return parse_tensor(m, &vt, v->u.t, e);
    }
    case KT_INT_LIST:
        v->kind = PETITE_KIND_INT_LIST;
        return parse_index_list(m, &vt, vi, 8, false, v, e);
    case KT_TENSOR_LIST:
        v->kind = PETITE_KIND_TENSOR_LIST;
        return parse_index_list(m, &vt, vi, 4, false, v, e);
    case KT_OPTIONAL_TENSOR_LIST:
        v->kind = PETITE_KIND_OPTIONAL_TENSOR_LIST;
        return parse_index_list(m, &vt, vi, 4, true, v, e);
    case KT_DOUBLE_LIST: {
        fb_vec items;
        v->kind = PETITE_KIND_DOUBLE_LIST;
        if ((s = fb_vec_field(b, &vt, 0, 8, &items, e, "DoubleList.items"))) return s;
        double *d = pt_arena_calloc(&m->arena, items.len ? items.len : 1, sizeof *d);
        if (!d) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for a list");
        for (uint32_t j = 0; j < items.len; j++) d[j] = fb_vec_f64(b, &items, j);
        v->u.dl.v = d;
        v->u.dl.n = items.len;
        return PETITE_OK;
    }
    case KT_BOOL_LIST: {
        fb_vec items;
        v->kind = PETITE_KIND_BOOL_LIST;
        if ((s = fb_vec_field(b, &vt, 0, 1, &items, e, "BoolList.items"))) return s;
        v->u.bl.v = b->p + items.pos;
        v->u.bl.n = items.len;
        return PETITE_OK;
    }
    default:
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "EValue type %u is unknown", (unsigned)type);
    }
}

/* Kinds that list items must have (checked once every value exists). */
static petite_status check_lists(petite_method *m, pt_err *e) {
    for (uint32_t vi = 0; vi < m->nvalues; vi++) {
        pt_value *v = &m->values[vi];
        int32_t want;
        if (v->kind == PETITE_KIND_INT_LIST) want = PETITE_KIND_INT;
        else if (v->kind == PETITE_KIND_TENSOR_LIST || v->kind == PETITE_KIND_OPTIONAL_TENSOR_LIST)
            want = PETITE_KIND_TENSOR;
        else continue;
        for (uint32_t j = 0; j < v->u.list.n; j++) {
            int32_t x = v->u.list.idx[j];
            if (x < 0) continue;
            int32_t k = m->values[x].kind;
            if (k != want && !(v->kind == PETITE_KIND_OPTIONAL_TENSOR_LIST && k == PETITE_KIND_NONE))
                return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                               "value %u: list item %u is value %d of kind %d, expected kind %d",
                               vi, j, x, k, want);
        }
    }
    return PETITE_OK;
}

/* ---- plan pieces --------------------------------------------------------------------------- */

static petite_status parse_index_vec(petite_method *m, const fb_table *plan, unsigned id,
                                     const char *what, int32_t **out, uint32_t *n, pt_err *e) {
    fb_vec v;
    petite_status s = fb_vec_field(&m->prog->fb, plan, id, 4, &v, e, what);
    if (s) return s;
    if (!v.pos) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s is missing", what);
    *out = pt_arena_calloc(&m->arena, v.len ? v.len : 1, sizeof **out);
    if (!*out) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    for (uint32_t i = 0; i < v.len; i++) {
        int32_t x = fb_vec_i32(&m->prog->fb, &v, i);
        if (x < 0 || (uint32_t)x >= m->nvalues)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s[%u] = %d: the plan has %u values",
                           what, i, x, m->nvalues);
        (*out)[i] = x;
    }
    *n = v.len;
    return PETITE_OK;
}

static petite_status parse_buffers(petite_method *m, const fb_table *plan, pt_err *e) {
    fb_vec v;
    petite_status s = fb_vec_field(&m->prog->fb, plan, PLAN_NON_CONST_BUFFER_SIZES, 8, &v, e,
                                   "ExecutionPlan.non_const_buffer_sizes");
    if (s) return s;
    /* entry 0 is reserved; buffer i serves memory_id i */
    uint32_t nplanned = v.len > 1 ? v.len - 1 : 0;
    m->planned = pt_arena_calloc(&m->arena, nplanned + 1, sizeof *m->planned);
    m->planned_sizes = pt_arena_calloc(&m->arena, nplanned + 1, sizeof *m->planned_sizes);
    if (!m->planned || !m->planned_sizes)
        return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    m->nplanned = nplanned; /* (petite_method_free walks planned[] up to nplanned) */
    uint64_t total = 0;
    for (uint32_t i = 0; i < m->nplanned; i++) {
        int64_t size = fb_vec_i64(&m->prog->fb, &v, i + 1);
        if (size < 0)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "non_const_buffer_sizes[%u] = %lld",
                           i + 1, (long long)size);
        m->planned_sizes[i] = (uint64_t)size;
        total += (uint64_t)size;
        if (m->memory_limit && total > m->memory_limit)
            return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES,
                           "planned memory of %llu+ bytes exceeds the limit of %llu (petite_load_options.max_memory_bytes)",
                           (unsigned long long)total, (unsigned long long)m->memory_limit);
        if ((uint64_t)size > SIZE_MAX)
            return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES, "planned buffer %u (%lld bytes) does not fit the address space",
                           i + 1, (long long)size);
    }
    m->planned_total = total;
    return PETITE_OK;
}

static petite_status parse_operators(petite_method *m, const fb_table *plan, pt_err *e) {
    const fb_buf *b = &m->prog->fb;
    fb_vec v;
    petite_status s = fb_vec_field(b, plan, PLAN_OPERATORS, 4, &v, e, "ExecutionPlan.operators");
    if (s) return s;
    m->nops = v.len;
    m->ops = pt_arena_calloc(&m->arena, v.len ? v.len : 1, sizeof *m->ops);
    if (!m->ops) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    char missing[320] = "";
    size_t nmissing = 0, mlen = 0;
    for (uint32_t i = 0; i < v.len; i++) {
        fb_table op;
        const char *name, *ovl;
        uint32_t nlen, olen;
        if ((s = fb_vec_table(b, &v, i, &op, e, "ExecutionPlan.operators")) ||
            (s = fb_string_field(b, &op, OPERATOR_NAME, &name, &nlen, e, "Operator.name")) ||
            (s = fb_string_field(b, &op, OPERATOR_OVERLOAD, &ovl, &olen, e, "Operator.overload")))
            return pt_prefix(e, "operators[%u]", i);
        if (!name || nlen == 0)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "operators[%u] has no name", i);
        if ((size_t)nlen + 1 + olen >= sizeof m->ops[i].name)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "operators[%u]: name too long (%u bytes)",
                           i, nlen + olen + 1);
        if (ovl && olen)
            snprintf(m->ops[i].name, sizeof m->ops[i].name, "%s.%s", name, ovl);
        else
            snprintf(m->ops[i].name, sizeof m->ops[i].name, "%s", name);
        if (m->inspect) continue;
        m->ops[i].fn = pt_kernel_lookup(m->ops[i].name, &m->ops[i].prepare);
        if (!m->ops[i].fn) {
            if (nmissing++ < 4)
                mlen += (size_t)snprintf(missing + mlen, sizeof missing - mlen, "%s%s",
                                         mlen ? ", " : "", m->ops[i].name);
            if (mlen >= sizeof missing) mlen = sizeof missing - 1;
        }
    }
    if (nmissing)
        return pt_fail(e, PETITE_ERR_OPERATOR_MISSING,
                       "%zu operator%s without a kernel: %s%s (%s)", nmissing, nmissing > 1 ? "s" : "", missing,
                       nmissing > 4 ? ", ..." : "",
                       pk_builtin_selective ? "this is a selective build of petite: add the operator to "
                                              "PETITE_SELECT_OPS and rebuild, or register it with petite_register_kernel"
                                            : "register custom operators with petite_register_kernel before loading");
    return PETITE_OK;
}

static petite_status named_data(void *owner, const char *key, size_t keylen, const uint8_t **ptr, uint64_t *size,
                                pt_err *e) {
    return pt_program_named(owner, key, keylen, ptr, size, e);
}

static petite_status parse_delegates(petite_method *m, const fb_table *plan, pt_err *e) {
    const fb_buf *b = &m->prog->fb;
    fb_vec v;
    petite_status s = fb_vec_field(b, plan, PLAN_DELEGATES, 4, &v, e, "ExecutionPlan.delegates");
    if (s) return s;
    m->delegates = pt_arena_calloc(&m->arena, v.len ? v.len : 1, sizeof *m->delegates);
    if (!m->delegates) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    m->ndelegates = v.len;
    for (uint32_t i = 0; i < v.len; i++) {
        pt_delegate *d = &m->delegates[i];
        fb_table del, ref;
        fb_vec specs;
        uint32_t idlen;
        if ((s = fb_vec_table(b, &v, i, &del, e, "ExecutionPlan.delegates")) ||
            (s = fb_string_field(b, &del, DELEGATE_ID, &d->id, &idlen, e, "BackendDelegate.id")) ||
            (s = fb_table_field(b, &del, DELEGATE_PROCESSED, &ref, e, "BackendDelegate.processed")) ||
            (s = fb_vec_field(b, &del, DELEGATE_COMPILE_SPECS, 4, &specs, e,
                              "BackendDelegate.compile_specs")) ||
            (s = fb_u8(b, &ref, DREF_LOCATION, 0, &d->location, e,
                       "BackendDelegateDataReference.location")) ||
            (s = fb_u32(b, &ref, DREF_INDEX, 0, &d->data_index, e,
                        "BackendDelegateDataReference.index")))
            return pt_prefix(e, "delegates[%u]", i);
        if (!d->id) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "delegates[%u] has no id", i);
        if (!ref.pos)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "delegates[%u] (%s) has no processed data",
                           i, d->id);
        if ((s = pt_program_delegate_blob(m->prog, d->location, d->data_index, &d->blob,
                                          &d->blob_size, e)))
            return pt_prefix(e, "delegates[%u] (%s)", i, d->id);
        d->nspecs = specs.len;
        if (m->inspect) continue;
        d->backend = pt_backend_lookup(d->id);
        if (!d->backend)
            return pt_fail(e, PETITE_ERR_NOT_SUPPORTED,
                           "delegates[%u] needs backend '%s', which this build of petite does not "
                           "have (backends available: %s; the XNNPACK backend is built with PETITE_XNNPACK=ON)",
                           i, d->id, pt_backend_names());
        pt_compile_spec *cs = pt_arena_calloc(&m->arena, specs.len ? specs.len : 1, sizeof *cs);
        if (!cs) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
        for (uint32_t j = 0; j < specs.len; j++) {
            fb_table spec;
            fb_vec val;
            uint32_t klen;
            if ((s = fb_vec_table(b, &specs, j, &spec, e, "BackendDelegate.compile_specs")) ||
                (s = fb_string_field(b, &spec, CSPEC_KEY, &cs[j].key, &klen, e, "CompileSpec.key")) ||
                (s = fb_vec_field(b, &spec, CSPEC_VALUE, 1, &val, e, "CompileSpec.value")))
                return pt_prefix(e, "delegates[%u] (%s)", i, d->id);
            if (!cs[j].key) cs[j].key = "";
            cs[j].value = b->p + val.pos;
            cs[j].size = val.len;
        }
        d->specs = cs;
    }
    return PETITE_OK;
}

/* The delegates' backends: each parses its blob, then sizes, allocates and packs what it needs. */
static petite_status init_delegates(petite_method *m, pt_err *e) {
    petite_status s;
    for (uint32_t i = 0; i < m->ndelegates; i++) {
        pt_delegate *d = &m->delegates[i];
        uint64_t used = memory_used(m);
        pt_backend_init in = {m->name, i, d->blob, d->blob_size, d->specs, d->nspecs,
                              m->memory_limit ? (m->memory_limit > used ? m->memory_limit - used : 1) : 0,
                              {m->prog, named_data}, &m->prog->cache, m->exec.isa};
        if ((s = d->backend->init(&in, &d->handle, &d->info, e)))
            return pt_prefix(e, "delegates[%u] (%s) init", i, d->id);
        m->backend_bytes += d->info.memory_bytes;
        m->packed_bytes += d->info.shared_bytes;
        if (d->info.scratch > m->scratch_need) m->scratch_need = d->info.scratch;
        if (d->info.work_bytes > m->work_need) { /* one work area for every delegate: the largest */
            m->backend_bytes += d->info.work_bytes - m->work_need;
            m->work_need = d->info.work_bytes;
        }
        if ((s = pt_method_charge(m, 0, "the delegate's memory", e)))
            return pt_prefix(e, "delegates[%u] (%s) init", i, d->id);
    }
    if (m->work_need && !(m->work = pt_aligned_alloc((size_t)m->work_need)))
        return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for the delegates' %llu-byte work area",
                       (unsigned long long)m->work_need);
    return PETITE_OK;
}

static petite_status parse_args(petite_method *m, const fb_table *call, pt_instr *ins, pt_err *e) {
    fb_vec args;
    petite_status s = fb_vec_field(&m->prog->fb, call, KCALL_ARGS, 4, &args, e, "args");
    if (s) return s;
    ins->nargs = args.len;
    ins->args = pt_arena_calloc(&m->arena, args.len ? args.len : 1, sizeof *ins->args);
    if (!ins->args) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    for (uint32_t j = 0; j < args.len; j++) {
        int32_t x = fb_vec_i32(&m->prog->fb, &args, j);
        if (x < 0 || (uint32_t)x >= m->nvalues)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "args[%u] = %d: the plan has %u values", j,
                           x, m->nvalues);
        ins->args[j] = &m->values[x];
    }
    return PETITE_OK;
}

static petite_status check_value_index(const petite_method *m, int32_t x, const char *what,
                                       pt_err *e) {
    if (x < 0 || (uint32_t)x >= m->nvalues)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s = %d: the plan has %u values", what, x,
                       m->nvalues);
    return PETITE_OK;
}

static petite_status parse_instruction(petite_method *m, const fb_table *it, uint32_t ninstr,
                                       pt_instr *ins, pt_err *e) {
    const fb_buf *b = &m->prog->fb;
    uint8_t type;
    fb_table call;
    petite_status s = fb_union_field(b, it, INSTR_ARGS_TYPE, &type, &call, e, "Instruction.instr_args");
    if (s) return s;
    ins->kind = type;
    switch (type) {
    case INSTR_KERNEL_CALL:
    case INSTR_DELEGATE_CALL: {
        int32_t idx;
        bool kernel = type == INSTR_KERNEL_CALL;
        if ((s = fb_i32(b, &call, KCALL_OP_INDEX, 0, &idx, e,
                        kernel ? "KernelCall.op_index" : "DelegateCall.delegate_index")))
            return s;
        uint32_t lim = kernel ? m->nops : m->ndelegates;
        if (idx < 0 || (uint32_t)idx >= lim)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s %d: the plan has %u",
                           kernel ? "KernelCall.op_index" : "DelegateCall.delegate_index", idx, lim);
        ins->index = (uint32_t)idx;
        return parse_args(m, &call, ins, e);
    }
    case INSTR_MOVE_CALL:
        if ((s = fb_i32(b, &call, MOVE_FROM, 0, &ins->a, e, "MoveCall.move_from")) ||
            (s = fb_i32(b, &call, MOVE_TO, 0, &ins->b, e, "MoveCall.move_to")) ||
            (s = check_value_index(m, ins->a, "MoveCall.move_from", e)) ||
            (s = check_value_index(m, ins->b, "MoveCall.move_to", e)))
            return s;
        return PETITE_OK;
    case INSTR_JUMP_FALSE_CALL:
        if ((s = fb_i32(b, &call, JF_COND_VALUE_INDEX, 0, &ins->a, e, "JumpFalseCall.cond_value_index")) ||
            (s = fb_i32(b, &call, JF_DESTINATION, 0, &ins->b, e, "JumpFalseCall.destination_instruction")) ||
            (s = check_value_index(m, ins->a, "JumpFalseCall.cond_value_index", e)))
            return s;
        if (ins->b < 0 || (uint32_t)ins->b > ninstr)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "JumpFalseCall.destination_instruction %d: the chain has %u instructions",
                           ins->b, ninstr);
        return PETITE_OK;
    case INSTR_FREE_CALL:
        if ((s = fb_i32(b, &call, FREE_VALUE_INDEX, 0, &ins->a, e, "FreeCall.value_index")) ||
            (s = check_value_index(m, ins->a, "FreeCall.value_index", e)))
            return s;
        if (m->values[ins->a].kind != PETITE_KIND_TENSOR)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "FreeCall.value_index %d is not a tensor",
                           ins->a);
        return PETITE_OK;
    default:
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "instruction type %u is unknown",
                       (unsigned)type);
    }
}

static petite_status parse_chains(petite_method *m, const fb_table *plan, pt_err *e) {
    const fb_buf *b = &m->prog->fb;
    fb_vec v;
    petite_status s = fb_vec_field(b, plan, PLAN_CHAINS, 4, &v, e, "ExecutionPlan.chains");
    if (s) return s;
    m->nchains = v.len;
    m->chains = pt_arena_calloc(&m->arena, v.len ? v.len : 1, sizeof *m->chains);
    if (!m->chains) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    for (uint32_t c = 0; c < v.len; c++) {
        fb_table chain;
        fb_vec instrs;
        if ((s = fb_vec_table(b, &v, c, &chain, e, "ExecutionPlan.chains")) ||
            (s = fb_vec_field(b, &chain, CHAIN_INSTRUCTIONS, 4, &instrs, e, "Chain.instructions")))
            return pt_prefix(e, "chains[%u]", c);
        m->chains[c].n = instrs.len;
        m->chains[c].instrs = pt_arena_calloc(&m->arena, instrs.len ? instrs.len : 1,
                                              sizeof *m->chains[c].instrs);
        if (!m->chains[c].instrs) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
        for (uint32_t i = 0; i < instrs.len; i++) {
            fb_table it;
            pt_instr *ins = &m->chains[c].instrs[i];
            if ((s = fb_vec_table(b, &instrs, i, &it, e, "Chain.instructions")) ||
                (s = parse_instruction(m, &it, instrs.len, ins, e))) {
                if (ins->kind == INSTR_KERNEL_CALL && ins->index < m->nops)
                    return pt_prefix(e, "instruction %u (%s)", i, m->ops[ins->index].name);
                return pt_prefix(e, "instruction %u", i);
            }
        }
    }
    return PETITE_OK;
}

/* ---- memory: after validation ---------------------------------------------------------------- */

/* Planned buffers, then the tensors' pointers into them and their initial states, then the
 * unplanned tensors' own buffers (all sizes were checked and charged while parsing). */
static petite_status allocate_memory(petite_method *m, pt_err *e) {
    for (uint32_t i = 0; i < m->nplanned; i++) {
        uint64_t size = m->planned_sizes[i];
        if (size && !(m->planned[i] = pt_aligned_alloc((size_t)size)))
            return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED,
                           "no memory for planned buffer %u (%llu bytes)", i + 1, (unsigned long long)size);
    }
    petite_status s;
    for (uint32_t vi = 0; vi < m->nvalues; vi++) {
        if (m->values[vi].kind != PETITE_KIND_TENSOR) continue;
        pt_tensor *t = m->values[vi].u.t;
        size_t nbytes = pt_tensor_nbytes(t);
        if (t->storage == PT_STORE_PLANNED) {
            if ((s = planned_ptr(m, t->plan_id, t->plan_offset, nbytes, &t->data, e)))
                return pt_prefix(e, "values[%u]", vi);
        } else if (t->storage == PT_STORE_UNPLANNED) {
            if ((s = own_buffer(m, nbytes, &t->own_buf, e))) return pt_prefix(e, "values[%u]", vi);
            t->data = t->own_buf;
        }
    }
    for (uint32_t i = 0; i < m->ninits; i++)
        if (m->inits[i].t->data) memcpy(m->inits[i].t->data, m->inits[i].src, pt_tensor_nbytes(m->inits[i].t));
    pt_free(m->inits);
    m->inits = NULL, m->ninits = 0;
    return PETITE_OK;
}

/* ---- prepare, execution context -------------------------------------------------------------- */

/* How often each value appears in an instruction's arguments (list elements included) or among
 * the outputs; read_elsewhere subtracts the current instruction's own appearances. */
typedef struct read_counts {
    const petite_method *m;
    uint32_t *count;
    const pt_instr *current;
} read_counts;

static void count_arg(const petite_method *m, uint32_t *count, const pt_value *v) {
    count[v - m->values]++;
    if (v->kind == PETITE_KIND_TENSOR_LIST || v->kind == PETITE_KIND_OPTIONAL_TENSOR_LIST)
        for (uint32_t j = 0; j < v->u.list.n; j++)
            if (v->u.list.idx[j] >= 0) count[v->u.list.idx[j]]++;
}

static int read_elsewhere(const pk_prepare *p, const petite_value *v) {
    const read_counts *rc = p->owner;
    const petite_method *m = rc->m;
    if (v < m->values || v >= m->values + m->nvalues) return 1;
    uint32_t *own = rc->count + m->nvalues; /* scratch half: this instruction's appearances */
    memset(own, 0, m->nvalues * sizeof *own);
    for (uint32_t j = 0; j < rc->current->nargs; j++) count_arg(m, own, rc->current->args[j]);
    size_t i = (size_t)(v - m->values);
    return rc->count[i] > own[i];
}

static uint32_t appearances(const pk_prepare *p, const petite_value *v) {
    const read_counts *rc = p->owner;
    if (v < rc->m->values || v >= rc->m->values + rc->m->nvalues) return UINT32_MAX;
    return rc->count[v - rc->m->values];
}

/* Every KernelCall whose kernel has a prepare: check, pack, plan scratch, once. A prepare may
 * absorb the KernelCalls that follow it (fusion): they become no-ops at run. */
static petite_status prepare_kernels(petite_method *m, pt_err *e) {
    read_counts rc = {m, pt_arena_calloc(&m->arena, (size_t)m->nvalues * 2 + 1, sizeof(uint32_t)), NULL};
    if (!rc.count) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    for (uint32_t c = 0; c < m->nchains; c++)
        for (uint32_t i = 0; i < m->chains[c].n; i++)
            for (uint32_t j = 0; j < m->chains[c].instrs[i].nargs; j++) count_arg(m, rc.count, m->chains[c].instrs[i].args[j]);
    for (uint32_t i = 0; i < m->noutputs; i++) rc.count[m->outputs[i]]++;
    for (uint32_t c = 0; c < m->nchains; c++)
        for (uint32_t i = 0; i < m->chains[c].n; i++) {
            pt_instr *ins = &m->chains[c].instrs[i];
            if (ins->kind != INSTR_KERNEL_CALL || !m->ops[ins->index].prepare) continue;
            pk_next next[6];
            uint32_t nnext = 0;
            for (uint32_t k = i + 1; k < m->chains[c].n && nnext < 6; k++) {
                const pt_instr *nx = &m->chains[c].instrs[k];
                if (nx->kind != INSTR_KERNEL_CALL) break;
                next[nnext].name = m->ops[nx->index].name;
                next[nnext].args = nx->args;
                next[nnext].nargs = nx->nargs;
                nnext++;
            }
            pk_prepare pp = {e, m->exec.isa, &m->arena, &m->prog->cache, 0, 0, 0, read_elsewhere, appearances, &rc,
                             next, nnext, 0};
            rc.current = ins;
            petite_status s = m->ops[ins->index].prepare(&pp, ins->args, ins->nargs, &ins->state);
            m->packed_bytes += pp.shared_bytes;
            if (!s) s = pt_method_charge(m, 0, "packed constants", e);
            if (s) {
                if (e->msg[0] == '\0') pt_fail(e, s, "prepare failed");
                e->status = s;
                return pt_prefix(e, "instruction %u (%s)", i, m->ops[ins->index].name);
            }
            if (pp.scratch > m->scratch_need) m->scratch_need = pp.scratch;
            ins->flops = pp.flops;
            for (uint32_t k = 1; k <= pp.absorbed && k <= nnext; k++) m->chains[c].instrs[i + k].fused = 1;
            i += pp.absorbed;
        }
    return PETITE_OK;
}

/* The thread pool and per-thread scratch runs use. */
static petite_status make_exec(petite_method *m, pt_err *e) {
    m->exec.pool = m->threads > 1 ? pc_pool_create(m->threads) : NULL;
    size_t slice = pc_align64(m->scratch_need);
    size_t n = (size_t)pc_ctx_threads(&m->exec);
    m->exec.scratch_size = slice;
    if (slice) {
        if (slice > SIZE_MAX / n) return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES, "scratch too large");
        petite_status s = pt_method_charge(m, (uint64_t)slice * n, "kernel scratch", e);
        if (s) return s;
        m->exec.scratch = pt_aligned_alloc(slice * n);
        if (!m->exec.scratch)
            return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for %zu bytes of scratch", slice * n);
    }
    return PETITE_OK;
}

/* Profile entries: one per KernelCall, one per node of each DelegateCall. */
static petite_status plan_profile(petite_method *m, pt_err *e) {
    uint32_t n = 0;
    for (uint32_t c = 0; c < m->nchains; c++)
        for (uint32_t i = 0; i < m->chains[c].n; i++) {
            pt_instr *ins = &m->chains[c].instrs[i];
            m->ninstructions++;
            ins->prof = n;
            if (ins->kind == INSTR_KERNEL_CALL) {
                n++;
                m->nkernel_calls++;
                m->ops[ins->index].calls++;
            } else if (ins->kind == INSTR_DELEGATE_CALL) {
                n += m->delegates[ins->index].info.nodes;
                m->ndelegate_calls++;
            }
        }
    m->nprof = n;
    if (m->inspect || n == 0) return PETITE_OK;
    m->prof = pt_arena_calloc(&m->arena, n, sizeof *m->prof);
    if (!m->prof) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    for (uint32_t c = 0; c < m->nchains; c++)
        for (uint32_t i = 0; i < m->chains[c].n; i++) {
            pt_instr *ins = &m->chains[c].instrs[i];
            if (ins->kind == INSTR_KERNEL_CALL) {
                pt_profile *p = &m->prof[ins->prof];
                p->kind = ins->fused ? "(fused)" : m->ops[ins->index].name;
                p->instruction = (int32_t)i, p->node = -1, p->flops = ins->flops;
            } else if (ins->kind == INSTR_DELEGATE_CALL) {
                for (uint32_t k = 0; k < m->delegates[ins->index].info.nodes; k++) {
                    pt_profile *p = &m->prof[ins->prof + k];
                    p->kind = m->delegates[ins->index].id;
                    p->instruction = (int32_t)i, p->node = (int32_t)k;
                }
            }
        }
    return PETITE_OK;
}

/* Planned inputs whose bytes the plan gives to other tensors once the input is read: a run
 * overwrites them, so they must be set again before the next run. */
static petite_status find_reused_inputs(petite_method *m, pt_err *e) {
    m->input_reused = pt_arena_calloc(&m->arena, m->ninputs ? m->ninputs : 1, 1);
    if (!m->input_reused) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    for (uint32_t i = 0; i < m->ninputs; i++) {
        const pt_value *v = &m->values[m->inputs[i]];
        if (v->kind != PETITE_KIND_TENSOR || v->u.t->storage != PT_STORE_PLANNED) continue;
        const pt_tensor *t = v->u.t;
        uint64_t lo = t->plan_offset, hi = lo + (uint64_t)t->max_numel * petite_dtype_size(t->dtype);
        for (uint32_t k = 0; k < m->nvalues && !m->input_reused[i]; k++) {
            const pt_value *w = &m->values[k];
            if (w->kind != PETITE_KIND_TENSOR || w->u.t == t || w->u.t->storage != PT_STORE_PLANNED ||
                w->u.t->plan_id != t->plan_id)
                continue;
            uint64_t wlo = w->u.t->plan_offset, whi = wlo + (uint64_t)w->u.t->max_numel * petite_dtype_size(w->u.t->dtype);
            bool same_input = false; /* the same tensor listed twice as an input does not count */
            for (uint32_t j = 0; j < m->ninputs; j++) same_input = same_input || (m->inputs[j] == (int32_t)k && j != i && m->values[m->inputs[j]].u.t == t);
            if (!same_input && wlo < hi && lo < whi) m->input_reused[i] = 1;
        }
    }
    return PETITE_OK;
}

/* ---- load / free --------------------------------------------------------------------------- */

void petite_method_free(petite_method *m) {
    if (!m) return;
    for (uint32_t i = 0; i < m->ndelegates; i++)
        if (m->delegates[i].backend && m->delegates[i].handle)
            m->delegates[i].backend->destroy(m->delegates[i].handle);
    for (uint32_t i = 0; i < m->nplanned; i++) pt_aligned_free(m->planned[i]);
    for (uint32_t i = 0; i < m->nowned; i++) pt_aligned_zfree(m->owned[i]);
    pt_free(m->owned);
    pt_free(m->inits);
    pc_pool_destroy(m->exec.pool);
    pt_aligned_free(m->exec.scratch);
    pt_aligned_free(m->work);
    pt_arena_free(&m->arena);
    pt_free(m);
}

void petite_load_options_init(petite_load_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

/* Read the caller's options, whatever version of the struct it was compiled with. */
static petite_status read_options(const petite_load_options *in, petite_load_options *o, pt_err *e) {
    petite_load_options_init(o);
    if (!in) return PETITE_OK;
    if (in->struct_size < offsetof(petite_load_options, max_memory_bytes) || in->struct_size > 4096)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "petite_load_options.struct_size %u is not a size of the struct "
                       "(use petite_load_options_init)", in->struct_size);
    memcpy(o, in, in->struct_size < sizeof *o ? in->struct_size : sizeof *o);
    o->struct_size = sizeof *o;
    if (o->flags & ~PETITE_LOAD_INSPECT)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "petite_load_options.flags %#x has unknown bits", o->flags);
    if (o->num_threads < 0 || o->num_threads > 64)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "petite_load_options.num_threads %d (0..64)", (int)o->num_threads);
    if (o->isa < PETITE_ISA_AUTO || o->isa > PETITE_ISA_WASMSIMD)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "petite_load_options.isa %d is unknown", (int)o->isa);
    if (o->isa != PETITE_ISA_AUTO && !pc_isa_supported((pc_isa)(o->isa - 1)))
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "ISA %s is not available on this CPU or build",
                       pc_isa_name((pc_isa)(o->isa - 1)));
    return PETITE_OK;
}

petite_status pt_method_build(petite_program *p, uint32_t plan_index, const petite_load_options *o,
                              petite_method **out, pt_err *e) {
    *out = NULL;
    petite_method *m = pt_calloc(1, sizeof *m);
    if (!m) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for a method");
    m->prog = p;
    m->plan_index = plan_index;
    m->name = p->plan_names[plan_index];
    m->inspect = (o->flags & PETITE_LOAD_INSPECT) != 0;
    /* 0: the default cap; UINT64_MAX: none (memory_limit 0 means unlimited inside) */
    m->memory_limit = o->max_memory_bytes == 0 ? PETITE_DEFAULT_MAX_MEMORY
                      : o->max_memory_bytes == UINT64_MAX ? 0 : o->max_memory_bytes;
    m->threads = o->num_threads > 1 ? o->num_threads : 1;
    m->exec.isa = o->isa == PETITE_ISA_AUTO ? pc_isa_default() : (pc_isa)(o->isa - 1);
    const fb_buf *b = &p->fb;
    fb_table plan;
    fb_vec values;
    petite_status s;
    if ((s = pt_program_plan(p, plan_index, &plan, e)) ||
        (s = parse_buffers(m, &plan, e)) ||
        (s = fb_vec_field(b, &plan, PLAN_VALUES, 4, &values, e, "ExecutionPlan.values")))
        goto fail;
    m->nvalues = values.len;
    m->values = pt_arena_calloc(&m->arena, values.len ? values.len : 1, sizeof *m->values);
    if (!m->values) {
        s = pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for %u values", values.len);
        goto fail;
    }
    for (uint32_t i = 0; i < values.len; i++) {
        fb_table ev;
        if ((s = fb_vec_table(b, &values, i, &ev, e, "ExecutionPlan.values")) ||
            (s = parse_value(m, i, &ev, e))) {
            pt_prefix(e, "values[%u]", i);
            goto fail;
        }
    }
    /* everything the file says is read and checked before any memory it sizes is allocated */
    if ((s = check_lists(m, e)) ||
        (s = parse_index_vec(m, &plan, PLAN_INPUTS, "ExecutionPlan.inputs", &m->inputs,
                             &m->ninputs, e)) ||
        (s = parse_index_vec(m, &plan, PLAN_OUTPUTS, "ExecutionPlan.outputs", &m->outputs,
                             &m->noutputs, e)) ||
        (s = parse_operators(m, &plan, e)) ||
        (s = parse_delegates(m, &plan, e)) ||
        (s = parse_chains(m, &plan, e)) ||
        (!m->inspect && (s = allocate_memory(m, e))) ||
        (!m->inspect && (s = init_delegates(m, e))) ||
        (!m->inspect && (s = prepare_kernels(m, e))) ||
        (s = plan_profile(m, e)) ||
        (!m->inspect && (s = make_exec(m, e))))
        goto fail;
    m->input_set = pt_arena_calloc(&m->arena, m->ninputs ? m->ninputs : 1, 1);
    if (!m->input_set) {
        s = pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
        goto fail;
    }
    /* inputs that are not tensors, or have no inputs to set, count as set */
    for (uint32_t i = 0; i < m->ninputs; i++) {
        int32_t k = m->values[m->inputs[i]].kind;
        m->input_set[i] = k == PETITE_KIND_NONE;
    }
    if ((s = find_reused_inputs(m, e))) goto fail;
    *out = m;
    return PETITE_OK;
fail:
    pt_prefix(e, "method '%s'", m->name);
    petite_method_free(m);
    return s;
}

petite_status petite_method_load_ex(petite_program *p, const char *name, const petite_load_options *options,
                                    petite_method **out) {
    if (!out) return pt_bad_args(__func__);
    *out = NULL;
    if (!p || !name) return pt_bad_args(__func__);
    /* the program is shared between threads: a failed load reports to the calling thread only
     * (petite_last_error), never through the program */
    pt_err err;
    pt_err_clear(&err);
    petite_load_options o;
    petite_status s = read_options(options, &o, &err);
    int64_t idx = s ? -1 : pt_program_find_plan(p, name);
    if (s) {
        /* message already recorded */
    } else if (idx < 0) {
        char names[256] = "";
        size_t n = 0;
        for (uint32_t i = 0; i < p->nplans && n < sizeof names; i++)
            n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", i ? ", " : "",
                                  p->plan_names[i]);
        s = pt_fail(&err, PETITE_ERR_NOT_FOUND, "no method named '%s' (the program has: %s)",
                    name, names);
    } else {
        s = pt_method_build(p, (uint32_t)idx, &o, out, &err);
    }
    if (s != PETITE_OK) pt_set_last_error(&err);
    else atomic_store(&p->methods_loaded, 1), pt_program_drop_pages(p);
    return s;
}

petite_status petite_method_load(petite_program *p, const char *name, petite_method **out) {
    return petite_method_load_ex(p, name, NULL, out);
}

const char *petite_method_errmsg(const petite_method *m) {
    return m ? m->err.msg : "NULL method handle";
}

/* ---- run ----------------------------------------------------------------------------------- */

static petite_status run_fail(petite_method *m, petite_status s) {
    pt_set_last_error(&m->err);
    return s;
}

petite_status petite_method_run(petite_method *m) {
    if (!m) return pt_bad_args(__func__);
    pt_err *e = &m->err;
    pt_err_clear(e);
    if (m->inspect)
        return run_fail(m, pt_fail(e, PETITE_ERR_INVALID_STATE, "method '%s' was loaded for inspection only", m->name));
    for (uint32_t i = 0; i < m->ninputs; i++)
        if (!m->input_set[i])
            return run_fail(m, pt_fail(e, PETITE_ERR_INVALID_STATE,
                                       m->ran && m->input_reused[i]
                                           ? "method '%s': input %u must be set again: the last run reused its memory"
                                           : "method '%s': input %u was not set",
                                       m->name, i));
    m->ran = 1;
    m->outputs_valid = 0;
    petite_kernel_ctx ctx = {e, &m->exec, NULL};
    const int prof = m->profiling;
    uint64_t executed = 0;
    for (uint32_t c = 0; c < m->nchains; c++) {
        const pt_chain *ch = &m->chains[c];
        uint32_t pc = 0;
        while (pc < ch->n) {
            const pt_instr *ins = &ch->instrs[pc];
            if (++executed > PT_MAX_INSTRUCTIONS_EXECUTED)
                return run_fail(m, pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                                           "method '%s': more than %d instructions executed (a loop that never ends?)",
                                           m->name, PT_MAX_INSTRUCTIONS_EXECUTED));
            petite_status s = PETITE_OK;
            uint32_t next = pc + 1;
            uint64_t t0 = prof ? pt_now_ns() : 0;
            switch (ins->kind) {
            case INSTR_KERNEL_CALL:
                if (ins->fused) break; /* computed by the instruction before it */
                ctx.state = ins->state;
                s = m->ops[ins->index].fn(&ctx, ins->args, ins->nargs);
                if (s != PETITE_OK) {
                    if (e->msg[0] == '\0') pt_fail(e, s, "kernel failed");
                    e->status = s;
                    pt_prefix(e, "method '%s': instruction %u (%s)", m->name, pc,
                              m->ops[ins->index].name);
                } else if (prof) {
                    pt_profile *p = &m->prof[ins->prof];
                    p->ns = pt_now_ns() - t0;
                    const pt_value *o = ins->nargs ? ins->args[ins->nargs - 1] : NULL;
                    if (o && o->kind == PETITE_KIND_TENSOR)
                        pt_shape_str(o->u.t->sizes, o->u.t->rank, p->detail, sizeof p->detail);
                }
                break;
            case INSTR_DELEGATE_CALL: {
                pt_delegate *d = &m->delegates[ins->index];
                if (prof && d->backend->profile) d->backend->profile(d->handle, 1);
                s = d->backend->execute(d->handle, &m->exec, m->work, ins->args, ins->nargs, e);
                if (s != PETITE_OK)
                    pt_prefix(e, "method '%s': instruction %u (delegate %u, %s)", m->name, pc,
                              ins->index, d->id);
                else if (prof && d->backend->node_stat) {
                    for (uint32_t k = 0; k < d->info.nodes; k++) {
                        pt_node_stat st;
                        memset(&st, 0, sizeof st);
                        d->backend->node_stat(d->handle, k, &st);
                        pt_profile *p = &m->prof[ins->prof + k];
                        p->kind = st.kind ? st.kind : d->id;
                        memcpy(p->detail, st.detail, sizeof p->detail);
                        p->detail[sizeof p->detail - 1] = '\0';
                        p->ns = st.ns, p->flops = st.flops;
                    }
                }
                if (prof && d->backend->profile) d->backend->profile(d->handle, 0);
                break;
            }
            case INSTR_MOVE_CALL:
                m->values[ins->b] = m->values[ins->a];
                break;
            case INSTR_JUMP_FALSE_CALL: {
                const pt_value *cv = &m->values[ins->a];
                bool cond;
                if (cv->kind == PETITE_KIND_BOOL) {
                    cond = cv->u.b;
                } else if (cv->kind == PETITE_KIND_TENSOR && cv->u.t->dtype == PETITE_BOOL &&
                           (cv->u.t->data || cv->u.t->numel == 0)) {
                    cond = true;
                    const uint8_t *d = cv->u.t->data;
                    for (int64_t k = 0; k < cv->u.t->numel; k++) cond = cond && d[k];
                } else {
                    s = pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                                "method '%s': instruction %u (JumpFalseCall): condition value %d is "
                                "neither a Bool nor a bool tensor", m->name, pc, ins->a);
                    break;
                }
                if (!cond) next = (uint32_t)ins->b;
                break;
            }
            case INSTR_FREE_CALL:
                /* petite owns every tensor's memory for the method's lifetime (unbounded
                 * tensors, the ones FreeCall exists for, are refused at load): nothing to do */
                break;
            default:
                break;
            }
            if (s != PETITE_OK) return run_fail(m, s);
            pc = next;
        }
    }
    for (uint32_t i = 0; i < m->ninputs; i++)
        if (m->input_reused[i]) m->input_set[i] = 0; /* its bytes now hold other tensors */
    m->outputs_valid = 1;
    return PETITE_OK;
}
