"""Property tests of the two identifiers govflow checks: the resident ID number (GB 11643, ISO 7064
MOD 11-2) and the unified social credit code (GB 32100, MOD 31).

What the check schemes guarantee, and so what is asserted here:

* Both are weighted sums modulo a prime (11, 31) in which every weight, the check character's
  included, is non-zero modulo that prime. Changing one character from value ``a`` to ``b``
  changes the sum by ``w·(b − a)``, non-zero modulo the prime because ``0 < |b − a| < prime``:
  **every single-character change is detected**.
* Swapping adjacent characters ``a``, ``b`` at weights ``w₁``, ``w₂`` changes the sum by
  ``(a − b)(w₂ − w₁)``. For the ID number the weights are ``2^k mod 11`` (neighbours differ by a
  factor 2, and the check character's weight is 1, its neighbour's 2); for the USCC ``3^k mod 31``
  (neighbours differ by a factor 3; the last data character's weight is 28, the check
  character's 1). So ``w₂ − w₁`` is never 0 modulo the prime, and neither is ``a − b`` for distinct
  characters (values 0–10 and 0–30): **every transposition of adjacent distinct characters is
  detected**.
* Nothing more is asserted: two changes can cancel out (many pairs of substitutions keep the sum),
  and an ID number's other checks (a real birth date) are no check-sum property.

The sums are recomputed here from the standards' own definitions (weights as powers, the whole
18-character sum), not with the functions under test.
"""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govflow.catalog.identifiers import (
    USCC_CHARS,
    id_number_check_char,
    is_valid_id_number,
    is_valid_uscc,
    uscc_check_char,
)

PROPERTIES = settings(max_examples=300, derandomize=True, database=None, deadline=None)
ID_CHARS = "0123456789X"

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)
# Birth dates well in the past, so that no result depends on today.
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@st.composite
def id_numbers(draw) -> str:
    """A valid ID number: any address code, a real birth date, any sequence, the check character."""
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    born = draw(birth_dates)
    sequence = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    first17 = f"{region}{born:%Y%m%d}{sequence}"
    return first17 + id_number_check_char(first17)


usccs = st.text(alphabet=USCC_CHARS, min_size=17, max_size=17).map(lambda body: body + uscc_check_char(body))


def _id_sum(number: str) -> int:
    """GB 11643: Σ aᵢ·2^(i−1) over all 18 characters, i counted from the right (X is 10), mod 11."""
    return sum(ID_CHARS.index(c) * pow(2, i, 11) for i, c in enumerate(reversed(number))) % 11


def _uscc_sum(code: str) -> int:
    """GB 32100: Σ value·3^(i−1) over the first 17 characters plus the check value, mod 31."""
    return (sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
            + USCC_CHARS.index(code[17])) % 31


def _changed(value: str, position: int, char: str) -> str:
    return value[:position] + char + value[position + 1:]


def _swapped(value: str, position: int) -> str:
    return value[:position] + value[position + 1] + value[position] + value[position + 2:]


# -- resident ID numbers ------------------------------------------------------------------------


@PROPERTIES
@given(id_numbers())
def test_17_digits_with_a_real_birth_date_and_the_computed_check_character_validate(number):
    assert is_valid_id_number(number)
    assert _id_sum(number) == 1  # ISO 7064 MOD 11-2, from the standard's definition


@PROPERTIES
@given(id_numbers(), st.integers(0, 17), st.sampled_from(ID_CHARS))
def test_any_single_character_change_of_an_id_number_is_refused(number, position, char):
    changed = _changed(number, position, char)
    if changed != number:
        assert not is_valid_id_number(changed)


@PROPERTIES
@given(id_numbers(), st.integers(0, 16))
def test_any_swap_of_adjacent_distinct_characters_of_an_id_number_is_refused(number, position):
    swapped = _swapped(number, position)
    if swapped != number:
        assert not is_valid_id_number(swapped)


@PROPERTIES
@given(id_numbers(), st.integers(0, 17), digits)
def test_an_id_number_of_another_length_or_with_a_lower_case_x_is_refused(number, cut, extra):
    assert not is_valid_id_number(number[:cut])
    assert not is_valid_id_number(number + extra)
    assert not is_valid_id_number(number[:17] + "x")
    assert not is_valid_id_number(f" {number}")


def test_the_check_character_examples_of_the_standard():
    assert id_number_check_char("11010519491231002") == "X"  # GB 11643-1999's example
    assert is_valid_id_number("11010519491231002X") and not is_valid_id_number("11010519491231002x")


# -- unified social credit codes ----------------------------------------------------------------


@PROPERTIES
@given(usccs)
def test_any_17_characters_of_the_alphabet_with_the_computed_check_character_validate(code):
    assert is_valid_uscc(code)
    assert _uscc_sum(code) == 0  # GB 32100, from the standard's definition


@PROPERTIES
@given(usccs, st.integers(0, 17), st.sampled_from(USCC_CHARS))
def test_any_single_character_change_of_a_uscc_is_refused(code, position, char):
    changed = _changed(code, position, char)
    if changed != code:
        assert not is_valid_uscc(changed)


@PROPERTIES
@given(usccs, st.integers(0, 16))
def test_any_swap_of_adjacent_distinct_characters_of_a_uscc_is_refused(code, position):
    swapped = _swapped(code, position)
    if swapped != code:
        assert not is_valid_uscc(swapped)


@PROPERTIES
@given(usccs, st.integers(0, 17), st.sampled_from(USCC_CHARS), st.sampled_from("IOSVZ"))
def test_a_uscc_of_another_length_in_lower_case_or_with_a_letter_outside_the_alphabet_is_refused(
        code, cut, extra, outside):
    assert not is_valid_uscc(code[:cut])
    assert not is_valid_uscc(code + extra)
    if code.lower() != code:
        assert not is_valid_uscc(code.lower())
    assert not is_valid_uscc(_changed(code, cut, outside))


@pytest.mark.parametrize("code", ["91330106MA2B7K5L1F", "91350100M000100Y43"])
def test_known_codes_validate(code):
    """The demo company's code, and the example of GB 32100-2015's annex."""
    assert is_valid_uscc(code) and uscc_check_char(code[:17]) == code[17]
