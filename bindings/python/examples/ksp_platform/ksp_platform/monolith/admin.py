"""``python -m ksp_platform.monolith.admin subscribe USER_ID``: makes a user a
subscriber (the menu page shows a user's id), on the platform of the
``KSP_*`` environment.

Without Redis a running server does not see a role assigned by another
process until it restarts (the platform caches roles in-process).
"""

from __future__ import annotations

import argparse
import sys

import caas

from .. import common


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ksp_platform.monolith.admin")
    commands = parser.add_subparsers(dest="command", required=True)
    subscribe = commands.add_parser("subscribe", help="give a user the subscribers role")
    subscribe.add_argument("user_id")
    args = parser.parse_args(argv)
    settings = common.Settings.from_env()
    with settings.open() as platform:
        tenant = common.tenant(platform, settings.tenant)
        try:
            user = platform.auth.user(tenant, args.user_id)
        except (caas.NotFound, caas.InvalidInput):
            print(f"no user {args.user_id} in {tenant.slug}", file=sys.stderr)
            return 1
        platform.authz.assign_role(tenant, common.SUBSCRIBERS, {"type": "User", "id": user["id"]})
    print(f"{user.get('username') or user['id']} is a subscriber of {tenant.slug}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
