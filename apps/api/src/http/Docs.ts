/**
 * A readable documentation page rendered from the OpenAPI document: one self-contained HTML page
 * (inline CSS, no scripts, nothing fetched from elsewhere).
 */
type Json = Record<string, unknown>;

const esc = (value: unknown): string =>
  String(value).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

const refName = (schema: unknown): string | null => {
  const ref = (schema as Json | null)?.["$ref"];
  return typeof ref === "string" ? ref.split("/").pop()! : null;
};

const schemaLink = (schema: unknown): string => {
  const name = refName(schema);
  return name === null ? `<pre>${esc(JSON.stringify(schema, null, 2))}</pre>` : `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
};

const contentSchema = (content: unknown): unknown => {
  const entries = Object.values((content ?? {}) as Record<string, Json>);
  return entries[0]?.["schema"];
};

export const docsPage = (doc: Json): string => {
  const info = doc["info"] as Json;
  const paths = doc["paths"] as Record<string, Record<string, Json>>;
  const schemas = ((doc["components"] as Json)["schemas"] ?? {}) as Record<string, unknown>;
  const operations: Array<string> = [];
  const toc: Array<string> = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const id = `op-${method}-${path}`.replace(/[^A-Za-z0-9-]/g, "-");
      toc.push(`<li><a href="#${id}"><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> ${esc(path)}</a></li>`);
      const params = (op["parameters"] ?? []) as ReadonlyArray<Json>;
      const body = op["requestBody"] as Json | undefined;
      const responses = (op["responses"] ?? {}) as Record<string, Json>;
      operations.push(`<section class="op" id="${id}">
<h3><span class="m m-${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
<p class="summary">${esc(op["summary"] ?? "")}${Array.isArray(op["security"]) && (op["security"] as Array<unknown>).length === 0 ? ' <span class="open">no token needed</span>' : ""}</p>
${op["description"] ? `<p>${esc(op["description"])}</p>` : ""}
${params.length === 0 ? "" : `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th><th>description</th></tr>${params.map((p) =>
        `<tr><td><code>${esc(p["name"])}</code></td><td>${esc(p["in"])}</td><td>${p["required"] ? "yes" : "no"}</td><td><code>${esc(JSON.stringify(p["schema"]))}</code></td><td>${esc(p["description"] ?? "")}</td></tr>`).join("")}</table>`}
${body ? `<h4>Request body${body["required"] ? "" : " (optional)"}</h4>${schemaLink(contentSchema(body["content"]))}` : ""}
<h4>Responses</h4><ul>${Object.entries(responses).map(([status, r]) =>
        `<li><b>${esc(status)}</b> ${esc(r["description"] ?? "")}${r["content"] ? ` — ${schemaLink(contentSchema(r["content"]))}` : ""}</li>`).join("")}</ul>
</section>`);
    }
  }
  const schemaSections = Object.entries(schemas).map(([name, schema]) =>
    `<section class="schema" id="schema-${esc(name)}"><h3>${esc(name)}</h3><pre>${esc(JSON.stringify(schema, null, 2))}</pre></section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info["title"])} — documentation</title>
<style>
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d232b;background:#f7f8fa}
header{background:#1f3a5f;color:#fff;padding:1.2rem 2rem}header h1{margin:0;font-size:1.5rem}
main{display:grid;grid-template-columns:minmax(220px,300px) 1fr;gap:2rem;padding:1.5rem 2rem}
main>div{min-width:0}p,li{overflow-wrap:anywhere}
nav ul{list-style:none;padding:0;margin:0;font-size:.8rem}nav li{margin:.25rem 0;overflow-wrap:anywhere}nav a{color:#1d232b;text-decoration:none}
.op,.schema,.intro{background:#fff;border:1px solid #dde2e8;border-radius:6px;padding:1rem 1.2rem;margin-bottom:1rem}
h3{margin:.2rem 0 .5rem}h4{margin:.8rem 0 .3rem}code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f1f3f6;padding:.7rem;border-radius:4px;overflow:auto;font-size:.8rem;max-height:26rem}
table{border-collapse:collapse;font-size:.85rem;margin:.4rem 0;display:block;overflow-x:auto}td,th{border:1px solid #dde2e8;padding:.25rem .5rem;text-align:left;vertical-align:top}
.m{display:inline-block;min-width:4.2em;text-align:center;border-radius:3px;color:#fff;font-size:.75rem;font-weight:600;padding:.05rem .3rem}
.m-get{background:#2f7d4f}.m-post{background:#245fa8}.m-patch{background:#a86a10}.m-delete{background:#a8322c}
.summary{font-weight:600}.open{font-weight:400;font-size:.8rem;background:#e7f3ea;border-radius:3px;padding:0 .3rem}
@media (max-width:800px){main{grid-template-columns:1fr}}
</style></head>
<body><header><h1>${esc(info["title"])} <small>v${esc(info["version"])}</small></h1></header>
<main><nav><ul>${toc.join("")}</ul><p><a href="/openapi.json">openapi.json</a></p></nav>
<div>
<section class="intro"><p>${esc(info["description"] ?? "")}</p>
<p><b>Authentication:</b> send <code>Authorization: Bearer &lt;JWT&gt;</code> on every <code>/api/v1</code> call. Claims: <code>sub</code>,
<code>role</code> (<code>DISTRICT_ADMIN</code> or <code>PLATFORM_ADMIN</code>), <code>tenantId</code> (required for district admins), <code>exp</code> (required).
A district admin reaches only its own tenant: anything of another tenant answers 404. No or bad token: 401; any other role: 403.
In development, mint a token with <code>pnpm sis-sync token --role PLATFORM_ADMIN</code>.</p>
<p><b>Errors</b> are <code>application/problem+json</code> with a stable <code>type</code> (<code>urn:sis-sync:problem:&lt;kind&gt;</code>), a <code>title</code>,
a <code>detail</code>, the <code>requestId</code>, and for invalid requests <code>errors: [{ path, message }]</code> naming each field.</p>
<p><b>Limits:</b> request bodies are size-limited, pages hold at most 100 items (<code>limit</code>, <code>offset</code>), and manual syncs and connection tests are rate limited per provider (429 with <code>Retry-After</code>).</p></section>
${operations.join("\n")}
<h2>Schemas</h2>
${schemaSections.join("\n")}
</div></main></body></html>`;
};
