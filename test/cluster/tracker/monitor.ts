import type { Pool } from "mysql2/promise";
import { request } from "./http";
import { log } from "./log";
import { type Device, loadDevices } from "./topology";

// What this tracker saw of each device the last time it looked. Like mogilefsd's
// monitor, every tracker observes for itself and keeps this in memory: another
// tracker needs nothing from it, it looks on its own.
export type Observed = "writeable" | "readable" | "unreachable";

export class Monitor {
  private readonly observed = new Map<string, Observed>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(
    private readonly db: Pool,
    private readonly trackerName: string,
    private readonly intervalMs: number,
  ) {}

  stateOf(devid: string): Observed | undefined {
    return this.observed.get(devid);
  }

  isReadable(devid: string): boolean {
    const state = this.observed.get(devid);
    // Not yet looked at counts as readable, as mogilefsd treats an unknown host.
    return state !== "unreachable";
  }

  isWriteable(devid: string): boolean {
    return this.observed.get(devid) === "writeable";
  }

  start(): void {
    const tick = async () => {
      await this.runRound().catch((e) => log(`monitor: ${String(e)}`));
      this.timer = setTimeout(tick, this.intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  // create_open waits for this when it meets a device never looked at, so a device
  // registered a moment ago is not refused for want of a monitor round.
  async observeUnknown(devices: Device[]): Promise<void> {
    const unknown = devices.filter((d) => !this.observed.has(d.devid) && d.host);
    await Promise.all(unknown.map((d) => this.check(d)));
  }

  runRound(): Promise<void> {
    if (!this.round) {
      this.round = (async () => {
        const devices = (await loadDevices(this.db)).filter((d) => d.status !== "dead" && d.host);
        await Promise.all(devices.map((d) => this.check(d)));
      })().finally(() => {
        this.round = undefined;
      });
    }
    return this.round;
  }

  private async check(device: Device): Promise<void> {
    const state = await this.probe(device);
    const before = this.observed.get(device.devid);
    this.observed.set(device.devid, state);
    if (before !== state) {
      log(
        `monitor: dev${device.devid} on ${device.host?.hostip}:${device.host?.http_port} ${before ?? "unknown"} -> ${state}`,
      );
    }
  }

  // A test write shows the device takes files; any HTTP answer at all shows the
  // node is up; no answer means get_paths must stop naming it.
  private async probe(device: Device): Promise<Observed> {
    const host = device.host;
    if (!host) {
      return "unreachable";
    }
    const base = `http://${host.hostip}:${host.http_port}/dev${device.devid}`;
    try {
      if (device.status === "alive") {
        const put = await request("PUT", `${base}/test-write/test-write-${this.trackerName}`, {
          body: Buffer.from(`${Date.now()}\n`),
          timeoutMs: 2000,
        });
        if (put.status >= 200 && put.status < 300) {
          return "writeable";
        }
      }
      await request("GET", `${base}/`, { timeoutMs: 2000 });
      return "readable";
    } catch {
      return "unreachable";
    }
  }
}
