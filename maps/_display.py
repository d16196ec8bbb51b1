"""How spillmap's maps display in a notebook and save themselves: :class:`OfflineMap`, the
``folium.Map`` the map functions return, whose ``_repr_html_`` and ``save`` use
:func:`spillmap.maps._offline.render_html` (Leaflet inlined, no CDN).  Split from
:mod:`spillmap.maps._offline`; written by hand (folium's display and ``save`` link CDN assets).
"""
from __future__ import annotations

import html as _html
import os
import warnings
from typing import BinaryIO

import folium
from branca.element import Figure

from spillmap.errors import OutputError, SpillmapWarning
from spillmap.maps._offline import render_html

__all__ = ["OfflineMap"]


def _display_page(m: folium.Map) -> str:
    """The offline page of ``m``; folium's CDN page, with a warning, if ``m`` needs the network."""
    try:
        return render_html(m)
    except OutputError as exc:
        warnings.warn(f"{exc} Shown with folium's CDN links instead (needs network).",
                      SpillmapWarning, stacklevel=3)
        return render_html(m, offline=False)


def _iframe(page: str, figure: Figure) -> str:
    """``page`` in an ``<iframe srcdoc>`` sized like folium's notebook display of ``figure``."""
    doc = _html.escape(page, quote=True)
    style = "border:none !important;"
    if figure.height is None:
        return (f'<div style="width:{figure.width};"><div style="position:relative;width:100%;height:0;'
                f'padding-bottom:{figure.ratio};"><iframe srcdoc="{doc}" style="position:absolute;width:100%;'
                f'height:100%;left:0;top:0;{style}" allowfullscreen></iframe></div></div>')
    return f'<iframe srcdoc="{doc}" width="{figure.width}" height="{figure.height}" style="{style}"></iframe>'


class OfflineMap(folium.Map):
    """The ``folium.Map`` spillmap's map functions return: displayed and saved offline.

    A notebook display (``_repr_html_``) and :meth:`save` use :func:`render_html`: the
    vendored Leaflet inlined, no CDN.  A map that needs remote files (``tiles=``, a folium
    plugin) falls back to folium's CDN page with a one-line
    :class:`~spillmap.errors.SpillmapWarning`.  Everything else is ``folium.Map``.
    """

    #: element ids of the page hash the class names: the same page as a plain folium.Map
    _tree_name = "Map"

    def _repr_html_(self, **kwargs: object) -> str:
        """The map as an ``<iframe>`` holding its offline page (Jupyter display).

        Returns
        -------
        str
            The iframe HTML.
        """
        root = self.get_root()
        figure = root if isinstance(root, Figure) else Figure()
        return _iframe(_display_page(self), figure)

    def save(self, outfile: str | bytes | os.PathLike | BinaryIO, close_file: bool = True, **kwargs) -> None:
        """Write the offline page (as :func:`render_html`) to ``outfile``, as folium does.

        Parameters
        ----------
        outfile
            Path (replaced if it exists, as ``folium.Map.save``) or binary file object.
            :func:`save_map` writes atomically and keeps an existing file.
        close_file
            Close ``outfile`` after writing.
        """
        data = _display_page(self).encode("utf-8")
        fid = open(outfile, "wb") if isinstance(outfile, (str, bytes, os.PathLike)) else outfile
        fid.write(data)
        if close_file:
            fid.close()
