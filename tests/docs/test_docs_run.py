"""Docs that run (``tests/support/docs.py``): what the machinery collects, and that a broken
block or a broken example test fails with its Markdown file and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support.docs import is_doc

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]

# The suite's own machinery, pointed at pytester's folder instead of the repository.
CONFTEST = """
from pathlib import Path

from support.docs import docs_collector, docs_env, docs_secret_key

pytest_collect_file = docs_collector(Path(__file__).parent)
"""

DOC = """
# A doc

```python
import asyncio

counted = []
```

<!-- invisible-code-block: python
counted.append("hidden")
-->

```python
counted.append("shown")
assert counted == ["hidden", "shown"]
```

<!-- skip: next "it cannot run here" -->

```python
raise SystemExit("never run")
```

```python
async def test_async_with_a_fixture(switchboard_sink, tmp_path):
    assert switchboard_sink.url("/x").startswith("http://127.0.0.1:")
    assert tmp_path.is_dir()
    await asyncio.sleep(0)


def test_sync_sees_the_namespace():
    assert counted == ["hidden", "shown"]
```
"""


def _project(pytester: pytest.Pytester, doc: str, name: str = "docs/guide.md") -> None:
    pytester.makeini("[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function")
    pytester.makeconftest(CONFTEST)
    path = pytester.path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(doc))


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    # As the project's addopts: schemathesis's plugin, loaded in process, leaves the outer
    # run's `requests` inconsistent (its cookie jar class no longer the one it checks for).
    return pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:schemathesis", *args
    )


def test_blocks_run_in_order_and_the_tests_they_define_run_as_tests(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, DOC)
    result = _run(pytester, "-v", "docs")
    # Four blocks, the skip directive and the block it skips, then the two tests.
    result.assert_outcomes(passed=7, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*docs/guide.md::test_async_with_a_fixture PASSED*",
            "*docs/guide.md::test_sync_sees_the_namespace PASSED*",
        ]
    )


def test_a_failing_block_reports_its_file_and_line(pytester: pytest.Pytester) -> None:
    _project(pytester, DOC.replace('["hidden", "shown"]\n```', '["shown"]\n```', 1))
    result = _run(pytester, "docs")
    result.assert_outcomes(passed=6, skipped=1, failed=1)
    # The assert is rewritten, as in a test module: the values are shown.
    output = result.stdout.str()
    assert "AssertionError: assert ['hidden', 'shown'] == ['shown']" in output
    assert "\ndocs/guide.md:16: AssertionError\n" in output
    assert "\nFAILED docs/guide.md::line:14,column:1 - " in output


def test_a_failing_example_test_reports_its_file_and_line(pytester: pytest.Pytester) -> None:
    _project(pytester, DOC.replace('startswith("http://127.0.0.1:")', 'startswith("https://")'))
    result = _run(pytester, "docs")
    result.assert_outcomes(passed=6, skipped=1, failed=1)
    output = result.stdout.str()
    assert "where False = " in output  # the assert was rewritten: its parts are shown
    assert "\ndocs/guide.md:27: AssertionError\n" in output
    assert "\nFAILED docs/guide.md::test_async_with_a_fixture - " in output


def test_an_example_test_whose_blocks_did_not_run_says_so(pytester: pytest.Pytester) -> None:
    _project(pytester, DOC)
    result = _run(pytester, "docs", "-k", "test_sync")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*test_sync_sees_the_namespace (line 32) was not defined*"])


def test_an_unknown_fixture_fails_the_example_test(pytester: pytest.Pytester) -> None:
    _project(pytester, DOC.replace("(switchboard_sink, tmp_path)", "(no_such_fixture)"))
    result = _run(pytester, "docs")
    result.assert_outcomes(passed=6, skipped=1, errors=1)
    result.stdout.fnmatch_lines(["*fixture 'no_such_fixture' not found*"])


def test_blocks_see_the_suites_redis_never_6379(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        """
        ```python
        import os

        import redis

        from switchboard.config import load_settings

        settings = load_settings()
        assert settings.effective_redis_url == os.environ["REDIS_URL"]
        assert ":6379" not in settings.effective_redis_url
        assert settings.key_prefix == "sbdocs-guide"
        assert redis.Redis.from_url(settings.effective_redis_url).ping()
        ```
        """,
    )
    _run(pytester, "docs").assert_outcomes(passed=1)


def test_readme_and_every_doc_file_are_collected_and_nothing_else(tmp_path: Path) -> None:
    assert is_doc(REPO / "README.md")
    assert is_doc(REPO / "docs" / "writing-integrations.md")  # a doc yet to come
    assert not is_doc(REPO / "CHANGELOG.md")
    assert not is_doc(REPO / "bench" / "README.md")
    assert not is_doc(REPO / "docs" / "notes.txt")
    assert not is_doc(tmp_path / "README.md")


def test_every_fenced_block_names_its_language() -> None:
    """A bare fence is neither run nor highlighted: each says python, console, text..."""
    bare = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        inside = False
        for number, line in enumerate(doc.read_text().splitlines(), start=1):
            if line.startswith("```"):
                if not inside and line.strip() == "```":
                    bare.append(f"{doc.relative_to(REPO)}:{number}")
                inside = not inside
    assert bare == []
