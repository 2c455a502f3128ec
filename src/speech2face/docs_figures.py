"""The figures the README and docs quote, rendered from the committed reports.

A block between `<!-- figures: NAME -->` and `<!-- /figures -->` in a Markdown file is the
output of the renderer NAME on `reports/`: `speech2face docs` rewrites every block, and a test
fails when a committed block differs from what the reports give. A figure inside a sentence is
a value, `<!-- value: FILE KEY [STYLE] -->600<!-- /value -->`: the dotted KEY of a YAML or JSON
FILE of the project (params.yaml, reports/*.json), rendered in STYLE (a format spec, or
`shares` for fractions as 60/12/28%). No figure is copied by hand.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from speech2face.errors import InputError

BLOCK = re.compile(
    r"(<!-- figures: ([\w-]+)(?: (\S+))? -->\n)((?:(?!<!-- figures:).)*?)(<!-- /figures -->)",
    re.DOTALL,
)
VALUE = re.compile(r"(<!-- value: (\S+) (\S+)(?: (\S+))? -->)[^<\n]*(<!-- /value -->)")
# the Markdown files that may hold blocks, relative to the project
DOCUMENTS = ("README.md", "docs/*.md")


def _value(value: float) -> str:
    return f"{value:.3f}"


def _interval(summary: dict, key: str) -> str:
    return f"{summary[key + '_low']:.3f}–{summary[key + '_high']:.3f}"


def _made_at(project: Path, relative: str) -> str:
    """The short commit that last changed `relative`, or "uncommitted" when it differs."""

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    if git("status", "--porcelain", "--", relative):
        return "uncommitted"
    return git("log", "-1", "--format=%h", "--", relative) or "not in git"


def headline(project: Path) -> str:
    """The README's table: the held-out test speakers' main figures, each beside its interval,
    shuffled-pair chance, oracle and ceiling, with group sizes, from reports/metrics*.json."""
    reports = project / "reports"
    summary = json.loads((reports / "metrics.json").read_text())
    groups = json.loads((reports / "metrics_by_group.json").read_text())
    clean, engine = (summary["conditions"][c] for c in ("in_distribution", "out_of_engine"))
    decoder, judges = summary["decoder"], summary["judges"]
    oracle = groups["controls"]["oracle"]
    speakers = {g: groups["gender"][g]["speakers"] for g in ("female", "male")}
    # (label, its table, key, oracle, ceiling)
    rows = [
        (
            "recall@5: the true speaker among the 5 nearest faces",
            summary,
            "recall_at_5",
            oracle["overall"]["recall_at_5"],
            None,
        ),
        (
            "gender agreement: the drawn face read as the speaker's gender",
            summary,
            "gender_agreement",
            oracle["overall"]["gender_agreement"],
            decoder["ceiling_gender_agreement"],
        ),
        *(
            (
                f"… {label} voices ({speakers[group]} speakers)",
                clean,
                f"gender_agreement_{group}",
                oracle["gender"][group]["gender_agreement"],
                decoder[f"ceiling_gender_agreement_{group}"],
            )
            for group, label in (("female", "women's"), ("male", "men's"))
        ),
        ("gender agreement, voices of the held-out engine", engine, "gender_agreement", None, None),
    ]
    lines = [
        f"| on {summary['test_speakers']} held-out test speakers ({summary['test_clips']} clips)"
        " | value | 95% interval | chance | oracle | ceiling |",
        "| --- | ---: | :---: | ---: | ---: | ---: |",
    ]
    for label, table, key, best, ceiling in rows:
        cells = [table.get(key + "_chance"), best, ceiling]
        shown = " | ".join(_value(c) if c is not None else "—" for c in cells)
        lines.append(f"| {label} | {_value(table[key])} | {_interval(table, key)} | {shown} |")
    lines.append(
        f"| dlib recall@5 (an independent judge) | {_value(judges['dlib_recall_at_5'])} | — | "
        f"{_value(judges['dlib_recall_at_5_chance'])} | "
        f"{_value(oracle['overall']['dlib_recall_at_5'])} | "
        f"{_value(judges['dlib_recall_at_5_ceiling'])} |"
    )
    lines += [
        "",
        "Chance: the same measure on shuffled voice–face pairs. Oracle: a ridge regression "
        "from the corpus's ground-truth voice latents, age, gender and accent to the face "
        "embedding (what the data let a voice tell). Ceiling: the true face's embedding drawn "
        "by the decoder. "
        f"From `reports/metrics.json` at commit {_made_at(project, 'reports/metrics.json')}.",
    ]
    return "\n".join(lines) + "\n"


def dag(project: Path) -> str:
    """The stages' graph as `dvc dag --md` draws it: a mermaid diagram."""
    done = subprocess.run(
        [sys.executable, "-m", "dvc", "dag", "--md"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise InputError(f"dvc dag failed in {project}: {done.stderr.strip()}")
    return done.stdout.replace("\t", "    ").strip() + "\n"


def exp_show(project: Path) -> str:
    """The command `make experiments` runs, its columns pattern read from the Makefile."""
    found = re.search(r"^EXP_SHOW_DROP := (.+)$", (project / "Makefile").read_text(), re.M)
    if found is None:
        raise InputError(f"{project / 'Makefile'}: no EXP_SHOW_DROP line")
    command = f"dvc exp show --no-pager --only-changed --drop '{found.group(1)}'"
    return f"```bash\n{command}\n```\n"


def overall(project: Path) -> str:
    """The Overall table `evaluate` wrote to reports/evaluation.md: its header, the rows of
    the metrics it reports per group, and a craniofacial correlation."""
    from speech2face.evaluation.report import PER_GROUP

    shown = (*PER_GROUP, "jaw_width_correlation")
    report = project / "reports" / "evaluation.md"
    text = report.read_text()
    found = re.search(r"^## Overall\n\n((?:\|.*\n)+)", text, re.M)
    if found is None:
        raise InputError(f"{report}: no Overall table")
    header, rule, *rows = found.group(1).splitlines()
    by_metric = {row.split("|")[1].strip().split(" (")[0]: row for row in rows}
    missing = [m for m in shown if m not in by_metric]
    if missing:
        raise InputError(f"{report}: the Overall table has no row for {', '.join(missing)}")
    return "\n".join([header, rule, *(by_metric[m] for m in shown)]) + "\n"


def register(project: Path) -> str:
    """The model gate's rules and decision, as the register stage wrote them."""
    report = project / "reports" / "register.md"
    found = re.search(r"^((?:\|.*\n)+)\n(.+)\n", report.read_text(), re.M)
    if found is None:
        raise InputError(f"{report}: no rules table")
    return found.group(1) + "\n" + found.group(2) + "\n"


def options(project: Path, command: str) -> str:
    """A table of `speech2face COMMAND`'s options, their defaults and help, read from the CLI."""
    import typer.main

    from speech2face.cli import app

    commands = typer.main.get_command(app).commands
    if command not in commands:
        raise InputError(f"options of {command!r}: no such command of speech2face")
    lines = ["| option | default | what |", "| --- | --- | --- |"]
    for param in commands[command].params:
        if param.name == "help" or not param.opts[0].startswith("--"):
            continue
        named = param.opts[0] + (f" {param.metavar}" if param.metavar else "")
        default = "—" if param.default is None else f"`{param.default}`"
        cells = (f"`{named}`", default, param.help or "")
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


def params_section(project: Path, section: str) -> str:
    """The top-level `section` of params.yaml as written there, comments included."""
    lines = (project / "params.yaml").read_text().splitlines()
    if f"{section}:" not in lines:
        raise InputError(f"params.yaml has no top-level section {section!r}")
    start = lines.index(f"{section}:")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1] not in ("", " ")), len(lines)
    )
    body = lines[start:end]
    while body[-1].strip() == "":
        body.pop()
    return "```yaml\n" + "\n".join(body) + "\n```\n"


def _styled(value, style: str | None) -> str:
    """A value as prose quotes it: numbers `:g` (or `style`), two-item lists as ranges a–b (a to
    b below zero), longer lists and mappings listed."""
    if style == "shares":
        shares = value.values() if isinstance(value, dict) else value
        shares = [shares] if isinstance(shares, int | float) else shares
        return "/".join(f"{share * 100:g}" for share in shares) + "%"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_styled(item, style)}" for key, item in value.items())
    if isinstance(value, list) and len(value) != 2:
        return ", ".join(_styled(item, style) for item in value)
    if isinstance(value, list):
        negative = any(isinstance(item, int | float) and item < 0 for item in value)
        return (" to " if negative else "–").join(_styled(item, style) for item in value)
    if style is not None:
        return format(value, style)
    return f"{value:g}" if isinstance(value, float) else str(value)


def value(project: Path, file: str, key: str, style: str | None, where: str) -> str:
    """The value at dotted `key` of the project's YAML or JSON `file`, styled."""
    path = (project / file).resolve()
    if not path.is_relative_to(project.resolve()) or path.suffix not in (".yaml", ".json"):
        raise InputError(f"{where}: value from {file!r}: not a YAML or JSON file of the project")
    if not path.is_file():
        raise InputError(f"{where}: value from {file}: no such file")
    import yaml

    try:
        text = path.read_text()
        found = yaml.safe_load(text) if path.suffix == ".yaml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        problem = str(error).splitlines()[0]
        raise InputError(f"{where}: value from {file}: cannot read it: {problem}") from None
    for part in key.split("."):
        if not isinstance(found, dict) or part not in found:
            raise InputError(f"{where}: value from {file}: no {key!r}")
        found = found[part]
    try:
        return _styled(found, style)
    except (TypeError, ValueError):
        raise InputError(
            f"{where}: value from {file}: cannot show {key} = {found!r} as {style!r}"
        ) from None


RENDERERS: dict[str, Callable[[Path], str]] = {
    "dag": dag,
    "exp-show": exp_show,
    "headline": headline,
    "overall": overall,
    "register": register,
}
# the blocks that take an argument, `<!-- figures: NAME ARG -->`
RENDERERS_OF: dict[str, Callable[[Path, str], str]] = {
    "options": options,
    "params": params_section,
}


def _check_markers(text: str, where: str) -> None:
    """Every opening marker starts a whole block or value: one left unclosed, or malformed, is
    an InputError naming its line (else it would silently never be rendered)."""
    whole = {m.start() for pattern in (BLOCK, VALUE) for m in pattern.finditer(text)}
    for opening in re.finditer(r"<!-- (figures|value):", text):
        if opening.start() not in whole:
            line = text.count("\n", 0, opening.start()) + 1
            kind = opening.group(1)
            raise InputError(
                f"{where}:{line}: <!-- {kind}: ... --> is malformed or has no <!-- /{kind} -->"
                " after it"
            )


def render(text: str, project: Path, where: str = "text") -> str:
    """`text` with every figures block and value rendered afresh; an unknown name is an
    InputError naming `where`."""

    def block(match: re.Match) -> str:
        opening, name, argument, _, closing = match.groups()
        if argument is None and name in RENDERERS:
            return opening + RENDERERS[name](project) + closing
        if argument is not None and name in RENDERERS_OF:
            try:
                return opening + RENDERERS_OF[name](project, argument) + closing
            except InputError as error:
                raise InputError(f"{where}: {error}") from None
        known = ", ".join([*sorted(RENDERERS), *(f"{n} ARG" for n in sorted(RENDERERS_OF))])
        shown = name if argument is None else f"{name} {argument}"
        raise InputError(f"{where}: unknown figures block {shown!r} (known: {known})")

    def inline(match: re.Match) -> str:
        opening, file, key, style, closing = match.groups()
        return opening + value(project, file, key, style, where) + closing

    _check_markers(text, where)
    return VALUE.sub(inline, BLOCK.sub(block, text))


def documents(project: Path) -> list[Path]:
    """The Markdown files that may hold figures blocks."""
    return sorted({path for pattern in DOCUMENTS for path in project.glob(pattern)})


def _rendered(project: Path) -> dict[Path, str]:
    """Each document whose blocks differ from what the reports give, rendered afresh."""
    fresh = {}
    for path in documents(project):
        text = path.read_text()
        new = render(text, project, str(path.relative_to(project)))
        if new != text:
            fresh[path] = new
    return fresh


def stale(project: Path) -> list[Path]:
    """The documents whose blocks differ from what the reports give now."""
    return sorted(_rendered(project))


def rewrite(project: Path) -> list[Path]:
    """Render every document's blocks in place (atomically); the files that changed."""
    from speech2face.files import write_text

    fresh = _rendered(project)
    for path, text in fresh.items():
        write_text(path, text)
    return sorted(fresh)
