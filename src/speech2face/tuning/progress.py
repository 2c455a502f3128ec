"""The study's progress, read from its storage: one bar for every worker, a line per trial."""

from __future__ import annotations

import threading

import optuna
from optuna.trial import FrozenTrial, TrialState
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from speech2face.tuning.study import ENDED, FINISHED


def _number(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def trial_line(trial: FrozenTrial, objectives: tuple[str, ...]) -> str:
    """One line: the trial's outcome, its values and parameters, and how long it took."""
    if trial.state == TrialState.COMPLETE:
        outcome = "complete: " + ", ".join(
            f"{name} {_number(v)}" for name, v in zip(objectives, trial.values)
        )
    elif trial.state == TrialState.PRUNED and trial.intermediate_values:
        epoch = max(trial.intermediate_values)
        value = trial.intermediate_values[epoch]
        outcome = f"pruned at epoch {epoch}: {objectives[0]} {_number(value)}"
    else:
        outcome = trial.state.name.lower()
    values = ", ".join(f"{k} {_number(v)}" for k, v in trial.params.items())
    seconds = trial.duration.total_seconds() if trial.duration else 0.0
    return f"trial {trial.number} {outcome} | {values} | {seconds:.0f} s"


class Monitor:
    """While open, polls the study every second: a bar of its finished trials out of
    `n_trials` (from every worker, here or elsewhere), and a line per trial that ends."""

    def __init__(
        self, study: optuna.Study, objectives: tuple[str, ...], n_trials: int, console: Console
    ):
        self.study, self.objectives, self.n_trials = study, objectives, n_trials
        self.seen = {t.number for t in study.get_trials(deepcopy=False, states=ENDED)}
        self.progress = Progress(
            TextColumn(f"study {study.study_name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.task = self.progress.add_task("trials", total=n_trials)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def poll(self) -> None:
        trials = self.study.get_trials(deepcopy=False)
        for trial in trials:
            if trial.state in ENDED and trial.number not in self.seen:
                self.seen.add(trial.number)
                self.progress.console.print(trial_line(trial, self.objectives), highlight=False)
        finished = sum(t.state in FINISHED for t in trials)
        self.progress.update(self.task, completed=min(finished, self.n_trials))

    def _loop(self) -> None:
        while not self.stopping.wait(1.0):
            self.poll()

    def __enter__(self) -> Monitor:
        self.progress.start()
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.stopping.set()
        self.thread.join()
        self.poll()
        self.progress.stop()
