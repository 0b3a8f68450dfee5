"""Data Docs pages load their CSS, scripts and fonts from the site itself, never from a CDN."""

from __future__ import annotations

from pathlib import Path

from sparkify.docs_site import assets as docs_assets
from sparkify.docs_site.assets import SITE_VENDOR, localize_site

BOOTSTRAP_CSS = "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"
VEGA = "https://cdn.jsdelivr.net/npm/vega@5"
LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261125T171044.404726Z"
NEWSLETTER = "https://greatexpectations.io/newsletter"


def test_every_vendored_file_is_in_the_package():
    missing = [a.target for a in docs_assets.ASSETS if not (docs_assets.VENDOR_DIR / a.target).is_file()]
    assert not missing, f"run `python -m sparkify.docs_site.assets` to fetch: {missing}"


def _page(head: str) -> str:
    return f'<html><head>{head}</head><body><a href="{NEWSLETTER}">Subscribe</a></body></html>'


def test_links_become_relative_to_each_page_and_reader_links_stay(tmp_path: Path):
    site = tmp_path / "site"
    deep = site / "validations" / "songs" / "run-1" / "20261125T000000Z" / "songs.html"
    deep.parent.mkdir(parents=True)
    head = f'<link href="{BOOTSTRAP_CSS}" rel="stylesheet"><script src="{VEGA}"></script><img src="{LOGO}">'
    (site / "index.html").write_text(_page(head))
    deep.write_text(_page(head))
    assert docs_assets.external_resources(site) == {
        "index.html": [BOOTSTRAP_CSS, VEGA, LOGO],
        "validations/songs/run-1/20261125T000000Z/songs.html": [BOOTSTRAP_CSS, VEGA, LOGO],
    }

    localize_site(site)

    assert docs_assets.external_resources(site) == {}
    index, page = (site / "index.html").read_text(), deep.read_text()
    assert 'href="static/vendor/bootstrap/bootstrap.min.css"' in index
    assert 'src="static/vendor/vega/vega.min.js"' in index
    assert 'src="static/images/logo-long.png"' in index
    assert 'href="../../../../static/vendor/bootstrap/bootstrap.min.css"' in page
    assert 'src="../../../../static/vendor/vega/vega.min.js"' in page
    assert f'href="{NEWSLETTER}"' in page, "a link the reader may follow is not a resource the page loads"
    assert (site / SITE_VENDOR / "bootstrap" / "bootstrap.min.css").is_file()
    assert (site / SITE_VENDOR / "fontawesome" / "webfonts" / "fa-solid-900.woff2").is_file()


def test_the_assets_are_found_when_the_package_is_imported_from_a_zip(tmp_path: Path):
    """On Glue the package arrives as the zip in --extra-py-files; the assets must come out of it."""
    import subprocess
    import sys

    from infra.artifacts import build_shared_zip

    archive = build_shared_zip(docs_assets.VENDOR_DIR.parents[1], tmp_path / "sparkify.zip")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(_page(f'<script src="{VEGA}"></script>'))
    script = (
        "import sys, sparkify; from sparkify.docs_site.assets import localize_site; "
        "assert sparkify.__file__.startswith(sys.argv[1]), sparkify.__file__; localize_site(sys.argv[2])"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(archive), str(site)],
        check=True,
        cwd=tmp_path,
        env={"PYTHONPATH": str(archive), "PATH": "/usr/bin:/bin"},
    )
    assert (site / SITE_VENDOR / "vega" / "vega.min.js").read_bytes() == (
        docs_assets.VENDOR_DIR / "vega" / "vega.min.js"
    ).read_bytes()
    assert 'src="static/vendor/vega/vega.min.js"' in (site / "index.html").read_text()


DARK_LOGO = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png"
GX_FOOTER = (
    "<footer>\n  <p>Stay current on everything GX with our newsletter "
    f'<a href="{NEWSLETTER}?utm_source=datadocs">Subscribe</a></p>\n</footer>'
)


def test_no_theme_loads_anything_remote_and_the_footer_leads_home(tmp_path: Path):
    """GX's dark theme draws its logo from GX's S3 site, and its footer is a newsletter banner."""
    site = tmp_path / "runs" / "run-1"
    styles = site / "static" / "styles"
    styles.mkdir(parents=True)
    (styles / "data_docs_default_styles.css").write_text(
        "@media (prefers-color-scheme: dark) {\n  .navbar-brand a {\n"
        f"    background: url('{DARK_LOGO}') 0 0 no-repeat;\n  }}\n}}\n"
    )
    # A tag spread over lines with single quotes, as a pattern over one line misses it.
    (site / "index.html").write_text(
        "<html><head>\n<script\n  src='https://cdn.jsdelivr.net/npm/vega@5'></script></head>"
        f"<body><p>results</p>{GX_FOOTER}</body></html>"
    )
    assert docs_assets.external_resources(site) == {
        "index.html": [VEGA],
        "static/styles/data_docs_default_styles.css": [DARK_LOGO],
    }

    localize_site(site)

    assert docs_assets.external_resources(site) == {}
    css = (styles / "data_docs_default_styles.css").read_text()
    assert "url('../images/logo-dark.svg')" in css
    assert (site / "static" / "images" / "logo-dark.svg").read_text().startswith("<svg")
    index = (site / "index.html").read_text()
    assert "newsletter" not in index
    assert '<a href="../../index.html">' in index
    assert index.startswith('<html><head>\n<script src="static/vendor/vega/vega.min.js"></script>')
    assert "<p>results</p>" in index
