// The demo page: decodes an .lc file, or encodes an image and decodes the result, with the
// browser bundle (dist/web/lcodec.js). document.body.dataset.status ends in "done" or
// "error: <message>", so that a script (or a test) can wait for it.
import * as lcodec from '../dist/web/lcodec.js';

const modelBaseUrl = new URL('../models/', import.meta.url);
const $ = (id) => document.getElementById(id);
const show = (id, text) => ($(id).textContent = text);
$('lc-default').textContent = `${lcodec.DEFAULT_IMAGE_MODEL} at quality ${lcodec.DEFAULT_IMAGE_QUALITY}`;
// For scripts driving the page.
window.lcodec = lcodec;
window.lcodecModelBaseUrl = modelBaseUrl.href;

function setStatus(status, message) {
  document.body.dataset.status = status;
  show('lc-message', message);
}

/** An image file's RGBA pixels, through the browser's own decoder. */
async function pixelsOf(file) {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

async function handle(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const t0 = performance.now();
  let lc = bytes;
  let action = 'decoded';
  if (!(bytes[0] === 0x4c && bytes[1] === 0x43)) {
    // Not an .lc file ("LC" magic): an image to encode first.
    let image;
    try {
      image = await pixelsOf(file);
    } catch {
      throw new Error(`${file.name} is neither an .lc file nor an image this browser can read`);
    }
    lc = await lcodec.encode(image, { modelBaseUrl });
    action = 'encoded and decoded';
  }
  const img = await lcodec.decode(lc, { modelBaseUrl });
  const seconds = (performance.now() - t0) / 1000;
  const canvas = $('lc-canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d').putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
  show('lc-model', img.model);
  show('lc-quality', String(img.quality));
  show('lc-dims', `${img.width} × ${img.height}`);
  show('lc-size', `${lc.length.toLocaleString('en')} bytes`);
  show('lc-bpp', ((lc.length * 8) / (img.width * img.height)).toFixed(4));
  show('lc-time', `${seconds.toFixed(2)} s`);
  $('lc-info').hidden = false;
  window.lcodecLast = { bytes: lc, seconds };
  setStatus('done', `${file.name}: ${action}.`);
}

$('lc-file').addEventListener('change', async (event) => {
  const file = event.target.files?.[0];
  if (!file) return;
  setStatus('working', `Working on ${file.name}…`);
  $('lc-info').hidden = true;
  try {
    await handle(file);
  } catch (err) {
    setStatus(`error: ${err?.message ?? String(err)}`, `Error: ${err?.message ?? String(err)}`);
  }
});
