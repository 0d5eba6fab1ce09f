"""The envelope pages as a sender, viewer or stranger sees them."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from envelopes.composing.participants import participant_add
from envelopes.models import Envelope, EnvelopeStatus, Participant, Template
from envelopes.services import envelope_create
from portal.models import Role
from tests.envelopes.journeys import envelope_through
from tests.envelopes.pdfs import make_pdf

HTMX = {"HX-Request": "true"}


@pytest.fixture
def sender_client(member_client, fake_providers):
    client, membership = member_client(role=Role.SENDER)
    return client, membership


@pytest.fixture
def draft(sender_client):
    _, membership = sender_client
    return envelope_create(org=membership.org, actor=membership.user, title="Lease", provider="memory")


def test_opening_the_new_envelope_address_offers_to_start_and_creates_nothing(sender_client, make_org):
    client, membership = sender_client
    Template.objects.create(org=membership.org, name="Standard lease")
    Template.objects.create(org=make_org(), name="Someone else's template")
    response = client.get(reverse("envelope_new"))
    page = response.content.decode()
    assert response.status_code == 200 and "Start composing" in page
    assert "Standard lease" in page and "Someone else" not in page
    assert not Envelope.objects.exists()


def test_viewers_cannot_open_the_new_envelope_page(member_client):
    client, _ = member_client(role=Role.VIEWER)
    assert client.get(reverse("envelope_new")).status_code == 403


def test_signers_page_is_headed_by_the_organization_like_other_top_level_pages(sender_client):
    client, membership = sender_client
    page = client.get(reverse("signer_tracking")).content.decode()
    assert f'<p class="eyebrow">{membership.org.name}</p>' in page


def test_new_envelope_opens_the_compose_page(sender_client):
    client, membership = sender_client
    response = client.post(reverse("envelope_new"), follow=True)
    envelope = Envelope.objects.get(org=membership.org)
    assert response.redirect_chain[-1][0] == reverse("envelope_compose", args=[envelope.pk])
    page = response.content.decode()
    for heading in ["1. Title and settings", "2. Documents", "3. Participants", "What will happen"]:
        assert heading in page


def test_uploading_two_pdfs_at_once_swaps_only_the_documents_section(sender_client, draft):
    client, _ = sender_client
    files = [SimpleUploadedFile("a.pdf", make_pdf(2)), SimpleUploadedFile("b.pdf", make_pdf(3))]
    response = client.post(reverse("envelope_documents", args=[draft.pk]), {"files": files}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and response["HX-Trigger"] == "envelope-changed"
    assert html.strip().startswith('<section class="card" id="documents"') and "<html" not in html
    assert "2 pages" in html and "3 pages" in html
    assert [d.name for d in draft.documents.all()] == ["a.pdf", "b.pdf"]


def test_a_refused_file_is_named_and_the_good_one_kept(sender_client, draft):
    client, _ = sender_client
    files = [SimpleUploadedFile("notes.pdf", b"just text"), SimpleUploadedFile("good.pdf", make_pdf())]
    html = client.post(reverse("envelope_documents", args=[draft.pk]), {"files": files}, headers=HTMX).content.decode()
    assert "notes.pdf" in html and 'role="alert"' in html
    assert [d.name for d in draft.documents.all()] == ["good.pdf"]


def test_adding_a_participant_with_a_bad_phone_shows_the_error_beside_the_field(sender_client, draft):
    client, _ = sender_client
    data = {
        "new-name": "Bo",
        "new-email": "bo@example.com",
        "new-phone": "+46 12",
        "new-role": "signer",
        "new-delivery": "email_sms",
        "new-auth_view": "none",
        "new-auth_sign": "none",
    }
    response = client.post(reverse("participant_new", args=[draft.pk]), data, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_new-phone"' in html and "is not a valid phone number" in html
    assert html.index('id="id_new-phone"') < html.index("is not a valid phone number")
    assert not Participant.objects.exists()


def test_duplicate_participant_email_is_refused_in_the_page(sender_client, draft):
    client, _ = sender_client
    participant_add(envelope=draft, name="Anna", email="anna@example.com")
    data = {
        "new-name": "Anna B",
        "new-email": "anna@example.com",
        "new-role": "signer",
        "new-delivery": "email",
        "new-auth_view": "none",
        "new-auth_sign": "none",
    }
    html = client.post(reverse("participant_new", args=[draft.pk]), data, headers=HTMX).content.decode()
    assert "anna@example.com is already a participant in this envelope." in html
    assert draft.participants.count() == 1


def test_switching_to_sequential_numbers_the_participants(sender_client, draft):
    client, _ = sender_client
    for name in ["Anna", "Bo", "Cecilia"]:
        participant_add(envelope=draft, name=name, email=f"{name.lower()}@example.com")
    html = client.post(reverse("signing_order", args=[draft.pk]), {"mode": "sequential"}, headers=HTMX).content.decode()
    assert [p.order for p in draft.participants.all()] == [1, 2, 3]
    assert 'id="mode-sequential" name="mode" value="sequential" checked' in html
    summary = client.get(reverse("envelope_summary", args=[draft.pk]), headers=HTMX).content.decode()
    assert "Anna signs first, then Bo signs, then Cecilia signs." in summary


def test_editing_a_participant_inline_sets_their_signature_placement(sender_client, draft, make_document):
    client, _ = sender_client
    document = make_document(draft, pages=3)
    anna = participant_add(envelope=draft, name="Anna", email="anna@example.com")
    form = client.get(reverse("participant_row", args=[anna.pk]) + "?edit=1", headers=HTMX).content.decode()
    assert 'class="person person-editing"' in form and "<html" not in form
    prefix = f"p{anna.pk}-"
    data = {
        prefix + k: v
        for k, v in {
            "name": "Anna A",
            "email": "anna@example.com",
            "role": "signer",
            "order": 1,
            "delivery": "email",
            "auth_view": "none",
            "auth_sign": "email_otp",
            "document": document.pk,
            "page": 4,
            "x": 10,
            "y": 20,
        }.items()
    }
    refused = client.post(reverse("participant_row", args=[anna.pk]), data, headers=HTMX)
    assert refused.status_code == 422 and "has 3 page(s)" in refused.content.decode()
    data[prefix + "page"] = 2
    saved = client.post(reverse("participant_row", args=[anna.pk]), data, headers=HTMX)
    # The answer is the whole Participants section: it replaces that section, not Anna's row.
    assert (saved["HX-Retarget"], saved["HX-Reswap"]) == ("#participants", "outerHTML")
    assert saved.content.decode().count('id="participants"') == 1
    anna.refresh_from_db()
    assert (anna.name, anna.auth_sign) == ("Anna A", "email_otp")
    assert (anna.fields.get().page, anna.fields.get().x) == (2, 10)


def test_send_with_problems_lists_each_one(sender_client, draft):
    client, _ = sender_client
    response = client.post(reverse("envelope_send", args=[draft.pk]))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Add at least one document to sign." in html and "Add at least one signer." in html
    draft.refresh_from_db()
    assert draft.status == EnvelopeStatus.DRAFT


def test_send_queues_and_the_detail_page_polls_until_sent(
    sender_client, draft, make_document, django_capture_on_commit_callbacks
):
    client, _ = sender_client
    make_document(draft)
    participant_add(envelope=draft, name="Anna", email="anna@example.com")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(reverse("envelope_send", args=[draft.pk]), follow=True)
    html = response.content.decode()
    assert "is on its way" in html and 'hx-trigger="every 2s"' in html and "Queued for sending" in html
    # A second click on Send (from a stale page) sends nothing more.
    client.post(reverse("envelope_send", args=[draft.pk]))
    assert draft.events.filter(kind="envelope.queued").count() == 1


def test_a_sent_envelope_cannot_be_edited(sender_client, draft):
    client, _ = sender_client
    Envelope.objects.filter(pk=draft.pk).update(status=EnvelopeStatus.SENT)
    response = client.get(reverse("envelope_compose", args=[draft.pk]), follow=True)
    assert "can no longer be changed" in response.content.decode()
    client.post(reverse("envelope_settings", args=[draft.pk]), {"title": "Changed"})
    draft.refresh_from_db()
    assert draft.title == "Lease"
    status = client.get(reverse("envelope_status", args=[draft.pk]), headers=HTMX).content.decode()
    assert 'hx-trigger="every 5s"' in status  # awaiting signatures: polled until they arrive


def test_viewer_reads_but_cannot_compose(member_client, make_envelope):
    client, membership = member_client(role=Role.VIEWER)
    envelope = make_envelope(org=membership.org)
    assert client.get(reverse("envelope_detail", args=[envelope.pk])).status_code == 200
    assert client.get(reverse("envelope_list")).status_code == 200
    assert client.post(reverse("envelope_new")).status_code == 403
    assert client.get(reverse("envelope_compose", args=[envelope.pk])).status_code == 403


def test_list_filters_by_status_and_searches_participants(member_client, make_envelope, make_participant):
    client, membership = member_client(role=Role.VIEWER)
    lease = make_envelope(org=membership.org, title="Lease")
    make_participant(lease, name="Zelda Zed", email="zelda@example.com")
    envelope_through(membership.org, membership.user, EnvelopeStatus.COMPLETED, title="Offer")
    page = client.get(reverse("envelope_list")).content.decode()
    assert "Lease" in page and "Offer" in page and 'Completed <span class="chip-count">1</span>' in page
    page = client.get(reverse("envelope_list"), {"status": "completed"}).content.decode()
    assert "Offer" in page and ">Lease<" not in page
    results = client.get(reverse("envelope_list"), {"q": "zelda"}, headers=HTMX).content.decode()
    assert "<strong>Lease</strong>" in results and "<strong>Offer</strong>" not in results
    assert results.strip().startswith('<div id="results">')


def test_list_pages_through_everything_once(member_client, make_envelope):
    client, membership = member_client(role=Role.VIEWER)
    titles = {make_envelope(org=membership.org, title=f"E{n:03}").title for n in range(60)}
    seen, params = [], {}
    for _ in range(5):
        response = client.get(reverse("envelope_list"), params)
        page = response.context["page"]
        seen += [e.title for e in page.rows]
        if not page.next_cursor:
            break
        params = {"after": page.next_cursor}
    assert sorted(seen) == sorted(titles) and len(seen) == 60
    back = client.get(reverse("envelope_list"), {"before": page.prev_cursor}).context["page"]
    assert [e.title for e in back.rows] == seen[25:50]


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count_does_not_grow_with_rows(
    rows, member_client, make_envelope, make_participant, django_assert_max_num_queries
):
    client, membership = member_client(role=Role.VIEWER)
    for n in range(rows):
        make_participant(make_envelope(org=membership.org))
    with django_assert_max_num_queries(9):
        client.get(reverse("envelope_list"))


def test_detail_query_count_is_fixed(
    member_client, make_envelope, make_participant, make_document, django_assert_max_num_queries
):
    client, membership = member_client(role=Role.VIEWER)
    envelope = make_envelope(org=membership.org)
    for _ in range(5):
        make_participant(envelope)
        make_document(envelope)
    with django_assert_max_num_queries(14):
        client.get(reverse("envelope_detail", args=[envelope.pk]))


def test_bulk_void_reports_what_could_not_be_voided(sender_client, make_envelope):
    client, membership = sender_client
    queued = make_envelope(org=membership.org, status=EnvelopeStatus.QUEUED, title="Queued one")
    done = make_envelope(org=membership.org, status=EnvelopeStatus.COMPLETED, title="Done one")
    response = client.post(
        reverse("envelope_bulk"), {"ids": [queued.pk, done.pk], "action": "void", "reason": "Mistake"}, follow=True
    )
    html = response.content.decode()
    assert "Voided 1 envelope." in html and "Done one: A completed envelope cannot be voided." in html
    queued.refresh_from_db()
    assert queued.status == EnvelopeStatus.VOIDED


def test_polling_returns_the_main_column_and_stops_when_nothing_is_pending(sender_client, make_envelope):
    client, membership = sender_client
    envelope = make_envelope(org=membership.org, status=EnvelopeStatus.QUEUED)
    polled = client.get(reverse("envelope_status", args=[envelope.pk]), headers=HTMX).content.decode()
    assert polled.strip().startswith('<div class="detail-main" id="detail-main"') and 'hx-trigger="every 2s"' in polled
    assert "Audit trail" in polled and "Participants" in polled
    Envelope.objects.filter(pk=envelope.pk).update(status=EnvelopeStatus.SENT)
    awaiting = client.get(reverse("envelope_status", args=[envelope.pk]), headers=HTMX).content.decode()
    assert 'hx-trigger="every 5s"' in awaiting  # signatures may arrive at any moment
    Envelope.objects.filter(pk=envelope.pk).update(status=EnvelopeStatus.COMPLETED)
    assert "hx-trigger" not in client.get(reverse("envelope_status", args=[envelope.pk]), headers=HTMX).content.decode()


def test_an_edited_page_link_starts_again_at_the_first_page(member_client, make_envelope):
    import base64
    import json

    client, membership = member_client(role=Role.VIEWER)
    make_envelope(org=membership.org, title="Only one")
    for cursor in ["garbage", base64.urlsafe_b64encode(json.dumps(["abc", 1]).encode()).decode()]:
        response = client.get(reverse("envelope_list"), {"after": cursor})
        assert response.status_code == 200 and "Only one" in response.content.decode()


def test_bulk_actions_do_not_redirect_to_other_sites(sender_client, make_envelope):
    client, membership = sender_client
    envelope = make_envelope(org=membership.org, status=EnvelopeStatus.QUEUED)
    response = client.post(
        reverse("envelope_bulk"),
        {"ids": [envelope.pk], "action": "void", "reason": "x", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("envelope_list")


def test_htmx_edit_of_a_sent_envelope_sends_the_browser_to_its_page(sender_client, draft):
    client, _ = sender_client
    Envelope.objects.filter(pk=draft.pk).update(status=EnvelopeStatus.SENT)
    response = client.post(reverse("envelope_settings", args=[draft.pk]), {"title": "x"}, headers=HTMX)
    assert response["HX-Redirect"] == reverse("envelope_detail", args=[draft.pk])


def test_settings_errors_without_javascript_show_the_whole_page(sender_client, draft):
    client, _ = sender_client
    response = client.post(
        reverse("envelope_settings", args=[draft.pk]),
        {"title": "", "language": "en", "reminder_first_after_days": 1, "reminder_every_days": 1, "reminder_max": 1},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "<html" in html and "This field is required." in html
