"""An upload larger than ``IMPORT_MAX_UPLOAD_BYTES`` is not read.

Django's multipart parser asks the upload handlers first: this one stops the parsing at
the first file of a request whose Content-Length is over the limit. The form fields that
come before the files (the CSRF token) are still read, so the page can say why; the
files are not stored anywhere, and the view refuses the request (``upload_too_large``).
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from exchange.files import upload_too_large


class UploadSizeLimit(FileUploadHandler):
    refuse = False

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.refuse = upload_too_large(content_length) is not None

    def new_file(self, *args, **kwargs):
        if self.refuse:
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        return raw_data

    def file_complete(self, file_size):
        return None
