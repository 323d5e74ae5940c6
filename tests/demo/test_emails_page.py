"""The demo's "Courriels envoyés (démo)" page (issue 14 point 5): the sent
e-mails with their bodies, escaped, links clickable; for staff, scoped to their
structures; only in the demo."""

import pytest
from django.urls import NoReverseMatch, clear_url_caches, reverse, set_urlconf
from django.utils import timezone

import portail.urls  # noqa: F401 (imported now, under the tests' settings: the demo off, as in production)
from portail.notifications.models import EmailStatus, OutboxEmail


def _demo_urls(settings):
    settings.DEMO = True
    settings.ROOT_URLCONF = "tests.demo.urls_demo"


@pytest.fixture(autouse=True)
def site_urls_after():
    """A request under the demo's URLs leaves them as the thread's URL
    configuration (django.urls.set_urlconf): back to the site's after each test."""
    yield
    set_urlconf(None)
    clear_url_caches()


@pytest.fixture
def demo_on(settings):
    _demo_urls(settings)


def sent(to, subject, body, structure=None, status=EmailStatus.SENT, kind="test"):
    return OutboxEmail.objects.create(
        kind=kind, to=to, subject=subject, body_text=body, structure=structure, status=status,
        sent_at=timezone.now() if status == EmailStatus.SENT else None,
    )  # fmt: skip


def page(client, user):
    client.force_login(user)
    return client.get(reverse("demo:emails"))


def test_staff_read_their_structures_emails_with_clickable_escaped_links(demo_on, client, world):
    link = "http://127.0.0.1:8123/compte/mot-de-passe-oublie/lien/MQ/abc-123/"
    sent("dupont@example.org", "Compte-rendu <b>de vos réservations</b>",
         f"Bonjour <script>alert(1)</script>,\nvotre lien : {link}\nÀ bientôt", structure=world.a)  # fmt: skip
    sent("autre@example.org", "Une autre structure", "Réservé aux Pinsons", structure=world.b)
    sent("dupont@example.org", "Pas encore parti", "en attente", structure=world.a, status=EmailStatus.PENDING)

    response = page(client, world.staff_a)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Courriels envoyés (démo)" in body
    assert f'<a href="{link}"' in body  # clickable
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert "Compte-rendu &lt;b&gt;de vos réservations&lt;/b&gt;" in body
    assert "Une autre structure" not in body  # structure B's e-mail
    assert "Pas encore parti" not in body  # not sent yet: only counted
    assert "1 e-mail attend le prochain passage du worker" in body


def test_a_recovery_without_structure_is_read_by_the_staff_of_the_parents_structures(demo_on, client, world):
    """A parent's own recovery e-mail has no structure: the staff of a structure
    where the account has a family read it, the others do not."""
    sent(world.martin.email.upper(), "Mot de passe oublié", "Votre lien", kind="recuperation")

    assert "Votre lien" in page(client, world.staff_a).content.decode()  # MARTIN has a family at CarteVille
    assert "Votre lien" not in page(client, world.staff_b).content.decode()
    assert "Votre lien" in page(client, world.admin).content.decode()  # the site administrator reads everything


def test_parents_and_anonymous_visitors_are_sent_to_the_back_office_login(demo_on, client, world):
    sent("dupont@example.org", "Secret", "Corps secret", structure=world.a)
    response = client.get(reverse("demo:emails"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    response = page(client, world.dupont)
    assert response.status_code == 302 and "Corps secret" not in response.content.decode()


def test_a_bad_page_number_is_a_french_400(demo_on, client, world):
    client.force_login(world.staff_a)
    response = client.get(reverse("demo:emails"), {"page": "<x>"})
    assert response.status_code == 400
    assert "Numéro de page invalide." in response.content.decode()


def test_the_gestion_index_links_the_page_in_the_demo_only(client, world, settings):
    client.force_login(world.staff_a)
    assert 'data-testid="demo-emails-link"' not in client.get(reverse("staff:index")).content.decode()
    _demo_urls(settings)
    body = client.get(reverse("staff:index")).content.decode()
    assert f'href="{reverse("demo:emails")}" data-testid="demo-emails-link"' in body


def test_outside_the_demo_the_page_does_not_exist(client, world, settings):
    """Production settings (the tests' own) do not include it; and the view
    refuses even if a URL configuration included it by mistake."""
    with pytest.raises(NoReverseMatch):
        reverse("demo:emails")
    settings.ROOT_URLCONF = "tests.demo.urls_demo"
    assert settings.DEMO is False
    assert page(client, world.admin).status_code == 404
