"""Data Docs that render offline and behind a private site: the CSS, JS and fonts that GX pages load
from public CDNs are kept in `sparkify/docs_site/vendor/` and linked locally after every build.

GX 1.x writes pages that fetch Bootstrap, jQuery, Font Awesome, bootstrap-table and Vega from five CDNs.
Without internet (a laptop on a plane, a locked-down VPC, this project's CI) they render as bare HTML,
and a private docs bucket would still make every reader's browser call third parties. `localize_site`
copies the files into the site's `static/vendor/` and rewrites each page's links to relative paths.

The files come from npm at the exact versions below: after a GX upgrade changes its templates, run
`python -m sparkify.docs_site.assets` (needs npm) and check `tests/pipeline/test_docs_assets.py`, which fails while
a page still loads anything from the network.
"""

from __future__ import annotations

import os
import posixpath
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from sparkify.docs_site import html_edit

VENDOR_DIR = Path(__file__).with_name("vendor")  # in the source tree, where `vendor` writes
SITE_VENDOR = Path("static") / "vendor"


@dataclass(frozen=True)
class Asset:
    package: str  # npm package@version
    source: str  # path inside the package
    target: str  # path under vendor/ and the site's static/vendor/
    urls: tuple[str, ...] = ()  # what GX pages link to; none for files the CSS loads (fonts)


_FA = "@fortawesome/fontawesome-free@6.6.0"
ASSETS: tuple[Asset, ...] = (
    Asset("bootstrap@4.3.1", "dist/css/bootstrap.min.css", "bootstrap/bootstrap.min.css",
          ("https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css",)),
    Asset("bootstrap@4.3.1", "dist/js/bootstrap.min.js", "bootstrap/bootstrap.min.js",
          ("https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js",)),
    Asset("@forevolve/bootstrap-dark@1.1.0", "dist/css/bootstrap-prefers-dark.css",
          "bootstrap-dark/bootstrap-prefers-dark.css",
          ("https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css",)),
    Asset("jquery@3.7.1", "dist/jquery.min.js", "jquery/jquery.min.js", ("https://code.jquery.com/jquery-3.7.1.min.js",)),
    Asset("popper.js@1.12.9", "dist/umd/popper.min.js", "popper/popper.min.js",
          ("https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js",)),
    Asset("bootstrap-table@1.19.1", "dist/bootstrap-table.min.css", "bootstrap-table/bootstrap-table.min.css",
          ("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css",)),
    Asset("bootstrap-table@1.19.1", "dist/bootstrap-table.min.js", "bootstrap-table/bootstrap-table.min.js",
          ("https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js",)),
    Asset("bootstrap-table@1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
          "bootstrap-table/bootstrap-table-filter-control.min.css",
          ("https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
           "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css")),
    Asset("bootstrap-table@1.19.1", "dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
          "bootstrap-table/bootstrap-table-filter-control.min.js",
          ("https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",)),
    Asset("bootstrap-datepicker@1.9.0", "dist/css/bootstrap-datepicker.min.css",
          "bootstrap-datepicker/bootstrap-datepicker.min.css",
          ("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",)),
    Asset("bootstrap-datepicker@1.9.0", "dist/js/bootstrap-datepicker.min.js",
          "bootstrap-datepicker/bootstrap-datepicker.min.js",
          ("https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",)),
    # all.min.css loads its fonts from ../webfonts/, so the package's layout is kept.
    Asset(_FA, "css/all.min.css", "fontawesome/css/all.min.css",
          ("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css",)),
    *(
        Asset(_FA, f"webfonts/{font}.{ext}", f"fontawesome/webfonts/{font}.{ext}")
        for font in ("fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility")
        for ext in ("woff2", "ttf")
    ),
    Asset("vega@5.33.1", "build/vega.min.js", "vega/vega.min.js", ("https://cdn.jsdelivr.net/npm/vega@5",)),
    Asset("vega-lite@5.23.0", "build/vega-lite.min.js", "vega/vega-lite.min.js", ("https://cdn.jsdelivr.net/npm/vega-lite@5",)),
    Asset("vega-embed@6.29.0", "build/vega-embed.min.js", "vega/vega-embed.min.js", ("https://cdn.jsdelivr.net/npm/vega-embed@6",)),
)  # fmt: skip

# GX's logo is an image on its S3 site with a cache-busting query; the site has its own copy.
_LOGO_HOST = "https://great-expectations-web-assets.s3."
SITE_LOGO = Path("static") / "images" / "logo-long.png"
# In dark mode GX's stylesheet draws another logo from its S3 site; the site draws its own.
_DARK_LOGO_URL = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png"
SITE_DARK_LOGO = Path("static") / "images" / "logo-dark.svg"
_DARK_LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="230" height="50" viewBox="0 0 230 50">'
    '<text x="4" y="32" font-family="sans-serif" font-size="20" fill="#e6e6e6">Sparkify Data Docs</text></svg>'
)
STYLESHEET = Path("static") / "styles" / "data_docs_default_styles.css"
# Where a page of a run's site links back to: the index of every run, two folders up (runs/<run_id>/).
HOME = "../../index.html"


def footer(home: str) -> str:
    """The footer of every page: the way back to the site's index (GX's is its newsletter banner)."""
    return (
        '<footer id="sparkify-footer" style="padding:1rem;text-align:center">'
        f'<a href="{home}">Sparkify Data Docs: every run, the tables, lineage and charts</a></footer>'
    )


def localize_site(site_dir: str | Path, home: str | None = HOME) -> None:
    """Copy the vendored files into a built site and point every page at them instead of the CDNs.

    Every page's footer links to `home` (relative to the site's root; none: no link), and the dark
    theme's logo is the site's own.
    """
    site = Path(site_dir)
    # Read as package resources: on Glue the package is imported from the zip in --extra-py-files.
    _copy_tree(resources.files("sparkify.docs_site") / VENDOR_DIR.name, site / SITE_VENDOR)
    local_urls = {url: asset.target for asset in ASSETS for url in asset.urls}
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        root = os.path.relpath(site, page.parent)

        def retarget(tag: str, attribute: str, url: str, root: str = root) -> str | None:
            if url in local_urls:
                return posixpath.normpath(f"{root}/{(SITE_VENDOR / local_urls[url]).as_posix()}")
            if url.startswith(_LOGO_HOST) and "/logo-long.png" in url:
                return posixpath.normpath(f"{root}/{SITE_LOGO.as_posix()}")
            return None

        replace = {"footer": footer(posixpath.normpath(f"{root}/{home}")) if home else "<footer></footer>"}
        edited = html_edit.rewrite(text, retarget, replace)
        if edited != text:
            page.write_text(edited, encoding="utf-8")
    stylesheet = site / STYLESHEET
    if stylesheet.is_file():
        css = stylesheet.read_text(encoding="utf-8")
        logo = os.path.relpath(site / SITE_DARK_LOGO, stylesheet.parent)
        (site / SITE_DARK_LOGO).parent.mkdir(parents=True, exist_ok=True)
        (site / SITE_DARK_LOGO).write_text(_DARK_LOGO_SVG, encoding="utf-8")
        stylesheet.write_text(css.replace(_DARK_LOGO_URL, logo), encoding="utf-8")


def _copy_tree(source: Traversable, target: Path) -> None:
    for item in source.iterdir():
        if item.is_dir():
            _copy_tree(item, target / item.name)
        else:
            target.mkdir(parents=True, exist_ok=True)
            (target / item.name).write_bytes(item.read_bytes())


def external_resources(site_dir: str | Path) -> dict[str, list[str]]:
    """What each page of a site would still load from the network (page path → URLs): the pages' own
    scripts, stylesheets, images and frames, and `url(...)` in the site's stylesheets (any theme)."""
    site = Path(site_dir)
    found = {
        page.relative_to(site).as_posix(): [
            u for u in html_edit.resources(page.read_text(encoding="utf-8")) if _remote(u)
        ]
        for page in sorted(site.rglob("*.html"))
    }
    for sheet in sorted(site.rglob("*.css")):
        if SITE_VENDOR.as_posix() in sheet.relative_to(site).as_posix():
            continue  # the vendored files as npm ships them; their fonts are local files
        found[sheet.relative_to(site).as_posix()] = _css_urls(sheet.read_text(encoding="utf-8"))
    return {page: urls for page, urls in found.items() if urls}


def _remote(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def _css_urls(css: str) -> list[str]:
    """The remote addresses of a stylesheet's `url(...)` values."""
    urls = []
    for part in css.split("url(")[1:]:
        url = part.split(")", 1)[0].strip().strip("'\"")
        if _remote(url):
            urls.append(url)
    return urls


def vendor(out: Path = VENDOR_DIR) -> None:
    """Download the pinned npm packages and copy the files the pages need into `out`."""
    with tempfile.TemporaryDirectory() as tmp:
        for package in sorted({a.package for a in ASSETS}):
            name = subprocess.run(
                ["npm", "pack", "--silent", package], cwd=tmp, check=True, capture_output=True, text=True
            ).stdout.split()[-1]
            with tarfile.open(Path(tmp) / name) as archive:
                for asset in (a for a in ASSETS if a.package == package):
                    member = archive.extractfile(f"package/{asset.source}")
                    if member is None:
                        raise FileNotFoundError(f"{asset.source} not in {package}")
                    target = out / asset.target
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(member.read())
                    print(f"{package}/{asset.source} -> {target}")


if __name__ == "__main__":
    vendor(Path(sys.argv[1]) if len(sys.argv) > 1 else VENDOR_DIR)
