"""Docs that run: every ```python block of README.md and docs/*.md, through Sybil, and every
test function those blocks define, as a real pytest test.

Per Markdown file, the blocks run in order in one namespace with plain ``exec`` (Sybil's
Markdown parsers: ``<!-- invisible-code-block: python -->`` for set-up a reader need not
see, ``<!-- skip: next because ... -->`` for the rare block that cannot run). Each block
is an item named by its line, and a failure's traceback points into the Markdown file.

Defining ``async def test_retry(switchboard_harness): ...`` under ``exec`` proves nothing,
so after the blocks each top-level ``test_*`` function they define is collected again as
a test of its own (``docs/x.md::test_retry``): pytest resolves its fixtures from the
parameter names, pytest-asyncio runs it as it runs any async test, and it is reported at
its line in the Markdown file. The function itself is the one the blocks defined, taken
from the file's namespace when the test runs (so the blocks must have run first: run the
whole file, not a test alone). Decorators other than the asyncio mark are not applied,
since collection reads the test's parameters from the source and does not run it.
"""

from __future__ import annotations

import ast
import inspect
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from _pytest.assertion.rewrite import rewrite_asserts  # what pytest does to test modules
from sybil import Document, Example, Sybil
from sybil.evaluators.python import PythonEvaluator, pad
from sybil.integration.pytest import SybilFile
from sybil.parsers.markdown import ClearNamespaceParser, PythonCodeBlockParser, SkipParser
from sybil.region import Lexeme

from switchboard.config import EmbeddedRedis

__all__ = ["DOCS_SYBIL", "collect_docs", "docs_collector", "docs_env", "docs_secret_key", "is_doc"]

ROOT = Path(__file__).resolve().parents[2]

#: The environment a block sees (``docs_env``): the suite's Redis, never 6379.
DOCS_FIXTURES = ("docs_env",)


def is_doc(path: Path, root: Path = ROOT) -> bool:
    """README.md at the root, and every Markdown file in docs/ (a new one included)."""
    try:
        relative = path.resolve().relative_to(root)
    except ValueError:
        return False
    return path.suffix == ".md" and (
        relative == Path("README.md") or relative.parent == Path("docs")
    )


@pytest.fixture
def docs_env(
    switchboard_redis: EmbeddedRedis,
    docs_secret_key: str,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """What a block's ``load_settings()`` reads, for this block only (undone after it): the
    suite's Redis, a key prefix of the file's own, loopback allowed, a secret key."""
    from switchboard.testing.plugin import LOOPBACK

    monkeypatch.setenv("REDIS_URL", switchboard_redis.url)
    monkeypatch.setenv("SWITCHBOARD_KEY_PREFIX", f"sbdocs-{request.node.path.stem.lower()}")
    monkeypatch.setenv("SWITCHBOARD_ALLOW_CIDRS", LOOPBACK)
    monkeypatch.setenv("SWITCHBOARD_SECRET_KEY", docs_secret_key)
    monkeypatch.delenv("SWITCHBOARD_QUEUE_NAME", raising=False)
    return switchboard_redis.url


@pytest.fixture(scope="session")
def docs_secret_key() -> str:
    from switchboard.config import generate_secret_key

    return generate_secret_key()


def docs_collector(root: Path) -> Callable[[Path, pytest.Collector], pytest.Collector | None]:
    """A ``pytest_collect_file`` hook: a ``DocFile`` for each doc under ``root``."""

    def collect_docs(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
        if not is_doc(file_path, root):
            return None
        doc: DocFile = DocFile.from_parent(parent, path=file_path, sybils=[DOCS_SYBIL])
        return doc

    return collect_docs


collect_docs = docs_collector(ROOT)


class DocFile(SybilFile):  # type: ignore[misc]  # Sybil's pytest classes are untyped
    """A doc's blocks (Sybil's items, in order), then its test functions (``DocTests``)."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        yield from super().collect()
        [document] = self.documents
        defined = {found.name: found for found in _test_functions(document)}
        if defined:
            yield DocTests.from_parent(
                self, name="tests", path=self.path, document=document, defined=defined
            )


class DefinedTest:
    """A ``test_*`` function a block defines, as its source says: name, line, parameters."""

    def __init__(self, node: ast.FunctionDef | ast.AsyncFunctionDef, line: int) -> None:
        self.name = node.name
        self.line = line
        self.is_async = isinstance(node, ast.AsyncFunctionDef)
        arguments = node.args
        self.parameters = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
        self.parameters += [a.arg for a in arguments.kwonlyargs]


def _test_functions(document: Document) -> Iterator[DefinedTest]:
    for example in document.examples():
        source = example.parsed
        if not (
            isinstance(example.region.evaluator, PythonEvaluator) and isinstance(source, Lexeme)
        ):
            continue
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue  # the block's own item reports it, at its line
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                # As PythonEvaluator pads it: the block's first line is example.line + offset + 1.
                yield DefinedTest(node, example.line + source.line_offset + node.lineno)


class DocTests(pytest.Module):
    """The test functions of one doc, collected by pytest as a module's are (so pytest-asyncio
    and fixtures work as anywhere), each a stand-in that calls the function the doc's
    blocks defined."""

    def __init__(
        self, *, document: Document, defined: dict[str, DefinedTest], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.document = document
        self.defined = defined

    def _getobj(self) -> types.ModuleType:
        module = types.ModuleType(f"docs_{self.path.stem}")
        module.__file__ = str(self.path)
        for found in self.defined.values():
            setattr(module, found.name, _stand_in(self.document, found))
        return module


def _stand_in(document: Document, found: DefinedTest) -> Callable[..., Any]:
    def defined() -> Callable[..., Any]:
        function = document.namespace.get(found.name)
        if not callable(function):
            pytest.fail(
                f"{found.name} (line {found.line}) was not defined: the blocks before it did not"
                " all run (run the whole file; a failing block is reported on its own)",
                pytrace=False,
            )
        return function

    if found.is_async:

        async def stand_in(**fixtures: Any) -> Any:
            __tracebackhide__ = True
            return await defined()(**fixtures)
    else:

        def stand_in(**fixtures: Any) -> Any:
            __tracebackhide__ = True
            return defined()(**fixtures)

    stand_in.__name__ = stand_in.__qualname__ = found.name
    # pytest reads the fixtures from the signature, and the location from the code object:
    # the doc's, so that the report names the Markdown file and the test's line.
    stand_in.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY) for name in found.parameters]
    )
    stand_in.__code__ = stand_in.__code__.replace(
        co_filename=document.path, co_firstlineno=found.line
    )
    return stand_in


class AssertingEvaluator(PythonEvaluator):
    """Sybil's ``PythonEvaluator``, with pytest's assertion rewriting: a failing ``assert``
    in a doc says what the values were, as in any test module."""

    def __call__(self, example: Example) -> None:
        __tracebackhide__ = True
        source = pad(example.parsed, example.line + example.parsed.line_offset)
        tree = ast.parse(source, example.path)
        rewrite_asserts(tree, source.encode(), Path(example.path))
        code = compile(tree, example.path, "exec", flags=self.flags, dont_inherit=True)
        exec(code, example.namespace)  # the convention: plain exec, one namespace per file
        del example.namespace["__builtins__"]


class AssertingPythonCodeBlockParser(PythonCodeBlockParser):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.codeblock_parser = self.codeblock_parser_class("python", AssertingEvaluator())


DOCS_SYBIL = Sybil(
    parsers=[AssertingPythonCodeBlockParser(), SkipParser(), ClearNamespaceParser()],
    path=str(ROOT),
    patterns=["*.md"],
    fixtures=DOCS_FIXTURES,
)
