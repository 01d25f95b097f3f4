/* petite_llm.h — text generation: a decoder LM in ExecuTorch's LLM layout + a tokenizer.
 *
 * Beside the runtime, not in it (libpetite_llm, src/llm/; on petite.h and petite_text.h only).
 * The file is what the official llama exporter writes with a KV cache (and what
 * `petite-export --task text-generation` writes):
 *   forward(tokens int64 [1, T], input_pos int64 [1]) -> logits float32 [1, V] (or [1, T, V]: the
 *   last row is used), the cache kept by the method between calls; T dynamic (prefill in chunks of
 *   its bound) or 1 (the prompt one token per call); constant methods with the metadata:
 *   get_max_seq_len (required), get_max_context_len, get_vocab_size, get_bos_id, get_eos_ids, ...
 *
 *   petite_llm *l;
 *   if (petite_llm_load("model.pte", "tokenizer.json", NULL, &l) != PETITE_OK)
 *       fprintf(stderr, "%s\n", petite_llm_last_error());
 *   petite_llm_config c;
 *   petite_llm_config_init(&c);              // greedy, up to the context, the tokenizer's BOS
 *   c.max_new_tokens = 64;
 *   petite_llm_generate(l, "Once upon a time", &c, on_piece, user);   // on_piece(user, text, len, id)
 *   petite_llm_free(l);
 *
 * or step by step (what an iterator or a UI loop wants): petite_llm_begin (encode, prefill, the
 * first token) then petite_llm_next until *done. One generation at a time per handle;
 * petite_llm_stop may be called from any thread. The position carries over between generations
 * (a chat continues the same cache) until petite_llm_reset. */
#ifndef PETITE_LLM_H
#define PETITE_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "petite/petite.h"
#include "petite/petite_text.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(PETITE_SHARED)
#  ifdef PETITE_LLM_BUILDING
#    define PLLM_API __declspec(dllexport)
#  else
#    define PLLM_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define PLLM_API __attribute__((visibility("default")))
#else
#  define PLLM_API
#endif

typedef struct petite_llm petite_llm;

typedef struct petite_llm_options {
    uint32_t struct_size;   /* sizeof(petite_llm_options) */
    int32_t num_threads;    /* as petite_load_options.num_threads (0: the caller's thread only) */
    const char *data_file;  /* a .ptd with the weights, or NULL */
    const char *method;     /* NULL: "forward" */
} petite_llm_options;
PLLM_API void petite_llm_options_init(petite_llm_options *o);

typedef struct petite_llm_config {
    uint32_t struct_size;       /* sizeof(petite_llm_config) */
    int32_t max_new_tokens;     /* -1: until the context is full */
    int32_t seq_len;            /* -1: the context; else the position generation stops at */
    float temperature;          /* 0: greedy (argmax) */
    float top_p;                /* nucleus sampling when 0 < top_p < 1 (with temperature > 0) */
    int32_t top_k;              /* the k most likely when 0 < top_k < vocabulary (before top_p) */
    uint64_t seed;              /* the sampler's generator (xorshift64*, llama2.c's); 0 is taken as 1 */
    int32_t echo;               /* 1: the prompt's text is passed to the callback first (id -1) */
    int32_t ignore_eos;         /* 1: an end-of-sequence id does not end generation */
    int32_t add_special;        /* 1 (default): the tokenizer's special tokens around the prompt
                                   (BOS for Llama); 0: the prompt's own tokens only */
    const char *const *stop;    /* stop strings: generation ends where one appears (not emitted) */
    size_t n_stop;
    int32_t prefill_chunk;      /* tokens per prefill call; 0: the method's bound */
} petite_llm_config;
PLLM_API void petite_llm_config_init(petite_llm_config *c);

/* Why the last generation ended. */
typedef enum petite_llm_stop_reason {
    PETITE_LLM_RUNNING = 0,
    PETITE_LLM_EOS = 1,          /* the model produced an end-of-sequence id */
    PETITE_LLM_MAX_TOKENS = 2,   /* max_new_tokens (or seq_len) reached */
    PETITE_LLM_STOP_STRING = 3,
    PETITE_LLM_STOPPED = 4,      /* petite_llm_stop, or the callback returned nonzero */
    PETITE_LLM_CONTEXT_FULL = 5, /* the cache has no room for another token: petite_llm_reset */
    PETITE_LLM_ERROR = 6
} petite_llm_stop_reason;

typedef struct petite_llm_stats {
    double load_ms;              /* program, methods, metadata and tokenizer */
    double prefill_ms;           /* encode + every prefill call + the first sample */
    double first_token_ms;       /* from the start of the generation to the first token */
    double decode_ms;            /* the decode steps */
    double sampling_ms;          /* of which sampling */
    int64_t prompt_tokens, generated_tokens; /* generated: every token sampled (the first included) */
    double prefill_tokens_per_s, decode_tokens_per_s; /* decode: (generated - 1) / decode_ms */
    uint64_t kv_cache_bytes;     /* the method's state (its planned memory: cache and activations) */
    int64_t position;            /* tokens in the cache now */
    int32_t stop_reason;         /* petite_llm_stop_reason */
    double prefill_cpu_ms, decode_cpu_ms; /* CPU time of the process (every thread) in those phases */
} petite_llm_stats;

/* The piece of text a token completed (maybe empty: a token may end mid-character; special tokens
 * are left out of the text), and its id (-1 for the echoed prompt). Return nonzero to stop. */
typedef int (*petite_llm_piece_fn)(void *user, const char *text, size_t len, int32_t token);

/* The reason a call failed, on this thread (for load, before there is a handle). */
PLLM_API const char *petite_llm_last_error(void);
PLLM_API petite_status petite_llm_load(const char *model_path, const char *tokenizer_path,
                                       const petite_llm_options *options, petite_llm **out);
PLLM_API void petite_llm_free(petite_llm *l);
/* What went wrong last on this handle. */
PLLM_API const char *petite_llm_errmsg(const petite_llm *l);

/* A metadata value the file holds (get_max_seq_len, get_vocab_size, get_bos_id, use_kv_cache, ...;
 * get_eos_ids: the first). PETITE_ERR_NOT_FOUND when it has none. */
PLLM_API petite_status petite_llm_metadata(const petite_llm *l, const char *key, int64_t *value);
PLLM_API int64_t petite_llm_context_length(const petite_llm *l);

/* Encode the prompt, run it through the model (in chunks) and sample the first token. A prompt
 * that does not fit the context (position + tokens must be < the context) is refused with
 * PETITE_ERR_OUT_OF_RESOURCES and changes nothing. An empty prompt continues from the last token. */
PLLM_API petite_status petite_llm_begin(petite_llm *l, const char *prompt, const petite_llm_config *c);
/* The same with the prompt's token ids (an app's own chat template, a benchmark); echo shows nothing. */
PLLM_API petite_status petite_llm_begin_ids(petite_llm *l, const int32_t *ids, size_t n, const petite_llm_config *c);
/* The next piece of text: *text / *len (valid until the next call), *token its id; *done = 1 when
 * generation has ended (see the stats' stop_reason), then *text holds what was left (maybe ""). */
PLLM_API petite_status petite_llm_next(petite_llm *l, const char **text, size_t *len, int32_t *token,
                                       int32_t *done);
/* begin + next until done, each piece to fn (NULL: none). */
PLLM_API petite_status petite_llm_generate(petite_llm *l, const char *prompt, const petite_llm_config *c,
                                           petite_llm_piece_fn fn, void *user);
/* Ask the running generation to end (any thread; also during prefill, between chunks). */
PLLM_API void petite_llm_stop(petite_llm *l);
/* Forget the conversation: position 0 (the cache's old rows are never read again). */
PLLM_API void petite_llm_reset(petite_llm *l);
PLLM_API petite_status petite_llm_stats_get(const petite_llm *l, petite_llm_stats *s);
/* The tokenizer, for encoding or decoding around the runner (owned by the handle). */
PLLM_API const ptk_tokenizer *petite_llm_tokenizer(const petite_llm *l);

#ifdef __cplusplus
}
#endif
#endif
