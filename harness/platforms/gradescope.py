"""Builds the Gradescope autograder zip, and tries it on a submission before you upload it.

    python -m harness gradescope [--out DIR] [--hidden DIR] [--spec documented]   DIR/gradescope-autograder.zip
    python -m harness gradescope --try SUBMISSION [--out DIR]   ... then grade SUBMISSION with it

The zip holds the kit (harness/, lessons/steps.toml, reference/), the hidden checks if any
(as hidden/), and Gradescope's two scripts: setup.sh (run once, as root, on Gradescope's
Ubuntu image: Python 3.11 or newer in a virtual environment, the kit installed from source)
and run_autograder (run for each submission: python -m harness.platforms.autograder). `--try` lays
out a Gradescope-like folder in a temporary directory, with this Python standing in for the
one setup.sh would install, runs run_autograder there and keeps its results.json in DIR.
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from harness.model import kit
from harness.model.manifest import SPECS, ManifestError, add_hidden, load_manifest
from harness.model.schema import refused_in_one_line
from harness.platforms import autograder

ROOT = kit.ROOT
ZIP_NAME = "gradescope-autograder.zip"
TRY_RESULTS = "try-results.json"
KIT = ("pyproject.toml", "README.md", "lessons/steps.toml", "reference/srv.py", "reference/cli.py")
KIT_GLOBS = ("harness/**/*.py", "harness/**/*.toml")
EXECUTABLE, READABLE = 0o100755, 0o100644  # regular files: run and read by anyone, or read
TRY_TIMEOUT = 600  # seconds

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# Written by harness/platforms/gradescope.py: change that, not this.
set -euo pipefail
ROOT="${{{variable}:-{default}}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv python3-pip
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    apt-get install -y --no-install-recommends python3.11 python3.11-venv  # Ubuntu 22.04 has 3.10
    PYTHON=python3.11
fi
"$PYTHON" -m venv "$ROOT/{venv}"
"$ROOT/{venv}/bin/python" -m pip install --upgrade pip
"$ROOT/{venv}/bin/python" -m pip install -e "$ROOT/{source}"
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission; the results go to $ROOT/{results}.
# Written by harness/platforms/gradescope.py: change that, not this.
ROOT="${{{variable}:-{default}}}"
RESULTS="$ROOT/{results}"
rm -f "$RESULTS"
cd "$ROOT/{source}" && "$ROOT/{venv}/bin/python" -m harness.platforms.autograder {options}"$@"
if [ ! -s "$RESULTS" ]; then  # the grader could not even start: still tell the student
    mkdir -p "$(dirname "$RESULTS")"
    cat > "$RESULTS" <<'JSON'
{fallback}
JSON
fi
"""


def scripts(spec: str = "all") -> dict[str, str]:
    """setup.sh and run_autograder, with the paths of harness/platforms/autograder.py filled in; spec: the
    checks every submission is graded on (manifest.SPECS)."""
    fallback = autograder.failure("The autograder could not start; please tell your instructor.")
    names = {
        "variable": autograder.ROOT_VARIABLE,
        "default": autograder.DEFAULT_ROOT,
        "source": autograder.SOURCE,
        "venv": autograder.VENV,
        "results": autograder.RESULTS,
        "fallback": json.dumps(fallback, indent=2),
        "options": "" if spec == "all" else f"--spec {spec} ",
    }
    return {"setup.sh": SETUP.format(**names), "run_autograder": RUN.format(**names)}


def kit_files() -> list[Path]:
    """The kit's files the grader needs, relative to the kit's root."""
    found = {Path(name) for name in KIT}
    for pattern in KIT_GLOBS:
        found |= {path.relative_to(ROOT) for path in ROOT.glob(pattern) if "__pycache__" not in path.parts}
    return sorted(found)


def build(out: Path, hidden: Path | None = None, spec: str = "all") -> Path:
    """Write out/gradescope-autograder.zip; the same files always give the same zip."""
    manifest = load_manifest()  # a broken manifest or hidden folder fails here, not on Gradescope
    if hidden is not None:
        add_hidden(manifest, hidden)
    out.mkdir(parents=True, exist_ok=True)
    path = out / ZIP_NAME
    if hidden is None and _has_hidden(path):  # never lose an instructor's hidden checks silently
        raise ManifestError(
            f"{path} holds hidden checks, and this build has none: give --hidden DIR, "
            "or --out another folder, or delete the zip first"
        )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in scripts(spec).items():
            _add(archive, name, text.encode(), EXECUTABLE)
        for relative in kit_files():
            _add(archive, relative.as_posix(), (ROOT / relative).read_bytes())
        if hidden is not None:
            for file in sorted(p for p in hidden.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
                _add(archive, f"{autograder.HIDDEN}/{file.relative_to(hidden).as_posix()}", file.read_bytes())
    return path


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int = READABLE) -> None:
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # no dates: the same files, the same zip
    entry.external_attr = mode << 16  # the Unix mode: unzip and Gradescope keep scripts executable
    archive.writestr(entry, data, zipfile.ZIP_DEFLATED)


def lay_out(zip_path: Path, submission: Path, base: Path) -> None:
    """A Gradescope-like base: the zip in source/, the files of submission in submission/, and
    venv/bin/python running this Python, in place of the one setup.sh would install."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(base / autograder.SOURCE)
    python = base / autograder.VENV / "bin" / "python"
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    shutil.copytree(submission, base / autograder.SUBMISSION, dirs_exist_ok=True)


def run_autograder(base: Path, args: tuple[str, ...] = (), quiet: bool = False) -> dict:
    """Run base's run_autograder as Gradescope would, with base as /autograder; its results.json."""
    env = {**os.environ, autograder.ROOT_VARIABLE: str(base)}
    output = subprocess.DEVNULL if quiet else None
    command = ["bash", str(base / autograder.SOURCE / "run_autograder"), *args]
    process = subprocess.Popen(command, env=env, stdout=output, stderr=output, start_new_session=True)
    try:
        process.wait(timeout=TRY_TIMEOUT)
    finally:
        if process.poll() is None:  # interrupted or too slow: Ctrl-C, and the grader ends its programs
            os.killpg(process.pid, signal.SIGINT)  # its own group, whose ID is its PID
            process.wait()
    return json.loads((base / autograder.RESULTS).read_text(encoding="utf-8"))


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m harness gradescope", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("dist"), metavar="DIR", help="where the zip goes (dist)")
    parser.add_argument("--hidden", type=Path, metavar="DIR", help="put these hidden checks in the zip")
    parser.add_argument("--try", type=Path, dest="submission", metavar="DIR", help="then grade this folder with it")
    parser.add_argument("--spec", choices=SPECS, default="all", help="documented: grade the documented layer only")
    args = parser.parse_args(argv)
    if args.hidden is not None and not args.hidden.is_dir():
        parser.error(f"--hidden: no such folder: {args.hidden}")
    if args.submission is not None and not args.submission.is_dir():
        parser.error(f"--try: no such folder: {args.submission}")
    return args


def _has_hidden(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.startswith(f"{autograder.HIDDEN}/") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    kit.need_checkout("gradescope")  # the zip holds the kit's source, installed from it on Gradescope
    with refused_in_one_line("gradescope"):
        path = build(args.out, args.hidden, args.spec)
    print(f"wrote {path}: upload it as the assignment's autograder")
    if args.submission is None:
        return 0
    with tempfile.TemporaryDirectory(prefix="gradescope-try-") as base:
        lay_out(path, args.submission, Path(base))
        results = run_autograder(Path(base))
    kept = args.out / TRY_RESULTS
    autograder.write(results, kept)
    print(f"{args.submission}: {results['score']:g} points; {results.get('output', '')}; results.json in {kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
