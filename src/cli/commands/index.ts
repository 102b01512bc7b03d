import type { Command } from 'commander';
import { registerCodecCommands } from './codec.js';
import { registerBench } from './bench.js';
import { registerDemo } from './demo.js';
import { registerEval } from './eval.js';
import { registerWorker } from './worker.js';

/** Each entry adds subcommands to the program. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [registerCodecCommands, registerEval, registerWorker, registerBench, registerDemo];
