// Test-only entry: `node bin/run-ts.mjs test/robustness/fault-serve.ts serve ...` runs the CLI with the
// storage fault switch armed and driven by the file named in MODELWATCH_TEST_FAULTS_FILE
// ("down", "ack-lost", or empty). Production runs bin/modelwatch.mjs, which never arms it.
import { armTestFaults, watchFaultFile } from '../../storage/faults.ts';

armTestFaults(process.env);
if (process.env.MODELWATCH_TEST_FAULTS_FILE) watchFaultFile(process.env.MODELWATCH_TEST_FAULTS_FILE);
await import('../../cli/main.ts');
