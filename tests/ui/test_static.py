"""Production's static storage remembers each file's URL (ui/static.py), and never
one the manifest no longer gives."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles.storage import ManifestStaticFilesStorage

from ui.static import RememberedStaticFilesStorage


@pytest.fixture
def storage(tmp_path, settings) -> RememberedStaticFilesStorage:
    settings.DEBUG = False
    storage = RememberedStaticFilesStorage(location=tmp_path, base_url="/static/")
    storage.hashed_files = {"css/app.css": "css/app.1a2b3c.css"}
    return storage


def test_a_file_has_its_hashed_url_the_same_as_djangos(storage, tmp_path):
    django = ManifestStaticFilesStorage(location=tmp_path, base_url="/static/")
    django.hashed_files = storage.hashed_files
    assert storage.url("css/app.css") == django.url("css/app.css") == "/static/css/app.1a2b3c.css"
    assert storage.url("css/app.css") == "/static/css/app.1a2b3c.css"  # remembered


def test_a_new_manifest_gives_the_new_urls(storage):
    assert storage.url("css/app.css") == "/static/css/app.1a2b3c.css"
    # collectstatic in this process: what it writes replaces what was remembered.
    list(storage.post_process({}, dry_run=True))
    storage.hashed_files = {"css/app.css": "css/app.4d5e6f.css"}
    assert storage.url("css/app.css") == "/static/css/app.4d5e6f.css"


def test_a_file_missing_from_the_manifest_is_still_an_error(storage):
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("js/gone.js")
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        storage.url("js/gone.js")  # not remembered as anything
