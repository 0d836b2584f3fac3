/**
 * The offline Terraform checks (docs/deploy.md, "What was checked offline and what needs a real project"), wired together: parse a module, evaluate it with the
 * example variables, and run the schema, convention, code-agreement and access checks on it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkPublicAccess } from './access.js';
import { checkConditions } from './conditions.js';
import { checkDatabase } from './database.js';
import { Evaluator } from './eval.js';
import { readExportedNames } from './exports.js';
import {
  checkEntryPoints,
  checkSettings,
  type DeployedFunction,
  readFunctions,
  type SettingRule,
} from './functions.js';
import {
  type Finding,
  loadTerraformModule,
  loadTfvars,
  parseTerraformSources,
  type TerraformModule,
} from './load.js';
import { checkMonitoring } from './monitoring.js';
import { checkConventions, checkSchema, type ProviderSchemas, readProviderSchema } from './schema.js';
import { checkWiring, type WiringOptions } from './wiring.js';

export type { Finding } from './load.js';

/** A parsed and evaluated module, ready for the individual checks. */
export interface TerraformCheckContext {
  readonly module: TerraformModule;
  readonly evaluator: Evaluator;
  readonly schemas: ProviderSchemas;
  readonly tfvars: Readonly<Record<string, unknown>>;
  readonly functions: readonly DeployedFunction[];
  /** Parse and evaluation problems found while preparing. */
  readonly findings: readonly Finding[];
}

/** `<provider>-provider.json` files of a schema directory, by provider name. */
export async function readProviderSchemas(schemaDir: string): Promise<ProviderSchemas> {
  const schemas: Record<string, Awaited<ReturnType<typeof readProviderSchema>>> = {};
  for (const file of (await readdir(schemaDir)).sort()) {
    const match = /^(.+)-provider\.json$/.exec(file);
    if (match?.[1]) schemas[match[1]] = await readProviderSchema(join(schemaDir, file));
  }
  return schemas;
}

async function readSources(
  dir: string,
  edit: (file: string, text: string) => string,
): Promise<Record<string, string>> {
  const sources: Record<string, string> = {};
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.tf')).sort()) {
    sources[name] = edit(name, await readFile(join(dir, name), 'utf8'));
  }
  return sources;
}

/**
 * Loads `dir` and evaluates it with `tfvarsFile` (default: `terraform.tfvars.example` beside it), so
 * that values such as queue names and function URLs are concrete.
 */
export async function prepareTerraformCheck(
  dir: string,
  options: {
    schemaDir: string;
    tfvarsFile?: string;
    /** Variable values laid over the file's, one variable at a time. */
    tfvars?: Readonly<Record<string, unknown>>;
    /** Rewrites a file's text before parsing: how the tests plant a mistake in the real module. */
    edit?: (file: string, text: string) => string;
  },
): Promise<TerraformCheckContext> {
  const { module, findings } = options.edit
    ? await parseTerraformSources(dir, await readSources(dir, options.edit))
    : await loadTerraformModule(dir);
  const tfvarsFile = options.tfvarsFile ?? join(dir, 'terraform.tfvars.example');
  const tfvars = {
    ...(existsSync(tfvarsFile) ? await loadTfvars(tfvarsFile) : {}),
    ...(options.tfvars ?? {}),
  };
  const evaluator = new Evaluator(module, tfvars);
  const read = await readFunctions(module, evaluator);
  return {
    module,
    evaluator,
    schemas: await readProviderSchemas(options.schemaDir),
    tfvars,
    functions: read.functions,
    findings: [...findings, ...read.findings],
  };
}

export interface CodeFacts {
  /** shared/config SETTINGS (or a table shaped like it). */
  readonly settings: readonly SettingRule[];
  /** Source of the bundle's entry module (functions/index.ts). */
  readonly entryFile: string;
  readonly wiring?: WiringOptions;
}

export function schemaFindings(context: TerraformCheckContext): Finding[] {
  return [
    ...checkSchema(context.module, context.schemas),
    ...checkConventions(context.module, context.schemas),
  ];
}

export async function entryPointFindings(
  context: TerraformCheckContext,
  entryFile: string,
): Promise<Finding[]> {
  if (!existsSync(entryFile)) {
    return [
      {
        check: 'entry points',
        where: entryFile,
        message: `${entryFile} does not exist: no entry point can be exported`,
      },
    ];
  }
  return checkEntryPoints(context.functions, await readExportedNames(entryFile), entryFile);
}

export function settingFindings(context: TerraformCheckContext, settings: readonly SettingRule[]): Finding[] {
  return checkSettings(context.functions, settings);
}

export function wiringFindings(context: TerraformCheckContext, wiring?: WiringOptions): Promise<Finding[]> {
  return checkWiring(context.module, context.evaluator, context.functions, wiring);
}

/** Functions that use the Cloud SQL connector may: roles, IAM database users, VPC egress, one mode. */
export function databaseFindings(context: TerraformCheckContext): Promise<Finding[]> {
  return checkDatabase(context.module, context.evaluator, context.functions);
}

/** Alert policies and dashboards on log-based metrics: the metric exists and is created first. */
export function monitoringFindings(context: TerraformCheckContext): Promise<Finding[]> {
  return checkMonitoring(context.module, context.evaluator);
}

export function conditionFindings(context: TerraformCheckContext): Promise<Finding[]> {
  return checkConditions(context.module, context.evaluator);
}

export function accessFindings(context: TerraformCheckContext): Promise<Finding[]> {
  return checkPublicAccess(context.module, context.evaluator, { 'terraform.tfvars.example': context.tfvars });
}

/** Every check at once. */
export async function checkTerraform(context: TerraformCheckContext, code: CodeFacts): Promise<Finding[]> {
  return [
    ...context.findings,
    ...schemaFindings(context),
    ...(await entryPointFindings(context, code.entryFile)),
    ...settingFindings(context, code.settings),
    ...(await wiringFindings(context, code.wiring)),
    ...(await databaseFindings(context)),
    ...(await monitoringFindings(context)),
    ...(await conditionFindings(context)),
    ...(await accessFindings(context)),
  ];
}

/** One finding per line, for assertion messages. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `[${f.check}] ${f.where}: ${f.message}`).join('\n');
}

/** `terraform fmt -check`, or why it was skipped (no terraform binary on PATH). */
export function terraformFmtCheck(dir: string): { skipped: string } | { findings: Finding[] } {
  const result = spawnSync('terraform', ['fmt', '-check', '-recursive', '-diff', dir], { encoding: 'utf8' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    return { skipped: 'no terraform binary on PATH: terraform fmt -check skipped' };
  }
  if (result.error) throw result.error;
  if (result.status === 0) return { findings: [] };
  return {
    findings: [
      { check: 'fmt', where: dir, message: `terraform fmt -check failed:\n${result.stdout}${result.stderr}` },
    ],
  };
}
