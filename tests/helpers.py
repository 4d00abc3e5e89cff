"""Small helpers shared by tests."""

import importlib.util
from pathlib import Path
from types import ModuleType


def load_program(path: Path) -> ModuleType:
    """A program (reference/srv.py, say) as a module, to test its parts; its main() is not run."""
    spec = importlib.util.spec_from_file_location(f"program_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
