import type { FastifyReply } from 'fastify';
import { sendProblem } from './problem-details';

/** A parameter that failed to parse; answered as 400 invalid_request naming the parameter. */
export class InvalidParam {
  constructor(
    readonly name: string,
    readonly detail: string,
  ) {}

  send(reply: FastifyReply): FastifyReply {
    return sendProblem(reply, 'invalid_request', this.detail, { parameter: this.name });
  }
}

type Source = Record<string, unknown> | undefined | null;

/** The query parameters that name a checkout's item (item_id is an alias of id). */
export const ITEM_ID_PARAMS = ['id', 'item_id'] as const;

/**
 * Reads one parameter from a query or path object, trying each accepted name (aliases) in turn. A parameter
 * given twice, under one name or two with different values, is refused rather than guessed at.
 */
export function param<T>(source: Source, names: readonly string[], parse: (raw: string) => T | null, expected: string): T | InvalidParam {
  const main = names[0]!;
  let found: string | undefined;
  let foundName = main;
  for (const name of names) {
    const raw = source?.[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') return new InvalidParam(name, `${name} must be given once, as ${expected}.`);
    if (found !== undefined && found !== raw) return new InvalidParam(name, `${foundName} and ${name} name the same thing and disagree.`);
    found = raw;
    foundName = name;
  }
  if (found === undefined || found === '') return new InvalidParam(main, `${main} is required: ${expected}.`);
  const value = parse(found);
  return value === null ? new InvalidParam(foundName, `${foundName} must be ${expected}.`) : value;
}

/** Like param(), but absent means `fallback`. */
export function optionalParam<T>(
  source: Source,
  name: string,
  parse: (raw: string) => T | null,
  expected: string,
  fallback: T,
): T | InvalidParam {
  return source?.[name] === undefined ? fallback : param(source, [name], parse, expected);
}

export function intInRange(min: number, max: number) {
  return (raw: string): number | null => {
    if (!/^[0-9]{1,10}$/.test(raw)) return null;
    const n = Number(raw);
    return n >= min && n <= max ? n : null;
  };
}

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;
/** A Structured Fields string (RFC 8941 §3.3.3): quoted, with `"` and `\` escaped inside. */
const SF_STRING = /^"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"$/;

/**
 * The Idempotency-Key header (draft-ietf-httpapi-idempotency-key-header): a Structured Fields string, so
 * normally quoted; a bare value without quotes or commas is accepted too. Absent: undefined. The header given
 * twice reaches us joined by a comma (`"a", "b"`), which is neither, so it is refused rather than taken as one
 * key.
 */
export function idempotencyKey(headers: Record<string, unknown>): string | undefined | InvalidParam {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const given = typeof raw === 'string' ? raw.trim() : '';
  const quoted = SF_STRING.exec(given);
  const value = quoted ? quoted[1]! : /[",]/.test(given) ? '' : given;
  return IDEMPOTENCY_KEY.test(value)
    ? value
    : new InvalidParam('Idempotency-Key', 'Idempotency-Key must be one string of 1 to 255 printable ASCII characters.');
}
