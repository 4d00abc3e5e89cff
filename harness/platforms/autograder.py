"""Gradescope's side of the autograder: grade one submission, and always leave a results.json.

Gradescope unpacks the autograder zip (built by harness/platforms/gradescope.py) into ROOT/source, puts
the student's upload in ROOT/submission and collects ROOT/results/results.json. ROOT is
/autograder there; $AUTOGRADER_ROOT moves it, so the autograder can be tried anywhere.

    python -m harness.platforms.autograder [STEP] [grade options]    (what run_autograder runs, from ROOT/source)

srv.py and cli.py are taken from the top of the upload, or else from the shallowest folder
that has them (students often upload the folder; harness/grader/submission.py). Whatever goes wrong, the student gets a
results.json: no points, and a message saying why.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.grader import submission

ROOT_VARIABLE = "AUTOGRADER_ROOT"
DEFAULT_ROOT = "/autograder"
SOURCE = "source"  # the zip's contents
SUBMISSION = "submission"  # the student's upload
RESULTS = "results/results.json"
VENV = "venv"  # made by setup.sh; its python runs the grader
HIDDEN = "hidden"  # in SOURCE, when the zip was built with hidden checks
GRADE_TIMEOUT = 20 * 60  # seconds; Gradescope's own limit is set per assignment
STOP_PATIENCE = 30  # seconds an interrupted grader may take to end its programs


def root() -> Path:
    return Path(os.environ.get(ROOT_VARIABLE, DEFAULT_ROOT))


def failure(message: str) -> dict:
    """A results.json Gradescope accepts when there is nothing to grade or grading failed."""
    return {"score": 0.0, "output": message, "visibility": "visible", "stdout_visibility": "visible", "tests": []}


def is_results(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text(encoding="utf-8")).get("score"), int | float)
    except (OSError, ValueError, AttributeError):
        return False


def write(data: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def grade(argv: list[str], base: Path, results: Path) -> None:
    """Copy the programs to a folder of their own, and grade it with harness.grade."""
    try:
        found = submission.locate(base / SUBMISSION)
    except submission.SubmissionError as error:
        write(failure(f"{str(error)[0].upper()}{str(error)[1:]}."), results)
        return
    with tempfile.TemporaryDirectory(prefix="autograder-") as work:
        folder = Path(work) / "submission"
        folder.mkdir()
        for name in submission.PROGRAMS:
            if (found / name).is_file():
                shutil.copy(found / name, folder / name)
        hidden = base / SOURCE / HIDDEN
        command = [sys.executable, "-m", "harness.grade", "--path", str(folder), "--json", str(results)]
        command += ["--hidden", str(hidden)] if hidden.is_dir() else []
        status, stderr = run([*command, *argv], base / SOURCE)
    sys.stderr.write(stderr)
    if not is_results(results):
        said = (stderr.strip().splitlines() or [f"exit status {status}"])[-1]
        write(failure(f"The autograder could not grade this submission; please tell your instructor: {said}"), results)


def run(command: list[str], cwd: Path) -> tuple[int, str]:
    """Run the grader, its output shown, its errors kept; past GRADE_TIMEOUT it is interrupted
    (Ctrl-C: it ends every program it started), then killed if it does not stop."""
    process = subprocess.Popen(command, cwd=cwd, stderr=subprocess.PIPE, text=True)
    try:
        return _finish(process, GRADE_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGINT)
        try:
            status, stderr = _finish(process, STOP_PATIENCE)
        except subprocess.TimeoutExpired:
            process.kill()
            status, stderr = _finish(process, None)
        return status, stderr + f"\ngrading took more than {GRADE_TIMEOUT} s and was stopped"


def _finish(process: subprocess.Popen, timeout: float | None) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=timeout)
    return process.returncode, stderr


def main(argv: list[str]) -> int:
    base = root()
    results = base / RESULTS
    results.unlink(missing_ok=True)
    try:
        grade(argv, base, results)
    except Exception as error:  # anything at all: Gradescope must still get a results.json
        write(failure(f"The autograder failed; please tell your instructor: {error!r}"), results)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
