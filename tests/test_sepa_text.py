import re

import pytest
from sepa_dunning.iso20022.text import SepaTextError, check_identifier, sepa_text

# The EPC basic Latin character set: what a bank accepts in any text of a SEPA file.
SEPA_SET = re.compile(r"[A-Za-z0-9/\-?:().,'+ ]*")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Élodie", "Elodie"),
        ("François", "Francois"),
        ("Straße", "Strasse"),
        ("Müller-Lüdenscheidt", "Muller-Ludenscheidt"),
        ("Ñúñez Ávila", "Nunez Avila"),
        ("Žižek Čapek", "Zizek Capek"),
    ],
)
def test_accents_are_removed(value, expected):
    assert sepa_text(value, 70) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Æsir Ødegaard", "AEsir Odegaard"),
        ("Œuvre Łódź", "OEuvre Lodz"),
        ("Þór", "THor"),
    ],
)
def test_letters_without_decomposition_are_spelled_out(value, expected):
    assert sepa_text(value, 70) == expected


def test_ampersand_becomes_plus():
    assert sepa_text("Dupont & Fils", 70) == "Dupont + Fils"


def test_typographic_quotes_and_dashes_become_ascii():
    assert sepa_text("L\u2019Étoile \u2013 «Assurances»", 70) == "L'Etoile - Assurances"


def test_characters_outside_the_set_become_single_spaces():
    assert sepa_text("Jean\tDupont  @ home\n#42", 70) == "Jean Dupont home 42"


def test_name_longer_than_70_is_cut_to_70():
    name = "Compagnie Generale d'Assurances et de Reassurances du Sud-Ouest Atlantique SA"
    assert len(name) > 70
    result = sepa_text(name, 70)
    assert len(result) == 70
    assert result == name[:70]


def test_cut_applies_after_transliteration():
    # Each "ß" becomes two letters: the limit holds on what is written, not on the input.
    assert sepa_text("ß" * 50, 70) == "ss" * 35


def test_cut_leaves_no_trailing_space():
    value = "A" * 69 + " B"
    assert sepa_text(value, 70) == "A" * 69


def test_remittance_is_cut_to_140():
    remittance = "Prime contrat AUTO-2026-0001 echeance janvier " * 5
    result = sepa_text(remittance, 140)
    assert len(result) == 140
    assert result == remittance[:140]


@pytest.mark.parametrize("value", ["张伟", "Ελένη", "Иван", "مريم", "!!!", "", None])
def test_value_without_latin_character_is_refused(value):
    with pytest.raises(SepaTextError, match="no character of the SEPA character set"):
        sepa_text(value, 70, "Debtor name")


def test_sepa_text_error_is_a_value_error():
    assert issubclass(SepaTextError, ValueError)
    with pytest.raises(ValueError, match="Debtor name '张伟'"):
        sepa_text("张伟", 70, "Debtor name")


def test_latin_part_of_a_mixed_script_name_is_kept():
    assert sepa_text("Zhang Wei 张伟", 70) == "Zhang Wei"


@pytest.mark.parametrize(
    "value",
    [
        "Élodie Françoise Groß & Fils",
        "L\u2019Œuvre «Sociale» \u2014 Łódź",
        "Jean_Dupont@example.com; tel. +33 (0)1 23 45 67 89",
        "Ærø ½ ﬁn ™ ©",
        "Ref: 2026/01 ? ok, 'yes' - fine.",
    ],
)
def test_result_is_always_in_the_sepa_set(value):
    result = sepa_text(value, 140)
    assert SEPA_SET.fullmatch(result), result
    assert result == result.strip()
    assert "  " not in result


@pytest.mark.parametrize(
    "value",
    ["UMR-2026-000001", "A" * 35, "E2E/2026/01", "Ref:(1).2,'x'+y?", "1"],
)
def test_valid_identifier_is_returned_unchanged(value):
    assert check_identifier(value, "Mandate reference") == value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("UMR 2026 01", id="space"),
        pytest.param("/UMR-1", id="leading-slash"),
        pytest.param("UMR-1/", id="trailing-slash"),
        pytest.param("UMR//1", id="double-slash"),
        pytest.param("A" * 36, id="36-chars"),
        pytest.param("", id="empty"),
        pytest.param("UMR-é", id="accent"),
        pytest.param("UMR_1", id="underscore"),
        pytest.param("UMR&1", id="ampersand"),
        pytest.param(None, id="none"),
        pytest.param(12345, id="integer"),
    ],
)
def test_invalid_identifier_is_refused(value):
    with pytest.raises(SepaTextError, match=r"Mandate reference .* must be 1 to 35 characters"):
        check_identifier(value, "Mandate reference")


@pytest.mark.parametrize("value", ["UMR-1\n", "UMR-1\r\n", "\nUMR-1", "UMR\n1"], ids=repr)
def test_identifier_with_a_newline_is_refused(value):
    # Regression: ID_PATTERN ended with "$", which also matches before a final newline.
    with pytest.raises(SepaTextError, match="must be 1 to 35 characters"):
        check_identifier(value, "Mandate reference")
