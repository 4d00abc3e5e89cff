"""The docs check: README.md and docs/ are true of the kit (harness.authoring.docs), and the check
itself notices a stale excerpt, a broken link, a command that fails and a stale exception."""

import sys
from pathlib import Path

import pytest

from harness.authoring import coverage_pages, doc_commands, docs, excerpts, markdown, mutants
from harness.authoring.doc_commands import Command, Instead
from harness.grader import catalogue as catalogue_module
from harness.model import coverage
from harness.model.coverage import Caught
from harness.model.manifest import load_manifest
from harness.model.schema import InputError

ROOT = docs.ROOT


def test_the_excerpts_links_and_mistakes_page_are_true():
    problems = docs.static_problems()
    assert not problems, "\n".join(problems)


COMMANDS = docs.commands_by_page()


@pytest.mark.slow
@pytest.mark.parametrize("page", COMMANDS)
def test_every_documented_command_ends_as_documented(page):
    problems = docs.command_problems(COMMANDS[page])
    assert not problems, "\n".join(problems)


def test_a_stale_excerpt_is_found_and_refreshed():
    page = (
        "Intro\n\n<!-- excerpt: reference/cli.py send_line -->\n```python\ndef send_line(sock, text):\n    pass\n```\n"
    )
    assert len(excerpts.problems(page, "page.md")) == 1
    fresh = excerpts.refreshed(page)
    assert excerpts.problems(fresh, "page.md") == []
    assert "sock.sendall(" in fresh and fresh.startswith("Intro\n\n<!-- excerpt:") and fresh.endswith("```\n")


def test_an_excerpt_of_a_step_is_that_step_solved():
    before = excerpts.extract("lessons/source/cli.py", "main", 6)
    after = excerpts.extract("lessons/source/cli.py", "main", 7)
    assert "KeyboardInterrupt" not in before and "KeyboardInterrupt" in after
    assert "#@" not in after


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("excerpt: reference/srv.py NoSuchThing", "has no NoSuchThing"),
        ("excerpt: reference/none.py main", "cannot read reference/none.py"),
        ("excerpt: reference/srv.py@3 main", "@3 is for lessons/source/"),
        ("excerpt: reference/srv.py", "write '<!-- excerpt: FILE[@STEP] NAME -->'"),
    ],
)
def test_a_broken_excerpt_says_why(comment, message):
    problems = excerpts.problems(f"<!-- {comment} -->\n```python\nx\n```\n", "page.md")
    assert len(problems) == 1 and message in problems[0] and problems[0].startswith("page.md:1:")


def test_broken_links_and_anchors_are_found_and_good_ones_pass():
    page = ROOT / "docs" / "example.md"  # not read: only the pages it links to are
    text = (
        "[ok](protocol.md#leaving) ![ok](images/seed.svg) [ok](https://example.com/nowhere) [ok](#here)\n"
        "## Here\n"
        "[bad](nowhere.md) [bad](protocol.md#no-such-heading) `[code, not a link](nowhere.md)`\n"
        "```text\n[in a block, not a link](nowhere.md)\n```\n"
    )
    problems = docs.link_problems(page, text)
    assert len(problems) == 2, problems
    assert "docs/example.md:3: nowhere.md: there is no docs/nowhere.md" in problems[0]
    assert "has no heading for #no-such-heading" in problems[1]


def test_anchors_are_made_as_github_makes_them():
    text = "# The chat protocol\n## Framing: one message, one line\n### `no-you`\n## Leaving\n## Leaving\n"
    assert markdown.anchors(text) == {
        "the-chat-protocol",
        "framing-one-message-one-line",
        "no-you",
        "leaving",
        "leaving-1",
    }


def test_commands_come_from_sh_blocks_with_their_exit_status():
    page = (
        "```sh\n"
        "run this   # a comment\n"
        "# a line of comment\n"
        "\n"
        "grade it   # fails for now (exit 1 until step 3 is solved)\n"
        "```\n"
        "```console\n$ not this\n```\n"
    )
    assert list(doc_commands.commands(page, "p.md")) == [
        Command("p.md:2", "run this", 0),
        Command("p.md:5", "grade it", 1),
    ]


def test_commands_run_with_this_interpreter_and_nox_without_virtualenvs():
    bindir = Path(sys.executable).parent
    assert doc_commands.resolved(".venv/bin/nox -s grade -- 3") == f"{bindir}/nox --no-venv --no-install -s grade -- 3"
    assert doc_commands.resolved("nox") == "nox --no-venv --no-install"
    assert doc_commands.resolved(".venv/bin/python x.py --nox") == f"{bindir}/python x.py --nox"


def run_one(tmp_path, text, status=0, time_limit=10.0):
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    return doc_commands.run(Command("p.md:1", text, status), tmp_path, logs, time_limit)


def test_a_command_must_end_with_the_documented_status(tmp_path):
    assert run_one(tmp_path, "echo hello && exit 3", status=3).problem == ""
    failed = run_one(tmp_path, "echo hello && exit 3")
    assert failed.problem == "exit status 3, where the docs say 0" and "hello" in failed.output


def test_a_command_that_hangs_or_leaves_processes_is_ended_by_pid_and_reported(tmp_path):
    hung = run_one(tmp_path, "sleep 30", time_limit=0.5)
    assert hung.problem == "still running after 0.5 s" and hung.seconds < 5
    left = run_one(tmp_path, "sleep 30 > /dev/null 2>&1 &")
    assert left.problem == "it left 1 processes running"
    # the autouse fixture in conftest.py fails this test if either sleep is still alive


def test_a_command_that_runs_until_ctrl_c_gets_it_after_its_text(tmp_path, monkeypatch):
    program = "import signal, sys, time; signal.signal(signal.SIGINT, lambda *_: sys.exit(0)); "
    command = f"{sys.executable} -c \"{program}print('watching', flush=True); time.sleep(30)\""
    monkeypatch.setitem(doc_commands.INSTEAD, command, Instead("runs until Ctrl-C", until="watching"))
    result = run_one(tmp_path, command)
    assert result.problem == "" and result.status == 0 and result.seconds < 10
    never = command.replace("'watching'", "'busy'")
    monkeypatch.setitem(doc_commands.INSTEAD, never, Instead("runs until Ctrl-C", until="watching"))
    assert run_one(tmp_path, never, time_limit=1).problem == "it did not show 'watching' within 1 s"


def test_a_command_checked_otherwise_runs_its_stand_in_or_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(doc_commands.INSTEAD, "expensive", Instead("too slow", run="echo cheap"))
    monkeypatch.setitem(doc_commands.INSTEAD, "impossible", Instead("cannot run here"))
    cheap = run_one(tmp_path, "expensive")
    assert (cheap.ran, cheap.problem, cheap.output) == ("echo cheap", "", "cheap\n")
    assert run_one(tmp_path, "impossible").ran is None


def test_every_exception_is_used_by_a_page_and_gives_a_reason():
    assert doc_commands.stale_entries(docs.documented_commands()) == []
    assert all(instead.why for instead in doc_commands.INSTEAD.values())
    assert doc_commands.stale_entries([]) == [
        f"doc_commands.INSTEAD: no page runs {text!r} any more" for text in doc_commands.INSTEAD
    ]


def test_the_mistakes_page_shows_the_code_the_why_and_what_the_grader_said():
    catalogue = mutants.load_catalogue()
    recorded = {caught.mutant: caught for caught in catalogue_module.load_coverage()}
    assert recorded["no-period"].told.startswith("server: line 1: expected 'Chat Server started on port P.'")
    mutant = next(m for m in catalogue if m.name == "echo-to-sender")
    run = {"echo-to-sender": Caught("echo-to-sender", "relay", "alice: line 5: told")}
    page = coverage_pages.mistakes_page([mutant], load_manifest(), run)
    assert "### `echo-to-sender`" in page and "In `srv.py`, in `ChatServer.receive`:" in page
    assert "-self.broadcast(line, sender=client)\n+self.broadcast(line)\n" in page
    assert "```text\nalice: line 5: told\n```" in page
    assert "not graded yet" in coverage_pages.mistakes_page([mutant], load_manifest(), {})


def test_both_coverage_pages_are_rendered_from_the_recorded_run_which_is_data(tmp_path):
    for page, text in coverage_pages.wanted().items():
        assert page.read_text() == text, f"{page.name}: run `python -m harness docs --write`"
    run = catalogue_module.load_coverage()
    assert len(run) == len(mutants.load_catalogue()) and all(c.blast_radius is not None for c in run)
    copy = tmp_path / "coverage.json"
    copy.write_text(coverage.dumps(run))
    assert coverage.load(copy) == run and copy.read_text() == catalogue_module.COVERAGE.read_text()
    mutant = next(m for m in mutants.load_catalogue() if m.name == "echo-to-sender")
    told = {"echo-to-sender": Caught("echo-to-sender", "relay", "seen 'a | b'", ("relay",))}
    table = coverage_pages.coverage_page([mutant], told, load_manifest())
    assert "| `echo-to-sender` | " in table and "`relay` (documented) ✓ | seen 'a \\| b' |" in table
    assert "| `echo-to-sender` | all | 1 | relay |" in table  # its blast radius


def test_a_broken_recorded_run_is_one_clear_error(tmp_path):
    path = tmp_path / "coverage.json"
    path.write_text('{"format_version": 1, "mutants": [{"name": "m", "frist_failed": "relay"}]}')
    with pytest.raises(InputError, match=r"coverage.json: mutant 1: unknown key 'frist_failed' \(did you mean"):
        coverage.load(path)


def test_bad_usage_is_status_2(capsys):
    assert docs.main(["--bogus"]) == 2
    assert "usage: python -m harness docs" in capsys.readouterr().err
