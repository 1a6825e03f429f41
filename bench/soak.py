"""Soak (issue 10): fifty people work the referral pathway for ten minutes against gunicorn, then every step the pages
said was saved is looked for in the database.

    make soak                                  # or: .venv/bin/python bench/soak.py [--users 50] [--minutes 10]

It makes a database of its own (`evolve_soak`, dropped and made again each run: migrations and the demo data), starts
gunicorn with production settings (as bench/run.py does: four sync workers, the bench playing the TLS proxy), a
Celery worker and Celery beat, and signs fifty people in through the real pages, each a desk of their own:

    referrer 12   a school sends a MARF (start, fill in, send)
    spoc 6        logs the contact against a new child record
    triage 5      screens it
    triagemanager 5   rates it and sends it to the MASH
    mash 7        records the MASH check and co-allocates it to Evolve
    tm 6          the team manager's view in the daily review
    ds 5          the detective sergeant's view (the two agree: the child's case opens), then a case note
    socialworker 4    reads: home, notifications, the case list, a name search

A referral is handed from desk to desk as it moves on (one desk takes each, as a queue on a screen would give it to
one person), so no two people act on the same referral at once: what is measured is the service under load, not the
refusal of a stale page (tests/referrals and tests/ui cover that). Each person thinks for a moment between steps and,
with nothing in their queue, looks at their own pages instead. Every step is a real form: the page is fetched, the form
on it is read (its version and CSRF token), filled in and posted, and the redirect followed; it counts as saved only
when the page after it says so.

At the end the people finish the step in hand, the worker is given a minute to send what the outbox holds, and the
database is asked for every referral, state, case and note the pages confirmed (bench/_django_side.py soak). Targets
(the issue): no error (any status but the expected one, or no answer), no lost record, worker memory flat (the last
minute's mean within 10% of the second minute's). The result goes into bench/RESULTS.md between soak markers (bench/
run.py keeps that section when it rewrites the file) and, in full, into var/bench/soak/result.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import queue
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from _http import Client, Response, SignInFailed, sign_in
from run import (
    BASE_DIR,
    BENCH_DIR,
    DEFAULT_CONFIG,
    DEMO_PASSWORD,
    HOST,
    PYTHON,
    SOAK_END,
    SOAK_START,
    VAR_DIR,
    VENV_BIN,
    Server,
    admin_execute,
    machine,
    server_environment,
)

DATABASE = "evolve_soak"
SOAK_DIR = VAR_DIR / "soak"
RESULTS = BENCH_DIR / "RESULTS.md"
MEMORY_TOLERANCE = 0.10
SAMPLE_SECONDS = 10.0
DRAIN_SECONDS = 90.0
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# The desks, in the order a referral passes them, and how many of fifty people sit at each.
DESKS = [
    ("referrer", 12),
    ("spoc", 6),
    ("triage", 5),
    ("triagemanager", 5),
    ("mash", 7),
    ("tm", 6),
    ("ds", 5),
    ("socialworker", 4),
]
# Synthetic names only: none is a real child's, and none is in the source documents.
FIRST_NAMES = ["Ash", "Bryn", "Cal", "Dee", "Eli", "Fen", "Gus", "Hal", "Ivo", "Jo", "Kit", "Lu", "Mo", "Nell", "Oz"]
LAST_NAMES = ["Soakby", "Loadwell", "Benchley", "Steadman", "Longrun", "Tenmin", "Fiftyfold", "Durant"]


# Reading forms off a page ---------------------------------------------------------------------------------------------


class Forms(HTMLParser):
    """Every form on a page: its action, and the values a browser would send without the user touching them (hidden
    inputs, and the options a select or radio group offers, so the caller can pick one)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append({"action": attributes.get("action", ""), "hidden": {}, "options": {}})
        elif not self.forms:
            return
        elif tag == "input" and attributes.get("type") == "hidden" and attributes.get("name"):
            self.forms[-1]["hidden"][attributes["name"]] = attributes.get("value", "")
        elif tag == "input" and attributes.get("type") in ("radio", "checkbox") and attributes.get("name"):
            self.forms[-1]["options"].setdefault(attributes["name"], []).append(attributes.get("value", ""))
        elif tag == "select":
            self._select = attributes.get("name")
        elif tag == "option" and self._select and attributes.get("value"):
            self.forms[-1]["options"].setdefault(self._select, []).append(attributes["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def form_on(page: Response, action_ends: str, here: str = "") -> dict[str, Any]:
    """The form on the page that posts to a path ending `action_ends` (a form with no action posts to `here`)."""
    parser = Forms()
    parser.feed(page.text)
    for form in parser.forms:
        form["action"] = form["action"] or here
        if urlsplit(form["action"]).path.endswith(action_ends):
            return dict(form)
    raise StepFailed(f"no form ending {action_ends!r} on the page ({page.status})")


# The people ----------------------------------------------------------------------------------------------------------


class StepFailed(RuntimeError):
    pass


@dataclass
class Tracked:
    """One referral as the pages confirmed it: its last saved state, and what was made on the way."""

    public_id: str
    state: str = "draft"
    child: str = ""
    case: str = ""
    note: str = ""


@dataclass
class Tally:
    requests: list[tuple[str, float]] = field(default_factory=list)  # (step, seconds)
    errors: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, step: str, seconds: float) -> None:
        with self.lock:
            self.requests.append((step, seconds))

    def error(self, who: str, step: str, detail: str) -> None:
        with self.lock:
            self.errors.append({"who": who, "step": step, "detail": detail[:500], "at": time.time()})


class Person:
    """One signed-in person at one desk: their own cookies, their own CSRF token, one request at a time."""

    def __init__(self, username: str, desk: int, client: Client, tally: Tally) -> None:
        self.username = username
        self.desk = desk
        self.client = client
        self.tally = tally

    @property
    def who(self) -> str:
        return f"{self.username}#{self.desk}"

    def get(self, step: str, path: str, expect: int = 200) -> Response:
        started = time.perf_counter()
        response = self.client.request("GET", path)
        self.tally.timed(step, time.perf_counter() - started)
        if response.status != expect:
            raise StepFailed(f"GET {path} answered {response.status}, not {expect}: {_said(response)}")
        return response

    def post(self, step: str, form: dict[str, Any], fields: dict[str, str | list[str]]) -> str:
        """Post a form read off a page, as the browser would; the answer must be a redirect, which is followed."""
        body: list[tuple[str, str]] = list(form["hidden"].items())
        for name, value in fields.items():
            body.extend((name, item) for item in (value if isinstance(value, list) else [value]))
        started = time.perf_counter()
        response = self.client.request("POST", form["action"], form=body)  # type: ignore[arg-type]
        self.tally.timed(step, time.perf_counter() - started)
        if response.status != 302:
            raise StepFailed(f"POST {form['action']} answered {response.status}, not a redirect: {_said(response)}")
        return urlsplit(response.headers.get("location", "")).path

    def saved(self, step: str, path: str, says: str = "Saved") -> Response:
        page = self.get(step, path)
        if says not in page.text:
            raise StepFailed(f"{path} after {step} does not say {says!r}")
        return page


def _said(response: Response) -> str:
    """What the page said went wrong: its error summary or refusal, else the start of its body (ids, no names)."""
    found = re.findall(r'class="govuk-error-summary__list".*?</ul>|role="alert".*?</div>', response.text, re.S)
    body = response.text.split("</head>", 1)[-1]  # the title names the child; the results hold ids only
    text = re.sub(r"<[^>]+>|\s+", " ", found[0] if found else body[:300]).strip()
    return text[:300]


@dataclass
class Pathway:
    """The hand-offs between desks and what every referral has reached, as the pages confirmed it."""

    queues: dict[str, queue.Queue[Tracked]]
    tracked: list[Tracked] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def new(self, public_id: str) -> Tracked:
        item = Tracked(public_id=public_id)
        with self.lock:
            self.tracked.append(item)
        return item


def send_marf(person: Person, pathway: Pathway) -> None:
    start = form_on(person.get("marf start", "/referrals/new/"), "/referrals/new/", here="/referrals/new/")
    edit = person.post("marf start", start, {})
    public_id = re.search(UUID, edit)
    if not public_id:
        raise StepFailed(f"the start page sent the referrer to {edit!r}")
    item = pathway.new(public_id.group(0))
    marf = form_on(person.get("marf form", edit), edit, here=edit)
    indicators = marf["options"].get("indicators", [])
    born = datetime.now(UTC).year - random.randint(11, 16)
    fields: dict[str, str | list[str]] = {
        "child_first_name": random.choice(FIRST_NAMES),
        "child_last_name": random.choice(LAST_NAMES),
        "child_date_of_birth_0": str(random.randint(1, 28)),
        "child_date_of_birth_1": str(random.randint(1, 12)),
        "child_date_of_birth_2": str(born),
        "child_school": "Soak Test Academy",
        "referrer_role": "Designated safeguarding lead",
        "referrer_email": "dsl@school.invalid",
        "concern": "Seen getting into cars with older men after school; a new phone nobody can explain.",
        "indicators": random.sample(indicators, k=min(2, len(indicators))),
        "urgency": random.choice(["routine", "urgent"]),
        "consent": "given",
        "action": "send",
    }
    sent = person.post("marf send", marf, fields)
    item.state = "submitted"  # the redirect after a POST is the save; the page after it must then say so
    person.saved("marf send", sent, says="Referral sent")
    pathway.queues["spoc"].put(item)


def _step(person: Person, item: Tracked, action: str, fields: dict[str, str | list[str]], state: str) -> Response:
    detail = f"/referrals/{item.public_id}/"
    form = form_on(person.get(action, detail), f"/{action}/")
    saved = person.post(action, form, fields)
    item.state = state
    return person.saved(action, saved)


def log_contact(person: Person, pathway: Pathway, item: Tracked) -> None:
    person.get("spoc queue", "/referrals/queue/spoc/")
    page = _step(person, item, "log", {"child": "new", "notes": "No record held: a new one."}, "logged")
    child = re.search(rf'href="/children/({UUID})/"', page.text)
    if not child:
        raise StepFailed("the logged referral's page links no child record")
    item.child = child.group(1)
    pathway.queues["triage"].put(item)


def screen(person: Person, pathway: Pathway, item: Tracked) -> None:
    person.get("triage queue", "/referrals/queue/triage/")
    _step(person, item, "screen", {"notes": "Several indicators of exploitation."}, "screened")
    pathway.queues["triagemanager"].put(item)


def send_to_mash(person: Person, pathway: Pathway, item: Tracked) -> None:
    decision = {"threshold": "child_protection", "rag": "amber", "rationale": "Older men and unexplained gifts."}
    _step(person, item, "send_to_mash", decision, "with_mash")  # type: ignore[arg-type]
    pathway.queues["mash"].put(item)


def co_allocate(person: Person, pathway: Pathway, item: Tracked) -> None:
    person.get("mash queue", "/referrals/queue/mash/")
    _step(person, item, "mash_check", {"holds_information": "no", "summary": ""}, "with_mash")
    detail = f"/referrals/{item.public_id}/"
    form = form_on(person.get("co_allocate", detail), "/co_allocate/")
    fields = {
        "rag": "red",
        "intervention": "section_47",
        "rationale": "The check confirms the risk.",
        "team": form["options"]["team"][0],
    }
    saved = person.post("co_allocate", form, fields)  # type: ignore[arg-type]
    item.state = "co_allocated"
    person.saved("co_allocate", saved)
    pathway.queues["tm"].put(item)


KIND = "risk_assessment_meeting"  # opens the child's case to Evolve


def review_view(person: Person, item: Tracked, state: str) -> Response:
    person.get("review queue", "/cases/review/")
    page = person.get("review decide", f"/cases/review/{item.public_id}/")
    form = form_on(page, "/decide/")
    view = {"kind": KIND, "rationale": "Agreed with the MASH: the child needs the risk assessment meeting."}
    saved = person.post("review decide", form, view)  # type: ignore[arg-type]
    item.state = state
    return person.get("review decide", saved)


def first_view(person: Person, pathway: Pathway, item: Tracked) -> None:
    review_view(person, item, "one_view")
    pathway.queues["ds"].put(item)


def second_view_and_note(person: Person, pathway: Pathway, item: Tracked) -> None:
    page = review_view(person, item, "decided")
    if "Decision agreed" not in page.text:
        raise StepFailed("the second view did not agree the decision")
    opened = person.get("case open", f"/cases/child/{item.child}/", expect=302)
    case_path = urlsplit(opened.headers.get("location", "")).path
    case = re.search(UUID, case_path)
    if not case:
        raise StepFailed(f"the child's case link went to {case_path!r}")
    item.case = case.group(0)
    form = form_on(person.get("case note", case_path), "/note/")
    token = f"Soak note {uuid.uuid4().hex[:12]}"
    saved = person.post("case note", form, {"text": f"{token}: seen at school, settled."})
    item.note = token
    person.saved("case note", saved)


def browse(person: Person) -> None:
    """With nothing in their queue, a person looks at their own pages."""
    pages = {
        "referrer": ["/", "/referrals/"],
        "spoc": ["/referrals/queue/spoc/"],
        "triage": ["/referrals/queue/triage/"],
        "triagemanager": ["/referrals/queue/triage/"],
        "mash": ["/referrals/queue/mash/"],
        "tm": ["/cases/review/", "/cases/"],
        "ds": ["/cases/review/"],
        "socialworker": ["/", "/notifications/", "/cases/", f"/children/?q={random.choice(LAST_NAMES)}"],
    }[person.username]
    path = random.choice(pages)
    person.get(f"browse {path.split('?')[0]}", path)


STEPS: dict[str, Callable[[Person, Pathway, Tracked], None]] = {
    "spoc": log_contact,
    "triage": screen,
    "triagemanager": send_to_mash,
    "mash": co_allocate,
    "tm": first_view,
    "ds": second_view_and_note,
}


def work(person: Person, pathway: Pathway, think: float) -> None:
    while not pathway.stop.is_set():
        step = "browse"
        try:
            if person.username == "referrer":
                step = "marf"
                send_marf(person, pathway)
            elif person.username in STEPS:
                try:
                    item = pathway.queues[person.username].get(timeout=random.uniform(0, think))
                except queue.Empty:
                    browse(person)
                else:
                    step = person.username
                    STEPS[person.username](person, pathway, item)
            else:
                browse(person)
        except Exception as failure:  # any failure is the soak's finding: counted, and the work goes on
            person.tally.error(person.who, step, f"{type(failure).__name__}: {failure}")
        pathway.stop.wait(random.uniform(think / 2, think * 1.5))


# Processes --------------------------------------------------------------------------------------------------------


def fresh_database(env: dict[str, str]) -> None:
    admin_execute([f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)', f'CREATE DATABASE "{DATABASE}"'])
    local = {**env, "DJANGO_SETTINGS_MODULE": "evolve.settings.local", "DEBUG": "false"}
    manage = [PYTHON, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=BASE_DIR, env=local, check=True)
    subprocess.run([*manage, "seed_demo"], cwd=BASE_DIR, env=local, check=True, capture_output=True)
    static = BASE_DIR / "var" / "staticfiles" / "staticfiles.json"
    if not static.exists():
        subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], cwd=BASE_DIR, env=env, check=True)


def celery(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # our own command line
            [str(VENV_BIN / "celery"), "-A", "evolve", *args],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def tree_rss_mib(root: int) -> float:
    """Resident memory of a process and all its children (a Celery worker forks its pool), in MiB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def emails_written(folder: Path) -> int:
    """Django's file backend appends each message to a file named for the second and the connection, so two sent in
    the same second can share a file: count the separator it writes after every message, not the files."""
    separator = b"\n" + b"-" * 79 + b"\n"
    return sum(path.read_bytes().count(separator) for path in folder.glob("*")) if folder.exists() else 0


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def django_side(env: dict[str, str], *args: str) -> Any:
    result = subprocess.run(  # our own command line
        [PYTHON, str(BENCH_DIR / "_django_side.py"), *args], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"_django_side.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# The run ----------------------------------------------------------------------------------------------------------


def desks(users: int) -> list[str]:
    """Fifty people as DESKS says; another number in the same proportions, at least one at each desk."""
    total = sum(count for _, count in DESKS)
    seats = [(name, max(1, round(count * users / total))) for name, count in DESKS]
    return [name for name, count in seats for _ in range(count)]


def ms(values: list[float], share: float) -> int:
    return round(percentile(values, share) * 1000)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


LOAD_BEFORE: list[str] = ["?"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a person pauses between steps")
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    SOAK_DIR.mkdir(parents=True, exist_ok=True)
    LOAD_BEFORE[0] = " ".join(f"{value:.2f}" for value in os.getloadavg())
    for old in SOAK_DIR.glob("mail/*"):
        old.unlink()
    server = Server(database=DATABASE, config=DEFAULT_CONFIG)
    env = server_environment(DATABASE, server.port)
    env.update(
        {
            "EMAIL_URL": f"filemail:///{SOAK_DIR / 'mail'}",
            "PRIVATE_MEDIA_ROOT": str(SOAK_DIR / "private-media"),
            "REDIS_URL": "redis://127.0.0.1:6379/11",
        }
    )
    print(f"Making {DATABASE} (migrations and the demo data)...", flush=True)
    fresh_database(env)
    subprocess.run(["redis-cli", "-n", "11", "FLUSHDB"], check=True, capture_output=True)
    seats = desks(args.users)
    codes = django_side(env, "codes", "--users", ",".join(sorted(set(seats))), "--codes", str(args.users))["codes"]
    server.log = SOAK_DIR / "gunicorn.log"
    started_at = datetime.now(UTC)
    worker = celery(env, "worker", "--loglevel=WARNING", "--concurrency=2", log=SOAK_DIR / "worker.log")
    beat = celery(
        env, "beat", "--loglevel=WARNING", f"--schedule={SOAK_DIR / 'beat-schedule'}", log=SOAK_DIR / "beat.log"
    )
    server.extra_env = {key: env[key] for key in ("EMAIL_URL", "PRIVATE_MEDIA_ROOT", "REDIS_URL")}
    server.start()
    tally = Tally()
    pathway = Pathway(queues={name: queue.Queue() for name, _ in DESKS})
    memory: list[dict[str, float]] = []
    try:
        print(f"Signing in {len(seats)} people...", flush=True)
        used: dict[str, int] = {}

        def seat(name: str) -> Person:
            index = used[name] = used.get(name, -1) + 1
            session = sign_in(
                host=HOST, port=server.port, username=name, password=DEMO_PASSWORD, code=codes[name][index]
            )
            client = Client(HOST, server.port)
            client.cookies = {"sessionid": session.sessionid, "csrftoken": session.csrftoken}
            return Person(name, index, client, tally)

        with ThreadPoolExecutor(max_workers=4) as pool:
            try:
                people = list(pool.map(seat, seats))
            except SignInFailed as error:
                raise SystemExit(f"Sign-in failed: {error}") from error
        print(f"Working for {args.minutes:g} minutes...", flush=True)
        threads = [threading.Thread(target=work, args=(p, pathway, args.think), daemon=True) for p in people]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        deadline = began + args.minutes * 60
        while time.monotonic() < deadline:
            memory.append(
                {
                    "t": round(time.monotonic() - began, 1),
                    "web_mib": round(server.memory()["total_rss_mib"], 1),
                    "worker_mib": round(tree_rss_mib(worker.pid), 1),
                    "beat_mib": round(tree_rss_mib(beat.pid), 1),
                }
            )
            time.sleep(min(SAMPLE_SECONDS, max(0.0, deadline - time.monotonic())))
        pathway.stop.set()
        for thread in threads:
            thread.join(timeout=300)
        for person, thread in zip(people, threads, strict=True):
            if thread.is_alive():  # its ledger entries may still move: the run cannot pass
                tally.error(person.who, "end", "still working five minutes after the end")
        worked = time.monotonic() - began
        print("Letting the worker send what the outbox holds, then checking the database...", flush=True)
        ledger = SOAK_DIR / "ledger.json"
        ledger.write_text(json.dumps([item.__dict__ for item in pathway.tracked]))
        drain_until = time.monotonic() + DRAIN_SECONDS
        while True:
            check = django_side(env, "soak", "--ledger", str(ledger), "--since", started_at.isoformat())
            if check["notifications_unsent"] == 0 or time.monotonic() > drain_until:
                break
            time.sleep(3)
        alive = {"web": server.process is not None and server.process.poll() is None, "worker": worker.poll() is None}
    finally:
        server.stop()
        stop(beat)
        stop(worker)
    # Counted with nothing left running: the last check and the emails on disk are of the same moment.
    check = django_side(env, "soak", "--ledger", str(ledger), "--since", started_at.isoformat())
    mail = emails_written(SOAK_DIR / "mail")
    result = summarise(args, people, tally, pathway, memory, check, worked, alive, mail)
    (SOAK_DIR / "result.json").write_text(json.dumps(result, indent=2, default=str))
    write_section(Path(args.output), markdown(result))
    print(markdown(result))
    return 0 if result["passed"] else 1


def summarise(
    args: argparse.Namespace,
    people: list[Person],
    tally: Tally,
    pathway: Pathway,
    memory: list[dict[str, float]],
    check: dict[str, Any],
    worked: float,
    alive: dict[str, bool],
    mail: int,
) -> dict[str, Any]:
    steps: dict[str, list[float]] = {}
    for step, seconds in tally.requests:
        steps.setdefault(step, []).append(seconds)
    states: dict[str, int] = {}
    for item in pathway.tracked:
        states[item.state] = states.get(item.state, 0) + 1

    def window(start: float, end: float, key: str) -> float:
        values = [sample[key] for sample in memory if start <= sample["t"] < end]
        return statistics.fmean(values) if values else 0.0

    span = max((sample["t"] for sample in memory), default=0.0)
    flat = {}
    for key in ("web_mib", "worker_mib"):
        early, late = window(60, 120, key), window(span - 60, span + 1, key)
        flat[key] = {
            "minute_2": round(early, 1),
            "last_minute": round(late, 1),
            "growth": late / early - 1 if early and late else math.inf,  # a run under three minutes cannot tell
        }
    memory_flat = all(value["growth"] <= MEMORY_TOLERANCE for value in flat.values())
    lost = list(check.get("lost", []))
    if check.get("notifications_emailed") != mail:
        lost.append({"emails": f"{check.get('notifications_emailed')} marked emailed, {mail} written"})
    passed = not tally.errors and not lost and memory_flat and check.get("count_matches") and all(alive.values())
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(DATABASE),
        "load_before": LOAD_BEFORE[0],
        "users": len(people),
        "minutes": args.minutes,
        "think": args.think,
        "worked_seconds": round(worked, 1),
        "requests": len(tally.requests),
        "rps": round(len(tally.requests) / worked, 1) if worked else 0,
        "p50_ms": round(percentile([s for _, s in tally.requests], 0.5) * 1000),
        "p95_ms": round(percentile([s for _, s in tally.requests], 0.95) * 1000),
        "p99_ms": round(percentile([s for _, s in tally.requests], 0.99) * 1000),
        "steps": {
            step: {
                "count": len(v),
                "p50_ms": round(percentile(v, 0.5) * 1000),
                "p95_ms": round(percentile(v, 0.95) * 1000),
            }
            for step, v in sorted(steps.items())
        },
        "errors": tally.errors,
        "states": states,
        "check": check,
        "lost": lost,
        "memory": memory,
        "memory_flat": flat,
        "memory_ok": memory_flat,
        "alive": alive,
        "mail_files": mail,
        "passed": bool(passed),
    }


def markdown(result: dict[str, Any]) -> str:
    check = result["check"]
    ok = "PASS" if result["passed"] else "FAIL"
    lines = [
        SOAK_START,
        f"## Soak (issue 10): {result['users']} people through the pathway for {result['minutes']:g} minutes",
        "",
        f"Run {result['when']} by `make soak` (bench/soak.py): {result['users']} people, signed in through the real",
        f"pages, worked the referral pathway for {result['worked_seconds'] / 60:.1f} minutes against gunicorn",
        "(production settings, 4 sync workers) with a Celery worker and beat, on a fresh database with the demo data;",
        f"each person paused about {result['think']:g} s between steps. Machine: {result['machine'].get('CPU', '?')},",
        f"{result['machine'].get('Cores', '?')} cores, load {result['load_before']} before. Overall: **{ok}**.",
        "",
        "The soak is about errors and lost records, not speed (bench/run.py measures that): fifty people pausing about",
        "a second offer more than two cores serve, and the soak's own fifty clients share those cores, so the",
        "latencies below are a saturated server's.",
        "",
        "| target | measured | result |",
        "|---|---|---|",
        f"| no errors | {len(result['errors'])} errors in {result['requests']:,} requests "
        f"({result['rps']} a second; p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms) "
        f"| {'PASS' if not result['errors'] else 'FAIL'} |",
        f"| no lost records | {check.get('confirmed_steps', 0):,} saved steps confirmed by the pages, "
        f"{len(result['lost'])} not found in the database ({check.get('ahead_of_ledger', 0)} further on than the pages"
        f" said); referrals made {check.get('referrals_made', 0):,}, "
        f"in the database {check.get('referrals_found', 0):,}; cases opened {check.get('cases_found', 0):,} of "
        f"{check.get('cases_expected', 0):,}; notes {check.get('notes_found', 0):,} of "
        f"{check.get('notes_expected', 0):,}; notifications {check.get('notifications', 0):,}, unsent "
        f"{check.get('notifications_unsent', 0)}, emailed {check.get('notifications_emailed', 0):,} and "
        f"{result['mail_files']:,} emails written "
        f"| {'PASS' if not result['lost'] and check.get('count_matches') else 'FAIL'} |",
    ]
    for key, label in (("web_mib", "gunicorn workers"), ("worker_mib", "Celery worker")):
        value = result["memory_flat"][key]
        lines.append(
            f"| memory flat ({label}) | {value['minute_2']:.0f} MiB in minute 2, {value['last_minute']:.0f} MiB in the "
            f"last minute ({value['growth']:+.1%}; at most +{MEMORY_TOLERANCE:.0%}) "
            f"| {'PASS' if value['growth'] <= MEMORY_TOLERANCE else 'FAIL'} |"
        )
    lines += [
        f"| processes alive at the end | web {result['alive']['web']}, worker {result['alive']['worker']} "
        f"| {'PASS' if all(result['alive'].values()) else 'FAIL'} |",
        "",
        "Where the referrals got to: "
        + ", ".join(f"{state} {count}" for state, count in sorted(result["states"].items()))
        + ".",
        "",
        "| step | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    lines += [f"| {step} | {v['count']:,} | {v['p50_ms']} | {v['p95_ms']} |" for step, v in result["steps"].items()]
    if result["errors"]:
        lines += ["", "Errors (first 10):", ""]
        lines += [f"- {e['who']} at {e['step']}: {e['detail']}" for e in result["errors"][:10]]
    lines += ["", SOAK_END]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Put the soak's section into RESULTS.md, replacing the last one; the rest of the file is left as it is."""
    text = path.read_text() if path.exists() else ""
    before, marker, rest = text.partition(SOAK_START)
    after = rest.partition(SOAK_END)[2] if marker and SOAK_END in rest else ""
    path.write_text(before.rstrip() + "\n\n" + section + "\n" + after.lstrip("\n"))


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH_DIR))
    sys.exit(main())
