/**
 * The admin page's script: the browser parts (plain ES2020, hand-written, no build step) joined
 * into one strict-mode function scope and served by this app as `/integrations/sis/assets/app.js`.
 */
import { FORMS } from "./client/Forms";
import { LIST_PAGES } from "./client/ListPages";
import { MAIN } from "./client/Main";
import { PROVIDER_PAGE } from "./client/ProviderPage";
import { RUN_PAGE } from "./client/RunPage";
import { RUNTIME } from "./client/Runtime";
import { WIZARD } from "./client/Wizard";

export const CLIENT_SCRIPT = [
  "/* sis-sync: SIS integrations admin page */",
  "(function () {",
  '"use strict";',
  RUNTIME,
  FORMS,
  LIST_PAGES,
  WIZARD,
  PROVIDER_PAGE,
  RUN_PAGE,
  MAIN,
  "})();",
  "",
].join("\n");
