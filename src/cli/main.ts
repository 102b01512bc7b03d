#!/usr/bin/env node
/** The `lcodec` command line: thin over the library; each command lives in commands/. */
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { exitCodeFor, formatError } from './errors.js';

const program = new Command();
program
  .name('lcodec')
  .description('Learned compression of images, audio and video')
  .version(VERSION)
  .option('--verbose', 'print stack traces on errors')
  .exitOverride();
for (const register of COMMANDS) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version exit 0, usage errors 1.
    process.exit(err.exitCode === 0 ? 0 : 1);
  }
  const verbose = program.opts().verbose === true;
  process.stderr.write(formatError(err, verbose) + '\n');
  process.exit(exitCodeFor(err));
}
