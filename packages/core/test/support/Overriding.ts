import type * as Context from "effect/Context";
import * as Effect from "effect/Effect";
import * as Layer from "effect/Layer";

/** `base` with one of its services changed by `change` (tests use it to record what the engine asks). */
export const overriding = <I extends ROut, S, ROut, E>(base: Layer.Layer<ROut, E>, key: Context.Key<I, S>, change: (inner: S) => S) =>
  Layer.merge(base, Layer.effect(key, Effect.map(key, change)).pipe(Layer.provide(base)));
