"""The worker announces each pass (notifications.signals.worker_pass) so that
the apps above it do their periodic work (issues 16 and 17) without the worker
importing them; a receiver that fails is logged and never stops the others."""

from io import StringIO

import pytest
from django.core.management import call_command

from portail.notifications import signals


@pytest.fixture
def receivers():
    seen = []

    def works(sender, now, **kwargs):
        seen.append(now)
        return "Paiements en ligne : 1 vérifié."

    def fails(sender, now, **kwargs):
        raise RuntimeError("boom")

    signals.worker_pass.connect(fails, dispatch_uid="test-fails")
    signals.worker_pass.connect(works, dispatch_uid="test-works")
    yield seen
    signals.worker_pass.disconnect(dispatch_uid="test-fails")
    signals.worker_pass.disconnect(dispatch_uid="test-works")


@pytest.mark.django_db
def test_each_pass_calls_the_receivers_and_prints_their_line_even_when_one_fails(receivers, caplog):
    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert len(receivers) == 1
    assert "Paiements en ligne : 1 vérifié." in out.getvalue()
    assert "worker_pass receiver" in caplog.text
