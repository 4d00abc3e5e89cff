"""Correct programs written differently from the reference pass every check.

Each folder under tests/variants/ holds a srv.py, a cli.py or both that behave exactly as
the protocol says but are built another way (threads, several send() calls,
sys.stdout.write, selectors, ...); a program a variant leaves out is the reference's. A
check that fails one of them is too strict: it judges style, not behaviour.
"""

import shutil
from pathlib import Path

import pytest

from harness.engine import runner
from harness.grader import grading
from harness.model.manifest import load_manifest

VARIANTS = Path(__file__).resolve().parent / "variants"
# Programs written as the documentation shows (documented-*) follow the documented layer,
# not the kit's rules: tests/test_layers.py grades them on that layer.
FOLDERS = sorted(f for f in VARIANTS.iterdir() if f.is_dir() and not f.name.startswith("documented-"))


def complete(folder: Path, workdir: Path) -> Path:
    """The variant's programs, with the reference's for the one it leaves out."""
    target = workdir / folder.name
    target.mkdir()
    for reference in (runner.REFERENCE_SERVER, runner.REFERENCE_CLIENT):
        shutil.copy(folder / reference.name if (folder / reference.name).exists() else reference, target)
    return target


def test_there_are_variants():
    assert {folder.name for folder in FOLDERS} >= {
        "threads-server",
        "cursor-up-A",
        "stdout-write",
        "several-sends",
        "restructured",
    }
    for folder in FOLDERS:
        assert (folder / "srv.py").is_file() or (folder / "cli.py").is_file(), folder


@pytest.mark.slow
@pytest.mark.parametrize("folder", FOLDERS, ids=[folder.name for folder in FOLDERS])
def test_variant_passes_every_check(folder, tmp_path):
    manifest = load_manifest()
    grade = grading.grade([grading.folder_target(manifest, complete(folder, tmp_path))])
    assert grade.results, "the manifest has no checks"
    wrong = [f"{r.check.name} ({r.check.part}): {r.status}: {r.message}" for r in grade.results if r.status != "passed"]
    assert not wrong, f"{folder.name} should pass every check:\n" + "\n".join(wrong)
    assert grade.score == grade.max_score
