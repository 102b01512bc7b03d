/**
 * The command line of a bench script: `--name value` options and the positional arguments (those
 * that neither start with `--` nor follow an option).
 */
export interface BenchArgs {
  /** The value after `--name`, or undefined when the option is absent. */
  opt(name: string): string | undefined;
  positional: string[];
}

export function benchArgs(argv: readonly string[] = process.argv.slice(2)): BenchArgs {
  return {
    opt: (name) => {
      const i = argv.indexOf(`--${name}`);
      return i >= 0 ? argv[i + 1] : undefined;
    },
    positional: argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1]!.startsWith('--'))),
  };
}
