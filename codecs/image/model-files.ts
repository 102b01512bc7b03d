/** The files of an installed image model, read from its folder in Node (either bundle format). */
import { loadModelFiles } from '../learned/model-files.js';
import { IMAGE_BUNDLE_FORMATS, checkImageBundle, type ChannelBundle, type ImageBundle, type ImageModelFiles } from './bundle.js';

/** Reads and checks the files of the image model in `dir`. */
export function loadImageModelFiles(dir: string): ImageModelFiles {
  return loadModelFiles<ImageBundle | ChannelBundle, string>(dir, IMAGE_BUNDLE_FORMATS, checkImageBundle) as ImageModelFiles;
}
