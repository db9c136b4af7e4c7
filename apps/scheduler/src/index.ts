/**
 * @sis-sync/scheduler: the run worker, the cron scheduler and the provider → connector wiring
 * shared by every app. `startBackground` runs scheduler + worker inside another process (the API);
 * `SyncSchedule` holds the schedule presets and validation the API uses at its edge.
 */
export * as Connectors from "./Connectors";
export * as OutboundUrl from "./OutboundUrl";
export * as SyncSchedule from "./SyncSchedule";
export * as BackgroundConfig from "./BackgroundConfig";
export * as Background from "./Background";
export * as Logging from "./Logging";
export * as RunJob from "./RunJob";
export * as Scheduler from "./Scheduler";
export * as Worker from "./Worker";
export { startBackground, type BackgroundOptions } from "./Background";
