/**
 * Browser code, part 4: "Add integration", step by step (provider type → connection → schedule →
 * review). Each step checks the obvious before moving on; the API checks everything on submit,
 * and its field errors are shown on the step and field they belong to. Secrets are typed in once
 * and shown afterwards only as "Set" / "Not set".
 */
export const WIZARD = String.raw`
var STEPS = ["Provider", "Connection", "Schedule", "Review"];

function stepOfPath(path) {
  if (path === "providerType") return 0;
  if (path === "name" || path.indexOf("config") === 0) return 1;
  if (path === "syncSchedule" || path === "timezone" || path.indexOf("options") === 0 || path === "enabled") return 2;
  return 3;
}

async function renderWizard(focus) {
  var v = newView();
  var tenant = currentTenant();
  if (!tenant) { navigate(BASE, { replace: true }); return; }
  fill(mainEl, h("div", { class: "page-loading", role: "status" }, "Loading\u2026"));
  var presets = await loadPresets();
  if (!v.alive) return;

  var w = {
    step: 0,
    type: null,
    values: { name: "" },
    schedule: { mode: presets.length ? presets[0].name : "manual", cron: "", timezone: browserTimeZone() },
    options: { safeguardPercent: "20", createUsers: true },
    errors: {},
    general: [],
    editor: null,
  };

  var stepperEl = h("ol", { class: "stepper", "aria-label": "Steps" });
  var panel = h("div", { class: "card-body" });
  fill(mainEl,
    crumbs([{ href: BASE, label: "Integrations" }, { label: "Add integration" }]),
    h("div", { class: "page-head" },
      h("div", null,
        h("h1", null, "Add an integration"),
        h("p", { class: "lead" }, ["Connect a Student Information System to ", h("strong", null, tenant), ". You can test it before the first sync."]))),
    stepperEl,
    h("section", { class: "card wizard", "aria-labelledby": "step-title" }, panel));
  pageReady("Add integration", focus);

  function labelsFor() {
    var labels = { name: "Name", providerType: "Provider", syncSchedule: "Schedule", timezone: "Time zone", "options.safeguardPercent": "Safeguard limit" };
    if (w.type) (FIELDS[w.type] || []).forEach(function (f) { labels[f.path] = f.label; });
    return labels;
  }

  function drawStepper() {
    fill(stepperEl, STEPS.map(function (name, i) {
      var done = i < w.step;
      return h("li", { class: done ? "done" : "", "aria-current": i === w.step ? "step" : null },
        h("span", { class: "num", "aria-hidden": "true" }, done ? "\u2713" : String(i + 1)),
        h("span", null, name, srOnly(done ? " (done)" : i === w.step ? " (current)" : "")));
    }));
  }

  function onValue(path, value, redraw) {
    w.values[path] = value;
    if (w.errors[path]) { delete w.errors[path]; clearFieldError(path); }
    if (redraw) draw(false);
  }

  function nav(backLabel, nextLabel, onNext) {
    var next = h("button", { type: "submit", class: "btn btn-primary", "data-action": "next" }, nextLabel);
    return {
      next: next,
      el: h("div", { class: "form-actions" },
        w.step > 0 ? h("button", { type: "button", class: "btn", on: { click: function () { w.step -= 1; w.general = []; draw(true); } } }, backLabel || "Back") : null,
        h("span", { class: "spacer" }),
        link(BASE, "Cancel", { class: "btn btn-ghost" }),
        next),
      onNext: onNext,
    };
  }

  function stepForm(title, intro, content, actions) {
    var stepErrors = {};
    Object.keys(w.errors).forEach(function (path) { if (stepOfPath(path) === w.step) stepErrors[path] = w.errors[path]; });
    var summary = errorSummary(stepErrors, labelsFor());
    var general = w.general.length ? callout("danger", "The integration could not be saved", h("ul", null, w.general.map(function (g) { return h("li", null, g); }))) : null;
    var form = h("form", { class: "form", novalidate: true },
      h("div", null, h("h2", { id: "step-title" }, "Step " + (w.step + 1) + " of " + STEPS.length + ": " + title), intro ? h("p", { class: "hint" }, intro) : null),
      summary, general, content, actions.el);
    form.addEventListener("submit", function (e) { e.preventDefault(); actions.onNext(actions.next); });
    return form;
  }

  function focusProblem(focusTitle) {
    var summary = panel.querySelector(".error-summary") || panel.querySelector(".callout-danger");
    if (summary) { summary.setAttribute("tabindex", "-1"); summary.focus(); return; }
    if (focusTitle) { var t = panel.querySelector("#step-title"); t.setAttribute("tabindex", "-1"); t.focus(); }
  }

  function draw(focusTitle) {
    drawStepper();
    if (w.step === 0) fill(panel, stepType());
    else if (w.step === 1) fill(panel, stepConnection());
    else if (w.step === 2) fill(panel, stepSchedule());
    else fill(panel, stepReview());
    focusProblem(focusTitle);
  }

  function goTo(step) { w.step = step; w.general = []; draw(true); }

  // Step 1: provider type
  function stepType() {
    var error = w.errors.providerType;
    var fieldset = h("fieldset", { class: "field" + (error ? " has-error" : ""), "data-path": "providerType", id: fieldId("providerType"), tabindex: "-1" },
      h("legend", null, "Which system does your district use?"),
      h("div", { class: "choice-grid" }, TYPES.map(function (t) {
        var id = "type-" + t.id;
        var input = h("input", { type: "radio", name: "providerType", id: id, value: t.id, checked: w.type === t.id });
        input.addEventListener("change", function () {
          if (!input.checked) return;
          if (w.type !== t.id) w.values = { name: w.values.name || "" };
          w.type = t.id;
          if (w.errors.providerType) { delete w.errors.providerType; clearFieldError("providerType"); }
        });
        return h("label", { class: "choice", for: id }, input,
          h("span", { class: "type-mark type-" + t.id, "aria-hidden": "true" }, t.mark),
          h("span", null, h("span", { class: "choice-title" }, t.title), h("span", { class: "choice-text" }, t.blurb)));
      })),
      error ? h("p", { class: "field-error", id: fieldId("providerType") + "-error" }, srOnly("Error: "), error) : null);
    fieldset.style.maxWidth = "none";
    return stepForm("Provider", "Pick the kind of connection; the next step asks for its details.", fieldset,
      nav(null, "Continue", function () {
        if (!w.type) { w.errors = { providerType: "Choose the system your district uses." }; draw(false); return; }
        w.errors = {};
        goTo(1);
      }));
  }

  // Step 2: name and credentials
  function stepConnection() {
    var defs = visibleFields(w.type, w.values);
    var nameDef = { path: "name", label: "Name", required: true, hint: "How this integration appears in the list, e.g. \"" + typeInfo(w.type).label + " nightly\"." };
    var content = h("div", { class: "form" },
      fieldControl(nameDef, w.values.name, w.errors.name, onValue),
      defs.map(function (f) {
        var value = w.values[f.path];
        if (value === undefined && f.initial !== undefined) { value = f.initial; w.values[f.path] = value; }
        return fieldControl(f, value, w.errors[f.path], onValue);
      }));
    return stepForm(typeInfo(w.type).title + " connection", "Secrets are stored encrypted and never shown again; this page only says whether they are set.", content,
      nav(null, "Continue", function () {
        var errors = checkFields([nameDef].concat(defs), w.values);
        if ((w.values.name || "").length > 200) errors.name = "Name must be at most 200 characters.";
        w.errors = errors;
        if (Object.keys(errors).length) { draw(false); return; }
        goTo(2);
      }));
  }

  // Step 3: schedule and safety options
  function stepSchedule() {
    w.editor = scheduleEditor(w.schedule, presets, function () { if (w.errors.syncSchedule || w.errors.timezone) { delete w.errors.syncSchedule; delete w.errors.timezone; } });
    if (w.errors.syncSchedule || w.errors.timezone) w.editor.setErrors({ syncSchedule: w.errors.syncSchedule, timezone: w.errors.timezone });
    var pctError = w.errors["options.safeguardPercent"];
    var pct = h("input", { type: "number", id: fieldId("options.safeguardPercent"), min: "0", max: "100", inputmode: "numeric",
      "aria-describedby": "safeguard-hint" + (pctError ? " " + fieldId("options.safeguardPercent") + "-error" : ""), "aria-invalid": pctError ? "true" : null });
    pct.value = w.options.safeguardPercent;
    pct.addEventListener("input", function () { w.options.safeguardPercent = pct.value; if (w.errors["options.safeguardPercent"]) { delete w.errors["options.safeguardPercent"]; clearFieldError("options.safeguardPercent"); } });
    var createUsers = h("input", { type: "checkbox", id: "f-createUsers", checked: w.options.createUsers });
    createUsers.addEventListener("change", function () { w.options.createUsers = createUsers.checked; });
    var safety = h("fieldset", { class: "form section" },
      h("legend", null, "Safety"),
      h("div", { class: "field" + (pctError ? " has-error" : ""), "data-path": "options.safeguardPercent" },
        h("label", { for: fieldId("options.safeguardPercent") }, "Deletion safeguard limit (%)"),
        h("p", { class: "hint", id: "safeguard-hint" }, "A sync that would deactivate more than this share of any kind of record (schools, classes, users, enrollments) stops and changes nothing. Default 20%."),
        h("span", { class: "inline-input" }, pct, h("span", { class: "muted" }, "%")),
        pctError ? h("p", { class: "field-error", id: fieldId("options.safeguardPercent") + "-error" }, srOnly("Error: "), pctError) : null),
      h("label", { class: "checkbox", for: "f-createUsers" }, createUsers,
        h("span", null, "Create accounts for new people in the feed", h("span", { class: "hint" }, " \u2014 turn off to only update people who already exist."))));
    return stepForm("Schedule", "When should sis-sync read the feed? You can also sync by hand at any time.", [w.editor.el, safety],
      nav(null, "Review", function () {
        var errors = w.editor.check();
        var pctValue = String(w.options.safeguardPercent).trim();
        var n = Number(pctValue);
        if (pctValue === "" || !isFinite(n) || n < 0 || n > 100) errors["options.safeguardPercent"] = "Enter a percentage from 0 to 100.";
        w.errors = errors;
        if (Object.keys(errors).length) { draw(false); return; }
        if (w.editor.hasErrors()) { focusProblem(false); return; }
        goTo(3);
      }));
  }

  // Step 4: review and create
  function stepReview() {
    var config = buildConfig(w.type, w.values);
    var connection = [["Provider", typeInfo(w.type).title], ["Name", w.values.name.trim()]].concat(configFacts(w.type, config));
    var schedule = w.editor ? w.editor.value() : { syncSchedule: null, timezone: "UTC" };
    var scheduleRows = [["Schedule", w.schedule.words || (schedule.syncSchedule || "Manual only")]];
    if (w.schedule.nextRuns && w.schedule.nextRuns.length) scheduleRows.push(["Next run", w.schedule.nextRuns[0].label]);
    scheduleRows.push(["Deletion safeguard", "Stop when more than " + Number(w.options.safeguardPercent) + "% would be deactivated"]);
    scheduleRows.push(["New people", w.options.createUsers ? "Accounts are created" : "Only existing accounts are updated"]);
    function section(title, step, rows) {
      return h("section", { class: "review-section", "aria-label": title },
        h("div", { class: "section-head" }, h("h3", null, title),
          h("button", { type: "button", class: "btn btn-sm btn-ghost", on: { click: function () { goTo(step); } } }, "Change", srOnly(" " + title.toLowerCase()))),
        factsList(rows));
    }
    var content = h("div", null, section("Connection", 1, connection), section("Schedule and safety", 2, scheduleRows));
    return stepForm("Review", "Check the details, then create the integration. Nothing is synced until you (or the schedule) start a sync.", content,
      nav(null, "Create integration", function (button) {
        busy(button, async function () {
          var body = {
            tenantId: tenant,
            providerType: w.type,
            name: w.values.name.trim(),
            config: config,
            syncSchedule: schedule.syncSchedule,
            timezone: schedule.timezone,
            options: { safeguardPercent: Number(w.options.safeguardPercent), createUsers: !!w.options.createUsers },
          };
          var r = await api("POST", "/providers", body);
          if (!v.alive) return;
          if (r.ok) {
            toast("Integration \u201c" + r.data.name + "\u201d created. Test the connection to check it works.");
            navigate(providerHref(r.data.id));
            return;
          }
          var mapped = apiFieldErrors(r.problem, labelsFor());
          if (r.status === 409 && /name/i.test(r.problem.detail)) { mapped.byPath = { name: "An integration with this name already exists; choose another name." }; mapped.general = []; }
          w.errors = mapped.byPath;
          var paths = Object.keys(mapped.byPath);
          w.general = mapped.general;
          w.step = paths.length ? Math.min.apply(null, paths.map(stepOfPath)) : 3;
          draw(false);
          if (!paths.length) focusProblem(false);
        });
      }));
  }

  draw(false);
}
`;
