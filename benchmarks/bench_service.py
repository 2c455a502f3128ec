"""Load test of `speech2face serve`, on loopback only, run by hand after `dvc repro`:

    .venv/bin/python benchmarks/bench_service.py [--requests 500] [--model models]

Starts the service as its own process (as `make serve` does) on the project's models, then,
for a 5 s WAV and the same 5 s as WebM/Opus (what Chrome records), sends `--requests`
requests at concurrency 1 and at 8, after 10 warm-up requests that are not counted: latency
p50/p95, throughput, status codes, and the service's own inference time (`X-Inference-Ms`).
Last, the server's RSS before and after 1,000 more requests. Targets (issue 13): p50 <= 150 ms
for the WAV at concurrency 1; p95 <= 1 s at 8; no 5xx but 503; RSS growth <= 50 MB.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import psutil
import soundfile

from speech2face import paths
from speech2face.audio import load_mono
from speech2face.network import free_port

SECONDS = 5.0
WARM_UP = 10


def voices(folder: Path) -> dict[str, tuple[bytes, str]]:
    """A test speaker's 5 s of speech as WAV (16 kHz PCM) and as WebM/Opus (48 kHz)."""
    manifest = pd.read_csv(paths.RAW / "manifest.csv")
    clips = manifest[manifest.split == "test"].audio_path
    speech = np.concatenate([load_mono(paths.RAW / c, 16000) for c in clips[:3]])
    speech = speech[: int(SECONDS * 16000)]
    wav = folder / "voice.wav"
    soundfile.write(wav, speech, 16000, "PCM_16")
    webm = folder / "voice.webm"
    import av
    import soxr

    with av.open(str(webm), "w") as output:
        stream = output.add_stream("libopus", rate=48000)
        stream.layout = "mono"
        samples = soxr.resample(speech, 16000, 48000).astype(np.float32)[None]
        frame = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        frame.sample_rate = 48000
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return {"wav": (wav.read_bytes(), "audio/wav"), "webm": (webm.read_bytes(), "audio/webm")}


def start_server(model: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(Path(sys.executable).parent / "speech2face"), "serve", "--model", model]
    command += ["--port", str(port), "--queue", "64"]
    server = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return server, base
        except httpx.TransportError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("the service did not start within 120 s")


def one(client: httpx.Client, base: str, payload: tuple[bytes, str]) -> tuple[int, float, float]:
    data, kind = payload
    started = time.perf_counter()
    response = client.post(base + "/v1/faces", files={"audio": ("voice", data, kind)})
    latency = time.perf_counter() - started
    inference = float(response.headers.get("X-Inference-Ms", "nan"))
    return response.status_code, latency * 1000, inference


def load_test(base: str, payload, requests: int, concurrency: int) -> dict:
    with httpx.Client(timeout=60) as client:
        for _ in range(WARM_UP):
            one(client, base, payload)
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(lambda _: one(client, base, payload), range(requests)))
        elapsed = time.perf_counter() - started
    statuses = Counter(status for status, _, _ in results)
    latency = np.array([ms for status, ms, _ in results if status == 200])
    inference = np.array([ms for status, _, ms in results if status == 200])
    return {
        "requests": requests,
        "concurrency": concurrency,
        "p50_ms": float(np.percentile(latency, 50)),
        "p95_ms": float(np.percentile(latency, 95)),
        "throughput_rps": requests / elapsed,
        "inference_p50_ms": float(np.percentile(inference, 50)),
        "statuses": dict(sorted(statuses.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--model", default=str(paths.MODELS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        payloads = voices(Path(folder))
        server, base = start_server(args.model)
        try:
            process = psutil.Process(server.pid)
            rows = []
            for name, payload in payloads.items():
                for concurrency in (1, 8):
                    row = load_test(base, payload, args.requests, concurrency)
                    rows.append({"input": f"5 s {name} ({len(payload[0]) // 1024} KB)", **row})
                    print(
                        {
                            k: round(v, 1) if isinstance(v, float) else v
                            for k, v in rows[-1].items()
                        },
                        flush=True,
                    )
            before = process.memory_info().rss
            leak = load_test(base, payloads["wav"], 1000, 8)
            after = process.memory_info().rss
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
    table = pd.DataFrame(rows)
    print(table.to_markdown(index=False, floatfmt=".1f"))
    print(
        f"RSS {before / 2**20:.0f} MB -> {after / 2**20:.0f} MB over 1,000 requests "
        f"(+{(after - before) / 2**20:.1f} MB); statuses {leak['statuses']}"
    )


if __name__ == "__main__":
    main()
