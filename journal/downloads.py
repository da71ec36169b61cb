"""Uploaded files go back to people only as downloads: never rendered inline, never sniffed, sandboxed if
a browser opens them anyway. Every view that serves an upload (homework, messages) checks who asks, then
answers with :func:`file_download`."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def file_download(file: FieldFile, filename: str) -> FileResponse:
    """The stored ``file`` as an attachment named ``filename``; 404 if it is missing from the storage."""
    try:
        handle = file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["Content-Type"] = "application/octet-stream"  # never sniffed or rendered inline
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
