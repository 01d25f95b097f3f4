"""Load a model file: a pickled nn.Module (.pt/.pth), TorchScript (.pt/.torchscript), or a state
dict (.pth) together with --model-class module:Class or --arch torchvision:NAME."""
import importlib
import os
import sys
import zipfile

import torch


class LoadError(Exception):
    pass


def _is_torchscript(path):
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.split("/", 1)[-1].startswith("code/") for n in z.namelist())
    except zipfile.BadZipFile:
        return False


def _import_class(spec, model_path):
    if ":" not in spec:
        raise LoadError("--model-class wants module:Class, got %r" % spec)
    mod, cls = spec.split(":", 1)
    for d in (os.getcwd(), os.path.dirname(os.path.abspath(model_path))):
        if d not in sys.path:
            sys.path.insert(0, d)
    try:
        return getattr(importlib.import_module(mod), cls)
    except (ImportError, AttributeError) as e:
        raise LoadError("cannot import %s: %s" % (spec, e))


def _arch(spec, state):
    src, _, name = spec.partition(":")
    if src != "torchvision" or not name:
        raise LoadError("--arch wants torchvision:NAME (e.g. torchvision:resnet18), got %r" % spec)
    import torchvision
    ctor = getattr(torchvision.models, name, None)
    if ctor is None:
        raise LoadError("torchvision has no model %r" % name)
    # the classifier's width from the state dict (the last 2-D weight)
    mats = [v for k, v in state.items() if k.endswith("weight") and getattr(v, "dim", lambda: 0)() == 2]
    kw = {"num_classes": int(mats[-1].shape[0])} if mats else {}
    return ctor(**kw)


def load_model(path, model_class=None, arch=None, model_args=None):
    if not os.path.isfile(path):
        raise LoadError("model file %s does not exist" % path)
    if _is_torchscript(path):
        try:
            return torch.jit.load(path, map_location="cpu"), "torchscript"
        except Exception as e:
            raise LoadError("cannot load TorchScript %s: %s" % (path, e))
    if model_class:
        sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:
        raise LoadError("cannot load %s: %s: %s (a pickled module needs its class importable: "
                        "run from its directory or pass --model-class)" % (path, type(e).__name__, e))
    if isinstance(obj, torch.nn.Module):
        return obj, "module"
    if isinstance(obj, dict):
        state = obj
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(obj.get(key), dict):
                state = obj[key]
        if model_class:
            model = _import_class(model_class, path)(**(model_args or {}))
        elif arch:
            model = _arch(arch, state)
        else:
            raise LoadError("%s holds a state dict without its architecture: pass --model-class "
                            "module:Class or --arch torchvision:NAME" % path)
        try:
            model.load_state_dict(state)
        except Exception as e:
            raise LoadError("the state dict does not fit %s: %s" % (model_class or arch, e))
        return model, "state_dict"
    raise LoadError("%s holds a %s, not a model or a state dict" % (path, type(obj).__name__))
