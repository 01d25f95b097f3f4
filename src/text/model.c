/* model.c — buffers, the vocabulary map, and the BPE model: a word's symbols merged lowest rank
 * first (the leftmost of equal ranks), through a binary heap over a linked list of symbols, so a
 * word of n characters costs O(n log n) (a file without a pre-tokenizer makes the whole text one
 * word). */
#if !defined(_WIN32) && !defined(__EMSCRIPTEN__)
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, MAP_POPULATE */
#define PTK_TABLE_MMAP 1
#endif
#include <stdlib.h>
#include <string.h>
#if PTK_TABLE_MMAP
#include <sys/mman.h>
#endif

#include "text/tk.h"

/* The big hash tables (a 262k-piece vocabulary, half a million merges) are filled at random, so
 * every page of them is touched at once: where the system can, they are mapped with their pages
 * in place (one call, instead of one fault per page while filling; on the virtual machines CI
 * runs on a fault costs several microseconds). Zero-filled either way. */
#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)(p))
#endif

enum { TABLE_MAP_MIN = 1 << 20 };
static void *table_alloc(size_t bytes) {
#if PTK_TABLE_MMAP && defined(MAP_ANONYMOUS)
    if (bytes >= TABLE_MAP_MIN) {
        int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#ifdef MAP_POPULATE
        flags |= MAP_POPULATE;
#endif
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
#endif
    return calloc(1, bytes ? bytes : 1);
}

static void table_free(void *p, size_t bytes) {
    if (!p) return;
#if PTK_TABLE_MMAP && defined(MAP_ANONYMOUS)
    if (bytes >= TABLE_MAP_MIN) {
        munmap(p, bytes);
        return;
    }
#endif
    (void)bytes;
    free(p);
}


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

/* ids grow by doubling (realloc: a large block is moved by remapping, not copying); fresh ids are
 * holes */
static bool reserve(vocab *v, uint32_t size, bool exact) {
    if (size <= v->ids_cap) {
        if (size > v->size) v->size = size;
        return true;
    }
    uint32_t c = v->ids_cap ? v->ids_cap : 64;
    while (c < size) c = c > UINT32_MAX / 2 ? size : c * 2;
    if (exact) c = size;
    if ((uint64_t)c * sizeof(vpiece) > SIZE_MAX / 2) return false;
    vpiece *e;
    if ((uint64_t)c <= 4 * (uint64_t)v->puts + 4096) { /* ids about as many as pieces: grow in place */
        if (!(e = realloc(v->ent, (size_t)c * sizeof *e))) return false;
        memset(e + v->ids_cap, 0, (size_t)(c - v->ids_cap) * sizeof *e);
    } else { /* a far id (a sparse or hostile file): the holes stay untouched zero pages */
        if (!(e = calloc(c, sizeof *e))) return false;
        if (v->ids_cap) memcpy(e, v->ent, (size_t)v->ids_cap * sizeof *e);
        free(v->ent);
    }
    v->ent = e, v->ids_cap = c, v->size = size;
    return true;
}

bool vocab_reserve(vocab *v, uint32_t size) { return reserve(v, size, true); }

static bool slots_grow(vocab *v, uint32_t cap) {
    vslot *n = table_alloc((size_t)cap * sizeof *n);
    if (!n) return false;
    for (uint32_t i = 0; i < v->cap; i++) {
        if (!v->slot[i].id1) continue;
        uint32_t k = v->slot[i].hash & (cap - 1);
        while (n[k].id1) k = (k + 1) & (cap - 1);
        n[k] = v->slot[i];
    }
    table_free(v->slot, (size_t)v->cap * sizeof *v->slot);
    v->slot = n, v->cap = cap;
    return true;
}

bool vocab_init(vocab *v, uint32_t size) {
    memset(v, 0, sizeof *v);
    uint32_t cap = 16;
    while (cap < (uint64_t)size * 2 + 16 && cap < (1u << 31)) cap *= 2;
    return vocab_reserve(v, size) && slots_grow(v, cap);
}

/* equal bytes (pieces are short: eight at a time, no call) */
static bool same(const char *a, const char *b, size_t n) {
    if (n > 32) return !memcmp(a, b, n);
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8), memcpy(&y, b, 8);
        if (x != y) return false;
    }
    for (; n; n--)
        if (*a++ != *b++) return false;
    return true;
}

static int32_t find_h(const vocab *v, const char *s, size_t n, uint32_t h) {
    for (uint32_t i = h & (v->cap - 1);; i = (i + 1) & (v->cap - 1)) {
        uint32_t id = v->slot[i].id1;
        if (!id) return -1;
        id--;
        if (v->slot[i].hash == h && v->ent[id].len == n && same(v->ent[id].p, s, n)) return (int32_t)id;
    }
}

int32_t vocab_find(const vocab *v, const char *s, size_t n) {
    if (!v->cap) return -1;
    return find_h(v, s, n, phash(s, n));
}


/* Many lookups at once, their memory fetched in stages (the slot, then the piece's entry, then
 * its bytes) so the cache misses of one overlap those of the others: a vocabulary of 262k pieces
 * is several megabytes, and loading half a million merges is three lookups each. */
void vocab_find_many(const vocab *v, const char *const *s, const size_t *n, int32_t *out, size_t count) {
    uint32_t h[VOCAB_MANY];
    if (!v->cap) {
        for (size_t k = 0; k < count; k++) out[k] = -1;
        return;
    }
    for (size_t base = 0; base < count; base += VOCAB_MANY) {
        size_t m = count - base < VOCAB_MANY ? count - base : VOCAB_MANY;
        for (size_t k = 0; k < m; k++) {
            h[k] = phash(s[base + k], n[base + k]);
            PREFETCH(&v->slot[h[k] & (v->cap - 1)]);
        }
        for (size_t k = 0; k < m; k++) {
            uint32_t id1 = v->slot[h[k] & (v->cap - 1)].id1;
            if (id1) PREFETCH(&v->ent[id1 - 1]);
        }
        for (size_t k = 0; k < m; k++) {
            const vslot *e = &v->slot[h[k] & (v->cap - 1)];
            if (e->id1 && e->hash == h[k]) PREFETCH(v->ent[e->id1 - 1].p);
        }
        for (size_t k = 0; k < m; k++) out[base + k] = find_h(v, s[base + k], n[base + k], h[k]);
    }
}

/* the pieces' bytes, each followed by a NUL: blocks that double (256 KB up to 4 MB, the large ones
 * mapped with their pages in place), never moved; each block starts with the link to the one
 * before and its size */
typedef struct block_head {
    char *prev;
    size_t size;
} block_head;

static char *arena_copy(vocab *v, const char *s, size_t n) {
    if (!v->block || v->block_cap - v->block_used < n + 1) {
        size_t size = v->block ? ((block_head *)v->block)->size * 2 : (size_t)256 << 10;
        if (size > (4u << 20)) size = 4u << 20;
        if (n + 1 > size - sizeof(block_head)) size = n + 1 + sizeof(block_head);
        char *blk = table_alloc(size);
        if (!blk) return NULL;
        ((block_head *)blk)->prev = v->block, ((block_head *)blk)->size = size;
        v->block = blk, v->block_cap = size - sizeof(block_head), v->block_used = 0;
    }
    char *c = v->block + sizeof(block_head) + v->block_used;
    memcpy(c, s, n);
    c[n] = 0;
    v->block_used += n + 1;
    return c;
}

bool vocab_put(vocab *v, uint32_t id, const char *s, size_t n) {
    if (id == UINT32_MAX || n > UINT32_MAX || !reserve(v, id + 1, false)) return false;
    char *c = arena_copy(v, s, n);
    if (!c) return false;
    v->ent[id].p = c, v->ent[id].len = (uint32_t)n;
    v->puts++;
    return true;
}

/* map id's piece (hash h) unless the piece is mapped already */
static void map_h(vocab *v, uint32_t id, uint32_t h) {
    const char *s = v->ent[id].p;
    size_t n = v->ent[id].len;
    if (find_h(v, s, n, h) >= 0) return;
    uint32_t i = h & (v->cap - 1);
    while (v->slot[i].id1) i = (i + 1) & (v->cap - 1);
    v->slot[i].id1 = id + 1, v->slot[i].hash = h;
    v->count++;
}

bool vocab_set(vocab *v, uint32_t id, const char *s, size_t n) {
    if ((uint64_t)(v->count + 1) * 2 > v->cap && !slots_grow(v, v->cap ? v->cap * 2 : 64)) return false;
    if (!vocab_put(v, id, s, n)) return false;
    map_h(v, id, phash(s, n));
    return true;
}

bool vocab_index(vocab *v) {
    uint32_t pieces = 0, cap = 64;
    for (uint32_t id = 0; id < v->size; id++) pieces += v->ent[id].p != NULL;
    while (cap < (uint64_t)pieces * 2 && cap < (1u << 31)) cap *= 2;
    table_free(v->slot, (size_t)v->cap * sizeof *v->slot);
    v->slot = NULL, v->cap = 0, v->count = 0;
    if (!slots_grow(v, cap)) return false;
    enum { AHEAD = 16 };
    uint32_t h[AHEAD];
    for (uint32_t id = 0; id < v->size + AHEAD; id++) {
        uint32_t ahead = id, at = id % AHEAD;
        if (id >= AHEAD && v->ent[id - AHEAD].p) map_h(v, id - AHEAD, h[at]);
        if (ahead < v->size && v->ent[ahead].p) {
            h[at] = phash(v->ent[ahead].p, v->ent[ahead].len);
            PREFETCH(&v->slot[h[at] & (v->cap - 1)]);
        }
    }
    return true;
}

void vocab_unmap(vocab *v, uint32_t id) {
    if (id >= v->size || !v->ent[id].p || !v->cap) return;
    uint32_t i = phash(v->ent[id].p, v->ent[id].len) & (v->cap - 1);
    while (v->slot[i].id1 && v->slot[i].id1 != id + 1) i = (i + 1) & (v->cap - 1);
    if (!v->slot[i].id1) return;
    v->slot[i].id1 = 0; /* re-insert the run after the hole (linear probing) */
    v->count--;
    for (uint32_t j = (i + 1) & (v->cap - 1); v->slot[j].id1; j = (j + 1) & (v->cap - 1)) {
        vslot e = v->slot[j];
        v->slot[j].id1 = 0;
        uint32_t k = e.hash & (v->cap - 1);
        while (v->slot[k].id1) k = (k + 1) & (v->cap - 1);
        v->slot[k] = e;
    }
}

void vocab_free(vocab *v) {
    for (char *b = v->block, *nx; b; b = nx) nx = ((block_head *)b)->prev, table_free(b, ((block_head *)b)->size);
    free(v->ent);
    table_free(v->slot, (size_t)v->cap * sizeof *v->slot);
    memset(v, 0, sizeof *v);
}

static uint32_t mix64(uint64_t k) {
    k ^= k >> 33, k *= 0xff51afd7ed558ccdull, k ^= k >> 33;
    return (uint32_t)k;
}

static bool merges_grow(merges *m, uint32_t cap) {
    uint64_t *n = table_alloc((size_t)cap * sizeof *n);
    if (!n) return false;
    for (uint32_t i = 0; i < m->cap; i++) {
        if (!m->slot[i]) continue;
        uint32_t k = mix64(m->slot[i] >> m->rb) & (cap - 1);
        while (n[k]) k = (k + 1) & (cap - 1);
        n[k] = m->slot[i];
    }
    table_free(m->slot, (size_t)m->cap * sizeof *m->slot);
    m->slot = n, m->cap = cap;
    return true;
}

bool merges_reserve(merges *m, uint64_t count) {
    uint32_t cap = 1024;
    while (cap < count * 2 && cap < (1u << 31)) cap *= 2;
    return cap <= m->cap || merges_grow(m, cap);
}

bool merges_init(merges *m, uint32_t ids, uint32_t count) {
    memset(m, 0, sizeof *m);
    m->idb = 1;
    while (m->idb < 31 && ((uint64_t)1 << m->idb) < ids) m->idb++;
    m->rb = (uint8_t)(64 - 2 * m->idb);
    return merges_reserve(m, count);
}

uint32_t merges_max_rank(const merges *m) {
    uint64_t lim = ((uint64_t)1 << (m->rb < 33 ? m->rb : 33)) - 2;
    return lim > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)lim;
}

bool merges_add(merges *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t out) {
    if (rank > merges_max_rank(m) || a >> m->idb || b >> m->idb) return false;
    if ((uint64_t)(m->count + 1) * 2 > m->cap && !merges_grow(m, m->cap * 2)) return false;
    if (rank >= m->out_cap) {
        uint32_t c = m->out_cap ? m->out_cap : 1024;
        while (c <= rank) c = c > UINT32_MAX / 2 ? rank + 1 : c * 2;
        uint32_t *o = realloc(m->out, (size_t)c * sizeof *o);
        if (!o) return false;
        m->out = o, m->out_cap = c;
    }
    uint64_t k = (uint64_t)a << m->idb | b;
    uint32_t i = mix64(k) & (m->cap - 1);
    while (m->slot[i]) {
        if (m->slot[i] >> m->rb == k) return true; /* the first (lowest-ranked) merge of a pair stays */
        i = (i + 1) & (m->cap - 1);
    }
    m->slot[i] = k << m->rb | ((uint64_t)rank + 1);
    m->out[rank] = out;
    m->count++;
    return true;
}

void merges_prefetch(const merges *m, uint32_t a, uint32_t b) {
    if (m->cap) PREFETCH(&m->slot[mix64((uint64_t)a << m->idb | b) & (m->cap - 1)]);
}

bool merges_find(const merges *m, uint32_t a, uint32_t b, uint32_t *rank) {
    if (!m->cap || a >> m->idb || b >> m->idb) return false;
    uint64_t k = (uint64_t)a << m->idb | b;
    for (uint32_t i = mix64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        uint64_t e = m->slot[i];
        if (!e) return false;
        if (e >> m->rb == k) {
            *rank = (uint32_t)(e & (((uint64_t)1 << m->rb) - 1)) - 1;
            return true;
        }
    }
}

void merges_free(merges *m) {
    table_free(m->slot, (size_t)m->cap * sizeof *m->slot);
    free(m->out);
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
    if (b->kind == TK_MODEL_BPE) { /* the merged id is read when the merge is made */
        *out = UINT32_MAX;
        return merges_find(&b->m, (uint32_t)l, (uint32_t)r, rank);
    }
    char buf[256];
    size_t ll = b->v.ent[l].len, rl = b->v.ent[r].len;
    if (ll + rl > sizeof buf) return false; /* no rank is that long */
    memcpy(buf, b->v.ent[l].p, ll), memcpy(buf + ll, b->v.ent[r].p, rl);
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
        l->id = (int32_t)(c.out == UINT32_MAX ? b->m.out[c.rank] : c.out);
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
