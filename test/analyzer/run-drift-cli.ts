// Runs `modelwatch drift` in its own process (the embedded engine binds one data directory per process).
import { Command } from 'commander';
import { registerDrift } from '../../cli/commands/drift.ts';

const program = new Command('modelwatch');
registerDrift(program);
await program.parseAsync(process.argv);
