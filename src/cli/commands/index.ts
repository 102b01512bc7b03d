import type { Command } from 'commander';

/** Each entry adds one subcommand to the program. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [];
