/* petite bench — time a method: load, first inference, then steady-state runs (median, min, p90 of
 * wall time, and CPU time per inference over all threads); --per-op adds a table of time by operator
 * and delegate node kind (count, total ms, share, GFLOP/s where FLOPs are defined), sorted by total;
 * --per-op=all also lists every instruction and delegate node (kind, shape). Times are in ms with
 * 3 decimals (3 significant digits below 0.1 ms). --json always holds both the summary and the list.
 *
 *   petite bench model.pte [--method M] [--threads N] [--isa auto|scalar|avx2|avx512|neon|wasmsimd]
 *                          [--warmup W] [--runs R] [--per-op[=all]] [--json] [--input x.npy ...]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "emit.h"
#include "npy.h"
#include "petite/petite.h"
#include "util.h"

#define MAX_INPUTS 64

static double wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(const double *sorted, int n, double q) {
    int i = (int)(q * (n - 1) + 0.5);
    return sorted[i < 0 ? 0 : (i >= n ? n - 1 : i)];
}

/* The inputs, made (or read) once and set before every run: the bench holds them for the whole run,
 * and says how many bytes that is (input_buffer_bytes: the caller's memory, not petite's). */
typedef struct bench_inputs {
    void *buf[MAX_INPUTS];
    npy_array npy[MAX_INPUTS];
    int is_npy[MAX_INPUTS];
    size_t bytes;
} bench_inputs;

static void free_inputs(bench_inputs *b) {
    for (int i = 0; i < MAX_INPUTS; i++) {
        if (b->is_npy[i]) npy_free(&b->npy[i]);
        free(b->buf[i]);
    }
}

static int set_inputs(petite_method *m, int ninputs, const char **inputs, bench_inputs *b) {
    size_t nin = 0;
    petite_method_io_count(m, PETITE_INPUT, &nin);
    if ((ninputs && (size_t)ninputs != nin) || nin > MAX_INPUTS) {
        fprintf(stderr, "petite bench: the method takes %zu inputs, %d given\n", nin, ninputs);
        return -1;
    }
    for (size_t i = 0; i < nin; i++) {
        petite_io_info info;
        petite_method_io_info(m, PETITE_INPUT, i, &info);
        petite_status s = PETITE_OK;
        if (info.kind == PETITE_KIND_INT || info.kind == PETITE_KIND_BOOL || info.kind == PETITE_KIND_DOUBLE) {
            int64_t iv = 0;
            double dv = 0;
            petite_method_input_scalar(m, i, &iv, &dv);
            s = info.kind == PETITE_KIND_INT ? petite_method_set_input_int(m, i, iv)
                : info.kind == PETITE_KIND_BOOL ? petite_method_set_input_bool(m, i, (int32_t)iv)
                                                : petite_method_set_input_double(m, i, dv);
        } else if (info.kind == PETITE_KIND_TENSOR && ninputs) {
            npy_array *a = &b->npy[i];
            char err[256];
            if (!b->is_npy[i]) {
                if (npy_read(inputs[i], a, err, sizeof err)) {
                    fprintf(stderr, "petite bench: %s\n", err);
                    return -1;
                }
                b->is_npy[i] = 1, b->bytes += a->nbytes;
            }
            s = petite_method_set_input(m, i, a->dtype, a->rank, a->shape, a->data, a->nbytes, PETITE_COPY);
        } else if (info.kind == PETITE_KIND_TENSOR) {
            size_t nbytes = (size_t)info.nbytes;
            if (!b->buf[i]) {
                if (!(b->buf[i] = calloc(1, nbytes ? nbytes : 1))) return -1;
                util_fill(b->buf[i], info.dtype, (int64_t)(nbytes / petite_dtype_size(info.dtype)), (uint32_t)i);
                b->bytes += nbytes;
            }
            s = petite_method_set_input(m, i, info.dtype, info.rank, info.sizes, b->buf[i], nbytes, PETITE_COPY);
        }
        if (s != PETITE_OK) {
            fprintf(stderr, "petite bench: %s\n", petite_method_errmsg(m));
            return -1;
        }
    }
    return 0;
}

/* one row of the per-operator summary: every profile entry of one kind, kernel call or delegate node */
typedef struct op_sum {
    const char *kind;
    int node; /* 1: a delegate node ("Conv2d"), 0: a kernel call ("aten::add.out") */
    long long count;
    double ms, flops;
} op_sum;

static int cmp_sum(const void *a, const void *b) {
    const op_sum *x = a, *y = b;
    if (x->ms != y->ms) return x->ms > y->ms ? -1 : 1; /* the largest total first */
    if (x->node != y->node) return x->node - y->node;
    return strcmp(x->kind, y->kind);
}

/* --per-op: total and GFLOP of the profiled run, the summary by kind (sorted by total ms), and with
 * `all` (or --json) every entry; text prints tables, one line per row. -1 if out of memory. */
static int emit_per_op(emit *o, petite_method *m, size_t nprof, int json, int all) {
    double total = 0, flops = 0;
    op_sum *sums = calloc(nprof ? nprof : 1, sizeof *sums);
    size_t nsum = 0;
    if (!sums) {
        fprintf(stderr, "petite bench: out of memory\n");
        return -1;
    }
    for (size_t i = 0; i < nprof; i++) {
        petite_profile_entry pe = {.struct_size = sizeof pe};
        if (petite_method_profile_entry(m, i, &pe) != PETITE_OK) continue;
        const char *kind = pe.kind ? pe.kind : "?";
        const double ms = (double)pe.ns * 1e-6;
        const int node = pe.node >= 0;
        size_t k = 0;
        while (k < nsum && !(sums[k].node == node && strcmp(sums[k].kind, kind) == 0)) k++;
        if (k == nsum) sums[nsum++] = (op_sum){.kind = kind, .node = node};
        sums[k].count++, sums[k].ms += ms, sums[k].flops += pe.flops;
        total += ms, flops += pe.flops;
    }
    qsort(sums, nsum, sizeof *sums, cmp_sum);
    int w = 15; /* text: the width of the kind column, the longest kind's (up to 80) */
    for (size_t k = 0; k < nsum; k++) {
        size_t len = strlen(sums[k].kind);
        if (len > (size_t)w) w = len < 80 ? (int)len : 80;
    }
    emit_fixed(o, "profiled_ms", total, 3, 3);
    emit_fixed(o, "gflop", flops * 1e-9, 3, 3);
    char b1[64], b2[64], b3[64];
    if (json) {
        emit_arr(o, "summary");
        for (size_t k = 0; k < nsum; k++) {
            emit_obj(o, NULL);
            emit_str(o, "kind", sums[k].kind);
            emit_str(o, "type", sums[k].node ? "delegate" : "kernel");
            emit_int(o, "count", sums[k].count);
            emit_fixed(o, "ms", sums[k].ms, 3, 3);
            emit_fixed(o, "percent", total > 0 ? 100.0 * sums[k].ms / total : 0, 1, 2);
            if (sums[k].flops > 0 && sums[k].ms > 0) emit_fixed(o, "gflops", sums[k].flops / (sums[k].ms * 1e6), 2, 3);
            emit_end(o);
        }
        emit_end(o);
    } else {
        printf("\nby operator (kernel calls) and delegate node kind, profiled run %s ms, %zu entries:\n",
               emit_fmt_fixed(b1, sizeof b1, total, 3, 3), nprof);
        printf("  %-*s %-8s %6s %12s %7s %9s\n", w, "operator / node", "type", "count", "total ms", "share", "GFLOP/s");
        for (size_t k = 0; k < nsum; k++) {
            const op_sum *r = &sums[k];
            printf("  %-*s %-8s %6lld %12s %6s%% %9s\n", w, r->kind, r->node ? "delegate" : "kernel", r->count,
                   emit_fmt_fixed(b1, sizeof b1, r->ms, 3, 3),
                   emit_fmt_fixed(b2, sizeof b2, total > 0 ? 100.0 * r->ms / total : 0, 1, 2),
                   r->flops > 0 && r->ms > 0 ? emit_fmt_fixed(b3, sizeof b3, r->flops / (r->ms * 1e6), 2, 3) : "-");
        }
        if (!all) printf("(each instruction and delegate node: --per-op=all)\n");
    }
    free(sums);
    if (!json && !all) return 0;
    if (json) emit_arr(o, "ops");
    else printf("\neach instruction (.node: of a delegate call), in execution order:\n  %-9s %-*s %12s %7s %9s  %s\n",
                "#", w, "kind", "ms", "share", "GFLOP/s", "shape");
    for (size_t i = 0; i < nprof; i++) {
        petite_profile_entry pe = {.struct_size = sizeof pe};
        if (petite_method_profile_entry(m, i, &pe) != PETITE_OK) continue;
        const char *kind = pe.kind ? pe.kind : "?";
        double ms = (double)pe.ns * 1e-6, pct = total > 0 ? 100.0 * ms / total : 0;
        if (!json) {
            char where[32];
            if (pe.node >= 0) snprintf(where, sizeof where, "%d.%d", pe.instruction, pe.node);
            else snprintf(where, sizeof where, "%d", pe.instruction);
            printf("  %-9s %-*s %12s %6s%% %9s  %s\n", where, w, kind, emit_fmt_fixed(b1, sizeof b1, ms, 3, 3),
                   emit_fmt_fixed(b2, sizeof b2, pct, 1, 2),
                   pe.flops > 0 && ms > 0 ? emit_fmt_fixed(b3, sizeof b3, pe.flops / (ms * 1e6), 2, 3) : "-", pe.detail);
            continue;
        }
        emit_obj(o, NULL);
        emit_int(o, "instruction", pe.instruction);
        emit_int(o, "node", pe.node);
        emit_str(o, "kind", kind);
        emit_str(o, "shape", pe.detail);
        emit_fixed(o, "ms", ms, 3, 3);
        emit_fixed(o, "percent", pct, 1, 2);
        if (pe.flops > 0 && ms > 0) emit_fixed(o, "gflops", pe.flops / (ms * 1e6), 2, 3);
        emit_end(o);
    }
    if (json) emit_end(o);
    return 0;
}

int cmd_bench(int argc, char **argv) {
    const char *path = NULL, *method = NULL, *inputs[MAX_INPUTS];
    int ninputs = 0, warmup = 3, runs = 20, per_op = 0, json = 0;
    petite_load_options opt;
    petite_load_options_init(&opt);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--method") == 0 && more) method = argv[++i];
        else if (strcmp(a, "--threads") == 0 && more) {
            if (util_parse_i("bench", "--threads", argv[++i], 0, 64, &opt.num_threads)) return 2;
        } else if (strcmp(a, "--warmup") == 0 && more) {
            if (util_parse_i("bench", "--warmup", argv[++i], 0, 1000000, &warmup)) return 2;
        } else if (strcmp(a, "--runs") == 0 && more) {
            if (util_parse_i("bench", "--runs", argv[++i], 1, 1000000, &runs)) return 2;
        }
        else if (strcmp(a, "--isa") == 0 && more) {
            if (util_parse_isa(argv[++i], &opt.isa)) {
                fprintf(stderr, "petite bench: --isa takes auto, scalar, avx2, avx512, neon or wasmsimd\n");
                return 2;
            }
        } else if (strcmp(a, "--kernel-lib") == 0 && more) {
            if (util_load_kernel_lib("bench", argv[++i])) return 1;
        } else if (strcmp(a, "--per-op") == 0) per_op = 1;
        else if (strcmp(a, "--per-op=all") == 0) per_op = 2;
        else if (strcmp(a, "--json") == 0) json = 1;
        else if (strcmp(a, "--input") == 0 && more) {
            while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0 && ninputs < MAX_INPUTS) inputs[ninputs++] = argv[++i];
        } else if (!path && a[0] != '-') path = a;
        else {
            fprintf(stderr, "petite bench: unexpected argument '%s'\n", a);
            return 2;
        }
    }
    if (!path || runs < 1 || warmup < 0 || opt.num_threads < 0) {
        fprintf(stderr, "petite bench: %s\n", !path ? "give a .pte file" : "--runs takes N >= 1, --warmup and --threads N >= 0");
        return 2;
    }
    static bench_inputs bin;
    const long rss_start = util_proc_status_kb("VmRSS"); /* the process before petite opens anything */
    const long anon_start = util_proc_status_kb("RssAnon");
    double t0 = wall_ms();
    petite_program *p = NULL;
    petite_method *m = NULL;
    int rc = 1;
    double *times = NULL, *cpus = NULL;
    if (petite_program_open_file(path, &p) != PETITE_OK) {
        fprintf(stderr, "petite bench: %s\n", petite_last_error());
        return 1;
    }
    if (!method) method = cli_default_method(p);
    if (petite_method_load_ex(p, method, &opt, &m) != PETITE_OK) {
        fprintf(stderr, "petite bench: %s\n", petite_last_error());
        goto done;
    }
    double load_ms = wall_ms() - t0;
    if (set_inputs(m, ninputs, inputs, &bin)) goto done;
    double f0 = wall_ms();
    if (petite_method_run(m) != PETITE_OK) {
        fprintf(stderr, "petite bench: %s\n", petite_method_errmsg(m));
        goto done;
    }
    double first_ms = wall_ms() - f0;
    /* inputs are set before every run (untimed), as an app does: a run may reuse their memory */
    for (int i = 0; i < warmup; i++)
        if (set_inputs(m, ninputs, inputs, &bin) || petite_method_run(m) != PETITE_OK) {
            fprintf(stderr, "petite bench: %s\n", petite_method_errmsg(m));
            goto done;
        }
    times = malloc((size_t)runs * sizeof *times);
    cpus = malloc((size_t)runs * sizeof *cpus);
    if (!times || !cpus) goto done;
    for (int i = 0; i < runs; i++) {
        if (set_inputs(m, ninputs, inputs, &bin)) goto done;
        double c0 = cpu_ms(), w0 = wall_ms();
        if (petite_method_run(m) != PETITE_OK) {
            fprintf(stderr, "petite bench: %s\n", petite_method_errmsg(m));
            goto done;
        }
        times[i] = wall_ms() - w0;
        cpus[i] = cpu_ms() - c0;
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    qsort(cpus, (size_t)runs, sizeof *cpus, cmp_double);
    petite_method_info mi = {.struct_size = sizeof mi};
    petite_method_describe(m, &mi);

    /* one more run with profiling on, for the per-op table */
    size_t nprof = 0;
    if (per_op) {
        petite_method_set_profiling(m, 1);
        if (set_inputs(m, ninputs, inputs, &bin)) goto done;
        petite_method_run(m);
        petite_method_set_profiling(m, 0);
        petite_method_profile_count(m, &nprof);
    }
    emit o;
    emit_init(&o, stdout, json);
    emit_obj(&o, NULL);
    emit_str(&o, "file", path);
    emit_str(&o, "method", method);
    emit_int(&o, "threads", mi.num_threads);
    emit_str(&o, "isa", util_isa_name(mi.isa));
    emit_fixed(&o, "load_ms", load_ms, 3, 3);
    emit_fixed(&o, "first_run_ms", first_ms, 3, 3);
    emit_int(&o, "runs", runs);
    emit_fixed(&o, "median_ms", quantile(times, runs, 0.5), 3, 3);
    emit_fixed(&o, "min_ms", times[0], 3, 3);
    emit_fixed(&o, "p90_ms", quantile(times, runs, 0.9), 3, 3);
    emit_fixed(&o, "cpu_median_ms", quantile(cpus, runs, 0.5), 3, 3);
    emit_int(&o, "packed_bytes", (long long)mi.packed_bytes);
    emit_int(&o, "planned_bytes", (long long)mi.planned_bytes);
    emit_int(&o, "backend_bytes", (long long)mi.backend_bytes);
    emit_int(&o, "scratch_bytes", (long long)mi.scratch_bytes);
    if (rss_start >= 0) { /* peak resident memory of the process, and what it held before the open */
        emit_int(&o, "rss_start_kb", rss_start);
        emit_int(&o, "peak_rss_kb", util_proc_status_kb("VmHWM"));
        emit_int(&o, "rss_end_kb", util_proc_status_kb("VmRSS")); /* after the runs */
        /* private memory (RssAnon: not the pages of mapped files, the model's or the binary's, which
         * current kernels map in large-folio chunks of up to 2 MiB), before the open and after the runs */
        emit_int(&o, "rss_anon_start_kb", anon_start);
        emit_int(&o, "rss_anon_end_kb", util_proc_status_kb("RssAnon"));
        emit_int(&o, "input_buffer_bytes", (long long)bin.bytes); /* of it: the bench's own inputs */
    }
    if (per_op && emit_per_op(&o, m, nprof, json, per_op == 2)) goto done;
    emit_end(&o);
    rc = 0;
done:
    free(times);
    free(cpus);
    free_inputs(&bin);
    petite_method_free(m);
    petite_program_close(p);
    return rc;
}
