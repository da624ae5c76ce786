"""Benchmark: the Next.js front end beside the Jinja2 builder (and Hugo) on the Rust blog.

Imports the Rust blog (``../shared/corpora/rust-blog/content`` or ``$JAMTAIL_CORPORA``)
into a fresh CMS, then builds it from one run each:

- the Jinja2 builder, a full build (``jamtail build --full``, renditions already made);
- the Next front end (``JAMTAIL_FRONTEND=next jamtail build``: sync, ``npm run build``
  with the static export, commit), ``npm ci`` done beforehand and not counted;
- Debian's ``hugo`` on the same Markdown when installed;

and prints seconds and peak memory (PSS of the whole process tree: node's workers
included) of each, and the ratios to the Jinja2 build and to Hugo.

Usage: ``python bench/next_build.py [--keep DIR]``. Needs node and npm; loopback only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rust_blog import hugo_site, mb, timed  # noqa: E402

from jamtail.build.nextjs import ensure_installed, next_dir  # noqa: E402
from jamtail.settings import Settings  # noqa: E402
from tests.cms_process import CMSProcess  # noqa: E402
from tests.corpora import missing_message, rust_blog_content  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", help="keep the data and builds in this directory")
    args = parser.parse_args()
    content = rust_blog_content()
    if not content.is_dir():
        sys.exit(missing_message(content))
    if not (shutil.which("npm") and shutil.which("node")):
        sys.exit("node and npm are needed to build the Next front end")
    ensure_installed(next_dir(Settings.from_environ()))
    workdir = Path(args.keep or tempfile.mkdtemp(prefix="jamtail-next-bench-"))
    cms = CMSProcess(workdir / "cms")
    cms.data_dir.mkdir(parents=True, exist_ok=True)
    cms.manage("migrate", "--no-input", "-v0")
    cms.manage("import_markdown", str(content), "--parent", "/", "--slug", "blog")
    cms.start()
    try:
        results = {}
        for name, env in (("jinja", {}), ("next", {"JAMTAIL_FRONTEND": "next"})):
            command = [
                sys.executable, "-m", "jamtail.cli", "build", "--full", "--timings",
                "--api", cms.api_url, "--out", str(workdir / name),
                "--cache", str(workdir / f"{name}-cache"),
            ]  # fmt: skip
            if name == "jinja":  # a first build makes the renditions; time the second
                timed(command, {**os.environ, **env})
            seconds, peak, out = timed(command, {**os.environ, **env})
            results[name] = (seconds, peak)
            summary = [line.strip() for line in out.strip().splitlines()][-3:]
            print(f"{name}: {seconds:.2f} s, peak memory (PSS) {mb(peak)}")
            print("  " + "\n  ".join(summary))
    finally:
        cms.stop()
    (js, jm), (ns, nm) = results["jinja"], results["next"]
    print(f"ratio, Next / Jinja2: time {ns / js:.1f}x, peak memory {nm / jm:.1f}x")
    hugo = shutil.which("hugo")
    if hugo:
        site = hugo_site(workdir, content)
        seconds, _, _ = timed([hugo, "--quiet", "-s", str(site)], os.environ.copy())
        version = subprocess.run([hugo, "version"], capture_output=True, text=True).stdout.split()
        print(f"hugo {version[1]}: {seconds:.2f} s; Next / Hugo {ns / seconds:.0f}x, "
              f"Jinja2 / Hugo {js / seconds:.1f}x")  # fmt: skip
    else:
        print("hugo: not installed (apt-get install hugo); no comparison")
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
