import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tests that run ONNX models or ffmpeg are CPU-heavy; two cores on CI.
    maxWorkers: 2,
  },
});
