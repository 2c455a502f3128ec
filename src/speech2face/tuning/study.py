"""The study: its storage, sampler and pruner, and the workers that run its trials.

A study is found again by name in its storage, so a killed or timed-out invocation resumes
where it stopped, and workers on several machines share one study through one RDB URL.
`n_trials` counts for the whole study: a worker starts a trial only while the finished and
running ones are fewer.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import optuna
from optuna.trial import TrialState

from speech2face.errors import InputError
from speech2face.network import without_password
from speech2face.params import HeartbeatParams, TuneParams
from speech2face.tracking import real_root, stage_runs_under
from speech2face.tuning.objective import (
    OBJECTIVES,
    FailedTrial,
    Job,
    pruning_monitor,
    run_trial,
)
from speech2face.tuning.space import parse_space, untuned

FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
ENDED = (*FINISHED, TrialState.FAIL)
COUNTED = (*FINISHED, TrialState.RUNNING)  # a running trial will finish: it takes a place
SAMPLERS = ("tpe", "random")
PRUNERS = ("median", "threshold", "none")


class Surplus(Exception):
    """A trial started when the study already had its `n_trials` (a race between workers)."""


def check(params: TuneParams, where: str) -> None:
    """InputError for settings Optuna would refuse or misread."""
    unknown = [name for name in params.objectives if name not in OBJECTIVES]
    if unknown or not params.objectives or len(set(params.objectives)) < len(params.objectives):
        raise InputError(
            f"{where}.objectives: expected distinct names among {sorted(OBJECTIVES)}, "
            f"got {list(params.objectives)}"
        )
    if params.sampler not in SAMPLERS:
        raise InputError(f"{where}.sampler: expected one of {SAMPLERS}, got {params.sampler!r}")
    if params.pruner.kind not in PRUNERS:
        raise InputError(f"{where}.pruner.kind: expected one of {PRUNERS}")
    if params.pruner.kind == "threshold" and params.pruner.threshold is None:
        raise InputError(f"{where}.pruner.threshold: the threshold pruner needs a value")
    for name in ("n_trials", "timeout", "population_size"):
        if getattr(params, name) is not None and getattr(params, name) < 1:
            raise InputError(f"{where}.{name}: expected a positive number")
    parse_space(params.space, f"{where}.space")


def storage_url(params: TuneParams, override: str | None, create: bool = True) -> str:
    """`--storage`, else `tune.storage`, else SQLite in the real project's `mlruns/` (also
    from a temporary DVC experiment copy), whose folder is made only when `create`."""
    if override or params.storage:
        return override or params.storage
    store = real_root() / "mlruns"
    if create:
        store.mkdir(exist_ok=True)
    return f"sqlite:///{store / 'optuna.db'}"


def existing_storage(url: str) -> optuna.storages.RDBStorage:
    """The storage at `url` if it holds a study; else an InputError saying how to make one.

    Nothing is created: a missing SQLite file stays missing, and tables are not made.
    """
    from sqlalchemy.exc import SQLAlchemyError

    shown = without_password(url)
    no_study = (
        f"no tuning study yet in {shown}: start one with `make tune` (or a quick one: "
        "`speech2face tune --n-trials 2 --max-epochs 2 --study-name quick`)"
    )
    if url.startswith("sqlite:///") and not _sqlite_has_studies(url.removeprefix("sqlite:///")):
        raise InputError(no_study)
    try:
        storage = optuna.storages.RDBStorage(url, skip_table_creation=True)
        studies = storage.get_all_studies()
    except (SQLAlchemyError, ImportError, ValueError, optuna.exceptions.OptunaError) as error:
        reason = str(error).strip().splitlines()[0]
        raise InputError(f"cannot read the study storage {shown!r}: {reason}") from None
    if not studies:
        raise InputError(no_study)
    return storage


def _sqlite_has_studies(database: str) -> bool:
    """Whether the SQLite file holds an Optuna study, read without creating or changing it."""
    import sqlite3

    if not os.path.isfile(database):
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            return db.execute("SELECT COUNT(*) FROM studies").fetchone()[0] > 0
    except sqlite3.Error:
        return False


def open_storage(url: str, params: TuneParams) -> optuna.storages.RDBStorage:
    """The storage, with heartbeats: a worker on another machine that dies leaves its trial
    RUNNING; its heartbeat stops, and after the grace period the next trial started anywhere
    (or `taken`) marks it FAIL and enqueues its values again (`tune.heartbeat.retries` times)."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError, SQLAlchemyError

    try:
        try:
            return _rdb_storage(url, params.heartbeat)
        except (IntegrityError, ProgrammingError) as error:
            # Workers that meet an empty database at once race to make its tables and the
            # losers fail: a second attempt finds the tables made.
            if "already exists" not in str(error):
                raise
            time.sleep(1.0)
            return _rdb_storage(url, params.heartbeat)
    except (SQLAlchemyError, ImportError, ValueError) as error:
        reason = str(error).strip().splitlines()[0]
        shown = without_password(url)
        raise InputError(f"cannot open the study storage {shown!r}: {reason}") from None


def _rdb_storage(url: str, beat: HeartbeatParams) -> optuna.storages.RDBStorage:
    # SQLite: wait for the other workers' writes instead of failing at once.
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat
        return optuna.storages.RDBStorage(
            url,
            engine_kwargs=engine,
            heartbeat_interval=beat.interval_seconds,
            grace_period=beat.grace_seconds,
            heartbeat_stale_trial_callback=FailedTrial(beat.retries),
        )


def directions(params: TuneParams) -> list[str]:
    return [OBJECTIVES[name].direction for name in params.objectives]


def _sampler(params: TuneParams, seed: int) -> optuna.samplers.BaseSampler:
    if len(params.objectives) > 1:
        return optuna.samplers.NSGAIISampler(population_size=params.population_size, seed=seed)
    if params.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _pruner(params: TuneParams, monitor: str | None) -> optuna.pruners.BasePruner:
    pruner = params.pruner
    if monitor is None:
        return optuna.pruners.NopPruner()
    if pruner.kind == "median":
        return optuna.pruners.MedianPruner(pruner.startup_trials, pruner.warmup_epochs)
    side = "lower" if directions(params)[0] == "maximize" else "upper"
    return optuna.pruners.ThresholdPruner(
        **{side: pruner.threshold}, n_warmup_steps=pruner.warmup_epochs
    )


def worker_id() -> str:
    """This process, told apart from a later one with the same pid: host, pid, start time."""
    import psutil

    return f"{socket.gethostname()}:{os.getpid()}:{psutil.Process().create_time():.0f}"


def is_gone(worker: str) -> bool:
    """Whether the worker process `worker` (from `worker_id`) ran on this host and is gone."""
    import psutil

    host, pid, started = worker.rsplit(":", 2)
    if host != socket.gethostname():
        return False
    try:
        return f"{psutil.Process(int(pid)).create_time():.0f}" != started
    except psutil.NoSuchProcess:
        return True


def open_study(params: TuneParams, url: str, worker: int = 0) -> optuna.Study:
    """The study, created on first use; its sampler seeded from `tune.seed`, this machine,
    the worker and the trials so far (a resumed study, a second worker or another machine
    draws new points; one machine's study is reproducible)."""
    storage = open_storage(url, params)
    try:
        done = storage.get_n_trials(storage.get_study_id_from_name(params.study_name))
    except KeyError:
        done = 0
    machine = zlib.crc32(socket.gethostname().encode())
    entropy = [params.seed, machine, worker, done]
    seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
    return optuna.create_study(
        storage=storage,
        study_name=params.study_name,
        directions=directions(params),
        sampler=_sampler(params, seed),
        pruner=_pruner(params, pruning_monitor(params)),
        load_if_exists=True,
    )


def check_resumable(study: optuna.Study, params: TuneParams, base: dict) -> None:
    """Check that a resumed study is the same study: objectives, search space, and the
    `train_voice_encoder` values it does not tune (its trials must compare)."""
    definition = {
        "objectives": params.objectives,
        "search space": params.space,
        "untuned train_voice_encoder values": untuned(base, params.space),
    }
    definition = json.loads(json.dumps(definition))
    stored = study.user_attrs.get("definition")
    if stored is None:
        study.set_user_attr("definition", definition)
    elif stored != definition:
        changed = ", ".join(part for part in definition if stored.get(part) != definition[part])
        raise InputError(
            f"study {study.study_name!r} was run with other {changed}: give tune.study_name "
            "a new name to start a new study"
        )


def fail_orphans(study: optuna.Study, retries: int, including_mine: bool = False) -> list[int]:
    """Mark FAIL the RUNNING trials whose worker process on this host is gone (killed), and
    with `including_mine` those of this process (interrupted), as the heartbeat does for other
    hosts (`FailedTrial`: values enqueued again, MLflow runs ended). Returns their numbers."""
    mine = worker_id()
    orphans = [
        trial
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        if "worker" in trial.user_attrs
        and (
            is_gone(trial.user_attrs["worker"])
            or (including_mine and trial.user_attrs["worker"] == mine)
        )
    ]
    failed = FailedTrial(retries)
    for trial in orphans:
        study.tell(trial.number, state=TrialState.FAIL)
        failed(study, trial)
    return [trial.number for trial in orphans]


def taken(study: optuna.Study) -> int:
    """The trials that count towards `n_trials`: finished, or running (they will finish),
    once trials whose heartbeat went silent are failed (and enqueued again)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    return len(study.get_trials(deepcopy=False, states=COUNTED))


@contextmanager
def quiet() -> Iterator[None]:
    """Trials print one line each (the monitor's), not Lightning's and Optuna's logs."""
    from lightning.pytorch.utilities.warnings import PossibleUserWarning

    # Lightning's rank-zero messages go to the logger of the Lightning package imported last,
    # and MLflow's model logging imports `pytorch_lightning`, which resets its own level.
    names = ("lightning.pytorch", "lightning.fabric", "pytorch_lightning.utilities", "optuna")
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PossibleUserWarning)
            # Raised once by MLflow's check of every trial's logged model.
            warnings.filterwarnings("ignore", "The given buffer is not writable", UserWarning)
            yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def work(job: Job, worker: int = 0) -> None:
    """One worker: run trials until the study has `n_trials` (or this worker's timeout)."""
    params = job.params
    space = parse_space(params.space, "tune.space")
    with quiet(), stage_runs_under(job.run_id):
        study = open_study(params, job.storage, worker)

        def objective(trial: optuna.Trial) -> list[float]:
            trial.set_user_attr("worker", worker_id())
            trial.set_user_attr("tune_run_id", job.run_id)  # ended by whoever finds it dead
            counted = study.get_trials(deepcopy=False, states=COUNTED)
            if sum(t.number < trial.number for t in counted) >= params.n_trials:
                study.stop()
                raise Surplus(f"the study already has {params.n_trials} trials")
            return run_trial(trial, job, space)

        def stop_when_full(study: optuna.Study, _) -> None:
            if taken(study) >= params.n_trials:
                study.stop()

        if taken(study) < params.n_trials:
            study.optimize(
                objective,
                timeout=params.timeout,
                catch=(Surplus,),
                callbacks=[stop_when_full],
                gc_after_trial=True,
            )


def _worker_process(job: Job, worker: int, threads: int) -> None:
    """A worker process with its share of the cores: Ctrl-C is for the invoking process,
    which stops them all."""
    import torch

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(os.getppid(),), daemon=True).start()
    torch.set_num_threads(threads)
    work(job, worker)


def _exit_with(parent: int) -> None:
    """End this worker once its invoking process is gone (killed): its running trial is then
    failed and run again like any killed worker's, instead of going on unwatched."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def run_workers(job: Job, workers: int) -> None:
    """`workers` processes on the study (this one alone when 1)."""
    if workers == 1:
        work(job)
        return
    context = multiprocessing.get_context("spawn")
    threads = max(1, len(os.sched_getaffinity(0)) // workers)  # not more threads than cores
    processes = [
        context.Process(target=_worker_process, args=(job, k, threads)) for k in range(workers)
    ]
    for process in processes:
        process.start()
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        for process in processes:
            process.terminate()
            process.join()
        raise
    failed = [p.exitcode for p in processes if p.exitcode]
    if failed:
        raise RuntimeError(f"{len(failed)} of {workers} workers failed (exit codes {failed})")
