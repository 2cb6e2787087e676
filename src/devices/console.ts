// Where the guest's text goes: the serial port and the debug console both append bytes here, in
// the order the guest wrote them. Bytes go to a sink (the host's stdout, or nothing) in whole
// lines or when the buffer fills, and are optionally kept for the caller (the library API).
import { writeSync } from "node:fs";

export type ConsoleSink = (bytes: Uint8Array) => void;

/** A sink writing to a file descriptor synchronously, so nothing is lost at process exit. */
export function fdSink(fd: number): ConsoleSink {
  return (bytes) => {
    let off = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(fd, bytes, off, bytes.length - off);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e; // a non-blocking pipe that is full: retry
      }
    }
  };
}

const FLUSH_AT = 4096;

export class GuestConsole {
  private buf = new Uint8Array(FLUSH_AT);
  private len = 0;
  private readonly kept: Uint8Array[] = [];
  /** total bytes written by the guest */
  bytes = 0;

  /** `sink`: where output goes as it is produced; `keep`: also remember it for `text()`. */
  constructor(private readonly sink: ConsoleSink | null, private readonly keep = false) {}

  putByte(b: number): void {
    this.buf[this.len++] = b;
    this.bytes++;
    if (b === 0x0a || this.len === FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.len === 0) return;
    const chunk = this.buf.slice(0, this.len);
    this.len = 0;
    if (this.keep) this.kept.push(chunk);
    this.sink?.(chunk);
  }

  /** Everything the guest printed so far (needs `keep`), as Latin-1 text. */
  text(): string {
    this.flush();
    return Buffer.concat(this.kept).toString("latin1");
  }
}
