// Runs `modelwatch check` in its own process (the embedded engine binds one data directory per process).
import { Command } from 'commander';
import { registerCheck } from '../../cli/commands/check.ts';

const program = new Command('modelwatch');
registerCheck(program);
await program.parseAsync(process.argv);
