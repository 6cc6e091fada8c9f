// ES module entry of the frame codec; the code is in codec.cjs (one implementation for import and require).
import codec from './codec.cjs';

export const { PREFIX_LENGTH, encodeFrame, FrameDecoder } = codec;
