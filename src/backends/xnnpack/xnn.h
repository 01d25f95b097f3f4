/* xnn.h — petite's own implementation of ExecuTorch's XNNPACK delegate ("XnnpackBackend"):
 * the delegate blob (XH00 header + XNNGraph flatbuffer "XN01"/"XN00") parsed into a small graph
 * of values and nodes (xnn_parse.c); at init every value's shape is propagated, internal values
 * are planned into one arena by lifetime and every node is prepared (weights packed once per
 * program through the shared cache, microkernels chosen); execute binds the DelegateCall's
 * tensors and runs each node on the compute layer with XNNPACK's semantics (NHWC, fused output
 * clamps, quantized datatypes) without allocating (xnn_run.c; each node family's code in its own
 * file, xnn_family.h). No XNNPACK library is linked. */
#ifndef PETITE_BACKENDS_XNN_H
#define PETITE_BACKENDS_XNN_H

#include <stdbool.h>
#include <stdint.h>

#include "backends/backend.h"
#include "compute/compute.h"

#define XNN_MAX_DIMS 6
#define XNN_INVALID_ID UINT32_MAX

/* XNNDatatype */
enum {
#define XDT(id, name, bits, bytes) XDT_##name = id,
#include "backends/xnnpack/xdatatypes.def"
#undef XDT
    XDT_COUNT
};

/* XNodeUnion members (type ids 1..47) */
enum {
    XN_NONE = 0,
#define XN(id, name, fields, family, arg) XN_##name = id,
#include "backends/xnnpack/xnodes.def"
#undef XN
    XN_COUNT
};

/* How petite runs a node type (xnodes.def's family column). */
enum { XF_NONE, XF_BINARY, XF_FC, XF_SOFTMAX, XF_UNARY, XF_LAYOUT, XF_CONV, XF_POOL, XF_CONVERT, XF_RESHAPE,
       XF_CONCAT, XF_BMM };

const char *xnn_node_name(int type);
int xnn_node_family(int type); /* XF_NONE for unknown or unsupported types */
int xnn_node_arg(int type);
size_t xnn_dtype_bits(int32_t dt); /* serialized bits per element; 0 if unknown */
size_t xnn_dtype_bytes(int32_t dt); /* bytes per element as held at run time */

typedef enum { XQ_NONE, XQ_PER_TENSOR, XQ_PER_CHANNEL, XQ_PER_TOKEN, XQ_PER_CHANNEL_GROUP } xnn_quant_kind;

typedef struct xnn_value {
    int32_t dtype;                 /* XDT_* */
    uint32_t ndims;
    uint32_t dims[XNN_MAX_DIMS];   /* serialized dims (physical order, e.g. NHWC) */
    uint32_t cur[XNN_MAX_DIMS];    /* dims of the current run */
    uint32_t external_id;          /* XNN_INVALID_ID if internal */
    uint32_t flags;                /* 1 external input, 2 external output */
    const void *constant;          /* constant data, or NULL */
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
    float *wide;                   /* fp32 copy of a narrow constant */
    uint64_t const_bytes;          /* bytes of the constant in the file */
    void *own;                     /* a copy of a constant that runs read (the file is not read after init) */
    /* planning (internal values and narrow externals' staging) */
    size_t cap;                    /* planned bytes */
    uint64_t offset;               /* in the arena */
    int32_t first, last;           /* nodes that define / last read it (-1: none) */
    uint32_t alias1;               /* a reshape's output sharing its input's bytes: 1 + the value
                                      that holds them (0: none) */
} xnn_value;

typedef struct xnn_node {
    int type;                      /* XN_* */
    uint32_t in[5], nin;           /* value ids */
    uint32_t out;                  /* value id */
    float out_min, out_max;        /* fused clamp */
    uint32_t flags;
    uint32_t p[16];                /* conv / pool / concat fields in schema order: read them by name
                                      (xnn_conv_geometry, xnn_pool_geometry, xnn_concat_axis) */
    uint32_t np;
    const uint32_t *list1, *list2; /* perm / new_shape / offsets, sizes / pre, post paddings */
    uint32_t nlist;
    float fparam;                  /* leaky slope, elu alpha, pad value */
    /* prepared at init */
    int skip;                      /* fused into another node: not run */
    pc_unary_op uop;               /* unary nodes: the operation (SiLU after fusing Sigmoid + Multiply) */
    pc_unary_params up;            /*   and its parameters (output clamp included) */
    int has_act;                   /* conv / fully connected: a fused activation (uop, up) after the clamp */
    int has_lut;                   /* a Convert to fp32 whose fp32 element-wise chain and Convert back were
                                      folded into a byte table: out = lut[in] */
    uint8_t lut[256];
    pc_conv2d conv;                /* fp32 Conv2d / DepthwiseConv2d */
    const float *packed;           /* packed weights (conv, fully connected) in the program's cache */
    bool q4_tiles;                 /* 4-bit fully connected: packed is pc_fc_q4_pack_fill's tiles (else kn) */
    float *owned_packed;           /* ... or this node's own (weights widened from fp16 / bf16) */
    pc_requant rq;                 /* int8 conv / fully connected */
    float *rq_scales;              /* per output channel: input scale * filter scale / output scale */
    int qfast;                     /* int8 conv / fully connected on the compute layer's int8 GEMM: */
    pc_qconv qconv;
    pc_qbinary qb;                 /* int8 / uint8 Add and Multiply: XNNPACK's parameters */
    pc_qmean qmean;                /* int8 / uint8 GlobalAvgPooling2d */
    int q8_mul;                    /* int8 unary f followed by Multiply(x, f(x)) (SiLU's shape): one table */
    uint32_t q8_mid;               /*   the value f(x) was written to (its quantization) */
    float mul_min, mul_max;        /*   the Multiply's clamp */
    const void *qpacked;           /*   its packed weights (program cache) */
    /* profile */
    uint64_t ns;
    double flops;
} xnn_node;

typedef struct xnn_graph {
    xnn_value *values;
    uint32_t nvalues;
    xnn_node *nodes;
    uint32_t nnodes;
    uint32_t num_externs;
    uint32_t *extern_value;         /* external id -> value id */
    uint8_t *arena;                 /* internal values, planned by lifetime: the method's work area (execute) */
    uint64_t arena_size;
    uint64_t memory_bytes;          /* arena + tables + owned copies */
    pc_isa isa;
    int profiling;
} xnn_graph;

/* Named parameters of a node (the parser keeps the schema's fields in n->p, in schema order; only
 * these accessors read them). */

/* _XNNNodeConv: Conv2d, DepthwiseConv2d (ConvTranspose2d is refused) */
typedef struct xnn_conv_params {
    uint32_t pad_top, pad_right, pad_bottom, pad_left;
    uint32_t kernel_h, kernel_w;
    uint32_t stride_h, stride_w;     /* subsampling */
    uint32_t dilation_h, dilation_w;
    uint32_t group_in, group_out;    /* channels per group */
    uint32_t groups;
    uint32_t adjust_h, adjust_w;     /* ConvTranspose2d's output adjustment */
} xnn_conv_params;
xnn_conv_params xnn_conv_geometry(const xnn_node *n);

/* _XNNPooling2D: AvgPooling2d, MaxPooling2d (GlobalAvgPooling2d has no fields: all zero) */
typedef struct xnn_pool_params {
    uint32_t pad_top, pad_right, pad_bottom, pad_left;
    uint32_t pool_h, pool_w;
    uint32_t stride_h, stride_w;
    uint32_t dilation_h, dilation_w; /* 0 (as some writers leave it): 1 */
} xnn_pool_params;
xnn_pool_params xnn_pool_geometry(const xnn_node *n);

/* _XNNCat: the axis */
uint32_t xnn_concat_axis(const xnn_node *n);

/* named: where named constant data comes from (program named data / .ptd). */
petite_status xnn_parse(const pt_backend_init *in, xnn_graph **out, pt_err *e);
void xnn_free(xnn_graph *g);

#endif
