"""A Hugging Face Llama-family checkpoint (what petite-export --task text-generation reads) as a GGUF
file for llama.cpp, so that both run the same weights: F32, Q8_0 or Q4_0.

    /usr/bin/python3 bench/to_gguf.py CHECKPOINT_DIR OUT.gguf [--type f32|q8_0|q4_0]

Facts from the GGUF format (ggml/docs/gguf.md) and llama.cpp's converter (convert_hf_to_gguf.py), not
its code: version 3 header, little-endian, key-value metadata then tensor infos (dims innermost
first), data aligned to 32 bytes; tensor names token_embd / blk.N.attn_{norm,q,k,v,output} /
ffn_{norm,gate,up,down} / output_norm (no output.weight: llama.cpp reuses the embeddings, as a tied
model does); the query and key weights reordered from Hugging Face's half rotation to llama.cpp's
adjacent pairs (per head: rows [0, h/2) and [h/2, h) interleaved); Q8_0: blocks of 32, an fp16 scale
max|x| / 127 and int8 values round(x / d); Q4_0: blocks of 32, d = (the value of largest magnitude)
/ -8, q = min(15, trunc(x / d + 8.5)), the first 16 values in the low nibbles. Norm weights stay F32.
The tokenizer: SentencePiece's pieces, scores and types from tokenizer.model when there is one,
else placeholder pieces (random-weight checkpoints, where only speed is measured)."""
import argparse
import json
import os
import struct
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))

GGML_F32, GGML_F16, GGML_Q4_0, GGML_Q8_0 = 0, 1, 2, 8
FILE_TYPE = {"f32": 0, "q4_0": 2, "q8_0": 7}
T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64 = 4, 5, 6, 7, 8, 9, 10


def _s(b, x):
    x = x.encode() if isinstance(x, str) else x
    b += struct.pack("<Q", len(x)) + x


def _kv(b, key, typ, val):
    _s(b, key)
    b += struct.pack("<I", typ)
    if typ == T_STR:
        _s(b, val)
    elif typ == T_ARR:
        et, items = val
        b += struct.pack("<IQ", et, len(items))
        for it in items:
            if et == T_STR:
                _s(b, it)
            else:
                b += struct.pack({T_F32: "<f", T_I32: "<i", T_U32: "<I"}[et], it)
    else:
        b += struct.pack({T_U32: "<I", T_I32: "<i", T_F32: "<f", T_BOOL: "<?", T_U64: "<Q"}[typ], val)


def q8_0(w):
    x = w.reshape(-1, 32).astype(np.float32)
    d = np.abs(x).max(axis=1) / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0.0)
    q = np.rint(x * inv[:, None]).astype(np.int8)
    out = np.empty((x.shape[0], 34), np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def q4_0(w):
    x = w.reshape(-1, 32).astype(np.float32)
    idx = np.abs(x).argmax(axis=1)
    mx = x[np.arange(len(x)), idx]
    d = mx / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0.0)
    q = np.minimum(15, np.trunc(x * inv[:, None] + 8.5)).astype(np.uint8)
    out = np.empty((x.shape[0], 18), np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def halves_to_pairs(w, heads):
    """[heads * h, K] rows of each head from (first half, second half) order to interleaved pairs"""
    n, k = w.shape
    h = n // heads
    return w.reshape(heads, 2, h // 2, k).swapaxes(1, 2).reshape(n, k)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("out")
    ap.add_argument("--type", choices=sorted(FILE_TYPE), default="f32")
    args = ap.parse_args()
    from petite.export import llm
    model = llm.load_checkpoint(args.checkpoint, 8)
    c = model.config
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()
          if not k.endswith(("_cache", "rope_cos", "rope_sin"))}
    if not c.tie_word_embeddings:
        raise SystemExit("to_gguf: only tied embeddings are written (an output.weight is not yet)")
    names = {"embed_tokens.weight": "token_embd.weight", "norm.weight": "output_norm.weight"}
    for i in range(c.num_hidden_layers):
        p, q = "layers.%d." % i, "blk.%d." % i
        names.update({p + "input_layernorm.weight": q + "attn_norm.weight", p + "self_attn.q_proj.weight": q + "attn_q.weight",
                      p + "self_attn.k_proj.weight": q + "attn_k.weight", p + "self_attn.v_proj.weight": q + "attn_v.weight",
                      p + "self_attn.o_proj.weight": q + "attn_output.weight",
                      p + "post_attention_layernorm.weight": q + "ffn_norm.weight", p + "mlp.gate_proj.weight": q + "ffn_gate.weight",
                      p + "mlp.up_proj.weight": q + "ffn_up.weight", p + "mlp.down_proj.weight": q + "ffn_down.weight"})
    tensors = []
    for k, gname in names.items():
        w = sd[k]
        if k.endswith("q_proj.weight"):
            w = halves_to_pairs(w, c.num_attention_heads)
        elif k.endswith("k_proj.weight"):
            w = halves_to_pairs(w, c.num_key_value_heads)
        if w.ndim == 1 or args.type == "f32" or w.shape[-1] % 32:
            data, typ = np.ascontiguousarray(w, np.float32).tobytes(), GGML_F32
        elif args.type == "q8_0":
            data, typ = q8_0(w), GGML_Q8_0
        else:
            data, typ = q4_0(w), GGML_Q4_0
        tensors.append((gname, list(reversed(w.shape)), typ, data))
    # the tokenizer
    spm_path = os.path.join(args.checkpoint, "tokenizer.model")
    if os.path.exists(spm_path):
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=spm_path)
        n = sp.get_piece_size()
        pieces = [sp.id_to_piece(i) for i in range(n)]
        scores = [float(sp.get_score(i)) for i in range(n)]
        types = [2 if sp.is_unknown(i) else 3 if sp.is_control(i) else 6 if sp.is_byte(i) else 1 for i in range(n)]
    else:
        n = c.vocab_size
        pieces = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)] + ["\u2581t%d" % i for i in range(n - 259)]
        scores = [0.0] * n
        types = [2, 3, 3] + [6] * 256 + [1] * (n - 259)
    pieces, scores, types = pieces[:c.vocab_size], scores[:c.vocab_size], types[:c.vocab_size]
    while len(pieces) < c.vocab_size:  # a model padded past its tokenizer
        pieces.append("<pad_%d>" % len(pieces)), scores.append(0.0), types.append(5)
    b = bytearray(b"GGUF" + struct.pack("<I", 3))
    meta = bytearray()
    kv = [("general.architecture", T_STR, "llama"), ("general.name", T_STR, os.path.basename(os.path.normpath(args.checkpoint))),
          ("general.file_type", T_U32, FILE_TYPE[args.type]), ("general.alignment", T_U32, 32),
          ("llama.context_length", T_U32, 2048), ("llama.embedding_length", T_U32, c.hidden_size),
          ("llama.block_count", T_U32, c.num_hidden_layers), ("llama.feed_forward_length", T_U32, c.intermediate_size),
          ("llama.attention.head_count", T_U32, c.num_attention_heads),
          ("llama.attention.head_count_kv", T_U32, c.num_key_value_heads),
          ("llama.rope.dimension_count", T_U32, c.head_dim), ("llama.rope.freq_base", T_F32, float(c.rope_theta)),
          ("llama.attention.layer_norm_rms_epsilon", T_F32, float(c.rms_norm_eps)),
          ("llama.vocab_size", T_U32, c.vocab_size),
          ("tokenizer.ggml.model", T_STR, "llama"), ("tokenizer.ggml.tokens", T_ARR, (T_STR, pieces)),
          ("tokenizer.ggml.scores", T_ARR, (T_F32, scores)), ("tokenizer.ggml.token_type", T_ARR, (T_I32, types)),
          ("tokenizer.ggml.bos_token_id", T_U32, int(c.bos_token_id)),
          ("tokenizer.ggml.eos_token_id", T_U32, int(c.eos_ids()[0] if c.eos_ids() else 2)),
          ("tokenizer.ggml.add_bos_token", T_BOOL, True)]
    for key, typ, val in kv:
        _kv(meta, key, typ, val)
    b += struct.pack("<QQ", len(tensors), len(kv)) + meta
    off = 0
    for name, dims, typ, data in tensors:
        _s(b, name)
        b += struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        b += struct.pack("<IQ", typ, off)
        off += (len(data) + 31) // 32 * 32
    b += b"\0" * ((-len(b)) % 32)
    with open(args.out, "wb") as f:
        f.write(b)
        for _, _, _, data in tensors:
            f.write(data + b"\0" * ((-len(data)) % 32))
    print("%s: %s, %d tensors, %d bytes" % (args.out, args.type, len(tensors), os.path.getsize(args.out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
