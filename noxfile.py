"""Sessions: `nox` runs lint and tests; `nox -s tests -- -k seed` passes arguments to pytest.

The tests include the docs check (tests/test_docs.py), so `nox` runs it once; `nox -s docs`
runs it alone."""

import sys

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
# The kit's one command, `chatroom-kit COMMAND [ARGS]` (harness/commands.py), as the session's
# Python runs it: the sessions below are each one call of it.
KIT = ("-m", "harness")


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[dev]")  # the docs check runs the documented nox and ruff commands
    # Each module compiled once for the whole suite, not in every process it starts (a machine
    # may set PYTHONDONTWRITEBYTECODE; __pycache__ is ignored by git).
    session.run("pytest", *session.posargs, env={"PYTHONDONTWRITEBYTECODE": ""})


@nox.session
def lint(session: nox.Session) -> None:
    session.install(".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")  # [tool.mypy] in pyproject.toml: harness/


# The students' sessions run in the environment nox itself runs in (the quick start's .venv,
# where the kit is installed): no virtual environment to make and no pip to run, so grading
# starts at once.
@nox.session(venv_backend="none")
def grade(session: nox.Session) -> None:
    """Grade the lessons: `nox -s grade -- 3`, `-- --path DIR`, `-- --watch 3`, `-- --status`."""
    session.run(sys.executable, *KIT, "grade", *session.posargs, external=True)


@nox.session(venv_backend="none")
def lessons(session: nox.Session) -> None:
    """Write lessons/stepN/ and reference/ from lessons/source/, never over a student's work;
    `-- --reset 3` writes step 3 afresh, keeping the student's files as FILE.mine."""
    session.run(sys.executable, *KIT, "lessons", *session.posargs, external=True)


@nox.session
def coverage(session: nox.Session) -> None:
    """Grade every mutant of tests/mutants/catalogue.toml; record tests/mutants/coverage.json and its pages."""
    session.install("-e", ".")
    session.run("python", *KIT, "mutants", "--write")


@nox.session
def gradescope(session: nox.Session) -> None:
    """Build dist/gradescope-autograder.zip: `-- --hidden DIR` adds hidden checks, `-- --try DIR` grades DIR with it."""
    session.install("-e", ".")
    session.run("python", *KIT, "gradescope", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Check README.md and docs/: every `sh` command runs, excerpts and links hold; `-- --write` refreshes."""
    session.install("-e", ".[dev]")
    session.run("python", *KIT, "docs", *session.posargs)
