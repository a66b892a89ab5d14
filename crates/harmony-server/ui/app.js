// The operator page. Everything the model wrote is untrusted: it is only ever put on
// the page with textContent (never parsed as HTML), and the page's CSP allows no inline code.
"use strict";

(function () {
  const params = new URLSearchParams(location.search);
  // EventSource cannot send headers, so the API key travels as ?key= (kept for this tab).
  let key = params.get("key");
  if (key) sessionStorage.setItem("harmony-key", key); else key = sessionStorage.getItem("harmony-key");
  const withKey = (path) => key ? path + "?key=" + encodeURIComponent(key) : path;

  const $ = (id) => document.getElementById(id);
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const fmtMs = (ms) => ms === null || ms === undefined ? "–" : ms < 1000 ? ms + " ms" : (ms / 1000).toFixed(2) + " s";

  // ---- the list ----
  const turns = new Map(); // id -> summary
  let selected = null;

  function renderRow(s) {
    let tr = document.querySelector('tr[data-id="' + Number(s.id) + '"]');
    if (!tr) {
      tr = el("tr");
      tr.dataset.id = String(Number(s.id));
      tr.addEventListener("click", () => select(Number(s.id)));
      // Newest first: ids rise, so insert before the first row with a smaller id.
      const rows = $("turn-rows");
      let before = null;
      for (const r of rows.children) { if (Number(r.dataset.id) < s.id) { before = r; break; } }
      rows.insertBefore(tr, before);
    }
    tr.replaceChildren(
      el("td", null, s.id), el("td", null, s.model), el("td", null, s.protocol),
      el("td", "status-" + s.status, s.status),
      el("td", null, s.prompt_tokens + " / " + s.completion_tokens),
      el("td", null, fmtMs(s.duration_ms)), el("td", s.repairs ? "diag" : null, s.repairs));
    tr.classList.toggle("selected", selected === s.id);
    $("empty").hidden = turns.size > 0;
  }

  function stats(st) {
    $("g-turns").textContent = st.turns;
    $("g-live").textContent = st.in_flight;
    $("g-calls").textContent = st.calls ? Math.round(100 * (st.calls_clean + st.calls_repaired) / st.calls) + "% of " + st.calls : "–";
    $("g-repairs").textContent = st.repairs;
    $("g-p50").textContent = fmtMs(st.p50_ms);
    $("g-p99").textContent = fmtMs(st.p99_ms);
    chart(st);
  }

  // Turns per bucket over the last 10 minutes, failed tool calls in red, plain canvas.
  function chart(st) {
    const c = $("chart"), ctx = c.getContext("2d");
    const css = getComputedStyle(document.documentElement);
    const w = c.width, h = c.height, n = 60, span = st.bucket_secs;
    ctx.clearRect(0, 0, w, h);
    const end = Math.floor(st.now_s / span) * span;
    const by = new Map(st.buckets.map((b) => [b[0], b]));
    let max = 1;
    for (const b of st.buckets) max = Math.max(max, b[1]);
    const bw = w / n;
    for (let i = 0; i < n; i++) {
      const b = by.get(end - (n - 1 - i) * span);
      if (!b) continue;
      const bh = Math.max(2, (h - 4) * b[1] / max);
      ctx.fillStyle = css.getPropertyValue("--accent");
      ctx.fillRect(i * bw + 1, h - bh, bw - 2, bh);
      if (b[3]) {
        ctx.fillStyle = css.getPropertyValue("--bad");
        ctx.fillRect(i * bw + 1, h - 3, bw - 2, 3);
      }
    }
  }

  function listStream() {
    const es = new EventSource(withKey("/ui/events"));
    es.onopen = () => { $("conn").textContent = "live"; $("conn").className = "conn live"; };
    es.onerror = () => { $("conn").textContent = "reconnecting"; $("conn").className = "conn"; };
    es.onmessage = (m) => {
      const u = JSON.parse(m.data);
      if (u.op === "list") {
        turns.clear();
        $("turn-rows").replaceChildren();
        for (const s of u.turns) { turns.set(s.id, s); renderRow(s); }
        $("empty").hidden = turns.size > 0;
      } else if (u.op === "turn") {
        turns.set(u.summary.id, u.summary);
        renderRow(u.summary);
      } else if (u.op === "stats") {
        stats(u);
      } else if (u.op === "result" && selected === u.turn && view) {
        // The next request brought the result of a call on the turn shown.
        const p = view.calls.get(u.index);
        if (p) showResult(p, u.content);
      }
    };
  }

  // ---- one turn ----
  let turnES = null;
  let view = null; // { items: [], calls: Map(index -> parts), last: text node target }

  function select(id) {
    selected = id;
    for (const r of $("turn-rows").children) r.classList.toggle("selected", Number(r.dataset.id) === id);
    if (location.hash !== "#turn-" + id) history.replaceState(null, "", "#turn-" + id);
    if (turnES) turnES.close();
    $("turn-pane").hidden = false;
    $("turn-items").replaceChildren();
    $("turn-results").replaceChildren();
    $("turn-head").replaceChildren(el("span", "hint", "loading turn " + id));
    turnES = new EventSource(withKey("/ui/turns/" + id + "/events"));
    const es = turnES;
    turnES.onmessage = (m) => apply(JSON.parse(m.data), es);
    turnES.onerror = () => {
      if (es.readyState === EventSource.CLOSED) $("turn-head").replaceChildren(el("span", "error", "turn " + id + " is not available"));
    };
  }

  function head(s) {
    const parts = [["turn", s.id], ["model", s.model], ["protocol", s.protocol], ["status", s.status],
      ["prompt", s.prompt_tokens], ["completion", s.completion_tokens], ["time", fmtMs(s.duration_ms)], ["repairs", s.repairs]];
    $("turn-head").replaceChildren(...parts.map(([k, v]) => {
      const span = el("span", null, k + " ");
      const strong = el("strong", k === "status" ? "status-" + v : null, v);
      strong.id = "t-" + k;
      span.append(strong);
      return span;
    }));
  }

  function addItem(it) {
    const box = $("turn-items");
    if (it.type === "message") {
      let wrap, text = el("div", "text", it.text);
      if (it.channel === "analysis") {
        wrap = el("details", "item reasoning");
        wrap.open = true;
        wrap.append(el("summary", null, "reasoning"), text);
      } else if (it.channel === "final") {
        wrap = el("div", "item answer");
        wrap.append(el("div", "tag", "answer"), text);
      } else {
        wrap = el("div", "item preamble");
        wrap.append(el("div", "tag", it.channel ? it.channel + (it.recipient ? " to " + it.recipient : "") + " (preamble)" : "text"), text);
      }
      box.append(wrap);
      view.text = text;
    } else if (it.type === "call") {
      const wrap = el("div", "item call");
      wrap.dataset.index = String(it.index);
      const title = el("div");
      title.append(el("span", "tag", "tool call "), el("span", "name", it.name));
      const state = el("span", "state wait", "streaming");
      title.append(state);
      const args = el("pre", "args", it.args);
      const err = el("div", "error");
      const result = el("div", "result");
      result.hidden = true;
      wrap.append(title, args, err, result);
      box.append(wrap);
      const parts = { args, state, err, result, repairs: it.repairs || [] };
      view.calls.set(it.index, parts);
      view.text = null;
      if (it.done) callEnd(parts, it.error, it.args);
      if (it.result !== null && it.result !== undefined) showResult(parts, it.result);
    } else if (it.type === "diagnostic") {
      const d = el("div", "item diag");
      d.title = it.kind + ": " + it.detail;
      d.append(el("span", null, "⚠ repaired " + it.kind + (it.call !== null && it.call !== undefined ? " (call " + it.call + ")" : "") + ": "), el("code", null, it.detail));
      box.append(d);
      // Text after a diagnostic continues the same message: keep appending there.
    } else if (it.type === "error") {
      box.append(el("div", "item error", "upstream error: " + it.message));
      view.text = null;
    }
  }

  function callEnd(parts, error, raw) {
    if (raw) parts.args.textContent = raw;
    if (error) {
      parts.state.textContent = "failed"; parts.state.className = "state bad";
      parts.err.textContent = error;
    } else if (parts.repairs.length) {
      parts.state.textContent = "repaired: " + parts.repairs.join(", "); parts.state.className = "state ok";
    } else {
      parts.state.textContent = "ok"; parts.state.className = "state ok";
    }
  }

  function showResult(parts, content) {
    parts.result.hidden = false;
    parts.result.replaceChildren(el("span", "tag", "result "), el("pre", null, content));
  }

  function apply(u, es) {
    if (u.op === "snapshot") {
      view = { calls: new Map(), text: null };
      $("turn-items").replaceChildren();
      const res = $("turn-results");
      res.replaceChildren();
      for (const r of u.tool_results) {
        const d = el("div", "results-in");
        d.append(el("span", null, "tool result from the request (" + r.name + "): "), el("code", null, r.content));
        res.append(d);
      }
      head(u.summary);
      for (const it of u.items) addItem(it);
      // A finished turn's stream ends after its snapshot: no reconnecting.
      if (u.summary.status !== "streaming") es.close();
    } else if (!view) {
      return;
    } else if (u.op === "item") {
      addItem(u.item);
    } else if (u.op === "text") {
      if (view.text) view.text.textContent += u.text;
    } else if (u.op === "args") {
      const p = view.calls.get(u.index);
      if (p) p.args.textContent += u.text;
    } else if (u.op === "call_end") {
      const p = view.calls.get(u.index);
      if (p) callEnd(p, u.error, u.raw);
    } else if (u.op === "result") {
      const p = view.calls.get(u.index);
      if (p) showResult(p, u.content);
    } else if (u.op === "end") {
      head(u.summary);
      // The server closes a finished turn's stream; do not let EventSource reconnect.
      es.close();
    }
  }

  listStream();
  const m = /^#turn-(\d+)$/.exec(location.hash);
  if (m) select(Number(m[1]));
})();
