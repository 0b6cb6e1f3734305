/**
 * Sec-WebSocket-Extensions header syntax (RFC 6455 §9.1):
 *   extension-list = 1#( extension-token *( ";" extension-param ) )
 *   extension-param = token [ "=" ( token | quoted-string ) ]
 * Parameters are kept as an ordered list so duplicates stay visible: RFC 7692
 * §7 requires declining an offer that repeats one.
 */
export interface Extension {
  name: string;
  params: Array<[name: string, value: string | true]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const isToken = (s: string): boolean => TOKEN.test(s);

export function parseExtensions(header: string): Extension[] {
  const result: Extension[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && !' \t,;="'.includes(header[i])) i++;
    const token = header.slice(start, i);
    if (!isToken(token)) throw new SyntaxError(`invalid token at offset ${start} in Sec-WebSocket-Extensions`);
    return token;
  };
  const readQuoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < n && header[i] !== '"') {
      if (header[i] === '\\') i++;
      value += header[i++] ?? '';
    }
    if (i >= n) throw new SyntaxError('unterminated quoted-string in Sec-WebSocket-Extensions');
    i++;
    // RFC 6455 §9.1: a quoted value must still be a token once unescaped.
    if (!isToken(value)) throw new SyntaxError('quoted parameter value is not a token in Sec-WebSocket-Extensions');
    return value;
  };

  for (;;) {
    skipSpace();
    if (i < n && header[i] === ',') { // tolerate empty list elements (RFC 7230 §7)
      i++;
      continue;
    }
    if (i >= n) break;
    const extension: Extension = { name: readToken(), params: [] };
    skipSpace();
    while (i < n && header[i] === ';') {
      i++;
      skipSpace();
      const name = readToken();
      skipSpace();
      let value: string | true = true;
      if (header[i] === '=') {
        i++;
        skipSpace();
        value = header[i] === '"' ? readQuoted() : readToken();
        skipSpace();
      }
      extension.params.push([name, value]);
    }
    result.push(extension);
    if (i < n && header[i] !== ',') throw new SyntaxError(`unexpected character at offset ${i} in Sec-WebSocket-Extensions`);
  }
  return result;
}

export function formatExtension(name: string, params: Array<[string, string | number | true]>): string {
  let out = name;
  for (const [key, value] of params) out += value === true ? `; ${key}` : `; ${key}=${value}`;
  return out;
}
