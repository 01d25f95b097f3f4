/* petite_text.h — tokenizers: text to the token ids a model was trained on, and back.
 *
 * A worked example first (build: cc app.c -lpetite_text; `pkg-config --libs petite_text`):
 *
 *     #include <stdio.h>
 *     #include "petite/petite_text.h"
 *
 *     int main(void) {
 *         ptk_tokenizer *tok;
 *         // a tokenizer.json, a directory holding one (and its tokenizer_config.json), a tiktoken
 *         // rank file named ENCODING.tiktoken, or a SentencePiece .model
 *         if (ptk_load_file("models/llama3", &tok) != PETITE_OK) {
 *             fprintf(stderr, "%s\n", ptk_last_error());     // names the file and the field at fault
 *             return 1;
 *         }
 *         int32_t *ids;
 *         size_t n;
 *         if (ptk_encode(tok, "Hello world", 11, PTK_ADD_SPECIAL, &ids, &n) == PETITE_OK) {
 *             for (size_t i = 0; i < n; i++) printf("%d ", ids[i]);   // 9906 1917 (after the BOS, if the file adds one)
 *             char *text;
 *             size_t len;
 *             ptk_decode(tok, ids, n, PTK_SKIP_SPECIAL, &text, &len);  // "Hello world"
 *             ptk_free_buffer(text);
 *             ptk_free_buffer(ids);
 *         }
 *         // generation: feed ids as the model makes them; print only whole characters
 *         ptk_stream *s;
 *         ptk_stream_new(tok, PTK_SKIP_SPECIAL, &s);
 *         const char *piece;
 *         size_t plen;
 *         int32_t next = 9906;                          // from the model
 *         if (ptk_stream_push(s, next, &piece, &plen) == PETITE_OK) fwrite(piece, 1, plen, stdout);
 *         if (ptk_stream_finish(s, &piece, &plen) == PETITE_OK) fwrite(piece, 1, plen, stdout);
 *         ptk_stream_free(s);
 *         ptk_free(tok);
 *         return 0;
 *     }
 *
 * What it reads: Hugging Face tokenizer.json files (BPE with the byte-level pre-tokenizer and
 * decoder: GPT-2, Llama 3, Qwen, GPT-4o; BPE with byte fallback and the "▁" metaspace: Llama 2,
 * Mistral, Gemma; WordPiece: BERT; Unigram: T5-style), with their normalizers, pre-tokenizers (the
 * split regexes they name), added and special tokens, post-processors and decoders, as the file
 * says; a tokenizer_config.json beside it adds BOS / EOS / PAD and clean_up_tokenization_spaces.
 * tiktoken rank files (cl100k_base, o200k_base, r50k_base / gpt2). SentencePiece .model files (BPE
 * and Unigram, with their normalization). docs/TEXT.md lists every component and how each is checked
 * against the reference implementations.
 *
 * A library beside the runtime (libpetite_text), not inside it: it needs no loaded model and no
 * other library. Shaped for FFI like petite.h: opaque handles, a petite_status from every call, the
 * message of the last failure on this thread from ptk_last_error() (it names the field at fault for
 * a damaged or unsupported file). A refused call writes nothing. A loaded tokenizer is read-only:
 * one may be used from several threads at once (a stream belongs to one thread at a time). Text in
 * and out is UTF-8; invalid UTF-8 in is read as U+FFFD, one per maximal invalid subpart (as the
 * references' string decoders do); text out is always valid UTF-8. */
#ifndef PETITE_TEXT_H
#define PETITE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "petite/petite.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(PETITE_SHARED)
#  ifdef PETITE_TEXT_BUILDING
#    define PTK_API __declspec(dllexport)
#  else
#    define PTK_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define PTK_API __attribute__((visibility("default")))
#else
#  define PTK_API
#endif

typedef struct ptk_tokenizer ptk_tokenizer;
typedef struct ptk_stream ptk_stream;

/* The message of this thread's last failed call ("" if none). */
PTK_API const char *ptk_last_error(void);

/* path: a tokenizer.json, or a directory holding one (and maybe tokenizer_config.json); a
 * SentencePiece .model; ENCODING.tiktoken (below); or Meta's Llama 3 tokenizer.model, a rank file
 * (told from a SentencePiece model by its bytes), as encoding "llama3". */
PTK_API petite_status ptk_load_file(const char *path, ptk_tokenizer **out);
/* tokenizer.json bytes, and optionally tokenizer_config.json bytes (config NULL / 0: none). */
PTK_API petite_status ptk_load_bytes(const void *json, size_t size, const void *config, size_t config_size,
                                     ptk_tokenizer **out);
/* A tiktoken rank file (one "BASE64 RANK" line per token) with its encoding's split pattern and
 * special tokens: encoding "cl100k_base", "o200k_base", "r50k_base" or "gpt2". ptk_load_file takes
 * such a file too when its name is ENCODING.tiktoken. Special tokens in the text are recognized only
 * with PTK_ADD_SPECIAL (tiktoken's allowed_special="all"); without it they are plain text.
 * Encoding "llama3": Meta's Llama 3 pattern and the 256 special tokens ExecuTorch's runner gives it
 * (ids after the ranks: <|begin_of_text|> = BOS, <|end_of_text|> = EOS, ..., <|eot_id|>), always
 * recognized in the text; PTK_ADD_SPECIAL puts BOS first. */
PTK_API petite_status ptk_load_tiktoken(const char *path, const char *encoding, ptk_tokenizer **out);
PTK_API void ptk_free(ptk_tokenizer *t);

enum { PTK_ADD_SPECIAL = 1 };      /* encode: the post-processor's special tokens (BOS, ...) */
enum { PTK_SKIP_SPECIAL = 1,       /* decode: leave special tokens out */
       PTK_RAW = 2 };              /* decode: without the config's clean_up_tokenization_spaces (a stream
                                      always decodes so: it cannot take back text it emitted) */

/* text[0..len) -> *ids (malloc'ed, free with ptk_free_buffer; NULL when *count is 0). */
PTK_API petite_status ptk_encode(const ptk_tokenizer *t, const char *text, size_t len, uint32_t flags, int32_t **ids,
                                 size_t *count);
/* ids -> *text (malloc'ed, NUL-terminated, free with ptk_free_buffer), *len bytes. An id outside the
 * vocabulary is an error naming it. */
PTK_API petite_status ptk_decode(const ptk_tokenizer *t, const int32_t *ids, size_t count, uint32_t flags, char **text,
                                 size_t *len);
PTK_API void ptk_free_buffer(void *p);

/* Streaming decode for generation: push one id at a time; *piece gets the text that became complete
 * (never a partial UTF-8 character: a token may end mid-character), valid until the next call on
 * the stream. The pieces joined are ptk_decode's text with PTK_RAW. */
PTK_API petite_status ptk_stream_new(const ptk_tokenizer *t, uint32_t flags, ptk_stream **out);
PTK_API petite_status ptk_stream_push(ptk_stream *s, int32_t id, const char **piece, size_t *len);
/* What is left at the end (bytes that never completed a character come out as U+FFFD). */
PTK_API petite_status ptk_stream_finish(ptk_stream *s, const char **piece, size_t *len);
PTK_API void ptk_stream_free(ptk_stream *s);

PTK_API int32_t ptk_vocab_size(const ptk_tokenizer *t);    /* ids are 0 .. size-1 (added tokens included) */
/* The token's string as the vocabulary holds it (byte-level tokens in their mapped form, "▁" kept);
 * NULL for an unknown id. */
PTK_API const char *ptk_token_to_piece(const ptk_tokenizer *t, int32_t id, size_t *len);
PTK_API int32_t ptk_piece_to_id(const ptk_tokenizer *t, const char *piece, size_t len); /* -1: none */
PTK_API int32_t ptk_bos_id(const ptk_tokenizer *t); /* -1: none */
PTK_API int32_t ptk_eos_id(const ptk_tokenizer *t);
PTK_API int32_t ptk_pad_id(const ptk_tokenizer *t);
PTK_API int ptk_is_special(const ptk_tokenizer *t, int32_t id);

#ifdef __cplusplus
}
#endif

#endif
