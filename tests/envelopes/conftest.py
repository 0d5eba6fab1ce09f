"""Factory fixtures for envelopes, documents and participants."""

from __future__ import annotations

import hashlib
import itertools

import pytest
from django.core.files.base import ContentFile

from envelopes.models import Document, Envelope, EnvelopeStatus, Participant, ParticipantRole
from tests.envelopes.pdfs import make_pdf

_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_envelope(db, make_org):
    def make(org=None, status: str = EnvelopeStatus.DRAFT, title: str | None = None, **fields) -> Envelope:
        return Envelope.objects.create(
            org=org or make_org(), status=status, title=title or f"Agreement {next(_counter)}", **fields
        )

    return make


@pytest.fixture
def make_participant(db):
    def make(envelope: Envelope, role: str = ParticipantRole.SIGNER, order: int = 1, **fields) -> Participant:
        n = next(_counter)
        fields.setdefault("name", f"Person {n}")
        fields.setdefault("email", f"person{n}@example.com")
        fields.setdefault("position", envelope.participants.count())
        return Participant.objects.create(envelope=envelope, role=role, order=order, **fields)

    return make


@pytest.fixture
def make_document(db):
    def make(envelope: Envelope, pages: int = 1, name: str | None = None, **fields) -> Document:
        content = make_pdf(pages)
        document = Document(
            envelope=envelope,
            name=name or f"contract-{next(_counter)}.pdf",
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            page_count=pages,
            position=envelope.documents.count(),
            **fields,
        )
        document.file.save(document.name, ContentFile(content), save=True)
        return document

    return make
