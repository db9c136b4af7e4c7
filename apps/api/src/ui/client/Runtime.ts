/**
 * Browser code, part 1 of the admin page script: the session (bearer token in sessionStorage),
 * API calls with problem+json handling, the DOM builder, the router, live announcements, toasts,
 * confirmation dialogs, and the formatting every page shares (dates, durations, run statuses,
 * phases). Plain ES2020 served as-is; no template literals, so it can live in this string.
 */
export const RUNTIME = String.raw`
var BASE = document.body.getAttribute("data-base") || "/integrations/sis";
var API = "/api/v1";
var PRODUCTION = document.body.getAttribute("data-env") === "production";
var TOKEN_KEY = "sis-sync.token";
var TENANT_KEY = "sis-sync.tenant";
var RECENT_KEY = "sis-sync.recent-tenants";
var POLL_MS = 2000;

var session = { token: null, principal: null, tenant: null, notice: null };
var mainEl = document.getElementById("main");
var liveEl = document.getElementById("live");
var toastsEl = document.getElementById("toasts");
var identityEl = document.getElementById("identity");

// ---------------------------------------------------------------------------------------------
// DOM

function append(el, child) {
  if (child === null || child === undefined || child === false || child === true) return;
  if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
  el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
}

/** h("button", { class: "btn", on: { click: fn } }, "Label", …) */
function h(tag, props) {
  var el = document.createElement(tag);
  if (props) {
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = String(value);
      else if (key === "on") Object.keys(value).forEach(function (ev) { el.addEventListener(ev, value[ev]); });
      else if (key === "value") el.value = String(value);
      else if (key === "checked" || key === "selected" || key === "disabled" || key === "required" || key === "hidden") el[key] = true;
      else el.setAttribute(key, value === true ? "" : String(value));
    });
  }
  for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
  return el;
}

function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }
function fill(el) { clear(el); for (var i = 1; i < arguments.length; i++) append(el, arguments[i]); return el; }

var idCounter = 0;
function uid(prefix) { idCounter += 1; return (prefix || "id") + "-" + idCounter; }

function srOnly(text) { return h("span", { class: "sr-only" }, text); }

/**
 * Runs a redraw and puts the keyboard focus back on the element with the same data-key (a
 * button or link that was replaced), so status updates never throw the focus away.
 */
function keepingFocus(redraw) {
  var active = document.activeElement;
  var key = active && active !== document.body && mainEl.contains(active) ? active.getAttribute("data-key") : null;
  redraw();
  if (key && (!document.activeElement || document.activeElement === document.body || !document.activeElement.isConnected)) {
    var again = mainEl.querySelector('[data-key="' + key + '"]');
    if (again && !again.disabled) again.focus();
  }
}

function spinner() { return h("span", { class: "spinner", "aria-hidden": "true" }); }

/**
 * Runs an async action from a button, which shows a spinner and ignores clicks meanwhile. It is
 * marked aria-disabled rather than disabled, so it keeps the keyboard focus.
 */
async function busy(button, action) {
  if (button.disabled || button.getAttribute("aria-busy") === "true") return;
  var label = Array.prototype.slice.call(button.childNodes);
  button.setAttribute("aria-busy", "true");
  button.setAttribute("aria-disabled", "true");
  button.insertBefore(spinner(), button.firstChild);
  try { return await action(); }
  finally {
    if (button.isConnected) {
      fill(button, label);
      button.removeAttribute("aria-busy");
      button.removeAttribute("aria-disabled");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Announcements, toasts, dialogs

function announce(text) {
  liveEl.textContent = "";
  setTimeout(function () { liveEl.textContent = text; }, 60);
}

function toast(text, tone) {
  var item = h("div", { class: "toast" + (tone === "error" ? " toast-error" : "") },
    h("span", null, text),
    h("button", { type: "button", "aria-label": "Dismiss", on: { click: function () { item.remove(); } } }, "\u00d7"));
  toastsEl.appendChild(item);
  setTimeout(function () { item.remove(); }, 7000);
}

/** A modal confirmation; resolves true when confirmed. */
function confirmDialog(options) {
  return new Promise(function (resolve) {
    var opener = document.activeElement;
    var titleId = uid("dialog-title");
    var bodyId = uid("dialog-body");
    var confirmButton = h("button", { type: "submit", value: "confirm", class: "btn " + (options.danger ? "btn-danger" : "btn-primary") }, options.confirmLabel || "Confirm");
    var cancelButton = h("button", { type: "submit", value: "cancel", class: "btn", formnovalidate: true }, options.cancelLabel || "Cancel");
    var dialog = h("dialog", { class: "modal", "aria-labelledby": titleId, "aria-describedby": bodyId },
      h("form", { method: "dialog" },
        h("div", { class: "modal-body" },
          h("h2", { id: titleId }, options.title),
          h("div", { id: bodyId }, (options.body || []).map(function (line) { return typeof line === "string" ? h("p", null, line) : line; }))),
        h("div", { class: "modal-actions" }, cancelButton, confirmButton)));
    dialog.addEventListener("close", function () {
      var ok = dialog.returnValue === "confirm";
      dialog.remove();
      if (opener && opener.isConnected && typeof opener.focus === "function") opener.focus();
      resolve(ok);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (options.danger ? cancelButton : confirmButton).focus();
  });
}

// ---------------------------------------------------------------------------------------------
// API

function problemOf(status, data) {
  var problem = data && typeof data === "object" ? data : {};
  return {
    status: status,
    title: problem.title || (status === 0 ? "Network error" : "Request failed"),
    detail: problem.detail || (status === 0 ? "The server could not be reached. Check your connection and try again." : "The request failed (HTTP " + status + ")."),
    errors: Array.isArray(problem.errors) ? problem.errors : [],
    runId: problem.runId || null,
  };
}

async function request(method, url, body) {
  var headers = { accept: "application/json" };
  if (session.token) headers.authorization = "Bearer " + session.token;
  var init = { method: method, headers: headers, cache: "no-store" };
  if (body !== undefined) { headers["content-type"] = "application/json"; init.body = JSON.stringify(body); }
  var res;
  try { res = await fetch(url, init); }
  catch (e) { return { ok: false, status: 0, data: null, problem: problemOf(0, null) }; }
  var text = await res.text();
  var data = null;
  if (text) { try { data = JSON.parse(text); } catch (e) { data = null; } }
  var result = { ok: res.ok, status: res.status, data: data, problem: res.ok ? null : problemOf(res.status, data) };
  if (res.status === 401 && session.principal) endSession("Your session has ended (" + result.problem.detail + "). Sign in again to continue.");
  return result;
}

function api(method, path, body) { return request(method, API + path, body); }
function uiApi(path) { return request("GET", BASE + "/ui-api" + path); }

function query(params) {
  var parts = [];
  Object.keys(params).forEach(function (key) {
    var value = params[key];
    if (value === null || value === undefined || value === "") return;
    parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(String(value)));
  });
  return parts.length ? "?" + parts.join("&") : "";
}

var scheduleCache = {};
/** The schedule in words and its next runs (cached per schedule, zone and count for a minute). */
async function schedulePreview(schedule, timezone, count) {
  var key = [schedule || "", timezone, count].join("|");
  var hit = scheduleCache[key];
  if (hit && Date.now() - hit.at < 60000) return hit.value;
  var r = await uiApi("/schedule" + query({ schedule: schedule || "", timezone: timezone, count: count }));
  var value = r.ok ? r.data : { ok: false, errors: [{ path: "syncSchedule", message: r.problem.detail }] };
  if (r.ok) scheduleCache[key] = { at: Date.now(), value: value };
  return value;
}

// ---------------------------------------------------------------------------------------------
// Session

function readStorage(key) { try { return sessionStorage.getItem(key); } catch (e) { return null; } }
function writeStorage(key, value) {
  try { if (value === null) sessionStorage.removeItem(key); else sessionStorage.setItem(key, value); } catch (e) { /* private mode */ }
}

function recentTenants() {
  try { var list = JSON.parse(readStorage(RECENT_KEY) || "[]"); return Array.isArray(list) ? list.slice(0, 8) : []; }
  catch (e) { return []; }
}

function chooseTenant(tenant) {
  session.tenant = tenant || null;
  writeStorage(TENANT_KEY, session.tenant);
  if (tenant) {
    var list = recentTenants().filter(function (t) { return t !== tenant; });
    list.unshift(tenant);
    writeStorage(RECENT_KEY, JSON.stringify(list.slice(0, 8)));
  }
}

/** The tenant the page works on: a district admin's own, or the one a platform admin picked. */
function currentTenant() {
  if (!session.principal) return null;
  return session.principal.role === "DISTRICT_ADMIN" ? session.principal.tenantId : session.tenant;
}

function isPlatformAdmin() { return !!session.principal && session.principal.role === "PLATFORM_ADMIN"; }

function endSession(notice) {
  session.token = null;
  session.principal = null;
  session.notice = notice || null;
  writeStorage(TOKEN_KEY, null);
  render();
}

function renderIdentity() {
  if (!session.principal) { clear(identityEl); return; }
  var p = session.principal;
  var role = p.role === "PLATFORM_ADMIN" ? "Platform admin" : "District admin";
  fill(identityEl,
    h("div", { class: "who" },
      h("strong", null, p.sub),
      h("span", null, role + (p.tenantId ? " \u00b7 " + p.tenantId : ""))),
    h("button", { type: "button", class: "btn btn-sm", on: { click: function () { chooseTenant(null); endSession("You have signed out."); } } }, "Sign out"));
}

// ---------------------------------------------------------------------------------------------
// Views: one at a time; timers die with the view.

var view = null;

function newView() {
  if (view) view.dispose();
  var timers = [];
  var v = {
    alive: true,
    later: function (ms, fn) { var t = setTimeout(function () { if (v.alive) fn(); }, ms); timers.push(t); return t; },
    dispose: function () { v.alive = false; timers.forEach(clearTimeout); timers = []; },
  };
  view = v;
  return v;
}

function navigate(path, options) {
  if (options && options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  render({ focus: true });
}

document.addEventListener("click", function (e) {
  var a = e.target && e.target.closest ? e.target.closest("a[data-nav]") : null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute("href"));
});
window.addEventListener("popstate", function () { render({ focus: true }); });

function link(href, label, props) {
  var p = Object.assign({ href: href, "data-nav": true }, props || {});
  return h("a", p, label);
}

function providerHref(id) { return BASE + "/providers/" + encodeURIComponent(id); }
function runHref(id) { return BASE + "/runs/" + encodeURIComponent(id); }

/** Title, heading focus and document title for a freshly rendered page. */
function pageReady(title, focus) {
  document.title = title + " \u00b7 SIS Sync";
  if (focus) {
    var heading = mainEl.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  }
}

function crumbs(items) {
  return h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
    h("ol", null, items.map(function (item, i) {
      var last = i === items.length - 1;
      return h("li", null, last || !item.href ? h("span", { "aria-current": last ? "page" : null }, item.label) : link(item.href, item.label));
    })));
}

// ---------------------------------------------------------------------------------------------
// Formatting

var dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

function formatDateTime(iso) { return iso ? dateTimeFormat.format(new Date(iso)) : "\u2014"; }

function formatRelative(iso) {
  var seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (seconds < 45) return "just now";
  if (seconds < 90) return "a minute ago";
  if (seconds < 3600) return Math.round(seconds / 60) + " minutes ago";
  if (seconds < 5400) return "an hour ago";
  if (seconds < 86400) return Math.round(seconds / 3600) + " hours ago";
  if (seconds < 172800) return "yesterday";
  return formatDateTime(iso);
}

function timeEl(iso, relative) {
  if (!iso) return h("span", { class: "faint" }, "\u2014");
  return h("time", { datetime: iso, title: formatDateTime(iso) }, relative ? formatRelative(iso) : formatDateTime(iso));
}

function formatDuration(run) {
  if (!run.startedAt) return "\u2014";
  var end = run.completedAt ? Date.parse(run.completedAt) : Date.now();
  var ms = Math.max(0, end - Date.parse(run.startedAt));
  if (ms < 1000) return ms + " ms";
  if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
  var minutes = Math.floor(ms / 60000);
  var seconds = Math.round((ms % 60000) / 1000);
  if (minutes < 60) return minutes + " min " + seconds + " s";
  return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
}

function plural(n, one, many) { return n + " " + (n === 1 ? one : many || one + "s"); }

var STATUS = {
  SUCCESS: { label: "Succeeded", tone: "success" },
  PARTIAL: { label: "Completed with issues", tone: "warning" },
  FAILURE: { label: "Failed", tone: "danger" },
  CANCELLED: { label: "Cancelled", tone: "neutral" },
  PENDING: { label: "Queued", tone: "info", pulse: true },
  IN_PROGRESS: { label: "Running", tone: "info", pulse: true },
};

function statusLabel(status) { return STATUS[status] ? STATUS[status].label : status; }

function statusBadge(status, label) {
  if (!status) return h("span", { class: "badge badge-neutral" }, h("span", { class: "dot", "aria-hidden": "true" }), label || "Never synced");
  var s = STATUS[status] || { label: status, tone: "neutral" };
  return h("span", { class: "badge badge-" + s.tone + (s.pulse ? " pulse" : ""), "data-status": status },
    h("span", { class: "dot", "aria-hidden": "true" }), label || s.label);
}

function isOpen(run) { return !!run && (run.status === "PENDING" || run.status === "IN_PROGRESS"); }

var PHASES = [
  ["queued", "Queued"],
  ["extract", "Reading the feed"],
  ["plan", "Planning changes"],
  ["safeguard", "Safety check"],
  ["load", "Applying changes"],
  ["finish", "Finishing"],
];

function phaseIndex(phase) {
  for (var i = 0; i < PHASES.length; i++) if (PHASES[i][0] === phase) return i;
  return 0;
}

function phaseLabel(run) {
  if (run.cancelRequestedAt) return "Cancelling\u2026";
  if (run.status === "PENDING") return "Waiting for a worker";
  return PHASES[phaseIndex(run.phase)][1];
}

function sum(record) {
  var total = 0;
  if (record) Object.keys(record).forEach(function (k) { total += Number(record[k]) || 0; });
  return total;
}

function progressDetail(run) {
  var p = run.progress || { staged: {}, planned: {}, applied: {} };
  var read = sum(p.staged), planned = sum(p.planned), applied = sum(p.applied);
  switch (run.phase) {
    case "queued": return run.dryRun ? "Preview queued" : "Sync queued";
    case "extract": return plural(read, "record") + " read";
    case "plan": return "Planned " + planned + " of " + plural(read, "record");
    case "safeguard": return "Checking what would be deactivated";
    case "load": return "Writing changes";
    case "finish": return plural(applied, "change") + " applied";
    default: return "";
  }
}

/** Share of the run done, for the progress bar (phases, refined by planned / read). */
function progressPercent(run) {
  var i = phaseIndex(run.phase);
  var p = run.progress || {};
  var within = 0;
  if (run.phase === "plan") { var read = sum(p.staged); within = read > 0 ? Math.min(1, sum(p.planned) / read) : 0; }
  return Math.round(((i + within) / PHASES.length) * 100);
}

/** The current run: phase, detail, a bar and the phase list. */
function runProgress(run, compact) {
  var pct = progressPercent(run);
  var bar = h("div", { class: "bar" + (run.status === "PENDING" ? " indeterminate" : ""), role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100",
    "aria-valuenow": String(pct), "aria-label": (run.dryRun ? "Preview" : "Sync") + " progress" }, h("span"));
  if (run.status !== "PENDING") bar.firstChild.style.width = Math.max(4, pct) + "%";
  if (compact) {
    return h("div", { class: "mini-progress", "data-run-phase": run.phase },
      h("span", { class: "progress-detail" }, h("strong", null, phaseLabel(run)), " \u00b7 " + progressDetail(run)),
      bar);
  }
  var current = phaseIndex(run.phase);
  return h("div", { class: "progress", "data-run-phase": run.phase },
    h("div", { class: "progress-line" },
      h("span", { class: "progress-phase" }, phaseLabel(run)),
      h("span", { class: "progress-detail" }, progressDetail(run))),
    bar,
    h("ol", { class: "phases", "aria-label": "Phases" }, PHASES.slice(1).map(function (ph, i) {
      var index = i + 1;
      var state = index < current ? "done" : index === current ? "current" : "";
      return h("li", { class: state, "aria-current": index === current ? "step" : null }, ph[1]);
    })));
}

var KINDS = [["schools", "Schools", "school"], ["classes", "Classes", "class"], ["users", "Users", "user"], ["enrollments", "Enrollments", "enrollment"]];

function delta(n, cls, word) {
  return h("span", { class: "delta " + cls + (n === 0 ? " zero" : ""), title: n + " " + word },
    h("span", { "aria-hidden": "true" }, (cls === "delta-add" ? "+" : cls === "delta-upd" ? "~" : "\u2212") + n), srOnly(n + " " + word));
}

/** "+3 ~1 −0" for one kind of a run's statistics. */
function deltas(stats) {
  if (!stats) return h("span", { class: "faint" }, "\u2014");
  return h("span", { class: "deltas" },
    delta(stats.created, "delta-add", "created"), delta(stats.updated + (stats.reactivated || 0), "delta-upd", "updated"), delta(stats.deactivated, "delta-del", "deactivated"));
}

function deltaLegend() {
  return h("p", { class: "legend", "aria-hidden": "true" },
    h("span", null, h("span", { class: "delta delta-add" }, "+"), " created"),
    h("span", null, h("span", { class: "delta delta-upd" }, "~"), " updated"),
    h("span", null, h("span", { class: "delta delta-del" }, "\u2212"), " deactivated"));
}

function isSafeguardFailure(run) {
  return !!run && run.safeguardTripped === true;
}

function callout(tone, title, body, actions, extra) {
  var icons = { success: "\u2713", danger: "!", warning: "!", info: "i" };
  return h("section", Object.assign({ class: "callout callout-" + tone }, extra || {}),
    h("span", { class: "icon", "aria-hidden": "true" }, icons[tone] || "i"),
    h("div", { class: "content" },
      title ? h("h2", null, title) : null,
      body,
      actions && actions.length ? h("div", { class: "actions" }, actions) : null));
}
`;
