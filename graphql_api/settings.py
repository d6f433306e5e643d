"""Settings, read once from the environment (and a `.env` file) in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

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
    "Serve GraphiQL at GET /graphql (TRADEQUOTE_GRAPHIQL; on by default in development only)."
    graphiql: bool = True
    "One JSON object per log line (TRADEQUOTE_LOG_JSON; on by default in production only)."
    log_json: bool = False
    "TRADEQUOTE_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."
    log_level: str = "INFO"
    "OTLP/HTTP endpoint for traces (TRADEQUOTE_OTEL_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)."
    otel_endpoint: str | None = None

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
            graphiql=_flag(environ, "TRADEQUOTE_GRAPHIQL", default=env != "production"),
            log_json=_flag(environ, "TRADEQUOTE_LOG_JSON", default=env == "production"),
            log_level=_log_level(environ.get("TRADEQUOTE_LOG_LEVEL", cls.log_level)),
            otel_endpoint=(
                environ.get("TRADEQUOTE_OTEL_ENDPOINT")
                or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or None
            ),
        )


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigurationError("TRADEQUOTE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    return level


def _flag(environ: dict[str, str], name: str, *, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be 1 or 0 (true or false)")


def _development_secret() -> str:
    """A secret generated on first run and kept beside the database, so links survive restarts."""
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    secret = secrets.token_urlsafe(48)
    SECRET_KEY_FILE.write_text(secret + "\n")
    SECRET_KEY_FILE.chmod(0o600)
    return secret
