/* llm.c — the text-generation runner (petite_llm.h): metadata, prefill in chunks, sampling, streaming
 * text with stop strings, stats. On the public headers only (petite.h, petite_text.h).
 *
 * The protocol is the official runner's (extension/llm/runner/: text_llm_runner.cpp,
 * text_prefiller.cpp, text_token_generator.h; the sampler extension/llm/sampler/sampler.cpp, a
 * llama2.c derivative): metadata from constant methods, forward(tokens [1, T], input_pos [1]),
 * the context check (position + prompt < context), max_new_tokens resolved against the context,
 * the last sampled token never fed (until the next prompt: petite feeds it first, so a chat's cache
 * holds what the user saw). Differences, by design: the first token is sampled with the configured
 * temperature (the official runner takes it greedily); top-k and top-p may be combined. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "petite/petite_llm.h"

enum { MAX_EOS = 16, MAX_STOPS = 16 };

static const char *const META_KEYS[] = {"get_max_seq_len",  "get_max_context_len", "get_vocab_size",
                                        "get_bos_id",       "get_eos_ids",         "get_n_layers",
                                        "use_kv_cache",     "use_sdpa_with_kv_cache", "enable_dynamic_shape"};
enum { NMETA = sizeof META_KEYS / sizeof *META_KEYS };

typedef struct {
    char *p;
    size_t n, cap;
} buf;

struct petite_llm {
    petite_program *prog;
    petite_method *m;
    ptk_tokenizer *tk;
    char err[512];
    int64_t meta[NMETA];
    bool has_meta[NMETA];
    int32_t eos[MAX_EOS];
    size_t neos;
    int64_t context, chunk_max, vocab, nsample;
    /* the conversation */
    int64_t pos;       /* rows of the cache in use */
    int32_t cur;       /* the last sampled token, not yet fed (-1: none) */
    atomic_int stop;
    /* the running generation */
    bool active, need_feed, finishing, echo_pending, by_context;
    petite_llm_config cfg;
    const char *stops[MAX_STOPS];
    size_t nstop;
    int64_t left;      /* tokens still to sample */
    ptk_stream *stream;
    buf pending, out, echo;
    float *probs;
    struct cand { float p; int32_t i; } *order;
    int64_t *tokbuf;
    uint64_t rng;
    petite_llm_stats st;
    double t0, load_ms;
};

static _Thread_local char g_err[512];

const char *petite_llm_last_error(void) { return g_err; }
const char *petite_llm_errmsg(const petite_llm *l) { return l ? l->err : g_err; }

static petite_status fail(petite_llm *l, petite_status s, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (l) memcpy(l->err, msg, sizeof msg);
    memcpy(g_err, msg, sizeof msg);
    return s;
}

static double cpu_ms(void) { /* the process's: the caller's thread and the method's workers */
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static bool buf_put(buf *b, const char *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return false;
        b->p = p, b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return true;
}

void petite_llm_options_init(petite_llm_options *o) {
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
}

void petite_llm_config_init(petite_llm_config *c) {
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    c->max_new_tokens = -1, c->seq_len = -1;
    c->seed = 1;
    c->add_special = 1;
}

/* ---- load ---- */

static int meta_index(const char *key) {
    for (int k = 0; k < NMETA; k++)
        if (!strcmp(META_KEYS[k], key)) return k;
    return -1;
}

/* a constant method: its outputs as integers (Int or Bool) */
static petite_status read_meta(petite_llm *l, const char *name, int64_t *vals, size_t cap, size_t *n) {
    petite_method *mm;
    if (petite_method_load(l->prog, name, &mm) != PETITE_OK)
        return fail(l, PETITE_ERR_INVALID_PROGRAM, "metadata method %s: %s", name, petite_last_error());
    size_t count = 0;
    petite_status s = petite_method_run(mm);
    if (!s) s = petite_method_io_count(mm, PETITE_OUTPUT, &count);
    if (!s && (count == 0 || count > cap)) s = PETITE_ERR_INVALID_PROGRAM;
    for (size_t i = 0; !s && i < count; i++) {
        int32_t b;
        if (petite_method_output_int(mm, i, &vals[i]) != PETITE_OK) {
            if (petite_method_output_bool(mm, i, &b) != PETITE_OK) s = PETITE_ERR_INVALID_TYPE;
            else vals[i] = b;
        }
    }
    petite_method_free(mm);
    if (s)
        return fail(l, s, "metadata method %s: expected 1..%zu Int or Bool outputs (%zu outputs)", name, cap, count);
    *n = count;
    return PETITE_OK;
}

static bool has_method(const petite_program *p, const char *name) {
    size_t n = 0;
    petite_program_method_count(p, &n);
    for (size_t i = 0; i < n; i++) {
        const char *s;
        if (petite_program_method_name(p, i, &s) == PETITE_OK && !strcmp(s, name)) return true;
    }
    return false;
}

static petite_status check_io(petite_llm *l, const char *method) {
    size_t nin = 0, nout = 0;
    petite_io_info a, b, o;
    petite_method_io_count(l->m, PETITE_INPUT, &nin);
    petite_method_io_count(l->m, PETITE_OUTPUT, &nout);
    if (nin != 2 || nout != 1)
        return fail(l, PETITE_ERR_NOT_SUPPORTED,
                    "method %s has %zu inputs and %zu outputs: the runner takes forward(tokens [1, T], input_pos [1]) "
                    "-> logits (a model with its KV cache)", method, nin, nout);
    petite_method_io_info(l->m, PETITE_INPUT, 0, &a);
    petite_method_io_info(l->m, PETITE_INPUT, 1, &b);
    petite_method_io_info(l->m, PETITE_OUTPUT, 0, &o);
    if (a.kind != PETITE_KIND_TENSOR || a.dtype != PETITE_INT64 || a.rank != 2 || a.max_sizes[0] != 1 || a.max_sizes[1] < 1)
        return fail(l, PETITE_ERR_NOT_SUPPORTED, "method %s input 0 (tokens): expected int64 [1, T]", method);
    if (b.kind != PETITE_KIND_TENSOR || b.dtype != PETITE_INT64 || b.rank != 1 || b.max_sizes[0] != 1)
        return fail(l, PETITE_ERR_NOT_SUPPORTED,
                    "method %s input 1 (input_pos): expected int64 [1] (the start position; cache positions [T] are "
                    "not supported)", method);
    if (o.kind != PETITE_KIND_TENSOR || o.dtype != PETITE_FLOAT32 || o.rank < 2 || o.rank > 3 || o.max_sizes[0] != 1)
        return fail(l, PETITE_ERR_NOT_SUPPORTED, "method %s output 0 (logits): expected float32 [1, V] or [1, T, V]", method);
    l->chunk_max = a.max_sizes[1];
    l->vocab = o.max_sizes[o.rank - 1];
    return PETITE_OK;
}

petite_status petite_llm_load(const char *model_path, const char *tokenizer_path, const petite_llm_options *o,
                              petite_llm **out) {
    double t0 = now_ms();
    if (!out) return fail(NULL, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_load: out is NULL");
    *out = NULL;
    if (!model_path || !tokenizer_path)
        return fail(NULL, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_load: a model path and a tokenizer path are needed");
    petite_llm_options def;
    petite_llm_options_init(&def);
    if (!o) o = &def;
    if (o->struct_size < sizeof *o)
        return fail(NULL, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_options: struct_size %u (call petite_llm_options_init)",
                    o->struct_size);
    petite_llm *l = calloc(1, sizeof *l);
    if (!l) return fail(NULL, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "out of memory");
    l->cur = -1;
    atomic_init(&l->stop, 0);
    petite_status s;
    const char *method = o->method ? o->method : "forward";
    if ((s = petite_program_open_file(model_path, &l->prog)) != PETITE_OK) {
        fail(l, s, "%s: %s", model_path, petite_last_error());
        goto bad;
    }
    if (o->data_file && (s = petite_program_attach_data_file(l->prog, o->data_file)) != PETITE_OK) {
        fail(l, s, "%s: %s", o->data_file, petite_last_error());
        goto bad;
    }
    if (!has_method(l->prog, "get_max_seq_len")) {
        s = fail(l, PETITE_ERR_INVALID_PROGRAM,
                 "%s: no get_max_seq_len method: not a text-generation file in ExecuTorch's LLM layout (export it with "
                 "petite-export --task text-generation)", model_path);
        goto bad;
    }
    for (int k = 0; k < NMETA; k++) {
        if (!has_method(l->prog, META_KEYS[k])) continue;
        int64_t v[MAX_EOS];
        size_t n = 0;
        if ((s = read_meta(l, META_KEYS[k], v, k == 4 ? MAX_EOS : 1, &n)) != PETITE_OK) goto bad;
        l->meta[k] = v[0], l->has_meta[k] = true;
        if (k == 4)
            for (size_t i = 0; i < n; i++) l->eos[l->neos++] = (int32_t)v[i];
    }
    l->context = l->has_meta[1] ? l->meta[1] : l->meta[0];
    if (l->meta[0] < 1 || l->context < 2 || l->context > (1 << 24)) {
        s = fail(l, PETITE_ERR_INVALID_PROGRAM, "%s: get_max_seq_len %lld / get_max_context_len %lld: not a usable context",
                 model_path, (long long)l->meta[0], (long long)l->context);
        goto bad;
    }
    if (l->has_meta[6] && !l->meta[6]) {
        s = fail(l, PETITE_ERR_NOT_SUPPORTED, "%s: use_kv_cache is false: the runner takes models with a KV cache",
                 model_path);
        goto bad;
    }
    petite_load_options lo;
    petite_load_options_init(&lo);
    lo.num_threads = o->num_threads;
    if ((s = petite_method_load_ex(l->prog, method, &lo, &l->m)) != PETITE_OK) {
        fail(l, s, "%s: method %s: %s", model_path, method, petite_last_error());
        goto bad;
    }
    if ((s = check_io(l, method)) != PETITE_OK) goto bad;
    if (l->has_meta[2] && l->meta[2] != l->vocab) {
        s = fail(l, PETITE_ERR_INVALID_PROGRAM, "%s: get_vocab_size %lld but the logits have %lld columns", model_path,
                 (long long)l->meta[2], (long long)l->vocab);
        goto bad;
    }
    if ((s = ptk_load_file(tokenizer_path, &l->tk)) != PETITE_OK) {
        fail(l, s, "%s: %s", tokenizer_path, ptk_last_error());
        goto bad;
    }
    int64_t tv = ptk_vocab_size(l->tk);
    if (tv > l->vocab) {
        s = fail(l, PETITE_ERR_INVALID_ARGUMENT,
                 "the tokenizer %s has %lld tokens, the model %lld: they do not belong together", tokenizer_path,
                 (long long)tv, (long long)l->vocab);
        goto bad;
    }
    l->nsample = tv; /* a model may pad its vocabulary: only ids the tokenizer knows are sampled */
    if (!l->neos && ptk_eos_id(l->tk) >= 0) l->eos[l->neos++] = ptk_eos_id(l->tk);
    l->probs = malloc(sizeof *l->probs * (size_t)l->vocab);
    l->order = malloc(sizeof *l->order * (size_t)l->vocab);
    l->tokbuf = malloc(sizeof *l->tokbuf * (size_t)l->chunk_max);
    if (!l->probs || !l->order || !l->tokbuf) {
        s = fail(l, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "out of memory");
        goto bad;
    }
    petite_method_info mi;
    memset(&mi, 0, sizeof mi);
    mi.struct_size = sizeof mi;
    if (petite_method_describe(l->m, &mi) == PETITE_OK) l->st.kv_cache_bytes = mi.planned_bytes;
    l->load_ms = now_ms() - t0;
    *out = l;
    return PETITE_OK;
bad:
    memcpy(g_err, l->err, sizeof g_err);
    petite_llm_free(l);
    return s;
}

void petite_llm_free(petite_llm *l) {
    if (!l) return;
    ptk_stream_free(l->stream);
    petite_method_free(l->m);
    petite_program_close(l->prog);
    ptk_free(l->tk);
    free(l->pending.p), free(l->out.p), free(l->echo.p);
    free(l->probs), free(l->order), free(l->tokbuf);
    free(l);
}

petite_status petite_llm_metadata(const petite_llm *l, const char *key, int64_t *value) {
    if (!l || !key || !value) return fail(NULL, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_metadata: NULL argument");
    int k = meta_index(key);
    if (k < 0 || !l->has_meta[k]) return fail(NULL, PETITE_ERR_NOT_FOUND, "the file has no metadata %s", key);
    *value = l->meta[k];
    return PETITE_OK;
}

int64_t petite_llm_context_length(const petite_llm *l) { return l ? l->context : 0; }
const ptk_tokenizer *petite_llm_tokenizer(const petite_llm *l) { return l ? l->tk : NULL; }

/* ---- the model ---- */

/* tokens [1, n] at position pos; *logits: the last row (vocab floats), valid until the next run */
static petite_status forward(petite_llm *l, const int64_t *toks, int64_t n, int64_t pos, const float **logits) {
    int64_t ts[2] = {1, n}, ps[1] = {1}, p = pos;
    petite_status s = petite_method_set_input(l->m, 0, PETITE_INT64, 2, ts, toks, (size_t)n * sizeof *toks, PETITE_COPY);
    if (!s) s = petite_method_set_input(l->m, 1, PETITE_INT64, 1, ps, &p, sizeof p, PETITE_COPY);
    if (!s) s = petite_method_run(l->m);
    if (s) return fail(l, s, "forward (%lld tokens at position %lld): %s", (long long)n, (long long)pos,
                       petite_method_errmsg(l->m));
    const void *data;
    size_t nbytes;
    if ((s = petite_method_output_data(l->m, 0, &data, &nbytes)) != PETITE_OK)
        return fail(l, s, "forward: logits: %s", petite_method_errmsg(l->m));
    size_t row = (size_t)l->vocab * sizeof(float);
    if (nbytes < row || nbytes % row) return fail(l, PETITE_ERR_INVALID_STATE, "forward: logits of %zu bytes", nbytes);
    *logits = (const float *)((const char *)data + nbytes - row);
    return PETITE_OK;
}

/* ---- the sampler ---- */

static uint32_t rng_u32(uint64_t *s) {
    *s ^= *s >> 12, *s ^= *s << 25, *s ^= *s >> 27;
    return (uint32_t)((*s * 0x2545F4914F6CDD1DULL) >> 32);
}
static float rng_f32(uint64_t *s) { return (float)(rng_u32(s) >> 8) / 16777216.0f; }

/* most likely first; equal ones by id (a stable order whatever qsort does) */
static int by_prob(const void *a, const void *b) {
    const struct cand *x = a, *y = b;
    return x->p > y->p ? -1 : x->p < y->p ? 1 : (x->i > y->i) - (x->i < y->i);
}

static petite_status sample(petite_llm *l, const float *logits, int32_t *tok) {
    int64_t n = l->nsample;
    const petite_llm_config *c = &l->cfg;
    if (c->temperature <= 0.0f) {
        int64_t best = 0;
        for (int64_t i = 1; i < n; i++)
            if (logits[i] > logits[best]) best = i;
        if (!isfinite(logits[best])) return fail(l, PETITE_ERR_INVALID_STATE, "the logits are not finite");
        *tok = (int32_t)best;
        return PETITE_OK;
    }
    float *p = l->probs, mx = -INFINITY, inv = 1.0f / c->temperature;
    for (int64_t i = 0; i < n; i++) mx = fmaxf(mx, logits[i] * inv);
    double sum = 0;
    for (int64_t i = 0; i < n; i++) sum += p[i] = expf(logits[i] * inv - mx);
    if (!isfinite(mx) || !(sum > 0) || !isfinite(sum)) return fail(l, PETITE_ERR_INVALID_STATE, "the logits are not finite");
    for (int64_t i = 0; i < n; i++) p[i] = (float)(p[i] / sum);
    float coin = rng_f32(&l->rng);
    struct cand *ord = l->order;
    int64_t m = 0;
    bool topk = c->top_k > 0 && c->top_k < n, topp = c->top_p > 0.0f && c->top_p < 1.0f;
    if (!topk && !topp) { /* the whole distribution */
        float cdf = 0;
        for (int64_t i = 0; i < n; i++) {
            cdf += p[i];
            if (coin < cdf) return *tok = (int32_t)i, PETITE_OK;
        }
        return *tok = (int32_t)(n - 1), PETITE_OK;
    }
    /* candidates: with top-p alone, those above (1 - p) / (n - 1) (they cannot be cut otherwise) */
    float cut = topp && !topk ? (1.0f - c->top_p) / (float)(n - 1) : 0.0f;
    for (int64_t i = 0; i < n; i++)
        if (p[i] >= cut) ord[m].p = p[i], ord[m++].i = (int32_t)i;
    qsort(ord, (size_t)m, sizeof *ord, by_prob);
    if (topk && m > c->top_k) m = c->top_k;
    float total = 0;
    int64_t keep = m;
    for (int64_t i = 0; i < m; i++) {
        total += ord[i].p;
        if (topp && total > c->top_p) {
            keep = i + 1;
            break;
        }
    }
    float r = coin * total, cdf = 0;
    for (int64_t i = 0; i < keep; i++) {
        cdf += ord[i].p;
        if (r < cdf) return *tok = ord[i].i, PETITE_OK;
    }
    *tok = ord[keep - 1].i;
    return PETITE_OK;
}

static bool is_eos(const petite_llm *l, int32_t t) {
    for (size_t i = 0; i < l->neos; i++)
        if (l->eos[i] == t) return true;
    return false;
}

/* ---- a generation ---- */

static petite_status check_config(petite_llm *l, const petite_llm_config *c) {
    if (!c) return PETITE_OK;
    if (c->struct_size < sizeof *c)
        return fail(l, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_config: struct_size %u (call petite_llm_config_init)",
                    c->struct_size);
    if (!(c->temperature >= 0.0f) || !isfinite(c->temperature))
        return fail(l, PETITE_ERR_INVALID_ARGUMENT, "temperature %g: expected 0 (greedy) or more", c->temperature);
    if (!(c->top_p >= 0.0f && c->top_p <= 1.0f)) return fail(l, PETITE_ERR_INVALID_ARGUMENT, "top_p %g: expected 0..1", c->top_p);
    if (c->top_k < 0) return fail(l, PETITE_ERR_INVALID_ARGUMENT, "top_k %d: expected 0 (off) or more", c->top_k);
    if (c->max_new_tokens < -1 || c->seq_len < -1 || c->prefill_chunk < 0)
        return fail(l, PETITE_ERR_INVALID_ARGUMENT, "max_new_tokens %d, seq_len %d, prefill_chunk %d: expected -1 / 0 or more",
                    c->max_new_tokens, c->seq_len, c->prefill_chunk);
    if (c->n_stop > MAX_STOPS || (c->n_stop && !c->stop))
        return fail(l, PETITE_ERR_INVALID_ARGUMENT, "%zu stop strings: at most %d, and the array", c->n_stop, MAX_STOPS);
    for (size_t i = 0; i < c->n_stop; i++)
        if (!c->stop[i] || !c->stop[i][0])
            return fail(l, PETITE_ERR_INVALID_ARGUMENT, "stop string %zu is NULL or empty", i);
    return PETITE_OK;
}

/* the official resolve_max_new_tokens: what the context (and seq_len) leaves after `occupied`;
 * *by_context: the context, not max_new_tokens or seq_len, is the limit */
static int64_t resolve_max_new(const petite_llm *l, int64_t occupied, bool *by_context) {
    int64_t c = l->context, lim = l->cfg.seq_len >= 0 && l->cfg.seq_len < c ? l->cfg.seq_len : c;
    int64_t n = lim - occupied;
    *by_context = lim == c;
    if (l->cfg.max_new_tokens >= 0 && l->cfg.max_new_tokens < n) n = l->cfg.max_new_tokens, *by_context = false;
    return n < 0 ? 0 : n;
}

static void drop_ids(int32_t *ids, bool from_tokenizer) {
    if (from_tokenizer) ptk_free_buffer(ids);
    else free(ids);
}

/* a prompt as text (encoded here) or as ids (given: copied) */
static petite_status begin(petite_llm *l, const char *prompt, const int32_t *given, size_t ngiven,
                           const petite_llm_config *c) {
    if (!l) return fail(NULL, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_begin: the handle is NULL");
    if (l->active) return fail(l, PETITE_ERR_INVALID_STATE, "a generation is running: call petite_llm_next until done");
    petite_status s = check_config(l, c);
    if (s) return s;
    double t0 = now_ms(), c0 = cpu_ms();
    petite_llm_config cfg;
    petite_llm_config_init(&cfg);
    if (c) cfg = *c, cfg.struct_size = sizeof cfg;
    size_t plen = prompt ? strlen(prompt) : 0;
    int32_t *ids = NULL;
    size_t n = 0;
    bool from_tk = !given;
    if (given && ngiven) {
        if (!(ids = malloc(ngiven * sizeof *ids))) return fail(l, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "out of memory");
        memcpy(ids, given, ngiven * sizeof *ids), n = ngiven;
    } else if (plen && (s = ptk_encode(l->tk, prompt, plen, cfg.add_special ? PTK_ADD_SPECIAL : 0, &ids, &n)) != PETITE_OK)
        return fail(l, s, "the prompt: %s", ptk_last_error());
    int64_t total = (int64_t)n + (l->cur >= 0);
    if (total == 0) {
        drop_ids(ids, from_tk);
        return fail(l, PETITE_ERR_INVALID_ARGUMENT, "an empty prompt with nothing to continue from");
    }
    if (l->pos + total >= l->context) {
        drop_ids(ids, from_tk);
        return fail(l, PETITE_ERR_OUT_OF_RESOURCES,
                    "the prompt needs %lld positions from position %lld, the context holds %lld (position + prompt must "
                    "stay below it): a shorter prompt, or petite_llm_reset", (long long)total, (long long)l->pos,
                    (long long)l->context);
    }
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= l->vocab) {
            int32_t bad = ids[i];
            drop_ids(ids, from_tk);
            return fail(l, PETITE_ERR_INVALID_ARGUMENT, "prompt id %d is outside the model's vocabulary of %lld", bad,
                        (long long)l->vocab);
        }
    ptk_stream *st;
    if ((s = ptk_stream_new(l->tk, PTK_SKIP_SPECIAL, &st)) != PETITE_OK) {
        drop_ids(ids, from_tk);
        return fail(l, s, "%s", ptk_last_error());
    }
    /* from here on the generation runs: nothing above changed the handle */
    ptk_stream_free(l->stream);
    l->stream = st;
    l->cfg = cfg;
    l->nstop = cfg.n_stop;
    for (size_t i = 0; i < l->nstop; i++) l->stops[i] = cfg.stop[i];
    l->rng = cfg.seed ? cfg.seed : 1;
    l->pending.n = l->out.n = l->echo.n = 0;
    l->echo_pending = cfg.echo && plen;
    if (l->echo_pending && !buf_put(&l->echo, prompt, plen)) l->echo_pending = false;
    int64_t kv = l->st.kv_cache_bytes;
    memset(&l->st, 0, sizeof l->st);
    l->st.kv_cache_bytes = (uint64_t)kv;
    l->st.prompt_tokens = (int64_t)n;
    l->t0 = t0;
    l->finishing = l->need_feed = false;
    atomic_store(&l->stop, 0);
    l->active = true;
    /* prefill: the last token of the previous generation first, then the prompt, in chunks */
    int64_t chunk = cfg.prefill_chunk > 0 && cfg.prefill_chunk < l->chunk_max ? cfg.prefill_chunk : l->chunk_max;
    const float *logits = NULL;
    int64_t done = 0;
    while (done < total) {
        if (atomic_load(&l->stop)) {
            drop_ids(ids, from_tk);
            l->finishing = true, l->st.stop_reason = PETITE_LLM_STOPPED;
            l->cur = -1; /* what the cache holds is all of it; nothing waits to be fed */
            l->st.position = l->pos;
            return PETITE_OK;
        }
        int64_t k = total - done < chunk ? total - done : chunk;
        for (int64_t i = 0; i < k; i++) {
            int64_t j = done + i;
            l->tokbuf[i] = l->cur >= 0 ? (j == 0 ? l->cur : ids[j - 1]) : ids[j];
        }
        if ((s = forward(l, l->tokbuf, k, l->pos, &logits)) != PETITE_OK) {
            drop_ids(ids, from_tk);
            l->active = false, l->st.stop_reason = PETITE_LLM_ERROR;
            return s;
        }
        l->pos += k, done += k;
    }
    drop_ids(ids, from_tk);
    l->cur = -1;
    double ts = now_ms();
    int32_t tok;
    if ((s = sample(l, logits, &tok)) != PETITE_OK) {
        l->active = false, l->st.stop_reason = PETITE_LLM_ERROR;
        return s;
    }
    l->st.sampling_ms += now_ms() - ts;
    l->cur = tok;
    l->st.generated_tokens = 1;
    l->left = resolve_max_new(l, l->pos, &l->by_context) - 1;
    l->st.prefill_ms = l->st.first_token_ms = now_ms() - t0;
    l->st.prefill_cpu_ms = cpu_ms() - c0;
    l->st.prefill_tokens_per_s = l->st.prefill_ms > 0 ? total / (l->st.prefill_ms / 1e3) : 0;
    l->st.position = l->pos;
    if (l->left < 0) { /* max_new_tokens 0: the token is sampled (for a later prompt) but not emitted */
        l->finishing = true, l->st.stop_reason = PETITE_LLM_MAX_TOKENS, l->st.generated_tokens = 0;
    }
    return PETITE_OK;
}

petite_status petite_llm_begin(petite_llm *l, const char *prompt, const petite_llm_config *c) {
    return begin(l, prompt, NULL, 0, c);
}

petite_status petite_llm_begin_ids(petite_llm *l, const int32_t *ids, size_t n, const petite_llm_config *c) {
    if (n && !ids) return fail(l, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_begin_ids: ids is NULL");
    return begin(l, NULL, ids ? ids : (const int32_t *)"", n, c);
}

/* the longest suffix of s[0..n) that is a proper prefix of a stop string */
static size_t held_back(const petite_llm *l, const char *s, size_t n) {
    size_t best = 0;
    for (size_t k = 0; k < l->nstop; k++) {
        size_t m = strlen(l->stops[k]);
        for (size_t h = m - 1 < n ? m - 1 : n; h > best; h--)
            if (!memcmp(s + n - h, l->stops[k], h)) {
                best = h;
                break;
            }
    }
    return best;
}

/* text completed by a token: through the stop strings into l->out; true if one was found */
static bool filter(petite_llm *l, const char *piece, size_t len) {
    l->out.n = 0;
    if (!l->nstop) return buf_put(&l->out, piece, len), false;
    buf_put(&l->pending, piece, len);
    size_t at = SIZE_MAX;
    for (size_t k = 0; k < l->nstop; k++) {
        size_t m = strlen(l->stops[k]);
        for (size_t i = 0; i + m <= l->pending.n && i < at; i++)
            if (!memcmp(l->pending.p + i, l->stops[k], m)) {
                at = i;
                break;
            }
    }
    if (at != SIZE_MAX) {
        buf_put(&l->out, l->pending.p, at);
        l->pending.n = 0;
        return true;
    }
    size_t keep = held_back(l, l->pending.p, l->pending.n), emit = l->pending.n - keep;
    buf_put(&l->out, l->pending.p, emit);
    memmove(l->pending.p, l->pending.p + emit, keep);
    l->pending.n = keep;
    return false;
}

petite_status petite_llm_next(petite_llm *l, const char **text, size_t *len, int32_t *token, int32_t *done) {
    if (!l || !text || !len || !token || !done) return fail(l, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_next: NULL argument");
    *text = "", *len = 0, *token = -1, *done = 0;
    if (!l->active) return fail(l, PETITE_ERR_INVALID_STATE, "no generation is running: call petite_llm_begin");
    if (l->echo_pending) {
        l->echo_pending = false;
        *text = l->echo.p, *len = l->echo.n;
        return PETITE_OK;
    }
    petite_status s;
    if (!l->finishing && l->need_feed) {
        if (atomic_load(&l->stop)) l->finishing = true, l->st.stop_reason = PETITE_LLM_STOPPED;
        else if (l->left <= 0)
            l->finishing = true, l->st.stop_reason = l->by_context ? PETITE_LLM_CONTEXT_FULL : PETITE_LLM_MAX_TOKENS;
        else if (l->pos >= l->context) l->finishing = true, l->st.stop_reason = PETITE_LLM_CONTEXT_FULL;
        else {
            double t = now_ms(), ct = cpu_ms();
            const float *logits;
            int64_t tk = l->cur;
            if ((s = forward(l, &tk, 1, l->pos, &logits)) != PETITE_OK) {
                l->active = false, l->st.stop_reason = PETITE_LLM_ERROR;
                return s;
            }
            l->pos++, l->cur = -1;
            double ts = now_ms();
            int32_t nt;
            if ((s = sample(l, logits, &nt)) != PETITE_OK) {
                l->active = false, l->st.stop_reason = PETITE_LLM_ERROR;
                return s;
            }
            l->st.sampling_ms += now_ms() - ts;
            l->cur = nt, l->left--, l->st.generated_tokens++;
            l->st.decode_ms += now_ms() - t;
            l->st.decode_cpu_ms += cpu_ms() - ct;
            l->need_feed = false;
        }
    }
    if (l->finishing) { /* what the stream and the stop-string filter still hold, then done */
        const char *rest = "";
        size_t rn = 0;
        l->out.n = 0;
        if (l->st.stop_reason != PETITE_LLM_STOP_STRING) {
            ptk_stream_finish(l->stream, &rest, &rn);
            buf_put(&l->pending, rest, rn);
            buf_put(&l->out, l->pending.p ? l->pending.p : "", l->pending.n);
        }
        l->pending.n = 0;
        *text = l->out.p ? l->out.p : "", *len = l->out.n, *done = 1;
        l->active = false;
        l->st.position = l->pos;
        l->st.decode_tokens_per_s = l->st.decode_ms > 0 ? (l->st.generated_tokens - 1) / (l->st.decode_ms / 1e3) : 0;
        return PETITE_OK;
    }
    /* the token sampled last: its text, then whether it ends the generation */
    int32_t t = l->cur;
    const char *piece = "";
    size_t pl = 0;
    if ((s = ptk_stream_push(l->stream, t, &piece, &pl)) != PETITE_OK) {
        l->active = false, l->st.stop_reason = PETITE_LLM_ERROR;
        return fail(l, s, "decoding token %d: %s", t, ptk_last_error());
    }
    bool eos = !l->cfg.ignore_eos && is_eos(l, t);
    if (filter(l, piece, pl)) l->finishing = true, l->st.stop_reason = PETITE_LLM_STOP_STRING;
    else if (eos) l->finishing = true, l->st.stop_reason = PETITE_LLM_EOS;
    l->need_feed = true;
    *text = l->out.p ? l->out.p : "", *len = l->out.n, *token = t;
    l->st.position = l->pos;
    return PETITE_OK;
}

petite_status petite_llm_generate(petite_llm *l, const char *prompt, const petite_llm_config *c, petite_llm_piece_fn fn,
                                  void *user) {
    petite_status s = petite_llm_begin(l, prompt, c);
    if (s) return s;
    for (;;) {
        const char *t;
        size_t n;
        int32_t tok, done;
        if ((s = petite_llm_next(l, &t, &n, &tok, &done)) != PETITE_OK) return s;
        if (fn && (n || tok >= 0) && fn(user, t, n, tok)) atomic_store(&l->stop, 1);
        if (done) return PETITE_OK;
    }
}

void petite_llm_stop(petite_llm *l) {
    if (l) atomic_store(&l->stop, 1);
}

void petite_llm_reset(petite_llm *l) {
    if (!l || l->active) return;
    l->pos = 0, l->cur = -1;
    uint64_t kv = l->st.kv_cache_bytes;
    memset(&l->st, 0, sizeof l->st);
    l->st.kv_cache_bytes = kv;
}

petite_status petite_llm_stats_get(const petite_llm *l, petite_llm_stats *s) {
    if (!l || !s) return fail(NULL, PETITE_ERR_INVALID_ARGUMENT, "petite_llm_stats_get: NULL argument");
    *s = l->st;
    s->load_ms = l->load_ms;
    return PETITE_OK;
}
