"""Searching envelopes by title and participants by name or e-mail address.

A search is words: each must be found (any case) in the title, or each in the same participant's
name or address. On PostgreSQL the trigram indexes of migration 0009 answer it (Django compares
UPPER(column), the expression they are built on), starting from the word the planner expects to
match least; the other words are checked on the rows it finds, written so that the index does not
take them too: given "Agreement 933311" together, it would intersect the trigrams of "agreement",
which nearly every title has (40 ms at a million envelopes, against 1 ms for "933311" alone).
A whole e-mail address finds that address, through participant_email_ci_id: as a substring its
domain's trigrams would be shared by most addresses. SQLite reads the rows.

A word of one or two characters holds no trigram, so no index narrows it down; such words are
usually common, and a page of their matches is found by walking the list's own order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce
from operator import and_

from django.db import connection
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Lower, StrIndex, Upper
from django.db.models.lookups import Exact, GreaterThan

from envelopes.models import Envelope, Participant
from portal.kernel.admin_paging import planner_estimate

ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def search_words(term: str) -> list[str]:
    return term.split()


def title_matches(term: str) -> Q:
    return _all_words(term, Envelope, lambda word: Q(title__icontains=word), lambda word: _contains("title", word))


def person_matches(term: str) -> Q:
    return _all_words(term, Participant, _person_matches_word, _person_contains)


def participants_matching(term: str) -> QuerySet[Participant]:
    """Participants of any organization matching `term`; callers join them to envelopes they have
    already scoped to an organization."""
    return Participant.objects.filter(person_matches(term))


def _all_words(term: str, model, indexed: Callable[[str], Q], checked: Callable[[str], Q]) -> Q:
    """Every word matches: the rarest through `indexed`, the others through `checked`."""
    words = search_words(term)
    if not words:
        return Q()
    if len(words) > 1 and connection.vendor == "postgresql":
        words.sort(key=lambda word: planner_estimate(model.objects.filter(indexed(word))))
    elif connection.vendor != "postgresql":
        checked = indexed  # nothing to steer: the plain lookup everywhere
    return reduce(and_, [indexed(words[0]), *(checked(word) for word in words[1:])])


def _person_matches_word(word: str) -> Q:
    if ADDRESS.fullmatch(word):
        return Q(Exact(Lower("email"), word.lower()))
    return Q(name__icontains=word) | Q(email__icontains=word)


def _person_contains(word: str) -> Q:
    if ADDRESS.fullmatch(word):
        return Q(Exact(Lower("email"), word.lower()))
    return _contains("name", word) | _contains("email", word)


def _contains(column: str, word: str) -> Q:
    """`column` contains `word`, any case, as a position search the trigram index cannot take."""
    return Q(GreaterThan(StrIndex(Upper(column), Upper(Value(word))), 0))
