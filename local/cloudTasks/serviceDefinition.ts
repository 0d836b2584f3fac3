/** Loads the Cloud Tasks v2 gRPC service from the protos shipped inside `@google-cloud/tasks` (docs/architecture.md, "Platform facts"). */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/** How messages look on the server side: camelCase fields, enums as names, int64 as strings, unset fields absent. */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
} as const;

/** The directories `cloudtasks.proto` and its imports (google/api, google/iam, google/rpc) resolve from. */
export function protoIncludeDirs(): string[] {
  const tasksProtos = dirname(createRequire(import.meta.url).resolve('@google-cloud/tasks/build/protos'));
  // The common Google protos ship with the google-gax copy that @google-cloud/tasks itself resolves.
  const gaxEntry = createRequire(join(tasksProtos, 'protos.cjs')).resolve('google-gax');
  return [tasksProtos, join(dirname(gaxEntry), '..', 'protos')];
}

/** The `google.cloud.tasks.v2.CloudTasks` service definition for `grpc.Server#addService`. */
export function loadCloudTasksService(): ServiceDefinition {
  const definition = loadSync('google/cloud/tasks/v2/cloudtasks.proto', {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: protoIncludeDirs(),
  });
  const root = loadPackageDefinition(definition) as unknown as {
    google: { cloud: { tasks: { v2: { CloudTasks: { service: ServiceDefinition } } } } };
  };
  return root.google.cloud.tasks.v2.CloudTasks.service;
}
