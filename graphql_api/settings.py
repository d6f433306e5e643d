"""Settings, read once from the environment (and a `.env` file) in one place."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

from models.sealing import KeyConfigurationError, Keyring
from graphql_api.gateway.config import LimitConfigurationError, Limits
from graphql_api.gateway.secrets import weak_secret
from graphql_api.gateway.admission import DEFAULT_LIMIT as ADMISSION_LIMIT
from graphql_api.gateway.viewer_cache import DEFAULT_SIZE

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
    "Offer permessage-deflate to WebSocket clients (TRADEQUOTE_WS_COMPRESSION; off by default)."
    ws_compression: bool = False
    "Seconds between two expiry sweeps of a server or worker."
    sweep_interval: float = 30.0
    "An external IMEI checking service (see graphql_api/checks/http_provider.py), if any."
    imei_check_url: str | None = None
    imei_check_key: str | None = None
    imei_check_timeout: float = 3.0
    "How long an answer of the external checking service is reused for an IMEI."
    imei_check_cache_seconds: int = 86400
    "TRADEQUOTE_SIGNING_KEYS: the chain-sealing keys (see `models.sealing`); None: derived."
    signing_keys: str | None = None

    def keyring(self) -> Keyring:
        """The keys that seal chain heads and the public keys that verify them."""
        return Keyring.from_config(self.secret_key, self.signing_keys)
    "Serve GraphiQL at GET /graphql (TRADEQUOTE_GRAPHIQL; on by default in development only)."
    graphiql: bool = True
    "One JSON object per log line (TRADEQUOTE_LOG_JSON; on by default in production only)."
    log_json: bool = False
    "TRADEQUOTE_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR."
    log_level: str = "INFO"
    "OTLP/HTTP endpoint for traces (TRADEQUOTE_OTEL_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT)."
    otel_endpoint: str | None = None
    "Size, cost and rate limits (README, \"Limits\")."
    limits: Limits = field(default_factory=Limits)
    "Whether TRADEQUOTE_PUBLIC_URL set `public_url` (otherwise it is where the server listens)."
    public_url_configured: bool = False
    "Where evidence photos are stored on local disk (TRADEQUOTE_UPLOAD_DIR)."
    upload_dir: str = "uploads"
    "A ShipEngine-style carrier-label service (TRADEQUOTE_LABEL_URL, _KEY); None: built-in labels."
    label_url: str | None = None
    label_key: str | None = None
    "The signing secret of the Stripe webhook endpoint (TRADEQUOTE_STRIPE_WEBHOOK_SECRET, whsec_…)."
    stripe_webhook_secret: str | None = None
    "Automatic persisted queries and trusted documents (TRADEQUOTE_PERSISTED_QUERIES, on)."
    persisted_queries: bool = True
    "Automatic persisted queries kept in the database before the least used are evicted."
    apq_max_entries: int = 10000
    "Webhooks to loopback, private, link-local addresses (TRADEQUOTE_WEBHOOK_ALLOW_PRIVATE)."
    webhook_allow_private: bool = True
    """Seconds a resolved token is reused without reading the database (0: never); None: 30 where
    revocations reach every process (PostgreSQL), else 0."""
    auth_cache_seconds: float | None = None
    "Resolved tokens kept per process, the least recently used going first."
    auth_cache_size: int = DEFAULT_SIZE
    "GraphQL requests a process works on at once, the others waiting in turn (0: no limit)."
    concurrent_requests: int = ADMISSION_LIMIT

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
        origins = environ.get("TRADEQUOTE_CORS_ORIGINS", "")
        if bool(environ.get("TRADEQUOTE_LABEL_URL")) != bool(environ.get("TRADEQUOTE_LABEL_KEY")):
            raise ConfigurationError("TRADEQUOTE_LABEL_URL and TRADEQUOTE_LABEL_KEY go together")
        signing_keys = environ.get("TRADEQUOTE_SIGNING_KEYS") or None
        try:
            Keyring.from_config(secret, signing_keys)
        except (KeyConfigurationError, ValueError) as error:
            raise ConfigurationError(str(error)) from error
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
            sweep_interval=_number(environ, "TRADEQUOTE_SWEEP_INTERVAL", cls.sweep_interval, 0, 3600),
            imei_check_url=environ.get("TRADEQUOTE_IMEI_CHECK_URL") or None,
            imei_check_key=environ.get("TRADEQUOTE_IMEI_CHECK_KEY") or None,
            imei_check_timeout=_number(
                environ, "TRADEQUOTE_IMEI_CHECK_TIMEOUT", cls.imei_check_timeout, 0, 60
            ),
            imei_check_cache_seconds=int(
                _number(
                    environ,
                    "TRADEQUOTE_IMEI_CHECK_CACHE_SECONDS",
                    cls.imei_check_cache_seconds,
                    -1,
                    1e9,
                    whole=True,
                )
            ),
            signing_keys=signing_keys,
            ws_compression=_flag(environ, "TRADEQUOTE_WS_COMPRESSION", default=cls.ws_compression),
            graphiql=_flag(environ, "TRADEQUOTE_GRAPHIQL", default=env != "production"),
            log_json=_flag(environ, "TRADEQUOTE_LOG_JSON", default=env == "production"),
            log_level=_log_level(environ.get("TRADEQUOTE_LOG_LEVEL", cls.log_level)),
            otel_endpoint=(
                environ.get("TRADEQUOTE_OTEL_ENDPOINT")
                or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or None
            ),
            limits=limits,
            upload_dir=environ.get("TRADEQUOTE_UPLOAD_DIR", cls.upload_dir),
            label_url=environ.get("TRADEQUOTE_LABEL_URL") or None,
            label_key=environ.get("TRADEQUOTE_LABEL_KEY") or None,
            stripe_webhook_secret=environ.get("TRADEQUOTE_STRIPE_WEBHOOK_SECRET") or None,
            persisted_queries=_flag(environ, "TRADEQUOTE_PERSISTED_QUERIES", default=True),
            webhook_allow_private=_flag(
                environ, "TRADEQUOTE_WEBHOOK_ALLOW_PRIVATE", default=env != "production"
            ),
            auth_cache_seconds=(
                _number(environ, "TRADEQUOTE_AUTH_CACHE_SECONDS", 0, -1, 300, whole=True)
                if environ.get("TRADEQUOTE_AUTH_CACHE_SECONDS", "").strip()
                else None
            ),
            auth_cache_size=int(
                _number(
                    environ, "TRADEQUOTE_AUTH_CACHE_SIZE", cls.auth_cache_size, 0, 1_000_000,
                    whole=True,
                )  # fmt: skip
            ),
            concurrent_requests=int(
                _number(
                    environ, "TRADEQUOTE_CONCURRENT_REQUESTS", cls.concurrent_requests, -1, 10_000,
                    whole=True,
                )  # fmt: skip
            ),
        )


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigurationError("TRADEQUOTE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    return level


def _number(
    environ: dict[str, str],
    name: str,
    default: float,
    above: float,
    most: float,
    *,
    whole: bool = False,
) -> float:
    """The variable as a number greater than `above` and at most `most` (the default if unset)."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(int(text)) if whole else float(text)
    except ValueError:
        value = above  # refused below
    if not above < value <= most:
        bounds = f"of at least {above + 1:g}" if whole else f"greater than {above:g}"
        raise ConfigurationError(f"{name} must be a number {bounds}, at most {most:g}")
    return value


def _flag(environ: dict[str, str], name: str, *, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be 1 or 0 (true or false)")


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
