"""petite-export: PyTorch model -> ExecuTorch .pte, on PyTorch alone (no executorch package).

Pipeline: load (load.py) -> capture an ATen graph with make_fx (capture.py) -> lower to the
ExecuTorch edge operator set, out-variants with the official names (lower.py) -> plan memory
(plan.py) -> write the flatbuffer Program with the extended header and a constant segment
(serialize.py) -> validate the file in petite against eager PyTorch (validate.py)."""


def export_model(*args, **kwargs):
    """petite.export.export_model(model, example_inputs, model_name=..., backends=..., quantize=...):
    the in-memory form of petite-export (see cli.export_model)."""
    from .cli import export_model as _export_model
    return _export_model(*args, **kwargs)
