"""petite-export: export a PyTorch model to an ExecuTorch .pte with PyTorch alone.

  petite-export MODEL --model-name NAME --input-shapes 1,3,224,224 ["1,100" ...]
                [--input-dtypes float32 int64 ...] [--backends portable ...]
                [--target-platform ios|android|embedded|desktop|any] [--output-dir DIR]
                [--model-class module:Class | --arch torchvision:NAME] [--quantize]
                [--custom-op SUBMODULE=NS::NAME] [--kernel-lib LIB.so]
                [--create-summary] [--no-validate] [--verbose]
"""
import argparse
import json
import os
import sys
import tempfile
import time

import torch

from . import capture as cap
from . import custom
from . import dynamic as dyn
from . import load as ld
from . import lower as lw
from . import plan as pl
from . import serialize as ser
from .calibrate import CalibrationError

DTYPES = {"float32": torch.float32, "float": torch.float32, "float16": torch.float16,
          "float64": torch.float64, "int64": torch.int64, "long": torch.int64, "int32": torch.int32,
          "int": torch.int32, "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool}

BACKENDS = {
    "portable": "petite's portable kernels (every CPU)",
    "xnnpack": "XNNPACK-delegated subgraphs (fp32; runs in petite's own XnnpackBackend and in ExecuTorch's)",
    "coreml": "Apple Core ML (needs coremltools and an Apple toolchain)",
    "mps": "Apple Metal Performance Shaders (needs macOS and the MPS backend compiler)",
    "vulkan": "Vulkan GPU (needs the ExecuTorch Vulkan backend's shader compiler)",
    "qnn": "Qualcomm QNN (needs the Qualcomm AI Engine Direct SDK)",
    "arm": "Arm Ethos-U (needs the Arm Vela compiler and TOSA tooling)",
}
AVAILABLE = ["portable", "xnnpack"]
PLATFORM_DEFAULTS = {"ios": ["portable"], "android": ["xnnpack"], "embedded": ["portable"],
                     "desktop": ["xnnpack"], "any": ["xnnpack"]}
DTYPE_NAMES = {v: k for k, v in DTYPES.items() if k in ("float32", "float16", "float64", "int64",
                                                         "int32", "int8", "uint8", "bool")}


class ExportError(Exception):
    pass


def parse_shapes(items):
    """--input-shapes -> (shapes with a dynamic size at its upper bound, [(input, dim)], (lo, hi) or None)"""
    try:
        return dyn.parse(items)
    except dyn.DynamicError as e:
        raise ExportError(str(e))


def log(msg):
    print(msg, flush=True)


def export_program(model, shapes, dtypes, out_path, args, backend="portable"):
    """Capture, lower, plan, write, validate. Returns the sidecar record."""
    t0 = time.time()
    mk = getattr(args, "make_example", None) or _example  # --task text-generation: valid tokens and positions
    example = [x for x in mk(shapes, dtypes, 0)]
    snap = cap.snapshot(model)  # a model with state: this trial run must not advance it
    try:
        with torch.no_grad():
            model(*example)
        cap.restore(model, snap)
    except Exception as e:
        cap.restore(model, snap)
        hint = ""
        if "indices" in str(e) and any(d.is_floating_point for d in dtypes):
            hint = " (an embedding takes integer token ids: pass --input-dtypes int64)"
        raise ExportError("the model does not run on inputs of shapes %s: %s%s" % (shapes, e, hint))
    t = time.time()
    where, bounds = getattr(args, "dyn_where", None) or [], getattr(args, "dyn_bounds", None)
    if bounds and args.quantize == "static":  # calibrated ranges are for one shape
        raise ExportError("--quantize static with a dynamic size is not supported (dynamic, 8da4w and 4w are)")
    with custom.keep(model, getattr(args, "custom_ops", None), example) as custom_names:
        gm = cap.capture(model, example)
        if bounds:  # the same graph at two more sizes: what follows the size becomes computed at run time
            svals = dyn.sizes(bounds)
            gms = [gm] + [cap.capture(model, mk(dyn.at(shapes, where, v), dtypes, 0)) for v in svals[1:]]
            try:
                dyn.analyze(gms, svals)
            except dyn.DynamicError as e:
                raise ExportError("dynamic size %d..%d: %s" % (bounds + (e,)))
            gm.dyn_where = where
    names = getattr(gm, "output_names", None)
    n_nodes = sum(1 for n in gm.graph.nodes if n.op == "call_function")
    log("  capture   %6.2fs  %d ATen nodes" % (time.time() - t, n_nodes))
    if args.verbose:
        log(str(gm.graph))
    t = time.time()
    try:
        from .. import runtime
        runtime.lib()
        check = lambda name: name in custom_names or runtime.has_kernel(name)  # noqa: E731
        unrunnable = [n for n in custom_names if not runtime.has_kernel(n)]
    except Exception:
        check = None  # no runtime library: cannot check kernels (validation will fail)
        unrunnable = list(custom_names)
    if args.quantize == "static" and gm.state:  # calibration runs would advance the state
        raise ExportError("--quantize static with state the model updates in forward (%s) is not supported "
                          "(dynamic, 8da4w and 4w are)" % ", ".join(n for n, _ in gm.state))
    prog = lw.lower(gm, check)
    log("  lower     %6.2fs  %d instructions, %d operators, %d values"
        % (time.time() - t, len(prog.instrs), len(prog.operators()), len(prog.values)))
    if args.verbose:
        for i, ins in enumerate(prog.instrs):
            log("    %4d %s %s" % (i, ins.name, ins.args))
    n_delegated = 0
    samples = None
    if args.quantize == "static":
        from . import calibrate as cal
        t = time.time()
        if getattr(args, "calibration_samples", None):
            samples = [list(x) for x in args.calibration_samples]
        elif args.calibration_data:
            samples = cal.load_calibration(args.calibration_data, shapes, dtypes)
        else:
            samples = [_example(shapes, dtypes, 100 + i) for i in range(16)]
        cal.calibrate(gm, prog, samples, args.calibration_method, args.calibration_percentile)
        log("  calibrate %6.2fs  %d samples (%s), ranges by %s" % (time.time() - t, len(samples),
                                                                  args.calibration_data or "random inputs",
                                                                  args.calibration_method))
    if backend == "xnnpack":
        from . import xnnpack
        t = time.time()
        total = len(prog.instrs)
        n_delegated = xnnpack.delegate(prog, args.quantize, getattr(args, "group_size", None) or xnnpack.INT4_GROUP)
        log("  delegate  %6.2fs  %d of %d instructions in %d XNNPACK subgraphs, %d portable instructions left"
            % (time.time() - t, n_delegated, total, len(prog.delegates), len(prog.instrs) - len(prog.delegates)))
    t = time.time()
    arena, naive = pl.plan_memory(prog)
    log("  plan      %6.2fs  arena %d bytes (sum of all activations %d bytes, %.1fx)"
        % (time.time() - t, arena, naive, naive / arena if arena else 1))
    t = time.time()
    data = ser.serialize(prog, "forward", arena, getattr(args, "constant_methods", None))
    d = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=".petite-export-", suffix=".pte", dir=d)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as any written file (mkstemp makes it 0600)
    rec = {
        "file": os.path.basename(out_path), "file_size": len(data),
        "inputs": [dict({"name": "input_%d" % i, "dtype": DTYPE_NAMES.get(dt, str(dt)), "shape": s},
                        **({"dynamic": [{"dim": d, "min": bounds[0], "max": bounds[1]} for j, d in where if j == i]}
                           if bounds and any(j == i for j, _ in where) else {}))
                   for i, (s, dt) in enumerate(zip(shapes, dtypes))],
        "outputs": [{"name": (names[i] if names and len(names) == len(prog.outputs) else "output_%d" % i),
                     "dtype": _dtname(prog.values[o].dtype), "shape": prog.values[o].shape}
                    for i, o in enumerate(prog.outputs)],
        "operators": ["%s.%s" % k for k in prog.operators()], "op_count": len(prog.instrs),
        "backend": backend,
        "arena_bytes": arena, "activations_sum_bytes": naive, "aten_nodes": n_nodes,
        "delegated_instructions": n_delegated, "xnnpack_subgraphs": len(prog.delegates),
    }
    if gm.state:  # buffers forward updates: kept per method instance across runs, initial values in the file
        rec["state"] = [{"name": n, "dtype": DTYPE_NAMES.get(t.dtype, str(t.dtype)), "shape": list(t.shape)}
                        for n, t in gm.state]
    log("  write     %6.2fs  %s (%d bytes)" % (time.time() - t, out_path, len(data)))
    if custom_names:
        rec["custom_ops"] = list(custom_names)
    if unrunnable and not args.no_validate:
        os.unlink(tmp)
        raise ExportError("validation runs the file in petite, which has no kernel for %s: pass --kernel-lib with the "
                          "library that registers it (see examples/custom_op), or --no-validate to write the file "
                          "without running it" % ", ".join(unrunnable))
    try:
        if not args.no_validate and getattr(args, "validator", None):  # the task's own check (llm.py: greedy tokens)
            t = time.time()
            try:
                res = args.validator(tmp)
            except RuntimeError as e:
                raise ExportError("validation: %s" % e)
            rec["validation"] = res
            log("  validate  %6.2fs  %s: %d of %d tokens equal, max abs error of the logits %.3g (tolerance %.3g%s)"
                % (time.time() - t, res["method"], res["equal_prefix"], res["generated_tokens"], res["max_abs_error"],
                   res["tolerance"], "" if "loose_tolerance" not in res else "; %d steps within it, all within %.3g"
                   % (res["steps_within_tolerance"], res["loose_tolerance"])))
            if not res["passed"]:
                raise ExportError("validation failed: petite's greedy generation differs from eager PyTorch (%d of %d "
                                  "tokens equal, max abs error %.3g, tolerance %.3g%s)"
                                  % (res["equal_prefix"], res["generated_tokens"], res["max_abs_error"], res["tolerance"],
                                     "" if "loose_tolerance" not in res else ", %d steps within it, all within %.3g"
                                     % (res["steps_within_tolerance"], res["loose_tolerance"])))
        elif not args.no_validate:
            t = time.time()
            from . import validate as va
            # int8 calibrated on real data is validated on real data (the last calibration sample)
            val_inputs = samples[-1] if args.quantize == "static" and args.calibration_data else _example(shapes, dtypes, 1)
            if bounds:  # one method instance at several sizes: the upper bound, the lower, one between, the upper again
                lo, hi = bounds
                steps = [_example(dyn.at(shapes, where, v), dtypes, 1 + k) for k, v in enumerate([hi, lo, (lo + hi) // 2, hi])]
                res = va.compare(tmp, model, steps[0], steps=steps)
            elif gm.state:  # stateful: several runs in a row, each checked against eager from the same start
                steps = [val_inputs] + [_example(shapes, dtypes, 2 + k) for k in range(3)]
                res = va.compare(tmp, model, val_inputs, steps=steps)
            else:
                res = va.compare(tmp, model, val_inputs)
            tol = 1e-4 * res["output_scale"] if res["output_scale"] > 0 else 1e-6  # 1e-4 x output scale
            if args.quantize:  # int8 is judged on real data (see the zoo); here only gross errors fail
                tol = 0.25 * res["output_scale"] if res["output_scale"] > 0 else 1e-3
            res["tolerance"] = tol
            res["passed"] = res["max_abs_error"] <= tol and (res["top1_equal"] or bool(args.quantize))
            rec["validation"] = res
            log("  validate  %6.2fs  max abs error %.3g (tolerance %.3g), max rel error %.3g, top-1 %s"
                % (time.time() - t, res["max_abs_error"], tol, res["max_rel_error"],
                   "n/a" if res["degenerate"] else "equal" if res["top1_equal"] else "DIFFERS"))
            if res["degenerate"] and not getattr(args, "probing", False):
                res["probe"] = _probe(model, shapes, dtypes, out_path, args, backend)
                if res["probe"]["passed"] is None:
                    print("petite-export: warning: validation proves little for %s: every output of eager PyTorch is "
                          "one constant value on the validation inputs and no parameter is constant to re-initialize; "
                          "the file's layers were not checked against eager (the sidecar's validation says "
                          "\"degenerate\": true)" % os.path.basename(out_path), file=sys.stderr)
                elif not res["probe"]["passed"]:
                    res["passed"] = False
            if not res["passed"]:
                why = ("max abs error %.3g > %.3g" % (res["max_abs_error"], tol)
                       if res["max_abs_error"] > tol else "top-1 class differs" if not res["top1_equal"] else
                       "eager's outputs are constant; on a copy with %s re-initialized: %s" % (
                           ", ".join(res["probe"]["reinitialized"]), res["probe"]["error"]))
                raise ExportError("validation failed: petite's outputs differ from eager PyTorch (%s)" % why)
        else:
            rec["validation"] = None
            # no comparison with eager, but the file must still run: every instruction's kernel is
            # called once with the arguments as written (names, arity, argument kinds, shapes)
            try:
                from .. import runtime
                runtime.lib()
            except Exception:
                runtime = None
            if runtime is not None and unrunnable:
                log("  not run: no kernel in this process for %s (--kernel-lib)" % ", ".join(unrunnable))
                rec["smoke_run"] = False
            elif runtime is not None:
                try:
                    from .validate import run_isolated
                    run_isolated(tmp, [example])
                except Exception as e:
                    raise ExportError("the written file does not run in petite (--no-validate still runs it once): %s" % e)
                rec["smoke_run"] = True
        os.replace(tmp, out_path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    rec["export_time_s"] = round(time.time() - t0, 3)
    return rec


def _probe(model, shapes, dtypes, out_path, args, backend):
    """Eager's outputs are one constant (torchvision's ViT starts with a zero head), so comparing them checked
    nothing before the constant layer. Export a copy of the model whose constant parameters get seeded random
    values (weight matrices and kernels of one value) through the same pipeline, and validate that copy against its own eager run: the same graph, the
    same lowering and kernels, with outputs that now depend on every layer. Returns the record kept in the
    sidecar's validation["probe"] (passed None: nothing constant to re-initialize)."""
    import copy
    import math
    probe = copy.deepcopy(model)
    g = torch.Generator().manual_seed(1234)
    names = []
    with torch.no_grad():
        for name, p in probe.named_parameters():
            # a weight matrix or kernel of one value (not the ones of a norm or a zero bias: those do not
            # make an output constant by themselves)
            if p.is_floating_point() and p.dim() >= 2 and p.numel() > 1 and bool((p == p.reshape(-1)[0]).all()):
                fan_in = p.shape[1] if p.dim() > 1 else p.shape[0]
                for d in p.shape[2:]:
                    fan_in *= d
                p.copy_(torch.randn(p.shape, generator=g).to(p.dtype) / math.sqrt(max(fan_in, 1)))
                names.append(name)
    rec = {"reinitialized": names, "passed": None}
    if not names:
        return rec
    log("  probe     eager's outputs are constant: validating a copy with %s re-initialized" % ", ".join(names))
    sub = copy.copy(args)
    sub.probing = True
    with tempfile.TemporaryDirectory() as d:
        try:
            r = export_program(probe, shapes, dtypes, os.path.join(d, "probe.pte"), sub, backend)
            v = r["validation"]
            rec.update(max_abs_error=v["max_abs_error"], output_scale=v["output_scale"], tolerance=v["tolerance"],
                       degenerate=v["degenerate"], passed=bool(v["passed"] and not v["degenerate"]))
            if v["degenerate"]:
                rec["error"] = "eager's outputs are still constant"
        except ExportError as e:
            rec.update(passed=False, error=str(e).replace("validation failed: ", "", 1))
    return rec


def _dtname(et):
    return {6: "float32", 4: "int64", 3: "int32", 11: "bool", 0: "uint8", 1: "int8", 5: "float16", 7: "float64"}.get(et, str(et))


def _example(shapes, dtypes, seed):
    from .validate import random_inputs
    return random_inputs(shapes, dtypes, seed)


def _parser():
    ap = argparse.ArgumentParser(prog="petite-export", description=__doc__.split("\n")[1])
    ap.add_argument("model", help=".pt / .pth / .torchscript file; with --task text-generation a checkpoint directory")
    ap.add_argument("--model-name", default=None, help="the files' stem (required, except with --task)")
    ap.add_argument("--input-shapes", nargs="+", default=None,
                    help='"1,3,224,224" ["1,100" ...] or "1,3,224,224;1,100" (required, except with --task)')
    ap.add_argument("--task", choices=["text-generation"], default=None,
                    help="text-generation: a llama-style decoder (Hugging Face checkpoint directory, or --model-class "
                         "giving a petite.export.llm.Decoder) in ExecuTorch's LLM layout: KV cache, metadata methods")
    ap.add_argument("--max-seq-len", type=int, default=128, help="text-generation: the KV cache's length (default 128)")
    ap.add_argument("--embedding-quantize", default=None, metavar="BITS[,GROUP]",
                    help="text-generation: the token table in 8 or 4 bits, groups of GROUP columns (0 or none: one "
                         "scale per row), e.g. 4,32 (the official recipe)")
    ap.add_argument("--validate-tokens", type=int, default=32,
                    help="text-generation: greedy tokens compared with eager (default 32)")
    ap.add_argument("--input-dtypes", nargs="+", default=None)
    ap.add_argument("--backends", nargs="+", default=None)
    ap.add_argument("--target-platform", choices=sorted(PLATFORM_DEFAULTS), default=None)
    ap.add_argument("--output-dir", default="./exported_models")
    ap.add_argument("--model-class", default=None, help="module:Class for a .pth state dict")
    ap.add_argument("--model-args", default=None, help="JSON keyword arguments for --model-class")
    ap.add_argument("--arch", default=None, help="torchvision:NAME for a .pth state dict")
    ap.add_argument("--quantize", nargs="?", const="static", choices=["static", "dynamic", "8da4w", "4w"],
                    default=None,
                    help="static (default: int8 with calibrated activations), dynamic (int8 linear layers with "
                         "dynamically quantized activations), 8da4w (the same with 4-bit groupwise weights) or 4w "
                         "(4-bit weights, fp32 activations)")
    ap.add_argument("--group-size", type=int, choices=[32, 64, 128], default=None,
                    help="--quantize 8da4w / 4w: weights in groups of this many input channels (default 32)")
    ap.add_argument("--calibration-data", default=None, help="directory of .npy inputs for --quantize static")
    ap.add_argument("--calibration-method", choices=["minmax", "percentile", "mse"], default="minmax",
                    help="activation ranges for --quantize static: the observed extremes (default), a percentile "
                         "at each end (--calibration-percentile), or the range with the least int8 round-trip error")
    ap.add_argument("--calibration-percentile", type=float, default=99.99,
                    help="with --calibration-method percentile: the percentile kept at each end (default 99.99)")
    ap.add_argument("--input-mean", type=float, nargs="+", default=None,
                    help="per-channel mean of pixel / 255 the model expects (written to the sidecar JSON, read by "
                         "petite classify / detect)")
    ap.add_argument("--input-std", type=float, nargs="+", default=None,
                    help="per-channel std of pixel / 255 the model expects (sidecar, as --input-mean)")
    ap.add_argument("--custom-op", action="append", default=[], metavar="SUBMODULE=NS::NAME",
                    help="keep a submodule as one call of the custom operator NS::NAME (written as NS::NAME.out: "
                         "its inputs, then its parameters and buffers); the app registers the kernel in C "
                         "(petite_register_kernel or a kernel library). Repeatable")
    ap.add_argument("--kernel-lib", action="append", default=[], metavar="LIB.so",
                    help="a kernel library (exports petite_kernel_library_init) loaded into petite for "
                         "validation: the kernels of --custom-op operators. Repeatable")
    ap.add_argument("--create-summary", action="store_true")
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    return ap


def main(argv=None):
    ap = _parser()
    args = ap.parse_args(argv)
    torch.manual_seed(0)
    if args.task == "text-generation":
        return _text_generation(args)
    if args.model_name is None or args.input_shapes is None:
        ap.error("--model-name and --input-shapes are required (except with --task)")
    try:
        shapes, args.dyn_where, args.dyn_bounds = parse_shapes(args.input_shapes)
        names = args.input_dtypes or ["float32"] * len(shapes)
        if len(names) != len(shapes):
            raise ExportError("%d input dtypes for %d input shapes" % (len(names), len(shapes)))
        bad = [n for n in names if n not in DTYPES]
        if bad:
            raise ExportError("unknown input dtype %s (known: %s)" % (bad[0], ", ".join(sorted(DTYPES))))
        dtypes = [DTYPES[n] for n in names]
        if args.group_size and args.quantize not in ("8da4w", "4w"):
            raise ExportError("--group-size is for --quantize 8da4w / 4w")
        _prepare_custom(args)
        backends = args.backends or (PLATFORM_DEFAULTS[args.target_platform] if args.target_platform
                                     else (["xnnpack"] if args.quantize else ["portable", "xnnpack"]))
        unknown = [b for b in backends if b not in BACKENDS]
        if unknown:
            raise ExportError("unknown backend %s (known: %s)" % (unknown[0], ", ".join(BACKENDS)))
        t = time.time()
        model_args = json.loads(args.model_args) if args.model_args else None
        model, kind = ld.load_model(args.model, args.model_class, args.arch, model_args)
        model.eval()
        log("petite-export %s: %s (%s)" % (args.model_name, args.model, kind))
        log("  load      %6.2fs" % (time.time() - t))
    except (ExportError, ld.LoadError, json.JSONDecodeError, custom.CustomOpError) as e:
        print("petite-export: error: %s" % e, file=sys.stderr)
        return 2
    results = _export_all(model, shapes, dtypes, backends, args)
    return 0 if all(r["success"] for r in results) else 1


def _text_generation(args):
    """--task text-generation: the decoder with its KV cache, one dynamic prompt length through the
    chosen backend, the metadata methods; validated by greedy generation (llm.py)"""
    from . import llm
    try:
        s = args.max_seq_len
        if not 2 <= s <= 65536:
            raise ExportError("--max-seq-len %d: expected 2..65536" % s)
        if args.input_shapes or args.input_dtypes:
            raise ExportError("--task text-generation: the inputs are fixed (tokens [1, T], input_pos [1]); "
                              "leave out --input-shapes / --input-dtypes")
        if args.group_size and args.quantize not in ("8da4w", "4w"):
            raise ExportError("--group-size is for --quantize 8da4w / 4w")
        if args.quantize == "static":
            raise ExportError("--task text-generation --quantize static is not supported: dynamic (8-bit weights), "
                              "8da4w (4-bit weights in groups of --group-size) or 4w")
        _prepare_custom(args)
        t = time.time()
        if os.path.isdir(args.model):
            model = llm.load_checkpoint(args.model, s)
        else:
            model_args = json.loads(args.model_args) if args.model_args else None
            model, _ = ld.load_model(args.model, args.model_class, args.arch, model_args)
            if not isinstance(model, llm.Decoder):
                raise ExportError("--task text-generation takes a checkpoint directory or a petite.export.llm.Decoder "
                                  "(got %s)" % type(model).__name__)
            if model.max_seq_len != s:
                raise ExportError("the Decoder's max_seq_len is %d, --max-seq-len %d" % (model.max_seq_len, s))
        model.eval()
        if args.embedding_quantize:
            try:
                parts = [int(x) for x in args.embedding_quantize.split(",")]
                bits, group = parts[0], (parts[1] if len(parts) > 1 else 0)
                if len(parts) > 2:
                    raise ValueError("BITS[,GROUP]")
                model.quantize_embeddings(bits, group)
            except ValueError as e:
                raise ExportError("--embedding-quantize %s: %s" % (args.embedding_quantize, e))
        args.model_name = args.model_name or os.path.basename(os.path.normpath(args.model)).split(".")[0]
        log("petite-export %s: %s (text-generation, %d layers, vocabulary %d, max_seq_len %d)"
            % (args.model_name, args.model, model.config.num_hidden_layers, model.config.vocab_size, s))
        log("  load      %6.2fs" % (time.time() - t))
    except (ExportError, ld.LoadError, llm.CheckpointError, json.JSONDecodeError, custom.CustomOpError) as e:
        print("petite-export: error: %s" % e, file=sys.stderr)
        return 2
    shapes, args.dyn_where, args.dyn_bounds = parse_shapes(["1,1..%d" % (s - 1), "1"])
    dtypes = [torch.int64, torch.int64]
    vocab = model.config.vocab_size

    def make_example(shapes, dtypes, seed):
        g = torch.Generator().manual_seed(seed)
        return [torch.randint(0, vocab, tuple(shapes[0]), generator=g), torch.zeros(1, dtype=torch.int64)]
    args.make_example = make_example
    args.constant_methods = model.metadata()
    args.validator = llm.validator(model, args.validate_tokens, min(8, s // 2), args.quantize,
                                   args.group_size or 32)
    results = _export_all(model, shapes, dtypes, args.backends or ["xnnpack"], args)
    for r in results:
        if r["success"]:
            r["llm"] = dict(model.metadata(), config=model.config.as_dict())
            stem = os.path.splitext(r["file"])[0]
            with open(os.path.join(args.output_dir, stem + ".json"), "w") as f:
                json.dump(r, f, indent=2)
    return 0 if all(r["success"] for r in results) else 1


def _prepare_custom(args):
    """--custom-op parsed into args.custom_ops; --kernel-lib libraries loaded into petite."""
    args.custom_ops = custom.parse(args.custom_op)
    for path in args.kernel_lib:
        try:
            from .. import runtime
            runtime.load_kernel_library(path)
        except Exception as e:
            raise ExportError("--kernel-lib %s: %s" % (path, e))


def _export_all(model, shapes, dtypes, backends, args):
    """Every backend's file, sidecar and (with create_summary) the summary; returns the result records."""
    os.makedirs(args.output_dir, exist_ok=True)
    results = []
    for backend in backends:
        stem = args.model_name + ("_" + args.target_platform if args.target_platform else "") + "_" + backend
        stem += "_quantized" if args.quantize else ""
        out = os.path.join(args.output_dir, stem + ".pte")
        rec = {"model_name": args.model_name, "backend": backend, "quantized": args.quantize or False,
               "target_platform": args.target_platform, "file": os.path.basename(out)}
        log("[%s] -> %s" % (backend, out))
        try:
            if backend not in AVAILABLE:
                raise ExportError("backend %s: %s" % (backend, BACKENDS[backend]))
            if args.quantize and backend != "xnnpack":
                raise ExportError("--quantize writes int8 XNNPACK subgraphs: use --backends xnnpack")
            rec.update(export_program(model, shapes, dtypes, out, args, backend))
            if args.input_mean or args.input_std:  # for petite classify / detect and apps
                rec["preprocessing"] = {"mean": args.input_mean or [0.0], "std": args.input_std or [1.0]}
            rec["success"] = True
            with open(os.path.join(args.output_dir, stem + ".json"), "w") as f:
                json.dump(rec, f, indent=2)
        except (ExportError, cap.CaptureError, lw.LowerError, CalibrationError) as e:
            rec["success"], rec["error"] = False, str(e)
            log("  FAILED: %s" % e)
        except Exception as e:  # a bug or an unexpected model: still one clear line
            rec["success"], rec["error"] = False, "%s: %s" % (type(e).__name__, e)
            log("  FAILED: %s: %s" % (type(e).__name__, e))
        # the upstream exporter's keys, beside petite's own
        rec["output_path"] = os.path.abspath(out) if rec["success"] else None
        rec["file_size_mb"] = round(rec.get("file_size", 0) / (1024 * 1024), 4) if rec["success"] else 0.0
        rec["error_message"] = rec.get("error")
        rec["export_time_seconds"] = rec.get("export_time_s", 0.0)
        rec["metadata"] = {"backend": backend, "quantization": rec["quantized"], "target_platform": args.target_platform,
                           "input_shapes": shapes, "input_dtypes": [str(d).replace("torch.", "") for d in dtypes]}
        results.append(rec)
    ok = [r for r in results if r["success"]]
    if args.create_summary:
        summary = {
            "export_summary": {
                "model_name": args.model_name, "total_exports": len(results),
                "successful_exports": len(ok), "failed_exports": len(results) - len(ok),
                "total_size_mb": round(sum(r.get("file_size", 0) for r in ok) / 1e6, 4),
            },
            "results": results,
            "available_backends": {b: b in AVAILABLE for b in BACKENDS},
            "backend_info": {b: {"available": b in AVAILABLE, "description": d} for b, d in BACKENDS.items()},
        }
        with open(os.path.join(args.output_dir, "export_summary.json"), "w") as f:
            json.dump(summary, f, indent=2)
    log("%d of %d exports succeeded" % (len(ok), len(results)))
    return results


def export_model(model, example_inputs, model_name="model", backends=None, output_dir="./exported_models",
                 quantize=None, calibration_samples=None, calibration_method="minmax", target_platform=None,
                 validate=True, create_summary=False, input_mean=None, input_std=None, verbose=False,
                 custom_ops=None, kernel_libs=None, dynamic_dims=None):
    """Export an in-memory nn.Module (what the CLI does after loading a file): one .pte and sidecar JSON per
    backend in output_dir, validated against eager PyTorch unless validate=False. example_inputs: a
    tensor or a list of tensors (their shapes and dtypes are the inputs'); calibration_samples: a list of
    input lists for quantize="static" (default: 16 random ones); custom_ops: {submodule path: "ns::name"} kept
    as custom operator calls, kernel_libs: kernel libraries loaded for validation (as --custom-op and
    --kernel-lib); dynamic_dims: [(input index, dim, min, max)], one size shared by all (as LO..HI in
    --input-shapes; the portable backend). Returns the result records (the keys
    of export_summary.json's "results"); raises ExportError for bad arguments."""
    xs = [example_inputs] if isinstance(example_inputs, torch.Tensor) else list(example_inputs)
    if not xs or not all(isinstance(x, torch.Tensor) for x in xs):
        raise ExportError("example_inputs: a tensor or a list of tensors")
    names = {v: k for k, v in DTYPES.items() if k in ("float32", "float16", "float64", "int64", "int32", "int8",
                                                        "uint8", "bool")}
    spec = [[str(d) for d in x.shape] for x in xs]
    for i, d, lo, hi in dynamic_dims or []:
        if not (0 <= i < len(spec) and 0 <= d < len(spec[i])):
            raise ExportError("dynamic_dims: input %d has no dim %d" % (i, d))
        spec[i][d] = "%d..%d" % (lo, hi)
    argv = ["<in-memory>", "--model-name", model_name, "--input-shapes", *[",".join(x) for x in spec],
            "--input-dtypes", *[names[x.dtype] for x in xs], "--output-dir", output_dir,
            "--calibration-method", calibration_method]
    argv += ["--backends", *backends] if backends else []
    argv += ["--quantize", quantize] if quantize else []
    argv += ["--target-platform", target_platform] if target_platform else []
    argv += ["--no-validate"] if not validate else []
    argv += ["--create-summary"] if create_summary else []
    argv += ["--input-mean", *[str(v) for v in input_mean]] if input_mean else []
    argv += ["--input-std", *[str(v) for v in input_std]] if input_std else []
    argv += ["--verbose"] if verbose else []
    for path, op in (custom_ops or {}).items():
        argv += ["--custom-op", "%s=%s" % (path, op)]
    for lib_path in kernel_libs or []:
        argv += ["--kernel-lib", lib_path]
    args = _parser().parse_args(argv)
    try:
        _prepare_custom(args)
    except custom.CustomOpError as e:
        raise ExportError(str(e))
    args.calibration_samples = calibration_samples
    shapes, args.dyn_where, args.dyn_bounds = parse_shapes(args.input_shapes)
    dtypes = [x.dtype for x in xs]
    chosen = args.backends or (PLATFORM_DEFAULTS[args.target_platform] if args.target_platform
                               else (["xnnpack"] if args.quantize else ["portable", "xnnpack"]))
    unknown = [b for b in chosen if b not in BACKENDS]
    if unknown:
        raise ExportError("unknown backend %s (known: %s)" % (unknown[0], ", ".join(BACKENDS)))
    torch.manual_seed(0)
    model.eval()
    return _export_all(model, shapes, dtypes, chosen, args)


if __name__ == "__main__":
    sys.exit(main())
