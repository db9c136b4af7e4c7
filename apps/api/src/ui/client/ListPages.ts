/**
 * Browser code, part 3: the sign-in page and the list of a tenant's integrations (schedule in
 * words, last sync, status, the current run's phase and progress, polled every 2 s while a run
 * is active), with the tenant picker a platform admin uses.
 */
export const LIST_PAGES = String.raw`
function renderSignIn() {
  var v = newView();
  var errorBox = h("div", { "aria-live": "assertive" });
  var textarea = h("textarea", { id: "token", name: "token", rows: "4", spellcheck: "false", autocomplete: "off",
    "aria-describedby": "token-hint", placeholder: "eyJhbGciOiJIUzI1NiIs\u2026" });
  var button = h("button", { type: "submit", class: "btn btn-primary" }, "Sign in");
  var form = h("form", { class: "form", novalidate: true },
    h("div", { class: "field", "data-path": "token" },
      h("label", { for: "token" }, "API token"),
      h("p", { class: "hint", id: "token-hint" }, "Paste the bearer token you were given. It is kept in this browser tab only and forgotten when the tab closes."),
      textarea),
    errorBox,
    h("div", { class: "form-actions" }, button));
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var token = textarea.value.trim().replace(/^Bearer\s+/i, "");
    if (!token) { fill(errorBox, h("p", { class: "field-error", id: "token-error" }, "Paste a token first.")); textarea.setAttribute("aria-invalid", "true"); textarea.focus(); return; }
    busy(button, async function () {
      session.token = token;
      var r = await uiApi("/session");
      if (!v.alive) return;
      if (!r.ok) {
        session.token = null;
        var why = r.status === 401 || r.status === 403 ? "This token was not accepted: " + r.problem.detail + "." : r.problem.detail;
        fill(errorBox, h("p", { class: "field-error", id: "token-error" }, why));
        textarea.setAttribute("aria-invalid", "true");
        textarea.setAttribute("aria-describedby", "token-hint token-error");
        textarea.focus();
        return;
      }
      session.principal = r.data;
      session.notice = null;
      writeStorage(TOKEN_KEY, token);
      render({ focus: true });
    });
  });
  var notice = session.notice ? callout("info", null, h("p", null, session.notice)) : null;
  var dev = PRODUCTION ? null : h("div", { class: "dev-hint" },
    h("strong", null, "Running sis-sync yourself?"),
    h("p", null, "In development the server signs tokens with a secret in its data folder. Mint one in the project folder with:"),
    h("pre", null, h("code", null, "pnpm sis-sync token --role DISTRICT_ADMIN --tenant <id>")),
    h("p", null, "Use --role PLATFORM_ADMIN to manage every district. If the server uses another data folder, set SIS_DATA_DIR to it when you run the command."));
  fill(mainEl,
    h("div", { class: "signin" },
      notice,
      h("div", { class: "card" },
        h("div", { class: "card-body" },
          h("h1", null, "Sign in"),
          h("p", { class: "lead" }, "Connect your Student Information System, check it works, and keep your rosters in sync."),
          form,
          dev))));
  if (notice) notice.style.marginBottom = "16px";
  document.title = "Sign in \u00b7 SIS Sync";
  textarea.focus();
}

// ---------------------------------------------------------------------------------------------
// The list of integrations

function tenantPicker(onPick) {
  var listId = uid("tenants");
  var input = h("input", { type: "text", id: "tenant-input", list: listId, autocomplete: "off", spellcheck: "false", "aria-describedby": "tenant-hint" });
  input.value = session.tenant || "";
  var form = h("form", { class: "tenant-picker", novalidate: true },
    h("div", { class: "field" },
      h("label", { for: "tenant-input" }, "District (tenant ID)"),
      h("p", { class: "hint", id: "tenant-hint" }, "As a platform admin you can open any district's integrations."),
      input,
      h("datalist", { id: listId }, recentTenants().map(function (t) { return h("option", { value: t }); }))),
    h("button", { type: "submit", class: "btn" }, "Open district"));
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var tenant = input.value.trim();
    if (!tenant) { input.focus(); return; }
    chooseTenant(tenant);
    onPick();
  });
  return h("section", { class: "card", "aria-label": "Choose a district" }, h("div", { class: "card-body" }, form));
}

var IDLE_LIST_POLL_MS = 30000;

async function renderList(focus) {
  var v = newView();
  var tenant = currentTenant();
  var head = h("div", { class: "page-head" },
    h("div", null,
      h("h1", null, "SIS integrations"),
      h("p", { class: "lead" }, tenant
        ? ["Rosters synced from your Student Information System into ", h("strong", null, tenant), "."]
        : "Choose a district to see its integrations.")),
    tenant ? link(BASE + "/new", "Add integration", { class: "btn btn-primary" }) : null);
  var body = h("div", { class: "stack" });
  fill(mainEl, head, h("div", { class: "stack" }, isPlatformAdmin() ? tenantPicker(function () { renderList(true); }) : null, body));
  pageReady("SIS integrations", focus);
  if (!tenant) return;
  fill(body, h("div", { class: "card" }, h("div", { class: "card-body muted", role: "status" }, "Loading integrations\u2026")));

  var r = await api("GET", "/tenants/" + encodeURIComponent(tenant) + "/providers");
  if (!v.alive) return;
  if (!r.ok) {
    fill(body, callout("danger", "The integrations could not be loaded", h("p", null, r.problem.detail)));
    return;
  }
  var providers = r.data.items.slice().sort(function (a, b) { return a.name.localeCompare(b.name); });
  if (providers.length === 0) {
    fill(body, h("section", { class: "card empty" },
      h("div", { class: "empty-icon", "aria-hidden": "true" }),
      h("h2", null, "No integrations yet"),
      h("p", null, "Connect your SIS to bring schools, classes, users and enrollments into sis-sync, on a schedule or whenever you ask."),
      link(BASE + "/new", "Add your first integration", { class: "btn btn-primary" })));
    return;
  }

  var rows = {};
  var tbody = h("tbody");
  providers.forEach(function (p) {
    var scheduleCell = h("td", null, h("span", { class: "muted" }, "\u2026"));
    var lastCell = h("td", { class: "nowrap" }, timeEl(p.lastSyncAt, true));
    var statusCell = h("td", null, h("span", { class: "faint" }, "\u2026"));
    var row = h("tr", { "data-provider-id": p.id, "data-provider-name": p.name },
      h("td", null,
        link(providerHref(p.id), p.name, { class: "row-link" }),
        h("span", { class: "sub" }, typePill(p.providerType))),
      scheduleCell,
      lastCell,
      statusCell,
      h("td", null, p.enabled
        ? h("span", { class: "badge badge-success" }, h("span", { class: "dot", "aria-hidden": "true" }), "Enabled")
        : h("span", { class: "badge badge-neutral" }, h("span", { class: "dot", "aria-hidden": "true" }), "Disabled")));
    rows[p.id] = { provider: p, row: row, scheduleCell: scheduleCell, lastCell: lastCell, statusCell: statusCell, running: false };
    tbody.appendChild(row);
    schedulePreview(p.syncSchedule, p.timezone, 1).then(function (s) {
      if (!v.alive) return;
      fill(scheduleCell, s.ok
        ? [h("span", { "data-testid": "schedule-words" }, s.words), s.nextRuns.length ? h("span", { class: "sub" }, "Next: " + s.nextRuns[0].label) : null]
        : h("span", { class: "mono" }, p.syncSchedule || "\u2014"));
    });
  });

  fill(body, h("section", { class: "card", "aria-labelledby": "integrations-title" },
    h("div", { class: "card-head" },
      h("div", null, h("h2", { id: "integrations-title" }, plural(providers.length, "integration")),
        h("p", null, "Status updates on its own while a sync runs."))),
    h("div", { class: "table-wrap" },
      h("table", { class: "data" },
        h("thead", null, h("tr", null,
          h("th", { scope: "col" }, "Integration"),
          h("th", { scope: "col" }, "Schedule"),
          h("th", { scope: "col" }, "Last sync"),
          h("th", { scope: "col" }, "Status"),
          h("th", { scope: "col" }, "Enabled"))),
        tbody))));

  /** Status of one row: every 2 s while its run is active, every 30 s otherwise. */
  async function refresh(id) {
    var entry = rows[id];
    var s = await api("GET", "/providers/" + encodeURIComponent(id) + "/sync/status");
    if (!v.alive) return;
    if (!s.ok) { v.later(IDLE_LIST_POLL_MS, function () { refresh(id); }); return; }
    var wasRunning = entry.running;
    var changed = entry.lastSync !== s.data.lastSync || entry.lastStatus !== s.data.lastStatus || entry.lastSync === undefined;
    entry.running = s.data.isRunning;
    entry.lastSync = s.data.lastSync;
    entry.lastStatus = s.data.lastStatus;
    fill(entry.lastCell, timeEl(s.data.lastSync, true));
    if (s.data.isRunning && s.data.currentRun) {
      fill(entry.statusCell, runProgress(s.data.currentRun, true));
      v.later(POLL_MS, function () { refresh(id); });
      return;
    }
    v.later(IDLE_LIST_POLL_MS, function () { refresh(id); });
    if (!changed && !wasRunning) return;
    // The status endpoint's lastStatus counts previews too; the list shows the last real sync.
    var runs = await api("GET", "/providers/" + encodeURIComponent(id) + "/runs?limit=10");
    if (!v.alive) return;
    var lastSync = runs.ok ? runs.data.items.filter(function (r) { return !r.dryRun && !isOpen(r); })[0] : null;
    fill(entry.statusCell, statusBadge(lastSync ? lastSync.status : runs.ok ? null : s.data.lastStatus));
    if (wasRunning) announce(entry.provider.name + ": finished, " + statusLabel(s.data.lastStatus) + ".");
  }
  providers.forEach(function (p) { refresh(p.id); });
}
`;
