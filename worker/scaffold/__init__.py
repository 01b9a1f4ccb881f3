"""A new integration package, written from templates (``switchboard new-integration``):

names.py      IntegrationNames: the distribution, package, class and id from one name
writer.py     write_package: the templates (package-template/, package data)
              rendered by Jinja2 into a new folder
"""

from .names import IntegrationNames, integration_names
from .writer import EVENT_TYPE, check_target, template_files, write_package

__all__ = [
    "EVENT_TYPE",
    "IntegrationNames",
    "check_target",
    "integration_names",
    "template_files",
    "write_package",
]
