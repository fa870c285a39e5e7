import { Command } from 'commander';
import { registerServe } from './commands/serve.ts';
import { registerCollector } from './commands/collector.ts';
import { registerMigrate } from './commands/migrate.ts';
import { registerDrift } from './commands/drift.ts';
import { registerCheck } from './commands/check.ts';
import { registerAnalyzer } from './commands/analyzer.ts';
import { registerAlerts } from './commands/alerts.ts';
import { registerDemo } from './commands/demo.ts';
import { registerKeys } from './commands/keys.ts';

/** Builds the `modelwatch` command with every subcommand registered. */
export function buildProgram(): Command {
  const program = new Command('modelwatch')
    .description('Observability and drift monitoring for production ML models, on ClickHouse')
    .version('0.1.0')
    .showHelpAfterError();
  // Each subcommand lives in cli/commands/<name>.ts and registers itself here.
  registerServe(program);
  registerCollector(program);
  registerMigrate(program);
  registerAnalyzer(program);
  registerDrift(program);
  registerCheck(program);
  registerAlerts(program);
  registerDemo(program);
  registerKeys(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
