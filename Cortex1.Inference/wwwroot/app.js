// The Cortex1 page: chat with any served model or adapter (streamed, the reasoning apart from the answer, the token
// rate) and the training and evaluation reports. It uses only the public API: /v1/models, /v1/chat/completions
// (stream: true, server-sent events) and /v1/reports. When the server has an API key, the first 401 asks for it; the
// key is kept in this browser's local storage and sent as "Authorization: Bearer KEY", as OpenAI's SDKs do.
"use strict";

const $ = id => document.getElementById(id);
const KEY_STORAGE = "cortex1.apiKey";
const state = { history: [], controller: null, reports: [] };

// ---- API ------------------------------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, init = {}) {
  for (;;) {
    const key = localStorage.getItem(KEY_STORAGE);
    const headers = new Headers(init.headers || {});
    if (key) headers.set("Authorization", `Bearer ${key}`);
    const response = await fetch(path, { ...init, headers });
    if (response.status === 401) {
      // Ask for the key (again, if the stored one was refused) and retry with it; cancelling gives up.
      if (!(await askForKey(key ? "The server refused the stored API key. Enter the right one:" : null))) throw new ApiError(401, "An API key is needed.");
      continue;
    }
    if (!response.ok) throw new ApiError(response.status, await errorText(response));
    return response;
  }
}

async function errorText(response) {
  try {
    const body = await response.json();
    return body.error?.message || `${response.status} ${response.statusText}`;
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function askForKey(reason) {
  const dialog = $("key-dialog");
  $("key-reason").textContent = reason || "This server needs its API key (Inference:ApiKey). It is kept in this browser's local storage only.";
  $("key-input").value = localStorage.getItem(KEY_STORAGE) || "";
  return new Promise(resolve => {
    dialog.addEventListener("close", () => {
      if (dialog.returnValue === "save" && $("key-input").value.trim()) {
        localStorage.setItem(KEY_STORAGE, $("key-input").value.trim());
        resolve(true);
      } else {
        if (dialog.returnValue === "forget") localStorage.removeItem(KEY_STORAGE);
        resolve(false);
      }
    }, { once: true });
    dialog.showModal();
  });
}

function setStatus(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

// ---- Models ---------------------------------------------------------------------------------------------------------

async function loadModels() {
  const select = $("model");
  const previous = select.value;
  try {
    const list = await (await api("/v1/models")).json();
    const ids = list.data.map(m => m.id).join("\n");
    if (ids === [...select.options].map(o => o.value).join("\n")) return;   // unchanged: leave an open picker alone
    select.replaceChildren(...list.data.map(m => {
      const option = document.createElement("option");
      option.value = m.id;
      option.textContent = m.parent ? `${m.id} (adapter on ${m.parent})` : m.id;
      return option;
    }));
    if (list.data.some(m => m.id === previous)) select.value = previous;
    setStatus(`${list.data.length} model${list.data.length === 1 ? "" : "s"} served`);
  } catch (e) {
    // 503 while the model loads: try again shortly.
    setStatus(e.status === 503 ? `Loading the model… (${e.message})` : `Models: ${e.message}`, e.status !== 503);
    if (e.status === 503) setTimeout(loadModels, 2000);
  }
}

// ---- Chat -----------------------------------------------------------------------------------------------------------

function addMessage(role, text) {
  const div = document.createElement("div");
  div.className = `msg ${role}`;
  if (role === "user") div.textContent = text;
  $("messages").append(div);
  return div;
}

function assistantMessage(model) {
  const div = addMessage("assistant");
  div.innerHTML = `<div class="who"></div><details class="reasoning" hidden><summary>Reasoning</summary><div class="reasoning-text"></div></details><div class="answer"></div><div class="stats"></div>`;
  div.querySelector(".who").textContent = model;
  div.dataset.chunks = "0";
  return div;
}

/** Reads a server-sent-event body and calls onData with each parsed "data:" payload until [DONE]. */
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event.split("\n").filter(l => l.startsWith("data:")).map(l => l.slice(5).trimStart()).join("\n");
      if (data === "[DONE]") return;
      if (data) onData(JSON.parse(data));
    }
  }
}

async function send(text) {
  const model = $("model").value;
  if (!model || state.controller) return;
  state.history.push({ role: "user", content: text });
  addMessage("user", text);
  const div = assistantMessage(model);
  div.classList.add("streaming");
  const reasoningBox = div.querySelector(".reasoning"), reasoningText = div.querySelector(".reasoning-text");
  const answer = div.querySelector(".answer"), stats = div.querySelector(".stats");
  let reasoning = "", content = "", tokens = 0, first = 0, usage = null;
  const started = performance.now();
  const rate = () => {
    const seconds = (performance.now() - (first || started)) / 1000;
    const n = usage?.completion_tokens ?? tokens;
    return `${n} tokens · ${seconds > 0 && n > 1 ? ((n - 1) / seconds).toFixed(1) : "–"} tokens/s · first token ${first ? Math.round(first - started) : "–"} ms`;
  };
  state.controller = new AbortController();
  $("send").disabled = true;
  $("stop").hidden = false;
  try {
    const response = await api("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({
        model, messages: state.history, stream: true, stream_options: { include_usage: true },
        max_tokens: +$("max-tokens").value || 256, temperature: +$("temperature").value,
      }),
      signal: state.controller.signal,
    });
    await readEvents(response, chunk => {
      if (chunk.error) throw new ApiError(500, chunk.error.message);
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices || []) {
        const delta = choice.delta || {};
        // One chunk per generated token (its text may be empty while a character is incomplete).
        if (!delta.role && (delta.content != null || delta.reasoning_content != null)) {
          tokens++;
          if (!first) first = performance.now();
        }
        if (delta.reasoning_content) {
          reasoning += delta.reasoning_content;
          reasoningText.textContent = reasoning;
          reasoningBox.hidden = false;
          if (!content) reasoningBox.open = true;
        }
        if (delta.content) {
          content += delta.content;
          answer.textContent = content;
          reasoningBox.open = false;
        }
        div.dataset.chunks = String(+div.dataset.chunks + 1);
        if (choice.finish_reason) div.dataset.finish = choice.finish_reason;
      }
      stats.textContent = rate();
      $("rate").textContent = stats.textContent;
      $("messages").scrollTop = $("messages").scrollHeight;
    });
    state.history.push({ role: "assistant", content });
  } catch (e) {
    if (e.name === "AbortError") {
      state.history.push({ role: "assistant", content });
    } else {
      state.history.pop();   // the question goes unanswered; the user may send it again
      const error = document.createElement("div");
      error.className = "error";
      error.textContent = e.message;
      div.append(error);
    }
  } finally {
    div.classList.remove("streaming");
    if (content) { answer.innerHTML = Markdown.render(content, { images: false }); answer.classList.add("rendered"); }
    stats.textContent = rate() + (div.dataset.finish ? ` · ${div.dataset.finish}` : "");
    $("rate").textContent = stats.textContent;
    div.dataset.done = "true";
    state.controller = null;
    $("send").disabled = false;
    $("stop").hidden = true;
  }
}

// ---- Reports --------------------------------------------------------------------------------------------------------

async function loadReports() {
  const list = $("report-list");
  try {
    state.reports = (await (await api("/v1/reports")).json()).data;
  } catch (e) {
    list.innerHTML = "";
    $("report-view").innerHTML = `<p class="hint"></p>`;
    $("report-view").firstChild.textContent = `Reports: ${e.message}`;
    return;
  }
  list.replaceChildren(...state.reports.map(r => {
    const li = document.createElement("li");
    li.dataset.id = r.id;
    li.className = "report-item";
    li.innerHTML = `<span class="kind"></span><span class="name"></span><span class="when"></span>`;
    li.querySelector(".kind").textContent = r.kind === "eval" ? "evaluation" : r.kind;
    li.querySelector(".name").textContent = r.id.slice(r.kind.length + 1) || r.id;
    li.querySelector(".when").textContent = r.modified ? new Date(r.modified).toLocaleString() : "";
    li.addEventListener("click", () => { location.hash = `reports/${r.id}`; });
    return li;
  }));
  if (!state.reports.length)
    $("report-view").innerHTML = `<p class="hint">No reports yet. Training runs write theirs to reports/training/, evaluations to reports/eval/ (serve: --reports FOLDER).</p>`;
}

const fileUrl = (report, name) => `/v1/reports/${report.id.split("/").map(encodeURIComponent).join("/")}/${name.split("/").map(encodeURIComponent).join("/")}`;

/** Fills <img data-src> from the API (with the key, which an <img src> could not send) as blob: URLs. */
async function loadImages(container, report) {
  await Promise.all([...container.querySelectorAll("img[data-src]")].map(async img => {
    try {
      const blob = await (await api(fileUrl(report, img.dataset.src))).blob();
      img.src = URL.createObjectURL(blob);
    } catch (e) {
      img.replaceWith(Object.assign(document.createElement("p"), { className: "hint", textContent: `${img.dataset.src}: ${e.message}` }));
    }
  }));
}

async function openReport(report) {
  for (const li of $("report-list").children) li.classList.toggle("active", li.dataset.id === report.id);
  const view = $("report-view");
  for (const img of view.querySelectorAll("img[src^='blob:']")) URL.revokeObjectURL(img.src);
  view.innerHTML = "";
  delete view.dataset.loaded;
  view.dataset.report = report.id;
  let html = "";
  if (report.markdown) {
    try {
      html = Markdown.render(await (await api(fileUrl(report, report.markdown))).text());
    } catch (e) {
      html = `<p class="hint">${Markdown.escape(report.markdown)}: ${Markdown.escape(e.message)}</p>`;
    }
  } else {
    html = `<h1>${Markdown.escape(report.kind === "training" ? "Training run" : report.kind)} ${Markdown.escape(report.id.slice(report.kind.length + 1))}</h1>`;
  }
  view.innerHTML = html;
  // Plots the text does not show (a training report is only plots) follow it.
  const shown = new Set([...view.querySelectorAll("img[data-src]")].map(i => i.dataset.src));
  for (const f of report.files.filter(f => /\.(png|jpe?g)$/i.test(f.name) && !shown.has(f.name))) {
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.alt = f.name;
    img.dataset.src = f.name;
    figure.append(img, Object.assign(document.createElement("figcaption"), { className: "hint", textContent: f.name }));
    view.append(figure);
  }
  await loadImages(view, report);
  view.dataset.loaded = "true";
}

// ---- Wiring ---------------------------------------------------------------------------------------------------------

// Addresses others can link to (the Aspire dashboard does): #chat, #reports, #reports/{report id} (e.g. #reports/eval/7).
async function route() {
  const [view, ...rest] = decodeURIComponent(location.hash.slice(1)).split("/");
  const name = view === "reports" ? "reports" : "chat";
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("active", tab.dataset.view === name);
  $("view-chat").hidden = name !== "chat";
  $("view-reports").hidden = name !== "reports";
  if (name !== "reports") return;
  await loadReports();
  const wanted = rest.join("/");
  const report = state.reports.find(r => r.id === wanted) || (wanted === "latest" ? state.reports[0] : null);
  if (report) openReport(report);
}

for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => { location.hash = tab.dataset.view; });
window.addEventListener("hashchange", route);
$("reload-reports").addEventListener("click", loadReports);
$("chat-form").addEventListener("submit", e => {
  e.preventDefault();
  const text = $("prompt").value.trim();
  if (!text) return;
  $("prompt").value = "";
  send(text);
});
$("prompt").addEventListener("keydown", e => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("chat-form").requestSubmit(); }
});
$("stop").addEventListener("click", () => state.controller?.abort());
$("clear").addEventListener("click", () => { if (!state.controller) { state.history = []; $("messages").innerHTML = ""; $("rate").textContent = ""; } });
$("key-button").addEventListener("click", async () => { if (await askForKey()) loadModels(); });
$("model").addEventListener("change", () => setStatus(`Chatting with ${$("model").value}`));

loadModels();
route();
// Adapters come and go while the page is open (the pipeline publishes a new one): look again now and then.
setInterval(() => { if (!document.hidden && !state.controller) loadModels(); }, 15000);
