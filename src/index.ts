/// <reference types="node" preserve="true" />
/** The engine, for users who want an idiomatic API: `scriptling-websocket/core`. */
export { connect, ConnectError, type ConnectOptions, type TlsOptions } from './transport/client.js';
export { parseWebSocketUrl } from './protocol/url.js';
export { redisPubSub, RedisPubSub, type RedisPubSubOptions, type RedisPubSubStats } from './transport/pubsub/redis-pubsub.js';
export { PubSubError, type PubSub, type PubSubFactory, type Deliver } from './transport/pubsub/pubsub.js';
export type { TopicCounts } from './transport/topics.js';
export { WebSocketServer, type ServerOptions, type ConnectionHandler, type RequestHandler, type RouteOptions, type Authorize, type UpgradeRequest } from './transport/server.js';
export type { Http2ConnectRequest, Http2Limits } from './transport/http2-server.js';
export type { RequestInfo, PeerCertificate } from './protocol/handshake.js';
export type { Verdict } from './protocol/server-handshake.js';
export { WebSocket, TextBytes, checkConnectionLimits, type BufferUse, type ConnectionLimits, type Message, type SendOptions } from './transport/websocket.js';
export { Connection, State, type ProtocolEvent, type ConnectionOptions, type Side, DEFAULT_MAX_MESSAGE_SIZE } from './protocol/connection.js';
export { CloseCode, isValidWireCloseCode } from './protocol/close-codes.js';
export { WebSocketError, type WebSocketErrorCode, type ProtocolErrorCode } from './protocol/errors.js';
export { Opcode } from './protocol/opcodes.js';
export type { DeflateOptions } from './protocol/deflate.js';
export type { ConnectErrorCode } from './transport/connect-error.js';
