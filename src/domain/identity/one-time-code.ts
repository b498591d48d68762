/** The code sent after login: six digits, valid a few minutes, a few tries. */
export const ONE_TIME_CODE_PATTERN = /^[0-9]{6}$/;

export function parseOneTimeCode(raw: unknown): string | null {
  return typeof raw === 'string' && ONE_TIME_CODE_PATTERN.test(raw.trim()) ? raw.trim() : null;
}
