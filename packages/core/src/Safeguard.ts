/**
 * The deletion safeguard: a truncated or empty feed must never wipe a district. Over the threshold
 * the run applies nothing unless it carries a one-time override.
 */
import { KIND_PLURAL, type Kind } from "./Roster";
import type { DeactivationPreview } from "./RosterStore";

/** Every safeguard failure message starts with this, so callers can tell it from other failures. */
export const MESSAGE_PREFIX = "Deletion safeguard:";

/** A finished run that stopped because the safeguard tripped (and can be re-run with the override). */
export const tripped = (run: { readonly status: string; readonly errorMessage: string | null }): boolean =>
  run.status === "FAILURE" && run.errorMessage !== null && run.errorMessage.startsWith(MESSAGE_PREFIX);

export type SafeguardVerdict =
  | { readonly tripped: false }
  | { readonly tripped: true; readonly kind: Kind; readonly percent: number; readonly message: string };

/** Trips when the share of active links a kind would lose is strictly above `thresholdPercent`. */
export const check = (kind: Kind, preview: DeactivationPreview, thresholdPercent: number): SafeguardVerdict => {
  if (preview.links === 0 || preview.activeLinks === 0) return { tripped: false };
  const percent = (preview.links / preview.activeLinks) * 100;
  if (percent <= thresholdPercent) return { tripped: false };
  const shown = Math.round(percent * 10) / 10;
  return {
    tripped: true,
    kind,
    percent,
    message:
      `${MESSAGE_PREFIX} this feed would deactivate ${preview.links} of ${preview.activeLinks} active ` +
      `${KIND_PLURAL[kind]} (${shown}%), above the ${thresholdPercent}% limit. Nothing was applied. ` +
      `If the source really dropped them, run once with the safeguard override.`,
  };
};
