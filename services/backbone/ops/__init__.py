"""Observing and running the platform: readiness, metrics, queue monitoring, terminal output."""
