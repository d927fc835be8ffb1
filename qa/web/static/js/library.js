// The library: the indexed documents, the index's state, and (where this client may write)
// adding and removing documents.

import { api, ApiError, docPath } from "./api.js";
import {
  authorsText, el, enrichmentWords, healthWords, loadFooter, markCurrentNav, showError,
} from "./common.js";

const statusEl = document.getElementById("index-status");
const tbody = document.querySelector("#documents tbody");
const message = document.getElementById("library-message");
const uploadSection = document.getElementById("upload-section");
const uploadForm = document.getElementById("upload");
const fileInput = document.getElementById("upload-file");
const pathInput = document.getElementById("upload-path");
const uploadButton = document.getElementById("upload-button");

let writes = false;

function say(text, kind = "info") {
  message.textContent = text || "";
  message.hidden = !text;
  message.className = `notice notice-${kind}`;
}

function failure(error) {
  return error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`;
}

async function loadHealth() {
  const health = await loadFooter();
  if (!health) {
    statusEl.textContent = "The index status could not be read.";
    writes = false;
    return;
  }
  const [state, words] = healthWords(health);
  const line = el("p", `index-line state-${state}`);
  line.append(el("span", "state-badge", state), " ", words);
  const details = [enrichmentWords(health), `Model: ${health.model}.`, `Built ${new Date(health.index_created_at).toLocaleString()}.`];
  const more = el("p", "hint", details.filter(Boolean).join(" "));
  const access = el(
    "p",
    "hint",
    health.writes
      ? "You can add and remove documents here."
      : "This server does not take changes from this browser (it listens beyond this machine without an API key), so the library is read-only.",
  );
  statusEl.replaceChildren(line, more, access);
  writes = Boolean(health.writes);
  uploadSection.hidden = !writes;
  uploadForm.hidden = !writes;
}

async function loadDocuments() {
  let documents;
  try {
    documents = await api("/documents");
  } catch (error) {
    showError(`Could not list the documents: ${failure(error)}`);
    return;
  }
  showError("");
  const rows = documents
    .slice()
    .sort((a, b) => a.title.localeCompare(b.title))
    .map(row);
  if (!rows.length) {
    const empty = el("tr");
    const cell = el("td", "empty", "No documents yet.");
    cell.colSpan = 6;
    empty.append(cell);
    rows.push(empty);
  }
  tbody.replaceChildren(...rows);
}

function row(doc) {
  const tr = el("tr");
  tr.dataset.docId = doc.doc_id;
  const titleCell = el("td", "doc-title-cell");
  const link = el("a", "", doc.title);
  link.href = `/view?${new URLSearchParams({ doc: doc.doc_id })}`;
  titleCell.append(link, el("span", "doc-id", doc.doc_id));
  if (doc.publisher) titleCell.append(el("span", "doc-publisher", doc.publisher));
  const actions = el("td", "actions");
  if (writes) {
    const remove = el("button", "delete-doc danger", "Remove");
    remove.type = "button";
    remove.dataset.docId = doc.doc_id;
    remove.setAttribute("aria-label", `Remove ${doc.title}`);
    remove.addEventListener("click", () => removeDocument(doc, remove));
    actions.append(remove);
  }
  tr.append(
    titleCell,
    labelled(el("td", "", authorsText(doc.authors) || "—"), "Authors"),
    labelled(el("td", "date", doc.date || "—"), "Date"),
    labelled(el("td", "num", String(doc.sections)), "Sections"),
    labelled(el("td", "num", String(doc.chunks)), "Passages"),
    actions,
  );
  return tr;
}

function labelled(cell, label) {
  cell.dataset.label = label; // shown before the value on phone width, where rows stack
  return cell;
}

async function removeDocument(doc, button) {
  if (!window.confirm(`Remove “${doc.title}” (${doc.doc_id}) from the library?\n\nIts file is moved to the corpus folder's .qa-removed/, not deleted.`)) {
    return;
  }
  button.disabled = true;
  say(`Removing ${doc.doc_id} and rebuilding the index…`);
  try {
    const done = await api(docPath(doc.doc_id), { method: "DELETE" });
    say(`Removed ${done.doc_id}; its file is kept at ${done.kept_at}. The index now has ${done.index.documents} documents.`, "success");
  } catch (error) {
    say(`Not removed: ${failure(error)}`, "error");
    button.disabled = false;
    return;
  }
  await refresh();
  document.getElementById("docs-heading").focus?.();
}

uploadForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const file = fileInput.files && fileInput.files[0];
  if (!file) {
    say("Choose a file to add.", "error");
    fileInput.focus();
    return;
  }
  const body = new FormData();
  body.append("file", file);
  body.append("path", pathInput.value.trim());
  uploadButton.disabled = true;
  uploadForm.setAttribute("aria-busy", "true");
  say(`Adding ${file.name} and indexing it…`);
  try {
    const added = await api("/documents", { method: "POST", body });
    say(`Added “${added.document.title}” as ${added.doc_id} (${added.document.chunks} passages). The index now has ${added.index.documents} documents.`, "success");
    uploadForm.reset();
  } catch (error) {
    say(`Not added: ${failure(error)}`, "error");
  } finally {
    uploadButton.disabled = false;
    uploadForm.removeAttribute("aria-busy");
  }
  await refresh();
});

async function refresh() {
  await loadHealth();
  await loadDocuments();
}

markCurrentNav();
refresh();
