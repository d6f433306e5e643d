"""`tradequote staff …` and `tradequote tokens …` as an operator runs them, against the database
a real server reads."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.live import SERVE, run_cli, server_env, start_server
from tests.team import AUDIT_LOG, WHO

SECRET = "team-cli-secret-" + "c" * 32


def failing(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([*SERVE, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2, done
    return done.stderr


def test_the_operator_runs_the_team_from_the_command_line(tmp_path: Path) -> None:
    env = server_env(f"sqlite://{tmp_path / 'cli.db'}", SECRET, TRADEQUOTE_MAIL_DIR=str(tmp_path / "mail"))
    owner = json.loads(run_cli(["create-organization", "--name", "Acme", "--slug", "acme",
                                "--owner-email", "owner@acme.test", "--json"], env, tmp_path))["ownerToken"]  # fmt: skip
    invited = json.loads(run_cli(["staff", "invite", "--org", "acme", "--email", "Sam@Acme.test",
                                  "--role", "SALES_REP", "--name", "Sam", "--json"], env, tmp_path))  # fmt: skip
    assert invited["status"] == "INVITED" and invited["email"] == "sam@acme.test"
    team = json.loads(run_cli(["staff", "list", "--org", "acme", "--json"], env, tmp_path))
    assert [(m["email"], m["role"]) for m in team] == [("owner@acme.test", "OWNER"), ("sam@acme.test", "SALES_REP")]

    created = json.loads(run_cli(["tokens", "create", "--org", "acme", "--email", "sam@acme.test",
                                  "--name", "nightly export", "--expires-days", "30", "--json"], env, tmp_path))  # fmt: skip
    secret = created["token"]
    assert secret.startswith("tqs_") and created["prefix"] == secret[:8]
    listed = json.loads(run_cli(["tokens", "list", "--org", "acme", "--email", "sam@acme.test", "--json"], env, tmp_path))
    assert [t["name"] for t in listed] == ["nightly export"] and "token" not in listed[0]

    assert "INVALID_STATE" in failing(["staff", "role", "--org", "acme", "--email", "owner@acme.test",
                                       "--role", "MANAGER"], env, tmp_path)  # fmt: skip
    assert "no organization" in failing(["staff", "list", "--org", "nope"], env, tmp_path)
    assert "no staff member" in failing(["staff", "deactivate", "--org", "acme", "--email", "x@acme.test"], env, tmp_path)
    assert "INVALID_INPUT" in failing(["staff", "invite", "--org", "acme", "--email", "bad", "--role", "FINANCE"],
                                      env, tmp_path)  # fmt: skip

    server = start_server(env, tmp_path)
    try:
        def ask(query: str, token: str) -> dict[str, object]:
            return dict(httpx.post(f"{server.http}/graphql", json={"query": query},
                                   headers={"Authorization": f"Bearer {token}"}, timeout=10).json())  # fmt: skip

        assert ask(WHO, secret)["data"] == {"viewer": {"kind": "STAFF", "quote": None,
                                                       "staff": {"id": invited_id(invited), "name": "Sam",
                                                                 "role": "SALES_REP", "status": "INVITED"}}}  # fmt: skip
        run_cli(["tokens", "revoke", "--org", "acme", "--id", str(created["id"])], env, tmp_path)
        refused = ask(WHO, secret)["errors"]
        assert refused[0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_REVOKED"}  # type: ignore[index]
        run_cli(["staff", "deactivate", "--org", "acme", "--email", "sam@acme.test"], env, tmp_path)
        # the owner's first token, printed by create-organization, is listed like any other
        listed_tokens = ask("query { accessTokens { name prefix } }", owner)["data"]["accessTokens"]  # type: ignore[index]
        assert listed_tokens == [{"name": "created by the CLI", "prefix": owner[:8]}]
        log = ask(AUDIT_LOG, owner)["data"]["auditLog"]["edges"]  # type: ignore[index]
        assert [(e["node"]["action"], e["node"]["actorName"]) for e in log] == [
            ("STAFF_DEACTIVATED", "operator (command line)"),
            ("ACCESS_TOKEN_REVOKED", "operator (command line)"),
            ("ACCESS_TOKEN_CREATED", "operator (command line)"),
            ("STAFF_INVITED", "operator (command line)"),
        ]
    finally:
        server.stop()


def invited_id(member: dict[str, object]) -> str:
    from graphql_api.ids import to_global_id

    return to_global_id("StaffMember", int(str(member["id"])))
