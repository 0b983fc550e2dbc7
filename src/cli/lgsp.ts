#!/usr/bin/env node
// lgsp: the operator's command. `check-config` reads the settings (environment variables) and the
// partner registry they name, exactly as a start would, and reports every problem at once without
// starting anything (no database, Redis or listener). Exit codes: 0 valid, 78 invalid (EX_CONFIG),
// 2 usage.
import { ConfigError } from '../config/config.js';
import { checkStartup } from '../config/startup-check.js';

const USAGE = `Usage:
  lgsp check-config
      Checks the settings in the environment and the partner registry (PARTNERS_FILE) without starting anything.
Exit codes: 0 valid, 78 invalid configuration, 2 usage.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command !== 'check-config' || rest.length > 0) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    const { config, registry } = await checkStartup(process.env);
    const registryLine = registry ? `partner registry ${config.partnersFile}: ${registry.all().length} partner(s)` : 'partner registry: made in DATA_DIR at the first development start';
    process.stdout.write(`Configuration OK: ${config.mode} mode, roles ${[...config.roles].join(',')}; ${registryLine}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 78;
  }
}

process.exitCode = await main(process.argv.slice(2));
