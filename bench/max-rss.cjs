// Preloaded with `node -r` by tests and benchmarks: on exit, writes the process's peak
// resident set size in KiB to the file named by $LCODEC_MAX_RSS_FILE.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const file = process.env.LCODEC_MAX_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS));
});
