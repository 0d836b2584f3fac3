/**
 * Which adminApi (or database) an operator command talks to, and how it proves who the operator is
 * (docs/architecture.md, "Operators"). Shared by `hostpay failed` and `hostpay payouts`.
 */
import { GoogleAuth } from 'google-auth-library';
import { stackFilePath } from '../local/stack/paths.js';
import { readStackFile } from '../local/stack/stackFile.js';
import { type AdminBackend, type Answer, apiBackend, databaseBackend } from './adminBackends.js';
import { type CliIo, EXIT } from './command.js';

/** The options every operator command takes to choose its target. */
export const TARGET_OPTIONS = {
  api: { type: 'string' },
  audience: { type: 'string' },
  'database-url': { type: 'string' },
  token: { type: 'string' },
  operator: { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const TARGET_USAGE = `target: the running local stack's adminApi by default (no token; --operator names you, default $USER);
        --api URL (or HOSTPAY_ADMIN_URL): a deployed adminApi, called with an ID token for --audience
          (or HOSTPAY_ADMIN_AUDIENCE; default the origin of an https URL; none for http) that google-auth-library gets from your
          Application Default Credentials (gcloud auth application-default login, a service account, or
          the metadata server); --token (or HOSTPAY_ADMIN_TOKEN) uses a given ID token instead;
        --database-url URL (or DATABASE_URL): the database directly, through the same operations
common: --json (machine output)`;

export interface TargetValues {
  api?: string | undefined;
  audience?: string | undefined;
  'database-url'?: string | undefined;
  token?: string | undefined;
  operator?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

export interface Target {
  backend: AdminBackend;
  /** One line saying what the command talks to, for the help text and errors. */
  description: string;
}

/** The adminApi of the local stack when one runs (`.local/stack.json`), the default target. */
async function runningStackAdminUrl(env: Env): Promise<string | undefined> {
  try {
    return (await readStackFile(stackFilePath(env))).functions.adminApi ?? undefined;
  } catch {
    return undefined;
  }
}

/** An ID token for `audience` from Application Default Credentials, fetched once and reused until near expiry. */
export function googleIdToken(audience: string): () => Promise<string> {
  const auth = new GoogleAuth();
  let cached: { token: string; expiresAt: number } | undefined;
  return async () => {
    if (cached && cached.expiresAt - 60_000 > Date.now()) return cached.token;
    const client = await auth.getIdTokenClient(audience);
    const token = await client.idTokenProvider.fetchIdToken(audience);
    cached = { token, expiresAt: tokenExpiry(token) };
    return token;
  };
}

/** The `exp` of a JWT in milliseconds; 0 (fetch again next time) when it cannot be read. */
function tokenExpiry(token: string): number {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      exp?: unknown;
    };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** Chooses the target from the options and environment; a string is the reason none could be chosen. */
export async function chooseTarget(values: TargetValues, env: Env): Promise<Target | string> {
  const operator = values.operator ?? env.USER ?? 'cli';
  const explicitApi = values.api ?? env.HOSTPAY_ADMIN_URL;
  const databaseUrl = values['database-url'] ?? (explicitApi ? undefined : env.DATABASE_URL);
  if (values.api && values['database-url']) return 'give --api or --database-url, not both';
  if (databaseUrl) {
    const { host, pathname } = new URL(databaseUrl);
    return {
      backend: databaseBackend({ databaseUrl, operator, env }),
      description: `the database at ${host}${pathname}, as ${operator}`,
    };
  }
  if (explicitApi) {
    const token = values.token ?? env.HOSTPAY_ADMIN_TOKEN;
    const named = values.audience ?? env.HOSTPAY_ADMIN_AUDIENCE;
    // A deployed adminApi is https; a plain-http one is a local stack, which takes no token unless an
    // audience is named (and no token is ever fetched to be sent in the clear otherwise).
    const audience =
      named ?? (new URL(explicitApi).protocol === 'https:' ? new URL(explicitApi).origin : undefined);
    const how = token
      ? 'with the given ID token'
      : audience
        ? `with an ID token for ${audience} from Application Default Credentials`
        : 'without a token (a local stack)';
    const idToken = token ? async () => token : audience ? googleIdToken(audience) : undefined;
    return {
      backend: apiBackend({ baseUrl: explicitApi, operator, ...(idToken ? { idToken } : {}) }),
      description: `the adminApi at ${explicitApi}, ${how}`,
    };
  }
  const local = await runningStackAdminUrl(env);
  if (local === undefined) return 'no target: give --api URL or --database-url URL, or start the local stack';
  return {
    backend: apiBackend({ baseUrl: local, operator }),
    description: `the local stack's adminApi at ${local}, as ${operator}`,
  };
}

/** The line the help text ends with: what the command would talk to now. */
export async function describeTarget(env: Env): Promise<string> {
  const target = await chooseTarget({}, env);
  if (typeof target === 'string') return `current target: none (${target})`;
  await target.backend.close();
  return `current target: ${target.description}`;
}

/**
 * Prints an operator command's answer: a refusal on stderr with the API's reason as it gave it (exit 1),
 * else the body as JSON or as `render` makes it readable (exit 0).
 */
export function printAnswer(
  io: Pick<CliIo, 'out' | 'err'>,
  answer: Answer,
  json: boolean | undefined,
  render: (body: Record<string, unknown>) => string,
): number {
  if (answer.status >= 400) {
    const reason = `refused (${answer.status} ${String(answer.body.error)}): ${String(answer.body.message)}`;
    io.err(`${json ? JSON.stringify(answer.body) : reason}\n`);
    return EXIT.failed;
  }
  io.out(`${json ? JSON.stringify(answer.body, null, 2) : render(answer.body)}\n`);
  return EXIT.ok;
}
