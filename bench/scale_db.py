"""Build a scale database for the benchmarks (`make seed-scale`, SCALE_ARGS for the options).

Creates the database if it does not exist, migrates it, and fills it with `manage.py seed_scale` unless it already
holds children, in which case it says so and leaves it alone (drop the database to build it again). The full data
set (--scale 1.0) takes a quarter of an hour or so on two cores; --scale 0.004 (about 1,000 children) a minute.

    .venv/bin/python bench/scale_db.py                                   # evolve_scale, the full force area
    .venv/bin/python bench/scale_db.py --database evolve_scale_small --scale 0.004
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="evolve_scale", help="the database to build (default %(default)s)")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: the full force area (default)")
    parser.add_argument("--seed", type=int, default=2026, help="the same seed makes the same data")
    parser.add_argument(
        "--server",
        default=os.environ.get("SCALE_SERVER", "postgres://postgres@127.0.0.1:5432"),
        help="the PostgreSQL server, as a URL without a database (default %(default)s)",
    )
    parser.add_argument("--no-vacuum", action="store_true", help="ANALYZE only at the end, not VACUUM ANALYZE")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    options = arguments(argv)
    server, name = options.server.rstrip("/"), options.database
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"Created the database {name}")
    env = {
        **os.environ,
        "DATABASE_URL": f"{server}/{name}",
        "DJANGO_SETTINGS_MODULE": "evolve.settings.local",
        # Notifications seed_demo queues go to a Redis database of their own, not the running app's.
        "REDIS_URL": os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/11"),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    with psycopg.connect(f"{server}/{name}") as database:
        row = database.execute("SELECT count(*) FROM people_child").fetchone()
    children = int(row[0]) if row else 0
    if children:
        print(f"{name} is already seeded ({children:,} children): skipping. Drop it to build it again.")
        return 0
    started = time.monotonic()
    command = [*manage, "seed_scale", "--scale", str(options.scale), "--seed", str(options.seed)]
    if options.no_vacuum:
        command.append("--no-vacuum")
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    print(f"{name} built at scale {options.scale} in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
