"""Who is screened is checked before anything reaches TransactionLink."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from providers.transactionlink.subjects import Company, Person, case_fields, company_problems, person_problems


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("SE", "19811218-9876"),
        ("SE", "811218-9876"),
        ("se", "198112189876"),
        ("FI", "131052-308T"),
        ("NO", "15076500565"),
        ("DK", "010190-1234"),
    ],
)
def test_valid_personal_numbers_pass(country, number):
    assert person_problems(Person("Ada", "Lind", number, country)) == []


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("SE", "19811218-9875"),
        ("SE", "19811318-9876"),
        ("SE", "1981"),
        ("FI", "131052-308U"),
        ("NO", "15076500566"),
        ("DK", "320190-1234"),
    ],
)
def test_a_personal_number_wrong_for_its_country_is_refused_readably(country, number):
    assert person_problems(Person("Ada", "Lind", number, country)) == [
        f"{number} is not a valid personal number for {country}."
    ]


def test_a_country_paraph_cannot_check_is_said():
    assert "cannot check personal numbers from XX" in person_problems(Person("Ada", "Lind", "123", "XX"))[0]


def test_names_are_needed_and_a_birth_date_cannot_be_in_the_future():
    problems = person_problems(Person("", "Lind", birth_date=date.today() + timedelta(days=1)))
    assert problems == ["Give the person's first and last name to screen them.", "The date of birth is in the future."]


def test_a_company_needs_its_registration_number():
    assert company_problems(Company("Acme AB", " ")) == ["Give the company's registration number to screen it."]
    assert company_problems(Company("Acme AB", "556000-0000")) == []


def test_case_fields_are_the_documented_names_with_only_what_was_given():
    assert case_fields(Person("Ada", "Lind", "19811218-9876", "SE", "ada@example.com")) == {
        "firstName": "Ada",
        "lastName": "Lind",
        "personalNumber": "198112189876",
        "email": "ada@example.com",
    }
    assert case_fields(Company("Acme AB", "556000-0000")) == {"companyName": "Acme AB", "companyNumber": "556000-0000"}


def test_case_fields_are_accepted_by_the_fake(fake_tl, tl, db):
    case_id = tl.create_case(case_fields(Company("Acme AB", "556000-0000", "Storgatan 1, Stockholm")))
    assert fake_tl.cases[case_id]["companyAddress"] == "Storgatan 1, Stockholm"
