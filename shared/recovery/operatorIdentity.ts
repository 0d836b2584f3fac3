/** Who is calling the admin API (DESIGN.md §2: IAM guards it; every change records who made it). */
import type { Config } from '../config.js';
import { RequestError } from '../http/requestError.js';

type Headers = Record<string, string | string[] | undefined>;

const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** The `email` claim of a bearer ID token; the platform has verified it before the request reaches us. */
function bearerEmail(authorization: string | undefined): string | undefined {
  const payload = /^Bearer [\w-]+\.([\w-]+)\.[\w-]*$/.exec(authorization ?? '')?.[1];
  if (payload === undefined) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { email?: unknown };
    return typeof claims.email === 'string' ? claims.email : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The operator: the identity header IAP adds (`X-Goog-Authenticated-User-Email`, prefix stripped), else
 * the e-mail of the ID token Cloud Run's IAM check accepted. Locally, `X-Operator` or "local". Without
 * any of them outside local mode the request is refused with 401: it did not come through the platform.
 */
export function operatorIdentity(config: Pick<Config, 'env'>, headers: Headers): string {
  const iap = first(headers['x-goog-authenticated-user-email'])?.replace(/^accounts\.google\.com:/, '');
  const identity = iap || bearerEmail(first(headers.authorization));
  if (identity) return identity.slice(0, 200);
  if (config.env === 'local') return first(headers['x-operator'])?.slice(0, 200) || 'local';
  throw new RequestError(401, 'unauthenticated', 'no platform identity on this request');
}
