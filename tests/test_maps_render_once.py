"""RenderOnce: the rendered parts of spillmap's map elements go into the page as text."""
from __future__ import annotations

import re

import folium
from branca.element import MacroElement
from folium.template import Template

from spillmap.maps._elements import RenderOnce

_TEMPLATE = """{% macro header(this, kwargs) %}<style>.x { color: red; }</style>
{% endmacro %}{% macro html(this, kwargs) %}<p>{{ this.text }}</p>
{% endmacro %}{% macro script(this, kwargs) %}var a = {"b": {"c": 1}};
{% endmacro %}"""


class _Branca(MacroElement):
    _template = Template(_TEMPLATE)

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class _Once(RenderOnce):
    _template = Template(_TEMPLATE)

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _page(element) -> str:
    m = folium.Map(tiles=None)
    element.add_to(m)
    html = m.get_root().render()
    return re.sub(r"[0-9a-f]{32}", "ID", html)  # element ids are random here


def test_same_page_as_brancas_own_render():
    # the same bytes as branca's MacroElement.render (which compiles each part again as a template)
    assert _page(_Once("plain text")) == _page(_Branca("plain text"))


def test_text_that_looks_like_jinja_is_kept():
    # branca's second template pass would eat "{{ b }}" and "{# c #}"; the text must arrive as written
    page = _page(_Once("a {{ b }} {# c #} d"))
    assert "<p>a {{ b }} {# c #} d</p>" in page
    assert "<p>a {{ b }} {# c #} d</p>" not in _page(_Branca("a {{ b }} {# c #} d"))
