/** The local Cloud Tasks endpoint (docs/architecture.md, "Platform facts"): start it, point TASKS_EMULATOR_HOST at `endpoint`. */
export type { QueueSpec } from './queueSettings.js';
export {
  type CloudTasksEmulator,
  type CloudTasksEmulatorOptions,
  startCloudTasksEmulator,
  type TaskSnapshot,
  type WaitOptions,
} from './startCloudTasksEmulator.js';
export type { DeliveryAttempt, EmulatorLogEntry } from './taskRecords.js';
