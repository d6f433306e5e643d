"""The `tradequote` command: serve, worker, migrate, create-organization, seal-chains,
export-schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import logging.config
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from graphql_api import db
from graphql_api.cli_devices import add_commands as add_device_commands
from graphql_api.cli_devices import load_starter
from graphql_api.settings import SERVED_URL_VARIABLE, ConfigurationError, Settings, served_url
from models.errors import DomainError
from models.organization import TokenKind, TokenPurpose


log = logging.getLogger("tradequote")


def _warn_if_public_url_unset(settings: Settings) -> None:
    if settings.production and not settings.public_url_configured:
        log.warning(
            "TRADEQUOTE_PUBLIC_URL is unset: links in emails and download URLs use %s, "
            "which clients outside this machine may not reach",
            settings.public_url,
        )


def _serving_at(settings: Settings, host: str, port: int) -> Settings:
    """Settings whose links point where this server listens, unless TRADEQUOTE_PUBLIC_URL says
    otherwise (the worker processes uvicorn starts read it from the environment)."""
    if settings.public_url_configured:
        return settings
    os.environ[SERVED_URL_VARIABLE] = served_url(host, port)
    return Settings.from_env()


def _migrate(settings: Settings) -> tuple[int, int]:
    """Apply the migrations, load the starter catalog, and seal the chain heads of quotes
    written before chains were sealed: (sealed, left unsealed)."""
    asyncio.run(db.migrate(settings.database_url))
    asyncio.run(load_starter(settings))
    return asyncio.run(_seal_chains(settings))


async def _create_organization(settings: Settings, args: argparse.Namespace) -> dict[str, object]:
    from graphql_api.auth import issue_token
    from models.services.organizations import create_organization

    await db.connect(settings.database_url)
    try:
        organization, owner = await create_organization(
            name=args.name,
            slug=args.slug,
            owner_email=args.owner_email,
            owner_name=args.owner_name,
            currency_code=args.currency,
            receiving_address=args.receiving_address,
        )
        token, _ = await issue_token(
            TokenKind.STAFF,
            organization.id,
            staff_id=owner.id,
            label="created by the CLI",
            purpose=TokenPurpose.PERSONAL,  # listed in accessTokens, revocable like any other
        )
    finally:
        await db.close()
    return {"organizationId": organization.id, "slug": organization.slug, "ownerToken": token}


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from graphql_api.http.logs import logging_config

    logging.config.dictConfig(logging_config(settings))
    settings = _serving_at(settings, args.host, args.port)
    _warn_if_public_url_unset(settings)
    _migrate(settings)
    if args.demo:
        from graphql_api.demo import load_demo

        print(asyncio.run(load_demo(settings)))
    uvicorn.run(
        "graphql_api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="asyncio",  # not uvloop: its tail latency under CPU-bound load (SPEC §10)
        ws="websockets-sansio",  # fails at start, not on every upgrade, if it is missing
        proxy_headers=True,
        timeout_graceful_shutdown=10,
        log_config=logging_config(settings),
        access_log=False,  # ObserveRequests logs each request once, without tokens or addresses
        ws_max_size=settings.limits.max_body_bytes,
        ws_per_message_deflate=settings.ws_compression,  # README, "Live updates"
    )
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    """The outbox sender and expiry sweeper without HTTP, for a dedicated worker process."""
    import signal

    from graphql_api.dependencies import process_deps
    from graphql_api.http.logs import logging_config
    from graphql_api.jobs import background_jobs
    from graphql_api.pubsub import create_broker

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        broker = create_broker(settings.database_url)
        await db.connect(settings.database_url)
        await broker.start()
        deps = process_deps(settings, broker)
        try:
            async with background_jobs(settings, deps):
                print("worker running; Ctrl-C to stop", flush=True)
                await stop.wait()
        finally:
            await broker.stop()
            await db.close()

    logging.config.dictConfig(logging_config(settings))
    _warn_if_public_url_unset(settings)
    _migrate(settings)
    asyncio.run(run())
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    _migrate(settings)
    print("migrations applied")
    return 0


def cmd_create_organization(settings: Settings, args: argparse.Namespace) -> int:
    _migrate(settings)
    try:
        result = asyncio.run(_create_organization(settings, args))
    except DomainError as error:
        print(f"error: {'.'.join(error.field or [])}: {error.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Organization {result['slug']} created (id {result['organizationId']}).")
        print(f"Owner's staff token (shown once): {result['ownerToken']}")
    return 0


async def _seal_chains(settings: Settings) -> tuple[int, int]:
    from models.services.legacy_seals import seal_unsealed_heads

    await db.connect(settings.database_url)
    try:
        return await seal_unsealed_heads(settings.keyring())
    finally:
        await db.close()


def cmd_seal_chains(settings: Settings, args: argparse.Namespace) -> int:
    sealed, refused = _migrate(settings)
    print(f"{sealed} chain heads sealed, {refused} left unsealed (their chain does not recompute)")
    return 0


def cmd_export_schema(settings: Settings | None, args: argparse.Namespace) -> int:
    from graphql_api.schema import schema

    Path(args.path).write_text(schema.as_str() + "\n")
    print(f"wrote {args.path}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="tradequote", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database, then serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--demo", action="store_true", help="load a demo organization first")
    serve.set_defaults(func=cmd_serve)

    worker = commands.add_parser("worker", help="send queued email and expire quotes, no HTTP")
    worker.set_defaults(func=cmd_worker)

    migrate = commands.add_parser("migrate", help="apply migrations")
    migrate.set_defaults(func=cmd_migrate)

    org = commands.add_parser("create-organization", help="create an organization and its owner")
    org.add_argument("--name", required=True)
    org.add_argument("--slug", required=True)
    org.add_argument("--owner-email", required=True)
    org.add_argument("--owner-name")
    org.add_argument("--currency", default="USD")
    org.add_argument(
        "--receiving-address",
        help="where shipped devices go (printed on shipping labels); with it the organization "
        "offers SHIP and PICKUP, without it PICKUP only",
    )
    org.add_argument("--json", action="store_true", help="print one JSON object")
    org.set_defaults(func=cmd_create_organization)

    add_device_commands(commands)
    seal = commands.add_parser(
        "seal-chains", help="seal the chain heads of quotes written before chains were sealed"
    )
    seal.set_defaults(func=cmd_seal_chains)
    from graphql_api.commands.team import add_commands as add_team_commands

    add_team_commands(commands)
    from graphql_api.commands.partners import add_commands as add_partner_commands

    add_partner_commands(commands)

    export = commands.add_parser("export-schema", help="write the SDL")
    export.add_argument("path", nargs="?", default="schema.graphql")
    export.set_defaults(func=cmd_export_schema, no_settings=True)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "no_settings", False):
        return int(args.func(None, args))
    try:
        settings = Settings.from_env()
    except ConfigurationError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    return int(args.func(settings, args))


if __name__ == "__main__":
    sys.exit(main())
