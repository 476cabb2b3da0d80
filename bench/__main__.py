"""`make bench`: the exporter's speed and memory targets, each measured against a baseline
taken in the same run, so the ratios mean the same on a slow laptop and a fast CI box.

Prints a table (metric, ours, baseline, ratio, target) and writes it, with the machine it ran
on, to docs/benchmarks.md. These are benchmarks, not tests: nothing here runs in make test.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from prometheus_client.exposition import generate_latest

from bench.shards import INTERVAL as SHARD_INTERVAL
from bench.shards import WINDOW as SHARD_WINDOW
from exporter.collector import Exposition, build_metrics
from exporter.config import load_text
from exporter.engine import Engine
from exporter.snapshot import Model, Provider, Snapshot
from exporter.views import FleetView, SourceView
from exporter.web.app import App
from exporter.web.server import Server
from tests.support.procfs import cpu_seconds, status

ROOT = Path(__file__).resolve().parent.parent
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
CHURN_SECONDS = float(os.environ.get("BENCH_CHURN_SECONDS", 30))
# One scrape a second, as Prometheus scrapes at most. Of 30 scrapes the p99 is the slowest one,
# so it is noisy on a 2-core machine shared with the vendors' fake server; BENCH_SCRAPE_PERIOD=0.2
# gives a p99 of 150 (about 8 to 19 ms here, against 50 to 76 ms before polls took turns in
# jobs.CPU_LANE).
SCRAPE_PERIOD = float(os.environ.get("BENCH_SCRAPE_PERIOD", 1.0))
ROWS: list[tuple[str, str, str, str, str, bool]] = []  # metric, ours, baseline, ratio, target, met


def row(metric: str, ours: str, baseline: str, ratio: str, target: str, met: bool) -> None:
    ROWS.append((metric, ours, baseline, ratio, target, met))
    print(f"{'ok  ' if met else 'MISS'} {metric:52} {ours:>14} {baseline:>14} {ratio:>10}   {target}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# -- a fleet of LiteLLM proxies with large catalogs --------------------------------------------
class Catalogs:
    """Serves `sources` LiteLLM proxies of `models` models each. Every `change_every`-th poll of
    a proxy reprices one of its models, as real catalogs change: now and then, a little."""

    def __init__(self, sources: int, models: int, change_every: int = 10, delay: float = 0.0):
        self.delay = delay
        self.version = dict.fromkeys(range(sources), 0)
        self.polls = dict.fromkeys(range(sources), 0)
        self.models, self.change_every = models, change_every
        self.connections = 0
        self._bodies: dict[tuple[int, int], bytes] = {}
        catalogs = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                catalogs.connections += 1
                super().setup()

            def do_GET(self) -> None:
                if catalogs.delay:
                    time.sleep(catalogs.delay)
                parts = self.path.split("/")
                index = int(parts[1][1:])
                ready = self.path.endswith("/health/readiness")
                body = b'{"status": "healthy"}' if ready else catalogs.body(index)
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # the poll gave up (a timeout)
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class _Server(ThreadingHTTPServer):
            request_queue_size = 256
            daemon_threads = True

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._httpd.serve_forever, args=(0.1,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def body(self, index: int) -> bytes:
        self.polls[index] += 1
        if self.change_every and self.polls[index] % self.change_every == 0:
            self.version[index] += 1
        key = (index, self.version[index])
        if key not in self._bodies:
            self._bodies.pop((index, self.version[index] - 1), None)
            rng = random.Random(index)
            data = []
            for i in range(self.models):
                price = 1e-6 * (1 + rng.random()) * (1.01 if i == self.version[index] % self.models else 1)
                data.append({"model_name": f"vendor{index}/model-{i}", "model_info": {
                    "input_cost_per_token": price, "output_cost_per_token": price * 4, "max_input_tokens": 8192 + i,
                    "mode": "chat", "supports_function_calling": i % 2 == 0, "supports_vision": i % 3 == 0,
                    "supports_reasoning": i % 5 == 0, "supports_response_schema": True,
                    "supports_image_generation": False}})
            self._bodies[key] = json.dumps({"data": data}).encode()
        return self._bodies[key]

    def config(self, interval: str = "2s", timeout: str = "5s") -> str:
        return f"poll_interval: {interval}\ntimeout: {timeout}\nsources:\n" + "".join(
            f"  - {{name: s{i}, type: litellm, url: '{self.url}/s{i}'}}\n" for i in self.version)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def rss_mb(pid: int) -> float:
    return status(pid).get("VmRSS", float("nan")) / 1024


class BenchExporter:
    def __init__(self, config: str, *args: str, ready_within: float = 120):
        self.tmp = tempfile.TemporaryDirectory()
        path = Path(self.tmp.name) / "config.yaml"
        path.write_text(config)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = Path(self.tmp.name) / "exporter.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "bench.exporter", str(path), "--port",
                                          str(self.port), *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + ready_within
        while True:
            try:
                if requests.get(self.url + "/readyz", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.stop()  # never leave it running behind the error
                raise RuntimeError(f"bench exporter did not get ready within {ready_within:g} s")
            time.sleep(0.2)

    def scrape(self, session: requests.Session) -> tuple[float, int]:
        started = time.perf_counter()
        with session.get(self.url + "/metrics", headers={"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"},
                         stream=True, timeout=60) as response:
            size = len(response.raw.read(decode_content=False))
        return time.perf_counter() - started, size

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGUSR1)  # faulthandler: every thread's stack to the log
            time.sleep(1)
            print("bench exporter did not stop on SIGTERM; its threads:\n" + self.log.read_text()[-6000:])
            self.proc.kill()
            self.proc.wait()
        self.tmp.cleanup()


def _scraper(url: str, seconds: float, results: Any) -> None:
    """Scrapes every SCRAPE_PERIOD for `seconds`, in a process of its own: the vendors' fake server
    lives in the bench's process, and its work must not count in the scrape times."""
    session = requests.Session()
    times, size = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        tick = time.monotonic()
        started = time.perf_counter()
        with session.get(url, headers={"Accept": PROMETHEUS_ACCEPT, "Accept-Encoding": "gzip"}, stream=True,
                         timeout=60) as response:
            size = len(response.raw.read(decode_content=False))
        times.append(time.perf_counter() - started)
        time.sleep(max(0.0, SCRAPE_PERIOD - (time.monotonic() - tick)))
    results.put((times, size))


def scrape_run(config: str, seconds: float, *args: str) -> tuple[list[float], float, int]:
    """Scrapes every SCRAPE_PERIOD for `seconds`; returns the scrape times, the exporter's CPU
    seconds over the run and the last body's size."""
    import multiprocessing

    exporter = BenchExporter(config, *args)
    try:
        exporter.scrape(requests.Session())  # the first render is not what is measured
        time.sleep(2)
        cpu0 = cpu_seconds(exporter.proc.pid)
        results: Any = multiprocessing.Queue()
        scraper = multiprocessing.Process(target=_scraper, args=(exporter.url + "/metrics", seconds, results))
        scraper.start()
        times, size = results.get()
        scraper.join()
        return times, cpu_seconds(exporter.proc.pid) - cpu0, size
    finally:
        exporter.stop()


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_churn() -> None:
    catalogs = Catalogs(sources=10, models=1000)
    try:
        config = catalogs.config(interval="2s")
        static, _, size = scrape_run(config, CHURN_SECONDS / 2, "--no-polling")
        churn, cpu, _ = scrape_run(config, CHURN_SECONDS)
        full, full_cpu, _ = scrape_run(config, CHURN_SECONDS, "--full-render")
    finally:
        catalogs.stop()
    base = statistics.median(static)
    print(f"     (10 sources x 1,000 models, polled every 2 s, {CHURN_SECONDS:.0f} s of "
          f"{1 / SCRAPE_PERIOD:.0f} scrapes a second; gzip body {size / 1e6:.1f} MB)")
    row("scrape under churn, p50 (vs no-churn p50)", ms(p(churn, 0.5)), ms(base), f"{p(churn, 0.5) / base:.1f}x",
        "<= 3x", p(churn, 0.5) <= 3 * base)
    row("scrape under churn, p99 (vs no-churn p50)", ms(p(churn, 0.99)), ms(base), f"{p(churn, 0.99) / base:.1f}x",
        "<= 5x", p(churn, 0.99) <= 5 * base)
    row("scrape under churn, full render per view: p50", ms(p(full, 0.5)), ms(base), f"{p(full, 0.5) / base:.1f}x",
        "(the old design)", True)
    row("exporter CPU over the run (vs full render)", f"{cpu:.1f} s", f"{full_cpu:.1f} s", f"{cpu / full_cpu:.0%}",
        "<= 50%", cpu <= 0.5 * full_cpu)


# -- static scrapes ------------------------------------------------------------------------
def synthetic_view(models: int) -> FleetView:
    caps = tuple((c, i % 2 == 0) for i, c in enumerate(("tools", "vision", "image_generation", "reasoning",
                                                         "structured_output")))
    snapshot = Snapshot(
        providers=(Provider(id="bench", name="Bench", health="healthy", follows_source=True),),
        models=tuple(Model(provider="bench", id=f"vendor/model-{i}", name=f"Model {i}",
                           prices=(("input", Decimal("0.000001") * (i + 1)), ("output", Decimal("0.000002"))),
                           context_length=8192 + i, capabilities=caps) for i in range(models)),
        catalog=True,
    )
    source = SourceView(name="bench", type="openai", endpoints=("models",), interval=60, up=True, polled=True,
                        last_success=time.time(), snapshot=snapshot, requests=(("models", 1),))
    return FleetView(generation=1, ready=True, sources=(source,))


class StaticEngine:
    """Just enough of Engine for App: a fixed view."""

    def __init__(self, view: FleetView):
        self._view = view
        self.ready = True

    def view(self) -> FleetView:
        return self._view

    def subscribe(self, listener: Callable[[], None]) -> None:
        pass


def serve(view: FleetView) -> tuple[Server, str]:
    server = Server(App(StaticEngine(view)), "127.0.0.1:0")
    server.start()
    return server, f"http://127.0.0.1:{server.port}/metrics"


def series(body: bytes) -> int:
    return sum(1 for line in body.splitlines() if line and not line.startswith(b"#"))


def bench_static() -> None:
    view = synthetic_view(50_000 // 10)
    exposition = Exposition(lambda: view)
    n = series(exposition.render())
    server, url = serve(view)
    session = requests.Session()
    times = []
    try:
        session.get(url)
        for _ in range(30):
            started = time.perf_counter()
            session.get(url).content  # noqa: B018 - read the body
            times.append(time.perf_counter() - started)
    finally:
        server.stop()
    renders = []
    metrics = list(build_metrics_of(view))
    for _ in range(5):
        started = time.perf_counter()
        generate_latest(_Fixed(metrics))
        renders.append(time.perf_counter() - started)
    cached, render = statistics.median(times), statistics.median(renders)
    row(f"static scrape of {n:,} series, p50 (vs generate_latest)", ms(cached), ms(render),
        f"{render / cached:.0f}x lower", ">= 20x lower", render / cached >= 20)


class _Fixed:
    def __init__(self, metrics: list[Any]):
        self._metrics = metrics

    def collect(self) -> list[Any]:
        return self._metrics


def build_metrics_of(view: FleetView) -> list[Any]:
    from exporter.collector import all_samples

    return list(build_metrics(all_samples(view)).values())


def _load(url: str, seconds: float, results: Any) -> None:
    """One client process: keep-alive-less GETs as fast as it can, for `seconds`."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    count, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        conn.request("GET", parts.path, headers={"Accept-Encoding": "gzip"})
        conn.getresponse().read()
        conn.close()
        count += 1
    results.put(count)


def throughput(url: str, clients: int = 8, seconds: float = 5.0) -> float:
    import multiprocessing

    results: Any = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_load, args=(url, seconds, results)) for _ in range(clients)]
    for proc in procs:
        proc.start()
    total = sum(results.get() for _ in procs)
    for proc in procs:
        proc.join()
    return total / seconds


class _Bytes(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def bench_throughput() -> None:
    view = synthetic_view(5_000 // 10)
    server, url = serve(view)
    try:
        body = requests.get(url, headers={"Accept-Encoding": "gzip"}, stream=True).raw.read(decode_content=False)
        ours = throughput(url)
    finally:
        server.stop()
    _Bytes.body = body
    plain = ThreadingHTTPServer(("127.0.0.1", 0), _Bytes)
    plain.daemon_threads = True
    threading.Thread(target=plain.serve_forever, daemon=True).start()
    try:
        baseline = throughput(f"http://127.0.0.1:{plain.server_address[1]}/metrics")
    finally:
        plain.shutdown()
        plain.server_close()
    row("scrapes/s, 5,000 series, 8 clients (vs fixed bytes)", f"{ours:,.0f}/s", f"{baseline:,.0f}/s",
        f"{ours / baseline:.2f}x", ">= 1,000/s", ours >= 1000)


# -- polling ---------------------------------------------------------------------------------
def round_seconds(sources: int, hang: bool = False) -> tuple[float, float]:
    """One round of `sources` sources whose answers take 1 s; with hang, one more source
    hangs for its whole 5 s timeout. Returns the round's time and the latest update among
    the sources that answer."""
    catalogs = Catalogs(sources=sources, models=1, change_every=0, delay=1.0)
    hanging = None
    try:
        text = catalogs.config(interval="60s", timeout="5s")
        if hang:
            hanging = socket.socket()
            hanging.bind(("127.0.0.1", 0))
            hanging.listen(16)  # accepts, never answers
            text += f"  - {{name: hang, type: litellm, url: 'http://127.0.0.1:{hanging.getsockname()[1]}'}}\n"
        engine = Engine(load_text(text, env={}), retries=0)
        started = time.perf_counter()
        view = engine.run_once()
        elapsed = time.perf_counter() - started
        updates = [s.last_poll for s in view.sources if s.name != "hang" and s.last_poll]
        engine.stop()
        return elapsed, max(updates) - (time.time() - elapsed)
    finally:
        catalogs.stop()
        if hanging is not None:
            hanging.close()


def bench_polling() -> None:
    one, _ = round_seconds(1)
    hundred, _ = round_seconds(100)
    row("poll round, 100 sources x 1 s (vs 1 source)", f"{hundred:.2f} s", f"{one:.2f} s", f"{hundred / one:.2f}x",
        "< 3 s", hundred < 3)
    _, free = round_seconds(10)
    _, blocked = round_seconds(10, hang=True)
    row("others' last update beside a 5 s hang (vs none)", f"{blocked:.2f} s", f"{free:.2f} s",
        f"{blocked / free:.2f}x", "no delay (~1x)", blocked < free + 0.5)


def bench_connections() -> None:
    """10 polls of one HTTPS source: connections the server accepted."""
    tmp = Path(tempfile.mkdtemp())
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(tmp / "key.pem"),
                    "-out", str(tmp / "cert.pem")], check=True, capture_output=True)
    import ssl

    catalogs = Catalogs(sources=1, models=10, change_every=0)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    catalogs._httpd.socket = context.wrap_socket(catalogs._httpd.socket, server_side=True)
    url = catalogs.url.replace("http://", "https://")
    os.environ["REQUESTS_CA_BUNDLE"] = str(tmp / "cert.pem")
    try:
        engine = Engine(load_text(f"sources:\n  - {{name: s0, type: litellm, url: '{url}/s0'}}\n", env={}))
        for _ in range(10):
            view = engine.run_once()
            assert view.sources[0].up, view.sources[0].last_error
        engine.stop()
        ours = catalogs.connections
        baseline_before = catalogs.connections
        from exporter.http import Client, PollRecorder

        for _ in range(10):  # a fresh client (and session) per poll, as before
            with Client(timeout=5, deadline=time.monotonic() + 5, recorder=PollRecorder()) as client:
                client.get("x", f"{url}/s0/model/info")
        baseline = catalogs.connections - baseline_before
    finally:
        del os.environ["REQUESTS_CA_BUNDLE"]
        catalogs.stop()
    row("HTTPS connections for 10 polls of one source", f"{ours}", f"{baseline}", f"{ours / baseline:.1f}x",
        "1 (not 10)", ours == 1)


# -- memory and startup ----------------------------------------------------------------------
MEMORY_PROBE = """
import json, sys, time
from pathlib import Path
from exporter.collector import Exposition
from exporter.config import load_text
from exporter.engine import Engine
def rss():
    return next(int(l.split()[1]) for l in Path('/proc/self/status').read_text().splitlines()
                if l.startswith('VmRSS:')) / 1024
imported = rss()
engine = Engine(load_text(sys.stdin.read(), env={}), retries=0)
exposition = Exposition(engine.view)
engine.subscribe(exposition.prepare)
rounds = int(sys.argv[1])
samples = {}
for i in range(1, rounds + 1):
    engine.run_once()
    exposition.render(Exposition.OPENMETRICS, compressed=True)
    if i in (1, rounds // 4, rounds):
        samples[i] = rss()
series = sum(1 for l in exposition.render().splitlines() if l and not l.startswith(b'#'))
print(json.dumps({"rss": samples, "series": series, "imported": imported}))
engine.stop()
"""


def probe(config: str, rounds: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(rounds)], input=config, capture_output=True,
                         text=True, cwd=ROOT, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_memory() -> None:
    big = Catalogs(sources=100, models=100, change_every=5)
    try:
        result = probe(big.config(), 3)
    finally:
        big.stop()
    peak, idle = max(result["rss"].values()), result["imported"]
    row(f"RSS, {result['series']:,} series from 100 sources (vs imports)", f"{peak:.0f} MB", f"{idle:.0f} MB",
        f"{peak / idle:.1f}x", "< 200 MB", peak < 200)
    churn = Catalogs(sources=10, models=50, change_every=3)
    try:
        result = probe(churn.config(), 1000)
    finally:
        churn.stop()
    # The first quarter warms up (the allocator's arenas, the HTTP pools, the thread pool).
    early, late = result["rss"]["250"], result["rss"]["1000"]
    row("RSS after 1,000 poll rounds (vs after 250)", f"{late:.0f} MB", f"{early:.0f} MB", f"{late / early:.2f}x",
        "no growth (<= 1.05x)", late <= early * 1.05)


def bench_startup() -> None:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "exporter", "--version"], cwd=ROOT, check=True, capture_output=True)
    interpreter = time.perf_counter() - started
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "exporter", "--demo", "--web.listen-address", f"127.0.0.1:{port}"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.02)
        ready = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    row("start to /readyz 200, demo fleet (vs --version)", f"{ready:.2f} s", f"{interpreter:.2f} s",
        f"{ready / interpreter:.1f}x", "< 3 s", ready < 3)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
               if line.startswith("MemTotal:")) / 1024 / 1024
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def write_report(path: Path) -> None:
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/); every figure is measured against a baseline taken in",
        "the same run. Run it again on your machine: the ratios should hold, the absolute numbers will not.",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}.",
        "",
        "| metric | ours | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
        *(f"| {m} | {o} | {b} | {r} | {t} | {'yes' if ok else 'NO'} |" for m, o, b, r, t, ok in ROWS),
        "",
        "Setups: churn, 10 LiteLLM sources of 1,000 models each (about 110,000 series) polled every 2 s,",
        "each catalog repricing one model on every tenth poll, scraped once a second for 30 s with",
        "Prometheus's Accept and Accept-Encoding headers; the no-churn baseline is the same exporter",
        "after one round of polls, and the full-render baseline the same churn with the whole body",
        "rendered for every new view (the design before the fragment cache, kept for this bench only).",
        "CPU is the exporter process's user and system time from /proc. Throughput: 8 client",
        "processes, one connection per scrape, against a server of the same bytes. Polling: sources",
        "whose answers take 1 s; a hanging source accepts and never answers. Memory: RSS from /proc",
        "of a process polling 100 sources (about 100,000 series), and of 1,000 rounds of 10 sources",
        "whose catalogs keep changing, compared with round 250 (the first quarter warms up the",
        "allocator's arenas, the HTTP connection pools and the thread pool).",
        "Capped (bench/caps.py): every family a hostile answer could grow, at its cap at once, in",
        "the real exporter restarted on its state: the usage book at limits.max_usage_series from a",
        "250,000-call ledger over 100 providers, 500 models and 5 tasks; an OpenRouter catalog at",
        "limits.max_models, its activity listing 85,000 models, and 50 watched models with 60 upstream",
        "endpoints each. The first whole scrape is the first after /readyz with every call counted;",
        "the CPU is the process's over 30 s while the ledger grows by 100 lines a second from 50",
        "combinations already in the book (an application fleet), against 30 idle seconds before.",
        "Shards (bench/shards.py): 2,000 LiteLLM sources of 50 models each (100,000 models), polled every",
        f"{SHARD_INTERVAL:g} s by 1, 2 and 4 shards of one config (--shard.index/--shard.count), all on this",
        "machine: the slowest shard's first round (start to /readyz) and scrape p50, the largest shard's RSS,",
        "its series against an even split of the fleet's (the hash's balance), and the polls the fake vendors",
        f"counted over {SHARD_WINDOW:g} s against one per source per interval (above 1: a source polled twice;",
        "below: polls that did not keep up, see docs/scaling.md).",
        "",
    ]
    path.write_text("\n".join(lines))


def bench_capped() -> None:
    from bench import caps as bench_caps

    deployment = (ROOT / "deploy" / "kubernetes" / "base" / "deployment.yaml").read_text()
    limit = int(deployment.split("limits:", 1)[1].split("memory:", 1)[1].split()[0].removesuffix("Mi"))
    bench_caps.run(row, cpu_seconds, rss_mb, free_port, limit)


def bench_shards() -> None:
    from bench import shards as bench_shards

    # one exporter's first round of 2,000 sources takes minutes on 2 cores (docs/scaling.md)
    bench_shards.run(row, Catalogs, functools.partial(BenchExporter, ready_within=900), rss_mb, p)


BENCHES = (bench_startup, bench_polling, bench_connections, bench_static, bench_throughput, bench_memory, bench_churn,
           bench_capped, bench_shards)


def main() -> int:
    print(f"{'':5}{'metric':52} {'ours':>14} {'baseline':>14} {'ratio':>10}   target")
    only = os.environ.get("BENCH_ONLY")  # one bench by name while working on it, e.g. BENCH_ONLY=capped
    for bench in BENCHES:
        if only and bench.__name__ != f"bench_{only}":
            continue
        bench()
    if only:
        return 0 if all(r[5] for r in ROWS) else 1
    write_report(ROOT / "docs" / "benchmarks.md")
    print(f"\nwrote docs/benchmarks.md ({machine()})")
    return 0 if all(r[5] for r in ROWS) else 1


if __name__ == "__main__":
    sys.exit(main())
