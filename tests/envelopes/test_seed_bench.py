from django.core.management import call_command

from bench.seeding.management.commands.seed_bench import BENCH_EMAIL
from envelopes.lifecycle.count_tables import EnvelopeStatusCount
from envelopes.models import OUTSTANDING, Envelope, EnvelopeEvent, Participant
from portal.models import Membership
from providers.models import ProviderConnection
from tests.envelopes.test_counts import assert_matches_a_rebuild


def test_seed_bench_creates_a_realistic_mix(db, capsys):
    call_command("seed_bench", envelopes=60, orgs=2)
    org = Membership.objects.get(user__email=BENCH_EMAIL).org
    envelopes = Envelope.objects.filter(org=org)
    assert envelopes.count() == 60 and Envelope.objects.count() == 61
    assert len(set(envelopes.values_list("status", flat=True))) >= 4
    assert Participant.objects.filter(envelope__org=org).count() == 180
    assert 240 <= EnvelopeEvent.objects.filter(envelope__org=org).count() <= 360  # about five each
    assert ProviderConnection.objects.filter(org=org).count() == 2
    assert "Seeded 61 envelopes in 2 organization(s)" in capsys.readouterr().out


def test_seeded_data_is_consistent_and_counted(db):
    call_command("seed_bench", envelopes=300)
    org = Membership.objects.get(user__email=BENCH_EMAIL).org
    counted = sum(EnvelopeStatusCount.objects.filter(org=org).values_list("n", flat=True))
    assert counted == 300
    assert_matches_a_rebuild(org)
    # Nobody is still expected to sign a completed envelope; everyone signed it.
    completed = Participant.objects.filter(envelope__org=org, envelope__status="completed")
    assert not completed.filter(OUTSTANDING).exists() and completed.filter(status="signed").exists()
    # Every envelope out for signature waits on someone, invited after it was sent.
    out = Envelope.objects.filter(org=org, status="sent")
    for envelope in out:
        waiting = envelope.participants.filter(OUTSTANDING)
        assert waiting.exists() and all(p.invited_at >= envelope.sent_at for p in waiting)
