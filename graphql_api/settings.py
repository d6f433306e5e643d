"""Settings, read once from the environment (and a `.env` file) in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dotenv import load_dotenv

SECRET_KEY_FILE = Path(".secret_key")
# Set by `tradequote serve` for its worker processes: the address it serves, which is the base
# of links when TRADEQUOTE_PUBLIC_URL is unset.
SERVED_URL_VARIABLE = "TRADEQUOTE_SERVED_URL"


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
    "Whether TRADEQUOTE_PUBLIC_URL set `public_url` (otherwise it is where the server listens)."
    public_url_configured: bool = False

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
            public_url=(
                environ.get("TRADEQUOTE_PUBLIC_URL")
                or environ.get(SERVED_URL_VARIABLE)
                or cls.public_url
            ).rstrip("/"),
            public_url_configured=bool(environ.get("TRADEQUOTE_PUBLIC_URL")),
            secret_key=secret,
            smtp_url=environ.get("TRADEQUOTE_SMTP_URL") or None,
            mail_from=environ.get("TRADEQUOTE_MAIL_FROM", cls.mail_from),
            mail_dir=environ.get("TRADEQUOTE_MAIL_DIR", cls.mail_dir),
            env=env,
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        )


def served_url(host: str, port: int) -> str:
    """The base URL of a server listening on `host`:`port`, as a client on this machine reaches
    it (a wildcard address is reached on loopback)."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _development_secret() -> str:
    """A secret generated on first run and kept beside the database, so links survive restarts."""
    if SECRET_KEY_FILE.exists():
        return SECRET_KEY_FILE.read_text().strip()
    secret = secrets.token_urlsafe(48)
    SECRET_KEY_FILE.write_text(secret + "\n")
    SECRET_KEY_FILE.chmod(0o600)
    return secret
