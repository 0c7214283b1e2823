"""Case codes: unguessable, free of look-alikes, typed back in any form, stored only as a keyed hash."""

import math
import random
import re
from collections import Counter

import pytest

from bot.cases.casecode import (
    ALPHABET,
    code_hash,
    code_matches,
    display,
    new_code,
    normalize,
)

KEY = b"k" * 32


def test_a_new_code_is_eight_characters_of_the_alphabet_with_two_digits_and_two_letters():
    for _ in range(2000):
        code = new_code()
        assert re.fullmatch(f"[{ALPHABET}]{{8}}", code)
        assert sum(c.isdigit() for c in code) >= 2
        assert sum(c.isalpha() for c in code) >= 2


def test_the_alphabet_has_no_look_alikes():
    assert not set("0O1IL") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET) == 31


def test_codes_are_drawn_uniformly_and_do_not_repeat():
    codes = [new_code() for _ in range(20000)]
    assert len(set(codes)) == len(codes)
    counts = Counter("".join(codes))
    assert set(counts) == set(ALPHABET)
    # Valid codes hold more digits than a free draw would; within digits and letters, no favourite.
    for group in ("23456789", ALPHABET[8:]):
        expected = sum(counts[c] for c in group) / len(group)
        assert all(abs(counts[c] - expected) < 0.1 * expected for c in group)


def test_there_are_enough_codes_that_guessing_is_hopeless():
    n, digits, letters = 8, 8, 23
    too_few_digits = sum(math.comb(n, d) * digits**d * letters ** (n - d) for d in (0, 1))
    too_few_letters = sum(math.comb(n, d) * digits**d * letters ** (n - d) for d in (7, 8))
    valid = len(ALPHABET) ** n - too_few_digits - too_few_letters
    assert math.log2(valid) > 39  # a million guesses find a given code with odds under 1 in 500,000


def test_a_seeded_generator_gives_reproducible_codes_for_tests():
    assert new_code(random.Random(1)) == new_code(random.Random(1))


def test_a_code_is_shown_as_two_groups_of_four():
    assert display("ab3d7fgh") == "AB3D-7FGH"
    with pytest.raises(ValueError):
        display("not a code")


@pytest.mark.parametrize(
    "typed",
    ["AB3D-7FGH", "ab3d7fgh", " ab3d 7fgh ", "Ab3d\u20137fgh", "AB3D\u00a07FGH", "ab3d\u20117fgh"],
)
def test_a_worker_may_type_the_code_in_any_case_with_or_without_a_separator(typed):
    assert normalize(typed) == "AB3D7FGH"


@pytest.mark.parametrize(
    "typed",
    [
        "AB3D-7FG0",  # zero
        "AB3D-7FGO",  # letter O
        "AB3D-7FG1",  # one
        "AB3D-7FGI",
        "AB3D-7FGL",
        "AB3D-7FG",  # too short
        "AB3D-7FGHJ",  # too long
        "ABCD-EFGH",  # no digits
        "2345-678A",  # one letter
        "AB3D-7FG\u00df",  # German sharp s, which upper-cases to two letters
        "",
        "hola",
    ],
)
def test_anything_else_is_not_a_code_and_look_alikes_are_not_guessed(typed):
    assert normalize(typed) is None


def test_the_stored_hash_is_keyed_and_the_same_for_every_way_of_typing_the_code():
    stored = code_hash("AB3D7FGH", KEY)
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert code_hash("ab3d-7fgh", KEY) == stored
    assert code_hash("AB3D7FGH", b"another key" * 3) != stored
    assert "AB3D7FGH" not in stored


def test_a_typed_code_is_checked_against_the_stored_hash():
    stored = code_hash("AB3D7FGH", KEY)
    assert code_matches("ab3d 7fgh", KEY, stored)
    assert not code_matches("AB3D7FGJ", KEY, stored)
    assert not code_matches("AB3D7FG0", KEY, stored)
    assert not code_matches("ab3d 7fgh", b"wrong-key" * 4, stored)


def test_hashing_needs_a_code_and_a_key():
    with pytest.raises(ValueError):
        code_hash("O0O0O0O0", KEY)
    with pytest.raises(ValueError):
        code_hash("AB3D7FGH", b"")
