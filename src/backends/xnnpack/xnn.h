/* xnn.h — petite's own implementation of ExecuTorch's XNNPACK delegate ("XnnpackBackend"):
 * the delegate blob (XH00 header + XNNGraph flatbuffer "XN01"/"XN00") parsed into a small graph
 * of values and nodes, executed on petite's kernels with XNNPACK's semantics (NHWC layouts,
 * fused output clamps, quantized datatypes). No XNNPACK library is linked. */
#ifndef PETITE_BACKENDS_XNN_H
#define PETITE_BACKENDS_XNN_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/registry.h"

#define XNN_MAX_DIMS 6
#define XNN_INVALID_ID UINT32_MAX

/* XNNDatatype */
enum { XDT_INVALID, XDT_FP32, XDT_FP16, XDT_QINT8, XDT_QUINT8, XDT_QINT32, XDT_QCINT8, XDT_QCINT32,
       XDT_QCINT4, XDT_QDINT8, XDT_QBINT4, XDT_QPINT8, XDT_INT32, XDT_PFP32, XDT_BF16 };

/* XNodeUnion members, in schema order (type ids 1..47) */
enum { XN_NONE, XN_ADD, XN_FULLY_CONNECTED, XN_SOFTMAX, XN_SIGMOID, XN_STATIC_TRANSPOSE, XN_CLAMP,
       XN_CONV2D, XN_DIV, XN_STATIC_RESIZE_BILINEAR2D, XN_STATIC_CONSTANT_PAD, XN_AVG_POOLING2D,
       XN_MINIMUM, XN_DEPTHWISE_CONV2D, XN_MAX_POOLING2D, XN_MULTIPLY, XN_SUBTRACT, XN_FLOOR,
       XN_CONVERT, XN_GLOBAL_AVG_POOLING2D, XN_STATIC_RESHAPE, XN_ARGMAX_POOLING2D, XN_SQUARE_ROOT,
       XN_CEILING, XN_HARDSWISH, XN_LEAKY_RELU, XN_MAXIMUM, XN_NEGATE, XN_SQUARE, XN_ELU, XN_ABS,
       XN_PRELU, XN_CONCATENATE2, XN_CONCATENATE3, XN_CONCATENATE4, XN_STATIC_SLICE,
       XN_SCALED_DOT_PRODUCT_ATTENTION, XN_BATCH_MATRIX_MULTIPLY, XN_CONCATENATE5,
       XN_CONV_TRANSPOSE2D, XN_RECIPROCAL_SQUARE_ROOT, XN_LOG, XN_GELU, XN_TANH, XN_EXP, XN_SIN,
       XN_COPY, XN_COS, XN_COUNT };

const char *xnn_node_name(int type);
/* 1 if petite executes this node type */
int xnn_node_supported(int type);

typedef enum { XQ_NONE, XQ_PER_TENSOR, XQ_PER_CHANNEL, XQ_PER_TOKEN, XQ_PER_CHANNEL_GROUP } xnn_quant_kind;

typedef struct xnn_value {
    int32_t dtype;                 /* XDT_* */
    uint32_t ndims;
    uint32_t dims[XNN_MAX_DIMS];   /* serialized dims (physical order, e.g. NHWC) */
    uint32_t cur[XNN_MAX_DIMS];    /* dims of the current run */
    uint32_t external_id;          /* XNN_INVALID_ID if internal */
    uint32_t flags;                /* 1 external input, 2 external output */
    const void *constant;          /* constant data, or NULL */
    void *buf;                     /* internal buffer (grown to `cap` bytes) */
    size_t cap;
    void *data;                    /* where this run's data is */
    xnn_quant_kind qkind;
    float scale;                   /* per tensor */
    int32_t zero_point;
    const float *scales;           /* per channel (num_scales of them) */
    float *owned_scales;           /* converted from bf16 / copied when unaligned */
    uint32_t num_scales;
    int32_t channel_dim;
    int32_t group_size;
    int32_t num_nonbatch_dims;
    int32_t narrow;                /* XDT_FP16 / XDT_BF16 as serialized; computed as fp32 (dtype) */
    float *wide;                   /* fp32 copy of a narrow constant, or staging for a narrow external */
    size_t wide_cap;
} xnn_value;

typedef struct xnn_node {
    int type;                      /* XN_* */
    uint32_t in[5], nin;           /* value ids */
    uint32_t out, out2;            /* value ids (out2: argmax indices) */
    float out_min, out_max;        /* fused clamp */
    uint32_t flags;
    uint32_t p[16];                /* conv/pool params, axis, new dims, ... */
    uint32_t np;
    const uint32_t *list1, *list2; /* perm / new_shape / offsets, sizes / pre, post paddings */
    uint32_t nlist;
    float fparam;                  /* leaky slope, elu alpha, pad value */
    float *packed;                 /* fp32 filter prepacked at load as [K, N] (FullyConnected, 1x1 Conv2d) */
} xnn_node;

typedef struct xnn_graph {
    xnn_value *values;
    uint32_t nvalues;
    xnn_node *nodes;
    uint32_t nnodes;
    uint32_t *input_ids, ninputs;   /* by external id order */
    uint32_t *output_ids, noutputs;
    uint32_t num_externs;
    uint32_t *extern_value;         /* external id -> value id */
    uint64_t memory_limit;          /* cap on internal buffer bytes (0: none) */
    uint64_t memory_used;
} xnn_graph;

petite_status xnn_parse(const pt_backend_init *in, xnn_graph **out, pt_err *e);
void xnn_free(xnn_graph *g);
petite_status xnn_execute(xnn_graph *g, pt_value **args, size_t nargs, pt_err *e);

extern const pt_backend pt_xnnpack_backend;

#endif
