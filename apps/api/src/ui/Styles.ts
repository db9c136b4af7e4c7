/**
 * The admin page's stylesheet: system fonts, a neutral palette whose text colours all pass WCAG AA
 * contrast on their backgrounds, visible focus rings, and the few components the page is built
 * from (cards, tables, badges, buttons, forms, stepper, dialogs, toasts).
 */
export const STYLES = String.raw`
:root {
  --bg: #f5f6f8;
  --surface: #ffffff;
  --surface-2: #f9fafb;
  --border: #e2e5ea;
  --border-strong: #cdd2da;
  --text: #18202b;
  --muted: #555f6d;
  --faint: #6b7482;
  --primary: #2b55c7;
  --primary-hover: #2248ad;
  --primary-soft: #eaf0fd;
  --focus: #2b55c7;
  --success: #166a3f;
  --success-soft: #e5f4eb;
  --warning: #7f5200;
  --warning-soft: #fff3d6;
  --danger: #b42318;
  --danger-hover: #98190f;
  --danger-soft: #fdeceb;
  --info: #1e4fc2;
  --info-soft: #e8effd;
  --neutral: #4a5565;
  --neutral-soft: #eef0f3;
  --radius: 10px;
  --radius-sm: 6px;
  --shadow: 0 1px 2px rgba(16, 24, 40, .05), 0 1px 3px rgba(16, 24, 40, .06);
  --shadow-lg: 0 12px 32px rgba(16, 24, 40, .18);
  --font: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text); font: 15px/1.5 var(--font);
  -webkit-font-smoothing: antialiased; text-rendering: optimizeLegibility;
}
h1, h2, h3 { line-height: 1.25; margin: 0; color: var(--text); }
h1 { font-size: 1.6rem; font-weight: 650; letter-spacing: -.01em; }
h2 { font-size: 1.1rem; font-weight: 620; }
h3 { font-size: .95rem; font-weight: 620; }
p { margin: 0; }
a { color: var(--primary); text-underline-offset: 2px; }
a:hover { color: var(--primary-hover); }
code, .mono { font-family: var(--mono); font-size: .86em; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
.sr-only {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.skip-link { position: absolute; left: 12px; top: 12px; z-index: 100; background: var(--surface); padding: 8px 14px; border-radius: var(--radius-sm); transform: translateY(-200%); }
.skip-link:focus { transform: none; box-shadow: var(--shadow-lg); }

/* Top bar */
.topbar { background: var(--surface); border-bottom: 1px solid var(--border); }
.topbar-inner { max-width: 1180px; margin: 0 auto; padding: 0 28px; height: 60px; display: flex; align-items: center; gap: 28px; }
.brand { display: inline-flex; align-items: center; gap: 10px; color: var(--text); text-decoration: none; font-weight: 680; font-size: 1.02rem; }
.brand:hover { color: var(--text); }
.brand-mark { position: relative; width: 28px; height: 28px; border-radius: 8px; background: linear-gradient(135deg, #2b55c7, #4f7cf0); display: inline-block; }
.brand-mark span { position: absolute; width: 10px; height: 10px; border-radius: 50%; border: 2px solid #fff; top: 9px; }
.brand-mark span:first-child { left: 5px; }
.brand-mark span:last-child { left: 12px; background: rgba(255, 255, 255, .35); }
.topnav { display: flex; gap: 4px; }
.topnav a { color: var(--muted); text-decoration: none; padding: 7px 12px; border-radius: var(--radius-sm); font-weight: 550; }
.topnav a:hover { background: var(--neutral-soft); color: var(--text); }
.topnav a[aria-current="page"] { color: var(--primary); background: var(--primary-soft); }
.identity { margin-left: auto; display: flex; align-items: center; gap: 12px; color: var(--muted); font-size: .9rem; }
.identity .who { display: flex; flex-direction: column; align-items: flex-end; line-height: 1.25; }
.identity .who strong { color: var(--text); font-weight: 600; }

/* Page */
.main { max-width: 1180px; margin: 0 auto; padding: 28px 28px 64px; outline: none; }
.page-loading { color: var(--muted); padding: 40px 0; }
.page-head { display: flex; align-items: flex-start; justify-content: space-between; gap: 20px; margin-bottom: 22px; flex-wrap: wrap; }
.page-head .lead { color: var(--muted); margin-top: 6px; max-width: 70ch; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.crumbs { font-size: .88rem; color: var(--muted); margin-bottom: 10px; }
.crumbs ol { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px; }
.crumbs li + li::before { content: "/"; margin-right: 6px; color: var(--border-strong); }
.crumbs a { color: var(--muted); text-decoration: none; }
.crumbs a:hover { color: var(--primary); text-decoration: underline; }
.stack { display: flex; flex-direction: column; gap: 20px; }
.stack > :empty { display: none; }
.grid-2 { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 20px; }
@media (max-width: 900px) { .grid-2 { grid-template-columns: 1fr; } .topbar-inner, .main { padding-left: 16px; padding-right: 16px; } }
@media (max-width: 640px) {
  .topnav, .identity .who span { display: none; }
  .topbar-inner { gap: 12px; }
  .main { padding-top: 20px; }
  h1 { font-size: 1.35rem; }
  .stepper li > span:not(.num) { display: none; }
  .card-head, .card-body { padding-left: 16px; padding-right: 16px; }
}

/* Cards */
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
.card-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 16px 20px; border-bottom: 1px solid var(--border); flex-wrap: wrap; }
.card-head p { color: var(--muted); font-size: .88rem; margin-top: 2px; }
.card-body { padding: 18px 20px; }
.card-foot { padding: 12px 20px; border-top: 1px solid var(--border); background: var(--surface-2); border-radius: 0 0 var(--radius) var(--radius); }
.card.danger-zone { border-color: #f2c4c0; }
.card.danger-zone .card-head { border-bottom-color: #f6d6d3; }
.empty { text-align: center; padding: 48px 24px; }
.empty h1, .empty h2 { margin-bottom: 8px; }
.empty h1 { font-size: 1.35rem; }
.empty p { color: var(--muted); margin: 0 auto 18px; max-width: 48ch; }
.empty-icon { width: 48px; height: 48px; border-radius: 12px; background: var(--primary-soft); margin: 0 auto 14px; position: relative; }
.empty-icon::before, .empty-icon::after { content: ""; position: absolute; left: 12px; right: 12px; height: 4px; border-radius: 2px; background: var(--primary); opacity: .55; }
.empty-icon::before { top: 17px; }
.empty-icon::after { top: 27px; right: 20px; }

/* Definition lists */
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 10px 18px; margin: 0; }
.facts dt { color: var(--muted); font-size: .88rem; padding-top: 1px; }
.facts dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.facts .secret-state { color: var(--muted); font-style: normal; }
.facts .secret-state.set { color: var(--success); font-weight: 600; }

/* Buttons */
.btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 8px; min-height: 38px; padding: 8px 15px;
  border-radius: var(--radius-sm); border: 1px solid var(--border-strong); background: var(--surface); color: var(--text);
  font: inherit; font-weight: 580; font-size: .92rem; line-height: 1.2; cursor: pointer; text-decoration: none; white-space: nowrap;
  transition: background-color .12s, border-color .12s, box-shadow .12s;
}
.btn:hover { background: var(--surface-2); border-color: #b9c0ca; color: var(--text); }
.btn:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.btn[disabled], .btn[aria-disabled="true"] { opacity: .55; cursor: not-allowed; }
.btn-primary { background: var(--primary); border-color: var(--primary); color: #fff; }
.btn-primary:hover { background: var(--primary-hover); border-color: var(--primary-hover); color: #fff; }
.btn-danger { background: var(--danger); border-color: var(--danger); color: #fff; }
.btn-danger:hover { background: var(--danger-hover); border-color: var(--danger-hover); color: #fff; }
.btn-danger-outline { color: var(--danger); border-color: #e9a7a1; }
.btn-danger-outline:hover { background: var(--danger-soft); color: var(--danger-hover); border-color: var(--danger); }
.btn-ghost { border-color: transparent; background: transparent; color: var(--primary); }
.btn-ghost:hover { background: var(--primary-soft); border-color: transparent; color: var(--primary-hover); }
.btn-sm { min-height: 30px; padding: 4px 10px; font-size: .85rem; }
.btn .spinner { width: 14px; height: 14px; border-radius: 50%; border: 2px solid currentColor; border-right-color: transparent; animation: spin .8s linear infinite; }
.toolbar { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; }
.toolbar .spacer { flex: 1; }
@keyframes spin { to { transform: rotate(360deg); } }

/* Badges and pills */
.badge {
  display: inline-flex; align-items: center; gap: 6px; padding: 3px 10px 3px 9px; border-radius: 999px;
  font-size: .8rem; font-weight: 620; line-height: 1.35; white-space: nowrap; border: 1px solid transparent;
}
.badge .dot { width: 7px; height: 7px; border-radius: 50%; background: currentColor; flex: none; }
.badge-success { background: var(--success-soft); color: var(--success); border-color: #bfe3cd; }
.badge-warning { background: var(--warning-soft); color: var(--warning); border-color: #f3d9a0; }
.badge-danger { background: var(--danger-soft); color: var(--danger); border-color: #f5c6c2; }
.badge-info { background: var(--info-soft); color: var(--info); border-color: #c7d6f8; }
.badge-neutral { background: var(--neutral-soft); color: var(--neutral); border-color: #dde1e7; }
.badge.pulse .dot { animation: pulse 1.4s ease-in-out infinite; }
@keyframes pulse { 0%, 100% { opacity: 1; } 50% { opacity: .25; } }
.pill { display: inline-block; padding: 2px 8px; border-radius: var(--radius-sm); background: var(--neutral-soft); color: var(--neutral); font-size: .78rem; font-weight: 600; letter-spacing: .01em; white-space: nowrap; }
.pill-type { background: #eef1fb; color: #33418a; }
.tag { display: inline-block; padding: 1px 7px; border-radius: 4px; font-size: .74rem; font-weight: 650; text-transform: uppercase; letter-spacing: .04em; background: var(--neutral-soft); color: var(--neutral); }
.tag-preview { background: #f1ebfd; color: #5b34b0; }
.tag-override { background: var(--warning-soft); color: var(--warning); }

/* Tables */
.table-wrap { overflow-x: auto; }
table.data { width: 100%; border-collapse: collapse; font-size: .92rem; }
table.data th {
  text-align: left; font-size: .76rem; font-weight: 650; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
  padding: 10px 16px; background: var(--surface-2); border-bottom: 1px solid var(--border); white-space: nowrap;
}
table.data td { padding: 12px 16px; border-bottom: 1px solid var(--border); vertical-align: top; }
table.data tr:last-child td, table.data tr:last-child th { border-bottom: 0; }
table.data tbody th { text-align: left; font-size: .92rem; font-weight: 600; text-transform: none; letter-spacing: 0; color: var(--text); background: transparent; padding: 12px 16px; border-bottom: 1px solid var(--border); }
table.data tbody tr:hover td, table.data tbody tr:hover th { background: #fafbfd; }
table.data.compact th, table.data.compact td { padding-left: 12px; padding-right: 12px; }
tr.not-applied .delta { color: var(--faint); font-weight: 400; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; }
table.data td.num { white-space: nowrap; }
table.data .sub { display: block; color: var(--muted); font-size: .85rem; margin-top: 3px; }
table.data a.row-link { font-weight: 600; text-decoration: none; }
table.data a.row-link:hover { text-decoration: underline; }
table.data caption { text-align: left; padding: 0 0 8px; color: var(--muted); font-size: .88rem; }
.cell-message { max-width: 52ch; overflow-wrap: anywhere; }
.muted { color: var(--muted); }
.faint { color: var(--faint); }
.nowrap { white-space: nowrap; }
.deltas { display: inline-flex; gap: 8px; font-variant-numeric: tabular-nums; white-space: nowrap; }
.delta { font-weight: 600; }
.delta.zero { color: var(--faint); font-weight: 400; }
.delta-add { color: var(--success); }
.delta-upd { color: var(--info); }
.delta-del { color: var(--danger); }
.legend { display: flex; gap: 16px; flex-wrap: wrap; font-size: .82rem; color: var(--muted); }

/* Progress */
.progress { display: flex; flex-direction: column; gap: 8px; }
.progress-line { display: flex; align-items: baseline; justify-content: space-between; gap: 12px; }
.progress-phase { font-weight: 620; }
.progress-detail { color: var(--muted); font-size: .88rem; }
.bar { height: 8px; border-radius: 999px; background: var(--neutral-soft); overflow: hidden; }
.bar > span { display: block; height: 100%; width: 0; border-radius: 999px; background: linear-gradient(90deg, #2b55c7, #5b84f2); transition: width .5s ease; }
.bar.indeterminate > span { width: 35%; animation: slide 1.3s ease-in-out infinite; }
@keyframes slide { 0% { transform: translateX(-100%); } 100% { transform: translateX(300%); } }
.phases { list-style: none; margin: 4px 0 0; padding: 0; display: flex; gap: 6px; flex-wrap: wrap; }
.phases li { font-size: .76rem; padding: 2px 8px; border-radius: 999px; background: var(--neutral-soft); color: var(--muted); }
.phases li.done { background: var(--success-soft); color: var(--success); }
.phases li.current { background: var(--info-soft); color: var(--info); font-weight: 650; }
.mini-progress { display: flex; flex-direction: column; gap: 5px; min-width: 180px; }
.mini-progress .bar { height: 6px; }
.mini-progress .progress-detail { font-size: .8rem; }

/* Callouts */
.callout { display: flex; gap: 14px; padding: 16px 18px; border-radius: var(--radius); border: 1px solid; background: var(--surface); }
.callout .icon { flex: none; width: 24px; height: 24px; border-radius: 50%; display: inline-flex; align-items: center; justify-content: center; font-weight: 800; font-size: .85rem; color: #fff; margin-top: 1px; }
.callout .content { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 8px; }
.callout h2, .callout h3 { font-size: 1rem; }
.callout p { color: var(--text); overflow-wrap: anywhere; }
.callout .actions { display: flex; gap: 10px; flex-wrap: wrap; margin-top: 4px; }
.callout-success { border-color: #bfe3cd; background: #f3fbf6; }
.callout-success .icon { background: var(--success); }
.callout-danger { border-color: #f5c6c2; background: #fff7f6; }
.callout-danger .icon { background: var(--danger); }
.callout-warning { border-color: #f3d9a0; background: #fffaf0; }
.callout-warning .icon { background: #a86d00; }
.callout-info { border-color: #c7d6f8; background: #f5f8fe; }
.callout-info .icon { background: var(--info); }
.callout .close { margin-left: auto; align-self: flex-start; }

/* Forms */
.form { display: flex; flex-direction: column; gap: 18px; }
.field { display: flex; flex-direction: column; gap: 6px; max-width: 560px; }
.field label, .field .label, fieldset legend { font-weight: 600; font-size: .92rem; }
.field .optional { color: var(--muted); font-weight: 400; }
.hint { color: var(--muted); font-size: .85rem; }
input[type="text"], input[type="password"], input[type="url"], input[type="number"], input[type="search"], select, textarea {
  font: inherit; font-size: .95rem; color: var(--text); background: var(--surface); border: 1px solid var(--border-strong);
  border-radius: var(--radius-sm); padding: 8px 11px; min-height: 40px; width: 100%;
  transition: border-color .12s, box-shadow .12s;
}
textarea { min-height: 96px; resize: vertical; font-family: var(--mono); font-size: .85rem; }
input:hover, select:hover, textarea:hover { border-color: #aab2be; }
input:focus, select:focus, textarea:focus { outline: none; border-color: var(--focus); box-shadow: 0 0 0 3px rgba(43, 85, 199, .25); }
input.mono { font-family: var(--mono); }
.field.has-error input, .field.has-error select, .field.has-error textarea { border-color: var(--danger); }
.field.has-error input:focus, .field.has-error textarea:focus { box-shadow: 0 0 0 3px rgba(180, 35, 24, .2); }
.field-error { color: var(--danger); font-size: .87rem; font-weight: 560; display: flex; gap: 6px; align-items: flex-start; }
.field-error::before { content: "!"; flex: none; width: 16px; height: 16px; margin-top: 2px; border-radius: 50%; background: var(--danger); color: #fff; font-size: .7rem; font-weight: 800; display: inline-flex; align-items: center; justify-content: center; }
fieldset { border: 0; margin: 0; padding: 0; min-width: 0; }
fieldset legend { padding: 0; margin-bottom: 8px; }
.inline-input { display: inline-flex; align-items: center; gap: 8px; }
.inline-input input { width: 90px; }
.checkbox { display: flex; gap: 10px; align-items: flex-start; font-weight: 500; }
.checkbox input { width: 18px; height: 18px; margin: 2px 0 0; accent-color: var(--primary); }
.choices { display: flex; flex-direction: column; gap: 8px; }
.choices.two-col { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); }
@media (max-width: 700px) { .choices.two-col { grid-template-columns: 1fr; } }
.field.wide { max-width: 760px; }
fieldset.section { border-top: 1px solid var(--border); padding-top: 18px; }
fieldset.section > legend { float: left; width: 100%; font-size: 1rem; margin-bottom: 4px; }
fieldset.section > legend + * { clear: both; }
.choice { display: flex; gap: 12px; align-items: flex-start; padding: 11px 14px; border: 1px solid var(--border); border-radius: var(--radius-sm); background: var(--surface); cursor: pointer; }
.choice:hover { border-color: #b9c0ca; }
.choice input { margin: 3px 0 0; width: 17px; height: 17px; accent-color: var(--primary); flex: none; }
.choice:has(input:checked) { border-color: var(--primary); background: #f6f8fe; box-shadow: 0 0 0 1px var(--primary) inset; }
.choice:has(input:focus-visible) { outline: 3px solid var(--focus); outline-offset: 2px; }
.field .choice, .choice { font-weight: 400; font-size: .95rem; }
.choice .choice-title { font-weight: 600; display: block; }
.choice .choice-text { color: var(--muted); font-size: .87rem; font-weight: 400; display: block; }
.choice-grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; }
@media (max-width: 700px) { .choice-grid { grid-template-columns: 1fr; } }
.choice-grid .choice { padding: 16px; min-height: 92px; }
.type-mark { width: 34px; height: 34px; border-radius: 8px; display: inline-flex; align-items: center; justify-content: center; font-weight: 750; font-size: .78rem; color: #fff; flex: none; }
.type-ONEROSTER_CSV { background: #2f7d5b; }
.type-ONEROSTER_API { background: #2b55c7; }
.type-CLEVER { background: #1464d2; }
.type-CLASSLINK { background: #0c7c8c; }
.error-summary { border: 2px solid var(--danger); border-radius: var(--radius); padding: 14px 18px; background: #fff7f6; }
.error-summary h2 { font-size: 1rem; color: var(--danger); margin-bottom: 6px; }
.error-summary ul { margin: 0; padding-left: 20px; }
.error-summary a { color: var(--danger); font-weight: 560; }
.schedule-preview { border: 1px dashed var(--border-strong); border-radius: var(--radius-sm); padding: 12px 14px; background: var(--surface-2); max-width: 560px; }
.schedule-preview .words { font-weight: 620; }
.schedule-preview ol { margin: 6px 0 0; padding-left: 20px; color: var(--muted); font-size: .88rem; font-variant-numeric: tabular-nums; }
.form-actions { display: flex; gap: 10px; align-items: center; padding-top: 6px; flex-wrap: wrap; }
.form-actions .spacer { flex: 1; }
.filters { display: flex; gap: 14px; align-items: flex-end; flex-wrap: wrap; }
.filters .field { min-width: 170px; }
.filters select { min-width: 170px; }

/* Stepper */
.stepper { list-style: none; margin: 0 0 22px; padding: 0; display: flex; gap: 0; counter-reset: step; }
.stepper li { flex: 1; display: flex; align-items: center; gap: 10px; color: var(--muted); font-weight: 560; font-size: .9rem; position: relative; }
.stepper li:not(:last-child)::after { content: ""; flex: 1; height: 2px; background: var(--border); margin: 0 12px; border-radius: 2px; }
.stepper .num { width: 28px; height: 28px; border-radius: 50%; border: 2px solid var(--border-strong); display: inline-flex; align-items: center; justify-content: center; font-size: .82rem; font-weight: 700; background: var(--surface); flex: none; }
.stepper li.done { color: var(--text); }
.stepper li.done .num { background: var(--success); border-color: var(--success); color: #fff; }
.stepper li.done:not(:last-child)::after { background: #9fd1b4; }
.stepper li[aria-current="step"] { color: var(--primary); }
.stepper li[aria-current="step"] .num { border-color: var(--primary); background: var(--primary); color: #fff; }
.wizard .card-body { padding: 24px; }
.review-section + .review-section { margin-top: 18px; padding-top: 18px; border-top: 1px solid var(--border); }
.review-section .section-head { display: flex; justify-content: space-between; align-items: center; margin-bottom: 10px; }

/* Tenant picker */
.tenant-picker { display: flex; gap: 10px; align-items: flex-end; flex-wrap: wrap; }
.tenant-picker .field { min-width: 260px; flex: 0 1 320px; }

/* Sign-in */
.signin { max-width: 520px; margin: 40px auto 0; }
.signin .card-body { padding: 28px; }
.signin h1 { margin-bottom: 6px; }
.signin .lead { color: var(--muted); margin-bottom: 20px; }
.signin textarea { min-height: 110px; }
.dev-hint { margin-top: 20px; padding: 14px 16px; background: var(--surface-2); border: 1px solid var(--border); border-radius: var(--radius-sm); font-size: .88rem; color: var(--muted); }
.dev-hint strong { color: var(--text); }
.dev-hint pre { margin: 8px 0; padding: 10px 12px; background: #18202b; color: #e8edf5; border-radius: var(--radius-sm); font-family: var(--mono); font-size: .82rem; white-space: pre-wrap; overflow-wrap: anywhere; }

/* Dialog */
dialog.modal { border: 0; border-radius: 12px; padding: 0; width: min(520px, calc(100vw - 32px)); box-shadow: var(--shadow-lg); color: var(--text); }
dialog.modal::backdrop { background: rgba(16, 24, 40, .45); }
dialog.modal .modal-body { padding: 22px 24px 8px; display: flex; flex-direction: column; gap: 10px; }
dialog.modal .modal-body p { color: var(--muted); overflow-wrap: anywhere; }
dialog.modal .modal-body > div { display: flex; flex-direction: column; gap: 8px; }
dialog.modal .modal-actions { display: flex; justify-content: flex-end; gap: 10px; padding: 16px 24px 20px; }

/* Toasts */
.toasts { position: fixed; right: 20px; bottom: 20px; display: flex; flex-direction: column; gap: 10px; z-index: 50; max-width: min(420px, calc(100vw - 40px)); }
.toast { display: flex; gap: 12px; align-items: flex-start; background: #18202b; color: #fff; padding: 12px 14px 12px 16px; border-radius: var(--radius-sm); box-shadow: var(--shadow-lg); font-size: .92rem; }
.toast.toast-error { background: var(--danger); }
.toast button { background: transparent; border: 0; color: inherit; font: inherit; font-size: 1.1rem; line-height: 1; cursor: pointer; padding: 0 2px; opacity: .85; }
.toast button:focus-visible { outline: 2px solid #fff; }
.notice { padding: 16px; }
.stat-grid { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 12px; }
@media (max-width: 800px) { .stat-grid { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
.stat { border: 1px solid var(--border); border-radius: var(--radius-sm); padding: 12px 14px; background: var(--surface-2); }
.stat .stat-label { font-size: .78rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 650; }
.stat .stat-value { font-size: 1.35rem; font-weight: 680; font-variant-numeric: tabular-nums; margin-top: 2px; }
.stat .stat-sub { font-size: .82rem; color: var(--muted); }
.kind-summary { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; margin-top: 16px; }
.kind-summary .stat { padding: 10px 12px; }
.kind-summary .deltas { margin-top: 4px; font-size: .95rem; }
.card-note { margin-top: 14px; font-size: .85rem; color: var(--muted); }
.meta { display: flex; gap: 18px; flex-wrap: wrap; color: var(--muted); font-size: .9rem; margin-top: 8px; }
.meta strong { color: var(--text); font-weight: 600; }
@media (prefers-reduced-motion: reduce) { *, *::before, *::after { animation: none !important; transition: none !important; } }
`;
