// Errors about the input rather than the emulator: a missing file, a file that is not a kernel, a
// truncated or inconsistent ELF, no multiboot header, an image that does not fit in memory.
// The command reports them as one line and exits with status 2.

/** The image (or another input) is unusable; `message` is one line naming the file and the fault. */
export class BadImageError extends Error {
  /** exit status of the `xenolith` command for bad input */
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "BadImageError";
  }
}
