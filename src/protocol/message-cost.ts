import type { TextBytes } from './text-bytes.js';

/**
 * What a received message costs against a queue's byte limit: its length
 * (bytes, or UTF-16 units for text) plus a fixed cost of its own, so a flood
 * of empty messages fills a queue too. One definition for the engine's
 * queue (transport/inbound-queue.ts) and the sync API's windows.
 */
export const MESSAGE_OVERHEAD = 64;

export const messageCost = (message: string | Uint8Array | TextBytes): number => message.length + MESSAGE_OVERHEAD;
