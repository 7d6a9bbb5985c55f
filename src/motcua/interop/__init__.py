"""Connectivity with systems outside this deployment: agency API clients, the transactional
outbox and its deliveries (webhooks, the national portal, other motcua instances), transfers
between instances and open data."""
