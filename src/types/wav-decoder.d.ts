/** Types for the npm package wav-decoder (it ships none). */
declare module 'wav-decoder' {
  export interface DecodedWav {
    numberOfChannels: number;
    length: number;
    sampleRate: number;
    channelData: Float32Array[];
  }
  export interface DecodeOptions {
    /** Divide integer samples by 2^(bits-1) on both sides of zero (ffmpeg's mapping). */
    symmetric?: boolean;
  }
  interface Decode {
    (buffer: ArrayBuffer, opts?: DecodeOptions): Promise<DecodedWav>;
    sync(buffer: ArrayBuffer, opts?: DecodeOptions): DecodedWav;
  }
  export const decode: Decode;
}
