// `recur dashboard`: serves the runs root's dashboard on 127.0.0.1 (another interface only when
// --host says so) until Ctrl-C.
import { Option, type Command } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_ROOT } from '../track/index.js';
import { defaultAssetsDir, isLoopback, startDashboard } from '../track/server.js';
import { addDeprecatedFlag } from './deprecated-flag.js';
import { CliError } from './errors.js';
import { numberArg } from './number-arg.js';

export const DEFAULT_PORT = 6060;

export function register(program: Command): void {
  const cmd = program
    .command('dashboard')
    .description('serve a local web dashboard of the runs: charts overlaid, compare view, live updates')
    .option('--save_dir <dir>', 'runs root', DEFAULT_ROOT)
    .addOption(new Option('--port <n>', 'port (0: any free port)').argParser(numberArg('--port', { integer: true, min: 0, max: 65535 })).default(DEFAULT_PORT))
    .option('--host <addr>', 'interface to bind (default 127.0.0.1; anything else exposes your runs to that network)')
    .action(async (opts: { save_dir: string; port: number; host?: string }) => {
      const port = opts.port;
      const root = path.resolve(opts.save_dir);
      if (!fs.existsSync(root)) console.error(`recur dashboard: ${root} does not exist yet; runs will appear when it does`);
      if (!fs.existsSync(path.join(defaultAssetsDir(), 'index.html'))) {
        console.error('recur dashboard: the page is not built (npm run build); only the JSON API is served');
      }
      const host = opts.host ?? '127.0.0.1';
      let server;
      try {
        server = await startDashboard({ root, host, port });
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new CliError(`port ${port} is in use (try --port 0 for a free one)`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`cannot bind ${host}: no such local address`);
        if (code === 'EACCES') throw new CliError(`not allowed to bind ${host}:${port}`);
        throw e;
      }
      if (!isLoopback(host)) console.error(`recur dashboard: warning: listening on ${host}; anyone who can reach it can read these runs`);
      console.log(`recur dashboard: ${server.url}  (runs root ${server.root}; Ctrl-C to stop)`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
  addDeprecatedFlag(cmd, 'root', 'save_dir');
}
