"""The naming rule: one name in, every name of the package out; bad names refused."""

from __future__ import annotations

import keyword
import sys

import pytest
from packaging.utils import InvalidName, canonicalize_name

from switchboard.config.errors import InvalidArgumentError
from switchboard.worker.scaffold import IntegrationNames, integration_names

ACME_CHAT = IntegrationNames(
    short="acme-chat",
    distribution="switchboard-acme-chat",
    package="switchboard_acme_chat",
    class_name="AcmeChatIntegration",
    form_name="AcmeChatForm",
    title="Acme Chat",
)


@pytest.mark.parametrize(
    "name",
    ["acme-chat", "Acme_Chat", "ACME..chat", "switchboard-acme-chat", "Switchboard_Acme-Chat"],
)
def test_spellings_of_one_name_make_the_same_package(name: str) -> None:
    names = integration_names(name)
    assert names == ACME_CHAT
    assert names.integration_id == names.entry_point == "acme-chat"


def test_the_distribution_is_the_canonical_form_packaging_gives() -> None:
    for name in ("Acme_Chat", "x", "zulip", "a.b-c_d"):
        names = integration_names(name)
        assert names.distribution == canonicalize_name(f"switchboard-{name}", validate=True)


@pytest.mark.parametrize("name", ["json", "class", "os", "switchboard-worker", "typing"])
def test_the_package_is_prefixed_so_it_shadows_no_module_and_is_no_keyword(name: str) -> None:
    package = integration_names(name).package
    assert package.isidentifier()
    assert not keyword.iskeyword(package)
    assert package not in sys.stdlib_module_names
    assert package.startswith("switchboard_")
    assert package != "switchboard"


@pytest.mark.parametrize("name", ["bad name", "-acme", "acme-", "acmé", "a/b", "", "acme!"])
def test_an_invalid_distribution_name_is_refused_as_packaging_refuses_it(name: str) -> None:
    with pytest.raises(InvalidName):
        canonicalize_name(name, validate=True)
    with pytest.raises(InvalidArgumentError, match="is not a valid distribution name"):
        integration_names(name)


@pytest.mark.parametrize("name", ["switchboard", "Switchboard", "SWITCHBOARD"])
def test_switchboards_own_name_is_refused(name: str) -> None:
    with pytest.raises(InvalidArgumentError, match="is Switchboard's own name"):
        integration_names(name)


@pytest.mark.parametrize("name", ["1password", "switchboard-2fa"])
def test_a_name_that_would_make_a_class_name_no_identifier_is_refused(name: str) -> None:
    with pytest.raises(InvalidArgumentError, match="must start with a letter") as raised:
        integration_names(name)
    assert "is not a Python identifier" in str(raised.value)
