"""The benchmarks of issue 9, run by hand: `make bench` (BENCH_ARGS=... for the options below).

Starts gunicorn with production settings against the scale database, signs in through the real sign-in pages as the
role that uses each page, and loads each page with wrk at 1 and at 16 concurrent clients; beside each, a trivial
signed-in view (the session keep-alive) as the floor. Then times the monthly report build, reads the workers' memory,
optionally compares pages with and without the 5,000,000-row access log and the SQL statement counts at about 1,000
children, and writes bench/RESULTS.md. bench/README.md says what each number means.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http import Client, Session, SignInFailed, as_session, sign_in

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "bench"
VAR_DIR = BASE_DIR / "var" / "bench"
VENV_BIN = BASE_DIR / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
HOST = "127.0.0.1"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = 12
NOLOG_DATABASE = "evolve_h2_nolog"
SOAK_START, SOAK_END = "<!-- soak:start -->", "<!-- soak:end -->"
DEMO_PASSWORD = "evolve-demo-password"  # noqa: S105  # the demo logins' password (evolve/demo/data.py)

# Targets from issue 9.
P95_TARGET_MS = 150.0
STATEMENT_TARGET = 20
REVIEW_FLOOR_RATIO_TARGET = 0.40
REPORT_TARGET_SECONDS = 10.0
ACCESS_LOG_TOLERANCE = 0.10

# Who uses each page, by the demo logins' user names (seed_demo; seed_scale keeps them). --user ROLE=NAME changes one.
DEFAULT_USERS = {
    "team manager": "tm",
    "SPOC worker": "spoc",
    "triage worker": "triage",
    "MASH worker": "mash",
    "practitioner": "socialworker",
    "police practitioner": "police",
}


@dataclass(frozen=True)
class Page:
    name: str
    role: str
    path: str
    method: str = "GET"
    what: str = ""


@dataclass
class Measure:
    clients: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    rps: float
    requests: int
    errors: int
    statuses: dict[str, int]
    socket_errors: dict[str, int]


@dataclass
class PageResult:
    page: Page
    username: str
    statements: int | None = None
    status: int | None = None
    bytes: int | None = None
    single_ms: float | None = None  # one request on its own, after the warm-up
    small_statements: int | None = None
    small_status: int | None = None
    measures: dict[int, Measure] = field(default_factory=dict)
    full_p95_ms: float | None = None  # measured beside nolog_p95_ms, in the access-log comparison
    nolog_p95_ms: float | None = None


def pages_for(targets: dict[str, Any]) -> list[Page]:
    """Every page and endpoint issue 9 names, on the records picked from the database (_django_side.prepare)."""
    case = targets["case"]
    network_child = targets["network"]["child"] or case["child"]
    referral = targets["referral"]["referral"]
    term = targets["search"]["term"]
    return [
        Page("floor: keep-alive", "team manager", "/accounts/session/keep-alive/", "POST", "trivial signed-in view"),
        Page("daily review queue", "team manager", "/cases/review/"),
        Page("SPOC queue", "SPOC worker", "/referrals/queue/spoc/"),
        Page("triage queue", "triage worker", "/referrals/queue/triage/"),
        Page("MASH queue", "MASH worker", "/referrals/queue/mash/"),
        Page("referral page", "SPOC worker", f"/referrals/{referral}/"),
        Page("case page", "practitioner", f"/cases/{case['case']}/"),
        Page("child record and chronology", "practitioner", f"/children/{case['child']}/"),
        Page("fuzzy child search", "SPOC worker", f"/children/?q={term}", what=f"q={term}"),
        Page("network page (2 hops)", "police practitioner", f"/mapping/child/{network_child}/network/"),
        Page("network data (2 hops)", "police practitioner", f"/api/mapping/children/{network_child}/network/?hops=2"),
        Page("hotspot map page", "police practitioner", "/mapping/hotspots/"),
        Page("hotspot map data", "police practitioner", "/api/mapping/hotspots/"),
        Page("API children list", "SPOC worker", "/api/children/"),
        Page("API child detail", "practitioner", f"/api/children/{case['child']}/"),
        Page("API referrals list", "SPOC worker", "/api/referrals/"),
        Page("API referral detail", "SPOC worker", f"/api/referrals/{referral}/"),
        Page("API cases list", "team manager", "/api/cases/"),
        Page("API case detail", "practitioner", f"/api/cases/{case['case']}/"),
        Page("API review queue", "team manager", "/api/cases/review/"),
    ]


# The server --------------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class ServerConfig:
    workers: int
    worker_class: str
    threads: int

    @property
    def label(self) -> str:
        if self.worker_class == "gthread":
            return f"{self.workers} gthread workers x {self.threads} threads"
        return f"{self.workers} {self.worker_class} workers"

    @property
    def slots(self) -> int:
        return self.workers * (self.threads if self.worker_class == "gthread" else 1)


def server_environment(database: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "evolve.settings.production",
            "SECRET_KEY": "bench-only-not-a-secret-4f1c2a9e7d3b8c6a5e0f1d2c3b4a5968",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": f"https://127.0.0.1:{port},https://localhost:{port}",
            "SQL_COUNT_HEADER": "true",
            "DATABASE_URL": f"{ADMIN_URL}/{database}",
            "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
            "PRIVATE_MEDIA_ROOT": str(VAR_DIR / "private-media"),
            # The API's per-user rate limit (600 a minute) would answer 429 to a benchmark long before the server is
            # busy; the limit is a policy, not a cost, so it is raised here and stays as configured elsewhere.
            "API_RATE_USER": "100000000/minute",
            "LOG_LEVEL": "WARNING",
            # Sessions outlive the whole run (each user's are idle while other users' pages are measured); how long
            # an idle session lasts costs nothing per request.
            "SESSION_IDLE_TIMEOUT_SECONDS": str(24 * 3600),
        }
    )
    return env


class Server:
    def __init__(self, *, database: str, config: ServerConfig) -> None:
        self.database = database
        self.config = config
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = VAR_DIR / "gunicorn.log"
        self.extra_env: dict[str, str] = {}  # settings a caller changes (bench/soak.py: its own Redis and mail)

    def start(self) -> None:
        command = [
            str(VENV_BIN / "gunicorn"),
            "evolve.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.config.workers),
            "--worker-class",
            self.config.worker_class,
            "--threads",
            str(self.config.threads),
            "--timeout",
            "120",
            "--error-logfile",
            str(self.log),
            "--log-level",
            "warning",
        ]
        self.process = subprocess.Popen(  # our own command line
            command,
            cwd=BASE_DIR,
            env={**server_environment(self.database, self.port), **self.extra_env},
            start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=1):
                    pass
            except OSError:
                time.sleep(0.3)
                continue
            status = Client(HOST, self.port).request("GET", "/accounts/login/")
            if status.status == 200:
                return
            time.sleep(0.3)
        raise SystemExit(f"gunicorn did not answer within two minutes; see {self.log}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The parent pid is the second field after the command name, which is in parentheses.
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid:
                pids.append(int(entry.name))
        return sorted(pids)

    def memory(self) -> dict[str, Any]:
        """Each worker's resident memory now and at its peak (VmRSS and VmHWM, /proc/<pid>/status), in MiB."""
        workers = []
        for pid in self.worker_pids():
            fields = {}
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    name, _, value = line.partition(":")
                    if name in ("VmRSS", "VmHWM"):
                        fields[name] = int(value.split()[0]) / 1024
            except OSError:
                continue
            workers.append({"pid": pid, "rss_mib": fields.get("VmRSS", 0.0), "peak_mib": fields.get("VmHWM", 0.0)})
        return {"workers": workers, "total_rss_mib": sum(w["rss_mib"] for w in workers)}

    def _cpu_ticks(self) -> int:
        total = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of the whole line
        return total

    def _active_statements(self) -> int:
        # Asked from the maintenance database, so the bench holds no connection to the database under test (a
        # template for the access-log copy takes none).
        with psycopg.connect(f"{ADMIN_URL}/postgres", autocommit=True) as connection:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active'", [self.database]
            ).fetchone()
        return int(row[0]) if row else 0

    def wait_idle(self, timeout: float = 90.0) -> float:
        """Wait until the workers have finished the requests wrk left behind. wrk stops at the end of its window
        with up to one request per client still queued or running; the server finishes them all (it cannot tell the
        client has gone), and that work would otherwise fall on the start of the next measurement. Idle means no
        worker used CPU over two checks in a row and no statement is running in the database."""
        started = time.monotonic()
        quiet = 0
        ticks = self._cpu_ticks()
        while time.monotonic() - started < timeout and quiet < 2:
            time.sleep(0.25)
            now = self._cpu_ticks()
            quiet = quiet + 1 if now - ticks <= 1 and self._active_statements() == 0 else 0
            ticks = now
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def running(database: str, config: ServerConfig) -> Iterator[Server]:
    server = Server(database=database, config=config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Django's side (bench/_django_side.py) --------------------------------------------------------------------------------


def django_side(database: str, *args: str) -> Any:
    env = server_environment(database, 0)
    result = subprocess.run(  # our own command line
        [PYTHON, str(BENCH_DIR / "_django_side.py"), *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"_django_side.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare(database: str, users: dict[str, str], sessions: int) -> dict[str, Any]:
    return django_side(
        database,
        "prepare",
        "--users",
        ",".join(sorted(set(users.values()))),
        "--codes",
        str(sessions),
        "--case-user",
        users["practitioner"],
        "--network-user",
        users["police practitioner"],
        "--referral-user",
        users["SPOC worker"],
    )


def sign_in_all(
    server: Server, users: dict[str, str], codes: dict[str, list[str]], per_user: int, password: str
) -> dict[str, list[Session]]:
    """`per_user` sessions for each user, signed in through the pages, a few at a time (the password hash is meant to
    be slow)."""
    jobs = [(username, code) for username in sorted(set(users.values())) for code in codes[username][:per_user]]

    def one(job: tuple[str, str]) -> Session:
        return sign_in(host=HOST, port=server.port, username=job[0], password=password, code=job[1])

    with ThreadPoolExecutor(max_workers=max(1, server.config.slots)) as pool:
        try:
            signed_in = list(pool.map(one, jobs))
        except SignInFailed as error:
            raise SystemExit(f"Sign-in failed: {error}") from error
    by_user: dict[str, list[Session]] = {}
    for session in signed_in:
        by_user.setdefault(session.username, []).append(session)
    return by_user


# Measuring ----------------------------------------------------------------------------------------------------------


def wrk(server: Server, page: Page, sessions: list[Session], *, clients: int, seconds: float) -> Measure:
    env = dict(os.environ)
    env.update(
        {
            "BENCH_METHOD": page.method,
            "BENCH_PATH": page.path,
            "BENCH_ORIGIN": f"https://{HOST}:{server.port}",
            "BENCH_SESSIONS": ";".join(session.wrk_field() for session in sessions),
        }
    )
    command = [
        "wrk",
        "-t1",  # one thread drives 16 connections easily, and leaves the two cores to the server
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "-s",
        str(BENCH_DIR / "wrk.lua"),
        f"http://{HOST}:{server.port}",
    ]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    server.wait_idle()
    line = next((row for row in result.stdout.splitlines() if row.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no result for {page.name}:\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.removeprefix("BENCH_JSON "))
    statuses = {str(k): int(v) for k, v in data["statuses"].items()}
    socket_errors = {k: int(v) for k, v in data["socket_errors"].items()}
    non_2xx = sum(count for status, count in statuses.items() if not status.startswith("2"))
    seconds_run = data["duration_us"] / 1_000_000
    # No request finished inside the window: every one took longer. wrk then reports zeros, which would read as fast.
    done = data["requests"] > 0
    return Measure(
        clients=clients,
        p50_ms=data["p50_us"] / 1000 if done else math.inf,
        p95_ms=data["p95_us"] / 1000 if done else math.inf,
        p99_ms=data["p99_us"] / 1000 if done else math.inf,
        rps=data["requests"] / seconds_run if seconds_run else 0.0,
        requests=data["requests"],
        errors=non_2xx + sum(socket_errors.values()),
        statuses=statuses,
        socket_errors=socket_errors,
    )


def one_request(server: Server, page: Page, session: Session) -> tuple[int, int | None, int, float]:
    """Status, X-SQL-Statements, body size and milliseconds of a single request, as the page's one user."""
    client = as_session(session, host=HOST, port=server.port)
    started = time.perf_counter()
    response = client.request(
        page.method, page.path, form={} if page.method == "POST" else None, csrf=session.form_token
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    header = response.headers.get("x-sql-statements")
    return response.status, int(header) if header is not None else None, len(response.body), elapsed_ms


def measure_pages(
    server: Server,
    pages: list[Page],
    sessions: dict[str, list[Session]],
    users: dict[str, str],
    *,
    clients: list[int],
    seconds: float,
    warmup: float,
    log: Any,
) -> list[PageResult]:
    results = []
    for page in pages:
        username = users[page.role]
        mine = sessions[username]
        result = PageResult(page=page, username=username)
        if warmup > 0:
            # As many clients as the server has slots, so every worker has imported, connected and cached.
            wrk(server, page, mine, clients=server.config.slots, seconds=warmup)
        result.status, result.statements, result.bytes, result.single_ms = one_request(server, page, mine[0])
        for count in clients:
            result.measures[count] = wrk(server, page, mine[: max(count, 1)], clients=count, seconds=seconds)
        results.append(result)
        log(
            f"  {page.name:32} {result.status} sql={result.statements} "
            + " ".join(
                f"c{m.clients}: p50={ms(m.p50_ms)} p95={ms(m.p95_ms)} rps={m.rps:.1f} err={m.errors}"
                for m in result.measures.values()
            )
        )
    return results


# The access-log comparison and the small database -------------------------------------------------------------------


def admin_execute(statements: list[str], database: str = "postgres") -> None:
    with psycopg.connect(f"{ADMIN_URL}/{database}", autocommit=True) as connection:
        for statement in statements:
            connection.execute(statement)


class CopyRefused(RuntimeError):
    pass


def copy_without_access_log(source: str, log: Any) -> float:
    """A copy of `source` whose access log is empty (we are superuser: the append-only triggers are set aside for the
    TRUNCATE). The server must be stopped: a template database takes no other connections, so this waits a little
    for the last ones to close, then gives up with CopyRefused."""
    started = time.perf_counter()
    admin_execute([f'DROP DATABASE IF EXISTS "{NOLOG_DATABASE}"'])
    for attempt in range(10):
        try:
            # FILE_COPY copies the files as they are; PostgreSQL 15's default (WAL_LOG) writes every block of an
            # 8 GB database through the WAL, which takes many times longer.
            admin_execute([f'CREATE DATABASE "{NOLOG_DATABASE}" TEMPLATE "{source}" STRATEGY FILE_COPY'])
            break
        except psycopg.errors.ObjectInUse as error:
            if attempt == 9:
                raise CopyRefused(f"other sessions stayed connected to {source}") from error
            time.sleep(3)
    admin_execute(
        [
            "ALTER TABLE audit_accesslogentry DISABLE TRIGGER ALL",
            "TRUNCATE audit_accesslogentry",
            "ALTER TABLE audit_accesslogentry ENABLE TRIGGER ALL",
            "ANALYZE audit_accesslogentry",
        ],
        NOLOG_DATABASE,
    )
    seconds = time.perf_counter() - started
    log(f"Copied {source} to {NOLOG_DATABASE} without its access log in {seconds:.0f} s")
    return seconds


def access_log_rows(database: str) -> int:
    with psycopg.connect(f"{ADMIN_URL}/{database}") as connection:
        row = connection.execute("SELECT count(*) FROM audit_accesslogentry").fetchone()
    return int(row[0]) if row else 0


# The machine --------------------------------------------------------------------------------------------------------


def _command_output(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "not found"


def machine(database: str) -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    with psycopg.connect(f"{ADMIN_URL}/{database}") as connection:
        row = connection.execute("SHOW server_version").fetchone()
        postgres = str(row[0]) if row else "unknown"
        settings = {
            name: str(connection.execute(f"SHOW {name}").fetchone()[0])
            for name in ("shared_buffers", "work_mem", "effective_cache_size", "max_connections")
        }
    redis = _command_output(["redis-cli", "INFO", "server"])
    redis_version = next(
        (line.split(":", 1)[1] for line in redis.splitlines() if line.startswith("redis_version")), "unknown"
    )
    wrk_version = _command_output(["wrk", "--version"]).splitlines()
    import django

    return {
        "CPU": cpu,
        "Cores": str(os.cpu_count()),
        "Memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "PostgreSQL": f"{postgres} (" + ", ".join(f"{k} {v}" for k, v in settings.items()) + ")",
        "Redis": redis_version.strip(),
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": _command_output([str(VENV_BIN / "gunicorn"), "--version"]),
        "wrk": wrk_version[0] if wrk_version else "not found",
    }


# RESULTS.md ---------------------------------------------------------------------------------------------------------


def ms(value: float | None) -> str:
    if value is None:
        return "?"
    return "none finished" if math.isinf(value) else f"{value:.1f}"


def change(full: float | None, empty: float | None) -> float:
    """(full - empty) / empty; infinite when either side had no request finish (that counts as a failure)."""
    if not full or not empty or math.isinf(full) or math.isinf(empty):
        return math.inf
    return (full - empty) / empty


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def write_results(path: Path, run: dict[str, Any]) -> None:
    results: list[PageResult] = run["results"]
    clients: list[int] = run["clients"]
    floor = results[0]
    lines = [
        "# Benchmark results (issue 9)",
        "",
        f"Run on {run['date']} with `{run['command']}`; {run['seconds']:.0f} s in all. bench/README.md says how to",
        "run it and what each number means. Each page was warmed up, then loaded by wrk for "
        f"{run['duration']:.0f} s at each concurrency.",
        "",
        *([f"**{run['note']}**", ""] if run.get("note") else []),
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {name} | {value} |" for name, value in run["machine"].items()),
        f"| Server | gunicorn, {run['config'].label}, production settings "
        f"(evolve.settings.production), behind no proxy: the bench sends X-Forwarded-Proto: https |",
        f"| Database under test | `{run['database']}` ({run['counts']['database_size']}) |",
        "| Load average (1, 5, 15 min) | before the run "
        + ", ".join(f"{x:.2f}" for x in run["load_before"])
        + "; after the pages "
        + ", ".join(f"{x:.2f}" for x in run["load_after_pages"])
        + " (the pages themselves load the machine; a high figure before means something else was running) |",
        "",
    ]
    if run.get("workers_table"):
        lines += ["## Worker choice", "", *run["workers_table"], ""]
    else:
        lines += [
            "## Worker choice",
            "",
            f"{run['config'].label}. Not compared in this run (`--compare-workers` does); the default is 4 sync "
            "workers because, compared at 250,000 children with 5 sync and 2x4 and 4x2 gthread workers, it gave the "
            "heavy pages the highest throughput at 16 clients and the lowest p95 at 1 client (bench/README.md).",
            "",
        ]
    lines += ["## Rows in the main tables", "", "| Table | Rows |", "|---|---:|"]
    lines += [
        f"| {row['label']} (`{row['table']}`) | {'missing' if row['rows'] is None else format(row['rows'], ',')} |"
        for row in run["counts"]["tables"]
    ]
    lines += ["", "Records measured: " + run["targets_text"], ""]
    for count in clients:
        floor_rps = floor.measures[count].rps if count in floor.measures else 0.0
        lines += [
            f"## {count} client{'s' if count != 1 else ''}",
            "",
            "| Page | Role (user) | p50 ms | p95 ms | req/s | Ratio to floor | SQL statements | Errors |"
            + (" Single request ms |" if count == 1 else ""),
            "|---|---|---:|---:|---:|---:|---:|---:|" + ("---:|" if count == 1 else ""),
        ]
        for result in results:
            measure = result.measures.get(count)
            if measure is None:
                continue
            ratio = measure.rps / floor_rps if floor_rps else 0.0
            errors = str(measure.errors)
            if measure.errors:
                errors += " (" + ", ".join(f"{k}: {v}" for k, v in sorted(measure.statuses.items())) + ")"
            lines.append(
                f"| {result.page.name} `{result.page.method} {result.page.path}` | {result.page.role} "
                f"({result.username}) | {ms(measure.p50_ms)} | {ms(measure.p95_ms)} | {measure.rps:.1f} | "
                f"{ratio:.2f} | {result.statements if result.statements is not None else '?'} | {errors} |"
                + (f" {ms(result.single_ms)} |" if count == 1 else "")
            )
        lines.append("")
    memory = run["memory"]
    lines += [
        "## Worker memory",
        "",
        "After the run, per gunicorn worker (VmRSS now, VmHWM its peak, from /proc/<pid>/status):",
        "",
        "| Worker pid | RSS MiB | Peak MiB |",
        "|---:|---:|---:|",
        *(f"| {w['pid']} | {w['rss_mib']:.0f} | {w['peak_mib']:.0f} |" for w in memory["workers"]),
        f"| all workers | {memory['total_rss_mib']:.0f} | |",
        "",
    ]
    report = run.get("report")
    if report:
        lines += [
            "## Monthly report build",
            "",
            f"Team {report['team_id']}, {report['year']}-{report['month']:02d}, built in-process with the report's own "
            "functions (reporting.content.report_content, reporting.document.render_pdf and render_csv):",
            "",
            "| Figures s | PDF s | CSV s | Total s | PDF bytes | CSV bytes |",
            "|---:|---:|---:|---:|---:|---:|",
            f"| {report['figures_seconds']:.2f} | {report['pdf_seconds']:.2f} | {report['csv_seconds']:.2f} | "
            f"{report['total_seconds']:.2f} | {report['pdf_bytes']:,} | {report['csv_bytes']:,} |",
            "",
        ]
    if run.get("access_log_skipped"):
        lines += ["## Access log", "", f"Not compared: {run['access_log_skipped']}.", ""]
    compared = [r for r in results if r.nolog_p95_ms is not None]
    if compared:
        lines += [
            f"## Access log: {run['access_log_rows']:,} rows against none",
            "",
            f"p95 at 1 client with the access log as loaded ({run['access_log_rows']:,} rows) and on a copy whose "
            f"log is empty (`{NOLOG_DATABASE}`), both servers up at once, each page measured on them in rounds of "
            f"full, empty, empty, full for half the duration each ({run.get('access_log_rounds', 1)} rounds; each "
            "side's p95 is the median of its runs). Change is (full - empty) / empty; only a slowdown of more than "
            "10% fails.",
            "",
            "| Page | p95 ms, full log | p95 ms, empty log | Change | Within 10% |",
            "|---|---:|---:|---:|---|",
        ]
        for result in compared:
            moved = change(result.full_p95_ms, result.nolog_p95_ms)
            lines.append(
                f"| {result.page.name} | {ms(result.full_p95_ms)} | {ms(result.nolog_p95_ms)} | "
                f"{'?' if math.isinf(moved) else format(moved, '+.0%')} | {verdict(moved <= ACCESS_LOG_TOLERANCE)} |"
            )
        lines.append("")
    if run.get("small_database"):
        lines += [
            f"## SQL statements per request: `{run['small_database']}` against `{run['database']}`",
            "",
            f"| Page | Statements, {run['small_children']:,} children | Statements, {run['children']:,} children | "
            "Same | At most 20 (full scale) |",
            "|---|---:|---:|---|---|",
        ]
        for result in results:
            same = result.small_statements == result.statements
            small_note = "" if result.small_status in (None, 200, 204) else f" (status {result.small_status})"
            lines.append(
                f"| {result.page.name} | {result.small_statements}{small_note} | {result.statements} | "
                f"{verdict(same)} | {verdict((result.statements or 0) <= STATEMENT_TARGET)} |"
            )
        lines.append("")
    lines += ["## Targets", "", "| Target | Result | |", "|---|---|---|"]
    for target, detail, ok in run["targets"]:
        lines.append(f"| {target} | {detail} | {verdict(ok)} |")
    lines.append("")
    if run.get("two_instances"):
        # bench/two_instances.py prints its own heading.
        lines += [run["two_instances"], ""]
    # The soak's section (bench/soak.py) is its own run's: kept as it was.
    previous = path.read_text() if path.exists() else ""
    start, end = previous.find(SOAK_START), previous.find(SOAK_END)
    soak = previous[start : end + len(SOAK_END)] if 0 <= start < end else ""
    path.write_text("\n".join(lines) + (f"\n{soak}\n" if soak else ""))


def target_rows(run: dict[str, Any]) -> list[tuple[str, str, bool | None]]:
    results: list[PageResult] = run["results"]
    rows: list[tuple[str, str, bool | None]] = []
    pages = [r for r in results if 1 in r.measures]
    if pages:

        def p95(result: PageResult) -> str:
            value = result.measures[1].p95_ms
            return "(no request finished)" if math.isinf(value) else f"{value:.0f} ms"

        slow = [f"{r.page.name} {p95(r)}" for r in pages if r.measures[1].p95_ms >= P95_TARGET_MS]
        worst = max(pages, key=lambda r: r.measures[1].p95_ms)
        detail = f"worst: {worst.page.name} {p95(worst)}"
        if slow:
            detail += f"; over: {', '.join(slow)}"
        rows.append(("p95 under 150 ms at 1 client, every page", detail, not slow))
    counted = [r for r in results if r.statements is not None]
    if counted:
        many = [f"{r.page.name} {r.statements}" for r in counted if (r.statements or 0) > STATEMENT_TARGET]
        most = max(counted, key=lambda r: r.statements or 0)
        detail = f"most: {most.page.name} {most.statements}"
        if many:
            detail += f"; over: {', '.join(many)}"
        rows.append(("At most 20 SQL statements per request", detail, not many))
    if run.get("small_database"):
        differ = [
            f"{r.page.name} {r.small_statements} vs {r.statements}"
            for r in results
            if r.small_statements != r.statements
        ]
        rows.append(
            (
                "The same SQL statement count at about 1,000 and at 250,000 children",
                "differ: " + ", ".join(differ) if differ else "all equal",
                not differ,
            )
        )
    review = next((r for r in results if r.page.name == "daily review queue"), None)
    top = 16  # the concurrency for this target
    if review is not None and top in review.measures and top in results[0].measures and results[0].measures[top].rps:
        ratio = review.measures[top].rps / results[0].measures[top].rps
        rows.append(
            (
                f"Daily review queue at {top} clients: at least 40% of the floor's throughput",
                f"{review.measures[top].rps:.1f} / {results[0].measures[top].rps:.1f} req/s = {ratio:.0%}",
                ratio >= REVIEW_FLOOR_RATIO_TARGET,
            )
        )
    if run.get("report"):
        seconds = run["report"]["total_seconds"]
        rows.append(
            ("Monthly report, figures and PDF, under 10 s", f"{seconds:.1f} s", seconds < REPORT_TARGET_SECONDS)
        )
    compared = [r for r in results if r.nolog_p95_ms is not None]
    if compared:
        moved = {r.page.name: change(r.full_p95_ms, r.nolog_p95_ms) for r in compared}
        worse = [
            f"{name} " + ("(no request finished)" if math.isinf(value) else f"{value:+.0%}")
            for name, value in moved.items()
            if value > ACCESS_LOG_TOLERANCE
        ]
        rows.append(
            (
                "The 5,000,000-row access log changes no page's p95 by more than 10%",
                "over: " + ", ".join(worse) if worse else "all within 10%",
                not worse,
            )
        )
    errors = sum(m.errors for r in results for m in r.measures.values())
    rows.append(("No errors (every response 2xx)", f"{errors} errors", errors == 0))
    return rows


# Worker choice ------------------------------------------------------------------------------------------------------


# Two cores, pages that are mostly CPU (Python rendering, PostgreSQL planning and scanning): one process per request
# in flight did best at scale. Compared at 250,000 children (--compare-workers) with 5 sync workers and 2x4 and 4x2
# gthread workers, 4 sync workers gave the heavy pages (review queue, case page) the highest throughput at 16 clients
# and the lowest p95 at 1 client. gthread keeps connections alive, which makes the floor faster and so the ratio to the
# floor stricter; the heavy pages gain nothing from it.
DEFAULT_CONFIG = ServerConfig(4, "sync", 1)
WORKER_CHOICES = [
    ServerConfig(4, "sync", 1),
    ServerConfig(5, "sync", 1),
    ServerConfig(2, "gthread", 4),
    ServerConfig(4, "gthread", 2),
]


def compare_workers(
    database: str,
    pages: list[Page],
    sessions: dict[str, list[Session]],
    users: dict[str, str],
    seconds: float,
    log: Any,
) -> tuple[list[str], ServerConfig]:
    """The floor, the daily review queue and the case page under each worker choice, briefly: throughput at 16 clients
    and p95 at 1 client. The choice with the best throughput on the two heavy pages wins; choices within 10% of it
    count as equal, and among those the lowest p95 on the heavy pages wins (the floor is nearly free in any of
    them, and on two cores the heavy pages decide)."""
    chosen = [p for p in pages if p.name in ("floor: keep-alive", "daily review queue", "case page")]
    rows = [
        f"Each choice loaded for {seconds:.0f} s at 16 clients and at 1 client, after a warm-up. The best throughput "
        "on the heavy pages (review queue and case page) wins; choices within 10% of it count as equal, and among "
        "those the lowest p95 at 1 client on the heavy pages wins.",
        "",
        "| Workers | " + " | ".join(f"{p.name} req/s (16) | p95 ms (1)" for p in chosen) + " | RSS MiB, all workers |",
        "|---|" + "---:|---:|" * len(chosen) + "---:|",
    ]
    scores: list[tuple[float, float, ServerConfig]] = []
    for config in WORKER_CHOICES:
        with running(database, config) as server:
            cells = []
            heavy_rps = heavy_p95 = 0.0
            for page in chosen:
                mine = sessions[users[page.role]]
                wrk(server, page, mine, clients=config.slots, seconds=2)
                busy = wrk(server, page, mine, clients=16, seconds=seconds)
                alone = wrk(server, page, mine, clients=1, seconds=seconds)
                cells.append(f"{busy.rps:.1f} | {ms(alone.p95_ms)}")
                if not page.name.startswith("floor"):
                    heavy_rps += busy.rps
                    heavy_p95 += alone.p95_ms
            memory = server.memory()["total_rss_mib"]
        rows.append(f"| {config.label} | " + " | ".join(cells) + f" | {memory:.0f} |")
        log(f"  {config.label}: {' | '.join(cells)} | {memory:.0f} MiB")
        scores.append((heavy_rps, heavy_p95, config))
    best_rps = max(score[0] for score in scores)
    contenders = [score for score in scores if score[0] >= 0.9 * best_rps]
    chosen_config = min(contenders, key=lambda score: score[1])[2]
    rows += ["", f"Chosen for the run: {chosen_config.label}."]
    return rows, chosen_config


# The run ------------------------------------------------------------------------------------------------------------


def parse_users(overrides: list[str]) -> dict[str, str]:
    users = dict(DEFAULT_USERS)
    for item in overrides:
        role, _, username = item.partition("=")
        if role not in users or not username:
            raise SystemExit(f"--user takes ROLE=NAME with ROLE one of: {', '.join(users)}")
        users[role] = username
    return users


def collect_static() -> None:
    """Production settings serve collected files (whitenoise); the bench fetches none, but the pages name them."""
    if (BASE_DIR / "var" / "staticfiles").exists():
        return
    env = server_environment("postgres", 0)
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="evolve_scale", help="the database under test (default evolve_scale)")
    parser.add_argument("--small-database", default="", help="also read SQL statement counts on this database")
    parser.add_argument(
        "--compare-access-log",
        action="store_true",
        help=f"also run every page at 1 client on a copy ({NOLOG_DATABASE}) whose access log is empty",
    )
    parser.add_argument("--keep-copy", action="store_true", help=f"keep {NOLOG_DATABASE} afterwards")
    parser.add_argument(
        "--access-log-rounds",
        type=int,
        default=3,
        help="rounds of full, empty, empty, full in the access-log comparison (default 3); each side's p95 is the "
        "median of its runs",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per page and concurrency (default 10)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per page (default 3)")
    parser.add_argument("--clients", default="1,16", help="concurrencies, comma-separated (default 1,16)")
    parser.add_argument("--workers", type=int, default=DEFAULT_CONFIG.workers, help="gunicorn workers (default 4)")
    parser.add_argument("--worker-class", default=DEFAULT_CONFIG.worker_class, choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=DEFAULT_CONFIG.threads, help="threads per gthread worker")
    parser.add_argument(
        "--compare-workers", action="store_true", help="first try a few worker choices and run with the best"
    )
    parser.add_argument("--pages", default="", help="only pages whose name contains one of these (comma-separated)")
    parser.add_argument("--user", action="append", default=[], help="ROLE=NAME: sign in as NAME for ROLE's pages")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument(
        "--sessions",
        type=int,
        default=8,
        help="signed-in sessions per user, taken in turn by the clients (default 8: twice the server's slots)",
    )
    parser.add_argument("--no-report", action="store_true", help="skip the monthly report build")
    parser.add_argument("--no-two-instances", action="store_true", help="do not run bench/two_instances.py")
    parser.add_argument("--output", default=str(BENCH_DIR / "RESULTS.md"))
    args = parser.parse_args()

    started = time.perf_counter()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Stopped by a signal (even from the background, where SIGINT starts out ignored), the servers still stop: the
    # `finally` blocks around them run.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)

    users = parse_users(args.user)
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    config = ServerConfig(args.workers, args.worker_class, args.threads if args.worker_class == "gthread" else 1)
    subprocess.run(["redis-cli", "-n", str(REDIS_DB), "FLUSHDB"], capture_output=True, check=False)
    collect_static()

    log(f"Counting rows in {args.database}")
    counts = django_side(args.database, "counts")
    children = next(row["rows"] for row in counts["tables"] if row["table"] == "people_child") or 0
    sessions_per_user = max(1, min(args.sessions, max(clients)))
    log(f"Picking records and making sign-in codes ({sessions_per_user} sessions per user)")
    prepared = prepare(args.database, users, sessions_per_user)
    targets = prepared["targets"]
    log(f"Records: {json.dumps(targets)}")
    pages = pages_for(targets)
    if args.pages:
        wanted = [w.strip().lower() for w in args.pages.split(",") if w.strip()]
        pages = [pages[0]] + [p for p in pages[1:] if any(w in p.name.lower() for w in wanted)]

    run: dict[str, Any] = {
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "command": "bench/run.py " + " ".join(sys.argv[1:]),
        "database": args.database,
        "counts": counts,
        "children": children,
        "clients": clients,
        "duration": args.duration,
        "machine": machine(args.database),
        "load_before": os.getloadavg(),
        "targets_text": (
            f"case {targets['case']['case_id']} (child {targets['case']['child_id']}, "
            f"{targets['case']['notes']} notes, {targets['case']['chronology_entries']} chronology entries); "
            f"network from the child with the most links ({targets['network']['links']}); "
            f"search `{targets['search']['term']}` (the commonest surname, "
            f"{targets['search']['surname_children']:,} children, misspelt); "
            f"referral {targets['referral']['referral_id']} ({targets['referral']['state']})."
        ),
    }

    with running(args.database, config) as server:
        log(f"gunicorn up on port {server.port} ({config.label}); signing in")
        sessions = sign_in_all(server, users, prepared["codes"], sessions_per_user, args.password)
    if args.compare_workers:
        log("Comparing worker choices")
        run["workers_table"], config = compare_workers(
            args.database, pages, sessions, users, min(args.duration, 5.0), log
        )
    run["config"] = config

    with running(args.database, config) as server:
        log(f"Measuring {len(pages)} pages at {clients} clients, {args.duration:.0f} s each ({config.label})")
        results = measure_pages(
            server, pages, sessions, users, clients=clients, seconds=args.duration, warmup=args.warmup, log=log
        )
        run["memory"] = server.memory()
        run["load_after_pages"] = os.getloadavg()
        if not args.no_report:
            log("Building the monthly report")
            run["report"] = django_side(
                args.database, "report", "--report-user", users["team manager"], "--out", str(VAR_DIR)
            )
            log(f"Report: {run['report']['total_seconds']} s")
    run["results"] = results

    def save(note: str = "") -> None:
        """RESULTS.md as far as the run has got, so a run stopped later (to give the machine back) keeps its tables."""
        run["seconds"] = time.perf_counter() - started
        run["targets"] = target_rows(run)
        run["note"] = note
        write_results(Path(args.output), run)

    save("Partial: written after the pages and the report; the comparisons asked for had not run yet.")
    log(f"Wrote the pages' results to {args.output}")

    copied = False
    if args.compare_access_log:
        run["access_log_rows"] = access_log_rows(args.database)
        run["access_log_rounds"] = max(1, args.access_log_rounds)
        try:
            copy_without_access_log(args.database, log)
            copied = True
        except CopyRefused as error:
            run["access_log_skipped"] = str(error)
            log(f"Access-log comparison not run: {error}")
    if copied:
        try:
            # Both servers up at once, each page measured on one and then straight away on the other, so that whatever
            # else the machine is doing falls on both alike. The copy has the same sessions (and the same signing
            # key), so the same cookies are signed in on both.
            with running(args.database, config) as full, running(NOLOG_DATABASE, config) as empty:
                log("Measuring every page at 1 client with the full access log and with none")
                for result in results:
                    mine = sessions[result.username]
                    if args.warmup > 0:
                        for server in (full, empty):
                            wrk(server, result.page, mine, clients=server.config.slots, seconds=args.warmup)
                    # Rounds of full, empty, empty, full, each run for half the duration: a drift in the machine's
                    # load falls on both sides alike. One run's p95 rests on its few slowest requests, so each
                    # side's p95 is the median of its runs, which one unlucky run cannot move.
                    half = args.duration / 2
                    runs: dict[str, list[float]] = {"full": [], "empty": []}
                    for _ in range(max(1, args.access_log_rounds)):
                        for side, server in (("full", full), ("empty", empty), ("empty", empty), ("full", full)):
                            runs[side].append(wrk(server, result.page, mine, clients=1, seconds=half).p95_ms)
                    result.full_p95_ms = statistics.median(runs["full"])
                    result.nolog_p95_ms = statistics.median(runs["empty"])
                    log(f"  {result.page.name:32} p95 {ms(result.full_p95_ms)} full, {ms(result.nolog_p95_ms)} empty")
        finally:
            if not args.keep_copy:
                admin_execute([f'DROP DATABASE IF EXISTS "{NOLOG_DATABASE}"'])

    if args.small_database:
        run["small_database"] = args.small_database
        small_counts = django_side(args.small_database, "counts")
        run["small_children"] = next(r["rows"] for r in small_counts["tables"] if r["table"] == "people_child") or 0
        small_prepared = prepare(args.small_database, users, 1)
        small_pages = {p.name: p for p in pages_for(small_prepared["targets"])}
        with running(args.small_database, config) as server:
            log(f"Reading SQL statement counts on {args.small_database}")
            small_sessions = sign_in_all(server, users, small_prepared["codes"], 1, args.password)
            for result in results:
                page = small_pages[result.page.name]
                session = small_sessions[result.username][0]
                one_request(server, page, session)  # the first request of a worker fills its caches
                result.small_status, result.small_statements, _, _ = one_request(server, page, session)
                log(f"  {page.name:32} {result.small_statements} (big: {result.statements})")

    two_instances = BENCH_DIR / "two_instances.py"
    if two_instances.exists() and not args.no_two_instances:
        log("Running bench/two_instances.py")
        outcome = subprocess.run(
            [PYTHON, str(two_instances)], cwd=BASE_DIR, capture_output=True, text=True, check=False
        )
        run["two_instances"] = outcome.stdout.strip() or f"(no output; exit {outcome.returncode})\n\n{outcome.stderr}"

    save()
    log(f"Wrote {args.output}")
    for target, detail, ok in run["targets"]:
        print(f"  {verdict(ok):4} {target}: {detail}")


if __name__ == "__main__":
    main()
