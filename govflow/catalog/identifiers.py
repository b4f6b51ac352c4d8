"""Checks of one identifier: resident ID numbers (GB 11643), unified social credit codes
(GB 32100) and mainland mobile numbers, their check characters, the patterns a browser checks
while typing, and the PIPL mask of the middle of a value. Field types, accounts and parties use
them alike.
"""
from __future__ import annotations

import re
from datetime import date

from django.utils import timezone

#: What a browser checks while typing (HTML ``pattern`` attributes are anchored already).
PHONE_INPUT_PATTERN = "1[3-9][0-9]{9}"
ID_NUMBER_INPUT_PATTERN = r"\d{17}[\dXx]"
_PHONE_RE = re.compile(f"^{PHONE_INPUT_PATTERN}$")
_ID_NUMBER_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"


# --------------------------------------------------------------------------------------------
# Checks of one value


def id_number_check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character (``0``–``9`` or ``X``) for 17 digits.

    >>> id_number_check_char("11010519491231002")
    'X'
    """
    if not isinstance(first17, str) or not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("first17 must be a string of exactly 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK_CHARS[total % 11]


def is_valid_id_number(value: object) -> bool:
    """Whether ``value`` is an 18-character PRC resident ID number (GB 11643-1999).

    17 digits (address code, birth date ``YYYYMMDD``, sequence) and a check character verified
    with ISO 7064 MOD 11-2. The check character ``X`` must be upper case; surrounding whitespace
    is not accepted (normalise before storing). The birth date must be a real date, from 1900 on
    and not in the future. The address code is not checked against GB/T 2260: codes change over
    time and permanent-residence cards of foreigners use their own prefix.
    """
    if not isinstance(value, str) or not _ID_NUMBER_RE.fullmatch(value):
        return False
    if id_number_check_char(value[:17]) != value[17]:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return born.year >= 1900 and born <= timezone.localdate()


#: The 31 characters a unified social credit code is written with (no I, O, S, V, Z), in the order
#: of their values in the check-character computation (GB 32100-2015).
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: What a browser checks while typing: the alphabet in either case (the answer is read in capitals).
USCC_INPUT_PATTERN = f"[{USCC_CHARS}{USCC_CHARS[10:].lower()}]{{18}}"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_RE = re.compile(f"^[{USCC_CHARS}]{{18}}$")


def uscc_check_char(first17: str) -> str:
    """Return the check character of a unified social credit code's first 17 characters.

    GB 32100-2015: each character's value (its position in :data:`USCC_CHARS`) times the weight
    ``3^i mod 31``; the check value is ``31 - sum mod 31`` (31 becomes 0).

    >>> uscc_check_char("91350100M000100Y4")
    '3'
    """
    if not isinstance(first17, str) or len(first17) != 17 or any(c not in USCC_CHARS for c in first17):
        raise ValueError("first17 must be 17 characters of the USCC alphabet")
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(value: object) -> bool:
    """Whether ``value`` is an 18-character unified social credit code (统一社会信用代码, GB 32100)
    with a correct check character. Upper case only: normalise before checking. The registration
    authority, type and the embedded organisation code are not checked against registries."""
    return (isinstance(value, str) and bool(_USCC_RE.fullmatch(value))
            and uscc_check_char(value[:17]) == value[17])


def is_valid_phone(value: object) -> bool:
    """Whether ``value`` is a mainland China mobile number: 11 digits, ``1`` then ``3``–``9``."""
    return isinstance(value, str) and bool(_PHONE_RE.fullmatch(value))


def mask_middle(value: str | None) -> str:
    """PIPL: only the first 3 and the last 4 characters shown (``138****0000``); a value of 7
    characters or fewer is masked whole."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
