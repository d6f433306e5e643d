"""`tradequote documents …` (trusted documents from a client's manifest) and `tradequote
api-keys …` (partner keys): what an operator sets up for partners at the command line."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graphql import GraphQLError, parse, validate

from graphql_api.commands.team import CommandError, _organization, _run
from graphql_api.pubsub import Broker
from graphql_api.settings import Settings
from models.organization import AccessToken
from models.partners import Scope
from models.services import api_keys
from models.services import documents as docs


def schema_problems(text: str) -> list[str]:
    """Why a document does not run against the schema (empty: it does)."""
    from graphql_api.schema import schema

    try:
        document = parse(text)
    except GraphQLError as error:
        return [error.message]
    return [error.message for error in validate(schema._schema, document)]


def read_manifest(path: str) -> list[tuple[str, str]]:
    """Every document of the manifest, each valid against the schema; else CommandError naming
    every one that is not (the file is refused whole)."""
    try:
        pairs = docs.parse_manifest(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CommandError(f"cannot read {path}: {error.strerror}") from error
    except docs.ManifestError as error:
        raise CommandError(f"{path}: {error}") from error
    problems = [
        f"{manifest_id}: {problem}"
        for manifest_id, text in pairs
        for problem in schema_problems(text)
    ]
    if problems:
        raise CommandError("nothing imported: " + "; ".join(problems))
    return pairs


async def documents_command(args: argparse.Namespace) -> Any:
    now = datetime.now(UTC)
    if args.action == "import":
        pairs = read_manifest(args.file)
        added = set(await docs.import_trusted(args.client, pairs, now))
        return [
            {"client": args.client, "id": manifest_id, "documentId": f"sha256:{digest}",
             "added": digest in added}
            for manifest_id, text in pairs
            for digest in [docs.sha256_hex(text)]
        ]  # fmt: skip
    if args.action == "list":
        return [
            {"client": row.client, "documentId": f"sha256:{row.sha256}", "id": row.manifest_id,
             "createdAt": row.created_at.isoformat()}
            for row in await docs.trusted_documents(args.client)
        ]  # fmt: skip
    removed = await docs.remove_trusted(args.client, args.document_id)
    if not removed:
        raise CommandError("no such trusted document")
    return {"client": args.client, "removed": removed}


def _key_line(row: AccessToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.label,
        "prefix": row.hint,
        "scopes": ",".join(row.scopes or []),
        "createdAt": row.created_at.isoformat(),
        "lastUsedAt": row.last_used_at.isoformat() if row.last_used_at else None,
    }


async def api_keys_command(args: argparse.Namespace, bus: Broker) -> Any:
    now = datetime.now(UTC)
    admin = await _organization(args.organization)
    if args.action == "create":
        scopes = [scope.strip() for scope in args.scopes.split(",") if scope.strip()]
        secret, row = await api_keys.create_api_key(admin, args.name, scopes, now)
        return {**_key_line(row), "token": secret}
    if args.action == "list":
        return [_key_line(row) for row in await api_keys.api_keys(admin.organization_id)]
    return _key_line(await api_keys.revoke_api_key(bus, admin, args.id, now))


def cmd_documents(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.cli import _migrate

    _migrate(settings)
    return _run(settings, lambda bus: documents_command(args), args.json)


def cmd_api_keys(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.cli import _migrate

    _migrate(settings)
    code = _run(settings, lambda bus: api_keys_command(args, bus), args.json)
    if code == 0 and args.action == "create" and args.json:
        print("The key is shown once: store it now.", file=sys.stderr)
    return code


def add_commands(commands: Any) -> None:
    """Register `documents` and `api-keys` on the `tradequote` parser."""
    documents = commands.add_parser("documents", help="trusted documents: import, list, remove")
    actions = documents.add_subparsers(dest="action", required=True)
    load = actions.add_parser(
        "import", help="add a client's manifest (Apollo persisted-query manifest or Relay map)"
    )
    load.add_argument("--client", required=True, help="the client's name, e.g. ios-app")
    load.add_argument("file", help="the manifest (JSON)")
    listing = actions.add_parser("list", help="the trusted documents, by client")
    listing.add_argument("--client", help="only this client's")
    remove = actions.add_parser("remove", help="remove a client's document, or all of them")
    remove.add_argument("--client", required=True)
    remove.add_argument("document_id", nargs="?", help="sha256:<hex>; default: every document")
    for parser in (load, listing, remove):
        parser.add_argument("--json", action="store_true", help="print JSON")
    documents.set_defaults(func=cmd_documents)

    keys = commands.add_parser("api-keys", help="partner API keys: create, list, revoke")
    actions = keys.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="a partner key (tqk_…), printed once")
    create.add_argument("--name", required=True)
    create.add_argument(
        "--scopes", required=True,
        help="comma-separated: " + ", ".join(scope.value for scope in Scope),
    )  # fmt: skip
    listing = actions.add_parser("list", help="the organization's live keys")
    revoke = actions.add_parser("revoke", help="revoke a key by the id `list` shows")
    revoke.add_argument("--id", type=int, required=True)
    for parser in (create, listing, revoke):
        parser.add_argument(
            "--organization", "--org", required=True, help="the organization's slug"
        )
        parser.add_argument("--json", action="store_true", help="print JSON")
    keys.set_defaults(func=cmd_api_keys)
