/** `lcodec worker`: runs `lcodec eval --queue` measurements from a Redis server (src/eval/queue-worker.ts). */
import { type Command, Option } from 'commander';
import { integer } from '../../check.js';
import { defaultCacheDir } from '../../eval/cache.js';
import { parseRedisUrl, redactError } from '../../eval/redis-url.js';

interface WorkerFlags {
  queue: string;
  concurrency: string;
  cache?: string | false;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('run the measurements of `lcodec eval --queue` runs on this machine, until Ctrl-C or SIGTERM')
    .requiredOption(
      '--queue <redis-url>',
      'the Redis server the evals use: redis://[:password@]host:port[/db] (password also from $LCODEC_REDIS_PASSWORD)',
    )
    .option('--concurrency <n>', 'measurements at once per eval run (worker threads)', '1')
    .addOption(new Option('--cache <dir>', 'result cache folder (default: ~/.cache/lcodec/eval; a shared folder works)'))
    .option('--no-cache', 'ignore and do not write the result cache')
    .action(async (flags: WorkerFlags) => {
      const concurrency = integer('--concurrency', flags.concurrency, 1);
      const password = process.env.LCODEC_REDIS_PASSWORD || undefined;
      const { password: secret } = parseRedisUrl(flags.queue, password);
      // First Ctrl-C / SIGTERM: finish the tasks in hand; a second one exits at once.
      const stop = new AbortController();
      const onSignal = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const { runQueueWorker } = await import('../../eval/queue-worker.js');
      try {
        await runQueueWorker({
          url: flags.queue,
          password,
          concurrency,
          cache: flags.cache === false ? false : (flags.cache ?? defaultCacheDir()),
          log: (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
          signal: stop.signal,
        });
      } catch (err) {
        throw redactError(err, secret);
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
      // BullMQ's worker threads and sockets are closed; exit without waiting on stray timers.
      process.exit(0);
    });
}
