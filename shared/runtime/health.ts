/** `GET /health` (docs/tokens.md): each component's state, 200 when all answer, 503 otherwise, no secret. */

/** A probe answers when it resolves; a throw or a timeout marks its component down. */
export type HealthProbe = () => Promise<unknown>;

export interface HealthReport {
  status: 'ok' | 'degraded';
  components: Record<string, { ok: boolean; error?: string }>;
}

/** Runs every probe at once, each bounded by `timeoutMs`; reports only the error's class, never its text. */
export async function checkHealth(
  probes: Record<string, HealthProbe>,
  timeoutMs = 3000,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]) => {
      try {
        await withTimeout(probe(), timeoutMs);
        return [name, { ok: true }] as const;
      } catch (error) {
        const code = (error as { code?: unknown })?.code;
        return [name, { ok: false, error: typeof code === 'string' ? code : 'unavailable' }] as const;
      }
    }),
  );
  const components = Object.fromEntries(entries);
  return { status: entries.every(([, c]) => c.ok) ? 'ok' : 'degraded', components };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('probe timed out'), { code: 'TIMEOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
