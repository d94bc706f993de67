"""The core loop end to end through HTTP: ask, email, open, answer, manager."""
from conftest import ask, latest_email, link_from


def test_ask_email_answer_and_manager(logged_in, run_jobs, mail_outbox):
    response = ask(logged_in)
    assert response.status_code == 200
    assert "1 demande enregistrée" in response.get_data(as_text=True)
    run_jobs()
    assert len(mail_outbox) == 1
    path = link_from(mail_outbox[0].body)
    page = logged_in.get(path)
    assert "Cabinet Martin Gestion" in page.get_data(as_text=True)
    answered = logged_in.post(path, data={"reponse": "accepter"})
    assert answered.status_code == 303  # a reload of the answer page resubmits nothing
    assert "Vous avez accepté" in logged_in.get(answered.headers["Location"]).get_data(as_text=True)
    manager = logged_in.get("/gestionnaire").get_data(as_text=True)
    assert "chip-accepted" in manager and "marie.dupont@example.fr" in manager
    assert latest_email("request").sent_at is not None
