/* petite info — what a .pte holds: format, methods, I/O, operators, delegates, memory plan. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/dtype.h"
#include "emit.h"
#include "runtime/method.h"

static const char *kind_name(int32_t k) {
    static const char *names[] = {"?", "none", "int", "bool", "double", "tensor", "string",
                                  "int_list", "double_list", "bool_list", "tensor_list",
                                  "optional_tensor_list"};
    return k >= 1 && k <= 11 ? names[k] : "?";
}

static const char *dynamism_name(int d) {
    return d == PETITE_STATIC ? "static" : d == PETITE_DYNAMIC_BOUND ? "dynamic_bound" : "dynamic_unbound";
}

static const char *storage_name(int s) {
    switch (s) {
    case PT_STORE_CONSTANT: return "constant";
    case PT_STORE_PLANNED: return "planned";
    case PT_STORE_UNPLANNED: return "unplanned";
    default: return "none";
    }
}

static void emit_value(emit *o, const pt_value *v, int32_t index, int32_t value_index) {
    emit_obj(o, NULL);
    emit_int(o, "index", index);
    emit_str(o, "kind", kind_name(v->kind));
    emit_int(o, "value", value_index);
    switch (v->kind) {
    case PETITE_KIND_TENSOR: {
        const pt_tensor *t = v->u.t;
        int64_t order[PETITE_MAX_RANK];
        for (int32_t d = 0; d < t->rank; d++) order[d] = t->dim_order[d];
        emit_str(o, "dtype", petite_dtype_name(t->dtype));
        emit_ints(o, "shape", t->max_sizes, t->rank);
        emit_ints(o, "dim_order", order, t->rank);
        emit_str(o, "dynamism", dynamism_name(t->dynamism));
        emit_str(o, "memory", storage_name(t->storage));
        emit_int(o, "nbytes", (long long)(t->max_numel * (int64_t)petite_dtype_size(t->dtype)));
        break;
    }
    case PETITE_KIND_INT: emit_int(o, "int", (long long)v->u.i); break;
    case PETITE_KIND_DOUBLE: emit_num(o, "double", v->u.d); break;
    case PETITE_KIND_BOOL: emit_bool(o, "bool", v->u.b); break;
    case PETITE_KIND_STRING: emit_strn(o, "string", v->u.s.p, v->u.s.n); break;
    default: break;
    }
    emit_end(o);
}

static void emit_method(emit *o, petite_program *p, uint32_t i) {
    emit_obj(o, NULL);
    emit_str(o, "name", p->plan_names[i]);
    petite_method *m = NULL;
    pt_err err;
    pt_err_clear(&err);
    pt_load_options opt = {1, 0};
    if (pt_method_build(p, i, &opt, &m, &err) != PETITE_OK) {
        emit_str(o, "error", err.msg);
        emit_end(o);
        return;
    }
    emit_arr(o, "inputs");
    for (uint32_t k = 0; k < m->ninputs; k++) emit_value(o, &m->values[m->inputs[k]], (int32_t)k, m->inputs[k]);
    emit_end(o);
    emit_arr(o, "outputs");
    for (uint32_t k = 0; k < m->noutputs; k++) emit_value(o, &m->values[m->outputs[k]], (int32_t)k, m->outputs[k]);
    emit_end(o);

    /* operators with their call counts */
    uint32_t ninstr = 0, *calls = calloc(m->nops ? m->nops : 1, sizeof *calls);
    uint32_t ndcalls = 0;
    for (uint32_t c = 0; c < m->nchains; c++)
        for (uint32_t k = 0; k < m->chains[c].n; k++) {
            const pt_instr *ins = &m->chains[c].instrs[k];
            ninstr++;
            if (ins->kind == INSTR_KERNEL_CALL && calls) calls[ins->index]++;
            if (ins->kind == INSTR_DELEGATE_CALL) ndcalls++;
        }
    emit_arr(o, "operators");
    for (uint32_t k = 0; k < m->nops; k++) {
        emit_obj(o, NULL);
        emit_str(o, "name", m->ops[k].name);
        emit_int(o, "calls", calls ? calls[k] : 0);
        emit_bool(o, "kernel_available", pt_kernel_lookup(m->ops[k].name) != NULL);
        emit_end(o);
    }
    emit_end(o);
    free(calls);
    emit_arr(o, "delegates");
    for (uint32_t k = 0; k < m->ndelegates; k++) {
        const pt_delegate *d = &m->delegates[k];
        emit_obj(o, NULL);
        emit_str(o, "backend", d->id);
        emit_str(o, "location", d->location == PTE_LOCATION_INLINE ? "inline" : "segment");
        emit_int(o, "index", d->data_index);
        emit_int(o, "size", (long long)d->blob_size);
        emit_int(o, "compile_specs", d->nspecs);
        emit_bool(o, "backend_available", pt_backend_lookup(d->id) != NULL);
        emit_end(o);
    }
    emit_end(o);
    emit_obj(o, "memory_plan");
    emit_int(o, "buffers", m->nplanned);
    emit_ints(o, "sizes", (const int64_t *)m->planned_sizes, (int)m->nplanned);
    uint64_t total = 0;
    for (uint32_t k = 0; k < m->nplanned; k++) total += m->planned_sizes[k];
    emit_int(o, "total_bytes", (long long)total);
    emit_end(o);
    emit_int(o, "constant_bytes", (long long)m->constant_bytes);
    emit_int(o, "values", m->nvalues);
    emit_int(o, "chains", m->nchains);
    emit_int(o, "instructions", ninstr);
    emit_int(o, "delegate_calls", ndcalls);
    emit_end(o);
    petite_method_free(m);
}

static void emit_format(emit *o, const petite_program *p) {
    emit_obj(o, "format");
    emit_strn(o, "identifier", (const char *)p->data + 4, 4);
    emit_int(o, "schema_version", p->version);
    emit_obj(o, "extended_header");
    emit_bool(o, "present", p->hdr.present);
    if (p->hdr.present) {
        emit_int(o, "length", p->hdr.length);
        emit_int(o, "program_size", (long long)p->hdr.program_size);
        emit_int(o, "segment_base_offset", (long long)p->hdr.segment_base);
        emit_int(o, "segment_data_size", (long long)p->hdr.segment_data_size);
    }
    emit_end(o);
    emit_arr(o, "segments");
    pt_err err;
    for (uint32_t i = 0; i < p->segments.len; i++) {
        const uint8_t *ptr;
        uint64_t size;
        if (pt_program_segment(p, i, &ptr, &size, &err) != PETITE_OK) continue;
        emit_obj(o, NULL);
        emit_int(o, "index", i);
        emit_int(o, "offset", (long long)(ptr - p->data));
        emit_int(o, "size", (long long)size);
        emit_end(o);
    }
    emit_end(o);
    emit_obj(o, "constants");
    if (p->const_offsets.len > 0) {
        emit_str(o, "storage", "constant_segment");
        emit_int(o, "segment", p->const_segment);
        emit_int(o, "entries", p->const_offsets.len);
    } else if (p->constant_buffer.len > 0) {
        emit_str(o, "storage", "constant_buffer (legacy, inline)");
        emit_int(o, "entries", p->constant_buffer.len);
    } else {
        emit_str(o, "storage", "none");
    }
    emit_end(o);
    emit_int(o, "named_data_entries", p->named_data.len);
    emit_int(o, "mutable_data_tables", p->mutable_segs.len);
    emit_int(o, "inline_delegate_blobs", p->delegate_data.len);
    emit_end(o);
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (!path) path = argv[i];
        else {
            fprintf(stderr, "petite info: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "usage: petite info FILE.pte [--json]\n");
        return 2;
    }
    petite_program *p;
    if (petite_program_open_file(path, &p) != PETITE_OK) {
        fprintf(stderr, "petite info: %s\n", petite_last_error());
        return 1;
    }
    emit o;
    emit_init(&o, stdout, json);
    emit_obj(&o, NULL);
    emit_str(&o, "file", path);
    emit_int(&o, "size", (long long)p->size);
    emit_format(&o, p);
    emit_arr(&o, "methods");
    for (uint32_t i = 0; i < p->nplans; i++) emit_method(&o, p, i);
    emit_end(&o);
    emit_end(&o);
    petite_program_close(p);
    return 0;
}
