/** Input split into records: one message per line, or per NUL-terminated record with --null. */
import { StringDecoder } from 'node:string_decoder';

export type Separator = '\n' | '\0';

/**
 * Yields each record of `input` as it completes; a last record without a
 * separator is yielded at the end. Lines lose a trailing "\r" (CRLF input).
 */
export async function* records(input: AsyncIterable<Buffer | string>, separator: Separator): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let partial = '';
  for await (const chunk of input) {
    partial += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let end: number;
    while ((end = partial.indexOf(separator)) !== -1) {
      yield trim(partial.slice(0, end), separator);
      partial = partial.slice(end + 1);
    }
  }
  partial += decoder.end();
  if (partial !== '') yield trim(partial, separator);
}

function trim(record: string, separator: Separator): string {
  return separator === '\n' && record.endsWith('\r') ? record.slice(0, -1) : record;
}
