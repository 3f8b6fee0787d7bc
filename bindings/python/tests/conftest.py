"""Shared fixtures: a platform on every backend the machine offers.

SQLite in memory always; PostgreSQL (a fresh schema) with Redis when
``CAAS_TEST_DATABASE_URL`` and ``CAAS_TEST_REDIS_URL`` are set. With
``CAAS_TEST_REQUIRE_BACKENDS=1`` (as in CI) a missing backend fails the run
instead of skipping.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import uuid
from collections.abc import Iterator

import caas
import pytest

PASSWORD = "a long and unusual passphrase"
ADMIN_PASSWORD = "correct horse battery staple"


def _postgres() -> tuple[str, str] | None:
    db = os.environ.get("CAAS_TEST_DATABASE_URL")
    redis = os.environ.get("CAAS_TEST_REDIS_URL")
    if db and redis:
        return db, redis
    if os.environ.get("CAAS_TEST_REQUIRE_BACKENDS") == "1":
        pytest.fail("CAAS_TEST_DATABASE_URL and CAAS_TEST_REDIS_URL are required")
    return None


def open_platform(backend: str) -> caas.Platform:
    """A new platform on `backend` (``sqlite`` or ``postgres``)."""
    if backend == "sqlite":
        return caas.Platform.open("sqlite::memory:")
    found = _postgres()
    if found is None:
        pytest.skip("PostgreSQL and Redis are not configured")
    db, redis = found
    schema = f"caas_py_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", db, "-q", "-c", f"CREATE SCHEMA {schema}"], check=True)
    return caas.Platform.open(
        db,
        database_schema=schema,
        redis_url=redis,
        master_key=secrets.token_hex(32),
    )


@pytest.fixture(params=["sqlite", "postgres"])
def platform(request: pytest.FixtureRequest) -> Iterator[caas.Platform]:
    p = open_platform(request.param)
    yield p
    p.close()


@pytest.fixture
def tenant(platform: caas.Platform) -> caas.Tenant:
    slug = f"t-{uuid.uuid4().hex[:10]}"
    return platform.tenants.create(
        slug,
        "Acme",
        admin_email="boss@acme.example",
        admin_password=ADMIN_PASSWORD,
        settings={"extensions": {"auth": {"allow_registration": True, "allow_guests": True}}},
    )


@pytest.fixture
def ann(platform: caas.Platform, tenant: caas.Tenant) -> dict[str, object]:
    return platform.auth.register(tenant, PASSWORD, email="ann@acme.example")
