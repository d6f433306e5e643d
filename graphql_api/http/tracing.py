"""Optional OpenTelemetry tracing of GraphQL operations (Strawberry's OpenTelemetryExtension):
a span per operation, with its parsing, validation and resolvers, exported over OTLP/HTTP.

Off unless an endpoint is configured (`TRADEQUOTE_OTEL_ENDPOINT` or the standard
`OTEL_EXPORTER_OTLP_ENDPOINT`); the OpenTelemetry packages are then needed, from the `otel`
extra (`pip install -r requirements-otel.lock`). The default install runs without them.

Spans carry no personal data: resolver arguments are not recorded, and string literals in the
document are blanked (variables are never recorded).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from strawberry.extensions import SchemaExtension

from graphql_api.settings import ConfigurationError, Settings

SERVICE_NAME = "tradequote"
STRING_LITERAL = re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""|"(?:[^"\\\n]|\\.)*"')

_tracer_provider: Any = None


class NoTracing(SchemaExtension):
    """Stands in the schema's extensions while tracing is off."""


def blank_literals(document: str) -> str:
    return STRING_LITERAL.sub('"…"', document)


def tracing_extension() -> SchemaExtension:
    """The schema's extension factory: Strawberry calls it for each operation."""
    if _tracer_provider is None:
        return NoTracing()
    return _traced_extension_class()(
        tracer_provider=_tracer_provider, arg_filter=lambda args, info: {}
    )


def _traced_extension_class() -> type[SchemaExtension]:
    from strawberry.extensions import LifecycleStep
    from strawberry.extensions.tracing import OpenTelemetryExtension

    class Tracing(OpenTelemetryExtension):
        def on_operation(self) -> Iterator[None]:
            steps = super().on_operation()
            next(steps)
            query = self.execution_context.query
            if query:
                span = self._span_holder[LifecycleStep.OPERATION]
                span.set_attribute("query", blank_literals(query))
            yield
            next(steps, None)

    return Tracing


def use_tracer_provider(provider: Any) -> None:
    """Trace with this provider (None: stop tracing). `configure_tracing` calls it; tests
    give one with an in-memory exporter."""
    global _tracer_provider
    _tracer_provider = provider


def configure_tracing(settings: Settings) -> None:
    """Export spans to `settings.otel_endpoint`, when there is one."""
    if not settings.otel_endpoint:
        return
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as error:
        raise ConfigurationError(
            "tracing is configured (TRADEQUOTE_OTEL_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT) but "
            f"the OpenTelemetry packages are missing ({error.name}): "
            "pip install -r requirements-otel.lock"
        ) from None
    endpoint = settings.otel_endpoint.rstrip("/")
    if not endpoint.endswith("/v1/traces"):
        endpoint += "/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    use_tracer_provider(provider)
