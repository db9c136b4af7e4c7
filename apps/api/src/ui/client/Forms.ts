/**
 * Browser code, part 2: provider types and their connection fields (the API's config shapes,
 * secrets marked), form controls with labels, hints and error messages tied to them, client-side
 * checks of the obvious, mapping the API's problem+json field errors onto the fields, and the
 * schedule editor (presets or a cron expression, time zone, preview of the next runs).
 */
export const FORMS = String.raw`
var TYPES = [
  { id: "ONEROSTER_CSV", label: "OneRoster CSV", title: "OneRoster CSV files", mark: "CSV",
    blurb: "Nightly CSV exports from your SIS, read from a folder on this server or from an SFTP server." },
  { id: "ONEROSTER_API", label: "OneRoster API", title: "OneRoster REST API", mark: "OR",
    blurb: "A OneRoster 1.1 REST endpoint (PowerSchool, Infinite Campus, Skyward and others) with OAuth credentials." },
  { id: "CLEVER", label: "Clever", title: "Clever", mark: "C",
    blurb: "Clever's Data API, with your district's application credentials." },
  { id: "CLASSLINK", label: "ClassLink", title: "ClassLink Roster Server", mark: "CL",
    blurb: "ClassLink's OneRoster service for your ClassLink tenant." },
];

function typeInfo(id) {
  for (var i = 0; i < TYPES.length; i++) if (TYPES[i].id === id) return TYPES[i];
  return { id: id, label: id, title: id, mark: "?", blurb: "" };
}

function typePill(id) { return h("span", { class: "pill pill-type" }, typeInfo(id).label); }

function isSftp(values) { return values.csvSource === "sftp"; }
function isLocal(values) { return values.csvSource !== "sftp"; }

var FIELDS = {
  CLEVER: [
    { path: "config.districtId", label: "District ID", required: true, hint: "Shown on your district's Clever dashboard." },
    { path: "config.clientId", label: "Client ID", required: true },
    { path: "config.clientSecret", label: "Client secret", secret: true, required: true },
    { path: "config.accessToken", label: "District access token", secret: true, hint: "Only if Clever issued your district a token instead of client credentials." },
  ],
  CLASSLINK: [
    { path: "config.tenantId", label: "ClassLink tenant ID", required: true },
    { path: "config.clientId", label: "Client ID", required: true },
    { path: "config.clientSecret", label: "Client secret", secret: true, required: true },
    { path: "config.baseUrl", label: "Roster Server URL", kind: "url", hint: "Leave empty to use the address derived from your tenant ID." },
  ],
  ONEROSTER_API: [
    { path: "config.baseUrl", label: "Base URL", kind: "url", required: true, placeholder: "https://sis.example.org/ims/oneroster/v1p1" },
    { path: "config.clientId", label: "Client ID", required: true },
    { path: "config.clientSecret", label: "Client secret", secret: true, required: true },
    { path: "config.authMethod", label: "Authentication", kind: "select", initial: "oauth1",
      options: [["oauth1", "OAuth 1.0a (signed requests)"], ["oauth2", "OAuth 2.0 client credentials"]] },
    { path: "config.signatureMethod", label: "Signature method", kind: "select", initial: "HMAC-SHA256",
      options: [["HMAC-SHA256", "HMAC-SHA256"], ["HMAC-SHA1", "HMAC-SHA1"]], when: function (v) { return (v["config.authMethod"] || "oauth1") === "oauth1"; } },
    { path: "config.tokenUrl", label: "Token URL", kind: "url", hint: "Leave empty to use the server's standard token address.",
      when: function (v) { return v["config.authMethod"] === "oauth2"; } },
  ],
  ONEROSTER_CSV: [
    { path: "csvSource", label: "Where are the files?", kind: "radio", initial: "local", local: true,
      options: [["local", "A folder on this server", "The export is copied to this server (or a shared drive it can read)."],
                ["sftp", "An SFTP server", "The SIS drops its export on an SFTP server; sis-sync downloads it for each sync."]] },
    { path: "config.localPath", label: "Folder or .zip file", required: true, when: isLocal, mono: true, placeholder: "/srv/sis-exports/maplewood",
      hint: "A folder with the OneRoster CSV files, a .zip export, or a folder of dated exports (the newest is used)." },
    { path: "config.sftp.host", label: "SFTP host", required: true, when: isSftp, placeholder: "sftp.example.org" },
    { path: "config.sftp.port", label: "Port", kind: "number", initial: "22", when: isSftp },
    { path: "config.sftp.username", label: "Username", required: true, when: isSftp },
    { path: "config.sftp.password", label: "Password", secret: true, when: isSftp, hint: "Enter a password or a private key." },
    { path: "config.sftp.privateKey", label: "Private key", secret: true, kind: "textarea", when: isSftp, hint: "PEM or OpenSSH format." },
    { path: "config.sftp.hostKeySha256", label: "Host key fingerprint (SHA-256)", when: isSftp, mono: true,
      hint: "Recommended: pins the server's key, so a look-alike server is refused." },
    { path: "config.remotePath", label: "Remote folder or .zip file", required: true, when: isSftp, mono: true, placeholder: "/exports/oneroster" },
  ],
};

function visibleFields(type, values) {
  return (FIELDS[type] || []).filter(function (f) { return !f.when || f.when(values); });
}

function fieldId(path) { return "f-" + path.replace(/[^A-Za-z0-9]+/g, "-"); }

/** "Client ID must not be empty" from the label and the API's "must not be empty". */
function fieldMessage(label, message) {
  if (!message) return "";
  var first = message.charAt(0);
  return first === first.toLowerCase() && first !== first.toUpperCase() ? label + " " + message : message;
}

function setNested(target, path, value) {
  var parts = path.split(".");
  var node = target;
  for (var i = 0; i < parts.length - 1; i++) {
    if (typeof node[parts[i]] !== "object" || node[parts[i]] === null) node[parts[i]] = {};
    node = node[parts[i]];
  }
  node[parts[parts.length - 1]] = value;
}

/** The API's config object from the visible, filled-in fields. */
function buildConfig(type, values) {
  var body = {};
  visibleFields(type, values).forEach(function (f) {
    if (f.local) return;
    var raw = values[f.path];
    if (raw === undefined || raw === null) raw = f.initial || "";
    var text = String(raw);
    if (!f.secret && f.kind !== "textarea") text = text.trim();
    if (text === "") return;
    setNested(body, f.path, f.kind === "number" ? Number(text) : text);
  });
  return body.config || {};
}

/** What a config field shows on the page: the value, or "set" / "not set" for a secret. */
function configFacts(type, config) {
  var values = { csvSource: config && config.sftp ? "sftp" : "local" };
  var rows = [];
  (FIELDS[type] || []).forEach(function (f) {
    if (f.local) {
      rows.push([f.label, f.options.filter(function (o) { return o[0] === values[f.path]; })[0][1]]);
      return;
    }
    if (f.when && !f.when(Object.assign({}, values, flatten(config, "config")))) return;
    var value = getNested({ config: config }, f.path);
    if (f.secret) {
      var set = value !== undefined && value !== null && value !== "";
      rows.push([f.label, h("span", { class: "secret-state" + (set ? " set" : "") }, set ? "Set" : "Not set")]);
      return;
    }
    if (value === undefined || value === null || value === "") return;
    if (f.kind === "select") {
      var option = f.options.filter(function (o) { return o[0] === value; })[0];
      value = option ? option[1] : value;
    }
    rows.push([f.label, f.mono ? h("code", null, String(value)) : String(value)]);
  });
  return rows;
}

function getNested(source, path) {
  var node = source;
  var parts = path.split(".");
  for (var i = 0; i < parts.length; i++) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[parts[i]];
  }
  return node;
}

function flatten(obj, prefix) {
  var out = {};
  if (obj && typeof obj === "object") Object.keys(obj).forEach(function (k) {
    var path = prefix + "." + k;
    if (obj[k] && typeof obj[k] === "object") Object.assign(out, flatten(obj[k], path));
    else out[path] = obj[k];
  });
  return out;
}

function factsList(rows) {
  return h("dl", { class: "facts" }, rows.map(function (row) { return [h("dt", null, row[0]), h("dd", null, row[1])]; }));
}

/** Client-side checks of what is obviously wrong; returns { path: message }. */
function checkFields(defs, values) {
  var errors = {};
  defs.forEach(function (f) {
    if (f.local) return;
    var raw = values[f.path];
    var text = raw === undefined || raw === null ? String(f.initial || "") : String(raw);
    if (f.required && text.trim() === "") { errors[f.path] = "Enter the " + f.label.charAt(0).toLowerCase() + f.label.slice(1) + "."; return; }
    if (text.trim() === "") return;
    if (f.kind === "url" && !/^https?:\/\/[^\s/]+/i.test(text.trim())) errors[f.path] = f.label + " must start with https:// (or http://).";
    if (f.kind === "number") {
      var n = Number(text);
      if (!Number.isInteger(n) || n < 1 || n > 65535) errors[f.path] = f.label + " must be a whole number from 1 to 65535.";
    }
  });
  if (defs.some(function (f) { return f.path === "config.sftp.password"; })) {
    var hasSecret = ["config.sftp.password", "config.sftp.privateKey"].some(function (p) { return values[p] && String(values[p]).trim() !== ""; });
    if (!hasSecret) errors["config.sftp.password"] = "Enter a password or a private key for the SFTP server.";
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// Controls

function hintAndError(id, hint, error) {
  return {
    describedBy: [hint ? id + "-hint" : null, error ? id + "-error" : null].filter(Boolean).join(" ") || null,
    hint: hint ? h("p", { class: "hint", id: id + "-hint" }, hint) : null,
    error: error ? h("p", { class: "field-error", id: id + "-error" }, srOnly("Error: "), error) : null,
  };
}

/** One labelled control for a field definition; onInput(path, value). */
function fieldControl(def, value, error, onInput) {
  var id = fieldId(def.path);
  var extra = hintAndError(id, def.hint, error);
  if (def.kind === "radio") {
    return h("fieldset", { class: "field" + (error ? " has-error" : ""), "data-path": def.path, id: id, tabindex: "-1", "aria-describedby": extra.describedBy },
      h("legend", null, def.label),
      extra.hint,
      h("div", { class: "choices" }, def.options.map(function (o) {
        var optionId = id + "-" + o[0];
        var input = h("input", { type: "radio", name: def.path, id: optionId, value: o[0], checked: value === o[0] });
        input.addEventListener("change", function () { if (input.checked) onInput(def.path, o[0], true); });
        return h("label", { class: "choice", for: optionId }, input,
          h("span", null, h("span", { class: "choice-title" }, o[1]), o[2] ? h("span", { class: "choice-text" }, o[2]) : null));
      })),
      extra.error);
  }
  var common = { id: id, name: def.path, "aria-describedby": extra.describedBy, "aria-invalid": error ? "true" : null, "aria-required": def.required ? "true" : null };
  var control;
  if (def.kind === "select") {
    control = h("select", common, def.options.map(function (o) { return h("option", { value: o[0], selected: value === o[0] }, o[1]); }));
    control.addEventListener("change", function () { onInput(def.path, control.value, true); });
  } else {
    if (def.kind === "textarea") control = h("textarea", Object.assign({ spellcheck: "false", autocomplete: "off" }, common));
    else control = h("input", Object.assign({
      type: def.secret ? "password" : def.kind === "number" ? "number" : def.kind === "url" ? "url" : "text",
      autocomplete: def.secret ? "new-password" : "off", spellcheck: "false", placeholder: def.placeholder || null,
      class: def.mono ? "mono" : null, inputmode: def.kind === "number" ? "numeric" : null,
    }, common));
    control.value = value === undefined || value === null ? "" : String(value);
    control.addEventListener("input", function () { onInput(def.path, control.value, false); });
  }
  return h("div", { class: "field" + (error ? " has-error" : ""), "data-path": def.path },
    h("label", { for: id }, def.label, def.required || def.kind === "select" ? null : h("span", { class: "optional" }, " (optional)")),
    extra.hint, control, extra.error);
}

/** Removes a field's error once its value changes. */
function clearFieldError(path) {
  var field = mainEl.querySelector('[data-path="' + path + '"]');
  if (!field) return;
  field.classList.remove("has-error");
  var error = field.querySelector(".field-error");
  if (error) error.remove();
  var control = field.querySelector("input, select, textarea");
  if (control) {
    control.removeAttribute("aria-invalid");
    var described = (control.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && x.indexOf("-error") < 0; }).join(" ");
    if (described) control.setAttribute("aria-describedby", described); else control.removeAttribute("aria-describedby");
  }
}

/** "Please fix" box listing every error, each linked to its field. */
function errorSummary(errors, labels) {
  var paths = Object.keys(errors);
  if (paths.length === 0) return null;
  return h("div", { class: "error-summary", role: "alert", tabindex: "-1" },
    h("h2", null, paths.length === 1 ? "There is a problem" : "There are " + paths.length + " problems"),
    h("ul", null, paths.map(function (path) {
      var target = fieldId(path);
      var text = labels[path] ? fieldMessage(labels[path], errors[path]) : errors[path];
      return h("li", null, labels[path]
        ? h("a", { href: "#" + target, on: { click: function (e) {
            e.preventDefault();
            var el = document.getElementById(target);
            var focusable = el && (el.matches("input, select, textarea") ? el : el.querySelector("input, select, textarea")) || el;
            if (focusable) focusable.focus();
          } } }, text)
        : text);
    })));
}

/**
 * The API's field errors for the fields on screen. A OneRoster CSV config is one of two shapes,
 * and the API reports what the other shape misses as well ("config.sftp: is required" next to a
 * local folder); those are dropped when that field is not part of the form the user filled in.
 */
function apiFieldErrors(problem, labels) {
  var byPath = {};
  var general = [];
  problem.errors.forEach(function (e) {
    var path = e.path || "";
    if (Object.prototype.hasOwnProperty.call(labels, path)) { if (!byPath[path]) byPath[path] = fieldMessage(labels[path], e.message); return; }
    if (path.indexOf("config.") === 0 && (e.message === "is required" || e.message === "is not a known field")) return;
    general.push(path ? path + ": " + e.message : e.message);
  });
  if (problem.errors.length === 0) general.push(problem.detail);
  return { byPath: byPath, general: general };
}

// ---------------------------------------------------------------------------------------------
// Schedule editor

var presetList = null;
async function loadPresets() {
  if (presetList) return presetList;
  var r = await uiApi("/presets");
  presetList = r.ok ? r.data.items : [];
  return presetList;
}

function browserTimeZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { return "UTC"; }
}

var zoneList = null;
function timeZones() {
  if (zoneList) return zoneList;
  try { zoneList = Intl.supportedValuesOf("timeZone"); } catch (e) { zoneList = []; }
  if (zoneList.indexOf("UTC") < 0) zoneList = ["UTC"].concat(zoneList);
  return zoneList;
}

/**
 * state: { mode: preset name | "custom" | "manual", cron, timezone }. Calls onChange(state) on
 * every change; setErrors({ syncSchedule, timezone }) shows the API's messages.
 */
function scheduleEditor(state, presets, onChange) {
  var root = h("div", { class: "form" });
  var errors = {};
  var previewBox = h("div", { class: "schedule-preview", "aria-live": "polite", "data-testid": "schedule-preview" });
  var previewSeq = 0;
  var pending = null;

  function scheduleValue() {
    if (state.mode === "manual") return null;
    if (state.mode === "custom") return (state.cron || "").trim();
    return state.mode;
  }

  async function refreshPreview() {
    var seq = ++previewSeq;
    var schedule = scheduleValue();
    if (state.mode === "custom" && schedule === "") {
      fill(previewBox, h("span", { class: "muted" }, "Enter a cron expression to see when it runs."));
      return;
    }
    var result = await schedulePreview(schedule, (state.timezone || "").trim() || "UTC", 5);
    if (seq !== previewSeq || !root.isConnected) return;
    if (!result.ok) {
      var byPath = {};
      result.errors.forEach(function (e) { byPath[e.path] = e.message; });
      showErrors(byPath);
      fill(previewBox, h("span", { class: "muted" }, "Fix the schedule to see when it runs."));
      return;
    }
    showErrors({});
    state.words = result.words;
    state.nextRuns = result.nextRuns;
    fill(previewBox,
      h("div", { class: "words", "data-testid": "schedule-words" }, result.words),
      result.nextRuns.length
        ? [h("div", { class: "hint" }, "Next runs"), h("ol", null, result.nextRuns.map(function (n) { return h("li", null, h("time", { datetime: n.at }, n.label)); }))]
        : h("div", { class: "hint" }, "Syncs run only when someone starts them."));
  }

  function changed(immediate) {
    onChange(state);
    if (pending) clearTimeout(pending);
    pending = setTimeout(refreshPreview, immediate ? 0 : 350);
  }

  function showErrors(next) {
    errors = next;
    ["syncSchedule", "timezone"].forEach(function (path) {
      var field = root.querySelector('[data-path="' + path + '"]');
      if (!field) return;
      var old = field.querySelector(".field-error");
      if (old) old.remove();
      field.classList.toggle("has-error", !!errors[path]);
      var control = path === "syncSchedule" ? root.querySelector("#f-syncSchedule-cron") : root.querySelector("#f-timezone");
      if (control) {
        if (errors[path]) { control.setAttribute("aria-invalid", "true"); control.setAttribute("aria-describedby", ((control.getAttribute("aria-describedby") || "").replace(/\S+-error/g, "") + " " + fieldId(path) + "-error").trim()); }
        else { control.removeAttribute("aria-invalid"); var d = (control.getAttribute("aria-describedby") || "").replace(/\S+-error/g, "").trim(); if (d) control.setAttribute("aria-describedby", d); else control.removeAttribute("aria-describedby"); }
      }
      if (errors[path]) field.appendChild(h("p", { class: "field-error", id: fieldId(path) + "-error" }, srOnly("Error: "), errors[path]));
    });
  }

  var options = presets.map(function (p) { return [p.name, p.words, null]; });
  options.push(["custom", "Custom schedule", "A cron expression: minute, hour, day of month, month, day of week."]);
  options.push(["manual", "Manual only", "No schedule; syncs run when someone starts them here."]);

  var cronInput = h("input", { type: "text", id: "f-syncSchedule-cron", class: "mono", spellcheck: "false", autocomplete: "off",
    placeholder: "30 1 * * 1-5", "aria-describedby": "f-syncSchedule-cron-hint" });
  cronInput.value = state.cron || "";
  cronInput.addEventListener("input", function () { state.cron = cronInput.value; changed(false); });
  var cronField = h("div", { class: "field", "data-path": "syncSchedule-cron" },
    h("label", { for: "f-syncSchedule-cron" }, "Cron expression"),
    h("p", { class: "hint", id: "f-syncSchedule-cron-hint" }, "For example 30 1 * * 1-5 runs at 1:30 AM, Monday to Friday."),
    cronInput);
  cronField.hidden = state.mode !== "custom";

  var modeField = h("fieldset", { class: "field wide", "data-path": "syncSchedule", id: fieldId("syncSchedule"), tabindex: "-1" },
    h("legend", null, "How often should it sync?"),
    h("div", { class: "choices two-col" }, options.map(function (o) {
      var id = "f-schedule-" + o[0];
      var input = h("input", { type: "radio", name: "schedule-mode", id: id, value: o[0], checked: state.mode === o[0] });
      input.addEventListener("change", function () {
        if (!input.checked) return;
        state.mode = o[0];
        cronField.hidden = state.mode !== "custom";
        if (state.mode === "custom") cronInput.focus();
        changed(true);
      });
      return h("label", { class: "choice", for: id }, input,
        h("span", null, h("span", { class: "choice-title" }, o[1]), o[2] ? h("span", { class: "choice-text" }, o[2]) : null));
    })),
    cronField);

  var zoneListId = uid("zones");
  var zoneInput = h("input", { type: "text", id: "f-timezone", list: zoneListId, autocomplete: "off", spellcheck: "false", "aria-describedby": "f-timezone-hint" });
  zoneInput.value = state.timezone || browserTimeZone();
  state.timezone = zoneInput.value;
  zoneInput.addEventListener("input", function () { state.timezone = zoneInput.value; changed(false); });
  var zoneField = h("div", { class: "field", "data-path": "timezone" },
    h("label", { for: "f-timezone" }, "Time zone"),
    h("p", { class: "hint", id: "f-timezone-hint" }, "Scheduled times are in this zone, daylight saving included."),
    zoneInput,
    h("datalist", { id: zoneListId }, timeZones().map(function (z) { return h("option", { value: z }); })));

  fill(root, modeField, zoneField, h("div", null, h("div", { class: "label hint" }, "Preview"), previewBox));
  refreshPreview();
  return {
    el: root,
    value: function () { return { syncSchedule: scheduleValue(), timezone: (state.timezone || "").trim() || "UTC" }; },
    setErrors: function (byPath) { showErrors(byPath); },
    check: function () {
      var found = {};
      if (state.mode === "custom") {
        var cron = (state.cron || "").trim();
        if (cron === "") found.syncSchedule = "Enter a cron expression, or choose one of the schedules above.";
        else if (cron.charAt(0) !== "@" && cron.split(/\s+/).length !== 5) found.syncSchedule = "A cron expression has 5 fields: minute, hour, day of month, month, day of week.";
      }
      if (!(state.timezone || "").trim()) found.timezone = "Enter a time zone, such as America/Chicago.";
      showErrors(found);
      return found;
    },
    hasErrors: function () { return Object.keys(errors).length > 0; },
  };
}

/** The editor state for a stored schedule. */
function scheduleState(schedule, timezone, presets) {
  if (schedule === null || schedule === undefined || schedule === "") return { mode: "manual", cron: "", timezone: timezone };
  var preset = presets.filter(function (p) { return p.name === schedule; })[0];
  return preset ? { mode: preset.name, cron: "", timezone: timezone } : { mode: "custom", cron: schedule, timezone: timezone };
}
`;
