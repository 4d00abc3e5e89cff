"""Small helpers shared by tests."""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def load_program(path: Path) -> ModuleType:
    """A program (reference/srv.py, say) as a module, to test its parts; its main() is not run."""
    spec = importlib.util.spec_from_file_location(f"program_{path.parent.name}_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def plain(text: str) -> str:
    """Text without its ANSI colours (results.json's output is in Gradescope's "ansi" format)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def grade(*args, timeout=120) -> subprocess.CompletedProcess:
    """`python -m harness.grade ARGS` as a user runs it, from the top of the kit, wide and plain."""
    env = {**os.environ, "COLUMNS": "160", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "harness.grade", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def reference_submission(folder: Path) -> Path:
    """A folder handing in the reference's srv.py and cli.py, as a student who got it all right."""
    from harness.engine import runner  # the harness's idea of where the reference lives

    folder.mkdir(parents=True, exist_ok=True)
    for program in (runner.REFERENCE_SERVER, runner.REFERENCE_CLIENT):
        shutil.copy(program, folder)
    return folder
