"""Files a debtor sends from the payment page, checked by what they hold, not by their name.

No Odoo import: taken and returned as plain values, tested by ``tests/``.
"""

MAX_FILES = 3
MAX_BYTES = 5 * 1024 * 1024  # a scan or a phone's photo of a bank statement

# The first bytes of each accepted kind of file, and the type it is stored under.
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]


class UploadRefused(ValueError):
    """A file, or a set of files, that is not taken; ``code`` names why (``too_many``, ``too_large``, ``type``)."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def sniff(data):
    """The type of a PDF, PNG or JPEG file by its first bytes; None for anything else."""
    for signature, mimetype in SIGNATURES:
        if data.startswith(signature):
            return mimetype
    return None


def check(files, max_files=MAX_FILES, max_bytes=MAX_BYTES):
    """The files to keep, each with the type its content shows.

    :param files: ``[(name, bytes)]`` as sent (empty file inputs are left out)
    :return: ``[(name, bytes, mimetype)]``
    :raise UploadRefused: more than ``max_files`` files, one larger than
        ``max_bytes``, or one that is not a PDF, PNG or JPEG whatever its name says
    """
    files = [(name, data) for name, data in files if data]
    if len(files) > max_files:
        raise UploadRefused("too_many", f"At most {max_files} files.")
    kept = []
    for name, data in files:
        if len(data) > max_bytes:
            raise UploadRefused("too_large", f"{name}: larger than {max_bytes // (1024 * 1024)} MB.")
        mimetype = sniff(data)
        if not mimetype:
            raise UploadRefused("type", f"{name}: not a PDF, PNG or JPEG file.")
        kept.append((_safe_name(name, mimetype), data, mimetype))
    return kept


def _safe_name(name, mimetype):
    """The file's own name without any folder, with the extension of what it holds."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip() or "document"
    stem = base.rsplit(".", 1)[0] if "." in base else base
    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}[mimetype]
    return f"{stem[:100]}.{extension}"
