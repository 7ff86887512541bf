"""HTML to PDF with WeasyPrint, reading only our own static files."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse
from PIL import ImageFile

# Importing WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process; photo
# uploads (rules/photos.clean_photo) refuse to run with it on, since a cut-off upload would then
# pass as a photo. Our PDFs embed only our own static files, which are never truncated.
ImageFile.LOAD_TRUNCATED_IMAGES = False

# WeasyPrint guesses the type from the response; these are the kinds a printed page links to.
CONTENT_TYPES = {".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg"}


class StaticFetcher(URLFetcher):
    """Serves `/static/...` from the app's static folder and refuses every other URL: a PDF made
    on the server never reaches the network or the file system beyond static/ (no SSRF, no
    local file reads through a crafted link). A missing stylesheet fails the rendering loudly."""

    def __init__(self, static_folder: str, static_path: str):
        super().__init__(fail_on_errors=True)
        self.root = Path(static_folder).resolve()
        self.prefix = static_path.rstrip("/") + "/"

    def fetch(self, url, headers=None):
        path = unquote(urlsplit(url).path)
        if not path.startswith(self.prefix):
            raise ValueError(f"not a static file: {url}")
        file = (self.root / path[len(self.prefix):]).resolve()
        if not file.is_relative_to(self.root) or not file.is_file():
            raise ValueError(f"no such static file: {url}")
        content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
        return URLFetcherResponse(url, file.read_bytes(), {"Content-Type": content_type})


def html_to_pdf(html: str, base_url: str) -> bytes:
    """The PDF of a page rendered by one of our templates; `base_url` resolves its relative links."""
    app = current_app
    fetcher = StaticFetcher(app.static_folder, app.static_url_path)
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()
