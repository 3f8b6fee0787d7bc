"""``python -m ksp_platform monolith|services``: serves one form under
Hypercorn on the ``KSP_*`` environment (:mod:`ksp_platform.common`).

Embedded default (SQLite in ``KSP_DATA_DIR``, in-process sessions and live
games), one worker::

    python -m ksp_platform monolith                 # http://127.0.0.1:8000/
    python -m ksp_platform services --bind 127.0.0.1:8001

PostgreSQL + Redis, several workers sharing every state::

    KSP_DATABASE_URL=postgres://… KSP_REDIS_URL=redis://… KSP_MASTER_KEY=… \\
        python -m ksp_platform services --workers 4 --bind 0.0.0.0:8000
"""

from __future__ import annotations

import argparse
import os
import sys

APPS = {
    "monolith": "wsgi:ksp_platform.monolith:app",
    "services": "ksp_platform.services.gateway:app",
}


def command(argv: list[str] | None = None, env: dict[str, str] | None = None) -> list[str]:
    """The Hypercorn command line; ``SystemExit`` (status 2) for a setup
    several workers cannot share."""
    env = dict(os.environ if env is None else env)
    parser = argparse.ArgumentParser(
        prog="python -m ksp_platform", description=__doc__.split("\n")[0]
    )
    parser.add_argument("form", choices=sorted(APPS))
    parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port (default %(default)s)")
    parser.add_argument("--workers", type=int, default=1, help="Hypercorn workers (default 1)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.workers > 1:
        missing = [
            name
            for name, ok in (
                (
                    "KSP_DATABASE_URL (PostgreSQL)",
                    env.get("KSP_DATABASE_URL", "").startswith("postgres"),
                ),
                ("KSP_REDIS_URL", bool(env.get("KSP_REDIS_URL"))),
                (
                    "KSP_MASTER_KEY or KSP_MASTER_KEY_FILE",
                    bool(env.get("KSP_MASTER_KEY") or env.get("KSP_MASTER_KEY_FILE")),
                ),
            )
            if not ok
        ]
        if missing:
            parser.error(
                "several workers share sessions, live games and keys only through "
                + ", ".join(missing)
            )
    return [
        sys.executable,
        "-m",
        "hypercorn",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        APPS[args.form],
    ]


def main() -> None:
    argv = command()
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
