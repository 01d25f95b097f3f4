"""petite-export: PyTorch model -> ExecuTorch .pte, on PyTorch alone (no executorch package).

Pipeline: load (load.py) -> capture an ATen graph with make_fx (capture.py) -> lower to the
ExecuTorch edge operator set, out-variants with the official names (lower.py) -> plan memory
(plan.py) -> write the flatbuffer Program with the extended header and a constant segment
(serialize.py) -> validate the file in petite against eager PyTorch (validate.py)."""
