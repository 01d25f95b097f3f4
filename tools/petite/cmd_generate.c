/* petite generate — text from a decoder LM with petite_llm.h.
 *
 *   petite generate MODEL.pte --tokenizer T --prompt TEXT [--max-new-tokens N] [--temperature 0]
 *                   [--top-p P] [--top-k K] [--seed S] [--threads N] [--stop STR]... [--echo]
 *                   [--ignore-eos] [--no-special] [--data FILE.ptd] [--json]
 *
 * Without --json the text streams to stdout as it is generated and the stats go to stderr; with
 * --json one object: {"tokens", "text", "stop_reason", "stats"} (stats: the runner's, and peak_rss_kb: this
 * process's peak resident memory where the system says, else -1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "emit.h"
#include "util.h"
#include "petite/petite_llm.h"

typedef struct {
    int json;
    int32_t *ids;
    size_t n, cap;
    char *text;
    size_t len, tcap;
    int oom;
} collected;

static int on_piece(void *user, const char *t, size_t n, int32_t id) {
    collected *c = user;
    if (!c->json) {
        fwrite(t, 1, n, stdout);
        fflush(stdout);
        return 0;
    }
    if (id >= 0) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 64;
            int32_t *p = realloc(c->ids, cap * sizeof *p);
            if (!p) return c->oom = 1;
            c->ids = p, c->cap = cap;
        }
        c->ids[c->n++] = id;
    }
    if (c->len + n + 1 > c->tcap) {
        size_t cap = c->tcap ? c->tcap : 256;
        while (cap < c->len + n + 1) cap *= 2;
        char *p = realloc(c->text, cap);
        if (!p) return c->oom = 1;
        c->text = p, c->tcap = cap;
    }
    memcpy(c->text + c->len, t, n);
    c->len += n;
    return 0;
}

static int num(const char *opt, const char *v, double lo, double hi, double *out) {
    char *end;
    errno = 0;
    double x = v ? strtod(v, &end) : 0;
    if (!v || end == v || *end || errno || !(x >= lo && x <= hi)) {
        fprintf(stderr, "petite generate: %s takes a number in %g..%g (got %s)\n", opt, lo, hi, v ? v : "nothing");
        return 0;
    }
    *out = x;
    return 1;
}

static const char *const REASONS[] = {"running", "eos", "max_tokens", "stop_string", "stopped", "context_full", "error"};

int cmd_generate(int argc, char **argv) {
    const char *model = NULL, *tok = NULL, *prompt = NULL, *data = NULL;
    const char *stops[16];
    size_t nstop = 0;
    int json = 0;
    double v;
    petite_llm_config c;
    petite_llm_config_init(&c);
    petite_llm_options o;
    petite_llm_options_init(&o);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--tokenizer") && next) tok = argv[++i];
        else if (!strcmp(a, "--prompt") && next) prompt = argv[++i];
        else if (!strcmp(a, "--data") && next) data = argv[++i];
        else if (!strcmp(a, "--json")) json = 1;
        else if (!strcmp(a, "--echo")) c.echo = 1;
        else if (!strcmp(a, "--ignore-eos")) c.ignore_eos = 1;
        else if (!strcmp(a, "--no-special")) c.add_special = 0;
        else if (!strcmp(a, "--stop") && next) {
            if (nstop == 16) {
                fprintf(stderr, "petite generate: at most 16 --stop strings\n");
                return 2;
            }
            stops[nstop++] = argv[++i];
        } else if (!strcmp(a, "--max-new-tokens")) {
            if (!num(a, next, -1, 1 << 24, &v)) return 2;
            c.max_new_tokens = (int32_t)v, i++;
        } else if (!strcmp(a, "--temperature")) {
            if (!num(a, next, 0, 100, &v)) return 2;
            c.temperature = (float)v, i++;
        } else if (!strcmp(a, "--top-p")) {
            if (!num(a, next, 0, 1, &v)) return 2;
            c.top_p = (float)v, i++;
        } else if (!strcmp(a, "--top-k")) {
            if (!num(a, next, 0, 1 << 24, &v)) return 2;
            c.top_k = (int32_t)v, i++;
        } else if (!strcmp(a, "--seed")) {
            if (!num(a, next, 0, 9007199254740992.0, &v)) return 2;
            c.seed = (uint64_t)v, i++;
        } else if (!strcmp(a, "--threads")) {
            if (!num(a, next, 0, 256, &v)) return 2;
            o.num_threads = (int32_t)v, i++;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "petite generate: unknown option %s (or its value is missing)\n", a);
            return 2;
        } else if (!model) model = a;
        else {
            fprintf(stderr, "petite generate: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!model || !tok || !prompt) {
        fprintf(stderr, "petite generate: %s is required\n", !model ? "MODEL.pte" : !tok ? "--tokenizer" : "--prompt");
        return 2;
    }
    c.stop = stops, c.n_stop = nstop;
    o.data_file = data;
    petite_llm *l;
    if (petite_llm_load(model, tok, &o, &l) != PETITE_OK) {
        fprintf(stderr, "petite generate: %s\n", petite_llm_last_error());
        return 1;
    }
    collected col = {.json = json};
    petite_status s = petite_llm_generate(l, prompt, &c, on_piece, &col);
    petite_llm_stats st;
    petite_llm_stats_get(l, &st);
    int rc = 0;
    if (s != PETITE_OK) {
        fprintf(stderr, "petite generate: %s\n", petite_llm_errmsg(l));
        rc = 1;
    } else if (col.oom) {
        fprintf(stderr, "petite generate: out of memory\n");
        rc = 1;
    } else if (json) {
        emit e;
        emit_init(&e, stdout, 1);
        emit_obj(&e, NULL);
        emit_arr(&e, "tokens");
        for (size_t k = 0; k < col.n; k++) emit_int(&e, NULL, col.ids[k]);
        emit_end(&e);
        emit_strn(&e, "text", col.text ? col.text : "", col.len);
        emit_str(&e, "stop_reason", REASONS[st.stop_reason]);
        emit_obj(&e, "stats");
        emit_fixed(&e, "load_ms", st.load_ms, 3, 3);
        emit_fixed(&e, "prefill_ms", st.prefill_ms, 3, 3);
        emit_fixed(&e, "first_token_ms", st.first_token_ms, 3, 3);
        emit_fixed(&e, "decode_ms", st.decode_ms, 3, 3);
        emit_fixed(&e, "sampling_ms", st.sampling_ms, 3, 3);
        emit_int(&e, "prompt_tokens", st.prompt_tokens);
        emit_int(&e, "generated_tokens", st.generated_tokens);
        emit_fixed(&e, "prefill_tokens_per_s", st.prefill_tokens_per_s, 2, 3);
        emit_fixed(&e, "decode_tokens_per_s", st.decode_tokens_per_s, 2, 3);
        emit_int(&e, "kv_cache_bytes", (long long)st.kv_cache_bytes);
        emit_int(&e, "position", st.position);
        emit_int(&e, "peak_rss_kb", util_proc_status_kb("VmHWM")); /* -1 where the system does not say */
        emit_end(&e);
        emit_end(&e);
    } else {
        putchar('\n');
        fflush(stdout); /* the text before the stats line when both go to one terminal */
        fprintf(stderr, "%lld prompt tokens, %lld generated (%s); load %.1f ms, first token %.1f ms, prefill %.1f tokens/s, "
                        "decode %.1f tokens/s\n", (long long)st.prompt_tokens, (long long)st.generated_tokens,
                REASONS[st.stop_reason], st.load_ms, st.first_token_ms, st.prefill_tokens_per_s, st.decode_tokens_per_s);
    }
    free(col.ids), free(col.text);
    petite_llm_free(l);
    return rc;
}
