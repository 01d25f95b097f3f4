"""petite: Python side of the petite runtime (ctypes binding) and the petite-export exporter."""
