"""Documents: what an upload must be, storing it with nothing half-done, and showing it to members."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.urls import reverse
from PIL import Image

from envelopes.composing.documents import (
    PdfFacts,
    document_add,
    document_remove,
    document_reorder,
    pdf_inspect,
    safe_document_name,
    template_document_add,
    template_document_remove,
)
from envelopes.models import Document, DocumentKind, EnvelopeEvent, EnvelopeStatus, Template, TemplateDocument
from portal.kernel import pdfpages
from portal.models import Role
from tests.envelopes.pdfs import make_active_pdf, make_inflating_pdf, make_many_pages_pdf, make_pdf

MB = 1024 * 1024
SENT = "This envelope has been sent and can no longer be changed."
NOT_DRAFT = [EnvelopeStatus.QUEUED, EnvelopeStatus.SENT, EnvelopeStatus.COMPLETED, EnvelopeStatus.VOIDED]

# (file name, how to make its content, what the user is told)
UNUSABLE_UPLOADS = [
    pytest.param("notes.pdf", lambda: b"Minutes of the board meeting\n", "“notes.pdf” is not a PDF", id="text-file"),
    pytest.param(
        "secret.pdf",
        lambda: make_pdf(1, password="s3cret"),
        "“secret.pdf” is protected with a password",
        id="encrypted",
    ),
    pytest.param("empty.pdf", lambda: b"", "“empty.pdf” is empty", id="empty"),
    pytest.param(
        "scan.pdf",
        lambda: b"%PDF-" + bytes(60 * MB),
        "“scan.pdf” is 60 MB; a document can be at most 50 MB",
        id="60-mb",
    ),
    pytest.param("broken.pdf", lambda: make_pdf(2)[:300], "“broken.pdf” is damaged", id="damaged"),
    pytest.param("blank.pdf", lambda: make_pdf(0), "“blank.pdf” has no pages", id="no-pages"),
]


def upload(content: bytes | None = None, name: str = "contract.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_pdf(2) if content is None else content, content_type="application/pdf")


def stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


@pytest.fixture
def draft(make_envelope):
    return make_envelope()


@pytest.fixture
def template(make_org):
    return Template.objects.create(org=make_org(), name="Lease")


# --- What an upload must be ------------------------------------------------------------------


@pytest.mark.parametrize("name,content,message", UNUSABLE_UPLOADS)
def test_unusable_upload_is_refused_for_an_envelope_and_nothing_is_stored(draft, settings, name, content, message):
    with pytest.raises(ValidationError) as refused:
        document_add(envelope=draft, upload=upload(content(), name=name))
    assert message in refused.value.messages[0]
    assert not Document.objects.exists()
    assert not EnvelopeEvent.objects.filter(envelope=draft).exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("name,content,message", UNUSABLE_UPLOADS)
def test_unusable_upload_is_refused_for_a_template_and_nothing_is_stored(template, settings, name, content, message):
    with pytest.raises(ValidationError) as refused:
        template_document_add(template=template, upload=upload(content(), name=name))
    assert message in refused.value.messages[0]
    assert not TemplateDocument.objects.exists()
    assert stored_files(settings) == []


def test_refusals_say_what_to_do_next():
    asks = {
        "notes.pdf": (b"plain text", "Save or export it as PDF"),
        "secret.pdf": (make_pdf(1, password="s3cret"), "Remove the password, save the PDF and upload it again."),
        "broken.pdf": (make_pdf(1)[:300], "save a new copy and upload that"),
    }
    for name, (content, advice) in asks.items():
        with pytest.raises(ValidationError) as refused:
            pdf_inspect(upload(content, name=name))
        assert advice in refused.value.messages[0]


def test_oversized_file_is_refused_before_it_is_read():
    class Unreadable(SimpleUploadedFile):
        def read(self, *args):
            raise AssertionError("the content was read")

        def chunks(self, *args):
            raise AssertionError("the content was read")

    huge = Unreadable("huge.pdf", b"%PDF-" + bytes(51 * MB))
    with pytest.raises(ValidationError, match="at most 50 MB"):
        pdf_inspect(huge)


def test_the_size_limit_follows_the_setting(settings):
    settings.MAX_DOCUMENT_MB = 1
    with pytest.raises(ValidationError, match="“big.pdf” is 1.5 MB; a document can be at most 1 MB"):
        pdf_inspect(upload(b"%PDF-" + bytes(MB + MB // 2), name="big.pdf"))


def test_a_good_pdf_is_described_by_its_hash_size_and_pages():
    content = make_pdf(3)
    facts = pdf_inspect(upload(content))
    assert facts == PdfFacts(sha256=hashlib.sha256(content).hexdigest(), size=len(content), page_count=3)


@pytest.mark.parametrize(
    "given,stored",
    [
        ("Lease agreement.pdf", "Lease_agreement.pdf"),
        ("contract.PDF", "contract.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\anna\\Q3 report.pdf", "Q3_report.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("<script>.pdf", "script.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        ("report.docx", "report.docx.pdf"),
    ],
)
def test_document_names_are_made_safe(given, stored):
    assert safe_document_name(given) == stored


def test_long_document_names_are_cut_to_150_characters():
    name = safe_document_name("a" * 300 + ".pdf")
    assert len(name) == 150 and name.endswith("a.pdf")


# --- Envelope documents ----------------------------------------------------------------------


def test_adding_a_pdf_stores_it_with_its_facts_and_an_audit_event(draft, make_user):
    actor = make_user()
    content = make_pdf(3)
    document = document_add(envelope=draft, upload=upload(content, name="Lease agreement.pdf"), actor=actor)

    document.refresh_from_db()
    assert (document.name, document.kind, document.position) == ("Lease_agreement.pdf", DocumentKind.SIGN, 0)
    assert (document.sha256, document.size, document.page_count) == (
        hashlib.sha256(content).hexdigest(),
        len(content),
        3,
    )
    with document.file.open("rb") as stored:
        assert stored.read() == content
    assert document.file.name.startswith(f"orgs/{draft.org_id}/envelopes/{draft.pk}/")
    event = EnvelopeEvent.objects.get(envelope=draft)
    assert (event.kind, event.actor) == ("document.added", actor)
    assert event.data == {"name": "Lease_agreement.pdf", "sha256": document.sha256, "pages": 3}


def test_documents_are_added_at_the_end(draft):
    first = document_add(envelope=draft, upload=upload(name="a.pdf"))
    second = document_add(envelope=draft, upload=upload(name="b.pdf"), kind=DocumentKind.ATTACHMENT)
    assert (first.position, second.position) == (0, 1)
    assert second.kind == DocumentKind.ATTACHMENT
    assert [d.name for d in draft.documents.all()] == ["a.pdf", "b.pdf"]


def test_an_unknown_document_kind_is_refused(draft, template, settings):
    with pytest.raises(ValidationError, match="to be signed or is an attachment"):
        document_add(envelope=draft, upload=upload(), kind="poster")
    with pytest.raises(ValidationError, match="to be signed or is an attachment"):
        template_document_add(template=template, upload=upload(), kind="poster")
    assert stored_files(settings) == []


def test_two_uploads_with_one_name_keep_both_files(draft):
    first = document_add(envelope=draft, upload=upload(make_pdf(1)))
    second = document_add(envelope=draft, upload=upload(make_pdf(2)))
    assert first.file.name != second.file.name
    assert (first.name, second.name) == ("contract.pdf", "contract.pdf")


def test_a_failure_after_the_file_is_written_leaves_no_file_and_no_row(draft, settings):
    with mock.patch("envelopes.composing.documents.event_append", side_effect=DatabaseError("connection lost")):
        with pytest.raises(DatabaseError):
            document_add(envelope=draft, upload=upload())
    assert not Document.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("status", NOT_DRAFT)
def test_adding_to_a_sent_envelope_is_refused(make_envelope, settings, status):
    envelope = make_envelope(status=status)
    with pytest.raises(ValidationError, match=SENT):
        document_add(envelope=envelope, upload=upload())
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_adding_is_refused_when_the_envelope_was_sent_meanwhile(draft, settings):
    stale = type(draft).objects.get(pk=draft.pk)
    type(draft).objects.filter(pk=draft.pk).update(status=EnvelopeStatus.QUEUED)
    with pytest.raises(ValidationError, match=SENT):
        document_add(envelope=stale, upload=upload())
    assert not Document.objects.exists()
    assert stored_files(settings) == []


def test_removing_a_document_deletes_its_file_and_closes_the_gap(
    draft, settings, make_user, django_capture_on_commit_callbacks
):
    actor = make_user()
    first, middle, last = (document_add(envelope=draft, upload=upload(name=f"{n}.pdf")) for n in "abc")
    path = Path(middle.file.path)
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        document_remove(document=middle, actor=actor)

    assert not path.exists()
    assert [(d.name, d.position) for d in draft.documents.all()] == [("a.pdf", 0), ("c.pdf", 1)]
    assert len(stored_files(settings)) == 2
    event = EnvelopeEvent.objects.filter(envelope=draft).last()
    assert (event.kind, event.actor, event.data["name"]) == ("document.removed", actor, "b.pdf")


@pytest.mark.parametrize("status", NOT_DRAFT)
def test_removing_from_a_sent_envelope_is_refused(make_envelope, make_document, status):
    envelope = make_envelope(status=status)
    document = make_document(envelope)
    with pytest.raises(ValidationError, match=SENT):
        document_remove(document=document)
    assert Path(document.file.path).exists()
    assert Document.objects.filter(pk=document.pk).exists()


def test_reordering_puts_documents_in_the_given_order(draft, make_document):
    a, b, c = make_document(draft, name="a.pdf"), make_document(draft, name="b.pdf"), make_document(draft, name="c.pdf")
    ordered = document_reorder(envelope=draft, ordered_ids=[c.pk, a.pk, b.pk])
    assert [d.name for d in ordered] == ["c.pdf", "a.pdf", "b.pdf"]
    assert [(d.name, d.position) for d in draft.documents.all()] == [("c.pdf", 0), ("a.pdf", 1), ("b.pdf", 2)]
    assert EnvelopeEvent.objects.get(envelope=draft).data == {"names": ["c.pdf", "a.pdf", "b.pdf"]}


def test_reorder_must_name_exactly_the_envelopes_documents(draft, make_envelope, make_document):
    a, b = make_document(draft), make_document(draft)
    elsewhere = make_document(make_envelope(org=draft.org))
    for wrong in ([a.pk], [a.pk, b.pk, elsewhere.pk], [a.pk, a.pk], [b.pk, elsewhere.pk], []):
        with pytest.raises(ValidationError, match="Reload the page and try again"):
            document_reorder(envelope=draft, ordered_ids=wrong)
    assert [d.pk for d in draft.documents.all()] == [a.pk, b.pk]


@pytest.mark.parametrize("status", NOT_DRAFT)
def test_reordering_a_sent_envelope_is_refused(make_envelope, make_document, status):
    envelope = make_envelope(status=status)
    a, b = make_document(envelope), make_document(envelope)
    with pytest.raises(ValidationError, match=SENT):
        document_reorder(envelope=envelope, ordered_ids=[b.pk, a.pk])
    assert [d.pk for d in envelope.documents.all()] == [a.pk, b.pk]


# --- Template documents ----------------------------------------------------------------------


def test_template_documents_are_stored_with_their_facts_in_order(template):
    content = make_pdf(4)
    first = template_document_add(template=template, upload=upload(content, name="Terms.pdf"))
    second = template_document_add(template=template, upload=upload(name="Annex.pdf"), kind=DocumentKind.ATTACHMENT)
    first.refresh_from_db()
    assert (first.name, first.position, first.page_count, first.size) == ("Terms.pdf", 0, 4, len(content))
    assert first.sha256 == hashlib.sha256(content).hexdigest()
    assert (second.position, second.kind) == (1, DocumentKind.ATTACHMENT)
    assert first.file.name.startswith(f"orgs/{template.org_id}/templates/{template.pk}/")


def test_a_failure_after_a_template_file_is_written_leaves_no_file_and_no_row(template, settings):
    with mock.patch.object(TemplateDocument, "save", side_effect=DatabaseError("connection lost")):
        with pytest.raises(DatabaseError):
            template_document_add(template=template, upload=upload())
    assert not TemplateDocument.objects.exists()
    assert stored_files(settings) == []


def test_removing_a_template_document_deletes_its_file_and_closes_the_gap(
    template, settings, django_capture_on_commit_callbacks
):
    first, second = (template_document_add(template=template, upload=upload(name=f"{n}.pdf")) for n in "ab")
    with django_capture_on_commit_callbacks(execute=True):
        template_document_remove(document=first)
    assert [(d.name, d.position) for d in template.documents.all()] == [("b.pdf", 0)]
    assert stored_files(settings) == [Path(second.file.path)]


# --- Costly and active uploads ----------------------------------------------------------------


def test_a_pdf_of_50000_pages_is_refused_with_the_reason_before_its_pages_are_read(draft, settings):
    walked = mock.patch("pypdf.PdfReader._flatten", side_effect=AssertionError("walked every page"))
    with walked, pytest.raises(ValidationError) as refused:
        document_add(envelope=draft, upload=upload(make_many_pages_pdf(50_000), name="archive.pdf"))
    assert refused.value.messages == [
        "“archive.pdf” has 50,000 pages; a document can have at most 500. Split it into smaller files."
    ]
    assert not draft.documents.exists() and stored_files(settings) == []


def test_a_pdf_that_understates_its_page_count_is_still_refused(draft):
    # The page tree says 1 page (same length, so the file stays valid); there are 600.
    content = make_many_pages_pdf(600).replace(b"/Count 600 ", b"/Count 1   ")
    with pytest.raises(ValidationError, match="has 600 pages; a document can have at most 500"):
        document_add(envelope=draft, upload=upload(content))


def test_the_page_limit_follows_the_setting(draft, settings):
    settings.MAX_DOCUMENT_PAGES = 3
    assert document_add(envelope=draft, upload=upload(make_pdf(3))).page_count == 3
    with pytest.raises(ValidationError, match="has 4 pages; a document can have at most 3"):
        document_add(envelope=draft, upload=upload(make_pdf(4)))


def test_active_content_is_taken_out_before_storing_and_both_hashes_are_kept(draft, make_user):
    content = make_active_pdf()
    document = document_add(envelope=draft, upload=upload(content, name="offer.pdf"), actor=make_user())

    document.refresh_from_db()
    with document.file.open("rb") as stored_file:
        stored = stored_file.read()
    for active in (b"/JavaScript", b"app.alert", b"/OpenAction", b"/AA", b"/Launch", b"/SubmitForm", b"MZ-payload"):
        assert active not in stored
    assert document.original_sha256 == hashlib.sha256(content).hexdigest()
    assert (document.sha256, document.size, document.page_count) == (hashlib.sha256(stored).hexdigest(), len(stored), 1)
    event = EnvelopeEvent.objects.get(envelope=draft, kind="document.added")
    assert event.data["original_sha256"] == document.original_sha256 and event.data["sha256"] == document.sha256
    assert event.data["removed"] == [
        "an action on opening",
        "automatic actions",
        "embedded files",
        "form submissions",
        "launch actions",
        "scripts",
    ]


def test_a_pdf_without_active_content_is_stored_byte_for_byte(draft):
    content = make_pdf(2)
    document = document_add(envelope=draft, upload=upload(content))
    with document.file.open("rb") as stored:
        assert stored.read() == content
    assert document.original_sha256 == "" and document.sha256 == hashlib.sha256(content).hexdigest()


@pytest.fixture(scope="module")
def inflating_pdf(tmp_path_factory) -> Path:
    """306 KB on disk; its page's content inflates to 300 MB."""
    path = tmp_path_factory.mktemp("bomb") / "inflates.pdf"
    path.write_bytes(make_inflating_pdf(300))
    return path


def test_a_page_that_inflates_past_the_memory_budget_is_shown_as_too_complex(db, inflating_pdf):
    image = pdfpages.pdf_page_png(inflating_pdf, 1, 400)
    assert image.too_complex and (image.width_pt, image.height_pt) == (595, 842)
    assert png_size(image.png) == (400, round(400 * 842 / 595))


def test_previews_are_drawn_once_and_then_served_from_the_cache(db, inflating_pdf, tmp_path):
    small = tmp_path / "small.pdf"
    small.write_bytes(make_pdf(1))
    with mock.patch.object(pdfpages.subprocess, "run", wraps=pdfpages.subprocess.run) as drawn:
        for _ in range(3):
            assert not pdfpages.pdf_page_png(small, 1, 300).too_complex
            assert pdfpages.pdf_page_png(inflating_pdf, 1, 300).too_complex
    assert drawn.call_count == 2  # once per page: a reload never draws the bomb again


def test_the_preview_of_a_too_complex_page_is_a_png_for_members(member_client, make_envelope):
    client, membership = member_client(role=Role.SENDER)
    envelope = make_envelope(org=membership.org)
    document = document_add(envelope=envelope, upload=upload(make_inflating_pdf(300), name="heavy.pdf"))
    response = client.get(reverse("document_page", args=[document.pk, 1]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Page-Size"] == "595x842"
    assert png_size(response.content)[0] == 800


# --- Seeing a document -----------------------------------------------------------------------


@pytest.fixture
def stored(member_client, make_envelope, make_document):
    """A signed-in sender and a two-page document of their organization."""
    client, membership = member_client(role=Role.SENDER)
    document = make_document(make_envelope(org=membership.org), pages=2, name="Lease.pdf")
    return client, document


def test_member_sees_the_original_pdf_in_the_browser(stored):
    client, document = stored
    response = client.get(reverse("document_file", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Lease.pdf"'
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    with document.file.open("rb") as original:
        assert b"".join(response.streaming_content) == original.read()


def test_member_downloads_the_original_pdf(stored):
    client, document = stored
    response = client.get(reverse("document_file", args=[document.pk]), {"download": "1"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Lease.pdf"'


def test_viewer_can_read_documents(member_client, make_envelope, make_document):
    client, membership = member_client(role=Role.VIEWER)
    document = make_document(make_envelope(org=membership.org))
    assert client.get(reverse("document_file", args=[document.pk])).status_code == 200
    assert client.get(reverse("document_page", args=[document.pk, 1])).status_code == 200


def test_page_image_is_a_png_800_pixels_wide(stored):
    client, document = stored
    response = client.get(reverse("document_page", args=[document.pk, 2]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert response["X-Page-Size"] == "595x842"  # points, for mapping a click to page coordinates
    png = response.content
    assert png.startswith(b"\x89PNG")
    width, height = png_size(png)
    assert width == 800 and height == pytest.approx(842 * 800 / 595, abs=1)  # A4 keeps its proportions
    # A blank page: every pixel white.
    assert Image.open(io.BytesIO(png)).convert("L").getextrema() == (255, 255)


@pytest.mark.parametrize("asked,width", [("400", 400), ("5000", 1600), ("10", 200), ("wide", 800)])
def test_page_image_width_is_kept_between_200_and_1600(stored, asked, width):
    client, document = stored
    response = client.get(reverse("document_page", args=[document.pk, 1]), {"width": asked})
    assert png_size(response.content)[0] == width


@pytest.mark.parametrize("page", [0, 3, 99])
def test_page_outside_the_document_is_not_found(stored, page):
    client, document = stored
    assert client.get(reverse("document_page", args=[document.pk, page])).status_code == 404


def test_missing_file_is_not_found_rather_than_an_error(stored):
    client, document = stored
    document.file.storage.delete(document.file.name)
    assert client.get(reverse("document_file", args=[document.pk])).status_code == 404
    assert client.get(reverse("document_page", args=[document.pk, 1])).status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(client, make_envelope, make_document):
    document = make_document(make_envelope())
    for url in (reverse("document_file", args=[document.pk]), reverse("document_page", args=[document.pk, 1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_another_organizations_document_is_not_found(member_client, make_envelope, make_document):
    client, _ = member_client(role=Role.OWNER)
    theirs = make_document(make_envelope())
    assert client.get(reverse("document_file", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("document_page", args=[theirs.pk, 1])).status_code == 404
