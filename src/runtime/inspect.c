/* inspect.c — the inspection and profiling part of the public API: what a program file holds,
 * what a method needs (operators, delegates, memory plan), and per-instruction timings. */
#include <string.h>

#include "runtime/method.h"

/* Copy a struct the caller sized with struct_size: only the fields it knows about. */
static petite_status give(void *dst, const void *src, size_t full) {
    uint32_t want;
    memcpy(&want, dst, sizeof want);
    if (want < sizeof(uint32_t) || want > 65536) {
        pt_err e;
        pt_err_clear(&e);
        pt_fail(&e, PETITE_ERR_INVALID_ARGUMENT, "struct_size %u: set it to sizeof the struct", (unsigned)want);
        pt_set_last_error(&e);
        return e.status;
    }
    memcpy(dst, src, want < full ? want : full);
    memcpy(dst, &want, sizeof want);
    return PETITE_OK;
}

petite_status petite_program_describe(const petite_program *p, petite_program_info *info) {
    if (!p || !info) return pt_bad_args(__func__);
    petite_program_info r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    memcpy(r.identifier, p->data + 4, 4);
    r.schema_version = p->version;
    r.extended_header = p->hdr.present;
    r.extended_header_length = p->hdr.present ? p->hdr.length : 0;
    r.file_size = p->size;
    r.program_size = p->hdr.present ? p->hdr.program_size : p->size;
    r.segment_base_offset = p->hdr.present ? p->hdr.segment_base : 0;
    r.segment_data_size = p->hdr.present ? p->hdr.segment_data_size : 0;
    r.num_segments = p->segments.len;
    if (p->const_offsets.len > 0) {
        r.constant_storage = PETITE_CONSTANTS_SEGMENT;
        r.constant_segment = p->const_segment;
        r.constant_entries = p->const_offsets.len;
    } else if (p->constant_buffer.len > 0) {
        r.constant_storage = PETITE_CONSTANTS_INLINE;
        r.constant_entries = p->constant_buffer.len;
    }
    r.named_data_entries = p->named_data.len;
    r.mutable_data_tables = p->mutable_segs.len;
    r.inline_delegate_blobs = p->delegate_data.len;
    r.num_methods = p->nplans;
    return give(info, &r, sizeof r);
}

petite_status petite_program_segment(const petite_program *p, size_t i, uint64_t *offset, uint64_t *size) {
    if (!p || !offset || !size || i >= p->segments.len) return pt_bad_args(__func__);
    const uint8_t *ptr;
    pt_err e;
    petite_status s = pt_program_segment(p, i, &ptr, size, &e);
    if (s) return s;
    *offset = (uint64_t)(ptr - p->data);
    return PETITE_OK;
}

petite_status petite_method_describe(const petite_method *m, petite_method_info *info) {
    if (!m || !info) return pt_bad_args(__func__);
    petite_method_info r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.num_values = m->nvalues;
    r.num_chains = m->nchains;
    r.num_instructions = m->ninstructions;
    r.num_kernel_calls = m->nkernel_calls;
    r.num_delegate_calls = m->ndelegate_calls;
    r.num_operators = m->nops;
    r.num_delegates = m->ndelegates;
    r.num_planned_buffers = m->nplanned;
    r.inspect_only = m->inspect;
    r.num_threads = m->inspect ? 0 : pc_ctx_threads(&m->exec);
    r.isa = m->inspect ? 0 : (int32_t)m->exec.isa + 1;
    r.planned_bytes = m->planned_total;
    r.constant_bytes = m->constant_bytes;
    r.unplanned_bytes = m->unplanned_bytes;
    r.backend_bytes = m->backend_bytes;
    r.packed_bytes = m->packed_bytes;
    r.scratch_bytes = (uint64_t)m->exec.scratch_size * (uint64_t)(m->inspect ? 0 : pc_ctx_threads(&m->exec));
    return give(info, &r, sizeof r);
}

petite_status petite_method_operator(const petite_method *m, size_t i, petite_operator_info *info) {
    if (!m || !info || i >= m->nops) return pt_bad_args(__func__);
    petite_operator_info r = {sizeof r, m->ops[i].name, m->ops[i].calls,
                              m->ops[i].fn != NULL || pt_kernel_lookup(m->ops[i].name, NULL) != NULL};
    return give(info, &r, sizeof r);
}

petite_status petite_method_delegate(const petite_method *m, size_t i, petite_delegate_info *info) {
    if (!m || !info || i >= m->ndelegates) return pt_bad_args(__func__);
    const pt_delegate *d = &m->delegates[i];
    petite_delegate_info r = {sizeof r, d->id, d->location == PTE_LOCATION_INLINE, d->data_index, d->blob_size,
                              d->nspecs, pt_backend_lookup(d->id) != NULL};
    return give(info, &r, sizeof r);
}

petite_status petite_method_planned_buffer(const petite_method *m, size_t i, uint64_t *size) {
    if (!m || !size || i >= m->nplanned) return pt_bad_args(__func__);
    *size = m->planned_sizes[i];
    return PETITE_OK;
}

petite_status petite_method_input_scalar(const petite_method *m, size_t i, int64_t *int_value, double *double_value) {
    if (!m || i >= m->ninputs) return pt_bad_args(__func__);
    const pt_value *v = &m->values[m->inputs[i]];
    switch (v->kind) {
    case PETITE_KIND_INT: if (int_value) *int_value = v->u.i; return PETITE_OK;
    case PETITE_KIND_BOOL: if (int_value) *int_value = v->u.b; return PETITE_OK;
    case PETITE_KIND_DOUBLE: if (double_value) *double_value = v->u.d; return PETITE_OK;
    default: return PETITE_ERR_INVALID_TYPE;
    }
}

petite_status petite_method_set_profiling(petite_method *m, int32_t on) {
    if (!m) return pt_bad_args(__func__);
    if (m->inspect) return PETITE_ERR_INVALID_STATE;
    m->profiling = on != 0;
    return PETITE_OK;
}

petite_status petite_method_profile_count(const petite_method *m, size_t *count) {
    if (!m || !count) return pt_bad_args(__func__);
    *count = m->prof ? m->nprof : 0;
    return PETITE_OK;
}

petite_status petite_method_profile_entry(const petite_method *m, size_t i, petite_profile_entry *entry) {
    if (!m || !entry || !m->prof || i >= m->nprof) return pt_bad_args(__func__);
    const pt_profile *p = &m->prof[i];
    petite_profile_entry r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    r.kind = p->kind;
    memcpy(r.detail, p->detail, sizeof r.detail);
    r.instruction = p->instruction, r.node = p->node, r.ns = p->ns, r.flops = p->flops;
    return give(entry, &r, sizeof r);
}
