"""The kit's one command, `chatroom-kit COMMAND [ARGS]` (also `python -m harness COMMAND [ARGS]`):
each command is one of the kit's programs, given the rest of the arguments as they are, so
`chatroom-kit grade --path DIR` is `python -m harness.grade --path DIR`. The nox sessions
call it.
"""

import importlib
import sys

PROG = "chatroom-kit"
# command: (the module whose main(argv) it runs, what it does)
COMMANDS = {
    "grade": ("harness.grade", "grade the lesson steps, or a folder with --path DIR, or a class with --class DIR"),
    "scenario": ("harness.run_scenario", "run one scenario and show every terminal side by side"),
    "lessons": ("harness.authoring.lessons", "write lessons/stepN/ and reference/ from lessons/source/ (checkout)"),
    "docs": ("harness.authoring.docs", "check README.md and docs/: commands, excerpts, links (checkout)"),
    "mutants": (
        "harness.authoring.mutants",
        "grade every catalogued mutant; --write: record the run and its pages in docs/ (checkout)",
    ),
    "examples": ("harness.authoring.examples", "write the example class in examples/class/ (checkout)"),
    "gradescope": ("harness.platforms.gradescope", "build the Gradescope autograder zip, and try it (checkout)"),
    "classroom": ("harness.platforms.classroom", "the GitHub Classroom workflow, and the points it reports"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"  {name:<{width}}  {what}" for name, (_, what) in COMMANDS.items()]
    return "\n".join(
        [
            f"usage: {PROG} COMMAND [ARGS]",
            "",
            "The chat-room kit's programs. `" + PROG + " COMMAND --help` shows a command's own options.",
            "(checkout): the command needs the kit's source checkout.",
            "",
            "commands:",
            *lines,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(usage(), file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        print(f"{usage()}\n\n{PROG}: error: no command {command!r}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    try:
        return module.main(rest)
    except KeyboardInterrupt:  # every room has ended its programs on the way out
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
