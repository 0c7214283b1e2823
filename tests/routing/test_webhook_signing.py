"""Signed webhooks to NGOs: a round trip verifies; tampering, wrong secrets and replays do not."""

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.errors import SignatureError
from bot.delivery.signing import HEADER, sign, verify

SECRET = "whsec-0123456789abcdef"
BODY = b'{"referral_id":"r-1","abuse_types":["wages"],"province":"ON"}'
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_a_signed_delivery_verifies():
    header = sign(BODY, SECRET, NOW)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    verify(header, BODY, SECRET, NOW + timedelta(seconds=30))


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    t = int(NOW.timestamp())
    expected = hmac.new(SECRET.encode(), f"{t}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET, NOW) == f"t={t},v1={expected}"


def test_a_changed_body_is_refused():
    header = sign(BODY, SECRET, NOW)
    with pytest.raises(SignatureError, match="does not match"):
        verify(header, BODY.replace(b"ON", b"BC"), SECRET, NOW)


def test_a_changed_timestamp_is_refused():
    header = sign(BODY, SECRET, NOW)
    forged = re.sub(r"t=(\d+)", lambda m: f"t={int(m[1]) + 60}", header)
    with pytest.raises(SignatureError, match="does not match"):
        verify(forged, BODY, SECRET, NOW)


def test_another_secret_is_refused():
    with pytest.raises(SignatureError, match="does not match"):
        verify(sign(BODY, "another-secret-entirely", NOW), BODY, SECRET, NOW)


def test_an_old_delivery_replayed_is_refused():
    header = sign(BODY, SECRET, NOW)
    verify(header, BODY, SECRET, NOW + timedelta(seconds=300))
    with pytest.raises(SignatureError, match="replay"):
        verify(header, BODY, SECRET, NOW + timedelta(seconds=301))
    with pytest.raises(SignatureError, match="replay"):
        verify(header, BODY, SECRET, NOW + timedelta(hours=1), tolerance=600)


def test_a_timestamp_from_the_future_is_refused():
    with pytest.raises(SignatureError):
        verify(sign(BODY, SECRET, NOW + timedelta(minutes=10)), BODY, SECRET, NOW)


@pytest.mark.parametrize(
    "header", [None, "", "garbage", "t=abc,v1=00", "v1=00", "t=1", "t=1,t=2,v1=00"]
)
def test_a_missing_or_malformed_header_is_refused(header):
    with pytest.raises(SignatureError):
        verify(header, BODY, SECRET, NOW)


def test_during_a_secret_rotation_either_secret_verifies():
    header = sign(BODY, ["new-secret-0123456789", SECRET], NOW)
    assert header.count("v1=") == 2
    verify(header, BODY, SECRET, NOW)
    verify(header, BODY, "new-secret-0123456789", NOW)
    verify(sign(BODY, SECRET, NOW), BODY, ["new-secret-0123456789", SECRET], NOW)


def test_signing_refuses_an_empty_secret_or_a_naive_time():
    with pytest.raises(ValueError):
        sign(BODY, "", NOW)
    with pytest.raises(ValueError):
        sign(BODY, SECRET, datetime(2026, 1, 1))


def test_the_snippet_given_to_ngos_accepts_our_signatures_and_refuses_tampering():
    doc = (Path(__file__).parents[2] / "bot" / "delivery" / "WEBHOOKS.md").read_text()
    assert HEADER in doc
    snippet = re.search(r"```python\n(.*?)```", doc, re.S)[1]
    namespace: dict = {}
    exec(snippet, namespace)
    check = namespace["verify_puente_signature"]
    header = sign(BODY, SECRET, int(time.time()))
    assert check(header, BODY, SECRET) is True
    assert check(header, BODY + b" ", SECRET) is False
    assert check(sign(BODY, SECRET, int(time.time()) - 3600), BODY, SECRET) is False
    assert check("nonsense", BODY, SECRET) is False
