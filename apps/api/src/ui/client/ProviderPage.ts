/**
 * Browser code, part 5: one integration's page. Test connection, run a sync, preview the changes
 * (a dry run, shown per kind once it finishes), cancel, enable / disable, edit the schedule,
 * delete after a confirmation; the current run's progress (status polled every 2 s while a run
 * is active), the deletion safeguard's explanation with its one-time override, and the history.
 */
export const PROVIDER_PAGE = String.raw`
var RUN_PAGE = 15;
var IDLE_POLL_MS = 15000;

function renderNotFound(what, focus) {
  newView();
  fill(mainEl,
    crumbs([{ href: BASE, label: "Integrations" }, { label: "Not found" }]),
    h("section", { class: "card empty" },
      h("h1", null, "This " + what + " was not found"),
      h("p", null, "It may have been deleted, or it belongs to a district your account cannot see."),
      link(BASE, "Back to integrations", { class: "btn btn-primary" })));
  pageReady("Not found", focus);
}

function statsTable(stats, caption) {
  return h("div", { class: "table-wrap" }, h("table", { class: "data", "data-testid": "stats-table" },
    caption ? h("caption", null, caption) : null,
    h("thead", null, h("tr", null,
      h("th", { scope: "col" }, "Kind"),
      h("th", { scope: "col", class: "num" }, "Created"),
      h("th", { scope: "col", class: "num" }, "Updated"),
      h("th", { scope: "col", class: "num" }, "Reactivated"),
      h("th", { scope: "col", class: "num" }, "Deactivated"),
      h("th", { scope: "col", class: "num" }, "Unchanged"),
      h("th", { scope: "col", class: "num" }, "Rejected rows"))),
    h("tbody", null, KINDS.map(function (k) {
      var s = stats[k[0]];
      return h("tr", { "data-kind": k[0] },
        h("th", { scope: "row" }, k[1]),
        h("td", { class: "num", "data-stat": "created" }, String(s.created)),
        h("td", { class: "num", "data-stat": "updated" }, String(s.updated)),
        h("td", { class: "num", "data-stat": "reactivated" }, String(s.reactivated)),
        h("td", { class: "num", "data-stat": "deactivated" }, String(s.deactivated)),
        h("td", { class: "num", "data-stat": "unchanged" }, String(s.unchanged)),
        h("td", { class: "num", "data-stat": "errors" }, String(s.errors)));
    }))));
}

function safeguardExplanation() {
  return h("p", null, "The safeguard stops a sync when a feed suddenly lacks many records that were there before \u2014 usually a sign of a truncated or mistaken export. If those records really were removed from your SIS, apply this feed once while ignoring the safeguard; later syncs stay protected.");
}

/** Confirms and queues a sync that ignores the safeguard once; resolves the new run id or null. */
async function overrideSafeguard(provider, run) {
  var ok = await confirmDialog({
    title: "Apply the feed once, ignoring the safeguard?",
    body: [run.errorMessage, "Records missing from the feed will be deactivated in sis-sync. The safeguard stays on for every later sync."],
    confirmLabel: "Apply once",
    danger: true,
  });
  if (!ok) return null;
  var r = await api("POST", "/providers/" + encodeURIComponent(provider.id) + "/sync", { overrideSafeguard: true });
  if (!r.ok) { toast(r.problem.detail, "error"); return null; }
  toast("Sync started with the safeguard overridden for this run.");
  return r.data.runId;
}

function historyTable(runs, more) {
  if (runs.length === 0) {
    return h("div", { class: "card-body muted" }, "No syncs yet. Preview the changes or run a first sync.");
  }
  return [
    h("div", { class: "table-wrap" }, h("table", { class: "data compact", "data-testid": "history" },
      h("thead", null, h("tr", null,
        h("th", { scope: "col" }, "Status"),
        h("th", { scope: "col" }, "Started"),
        h("th", { scope: "col", class: "num" }, "Duration"),
        KINDS.map(function (k) { return h("th", { scope: "col" }, k[1]); }),
        h("th", { scope: "col", class: "num" }, "Issues"))),
      h("tbody", null, runs.map(function (run) {
        var applied = !run.dryRun && run.status !== "FAILURE" && run.status !== "CANCELLED";
        return h("tr", { "data-run-id": run.id, "data-status": run.status, class: applied || isOpen(run) ? null : "not-applied" },
          h("td", null, statusBadge(run.status)),
          h("td", { class: "nowrap" }, link(runHref(run.id), formatDateTime(run.startedAt || run.createdAt), { class: "row-link", "data-key": "run-" + run.id }),
            h("span", { class: "sub" }, run.isManual ? "Manual" : "Scheduled",
              run.dryRun ? [" ", h("span", { class: "tag tag-preview" }, "Preview")] : null,
              run.overrideSafeguard ? [" ", h("span", { class: "tag tag-override" }, "Override")] : null)),
          h("td", { class: "num" }, formatDuration(run)),
          KINDS.map(function (k) { return h("td", null, deltas(run.stats && run.stats[k[0]]), applied || isOpen(run) || !run.stats ? null : srOnly(" (not applied)")); }),
          h("td", { class: "num" }, String(run.issueCount)));
      })))),
    more ? h("div", { class: "card-foot" }, more) : null,
  ];
}

async function renderProvider(id, focus) {
  var v = newView();
  fill(mainEl, h("div", { class: "page-loading", role: "status" }, "Loading\u2026"));
  var results = await Promise.all([api("GET", "/providers/" + encodeURIComponent(id)), loadPresets()]);
  if (!v.alive) return;
  var pr = results[0];
  var presets = results[1];
  if (pr.status === 404) { renderNotFound("integration", focus); return; }
  if (!pr.ok) { fill(mainEl, callout("danger", "The integration could not be loaded", h("p", null, pr.problem.detail))); return; }
  if (isPlatformAdmin() && session.tenant !== pr.data.tenantId) chooseTenant(pr.data.tenantId);

  var st = { provider: pr.data, status: null, runs: [], tracked: null, test: null, preview: null, editing: false, schedule: null };
  var path = "/providers/" + encodeURIComponent(id);

  var headEl = h("div");
  var toolbarEl = h("div", { class: "toolbar", role: "group", "aria-label": "Actions" });
  var noticesEl = h("div", { class: "stack" });
  var statusEl = h("div", { class: "card-body" });
  var detailsEl = h("div", { class: "card-body" });
  var settingsActions = h("div");
  var historyEl = h("div");
  fill(mainEl,
    headEl,
    h("div", { class: "stack" },
      toolbarEl,
      noticesEl,
      h("div", { class: "grid-2" },
        h("section", { class: "card", "aria-labelledby": "status-title" },
          h("div", { class: "card-head" }, h("h2", { id: "status-title" }, "Sync status")),
          h("div", { "data-testid": "sync-status" }, statusEl)),
        h("section", { class: "card", "aria-labelledby": "details-title" },
          h("div", { class: "card-head" }, h("h2", { id: "details-title" }, "Settings"), settingsActions),
          detailsEl)),
      h("section", { class: "card", "aria-labelledby": "history-title" },
        h("div", { class: "card-head" },
          h("div", null, h("h2", { id: "history-title" }, "History"), h("p", null, "Recent syncs and previews, newest first.")),
          deltaLegend()),
        historyEl),
      h("section", { class: "card danger-zone", "aria-labelledby": "danger-title" },
        h("div", { class: "card-head" },
          h("div", null, h("h2", { id: "danger-title" }, "Delete this integration"),
            h("p", null, "Removes the connection and its run history. Records it already synced stay in sis-sync.")),
          h("button", { type: "button", class: "btn btn-danger-outline", on: { click: function (e) { remove(e.currentTarget); } } }, "Delete integration")))));

  function running() { return !!(st.status && st.status.isRunning); }

  function drawHead() {
    var p = st.provider;
    fill(headEl,
      crumbs([{ href: BASE, label: "Integrations" }, { label: p.name }]),
      h("div", { class: "page-head" },
        h("div", null,
          h("div", { class: "title-row" },
            h("h1", null, p.name),
            typePill(p.providerType),
            p.enabled
              ? h("span", { class: "badge badge-success" }, h("span", { class: "dot", "aria-hidden": "true" }), "Enabled")
              : h("span", { class: "badge badge-neutral" }, h("span", { class: "dot", "aria-hidden": "true" }), "Disabled")),
          h("p", { class: "lead" }, st.schedule ? st.schedule.words : "\u2026"))));
    document.title = p.name + " \u00b7 SIS Sync";
  }

  function drawToolbar() {
    var p = st.provider;
    var busyRun = running();
    var syncHint = !p.enabled ? "Enable the integration to sync" : busyRun ? "A sync is already running" : null;
    fill(toolbarEl,
      h("button", { type: "button", class: "btn btn-primary", disabled: !p.enabled || busyRun, title: syncHint, "data-key": "sync",
        on: { click: function (e) { startSync(e.currentTarget, {}); } } }, "Run sync now"),
      h("button", { type: "button", class: "btn", disabled: !p.enabled || busyRun, title: syncHint, "data-key": "preview",
        on: { click: function (e) { startSync(e.currentTarget, { dryRun: true }); } } }, "Preview changes"),
      h("button", { type: "button", class: "btn", "data-key": "test", on: { click: function (e) { testConnection(e.currentTarget); } } }, "Test connection"),
      busyRun ? h("button", { type: "button", class: "btn btn-danger-outline", "data-key": "cancel", on: { click: function (e) { cancel(e.currentTarget); } } }, "Cancel sync") : null,
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "btn", "aria-describedby": "enabled-hint", "data-key": "toggle", on: { click: function (e) { toggleEnabled(e.currentTarget); } } },
        p.enabled ? "Disable" : "Enable"),
      h("span", { class: "sr-only", id: "enabled-hint" }, p.enabled ? "Stops scheduled and manual syncs until enabled again." : "Allows scheduled and manual syncs."));
  }

  function drawStatus() {
    var s = st.status;
    if (!s) { fill(statusEl, h("p", { class: "muted" }, "Loading\u2026")); return; }
    if (s.isRunning && s.currentRun) {
      var run = s.currentRun;
      fill(statusEl, h("div", { class: "stack" },
        h("div", { class: "title-row" }, statusBadge(run.status), run.dryRun ? h("span", { class: "tag tag-preview" }, "Preview") : null,
          run.overrideSafeguard ? h("span", { class: "tag tag-override" }, "Override") : null,
          link(runHref(run.id), "View run", { "data-key": "current-run" })),
        runProgress(run, false)));
      return;
    }
    var last = st.runs[0];
    var summary = last ? null : h("p", { class: "card-note" }, "Next steps: test the connection, preview the changes, then run the first sync.");
    if (last && last.stats) {
      var appliedLast = !last.dryRun && last.status !== "FAILURE" && last.status !== "CANCELLED";
      summary = h("div", null,
        h("div", { class: "kind-summary" }, KINDS.map(function (k) {
          return h("div", { class: "stat" }, h("div", { class: "stat-label" }, k[1]), deltas(last.stats[k[0]]));
        })),
        h("p", { class: "card-note" }, last.dryRun ? "Last run was a preview: nothing was applied." : appliedLast ? "Changes applied by the last run." : "What the last run would have changed; nothing was applied."));
    }
    fill(statusEl, factsList([
      ["Last sync", s.lastSync ? h("span", null, formatDateTime(s.lastSync), h("span", { class: "faint" }, " (" + formatRelative(s.lastSync) + ")")) : h("span", { class: "faint" }, "Never")],
      ["Last result", last ? h("span", { class: "title-row" }, statusBadge(last.status), last.dryRun ? h("span", { class: "tag tag-preview" }, "Preview") : null, link(runHref(last.id), "View run")) : statusBadge(null)],
      ["Next scheduled", st.schedule && st.schedule.nextRuns && st.schedule.nextRuns.length && st.provider.enabled ? st.schedule.nextRuns[0].label : h("span", { class: "faint" }, st.provider.enabled ? "Not scheduled" : "Disabled")],
    ]), summary);
  }

  function drawDetails() {
    var p = st.provider;
    var o = p.options || {};
    var scheduleBlock;
    if (st.editing) {
      clear(settingsActions);
      fill(detailsEl, h("div", { class: "stack" }, h("h3", null, "Edit schedule"), scheduleEditForm()));
      return;
    }
    fill(settingsActions, h("button", { type: "button", class: "btn btn-sm", on: { click: function () {
      st.editing = true;
      drawDetails();
      var first = detailsEl.querySelector("input:checked") || detailsEl.querySelector("input");
      if (first) first.focus();
    } } }, "Edit schedule"));
    scheduleBlock = h("span", { "data-testid": "schedule-words" }, st.schedule ? st.schedule.words : "\u2026");
    fill(detailsEl, h("div", { class: "stack" },
      factsList([["Schedule", scheduleBlock], ["Provider", typeInfo(p.providerType).title]].concat(configFacts(p.providerType, p.config)).concat([
        ["Safeguard limit", (o.safeguardPercent === undefined ? 20 : o.safeguardPercent) + "% per kind"],
        ["New people", o.createUsers === false ? "Only existing accounts are updated" : "Accounts are created"],
      ]))));
  }

  function scheduleEditForm() {
    var editorState = scheduleState(st.provider.syncSchedule, st.provider.timezone, presets);
    var editor = scheduleEditor(editorState, presets, function () {});
    var save = h("button", { type: "submit", class: "btn btn-primary" }, "Save schedule");
    var form = h("form", { class: "form", novalidate: true, "aria-label": "Edit schedule" }, editor.el,
      h("div", { class: "form-actions" }, save,
        h("button", { type: "button", class: "btn", on: { click: function () { st.editing = false; drawDetails(); } } }, "Cancel")));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (Object.keys(editor.check()).length) return;
      busy(save, async function () {
        var value = editor.value();
        var r = await api("PATCH", path, { syncSchedule: value.syncSchedule, timezone: value.timezone });
        if (!v.alive) return;
        if (!r.ok) {
          var mapped = apiFieldErrors(r.problem, { syncSchedule: "Schedule", timezone: "Time zone" });
          editor.setErrors(mapped.byPath);
          if (mapped.general.length) toast(mapped.general.join(" "), "error");
          return;
        }
        st.provider = r.data;
        st.editing = false;
        await loadSchedule();
        drawAll();
        toast("Schedule saved: " + st.schedule.words);
      });
    });
    return form;
  }

  function drawNotices() {
    var items = [];
    if (st.test) {
      items.push(callout(st.test.success ? "success" : "danger", st.test.success ? "Connection works" : "Connection failed",
        h("p", { "data-testid": "test-message" }, st.test.message),
        [h("button", { type: "button", class: "btn btn-sm", on: { click: function () { st.test = null; drawNotices(); } } }, "Dismiss")],
        { "data-testid": "test-result" }));
    }
    if (st.preview) {
      var run = st.preview;
      var dismiss = h("button", { type: "button", class: "btn btn-sm", on: { click: function () { st.preview = null; drawNotices(); } } }, "Dismiss");
      if (isSafeguardFailure(run)) {
        items.push(callout("warning", "A sync now would be stopped by the deletion safeguard",
          [h("p", null, run.errorMessage), statsTable(run.stats, "What the feed would change (nothing was applied)")],
          [link(runHref(run.id), "Preview details", { class: "btn btn-sm" }), dismiss], { "data-testid": "preview-result" }));
      } else if (run.status === "FAILURE" || run.status === "CANCELLED") {
        items.push(callout("danger", run.status === "CANCELLED" ? "The preview was cancelled" : "The preview failed",
          h("p", null, run.errorMessage || "No reason was given."), [dismiss], { "data-testid": "preview-result" }));
      } else {
        items.push(callout("info", "Preview: what a sync would change now",
          [h("p", null, "Nothing was changed. This is what the feed holds right now compared with sis-sync" + (run.issueCount ? "; " + plural(run.issueCount, "row issue") + " found." : ".")),
            statsTable(run.stats, null)],
          [h("button", { type: "button", class: "btn btn-sm btn-primary", disabled: running() || !st.provider.enabled,
            on: { click: function (e) { st.preview = null; startSync(e.currentTarget, {}); } } }, "Apply these changes"),
            link(runHref(run.id), "Preview details", { class: "btn btn-sm" }), dismiss],
          { "data-testid": "preview-result" }));
      }
    }
    var last = st.runs[0];
    if (!running() && last && !last.dryRun && isSafeguardFailure(last)) {
      items.push(callout("warning", "The last sync was stopped by the deletion safeguard",
        [h("p", null, last.errorMessage), safeguardExplanation()],
        [h("button", { type: "button", class: "btn btn-sm btn-danger", on: { click: function (e) {
            var button = e.currentTarget;
            busy(button, async function () {
              var runId = await overrideSafeguard(st.provider, last);
              if (runId && v.alive) { st.tracked = runId; await refreshStatus(); }
            });
          } } }, "Apply once, ignoring the safeguard"),
          link(runHref(last.id), "View run", { class: "btn btn-sm" })],
        { "data-testid": "safeguard-callout" }));
    }
    fill(noticesEl, items);
  }

  function drawHistory() {
    var more = st.moreRuns ? h("button", { type: "button", class: "btn btn-sm", on: { click: function (e) {
      busy(e.currentTarget, async function () {
        var r = await api("GET", path + "/runs?limit=" + RUN_PAGE + "&offset=" + st.runs.length);
        if (!v.alive || !r.ok) return;
        var known = {};
        st.runs.forEach(function (run) { known[run.id] = true; });
        st.runs = st.runs.concat(r.data.items.filter(function (run) { return !known[run.id]; }));
        st.moreRuns = r.data.hasMore;
        drawHistory();
        announce(plural(st.runs.length, "run") + " shown.");
      });
    } } }, "Show older runs") : null;
    fill(historyEl, historyTable(st.runs, more));
  }

  function drawAll() { drawHead(); drawToolbar(); drawStatus(); if (!st.editing) drawDetails(); drawNotices(); drawHistory(); }

  async function loadSchedule() {
    st.schedule = await schedulePreview(st.provider.syncSchedule, st.provider.timezone, 3);
    if (!st.schedule.ok) st.schedule = { words: st.provider.syncSchedule || "Manual only", nextRuns: [] };
  }

  async function loadRuns() {
    var r = await api("GET", path + "/runs?limit=" + Math.min(100, Math.max(RUN_PAGE, st.runs.length)));
    if (v.alive && r.ok) { st.runs = r.data.items; st.moreRuns = r.data.hasMore; }
  }

  async function reloadProvider() {
    var r = await api("GET", path);
    if (v.alive && r.ok) st.provider = r.data;
  }

  var pollTimer = null;
  function schedulePoll(ms) {
    if (pollTimer !== null) clearTimeout(pollTimer);
    pollTimer = v.later(ms, function () { pollTimer = null; refreshStatus(true); });
  }

  /**
   * Reads the sync status: every 2 s while a run is active (the progress updates in place), every
   * 15 s otherwise (to notice scheduled runs and other admins' syncs). Redraws keep the focus.
   */
  async function refreshStatus(fromPoll) {
    var s = await api("GET", path + "/sync/status");
    if (!v.alive) return;
    if (!s.ok) {
      if (s.status === 404) { renderNotFound("integration", false); return; }
      schedulePoll(IDLE_POLL_MS);
      return;
    }
    var wasRunning = running();
    var before = st.status;
    st.status = s.data;
    if (s.data.isRunning) {
      if (!wasRunning) { await loadRuns(); if (!v.alive) return; }
      var current = s.data.currentRun;
      var historyChanged = !wasRunning;
      if (current) {
        var known = st.runs.filter(function (r) { return r.id === current.id; })[0];
        if (!known || known.status !== current.status) historyChanged = true;
        st.runs = known ? st.runs.map(function (r) { return r.id === current.id ? current : r; }) : [current].concat(st.runs);
        var phase = current.status === "PENDING" ? "queued" : current.phase;
        if (phase !== st.lastPhase) { st.lastPhase = phase; announce((current.dryRun ? "Preview: " : "Sync: ") + phaseLabel(current) + "."); }
      }
      keepingFocus(function () {
        if (!wasRunning) { drawToolbar(); drawNotices(); }
        if (historyChanged) drawHistory();
        drawStatus();
      });
      schedulePoll(POLL_MS);
      return;
    }
    st.lastPhase = null;
    if (wasRunning || st.tracked) {
      await Promise.all([loadRuns(), reloadProvider()]);
      if (!v.alive) return;
      var finished = st.runs.filter(function (r) { return r.id === st.tracked; })[0] || st.runs[0];
      if (st.tracked && finished && finished.dryRun) st.preview = finished;
      st.tracked = null;
      if (finished) announce((finished.dryRun ? "Preview" : "Sync") + " finished: " + statusLabel(finished.status) + ".");
      keepingFocus(drawAll);
    } else if (!fromPoll) {
      keepingFocus(drawAll);
    } else if (before && (before.lastSync !== s.data.lastSync || before.lastStatus !== s.data.lastStatus)) {
      await loadRuns();
      if (!v.alive) return;
      keepingFocus(drawAll);
    }
    schedulePoll(IDLE_POLL_MS);
  }

  async function startSync(button, body) {
    await busy(button, async function () {
      st.preview = null;
      var r = await api("POST", path + "/sync", body);
      if (!v.alive) return;
      if (!r.ok) {
        var detail = r.problem.detail === "Provider disabled" ? "This integration is disabled. Enable it to sync." : r.problem.detail;
        toast(detail, "error");
        return;
      }
      st.tracked = r.data.runId;
      announce(body.dryRun ? "Preview started." : "Sync started.");
    });
    if (v.alive && st.tracked) {
      await refreshStatus();
      // The button that started it is disabled now; the next useful control is Cancel.
      var cancelButton = toolbarEl.querySelector('[data-key="cancel"]');
      if (cancelButton && (document.activeElement === document.body || !document.activeElement)) cancelButton.focus();
    }
  }

  async function cancel(button) {
    await busy(button, async function () {
      var r = await api("POST", path + "/sync/cancel");
      if (!v.alive) return;
      if (!r.ok) { toast(r.problem.detail, "error"); return; }
      toast(r.data.status === "CANCELLED" ? "The queued sync was cancelled." : "Cancelling: the sync stops at its next checkpoint and applies nothing.");
    });
    if (v.alive) await refreshStatus();
  }

  async function testConnection(button) {
    await busy(button, async function () {
      var r = await api("POST", path + "/test");
      if (!v.alive) return;
      if (!r.ok) { toast(r.problem.detail, "error"); return; }
      st.test = r.data;
      announce("Connection test: " + (st.test.success ? "works. " : "failed. ") + st.test.message);
      drawNotices();
    });
  }

  async function toggleEnabled(button) {
    var enable = !st.provider.enabled;
    await busy(button, async function () {
      var r = await api("PATCH", path, { enabled: enable });
      if (!v.alive) return;
      if (!r.ok) { toast(r.problem.detail, "error"); return; }
      st.provider = r.data;
      toast(enable ? "Integration enabled." : "Integration disabled: no syncs run until you enable it again.");
    });
    if (!v.alive) return;
    keepingFocus(drawAll);
  }

  async function remove(button) {
    var name = st.provider.name;
    var ok = await confirmDialog({
      title: "Delete \u201c" + name + "\u201d?",
      body: ["The connection and its run history are deleted. Schools, classes, people and enrollments it already synced stay in sis-sync.", "This cannot be undone."],
      confirmLabel: "Delete integration",
      danger: true,
    });
    if (!ok) return;
    await busy(button, async function () {
      var r = await api("DELETE", path);
      if (!v.alive) return;
      if (!r.ok) { toast(r.problem.detail, "error"); return; }
      toast("\u201c" + name + "\u201d was deleted.");
      navigate(BASE);
    });
  }

  await loadSchedule();
  if (!v.alive) return;
  drawAll();
  pageReady(st.provider.name, focus);
  await loadRuns();
  if (!v.alive) return;
  drawHistory();
  drawNotices();
  await refreshStatus();
}
`;
