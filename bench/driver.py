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

# Targets of issue 8 on the 2-core machine.
TARGET_RATIO = 0.60
TARGET_P99_MS = 50.0
TARGET_RECOMPUTE_PER_S = 200.0
TARGET_TABLE1_S = 1.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.server = args.database_server.rstrip("/")
        self.run_db = f"{args.db_prefix}_run"
        self.bare_db = f"{args.db_prefix}_bare"
        self.work = Path(tempfile.mkdtemp(prefix="ivig-bench-"))
        self.secret = secrets.token_urlsafe(40)
        self.results: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(),
                                        "settings": self.settings(), "machine": machine()}

    def settings(self) -> dict[str, Any]:
        a = self.args
        return {"patients": a.patients, "seed": a.seed, "connections": a.connections,
                "wrk_threads": a.threads, "duration_s": a.duration, "warmup_s": a.warmup,
                "rounds": a.rounds, "import_patients": a.import_patients,
                "gunicorn_workers": a.workers, "conn_max_age": a.conn_max_age}

    # Processes -------------------------------------------------------------------------

    def env(self, *, database: str, settings: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "DJANGO_SETTINGS_MODULE": settings,
            "DATABASE_URL": f"{self.server}/{database}",
            "SECRET_KEY": self.secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "CONN_MAX_AGE": str(self.args.conn_max_age),
            "CELERY_BROKER_URL": self.args.broker,
            "CELERY_QUEUE": "bench",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        })
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

    def measure(self, *args: str) -> dict[str, Any]:
        out, _, _ = self.run([PYTHON, "-m", "bench.measure", *args], self.registry_env())
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

    def registry_loaded(self) -> bool:
        """``--reuse``: the registry database already holds this seed's patients."""
        try:
            rows = self.sql(
                "SELECT count(*) FROM treatments_outcome o JOIN patients_patient p"
                " ON p.id = o.patient_id WHERE p.code LIKE 'SYN-%' AND"
                " o.computed_data_version > 0", self.run_db)
        except Exception:
            return False
        return bool(rows) and rows[0][0] == self.args.patients

    # Servers -----------------------------------------------------------------------------

    def serve(self, app: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
        port = free_port()
        command = [GUNICORN, app, "--bind", f"127.0.0.1:{port}", "--workers",
                   str(self.args.workers), "--worker-class", "sync", "--log-level", "warning",
                   "--timeout", "60"]
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
        env = dict(os.environ, BENCH_REQUESTS=str(requests), BENCH_TOKEN=token)
        script = str(ROOT / "bench" / "load.lua")

        def wrk(seconds: int) -> dict[str, Any]:
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
        if self.args.reuse and self.registry_loaded():
            log(f"reusing {self.run_db} ({self.args.patients} patients, outcomes computed)")
            self.results["generate"] = {"reused": True}
            self.manage("migrate", "--noinput", "-v0", env=env)
            return
        log(f"creating {self.run_db}")
        self.recreate(self.run_db)
        self.manage("migrate", "--noinput", "-v0", env=env)
        log(f"generating {self.args.patients} patients (seed {self.args.seed})")
        out, seconds, _ = self.manage("generate_registry", "--patients",
                                      str(self.args.patients), "--seed", str(self.args.seed),
                                      "--quiet", env=env)
        rows = dict(re.findall(r"(\w+) (\d+)", out.split(":", 1)[-1]))
        self.results["generate"] = {"seconds": round(seconds, 1),
                                    "rows": {k: int(v) for k, v in rows.items()}}
        log(f"generated in {seconds:.1f} s; recomputing every outcome")
        _, seconds, peak = self.manage("recompute", "--all", "--quiet", env=env)
        self.results["recompute_all"] = {
            "patients": self.args.patients, "seconds": round(seconds, 1),
            "patients_per_second": round(self.args.patients / seconds, 1),
            "peak_rss_mib": peak, "processes": 1,
        }
        log(f"full-registry recompute: {seconds:.1f} s")
        self.sql("VACUUM ANALYZE", self.run_db)

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
        (bare_dir / "bare_list.txt").write_text(
            "".join(f"GET /items/?page={1 + n % pages}\n" for n in range(1000)))
        (bare_dir / "bare_detail.txt").write_text(
            "".join(f"GET /items/{1 + (n * 7919) % self.args.patients}/\n"
                    for n in range(5000)))
        setup = self.measure("setup", str(self.work / "registry"), "--pages", str(pages),
                             "--seed", str(self.args.seed))
        self.results["cohort"] = {k: v for k, v in setup.items() if k != "token"}
        token = setup["token"]
        # Both servers run side by side and each registry figure is measured right after
        # its baseline, round after round: on a shared machine the load of the moment
        # then weighs on both figures of a ratio alike.
        bare, bare_base = self.serve(
            "bench.bare.wsgi:application",
            self.env(database=self.bare_db, settings="bench.bare.settings"))
        registry, registry_base = self.serve("registry.wsgi:application",
                                             self.registry_env())
        on_bare = (bare, self.bare_db)
        on_registry = (registry, self.run_db)
        plan = [
            ("bare_list", bare_base, bare_dir, bare_token, on_bare),
            ("patient_list", registry_base, self.work / "registry", token, on_registry),
            ("table1", registry_base, self.work / "registry", token, on_registry),
            ("bare_detail", bare_base, bare_dir, bare_token, on_bare),
            ("patient_detail", registry_base, self.work / "registry", token, on_registry),
            ("patient_outcome", registry_base, self.work / "registry", token, on_registry),
            ("visit_post", registry_base, self.work / "registry", token, on_registry),
        ]
        rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in plan}
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
        self.results["http"] = summarise(rounds)

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

    def measure_export(self, env: dict[str, str]) -> dict[str, Any]:
        target = self.work / "export"
        log(f"export of the whole registry ({self.args.patients} patients)")
        _, seconds, peak = self.manage("export", "--out", str(target), "--format", "csv",
                                       env=env, quiet=True)
        size = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
        return {"patients": self.args.patients, "seconds": round(seconds, 1),
                "peak_rss_mib": peak, "bytes": size}

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
                check(f"{name} throughput vs bare", http[name]["ratio"], f">= {TARGET_RATIO}",
                      http[name]["ratio"] >= TARGET_RATIO)
        for name, result in http.items():
            if isinstance(result, dict) and "p99_ms" in result and not name.startswith("bare"):
                check(f"{name} p99 ms", result["p99_ms"], f"< {TARGET_P99_MS}",
                      result["p99_ms"] < TARGET_P99_MS)
        for name, result in http.items():
            if isinstance(result, dict) and "valid" in result and not result["valid"]:
                check(f"{name} requests all 2xx", result["failed"], "0 failed", False)
        recompute = self.results.get("recompute_24", {})
        if "patients_per_second" in recompute:
            check("recompute patients/s (24 series, 1 process, batched)",
                  recompute["patients_per_second"], f">= {TARGET_RECOMPUTE_PER_S}",
                  recompute["patients_per_second"] >= TARGET_RECOMPUTE_PER_S)
        table1 = self.results.get("table1_in_process", {}).get("all_patients")
        if table1:
            check(f"Table 1 over {table1['cases']} patients s", table1["best_s"],
                  f"< {TARGET_TABLE1_S}", table1["best_s"] < TARGET_TABLE1_S)
        return checks

    def execute(self) -> int:
        try:
            self.prepare_registry()
            if not self.args.skip_http:
                self.http()
            self.in_process()
            self.exchange()
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


CEILINGS = {"bare_list": "bare_list", "patient_list": "bare_list", "table1": "bare_list",
            "bare_detail": "bare_detail", "patient_detail": "bare_detail",
            "patient_outcome": "bare_detail", "visit_post": "bare_detail"}


def summarise(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per endpoint, the round with the median rate; its ratio to the framework's ceiling
    is the median of the rounds' ratios (each against the baseline of the same round)."""
    http: dict[str, Any] = {}
    for name, runs in rounds.items():
        ceiling = rounds[CEILINGS[name]]
        ratios = sorted(run["rps"] / base["rps"] if base["rps"] else 0.0
                        for run, base in zip(runs, ceiling, strict=True))
        median = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
        cpu = sorted(run["app_cpu_ms"] + run["db_cpu_ms"] for run in runs)[len(runs) // 2]
        base_cpu = sorted(run["app_cpu_ms"] + run["db_cpu_ms"]
                          for run in ceiling)[len(ceiling) // 2]
        http[name] = {
            **median,
            "baseline": CEILINGS[name],
            "ratio": round(ratios[len(ratios) // 2], 3),
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
    lines = ["", "| measurement | req/s | ratio to bare | p50 ms | p99 ms | CPU ms/request "
             "(app + db) | CPU ratio to bare | failed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    http = results.get("http", {})
    if "skipped" in http:
        lines.append(f"| HTTP | {http['skipped']} | | | | | | |")
    for name, r in http.items():
        if isinstance(r, dict) and "rps" in r:
            lines.append(f"| {name} | {r['rps']:.1f} | {r['ratio']:.2f} | {r['p50_ms']:.1f} | "
                         f"{r['p99_ms']:.1f} | {r['app_cpu_ms']} + {r['db_cpu_ms']} | "
                         f"{r['cpu_ratio']} | {r['failed']} |")
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
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--conn-max-age", type=int, default=600)
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
