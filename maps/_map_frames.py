"""The report page's map frames, each loaded when it comes near the window.

Chromium ignores ``loading="lazy"`` on a page opened from disk (``file://``), which is how a report is
read: the demo report's 11 map frames (37 MB of pages) all loaded with ``index.html``, 20 s on the CI
machine against 1 s for the page without them; served over http the same frames waited.  So a frame
carries its page in ``data-src`` and :data:`LOAD_NEAR_JS`, at the end of the page, sets ``src`` when the
frame comes within :data:`NEAR_PX` of the window (an IntersectionObserver; every frame at once in a
browser without one).  ``loading="lazy"`` stays for a page served over http.  Printing shows the
static figures instead of the frames (``maps/report.py``'s print style).  Written here: nothing of the
field's libraries lays out a report page.

Verification: ``tests/test_browser.py`` (network off): the demo report opened from disk loads no frame;
on a page of small frames only those within :data:`NEAR_PX` of the window load, more as it scrolls;
``tests/test_report.py`` checks the markup.
"""
from __future__ import annotations

import html

__all__ = ["map_frame", "LOAD_NEAR_JS", "NEAR_PX"]

#: a frame starts loading when it is this many pixels from the window (about a screen ahead of the reader)
NEAR_PX = 800

LOAD_NEAR_JS = (
    "<script>(function () {"
    "var frames = Array.prototype.slice.call(document.querySelectorAll('iframe[data-src]'));"
    "function load(f) { if (!f.getAttribute('src')) { f.setAttribute('src', f.getAttribute('data-src')); } }"
    "if (!('IntersectionObserver' in window)) { frames.forEach(load); return; }"
    "var near = new IntersectionObserver(function (entries) { entries.forEach(function (e) {"
    " if (e.isIntersecting) { load(e.target); near.unobserve(e.target); } }); },"
    f" {{rootMargin: '{NEAR_PX}px 0px'}});"
    "frames.forEach(function (f) { near.observe(f); });"
    "})();</script>"
)


def map_frame(page: str, title: str) -> str:
    """``<iframe data-src="maps/PAGE" ...>`` of the report's map ``page`` (a path relative to the report),
    loaded by :data:`LOAD_NEAR_JS` when it comes near the window."""
    return (f'<iframe data-src="{html.escape(page)}" loading="lazy" title="{html.escape(title)}"></iframe>')
