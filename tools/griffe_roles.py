"""A griffe extension for the API pages: the docstrings' reStructuredText roles as Markdown code.

The code's docstrings cross-reference with Sphinx roles (``:func:`degrade_with_params```,
``:class:`~blurgen.config.DegradeConfig```), which Markdown would print as written. Each becomes an
inline code span of the name (``~`` drops the dotted prefix, as Sphinx does). The code is unchanged.
"""
from __future__ import annotations

import re

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")


def markdown_roles(text: str) -> str:
    """``text`` with each role replaced by a code span of its target."""
    def span(m: re.Match) -> str:
        target = m.group(2).strip()
        return f"`{target.rpartition('.')[2] if m.group(1) else target}`"
    return _ROLE.sub(span, text)


class SphinxRoles(griffe.Extension):
    """Rewrite the roles of every loaded object's docstring."""

    def on_object(self, *, obj, **kwargs) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown_roles(obj.docstring.value)
