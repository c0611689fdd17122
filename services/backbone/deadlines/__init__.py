"""Deadlines as data (``rules.yaml``) and the reminders the deadline clock sends for them."""
