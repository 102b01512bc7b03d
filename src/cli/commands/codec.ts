/** `lcodec encode`, `decode`, `info` and `models`: argument parsing over the library API (several inputs: ../batch.ts). */
import type { Command } from 'commander';
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { encode, inspect } from '../../api.js';
import { DECODED_EXTENSION, decodeToFile } from '../../batch.js';
import { checkTile } from '../../../codecs/image/hyperprior.js';
import { checkIntraPeriod } from '../../../codecs/video/index.js';
import { integer, oneOf } from '../../check.js';
import { UsageError } from '../../errors.js';
import { checkOutput, writeFileAtomic } from '../../io/files.js';
import { DEFAULT_MODEL, DEFAULT_QUALITIES, installedModels } from '../../../codecs/models.js';
import type { Device, RuntimeOptions } from '../../runtime/onnx.js';
import { type BatchFlags, LAYOUT, decodeBatch, describeDecoded, describeEncoded, encodeBatch, isBatch, replaceExt } from '../batch.js';

interface RuntimeFlags {
  device?: string;
  threads?: string;
}

const DEVICES: readonly Device[] = ['cpu', 'cuda'];

function runtimeOptions(o: RuntimeFlags): RuntimeOptions {
  const out: RuntimeOptions = {};
  if (o.device !== undefined) out.device = oneOf('--device', o.device, DEVICES);
  if (o.threads !== undefined) out.threads = integer('--threads', o.threads, 1, 256);
  return out;
}

/** A flag's value checked by `check` (the same check the library makes, as a usage error), when given. */
function flag<T>(value: string | undefined, check: (v: string) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

/** Lossy input conversions are reported, one line each, and the command goes on. */
function warn(message: string): void {
  process.stderr.write(`lcodec: warning: ${message}\n`);
}

/** UsageError (exit code 1) for a missing or unreadable input, as readInput gives. */
async function readable(file: string): Promise<void> {
  try {
    await access(file, constants.R_OK);
    if (!(await stat(file)).isFile()) throw new Error('not a file');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
}

async function readInput(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${file}` : `cannot read ${file}: ${(err as Error).message}`);
  }
}

export function registerCodecCommands(program: Command): void {
  program
    .command('encode <inputs...>')
    .description('compress image, audio or video files into .lc files (several inputs: one process, models loaded once)')
    .option('-o, --output <path>', 'output file (default: <input>.lc); with several inputs, or a name ending in /, a folder')
    .option('-m, --model <name>', `model (see \`lcodec models\`; default ${DEFAULT_MODEL.image} for images, ${DEFAULT_MODEL.audio} for audio, ${DEFAULT_MODEL.video} for video)`)
    .option('-q, --quality <n>', `the model's quality index; higher = better quality (default ${DEFAULT_QUALITIES.image} for images, ${DEFAULT_QUALITIES.video} for video, ${DEFAULT_QUALITIES.audio} for audio)`)
    .option('--device <cpu|cuda>', 'ONNX Runtime execution provider', 'cpu')
    .option('--threads <n>', 'ONNX Runtime threads')
    .option('--tile <n>', 'tile edge in pixels (multiple of 64, max 1024); smaller tiles use less memory')
    .option('--intra-period <n>', 'video: frames between intra frames (default 32; 1 = all intra)')
    .option('-j, --jobs <n>', 'several inputs: how many are coded at a time (default 1)')
    .option('-f, --force', 'overwrite the output file')
    .action(async (inputs: string[], o: RuntimeFlags & BatchFlags & { model?: string; quality?: string; tile?: string; intraPeriod?: string }, cmd: Command) => {
      const options = () => ({
        ...runtimeOptions(o),
        model: o.model,
        quality: flag(o.quality, (q) => integer('-q', q)),
        tile: flag(o.tile, (t) => checkTile(t, '--tile', UsageError)),
        intraPeriod: flag(o.intraPeriod, (p) => checkIntraPeriod(p, '--intra-period', UsageError)),
        onWarning: warn,
      });
      if (isBatch(inputs, o.output)) {
        process.exitCode = await encodeBatch(inputs, { ...o, verbose: cmd.optsWithGlobals().verbose === true }, options());
        return;
      }
      const input = inputs[0]!;
      const output = o.output ?? replaceExt(input, '.lc');
      await readable(input);
      const opts = { ...options(), name: input };
      checkOutput(output, input, o.force === true);
      // A path, so that long audio files are streamed rather than read whole.
      const lc = await encode(input, opts);
      await writeFileAtomic(output, lc);
      process.stdout.write(describeEncoded(output, lc) + '\n');
    });

  program
    .command('decode <inputs...>')
    .description('decompress .lc files (image → .png, audio → .wav at the input\'s rate, channels and length, video → .y4m, or .mp4/.mkv by the output name)')
    .option('-o, --output <path>', 'output file (default: <input> with .png, .wav or .y4m); with several inputs, or a name ending in /, a folder')
    .option('--device <cpu|cuda>', 'ONNX Runtime execution provider', 'cpu')
    .option('--threads <n>', 'ONNX Runtime threads')
    .option('-j, --jobs <n>', 'several inputs: how many are decoded at a time (default 1)')
    .option('-f, --force', 'overwrite the output file')
    .action(async (inputs: string[], o: RuntimeFlags & BatchFlags, cmd: Command) => {
      const runtime = runtimeOptions(o);
      if (isBatch(inputs, o.output)) {
        process.exitCode = await decodeBatch(inputs, { ...o, verbose: cmd.optsWithGlobals().verbose === true }, runtime);
        return;
      }
      const input = inputs[0]!;
      const bytes = await readInput(input);
      const header = inspect(bytes);
      const output = o.output ?? replaceExt(input, DECODED_EXTENSION[header.modality as keyof typeof DECODED_EXTENSION] ?? '.png');
      checkOutput(output, input, o.force === true);
      process.stdout.write(describeDecoded(output, await decodeToFile(bytes, output, runtime)) + '\n');
    });

  program
    .command('info <input>')
    .description('what an .lc file holds: modality, model, quality, dimensions, sizes')
    .option('--json', 'print JSON')
    .action(async (input: string, o: { json?: boolean }) => {
      const info = inspect(await readInput(input));
      if (o.json) {
        process.stdout.write(JSON.stringify(info, null, 2) + '\n');
        return;
      }
      const lines = [
        `modality: ${info.modality}`,
        `model:    ${info.model}`,
        `quality:  ${info.quality}`,
        info.width !== undefined ? `size:     ${info.width}x${info.height}${info.channels !== undefined ? ` ${LAYOUT[info.channels]}` : ''}` : undefined,
        info.sampleRate !== undefined ? `audio:    ${info.seconds!.toFixed(2)} s, ${info.sampleRate} Hz, ${info.channels} ch` : undefined,
        info.frames !== undefined ? `video:    ${info.frames} frames, ${info.fps!.toFixed(3)} fps, ${info.seconds!.toFixed(2)} s, intra period ${info.intraPeriod}` : undefined,
        `bytes:    ${info.bytes}${info.bpp !== undefined ? ` (${info.bpp.toFixed(4)} bpp)` : ''}${info.kbps !== undefined ? ` (${info.kbps.toFixed(2)} kbps)` : ''}`,
        `sections: ${info.sections.join(', ')}`,
      ];
      process.stdout.write(lines.filter((l) => l !== undefined).join('\n') + '\n');
    });

  program
    .command('models')
    .description('installed models with their cards (a model whose card is missing or damaged: one line saying why)')
    .option('--json', 'print the cards as JSON')
    .action((o: { json?: boolean }) => {
      const models = installedModels();
      if (o.json) {
        const out = models.map((m) => m.card ?? { name: m.name, unavailable: m.problem });
        process.stdout.write(JSON.stringify(out, null, 2) + '\n');
        return;
      }
      for (const { name, card, problem } of models) {
        if (!card) {
          process.stdout.write(`${name}\tunavailable: ${problem}\n`);
          continue;
        }
        const q = card.qualities ? `qualities ${card.qualities[0]}..${card.qualities[card.qualities.length - 1]}` : '';
        process.stdout.write(`${card.name}\t${card.modality}\t${q}\t${card.architecture ?? ''}\n`);
      }
    });
}
