"""A3 and D1: "Le retrouver". Both ways end with the parent choosing a new
password; no page or e-mail ever holds one; attempts are limited."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from portail.accounts import recovery
from portail.accounts.models import RecoveryAttempt
from portail.accounts.recovery import set_security_question
from portail.notifications.models import OutboxEmail
from tests import factories as f
from tests.helpers import page_text

NEW_PASSWORD = "Un-Tout-Nouveau-2026"
QUESTION = "Nom de mon premier instituteur ?"
ANSWER = "Monsieur Éloi Durand"
START = datetime.datetime(2026, 11, 2, 18, 0, tzinfo=datetime.UTC)


@pytest.fixture
def dupont_question(world):
    set_security_question(world.dupont, QUESTION, ANSWER)
    return world.dupont


def start(client, username, way):
    return client.post(reverse("accounts:recovery"), {"username": username, "way": way})


def answer(client, text):
    return client.post(reverse("accounts:recovery_question"), {"answer": text})


def choose(client, password=NEW_PASSWORD, url=None):
    return client.post(
        url or reverse("accounts:recovery_password"), {"new_password1": password, "new_password2": password}
    )


def ask_link(client, username, email):
    return client.post(reverse("accounts:recovery_email"), {"username": username, "email": email})


def link_of(email):
    return re.search(r"http\S+(/compte/mot-de-passe-oublie/lien/\S+/)", email.body_text).group(1)


def can_log_in(username, password, client=None):
    response = (client or Client()).post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def without_csrf(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# --- A3a: the security question -------------------------------------------------------


def test_right_answer_lets_parent_choose_a_new_password_at_once(client, dupont_question, password):
    response = start(client, "dupont", "question")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:recovery_question")
    page = client.get(reverse("accounts:recovery_question"))
    assert QUESTION in page_text(page)

    response = answer(client, "  monsieur ELOI durand ")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:recovery_password")
    assert "dupont" in page_text(client.get(reverse("accounts:recovery_password")))

    response = choose(client)
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert "Votre nouveau mot de passe est enregistré" in page_text(client.get(reverse("login")))
    assert not can_log_in("dupont", password)
    assert can_log_in("dupont", NEW_PASSWORD)

    # the proof was spent with the old password
    assert client.get(reverse("accounts:recovery_password")).status_code == 404


def test_proof_of_a_right_answer_is_single_use_even_if_kept(client, dupont_question):
    start(client, "dupont", "question")
    answer(client, ANSWER)
    proof = client.session["recovery_proof"]
    choose(client)
    other = Client()
    session = other.session
    session["recovery_proof"] = proof
    session.save()
    other.cookies["sessionid"] = session.session_key
    assert choose(other, "Encore-Un-Autre-2026").status_code == 404
    dupont_question.refresh_from_db()
    assert dupont_question.check_password(NEW_PASSWORD)


def test_proof_of_a_right_answer_expires_after_ten_minutes(client, dupont_question, password):
    with time_machine.travel(START, tick=False) as traveller:
        start(client, "dupont", "question")
        answer(client, ANSWER)
        traveller.shift(datetime.timedelta(minutes=10, seconds=5))
        assert choose(client).status_code == 404
    dupont_question.refresh_from_db()
    assert dupont_question.check_password(password)


def test_unknown_identifiant_and_account_without_question_get_the_same_message(client, world, dupont_question):
    message = "Aucune question secrète n'est enregistrée pour cet identifiant."
    for username in ("martin", "personne"):
        start(client, username, "question")
        text = page_text(client.get(reverse("accounts:recovery_question")))
        assert message in text
        assert 'name="answer"' not in text


def test_five_wrong_answers_lock_the_question_for_fifteen_minutes(client, dupont_question, password):
    with time_machine.travel(START, tick=False) as traveller:
        start(client, "dupont", "question")
        for remaining in (4, 3, 2, 1):
            response = answer(client, "Dupond")
            assert response.status_code == 200
            assert f"Il vous reste {remaining} essai" in page_text(response)
        response = answer(client, "Dupond")
        assert response.status_code == 429
        assert "réessayez dans 15 minutes" in page_text(response)

        # even the right answer is refused while locked, and nothing is recorded
        traveller.shift(datetime.timedelta(minutes=14))
        count = RecoveryAttempt.objects.count()
        assert answer(client, ANSWER).status_code == 429
        assert client.get(reverse("accounts:recovery_question")).status_code == 429
        assert RecoveryAttempt.objects.count() == count

        # the lock is per account: another parent can still answer
        other_parent = f.UserFactory(username="autre.parent")
        set_security_question(other_parent, QUESTION, "Brest")
        other = Client()
        start(other, "autre.parent", "question")
        assert answer(other, "brest").status_code == 302

        traveller.shift(datetime.timedelta(minutes=1, seconds=1))
        response = answer(client, ANSWER)
        assert response.status_code == 302 and response["Location"] == reverse("accounts:recovery_password")


def test_after_the_lock_a_fresh_series_of_five_begins(client, dupont_question):
    with time_machine.travel(START, tick=False) as traveller:
        start(client, "dupont", "question")
        for _ in range(5):
            answer(client, "faux")
        traveller.shift(datetime.timedelta(minutes=16))
        response = answer(client, "faux")
        assert "Il vous reste 4 essais" in page_text(response)


def test_a_right_answer_ends_the_series_of_wrong_ones(client, dupont_question):
    start(client, "dupont", "question")
    for _ in range(4):
        answer(client, "faux")
    answer(client, ANSWER)
    response = answer(client, "faux")
    assert "Il vous reste 4 essais" in page_text(response)


def test_one_address_is_limited_across_accounts(world):
    """Guessing one answer for each of many accounts is limited too."""
    with time_machine.travel(START, tick=False) as traveller:
        accounts = [f.UserFactory(username=f"parent{i}") for i in range(recovery.IP_LIMIT // 2 + 1)]
        for account in accounts:
            set_security_question(account, QUESTION, "Brest")
        attacker = Client(REMOTE_ADDR="203.0.113.7")
        for account in accounts[:-1]:
            assert start(attacker, account.username, "question").status_code == 302
            assert answer(attacker, "Paris").status_code == 200
        assert RecoveryAttempt.objects.filter(ip="203.0.113.7").count() == recovery.IP_LIMIT

        response = start(attacker, accounts[-1].username, "question")
        assert response.status_code == 429
        assert "Trop de tentatives depuis votre connexion" in page_text(response)
        assert ask_link(attacker, "dupont", "dupont@example.org").status_code == 429
        assert not OutboxEmail.objects.exists()

        # another address is not concerned
        neighbour = Client(REMOTE_ADDR="198.51.100.20")
        start(neighbour, accounts[-1].username, "question")
        assert answer(neighbour, "brest").status_code == 302

        traveller.shift(recovery.IP_WINDOW + datetime.timedelta(seconds=1))
        assert start(attacker, accounts[-1].username, "question").status_code == 302


def test_answer_page_without_identifiant_goes_back_to_step_one(client, world):
    response = client.get(reverse("accounts:recovery_question"))
    assert response.status_code == 302 and response["Location"] == reverse("accounts:recovery")


# --- A3b: the e-mail link ---------------------------------------------------------------


def test_known_and_unknown_addresses_get_identical_pages(world):
    pages = []
    for username, email in [
        ("dupont", "dupont@example.org"),
        ("dupont", "inconnu@example.org"),
        ("personne", "dupont@example.org"),
        ("martin", "DUPONT@example.org"),
    ]:
        client = Client()
        start(client, username, "email")
        response = ask_link(client, username, email)
        assert response.status_code == 302 and response["Location"] == reverse("accounts:recovery_email_sent")
        pages.append(without_csrf(client.get(response["Location"])))
    assert all(page == pages[0] for page in pages)
    assert "Si cette adresse correspond" in pages[0]
    sent = OutboxEmail.objects.get()
    assert sent.to == "dupont@example.org" and sent.kind == "recuperation" and sent.structure is None
    assert "dupont" in sent.body_text and sent.body_html


def test_email_way_is_case_insensitive_on_the_address(client, world):
    ask_link(client, "dupont", "  Dupont@Example.ORG ")
    assert OutboxEmail.objects.get().to == "dupont@example.org"


def test_reset_link_works_once(client, world, password):
    ask_link(client, "dupont", "dupont@example.org")
    link = link_of(OutboxEmail.objects.get())
    response = client.get(link)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:recovery_password")
    assert "dupont" in page_text(client.get(response["Location"]))
    assert choose(client).status_code == 302
    assert not can_log_in("dupont", password)
    assert can_log_in("dupont", NEW_PASSWORD)

    again = Client()
    response = again.get(link)
    assert response.status_code == 404
    assert "n'est plus valable" in page_text(response)


def test_reset_link_expires_after_one_hour(world, password):
    with time_machine.travel(START, tick=False) as traveller:
        ask_link(Client(), "dupont", "dupont@example.org")
        link = link_of(OutboxEmail.objects.get())
        traveller.shift(datetime.timedelta(minutes=59))
        assert Client().get(link).status_code == 302
        traveller.shift(datetime.timedelta(minutes=1, seconds=5))
        assert Client().get(link).status_code == 404


def test_link_opened_in_time_but_used_too_late_is_refused(client, world, password):
    with time_machine.travel(START, tick=False) as traveller:
        ask_link(client, "dupont", "dupont@example.org")
        client.get(link_of(OutboxEmail.objects.get()))
        traveller.shift(datetime.timedelta(hours=1, seconds=5))
        assert choose(client).status_code == 404
    world.dupont.refresh_from_db()
    assert world.dupont.check_password(password)


def test_tampered_links_are_refused(client, world):
    ask_link(client, "dupont", "dupont@example.org")
    link = link_of(OutboxEmail.objects.get())
    uid, token = link.strip("/").split("/")[-2:]
    other_uid = link.replace(uid, "OTk5OTk")
    assert client.get(other_uid).status_code == 404
    assert client.get(link.replace(token, token[:-1] + ("0" if token[-1] != "0" else "1"))).status_code == 404
    assert client.get(reverse("accounts:recovery_link", args=["!!", "x-y"])).status_code == 404


def test_one_account_gets_at_most_three_links_an_hour(world):
    with time_machine.travel(START, tick=False) as traveller:
        for i in range(recovery.EMAIL_LINKS_PER_ACCOUNT + 2):
            response = ask_link(Client(REMOTE_ADDR=f"192.0.2.{i + 1}"), "dupont", "dupont@example.org")
            assert response["Location"] == reverse("accounts:recovery_email_sent")
        assert OutboxEmail.objects.count() == recovery.EMAIL_LINKS_PER_ACCOUNT
        traveller.shift(recovery.EMAIL_LINKS_WINDOW + datetime.timedelta(seconds=1))
        ask_link(Client(), "dupont", "dupont@example.org")
        assert OutboxEmail.objects.count() == recovery.EMAIL_LINKS_PER_ACCOUNT + 1


def test_inactive_account_gets_no_link(client, world):
    world.dupont.is_active = False
    world.dupont.save()
    ask_link(client, "dupont", "dupont@example.org")
    assert not OutboxEmail.objects.exists()


def test_bad_address_is_refused_by_the_form(client, world):
    response = ask_link(client, "dupont", "dupont@")
    assert response.status_code == 200
    assert "Saisissez une adresse e-mail valide" in page_text(response)


# --- D1, django-axes, A3c ---------------------------------------------------------------


def test_no_page_or_email_ever_contains_a_password(world, dupont_question, password):
    bodies = []

    def keep(response):
        bodies.append(response.content.decode())
        return response

    client = Client()
    keep(client.get(reverse("accounts:recovery")))
    keep(start(client, "dupont", "question"))
    keep(client.get(reverse("accounts:recovery_question")))
    keep(answer(client, "faux"))
    keep(answer(client, ANSWER))
    keep(client.get(reverse("accounts:recovery_password")))
    keep(choose(client, NEW_PASSWORD, url=None))
    keep(client.get(reverse("login")))

    client = Client()
    keep(start(client, "dupont", "email"))
    keep(client.get(reverse("accounts:recovery_email")))
    keep(ask_link(client, "dupont", "dupont@example.org"))
    keep(client.get(reverse("accounts:recovery_email_sent")))
    link = link_of(OutboxEmail.objects.get())
    keep(client.get(link))
    keep(client.get(reverse("accounts:recovery_password")))
    keep(choose(client, "Trop-Court", url=None))  # refused: the typed value is not written back
    keep(choose(client, "Encore-Un-Autre-2026"))
    keep(client.get(reverse("login")))

    texts = bodies + [e.subject + e.body_text + e.body_html for e in OutboxEmail.objects.all()]
    for secret in (password, NEW_PASSWORD, "Trop-Court", "Encore-Un-Autre-2026"):
        assert not any(secret in text for text in texts), secret


def test_recovery_lifts_the_login_lockout(world, settings):
    parent = Client(REMOTE_ADDR="192.0.2.50")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        parent.post(reverse("login"), {"username": "dupont", "password": "mauvais"})
    response = parent.post(reverse("login"), {"username": "dupont", "password": NEW_PASSWORD})
    assert "Connexion temporairement bloquée" in page_text(response)

    ask_link(parent, "dupont", "dupont@example.org")
    parent.get(link_of(OutboxEmail.objects.get()))
    choose(parent)
    assert can_log_in("dupont", NEW_PASSWORD, parent)


def test_help_block_lists_every_structure_contact(client, world):
    world.a.address = "1 place de la Mairie\n12345 CarteVille"
    world.a.save()
    world.b.phone = "04 11 22 33 44"
    world.b.email = "accueil@pinsons.example.org"
    world.b.save()
    for url in (reverse("accounts:recovery"), reverse("accounts:recovery_email")):
        text = page_text(client.get(url))
        assert "vous ne pouvez pas récupérer votre mot de passe en ligne : contactez votre structure" in text
        for structure in (world.a, world.b):
            assert structure.name in text and structure.phone in text and structure.email in text
        assert "1 place de la Mairie<br>12345 CarteVille" in text


def test_login_page_links_to_recovery(client, world):
    text = page_text(client.get(reverse("login")))
    assert f'<a href="{reverse("accounts:recovery")}">Le retrouver</a>' in text
