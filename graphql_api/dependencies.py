"""What the use cases need from a running process (`Deps`), built from the settings in one place
for the server, the worker, the demo and the commands."""

from __future__ import annotations

from graphql_api.checks import check_settings
from graphql_api.settings import Settings
from models.services.caller import Deps, Publisher
from models.services.labels import BuiltInLabels, LabelProvider, ShipEngineLabels
from models.services.storage import LocalDiskStorage


def label_provider(settings: Settings) -> LabelProvider:
    """The ShipEngine-style service when configured, else the built-in label."""
    if settings.label_url and settings.label_key:
        return ShipEngineLabels(settings.label_url, settings.label_key)
    return BuiltInLabels()


def process_deps(settings: Settings, bus: Publisher) -> Deps:
    """Where to publish, how to sign links and seal chains, how IMEIs are checked, where photos
    are kept and how labels are made, as this process's settings say."""
    return Deps(
        bus=bus,
        secret_key=settings.secret_key,
        public_url=settings.public_url,
        checks=check_settings(settings),
        keys=settings.keyring(),
        storage=LocalDiskStorage(settings.upload_dir),
        labels=label_provider(settings),
    )
