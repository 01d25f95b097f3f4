/* petite info — what a .pte holds: methods with their inputs / outputs, operators, delegates, memory
 * plan; the format details (identifier, extended header, segments, constant storage) with --verbose
 * (and always in --json, after the methods); with --ops, the operator names of one or more files, each
 * once (the list a selective build takes).
 * Everything here comes through petite.h, as it would for any app. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emit.h"
#include "petite/petite.h"
#include "util.h"

static const char *dynamism_name(int d) {
    return d == PETITE_STATIC ? "static" : d == PETITE_DYNAMIC_BOUND ? "dynamic_bound" : "dynamic_unbound";
}

static const char *storage_name(int s) {
    switch (s) {
    case PETITE_STORAGE_CONSTANT: return "constant";
    case PETITE_STORAGE_PLANNED: return "planned";
    case PETITE_STORAGE_UNPLANNED: return "unplanned";
    default: return "none";
    }
}

static void emit_io(emit *o, petite_method *m, int32_t io, size_t index) {
    petite_io_info info;
    emit_obj(o, NULL);
    emit_int(o, "index", (long long)index);
    if (petite_method_io_info(m, io, index, &info) != PETITE_OK) {
        emit_str(o, "error", petite_method_errmsg(m));
        emit_end(o);
        return;
    }
    emit_str(o, "kind", util_kind_name(info.kind));
    switch (info.kind) {
    case PETITE_KIND_TENSOR: {
        int64_t order[PETITE_MAX_RANK], numel = 1;
        for (int32_t d = 0; d < info.rank; d++) order[d] = info.dim_order[d], numel *= info.max_sizes[d];
        emit_str(o, "dtype", petite_dtype_name(info.dtype));
        emit_ints(o, "shape", info.max_sizes, info.rank);
        emit_ints(o, "dim_order", order, info.rank);
        emit_str(o, "dynamism", dynamism_name(info.dynamism));
        emit_str(o, "memory", storage_name(info.storage));
        emit_int(o, "nbytes", (long long)(numel * (int64_t)petite_dtype_size(info.dtype)));
        break;
    }
    case PETITE_KIND_INT:
    case PETITE_KIND_BOOL:
    case PETITE_KIND_DOUBLE: {
        int64_t iv = 0;
        double dv = 0;
        int32_t bv = 0;
        if (io == PETITE_INPUT) {
            petite_method_input_scalar(m, index, &iv, &dv);
            bv = (int32_t)iv;
        } else if (info.kind == PETITE_KIND_INT) {
            petite_method_output_int(m, index, &iv);
        } else if (info.kind == PETITE_KIND_DOUBLE) {
            petite_method_output_double(m, index, &dv);
        } else {
            petite_method_output_bool(m, index, &bv);
        }
        if (info.kind == PETITE_KIND_INT) emit_int(o, "int", (long long)iv);
        else if (info.kind == PETITE_KIND_DOUBLE) emit_num(o, "double", dv);
        else emit_bool(o, "bool", bv);
        break;
    }
    case PETITE_KIND_STRING: {
        const char *s;
        size_t len;
        if (io == PETITE_OUTPUT && petite_method_output_string(m, index, &s, &len) == PETITE_OK) emit_strn(o, "string", s, len);
        break;
    }
    default: break;
    }
    emit_end(o);
}

static void emit_method(emit *o, petite_program *p, const char *name) {
    emit_obj(o, NULL);
    emit_str(o, "name", name);
    petite_method *m = NULL;
    petite_load_options opt;
    petite_load_options_init(&opt);
    opt.flags = PETITE_LOAD_INSPECT;
    if (petite_method_load_ex(p, name, &opt, &m) != PETITE_OK) {
        emit_str(o, "error", petite_last_error());
        emit_end(o);
        return;
    }
    size_t nin = 0, nout = 0;
    petite_method_io_count(m, PETITE_INPUT, &nin);
    petite_method_io_count(m, PETITE_OUTPUT, &nout);
    emit_arr(o, "inputs");
    for (size_t k = 0; k < nin; k++) emit_io(o, m, PETITE_INPUT, k);
    emit_end(o);
    emit_arr(o, "outputs");
    for (size_t k = 0; k < nout; k++) emit_io(o, m, PETITE_OUTPUT, k);
    emit_end(o);

    petite_method_info mi = {.struct_size = sizeof mi};
    petite_method_describe(m, &mi);
    emit_arr(o, "operators");
    for (uint32_t k = 0; k < mi.num_operators; k++) {
        petite_operator_info op = {.struct_size = sizeof op};
        if (petite_method_operator(m, k, &op) != PETITE_OK) continue;
        emit_obj(o, NULL);
        emit_str(o, "name", op.name);
        emit_int(o, "calls", op.calls);
        emit_bool(o, "kernel_available", op.kernel_available);
        emit_end(o);
    }
    emit_end(o);
    emit_arr(o, "delegates");
    for (uint32_t k = 0; k < mi.num_delegates; k++) {
        petite_delegate_info d = {.struct_size = sizeof d};
        if (petite_method_delegate(m, k, &d) != PETITE_OK) continue;
        emit_obj(o, NULL);
        emit_str(o, "backend", d.backend);
        emit_str(o, "location", d.inline_blob ? "inline" : "segment");
        emit_int(o, "index", d.data_index);
        emit_int(o, "size", (long long)d.blob_size);
        emit_int(o, "compile_specs", d.num_compile_specs);
        emit_bool(o, "backend_available", d.backend_available);
        emit_end(o);
    }
    emit_end(o);
    emit_obj(o, "memory_plan");
    emit_int(o, "buffers", mi.num_planned_buffers);
    int64_t *sizes = calloc(mi.num_planned_buffers ? mi.num_planned_buffers : 1, sizeof *sizes);
    for (uint32_t k = 0; sizes && k < mi.num_planned_buffers; k++) {
        uint64_t sz = 0;
        petite_method_planned_buffer(m, k, &sz);
        sizes[k] = (int64_t)sz;
    }
    emit_ints(o, "sizes", sizes, sizes ? (int)mi.num_planned_buffers : 0);
    free(sizes);
    emit_int(o, "total_bytes", (long long)mi.planned_bytes);
    emit_end(o);
    emit_int(o, "constant_bytes", (long long)mi.constant_bytes);
    emit_int(o, "values", mi.num_values);
    emit_int(o, "chains", mi.num_chains);
    emit_int(o, "instructions", mi.num_instructions);
    emit_int(o, "delegate_calls", mi.num_delegate_calls);
    emit_end(o);
    petite_method_free(m);
}

static void emit_format(emit *o, const petite_program *p, const petite_program_info *pi) {
    emit_obj(o, "format");
    emit_str(o, "identifier", pi->identifier);
    emit_int(o, "schema_version", pi->schema_version);
    emit_obj(o, "extended_header");
    emit_bool(o, "present", pi->extended_header);
    if (pi->extended_header) {
        emit_int(o, "length", pi->extended_header_length);
        emit_int(o, "program_size", (long long)pi->program_size);
        emit_int(o, "segment_base_offset", (long long)pi->segment_base_offset);
        emit_int(o, "segment_data_size", (long long)pi->segment_data_size);
    }
    emit_end(o);
    emit_arr(o, "segments");
    for (uint32_t i = 0; i < pi->num_segments; i++) {
        uint64_t off, size;
        if (petite_program_segment(p, i, &off, &size) != PETITE_OK) continue;
        emit_obj(o, NULL);
        emit_int(o, "index", i);
        emit_int(o, "offset", (long long)off);
        emit_int(o, "size", (long long)size);
        emit_end(o);
    }
    emit_end(o);
    emit_obj(o, "constants");
    if (pi->constant_storage == PETITE_CONSTANTS_SEGMENT) {
        emit_str(o, "storage", "constant_segment");
        emit_int(o, "segment", pi->constant_segment);
        emit_int(o, "entries", pi->constant_entries);
    } else if (pi->constant_storage == PETITE_CONSTANTS_INLINE) {
        emit_str(o, "storage", "constant_buffer (legacy, inline)");
        emit_int(o, "entries", pi->constant_entries);
    } else {
        emit_str(o, "storage", "none");
    }
    emit_end(o);
    emit_int(o, "named_data_entries", pi->named_data_entries);
    emit_int(o, "mutable_data_tables", pi->mutable_data_tables);
    emit_int(o, "inline_delegate_blobs", pi->inline_delegate_blobs);
    emit_end(o);
}

/* --ops: the operator names every method of the files calls, each once, sorted: the list a selective
 * build takes (cmake -DPETITE_SELECT_OPS=FILE); delegates are named in comment lines */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int list_ops(int n, char **paths) {
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    for (int f = 0; f < n && rc == 0; f++) {
        petite_program *p;
        if (petite_program_open_file(paths[f], &p) != PETITE_OK) {
            fprintf(stderr, "petite info: %s\n", petite_last_error());
            rc = 1;
            break;
        }
        size_t nm = 0;
        petite_program_method_count(p, &nm);
        for (size_t i = 0; i < nm && rc == 0; i++) {
            const char *mname;
            petite_method *m = NULL;
            petite_load_options opt;
            petite_load_options_init(&opt);
            opt.flags = PETITE_LOAD_INSPECT;
            if (petite_program_method_name(p, i, &mname) != PETITE_OK || petite_method_load_ex(p, mname, &opt, &m) != PETITE_OK) {
                fprintf(stderr, "petite info: %s: %s\n", paths[f], petite_last_error());
                rc = 1;
                break;
            }
            petite_method_info mi = {.struct_size = sizeof mi};
            petite_method_describe(m, &mi);
            for (uint32_t k = 0; k < mi.num_operators + mi.num_delegates && rc == 0; k++) {
                char buf[300];
                if (k < mi.num_operators) {
                    petite_operator_info op = {.struct_size = sizeof op};
                    if (petite_method_operator(m, k, &op) != PETITE_OK) continue;
                    snprintf(buf, sizeof buf, "%s", op.name);
                } else {
                    petite_delegate_info d = {.struct_size = sizeof d};
                    if (petite_method_delegate(m, k - mi.num_operators, &d) != PETITE_OK) continue;
                    snprintf(buf, sizeof buf, "# delegate %s", d.backend);
                }
                int seen = 0;
                for (size_t j = 0; j < count && !seen; j++) seen = strcmp(names[j], buf) == 0;
                if (seen) continue;
                if (count == cap) {
                    char **grown = realloc(names, (cap = cap ? 2 * cap : 32) * sizeof *names);
                    if (!grown) {
                        rc = 1;
                        break;
                    }
                    names = grown;
                }
                if (!(names[count] = malloc(strlen(buf) + 1))) {
                    rc = 1;
                    break;
                }
                strcpy(names[count++], buf);
            }
            petite_method_free(m);
        }
        petite_program_close(p);
    }
    if (rc == 0) {
        qsort(names, count, sizeof *names, cmp_str);
        for (size_t j = 0; j < count; j++) printf("%s\n", names[j]);
    }
    for (size_t j = 0; j < count; j++) free(names[j]);
    free(names);
    return rc;
}

int cmd_info(int argc, char **argv) {
    const char *path = NULL;
    int json = 0, ops = 0, verbose = 0;
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    int npaths = 0;
    if (!paths) return 1;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--ops") == 0) ops = 1;
        else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) verbose = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "petite info: unknown option '%s'\n", argv[i]);
            free(paths);
            return 2;
        } else paths[npaths++] = argv[i];
    }
    if (ops && npaths > 0) {
        int rc = json ? 2 : list_ops(npaths, paths);
        if (json) fprintf(stderr, "petite info: --ops prints plain lines (no --json)\n");
        free(paths);
        return rc;
    }
    path = npaths ? paths[0] : NULL;
    if (npaths > 1) {
        fprintf(stderr, "petite info: unexpected argument '%s' (several files only with --ops)\n", paths[1]);
        free(paths);
        return 2;
    }
    free(paths);
    if (!path) {
        fprintf(stderr, "petite info: give a .pte file\n");
        return 2;
    }
    petite_program *p;
    if (petite_program_open_file(path, &p) != PETITE_OK) {
        fprintf(stderr, "petite info: %s\n", petite_last_error());
        return 1;
    }
    petite_program_info pi = {.struct_size = sizeof pi};
    petite_program_describe(p, &pi);
    emit o;
    emit_init(&o, stdout, json);
    emit_obj(&o, NULL);
    emit_str(&o, "file", path);
    emit_int(&o, "size", (long long)pi.file_size);
    /* what a user of the model needs first: methods, inputs, outputs; the container's layout last */
    emit_arr(&o, "methods");
    for (size_t i = 0; i < pi.num_methods; i++) {
        const char *name;
        if (petite_program_method_name(p, i, &name) == PETITE_OK) emit_method(&o, p, name);
    }
    emit_end(&o);
    if (json || verbose) emit_format(&o, p, &pi);
    emit_end(&o);
    if (!json && !verbose) printf("(format details: identifier, segments, constant storage: petite info --verbose)\n");
    petite_program_close(p);
    return 0;
}
