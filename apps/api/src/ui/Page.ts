/**
 * The HTML shell every page of the admin UI starts from: the top bar, an empty main region the
 * script fills, the live regions status updates are announced in, and links to the stylesheet and
 * script served by this app. No inline script or style (the Content-Security-Policy forbids both).
 */

const esc = (value: string): string =>
  value.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

export interface ShellOptions {
  readonly base: string;
  readonly scriptUrl: string;
  readonly styleUrl: string;
  /** Production hides the development sign-in hint. */
  readonly production: boolean;
}

export const shellPage = (options: ShellOptions): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>SIS integrations · SIS Sync</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${esc(options.styleUrl)}">
<script src="${esc(options.scriptUrl)}" defer></script>
</head>
<body data-base="${esc(options.base)}" data-env="${options.production ? "production" : "development"}">
<a class="skip-link" href="#main">Skip to main content</a>
<header class="topbar">
  <div class="topbar-inner">
    <a class="brand" href="${esc(options.base)}" data-nav>
      <span class="brand-mark" aria-hidden="true"><span></span><span></span></span>
      <span class="brand-name">SIS Sync</span>
    </a>
    <nav class="topnav" aria-label="Main">
      <a href="${esc(options.base)}" data-nav aria-current="page">Integrations</a>
    </nav>
    <div class="identity" id="identity"></div>
  </div>
</header>
<main id="main" class="main" tabindex="-1">
  <div class="page-loading" role="status">Loading…</div>
  <noscript><p class="notice">This page needs JavaScript to be turned on.</p></noscript>
</main>
<div id="live" class="sr-only" aria-live="polite" aria-atomic="true"></div>
<div id="toasts" class="toasts" role="status" aria-live="polite"></div>
</body>
</html>
`;
