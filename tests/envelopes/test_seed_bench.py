from django.core.management import call_command

from envelopes.management.commands.seed_bench import BENCH_EMAIL
from envelopes.models import Envelope, EnvelopeEvent, Participant
from portal.models import Membership


def test_seed_bench_creates_a_realistic_mix(db, capsys):
    call_command("seed_bench", envelopes=60, orgs=2)
    org = Membership.objects.get(user__email=BENCH_EMAIL).org
    envelopes = Envelope.objects.filter(org=org)
    assert envelopes.count() == 60 and Envelope.objects.count() == 61
    assert len(set(envelopes.values_list("status", flat=True))) >= 4
    assert Participant.objects.filter(envelope__org=org).count() == 180
    assert 180 <= EnvelopeEvent.objects.filter(envelope__org=org).count() <= 300
    assert "Seeded 61 envelopes in 2 organization(s)" in capsys.readouterr().out
