"""Train a small llama-style model that writes, on text from a Debian package, with PyTorch alone.

    /usr/bin/python3 examples/text_generation/train.py --out DIR [--steps 300] [--threads 2]

The text: Debian's `fortunes` package (/usr/share/games/fortunes: quotations, jokes, verse; the
categories below), one fortune per document, 5% held out (DIR/heldout.txt). The tokenizer: a
SentencePiece BPE model of 1024 pieces with byte fallback, trained on the rest with Debian's
python3-sentencepiece (DIR/tokenizer.model). The model: petite.export.llm.Decoder (RMSNorm,
rotary embeddings, SwiGLU, grouped-query attention, tied embeddings), 4 layers of width 128, 4 query
and 2 key/value heads, trained on windows of 128 tokens with AdamW; seeds fixed. DIR then is a
Hugging Face-style checkpoint (config.json, pytorch_model.bin with model.* names, tokenizer.model)
that petite-export --task text-generation reads. DIR/train.json: the losses, the time, the corpus
size. A DIR already holding a model trained with the same settings is kept (delete it to retrain).

Then:
    tools/petite-export DIR --task text-generation --max-seq-len 128 --quantize 8da4w --output-dir out
    build/petite generate out/NAME_xnnpack_quantized.pte --tokenizer DIR/tokenizer.model --prompt "A"
"""
import argparse
import hashlib
import json
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "python"))

import torch  # noqa: E402

from petite.export import llm  # noqa: E402

FORTUNES = "/usr/share/games/fortunes"
CATEGORIES = ["art", "computers", "cookie", "debian", "education", "food", "fortunes", "goedel", "humorists",
              "kids", "law", "linux", "linuxcookie", "literature", "love", "magic", "medicine", "miscellaneous",
              "news", "paradoxum", "people", "pets", "platitudes", "pratchett", "riddles", "science", "songs-poems",
              "sports", "startrek", "tao", "wisdom", "work", "zippy"]
CONFIG = dict(model_type="llama", vocab_size=1024, hidden_size=128, intermediate_size=352, num_hidden_layers=4,
              num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, rope_theta=10000.0,
              tie_word_embeddings=True, bos_token_id=1, eos_token_id=2)
SEQ = 128


def documents():
    """every fortune of the categories, whitespace kept inside, in a fixed order"""
    docs = []
    for c in CATEGORIES:
        path = os.path.join(FORTUNES, c)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for d in f.read().split("\n%\n"):
                d = d.strip("\n%").rstrip()
                if 20 <= len(d) <= 1200:
                    docs.append(d)
    random.Random(0).shuffle(docs)
    return docs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=12)
    ap.add_argument("--lr", type=float, default=4e-3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    if not os.path.isdir(FORTUNES):
        print("train: %s is missing (apt-get install fortunes; scripts/setup.sh does)" % FORTUNES, file=sys.stderr)
        return 1
    import sentencepiece as spm
    docs = documents()
    n_held = max(1, len(docs) // 20)
    held, train = docs[:n_held], docs[n_held:]
    settings = dict(CONFIG, steps=args.steps, batch=args.batch, lr=args.lr, seq=SEQ, docs=len(docs),
                    corpus=hashlib.sha256("\n\x00".join(docs).encode()).hexdigest()[:16], version=1)
    os.makedirs(args.out, exist_ok=True)
    log_path = os.path.join(args.out, "train.json")
    if os.path.exists(log_path) and os.path.exists(os.path.join(args.out, "pytorch_model.bin")):
        with open(log_path) as f:
            if json.load(f).get("settings") == settings:
                print("train: %s already holds this model (delete it to retrain)" % args.out)
                return 0
    t0 = time.time()
    with open(os.path.join(args.out, "heldout.txt"), "w") as f:
        f.write("\n\n".join(held) + "\n")
    train_txt = os.path.join(args.out, "train.txt")
    with open(train_txt, "w") as f:
        f.write("\n".join(d.replace("\n", " ") for d in train) + "\n")  # one sentence per line for the trainer
    spm.SentencePieceTrainer.train(input=train_txt, model_prefix=os.path.join(args.out, "tokenizer"),
                                   vocab_size=CONFIG["vocab_size"], model_type="bpe", byte_fallback=True,
                                   character_coverage=1.0, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
                                   num_threads=1, minloglevel=2, input_sentence_size=0)
    os.unlink(train_txt)
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out, "tokenizer.model"))
    stream = []
    for d in train:
        stream += [1] + sp.encode(d) + [2]
    data = torch.tensor(stream, dtype=torch.int64)
    print("train: %d documents, %d tokens (%d held out documents); tokenizer %.1fs"
          % (len(train), len(stream), len(held), time.time() - t0))
    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = llm.Decoder(llm.Config(**{k: v for k, v in CONFIG.items() if k in llm.Config.FIELDS}), SEQ)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02 if "embed" in name else 0.02 / math.sqrt(2 * CONFIG["num_hidden_layers"])
                                      if name.endswith(("o_proj.weight", "down_proj.weight")) else 0.02)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.01)
    g = torch.Generator().manual_seed(1)
    losses, warm = [], max(1, args.steps // 15)
    model.train()
    for step in range(args.steps):
        lr = args.lr * (step + 1) / warm if step < warm else \
            args.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, args.steps - warm))))
        for group in opt.param_groups:
            group["lr"] = lr
        at = torch.randint(0, len(stream) - SEQ - 1, (args.batch,), generator=g)
        x = torch.stack([data[a:a + SEQ] for a in at.tolist()])
        y = torch.stack([data[a + 1:a + SEQ + 1] for a in at.tolist()])
        loss = torch.nn.functional.cross_entropy(model.forward_full(x).reshape(-1, CONFIG["vocab_size"]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(round(float(loss), 4))
        if step % 50 == 0 or step == args.steps - 1:
            print("  step %4d  loss %.3f  (%.0fs)" % (step, float(loss), time.time() - t0), flush=True)
    model.eval()
    sd = {("model." + k if not k.startswith("lm_head") else k): v for k, v in model.state_dict().items()}
    sd.pop("lm_head.weight", None)  # tied
    torch.save(sd, os.path.join(args.out, "pytorch_model.bin"))
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(dict(CONFIG, max_position_embeddings=SEQ), f, indent=1)
    with open(log_path, "w") as f:
        json.dump({"settings": settings, "losses": losses, "seconds": round(time.time() - t0, 1),
                   "train_tokens": len(stream)}, f)
    print("train: %s in %.0fs, final loss %.3f" % (args.out, time.time() - t0, sum(losses[-20:]) / len(losses[-20:])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
