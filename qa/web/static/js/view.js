// The document view: the stored text, with citation offsets kept exact, the cited span marked,
// the outline beside it, and the question's other passages in this document a click away.

import { api, ApiError, docPath } from "./api.js";
import {
  authorsText, el, loadFooter, markCurrentNav, pageLabel, setStatus, showError,
} from "./common.js";
import { codePointIndex } from "./offsets.js";

const PIECE = 20000; // the most GET /documents/{id}/text returns at once
const HIT_K = 20; // how many of the question's passages in this document to step through

const titleEl = document.getElementById("doc-title");
const metaEl = document.getElementById("doc-meta");
const textEl = document.getElementById("doc-text");
const outlineEl = document.getElementById("outline");
const outlinePanel = document.getElementById("outline-panel");
const prevButton = document.getElementById("prev-hit");
const nextButton = document.getElementById("next-hit");
const positionEl = document.getElementById("hit-position");
const questionEl = document.getElementById("hit-question");
const backLink = document.getElementById("back-link");

const params = new URLSearchParams(location.search);
const docId = params.get("doc") || "";
const question = (params.get("q") || "").trim();

let text = ""; // the whole stored text (UTF-16)
let toUnits = (i) => i; // a citation offset (code points, as Python counts) -> a `text` index
let blocks = []; // [{start, end, el, kind, level}] in `text` indices, document order
let marked = new Set(); // blocks holding marks now
let hits = []; // the question's passages in this document, best first
let current = -1;

/** The spans the URL cites: `spans=s-e,s-e` when a passage has several, else [start, end). */
function spansFromUrl() {
  const listed = (params.get("spans") || "")
    .split(",")
    .map((pair) => pair.split("-").map((n) => Number.parseInt(n, 10)))
    .filter(([s, e]) => Number.isFinite(s) && Number.isFinite(e) && e > s);
  if (listed.length) return listed;
  const start = Number.parseInt(params.get("start") || "", 10);
  const end = Number.parseInt(params.get("end") || "", 10);
  return Number.isFinite(start) && Number.isFinite(end) && end > start ? [[start, end]] : [];
}

async function fetchText() {
  const first = await api(docPath(docId, `/text?start=0&end=${PIECE}`));
  const pieces = [first.text];
  const rest = [];
  for (let start = PIECE; start < first.length; start += PIECE) {
    rest.push(api(docPath(docId, `/text?start=${start}&end=${Math.min(start + PIECE, first.length)}`)));
  }
  for (const piece of await Promise.all(rest)) pieces.push(piece.text);
  return pieces.join("");
}

/** Blocks: runs of text between blank lines, each with its exact [start, end). */
function splitBlocks(source, outline) {
  const headingAt = new Map(outline.map((o) => [toUnits(o.start), o]));
  const found = [];
  const separator = /\n[ \t]*\n\s*/g;
  let at = 0;
  const push = (s, e) => {
    while (s < e && /\s/.test(source[s])) s++;
    while (e > s && /\s/.test(source[e - 1])) e--;
    if (e <= s) return;
    const raw = source.slice(s, e);
    const hashes = /^(#{1,6})[ \t]+/.exec(raw);
    const section = headingAt.get(s);
    if (hashes || (section && !raw.includes("\n\n") && raw.length < 300)) {
      const level = hashes ? hashes[1].length : section.level;
      found.push({ start: s, end: e, kind: "heading", level, prefix: hashes ? hashes[0].length : 0 });
    } else {
      found.push({ start: s, end: e, kind: "para", level: 0, prefix: 0 });
    }
  };
  for (let m; (m = separator.exec(source)); ) {
    push(at, m.index);
    at = m.index + m[0].length;
  }
  push(at, source.length);
  return found;
}

function renderText() {
  const fragment = document.createDocumentFragment();
  for (const block of blocks) {
    const tag = block.kind === "heading" ? `h${Math.min(6, block.level + 1)}` : "p";
    block.el = el(tag, block.kind === "heading" ? "doc-heading" : "doc-para");
    block.el.id = `t-${block.start}`;
    block.el.tabIndex = -1;
    fillBlock(block, []);
    fragment.append(block.el);
  }
  textEl.replaceChildren(fragment);
}

/** Write a block's text, with `spans` ([start, end) in `text` indices) wrapped in mark.cited. */
function fillBlock(block, spans) {
  const nodes = [];
  let at = block.start;
  const put = (from, to, inMark) => {
    if (to <= from) return;
    const target = inMark ? el("mark", "cited") : null;
    // Markdown's ** and __ markers stay in the text (offsets are the source's), unseen.
    for (const piece of text.slice(from, to).split(/(\*\*|__)/)) {
      if (!piece) continue;
      let node = document.createTextNode(piece);
      if (piece === "**" || piece === "__") {
        node = el("span", "md-prefix", piece);
        node.setAttribute("aria-hidden", "true");
      }
      if (target) target.append(node);
      else nodes.push(node);
    }
    if (target) nodes.push(target);
  };
  if (block.prefix) {
    const hidden = el("span", "md-prefix", text.slice(block.start, block.start + block.prefix));
    hidden.setAttribute("aria-hidden", "true");
    nodes.push(hidden);
    at += block.prefix;
  }
  for (const [s, e] of spans) {
    const from = Math.max(s, at);
    const to = Math.min(e, block.end);
    if (to <= from) continue;
    put(at, from, false);
    put(from, to, true);
    at = to;
  }
  put(at, block.end, false);
  block.el.replaceChildren(...nodes);
  block.el.classList.toggle("has-cited", spans.some(([s, e]) => s < block.end && e > block.start));
}

/** Mark `spans` (citation offsets), the first piece as mark#cited, and scroll to it. */
function markSpans(spans, focus) {
  const units = spans.map(([s, e]) => [toUnits(s), toUnits(e)]).sort((a, b) => a[0] - b[0]);
  const touched = new Set(blocks.filter((b) => units.some(([s, e]) => s < b.end && e > b.start)));
  for (const block of marked) if (!touched.has(block)) fillBlock(block, []);
  for (const block of touched) fillBlock(block, units);
  marked = touched;
  markOutline(units.length ? units[0][0] : -1);
  const first = textEl.querySelector("mark.cited");
  if (!first) return;
  first.id = "cited";
  first.tabIndex = -1;
  first.scrollIntoView({ block: "start" });
  if (focus) first.focus({ preventScroll: true });
}

function renderOutline(outline) {
  const list = el("ol", "outline-list");
  for (const entry of outline) {
    const target = blockAt(toUnits(entry.start));
    if (!target) continue;
    const item = el("li", `outline-item level-${Math.min(entry.level, 4)}`);
    const link = el("a", entry.boilerplate ? "boilerplate" : "", entry.heading);
    link.href = `#${target.el.id}`;
    link.dataset.start = String(toUnits(entry.start));
    if (entry.boilerplate) link.title = "Boilerplate (a publisher's blurb, kept out of passages)";
    link.addEventListener("click", (event) => {
      event.preventDefault();
      target.el.scrollIntoView({ block: "start" });
      target.el.focus({ preventScroll: true });
      history.replaceState(history.state, "", `${location.pathname}${location.search}#${target.el.id}`);
    });
    item.append(link);
    list.append(item);
  }
  if (list.children.length) outlineEl.replaceChildren(list);
  else outlineEl.replaceChildren(el("p", "hint", "This document has no headings."));
}

/** Mark the outline's entry for the section that holds `offset` (a `text` index). */
function markOutline(offset) {
  let here = null;
  for (const link of outlineEl.querySelectorAll("a[data-start]")) {
    link.removeAttribute("aria-current");
    if (offset >= 0 && Number(link.dataset.start) <= offset) here = link;
  }
  if (here) here.setAttribute("aria-current", "location");
}

function blockAt(offset) {
  return blocks.find((b) => offset < b.end) || blocks[blocks.length - 1];
}

/** The question's passages in this document, to step through. */
async function loadHits(cited) {
  if (!question) {
    document.querySelector(".hit-nav").hidden = true;
    return;
  }
  questionEl.textContent = `for “${question}”`;
  try {
    const response = await api("/ask", {
      method: "POST",
      json: { question, k: HIT_K, filters: { doc_ids: [docId] } },
    });
    hits = response.passages || [];
  } catch (error) {
    positionEl.textContent = "";
    showError(`Could not load the other passages for this question: ${error.message}`);
    return;
  }
  const [s, e] = cited[0] || [];
  current = hits.findIndex((p) => p.start === s || (p.spans || []).some(([a, b]) => a === s && b === e));
  if (current < 0 && cited.length) {
    // The cited passage is not among this document's best: step from it all the same.
    const start = Math.min(...cited.map(([a]) => a));
    const end = Math.max(...cited.map(([, b]) => b));
    hits.unshift({ start, end, spans: cited, section: "", page_start: null, page_end: null });
    current = 0;
  }
  updateHitNav();
}

function updateHitNav() {
  const n = hits.length;
  if (!n) {
    positionEl.textContent = "No passages for this question";
  } else if (current < 0) {
    positionEl.textContent = `${n} passage${n === 1 ? "" : "s"} for this question`;
  } else {
    positionEl.textContent = `${current + 1} of ${n}`;
  }
  prevButton.disabled = current <= 0;
  nextButton.disabled = !n || current >= n - 1;
}

function goTo(index) {
  if (index < 0 || index >= hits.length) return;
  current = index;
  const hit = hits[index];
  const spans = hit.spans && hit.spans.length ? hit.spans : [[hit.start, hit.end]];
  markSpans(spans, false);
  updateHitNav();
  const page = pageLabel(hit.page_start, hit.page_end);
  setStatus(`Passage ${index + 1} of ${hits.length}${hit.section ? `, in ${hit.section}` : ""}${page ? `, ${page}` : ""}.`);
  const p = new URLSearchParams(location.search);
  p.set("start", String(hit.start));
  p.set("end", String(hit.end));
  if (spans.length > 1) p.set("spans", spans.map(([a, b]) => `${a}-${b}`).join(","));
  else p.delete("spans");
  history.replaceState(history.state, "", `${location.pathname}?${p.toString()}`);
}

function setupBackLink() {
  backLink.href = question ? `/?${new URLSearchParams({ q: question })}` : "/";
  backLink.textContent = question ? "← Back to the passages" : "← Ask a question";
  backLink.addEventListener("click", (event) => {
    let ref = null;
    try { ref = document.referrer ? new URL(document.referrer) : null; } catch { ref = null; }
    if (ref && ref.origin === location.origin && ref.pathname === "/" && history.length > 1) {
      event.preventDefault();
      history.back();
    }
  });
}

async function main() {
  markCurrentNav();
  loadFooter();
  setupBackLink();
  prevButton.addEventListener("click", () => goTo(current - 1));
  nextButton.addEventListener("click", () => goTo(current + 1));
  if (window.matchMedia("(max-width: 760px)").matches) outlinePanel.open = false;
  if (!docId) {
    titleEl.textContent = "No document chosen";
    showError("Open a document from a passage on the Ask page, or from the Library.");
    return;
  }
  setStatus("Loading the document…");
  let detail;
  try {
    [detail, text] = await Promise.all([api(docPath(docId)), fetchText()]);
  } catch (error) {
    titleEl.textContent = "Document not available";
    setStatus("");
    showError(error instanceof ApiError ? error.message : `Something went wrong: ${error.message}`);
    return;
  }
  document.title = `${detail.title} · qa`;
  titleEl.textContent = detail.title;
  metaEl.textContent = [authorsText(detail.authors), detail.publisher, detail.date].filter(Boolean).join(" · ");
  toUnits = codePointIndex(text);
  blocks = splitBlocks(text, detail.outline || []);
  renderText();
  renderOutline(detail.outline || []);
  const cited = spansFromUrl();
  if (cited.length) {
    markSpans(cited, true);
    setStatus("The cited passage is marked.");
  } else {
    setStatus("");
  }
  await loadHits(cited);
}

main();
