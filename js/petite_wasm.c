/* petite_wasm.c — what the ES module wrapper (js/petite.mjs) asks of the compiled C: the layout of
 * petite_io_info in this build (offsets are read, never assumed). */
#include <stddef.h>
#include <stdint.h>

#include "petite/petite.h"

void petite_wasm_io_layout(int32_t *out);

void petite_wasm_io_layout(int32_t *out) {
    out[0] = (int32_t)offsetof(petite_io_info, kind);
    out[1] = (int32_t)offsetof(petite_io_info, dtype);
    out[2] = (int32_t)offsetof(petite_io_info, rank);
    out[3] = (int32_t)offsetof(petite_io_info, sizes);
    out[4] = (int32_t)offsetof(petite_io_info, nbytes);
    out[5] = (int32_t)sizeof(petite_io_info);
}

/* ---- the text-generation runner (include/petite/petite_llm.h) for js/petite.mjs's LLM class ---- */
#include "petite/petite_llm.h"

int32_t petite_wasm_llm_begin(petite_llm *l, const char *prompt, int32_t max_new_tokens, float temperature, float top_p,
                              int32_t top_k, double seed, int32_t echo, int32_t ignore_eos, int32_t add_special);
int32_t petite_wasm_llm_next(petite_llm *l, int32_t *out);
void petite_wasm_llm_stats(const petite_llm *l, double *out);

/* begin with a config from scalars (the struct's layout stays on this side); seed: an integer below 2^53 */
int32_t petite_wasm_llm_begin(petite_llm *l, const char *prompt, int32_t max_new_tokens, float temperature, float top_p,
                              int32_t top_k, double seed, int32_t echo, int32_t ignore_eos, int32_t add_special) {
    petite_llm_config c;
    petite_llm_config_init(&c);
    c.max_new_tokens = max_new_tokens, c.temperature = temperature, c.top_p = top_p, c.top_k = top_k;
    c.seed = seed >= 0 && seed < 9007199254740992.0 ? (uint64_t)seed : 1;
    c.echo = echo, c.ignore_eos = ignore_eos, c.add_special = add_special;
    return (int32_t)petite_llm_begin(l, prompt, &c);
}

/* next: out[0] = the piece's address, out[1] its length, out[2] the token id, out[3] done; returns the status */
int32_t petite_wasm_llm_next(petite_llm *l, int32_t *out) {
    const char *text = NULL;
    size_t len = 0;
    int32_t token = -1, done = 0;
    petite_status s = petite_llm_next(l, &text, &len, &token, &done);
    out[0] = (int32_t)(intptr_t)text, out[1] = (int32_t)len, out[2] = token, out[3] = done;
    return (int32_t)s;
}

/* the stats as 13 doubles: load, prefill, first token, decode, sampling ms; prompt and generated tokens;
 * prefill and decode tokens/s; planned bytes; position; stop reason; decode CPU ms */
void petite_wasm_llm_stats(const petite_llm *l, double *out) {
    petite_llm_stats s;
    petite_llm_stats_get(l, &s);
    const double v[13] = {s.load_ms, s.prefill_ms, s.first_token_ms, s.decode_ms, s.sampling_ms,
                          (double)s.prompt_tokens, (double)s.generated_tokens, s.prefill_tokens_per_s,
                          s.decode_tokens_per_s, (double)s.kv_cache_bytes, (double)s.position, (double)s.stop_reason,
                          s.decode_cpu_ms};
    for (int i = 0; i < 13; i++) out[i] = v[i];
}
