/**
 * Read side of the roster: the tenant's entities with the provider links that feed them.
 */
import * as Context from "effect/Context";
import type * as Effect from "effect/Effect";
import type { Kind } from "./Roster";
import type { RosterStoreError } from "./RosterStore";

export interface RosterLink {
  readonly providerId: string;
  readonly providerName: string;
  readonly externalId: string;
  readonly active: boolean;
}

export interface RosterEntity {
  readonly id: string;
  readonly kind: Kind;
  readonly active: boolean;
  readonly deactivatedAt: Date | null;
  /** Main fields, camelCase: users carry role, givenName, familyName, email, studentNumber, … */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly links: ReadonlyArray<RosterLink>;
}

export interface RosterFilter {
  readonly externalId?: string | undefined;
  readonly email?: string | undefined;
  readonly active?: boolean | undefined;
}

export class RosterReader extends Context.Service<RosterReader, {
  readonly list: (
    tenantId: string,
    kind: Kind,
    filter: RosterFilter,
    page: { readonly limit: number; readonly offset: number },
  ) => Effect.Effect<ReadonlyArray<RosterEntity>, RosterStoreError>;
  readonly count: (tenantId: string, kind: Kind, filter: RosterFilter) => Effect.Effect<number, RosterStoreError>;
}>()("@sis-sync/core/RosterReader") {}
