"""Import a WordPress site (a WXR 1.0/1.1/1.2 export plus its uploads folder) into Wagtail.

::

    wxr.py       the export file       -> WxrExport (items, authors), parsed safely
    content.py   Gutenberg blocks, shortcodes, classic HTML -> StreamField blocks (pure)
    importer.py  a WxrExport            -> pages, library files, comments, redirects
    report.py    WpReport: every item imported, merged or skipped with its reason

``import_wordpress()`` runs it all; ``manage.py import_wordpress`` wraps it.
"""

from .importer import import_wordpress
from .report import ItemOutcome, WpReport
from .wxr import WxrError, read_wxr, read_wxrs

__all__ = ["ItemOutcome", "WpReport", "WxrError", "import_wordpress", "read_wxr", "read_wxrs"]
