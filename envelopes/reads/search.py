"""Searching envelopes by title and participants by name or e-mail address.

A search is words: each must be found (any case) in the title, or each in the same participant's
name or address. Word by word, PostgreSQL's trigram indexes (migration 0009) start from the rarest
word rather than from trigrams nearly every row has ("agreement" in "Agreement 933311"); Django
compares UPPER(column) on PostgreSQL, the expression they are built on. A whole e-mail address finds
that address, through the participant_email_ci index: as a substring its trigrams ("exa", "com", …)
would be shared by most addresses. SQLite reads the rows, which is fine at its sizes.

A word of one or two characters holds no trigram, so no index narrows it down; such words are
usually common, and a page of their matches is found by walking the list's own order.
"""

from __future__ import annotations

import re
from functools import reduce
from operator import and_

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from envelopes.models import Participant

ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def search_words(term: str) -> list[str]:
    return term.split()


def title_matches(term: str) -> Q:
    return reduce(and_, (Q(title__icontains=word) for word in search_words(term)), Q())


def person_matches(term: str) -> Q:
    return reduce(and_, (_person_matches_word(word) for word in search_words(term)), Q())


def _person_matches_word(word: str) -> Q:
    if ADDRESS.fullmatch(word):
        return Q(Exact(Lower("email"), word.lower()))
    return Q(name__icontains=word) | Q(email__icontains=word)


def participants_matching(term: str) -> QuerySet[Participant]:
    """Participants of any organization matching `term`; callers join them to envelopes they have
    already scoped to an organization."""
    return Participant.objects.filter(person_matches(term))
