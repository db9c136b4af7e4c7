/**
 * Browser code, part 6: one run's page. Its status and statistics per kind, its progress while it
 * runs, why it failed (the deletion safeguard explains itself and offers the one-time override),
 * and its row-level issues (file, line, record, message) with kind / severity filters, paging and
 * a CSV download of everything the filters match.
 */
export const RUN_PAGE = String.raw`
var ISSUE_PAGE = 50;

function csvCell(value) {
  if (value === null || value === undefined) return "";
  var text = String(value);
  // Spreadsheet formula injection: a cell that starts like a formula is kept as text.
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = "'" + text;
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

function issuesCsv(items) {
  var lines = [["severity", "kind", "code", "file", "line", "record", "message"].join(",")];
  items.forEach(function (i) {
    lines.push([i.severity, i.kind, i.code, i.file, i.line, i.externalId, i.message].map(csvCell).join(","));
  });
  return "\ufeff" + lines.join("\r\n") + "\r\n";
}

function saveFile(name, text, type) {
  var url = URL.createObjectURL(new Blob([text], { type: type }));
  var a = h("a", { href: url, download: name, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
}

function severityBadge(severity) {
  return severity === "error"
    ? h("span", { class: "badge badge-danger" }, h("span", { class: "dot", "aria-hidden": "true" }), "Error")
    : h("span", { class: "badge badge-warning" }, h("span", { class: "dot", "aria-hidden": "true" }), "Warning");
}

async function renderRun(id, focus) {
  var v = newView();
  fill(mainEl, h("div", { class: "page-loading", role: "status" }, "Loading\u2026"));
  var r = await api("GET", "/runs/" + encodeURIComponent(id));
  if (!v.alive) return;
  if (r.status === 404) { renderNotFound("run", focus); return; }
  if (!r.ok) { fill(mainEl, callout("danger", "The run could not be loaded", h("p", null, r.problem.detail))); return; }
  var st = { run: r.data, provider: null, newest: null, filters: { kind: "", severity: "" }, issues: [], hasMore: false, issueSeq: 0 };
  var pr = await api("GET", "/providers/" + encodeURIComponent(st.run.providerId));
  if (!v.alive) return;
  st.provider = pr.ok ? pr.data : null;

  var headEl = h("div");
  var liveEl2 = h("div", { class: "sr-only", "aria-live": "polite", "data-testid": "run-status" });
  var outcomeEl = h("div", { class: "stack" });
  var summaryEl = h("div");
  var summaryHead = h("div", { class: "card-head" });
  var issuesBody = h("div");
  var issueCountEl = h("p");
  var kindSelect = h("select", { id: "filter-kind" },
    h("option", { value: "" }, "All kinds"), KINDS.map(function (k) { return h("option", { value: k[2] }, k[1]); }));
  var severitySelect = h("select", { id: "filter-severity" },
    h("option", { value: "" }, "Errors and warnings"), h("option", { value: "error" }, "Errors only"), h("option", { value: "warning" }, "Warnings only"));
  kindSelect.addEventListener("change", function () { st.filters.kind = kindSelect.value; loadIssues(false); });
  severitySelect.addEventListener("change", function () { st.filters.severity = severitySelect.value; loadIssues(false); });
  var download = h("button", { type: "button", class: "btn", on: { click: function (e) { downloadCsv(e.currentTarget); } } }, "Download CSV");

  fill(mainEl, headEl, h("div", { class: "stack" },
    liveEl2,
    outcomeEl,
    h("section", { class: "card", "aria-labelledby": "summary-title" },
      summaryHead,
      summaryEl),
    h("section", { class: "card", "aria-labelledby": "issues-title" },
      h("div", { class: "card-head" },
        h("div", null, h("h2", { id: "issues-title" }, "Row issues"), issueCountEl),
        download),
      h("div", { class: "card-body" },
        h("form", { class: "filters", "aria-label": "Filter issues", novalidate: true, on: { submit: function (e) { e.preventDefault(); } } },
          h("div", { class: "field" }, h("label", { for: "filter-kind" }, "Kind"), kindSelect),
          h("div", { class: "field" }, h("label", { for: "filter-severity" }, "Severity"), severitySelect))),
      issuesBody)));

  function drawHead() {
    var run = st.run;
    var providerLabel = st.provider ? st.provider.name : "Integration";
    fill(headEl,
      crumbs([{ href: BASE, label: "Integrations" }, { href: providerHref(run.providerId), label: providerLabel }, { label: "Run" }]),
      h("div", { class: "page-head" },
        h("div", null,
          h("div", { class: "title-row" },
            h("h1", null, run.dryRun ? "Preview run" : "Sync run"),
            statusBadge(run.status),
            run.dryRun ? h("span", { class: "tag tag-preview" }, "Preview") : null,
            run.overrideSafeguard ? h("span", { class: "tag tag-override" }, "Safeguard overridden") : null),
          h("div", { class: "meta" },
            h("span", null, "Started ", h("strong", null, formatDateTime(run.startedAt || run.createdAt))),
            h("span", null, "Duration ", h("strong", null, formatDuration(run))),
            h("span", null, run.isManual ? "Started by hand" : "Scheduled"),
            h("span", { class: "mono faint", title: "Run id" }, run.id))),
        link(providerHref(run.providerId), "Back to integration", { class: "btn", "data-key": "back" })));
  }

  function drawOutcome() {
    var run = st.run;
    var items = [];
    if (isOpen(run)) {
      items.push(h("section", { class: "card", "aria-label": "Progress" }, h("div", { class: "card-body stack" },
        runProgress(run, false),
        h("div", null, h("button", { type: "button", class: "btn btn-danger-outline", "data-key": "cancel", on: { click: function (e) { cancel(e.currentTarget); } } }, "Cancel sync")))));
    } else if (isSafeguardFailure(run)) {
      var actions = [];
      var canOverride = !run.dryRun && st.provider && st.newest && st.newest.id === run.id;
      if (canOverride) {
        actions.push(h("button", { type: "button", class: "btn btn-danger", on: { click: function (e) {
          var button = e.currentTarget;
          busy(button, async function () {
            var runId = await overrideSafeguard(st.provider, run);
            if (runId && v.alive) navigate(runHref(runId));
          });
        } } }, "Apply once, ignoring the safeguard"));
      }
      var note = run.dryRun
        ? h("p", null, "This was a preview, so nothing would have been applied anyway. A real sync of the same feed stops the same way.")
        : !canOverride && st.newest ? h("p", { class: "muted" }, "A newer run of this integration exists; the override is offered on the latest run only.") : null;
      items.push(callout("warning", run.dryRun ? "A sync would be stopped by the deletion safeguard" : "Stopped by the deletion safeguard",
        [h("p", null, run.errorMessage), safeguardExplanation(), note], actions, { "data-testid": "safeguard-callout" }));
    } else if (run.status === "FAILURE") {
      items.push(callout("danger", "The sync failed", h("p", null, run.errorMessage || "No reason was recorded."),
        null, { "data-testid": "failure-callout" }));
    } else if (run.status === "CANCELLED") {
      items.push(callout("info", "The sync was cancelled", h("p", null, (run.errorMessage ? run.errorMessage + ". " : "") + "Nothing was applied.")));
    } else if (run.status === "PARTIAL") {
      items.push(callout("warning", "Completed with issues", h("p", null, "Some rows were rejected and skipped; everything else was " + (run.dryRun ? "checked" : "applied") + ". The rows are listed below.")));
    }
    fill(outcomeEl, items);
  }

  function drawSummary() {
    var run = st.run;
    var notApplied = run.dryRun || run.status === "FAILURE" || run.status === "CANCELLED";
    fill(summaryHead, h("div", null,
      h("h2", { id: "summary-title" }, run.dryRun ? "What the sync would change" : notApplied && !isOpen(run) ? "What the sync would have changed" : "What changed"),
      h("p", null, run.dryRun ? "A preview: nothing was applied." : notApplied && !isOpen(run) ? "Nothing was applied; these are the changes the feed asked for." : "Records created, updated and deactivated, per kind.")));
    if (!run.stats) {
      fill(summaryEl, h("div", { class: "card-body muted" }, isOpen(run) ? "The numbers appear when the run finishes." : "This run recorded no statistics."));
      return;
    }
    var users = run.stats.users;
    var m = users.matchedBy || { externalId: 0, email: 0, studentNumber: 0 };
    fill(summaryEl,
      statsTable(run.stats, null),
      h("div", { class: "card-foot muted" },
        "Existing people were matched by SIS id (" + m.externalId + "), email (" + m.email + ") and student number (" + m.studentNumber + ")."));
  }

  function issueQuery(offset, limit) {
    return query({ limit: limit, offset: offset, kind: st.filters.kind, severity: st.filters.severity });
  }

  async function loadIssues(more) {
    var seq = ++st.issueSeq;
    var offset = more ? st.issues.length : 0;
    if (!more) fill(issuesBody, h("div", { class: "card-body muted", role: "status" }, "Loading issues\u2026"));
    var res = await api("GET", "/runs/" + encodeURIComponent(id) + "/issues" + issueQuery(offset, ISSUE_PAGE));
    if (!v.alive || seq !== st.issueSeq) return;
    if (!res.ok) { fill(issuesBody, h("div", { class: "card-body" }, callout("danger", "The issues could not be loaded", h("p", null, res.problem.detail)))); return; }
    st.issues = more ? st.issues.concat(res.data.items) : res.data.items;
    st.hasMore = res.data.hasMore;
    drawIssues(more);
  }

  function drawIssues(more) {
    var filtered = st.filters.kind || st.filters.severity;
    fill(issueCountEl, st.run.issueCount === 0 ? "Every row was read cleanly." : plural(st.run.issueCount, "issue") + " in this run" + (filtered ? "; showing those that match the filters." : "."));
    if (st.issues.length === 0) {
      fill(issuesBody, h("div", { class: "card-body muted", "data-testid": "issues-empty" }, filtered ? "No issues match these filters." : "No row issues."));
      return;
    }
    var rows = st.issues.map(function (i) {
      return h("tr", { "data-severity": i.severity, "data-kind": i.kind || "" },
        h("td", null, severityBadge(i.severity)),
        h("td", null, i.kind || "\u2014"),
        h("td", { class: "mono" }, i.file || "\u2014"),
        h("td", { class: "num" }, i.line === null ? "\u2014" : String(i.line)),
        h("td", { class: "mono" }, i.externalId || "\u2014"),
        h("td", { class: "cell-message" }, i.message, h("span", { class: "sub mono" }, i.code)));
    });
    var more2 = st.hasMore ? h("div", { class: "card-foot" }, h("button", { type: "button", class: "btn", on: { click: function (e) { busy(e.currentTarget, function () { return loadIssues(true); }); } } }, "Show more issues")) : null;
    fill(issuesBody,
      h("div", { class: "table-wrap" }, h("table", { class: "data", "data-testid": "issues" },
        h("caption", { class: "sr-only" }, "Row issues, " + st.issues.length + " shown"),
        h("thead", null, h("tr", null,
          h("th", { scope: "col" }, "Severity"), h("th", { scope: "col" }, "Kind"), h("th", { scope: "col" }, "File"),
          h("th", { scope: "col", class: "num" }, "Line"), h("th", { scope: "col" }, "Record"), h("th", { scope: "col" }, "Message"))),
        h("tbody", null, rows))),
      more2);
    if (more) announce(plural(st.issues.length, "issue") + " shown.");
  }

  async function downloadCsv(button) {
    await busy(button, async function () {
      var all = [];
      for (var offset = 0; offset < 100000; offset += 100) {
        var res = await api("GET", "/runs/" + encodeURIComponent(id) + "/issues" + issueQuery(offset, 100));
        if (!res.ok) { toast("The download failed: " + res.problem.detail, "error"); return; }
        all = all.concat(res.data.items);
        if (!res.data.hasMore) break;
      }
      saveFile("sis-sync-run-" + id.slice(0, 8) + "-issues.csv", issuesCsv(all), "text/csv;charset=utf-8");
      announce("Downloaded " + plural(all.length, "issue") + " as CSV.");
    });
  }

  async function cancel(button) {
    await busy(button, async function () {
      var res = await api("POST", "/providers/" + encodeURIComponent(st.run.providerId) + "/sync/cancel");
      if (!res.ok) { toast(res.problem.detail, "error"); return; }
      toast("Cancelling: the sync stops at its next checkpoint and applies nothing.");
    });
  }

  async function loadNewest() {
    var res = await api("GET", "/providers/" + encodeURIComponent(st.run.providerId) + "/runs?limit=1");
    st.newest = res.ok ? res.data.items[0] || null : null;
  }

  function drawAll() { drawHead(); drawOutcome(); drawSummary(); }

  async function poll() {
    var res = await api("GET", "/runs/" + encodeURIComponent(id));
    if (!v.alive || !res.ok) return;
    st.run = res.data;
    if (isOpen(st.run)) { keepingFocus(drawAll); v.later(POLL_MS, poll); return; }
    await loadNewest();
    if (!v.alive) return;
    keepingFocus(drawAll);
    fill(liveEl2, (st.run.dryRun ? "Preview" : "Sync") + " finished: " + statusLabel(st.run.status) + ".");
    loadIssues(false);
  }

  if (!isOpen(st.run)) await loadNewest();
  if (!v.alive) return;
  drawAll();
  pageReady(st.run.dryRun ? "Preview run" : "Sync run", focus);
  loadIssues(false);
  if (isOpen(st.run)) v.later(POLL_MS, poll);
}
`;
