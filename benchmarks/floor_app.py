"""The floor: a bare Strawberry app answering Tradequote's documents from memory.

Same strawberry and graphql-core as Tradequote, same uvicorn settings (one worker, the asyncio
loop), `ParserCache` and `ValidationCache` working, orjson encoding. Its schema is Tradequote's
exported SDL (`schema.graphql`) with graphql-core's default resolvers; the root value of a
request is the `data` Tradequote answered to the same document, captured by `benchmarks.floor`,
so both servers parse, validate, execute and encode the same selection into the same bytes.
Downloads (the receipt PDF) are answered with the captured bytes.

    python -m benchmarks.floor_app CAPTURES.json PORT
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import graphql
import orjson
import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

ROOT = Path(__file__).resolve().parent.parent


@strawberry.type(description="Replaced by the SDL's schema.")
class _Placeholder:
    placeholder: int = strawberry.field(default=0, description="Unused.")


def floor_schema() -> strawberry.Schema:
    schema = strawberry.Schema(query=_Placeholder, extensions=[ParserCache, ValidationCache])
    schema._schema = graphql.build_schema((ROOT / "schema.graphql").read_text())
    return schema


class FloorView(GraphQL):
    def __init__(self, data_by_body: dict[str, Any]) -> None:
        super().__init__(floor_schema(), graphql_ide=None)
        "The data Tradequote answered, by the exact request body."
        self.data_by_query = data_by_body

    async def get_root_value(self, request: Request) -> Any:  # type: ignore[override]
        return self.data_by_query[(await request.body()).decode()]

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(captures: dict[str, Any]) -> Starlette:
    files = {path: (base64.b64decode(body), kind) for path, (body, kind) in captures["files"].items()}

    async def download(request: Request) -> Response:
        found = files.get(request.url.path + ("?" + request.url.query if request.url.query else ""))
        if found is None:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(found[0], media_type=found[1])

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    view = FloorView(captures["graphql"])
    return Starlette(
        routes=[
            Route("/graphql", view, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/downloads/{kind}/{object_id}", download),
        ]
    )


def main() -> None:
    captures = json.loads(Path(sys.argv[1]).read_text())
    uvicorn.run(create_app(captures), host="127.0.0.1", port=int(sys.argv[2]), loop="asyncio",
                workers=1, access_log=False, log_level="warning")  # fmt: skip


if __name__ == "__main__":
    main()
