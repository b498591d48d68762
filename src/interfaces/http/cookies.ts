import type { FastifyRequest } from 'fastify';

/**
 * The value of one cookie of the request, URL-decoded; undefined when absent or not decodable (a malformed
 * cookie is the same as none: it must never become a 500).
 */
export function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const raw = (request.headers.cookie ?? '')
    .split(';')
    .map((c) => c.trim())
    .find((c) => c.startsWith(`${name}=`))
    ?.slice(name.length + 1);
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
