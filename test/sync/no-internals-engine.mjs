// The real engine worker on a runtime that cannot lend a socket's descriptor
// to the calling thread (as Bun 1.x, whose TCP handle has no readStop): the
// sync API must then run ws:// sockets in the worker by itself.
import { forceInternalsUnavailable } from '../../dist/src/sync/socket-internals.js';

forceInternalsUnavailable('handle.readStop is not a function (forced by the test)');
await import('../../dist/src/sync/worker.js');
