// The stream side of the bridge: a js_filter on one stream server per tracker.
// Requests are answered strictly in order, as the tracker answers them.
import { bridgeRefusal, bridgeRequest, bridgeResponse, headEnd } from "./bridge";
import { parseNetworks } from "./networks";

export function trackerBridge(s: NginxStreamRequest): void {
  // storage.allow, rendered into the stream server as $mogilefs_storage_allow.
  const allowed = parseNetworks(s.variables.mogilefs_storage_allow || "");
  if (allowed.invalid.length > 0) {
    s.error(`mogilefs: storage.allow entries ignored: ${allowed.invalid.join(" ")}`);
  }
  let pending: Buffer | null = null;
  let answers = "";
  // One entry per line sent to the tracker: the command, or the refusal to send
  // back when the tracker's answer to a stand-in `noop` arrives.
  const waiting: Array<{ command: string; head: boolean; refusal: string | null }> = [];

  s.on("upstream", (data: Buffer, flags: NginxStreamCallbackFlags) => {
    pending = pending === null ? data : Buffer.concat([pending, data]);
    let end = headEnd(pending, 0);
    while (end >= 0) {
      const request = bridgeRequest(pending.slice(0, end));
      pending = pending.slice(end);
      if (request.ok) {
        waiting.push({ command: request.command, head: request.head, refusal: null });
        s.send(request.line, { flush: true });
      } else {
        // njs 0.7.9 cannot write to the client from this direction, so a refused
        // request sends `noop` and is answered when the tracker answers that.
        s.warn(`mogilefs: bridge refused a request: ${request.reason}`);
        waiting.push({
          command: "noop",
          head: false,
          refusal: bridgeRefusal(request.status, request.reason),
        });
        s.send("noop \r\n", { flush: true });
      }
      end = headEnd(pending, 0);
    }
    if (flags.last) {
      s.send("", { last: true });
    }
  });

  s.on("downstream", (data: Buffer, flags: NginxStreamCallbackFlags) => {
    answers += data.toString();
    let newline = answers.indexOf("\n");
    while (newline >= 0) {
      const line = answers.slice(0, newline + 1);
      answers = answers.slice(newline + 1);
      const request = waiting.shift();
      if (request && request.refusal !== null) {
        s.send(request.refusal, { flush: true });
      } else {
        const command = request ? request.command : "";
        const head = request ? request.head : false;
        const tracker = s.variables.upstream_addr || "";
        s.send(bridgeResponse(command, line, tracker, head, allowed.networks), {
          flush: true,
        });
      }
      newline = answers.indexOf("\n");
    }
    if (flags.last) {
      s.send("", { last: true });
    }
  });
}
