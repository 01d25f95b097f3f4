/* load.c — tokenizer.json (and tokenizer_config.json) into a tokenizer: every field checked, and
 * an unsupported or damaged one named in the error ("model.merges[12]: ..."). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/json.h"
#include "text/tk.h"

#define BAD(...) (tk_set_error(__VA_ARGS__), PETITE_ERR_INVALID_PROGRAM)
#define OOM() (tk_set_error("out of memory"), PETITE_ERR_MEMORY_ALLOCATION_FAILED)

/* the split patterns tiktoken's encodings name (as js-tiktoken writes them) */
static const char CL100K_PATTERN[] =
    "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char O200K_PATTERN[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
    "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/* Meta's Llama 3 (its tokenizer.model is a tiktoken rank file; the pattern as its tokenizer.json
 * names it) */
static const char LLAMA3_PATTERN[] =
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
    "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/* the 256 special tokens ExecuTorch's Llama runner gives a Llama 3 rank file, after the ranks
 * (examples/models/llama/tokenizer/llama_tiktoken.cpp): these, then <|reserved_special_token_N|>
 * from N = 2; the first is BOS, the second EOS */
static const char *const LLAMA3_SPECIAL[] = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                                             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>",
                                             "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>",
                                             "<|python_tag|>"};

static const char GPT2_PATTERN[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static int b64(uint8_t c);

static char *dup_n(const char *s, size_t n) {
    char *c = malloc(n + 1);
    if (c) memcpy(c, s, n), c[n] = 0;
    return c;
}

static bool streq(const pj_value *v, const char *s) { return v && v->kind == PJ_STRING && !strcmp(v->u.str, s); }

/* a string field, or a {"String": ...} / {"Regex": ...} pattern */
static petite_status pattern(const pj_value *p, const char *where, char **lit, size_t *lit_len, ptx_regex **re) {
    const pj_value *s = pj_get(p, "String"), *r = pj_get(p, "Regex");
    if (pj_is(p, PJ_STRING)) s = p;
    if (pj_is(s, PJ_STRING)) {
        if (!(*lit = dup_n(s->u.str, s->n))) return OOM();
        *lit_len = s->n;
        return PETITE_OK;
    }
    if (!pj_is(r, PJ_STRING)) return BAD("%s: a pattern must be {\"String\": ...} or {\"Regex\": ...}", where);
    char err[200];
    if (!(*re = ptx_regex_compile(r->u.str, r->n, err, sizeof err)))
        return BAD("%s.Regex: %s (the pattern %.80s)", where, err, r->u.str);
    return PETITE_OK;
}

static int behavior_of(const pj_value *v) {
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    for (int k = 0; k < 5; k++)
        if (streq(v, names[k])) return k;
    return -1;
}

static uint32_t first_cp(const pj_value *v, uint32_t dflt) {
    if (!pj_is(v, PJ_STRING) || !v->n) return dflt;
    size_t L;
    return ptu_decode((const uint8_t *)v->u.str, v->n, &L);
}

static int prepend_of(const pj_value *m) {
    const pj_value *ps = pj_get(m, "prepend_scheme");
    if (streq(ps, "first")) return TK_PREPEND_FIRST;
    if (streq(ps, "never")) return TK_PREPEND_NEVER;
    if (ps) return TK_PREPEND_ALWAYS;
    return pj_bool(pj_get(m, "add_prefix_space"), true) ? TK_PREPEND_ALWAYS : TK_PREPEND_NEVER;
}

/* ---- normalizers ---- */

/* what a step owns; on a refused step its partial copies (each step is counted only when whole) */
static void norm_step_free(norm_step *st) { free(st->a), free(st->b), ptx_regex_free(st->re), charsmap_free(&st->map); }

static petite_status norm_fill(norm_step *st, const pj_value *n, const char *type, const char *where) {
    if (!strcmp(type, "NFC")) st->type = TK_N_NFC;
    else if (!strcmp(type, "NFD")) st->type = TK_N_NFD;
    else if (!strcmp(type, "NFKC")) st->type = TK_N_NFKC;
    else if (!strcmp(type, "NFKD")) st->type = TK_N_NFKD;
    else if (!strcmp(type, "Lowercase")) st->type = TK_N_LOWER;
    else if (!strcmp(type, "StripAccents")) st->type = TK_N_STRIP_ACCENTS;
    else if (!strcmp(type, "Strip")) {
        st->type = TK_N_STRIP;
        st->left = pj_bool(pj_get(n, "strip_left"), true), st->right = pj_bool(pj_get(n, "strip_right"), true);
    } else if (!strcmp(type, "Prepend")) {
        const pj_value *p = pj_get(n, "prepend");
        if (!pj_is(p, PJ_STRING)) return BAD("%s.prepend: not a string", where);
        st->type = TK_N_PREPEND;
        if (!(st->b = dup_n(p->u.str, p->n))) return OOM();
        st->b_len = p->n;
    } else if (!strcmp(type, "Replace")) {
        const pj_value *c = pj_get(n, "content");
        if (!pj_is(c, PJ_STRING)) return BAD("%s.content: not a string", where);
        st->type = TK_N_REPLACE;
        if (!(st->b = dup_n(c->u.str, c->n))) return OOM();
        st->b_len = c->n;
        char w[160];
        snprintf(w, sizeof w, "%s.pattern", where);
        petite_status s = pattern(pj_get(n, "pattern"), w, &st->a, &st->a_len, &st->re);
        if (s) return s;
    } else if (!strcmp(type, "Precompiled")) {
        const pj_value *c = pj_get(n, "precompiled_charsmap");
        if (!pj_is(c, PJ_STRING)) return BAD("%s.precompiled_charsmap: not a base64 string", where);
        uint8_t *blob = malloc(c->n / 4 * 3 + 3);
        size_t bl = 0;
        uint32_t acc = 0;
        int bits = 0;
        if (!blob) return OOM();
        for (uint32_t i = 0; i < c->n && c->u.str[i] != '='; i++) {
            int v = b64((uint8_t)c->u.str[i]);
            if (v < 0) {
                free(blob);
                return BAD("%s.precompiled_charsmap: not base64", where);
            }
            acc = acc << 6 | (uint32_t)v, bits += 6;
            if (bits >= 8) bits -= 8, blob[bl++] = (uint8_t)(acc >> bits);
        }
        st->type = TK_N_PRECOMPILED;
        bool ok = charsmap_init(&st->map, blob, bl);
        free(blob);
        if (!ok) {
            charsmap_free(&st->map);
            return BAD("%s.precompiled_charsmap: damaged", where);
        }
    } else if (!strcmp(type, "BertNormalizer")) {
        st->type = TK_N_BERT;
        st->clean_text = pj_bool(pj_get(n, "clean_text"), true);
        st->chinese = pj_bool(pj_get(n, "handle_chinese_chars"), true);
        st->lowercase = pj_bool(pj_get(n, "lowercase"), true);
        st->strip_accents = pj_bool(pj_get(n, "strip_accents"), st->lowercase); /* null: as lowercase */
    } else {
        return BAD("%s.type: normalizer \"%s\" is not supported", where, type);
    }
    return PETITE_OK;
}

static petite_status add_norm(tokenizer *t, const pj_value *n, const char *where, int depth) {
    if (!n || n->kind == PJ_NULL) return PETITE_OK;
    const pj_value *ty = pj_get(n, "type");
    const char *type = pj_str(ty);
    if (!type) return BAD("%s.type: missing", where);
    if (!strcmp(type, "Sequence")) {
        const pj_value *l = pj_get(n, "normalizers");
        if (!pj_is(l, PJ_ARRAY) || depth > 4) return BAD("%s.normalizers: not a list", where);
        for (uint32_t k = 0; k < l->n; k++) {
            char w[160];
            snprintf(w, sizeof w, "%s.normalizers[%u]", where, k);
            petite_status s = add_norm(t, &l->u.items[k], w, depth + 1);
            if (s) return s;
        }
        return PETITE_OK;
    }
    if (t->nnorm == TK_MAX_STEPS) return BAD("%s: more than %d normalizers", where, TK_MAX_STEPS);
    norm_step *st = &t->norm[t->nnorm];
    memset(st, 0, sizeof *st);
    petite_status s = norm_fill(st, n, type, where);
    if (s) {
        norm_step_free(st);
        return s;
    }
    t->nnorm++;
    return PETITE_OK;
}

/* ---- pre-tokenizers ---- */

/* what a step owns; on a refused step its partial copies (each step is counted only when whole) */
static void pre_step_free(pre_step *st) { free(st->lit), ptx_regex_free(st->re); }

static petite_status pre_fill(pre_step *st, const pj_value *n, const char *type, const char *where) {
    char err[200];
    if (!strcmp(type, "ByteLevel")) {
        st->type = TK_PRE_BYTELEVEL;
        st->add_prefix_space = pj_bool(pj_get(n, "add_prefix_space"), true);
        st->use_regex = pj_bool(pj_get(n, "use_regex"), true);
    } else if (!strcmp(type, "Split")) {
        st->type = TK_PRE_SPLIT;
        if ((st->behavior = behavior_of(pj_get(n, "behavior"))) < 0) return BAD("%s.behavior: unknown", where);
        st->invert = pj_bool(pj_get(n, "invert"), false);
        char w[160];
        snprintf(w, sizeof w, "%s.pattern", where);
        petite_status s = pattern(pj_get(n, "pattern"), w, &st->lit, &st->lit_len, &st->re);
        if (s) return s;
    } else if (!strcmp(type, "Metaspace")) {
        st->type = TK_PRE_METASPACE;
        st->replacement = first_cp(pj_get(n, "replacement"), 0x2581);
        st->prepend = prepend_of(n);
        st->split = pj_bool(pj_get(n, "split"), true);
    } else if (!strcmp(type, "Whitespace")) {
        st->type = TK_PRE_WHITESPACE, st->behavior = TK_REMOVED, st->invert = true;
        static const char pat[] = "\\w+|[^\\w\\s]+";
        if (!(st->re = ptx_regex_compile(pat, sizeof pat - 1, err, sizeof err))) return BAD("%s: %s", where, err);
    } else if (!strcmp(type, "WhitespaceSplit")) st->type = TK_PRE_WHITESPACE_SPLIT;
    else if (!strcmp(type, "BertPreTokenizer")) st->type = TK_PRE_BERT;
    else if (!strcmp(type, "Punctuation")) st->type = TK_PRE_PUNCT;
    else if (!strcmp(type, "Digits")) st->type = TK_PRE_DIGITS, st->individual = pj_bool(pj_get(n, "individual_digits"), false);
    else return BAD("%s.type: pre-tokenizer \"%s\" is not supported", where, type);
    return PETITE_OK;
}

static petite_status add_pre(tokenizer *t, const pj_value *n, const char *where, int depth) {
    if (!n || n->kind == PJ_NULL) return PETITE_OK;
    const char *type = pj_str(pj_get(n, "type"));
    if (!type) return BAD("%s.type: missing", where);
    if (!strcmp(type, "Sequence")) {
        const pj_value *l = pj_get(n, "pretokenizers");
        if (!pj_is(l, PJ_ARRAY) || depth > 4) return BAD("%s.pretokenizers: not a list", where);
        for (uint32_t k = 0; k < l->n; k++) {
            char w[160];
            snprintf(w, sizeof w, "%s.pretokenizers[%u]", where, k);
            petite_status s = add_pre(t, &l->u.items[k], w, depth + 1);
            if (s) return s;
        }
        return PETITE_OK;
    }
    if (t->npre == TK_MAX_STEPS) return BAD("%s: more than %d pre-tokenizers", where, TK_MAX_STEPS);
    pre_step *st = &t->pre[t->npre];
    memset(st, 0, sizeof *st);
    petite_status s = pre_fill(st, n, type, where);
    if (s) {
        pre_step_free(st);
        return s;
    }
    t->npre++;
    return PETITE_OK;
}

/* ---- decoders ---- */

/* what a step owns; on a refused step its partial copies (each step is counted only when whole) */
static void dec_step_free(dec_step *st) { free(st->a), free(st->b); }

static petite_status dec_fill(dec_step *st, const pj_value *n, const char *type, const char *where) {
    if (!strcmp(type, "ByteLevel")) st->type = TK_D_BYTELEVEL;
    else if (!strcmp(type, "ByteFallback")) st->type = TK_D_BYTEFALLBACK;
    else if (!strcmp(type, "Fuse")) st->type = TK_D_FUSE;
    else if (!strcmp(type, "Metaspace")) {
        st->type = TK_D_METASPACE;
        st->ch = first_cp(pj_get(n, "replacement"), 0x2581);
        st->prepend = prepend_of(n);
    } else if (!strcmp(type, "Strip")) {
        int64_t a = 0, b = 0;
        pj_int(pj_get(n, "start"), 0, 1 << 20, &a), pj_int(pj_get(n, "stop"), 0, 1 << 20, &b);
        st->type = TK_D_STRIP, st->ch = first_cp(pj_get(n, "content"), ' '), st->start = (uint32_t)a, st->stop = (uint32_t)b;
    } else if (!strcmp(type, "Replace")) {
        const pj_value *c = pj_get(n, "content");
        ptx_regex *re = NULL;
        if (!pj_is(c, PJ_STRING)) return BAD("%s.content: not a string", where);
        char w[160];
        snprintf(w, sizeof w, "%s.pattern", where);
        petite_status s = pattern(pj_get(n, "pattern"), w, &st->a, &st->a_len, &re);
        if (s) return s;
        if (re) {
            ptx_regex_free(re);
            return BAD("%s.pattern: a Regex pattern in a Replace decoder is not supported", where);
        }
        st->type = TK_D_REPLACE;
        if (!(st->b = dup_n(c->u.str, c->n))) return OOM();
        st->b_len = c->n;
    } else if (!strcmp(type, "WordPiece") || !strcmp(type, "BPEDecoder")) {
        const pj_value *p = pj_get(n, type[0] == 'W' ? "prefix" : "suffix");
        st->type = type[0] == 'W' ? TK_D_WORDPIECE : TK_D_BPE;
        const char *dflt = type[0] == 'W' ? "##" : "</w>";
        const char *s = pj_is(p, PJ_STRING) ? p->u.str : dflt;
        if (!(st->a = dup_n(s, strlen(s)))) return OOM();
        st->a_len = strlen(s);
        st->cleanup = pj_bool(pj_get(n, "cleanup"), true);
    } else {
        return BAD("%s.type: decoder \"%s\" is not supported", where, type);
    }
    return PETITE_OK;
}

static petite_status add_dec(tokenizer *t, const pj_value *n, const char *where, int depth) {
    if (!n || n->kind == PJ_NULL) return PETITE_OK;
    const char *type = pj_str(pj_get(n, "type"));
    if (!type) return BAD("%s.type: missing", where);
    if (!strcmp(type, "Sequence")) {
        const pj_value *l = pj_get(n, "decoders");
        if (!pj_is(l, PJ_ARRAY) || depth > 4) return BAD("%s.decoders: not a list", where);
        for (uint32_t k = 0; k < l->n; k++) {
            char w[160];
            snprintf(w, sizeof w, "%s.decoders[%u]", where, k);
            petite_status s = add_dec(t, &l->u.items[k], w, depth + 1);
            if (s) return s;
        }
        return PETITE_OK;
    }
    if (t->ndec == TK_MAX_STEPS) return BAD("%s: more than %d decoders", where, TK_MAX_STEPS);
    dec_step *st = &t->dec[t->ndec];
    memset(st, 0, sizeof *st);
    petite_status s = dec_fill(st, n, type, where);
    if (s) {
        dec_step_free(st);
        return s;
    }
    if (st->type == TK_D_WORDPIECE && st->cleanup) t->dec_cleanup = true;
    t->ndec++;
    return PETITE_OK;
}

/* ---- the model ---- */

/* model.vocab and model.merges are most of a large file (Gemma 3: 262,144 pieces, 514,906
 * merges, 31 of its 33 MB): they are read as the parser reaches them (json.h's member hook), with
 * no tree and no copy of strings without escapes, and the merges are looked up in batches whose
 * cache misses overlap (vocab_find_many). The merged piece depends on continuing_subword_prefix,
 * which Hugging Face writes before the vocabulary; a file that gives it after the merges is read
 * again the plain way, as is one that lists the merges before the vocabulary. */
enum { MERGE_BATCH = 32 };
typedef struct {
    tokenizer *t;
    int64_t max_id;      /* the vocabulary's largest id, -1: none */
    bool vocab_taken, merges_taken, prefix_taken, redo;
    char *prefix;        /* continuing_subword_prefix when taken (maybe "") */
    size_t prefix_len;
    uint32_t nmerges;
    const char *ms[3 * MERGE_BATCH]; /* a batch: left, right, merged piece of each */
    size_t mn[3 * MERGE_BATCH];
    uint32_t nb;
    tbuf cat;            /* the batch's merged pieces */
    tbuf last;           /* the merged piece of the merge before the batch */
    pj_stream *s;        /* while the merges stream: where it is */
    size_t merges_at;    /* the offset where they start */
    int32_t last_id;     /* its id (-1: none) */
    size_t cat_off[MERGE_BATCH];
    petite_status st;    /* a hook's error (its message set) */
} stream_ctx;

static petite_status vocab_entry(vocab *v, const char *key, size_t kn, int64_t id) {
    return vocab_put(v, (uint32_t)id, key, kn) ? PETITE_OK : OOM();
}

static int clip40(size_t n) { return n > 40 ? 40 : (int)n; }

/* queue merge (l, r); the merged piece drops the right part's continuing prefix */
static petite_status merge_queue(stream_ctx *c, const char *l, size_t ln, const char *r, size_t rn) {
    const char *pre = c->t->bpe.prefix;
    size_t pl = pre ? strlen(pre) : 0;
    uint32_t k = c->nb++;
    c->ms[3 * k] = l, c->mn[3 * k] = ln, c->ms[3 * k + 1] = r, c->mn[3 * k + 1] = rn;
    c->cat_off[k] = c->cat.n;
    tb_put(&c->cat, l, ln);
    if (pl && rn >= pl && !memcmp(r, pre, pl)) tb_put(&c->cat, r + pl, rn - pl);
    else tb_put(&c->cat, r, rn);
    return c->cat.oom ? OOM() : PETITE_OK;
}

/* the queued merges: their pieces looked up together (vocab_find_many); a merged piece equal to
 * the one before is not looked up again (files converted from SentencePiece list every split of a
 * piece in a row: half of Gemma 3's and Llama 3's merges) */
static petite_status merge_flush(stream_ctx *c) {
    bpe_model *b = &c->t->bpe;
    const char *q[3 * MERGE_BATCH];
    size_t qn[3 * MERGE_BATCH], nq = 0;
    int32_t got[3 * MERGE_BATCH], id[3 * MERGE_BATCH];
    bool same[MERGE_BATCH];
    for (uint32_t k = 0; k < c->nb; k++) {
        const char *o = (const char *)c->cat.p + c->cat_off[k];
        size_t on = (k + 1 < c->nb ? c->cat_off[k + 1] : c->cat.n) - c->cat_off[k];
        c->ms[3 * k + 2] = o, c->mn[3 * k + 2] = on;
        const char *p = k ? c->ms[3 * k - 1] : (const char *)c->last.p;
        size_t pn = k ? c->mn[3 * k - 1] : c->last.n;
        same[k] = (k || c->last_id >= 0) && pn == on && !memcmp(p, o, on);
        q[nq] = c->ms[3 * k], qn[nq++] = c->mn[3 * k];
        q[nq] = c->ms[3 * k + 1], qn[nq++] = c->mn[3 * k + 1];
        if (!same[k]) q[nq] = o, qn[nq++] = on;
    }
    vocab_find_many(&b->v, q, qn, got, nq);
    uint32_t first = c->nmerges;
    for (uint32_t k = 0, j = 0; k < c->nb; k++) {
        int32_t *e = id + 3 * k;
        e[0] = got[j++], e[1] = got[j++], e[2] = same[k] ? (k ? e[-1] : c->last_id) : got[j++];
        const char *const *s = c->ms + 3 * k;
        const size_t *n = c->mn + 3 * k;
        if (e[0] < 0 || e[1] < 0) {
            int w = e[0] < 0 ? 0 : 1;
            return BAD("model.merges[%u]: \"%.*s\" is not in the vocabulary", first + k, clip40(n[w]), s[w]);
        }
        if (e[2] < 0)
            return BAD("model.merges[%u]: the merged piece of \"%.*s\" and \"%.*s\" is not in the vocabulary", first + k,
                       clip40(n[0]), s[0], clip40(n[1]), s[1]);
        merges_prefetch(&b->m, (uint32_t)e[0], (uint32_t)e[1]);
    }
    /* the table full: grow it once to the merges the rest of the text holds at the pace so far */
    uint64_t need = (uint64_t)b->m.count + c->nb;
    if (need * 2 > b->m.cap && c->s) {
        size_t done = pj_s_offset(c->s) - c->merges_at, left = pj_s_left(c->s);
        if (!merges_reserve(&b->m, done ? need + (uint64_t)((double)need * (double)left / (double)done) : need)) return OOM();
    }
    if (c->nb && first + c->nb - 1 > merges_max_rank(&b->m))
        return BAD("model.merges: more than %u merges beside a vocabulary of %u ids", merges_max_rank(&b->m) + 1, b->v.size);
    for (uint32_t k = 0; k < c->nb; k++)
        if (!merges_add(&b->m, (uint32_t)id[3 * k], (uint32_t)id[3 * k + 1], first + k, (uint32_t)id[3 * k + 2])) return OOM();
    if (c->nb) { /* the last merged piece, for the next batch */
        c->last.n = 0;
        if (!tb_put(&c->last, c->ms[3 * c->nb - 1], c->mn[3 * c->nb - 1])) return OOM();
        c->last_id = id[3 * c->nb - 1];
    }
    c->nmerges += c->nb;
    c->nb = 0, c->cat.n = 0;
    return PETITE_OK;
}

static petite_status merge_split(uint32_t k, const char *s, size_t n, const char **r, size_t *ln, size_t *rn) {
    const char *sp = memchr(s, ' ', n);
    if (!sp) return BAD("model.merges[%u]: \"%.*s\" has no space", k, clip40(n), s);
    *ln = (size_t)(sp - s), *r = sp + 1, *rn = n - *ln - 1;
    return PETITE_OK;
}

static bool vocab_member(void *vc, const char *key, size_t kn, int64_t id, bool ok) {
    stream_ctx *c = vc;
    if (!ok) return c->st = BAD("model.vocab[\"%.*s\"]: bad id", clip40(kn), key), false;
    if ((c->st = vocab_entry(&c->t->bpe.v, key, kn, id))) return false;
    if (id > c->max_id) c->max_id = id;
    return true;
}

static int stream_vocab(stream_ctx *c, vocab *v, pj_stream *s) {
    c->vocab_taken = true;
    if (!pj_s_object_ints(s, 0, INT32_MAX - 1, vocab_member, c)) return PJ_HOOK_FAIL;
    if (!vocab_index(v)) return c->st = OOM(), PJ_HOOK_FAIL;
    return PJ_HOOK_TAKEN;
}

/* a merge that does not resolve may only lack a continuing prefix given further on: the plain way
 * decides (and names the field) */
static bool merge_item(void *vc, uint32_t k, const char *l, size_t ln, const char *r, size_t rn) {
    stream_ctx *c = vc;
    if (k == UINT32_MAX) return c->st = BAD("model.merges: too many"), false;
    if (!l) return c->st = BAD("model.merges[%u]: not \"a b\" or [a, b]", k), false;
    if (!r && (c->st = merge_split(k, l, ln, &r, &ln, &rn))) return c->redo = true, false;
    if ((c->st = merge_queue(c, l, ln, r, rn))) return c->redo = true, false;
    if (c->nb == MERGE_BATCH && (c->st = merge_flush(c))) return c->redo = true, false;
    return true;
}

static int stream_merges(stream_ctx *c, pj_stream *s) {
    /* as many merges as pieces, a first guess (GPT-style files have about that many, files
     * converted from SentencePiece twice as many: merge_flush grows the table once, at the pace) */
    if (!merges_init(&c->t->bpe.m, c->t->bpe.v.size, c->t->bpe.v.count)) return c->st = OOM(), PJ_HOOK_FAIL;
    c->s = s, c->merges_at = pj_s_offset(s);
    bool ok = pj_s_array_pairs(s, merge_item, c);
    c->s = NULL;
    if (!ok) return PJ_HOOK_FAIL;
    if (c->nb && (c->st = merge_flush(c))) return c->redo = true, PJ_HOOK_FAIL;
    c->merges_taken = true;
    return PJ_HOOK_TAKEN;
}

static int member_hook(void *vctx, const char *parent, const char *key, pj_stream *s) {
    stream_ctx *c = vctx;
    if (!parent || strcmp(parent, "model")) return PJ_HOOK_TREE;
    if (!strcmp(key, "vocab") && !c->vocab_taken && pj_s_peek(s) == '{') return stream_vocab(c, &c->t->bpe.v, s);
    if (!strcmp(key, "merges") && c->vocab_taken && !c->merges_taken && pj_s_peek(s) == '[') return stream_merges(c, s);
    if (!strcmp(key, "continuing_subword_prefix") && !c->prefix_taken && pj_s_peek(s) == '"') {
        const char *p;
        size_t n;
        if (!pj_s_string(s, &p, &n)) return PJ_HOOK_FAIL;
        if (!(c->prefix = dup_n(p, n))) return c->st = OOM(), PJ_HOOK_FAIL;
        c->prefix_len = n, c->prefix_taken = true;
        c->redo = c->merges_taken && n; /* the merged pieces were looked up without it */
        if (n && !c->t->bpe.prefix && !(c->t->bpe.prefix = dup_n(p, n))) return c->st = OOM(), PJ_HOOK_FAIL;
        return PJ_HOOK_TAKEN;
    }
    return PJ_HOOK_TREE;
}

static petite_status load_vocab(tokenizer *t, const pj_value *m, const stream_ctx *sc) {
    bpe_model *b = &t->bpe;
    if (sc->vocab_taken) return vocab_reserve(&b->v, (uint32_t)t->vocab_size) ? PETITE_OK : OOM();
    const pj_value *v = pj_get(m, "vocab");
    if (!pj_is(v, PJ_OBJECT)) return BAD("model.vocab: not an object");
    if (!vocab_reserve(&b->v, (uint32_t)t->vocab_size)) return OOM();
    for (uint32_t k = 0; k < v->n; k++) {
        const pj_value *key = &v->u.items[2 * k];
        int64_t id;
        if (!pj_int(&v->u.items[2 * k + 1], 0, (int64_t)t->vocab_size - 1, &id)) return BAD("model.vocab[\"%.40s\"]: bad id", key->u.str);
        petite_status st = vocab_entry(&b->v, key->u.str, key->n, id);
        if (st) return st;
    }
    return vocab_index(&b->v) ? PETITE_OK : OOM();
}

static petite_status load_bpe(tokenizer *t, const pj_value *m, stream_ctx *sc) {
    bpe_model *b = &t->bpe;
    petite_status st = load_vocab(t, m, sc);
    if (st || sc->merges_taken) return st;
    const pj_value *mg = pj_get(m, "merges");
    if (!pj_is(mg, PJ_ARRAY)) return BAD("model.merges: not a list");
    if (!merges_init(&b->m, b->v.size, mg->n)) return OOM();
    for (uint32_t k = 0; !st && k < mg->n; k++) {
        const pj_value *e = &mg->u.items[k];
        const char *l = e->u.str, *r = NULL;
        size_t ln = e->n, rn = 0;
        if (pj_is(e, PJ_STRING)) st = merge_split(k, l, ln, &r, &ln, &rn);
        else if (pj_is(e, PJ_ARRAY) && e->n == 2 && pj_is(&e->u.items[0], PJ_STRING) && pj_is(&e->u.items[1], PJ_STRING))
            l = e->u.items[0].u.str, ln = e->u.items[0].n, r = e->u.items[1].u.str, rn = e->u.items[1].n;
        else st = BAD("model.merges[%u]: not \"a b\" or [a, b]", k);
        if (!st) st = merge_queue(sc, l, ln, r, rn);
        if (!st && (sc->nb == MERGE_BATCH || k + 1 == mg->n)) st = merge_flush(sc);
    }
    return st;
}

static void byte_ids(bpe_model *b) {
    for (int k = 0; k < 256; k++) {
        char h[8];
        snprintf(h, sizeof h, "<0x%02X>", k);
        b->byte_id[k] = vocab_find(&b->v, h, 6);
    }
}

static petite_status load_wordpiece(tokenizer *t, const pj_value *m, const stream_ctx *sc) {
    bpe_model *b = &t->bpe;
    const pj_value *pre = sc->prefix_taken ? NULL : pj_get(m, "continuing_subword_prefix");
    petite_status st = load_vocab(t, m, sc);
    if (st) return st;
    if (!sc->prefix_taken && !pj_is(pre, PJ_STRING) && !b->prefix && !(b->prefix = dup_n("##", 2))) return OOM();
    int64_t mx = 100;
    if (pj_get(m, "max_input_chars_per_word") && !pj_int(pj_get(m, "max_input_chars_per_word"), 1, 1 << 30, &mx))
        return BAD("model.max_input_chars_per_word: not a positive integer");
    b->max_chars = (uint32_t)mx;
    return PETITE_OK;
}

static petite_status load_unigram(tokenizer *t, const pj_value *m, uint32_t size) {
    bpe_model *b = &t->bpe;
    const pj_value *v = pj_get(m, "vocab");
    int64_t unk = -1;
    if (!pj_is(v, PJ_ARRAY)) return BAD("model.vocab: not a list of [piece, score]");
    if (pj_get(m, "unk_id") && !pj_is(pj_get(m, "unk_id"), PJ_NULL) && !pj_int(pj_get(m, "unk_id"), 0, (int64_t)v->n - 1, &unk))
        return BAD("model.unk_id: not an id of the vocabulary");
    if (!vocab_init(&b->v, size) || !(b->score = calloc(size ? size : 1, sizeof *b->score))) return OOM();
    b->min_score = 0.0;
    for (uint32_t k = 0; k < v->n; k++) {
        const pj_value *e = &v->u.items[k];
        if (!pj_is(e, PJ_ARRAY) || e->n != 2 || !pj_is(&e->u.items[0], PJ_STRING) || !pj_is(&e->u.items[1], PJ_NUMBER))
            return BAD("model.vocab[%u]: not [piece, score]", k);
        if (!vocab_set(&b->v, k, e->u.items[0].u.str, e->u.items[0].n)) return OOM();
        b->score[k] = e->u.items[1].u.num;
        if (k == 0 || b->score[k] < b->min_score) b->min_score = b->score[k];
        uint32_t chars = 0;
        for (uint32_t i = 0; i < e->u.items[0].n; i++) chars += ((uint8_t)e->u.items[0].u.str[i] & 0xC0) != 0x80;
        if (chars > b->max_chars) b->max_chars = chars;
    }
    b->unk = (int32_t)unk;
    b->fuse_unk = true;
    return PETITE_OK;
}

static int32_t token_id(const tokenizer *t, const pj_value *v) {
    if (pj_is(v, PJ_OBJECT)) v = pj_get(v, "content");
    if (!pj_is(v, PJ_STRING)) return -1;
    for (size_t k = 0; k < t->nadded; k++)
        if (t->added[k].len == v->n && !memcmp(t->added[k].content, v->u.str, v->n)) return t->added[k].id;
    return vocab_find(&t->bpe.v, v->u.str, v->n);
}

static int cmp_added(const void *a, const void *b) {
    const added_token *x = a, *y = b;
    uint8_t fx = (uint8_t)x->content[0], fy = (uint8_t)y->content[0];
    if (fx != fy) return fx < fy ? -1 : 1;
    return x->len != y->len ? (x->len > y->len ? -1 : 1) : (x->id > y->id) - (x->id < y->id);
}

typedef struct {
    int32_t id;
    uint32_t at;
} id_at;
static int cmp_id_at(const void *a, const void *b) {
    int32_t x = ((const id_at *)a)->id, y = ((const id_at *)b)->id;
    return (x > y) - (x < y);
}

bool tk_index_added(tokenizer *t) {
    if (t->nadded) qsort(t->added, t->nadded, sizeof *t->added, cmp_added);
    size_t k = 0;
    for (int b = 0; b <= 256; b++) {
        while (k < t->nadded && (uint8_t)t->added[k].content[0] < b) k++;
        t->added_at[b] = (uint32_t)k;
    }
    t->added_at[256] = (uint32_t)t->nadded;
    free(t->added_by_id);
    id_at *tmp = malloc((t->nadded + 1) * sizeof *tmp);
    if (!tmp || !(t->added_by_id = malloc((t->nadded + 1) * sizeof *t->added_by_id))) {
        free(tmp);
        return false;
    }
    for (k = 0; k < t->nadded; k++) tmp[k].id = t->added[k].id, tmp[k].at = (uint32_t)k;
    if (t->nadded) qsort(tmp, t->nadded, sizeof *tmp, cmp_id_at);
    for (k = 0; k < t->nadded; k++) t->added_by_id[k] = tmp[k].at;
    free(tmp);
    return true;
}

static void stream_free(stream_ctx *c) {
    free(c->prefix), free(c->cat.p), free(c->last.p);
    c->prefix = NULL, c->cat.p = NULL, c->last.p = NULL;
}

static petite_status load_json(tokenizer *t, const char *json, size_t n, const char *config, size_t cn, bool stream, bool *redo) {
    memset(t, 0, sizeof *t);
    t->bos = t->eos = t->pad = -1;
    char err[256];
    stream_ctx sc_ = {0}, *sc = &sc_;
    sc->t = t, sc->max_id = -1, sc->last_id = -1;
    pj_doc *d = pj_parse_hooked(json, n, stream ? member_hook : NULL, sc, err, sizeof err);
    if (sc->redo) {
        *redo = true;
        stream_free(sc);
        pj_free(d);
        return PETITE_OK;
    }
    pj_doc *cd = d && config ? pj_parse(config, cn, err, sizeof err) : NULL;
    if (!d || (config && !cd)) {
        petite_status st = sc->st ? sc->st : BAD("%s: %s", d ? "tokenizer_config.json" : "tokenizer.json", err);
        stream_free(sc);
        pj_free(d);
        return st;
    }
    const pj_value *root = pj_root(d), *m = pj_get(root, "model"), *added = pj_get(root, "added_tokens");
    petite_status s = PETITE_OK;
    const char *mt = pj_str(pj_get(m, "type"));
    if (!pj_is(root, PJ_OBJECT)) s = BAD("tokenizer.json: not an object");
    else if (!m) s = BAD("model: missing");
    else if (!mt && pj_get(m, "merges")) mt = "BPE"; /* older files leave the type out */
    if (!s && !mt && pj_is(pj_get(m, "vocab"), PJ_ARRAY)) mt = "Unigram";
    if (!s && !mt && pj_get(m, "continuing_subword_prefix")) mt = "WordPiece";
    if (!s && (!mt || (strcmp(mt, "BPE") && strcmp(mt, "WordPiece") && strcmp(mt, "Unigram"))))
        s = BAD("model.type: \"%s\" is not supported (BPE, WordPiece and Unigram are)", mt ? mt : "(none)");
    if (!s) t->bpe.kind = !strcmp(mt, "BPE") ? TK_MODEL_BPE : !strcmp(mt, "WordPiece") ? TK_MODEL_WORDPIECE : TK_MODEL_UNIGRAM;
    /* ids: the largest of the vocabulary's and the added tokens' */
    int64_t maxid = sc->max_id;
    const pj_value *v = sc->vocab_taken ? NULL : pj_get(m, "vocab");
    for (uint32_t k = 0; !s && v && v->kind == PJ_OBJECT && k < v->n; k++) {
        int64_t id;
        if (!pj_int(&v->u.items[2 * k + 1], 0, INT32_MAX - 1, &id)) s = BAD("model.vocab[\"%.40s\"]: bad id", v->u.items[2 * k].u.str);
        else if (id > maxid) maxid = id;
    }
    if (!s && v && v->kind == PJ_ARRAY) maxid = (int64_t)v->n - 1; /* Unigram: [piece, score] by id */
    if (!s && added && !pj_is(added, PJ_ARRAY)) s = BAD("added_tokens: not a list");
    if (!s && added) {
        if (!(t->added = calloc(added->n ? added->n : 1, sizeof *t->added))) s = OOM();
        for (uint32_t k = 0; !s && k < added->n; k++) {
            const pj_value *a = &added->u.items[k], *c = pj_get(a, "content");
            int64_t id;
            if (!pj_int(pj_get(a, "id"), 0, INT32_MAX - 1, &id)) s = BAD("added_tokens[%u].id: bad", k);
            else if (!pj_is(c, PJ_STRING) || !c->n) s = BAD("added_tokens[%u].content: not a non-empty string", k);
            if (s) break;
            added_token *x = &t->added[t->nadded++];
            x->id = (int32_t)id, x->len = c->n;
            if (!(x->content = dup_n(c->u.str, c->n))) s = OOM();
            x->single_word = pj_bool(pj_get(a, "single_word"), false), x->lstrip = pj_bool(pj_get(a, "lstrip"), false);
            x->rstrip = pj_bool(pj_get(a, "rstrip"), false), x->normalized = pj_bool(pj_get(a, "normalized"), true);
            x->special = pj_bool(pj_get(a, "special"), false);
            if (id > maxid) maxid = id;
        }
        if (!s && !tk_index_added(t)) s = OOM();
    }
    t->vocab_size = (int32_t)(maxid + 1);
    if (!s) {
        const pj_value *unk = pj_get(m, "unk_token"), *pre = pj_get(m, "continuing_subword_prefix"), *suf = pj_get(m, "end_of_word_suffix");
        if (pj_is(pre, PJ_STRING) && pre->n && !(t->bpe.prefix = dup_n(pre->u.str, pre->n))) s = OOM();
        if (pj_is(suf, PJ_STRING) && suf->n && !(t->bpe.suffix = dup_n(suf->u.str, suf->n))) s = OOM();
        t->bpe.byte_fallback = pj_bool(pj_get(m, "byte_fallback"), false);
        t->bpe.fuse_unk = pj_bool(pj_get(m, "fuse_unk"), false);
        t->bpe.ignore_merges = pj_bool(pj_get(m, "ignore_merges"), false);
        if (pj_get(m, "dropout") && !pj_is(pj_get(m, "dropout"), PJ_NULL)) s = BAD("model.dropout: BPE dropout is not supported");
        if (!s) s = t->bpe.kind == TK_MODEL_BPE ? load_bpe(t, m, sc)
                  : t->bpe.kind == TK_MODEL_WORDPIECE ? load_wordpiece(t, m, sc)
                                                      : load_unigram(t, m, (uint32_t)t->vocab_size);
        if (!s) byte_ids(&t->bpe);
        if (t->bpe.kind != TK_MODEL_UNIGRAM) t->bpe.unk = pj_is(unk, PJ_STRING) ? vocab_find(&t->bpe.v, unk->u.str, unk->n) : -1;
    }
    if (!s) s = add_norm(t, pj_get(root, "normalizer"), "normalizer", 0);
    if (!s) s = add_pre(t, pj_get(root, "pre_tokenizer"), "pre_tokenizer", 0);
    if (!s) s = add_dec(t, pj_get(root, "decoder"), "decoder", 0);
    /* the byte-level alphabet: printable bytes stand for themselves, the rest for 256 + k */
    for (int k = 0; k < 324; k++) t->char_byte[k] = -1;
    for (int b = 0, extra = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        t->byte_char[b] = printable ? (uint32_t)b : (uint32_t)(256 + extra++);
        t->char_byte[t->byte_char[b]] = (int16_t)b;
    }
    if (!s) {
        t->gpt2_split.type = TK_PRE_SPLIT;
        if (!(t->gpt2_split.re = ptx_regex_compile(GPT2_PATTERN, sizeof GPT2_PATTERN - 1, err, sizeof err)))
            s = BAD("the byte-level split pattern: %s", err);
    }
    /* the post-processor's single template */
    const pj_value *pp = pj_get(root, "post_processor");
    const pj_value *single = NULL, *specials = NULL;
    for (int depth = 0; !s && pp && pp->kind == PJ_OBJECT && depth < 4; depth++) {
        const char *pt = pj_str(pj_get(pp, "type"));
        if (pt && !strcmp(pt, "Sequence")) {
            const pj_value *l = pj_get(pp, "processors");
            const pj_value *next = NULL;
            for (uint32_t k = 0; l && l->kind == PJ_ARRAY && k < l->n; k++) {
                const char *x = pj_str(pj_get(&l->u.items[k], "type"));
                if (x && strcmp(x, "ByteLevel")) next = &l->u.items[k];
            }
            pp = next;
            continue;
        }
        if (pt && !strcmp(pt, "TemplateProcessing")) single = pj_get(pp, "single"), specials = pj_get(pp, "special_tokens");
        else if (pt && (!strcmp(pt, "BertProcessing") || !strcmp(pt, "RobertaProcessing"))) {
            const pj_value *cls = pj_get(pp, "cls"), *sep = pj_get(pp, "sep");
            int64_t ci, si;
            if (!pj_is(cls, PJ_ARRAY) || cls->n != 2 || !pj_int(&cls->u.items[1], 0, t->vocab_size - 1, &ci) ||
                !pj_is(sep, PJ_ARRAY) || sep->n != 2 || !pj_int(&sep->u.items[1], 0, t->vocab_size - 1, &si))
                s = BAD("post_processor.cls / sep: not [token, id]");
            else if (!(t->tmpl = malloc(3 * sizeof *t->tmpl))) s = OOM();
            else t->tmpl[0] = (int32_t)ci, t->tmpl[1] = -1, t->tmpl[2] = (int32_t)si, t->ntmpl = 3;
        } else if (pt && strcmp(pt, "ByteLevel")) {
            s = BAD("post_processor.type: \"%s\" is not supported", pt);
        }
        break;
    }
    if (!s && single) {
        if (!pj_is(single, PJ_ARRAY) || single->n > 64) s = BAD("post_processor.single: not a list");
        size_t cap = 64;
        if (!s && !(t->tmpl = malloc(cap * sizeof *t->tmpl))) s = OOM();
        bool seen_seq = false;
        for (uint32_t k = 0; !s && k < single->n; k++) {
            const pj_value *it = &single->u.items[k], *sp = pj_get(it, "SpecialToken"), *sq = pj_get(it, "Sequence");
            if (sq) {
                if (!seen_seq) t->tmpl[t->ntmpl++] = -1;
                seen_seq = true;
                continue;
            }
            const pj_value *name = pj_get(sp, "id"), *st = name ? pj_get(specials, name->u.str) : NULL;
            const pj_value *ids = pj_get(st, "ids");
            if (!pj_is(name, PJ_STRING) || !pj_is(ids, PJ_ARRAY)) {
                s = BAD("post_processor.single[%u]: a special token without ids in special_tokens", k);
                break;
            }
            for (uint32_t j = 0; j < ids->n && !s; j++) {
                int64_t id;
                if (!pj_int(&ids->u.items[j], 0, t->vocab_size - 1, &id) || t->ntmpl + 1 >= cap)
                    s = BAD("post_processor.special_tokens[\"%.40s\"].ids[%u]: bad", name->u.str, j);
                else t->tmpl[t->ntmpl++] = (int32_t)id;
            }
        }
        if (!s && !seen_seq) s = BAD("post_processor.single: no Sequence item");
    }
    /* BOS / EOS / PAD: the config's, else the template's first / last special token */
    const pj_value *croot = pj_root(cd);
    if (!s && croot) {
        t->bos = token_id(t, pj_get(croot, "bos_token"));
        t->eos = token_id(t, pj_get(croot, "eos_token"));
        t->pad = token_id(t, pj_get(croot, "pad_token"));
        if (pj_get(croot, "clean_up_tokenization_spaces")) t->cleanup_spaces = pj_bool(pj_get(croot, "clean_up_tokenization_spaces"), false);
    }
    if (!s && t->bos < 0 && t->ntmpl && t->tmpl[0] >= 0) t->bos = t->tmpl[0];
    if (!s && t->eos < 0 && t->ntmpl && t->tmpl[t->ntmpl - 1] >= 0) t->eos = t->tmpl[t->ntmpl - 1];
    stream_free(sc);
    pj_free(d);
    pj_free(cd);
    return s;
}

petite_status tk_load(tokenizer *t, const char *json, size_t n, const char *config, size_t cn) {
    bool redo = false;
    petite_status s = load_json(t, json, n, config, cn, true, &redo);
    if (s || !redo) return s;
    tk_free(t);
    return load_json(t, json, n, config, cn, false, &redo);
}

void tk_free(tokenizer *t) {
    vocab_free(&t->bpe.v);
    merges_free(&t->bpe.m);
    free(t->bpe.prefix), free(t->bpe.suffix), free(t->bpe.score);
    for (size_t k = 0; k < t->nnorm; k++) norm_step_free(&t->norm[k]);
    free(t->bpe.rank), free(t->ptype);
    for (size_t k = 0; k < t->npre; k++) pre_step_free(&t->pre[k]);
    for (size_t k = 0; k < t->ndec; k++) dec_step_free(&t->dec[k]);
    for (size_t k = 0; k < t->nadded; k++) free(t->added[k].content);
    free(t->added), free(t->tmpl), free(t->added_by_id);
    ptx_regex_free(t->gpt2_split.re);
    memset(t, 0, sizeof *t);
}

/* ---- tiktoken: a rank file (base64 token, a space, its rank, per line) and a named encoding ---- */

static int b64(uint8_t c) {
    return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
         : c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* the rank after a line's space: digits up to the line's end (a '\r' before it allowed); -1 if not.
 * Bounded by the line: the file may be mapped, with nothing readable after its last byte. */
static int64_t line_rank(const char *p, const char *end) {
    if (end > p && end[-1] == '\r') end--;
    if (p >= end || end - p > 10) return -1;
    int64_t r = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return -1;
        r = r * 10 + (*p - '0');
    }
    return r;
}

petite_status tk_load_tiktoken(tokenizer *t, const char *ranks, size_t n, const char *name) {
    static const struct { const char *name; const char *pattern; const char *special[8]; int32_t id[8]; } enc[] = {
        {"cl100k_base", CL100K_PATTERN, {"<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
                                         "<|endofprompt|>"}, {100257, 100258, 100259, 100260, 100276}},
        {"o200k_base", O200K_PATTERN, {"<|endoftext|>", "<|endofprompt|>"}, {199999, 200018}},
        {"r50k_base", GPT2_PATTERN, {"<|endoftext|>"}, {50256}},
        {"gpt2", GPT2_PATTERN, {"<|endoftext|>"}, {50256}},
        {"llama3", LLAMA3_PATTERN, {NULL}, {0}}, /* 256 special tokens after the ranks, below */
    };
    memset(t, 0, sizeof *t);
    t->bos = t->eos = t->pad = -1;
    size_t e = 0;
    while (e < sizeof enc / sizeof *enc && (!name || strcmp(name, enc[e].name))) e++;
    if (e == sizeof enc / sizeof *enc)
        return BAD("tiktoken: unknown encoding \"%s\" (cl100k_base, o200k_base, r50k_base, gpt2, llama3)", name ? name : "");
    const bool llama3 = !strcmp(enc[e].name, "llama3");
    /* first pass: the largest rank */
    int64_t maxid = -1;
    size_t lines = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ranks[j] != '\n') j++;
        const char *sp = memchr(ranks + i, ' ', j - i);
        if (j > i && !(j == i + 1 && ranks[i] == '\r')) {
            int64_t r = sp ? line_rank(sp + 1, ranks + j) : -1;
            if (r < 0 || r > INT32_MAX - 1024) return BAD("tiktoken line %zu: not \"BASE64 RANK\"", lines + 1);
            if (r > maxid) maxid = r;
        }
        lines++;
        i = j + 1;
    }
    for (int k = 0; k < 8 && enc[e].special[k]; k++)
        if (enc[e].id[k] > maxid) maxid = enc[e].id[k];
    const int64_t first_special = maxid + 1;
    if (llama3) maxid += 256;
    t->vocab_size = (int32_t)(maxid + 1);
    bpe_model *b = &t->bpe;
    b->kind = TK_MODEL_TIKTOKEN, b->unk = -1;
    if (!vocab_init(&b->v, (uint32_t)t->vocab_size)) return OOM();
    lines = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && ranks[j] != '\n') j++;
        const char *sp = memchr(ranks + i, ' ', j - i);
        lines++;
        if (sp) {
            uint8_t tok[512];
            size_t tl = 0;
            uint32_t acc = 0;
            int bits = 0;
            for (const char *c = ranks + i; c < sp; c++) {
                if (*c == '=') break;
                int v = b64((uint8_t)*c);
                if (v < 0 || tl >= sizeof tok) return BAD("tiktoken line %zu: bad base64", lines);
                acc = acc << 6 | (uint32_t)v, bits += 6;
                if (bits >= 8) bits -= 8, tok[tl++] = (uint8_t)(acc >> bits);
            }
            int64_t r = line_rank(sp + 1, ranks + j);
            if (!tl) return BAD("tiktoken line %zu: an empty token", lines);
            if (vocab_find(&b->v, (const char *)tok, tl) >= 0) return BAD("tiktoken line %zu: a token given twice", lines);
            if (!vocab_set(&b->v, (uint32_t)r, (const char *)tok, tl)) return OOM();
        }
        i = j + 1;
    }
    for (int k = 0; k < 256; k++) {
        char c = (char)k;
        if ((b->byte_id[k] = vocab_find(&b->v, &c, 1)) < 0) return BAD("tiktoken: byte 0x%02x has no rank", k);
    }
    int ns = 0;
    while (ns < 8 && enc[e].special[ns]) ns++;
    if (llama3) ns = 256;
    if (!(t->added = calloc((size_t)ns, sizeof *t->added))) return OOM();
    for (int k = 0; k < ns; k++) {
        added_token *a = &t->added[t->nadded++];
        char rs[48];
        const int nl = (int)(sizeof LLAMA3_SPECIAL / sizeof *LLAMA3_SPECIAL);
        if (llama3 && k >= nl) snprintf(rs, sizeof rs, "<|reserved_special_token_%d|>", k - nl + 2);
        const char *content = !llama3 ? enc[e].special[k] : k < nl ? LLAMA3_SPECIAL[k] : rs;
        a->id = llama3 ? (int32_t)(first_special + k) : enc[e].id[k];
        a->len = strlen(content), a->special = true, a->normalized = false;
        if (!(a->content = dup_n(content, a->len))) return OOM();
    }
    if (!tk_index_added(t)) return OOM();
    /* OpenAI's encodings read special tokens in the text only when asked (tiktoken's allowed_special);
     * Llama 3's always (as ExecuTorch's runner and its tokenizer.json do), and its template puts BOS first */
    t->specials_on_request = !llama3;
    t->eos = t->added[0].id;
    for (size_t k = 0; k < t->nadded; k++)
        if (!strcmp(t->added[k].content, "<|endoftext|>")) t->eos = t->added[k].id;
    if (llama3) {
        t->bos = (int32_t)first_special, t->eos = (int32_t)first_special + 1; /* (added is sorted for lookup) */
        if (!(t->tmpl = malloc(2 * sizeof *t->tmpl))) return OOM();
        t->tmpl[0] = t->bos, t->tmpl[1] = -1, t->ntmpl = 2;
    }
    char err[200];
    pre_step *st = &t->pre[t->npre++];
    st->type = TK_PRE_SPLIT, st->behavior = TK_ISOLATED;
    if (!(st->re = ptx_regex_compile(enc[e].pattern, strlen(enc[e].pattern), err, sizeof err))) return BAD("tiktoken pattern: %s", err);
    t->dec[t->ndec++].type = TK_D_BYTES;
    for (int k = 0; k < 324; k++) t->char_byte[k] = -1;
    return PETITE_OK;
}
