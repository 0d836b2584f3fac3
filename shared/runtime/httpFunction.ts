/** The shape every function shares: cold-start wiring, `/health`, trace-aware logging, errors to HTTP. */
import type { HttpFunction, Request, Response } from '@google-cloud/functions-framework';
import { type Config, type FunctionName, secretValuesInEnv } from '../config/index.js';
import { coerceError, HostpayError } from '../errors.js';
import { RequestError } from '../http/requestError.js';
import { createLogger, type Logger, traceFromHeaders } from '../log/index.js';
import { checkHealth, type HealthProbe } from './health.js';

/** What every function's dependencies carry. */
export interface BaseDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Closes the clients (database pool, gRPC channel, provider); tests and the local stack call it. */
  readonly close: () => Promise<void>;
}

/** A Functions Framework handler that can also close what its cold start opened. */
export type ClosableHttpFunction = HttpFunction & { close(): Promise<void> };

/** A handler's answer: the HTTP status and a JSON body. */
export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface HttpFunctionOptions<D extends BaseDeps> {
  name: FunctionName;
  /** Builds the dependencies once per instance (docs/architecture.md, "Conventions"); retried on the next request if it fails. */
  createDeps: () => Promise<D>;
  health: (deps: D) => Record<string, HealthProbe>;
  handle: (deps: D, req: Request, logger: Logger) => Promise<HttpAnswer>;
  /** Where lines go before the configuration (and so the redaction list) is known. */
  fallbackLogger?: Logger;
}

/**
 * Wraps a handler as a Functions Framework HTTP function. A request refused as bad input answers its own
 * status; anything else unexpected answers 500 with only an error code, so the queue redelivers and the
 * ledger makes the redelivery safe (docs/architecture.md, "The flow").
 */
export function createHttpFunction<D extends BaseDeps>(
  options: HttpFunctionOptions<D>,
): ClosableHttpFunction {
  // Before the configuration is read, the secrets are redacted as the environment gives them.
  const fallback =
    options.fallbackLogger ??
    createLogger({ base: { function: options.name }, secrets: secretValuesInEnv(process.env) });
  let deps: Promise<D> | undefined;
  const getDeps = (): Promise<D> => {
    deps ??= options.createDeps().catch((error: unknown) => {
      deps = undefined;
      throw error;
    });
    return deps;
  };

  const handler = async (req: Request, res: Response) => {
    let loaded: D;
    try {
      loaded = await getDeps();
    } catch (error) {
      const code = error instanceof HostpayError ? error.code : 'WEB3_INITIALIZATION_FAILED';
      fallback.critical('startup_failed', `${options.name} could not start`, { error_code: code, error });
      res.status(500).json({ error: code });
      return;
    }
    if (req.method === 'GET' && req.path === '/health') {
      const report = await checkHealth(options.health(loaded));
      res.status(report.status === 'ok' ? 200 : 503).json(report);
      return;
    }
    const logger = loaded.logger.child({
      function: options.name,
      ...traceFromHeaders(req.headers, loaded.config.tasksProject),
    });
    try {
      const answer = await options.handle(loaded, req, logger);
      res.status(answer.status).json(answer.body);
    } catch (caught) {
      if (caught instanceof RequestError) {
        logger.warn('request_rejected', caught.message, { reason: caught.reason, status: caught.status });
        res.status(caught.status).json(caught.toBody());
        return;
      }
      const error = coerceError(caught);
      const code = error instanceof HostpayError ? error.code : 'UNKNOWN_ERROR';
      logger.error('request_failed', `${options.name} failed; the queue will redeliver`, {
        error_code: code,
        error,
      });
      res
        .status(error instanceof HostpayError && error.category === 'infrastructure' ? 503 : 500)
        .json({ error: code });
    }
  };
  const close = async () => {
    const pending = deps;
    deps = undefined;
    if (pending) await (await pending.catch(() => undefined))?.close();
  };
  return Object.assign(handler, { close });
}
