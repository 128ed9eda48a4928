import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from lxml import etree
from sepa_dunning.iso20022 import pain001
from sepa_dunning.iso20022.pain001 import Message, Transfer
from sepa_dunning.iso20022.pain008 import Party, SepaInputError
from sepa_dunning.iso20022.text import SepaTextError
from sepa_dunning.iso20022.xsd import SepaSchemaError

V09 = "pain.001.001.09"
V03 = "pain.001.001.03"
BROKER = Party(name="Cabinet Durand Assurances", iban="FR7630006000011234567890189", bic="AGRIFRPP")
INSURER_A = Party(name="Assureur Mutuel", iban="FR7630004000031234567890143", bic="BNPAFRPP")
INSURER_B = Party(name="Société Générale d'Assurances", iban="DE89370400440532013000")  # no BIC: IBAN only


def message(transfers=None, **values):
    return Message(
        message_id=values.pop("message_id", "VIR-2026-0001"),
        created_at=datetime(2026, 12, 3, 9, 30, 15, 123456),
        initiating_party="Cabinet Durand Assurances",
        debtor=BROKER,
        payment_info_id="VIR-2026-0001-1",
        execution_date=date(2026, 12, 7),
        transfers=transfers
        if transfers is not None
        else [
            Transfer("BDX-2026-11-A", Decimal("1234.10"), INSURER_A, "Bordereau BDX/2026/11/0001"),
            Transfer("BDX-2026-11-B", Decimal("0.20"), INSURER_B, "Bordereau BDX/2026/11/0002"),
            Transfer("BDX-2026-11-C", Decimal("99999.99"), INSURER_A),
        ],
        **values,
    )


def xp(content, version, path):
    return etree.fromstring(content).xpath(path, namespaces={"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"})


@pytest.mark.parametrize("version", [V09, V03])
def test_a_transfer_file_validates_against_the_official_xsd(version):
    content = pain001.build(message(), version)
    assert pain001.validate(content, version) is True
    assert pain001.xsd.schema(version).validate(etree.fromstring(content))
    assert xp(content, version, "//p:GrpHdr/p:NbOfTxs/text()") == ["3"]
    # Exact decimals: 1234.10 + 0.20 + 99999.99, never a float's 101234.29000000001.
    assert xp(content, version, "//p:GrpHdr/p:CtrlSum/text()") == ["101234.29"]
    assert xp(content, version, "//p:PmtInf/p:CtrlSum/text()") == ["101234.29"]
    assert xp(content, version, "//p:PmtInf/p:PmtMtd/text()") == ["TRF"]
    assert xp(content, version, "//p:DbtrAcct/p:Id/p:IBAN/text()") == [BROKER.iban]
    transfer = xp(content, version, "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='BDX-2026-11-A']")[0]
    ns = {"p": f"urn:iso:std:iso:20022:tech:xsd:{version}"}
    assert transfer.xpath("p:Amt/p:InstdAmt/text()", namespaces=ns) == ["1234.10"]
    assert transfer.xpath("p:Amt/p:InstdAmt/@Ccy", namespaces=ns) == ["EUR"]
    assert transfer.xpath("p:CdtrAcct/p:Id/p:IBAN/text()", namespaces=ns) == [INSURER_A.iban]
    assert transfer.xpath("p:RmtInf/p:Ustrd/text()", namespaces=ns) == ["Bordereau BDX/2026/11/0001"]
    bic_tag = "BICFI" if version == V09 else "BIC"
    assert transfer.xpath(f"p:CdtrAgt/p:FinInstnId/p:{bic_tag}/text()", namespaces=ns) == ["BNPAFRPP"]
    without_bic = xp(content, version, "//p:CdtTrfTxInf[p:PmtId/p:EndToEndId='BDX-2026-11-B']")[0]
    assert not without_bic.xpath("p:CdtrAgt", namespaces=ns), "IBAN only: no creditor agent"
    assert without_bic.xpath("p:Cdtr/p:Nm/text()", namespaces=ns) == ["Societe Generale d'Assurances"]
    date_path = "//p:ReqdExctnDt/p:Dt/text()" if version == V09 else "//p:ReqdExctnDt/text()"
    assert xp(content, version, date_path) == ["2026-12-07"]


def test_a_file_streams_to_a_file_object():
    target = io.BytesIO()
    assert pain001.build(message(), V09, output=target) is None
    assert pain001.validate(target.getvalue(), V09)


@pytest.mark.parametrize(
    ("transfers", "error"),
    [
        ([], "no transfer"),
        ([Transfer("T-1", Decimal("10.001"), INSURER_A)], "more than two decimals"),
        ([Transfer("T-1", Decimal("0"), INSURER_A)], "between 0.01"),
        ([Transfer("T-1", Decimal("10"), Party("X", "FR7630004000031234567890144"))], "invalid IBAN"),
        ([Transfer("T-1", Decimal("10"), Party("X", INSURER_A.iban, "NOTABIC"))], "invalid BIC"),
        ([Transfer("T-1", Decimal("10"), INSURER_A), Transfer("T-1", Decimal("5"), INSURER_B)], "used twice"),
        ([Transfer("T-1", Decimal("10"), Party("  ", INSURER_A.iban))], "creditor name"),
    ],
)
def test_values_that_cannot_make_a_valid_file_are_refused_before_any_byte(transfers, error):
    target = io.BytesIO()
    with pytest.raises((SepaInputError, SepaTextError), match=error):
        pain001.build(message(transfers), V09, output=target)
    assert target.getvalue() == b"", "nothing half-written"


def test_an_unknown_version_is_refused():
    with pytest.raises(SepaInputError, match="Unsupported version"):
        pain001.build(message(), "pain.001.001.02")


def test_a_tampered_file_does_not_validate():
    content = pain001.build(message(), V09).replace(b">1234.10<", b">1234.105<")
    with pytest.raises(SepaSchemaError, match="two decimals"):
        pain001.validate(content, V09)
    with pytest.raises(SepaSchemaError, match=r"not a valid pain\.001\.001\.03"):
        pain001.validate(pain001.build(message(), V09), V03)
    doctype = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]>' + pain001.build(message(), V09).split(b"?>", 1)[1]
    with pytest.raises(SepaSchemaError, match="DOCTYPE"):
        pain001.validate(doctype, V09)
