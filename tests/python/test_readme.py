"""Every Python snippet of README.md runs (issue 19: the README's detection snippet raised VisionError).

The Python blocks are the fenced ```python ones, and any indented (4-space) block whose first line is
`import ...` / `from ... import` (a snippet someone forgot to fence). Each runs alone, in a fresh
namespace, as a new user would paste it, in a temporary directory holding the files the snippets name,
made here from small models exported with petite.export.export_model (portable backend):
  model.pte       Linear(3, 4) on the mean colour, input [1, 3, 224, 224]
  classifier.pte  the same model (a classifier's [1, 3, 224, 224] -> [1, 4])
  detector.pte    a fixed YOLOv8-layout output [1, 4 + 3, 100] (input [1, 3, 640, 640])
  photo.jpg       a 480 x 640 picture
A block fails if it raises (the traceback is printed). The last line is `readme: N passed, M failed`;
the exit status is 1 on a failure.

    PETITE_LIB=build/libpetite.so /usr/bin/python3 tests/python/test_readme.py [README.md]

(PETITE_LIB / PETITE_VISION_LIB pick the libraries; without them python/petite finds build/.)
"""
import os
import re
import sys
import tempfile
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [os.path.join(ROOT, "python"), ROOT]


def python_blocks(text):
    """[(line number, code)] of the README's Python blocks"""
    blocks, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = re.match(r"^(\s*)```\s*(\w*)", lines[i])
        if m:  # a fenced block: kept when its language is python
            indent, lang, start = len(m.group(1)), m.group(2).lower(), i + 1
            i += 1
            while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
                i += 1
            if lang in ("python", "py", "python3"):
                blocks.append((start + 1, "\n".join(ln[indent:] for ln in lines[start:i])))
            i += 1
            continue
        if lines[i].startswith("    ") and (i == 0 or not lines[i - 1].strip()):  # an indented block
            start = i
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                i += 1
            code = "\n".join(ln[4:] for ln in lines[start:i]).strip("\n")
            first = code.lstrip().split("\n")[0]
            if re.match(r"^(import \w|from [\w.]+ import )", first):
                blocks.append((start + 1, code))
            continue
        i += 1
    return blocks


def make_files(d):
    import numpy as np
    import torch
    from PIL import Image
    from petite.export import export_model

    class Cls(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(3, 4)

        def forward(self, x):
            return self.fc(x.mean((2, 3)))

    class Det(torch.nn.Module):  # YOLOv8 layout: cx, cy, w, h in input pixels, then 3 class scores per box
        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(0)
            out = torch.zeros(1, 7, 100)
            out[0, 0:2] = torch.rand(2, 100, generator=g) * 560 + 40
            out[0, 2:4] = torch.rand(2, 100, generator=g) * 60 + 10
            out[0, 4:] = torch.rand(3, 100, generator=g)
            self.register_buffer("out", out)

        def forward(self, x):
            return self.out + 0 * x.mean()

    torch.manual_seed(0)
    made = {}
    for name, model, shape in (("model", Cls(), (1, 3, 224, 224)), ("det", Det(), (1, 3, 640, 640))):
        res = export_model(model.eval(), torch.zeros(shape), model_name=name, backends=["portable"], output_dir=d)
        path = [r.get("output_path") for r in res if r.get("output_path")]
        if not path or not os.path.exists(path[0]):
            raise RuntimeError("export of %s failed: %s" % (name, res))
        made[name] = path[0]
    os.replace(made["model"], os.path.join(d, "model.pte"))
    with open(os.path.join(d, "model.pte"), "rb") as f, open(os.path.join(d, "classifier.pte"), "wb") as g:
        g.write(f.read())
    os.replace(made["det"], os.path.join(d, "detector.pte"))
    yy, xx = np.mgrid[0:480, 0:640]
    pic = np.stack([xx * 255 // 639, yy * 255 // 479, (xx ^ yy) & 255], 2).astype(np.uint8)
    Image.fromarray(pic).save(os.path.join(d, "photo.jpg"), quality=90)


def main():
    readme = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "README.md")
    with open(readme) as f:
        blocks = python_blocks(f.read())
    passed = failed = 0
    if not blocks:
        print("FAIL no Python blocks found in %s" % readme)
        failed += 1
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as d:
        try:
            make_files(d)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            print("readme: 0 passed, %d failed (the models could not be made)" % max(len(blocks), 1))
            return 1
        os.chdir(d)
        try:
            for line, code in blocks:
                try:
                    exec(compile(code, "%s:%d" % (os.path.basename(readme), line), "exec"), {"__name__": "__readme__"})
                    passed += 1
                    print("ok   %s line %d" % (os.path.basename(readme), line))
                except BaseException:  # noqa: BLE001 (SystemExit too: a snippet must not exit)
                    failed += 1
                    print("FAIL %s line %d:\n%s" % (os.path.basename(readme), line, "\n".join(
                        "    " + ln for ln in code.split("\n"))))
                    traceback.print_exc()
        finally:
            os.chdir(here)
    print("readme: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
