// The handlers nginx binds to (js_content, js_set, js_filter, js_header_filter).
// Only this file exports to nginx; each handler is a thin call into a small module.
import { count, health, status } from "./observe";
import { failed, list } from "./read";
import { trackerBridge } from "./stream";
import { VERSION } from "./version";
import { write } from "./write";

// `js_set $mogilefs_version mogilefs.version;` lets operators log which module
// build answered.
function version(_r: NginxHTTPRequest): string {
  return VERSION;
}

export default { version, trackerBridge, failed, list, write, count, status, health };
