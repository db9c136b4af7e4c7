/**
 * Browser code, last part: the router (the page's own paths under `/integrations/sis`) and the
 * start-up, which restores a token kept in this tab's sessionStorage after checking it still works.
 */
export const MAIN = String.raw`
function routeOf(pathname) {
  var rest = pathname.indexOf(BASE) === 0 ? pathname.slice(BASE.length) : pathname;
  rest = rest.replace(/\/+$/, "");
  var m;
  if (rest === "") return { name: "list" };
  if (rest === "/new") return { name: "new" };
  if ((m = /^\/providers\/([^/]+)$/.exec(rest))) return { name: "provider", id: decodeURIComponent(m[1]) };
  if ((m = /^\/runs\/([^/]+)$/.exec(rest))) return { name: "run", id: decodeURIComponent(m[1]) };
  return { name: "unknown" };
}

var restoring = null;

async function restoreSession() {
  var token = readStorage(TOKEN_KEY);
  if (!token) return;
  session.token = token;
  var r = await uiApi("/session");
  if (r.ok) { session.principal = r.data; return; }
  session.token = null;
  writeStorage(TOKEN_KEY, null);
  if (r.status === 401 || r.status === 403) session.notice = "Your session has ended (" + r.problem.detail + "). Sign in again to continue.";
}

async function render(options) {
  var focus = !!(options && options.focus);
  if (!session.principal && !session.notice && readStorage(TOKEN_KEY)) {
    restoring = restoring || restoreSession();
    await restoring;
    restoring = null;
  }
  renderIdentity();
  if (!session.principal) { renderSignIn(); return; }
  var route = routeOf(location.pathname);
  if (route.name === "list") return renderList(focus);
  if (route.name === "new") return renderWizard(focus);
  if (route.name === "provider") return renderProvider(route.id, focus);
  if (route.name === "run") return renderRun(route.id, focus);
  return renderNotFound("page", focus);
}

window.addEventListener("unhandledrejection", function (e) {
  toast("Something went wrong on this page. Reload it and try again.", "error");
  if (window.console) console.error(e.reason);
});

session.tenant = readStorage(TENANT_KEY);
render({ focus: false });
`;
