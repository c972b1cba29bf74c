/**
 * @module `mcpgov gates`: evaluates the rollout gates against a gateway's
 * /metrics and exits 2 when any gate blocks, so a pipeline can stop a
 * rollout; `--prometheus-rules` writes the same gates as alerting rules.
 */
import { writeFile } from "node:fs/promises";
import type { Argv } from "yargs";
import { McpgovError } from "../../src/core/errors.js";
import { evaluateGates, type Gate, type Measurement, parseDuration, withThresholds } from "../../src/core/gates.js";
import type { CliIo, ExitCode } from "../io.js";

const FORMATS = ["pretty", "json"] as const;

interface GatesArgs {
  gateway?: string;
  "data-dir"?: string;
  state?: string;
  window: string;
  "token-env": string;
  gates?: string;
  threshold?: string[];
  "allow-missing": boolean;
  format: (typeof FORMATS)[number];
  "prometheus-rules": boolean;
  output?: string;
  "timeout-ms": number;
}

async function scrapeText(gateway: string, token: string | undefined, timeoutMs: number): Promise<string> {
  let url: URL;
  try {
    url = new URL("/metrics", gateway);
  } catch {
    throw new McpgovError("usage", `--gateway "${gateway}" is not a URL (e.g. http://127.0.0.1:8787)`);
  }
  let response: Response;
  try {
    response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new McpgovError("upstream_unavailable", `cannot scrape ${url.href}: ${(error as Error).message}`);
  }
  if (!response.ok) throw new McpgovError("upstream_unavailable", `${url.href} answered ${response.status}${response.status === 401 ? " (set the scrape token in the variable --token-env names)" : ""}`);
  return response.text();
}

export function gatesCommand(io: CliIo) {
  return {
    command: "gates",
    describe: "evaluate the rollout gates on a gateway's /metrics (exit 2 when one blocks), or write them as Prometheus rules",
    builder: (y: Argv) =>
      y
        .option("gateway", { type: "string", describe: "the gateway's base URL; its /metrics is scraped once" })
        .option("data-dir", { type: "string", describe: "evaluate from the audit store in this data folder (SQLite) over --window" })
        .option("state", { type: "string", describe: "evaluate from the PostgreSQL audit store at this URL over --window (password from PGPASSWORD)" })
        .option("window", { type: "string", default: "1h", describe: "with --data-dir/--state: how far back the records are read (30s, 15m, 1h, 1d)" })
        .option("token-env", { type: "string", default: "MCPGOV_METRICS_TOKEN", describe: "environment variable with the /metrics bearer token (metrics.auth bearer)" })
        .option("gates", { type: "string", describe: "gates file (YAML or JSON); default: the seed's five gates" })
        .option("threshold", { type: "string", array: true, describe: "override a gate's block_above: GATE-ID=NUMBER (repeatable)" })
        .option("allow-missing", { type: "boolean", default: false, describe: "a gate without data passes with a warning instead of blocking" })
        .option("format", { choices: FORMATS, default: "pretty" as const })
        .option("prometheus-rules", { type: "boolean", default: false, describe: "write the gates as Prometheus alerting rules (YAML) instead of evaluating" })
        .option("output", { alias: "o", type: "string", describe: "with --prometheus-rules: the file to write (default stdout)" })
        .option("timeout-ms", { type: "number", default: 10_000, describe: "how long the scrape may take" }),
    handler: async (argv: GatesArgs): Promise<ExitCode> => {
      const { loadGates } = await import("../../src/gates/gates-file.js");
      const file = withThresholds(await loadGates(argv.gates), argv.threshold ?? []);
      if (argv["prometheus-rules"]) {
        const { prometheusRules } = await import("../../src/gates/prometheus-rules.js");
        const rules = prometheusRules(file.gates);
        if (argv.output) await writeFile(argv.output, rules);
        else io.out(rules);
        return 0;
      }
      const fromStore = argv["data-dir"] !== undefined || argv.state !== undefined;
      if (argv.gateway && fromStore) throw new McpgovError("usage", "give --gateway URL or --data-dir/--state, not both");
      let measure: (gate: Gate) => Measurement;
      let source: string;
      if (fromStore) {
        const seconds = parseDuration(argv.window, "--window");
        const { openAudit } = await import("./audit.js");
        const { auditMeasures } = await import("../../src/gates/audit-measures.js");
        const { store, where } = await openAudit({ ...(argv["data-dir"] !== undefined ? { dataDir: argv["data-dir"] } : {}), ...(argv.state !== undefined ? { state: argv.state } : {}) }, io);
        try {
          const until = new Date();
          const since = new Date(until.getTime() - seconds * 1000);
          measure = await auditMeasures(store, { since: since.toISOString(), until: until.toISOString(), label: `the last ${argv.window}` });
        } finally {
          await store.close();
        }
        source = `audit store ${where}, last ${argv.window}`;
      } else {
        if (!argv.gateway) throw new McpgovError("usage", "name what to evaluate (--gateway URL, or --data-dir/--state with --window), or ask for --prometheus-rules");
        const { parseScrape, scrapeMeasures } = await import("../../src/gates/prometheus-text.js");
        const token = io.env[argv["token-env"]];
        measure = scrapeMeasures(parseScrape(await scrapeText(argv.gateway, token || undefined, argv["timeout-ms"])));
        source = `${argv.gateway.replace(/\/+$/, "")}/metrics`;
      }
      const verdict = evaluateGates(file.gates, measure, { allowMissing: argv["allow-missing"] });
      const { formatGatesJson, formatGatesPretty } = await import("../../src/report/gates-report.js");
      io.out(argv.format === "json" ? formatGatesJson(verdict, source) : formatGatesPretty(verdict, source));
      return verdict.blocked ? 2 : 0;
    },
  };
}
