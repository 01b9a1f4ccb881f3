"""Docs that run: pytest collects README.md and docs/*.md as tests (tests/support/docs.py)."""

from support.docs import collect_docs, docs_env, docs_secret_key

__all__ = ["docs_env", "docs_secret_key", "pytest_collect_file"]

pytest_collect_file = collect_docs
