"""Writing the package: every template, rendered or copied, into a new or empty folder."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from switchboard.config.errors import InvalidArgumentError
from switchboard.worker.scaffold import integration_names, template_files, write_package

ROOT = Path(__file__).resolve().parents[3]
TEMPLATES = ROOT / "worker" / "scaffold" / "package-template"
WRITTEN = {
    "README.md",
    "pyproject.toml",
    "src/switchboard_acme_chat/__init__.py",
    "src/switchboard_acme_chat/integration.py",
    "src/switchboard_acme_chat/py.typed",
    "src/switchboard_acme_chat/static/icon.png",
    "src/switchboard_acme_chat/static/icon@2x.png",
    "tests/test_switchboard_acme_chat.py",
}


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_package_is_written_with_every_name_rendered(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    written = write_package(integration_names("acme-chat"), target)
    assert {p.relative_to(target).as_posix() for p in written} == WRITTEN
    texts = {p.name: p.read_text() for p in written if p.suffix in {".py", ".toml", ".md"}}
    for name, text in texts.items():
        assert not {"{{", "{%"} & {text[i : i + 2] for i in range(len(text))}, name
    pyproject = texts["pyproject.toml"]
    assert 'name = "switchboard-acme-chat"' in pyproject
    assert 'acme-chat = "switchboard_acme_chat.integration:AcmeChatIntegration"' in pyproject
    assert 'asyncio_mode = "auto"' in pyproject
    module = texts["integration.py"]
    assert "class AcmeChatForm(ConfigForm):" in module
    assert "class AcmeChatIntegration(Integration):" in module
    assert 'integration_id = "acme-chat"' in module
    assert 'self.subscribe("review.published"' in module
    assert (
        "from switchboard_acme_chat import AcmeChatIntegration"
        in texts["test_switchboard_acme_chat.py"]
    )
    assert "switchboard integrations list" in texts["README.md"]


def test_the_icons_are_copied_byte_for_byte_as_1x_and_2x_pngs(tmp_path: Path) -> None:
    write_package(integration_names("acme-chat"), tmp_path)
    static = tmp_path / "src" / "switchboard_acme_chat" / "static"
    assert _png_size((static / "icon.png").read_bytes()) == (32, 32)
    assert _png_size((static / "icon@2x.png").read_bytes()) == (64, 64)
    template = TEMPLATES / "src" / "{{package}}" / "static" / "icon@2x.png"
    assert (static / "icon@2x.png").read_bytes() == template.read_bytes()


def test_the_templates_are_read_as_package_data_every_one() -> None:
    found = {path.as_posix() for path, _ in template_files()}
    on_disk = {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*") if p.is_file()}
    assert found == on_disk
    assert len(found) == len(WRITTEN)


def test_an_empty_folder_is_written_into(tmp_path: Path) -> None:
    written = write_package(integration_names("acme-chat"), tmp_path)
    assert len(written) == len(WRITTEN)


def test_a_folder_with_anything_in_it_is_refused_and_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    with pytest.raises(InvalidArgumentError, match="is not empty"):
        write_package(integration_names("acme-chat"), tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [".git"]


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "acme").write_text("mine")
    with pytest.raises(InvalidArgumentError, match="exists and is not a folder"):
        write_package(integration_names("acme-chat"), tmp_path / "acme")
    assert (tmp_path / "acme").read_text() == "mine"
