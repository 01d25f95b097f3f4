/* model.c — buffers, the vocabulary map, and the BPE model: a word's symbols merged lowest rank
 * first (the leftmost of equal ranks), through a binary heap over a linked list of symbols, so a
 * word of n characters costs O(n log n) (a file without a pre-tokenizer makes the whole text one
 * word). */
#include <stdlib.h>
#include <string.h>

#include "text/tk.h"

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / elem) return false;
        c *= 2;
    }
    void *q = realloc(*p, c * elem);
    if (!q) return false;
    *p = q, *cap = c;
    return true;
}

bool tb_put(tbuf *b, const void *s, size_t n) {
    if (b->oom || n > SIZE_MAX - b->n - 1 || !grow((void **)&b->p, &b->cap, b->n + n + 1, 1)) return !(b->oom = true);
    if (n) memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return true;
}

bool tb_putc(tbuf *b, uint8_t c) { return tb_put(b, &c, 1); }

bool tb_cp(tbuf *b, uint32_t cp) {
    uint8_t u[4];
    return tb_put(b, u, ptu_encode(cp, u));
}

bool il_push(ilist *l, int32_t v) {
    if (l->oom || !grow((void **)&l->p, &l->cap, l->n + 1, sizeof *l->p)) return !(l->oom = true);
    l->p[l->n++] = v;
    return true;
}

/* a fast hash of a piece: 8 bytes at a time */
static uint32_t phash(const char *s, size_t n) {
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    for (size_t k = 0; i < n; i++, k += 8) w |= (uint64_t)(uint8_t)s[i] << k;
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    return (uint32_t)h | 1u; /* never 0: 0 marks an empty slot's hash */
}

bool vocab_init(vocab *v, uint32_t size) {
    memset(v, 0, sizeof *v);
    v->cap = 16;
    while (v->cap < (uint64_t)size * 2 + 16) v->cap *= 2;
    v->size = size;
    v->piece = calloc(size ? size : 1, sizeof *v->piece);
    v->len = calloc(size ? size : 1, sizeof *v->len);
    v->slot = calloc(v->cap, sizeof *v->slot);
    v->hash = calloc(v->cap, sizeof *v->hash);
    return v->piece && v->len && v->slot && v->hash;
}

static int32_t find_h(const vocab *v, const char *s, size_t n, uint32_t h) {
    for (uint32_t i = h & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
        uint32_t id = v->slot[i];
        if (!id) return -1;
        id--;
        if (v->hash[i] == h && v->len[id] == n && !memcmp(v->piece[id], s, n)) return (int32_t)id;
    }
}

int32_t vocab_find(const vocab *v, const char *s, size_t n) {
    if (!v->cap) return -1;
    return find_h(v, s, n, phash(s, n));
}

/* the pieces' bytes: big blocks, never moved */
static char *arena_copy(vocab *v, const char *s, size_t n) {
    if (!v->block || v->block_cap - v->block_used < n + 1) {
        size_t cap = n + 1 > (1u << 20) ? n + 1 : (1u << 20);
        char **blk = malloc(sizeof(char *) + cap);
        if (!blk) return NULL;
        *blk = v->block; /* chained for freeing */
        v->block = (char *)blk, v->block_cap = cap, v->block_used = 0;
    }
    char *c = v->block + sizeof(char *) + v->block_used;
    memcpy(c, s, n);
    c[n] = 0;
    v->block_used += n + 1;
    return c;
}

bool vocab_set(vocab *v, uint32_t id, const char *s, size_t n) {
    if (id >= v->size || n > UINT32_MAX) return false;
    char *c = arena_copy(v, s, n);
    if (!c) return false;
    v->piece[id] = c, v->len[id] = (uint32_t)n;
    uint32_t h = phash(s, n);
    if (find_h(v, s, n, h) >= 0) return true;
    uint32_t i = h & (v->cap - 1);
    while (v->slot[i]) i = (i + 1) & (v->cap - 1);
    v->slot[i] = id + 1, v->hash[i] = h;
    return true;
}

void vocab_unmap(vocab *v, uint32_t id) {
    if (id >= v->size || !v->piece[id] || !v->cap) return;
    uint32_t i = phash(v->piece[id], v->len[id]) & (v->cap - 1);
    while (v->slot[i] && v->slot[i] != id + 1) i = (i + 1) & (v->cap - 1);
    if (!v->slot[i]) return;
    v->slot[i] = 0; /* re-insert the run after the hole (linear probing) */
    for (uint32_t j = (i + 1) & (v->cap - 1); v->slot[j]; j = (j + 1) & (v->cap - 1)) {
        uint32_t other = v->slot[j] - 1, h = v->hash[j];
        v->slot[j] = 0;
        uint32_t k = h & (v->cap - 1);
        while (v->slot[k]) k = (k + 1) & (v->cap - 1);
        v->slot[k] = other + 1, v->hash[k] = h;
    }
}

void vocab_free(vocab *v) {
    for (char *b = v->block, *nx; b; b = nx) nx = *(char **)b, free(b);
    free(v->piece), free(v->len), free(v->slot), free(v->hash);
    memset(v, 0, sizeof *v);
}

static uint32_t mix64(uint64_t k) {
    k ^= k >> 33, k *= 0xff51afd7ed558ccdull, k ^= k >> 33;
    return (uint32_t)k;
}

static bool merges_grow(merges *m, uint32_t cap) {
    merges n = {0};
    n.cap = cap;
    n.key = malloc((size_t)n.cap * sizeof *n.key);
    n.rank = malloc((size_t)n.cap * sizeof *n.rank);
    n.out = malloc((size_t)n.cap * sizeof *n.out);
    if (!n.key || !n.rank || !n.out) {
        merges_free(&n);
        return false;
    }
    memset(n.key, 0xFF, (size_t)n.cap * sizeof *n.key);
    for (uint32_t i = 0; i < m->cap; i++)
        if (m->key[i] != UINT64_MAX) merges_add(&n, (uint32_t)(m->key[i] >> 32), (uint32_t)m->key[i], m->rank[i], m->out[i]);
    merges_free(m);
    *m = n;
    return true;
}

bool merges_reserve(merges *m, uint32_t count) {
    uint32_t cap = 1024;
    while (cap < (uint64_t)count * 2 + 2 && cap < (1u << 31)) cap *= 2;
    return cap <= m->cap || merges_grow(m, cap);
}

bool merges_add(merges *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t out) {
    if ((uint64_t)(m->count + 1) * 2 > m->cap && !merges_grow(m, m->cap ? m->cap * 2 : 1024)) return false;
    uint64_t k = (uint64_t)a << 32 | b;
    uint32_t i = mix64(k) & (m->cap - 1);
    while (m->key[i] != UINT64_MAX) {
        if (m->key[i] == k) return true; /* the first (lowest-ranked) merge of a pair stays */
        i = (i + 1) & (m->cap - 1);
    }
    m->key[i] = k, m->rank[i] = rank, m->out[i] = out;
    m->count++;
    return true;
}

bool merges_find(const merges *m, uint32_t a, uint32_t b, uint32_t *rank, uint32_t *out) {
    if (!m->cap) return false;
    uint64_t k = (uint64_t)a << 32 | b;
    for (uint32_t i = mix64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->key[i] == UINT64_MAX) return false;
        if (m->key[i] == k) {
            *rank = m->rank[i], *out = m->out[i];
            return true;
        }
    }
}

void merges_free(merges *m) {
    free(m->key), free(m->rank), free(m->out);
    memset(m, 0, sizeof *m);
}

/* ---- BPE ---- */

typedef struct {
    int32_t id;
    int32_t prev, next; /* -1: none */
} sym;

typedef struct {
    uint32_t rank;
    int32_t pos;        /* left symbol */
    int32_t left, right; /* the ids it was made for (stale entries are skipped) */
    uint32_t out;
} cand;

static bool cand_less(const cand *a, const cand *b) { return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos; }

static void heap_push(cand *h, size_t *n, cand c) {
    size_t i = (*n)++;
    while (i) {
        size_t p = (i - 1) / 2;
        if (!cand_less(&c, &h[p])) break;
        h[i] = h[p], i = p;
    }
    h[i] = c;
}

static cand heap_pop(cand *h, size_t *n) {
    cand top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const cand *mc = &last;
        if (l < *n && cand_less(&h[l], mc)) m = l, mc = &h[l];
        if (r < *n && cand_less(&h[r], mc)) m = r;
        if (m == i) break;
        h[i] = h[m], i = m;
    }
    if (*n) h[i] = last;
    return top;
}

/* the merge of two ids: BPE's merges table; tiktoken: the rank of the joined bytes */
static bool pair_rank(const bpe_model *b, int32_t l, int32_t r, uint32_t *rank, uint32_t *out) {
    if (b->kind == TK_MODEL_BPE) return merges_find(&b->m, (uint32_t)l, (uint32_t)r, rank, out);
    char buf[256];
    size_t ll = b->v.len[l], rl = b->v.len[r];
    if (ll + rl > sizeof buf) return false; /* no rank is that long */
    memcpy(buf, b->v.piece[l], ll), memcpy(buf + ll, b->v.piece[r], rl);
    int32_t id = vocab_find(&b->v, buf, ll + rl);
    if (id < 0) return false;
    *rank = b->kind == TK_MODEL_SPM_BPE ? b->rank[id] : (uint32_t)id, *out = (uint32_t)id;
    return true;
}

static void try_pair(const bpe_model *b, const sym *s, int32_t pos, cand *h, size_t *hn) {
    int32_t nx = s[pos].next;
    uint32_t rank, out;
    if (nx < 0 || !pair_rank(b, s[pos].id, s[nx].id, &rank, &out)) return;
    heap_push(h, hn, (cand){rank, pos, s[pos].id, s[nx].id, out});
}

bool bpe_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out) {
    if (!n) return true;
    if (b->ignore_merges || b->kind == TK_MODEL_TIKTOKEN) { /* a word in the vocabulary as it is */
        int32_t id = vocab_find(&b->v, (const char *)w, n);
        if (id >= 0) return il_push(out, id);
    }
    /* symbols: one per character (with the prefix / suffix the model puts on inner / last ones) */
    sym *s = malloc((n + 1) * sizeof *s);   /* at most one symbol per byte */
    cand *h = malloc((3 * n + 1) * sizeof *h); /* n - 1 pairs, then at most two per merge */
    tbuf tmp = {0};
    if (!s || !h) {
        free(s), free(h);
        return false;
    }
    int32_t ns = 0;
    bool ok = true, last_unk = false;
    for (size_t i = 0; i < n && ok;) {
        size_t L;
        ptu_decode(w + i, n - i, &L);
        const bool first = i == 0, last = i + L == n;
        tmp.n = 0;
        if (!first && b->prefix) tb_put(&tmp, b->prefix, strlen(b->prefix));
        tb_put(&tmp, w + i, L);
        if (last && b->suffix) tb_put(&tmp, b->suffix, strlen(b->suffix));
        if (tmp.oom) {
            ok = false;
            break;
        }
        int32_t id = b->kind == TK_MODEL_TIKTOKEN ? -1 : vocab_find(&b->v, (const char *)tmp.p, tmp.n);
        if (b->kind == TK_MODEL_TIKTOKEN) { /* one symbol per byte (every byte has a rank) */
            for (size_t k = 0; k < L; k++) s[ns++].id = b->byte_id[w[i + k]];
        } else if (id >= 0) {
            s[ns++].id = id, last_unk = false;
        } else {
            bool bytes = b->byte_fallback;
            for (size_t k = 0; k < L && bytes; k++) bytes = b->byte_id[w[i + k]] >= 0;
            if (bytes) {
                for (size_t k = 0; k < L; k++) s[ns++].id = b->byte_id[w[i + k]];
                last_unk = false;
            } else if (b->unk >= 0 && !(b->fuse_unk && last_unk)) {
                s[ns++].id = b->unk, last_unk = true;
            }
        }
        i += L;
    }
    for (int32_t i = 0; i < ns; i++) s[i].prev = i - 1, s[i].next = i + 1 < ns ? i + 1 : -1;
    size_t hn = 0;
    for (int32_t i = 0; ok && i + 1 < ns; i++) try_pair(b, s, i, h, &hn);
    while (ok && hn) {
        cand c = heap_pop(h, &hn);
        sym *l = &s[c.pos];
        if (l->id != c.left || l->next < 0 || s[l->next].id != c.right) continue; /* stale */
        int32_t r = l->next;
        l->id = (int32_t)c.out;
        l->next = s[r].next;
        if (l->next >= 0) s[l->next].prev = c.pos;
        s[r].id = -1; /* gone */
        if (l->prev >= 0) try_pair(b, s, l->prev, h, &hn);
        try_pair(b, s, c.pos, h, &hn);
    }
    for (int32_t i = ns ? 0 : -1; ok && i >= 0; i = s[i].next) ok = il_push(out, s[i].id);
    free(s), free(h), free(tmp.p);
    return ok;
}

/* ---- WordPiece: greedy longest match from the left, continuing pieces with the prefix; a word
 * with a character no piece covers (or longer than max_input_chars_per_word) is one unknown ---- */

bool wordpiece_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out) {
    if (!n) return true;
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += (w[i] & 0xC0) != 0x80;
    size_t mark = out->n;
    if (chars > b->max_chars) return b->unk >= 0 ? il_push(out, b->unk) : true;
    tbuf tmp = {0};
    size_t pl = b->prefix ? strlen(b->prefix) : 0;
    for (size_t start = 0; start < n;) {
        int32_t found = -1;
        size_t end = n;
        while (end > start) {
            tmp.n = 0;
            if (start && pl) tb_put(&tmp, b->prefix, pl);
            tb_put(&tmp, w + start, end - start);
            if (tmp.oom) {
                free(tmp.p);
                return false;
            }
            if ((found = vocab_find(&b->v, (const char *)tmp.p, tmp.n)) >= 0) break;
            do end--; while (end > start && (w[end] & 0xC0) == 0x80); /* one character back */
        }
        if (found < 0) { /* the whole word is unknown */
            out->n = mark;
            free(tmp.p);
            return b->unk >= 0 ? il_push(out, b->unk) : true;
        }
        if (!il_push(out, found)) {
            free(tmp.p);
            return false;
        }
        start = end;
    }
    free(tmp.p);
    return true;
}

bool model_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out) {
    switch (b->kind) {
    case TK_MODEL_WORDPIECE: return wordpiece_encode(b, w, n, out);
    case TK_MODEL_UNIGRAM: return unigram_encode(b, w, n, out);
    case TK_MODEL_TIKTOKEN: return tiktoken_encode(b, w, n, out);
    case TK_MODEL_SPM_BPE: return bpe_encode(b, w, n, out);
    default: return bpe_encode(b, w, n, out);
    }
}

bool tiktoken_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out) { return bpe_encode(b, w, n, out); }

/* ---- Unigram: the best segmentation by the sum of piece scores (Viterbi over characters); a
 * character no piece covers is the unknown piece at the lowest score less 10 (its bytes with byte
 * fallback), and unknowns in a row are one ---- */

bool unigram_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out) {
    if (!n) return true;
    double *best = malloc((n + 1) * sizeof *best);
    int32_t *from = malloc((n + 1) * sizeof *from), *tok = malloc((n + 1) * sizeof *tok);
    bool ok = best && from && tok;
    for (size_t i = 0; ok && i <= n; i++) best[i] = i ? -1e300 : 0.0, from[i] = -1, tok[i] = -1;
    const double unk_score = b->min_score - 10.0;
    for (size_t i = 0; ok && i < n; i++) {
        if (i && ((w[i] & 0xC0) == 0x80 || from[i] < 0)) continue; /* not a character start, or unreachable */
        size_t L1;
        ptu_decode(w + i, n - i, &L1);
        bool covered = false;
        for (size_t e = i + L1, chars = 1; e <= n && chars <= b->max_chars; chars++) {
            int32_t id = vocab_find(&b->v, (const char *)w + i, e - i);
            if (id >= 0 && b->score) {
                double sc = best[i] + b->score[id];
                if (e == i + L1) covered = true;
                if (sc > best[e]) best[e] = sc, from[e] = (int32_t)i, tok[e] = id;
            }
            if (e == n) break;
            size_t L;
            ptu_decode(w + e, n - e, &L);
            e += L;
        }
        if (!covered && best[i] + unk_score > best[i + L1]) /* the unknown character */
            best[i + L1] = best[i] + unk_score, from[i + L1] = (int32_t)i, tok[i + L1] = -2;
    }
    /* back from the end */
    size_t cnt = 0;
    for (int64_t e = (int64_t)n; ok && e > 0; e = from[e]) {
        if (from[e] < 0) { ok = false; break; }
        cnt++;
    }
    int64_t *ends = ok ? malloc(cnt * sizeof *ends) : NULL;
    ok = ok && (ends || !cnt);
    size_t k = cnt;
    for (int64_t e = (int64_t)n; ok && e > 0; e = from[e]) ends[--k] = e;
    bool last_unk = false;
    for (size_t j = 0; ok && j < cnt; j++) {
        int64_t e = ends[j], a = from[e];
        int32_t id = tok[e];
        if (id >= 0) {
            ok = il_push(out, id), last_unk = false;
            continue;
        }
        bool bytes = b->byte_fallback;
        for (int64_t q = a; q < e && bytes; q++) bytes = b->byte_id[w[q]] >= 0;
        if (bytes) {
            for (int64_t q = a; q < e && ok; q++) ok = il_push(out, b->byte_id[w[q]]);
            last_unk = false;
        } else if (!last_unk && b->unk >= 0) {
            ok = il_push(out, b->unk), last_unk = true;
        }
    }
    free(best), free(from), free(tok), free(ends);
    return ok;
}
