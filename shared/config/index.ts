/** Configuration: settings, their loader and the Config type (docs/architecture.md, "Configuration"). */
export {
  type AssetSetting,
  attemptBoundSeconds,
  type Config,
  type ConfigFor,
  type ConfigWith,
  DISPATCH_MARGIN_SECONDS,
  MAX_DISPATCH_DEADLINE_SECONDS,
  SETTING_FIELDS,
} from './config.js';
export { type LoadConfigOptions, loadConfig } from './loadConfig.js';
export { parseDecimalUnits } from './parsers.js';
export { secretValuesInEnv } from './secretForms.js';
export {
  FUNCTION_NAMES,
  type FunctionName,
  type RequiredSettingOf,
  SETTINGS,
  type SettingName,
  type SettingSpec,
} from './settings.js';
