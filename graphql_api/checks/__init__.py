"""IMEI check providers that talk to the outside world, and the server's check settings."""

from __future__ import annotations

from graphql_api.checks.http_provider import HttpCheckProvider
from graphql_api.settings import Settings
from models.services.imei_checks import CheckSettings


def check_settings(settings: Settings) -> CheckSettings:
    """The external provider when TRADEQUOTE_IMEI_CHECK_URL is set, and the cache period."""
    external = None
    if settings.imei_check_url:
        external = HttpCheckProvider(
            settings.imei_check_url, settings.imei_check_key, settings.imei_check_timeout
        )
    return CheckSettings(external=external, cache_seconds=settings.imei_check_cache_seconds)


__all__ = ["HttpCheckProvider", "check_settings"]
