"""Benchmark: import the WP Test export (``../shared/corpora/wptest``) into a fresh CMS.

Prints the figures an import is judged by: items seen, pages made, items skipped
(with their reasons), redirects, comments, images and documents, warnings, and
seconds for the first import and for a second one of the same file (a no-op).

Usage: ``python bench/import_wordpress.py [--keep DIR]``. Touches no network.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.cms_process import CMSProcess  # noqa: E402
from tests.corpora import corpora_dir, missing_message  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (default: a temp dir)")
    args = parser.parse_args()
    corpus = corpora_dir() / "wptest"
    if not (corpus / "wptest.xml").is_file():
        print(missing_message(corpus), file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-wp-"))
    work.mkdir(parents=True, exist_ok=True)
    cms = CMSProcess(work)
    cms.manage("migrate", "--no-input", "-v0")
    for run in ("first import", "second import"):
        report = work / f"{run.split()[0]}.json"
        started = time.monotonic()
        cms.manage(
            "import_wordpress",
            str(corpus / "wptest.xml"),
            "--uploads",
            str(corpus / "uploads"),
            "--report",
            str(report),
        )
        seconds = time.monotonic() - started
        data = json.loads(report.read_text())
        counts = data["counts"]
        print(
            f"{run}: items {counts['items']}, pages {counts['pages']} "
            f"(created {counts['created']}, updated {counts['updated']}, "
            f"unchanged {counts['unchanged']}), merged {counts['merged']}, "
            f"skipped {counts['skipped']}, failed {counts['failed']}, "
            f"redirects {counts['redirects']}, comments {counts['comments']} "
            f"(+{counts['comments_skipped']} skipped), images {counts['images']}, "
            f"documents {counts['documents']}, warnings {counts['warnings']}; "
            f"{seconds:.1f} s wall ({data['seconds']:.1f} s in the importer)"
        )
        for reason, n in data["skipped_reasons"].items():
            print(f"  skipped {n}: {reason}")
    print(f"work dir: {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
