"""The lesson manifest (lessons/steps.toml): each step's title, part, files and checks.

A check is a scenario run against the student's part, with points, a hint, and the
checks it needs: when one of those fails, it is skipped, with the reason.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness import scenario

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
MANIFEST = LESSONS / "steps.toml"
PARTS = ("server", "client", "both")


class ManifestError(Exception):
    """A manifest that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Check:
    name: str
    step: int
    scenario: str
    part: str  # whose program is judged: "server", "client" or "both"
    points: float
    hint: str
    needs: tuple[str, ...]

    def load(self) -> scenario.Scenario:
        return scenario.load(self.scenario)

    def describe(self) -> str:
        return self.load().description


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    edit: tuple[str, ...]
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Manifest:
    steps: tuple[Step, ...]

    def step(self, number: int) -> Step:
        for step in self.steps:
            if step.number == number:
                return step
        raise ManifestError(f"there is no step {number}; the steps are 1 to {len(self.steps)}")

    def checks_up_to(self, number: int) -> list[Check]:
        return [check for step in self.steps if step.number <= number for check in step.checks]


def load_manifest(path: Path = MANIFEST) -> Manifest:
    try:
        table = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ManifestError(f"{path}: {error}") from None
    steps, seen = [], set()
    for number, raw in enumerate(table.get("step", []), start=1):
        where = f"{path.name}: step {number}"
        checks = []
        for raw_check in raw.get("check", []):
            name = raw_check.get("name", "")
            part = raw_check.get("part", raw.get("part", ""))
            needs = tuple(raw_check.get("needs", ()))
            if not name or name in seen:
                raise ManifestError(f"{where}: every check needs a name of its own (got {name!r})")
            if part not in PARTS:
                raise ManifestError(f"{where}: check {name!r}: part must be one of {', '.join(PARTS)}")
            missing = [need for need in needs if need not in seen]
            if missing:
                raise ManifestError(f"{where}: check {name!r} needs {missing}, which no earlier check is")
            if raw_check.get("scenario") not in scenario.available():
                raise ManifestError(f"{where}: check {name!r}: no scenario {raw_check.get('scenario')!r}")
            seen.add(name)
            checks.append(
                Check(
                    name=name,
                    step=number,
                    scenario=raw_check["scenario"],
                    part=part,
                    points=float(raw_check.get("points", 1)),
                    hint=raw_check.get("hint", ""),
                    needs=needs,
                )
            )
        if not checks:
            raise ManifestError(f"{where}: has no checks")
        steps.append(Step(number, raw["title"], tuple(raw.get("edit", ())), tuple(checks)))
    if not steps:
        raise ManifestError(f"{path}: no [[step]] tables")
    return Manifest(tuple(steps))
