from datetime import datetime, timedelta

from sepa_dunning import signing

SENT = datetime(2026, 12, 4, 10, 0)


def _digest(code, signature_id=7, secret="database-secret"):
    return signing.code_digest(secret, signature_id, code)


def test_a_new_code_is_six_digits_and_never_the_same_twice_in_a_row_of_a_hundred():
    codes = [signing.new_code() for _ in range(100)]
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(set(codes)) > 90


def test_the_digest_binds_the_code_to_its_signature_and_the_database():
    assert _digest("123456") == _digest("123 456") == _digest("123-456")
    assert _digest("123456") != _digest("123457")
    assert _digest("123456") != _digest("123456", signature_id=8), "a code of another signature does not sign"
    assert _digest("123456") != _digest("123456", secret="other"), "nor one of another database"
    assert "123456" not in _digest("123456")


def test_the_right_code_in_time_signs():
    assert signing.check(_digest("123456"), _digest("123456"), SENT, SENT + timedelta(minutes=9), 0) == signing.SIGNED


def test_a_code_ten_minutes_old_no_longer_signs_even_right():
    late = SENT + signing.CODE_VALIDITY + timedelta(seconds=1)
    assert signing.check(_digest("123456"), _digest("123456"), SENT, late, 0) == signing.EXPIRED


def test_five_tries_and_then_a_new_code():
    stored, wrong = _digest("123456"), _digest("000000")
    outcomes = [signing.check(wrong, stored, SENT, SENT, attempts) for attempts in range(5)]
    assert outcomes == [signing.WRONG] * 4 + [signing.TOO_MANY]
    assert signing.check(stored, stored, SENT, SENT, 5) == signing.TOO_MANY, "even the right code after the last try"


def test_the_evidence_masks_where_the_code_went():
    assert signing.mask_phone("+33 6 12 34 56 78") == "+33*******78"
    assert signing.mask_phone("06 12 34 56 78") == "06******78"
    assert signing.mask_email("jeanne.dupont@example.fr") == "j************@example.fr"
    assert signing.mask_email("j@example.fr") == "j**@example.fr"


def test_the_document_hash_is_its_sha256():
    assert signing.document_hash(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
