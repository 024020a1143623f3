/**
 * The command-line checker run in process: its `main()` with standard
 * output, standard error and standard input captured, as the CLI tests
 * drive it. Kept apart from helpers.ts so that only the tests that run the
 * CLI load it.
 */
import { main, type Io } from '../server/src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `main(args)` with `stdin` as standard input; its exit code and what it wrote. */
export async function runCli(args: string[], stdin: string | Uint8Array = ''): Promise<CliRun> {
  let out = '',
    err = '';
  const io: Io = {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    readStdin: async () => stdin,
  };
  const code = await main(args, io);
  return { code, out, err };
}

/** runCli inside `dir`: main() resolves relative paths against the process's working directory. */
export async function runCliIn(dir: string, args: string[], stdin: string | Uint8Array = ''): Promise<CliRun> {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return await runCli(args, stdin);
  } finally {
    process.chdir(before);
  }
}
