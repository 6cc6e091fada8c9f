// ES module entry of the bridge client; the code is in index.cjs (one implementation, so that
// `instanceof BridgeError` holds whether a program imports or requires the client).
import client from './index.cjs';

export const { connect, BridgeClient, BridgeError, Message, FrameDecoder, encodeFrame } = client;
export default client;
