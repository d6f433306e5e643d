"""Starlette routes other than /graphql and what watches every request: health, metrics,
request ids, logs and the published keys."""
