/** The real Cloud Tasks client, pointed at Google or at the local endpoint (docs/architecture.md, "Platform facts"). */
import { CloudTasksClient } from '@google-cloud/tasks';
import { credentials } from '@grpc/grpc-js';
import { HostpayError } from '../errors.js';

export interface TasksClientOptions {
  /** `host:port` of the local Cloud Tasks endpoint (TASKS_EMULATOR_HOST); absent in production. */
  emulatorHost?: string | undefined;
}

/**
 * Without `emulatorHost`: the default client (Application Default Credentials, TLS to Google).
 * With it: plaintext gRPC to that address. `sslCreds` replaces the credential lookup entirely and an
 * explicit `universeDomain` stops the auth library asking for one, so no ADC file is read and the
 * metadata server is never probed.
 */
export function createTasksClient(options: TasksClientOptions = {}): CloudTasksClient {
  if (options.emulatorHost === undefined || options.emulatorHost === '') return new CloudTasksClient();
  const { host, port } = parseHostPort(options.emulatorHost);
  return new CloudTasksClient({
    apiEndpoint: host,
    port,
    sslCreds: credentials.createInsecure(),
    universeDomain: 'googleapis.com',
  });
}

function parseHostPort(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new HostpayError(
      'CONFIG_INVALID',
      `TASKS_EMULATOR_HOST must be host:port, got ${JSON.stringify(value)}`,
    );
  }
  return { host: match[1], port };
}
