"""Helpers and sample integrations shared by the tests."""
