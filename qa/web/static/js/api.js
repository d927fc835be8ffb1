// Talking to qa's JSON routes: the API key when one is needed, and errors as plain sentences.

const KEY_STORAGE = "qa.apiKey";

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

function storedKey() {
  try {
    return sessionStorage.getItem(KEY_STORAGE) || "";
  } catch {
    return "";
  }
}

function storeKey(key) {
  try {
    sessionStorage.setItem(KEY_STORAGE, key);
  } catch {
    /* private mode: the key lives as long as the page */
  }
  memoryKey = key;
}

let memoryKey = "";
let pendingKey = null; // one key form for every request waiting on it

/** Show form#key-form and resolve with the key the user enters. */
function askForKey(refused) {
  if (pendingKey) return pendingKey;
  pendingKey = new Promise((resolve) => {
    const slot = document.getElementById("key-slot") || document.body;
    slot.replaceChildren();
    const form = document.createElement("form");
    form.id = "key-form";
    form.className = "key-form";
    form.setAttribute("aria-labelledby", "key-form-title");
    form.innerHTML = `
      <p id="key-form-title" class="key-title">This server needs an API key.</p>
      <p class="hint">${refused ? "That key was refused; check it and try again. " : ""}It is kept in this browser tab only (sessionStorage) and sent as <code>Authorization: Bearer …</code>.</p>
      <div class="key-row">
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" required>
        <button type="submit" class="primary">Use key</button>
      </div>`;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const key = form.querySelector("#api-key").value.trim();
      if (!key) return;
      storeKey(key);
      form.remove();
      pendingKey = null;
      resolve(key);
    });
    slot.append(form);
    form.querySelector("#api-key").focus();
  });
  return pendingKey;
}

/** The message of an error response: FastAPI's 422 list or qa's {detail: "..."}. */
async function errorMessage(response) {
  let detail = null;
  try {
    detail = (await response.json()).detail;
  } catch {
    /* not JSON: say the status */
  }
  let message;
  if (Array.isArray(detail)) {
    message = detail.map(validationMessage).join("; ");
  } else if (typeof detail === "string" && detail) {
    message = detail;
  } else {
    message = `The server answered ${response.status} ${response.statusText || ""}`.trim() + ".";
  }
  if (response.status === 503) {
    const retry = response.headers.get("Retry-After");
    if (retry) message += ` Try again in ${retry} s.`;
  }
  return sentence(message);
}

// The request fields the page sends, as its labels name them.
const FIELD_LABELS = {
  question: "Question", k: "Passages", doc_ids: "Documents", authors: "Author",
  date_from: "Since", date_to: "Until", file: "File", path: "Folder",
};

function validationMessage(item) {
  if (!item || typeof item !== "object") return String(item);
  const loc = Array.isArray(item.loc) ? item.loc.filter((part) => typeof part === "string") : [];
  const field = FIELD_LABELS[loc[loc.length - 1]];
  return field ? `${field}: ${item.msg}` : item.msg || "";
}

function sentence(text) {
  const t = text.trim();
  if (!t) return t;
  // A plain first word is capitalised; a file name or an id ("bad.exe is not…") is left alone.
  const head = /^[a-z]+[\s,:;]/.test(t) ? t[0].toUpperCase() + t.slice(1) : t;
  return head + (/[.!?]$/.test(t) ? "" : ".");
}

/**
 * fetch() a qa route; returns the parsed JSON or throws ApiError with a readable message.
 * On a 401 it asks for the API key and tries again.
 */
export async function api(path, { method = "GET", json, body, signal } = {}) {
  let refused = false;
  for (;;) {
    const headers = { Accept: "application/json" };
    const key = memoryKey || storedKey();
    if (key) headers.Authorization = `Bearer ${key}`;
    let payload = body;
    if (json !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(json);
    }
    let response;
    try {
      response = await fetch(path, { method, headers, body: payload, signal });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError("Could not reach the qa server. Is `qa serve` still running?", 0);
    }
    if (response.status === 401) {
      if (key) {
        memoryKey = "";
        try { sessionStorage.removeItem(KEY_STORAGE); } catch { /* ignore */ }
        refused = true;
      }
      await askForKey(refused);
      continue;
    }
    if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
    return response.json();
  }
}

/** The path of a document route: each segment of the id encoded, its slashes kept. */
export function docPath(docId, suffix = "") {
  return "/documents/" + docId.split("/").map(encodeURIComponent).join("/") + suffix;
}
