"""Writing a SEPA payment initiation document (pain.008, pain.001) as a stream.

``lxml.etree.xmlfile`` writes each transaction as soon as it is made, so that a file
of 100,000 transactions never sits in memory as a tree.
"""

import io

from lxml import etree


def write(namespace, message_tag, header, payment_infos, output=None):
    """Write ``<Document><message_tag>``: the group ``header``, then each payment information block.

    :param payment_infos: ``(head, transactions)`` pairs: the elements of a ``PmtInf``
        before its transactions, and an iterable of its transactions, each an element
        made when it is written
    :param output: a binary file object to stream to; by default the bytes are returned
    """
    target = output if output is not None else io.BytesIO()
    with etree.xmlfile(target, encoding="UTF-8") as xf:
        xf.write_declaration()
        # Unqualified fragments inside a Document that declares the default namespace once.
        with (
            xf.element(f"{{{namespace}}}Document", nsmap={None: namespace}),
            xf.element(f"{{{namespace}}}{message_tag}"),
        ):
            xf.write(header)
            for head, transactions in payment_infos:
                with xf.element(f"{{{namespace}}}PmtInf"):
                    for node in head:
                        xf.write(node)
                    for transaction in transactions:
                        xf.write(transaction)
    if output is None:
        return target.getvalue()
    return None
