"""The lesson manifest (lessons/steps.toml): each step's title, part, files and checks.

A check is a scenario run against the student's part, with points, a hint, and the
checks it needs: when one of those fails, it is skipped, with the reason.
"""

import tomllib
from dataclasses import dataclass
from pathlib import Path

from harness.model import kit, scenario
from harness.model.scenario import Scenario  # in Check's body, `scenario` names its field, not the module
from harness.model.schema import COUNT, POINTS, TABLES, TEXT, TEXTS, WHOLE, InputError, Table

LESSONS, MANIFEST = kit.LESSONS, kit.MANIFEST
PARTS = ("server", "client", "both")
# "documented": what the documentation's terminals show; "kit": a rule of the kit, beyond it.
LAYERS = ("documented", "kit")
SPECS = ("all", *LAYERS[:1])  # what `grade --spec` may grade: every check, or the documented layer only
HIDDEN_CHECKS = "checks.toml"  # in a --hidden folder: its checks, in this manifest's format
HIDDEN_VISIBILITIES = ("hidden", "after_due_date", "after_published")  # Gradescope's, for results.json


class ManifestError(InputError):
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
    layer: str = "kit"  # one of LAYERS
    rule: str = ""  # a kit check's rule, in a phrase: what the kit asks beyond the documentation
    visibility: str = "visible"  # a hidden check's: one of HIDDEN_VISIBILITIES (Gradescope's words)

    @property
    def hidden(self) -> bool:
        return self.visibility != "visible"

    def load(self) -> Scenario:
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

    def spec(self, spec: str) -> "Manifest":
        """The checks a spec grades: "all", or one layer's ("documented": the original assignment)."""
        if spec == "all":
            return self
        steps = [Step(s.number, s.title, s.edit, tuple(c for c in s.checks if c.layer == spec)) for s in self.steps]
        return Manifest(tuple(step for step in steps if step.checks))


def kit_rule(check: Check) -> str:
    """What a failed kit check says of its rule: the documented programs do not follow it."""
    return f"{check.rule}. This is a rule of the kit, beyond what the documented programs do."


FORMAT_VERSION = 1  # of steps.toml and a hidden checks.toml; a newer file is refused, not misread
CHECK = Table(
    required={"name": TEXT, "scenario": TEXT, "layer": TEXT},
    optional={"points": POINTS, "hint": TEXT, "needs": TEXTS, "rule": TEXT, "part": TEXT},
)
HIDDEN_CHECK = Table(CHECK.required, {**CHECK.optional, "step": WHOLE, "visibility": TEXT})
STEP = Table(required={"title": TEXT, "check": TABLES}, optional={"edit": TEXTS, "part": TEXT})
MANIFEST_FILE = Table(required={"format_version": COUNT, "step": TABLES})
HIDDEN_FILE = Table(required={"format_version": COUNT, "check": TABLES})


def load_manifest(path: Path = MANIFEST) -> Manifest:
    table = _read(path, MANIFEST_FILE)
    steps: list[Step] = []
    seen: dict[str, str] = {}
    for number, raw in enumerate(table["step"], start=1):
        where = f"{path.name}: [[step]] {number}"
        STEP.check(raw, where, ManifestError)
        part = raw.get("part", "")
        checks = [
            _check(CHECK.check(raw_check, f"{where}: [[step.check]] {index}", ManifestError), number, where, seen, part)
            for index, raw_check in enumerate(raw["check"], start=1)
        ]
        if not checks:
            raise ManifestError(f"{where}: has no checks")
        steps.append(Step(number, raw["title"], tuple(raw.get("edit", ())), tuple(checks)))
    if not steps:
        raise ManifestError(f"{path.name}: no [[step]] tables")
    return Manifest(tuple(steps))


def add_hidden(manifest: Manifest, folder: Path) -> Manifest:
    """The manifest with the hidden checks of folder/checks.toml added to their steps.

    Each [[check]] is written as in steps.toml, plus `step` (the step it joins; default: the
    last) and `visibility` (default "hidden"); its `scenario` is a TOML file's path relative
    to folder, so the scenarios stay with the checks, out of the students' copy of the kit.
    """
    path = folder / HIDDEN_CHECKS
    raw_checks = _read(path, HIDDEN_FILE)["check"]
    if not raw_checks:
        raise ManifestError(f"{path}: no [[check]] tables")
    seen = {check.name: check.layer for step in manifest.steps for check in step.checks}
    added: dict[int, list[Check]] = {}
    for index, raw_check in enumerate(raw_checks, start=1):
        where = f"{path}: [[check]] {index}"
        HIDDEN_CHECK.check(raw_check, where, ManifestError)
        number = raw_check.get("step", manifest.steps[-1].number)
        if not isinstance(number, int) or number not in {step.number for step in manifest.steps}:
            raise ManifestError(f"{where}: step must be one of the manifest's, 1 to {len(manifest.steps)}")
        check = _check(raw_check, number, where, seen, "", folder)
        earlier = {c.name for c in manifest.checks_up_to(number)}
        earlier |= {c.name for step, checks in added.items() if step <= number for c in checks}
        late = [need for need in check.needs if need not in earlier]
        if late:  # graded up to this step, it would wait for them forever
            raise ManifestError(f"{where}: check {check.name!r} needs {late}, which come after its step {number}")
        added.setdefault(number, []).append(check)
    steps = tuple(
        Step(step.number, step.title, step.edit, step.checks + tuple(added.get(step.number, ())))
        for step in manifest.steps
    )
    return Manifest(steps)


def _read(path: Path, table: Table) -> dict:
    """The file's top table, checked: keys, and a format this grader reads."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ManifestError(f"{path}: {error}") from None
    table.check(raw, path.name, ManifestError)
    if raw["format_version"] > FORMAT_VERSION:
        raise ManifestError(
            f"{path.name}: format_version {raw['format_version']} is newer than this grader reads "
            f"({FORMAT_VERSION}): update the kit"
        )
    return raw


def _check(raw: dict, step: int, where: str, seen: dict[str, str], part: str, hidden_in: Path | None = None) -> Check:
    """One [[check]] table, checked against the checks seen so far (name: layer), which it joins.

    hidden_in: the folder of a hidden check, whose scenario is a file there; None for the
    manifest's own checks, whose scenario is a name in harness/scenarios/.
    """
    name = raw.get("name", "")
    part = raw.get("part", part)
    needs = tuple(raw.get("needs", ()))
    layer, rule = raw.get("layer"), raw.get("rule", "")
    if not name or name in seen:
        raise ManifestError(f"{where}: every check needs a name of its own (got {name!r})")
    if part not in PARTS:
        raise ManifestError(f"{where}: check {name!r}: part must be one of {', '.join(PARTS)}")
    if layer not in LAYERS:
        raise ManifestError(f"{where}: check {name!r}: layer must be one of {', '.join(LAYERS)}; got {layer!r}")
    if (layer == "kit") != bool(rule):  # the documented layer's rule is the documentation
        raise ManifestError(f"{where}: check {name!r}: a kit check states its rule (rule = ...), a documented one not")
    missing = [need for need in needs if need not in seen]
    if missing:
        raise ManifestError(f"{where}: check {name!r} needs {missing}, which no earlier check is")
    kit_needs = [need for need in needs if seen[need] == "kit"]
    if layer == "documented" and kit_needs:
        raise ManifestError(f"{where}: documented check {name!r} needs kit check(s) {kit_needs}: it must stand alone")
    visibility = "visible"
    if hidden_in is None:
        if raw.get("scenario") not in scenario.available():
            raise ManifestError(f"{where}: check {name!r}: no scenario {raw.get('scenario')!r}")
        scenario_ref = raw["scenario"]
    else:
        visibility = raw.get("visibility", HIDDEN_VISIBILITIES[0])
        if visibility not in HIDDEN_VISIBILITIES:
            raise ManifestError(f"{where}: check {name!r}: visibility must be one of {', '.join(HIDDEN_VISIBILITIES)}")
        scenario_ref = _hidden_scenario(raw.get("scenario"), hidden_in, f"{where}: check {name!r}")
    seen[name] = layer
    return Check(
        name=name,
        step=step,
        scenario=scenario_ref,
        part=part,
        points=float(raw.get("points", 1)),
        hint=raw.get("hint", ""),
        needs=needs,
        layer=layer,
        rule=rule,
        visibility=visibility,
    )


def _hidden_scenario(relative: object, folder: Path, where: str) -> str:
    """The absolute path of a hidden check's scenario file, loaded once to find its mistakes now."""
    if not isinstance(relative, str) or not relative.endswith(".toml"):
        raise ManifestError(f"{where}: scenario must be a .toml file's path relative to {folder}")
    path = (folder / relative).resolve()
    try:
        scenario.load(path)
    except scenario.ScenarioError as error:
        raise ManifestError(f"{where}: {error}") from None
    return str(path)
