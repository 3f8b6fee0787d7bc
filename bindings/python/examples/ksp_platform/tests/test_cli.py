"""``python -m ksp_platform``: the Hypercorn command of each form, and the
refusal of several workers on state they cannot share."""

from __future__ import annotations

import sys

import pytest

from ksp_platform.__main__ import command

SHARED = {
    "KSP_DATABASE_URL": "postgres://db/ksp",
    "KSP_REDIS_URL": "redis://cache",
    "KSP_MASTER_KEY": "0" * 64,
}


def test_each_form_is_served_by_hypercorn() -> None:
    assert command(["monolith"], env={}) == [
        sys.executable, "-m", "hypercorn", "--bind", "127.0.0.1:8000", "--workers", "1",
        "wsgi:ksp_platform.monolith:app",
    ]  # fmt: skip
    services = command(["services", "--bind", "0.0.0.0:9000", "--workers", "3"], env=SHARED)
    assert services[-4:] == ["0.0.0.0:9000", "--workers", "3", "ksp_platform.services.gateway:app"]


@pytest.mark.parametrize("missing", sorted(SHARED))
def test_several_workers_need_every_shared_backend(
    missing: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {k: v for k, v in SHARED.items() if k != missing}
    with pytest.raises(SystemExit) as refused:
        command(["services", "--workers", "2"], env=env)
    assert refused.value.code == 2
    assert missing.split("_URL")[0].split("_KEY")[0] in capsys.readouterr().err


def test_sqlite_is_no_shared_database(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        command(["monolith", "--workers", "2"], env={**SHARED, "KSP_DATABASE_URL": "sqlite://x"})
    assert "PostgreSQL" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        command(["services", "--workers", "0"], env=SHARED)
