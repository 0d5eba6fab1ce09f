"""The adapter's screening calls against the fake: the happy path, each outcome, and every error
path (401/403/404/409/429/5xx, timeouts, unreadable answers, a lost answer to *run*)."""

from __future__ import annotations

import time

import pytest

from providers.base import ProviderError, UnreadableAnswer
from providers.transactionlink.client import MISSING_DEFINITION
from providers.transactionlink.mapping import Decision, DecisionRule, RunState, run_state, verdict
from providers.transactionlink.provider import RunUncertain
from tests.fakes.transactionlink import Outcome

pytestmark = pytest.mark.django_db

PERSON = {"firstName": "Ada", "lastName": "Lind", "personalNumber": "19800101-1234", "email": "ada@example.com"}


@pytest.fixture(autouse=True)
def _no_backoff_wait(monkeypatch):
    monkeypatch.setattr("providers.http.ProviderHttp._backoff", lambda self, attempt: None)


@pytest.fixture
def definition(fake_tl):
    return fake_tl.add_definition()


@pytest.mark.parametrize(
    ("outcome", "decision"),
    [
        (Outcome.APPROVED, Decision.APPROVED),
        (Outcome.REJECTED, Decision.REJECTED),
        (Outcome.MANUAL_REVIEW, Decision.REVIEW),
    ],
)
def test_a_run_completes_with_the_cases_outcome(fake_tl, tl, definition, outcome, decision):
    case_id = tl.create_case(PERSON)
    assert fake_tl.cases[case_id] == PERSON
    fake_tl.set_outcome(case_id, outcome)
    fake_tl.run_seconds = 30
    run = tl.run(case_id, definition)
    assert run.state == RunState.RUNNING and run.case_id == case_id
    fake_tl.advance(31)
    assert tl.status(run.id).state == RunState.COMPLETED
    result = tl.decision(run.id, DecisionRule())
    assert result.decision == decision
    if decision == Decision.REJECTED:
        assert result.summary == "Match on a sanctions list."  # the summary, not the raw result


@pytest.mark.parametrize("outcome", [Outcome.FAILED, Outcome.EXPIRED])
def test_runs_that_end_without_a_result_read_as_failed(fake_tl, tl, definition, outcome):
    case_id = tl.create_case({"companyName": "Acme AB", "companyNumber": "556000-0000"})
    fake_tl.set_outcome(case_id, outcome)
    assert tl.status(tl.run(case_id, definition).id).state == RunState.FAILED


def test_a_run_that_never_finishes_stays_running(fake_tl, tl, definition):
    case_id = tl.create_case(PERSON)
    fake_tl.set_outcome(case_id, Outcome.NEVER)
    run = tl.run(case_id, definition)
    fake_tl.advance(86400)
    assert tl.status(run.id).state == RunState.RUNNING


def test_parameters_are_sent_and_their_refusal_is_shown(fake_tl, tl):
    definition = fake_tl.add_definition(required_parameters=["country"])
    with pytest.raises(ProviderError, match="Missing required parameter: country"):
        tl.create_parameters(definition, {})
    parameters_id = tl.create_parameters(definition, {"country": "SE"})
    run = tl.run(tl.create_case(PERSON), definition, parameters_id)
    assert fake_tl.requests_to("POST", "/workflows/run")[-1].json()["parametersId"] == parameters_id
    assert run.state == RunState.COMPLETED


def test_an_unknown_definition_reads_as_a_workflow_that_no_longer_exists(fake_tl, tl):
    case_id = tl.create_case(PERSON)
    with pytest.raises(ProviderError) as refused:
        tl.run(case_id, "deleted-definition")
    assert refused.value.message == MISSING_DEFINITION and refused.value.permanent
    with pytest.raises(ProviderError, match=MISSING_DEFINITION):
        tl.create_parameters("deleted-definition", {"country": "SE"})
    assert not fake_tl.runs


def test_a_timeout_on_run_is_never_repeated_exactly_one_run_exists(fake_tl, tl, definition, settings, monkeypatch):
    monkeypatch.setattr("providers.http.TIMEOUT", (2.0, 0.3))
    case_id = tl.create_case(PERSON)
    fake_tl.time_out_next("POST", "/workflows/run", seconds=1.0)
    with pytest.raises(RunUncertain, match="may have started"):
        tl.run(case_id, definition)
    assert len(fake_tl.requests_to("POST", "/workflows/run")) == 1
    deadline = time.monotonic() + 5
    while not fake_tl.runs and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(fake_tl.runs) == 1  # the run started at TransactionLink, once


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_on_run_is_uncertain_and_not_retried(fake_tl, tl, definition, status):
    case_id = tl.create_case(PERSON)
    fake_tl.fail_next("POST", "/workflows/run", status=status)
    with pytest.raises(RunUncertain):
        tl.run(case_id, definition)
    assert len(fake_tl.requests_to("POST", "/workflows/run")) == 1


def test_status_reads_survive_a_server_error_by_retrying(fake_tl, tl, definition):
    run = tl.run(tl.create_case(PERSON), definition)
    fake_tl.fail_next("GET", "/workflows/", status=503)
    assert tl.status(run.id).state == RunState.COMPLETED


def test_403_and_409_are_readable_refusals(fake_tl, tl, definition):
    fake_tl.fail_next("POST", "/cases", status=403, body={"message": "Plan does not include KYB."})
    with pytest.raises(ProviderError, match="Plan does not include KYB"):
        tl.create_case(PERSON)
    fake_tl.run_seconds = 60
    run = tl.run(tl.create_case(PERSON), definition)
    with pytest.raises(ProviderError, match="has not completed"):
        tl.decision(run.id, DecisionRule())


def test_429_says_when_paraph_tries_again(fake_tl, tl):
    fake_tl.fail_next("POST", "/cases", status=429, headers={"Retry-After": "600"})
    with pytest.raises(ProviderError) as limited:
        tl.create_case(PERSON)
    assert limited.value.retry_after == 600 and not fake_tl.cases


def test_unreadable_answers_are_named_not_crashes(fake_tl, tl, definition):
    fake_tl.answer_html_next("POST", "/cases")
    with pytest.raises(UnreadableAnswer, match="not JSON"):
        tl.create_case(PERSON)
    fake_tl.fail_next("GET", "/workflows/", status=200, body={"id": "x", "status": "RUNNING"})
    with pytest.raises(UnreadableAnswer, match="caseId is missing"):
        tl.status("x")
    # An unreadable answer to *run* may still mean a run started: uncertain, never repeated.
    fake_tl.fail_next("POST", "/workflows/run", status=200, body={"id": "x", "status": "RUNNING"})
    with pytest.raises(RunUncertain, match="caseId is missing"):
        tl.run(tl.create_case(PERSON), definition)


def test_unknown_status_values_read_as_still_running():
    assert run_state("QUEUED_FOR_ANALYST") == RunState.RUNNING
    assert run_state("completed") == RunState.COMPLETED
    assert run_state(None) == RunState.RUNNING


def test_the_decision_rule_is_configuration():
    rule = DecisionRule.from_config({"field": "outcome.verdict", "approved": "clear", "rejected": ["hit"]})
    assert verdict({"outcome": {"verdict": "CLEAR"}}, rule).decision == Decision.APPROVED
    assert verdict({"outcome": {"verdict": "hit"}, "summary": "On a list."}, rule).summary == "On a list."
    assert verdict({"outcome": {"verdict": "pending"}}, rule).decision == Decision.REVIEW
    unreadable = verdict({"something": "else"}, rule)
    assert unreadable.decision == Decision.REVIEW and "no readable outcome.verdict" in unreadable.summary
