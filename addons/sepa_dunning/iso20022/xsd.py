"""Validation of a SEPA payment file against its official XSD (shipped by ``sepaxml``).

A validating ``iterparse`` that drops each transaction once read, so that a file of
100,000 transactions validates in constant memory; a DOCTYPE is refused before
anything else is read. Also enforces what the ISO schemas leave to the EPC rules:
amounts and control sums with at most two decimals.
"""

import io
import re
from functools import cache
from importlib import resources

from lxml import etree

AMOUNT_PATTERN = re.compile(r"\d{1,15}(\.\d{1,2})?")
AMOUNT_TAGS = ("InstdAmt", "CtrlSum")


class SepaSchemaError(ValueError):
    """A file does not validate against the official schema."""

    def __init__(self, version, errors):
        self.version = version
        self.errors = errors
        super().__init__(f"The file is not a valid {version}: " + "; ".join(errors[:5]))


@cache
def schema(version):
    """The official XSD of ``version`` (``pain.008.001.08``...), as shipped by ``sepaxml``."""
    path = resources.files("sepaxml") / "schemas" / f"{version}.xsd"
    with resources.as_file(path) as xsd:
        return etree.XMLSchema(etree.parse(str(xsd), etree.XMLParser(no_network=True, resolve_entities=False)))


def _refuse_doctype(source, version):
    """Refuse a document with a DOCTYPE (entities, external DTD) before reading it further.

    A DOCTYPE can only stand before the root element, so the first start event
    tells. Nothing is resolved or fetched while looking.
    """
    events = etree.iterparse(source, events=("start",), resolve_entities=False, no_network=True, load_dtd=False)
    try:
        for _event, element in events:
            if element.getroottree().docinfo.doctype:
                raise SepaSchemaError(version, ["a DOCTYPE is not allowed in a payment file"])
            break
    except etree.XMLSyntaxError as exc:
        raise SepaSchemaError(version, [str(exc)]) from exc


def validate(source, version, transaction_tag):
    """Validate a file (bytes, path or file object) against the XSD of ``version``.

    :param transaction_tag: the element of one transaction (``DrctDbtTxInf``,
        ``CdtTrfTxInf``), dropped once read
    :raise SepaSchemaError: with the schema's messages when the file is invalid
    """
    if isinstance(source, bytes | bytearray):
        content = bytes(source)

        def opener():
            return io.BytesIO(content)
    elif hasattr(source, "read"):
        start = source.tell()

        def opener():
            source.seek(start)
            return source
    else:

        def opener():
            return str(source)

    xsd = schema(version)
    _refuse_doctype(opener(), version)
    # No resolve_entities=False here: with a schema, lxml 4.9 then lets
    # well-formedness errors through; _refuse_doctype() made entities impossible.
    etree.clear_error_log()
    errors = []
    try:
        for _event, element in etree.iterparse(opener(), events=("end",), schema=xsd, no_network=True):
            tag = element.tag.rpartition("}")[2]
            if tag in AMOUNT_TAGS and not AMOUNT_PATTERN.fullmatch(element.text or ""):
                errors.append(f"line {element.sourceline}: {tag} {element.text!r} must have at most two decimals")
            if tag == transaction_tag:
                element.clear(keep_tail=True)
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        errors = [f"line {e.line}: {e.message}" for e in exc.error_log] or [str(exc)]
        raise SepaSchemaError(version, errors) from exc
    if errors:
        raise SepaSchemaError(version, errors)
    return True
