/**
 * The Clever adapter of core's `RosterSource` port: a district's Data API v3.0 roster as bulk
 * batches in kind order. Schools come from `/schools`; classes from `/sections` with `/terms` and
 * `/courses` folded in; users from the role-filtered `/users` lists; enrollments are derived from a
 * second read of `/sections`, one per teacher and student.
 */
import {
  RosterSource, RosterSourceError, type AnyRecord, type Kind, type RosterSourceShape, type RowIssue, type SourceBatch,
} from "@sis-sync/core";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";
import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import * as Stream from "effect/Stream";
import * as CleverClient from "./CleverClient";
import * as Mapping from "./internal/mapping";
import * as Wire from "./internal/wire";

export type CleverSourceOptions = CleverClient.CleverClientOptions;

interface Mapped {
  readonly records: ReadonlyArray<AnyRecord>;
  readonly issues: ReadonlyArray<RowIssue>;
}

const combine = (parts: ReadonlyArray<Mapped>): Mapped => ({
  records: parts.flatMap((p) => p.records),
  issues: parts.flatMap((p) => p.issues),
});

const batchOf = (kind: Kind, mapped: Mapped): SourceBatch => ({ kind, mode: "bulk", records: mapped.records, issues: mapped.issues });

/**
 * Drops batches with nothing in them, but guarantees one batch per kind: the engine must see an
 * empty bulk kind (so the safeguard can judge it) rather than take it for a kind the feed lacks.
 */
const kindStream = <E>(kind: Kind, pages: Stream.Stream<Mapped, E>): Stream.Stream<SourceBatch, E> =>
  Stream.suspend(() => {
    let emitted = 0;
    return pages.pipe(
      Stream.filter((m) => m.records.length > 0 || m.issues.length > 0),
      Stream.map((m) => {
        emitted++;
        return batchOf(kind, m);
      }),
      Stream.concat(Stream.suspend(() => (emitted === 0 ? Stream.succeed(batchOf(kind, { records: [], issues: [] })) : Stream.empty))),
    );
  });

/** Reads a whole small list (terms, courses) into a map by id; malformed entries become warnings. */
const lookup = <A extends { readonly id: string }>(
  client: CleverClient.CleverClient,
  resource: string,
  decode: (raw: unknown) => Result.Result<A, RowIssue>,
) =>
  client.list(resource).pipe(
    Stream.runFold(() => ({ byId: new Map<string, A>(), issues: [] as Array<RowIssue> }), (acc, items) => {
      for (const raw of items) {
        const r = decode(raw);
        if (Result.isSuccess(r)) acc.byId.set(r.success.id, r.success);
        else acc.issues.push(r.failure);
      }
      return acc;
    }),
  );

const extractFrom = (client: CleverClient.CleverClient): Stream.Stream<SourceBatch, RosterSourceError> => {
  const schools = kindStream("school", client.list("schools").pipe(Stream.map((items) => combine(items.map(Mapping.toSchool)))));

  const classes = kindStream("class", Stream.unwrap(Effect.gen(function* () {
    const terms = yield* lookup(client, "terms", Mapping.toTerm);
    const courses = yield* lookup(client, "courses", Mapping.toCourse);
    const lookups: Mapping.ClassLookups = { terms: terms.byId, courses: courses.byId };
    return Stream.succeed<Mapped>({ records: [], issues: [...terms.issues, ...courses.issues] }).pipe(
      Stream.concat(client.list("sections").pipe(Stream.map((items) => combine(items.map((raw) => Mapping.toClass(raw, lookups)))))),
    );
  })));

  // One list per role keeps guardians' data out entirely; a multi-role user is emitted from the
  // list of its primary role only (see Mapping.ROLE_PRECEDENCE), so no id set is held in memory.
  const users = kindStream("user", Stream.fromIterable(Wire.USER_LIST_ROLES).pipe(
    Stream.flatMap((role) => client.list("users", { role }).pipe(Stream.map((items) => combine(items.map((raw) => Mapping.toUser(raw, role)))))),
  ));

  // Sections are read a second time rather than held from the class pass: memory stays one page,
  // whatever the district's size, for a few extra requests.
  const enrollments = kindStream("enrollment", client.list("sections").pipe(
    Stream.mapEffect((items) => {
      const parts: Array<Mapped> = [];
      for (const raw of items) {
        const r = Mapping.toEnrollments(raw);
        // Without its member lists a section's enrollments would all look deleted: stop the run instead.
        if (Result.isFailure(r)) return Effect.fail(new RosterSourceError({ reason: "BadResponse", message: r.failure }));
        parts.push(r.success);
      }
      return Effect.succeed(combine(parts));
    }),
  ));

  return schools.pipe(Stream.concat(classes), Stream.concat(users), Stream.concat(enrollments));
};

const decodeDistricts = Schema.decodeUnknownResult(Wire.ListEnvelope);
const decodeDistrict = Schema.decodeUnknownResult(Wire.District);

const testConnectionWith = (client: CleverClient.CleverClient): Effect.Effect<string, RosterSourceError> =>
  Effect.gen(function* () {
    const { districtId } = client.settings;
    const body = yield* client.get(`/${client.settings.apiVersion}/districts`);
    const envelope = decodeDistricts(body);
    if (Result.isFailure(envelope)) {
      return yield* new RosterSourceError({ reason: "BadResponse", message: "Clever answered /districts with an unexpected body" });
    }
    const districts = envelope.success.data.flatMap((item) => {
      const d = decodeDistrict(item.data);
      return Result.isSuccess(d) ? [d.success] : [];
    });
    const mine = districts.find((d) => d.id === districtId);
    if (mine === undefined) {
      return yield* new RosterSourceError({
        reason: "Forbidden",
        message: districts.length === 0
          ? `Clever returned no district for this token; expected district ${districtId}`
          : `The Clever token belongs to district ${districts.map((d) => d.id).join(", ")}, not the configured district ${districtId}`,
      });
    }
    const details = [Mapping.present(mine.sis_type) && `SIS ${mine.sis_type}`, Mapping.present(mine.last_sync) && `last Clever sync ${mine.last_sync}`]
      .filter(Boolean).join(", ");
    return `Clever district "${Mapping.present(mine.name) ?? districtId}" (${districtId})${details ? `: ${details}` : ""}`;
  });

/**
 * The Clever roster source for one district. `config` is a `CleverConfig`; an invalid config or
 * option makes `extract` and `testConnection` fail with reason "Configuration".
 */
export const make = (config: unknown, options: CleverSourceOptions = {}): RosterSourceShape => {
  const settings = CleverClient.resolveSettings(config, options);
  if (Result.isFailure(settings)) return { extract: Stream.fail(settings.failure), testConnection: Effect.fail(settings.failure) };
  const client = CleverClient.make(settings.success);
  return {
    extract: Stream.suspend(() => extractFrom(client)),
    testConnection: testConnectionWith(client),
  };
};

/**
 * The port as a layer.
 *
 * @example
 * ```ts
 * SyncEngine.run(scope, options).pipe(Effect.provide(CleverRosterSource.layer(provider.config, { requestsPerMinute: 600 })))
 * ```
 */
export const layer = (config: unknown, options: CleverSourceOptions = {}): Layer.Layer<RosterSource> =>
  Layer.succeed(RosterSource, make(config, options));
