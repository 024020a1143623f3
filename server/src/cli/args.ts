/**
 * Command-line parsing for the checker. Hand-written to keep the bundle
 * small and the messages exact; unknown options are usage errors (exit 2).
 */

export class UsageError extends Error {}

export interface ParsedArgs {
  command: string | undefined;
  options: Map<string, string[]>;
  flags: Set<string>;
  positionals: string[];
}

export interface OptionSpec {
  /** Options that take a value (`--name VALUE` or `--name=VALUE`). */
  valued: readonly string[];
  /** Options without a value. */
  flags: readonly string[];
}

export function parseArgs(argv: readonly string[], specs: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const [command, ...rest] = argv;
  const out: ParsedArgs = { command, options: new Map(), flags: new Set(), positionals: [] };
  // No command at all is a usage error (the usage goes to standard error, exit 2); asking for help is not.
  if (command === undefined) return { ...out, command: 'usage' };
  if (command === '--help' || command === '-h' || command === 'help') return { ...out, command: 'help' };
  if (command === '--version' || command === '-V') return { ...out, command: 'version' };
  const spec = specs[command];
  if (!spec) throw new UsageError(`unknown command '${command}'`);
  let onlyPositionals = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (onlyPositionals || a === '-' || !a.startsWith('-')) {
      out.positionals.push(a);
      continue;
    }
    if (a === '--') {
      onlyPositionals = true;
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq === -1 ? a : a.slice(0, eq);
    if (name === '--help' || name === '-h') {
      out.flags.add('--help');
      continue;
    }
    if (spec.flags.includes(name)) {
      if (eq !== -1) throw new UsageError(`option ${name} takes no value`);
      out.flags.add(name);
      continue;
    }
    if (!spec.valued.includes(name)) throw new UsageError(`unknown option '${name}' for '${command}'`);
    let value: string | undefined;
    if (eq !== -1) value = a.slice(eq + 1);
    else value = rest[++i];
    if (value === undefined) throw new UsageError(`option ${name} needs a value`);
    const list = out.options.get(name) ?? [];
    list.push(value);
    out.options.set(name, list);
  }
  return out;
}

export function single(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  if (!v) return undefined;
  if (v.length > 1) throw new UsageError(`option ${name} may be given once`);
  return v[0];
}
