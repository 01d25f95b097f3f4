/* tk.h — the tokenizer's pieces shared by tokenizer.c (loading, the pipeline, the API) and
 * model.c (the vocabulary, BPE). */
#ifndef PETITE_TEXT_TK_H
#define PETITE_TEXT_TK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "petite/petite_text.h"
#include "text/text.h"

/* a growable byte buffer */
typedef struct {
    uint8_t *p;
    size_t n, cap;
    bool oom;
} tbuf;
bool tb_put(tbuf *b, const void *s, size_t n);
bool tb_putc(tbuf *b, uint8_t c);
bool tb_cp(tbuf *b, uint32_t cp);

/* a growable list of int32 */
typedef struct {
    int32_t *p;
    size_t n, cap;
    bool oom;
} ilist;
bool il_push(ilist *l, int32_t v);

/* the vocabulary: id -> piece, piece -> id (open addressing; each slot keeps its piece's hash) */
typedef struct {
    char *p;          /* NULL: a hole; the bytes live in blocks, NUL-terminated */
    uint32_t len;
} vpiece;
typedef struct {
    uint32_t id1;     /* id + 1, 0: empty */
    uint32_t hash;
} vslot;
typedef struct {
    vpiece *ent;      /* by id */
    uint32_t size;    /* ids 0 .. size-1 */
    uint32_t ids_cap;
    vslot *slot;
    uint32_t cap;     /* power of two, at least twice the pieces mapped */
    uint32_t count;   /* pieces mapped */
    uint32_t puts;    /* pieces stored */
    char *block;      /* the current block of piece bytes (a chain, the link first) */
    size_t block_cap, block_used;
} vocab;
bool vocab_init(vocab *v, uint32_t size);
bool vocab_reserve(vocab *v, uint32_t size); /* ids 0 .. size-1 exist (new ones are holes); no spare room */
/* false: out of memory. A piece given twice keeps its first id in the map (both ids decode). */
bool vocab_set(vocab *v, uint32_t id, const char *s, size_t n);
/* many pieces: vocab_put each (the map left as it is), then vocab_index once (the map made anew,
 * sized to the pieces; a piece given twice: its lowest id is found) */
bool vocab_put(vocab *v, uint32_t id, const char *s, size_t n);
bool vocab_index(vocab *v);
int32_t vocab_find(const vocab *v, const char *s, size_t n);
/* vocab_find of count strings, faster than one by one (their cache misses overlap) */
enum { VOCAB_MANY = 64 };
void vocab_find_many(const vocab *v, const char *const *s, const size_t *n, int32_t *out, size_t count);
void vocab_unmap(vocab *v, uint32_t id); /* the piece no longer found by vocab_find (it still decodes) */
void vocab_free(vocab *v);

/* BPE merges: (left id, right id) -> rank, and rank -> merged id. A slot is one word: the pair's
 * ids (idb bits each, enough for the vocabulary) and rank + 1 in the rb bits left; 0: empty, so a
 * zeroed table is empty (Gemma 3's half a million merges: 8 MB of slots, 2 MB of merged ids) */
typedef struct {
    uint64_t *slot;
    uint32_t *out;    /* by rank */
    uint32_t cap, count, out_cap;
    uint8_t idb, rb;
} merges;
/* ids: every id is below it; count: the merges expected (the table grows past it) */
bool merges_init(merges *m, uint32_t ids, uint32_t count);
bool merges_reserve(merges *m, uint64_t count); /* room for count merges (the table never shrinks) */
uint32_t merges_max_rank(const merges *m); /* the largest rank a slot holds */
/* false: out of memory, or an id or rank that does not fit (check merges_max_rank first) */
bool merges_add(merges *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t out);
void merges_prefetch(const merges *m, uint32_t a, uint32_t b); /* before a merges_add of (a, b) */
bool merges_find(const merges *m, uint32_t a, uint32_t b, uint32_t *rank);
void merges_free(merges *m);

enum { TK_MODEL_BPE, TK_MODEL_WORDPIECE, TK_MODEL_UNIGRAM, TK_MODEL_TIKTOKEN, TK_MODEL_SPM_BPE };

typedef struct {
    int kind;                    /* TK_MODEL_* */
    vocab v;
    merges m;                    /* BPE */
    uint32_t max_chars;          /* WordPiece: max_input_chars_per_word */
    double *score;               /* Unigram, SentencePiece: by id */
    uint32_t *rank;              /* SentencePiece BPE: merge order of each piece (by score) */
    double min_score;
    int32_t unk;                 /* -1: none */
    bool byte_fallback, fuse_unk, ignore_merges;
    char *prefix, *suffix;       /* continuing_subword_prefix, end_of_word_suffix (NULL: none) */
    int32_t byte_id[256];        /* "<0xXX>" tokens (-1: absent) */
} bpe_model;

/* Append the ids of one pre-tokenized word w[0..n). false: out of memory. */
bool bpe_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out);
bool wordpiece_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out);
bool unigram_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out);
bool tiktoken_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out);
/* the model's kind */
bool model_encode(const bpe_model *b, const uint8_t *w, size_t n, ilist *out);

void tk_set_error(const char *fmt, ...);

/* a list of byte strings in one buffer */
typedef struct {
    tbuf b;
    size_t *off, *len;
    size_t count, cap;
    bool oom;
} plist;
bool pl_add(plist *l, const void *s, size_t n);
void pl_clear(plist *l);
void pl_free(plist *l);

/* the Split behaviours */
enum { TK_REMOVED, TK_ISOLATED, TK_MERGED_PREV, TK_MERGED_NEXT, TK_CONTIGUOUS };
enum { TK_PREPEND_ALWAYS, TK_PREPEND_FIRST, TK_PREPEND_NEVER };

enum { TK_N_NFC, TK_N_NFD, TK_N_NFKC, TK_N_NFKD, TK_N_LOWER, TK_N_STRIP, TK_N_STRIP_ACCENTS, TK_N_REPLACE,
       TK_N_PREPEND, TK_N_BERT, TK_N_PRECOMPILED, TK_N_SPM };

/* SentencePiece's precompiled character map: a double-array trie and the replacement strings */
typedef struct {
    uint32_t *unit, units;
    char *norm;
    size_t norm_len;
} charsmap;
bool charsmap_init(charsmap *m, const uint8_t *blob, size_t n);
void charsmap_free(charsmap *m);
bool charsmap_apply(const charsmap *m, const uint8_t *s, size_t n, tbuf *o);            /* SentencePiece's way */
bool charsmap_apply_graphemes(const charsmap *m, const uint8_t *s, size_t n, tbuf *o); /* tokenizer.json's way */

typedef struct {
    int type;
    char *a, *b;             /* Replace: pattern (literal) and content; Prepend: b */
    size_t a_len, b_len;
    ptx_regex *re;           /* Replace with a regex */
    bool left, right;        /* Strip */
    bool clean_text, chinese, strip_accents, lowercase; /* BertNormalizer (SentencePiece: left
                                                           remove_extra_whitespaces, chinese
                                                           add_dummy_prefix, right escape_whitespaces) */
    charsmap map;            /* Precompiled, SentencePiece */
} norm_step;
bool spm_normalize(const norm_step *st, const uint8_t *s, size_t n, tbuf *o);

enum { TK_PRE_BYTELEVEL, TK_PRE_SPLIT, TK_PRE_METASPACE, TK_PRE_WHITESPACE, TK_PRE_WHITESPACE_SPLIT, TK_PRE_BERT,
       TK_PRE_DIGITS, TK_PRE_PUNCT };
typedef struct {
    int type;
    ptx_regex *re;           /* Split / Whitespace: the pattern; NULL: lit */
    char *lit;
    size_t lit_len;
    int behavior;
    bool invert;
    bool add_prefix_space, use_regex; /* ByteLevel */
    uint32_t replacement;    /* Metaspace */
    int prepend;
    bool split;
    bool individual;         /* Digits */
} pre_step;

enum { TK_D_BYTELEVEL, TK_D_METASPACE, TK_D_REPLACE, TK_D_BYTEFALLBACK, TK_D_FUSE, TK_D_STRIP, TK_D_WORDPIECE,
       TK_D_BPE, TK_D_BYTES /* tiktoken: the tokens' bytes joined */,
       TK_D_SPM /* SentencePiece: byte pieces, U+2581 as spaces, the dummy prefix's space dropped */ };
typedef struct {
    int type;
    char *a, *b;             /* Replace: pattern, content; WordPiece: prefix; BPEDecoder: suffix */
    size_t a_len, b_len;
    uint32_t ch;             /* Strip: the character; Metaspace: the replacement */
    uint32_t start, stop;    /* Strip */
    int prepend;             /* Metaspace */
    bool cleanup;            /* WordPiece */
} dec_step;

typedef struct {
    int32_t id;
    char *content;
    size_t len;
    bool single_word, lstrip, rstrip, normalized, special;
} added_token;

#define TK_MAX_STEPS 16

typedef struct tokenizer {
    bpe_model bpe;
    norm_step norm[TK_MAX_STEPS];
    size_t nnorm;
    pre_step pre[TK_MAX_STEPS];
    size_t npre;
    dec_step dec[TK_MAX_STEPS];
    size_t ndec;
    added_token *added;      /* by first byte, then longest first (tk_index_added) */
    size_t nadded;
    uint32_t added_at[257];  /* the tokens starting with byte b: added[added_at[b] .. added_at[b + 1]) */
    uint32_t *added_by_id;   /* indices into added, by id */
    int32_t *tmpl;           /* the single template: special ids, and -1 where the text goes */
    size_t ntmpl;
    int32_t vocab_size;
    int32_t bos, eos, pad;
    bool cleanup_spaces;     /* the config's clean_up_tokenization_spaces */
    bool dec_cleanup;        /* the WordPiece decoder's own cleanup */
    bool specials_on_request; /* tiktoken: special tokens in the text only with PTK_ADD_SPECIAL */
    bool spm, spm_dummy;     /* a SentencePiece .model (and its add_dummy_prefix) */
    uint8_t *ptype;          /* SentencePiece piece types by id */
    uint32_t byte_char[256]; /* the byte-level alphabet: byte -> code point */
    int16_t char_byte[324];  /* ... and back (code points 0..323; -1: none) */
    pre_step gpt2_split;     /* ByteLevel's own regex */
} tokenizer;

bool tk_normalize(const tokenizer *t, const uint8_t *s, size_t n, tbuf *out);
bool tk_index_added(tokenizer *t); /* after added is filled: sort and index it; false: out of memory */
petite_status tk_load(tokenizer *t, const char *json, size_t n, const char *config, size_t cn);
petite_status tk_load_tiktoken(tokenizer *t, const char *ranks, size_t n, const char *name);
petite_status tk_load_spm(tokenizer *t, const uint8_t *data, size_t n);
void tk_free(tokenizer *t);

#endif
