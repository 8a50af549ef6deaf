// Tracker commands from JavaScript: a subrequest to the internal tracker
// location, which the stream bridge turns into one tracker line.
import { type Answer, type Args, encodeArgs, parseAnswer } from "./protocol";

export type TrackerReply = { answer: Answer; httpStatus: number; tracker: string };

// Commands that change nothing may be asked of the next tracker after a timeout;
// the others go as POST, which nginx never repeats once it has sent it.
function safeToRepeat(command: string): boolean {
  return (
    command === "get_paths" ||
    command === "list_keys" ||
    command === "file_info" ||
    command === "noop"
  );
}

// encodedArgs: `name=value` pairs already encoded, for values that must go byte
// for byte (see keyArg in write.ts).
export async function trackerCommand(
  r: NginxHTTPRequest,
  command: string,
  args: Args,
  encodedArgs?: string,
): Promise<TrackerReply> {
  const plain = encodeArgs(args);
  const query = !encodedArgs ? plain : plain === "" ? encodedArgs : `${plain}&${encodedArgs}`;
  const reply = await r.subrequest(`/_mogilefs/tracker/${command}`, {
    args: query,
    method: safeToRepeat(command) ? "GET" : "POST",
  });
  const tracker = reply.headersOut["X-MogileFS-Tracker"];
  // Without the bridge's header nginx answered itself (502, 504): no tracker
  // could be reached or none answered in time.
  const answer: Answer =
    tracker === undefined
      ? { kind: "malformed", line: `(no tracker answer: HTTP ${reply.status})` }
      : parseAnswer(reply.responseText || "");
  return {
    answer: answer,
    httpStatus: reply.status,
    tracker: tracker === undefined ? "" : String(tracker),
  };
}
