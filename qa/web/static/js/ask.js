// The ask page: the question and filters live in the URL, so a search can be bookmarked,
// shared and reloaded, and back/forward step through earlier searches.

import { api, ApiError } from "./api.js";
import {
  authorsText, citation, confidenceWords, copyText, el, loadFooter, markCurrentNav,
  markdownCitation, markedNodes, pageLabel, sectionText, setStatus, showError,
} from "./common.js";

const form = document.getElementById("ask-form");
const question = document.getElementById("q");
const docSelect = document.getElementById("filter-doc");
const author = document.getElementById("filter-author");
const since = document.getElementById("filter-since");
const until = document.getElementById("filter-until");
const kInput = document.getElementById("filter-k");
const filtersBox = document.getElementById("filters");
const filterCount = document.getElementById("filter-count");
const banner = document.getElementById("abstain-banner");
const answer = document.getElementById("answer");
const results = document.getElementById("results");
const heading = document.getElementById("answer-heading");
const words = document.querySelector("#answer-summary .confidence-words");
const number = document.querySelector("#answer-summary .confidence-number");
const legend = document.getElementById("confidence-legend");

const DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const DEFAULT_K = 5;
const publishers = new Map(); // doc_id -> publisher, for citations
let inFlight = null;

/** The search the URL describes. */
function searchFromUrl() {
  const p = new URLSearchParams(location.search);
  const k = Number.parseInt(p.get("k") || "", 10);
  return {
    q: (p.get("q") || "").trim(),
    docs: p.getAll("doc").filter(Boolean),
    author: (p.get("author") || "").trim(),
    since: (p.get("since") || "").trim(),
    until: (p.get("until") || "").trim(),
    k: Number.isFinite(k) && k > 0 ? k : DEFAULT_K,
  };
}

function searchFromForm() {
  const k = Number.parseInt(kInput.value, 10);
  return {
    q: question.value.trim(),
    docs: [...docSelect.selectedOptions].map((o) => o.value),
    author: author.value.trim(),
    since: since.value.trim(),
    until: until.value.trim(),
    k: Number.isFinite(k) && k > 0 ? k : DEFAULT_K,
  };
}

function urlOf(search) {
  const p = new URLSearchParams();
  if (search.q) p.set("q", search.q);
  for (const doc of search.docs) p.append("doc", doc);
  if (search.author) p.set("author", search.author);
  if (search.since) p.set("since", search.since);
  if (search.until) p.set("until", search.until);
  if (search.k !== DEFAULT_K) p.set("k", String(search.k));
  const query = p.toString();
  return query ? `/?${query}` : "/";
}

function selectDocs(docs) {
  for (const doc of docs) {
    if (![...docSelect.options].some((o) => o.value === doc)) {
      docSelect.append(new Option(`${doc} (not in the index)`, doc));
    }
  }
  for (const option of docSelect.options) option.selected = docs.includes(option.value);
}

function fillForm(search) {
  question.value = search.q;
  selectDocs(search.docs);
  author.value = search.author;
  since.value = search.since;
  until.value = search.until;
  kInput.value = String(search.k);
  updateFilterCount();
  if (activeFilters(search) > 0) filtersBox.open = true;
}

// Closed until asked for or in use (a search from a URL with filters opens them), so the
// passages come first; the summary counts the filters set.

function activeFilters(search) {
  return (search.docs.length ? 1 : 0) + (search.author ? 1 : 0) + (search.since ? 1 : 0) + (search.until ? 1 : 0);
}

function updateFilterCount() {
  const n = activeFilters(searchFromForm());
  filterCount.textContent = n ? `(${n} active)` : "";
}

function requestBody(search) {
  const filters = {};
  if (search.docs.length) filters.doc_ids = search.docs;
  if (search.author) filters.authors = [search.author];
  if (search.since) filters.date_from = search.since;
  if (search.until) filters.date_to = search.until;
  const body = { question: search.q, k: search.k };
  if (Object.keys(filters).length) body.filters = filters;
  return body;
}

function checkDates(search) {
  for (const [name, value] of [["Since", search.since], ["Until", search.until]]) {
    if (value && !DATE.test(value)) return `${name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, e.g. 2016 or 2016-05.`;
  }
  return "";
}

function clearAnswer() {
  banner.hidden = true;
  banner.textContent = "";
  answer.hidden = true;
  results.replaceChildren();
}

async function run(search) {
  if (inFlight) inFlight.abort();
  showError("");
  if (!search.q) {
    clearAnswer();
    setStatus("");
    return;
  }
  const problem = checkDates(search);
  if (problem) {
    showError(problem);
    setStatus("");
    return;
  }
  const controller = new AbortController();
  inFlight = controller;
  setStatus("Searching…");
  form.setAttribute("aria-busy", "true");
  document.title = `${search.q} · qa`;
  try {
    const response = await api("/ask", { method: "POST", json: requestBody(search), signal: controller.signal });
    if (controller.signal.aborted) return;
    render(search, response);
  } catch (error) {
    if (error.name === "AbortError") return;
    clearAnswer();
    setStatus("");
    showError(error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`);
  } finally {
    if (inFlight === controller) {
      inFlight = null;
      form.removeAttribute("aria-busy");
    }
  }
}

function render(search, response) {
  const passages = response.passages || [];
  results.replaceChildren(...passages.map((p) => card(p, search)));
  showBanner(response, passages.length);
  if (passages.length) {
    answer.hidden = false;
    heading.textContent = response.abstained ? "Nearest passages" : "Passages, best first";
    words.textContent = `First passage ${confidenceWords(response.confidence)}`;
    words.title = legend.textContent;
    words.dataset.band = confidenceWords(response.confidence).replace(/ /g, "-");
    number.textContent = `(confidence ${response.confidence.toFixed(2)})`;
  } else {
    answer.hidden = true;
  }
  const n = passages.length;
  setStatus(
    response.abstain_reason === "no_match"
      ? "No passages."
      : `${n} passage${n === 1 ? "" : "s"}${response.abstained ? ", none a confident answer" : ""}.`,
  );
}

function showBanner(response, count) {
  let text = "";
  if (response.abstain_reason === "no_match") {
    text = "No document matches the filters. Widen them (documents, author, dates) and ask again.";
  } else if (response.abstained) {
    const names = response.unknown_names || [];
    text = names.length
      ? `The documents do not seem to answer this: no document mentions ${names.map((n) => `“${n}”`).join(", ")}.`
      : "The documents do not seem to answer this question.";
    if (count) text += " The nearest passages are below, for reference.";
  }
  banner.textContent = text;
  banner.hidden = !text;
}

function viewUrl(passage, search) {
  const p = new URLSearchParams({ doc: passage.doc_id, start: String(passage.start), end: String(passage.end) });
  const spans = passage.spans || [];
  if (spans.length > 1) p.set("spans", spans.map(([s, e]) => `${s}-${e}`).join(","));
  if (search.q) p.set("q", search.q);
  return `/view?${p.toString()}`;
}

function card(passage, search) {
  const li = el("li", "result");
  li.dataset.docId = passage.doc_id;
  const titleId = `result-${passage.rank}-title`;
  li.setAttribute("aria-labelledby", titleId);

  const head = el("div", "result-head");
  const rank = el("span", "result-rank", String(passage.rank));
  rank.setAttribute("aria-hidden", "true"); // the list already numbers the cards
  const title = el("h3", "result-title", passage.title);
  title.id = titleId;
  head.append(rank, title);

  const meta = el("p", "result-meta");
  const bits = [authorsText(passage.authors), passage.date].filter(Boolean);
  meta.append(bits.join(" · "));
  const page = pageLabel(passage.page_start, passage.page_end);
  if (page) {
    if (bits.length) meta.append(" · ");
    meta.append(el("span", "result-page", page));
  }

  const section = el("p", "result-section", sectionText(passage));
  const text = el("blockquote", "result-text");
  text.append(...markedNodes(passage.text, passage.text_highlights));

  const actions = el("div", "result-actions");
  const open = el("a", "result-open", "Open in the document");
  open.href = viewUrl(passage, search);
  const copyCite = el("button", "copy-citation", "Copy citation");
  copyCite.type = "button";
  const copyMd = el("button", "copy-markdown", "Copy as Markdown");
  copyMd.type = "button";
  const copied = el("span", "copied");
  copied.setAttribute("aria-live", "polite");
  const publisher = () => publishers.get(passage.doc_id); // the list may arrive after the cards
  copyCite.addEventListener("click", () => copy(citation(passage, publisher()), copied));
  copyMd.addEventListener("click", () => copy(markdownCitation(passage, publisher()), copied));
  actions.append(open, copyCite, copyMd, copied);

  li.append(head, meta, section, text, actions);
  return li;
}

async function copy(text, label) {
  const ok = await copyText(text);
  label.textContent = ok ? "Copied" : "Could not copy: select the text and copy it by hand";
  label.classList.toggle("failed", !ok);
  clearTimeout(label._timer);
  label._timer = setTimeout(() => { label.textContent = ""; }, 2500);
}

async function loadDocuments() {
  try {
    const documents = await api("/documents");
    const options = documents
      .slice()
      .sort((a, b) => a.title.localeCompare(b.title))
      .map((d) => {
        publishers.set(d.doc_id, d.publisher);
        const label = d.date ? `${d.title} (${d.date})` : d.title;
        const option = new Option(label, d.doc_id);
        option.title = `${label} · ${d.doc_id}`;
        return option;
      });
    const chosen = [...docSelect.selectedOptions].map((o) => o.value); // from the URL, or the reader
    docSelect.replaceChildren(...options);
    selectDocs(chosen);
    updateFilterCount();
  } catch {
    const note = new Option("(could not load the document list)", "");
    note.disabled = true;
    docSelect.prepend(note);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const search = searchFromForm();
  if (!search.q) {
    showError("Type a question first.");
    question.focus();
    return;
  }
  const url = urlOf(search);
  if (url !== location.pathname + location.search) history.pushState(null, "", url);
  run(search);
});

form.addEventListener("input", updateFilterCount);
form.addEventListener("change", updateFilterCount);
document.getElementById("clear-filters").addEventListener("click", () => {
  for (const option of docSelect.options) option.selected = false;
  author.value = since.value = until.value = "";
  kInput.value = String(DEFAULT_K);
  updateFilterCount();
  docSelect.focus();
});

window.addEventListener("popstate", () => {
  const search = searchFromUrl();
  fillForm(search);
  run(search);
});

markCurrentNav();
loadFooter();
// The URL's search is shown and asked at once; the document list fills in when it comes,
// keeping whatever was chosen or typed meanwhile.
const initial = searchFromUrl();
fillForm(initial);
if (initial.q) run(initial);
else question.focus();
loadDocuments();
