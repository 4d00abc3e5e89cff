"""Sessions: `nox` runs lint and tests; `nox -s tests -- -k seed` passes arguments to pytest."""

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install(".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def grade(session: nox.Session) -> None:
    """Grade the lessons: `nox -s grade -- 3`, `-- --path DIR`, `-- --watch 3`, `-- --status`."""
    session.install("-e", ".")
    session.run("python", "-m", "harness.grade", *session.posargs)


@nox.session
def lessons(session: nox.Session) -> None:
    """Write lessons/stepN/ and reference/ from lessons/source/."""
    session.install("-e", ".")
    session.run("python", "-m", "harness.lessons", *session.posargs)


@nox.session
def coverage(session: nox.Session) -> None:
    """Grade every mutant of tests/mutants/catalogue.toml and write docs/grader-coverage.md."""
    session.install("-e", ".")
    session.run("python", "-m", "harness.mutants", "--write")
