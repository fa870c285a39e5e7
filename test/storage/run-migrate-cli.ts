// Runs `modelwatch migrate` in its own process (the embedded engine binds one data directory per process).
import { Command } from 'commander';
import { registerMigrate } from '../../cli/commands/migrate.ts';

const program = new Command('modelwatch');
registerMigrate(program);
await program.parseAsync(process.argv);
