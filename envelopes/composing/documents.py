"""The PDFs of envelopes and templates: checking that an upload is a PDF we can send, storing it
so that a file and its row exist together or not at all, and drawing its pages for preview."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, replace

import pikepdf
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation, ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, QuerySet
from django.db.models.fields.files import FieldFile
from django.utils.text import get_valid_filename
from pypdf import PdfReader

from envelopes.composing.active_content import pdf_strip_active
from envelopes.lifecycle.audit import event_append
from envelopes.models import Document, DocumentKind, Envelope, EnvelopeStatus, Template, TemplateDocument

PDF_MAGIC = b"%PDF-"
MB = 1024 * 1024
HASH_CHUNK_BYTES = MB
NAME_MAX_LENGTH = 150
ENVELOPE_SENT = "This envelope has been sent and can no longer be changed."


@dataclass(frozen=True)
class PdfFacts:
    sha256: str  # of the file as it will be stored
    size: int
    page_count: int
    # When active content was taken out: the upload's own SHA-256, what was removed, and the
    # cleaned file to store instead of the upload.
    original_sha256: str = ""
    removed: tuple[str, ...] = ()
    cleaned: bytes | None = None


def pdf_inspect(upload: File) -> PdfFacts:
    """Checks that `upload` is a PDF that can be sent for signing and takes out its active content.
    Returns its PdfFacts; raises ValidationError with a sentence naming the file when it is empty,
    too large, not a PDF, damaged, password-protected, has no pages or too many."""
    name = os.path.basename(upload.name or "") or "The file"
    limit_mb = settings.MAX_DOCUMENT_MB
    # The size is known without reading: refuse what is too large before touching its content.
    if not upload.size:
        raise ValidationError(f"“{name}” is empty. Choose the file again, or save it again as PDF.", code="empty")
    if upload.size > limit_mb * MB:
        size_mb = f"{upload.size / MB:.1f}".removesuffix(".0")
        raise ValidationError(
            f"“{name}” is {size_mb} MB; a document can be at most {limit_mb} MB. "
            "Compress the PDF or split it into smaller files.",
            code="too_large",
        )
    upload.seek(0)
    if upload.read(len(PDF_MAGIC)) != PDF_MAGIC:
        raise ValidationError(f"“{name}” is not a PDF. Save or export it as PDF and upload that file.", code="not_pdf")
    digest = hashlib.sha256()
    for chunk in upload.chunks(HASH_CHUNK_BYTES):
        digest.update(chunk)
    facts = PdfFacts(sha256=digest.hexdigest(), size=upload.size, page_count=0)
    # qpdf (C++) reads the file's structure first: a password or too many pages is refused before
    # any Python code walks the pages.
    with _opened(upload, name) as pdf:
        _check_page_limit(_declared_pages(pdf), name)
        _check_page_limit(len(pdf.pages), name)
        page_count = _pdf_page_count(upload, name)
        if page_count == 0:
            raise ValidationError(f"“{name}” has no pages. Upload a PDF with at least one page.", code="no_pages")
        facts = _without_active_content(pdf, replace(facts, page_count=page_count))
    upload.seek(0)
    return facts


def _damaged(name: str) -> ValidationError:
    return ValidationError(
        f"“{name}” is damaged and cannot be read as a PDF. Open it in a PDF reader, save a new copy and upload that.",
        code="damaged",
    )


def _encrypted(name: str) -> ValidationError:
    return ValidationError(
        f"“{name}” is protected with a password. Remove the password, save the PDF and upload it again.",
        code="encrypted",
    )


def _opened(upload: File, name: str) -> pikepdf.Pdf:
    """The upload opened with qpdf (from its temporary file when it has one: quicker than a stream)."""
    upload.seek(0)
    source = upload.temporary_file_path() if hasattr(upload, "temporary_file_path") else upload
    try:
        pdf = pikepdf.open(source)
    except pikepdf.PasswordError:
        raise _encrypted(name) from None
    except Exception as exc:
        raise _damaged(name) from exc
    if pdf.is_encrypted:  # opened with an empty password, but still not a file to sign
        pdf.close()
        raise _encrypted(name)
    return pdf


def _pdf_page_count(upload: File, name: str) -> int:
    """pypdf walks the pages as well: a file it cannot read would fail later, when it is sealed."""
    upload.seek(0)
    try:
        reader = PdfReader(upload)
        encrypted = reader.is_encrypted
        page_count = None if encrypted else len(reader.pages)
    except Exception as exc:
        # A damaged file makes pypdf fail in many ways besides PdfReadError; every one means "cannot be read".
        raise _damaged(name) from exc
    if encrypted:
        raise _encrypted(name)
    return page_count


def _declared_pages(pdf: pikepdf.Pdf) -> int:
    try:
        return int(pdf.Root.Pages.Count)
    except (AttributeError, TypeError, ValueError, pikepdf.PdfError):
        return 0  # no usable count: the real one is checked next


def _check_page_limit(pages: int, name: str) -> None:
    limit = settings.MAX_DOCUMENT_PAGES
    if pages > limit:
        raise ValidationError(
            f"“{name}” has {pages:,} pages; a document can have at most {limit:,}. Split it into smaller files.",
            code="too_many_pages",
        )


def _without_active_content(pdf: pikepdf.Pdf, facts: PdfFacts) -> PdfFacts:
    """The facts of the file to store: the upload itself when it has no active content, else a copy
    without it (recording the upload's SHA-256 as the original's)."""
    removed = pdf_strip_active(pdf)
    if not removed:
        return facts
    buffer = io.BytesIO()
    pdf.save(buffer)
    cleaned = buffer.getvalue()
    return replace(
        facts,
        sha256=hashlib.sha256(cleaned).hexdigest(),
        size=len(cleaned),
        original_sha256=facts.sha256,
        removed=tuple(removed),
        cleaned=cleaned,
    )


def safe_document_name(filename: str) -> str:
    """A file name safe to store and to offer for download: no folders, only letters, digits,
    dashes, underscores and dots, at most 150 characters, always ending in .pdf."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem = base[:-4] if base.lower().endswith(".pdf") else base
    try:
        stem = get_valid_filename(stem)
    except SuspiciousFileOperation:
        stem = ""
    stem = stem.strip("._-")[: NAME_MAX_LENGTH - len(".pdf")].rstrip("._-") or "document"
    return f"{stem}.pdf"


# --- Envelope documents ----------------------------------------------------------------------


def document_add(*, envelope: Envelope, upload: File, kind: str = DocumentKind.SIGN, actor=None) -> Document:
    """Adds `upload` as the last document of a draft envelope and records it in the audit trail.
    Returns the Document; raises ValidationError when the file is not a usable PDF or the envelope
    has been sent."""
    _check_draft(envelope.status)
    document = Document(envelope=envelope, kind=_document_kind(kind))

    def record(facts: PdfFacts) -> None:
        _check_draft(_locked(Envelope, envelope.pk).status)
        document.position = _next_position(envelope.documents.all())
        document.save()
        data = {"name": document.name, "sha256": document.sha256, "pages": document.page_count}
        if facts.removed:  # the evidence names both files: the one uploaded and the one signed
            data |= {"original_sha256": facts.original_sha256, "removed": list(facts.removed)}
        event_append(envelope=envelope, kind="document.added", actor=actor, data=data)

    _store(document, upload, record)
    return document


@transaction.atomic
def document_remove(*, document: Document, actor=None) -> None:
    """Removes a document and its stored file from a draft envelope; the others close the gap.
    Raises ValidationError when the envelope has been sent."""
    envelope = document.envelope
    _check_draft(_locked(Envelope, envelope.pk).status)
    deleted, _ = Document.objects.filter(pk=document.pk).delete()
    if not deleted:
        return  # someone else removed it a moment ago
    _renumber(envelope.documents.all())
    event_append(
        envelope=envelope,
        kind="document.removed",
        actor=actor,
        data={"name": document.name, "sha256": document.sha256},
    )
    _delete_files_on_commit(document.file, document.signed_file)


@transaction.atomic
def document_reorder(*, envelope: Envelope, ordered_ids: list[int], actor=None) -> list[Document]:
    """Puts a draft envelope's documents in the order of `ordered_ids`, which must name each of
    them exactly once. Returns the documents in their new order; raises ValidationError when the
    list does not match the envelope's documents or the envelope has been sent."""
    _check_draft(_locked(Envelope, envelope.pk).status)
    documents = {document.pk: document for document in envelope.documents.all()}
    if len(ordered_ids) != len(documents) or set(ordered_ids) != set(documents):
        raise ValidationError("The documents changed while you were ordering them. Reload the page and try again.")
    ordered = [documents[pk] for pk in ordered_ids]
    if [document.position for document in ordered] == list(range(len(ordered))):
        return ordered
    for position, document in enumerate(ordered):
        document.position = position
    Document.objects.bulk_update(ordered, ["position"])
    event_append(
        envelope=envelope,
        kind="document.reordered",
        actor=actor,
        data={"names": [document.name for document in ordered]},
    )
    return ordered


def _document_kind(kind: str) -> DocumentKind:
    # The kind comes from a form field: an unexpected value is the user's to fix, not a crash.
    try:
        return DocumentKind(kind)
    except ValueError:
        raise ValidationError(
            "Choose whether the document is to be signed or is an attachment to read.", code="kind"
        ) from None


def _check_draft(status: str) -> None:
    if status != EnvelopeStatus.DRAFT:
        raise ValidationError(ENVELOPE_SENT, code="not_draft")


# --- Template documents ----------------------------------------------------------------------


def template_document_add(*, template: Template, upload: File, kind: str = DocumentKind.SIGN) -> TemplateDocument:
    """Adds `upload` as the last document of a template. Returns the TemplateDocument; raises
    ValidationError when the file is not a usable PDF."""
    document = TemplateDocument(template=template, kind=_document_kind(kind))

    def record(facts: PdfFacts) -> None:
        _locked(Template, template.pk)
        document.position = _next_position(template.documents.all())
        document.save()

    _store(document, upload, record)
    return document


@transaction.atomic
def template_document_remove(*, document: TemplateDocument) -> None:
    """Removes a template's document and its stored file; the others close the gap."""
    deleted, _ = TemplateDocument.objects.filter(pk=document.pk).delete()
    if deleted:
        _renumber(document.template.documents.all())
        _delete_files_on_commit(document.file)


# --- Storing ---------------------------------------------------------------------------------


COPIED_FIELDS = ("kind", "name", "sha256", "size", "page_count", "position")


def document_copy(source: Document | TemplateDocument, target: type[Document] | type[TemplateDocument], **owner):
    """A copy of `source` (file included) as a `target` row belonging to `owner` (envelope= or
    template=): duplicating envelopes, saving and using templates all copy documents this way."""
    copy = target(**owner, **{name: getattr(source, name) for name in COPIED_FIELDS})
    if hasattr(source, "original_sha256") and hasattr(copy, "original_sha256"):
        copy.original_sha256 = source.original_sha256
    with source.file.open("rb") as original:
        copy.file.save(source.name, ContentFile(original.read()), save=True)
    return copy


def _store(document: Document | TemplateDocument, upload: File, record: Callable[[PdfFacts], None]) -> None:
    """Inspects `upload`, writes it through the document's storage, then runs `record` (which saves
    the row and what goes with it) in one transaction. When anything after the write fails, the
    written file is deleted again: a file and its row exist together or not at all."""
    facts = pdf_inspect(upload)
    document.name = safe_document_name(upload.name)
    document.sha256, document.size, document.page_count = facts.sha256, facts.size, facts.page_count
    if hasattr(document, "original_sha256"):
        document.original_sha256 = facts.original_sha256
    document.file.save(document.name, ContentFile(facts.cleaned) if facts.cleaned else upload, save=False)
    try:
        with transaction.atomic():
            record(facts)
    except BaseException:
        document.file.delete(save=False)
        raise


def _locked(model: type[Envelope] | type[Template], pk: int) -> Envelope | Template:
    """The row, locked until the transaction ends: changes to one owner's documents happen one at a time."""
    return model.objects.select_for_update().get(pk=pk)


def _next_position(documents: QuerySet) -> int:
    last = documents.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def _renumber(documents: QuerySet) -> None:
    changed = []
    for position, document in enumerate(documents.only("pk", "position")):
        if document.position != position:
            document.position = position
            changed.append(document)
    documents.model.objects.bulk_update(changed, ["position"])


def _delete_files_on_commit(*files: FieldFile) -> None:
    # Only once the row is really gone: a rolled-back removal keeps its file.
    for file in files:
        if file:
            transaction.on_commit(lambda storage=file.storage, name=file.name: storage.delete(name))


# --- Page images -----------------------------------------------------------------------------
