/* xnn_family.h — private to the XNNPACK delegate: one row per node family (xnodes.def's family
 * column, XF_*), the one place the delegate dispatches on a node's kind. As XNNPACK's src/subgraph/
 * gives each node type its check, reshape, setup and create, a row holds:
 *
 *   check    the datatypes (and quantization) the family accepts; false: a load error naming them
 *   reshape  the output's dims from the inputs' current dims (at init to plan, and at every run)
 *   prepare  at init, after planning: pack weights, build tables, choose the compute path (or NULL)
 *   run      compute one node on the compute layer; never fails, never allocates
 *
 * The rows live beside their node kinds: xn_elementwise.c (binary, unary, softmax, convert),
 * xn_dense.c (fully connected, batch matrix multiply), xn_conv.c (convolution, pooling),
 * xn_layout.c (transpose / slice / constant pad, reshape, concatenate). xnn_run.c keeps init,
 * lifetimes, the arena, execute and profiling; xnn_fuse.c the fusions. */
#ifndef PETITE_BACKENDS_XNN_FAMILY_H
#define PETITE_BACKENDS_XNN_FAMILY_H

#include "backends/xnnpack/xnn.h"

#define XNN_FLAG_TRANSPOSE_WEIGHTS 0x1u
#define XNN_FLAG_KEEP_DIMS 0x40u

typedef struct xn_family {
    bool (*check)(const xnn_graph *g, const xnn_node *n);
    petite_status (*reshape)(const xnn_graph *g, const xnn_node *n, uint32_t *dims, uint32_t *rank, pt_err *e);
    petite_status (*prepare)(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info, pt_err *e);
    void (*run)(const pc_ctx *c, xnn_graph *g, const xnn_node *n);
} xn_family;

/* the rows (each in its family's file) */
extern const xn_family xn_binary_family, xn_unary_family, xn_softmax_family, xn_convert_family;
extern const xn_family xn_fc_family, xn_bmm_family;
extern const xn_family xn_conv_family, xn_pool_family;
extern const xn_family xn_layout_family, xn_reshape_family, xn_concat_family;

/* The row of node type `type` (xnn_run.c); NULL for XF_NONE, which the parser refuses. */
const xn_family *xn_family_of(int type);

/* ---- helpers shared by the families ---- */

static inline uint64_t numel_of(const uint32_t *d, uint32_t n) {
    uint64_t x = 1;
    for (uint32_t i = 0; i < n; i++) x *= d[i];
    return x;
}
static inline bool is_f32(const xnn_value *v) { return v->dtype == XDT_FP32; }
static inline bool is_q8(const xnn_value *v) {
    return (v->dtype == XDT_QINT8 || v->dtype == XDT_QUINT8) && v->qkind == XQ_PER_TENSOR;
}
/* input k, or NULL where an optional input (a bias) is left out */
static inline const xnn_value *opt_in(const xnn_graph *g, const xnn_node *n, uint32_t k) {
    return n->in[k] == XNN_INVALID_ID ? NULL : &g->values[n->in[k]];
}
static inline void raise_scratch(pt_backend_info *info, size_t bytes) {
    if (bytes > info->scratch) info->scratch = bytes;
}

/* every input and the output fp32 (an optional third input may be left out) */
bool xn_check_all_f32(const xnn_graph *g, const xnn_node *n);
/* the output takes the first input's dims (unary, softmax, convert) */
petite_status xn_reshape_like_input(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e);

/* the fused clamp in the quantized domain, as XNNPACK's subgraph derives it */
void q8_bounds(const xnn_value *out, float out_min, float out_max, int32_t *lo, int32_t *hi);

/* Packed weights through the program's cache (private for weights widened from fp16 / bf16). */
const void *packed_weights(xnn_graph *g, xnn_node *n, const xnn_value *w, const pt_backend_init *in, const void *desc,
                           size_t desc_len, size_t size, pt_fill_fn fill, const void *arg, pt_backend_info *info, pt_err *e);

/* int8 convolution / fully connected: the per-channel requantization and, where it applies, the
 * compute layer's int8 GEMM (xn_dense.c; `oc` output channels). */
petite_status prepare_q8_weights(xnn_graph *g, xnn_node *n, uint32_t oc, const pt_backend_init *in, pt_backend_info *info,
                                 pt_err *e);

/* Unary nodes: the compute layer's operation and parameters, before fusion (xn_elementwise.c). */
void xn_unary_ops(xnn_graph *g);
/* The fusions (xnn_fuse.c): Sigmoid + Multiply, activations into their producer, byte tables. */
void xn_fuse(xnn_graph *g);

#endif
