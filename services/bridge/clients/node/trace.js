// ES module entry of the trace context helpers; the code is in trace.cjs.
import trace from './trace.cjs';

export const {
  TRACEPARENT_LENGTH, MAX_TRACEPARENT_LENGTH, MAX_TRACESTATE_LENGTH,
  parseTraceparent, formatTraceparent, newSpanId, continueTrace, withTrace,
} = trace;
export default trace;
