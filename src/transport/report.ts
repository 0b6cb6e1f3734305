/** Where failures that belong to no caller go: the server's and each connection's `onError` option. */
export type ErrorReporter = (error: unknown, where: string) => void;

function defaultOnError(error: unknown, where: string): void {
  console.error(`${where} failed:`, error);
}

/**
 * Reports through `onError` (default: console.error). It is called from
 * socket listeners, so an `onError` that throws is logged, never let
 * through: a user's callback must not be able to end the process.
 */
export function report(onError: ErrorReporter | undefined, error: unknown, where: string): void {
  try {
    (onError ?? defaultOnError)(error, where);
  } catch (failure) {
    console.error(`${where} failed:`, error, '\n… and onError threw:', failure);
  }
}
