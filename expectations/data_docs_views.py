"""Data Docs views that compile GX's page templates once per process, not once per check.

GX's views (``great_expectations.render.view``) each make a new jinja2 ``Environment``, and GX makes new views
every time it builds the Data Docs site, so every check compiled the same templates again (about 50 of them).
These subclasses render exactly as GX's do, with one ``Environment`` shared by the views of a class (and of the
same custom template folders), so a template is compiled the first time a page uses it in a process.

The project's Data Docs site names these classes (see ``expectations.runner``); GX imports this module when it
builds the site, after it is itself imported, so importing GX here costs nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView

if TYPE_CHECKING:
    from jinja2 import Environment

# Environments kept (by view class and custom template folders): one GX project in a refresh needs two (page and
# index); tests use a project per temporary folder, each with its own custom folders, hence a bound.
ENVIRONMENTS_KEPT = 8


class SharedEnvironment:
    """Mixin: after GX's ``__init__`` (everything set as GX sets it), use the ``Environment`` of the first
    view made with the same class and custom folders. Its filters are bound methods of that first view; they
    read only the class and the arguments of ``render``, the custom folders are part of the key, so any view
    of the key renders the same with them."""

    _environments: ClassVar[dict[tuple, Environment]] = {}

    def __init__(self, custom_styles_directory=None, custom_views_directory=None) -> None:
        super().__init__(custom_styles_directory, custom_views_directory)
        key = (type(self), custom_styles_directory, custom_views_directory)
        environments = SharedEnvironment._environments
        if key in environments:
            self.env = environments.pop(key)  # popped and put back: the least recently used goes first
        environments[key] = self.env
        while len(environments) > ENVIRONMENTS_KEPT:
            del environments[next(iter(environments))]


class SharedJinjaPageView(SharedEnvironment, DefaultJinjaPageView):
    """GX's page view (suite and validation pages) with a shared ``Environment``."""


class SharedJinjaIndexPageView(SharedEnvironment, DefaultJinjaIndexPageView):
    """GX's index page view with a shared ``Environment``."""
