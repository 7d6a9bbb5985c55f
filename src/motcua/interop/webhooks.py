"""Webhook subscriptions: the sink (filled by its part)."""
