/** @module What a command may touch of the terminal: results to out, diagnostics to err. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Reads standard input (for `-` arguments). */
  stdin(): Promise<string>;
  env: Record<string, string | undefined>;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  stdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  env: process.env,
};

/** A command's outcome; only the entry point turns it into process.exitCode. */
export type ExitCode = 0 | 1 | 2;
