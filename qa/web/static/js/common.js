// What every page shares: the footer's index status, messages, citations, copying.

import { api } from "./api.js";
import { codePointIndex } from "./offsets.js";

/** How likely the first passage answers (confidence is that probability, calibrated), by band,
 * best first: [lowest confidence, words]. Also said in the page's legend and by the CLI
 * (qa/render.py CONFIDENCE_BANDS). */
export const CONFIDENCE_BANDS = [
  [0.75, "very likely answers"],
  [0.5, "probably answers"],
  [0.3, "may answer"],
  [-Infinity, "probably does not answer"],
];

export function confidenceWords(confidence) {
  return CONFIDENCE_BANDS.find(([floor]) => confidence >= floor)[1];
}

/** "p. 8", "pp. 8–9", or "" when the passage has no pages. */
export function pageLabel(pageStart, pageEnd) {
  if (pageStart == null) return "";
  if (pageEnd == null || pageEnd === pageStart) return `p. ${pageStart}`;
  return `pp. ${pageStart}–${pageEnd}`;
}

export function authorsText(authors) {
  const list = authors || [];
  if (list.length <= 1) return list[0] || "";
  if (list.length === 2) return `${list[0]} and ${list[1]}`;
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

/** The section path, without a first heading that only repeats the document's title. */
export function sectionText(passage) {
  let path = (passage.section_path && passage.section_path.length ? passage.section_path : [passage.section]).filter(Boolean);
  if (path.length > 1 && path[0].replace(/\W+/g, " ").trim().toLowerCase() === passage.title.replace(/\W+/g, " ").trim().toLowerCase()) {
    path = path.slice(1);
  }
  return path.join(" › ");
}

/** Authors, "Title", publisher, date, § section, page. */
export function citation(passage, publisher) {
  const parts = [];
  const who = authorsText(passage.authors);
  if (who) parts.push(who);
  parts.push(`“${passage.title}”`);
  if (publisher) parts.push(publisher);
  if (passage.date) parts.push(passage.date);
  const section = sectionText(passage);
  if (section) parts.push(`§ ${section}`);
  const page = pageLabel(passage.page_start, passage.page_end);
  if (page) parts.push(page);
  return parts.join(", ") + ".";
}

/** The passage as a Markdown quote, then its citation. */
export function markdownCitation(passage, publisher) {
  const quote = passage.text.split(/\r?\n/).map((line) => `> ${line}`.trimEnd()).join("\n");
  return `${quote}\n\n— ${citation(passage, publisher)}`;
}

/** Copy to the clipboard: the Clipboard API where allowed, else a selected hidden textarea. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      /* fall through */
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "copy-buffer";
  document.body.append(area);
  const focused = document.activeElement;
  area.select();
  let done = false;
  try {
    done = document.execCommand("copy");
  } catch {
    done = false;
  }
  area.remove();
  if (focused && focused.focus) focused.focus();
  return done;
}

export function showError(message) {
  const box = document.getElementById("error");
  if (!box) return;
  box.textContent = message || "";
  box.hidden = !message;
}

export function setStatus(message) {
  const status = document.getElementById("status");
  if (status) status.textContent = message || "";
}

/** The index's state in words: [state class, sentence]. */
export function healthWords(health) {
  const counts = `${health.documents} document${health.documents === 1 ? "" : "s"}, ${health.chunks} passages`;
  if (health.status === "degraded") {
    return ["degraded", `Degraded: ${health.reason || "the index did not load"}. Serving ${counts}.`];
  }
  if (health.stale) {
    return ["stale", `Stale: the corpus changed, run qa build. Serving ${counts}.`];
  }
  return ["ready", `Ready: ${counts}.`];
}

export function enrichmentWords(health) {
  switch (health.enrichment) {
    case "complete": return "Second model's vectors: in the index.";
    case "pending": return "Second model's vectors: waiting to be added.";
    case "running": return "Second model's vectors: being added in the background.";
    case "failed": return `Second model's vectors: failed${health.enrichment_error ? ` (${health.enrichment_error})` : ""}.`;
    default: return "";
  }
}

/** Fill the footer with the index status; returns the health (or null). */
export async function loadFooter() {
  const footer = document.getElementById("footer-status");
  try {
    const health = await api("/health");
    const [state, words] = healthWords(health);
    if (footer) {
      footer.textContent = `Index ${words.charAt(0).toLowerCase()}${words.slice(1)}`;
      footer.dataset.state = state;
    }
    return health;
  } catch (error) {
    if (footer) footer.textContent = `Index status unknown: ${error.message}`;
    return null;
  }
}

/** Mark the current page's link in the site nav. */
export function markCurrentNav() {
  for (const link of document.querySelectorAll("#site-nav a")) {
    if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
  }
}

/** `text` with [start, end) ranges (code point offsets, any order) wrapped in <mark>, as DOM nodes. */
export function markedNodes(text, ranges) {
  const nodes = [];
  const units = codePointIndex(text);
  const sorted = [...(ranges || [])]
    .map(([s, e]) => [units(Math.max(0, s)), Math.min(text.length, units(e))])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [s, e] of sorted) {
    const from = Math.max(s, at);
    if (from >= e) continue;
    if (from > at) nodes.push(document.createTextNode(text.slice(at, from)));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(from, e);
    nodes.push(mark);
    at = e;
  }
  if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
  return nodes;
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}
