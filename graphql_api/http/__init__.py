"""Starlette routes other than /graphql."""
