// A byte stream cut into lines, for the long-lived commands spoken to in lines (stream.ts).
// A line of the relay can be megabytes (a refresh's link snapshot of a host with thousands of
// devices) and arrives in channel-sized chunks: each chunk is searched once, and a line's
// pieces are joined once, when its newline arrives. Appending to a string and searching it
// again on every chunk would copy the line per chunk, quadratic in its length.

export class LineSplitter {
  private pieces: Buffer[] = [];

  /** `onLine` gets every line that is not blank, without its newline. */
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl >= 0; nl = chunk.indexOf(10, start)) {
      const last = chunk.subarray(start, nl);
      const line = (this.pieces.length ? Buffer.concat([...this.pieces, last]) : last).toString();
      this.pieces = [];
      start = nl + 1;
      if (line.trim()) this.onLine(line);
    }
    // A copy: the transport may reuse the chunk's memory once this returns.
    if (start < chunk.length) this.pieces.push(Buffer.from(chunk.subarray(start)));
  }
}
