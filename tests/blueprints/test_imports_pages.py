"""The import pages: upload, preview with every bad row, choose, and follow the job until its result."""
from __future__ import annotations

import io

from consents.evidence_models import ImportFile
from consents.models import Consent

PDF = b"%PDF-1.4\n%%EOF\n"
FILE = "Email;Nom;Type\r\nzoe@example.fr;Zoé Lefèvre;particulier\r\npas-une-adresse;X;particulier\r\n".encode("cp1252")


def _upload(client, content=FILE, name="liste.csv"):
    """Upload a file through the form."""
    return client.post("/gestionnaire/importer", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(content), name), "separator": ""})


def test_upload_preview_record_and_result(logged_in, run_jobs, frozen_now):
    response = _upload(logged_in)
    assert response.status_code == 302
    preview = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zoé Lefèvre" in preview and "cp1252" in preview and "Ligne 3" in preview
    assert 'id="good-count">1<' in preview and 'id="bad-count">1<' in preview
    imported = ImportFile.query.one()
    errors = logged_in.get(f"/gestionnaire/importer/{imported.id}/erreurs.csv").data.decode("utf-8-sig")
    assert '3;"pas-une-adresse;X;particulier";Adresse email invalide' in errors
    assert Consent.query.count() == 0  # nothing recorded by a preview
    started = logged_in.post(response.headers["Location"], content_type="multipart/form-data", data={
        "action": "record", "scope": "lre", "obtained_on": frozen_now.now.date().isoformat(),
        "source": "assemblee_generale", "reference": "AG résolution 14", "evidence": (io.BytesIO(PDF), "pv.pdf")})
    assert started.status_code == 302
    progress = logged_in.get(started.headers["Location"], headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in progress and 'id="import-progress"' in progress and "hx-get" in progress
    run_jobs()
    done = logged_in.get(started.headers["Location"]).get_data(as_text=True)
    assert "Import terminé." in done and "1 créée" in done and "1 rejetée" in done
    assert Consent.query.one().channel == "manuel"
    result = logged_in.get(f"/gestionnaire/importer/{imported.id}/resultat.csv").data.decode("utf-8-sig")
    assert "zoe@example.fr;créée" in result


def test_bad_files_are_explained_not_crashed(logged_in):
    empty = _upload(logged_in, b"")
    assert empty.status_code == 422 and "vide" in empty.get_data(as_text=True)
    none = logged_in.post("/gestionnaire/importer", content_type="multipart/form-data", data={"separator": ""})
    assert none.status_code == 422 and "Choisissez un fichier" in none.get_data(as_text=True)
    assert ImportFile.query.count() == 0


def test_the_record_action_needs_its_date(logged_in):
    location = _upload(logged_in).headers["Location"]
    missing = logged_in.post(location, data={"action": "record", "scope": "lre", "source": "contrat"})
    assert missing.status_code == 422 and "date d&#39;obtention" in missing.get_data(as_text=True)
    assert ImportFile.query.one().action is None


def test_another_senders_import_is_404(app, logged_in):
    from conftest import login, make_sender

    location = _upload(logged_in).headers["Location"]
    make_sender("Autre", "autre@example.fr")
    other = app.test_client()
    login(other, "autre@example.fr")
    assert other.get(location).status_code == 404
    assert other.get(location + "/erreurs.csv").status_code == 404
