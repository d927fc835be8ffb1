"""Adding and removing documents live: POST /documents, DELETE /documents/{doc_id}, qa add,
qa remove. Real files (eval/library/corpus), the real app (TestClient, lifespan and watcher
running), the fake embedders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from qa.api import create_app
from qa.index.embedder import HashEmbedder
from qa.settings import Settings
from tests.conftest import BRIDGES, PONDS, REAL_DOCUMENTS, small_corpus_settings
from tests.test_cli import qa

LIBRARY = Path(__file__).parent / "data" / "library"
PDF = REAL_DOCUMENTS / "sample-sigconf.pdf"  # two columns, 6 pages
KEY = "s3cret-key"

NOTE = """\
# Otter survey notes

Otters returned to the upper river in the spring. Tracks and spraints were found under the
alder roots beside the mill race, and a holt was seen in the bank below the weir.
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return small_corpus_settings(tmp_path, {"ponds.txt": PONDS, "bridges.txt": BRIDGES})


def corpus_state(settings: Settings) -> dict[str, bytes]:
    """Every file under the corpus folder (hidden ones too) with its bytes."""
    root = settings.corpus_dir
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def index_state(settings: Settings) -> str:
    """The live index's manifest: it changes with every build."""
    folder = settings.index_dir.resolve()
    return (folder / "manifest.json").read_text(encoding="utf-8")


def upload(client: TestClient, name: str, data: bytes, path: str = "", **headers: str) -> Any:
    return client.post(
        "/documents", files={"file": (name, data)}, data={"path": path}, headers=headers
    )


def ask(client: TestClient, question: str, **headers: str) -> list[dict[str, Any]]:
    response = client.post("/ask", json={"question": question, "k": 3}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["passages"]


def test_an_uploaded_pdf_is_stored_indexed_and_answered_at_once_with_its_pages(
    settings: Settings,
) -> None:
    with TestClient(create_app(settings)) as client:
        response = upload(client, "acm-sample.pdf", PDF.read_bytes(), path="papers/acm")
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["doc_id"] == "papers/acm/acm-sample.pdf"
        assert body["document"]["title"] == "The Name of the Title Is Hope"  # the PDF's own
        assert body["index"]["documents"] == 3
        assert (settings.corpus_dir / "papers" / "acm" / "acm-sample.pdf").read_bytes() == (
            PDF.read_bytes()
        )
        # Served by the running app, no restart, no rebuild by hand:
        assert client.get("/health").json()["documents"] == 3
        passages = ask(client, "ACM Reference Format citation of the article")
        assert passages[0]["doc_id"] == "papers/acm/acm-sample.pdf"
        assert passages[0]["page_start"] is not None
        listed = [d["doc_id"] for d in client.get("/documents").json()]
        assert "papers/acm/acm-sample.pdf" in listed


def test_an_upload_reuses_the_vectors_of_every_unchanged_chunk(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedded: list[str] = []
    with TestClient(create_app(settings)) as client:
        before = client.get("/health").json()["chunks"]
        original = HashEmbedder.embed_passages  # what every fake embedding goes through

        def counting(self: HashEmbedder, texts: list[str]) -> Any:
            embedded.extend(texts)
            return original(self, texts)

        monkeypatch.setattr(HashEmbedder, "embed_passages", counting)
        response = upload(client, "otters.md", NOTE.encode())
        assert response.status_code == 201, response.text
        added = response.json()["document"]["chunks"]
        assert response.json()["index"]["chunks"] == before + added
    assert embedded, "the new document was not embedded"
    old_words = ("pond", "duckweed", "bridge", "cable", "tower")
    assert not [t for t in embedded if any(w in t.lower() for w in old_words)]


@pytest.mark.parametrize(
    ("name", "data", "path", "status", "says"),
    [
        ("table.csv", b"a,b\n1,2\n", "", 415, "not a type qa reads"),
        ("old.doc", b"\xd0\xcf\x11\xe0 word 97", "", 415, "save it as .docx"),
        ("broken.pdf", b"%PDF-1.7 nothing else", "", 422, "could not be read"),
        ("locked.pdf", (LIBRARY / "encrypted.pdf").read_bytes(), "", 422, "encrypted"),
        ("empty.md", b"   \n", "", 422, "empty"),
        ("ponds.txt", b"# Other ponds\n\nA different text.", "", 409, "already in the corpus"),
        ("copy.txt", PONDS.encode(), "", 409, "same content as ponds.txt"),
        ("note.md", NOTE.encode(), "../outside", 422, "not a folder inside the corpus"),
        ("note.md", NOTE.encode(), "sub/.hidden", 422, "not a folder inside the corpus"),
        (".note.md", NOTE.encode(), "", 422, "not a plain file name"),
        ("../note.md", NOTE.encode(), "", 422, "not a plain file name"),
    ],
)
def test_a_refused_upload_is_a_clear_4xx_and_changes_nothing(
    settings: Settings, name: str, data: bytes, path: str, status: int, says: str
) -> None:
    with TestClient(create_app(settings)) as client:
        corpus, index = corpus_state(settings), index_state(settings)
        response = upload(client, name, data, path)
        assert response.status_code == status, response.text
        assert says in response.text
        assert corpus_state(settings) == corpus
        assert index_state(settings) == index
        assert not (settings.corpus_dir.parent / "outside").exists()
        assert client.get("/health").json()["documents"] == 2


def test_an_upload_over_the_file_size_limit_is_a_413_and_changes_nothing(tmp_path: Path) -> None:
    settings = small_corpus_settings(tmp_path, {"ponds.txt": PONDS, "bridges.txt": BRIDGES})
    settings = settings.model_copy(update={"max_file_mb": 0.1})  # 100,000 bytes
    with TestClient(create_app(settings)) as client:
        corpus = corpus_state(settings)
        big = ("word " * 30_000).encode()  # 150 KB: over the file limit, far over QA_MAX_BODY
        response = upload(client, "big.txt", big)
        assert response.status_code == 413, response.text
        assert "QA_MAX_FILE_MB" in response.text
        assert corpus_state(settings) == corpus
        # The file limit, not the 64 KB question limit, applies to uploads:
        assert upload(client, "otters.md", (NOTE * 150).encode()).status_code == 201


def test_a_failed_rebuild_puts_the_corpus_back(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_build(*args: Any, **kwargs: Any) -> Any:
        raise OSError(28, "No space left on device")

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        corpus, index = corpus_state(settings), index_state(settings)
        monkeypatch.setattr("qa.library.build_index", broken_build)
        assert upload(client, "otters.md", NOTE.encode(), "new/folder").status_code == 500
        assert client.delete("/documents/ponds.txt").status_code == 500
        assert corpus_state(settings) == corpus
        assert not (settings.corpus_dir / "new").exists()
        assert index_state(settings) == index


def test_delete_moves_the_file_aside_and_the_running_app_stops_citing_it(
    settings: Settings,
) -> None:
    with TestClient(create_app(settings)) as client:
        assert ask(client, "duckweed on a still pond")[0]["doc_id"] == "ponds.txt"
        response = client.delete("/documents/ponds.txt")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["index"]["documents"] == 1
        kept = settings.corpus_dir / body["kept_at"]
        assert body["kept_at"].startswith(".qa-removed/")
        assert kept.read_text(encoding="utf-8") == PONDS  # moved, not deleted
        assert not (settings.corpus_dir / "ponds.txt").exists()
        assert {p["doc_id"] for p in ask(client, "duckweed on a still pond")} == {"bridges.txt"}
        assert client.get("/health").json()["stale"] is False


def test_delete_refusals_change_nothing(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        corpus, index = corpus_state(settings), index_state(settings)
        assert client.delete("/documents/nope.txt").status_code == 404
        assert client.delete("/documents/../etc/passwd.txt").status_code in (404, 422)
        assert client.delete("/documents/bridges.txt").status_code == 200
        last = client.delete("/documents/ponds.txt")
        assert last.status_code == 409 and "empty" in last.text
        assert (settings.corpus_dir / "ponds.txt").exists()
        assert corpus_state(settings) != corpus  # bridges.txt moved aside, nothing else
        assert index_state(settings) != index


def test_a_document_in_a_subfolder_is_removed_by_its_path_id(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert upload(client, "otters.md", NOTE.encode(), "field/2024").status_code == 201
        response = client.delete("/documents/field/2024/otters.md")
        assert response.status_code == 200, response.text
        assert "field/2024/otters.md" not in [d["doc_id"] for d in client.get("/documents").json()]


def test_without_an_api_key_a_server_beyond_loopback_takes_no_writes(settings: Settings) -> None:
    with TestClient(create_app(settings, host="0.0.0.0")) as client:
        assert client.get("/health").json()["writes"] is False
        response = upload(client, "otters.md", NOTE.encode())
        assert response.status_code == 403 and "QA_API_KEY" in response.text
        assert client.delete("/documents/ponds.txt").status_code == 403
        assert (settings.corpus_dir / "ponds.txt").exists()
        assert not (settings.corpus_dir / "otters.md").exists()
        assert ask(client, "duckweed")  # reading still works


def test_with_an_api_key_writes_need_the_key_wherever_the_server_listens(
    settings: Settings,
) -> None:
    keyed = settings.model_copy(update={"api_key": SecretStr(KEY)})
    with TestClient(create_app(keyed, host="0.0.0.0")) as client:
        assert upload(client, "otters.md", NOTE.encode()).status_code == 401
        assert not (settings.corpus_dir / "otters.md").exists()
        auth = {"Authorization": f"Bearer {KEY}"}
        assert client.get("/health", headers=auth).json()["writes"] is True
        assert upload(client, "otters.md", NOTE.encode(), **auth).status_code == 201
        assert client.delete("/documents/otters.md", headers=auth).status_code == 200


def test_openapi_lists_the_write_routes_and_their_refusals(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        spec = client.get("/openapi.json").json()
    post = spec["paths"]["/documents"]["post"]
    assert {"201", "409", "413", "415", "422"} <= set(post["responses"])
    assert "multipart/form-data" in post["requestBody"]["content"]
    delete = spec["paths"]["/documents/{doc_id}"]["delete"]
    assert {"200", "403", "404", "409"} <= set(delete["responses"])


# The command line: the same operations, same refusals.


def test_qa_add_and_remove_change_the_corpus_and_the_index(
    settings: Settings, tmp_path: Path
) -> None:
    note = tmp_path / "otters.md"
    note.write_text(NOTE, encoding="utf-8")
    added = qa(settings, "add", str(note), str(PDF), "--to", "field")
    assert added.exit_code == 0, added.output
    assert "added field/otters.md: Otter survey notes" in added.output
    assert "added field/sample-sigconf.pdf: The Name of the Title Is Hope" in added.output
    assert note.exists()  # the original stays where it was
    answer = json.loads(qa(settings, "ask", "otter holt below the weir", "--json").output)
    assert answer["passages"][0]["doc_id"] == "field/otters.md"

    removed = qa(settings, "remove", "field/otters.md")
    assert removed.exit_code == 0, removed.output
    assert "the file is kept at" in removed.output
    answer = json.loads(qa(settings, "ask", "otter holt below the weir", "--json").output)
    assert "field/otters.md" not in {p["doc_id"] for p in answer["passages"]}


def test_qa_add_refuses_the_whole_batch_when_one_file_is_refused(
    settings: Settings, tmp_path: Path
) -> None:
    note = tmp_path / "otters.md"
    note.write_text(NOTE, encoding="utf-8")
    assert qa(settings, "build").exit_code == 0
    corpus, index = corpus_state(settings), index_state(settings)
    result = qa(settings, "add", str(note), str(LIBRARY / "encrypted.pdf"))
    assert result.exit_code == 2, result.output
    assert "encrypted" in result.output and "nothing was added" in result.output
    assert corpus_state(settings) == corpus
    assert index_state(settings) == index

    unknown = qa(settings, "remove", "ponds.txt", "nope.md")
    assert unknown.exit_code == 2 and "nope.md" in unknown.output
    assert corpus_state(settings) == corpus
