/* xnn_fuse.c — the XNNPACK delegate's fusions, at init, after every node's datatypes are checked and
 * before lifetimes are planned; each is equal bit for bit to the nodes it replaces
 * (PETITE_XNN_NO_FUSION=1 runs every node as written, PETITE_XNN_NO_TABLES=1 keeps the tables out):
 * Sigmoid + Multiply -> SiLU; an fp32 activation into the convolution / fully connected before it;
 * an int8 -> fp32 Convert, fp32 element-wise nodes and the Convert back -> one 256-byte table; an
 * int8 function f followed by Multiply(x, f(x)) -> f's table. Fused nodes are skipped and the node
 * that absorbs them writes their output. */
#include <math.h>
#include <stdlib.h>

#include "backends/xnnpack/xnn_family.h"

/* How many node inputs read value v (external outputs count as one more). */
static uint32_t readers(const xnn_graph *g, uint32_t v) {
    uint32_t r = (g->values[v].flags & 2) ? 1 : 0;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const xnn_node *n = &g->nodes[i];
        if (n->skip) continue;
        for (uint32_t k = 0; k < n->nin; k++) r += n->in[k] == v;
    }
    return r;
}

static int producer(const xnn_graph *g, uint32_t v, uint32_t before) {
    for (uint32_t i = before; i-- > 0;)
        if (!g->nodes[i].skip && g->nodes[i].out == v) return (int)i;
    return -1;
}

static bool same_dims(const xnn_value *a, const xnn_value *b) {
    if (a->ndims != b->ndims) return false;
    for (uint32_t d = 0; d < a->ndims; d++)
        if (a->dims[d] != b->dims[d]) return false;
    return true;
}

/* The one node after `after` that reads v (-1: none, or more than one input slot of it). */
static int reader_after(const xnn_graph *g, uint32_t v, uint32_t after) {
    for (uint32_t j = after + 1; j < g->nnodes; j++) {
        const xnn_node *n = &g->nodes[j];
        if (n->skip) continue;
        for (uint32_t k = 0; k < n->nin; k++)
            if (n->in[k] == v) return (int)j;
    }
    return -1;
}

/* int8 -> fp32 Convert, element-wise fp32 nodes (SiLU, Sigmoid, HardSwish, Tanh, clamps, ...), fp32
 * -> int8 Convert: a function of one byte, so a 256-entry table, computed at load by the very kernels
 * the three steps would run (pc_dequantize_f32, pc_vunary_f32, pc_quantize_f32 on this ISA; they work
 * element by element, so an element's result does not depend on where it sits). */
static void fuse_tables(xnn_graph *g) {
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *a = &g->nodes[i];
        if (a->skip || xnn_node_family(a->type) != XF_CONVERT) continue;
        const xnn_value *qin = &g->values[a->in[0]];
        if (!is_q8(qin) || !is_f32(&g->values[a->out])) continue;
        uint32_t chain[32], nchain = 0, cur = a->out;
        int end = -1;
        while (end < 0) {
            if ((g->values[cur].flags & 3) || readers(g, cur) != 1) break;
            int r = reader_after(g, cur, nchain ? chain[nchain - 1] : i);
            if (r < 0) break;
            xnn_node *u = &g->nodes[r];
            const xnn_value *uo = &g->values[u->out];
            if (xnn_node_family(u->type) == XF_CONVERT && nchain > 0 && is_q8(uo)) end = r;
            else if (xnn_node_family(u->type) == XF_UNARY && u->in[0] == cur && is_f32(uo) && nchain < 32 &&
                     same_dims(&g->values[cur], uo))
                chain[nchain++] = (uint32_t)r, cur = u->out;
            else break;
        }
        if (end < 0) continue;
        xnn_node *b = &g->nodes[end];
        const xnn_value *qout = &g->values[b->out];
        const pc_ctx one = {NULL, NULL, 0, g->isa};
        uint8_t bytes[256];
        float f[2][256];
        for (int v = 0; v < 256; v++) bytes[v] = (uint8_t)v; /* for int8, the value with that bit pattern */
        pc_dequantize_f32(&one, 256, bytes, qin->dtype != XDT_QINT8, qin->zero_point, qin->scale, f[0]);
        for (uint32_t k = 0; k < nchain; k++) {
            const xnn_node *u = &g->nodes[chain[k]];
            pc_vunary_f32(&one, u->uop, 256, f[k & 1], f[(k + 1) & 1], &u->up);
        }
        const int32_t lo = qout->dtype == XDT_QINT8 ? -128 : 0, hi = qout->dtype == XDT_QINT8 ? 127 : 255;
        pc_quantize_f32(&one, 256, f[nchain & 1], qout->scale, qout->zero_point, lo, hi, a->lut, qout->dtype != XDT_QINT8);
        a->has_lut = 1;
        a->out = b->out;
        for (uint32_t k = 0; k < nchain; k++) g->nodes[chain[k]].skip = 1;
        b->skip = 1;
    }
}

/* Sigmoid(x) then Multiply(x, that) is SiLU; a unary activation whose input only a fp32 convolution
 * or fully connected node writes becomes that node's epilogue (computed on each finished tile,
 * saving a pass over memory). Fused nodes are skipped and the producer writes their output. */
void xn_fuse(xnn_graph *g) {
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *s = &g->nodes[i];
        if (s->skip || s->type != XN_Sigmoid || s->out_min > -INFINITY || s->out_max < INFINITY) continue;
        uint32_t x = s->in[0], t = s->out;
        if (!is_f32(&g->values[x]) || (g->values[t].flags & 3) || readers(g, t) != 1) continue;
        for (uint32_t j = i + 1; j < g->nnodes; j++) {
            xnn_node *m = &g->nodes[j];
            if (m->skip || m->type != XN_Multiply) continue;
            if (!((m->in[0] == x && m->in[1] == t) || (m->in[0] == t && m->in[1] == x))) continue;
            if (!same_dims(&g->values[x], &g->values[m->out])) break;
            s->uop = PC_U_SILU, s->up.lo = m->out_min, s->up.hi = m->out_max;
            s->out = m->out;
            m->skip = 1;
            break;
        }
    }
    /* int8: f(x) then x * f(x) is a function of x alone: the Multiply folds into f's table */
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *f = &g->nodes[i];
        if (f->skip || xnn_node_family(f->type) != XF_UNARY) continue;
        uint32_t x = f->in[0], t = f->out;
        if (!is_q8(&g->values[x]) || !is_q8(&g->values[t]) || (g->values[t].flags & 3) || readers(g, t) != 1) continue;
        int r = reader_after(g, t, i);
        if (r < 0) continue;
        xnn_node *m = &g->nodes[r];
        if (m->type != XN_Multiply || !((m->in[0] == x && m->in[1] == t) || (m->in[0] == t && m->in[1] == x)) ||
            !is_q8(&g->values[m->out]) || !same_dims(&g->values[x], &g->values[m->out]))
            continue;
        f->q8_mul = 1, f->q8_mid = t, f->mul_min = m->out_min, f->mul_max = m->out_max;
        f->out = m->out;
        m->skip = 1;
    }
    if (!getenv("PETITE_XNN_NO_TABLES")) fuse_tables(g);
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *u = &g->nodes[i];
        if (u->skip || xnn_node_family(u->type) != XF_UNARY) continue;
        uint32_t x = u->in[0];
        int pi = producer(g, x, i);
        if (pi < 0) continue;
        xnn_node *p = &g->nodes[pi];
        int pf = xnn_node_family(p->type);
        bool fp32 = is_f32(&g->values[p->in[0]]) && is_f32(&g->values[x]);
        if ((pf != XF_CONV && pf != XF_FC) || !fp32 || p->has_act || (g->values[x].flags & 3)) continue;
        if (pf == XF_FC && g->values[p->in[1]].dtype != XDT_FP32) continue;
        /* the uses of x (the SiLU's input counts twice: Sigmoid and Multiply read it) */
        uint32_t uses = readers(g, x);
        bool silu_pair = u->uop == PC_U_SILU; /* its Multiply, now skipped, read x too */
        if (uses != 1 || !same_dims(&g->values[x], &g->values[u->out])) continue;
        (void)silu_pair;
        p->has_act = 1, p->uop = u->uop, p->up = u->up;
        p->out = u->out;
        u->skip = 1;
    }
}
