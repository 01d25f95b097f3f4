"""A checkpoint with the shapes of a real small LLM and random weights (for speed and size
measurements; it writes nothing sensible): config.json + model.safetensors, Hugging Face names.

    /usr/bin/python3 examples/text_generation/random_checkpoint.py --preset smollm-135m --out DIR

Presets: smollm-135m (HuggingFaceTB/SmolLM-135M's config: 30 layers of width 576, 9 query and 3
key/value heads, SwiGLU 1536, 49,152 tokens, tied embeddings; 134.5 M parameters)."""
import argparse
import json
import os
import sys

import numpy as np

PRESETS = {
    "smollm-135m": dict(model_type="llama", vocab_size=49152, hidden_size=576, intermediate_size=1536,
                        num_hidden_layers=30, num_attention_heads=9, num_key_value_heads=3, rms_norm_eps=1e-5,
                        rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=1, eos_token_id=2),
}


def tensors(c, rng):
    d, f, hd = c["hidden_size"], c["intermediate_size"], c["hidden_size"] // c["num_attention_heads"]
    kv = c["num_key_value_heads"] * hd
    yield "model.embed_tokens.weight", (c["vocab_size"], d)
    for i in range(c["num_hidden_layers"]):
        p = "model.layers.%d." % i
        for n, s in (("self_attn.q_proj", (d, d)), ("self_attn.k_proj", (kv, d)), ("self_attn.v_proj", (kv, d)),
                     ("self_attn.o_proj", (d, d)), ("mlp.gate_proj", (f, d)), ("mlp.up_proj", (f, d)),
                     ("mlp.down_proj", (d, f))):
            yield p + n + ".weight", s
        yield p + "input_layernorm.weight", (d,)
        yield p + "post_attention_layernorm.weight", (d,)
    yield "model.norm.weight", (d,)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", choices=sorted(PRESETS), default="smollm-135m")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    c = PRESETS[args.preset]
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(0)
    header, at, shapes = {}, 0, list(tensors(c, rng))
    for name, s in shapes:
        n = int(np.prod(s)) * 4
        header[name] = {"dtype": "F32", "shape": list(s), "data_offsets": [at, at + n]}
        at += n
    h = json.dumps(header).encode()
    total = 0
    with open(os.path.join(args.out, "model.safetensors"), "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h)
        for name, s in shapes:
            w = np.ones(s, np.float32) if name.endswith("norm.weight") else rng.standard_normal(s, np.float32) * 0.02
            f.write(w.tobytes())
            total += w.size
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(c, f, indent=1)
    print("%s: %s, %.1f M parameters" % (args.out, args.preset, total / 1e6))
    return 0


if __name__ == "__main__":
    sys.exit(main())
