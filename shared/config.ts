/** Configuration: settings, their loader and the Config type (docs/architecture.md, "Configuration"). */
export {
  type AssetSetting,
  attemptBoundSeconds,
  type Config,
  DISPATCH_MARGIN_SECONDS,
  MAX_DISPATCH_DEADLINE_SECONDS,
  SETTING_FIELDS,
} from './config/config.js';
export { type LoadConfigOptions, loadConfig, requireSettings } from './config/loadConfig.js';
export { parseDecimalUnits } from './config/parsers.js';
export { secretValuesInEnv } from './config/secretForms.js';
export {
  FUNCTION_NAMES,
  type FunctionName,
  SETTINGS,
  type SettingName,
  type SettingSpec,
} from './config/settings.js';
