"""Production's static files storage, with each file's URL remembered.

`{% static %}` asks the storage for a file's URL: under the manifest that is a
lookup of the hashed name, a quote and a join, about 20 µs, five times in every
page's <head> (docs/performance.md, "Sixth round"). The manifest is read once
when the process starts and collectstatic writes a new one only before the next
deploy starts new processes, so a name's URL cannot change under a running
process: each is worked out once and then looked up.
"""

from __future__ import annotations

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

MAX_ENTRIES = 2_000  # template names are constants; emptied, not evicted, when full


class RememberedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        # collectstatic's own calls, its error for no name, and DEBUG's unhashed names.
        if force or not name or settings.DEBUG:
            return super().url(name, force)
        answer = self._urls.get(name)
        if answer is None:
            answer = super().url(name)
            if len(self._urls) >= MAX_ENTRIES:
                self._urls.clear()
            self._urls[name] = answer
        return answer

    def post_process(self, *args, **kwargs):
        self._urls.clear()  # collectstatic is writing a new manifest in this process
        yield from super().post_process(*args, **kwargs)
