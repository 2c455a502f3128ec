"""The team's server and tuning on PostgreSQL (results: benchmarks/README.md).

    .venv/bin/python benchmarks/bench_team.py [--trials 4] [--max-epochs 1]

After `make repro` (trials read data/ and models/). Side by side in one run:
1. `speech2face server` in a fresh folder (initdb, the MLflow schema), then restarted on the
   same folder: seconds until it says it is up;
2. on that server, two tuning studies of `--trials` trials each on the project's default
   params (`--max-epochs` epochs per trial, no pruning): one `speech2face tune --workers 1`,
   one `--workers 2`; trials per minute of wall time.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = str(Path(sys.executable).with_name("speech2face"))
sys.path.insert(0, str(ROOT / "src"))

from speech2face.network import free_port  # noqa: E402


def start_server(data: Path, port: int, db_port: int) -> tuple[subprocess.Popen, float]:
    """The server on `data`, and the seconds until it said it is up."""
    output = data.parent / f"{data.name}.out"
    start = time.perf_counter()
    with output.open("w") as log:
        command = [PROGRAM, "server", "--data", str(data), "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--db-port", str(db_port)], stdout=log, stderr=subprocess.STDOUT
        )
    while "Ctrl-C stops" not in output.read_text():
        if process.poll() is not None:
            sys.exit(f"the server exited: {output.read_text()}")
        time.sleep(0.1)
    return process, time.perf_counter() - start


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def tuning_minutes(params: Path, storage: str, name: str, workers: int, trials: int) -> float:
    """Wall minutes of a fresh study of `trials` trials run by `workers` processes."""
    command = [PROGRAM, "tune", "--params", str(params), "--storage", storage]
    command += ["--study-name", name, "--n-trials", str(trials), "--workers", str(workers)]
    command += ["--out", str(params.parent / name)]
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - start) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4)
    parser.add_argument("--max-epochs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="s2f-bench-team-") as folder:
        folder = Path(folder)
        folder.chmod(0o711)  # the postgres user reaches the cluster's folder
        data, port, db_port = folder / "server", free_port(), free_port()
        cold_process, cold = start_server(data, port, db_port)
        stop(cold_process)
        process, warm = start_server(data, port, db_port)
        print(f"server up: first start {cold:.1f} s, restart {warm:.1f} s")
        try:
            document = yaml.safe_load((ROOT / "params.yaml").read_text())
            document["tune"]["pruner"]["kind"] = "none"
            document["train_voice_encoder"]["trainer"]["max_epochs"] = args.max_epochs
            params = folder / "params.yaml"
            params.write_text(yaml.safe_dump(document, sort_keys=False))
            storage = f"postgresql+psycopg://postgres@127.0.0.1:{db_port}/optuna"
            os.environ["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{port}"
            for workers in (1, 2):
                name = f"bench-{workers}-workers"
                minutes = tuning_minutes(params, storage, name, workers, args.trials)
                rate = args.trials / minutes
                print(
                    f"{workers} worker(s): {args.trials} trials in {minutes:.2f} min, "
                    f"{rate:.2f} trials/min"
                )
        finally:
            stop(process)


if __name__ == "__main__":
    main()
