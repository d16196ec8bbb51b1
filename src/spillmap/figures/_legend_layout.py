"""Where a figure's legends and titles go: a legend under the axes (or inside them when the layout
makes no room), one shared legend under all panels, and axes titles wrapped to their axes' width.

matplotlib lays out; these helpers measure what it drew (tick labels, titles) and place or
break the text so that nothing runs over the data, the axes below or the figure's edge.
"""
from __future__ import annotations

from spillmap.figures._style import makes_room


def _legend_below(ax, **kwargs):
    """A legend centred under the axes' x label (tick labels and label measured in points), off the data,
    where a constrained layout makes room; else (a user's ``plt.subplots()``, ``ax=``) inside, where it
    covers least: under them it ran over the axes below (notebook audit 32 #13)."""
    from matplotlib.transforms import ScaledTranslation

    fig = ax.figure
    if not makes_room(fig):
        return ax.legend(loc="best", frameon=True, framealpha=0.9, edgecolor="#cccccc", **kwargs)
    below = ax.bbox.y0 - ax.xaxis.get_tightbbox().y0  # pixels at fig.dpi (renderer: the figure's own)
    shift = ScaledTranslation(0, -(below / fig.dpi + 2 / 72), fig.dpi_scale_trans)
    return ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=ax.transAxes + shift,
                     frameon=False, **kwargs)


def wrap_titles(fig) -> None:  # noqa: ANN001 - a matplotlib Figure
    """Break each axes title of ``fig`` at spaces into lines no wider than its axes, as laid out (newcomer
    audit 29 #4.4: "Gross state product (log), EP" ran past the right edge of a 3-column figure)."""
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)  # the axes' widths as drawn
    renderer = fig._get_renderer()
    for ax in fig.axes:
        for text in (ax.title, getattr(ax, "_left_title", None), getattr(ax, "_right_title", None)):
            if text is None or not text.get_text() or text.get_window_extent(renderer).width <= ax.bbox.width:
                continue
            lines: list[str] = []
            for word in text.get_text().split():
                text.set_text(f"{lines[-1]} {word}" if lines else word)
                if lines and text.get_window_extent(renderer).width <= ax.bbox.width:
                    lines[-1] = text.get_text()
                else:
                    lines.append(word)
            text.set_text("\n".join(lines))


def shared_legend(fig, axes, *, ncol: int = 4):  # noqa: ANN001, ANN201 - a Figure, its Axes, a Legend
    """One legend under all panels of ``fig`` for the entries of ``axes`` (each label once, in the
    order first met), instead of one legend per panel (paper audit 27 #8: four legends of a 2 x 2
    Moran trend took a third of its height).  Placed ``outside lower center``: a constrained layout
    makes room and :func:`~spillmap.figures._style.add_notice` raises it above the notice.

    Parameters
    ----------
    fig
        The figure (constrained layout).
    axes
        Its panels, whose labelled artists make the entries.
    ncol
        Columns of the legend (default 4, fewer when there are fewer entries, or than fit a figure narrower
        than 5 in: :func:`spillmap.figures._narrow.fitting_ncol`).

    Returns
    -------
    matplotlib.legend.Legend
    """
    from spillmap.figures._narrow import PAD_IN, fitting_ncol, is_narrow

    entries: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if is_narrow(fig):  # a journal's column: as many columns as fit its width
        ncol = fitting_ncol(list(entries), fig.get_size_inches()[0] - 4 * PAD_IN, ncol)
    return fig.legend(list(entries.values()), list(entries), loc="outside lower center",
                      ncol=max(1, min(ncol, len(entries))), frameon=False)
