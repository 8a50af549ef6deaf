// The compose demo's one-shot setup: registers hosts, devices, a domain and a
// class with the tracker, as `mogadm host add`, `device add`, `domain add` and
// `class add` do. Entries already there are left alone, so it can run at every
// `docker compose up`. Plain Node, no dependencies.
//
//   node setup.mjs --tracker HOST:PORT --domain NAME [--class NAME:MINDEVCOUNT]
//                  --host NAME=IP:PORT:DEVID[,DEVID...] [--host ...]
import { connect } from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    tracker: { type: "string" },
    domain: { type: "string" },
    class: { type: "string", multiple: true, default: [] },
    host: { type: "string", multiple: true, default: [] },
  },
});

function usage(message) {
  console.error(`setup: ${message}`);
  console.error(
    "usage: setup.mjs --tracker HOST:PORT --domain NAME [--class NAME:MINDEVCOUNT] --host NAME=IP:PORT:DEVID[,DEVID]",
  );
  process.exit(2);
}

const tracker = /^(.+):(\d+)$/.exec(values.tracker ?? "") ?? usage("--tracker HOST:PORT");
if (!values.domain) {
  usage("--domain is required");
}

// One request line, one answer line: "OK args" or "ERR code message".
function command(name, args) {
  const line = `${name} ${new URLSearchParams(args).toString()}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect({ host: tracker[1], port: Number(tracker[2]) });
    let answer = "";
    socket.setEncoding("utf8");
    socket.setTimeout(10_000, () => socket.destroy(new Error(`${name}: no answer`)));
    socket.on("connect", () => socket.write(line));
    socket.on("data", (chunk) => {
      answer += chunk;
      if (answer.includes("\n")) {
        socket.end();
        resolve(answer.trim());
      }
    });
    socket.on("error", reject);
  });
}

// Runs a command; an "already there" error counts as done.
async function ensure(name, args, existsCode) {
  const answer = await command(name, args);
  if (answer.startsWith("OK")) {
    console.log(`setup: ${name} ${JSON.stringify(args)}: done`);
  } else if (answer.startsWith(`ERR ${existsCode} `)) {
    console.log(`setup: ${name} ${JSON.stringify(args)}: already there`);
  } else {
    throw new Error(`${name} ${JSON.stringify(args)}: ${answer}`);
  }
}

try {
  for (const spec of values.host) {
    const match = /^([A-Za-z0-9_.-]+)=([0-9.]+):(\d+):([\d,]+)$/.exec(spec);
    if (!match) {
      usage(`--host ${spec}: expected NAME=IP:PORT:DEVID[,DEVID]`);
    }
    const [, host, ip, port, devids] = match;
    await ensure("create_host", { host, ip, port, status: "alive" }, "host_exists");
    for (const devid of devids.split(",")) {
      await ensure("create_device", { hostname: host, devid, state: "alive" }, "existing_devid");
    }
  }
  await ensure("create_domain", { domain: values.domain }, "domain_exists");
  for (const spec of values.class) {
    const [cls, mindevcount] = spec.split(":");
    await ensure(
      "create_class",
      { domain: values.domain, class: cls, mindevcount: mindevcount ?? "2" },
      "class_exists",
    );
  }
  console.log("setup: the tracker knows the hosts, devices, domain and classes");
} catch (e) {
  console.error(`setup: ${e.message}`);
  process.exit(1);
}
