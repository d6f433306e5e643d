"""Webhook delivery: the sender that empties the webhook outbox."""
