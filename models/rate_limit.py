"""Rate-limit counters shared by every replica: one row per bucket and key."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class RateLimitCounter(Model):
    """Requests counted in the current and the previous window of one bucket and key."""

    bucket_key = fields.CharField(max_length=255, primary_key=True)
    window_index = fields.BigIntField()
    hits = fields.IntField()
    previous_hits = fields.IntField(default=0)
    expires_at = fields.BigIntField(db_index=True)

    class Meta:
        table = "rate_limit"
