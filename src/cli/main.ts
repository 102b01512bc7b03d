#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from '../index.js';

const program = new Command();
program.name('lcodec').description('Learned compression of images, audio and video').version(VERSION);
await program.parseAsync(process.argv);
