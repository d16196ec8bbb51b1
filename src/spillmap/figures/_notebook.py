"""How spillmap's figures show in Jupyter: the :class:`SpillmapFigure` every figure function returns.

spillmap builds its figures without pyplot (an off-screen Agg canvas: :func:`spillmap.figures._style.new_figure`).
IPython shows a matplotlib ``Figure`` as an image only through the PNG formatter that pyplot's inline backend
registers when it is first activated (``%matplotlib inline``, or a first ``plt.subplots()``): before that a
figure showed as the text ``<Figure size 650x500 with 1 Axes>`` (notebook audit 32 #2).

The fix chosen here is the object's own rich display, not a formatter registered on the user's IPython: a
:class:`SpillmapFigure` is a ``Figure`` with a ``_repr_png_`` method, which IPython (any Jupyter front end)
calls when no formatter is registered for ``Figure``.

- Nothing global changes and IPython is never imported: registering IPython's formatter for ``Figure``
  (``IPython.core.pylabtools.select_figure_formats``) would change how every figure of the session shows,
  the user's own included, and under ``%matplotlib widget`` (ipympl) it would add a static image to each of
  the user's interactive figures, or fail on ours (``select_figure_formats`` re-shows a figure through its
  pyplot manager, which an off-screen figure has not).
- When the inline backend is active, its formatter (registered for ``Figure``, so for this subclass) wins and
  the user's ``%config InlineBackend`` settings apply, as they did before.
- The image is drawn with matplotlib's expected log lines silenced (:func:`~spillmap.figures._style.quiet_matplotlib`)
  and at the figure's own size and resolution (``fig.dpi``, 100 by default: a 6.5 x 5 in map is 650 x 500 px),
  laid out as :func:`~spillmap.figures.save_figure` writes it (no ``bbox_inches="tight"`` cropping).
"""
from __future__ import annotations

import io

from matplotlib.figure import Figure

__all__ = ["SpillmapFigure"]


class SpillmapFigure(Figure):
    """A matplotlib :class:`~matplotlib.figure.Figure` that shows itself as a PNG image in Jupyter
    (``_repr_png_``) without ``%matplotlib inline``; in every other respect a ``Figure``."""

    def _repr_png_(self) -> bytes:
        """The figure as PNG bytes at its own resolution (``self.dpi``), for IPython's display."""
        from spillmap.figures._style import quiet_matplotlib

        buf = io.BytesIO()
        with quiet_matplotlib():
            self.savefig(buf, format="png", dpi=self.dpi)
        return buf.getvalue()
