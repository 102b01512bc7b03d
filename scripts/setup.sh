#!/usr/bin/env bash
# Installs everything lcodec needs on a fresh Debian machine with Node 20:
# ffmpeg (baselines, audio and video I/O), Chromium (the HTML report and browser-build tests) and
# redis-server (the tests of `lcodec eval --queue` start their own) from apt,
# npm packages, and the build (TypeScript, and the browser bundle in dist/web/).
# Then, unless --no-demo is given, runs `lcodec demo`: the bundled photo beside JPEG and AVIF,
# and the bundled speech beside Opus, at about the same size.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 || ! command -v redis-server >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ffmpeg chromium redis-server >/dev/null
fi

# onnxruntime-node bundles its CPU runtime; its install script (run by npm 10, denied to npm 11
# by allowScripts in package.json) would download the CUDA provider.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build

if [ "${1:-}" != "--no-demo" ]; then
  npm run --silent demo
fi
