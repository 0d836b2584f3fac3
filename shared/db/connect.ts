/** How hostpay reaches PostgreSQL from its settings, the same for the five functions and `hostpay migrate`. */
import type { Config } from '../config/config.js';
import type { SettingName } from '../config/settings.js';
import { HostpayError } from '../errors.js';
import type { DatabaseTarget } from './createSqlClient.js';

/** The settings that say how to connect (docs/deploy.md), with HOSTPAY_ENV for the production checks. */
export const DATABASE_SETTINGS: readonly SettingName[] = [
  'HOSTPAY_ENV',
  'DATABASE_URL',
  'CLOUD_SQL_INSTANCE',
  'CLOUD_SQL_IP_TYPE',
  'DATABASE_USER',
  'DATABASE_NAME',
  'DATABASE_POOL_MAX',
];

export type DatabaseConfig = Pick<
  Config,
  'databaseUrl' | 'cloudSqlInstance' | 'cloudSqlIpType' | 'databaseUser' | 'databaseName'
>;

/** The URL, or the Cloud SQL instance with its IAM user and database (loadConfig made sure one is set). */
export function databaseTarget(
  config: DatabaseConfig,
  connector?: Extract<DatabaseTarget, object>['connector'],
): DatabaseTarget {
  if (config.databaseUrl !== undefined) return config.databaseUrl;
  if (config.cloudSqlInstance === undefined || config.databaseUser === undefined) {
    throw new HostpayError(
      'CONFIG_INVALID',
      'DATABASE_URL: set DATABASE_URL or CLOUD_SQL_INSTANCE with DATABASE_USER',
    );
  }
  return {
    cloudSqlInstance: config.cloudSqlInstance,
    ipType: config.cloudSqlIpType,
    user: config.databaseUser,
    database: config.databaseName,
    ...(connector ? { connector } : {}),
  };
}
