/**
 * @sis-sync/scheduler: the run worker, the cron scheduler and the provider → connector wiring
 * shared by every app.
 */
export * as Connectors from "./Connectors";
