/* llm.c — the operators ExecuTorch's LLM exports call (extension/llm/custom_ops, kernels/quantized):
 * llama::update_cache.out (write new keys / values into the cache at start_pos), llama::custom_sdpa.out
 * (attention over the cache, on the compute layer's pc_sdpa_f32) and quantized_decomposed::
 * embedding_byte / embedding_4bit (.out, .dtype_out: rows of int8 / 4-bit weights times their group
 * scales). Every size, position and index is checked before anything is written. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static bool dense4(const pt_tensor *t) { return t->rank == 4 && t->contiguous; }

/* update_cache.out(Tensor value, Tensor(a!) cache, SymInt start_pos, *, Tensor(b!) out): value
 * [B, T, H, D] into cache [B, S, H, D] at rows start_pos .. start_pos + T - 1; out is a placeholder
 * the op returns untouched (as the official kernel). */
/* value [B, T, H, D] fits cache [B, S, H, D] at row pos (checked; write: copied) */
static petite_status cache_rows(petite_kernel_ctx *c, const pt_tensor *val, pt_tensor *cache, int64_t pos, bool write) {
    if (!dense4(val) || !dense4(cache) || val->dtype != cache->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "update_cache: value and cache must be contiguous 4-D tensors of one dtype");
    if (cache->storage == PT_STORE_CONSTANT) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "update_cache: the cache is a constant");
    if (val->sizes[0] != cache->sizes[0] || val->sizes[2] != cache->sizes[2] || val->sizes[3] != cache->sizes[3])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "update_cache: value [%lld, %lld, %lld, %lld] does not fit cache [%lld, %lld, %lld, %lld]",
                       (long long)val->sizes[0], (long long)val->sizes[1], (long long)val->sizes[2], (long long)val->sizes[3],
                       (long long)cache->sizes[0], (long long)cache->sizes[1], (long long)cache->sizes[2], (long long)cache->sizes[3]);
    const int64_t T = val->sizes[1], S = cache->sizes[1];
    if (pos < 0 || pos >= S || T > S - pos)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "update_cache: start_pos %lld with %lld new rows does not fit a cache of %lld rows",
                       (long long)pos, (long long)T, (long long)S);
    const size_t row = (size_t)(val->sizes[2] * val->sizes[3]) * petite_dtype_size(val->dtype);
    for (int64_t b = 0; write && b < val->sizes[0]; b++)
        memmove((uint8_t *)cache->data + ((size_t)(b * S + pos)) * row, (const uint8_t *)val->data + (size_t)(b * T) * row,
                (size_t)T * row);
    return PETITE_OK;
}

petite_status pk_llama_update_cache_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *val, *cache, *out;
    int64_t pos;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "value", &val)) ||
        (s = pk_tensor(c, args, 1, "cache", &cache)) || (s = pk_int_arg(c, args, 2, "start_pos", &pos)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    return cache_rows(c, val, cache, pos, true);
}

/* custom_sdpa.out(Tensor query, Tensor key, Tensor value, SymInt start_pos, Tensor? attn_mask=None,
 * float drpout_p=0.0, bool is_causal=False, float? scale=None, *, Tensor(a!) out): q [B, Tq, Hq, D],
 * k / v [B, S, Hkv, D]; without a mask only the first start_pos + Tq keys are read; a mask is
 * [Tq, S] fp32, added to the scores (not together with is_causal); dropout is ignored (as the
 * official kernel); scale defaults to 1 / sqrt(D). */
static petite_status sdpa_args(petite_kernel_ctx *c, petite_value **args, size_t nargs, pc_sdpa *d, pt_tensor **q,
                               pt_tensor **k, pt_tensor **v, pt_tensor **out) {
    pt_tensor *mask = NULL;
    int64_t pos;
    bool causal;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 10)) || (s = pk_tensor(c, args, 0, "query", q)) || (s = pk_tensor(c, args, 1, "key", k)) ||
        (s = pk_tensor(c, args, 2, "value", v)) || (s = pk_int_arg(c, args, 3, "start_pos", &pos)) ||
        (args[4]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 4, "attn_mask", &mask))) ||
        (s = pk_bool_arg(c, args, 6, "is_causal", &causal)) || (s = pk_out(c, args, 8, out)))
        return s;
    double scale = 0;
    if (args[7]->kind == PETITE_KIND_DOUBLE) scale = args[7]->u.d;
    else if (args[7]->kind != PETITE_KIND_NONE) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "custom_sdpa: scale must be a float or None");
    const pt_tensor *Q = *q, *K = *k, *V = *v;
    if (!dense4(Q) || !dense4(K) || !dense4(V) || Q->dtype != PETITE_FLOAT32 || K->dtype != PETITE_FLOAT32 ||
        V->dtype != PETITE_FLOAT32 || (*out)->dtype != PETITE_FLOAT32)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "custom_sdpa: query, key, value and out must be contiguous 4-D fp32");
    if (!pk_same_shape(K, V) || K->sizes[0] != Q->sizes[0] || K->sizes[3] != Q->sizes[3] || K->sizes[2] <= 0 ||
        Q->sizes[2] % K->sizes[2])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "custom_sdpa: query [%lld, %lld, %lld, %lld] and key / value [%lld, %lld, %lld, %lld] do not match",
                       (long long)Q->sizes[0], (long long)Q->sizes[1], (long long)Q->sizes[2], (long long)Q->sizes[3],
                       (long long)K->sizes[0], (long long)K->sizes[1], (long long)K->sizes[2], (long long)K->sizes[3]);
    const int64_t Tq = Q->sizes[1], S = K->sizes[1];
    if (mask && causal) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "custom_sdpa: attn_mask and is_causal together");
    if (mask && (mask->rank != 2 || !mask->contiguous || mask->dtype != PETITE_FLOAT32 || mask->sizes[0] != Tq || mask->sizes[1] != S))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "custom_sdpa: attn_mask must be fp32 [%lld, %lld]", (long long)Tq, (long long)S);
    if (pos < 0 || (!mask && Tq > S - pos))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "custom_sdpa: start_pos %lld with %lld query rows does not fit %lld cache rows",
                       (long long)pos, (long long)Tq, (long long)S);
    pc_sdpa sd = {Q->sizes[0], Tq, Q->sizes[2], K->sizes[2], Q->sizes[3], S, mask ? S : pos + Tq, pos, causal,
                  mask ? mask->data : NULL, S,
                  args[7]->kind == PETITE_KIND_DOUBLE ? (float)scale : 1.0f / sqrtf((float)Q->sizes[3])};
    *d = sd;
    return PETITE_OK;
}

static petite_status sdpa_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    *state = NULL;
    /* the scores of one query row: as many as the cache's rows (the key's dim 1, at its bound) */
    if (nargs == 10 && args[1]->kind == PETITE_KIND_TENSOR && args[1]->u.t->rank == 4) {
        size_t need = pc_sdpa_scratch(args[1]->u.t->max_sizes[1]);
        if (need > p->scratch) p->scratch = need;
    }
    return PETITE_OK;
}

petite_status pk_llama_custom_sdpa_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pc_sdpa d;
    pt_tensor *q, *k, *v, *out;
    petite_status s = sdpa_args(c, args, nargs, &d, &q, &k, &v, &out);
    if (s) return s;
    if (c->exec->scratch_size < pc_sdpa_scratch(d.kv_len))
        return PK_FAIL(c, PETITE_ERR_INVALID_STATE, "custom_sdpa: %lld keys need more scratch than was planned", (long long)d.kv_len);
    if ((s = pt_tensor_resize(out, 4, q->sizes, c->err))) return pt_prefix(c->err, "out");
    pc_sdpa_f32(c->exec, &d, q->data, k->data, v->data, out->data);
    return PETITE_OK;
}

petite_status pk_llama_custom_sdpa_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    return sdpa_prepare(p, args, nargs, state);
}

/* sdpa_with_kv_cache.out(Tensor query, Tensor key, Tensor value, Tensor(a!) key_cache, Tensor(b!)
 * value_cache, SymInt start_pos, SymInt seq_len, Tensor? attn_mask=None, float drpout_p=0.0, bool
 * is_causal=False, float? scale=None, *, Tensor(c!) out): key and value written into the caches at
 * start_pos (as update_cache), then custom_sdpa over the caches. Everything is checked before the
 * caches are written. */
static petite_status kv_args(petite_kernel_ctx *c, petite_value **args, size_t nargs, petite_value **sd, pt_tensor **k,
                             pt_tensor **v, pt_tensor **kc, pt_tensor **vc, int64_t *pos) {
    int64_t len;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 13)) || (s = pk_tensor(c, args, 1, "key", k)) || (s = pk_tensor(c, args, 2, "value", v)) ||
        (s = pk_tensor(c, args, 3, "key_cache", kc)) || (s = pk_tensor(c, args, 4, "value_cache", vc)) ||
        (s = pk_int_arg(c, args, 5, "start_pos", pos)) || (s = pk_int_arg(c, args, 6, "seq_len", &len)))
        return s;
    if ((*k)->rank != 4 || len != (*k)->sizes[1])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "sdpa_with_kv_cache: seq_len %lld for %lld new rows", (long long)len,
                       (long long)((*k)->rank == 4 ? (*k)->sizes[1] : -1));
    /* custom_sdpa's arguments: query, the caches, start_pos, mask, dropout, is_causal, scale, out */
    petite_value *m[10] = {args[0], args[3], args[4], args[5], args[7], args[8], args[9], args[10], args[11], args[12]};
    memcpy(sd, m, sizeof m);
    return PETITE_OK;
}

petite_status pk_llama_sdpa_with_kv_cache_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    petite_value *sd[10];
    pt_tensor *k, *v, *kc, *vc, *q, *ck, *cv, *out;
    int64_t pos;
    pc_sdpa d;
    petite_status s;
    if ((s = kv_args(c, args, nargs, sd, &k, &v, &kc, &vc, &pos)) || (s = sdpa_args(c, sd, 10, &d, &q, &ck, &cv, &out)) ||
        (s = cache_rows(c, k, kc, pos, false)) || (s = cache_rows(c, v, vc, pos, false)))
        return pt_prefix(c->err, "sdpa_with_kv_cache");
    if (c->exec->scratch_size < pc_sdpa_scratch(d.kv_len))
        return PK_FAIL(c, PETITE_ERR_INVALID_STATE, "sdpa_with_kv_cache: %lld keys need more scratch than was planned", (long long)d.kv_len);
    cache_rows(c, k, kc, pos, true);
    cache_rows(c, v, vc, pos, true);
    if ((s = pt_tensor_resize(out, 4, q->sizes, c->err))) return pt_prefix(c->err, "out");
    pc_sdpa_f32(c->exec, &d, q->data, ck->data, cv->data, out->data);
    return PETITE_OK;
}

petite_status pk_llama_sdpa_with_kv_cache_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    *state = NULL;
    if (nargs == 13 && args[3]->kind == PETITE_KIND_TENSOR && args[3]->u.t->rank == 4) {
        size_t need = pc_sdpa_scratch(args[3]->u.t->max_sizes[1]);
        if (need > p->scratch) p->scratch = need;
    }
    return PETITE_OK;
}

/* embedding_byte / embedding_4bit: weight [V, D] int8 / uint8 (4-bit: [V, D / 2] uint8, the even
 * column in the high nibble, value = nibble - 8), scales [V] or [V, G] (groups of D / G columns),
 * zero points None or the scales' shape, indices int64 (4-bit: int32 too); out = indices' shape +
 * [D], fp32: (q - zp) * scale in float. quant_min / quant_max are only checked (min <= max). */
static petite_status embedding_q(petite_kernel_ctx *c, petite_value **args, size_t nargs, int bits, bool with_dtype) {
    pt_tensor *w, *sc, *zp = NULL, *idx, *out;
    int64_t qmin, qmax;
    const size_t oi = with_dtype ? 7 : 6;
    petite_status s;
    if ((s = pk_nargs(c, nargs, oi + 2)) || (s = pk_tensor(c, args, 0, "weight", &w)) ||
        (s = pk_tensor(c, args, 1, "weight_scales", &sc)) ||
        (args[2]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 2, "weight_zero_points", &zp))) ||
        (s = pk_int_arg(c, args, 3, "weight_quant_min", &qmin)) || (s = pk_int_arg(c, args, 4, "weight_quant_max", &qmax)) ||
        (s = pk_tensor(c, args, 5, "indices", &idx)) || (s = pk_out(c, args, oi, &out)))
        return s;
    const char *op = bits == 8 ? "embedding_byte" : "embedding_4bit";
    if (with_dtype && args[6]->kind != PETITE_KIND_NONE && (args[6]->kind != PETITE_KIND_INT || args[6]->u.i != out->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: dtype must be None or out's", op);
    if (qmin > qmax) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: quant_min %lld > quant_max %lld", op, (long long)qmin, (long long)qmax);
    if (w->rank != 2 || !w->contiguous || (bits == 8 ? w->dtype != PETITE_INT8 && w->dtype != PETITE_UINT8 : w->dtype != PETITE_UINT8))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: weight must be a contiguous 2-D %s tensor", op, bits == 8 ? "int8 / uint8" : "uint8");
    if (out->dtype != PETITE_FLOAT32) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: out must be fp32", op);
    if (!idx->contiguous || (idx->dtype != PETITE_INT64 && (bits == 8 || idx->dtype != PETITE_INT32)))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: indices must be int64%s", op, bits == 8 ? "" : " or int32");
    const int64_t V = w->sizes[0], D = w->sizes[1] * (bits == 8 ? 1 : 2);
    const int64_t G = sc->rank == 1 ? 1 : sc->rank == 2 ? sc->sizes[1] : 0;
    if (!sc->contiguous || sc->sizes[0] != V || G <= 0 || D % G || !pt_dtype_is_float(sc->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: weight_scales must be float [%lld] or [%lld, G] with G dividing %lld", op,
                       (long long)V, (long long)V, (long long)D);
    if (zp && (!zp->contiguous || !pk_same_shape(zp, sc) || !pt_dtype_is_float(zp->dtype)))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: weight_zero_points must be float with the scales' shape", op);
    if (idx->rank + 1 > PETITE_MAX_RANK) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: indices rank too large", op);
    for (int64_t i = 0; i < idx->numel; i++) { /* every index first: a refused call writes nothing */
        int64_t r = pt_load_i64(idx->data, idx->dtype, i);
        if (r < 0 || r >= V)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: index %lld out of range for %lld rows", op, (long long)r, (long long)V);
    }
    int64_t osz[PETITE_MAX_RANK];
    memcpy(osz, idx->sizes, (size_t)idx->rank * sizeof *osz);
    osz[idx->rank] = D;
    if ((s = pt_tensor_resize(out, idx->rank + 1, osz, c->err))) return pt_prefix(c->err, "out");
    const int64_t group = D / G;
    float *y = out->data;
    for (int64_t i = 0; i < idx->numel; i++) {
        const int64_t r = pt_load_i64(idx->data, idx->dtype, i);
        for (int64_t j = 0; j < D; j++) {
            int32_t q;
            if (bits == 8) q = w->dtype == PETITE_INT8 ? ((const int8_t *)w->data)[r * D + j] : ((const uint8_t *)w->data)[r * D + j];
            else {
                const uint8_t byte = ((const uint8_t *)w->data)[r * (D / 2) + j / 2];
                q = (int32_t)((j & 1) ? byte & 15 : byte >> 4) - 8;
            }
            const int64_t g = r * G + j / group;
            const float z = zp ? (float)pt_load_f64(zp->data, zp->dtype, g) : 0.0f;
            y[i * D + j] = ((float)q - z) * (float)pt_load_f64(sc->data, sc->dtype, g);
        }
    }
    return PETITE_OK;
}

petite_status pk_embedding_byte_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    return embedding_q(c, args, nargs, 8, false);
}
petite_status pk_embedding_byte_dtype_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    return embedding_q(c, args, nargs, 8, true);
}
petite_status pk_embedding_4bit_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    return embedding_q(c, args, nargs, 4, false);
}
petite_status pk_embedding_4bit_dtype_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    return embedding_q(c, args, nargs, 4, true);
}
