"""bench/run: the registry against the bare framework, on one machine, in one run.

1. Load a synthetic registry (``manage.py generate_registry``) into its own database and
   recompute every outcome (timed: the full-registry recompute).
2. Load the bare baseline (``bench/bare``: DRF's generic list and detail views over one
   plain table) into a second database on the same PostgreSQL server.
3. Serve each with the same gunicorn settings (production settings, ``CONN_MAX_AGE``)
   and load it with wrk at 8 connections: bare list and detail, then the registry's
   patient list, detail, outcome, a visit POST and Table 1. Every request's status is
   counted; a run with a non-2xx answer is marked invalid.
4. Time in-process: recompute throughput (patients with 24 series, one process), Table 1
   over every patient, and, when the ``exchange`` app provides them, export (time, peak
   memory) and import of 1,000 patients.

Prints a table and writes ``bench/results/latest.json`` (and a timestamped copy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
RESULTS = ROOT / "bench" / "results"

# Targets of issue 19 on the 2-core machine.
TARGET_RATIO = 0.75  # of the bare framework without authentication, production defaults
TARGET_P99_MS = 50.0  # list, detail and outcome at 8 connections
TARGET_RECOMPUTE_PER_S = 500.0  # 24-series histories, one process, batched
TARGET_PER_TASK_PER_S = 100.0  # the same, one patient per call (the per-change task)
TARGET_IMPORT_PER_S = 50.0
TARGET_IMPORT_1000_S = 20.0
TARGET_TABLE1_S = 1.0  # Table 1 over the MMN cohort of the large registry
TARGET_REPORT_S = 2.0  # the consumption and measures reports over the large registry
TARGET_SCALE_P99 = 1.25  # p99 at the large registry / p99 at the standard one
# Variables that tune the production settings: never passed on from the caller's
# environment, so "production defaults" means what the settings ship with.
TUNING_VARIABLES = ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS", "DATABASE_POOL", "DATABASE_POOL_SIZE",
                    "BARE_CONN_MAX_AGE")
# Request files whose requests must never be sent twice (a visit a patient, kind and day).
UNREPEATABLE = ("visit_post.txt",)
# The endpoints served at the standard and at the large registry (issue 19, target 4).
SCALE_ENDPOINTS = ("patient_list", "patient_detail", "patient_outcome")
# Database connection choices compared under load (production settings' variables).
CONNECTION_MODES = {
    "persistent, health checks (shipped default)": {},
    "persistent, no health checks": {"CONN_HEALTH_CHECKS": "0"},
    "psycopg pool": {"DATABASE_POOL": "1"},
    "one connection per request": {"CONN_MAX_AGE": "0"},
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.server = args.database_server.rstrip("/")
        self.run_db = f"{args.db_prefix}_run"
        self.bare_db = f"{args.db_prefix}_bare"
        self.scale_db = f"{args.db_prefix}_scale"
        self.slices: dict[Path, int] = {}  # wrk runs so far of each unrepeatable file
        self.work = Path(tempfile.mkdtemp(prefix="ivig-bench-"))
        self.secret = secrets.token_urlsafe(40)
        self.results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(),
                                        "settings": self.settings(), "machine": machine()}

    def settings(self) -> dict[str, Any]:
        a = self.args
        return {"patients": a.patients, "seed": a.seed, "connections": a.connections,
                "wrk_threads": a.threads, "duration_s": a.duration, "warmup_s": a.warmup,
                "rounds": a.rounds, "import_patients": a.import_patients,
                "scale_patients": a.scale_patients, "gunicorn_workers": a.workers,
                "gunicorn_worker_class": "sync",
                "conn_max_age": ("as shipped (production settings)" if a.conn_max_age is None
                                 else a.conn_max_age)}

    # Processes -------------------------------------------------------------------------

    def env(self, *, database: str, settings: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in TUNING_VARIABLES}
        env.update({
            "DJANGO_SETTINGS_MODULE": settings,
            "DATABASE_URL": f"{self.server}/{database}",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "CELERY_BROKER_URL": self.args.broker,
            "CELERY_QUEUE": "bench",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        })
        if self.args.conn_max_age is not None:  # by default: production settings as shipped
            env["CONN_MAX_AGE"] = str(self.args.conn_max_age)
        return env

    def registry_env(self, database: str | None = None) -> dict[str, str]:
        return self.env(database=database or self.run_db,
                        settings="registry.settings.production")

    def run(self, command: list[str], env: dict[str, str], *, quiet: bool = False
            ) -> tuple[str, float, int]:
        """Run to completion; returns (stdout, seconds, peak RSS in MiB of the process)."""
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL if quiet else None, text=True)
        out = process.stdout.read() if process.stdout else ""
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        if process.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{out}")
        return out, seconds, usage.ru_maxrss // 1024

    def manage(self, *args: str, env: dict[str, str], quiet: bool = False
               ) -> tuple[str, float, int]:
        return self.run([PYTHON, "manage.py", *args], env, quiet=quiet)

    def measure(self, *args: str, database: str | None = None) -> dict[str, Any]:
        out, _, _ = self.run([PYTHON, "-m", "bench.measure", *args],
                             self.registry_env(database))
        return json.loads(out.strip().splitlines()[-1])

    # Databases -------------------------------------------------------------------------

    def sql(self, statement: str, database: str = "postgres") -> list[tuple]:
        import psycopg

        with psycopg.connect(f"{self.server}/{database}", autocommit=True) as connection:
            cursor = connection.execute(statement)
            return cursor.fetchall() if cursor.description else []

    def recreate(self, database: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.sql(f'CREATE DATABASE "{database}"')

    def registry_loaded(self, database: str, patients: int) -> bool:
        """``--reuse``: the registry database already holds this seed's patients."""
        try:
            rows = self.sql(
                "SELECT count(*) FROM treatments_outcome o JOIN patients_patient p"
                " ON p.id = o.patient_id WHERE p.code LIKE 'SYN-%' AND"
                " o.computed_data_version > 0", database)
        except Exception:
            return False
        return bool(rows) and rows[0][0] == patients

    # Servers -----------------------------------------------------------------------------

    def serve(self, app: str, env: dict[str, str], *, threads: int = 0,
              workers: int | None = None) -> tuple[subprocess.Popen, str]:
        """gunicorn with sync workers, or threaded ones (``threads``) as compose ships."""
        port = free_port()
        command = [GUNICORN, app, "--bind", f"127.0.0.1:{port}", "--workers",
                   str(workers or self.args.workers), "--log-level", "warning",
                   "--timeout", "60"]
        command += (["--worker-class", "gthread", "--threads", str(threads)] if threads
                    else ["--worker-class", "sync"])
        process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        return process, f"http://127.0.0.1:{port}"

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def wait_ready(self, base: str, path: str, token: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                request = urllib.request.Request(base + path,
                                                 headers={"Authorization": f"Token {token}"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{base}{path} did not answer 200 within 60 s")

    def processes(self, server: subprocess.Popen, database: str) -> list[int]:
        """The server's gunicorn workers and the PostgreSQL backends serving it."""
        workers = children(server.pid)
        backends = [row[0] for row in self.sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()", database)]
        return workers + backends

    def load(self, name: str, base: str, requests: Path, token: str,
             server: tuple[subprocess.Popen, str]) -> dict[str, Any]:
        env = dict(os.environ, BENCH_REQUESTS=str(requests), BENCH_TOKEN=token,
                   BENCH_THREADS=str(self.args.threads))
        script = str(ROOT / "bench" / "load.lua")

        def wrk(seconds: int) -> dict[str, Any]:
            if requests.name in UNREPEATABLE:  # each run its own slice of the file
                runs = self.slices.get(requests, 0)
                self.slices[requests] = runs + 1
                env["BENCH_SLICE"] = f"{runs}/{2 * self.args.rounds}"
            command = ["wrk", "-t", str(self.args.threads), "-c", str(self.args.connections),
                       "-d", f"{seconds}s", "--timeout", "10s", "-s", script, base]
            out = subprocess.run(command, env=env, capture_output=True, text=True,
                                 check=True).stdout
            line = next(row for row in out.splitlines() if row.startswith("BENCH "))
            return json.loads(line[len("BENCH "):])

        log(f"{name}: warm-up {self.args.warmup} s, then {self.args.duration} s")
        wrk(self.args.warmup)
        process, database = server
        workers = children(process.pid)
        backends = [pid for pid in self.processes(process, database) if pid not in workers]
        before = {pid: cpu_seconds(pid) for pid in workers + backends}
        result = wrk(self.args.duration)
        # CPU the server and its database spent per request: unlike the request rate,
        # hardly moved by whatever else the machine is running at the time.
        spent = {pid: cpu_seconds(pid) - start for pid, start in before.items()}
        requests_done = max(1, result["requests"])
        result["app_cpu_ms"] = round(sum(spent[p] for p in workers) * 1000 / requests_done, 2)
        result["db_cpu_ms"] = round(sum(spent[p] for p in backends) * 1000 / requests_done, 2)
        failed = sum(count for status, count in result["statuses"].items()
                     if not status.startswith("2"))
        failed += sum(result["socket_errors"].values())
        result["failed"] = failed
        result["valid"] = failed == 0 and result["requests"] > 0
        log(f"{name}: {result['rps']:.1f} req/s, p99 {result['p99_ms']:.1f} ms, "
            f"CPU/request app {result['app_cpu_ms']} ms + db {result['db_cpu_ms']} ms, "
            f"statuses {result['statuses']}")
        return result

    # Steps -------------------------------------------------------------------------------

    def prepare_registry(self) -> None:
        env = self.registry_env()
        self.manage("collectstatic", "--noinput", "-v0", env=env)  # as a deployment does
        self.results.update(self.load_registry(self.run_db, self.args.patients))

    def load_registry(self, database: str, patients: int, *,
                      recompute_reused: bool = True) -> dict[str, Any]:
        """Generate ``patients`` into ``database`` and recompute every outcome (timed), or
        with ``--reuse`` keep a database that already holds them (recomputed again, timed,
        unless ``recompute_reused`` is false)."""
        env = self.registry_env(database)
        loaded: dict[str, Any]
        if self.args.reuse and self.registry_loaded(database, patients):
            log(f"reusing {database} ({patients} patients, outcomes computed)")
            self.manage("migrate", "--noinput", "-v0", env=env)
            loaded = {"generate": {"reused": True}}
            if not recompute_reused:
                return loaded
        else:
            log(f"creating {database}")
            self.recreate(database)
            self.manage("migrate", "--noinput", "-v0", env=env)
            log(f"generating {patients} patients (seed {self.args.seed})")
            out, seconds, peak = self.manage("generate_registry", "--patients",
                                             str(patients), "--seed", str(self.args.seed),
                                             "--quiet", env=env)
            rows = dict(re.findall(r"(\w+) (\d+)", out.split(":", 1)[-1]))
            loaded = {"generate": {
                "patients": patients, "seconds": round(seconds, 1), "peak_rss_mib": peak,
                "rows": {k: int(v) for k, v in rows.items()}}}
            log(f"generated in {seconds:.1f} s (peak {peak} MiB)")
        # Timed even on a reused registry: `recompute --all` recomputes every patient.
        log("recomputing every outcome")
        _, seconds, peak = self.manage("recompute", "--all", "--quiet", env=env)
        loaded["recompute_all"] = {
            "patients": patients, "seconds": round(seconds, 1),
            "patients_per_second": round(patients / seconds, 1),
            "peak_rss_mib": peak, "processes": 1,
        }
        log(f"full-registry recompute: {seconds:.1f} s")
        self.sql("VACUUM ANALYZE", database)
        return loaded

    def prepare_bare(self) -> str:
        env = self.env(database=self.bare_db, settings="bench.bare.settings")
        log(f"creating {self.bare_db}")
        self.recreate(self.bare_db)
        self.manage("migrate", "--noinput", "-v0", env=env)
        out, _, _ = self.manage("bare_seed", "--rows", str(self.args.patients), env=env)
        self.sql("VACUUM ANALYZE", self.bare_db)
        return out.strip().splitlines()[-1]

    def http(self) -> None:
        if shutil.which("wrk") is None:
            message = ("wrk is not installed (apt-get install wrk): HTTP measurements "
                       "skipped")
            log(message.upper())
            self.results["http"] = {"skipped": message}
            return
        pages = max(1, min(20, self.args.patients // 50))
        bare_token = self.prepare_bare()
        bare_dir = self.work / "bare"
        bare_dir.mkdir()
        lists = "".join(f"/items/?page={1 + n % pages}\n" for n in range(1000))
        details = "".join(f"/items/{1 + (n * 7919) % self.args.patients}/\n"
                          for n in range(5000))
        for name, paths in (("bare_list", lists), ("bare_detail", details)):
            # The baseline: no authentication; the second column: DRF's token auth.
            (bare_dir / f"{name}.txt").write_text(
                "".join(f"GET /open{line}\n" for line in paths.splitlines()))
            (bare_dir / f"{name}_token.txt").write_text(
                "".join(f"GET {line}\n" for line in paths.splitlines()))
        token = self.request_files(self.run_db, self.work / "registry", pages)
        # Both servers run side by side and each registry figure is measured right after
        # its baselines, round after round: on a shared machine the load of the moment
        # then weighs on both figures of a ratio alike.
        bare, bare_base = self.serve(
            "bench.bare.wsgi:application",
            self.env(database=self.bare_db, settings="bench.bare.settings"))
        registry, registry_base = self.serve("registry.wsgi:application",
                                             self.registry_env())
        on_bare = (bare, self.bare_db)
        on_registry = (registry, self.run_db)
        registry_files = self.work / "registry"
        plan = [
            ("bare_list", bare_base, bare_dir, bare_token, on_bare),
            ("bare_list_token", bare_base, bare_dir, bare_token, on_bare),
            ("patient_list", registry_base, registry_files, token, on_registry),
            ("table1", registry_base, registry_files, token, on_registry),
            ("bare_detail", bare_base, bare_dir, bare_token, on_bare),
            ("bare_detail_token", bare_base, bare_dir, bare_token, on_bare),
            ("patient_detail", registry_base, registry_files, token, on_registry),
            ("patient_outcome", registry_base, registry_files, token, on_registry),
            ("visit_post", registry_base, registry_files, token, on_registry),
        ]
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in plan}
        last_visit = self.sql("SELECT COALESCE(MAX(id), 0) FROM patients_visit", self.run_db)[0][0]
        try:
            self.wait_ready(bare_base, "/items/1/", bare_token)
            self.wait_ready(registry_base, "/api/v1/patients/", token)
            for number in range(1, self.args.rounds + 1):
                log(f"round {number} of {self.args.rounds}")
                for name, base, directory, key, server in plan:
                    rounds[name].append(self.load(name, base, directory / f"{name}.txt",
                                                  key, server))
        finally:
            self.stop(bare)
            self.stop(registry)
            self.purge_queue()
            self.measure("forget-visits", "--after", str(last_visit))
        self.results["http"] = summarise(rounds)

    def request_files(self, database: str, directory: Path, pages: int) -> str:
        """The benchmark clinician of ``database`` and its request files; the token."""
        setup = self.measure("setup", str(directory), "--pages", str(pages),
                             "--seed", str(self.args.seed), database=database)
        if database == self.run_db:
            self.results["cohort"] = {k: v for k, v in setup.items() if k != "token"}
        return setup["token"]

    def connections(self) -> None:
        """Database connection choices side by side (production settings' variables),
        each against the bare framework of the same moment, under the bench's sync
        workers and under the threaded workers compose ships (3 × 4 threads)."""
        if shutil.which("wrk") is None or "http" not in self.results:
            return
        bare_dir, registry_files = self.work / "bare", self.work / "registry"
        bare_token = self.sql("SELECT key FROM authtoken_token LIMIT 1", self.bare_db)[0][0]
        token = self.request_files(self.run_db, registry_files,
                                   max(1, min(20, self.args.patients // 50)))
        bare, bare_base = self.serve(
            "bench.bare.wsgi:application",
            self.env(database=self.bare_db, settings="bench.bare.settings"))
        found: dict[str, Any] = {}
        try:
            self.wait_ready(bare_base, "/items/1/", bare_token)
            for workers, threads in ((self.args.workers, 0), (3, 4)):
                kind = f"{workers} sync workers" if not threads else (
                    f"{workers} workers × {threads} threads")
                baselines = {ceiling: self.load(ceiling, bare_base, bare_dir / f"{ceiling}.txt",
                                                bare_token, (bare, self.bare_db))
                             for ceiling in ("bare_detail", "bare_list")}
                for mode, variables in CONNECTION_MODES.items():
                    env = {**self.registry_env(), **variables}
                    registry, base = self.serve("registry.wsgi:application", env,
                                                threads=threads, workers=workers)
                    try:
                        self.wait_ready(base, "/api/v1/patients/", token)
                        figures = {}
                        for name, ceiling in (("patient_outcome", "bare_detail"),
                                              ("patient_list", "bare_list")):
                            baseline = baselines[ceiling]
                            run = self.load(f"{name} [{mode}, {kind}]", base,
                                            registry_files / f"{name}.txt", token,
                                            (registry, self.run_db))
                            figures[name] = {
                                "rps": run["rps"], "p99_ms": run["p99_ms"],
                                "ratio": round(run["rps"] / baseline["rps"], 3)
                                if baseline["rps"] else None,
                                "cpu_ms": round(run["app_cpu_ms"] + run["db_cpu_ms"], 2),
                                "valid": run["valid"]}
                        found.setdefault(kind, {})[mode] = figures
                    finally:
                        self.stop(registry)
        finally:
            self.stop(bare)
        self.results["connections"] = found

    def scale(self) -> None:
        """Issue 19, target 4: the large registry (100,000 patients by default) beside the
        standard one — list, detail and outcome served from both in alternating rounds
        (p99 at scale over p99 at the standard size), the reports and the export."""
        patients = self.args.scale_patients
        if not patients:
            return
        # Reused, its outcomes are not recomputed again (10 minutes at 100,000 patients):
        # the recompute rate is the standard registry's and the in-process measurement's.
        found: dict[str, Any] = self.load_registry(self.scale_db, patients,
                                                   recompute_reused=False)
        self.results["scale"] = found
        if shutil.which("wrk") is not None and not self.args.skip_http:
            pages = max(1, min(20, patients // 50))
            standard_files, large_files = self.work / "registry", self.work / "scale"
            standard_token = self.request_files(self.run_db, standard_files,
                                                max(1, min(20, self.args.patients // 50)))
            large_token = self.request_files(self.scale_db, large_files, pages)
            standard, standard_base = self.serve("registry.wsgi:application",
                                                 self.registry_env())
            large, large_base = self.serve("registry.wsgi:application",
                                           self.registry_env(self.scale_db))
            rounds: dict[str, list[dict[str, Any]]] = {}
            try:
                self.wait_ready(standard_base, "/api/v1/patients/", standard_token)
                self.wait_ready(large_base, "/api/v1/patients/", large_token)
                for number in range(1, self.args.rounds + 1):
                    log(f"scale round {number} of {self.args.rounds}")
                    for name in SCALE_ENDPOINTS:
                        rounds.setdefault(name, []).append(self.load(
                            name, standard_base, standard_files / f"{name}.txt",
                            standard_token, (standard, self.run_db)))
                        rounds.setdefault(f"{name}_at_scale", []).append(self.load(
                            f"{name} ({patients} patients)", large_base,
                            large_files / f"{name}.txt", large_token, (large, self.scale_db)))
            finally:
                self.stop(standard)
                self.stop(large)
            http = {}
            for name in SCALE_ENDPOINTS:
                pairs = list(zip(rounds[name], rounds[f"{name}_at_scale"], strict=True))
                growth = sorted(big["p99_ms"] / small["p99_ms"] for small, big in pairs)
                http[name] = {
                    "p99_ms": median([small["p99_ms"] for small, _ in pairs]),
                    "p99_ms_at_scale": median([big["p99_ms"] for _, big in pairs]),
                    "p50_ms": median([small["p50_ms"] for small, _ in pairs]),
                    "p50_ms_at_scale": median([big["p50_ms"] for _, big in pairs]),
                    "rps": median([small["rps"] for small, _ in pairs]),
                    "rps_at_scale": median([big["rps"] for _, big in pairs]),
                    "p99_growth": round(growth[len(growth) // 2], 3),
                    "rounds": [{"p99_ms": small["p99_ms"], "p99_ms_at_scale": big["p99_ms"]}
                               for small, big in pairs],
                    "valid": all(run["valid"] for pair in pairs for run in pair),
                }
            found["http"] = http
        log(f"reports over {patients} patients, in-process")
        found["reports"] = self.measure("reports", "--repeat", "3", database=self.scale_db)
        if not self.args.skip_exchange:
            # Constant memory: the largest datasets exported from both registries (the
            # whole export of the large one would take most of an hour on 2 cores).
            datasets = tuple(self.args.scale_export_datasets.split())
            try:
                found["export_standard"] = self.measure_export(
                    self.registry_env(), datasets=datasets)
                found["export"] = self.measure_export(self.registry_env(self.scale_db),
                                                      patients=patients, datasets=datasets)
            except RuntimeError as error:
                log(f"export at scale failed: {error}")
                found["export"] = {"failed": str(error)[-2000:]}

    def purge_queue(self) -> None:
        """The visit POSTs enqueued recomputes on the ``bench`` queue: drop them."""
        try:
            import redis

            redis.Redis.from_url(self.args.broker).delete("bench")
        except Exception as error:  # the broker is not ours to fail on
            log(f"could not purge the bench queue: {error}")

    def in_process(self) -> None:
        log("recompute throughput (24-series histories, one process)")
        self.results["recompute_24"] = self.measure("recompute", "--limit", "200",
                                                    "--series", "24")
        log("Table 1 in-process")
        self.results["table1_in_process"] = self.measure("table1", "--repeat", "3")
        self.results["reports"] = self.measure("reports", "--repeat", "3")
        self.results["lot_lookup"] = self.measure("lot", "--repeat", "3")

    def exchange(self) -> None:
        """Export and import come with the ``exchange`` app; skipped until it is merged."""
        env = self.registry_env()
        commands = self.manage("help", "--commands", env=env)[0].split()
        for name in ("export", "import"):
            if name not in commands:
                message = (f"`manage.py {name}` does not exist yet (the exchange app): "
                           "skipped")
                log(message)
                self.results[name] = {"skipped": message}
        for name, step in (("export", self.measure_export), ("import", self.measure_import)):
            if name in commands and "export" in commands and not self.args.skip_exchange:
                try:
                    self.results[name] = step(env)
                except RuntimeError as error:  # its arguments are the exchange app's to fix
                    log(f"{name} failed: {error}")
                    self.results[name] = {"failed": str(error)[-2000:]}

    # The exchange app's commands, as its branch defines them: ``export --out DIR`` (a
    # directory of CSV files, pseudonymised, every centre for the operator) and
    # ``import PATH --quiet``.

    def measure_export(self, env: dict[str, str], *, patients: int | None = None,
                       datasets: tuple[str, ...] = ()) -> dict[str, Any]:
        """``manage.py export`` of the whole registry (or of ``datasets``): time, peak RSS."""
        patients = patients or self.args.patients
        target = self.work / f"export-{patients}-{len(datasets)}"
        log(f"export of the whole registry ({patients} patients"
            f"{', ' + ' '.join(datasets) if datasets else ''})")
        _, seconds, peak = self.manage("export", *datasets, "--out", str(target),
                                       "--format", "csv", env=env, quiet=True)
        size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
        shutil.rmtree(target, ignore_errors=True)
        return {"patients": patients, "datasets": list(datasets) or "all",
                "seconds": round(seconds, 1), "peak_rss_mib": peak, "bytes": size}

    def measure_import(self, env: dict[str, str]) -> dict[str, Any]:
        """Generated patients (1,000 by default), exported, then imported into an empty
        registry that has their centres (an import never creates a centre)."""
        count = self.args.import_patients
        source_db, target_db = f"{self.args.db_prefix}_source", f"{self.args.db_prefix}_import"
        source, target = self.registry_env(source_db), self.registry_env(target_db)
        files = self.work / "export-1000"
        self.recreate(source_db)
        self.manage("migrate", "--noinput", "-v0", env=source)
        self.manage("generate_registry", "--patients", str(count), "--seed",
                    str(self.args.seed), "--quiet", env=source)
        self.manage("recompute", "--all", "--quiet", env=source)
        self.manage("export", "--out", str(files), "--format", "csv", env=source, quiet=True)
        self.recreate(target_db)
        self.manage("migrate", "--noinput", "-v0", env=target)
        self.manage("shell", "-c", "from patients.synthetic import synthetic_centers; "
                    "synthetic_centers(5)", env=target)
        log(f"import of {count} patients into an empty registry")
        _, seconds, peak = self.manage("import", str(files), "--quiet", env=target,
                                       quiet=True)
        for database in (source_db, target_db):
            self.sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return {"patients": count, "seconds": round(seconds, 1), "peak_rss_mib": peak,
                "patients_per_second": round(count / seconds, 1)}

    def verdicts(self) -> dict[str, Any]:
        http = self.results.get("http", {})
        checks: dict[str, Any] = {}

        def check(name: str, value: float | None, target: str, met: bool | None) -> None:
            checks[name] = {"value": value, "target": target, "met": met}

        for name in ("patient_list", "patient_outcome"):
            if name in http:
                check(f"{name} throughput vs bare (no authentication), production defaults",
                      http[name]["ratio"], f">= {TARGET_RATIO}",
                      http[name]["ratio"] >= TARGET_RATIO)
        for name in ("patient_list", "patient_detail", "patient_outcome"):
            if name in http:
                check(f"{name} p99 ms at {self.args.connections} connections",
                      http[name]["p99_ms"], f"< {TARGET_P99_MS}",
                      http[name]["p99_ms"] < TARGET_P99_MS)
        for name, result in http.items():
            if isinstance(result, dict) and "valid" in result and not result["valid"]:
                check(f"{name} requests all 2xx", result["failed"], "0 failed", False)
        recompute = self.results.get("recompute_24", {})
        if "patients_per_second" in recompute:
            check("recompute patients/s (24 series, 1 process, batched)",
                  recompute["batch_per_second"]["best"], f">= {TARGET_RECOMPUTE_PER_S}",
                  recompute["batch_per_second"]["best"] >= TARGET_RECOMPUTE_PER_S)
            check("recompute patients/s (24 series, one per call: the per-change task)",
                  recompute["per_task_per_second"]["best"], f">= {TARGET_PER_TASK_PER_S}",
                  recompute["per_task_per_second"]["best"] >= TARGET_PER_TASK_PER_S)
        imported = self.results.get("import", {})
        if "patients_per_second" in imported:
            check(f"import patients/s ({imported['patients']} patients)",
                  imported["patients_per_second"], f">= {TARGET_IMPORT_PER_S}",
                  imported["patients_per_second"] >= TARGET_IMPORT_PER_S)
            if imported["patients"] == 1000:
                check("import of 1,000 patients s", imported["seconds"],
                      f"< {TARGET_IMPORT_1000_S}", imported["seconds"] < TARGET_IMPORT_1000_S)
        scale = self.results.get("scale", {})
        size = self.args.scale_patients
        for name, result in scale.get("http", {}).items():
            check(f"{name} p99 at {size} patients / at {self.args.patients}",
                  result["p99_growth"], f"<= {TARGET_SCALE_P99}",
                  result["p99_growth"] <= TARGET_SCALE_P99)
        reports = scale.get("reports", {})
        if "table1_mmn" in reports:
            table1 = reports["table1_mmn"]
            check(f"Table 1 over the {table1['cases']} MMN patients of {size} s",
                  table1["best_s"], f"< {TARGET_TABLE1_S}", table1["best_s"] < TARGET_TABLE1_S)
        for name in ("consumption", "measures"):
            if name in reports:
                check(f"{name} report over {size} patients s", reports[name]["best_s"],
                      f"< {TARGET_REPORT_S}", reports[name]["best_s"] < TARGET_REPORT_S)
        small, large = scale.get("export_standard", {}), scale.get("export", {})
        if "peak_rss_mib" in small and "peak_rss_mib" in large:
            growth = round(large["peak_rss_mib"] / small["peak_rss_mib"], 2)
            check(f"export peak RSS at {size} patients / at {self.args.patients} "
                  f"({small['peak_rss_mib']} → {large['peak_rss_mib']} MiB)", growth,
                  "<= 1.25 (constant memory)", growth <= 1.25)
        return checks

    def execute(self) -> int:
        try:
            self.prepare_registry()
            if not self.args.skip_http:
                self.http()
                if not self.args.skip_connections:
                    self.connections()
            self.in_process()
            self.exchange()
            self.scale()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)
        self.results["targets"] = self.verdicts()
        self.results["finished_at"] = datetime.now(UTC).isoformat()
        RESULTS.mkdir(exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        text = json.dumps(self.results, indent=2)
        (RESULTS / f"{stamp}.json").write_text(text)
        (RESULTS / "latest.json").write_text(text)
        print(report(self.results))
        log(f"results written to {RESULTS / 'latest.json'}")
        invalid = [n for n, r in self.results.get("http", {}).items()
                   if isinstance(r, dict) and r.get("valid") is False]
        return 1 if invalid else 0


# Each figure's baseline: the bare framework without authentication ...
CEILINGS = {"bare_list": "bare_list", "bare_list_token": "bare_list",
            "patient_list": "bare_list", "table1": "bare_list",
            "bare_detail": "bare_detail", "bare_detail_token": "bare_detail",
            "patient_detail": "bare_detail", "patient_outcome": "bare_detail",
            "visit_post": "bare_detail"}
# ... and, as a second column, the bare framework with DRF's token authentication.
TOKEN_CEILINGS = {name: f"{ceiling}_token" for name, ceiling in CEILINGS.items()
                  if not name.startswith("bare")}


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _ratio(runs: list[dict[str, Any]], ceiling: list[dict[str, Any]]) -> float:
    """The median of the rounds' ratios, each against the baseline of the same round."""
    return round(median([run["rps"] / base["rps"] if base["rps"] else 0.0
                         for run, base in zip(runs, ceiling, strict=True)]), 3)


def summarise(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per endpoint, the round with the median rate; its ratio to the framework's ceiling
    is the median of the rounds' ratios (each against the baseline of the same round)."""
    http: dict[str, Any] = {}
    for name, runs in rounds.items():
        ceiling = rounds[CEILINGS[name]]
        token_ceiling = rounds.get(TOKEN_CEILINGS.get(name, ""))
        middle = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
        cpu = median([run["app_cpu_ms"] + run["db_cpu_ms"] for run in runs])
        base_cpu = median([run["app_cpu_ms"] + run["db_cpu_ms"] for run in ceiling])
        http[name] = {
            **middle,
            "baseline": CEILINGS[name],
            "ratio": _ratio(runs, ceiling),
            "ratio_to_token_baseline": _ratio(runs, token_ceiling) if token_ceiling else None,
            "cpu_ms": round(cpu, 2),
            "cpu_ratio": round(base_cpu / cpu, 3) if cpu else None,
            "rounds": [{"rps": run["rps"], "p99_ms": run["p99_ms"]} for run in runs],
            "p99_ms_worst": max(run["p99_ms"] for run in runs),
            "failed": sum(run["failed"] for run in runs),
            "valid": all(run["valid"] for run in runs),
        }
    return http


def report(results: dict[str, Any]) -> str:
    """The results as a Markdown table (the same one bench/README.md shows)."""
    lines = ["", "| measurement | req/s | ratio to bare | ratio to bare + token | p50 ms | "
             "p99 ms | CPU ms/request (app + db) | CPU ratio to bare | failed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    http = results.get("http", {})
    if "skipped" in http:
        lines.append(f"| HTTP | {http['skipped']} | | | | | | | |")
    for name, r in http.items():
        if isinstance(r, dict) and "rps" in r:
            token = r.get("ratio_to_token_baseline")
            lines.append(f"| {name} | {r['rps']:.1f} | {r['ratio']:.2f} | "
                         f"{'' if token is None else f'{token:.2f}'} | {r['p50_ms']:.1f} | "
                         f"{r['p99_ms']:.1f} | {r['app_cpu_ms']} + {r['db_cpu_ms']} | "
                         f"{r['cpu_ratio']} | {r['failed']} |")
    connections = results.get("connections", {})
    if connections:
        lines += ["", "| database connections | workers | outcome req/s (ratio) | outcome p99 "
                  "ms | list req/s (ratio) | list p99 ms |", "|---|---|---:|---:|---:|---:|"]
        for kind, modes in connections.items():
            for mode, f in modes.items():
                o, li = f["patient_outcome"], f["patient_list"]
                lines.append(f"| {mode} | {kind} | {o['rps']:.1f} ({o['ratio']}) | "
                             f"{o['p99_ms']:.1f} | {li['rps']:.1f} ({li['ratio']}) | "
                             f"{li['p99_ms']:.1f} |")
    scale = results.get("scale", {})
    size = results["settings"].get("scale_patients")
    if scale.get("http"):
        lines += ["", f"| at {results['settings']['patients']} and {size} patients | p50 ms | "
                  "p99 ms | p99 growth | req/s |", "|---|---:|---:|---:|---:|"]
        for name, r in scale["http"].items():
            lines.append(f"| {name} | {r['p50_ms']:.1f} → {r['p50_ms_at_scale']:.1f} | "
                         f"{r['p99_ms']:.1f} → {r['p99_ms_at_scale']:.1f} | "
                         f"{r['p99_growth']} | {r['rps']:.1f} → {r['rps_at_scale']:.1f} |")
    lines += ["", "| measurement | result |", "|---|---|"]
    generate = results.get("generate", {})
    if "seconds" in generate:
        lines.append(f"| generate {results['settings']['patients']} patients | "
                     f"{generate['seconds']} s |")
    full = results.get("recompute_all")
    if full:
        lines.append(f"| full-registry recompute, 1 process | {full['seconds']} s "
                     f"({full['patients_per_second']} patients/s, peak {full['peak_rss_mib']}"
                     " MiB) |")
    r24 = results.get("recompute_24", {})
    if "patients_per_second" in r24:
        lines.append(f"| recompute {r24['patients']} patients of {r24['series_each']} series, "
                     f"1 process, batched (sweep, `recompute --all`) | "
                     f"{r24['batch_per_second']['best']} patients/s (median "
                     f"{r24['batch_per_second']['median']}) |")
        lines.append(f"| the same, one Celery task per patient | "
                     f"{r24['per_task_per_second']['best']} patients/s (median "
                     f"{r24['per_task_per_second']['median']}) |")
    t1 = results.get("table1_in_process", {})
    for key in ("all_patients", "mmn"):
        if key in t1:
            lines.append(f"| Table 1 in-process, {t1[key]['cases']} patients | "
                         f"{t1[key]['best_s']} s (median {t1[key]['median_s']} s) |")
    lot = results.get("lot_lookup", {})
    if "ms_each_best" in lot:
        lines.append(f"| lot look-up (\"which patients received lot X?\") | "
                     f"{lot['ms_each_best']} ms |")
    for name in ("export", "import"):
        item = results.get(name, {})
        if "skipped" in item:
            lines.append(f"| {name} | skipped: {item['skipped']} |")
        elif item:
            lines.append(f"| {name} {item['patients']} patients | {item['seconds']} s, "
                         f"peak {item['peak_rss_mib']} MiB |")
    for label, found in (("", results), (f" ({size} patients)", scale)):
        for key, what in (("table1_mmn", "Table 1 (MMN)"), ("measures", "measures report"),
                          ("consumption", "consumption report")):
            item = found.get("reports", {}).get(key)
            if item:
                lines.append(f"| {what}{label}, in-process | {item['best_s']} s (median "
                             f"{item['median_s']} s) |")
        generate = found.get("generate", {}) if found is scale else {}
        if "seconds" in generate:
            lines.append(f"| generate{label} | {generate['seconds']} s, peak "
                         f"{generate['peak_rss_mib']} MiB |")
        if found is scale and scale.get("recompute_all"):
            full = scale["recompute_all"]
            lines.append(f"| full-registry recompute{label} | {full['seconds']} s "
                         f"({full['patients_per_second']} patients/s) |")
        if found is scale:
            for key, where in (("export_standard", f" ({results['settings']['patients']} "
                                "patients)"), ("export", label)):
                item = scale.get(key, {})
                if "peak_rss_mib" in item:
                    lines.append(f"| export of {' '.join(item['datasets'])}{where} | "
                                 f"{item['seconds']} s, peak {item['peak_rss_mib']} MiB |")
    lines += ["", "| target | value | met |", "|---|---:|---|"]
    for name, check in results.get("targets", {}).items():
        met = {True: "yes", False: "**no**", None: "?"}[check["met"]]
        lines.append(f"| {name} {check['target']} | {check['value']} | {met} |")
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) // 1024} MiB"
    except OSError:
        pass
    cpu = None
    try:
        cpu = next(line.split(":", 1)[1].strip()
                   for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "memory": memory,
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average_at_start": os.getloadavg()}


def children(pid: int) -> list[int]:
    """A process's direct children (gunicorn's workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10,
                        help="seconds per endpoint and round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds before each run")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of every endpoint; medians are reported")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--conn-max-age", type=int, default=None,
                        help="override the production settings' CONN_MAX_AGE (default: "
                        "production settings as shipped)")
    parser.add_argument("--skip-connections", action="store_true",
                        help="skip the comparison of database connection choices")
    parser.add_argument("--scale-patients", type=int, default=100_000,
                        help="the large registry of target 4 (0 skips it)")
    parser.add_argument("--scale-export-datasets", default="patients series outcomes",
                        help="datasets exported from both registries to compare peak memory")
    parser.add_argument("--database-server", default=os.environ.get(
        "BENCH_DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--db-prefix", default="ivig_bench")
    parser.add_argument("--broker", default=os.environ.get(
        "BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"))
    parser.add_argument("--reuse", action="store_true",
                        help="keep an already generated and recomputed registry database")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--skip-exchange", action="store_true",
                        help="skip the export and import measurements")
    parser.add_argument("--import-patients", type=int, default=1000,
                        help="patients exported from a fresh registry and imported")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 4096), hard), hard))
    return Bench(args).execute()


if __name__ == "__main__":
    sys.exit(main())
