"""Files sent from the payment page (insurance_arrears/uploads.py), checked by their content."""

import pytest
from insurance_arrears import uploads
from insurance_arrears.uploads import UploadRefused

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF"


def test_pdf_png_and_jpeg_are_known_by_their_first_bytes():
    assert [uploads.sniff(data) for data in (PDF, PNG, JPEG)] == ["application/pdf", "image/png", "image/jpeg"]
    assert uploads.sniff(b"MZ\x90\x00") is None
    assert uploads.sniff(b"<html>%PDF-") is None


def test_a_file_named_pdf_that_is_not_one_is_refused():
    with pytest.raises(UploadRefused) as refused:
        uploads.check([("releve.pdf", b"#!/bin/sh\nrm -rf /\n")])
    assert refused.value.code == "type"


def test_the_kept_name_has_no_folder_and_the_extension_of_the_content():
    kept = uploads.check([("../../etc/passwd.png", PDF), ("C:\\Users\\j\\scan", JPEG), ("", b"")])
    assert [(name, mimetype) for name, _data, mimetype in kept] == [
        ("passwd.pdf", "application/pdf"),
        ("scan.jpg", "image/jpeg"),
    ]


def test_too_many_or_too_large_files_are_refused():
    with pytest.raises(UploadRefused) as refused:
        uploads.check([("a.pdf", PDF)] * 4)
    assert refused.value.code == "too_many"
    with pytest.raises(UploadRefused) as refused:
        uploads.check([("big.pdf", PDF + b"0" * uploads.MAX_BYTES)])
    assert refused.value.code == "too_large"
    assert uploads.check([]) == []
