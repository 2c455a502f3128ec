"""Run Great Expectations suites over tables, write the gate's reports, and tell pass or fail.

A gate validates one or more pandas tables, each with its own suite. Every expectation carries
a plain-language description, and every failure is reported with example rows named by the
table's row columns (e.g. the manifest line and clip id) and the offending value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from speech2face.files import write_json, write_text

EXAMPLES = 5


@dataclass
class Table:
    """A table to validate: its rows, its expectations, and the columns that name a row."""

    name: str
    frame: pd.DataFrame
    expectations: list = field(default_factory=list)
    row_columns: tuple[str, ...] = ()


@dataclass
class Outcome:
    """One expectation's result, reduced to what a person needs to fix the data."""

    table: str
    description: str
    expectation: str
    column: str | None
    success: bool
    unexpected: int | None = None
    rows: int = 0
    examples: list[dict] = field(default_factory=list)
    observed: object = None

    def message(self) -> str:
        """One line per failure: what was expected, how often it failed, and where."""
        where = f" [{self.column}]" if self.column else ""
        head = f"{self.table}: {self.description}{where}"
        if self.unexpected is not None:
            head += f": {self.unexpected} of {self.rows} rows fail"
        elif self.observed is not None:
            head += f": observed {self.observed}"
        lines = [head]
        lines += [f"    {_describe(example)}" for example in self.examples]
        return "\n".join(lines)


@dataclass
class GateResult:
    gate: str
    outcomes: list[Outcome]

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]


def _describe(example: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in example.items())


def _plain(value):
    """JSON-friendly scalars (GX hands back numpy types)."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _pair(kwargs: dict) -> str | None:
    """`a = b` for expectations over a pair of columns."""
    return f"{kwargs['column_A']} = {kwargs['column_B']}" if "column_A" in kwargs else None


def _outcome(table: Table, result) -> Outcome:
    config = result.expectation_config
    details = result.result or {}
    examples = [
        {key: _plain(value) for key, value in row.items()}
        for row in (details.get("unexpected_index_list") or [])[:EXAMPLES]
    ]
    exception = (result.exception_info or {}).get("exception_message")
    observed = details.get("observed_value", exception)
    return Outcome(
        table=table.name,
        description=config.description or config.type,
        expectation=config.type,
        column=config.kwargs.get("column") or _pair(config.kwargs),
        success=bool(result.success),
        unexpected=details.get("unexpected_count") if not result.success else None,
        rows=len(table.frame),
        examples=examples,
        observed=_plain(observed) if not isinstance(observed, list | dict) else observed,
    )


def validate(gate: str, tables: list[Table]) -> GateResult:
    """Validate every table with Great Expectations (an ephemeral context, one suite per table)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = context.data_sources.add_pandas(gate)
    outcomes = []
    for table in tables:
        batch = source.add_dataframe_asset(table.name).add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(
            gx.ExpectationSuite(name=f"{gate}.{table.name}", expectations=table.expectations)
        )
        definition = gx.ValidationDefinition(data=batch, suite=suite, name=f"{gate}.{table.name}")
        result = definition.run(
            batch_parameters={"dataframe": table.frame},
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": list(table.row_columns),
                "partial_unexpected_count": EXAMPLES,
            },
        )
        outcomes += [_outcome(table, r) for r in result.results]
    return GateResult(gate, outcomes)


def write_reports(result: GateResult, report_dir: Path) -> tuple[Path, Path]:
    """Write `<gate>.json` (every expectation) and `<gate>.md` (a summary a person reads)."""
    json_path = report_dir / f"{result.gate}.json"
    markdown_path = report_dir / f"{result.gate}.md"
    write_json(
        json_path,
        {
            "gate": result.gate,
            "success": result.success,
            "evaluated": len(result.outcomes),
            "failed": len(result.failures),
            "expectations": [vars(o) for o in result.outcomes],
        },
    )
    write_text(markdown_path, summary(result))
    return json_path, markdown_path


def summary(result: GateResult) -> str:
    """The gate's verdict, its failures with example rows, and a table of every check."""
    verdict = "PASSED" if result.success else "FAILED"
    lines = [
        f"# Gate `{result.gate}`: {verdict}",
        "",
        f"{len(result.outcomes) - len(result.failures)} of {len(result.outcomes)} checks passed.",
        "",
    ]
    if result.failures:
        lines += ["## Failures", "", "```"]
        lines += [o.message() for o in result.failures]
        lines += ["```", ""]
    lines += ["## Checks", "", "| table | check | column | result |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {o.table} | {o.description} | {o.column or ''} | {'ok' if o.success else 'FAIL'} |"
        for o in result.outcomes
    ]
    return "\n".join(lines) + "\n"
