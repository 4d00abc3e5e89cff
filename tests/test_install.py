"""`pip install .` (not editable) gives a kit that grades a folder from anywhere: what grading
reads travels inside the package (harness/model/kit.py, setup.py), and the installed kit reads
nothing of the checkout it was built from."""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from harness.model import kit
from harness.model.manifest import load_manifest
from tests.helpers import ROOT

pytestmark = pytest.mark.slow  # a build, then every check graded: about 15 s on an idle machine
# Not the build's business: the build writes build/ and *.egg-info into the tree it builds.
NOT_COPIED = (".git", ".venv", ".nox", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", "build", "dist")


def run(command: list, cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="session")
def installed(made_once) -> tuple[Path, Path]:
    return made_once("install", install)


def install(base: Path) -> tuple[Path, Path]:
    """A fresh virtual environment with the kit built from (a copy of) this checkout and
    installed in it as `pip install .` does, and a folder outside both to work in.

    pip is this environment's, pointed at the new one (--python). The runtime dependencies
    come from this environment's site-packages through a .pth file, which is quick; the
    build's own (setuptools) pip fetches for an isolated build, as for any `pip install .`,
    from the index pip is configured with."""
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_COPIED, ".cache"), symlinks=True)
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    query = [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
    site = Path(run(query, base, user_env(base)).stdout.strip())
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site / "dependencies-from-the-tests.pth").write_text("".join(f"{path}\n" for path in ours))
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", source]
    built = run(pip, base, {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    elsewhere = base / "elsewhere"
    elsewhere.mkdir()
    return venv, elsewhere


def user_env(base: Path) -> dict[str, str]:
    """A user's environment: no PYTHONPATH to the checkout, the cache in the test's folder."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, "XDG_CACHE_HOME": str(base / "cache"), "COLUMNS": "160", "NO_COLOR": "1"}


def test_the_installed_kit_is_the_packages_own_with_the_files_grading_reads(installed):
    venv, elsewhere = installed
    probe = (
        "import json, harness, harness.model.kit as k; print(json.dumps([harness.__file__, k.CHECKOUT, str(k.ROOT)]))"
    )
    where = run([venv / "bin" / "python", "-c", probe], elsewhere, user_env(elsewhere.parent))
    assert where.returncode == 0, where.stderr
    module, checkout, root = json.loads(where.stdout)
    assert Path(module).is_relative_to(venv), f"the installed kit imported {module}, not its own"
    assert checkout is None and Path(root).is_relative_to(venv)
    missing = [name for name in kit.CARRIED if not (Path(root) / name).is_file()]
    assert not missing, f"the installed kit lacks {missing}"


def test_the_installed_kit_grades_a_folder_from_anywhere_with_full_marks(installed):
    venv, elsewhere = installed
    submission = elsewhere / "submission"
    submission.mkdir()
    for program in (kit.REFERENCE_SERVER, kit.REFERENCE_CLIENT):
        shutil.copy(program, submission)
    command = [venv / "bin" / "python", "-m", "harness.grade", "--path", submission.name, "--json", "results.json"]
    graded = run(command, elsewhere, user_env(elsewhere.parent))
    assert graded.returncode == 0, graded.stdout + graded.stderr
    assert "every check passed" in graded.stdout
    data = json.loads((elsewhere / "results.json").read_text())
    points = sum(check.points for step in load_manifest().steps for check in step.checks)
    assert data["score"] == data["extra_data"]["max_score"] == points


def test_the_installed_command_lists_its_commands_and_the_authoring_tools_ask_for_a_checkout(installed):
    venv, elsewhere = installed
    env = user_env(elsewhere.parent)
    listed = run([venv / "bin" / "chatroom-kit", "--help"], elsewhere, env)
    assert listed.returncode == 0 and "grade" in listed.stdout and "scenario" in listed.stdout
    own = run([venv / "bin" / "chatroom-kit", "grade", "--help"], elsewhere, env)
    assert own.returncode == 0 and "--path DIR" in own.stdout
    refused = run([venv / "bin" / "chatroom-kit", "lessons", "--check"], elsewhere, env)
    assert refused.returncode == 2 and "needs the kit's source checkout" in refused.stderr
    assert "Traceback" not in refused.stderr
