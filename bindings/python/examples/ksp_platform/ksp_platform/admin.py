"""The platform administrator's commands, for both forms (sync API; the
same ``KSP_*`` environment as the servers, see :mod:`ksp_platform.common`)::

    python -m ksp_platform.admin tenant ksp
    python -m ksp_platform.admin user ksp ann 'a long passphrase' --subscriber
    python -m ksp_platform.admin subscribe ksp ann        # an existing user (by username or email)
    python -m ksp_platform.admin identity-provider ksp '{"kind": "oidc", …}'
    python -m ksp_platform.admin export ksp ann           # everything held about a user (Art. 15/20)
    python -m ksp_platform.admin erase ksp ann            # erases the user everywhere (Art. 17)
    python -m ksp_platform.admin audit ksp                # the entries and their verification

Each prints its result as JSON. Without Redis, a running server sees a role
assigned here only after it restarts (roles are cached in-process).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import caas

from ksp_platform import common


def run(args: argparse.Namespace, platform: caas.Platform) -> Any:
    if args.command == "tenant":
        tenant = common.tenant(platform, args.slug)
        return {"id": tenant.id, "slug": tenant.slug, "name": tenant.name}
    tenant = platform.tenants.get(args.slug)  # a typo is not a new tenant
    if args.command == "user":
        user = platform.auth.create_user(tenant, username=args.username, password=args.password)
        if args.subscriber:
            principal = {"type": "User", "id": user["id"]}
            platform.authz.assign_role(tenant, common.SUBSCRIBERS, principal)
        return user
    if args.command == "subscribe":
        user = platform.auth.find_user(tenant, args.login)
        platform.authz.assign_role(tenant, common.SUBSCRIBERS, {"type": "User", "id": user["id"]})
        return {"subscriber": user["id"], "username": user.get("username")}
    if args.command in ("export", "erase"):
        user = platform.auth.find_user(tenant, args.login)
        if args.command == "export":
            return platform.privacy.export_subject(tenant, user["id"])
        return platform.privacy.erase_subject(tenant, user["id"])
    if args.command == "identity-provider":
        return platform.auth.create_identity_provider(tenant, json.loads(args.provider))
    return {
        "entries": platform.privacy.audit_entries(tenant),
        "verification": platform.privacy.verify_audit_log(tenant),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ksp_platform.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("tenant", help="create a tenant (and set it up)").add_argument("slug")
    user = commands.add_parser("user", help="create a user of a tenant")
    user.add_argument("slug")
    user.add_argument("username")
    user.add_argument("password")
    user.add_argument("--subscriber", action="store_true", help="their matches are kept")
    subscribe = commands.add_parser("subscribe", help="give a user the subscribers role")
    subscribe.add_argument("slug")
    subscribe.add_argument("login", help="the user's username or email")
    for name, what in (
        ("export", "export everything held about a user"),
        ("erase", "erase a user"),
    ):
        sub = commands.add_parser(name, help=what)
        sub.add_argument("slug")
        sub.add_argument("login", help="the user's username or email")
    provider = commands.add_parser("identity-provider", help="add an upstream OIDC provider")
    provider.add_argument("slug")
    provider.add_argument("provider", help="the provider as JSON (kind, name, client_id, …)")
    commands.add_parser("audit", help="the audit log and its verification").add_argument("slug")
    args = parser.parse_args(argv)
    settings = common.Settings.from_env()
    if settings.redis_url is None and args.command in ("subscribe", "erase", "user"):
        print(
            "note: without KSP_REDIS_URL a running server keeps roles and revocations "
            "in its own process: restart it to see this change",
            file=sys.stderr,
        )
    with settings.open() as platform:
        try:
            print(json.dumps(run(args, platform), indent=2))
        except caas.CaasError as e:
            print(f"error: {e.code}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
