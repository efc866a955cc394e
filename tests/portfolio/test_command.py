from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from portfolio.extraction import extract as extraction
from portfolio.models import WorkArtifact
from tests.portfolio import files

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_artifacts", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_a_folder_with_a_progress_bar(tmp_path, alice, in_tenant):
    (tmp_path / "board-report.docx").write_bytes(files.docx_bytes("Board minutes"))
    (tmp_path / "follow_up.eml").write_bytes(files.eml_bytes("Renewal", "Thanks"))
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "notes.txt").write_text("Pricing notes")
    (tmp_path / ".hidden").write_text("skip me")
    out, err = _run("--user", "ALICE@acme.test", str(tmp_path))
    assert "[#######-------------] 1/3 board-report.docx" in out
    assert "[####################] 3/3 notes.txt" in out
    assert "Imported 3 of 3 file(s) for alice@acme.test." in out
    assert err == ""
    with in_tenant(alice):
        rows = {a.title: a for a in WorkArtifact.objects.filter(user=alice)}
    assert set(rows) == {"Board report", "Follow up", "Notes"}
    assert rows["Follow up"].category == "email"
    assert rows["Board report"].extracted_text == "Board minutes"
    assert rows["Notes"].file_name == "notes.txt"


def test_options_set_category_and_date(tmp_path, alice, in_tenant):
    path = tmp_path / "deploy.txt"
    path.write_text("ssh and rsync")
    _run("--user", "alice@acme.test", "--category", "script", "--date", "2019-04-01", str(path))
    with in_tenant(alice):
        artifact = WorkArtifact.objects.get(user=alice)
    assert (artifact.category, artifact.artifact_date) == ("script", datetime.date(2019, 4, 1))


def test_reports_each_failed_file_and_why(tmp_path, alice, in_tenant):
    (tmp_path / "good.txt").write_text("fine")
    (tmp_path / "locked.pdf").write_bytes(files.encrypted_pdf_bytes("secret"))
    (tmp_path / "tool.exe").write_bytes(b"MZ")
    with pytest.raises(CommandError, match="3 file"):
        _run("--user", "alice@acme.test", str(tmp_path), str(tmp_path / "missing.txt"))
    with in_tenant(alice):
        assert list(WorkArtifact.objects.values_list("title", flat=True)) == ["Good"]


def test_failures_are_listed_on_stderr(tmp_path, alice):
    (tmp_path / "locked.pdf").write_bytes(files.encrypted_pdf_bytes("secret"))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_artifacts",
            "--user",
            alice.email,
            str(tmp_path),
            stderr=err,
            stdout=io.StringIO(),
        )
    assert f"locked.pdf: {extraction.ENCRYPTED}" in err.getvalue()


def test_honours_the_limit(tmp_path, alice, artifacts_for, in_tenant):
    artifacts_for(alice, 48)
    for i in range(4):
        (tmp_path / f"note-{i}.txt").write_text(f"note {i}")
    err = io.StringIO()
    out = io.StringIO()
    with pytest.raises(CommandError, match="2 file"):
        call_command(
            "import_artifacts", "--user", alice.email, str(tmp_path), stdout=out, stderr=err
        )
    assert "Imported 2 of 4" in out.getvalue()
    assert err.getvalue().count("Maximum 50 artifacts allowed") == 2
    with in_tenant(alice):
        assert WorkArtifact.objects.filter(user=alice).count() == 50


def test_unknown_user_is_an_error():
    with pytest.raises(CommandError, match="No user"):
        _run("--user", "nobody@example.test", ".")


def test_a_date_before_1900_is_refused_per_file(tmp_path, alice, in_tenant):
    (tmp_path / "notes.txt").write_text("Old notes")
    with pytest.raises(CommandError) as refused:
        _run("--user", alice.email, "--date", "1850-01-01", str(tmp_path))
    assert "1 file(s) could not be imported" in str(refused.value)
    with in_tenant(alice):
        assert not WorkArtifact.objects.exists()
