import type { Command } from 'commander';
import { registerEval } from './eval.js';

/** Each entry adds one subcommand to the program. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [registerEval];
