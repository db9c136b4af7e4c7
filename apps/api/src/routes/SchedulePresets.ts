/**
 * `/schedule-presets`: the preset names a provider's `syncSchedule` accepts, with their cron
 * expressions.
 */
import * as Effect from "effect/Effect";
import { defineRoute, type Resource } from "../http/Route";
import * as S from "../http/Schemas";
import { PRESETS } from "../services/Schedules";

const list = defineRoute({
  method: "GET",
  path: "/",
  operationId: "schedulePreset.list",
  summary: "Schedule presets",
  tag: "Schedules",
  responses: { 200: { description: "The presets", schema: S.SchedulePresetList } },
  handler: () => Effect.succeed({ status: 200 as const, body: { items: PRESETS.map((p) => ({ ...p })) } }),
});

export const resource: Resource = { prefix: "/schedule-presets", routes: [list] };
