"""Train the digits CNN (sklearn's 8x8 handwritten digits) and save what the demo needs:
digits_cnn.pt (the whole module) and a few held-out digits as digit_<label>_<i>.npy.

    /usr/bin/python3 examples/digits/train_digits.py OUT_DIR
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [ROOT, os.path.join(ROOT, "python")]

import numpy as np  # noqa: E402
import torch  # noqa: E402

from zoo.build_zoo import digits_data, train_digits  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else "."
os.makedirs(out, exist_ok=True)
model = train_digits()
torch.save(model, os.path.join(out, "digits_cnn.pt"))
_, _, xte, yte = digits_data()
with torch.no_grad():
    acc = float((model(xte).argmax(1) == yte).float().mean())
print("trained digits_cnn: held-out accuracy %.4f on %d digits" % (acc, len(yte)))
for i in range(5):
    np.save(os.path.join(out, "digit_%d_%d.npy" % (int(yte[i]), i)), xte[i:i + 1].numpy())
print("saved digits_cnn.pt and 5 held-out digits (digit_<label>_<i>.npy) to %s" % out)
