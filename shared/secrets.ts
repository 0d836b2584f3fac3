/** Secret Manager references in settings, resolved through an injected client (docs/architecture.md, "Configuration"). */

/** The one method hostpay uses of `@google-cloud/secret-manager`'s `SecretManagerServiceClient`. */
export interface SecretResolver {
  accessSecretVersion(request: {
    name: string;
  }): Promise<readonly [{ payload?: { data?: Uint8Array | string | null } | null }, ...unknown[]]>;
}

/** A resolver the caller created and must close; the real client keeps gRPC channels open. */
export interface ClosableSecretResolver extends SecretResolver {
  close(): Promise<void>;
}

/** The outcome of resolving: values by setting name, and one line per setting that failed. */
export interface ResolvedSecrets {
  readonly values: Readonly<Record<string, string | undefined>>;
  readonly problems: readonly { readonly setting: string; readonly problem: string }[];
}

const REFERENCE = /^projects\/[^/\s]+\/secrets\/[^/\s]+\/versions\/[^/\s]+$/;

/** Whether a setting's value names a Secret Manager version instead of holding the secret. */
export function isSecretReference(value: string): boolean {
  return REFERENCE.test(value);
}

/** Creates the real Secret Manager client; imported lazily so local runs never load it. */
export async function createSecretManagerClient(): Promise<ClosableSecretResolver> {
  const { SecretManagerServiceClient } = await import('@google-cloud/secret-manager');
  return new SecretManagerServiceClient();
}

// A secret stored with `echo` or read from a mounted file ends in a newline that is not part of it.
function stripTrailingNewlines(value: string): string {
  return value.replace(/[\r\n]+$/, '');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodePayload(data: Uint8Array | string | null | undefined): string | undefined {
  if (data === null || data === undefined) return undefined;
  if (typeof data === 'string') return data;
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

// gRPC status codes by number; only the name is reported, never the server's message.
const GRPC_STATUS = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'number' && GRPC_STATUS[code] !== undefined) return GRPC_STATUS[code];
  if (typeof code === 'string' && /^[A-Z_]{2,40}$/.test(code)) return code;
  return 'request failed';
}

async function resolveOne(client: SecretResolver, reference: string) {
  let response: Awaited<ReturnType<SecretResolver['accessSecretVersion']>>;
  try {
    response = await client.accessSecretVersion({ name: reference });
  } catch (error) {
    return { problem: `could not read the Secret Manager version it names (${describeFailure(error)})` };
  }
  const text = decodePayload(response[0]?.payload?.data);
  if (text === undefined) return { problem: 'the Secret Manager version it names has no UTF-8 payload' };
  const value = stripTrailingNewlines(text);
  if (value === '') return { problem: 'the Secret Manager version it names is empty' };
  return { value };
}

/**
 * Resolves the settings in `names` from `env` (docs/architecture.md, "Configuration"): a `projects/<p>/secrets/<s>/versions/<v>`
 * value is read through `client` (created on first need when it is a factory), a plain value is used
 * as the platform mounted it. Failures name the setting and a status, never a value.
 */
export async function resolveSecrets(
  env: Readonly<Record<string, string | undefined>>,
  client: SecretResolver | (() => Promise<SecretResolver>),
  names: readonly string[],
): Promise<ResolvedSecrets> {
  const values: Record<string, string | undefined> = {};
  const problems: { setting: string; problem: string }[] = [];
  const references: [string, string][] = [];
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw === '') values[name] = undefined;
    else if (isSecretReference(raw)) references.push([name, raw]);
    else values[name] = stripTrailingNewlines(raw);
  }
  if (references.length === 0) return { values, problems };
  let resolver: SecretResolver;
  try {
    resolver = typeof client === 'function' ? await client() : client;
  } catch (error) {
    for (const [name] of references) {
      problems.push({
        setting: name,
        problem: `Secret Manager client unavailable (${describeFailure(error)})`,
      });
    }
    return { values, problems };
  }
  const outcomes = await Promise.all(references.map(([, ref]) => resolveOne(resolver, ref)));
  // Only a client created here is closed; an injected one belongs to the caller.
  if (typeof client === 'function')
    await (resolver as Partial<ClosableSecretResolver>).close?.().catch(() => {});
  references.forEach(([name], i) => {
    const outcome = outcomes[i];
    if (outcome?.value !== undefined) values[name] = outcome.value;
    else problems.push({ setting: name, problem: outcome?.problem ?? 'could not be resolved' });
  });
  return { values, problems };
}
