"""Settings, read once from the environment (and a `.env` file) in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from graphql_api.gateway.config import LimitConfigurationError, Limits
from graphql_api.gateway.secrets import weak_secret

SECRET_KEY_FILE = Path(".secret_key")


class ConfigurationError(RuntimeError):
    """The environment does not describe a server that can run."""


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite://tradequote.db"
    public_url: str = "http://127.0.0.1:8000"
    secret_key: str = ""
    smtp_url: str | None = None
    mail_from: str = "Tradequote <no-reply@localhost>"
    mail_dir: str = "mail"
    env: str = "development"
    cors_origins: tuple[str, ...] = ()
    "Seconds a WebSocket may stay open without sending `connection_init`."
    ws_init_timeout: float = 10.0
    "Serve GraphiQL to browsers at GET /graphql (TRADEQUOTE_GRAPHIQL; off in production)."
    graphiql: bool = True
    "Size, cost and rate limits (README, \"Limits\")."
    limits: Limits = field(default_factory=Limits)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Build settings from TRADEQUOTE_* variables (after loading `.env` if present)."""
        if environ is None:
            load_dotenv(override=False)
            environ = dict(os.environ)
        env = environ.get("TRADEQUOTE_ENV", "development")
        if env not in ("development", "production"):
            raise ConfigurationError("TRADEQUOTE_ENV must be development or production")
        secret = environ.get("TRADEQUOTE_SECRET_KEY", "")
        if not secret:
            if env == "production":
                raise ConfigurationError("TRADEQUOTE_SECRET_KEY is required in production")
            secret = _development_secret()
        if len(secret) < 32:
            raise ConfigurationError("TRADEQUOTE_SECRET_KEY must be at least 32 characters")
        if env == "production" and (weakness := weak_secret(secret)):
            raise ConfigurationError(f"TRADEQUOTE_SECRET_KEY {weakness}")
        try:
            limits = Limits.from_env(environ)
        except LimitConfigurationError as error:
            raise ConfigurationError(str(error)) from None
        graphiql = environ.get("TRADEQUOTE_GRAPHIQL", "off" if env == "production" else "on")
        origins = environ.get("TRADEQUOTE_CORS_ORIGINS", "")
        return cls(
            database_url=environ.get("TRADEQUOTE_DATABASE_URL", cls.database_url),
            public_url=environ.get("TRADEQUOTE_PUBLIC_URL", cls.public_url).rstrip("/"),
            secret_key=secret,
            smtp_url=environ.get("TRADEQUOTE_SMTP_URL") or None,
            mail_from=environ.get("TRADEQUOTE_MAIL_FROM", cls.mail_from),
            mail_dir=environ.get("TRADEQUOTE_MAIL_DIR", cls.mail_dir),
            env=env,
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            graphiql=graphiql.strip().lower() in ("on", "1", "true", "yes"),
            limits=limits,
        )


def _development_secret() -> str:
    """A secret generated on first run and kept beside the database, so links survive restarts."""
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    secret = secrets.token_urlsafe(48)
    SECRET_KEY_FILE.write_text(secret + "\n")
    SECRET_KEY_FILE.chmod(0o600)
    return secret
