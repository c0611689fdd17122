"""The broker: topology, confirmed publishing, the outbox relay, the idempotent subscription, dead letters."""
