"""Offline HTML for Folium maps: Leaflet inlined, no CDN, atomic writing.

Library used: **folium** builds the map object model (``folium.Map``, layers, layer
control) and renders it through its Jinja templates.  What is written by hand, and why:

* **Assets.**  By default folium's HTML head links eleven remote files (Leaflet, jQuery,
  Bootstrap JS/CSS, glyphicons, Font Awesome, Leaflet.awesome-markers, ...) from CDNs,
  so a map opened on a machine without network shows nothing.  spillmap's maps only
  use Leaflet (polygons, tooltips, a layer control and HTML legend controls written
  with plain DOM calls), so :func:`render_html` drops every folium default asset and
  **inlines the vendored Leaflet 1.9.4** (``maps/static/leaflet-1.9.4``: ``leaflet.js``,
  ``leaflet.css`` with its layer-control icons as data URIs; BSD-2-Clause, licence file
  shipped next to it).  A map element that needs any *other* remote asset (a folium
  plugin, a marker icon set) raises :class:`~spillmap.errors.OutputError` in offline
  mode instead of silently producing a broken page.

* **Why not ``folium-offline``.**  We evaluated PyPI ``folium-offline`` 0.20.0.2: it
  does *not* patch ``folium``; it installs a second, forked copy named
  ``offlinefolium`` (all folium modules copied, with ~7 MB of assets as Python string
  literals in ``elements.py``/``features.py``) and inlines *all* of jQuery, Bootstrap
  and Font Awesome into every page.  Code would have to import the fork instead of
  folium, it lags folium releases, ships no licence files for the bundled assets, and
  each map would grow by ~1 MB of unused scripts.  Vendoring one file (Leaflet) is
  smaller, auditable and keeps the real folium.

* **Online mode.**  ``render_html(m, offline=False)`` keeps folium's defaults (CDN
  links), for users who want tiles and plugins.  An offline render refuses a remote tile
  layer (``tiles="OpenStreetMap"``) with an :class:`~spillmap.errors.OutputError` naming
  ``tiles=``: the page would fetch its tiles from the network.

* **Display and ``m.save()``** (:mod:`spillmap.maps._display`).  The maps spillmap creates are
  :class:`~spillmap.maps._display.OfflineMap`, a
  ``folium.Map`` whose notebook display (``_repr_html_``) and ``save`` use
  :func:`render_html`, so they load nothing from a CDN either.  A map that needs remote
  files (tiles, a plugin) is then shown or saved with folium's CDN links and a one-line
  :class:`~spillmap.errors.SpillmapWarning` saying so; :func:`save_map` refuses it.

* **Rendered before.**  folium's first render (a notebook display, ``get_root().render()``)
  leaves the CDN ``<script>``/``<link>`` tags of the default assets in the figure's
  header; the offline render drops those tags from its copy.

* **Stable element ids.**  folium/branca give every element a random 32-hex ``_id``
  (``map_<hex>``, ``spillmap_layer_<hex>``...), so two renders of equal maps differ.
  :func:`render_html` replaces each id in the page by a hash of the element's place in
  the element tree (its path of child positions and class names): the same inputs give
  byte-identical pages, and distinct elements keep distinct ids.

Pages are written with :func:`spillmap._fileio.atomic_write_text`.
"""
from __future__ import annotations

import base64
import copy
import functools
import hashlib
import os
import re
from importlib import resources
from pathlib import Path

import folium
from branca.element import CssLink, Figure, JavascriptLink, MacroElement
from folium.elements import ElementAddToElement
from folium.raster_layers import TileLayer, WmsTileLayer

from spillmap._fileio import atomic_write_text, preflight
from spillmap.maps._elements import RenderedText
from spillmap.errors import OutputError

__all__ = ["LEAFLET_VERSION", "leaflet_assets", "render_html", "save_map", "remote_urls"]

LEAFLET_VERSION = "1.9.4"
_STATIC = f"static/leaflet-{LEAFLET_VERSION}"

#: folium default assets that spillmap's own map elements never need
_UNUSED_DEFAULTS = frozenset(
    {
        "jquery",
        "bootstrap",
        "bootstrap_css",
        "glyphicons_css",
        "awesome_markers",
        "awesome_markers_css",
        "awesome_rotate_css",
        "awesome_markers_font_css",
        "leaflet",
        "leaflet_css",
    }
)

_REMOTE_RE = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)""",
    re.IGNORECASE,
)
#: tile layers (``L.tileLayer("https://...")``, ``L.tileLayer.wms(...)``): fetched when shown
_TILE_RE = re.compile(r"""L\.tileLayer(?:\.wms)?\(\s*["']((?:https?:)?//[^"'\s]+)""")
_REMOTE_URL = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


def _static_file(name: str) -> Path:
    return Path(str(resources.files("spillmap.maps").joinpath(f"{_STATIC}/{name}")))


@functools.lru_cache(maxsize=1)
def leaflet_assets() -> tuple[str, str]:
    """The vendored Leaflet ``(javascript, css)`` as text, CSS images as data URIs."""
    js = _static_file("leaflet.js").read_text(encoding="utf-8")
    css = _static_file("leaflet.css").read_text(encoding="utf-8")

    def _data_uri(match: re.Match) -> str:
        path = _static_file(f"images/{match.group(1)}")
        if not path.is_file():  # marker icons are not shipped: markers are not used
            return match.group(0)
        return "url(data:image/png;base64," + base64.b64encode(path.read_bytes()).decode() + ")"

    css = re.sub(r"url\(images/([\w.-]+)\)", _data_uri, css)
    # the remaining marker-icon url() is relative, never fetched unless a marker is drawn
    return js, css


def _walk(element):
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def _tree(element, path: str = ""):
    """``(path, element)`` over the element tree; the path is positions and class names."""
    here = f"{path}/{getattr(type(element), '_tree_name', type(element).__name__)}"
    yield here, element
    for i, child in enumerate(list(getattr(element, "_children", {}).values())):
        yield from _tree(child, f"{here}.{i}")


_HEX32 = re.compile(r"[0-9a-f]{32}")


def _stable_ids(root, html: str) -> str:
    """``html`` with every element's random ``_id`` replaced by a hash of its tree path."""
    ids: dict[str, str] = {}
    for path, element in _tree(root):
        old = getattr(element, "_id", None)
        if isinstance(old, str) and _HEX32.fullmatch(old) and old not in ids:
            ids[old] = hashlib.sha256(path.encode()).hexdigest()[:32]
    # str.replace per id (5-20 per page) instead of a regex over the whole page: the geometry's
    # digits made the regex try a match at every position (0.2 s per 3 MB page); ids occur only as
    # whole 32-hex names, and no new id (a sha256 prefix) contains an old one
    for old, new in ids.items():
        html = html.replace(old, new)
    return html


def _default_assets(m: folium.Map) -> list[tuple[object, list[tuple[str, str]]]]:
    """``(element, [(name, url), ...])`` of every element in ``m`` with folium default assets."""
    out = []
    for element in _walk(m):
        js = getattr(element, "default_js", None)
        css = getattr(element, "default_css", None)
        if js is not None or css is not None:
            out.append((element, list(js or []) + list(css or [])))
    return out


def _check_assets(m: folium.Map) -> None:
    """Refuse elements that need remote assets other than folium's unused defaults."""
    for element, assets in _default_assets(m):
        needed = [name for name, _ in assets if name not in _UNUSED_DEFAULTS]
        if needed:
            raise OutputError(
                f"map element {type(element).__name__} needs remote assets "
                f"({', '.join(needed)}) that spillmap does not vendor; "
                "remove it or write the map with offline=False."
            )


def _check_tiles(m: folium.Map) -> None:
    """Refuse tile layers fetched from the network (``tiles="OpenStreetMap"``)."""
    for element in _walk(m):
        if isinstance(element, TileLayer):
            name, url = element.tile_name, str(element.tiles)
        elif isinstance(element, WmsTileLayer):
            name, url = element.layer_name, str(element.url)
        else:
            continue
        if _REMOTE_URL.match(url):
            raise OutputError(
                f"tiles={name!r} loads map tiles from {url}, which an offline page cannot show: "
                "make the map with tiles=None, or write it with offline=False."
            )


def _check_offline(m: folium.Map) -> None:
    """Everything that keeps ``m`` from an offline page, checked before rendering."""
    _check_assets(m)
    _check_tiles(m)


def _strip_remote_assets(m: folium.Map) -> None:
    """Drop folium's default CDN assets from ``m`` (checked by :func:`_check_assets`).

    A map rendered before (a notebook display) already has their ``<script>``/``<link>``
    tags in its figure's header: those are removed as well.
    """
    rendered = set()
    for element, assets in _default_assets(m):
        rendered.update(assets)
        # instance attributes shadow the class lists; folium's render reads self.default_*
        element.default_js = []
        element.default_css = []
    root = m.get_root()
    if isinstance(root, Figure):
        _drop_links(root.header, rendered)


def _forget_render(m: folium.Map) -> None:
    """Undo what an earlier folium render of ``m`` (a notebook display) left in its figure.

    Each element's render puts its parts into the figure's header/html/script under its
    name, and ``Layer.render`` adds a fresh ``<layer>.addTo(<map>)`` child, named
    ``<layer>_add``, on every render.  Left in place, the page would add each layer twice
    and keep the parts in the earlier order; removed, the render gives the page of a map
    never rendered.  Parts added to the figure by hand (not by an element) are kept.
    """
    root = m.get_root()
    if not isinstance(root, Figure):
        return
    names = set()
    for element in list(_walk(m)):
        names.add(element.get_name())
        added = element._children.get(f"{element.get_name()}_add")
        if isinstance(added, ElementAddToElement):
            names.add(added.get_name())
            del element._children[f"{element.get_name()}_add"]
    for part in (root.header, root.html, root.script):
        for name in names & set(part._children):
            del part._children[name]


def _drop_links(header, assets: set[tuple[str, str]]) -> None:
    """Remove the link children of ``header`` that folium's render made from ``assets``."""
    for name, child in list(header._children.items()):
        if isinstance(child, (JavascriptLink, CssLink)) and (name, child.url) in assets:
            del header._children[name]


class _InlineAssets(MacroElement):
    """Puts the vendored Leaflet script and stylesheet into the page head."""

    def render(self, **kwargs) -> None:
        figure = self.get_root()
        js, css = leaflet_assets()
        # as text, not Element(...): branca would compile Leaflet's 150 kB as a jinja2 template
        figure.header.add_child(
            RenderedText(f"<!-- Leaflet {LEAFLET_VERSION} (BSD-2-Clause), inlined by spillmap -->"
                         f"<script>{js}</script>"),
            name="spillmap_leaflet_js",
            index=0,
        )
        figure.header.add_child(RenderedText(f"<style>{css}</style>"), name="spillmap_leaflet_css")
        super().render(**kwargs)


def render_html(m: folium.Map, *, offline: bool = True) -> str:
    """Render a map to a complete HTML page.

    Parameters
    ----------
    m
        The map.
    offline
        Inline the vendored Leaflet and drop every remote script/stylesheet (default).
        ``False`` keeps folium's CDN links (needs network when the page is opened).

    Returns
    -------
    str
        The page.  In offline mode it contains no ``http(s)://`` script/link source and
        no remote tile layer.

    Raises
    ------
    OutputError
        In offline mode, for a map element that needs remote assets (a folium plugin) or
        a remote tile layer (``tiles="OpenStreetMap"``).
    """
    if not isinstance(m, folium.Map):
        raise OutputError(f"render_html needs a folium.Map, got {type(m).__name__}.")
    if offline:
        _check_offline(m)
    # folium's render is not idempotent (a second render repeats layer.addTo calls and
    # header assets): render a copy so that the caller's map can be rendered again
    m = copy.deepcopy(m)
    _forget_render(m)
    if offline:
        _strip_remote_assets(m)
        root = m.get_root()
        if not isinstance(root, Figure):  # pragma: no cover - folium always has one
            raise OutputError("the map is not attached to a figure.")
        if "spillmap_inline_assets" not in m._children:
            m.add_child(_InlineAssets(), name="spillmap_inline_assets")
    root = m.get_root()
    html = _with_title(_stable_ids(root, root.render()))
    if offline:
        remote = remote_urls(html)
        if remote:
            raise OutputError(
                "offline map still references remote files: " + ", ".join(remote[:5])
            )
    return html


def _with_title(page: str) -> str:
    """``page`` with a ``<title>`` in its head: a map without a title box (which writes the
    title, see :class:`~spillmap.maps._controls.Title`) gets a generic one, so the browser
    tab never shows the file name alone."""
    head = page.find("</head>")
    if head < 0 or "<title>" in page[:head]:
        return page
    start = page.find("<head>")
    at = start + len("<head>") if 0 <= start < head else head
    return page[:at] + "<title>spillmap map</title>" + page[at:]


def remote_urls(html: str) -> list[str]:
    """The ``http(s)://`` or protocol-relative URLs a page loads.

    Parameters
    ----------
    html
        A page.

    Returns
    -------
    list of str
        The sources of its script/link/img/iframe tags, then its Leaflet tile-layer URLs.
    """
    return _REMOTE_RE.findall(html) + _TILE_RE.findall(html)


def save_map(
    m: folium.Map, path: str | os.PathLike, *, offline: bool = True, overwrite: bool = False
) -> Path:
    """Render ``m`` (see :func:`render_html`) and write it atomically to ``path``.

    An existing ``path`` is replaced only with ``overwrite=True``; the target is
    checked (see :func:`spillmap._fileio.preflight`) before the map is rendered.

    Parameters
    ----------
    m
        The map.
    path
        The HTML file to write.
    offline
        ``True`` (default): inline the vendored Leaflet, no remote script or tile layer (see
        :func:`render_html`, which raises for maps that need them); ``False`` keeps folium's CDN links.
    overwrite
        Replace an existing file (default ``False``: an error).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    preflight([path], force=overwrite)
    return atomic_write_text(path, render_html(m, offline=offline), overwrite=overwrite)
