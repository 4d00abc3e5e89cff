"""The docs check: what README.md and docs/ say is true of the kit as it is.

    python -m harness docs                 check everything, running every documented command
    python -m harness docs --no-commands   everything but the commands (a second or so)
    python -m harness docs --write         refresh code excerpts, docs/grader-coverage.md and docs/mistakes.md

It checks that
- every command in a `sh` block runs and ends as documented (harness.authoring.doc_commands says how,
  and which few commands are checked another way, and why);
- every code excerpt is the code of the definition it names (harness.authoring.excerpts);
- every relative link and picture leads to a file, and every #anchor to a heading; links in
  the lesson READMEs too. External links are not fetched;
- docs/grader-coverage.md and docs/mistakes.md are what the mutant catalogue and its recorded
  grading run (tests/mutants/coverage.json) make of them.

Exit status: 0 when all is true, 1 when something is not, 2 for bad usage.
"""

import sys
import time
from pathlib import Path
from urllib.parse import unquote

from harness.authoring import coverage_pages, doc_commands, excerpts, lessons, markdown
from harness.model import kit

ROOT = kit.ROOT


def pages() -> list[Path]:
    """The pages whose commands run and whose excerpts are checked."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def lesson_readmes() -> dict[Path, str]:
    """The READMEs students read in each step, as the kit gives them: the step folders are the
    students' own, so their text comes from the generator, not from the disk."""
    return {ROOT / path: text for path, text in lessons.generate().files.items() if path.name == "README.md"}


def linking_pages() -> dict[Path, str]:
    """The pages whose links are checked, with their text: the docs, and the lesson READMEs."""
    return {**{page: page.read_text() for page in pages()}, **lesson_readmes()}


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT))


def link_problems(page: Path, text: str) -> list[str]:
    found = []
    for number, target in markdown.links(text):
        if "://" in target or target.startswith(("mailto:", "tel:")):
            continue
        path_part, _, anchor = unquote(target).partition("#")
        where = f"{shown(page)}:{number}: {target}"
        if not path_part:
            if anchor not in markdown.anchors(text):
                found.append(f"{where}: this page has no heading for #{anchor}")
            continue
        linked = ROOT / path_part.lstrip("/") if path_part.startswith("/") else page.parent / path_part
        if not linked.exists():
            found.append(
                f"{where}: there is no {shown(linked.resolve()) if linked.resolve().is_relative_to(ROOT) else linked}"
            )
        elif anchor and linked.suffix == ".md" and anchor not in markdown.anchors(linked.read_text()):
            found.append(f"{where}: {shown(linked.resolve())} has no heading for #{anchor}")
    return found


def static_problems() -> list[str]:
    """Everything but the commands."""
    found = []
    for page, text in linking_pages().items():
        found += link_problems(page, text)
    for page in pages():
        found += excerpts.problems(page.read_text(), shown(page))
    for page, text in coverage_pages.wanted().items():
        if not page.exists() or page.read_text() != text:
            found.append(f"{shown(page)} is out of date (python -m harness docs --write)")
    return found


def documented_commands() -> list[doc_commands.Command]:
    """The commands of the docs and of the lesson READMEs, which run as the student runs them."""
    return [command for page in commands_by_page().values() for command in page]


def commands_by_page() -> dict[str, list[doc_commands.Command]]:
    """Each page's commands; a page's commands run one after the other in a copy of the kit
    of their own (one may read what another wrote), pages side by side."""
    texts = {**{page: page.read_text() for page in pages()}, **lesson_readmes()}
    found = {shown(page): list(doc_commands.commands(text, shown(page))) for page, text in texts.items()}
    return {page: commands for page, commands in found.items() if commands}


def command_problems(found: list[doc_commands.Command] | None = None, on_result=None) -> list[str]:
    """Run the documented commands (all of them, or those given); one line for each that did
    not end as documented. Run all, it also names INSTEAD entries no page uses any more."""
    problems = []
    if found is None:
        found = documented_commands()
        problems = doc_commands.stale_entries(found)
    for result in doc_commands.run_all(found, on_result=on_result):
        if result.problem:
            tail = "\n".join("    " + line for line in result.output.splitlines()[-25:])
            ran = f" (ran: {result.ran})" if result.ran != result.command.text else ""
            problems.append(f"{result.command.where}: {result.command.text}{ran}: {result.problem}\n{tail}")
    return problems


def write() -> list[str]:
    written = []
    for page in pages():
        text = page.read_text()
        new = excerpts.refreshed(text)
        if new != text:
            page.write_text(new)
            written.append(shown(page))
    written += [shown(page) for page in coverage_pages.write()]
    return written


def progress(result: doc_commands.Result) -> None:
    verdict = "skip" if result.ran is None else "FAIL" if result.problem else "ok"
    print(f"{verdict:4} {result.seconds:5.1f} s  {result.command.where}  {result.command.text}", flush=True)
    if result.ran != result.command.text:
        print(f"{'':14}{'ran: ' + result.ran if result.ran else 'not run'}; why: {result.why}", flush=True)


def main(argv: list[str]) -> int:
    kit.need_checkout("docs")
    if argv not in ([], ["--no-commands"], ["--write"]):
        print("usage: python -m harness docs [--no-commands | --write]", file=sys.stderr)
        return 2
    if argv == ["--write"]:
        written = write()
        print(f"docs: refreshed {len(written)} files" + "".join(f"\n  {path}" for path in written))
        return 0
    started = time.monotonic()
    problems = static_problems()
    if argv != ["--no-commands"]:
        problems += command_problems(on_result=progress)
    for problem in problems:
        print(f"docs: {problem}", file=sys.stderr)
    verdict = f"{len(problems)} problems" if problems else "all true"
    print(f"docs: {verdict} ({time.monotonic() - started:.0f} s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
