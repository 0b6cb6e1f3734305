/**
 * Everything in one module, as the one-file build (vendor/) exports it: the
 * binding (the seed's API) at the top, the engine as `core` (the package's
 * `scriptling-websocket/core`) and the blocking client as `sync`
 * (`scriptling-websocket/sync`).
 */
export * from './scriptling/index.js';
export * as core from './index.js';
export * as sync from './sync/index.js';
