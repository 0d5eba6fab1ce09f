"""Who is screened, checked before anything is sent: a person (names, personal number for its
country, e-mail, date of birth where given) or a company (name, registration number, address).
Each problem is a sentence the sender can act on; a subject with problems is never sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    personal_number: str = ""
    country: str = ""  # ISO 3166 alpha-2 of the personal number
    email: str = ""
    birth_date: date | None = None


@dataclass(frozen=True)
class Company:
    name: str
    number: str
    address: str = ""


def person_problems(person: Person) -> list[str]:
    problems = []
    if not person.first_name.strip() or not person.last_name.strip():
        problems.append("Give the person's first and last name to screen them.")
    if person.personal_number:
        check = PERSONAL_NUMBER_CHECKS.get(person.country.upper())
        if check is None:
            problems.append(f"Paraph cannot check personal numbers from {person.country or 'an unnamed country'}.")
        elif not check(person.personal_number):
            problems.append(f"{person.personal_number} is not a valid personal number for {person.country.upper()}.")
    if person.birth_date and person.birth_date > date.today():
        problems.append("The date of birth is in the future.")
    return problems


def company_problems(company: Company) -> list[str]:
    problems = []
    if not company.name.strip():
        problems.append("Give the company's name to screen it.")
    if not company.number.strip():
        problems.append("Give the company's registration number to screen it.")
    return problems


def case_fields(subject: Person | Company) -> dict[str, str]:
    """The body of "Create case" for a subject (only the fields given)."""
    if isinstance(subject, Company):
        fields = {"companyName": subject.name, "companyNumber": subject.number, "companyAddress": subject.address}
    else:
        fields = {
            "firstName": subject.first_name,
            "lastName": subject.last_name,
            "personalNumber": _digits(subject.personal_number) if subject.personal_number else "",
            "email": subject.email,
        }
    return {name: value.strip() for name, value in fields.items() if value and value.strip()}


def _digits(value: str) -> str:
    return re.sub(r"[\s+-]", "", value)


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day if day <= 60 else day - 60)  # a coordination number adds 60 to the day
    except ValueError:
        return False
    return True


def _sweden(value: str) -> bool:
    # Personnummer: (YY)YYMMDD[-+]NNNC, C a Luhn check digit over the last ten digits.
    digits = _digits(value)
    if not re.fullmatch(r"\d{10}|\d{12}", digits):
        return False
    ten = digits[-10:]
    year = int(digits[:4]) if len(digits) == 12 else 1900 + int(ten[:2])
    return _valid_date(year, int(ten[2:4]), int(ten[4:6])) and _luhn(ten)


def _finland(value: str) -> bool:
    # Henkilötunnus: DDMMYY, century sign, NNN, check character (mod 31).
    match = re.fullmatch(r"(\d{6})([-+AaBCDEFUVWXY])(\d{3})([0-9A-Ya-y])", value.strip())
    if not match:
        return False
    birth, _, serial, check = match.groups()
    if not _valid_date(2000, int(birth[2:4]), int(birth[:2])):
        return False
    return "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(birth + serial) % 31] == check.upper()


def _norway(value: str) -> bool:
    # Fødselsnummer: DDMMYY NNN K1 K2, two mod-11 check digits.
    digits = _digits(value)
    if not re.fullmatch(r"\d{11}", digits):
        return False
    numbers = [int(c) for c in digits]
    for weights, position in (((3, 7, 6, 1, 8, 9, 4, 5, 2), 9), ((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), 10)):
        check = 11 - sum(w * n for w, n in zip(weights, numbers, strict=False)) % 11
        if check == 11:
            check = 0
        if check == 10 or check != numbers[position]:
            return False
    day = int(digits[:2])
    return _valid_date(2000, int(digits[2:4]) % 40, day - 40 if day > 40 else day)


def _denmark(value: str) -> bool:
    # CPR: DDMMYY-NNNN (no check digit since 2007, so only the date is checked).
    digits = _digits(value)
    return bool(re.fullmatch(r"\d{10}", digits)) and _valid_date(2000, int(digits[2:4]), int(digits[:2]))


PERSONAL_NUMBER_CHECKS = {"SE": _sweden, "FI": _finland, "NO": _norway, "DK": _denmark}
