"""GitHub Classroom: the workflow a student repository runs, and the points it reports.

    python -m harness classroom write [--kit-url URL] [--kit-ref REF] [--step N] [--out FILE]
    python -m harness classroom check                   exit 1 if the example workflow is stale
    python -m harness classroom result classroom.json   a line for $GITHUB_OUTPUT: result=...

Classroom's autograding is a GitHub Actions workflow named "Autograding Tests" whose job
`run-autograding-tests` ends with the grading reporter action. The reporter reads each
runner's result (base64 JSON: max_score, and tests with a status and a score), prints them,
and records "Points X/Y" on the job, which Classroom collects. Here the one runner is this
kit's grader: `grade --classroom FILE` writes that JSON from the grade itself (runner_result),
one test a check, so every check's points count on their own, and `result` hands the file to
the reporter (in a step of its own: a grader that could not even start still gets a result,
an error). The kit is cloned from KIT_URL at KIT_REF and installed in place (its manifest
and reference programs are read from the clone).
"""

import argparse
import base64
import json
import sys
import urllib.parse
from pathlib import Path

from harness.grader.grading import Grade
from harness.model import kit
from harness.model.manifest import SPECS, ManifestError, load_manifest
from harness.model.outcome import Status
from harness.outputs import disclosure, results

ROOT = kit.ROOT
EXAMPLE = ROOT / "examples" / "github-classroom" / ".github" / "workflows" / "classroom.yml"
KIT_URL = "https://github.com/YOUR-ORG/chatroom-kit.git"  # the course's copy of this kit
KIT_REF = "main"
RUNNER = "chatroom"  # the grading step's id, which names the reporter's variable
REPORTER = "classroom-resources/autograding-grading-reporter@v1"
RESULT_FILE = "classroom.json"  # where the workflow's grade step writes its runner result
RESULT_VERSION = 1  # of the reporter's runner result
STATUS = {Status.PASSED: "pass", Status.FAILED: "fail", Status.SKIPPED: "fail"}  # the reporter's words

WORKFLOW = """\
# GitHub Classroom autograding for the chat-room kit: grades the srv.py and cli.py at the
# top of this repository, every check for its own points, and reports them to Classroom.
# Written by `python -m harness classroom write`: regenerate it rather than edit it.
name: Autograding Tests
'on':
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
env:
  KIT_URL: {kit_url}
  KIT_REF: {kit_ref}
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 15
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
        with:
          path: submission
      - name: Set up Python 3.11
        uses: actions/setup-python@v5
        with:
          python-version: '3.11'
      - name: Install the grader
        run: |
          git clone --depth 1 --branch "$KIT_REF" "$KIT_URL" grader
          python -m pip install -e ./grader
      - name: Grade
        id: {runner}
        working-directory: grader
        run: |
          python -m harness.grade {step}{spec}--path ../submission --classroom ../{result_file} || true
          python -m harness classroom result ../{result_file} >> "$GITHUB_OUTPUT"
      - name: Report the points to Classroom
        uses: {reporter}
        env:
          {variable}: "${{{{ steps.{runner}.outputs.result }}}}"
        with:
          runners: {runner}
"""


def workflow(kit_url: str = KIT_URL, kit_ref: str = KIT_REF, step: int | None = None, spec: str = "all") -> str:
    """The workflow; with step, graded on the checks of steps 1 to step only (an assignment a step);
    with spec "documented", on the documented layer only (the original assignment)."""
    return WORKFLOW.format(
        kit_url=kit_url,
        kit_ref=kit_ref,
        step=f"{step} " if step else "",
        spec="" if spec == "all" else f"--spec {spec} ",
        runner=RUNNER,
        result_file=RESULT_FILE,
        reporter=REPORTER,
        variable=f"{RUNNER.upper()}_RESULTS",  # the reporter reads RUNNER_RESULTS, upper-cased
    )


def runner_result(grade: Grade) -> dict:
    """The grade as a Classroom runner's result: a test a check, as a student may see it
    (harness/outputs/disclosure.py: a hidden check keeps its points, not its name or why)."""
    several_targets = len(grade.by_target()) > 1
    tests = [_test(shown, several_targets) for shown in disclosure.for_students(grade.results)]
    if not tests:
        return error_result("no check was graded")
    status = "pass" if all(test["status"] == "pass" for test in tests) else "fail"
    return {"version": RESULT_VERSION, "status": status, "max_score": float(grade.max_score), "tests": tests}


def _test(shown: disclosure.Disclosed, several_targets: bool) -> dict:
    result = shown.result
    why = shown.detailed and result.status is not Status.PASSED  # the console's words, in the job's log
    return {
        "name": results.test_name(result, several_targets) if shown.detailed else shown.name,
        "status": STATUS[result.status],
        "message": results.explanation(result, ansi=True) if why else "",
        "score": float(result.score),
    }


def error_result(why: str) -> dict:
    """A result when nothing was graded: why, as one failed test, out of the manifest's points."""
    test = {"name": "grading", "status": "error", "message": why, "score": 0.0}
    return {"version": RESULT_VERSION, "status": "fail", "max_score": _manifest_points(), "tests": [test]}


def write_result(grade: Grade, path: Path) -> None:
    """Write the grade's runner result as JSON (UTF-8), making its folder if need be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(runner_result(grade), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _manifest_points() -> float:
    try:
        return sum(check.points for step in load_manifest().steps for check in step.checks)
    except ManifestError:
        return 0.0


def output_line(path: Path) -> str:
    """`result=BASE64` for $GITHUB_OUTPUT, of the result the grader wrote (write_result); an
    error result if it wrote none, or something else (an older workflow's results.json)."""
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        result = error_result(f"the grader wrote no results ({error})")
    if not (isinstance(result, dict) and result.get("version") == RESULT_VERSION and result.get("tests")):
        why = "is not a Classroom result from `python -m harness.grade --classroom FILE`"
        result = error_result(f"{path.name} {why}: regenerate the workflow (python -m harness classroom write)")
    encoded = json.dumps(result, ensure_ascii=False).encode("utf-8")
    return "result=" + base64.b64encode(encoded).decode("ascii")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m harness classroom", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write the workflow a student repository uses")
    write.add_argument("--kit-url", default=KIT_URL, help="the git URL students' workflows clone the kit from")
    write.add_argument("--kit-ref", default=KIT_REF, help="the branch or tag to clone")
    write.add_argument("--step", type=int, metavar="N", help="grade on the checks of steps 1 to N only")
    write.add_argument("--out", type=Path, default=EXAMPLE, metavar="FILE", help="where (default: the example)")
    write.add_argument("--spec", choices=SPECS, default="all", help="documented: grade the documented layer only")
    commands.add_parser("check", help="exit 1 if the example workflow differs from what `write` writes")
    result = commands.add_parser("result", help="print result=... for $GITHUB_OUTPUT from grade --classroom FILE")
    result.add_argument("results", type=Path, metavar="CLASSROOM_JSON")
    return parser.parse_args(argv)


def refusal(args: argparse.Namespace) -> str | None:
    """Why `write` must not write this workflow: every student's run would fail with it."""
    if args.step is not None:
        try:
            load_manifest().step(args.step)
        except ManifestError as error:
            return f"--step {args.step}: {error}"
    url = urllib.parse.urlsplit(args.kit_url)
    if url.username or url.password:
        return (
            "--kit-url holds credentials: every student could read them in the workflow; "
            "give a public URL (a private kit is cloned with a deploy key or token kept in the repository's secrets)"
        )
    if url.scheme not in ("https", "http", "ssh", "git", "file") or not (url.netloc or url.path):
        return f"--kit-url {args.kit_url!r} is not a git URL git can clone"
    return None


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if args.command == "check" or (args.command == "write" and args.out == EXAMPLE):
        kit.need_checkout("classroom")  # the example workflow is the checkout's
    if args.command == "write":
        why = refusal(args)
        if why:
            print(f"classroom: error: {why}", file=sys.stderr)
            return 2
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(workflow(args.kit_url, args.kit_ref, args.step, args.spec))
        print(f"wrote {args.out}: copy it to .github/workflows/ in the assignment's template repository")
    elif args.command == "check":
        if not EXAMPLE.is_file() or EXAMPLE.read_text() != workflow():
            print(
                f"classroom: out of date: {EXAMPLE} (run `python -m harness classroom write`)",
                file=sys.stderr,
            )
            return 1
    else:
        print(output_line(args.results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
