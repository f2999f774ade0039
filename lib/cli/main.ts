import { parseArgs } from "node:util";
import { diagnoseAccessToken } from "../diagnose/diagnose-access-token.js";

const USAGE = `Usage: graph-obo-auth diagnose <token> [--client-id <id>] [--allowed-tenants <id,id>]
       graph-obo-auth diagnose --stdin [--client-id <id>] [--allowed-tenants <id,id>]

Decodes an incoming access token WITHOUT verifying it and explains whether an On-Behalf-Of
exchange for it can work. The token and its signature are never printed.
Exit codes: 0 no problem found, 1 a problem found, 2 usage error.`;

/** The command line's input and output. @internal */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly stdin: () => string;
}

const MARKS = { ok: "✔", info: "·", problem: "✘" } as const;

/**
 * Runs the `graph-obo-auth` command line and returns its exit code.
 *
 * @param argv - the arguments after the program name
 * @param io - where to write, and how to read standard input
 * @internal
 */
export function main(argv: readonly string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        "client-id": { type: "string" },
        "allowed-tenants": { type: "string" },
        stdin: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
    });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, token, ...rest] = positionals;
  if (values.help === true || command === undefined) {
    io.out(`${USAGE}\n`);
    return command === undefined && values.help !== true ? 2 : 0;
  }
  if (
    command !== "diagnose" ||
    rest.length > 0 ||
    (token !== undefined) === (values.stdin === true)
  ) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const input = token ?? io.stdin();
  const allowedTenants = values["allowed-tenants"]
    ?.split(",")
    .map((t) => t.trim())
    .filter((t) => t !== "");
  const diagnosis = diagnoseAccessToken(input, { clientId: values["client-id"], allowedTenants });
  for (const finding of diagnosis.findings)
    io.out(`${MARKS[finding.severity]} ${finding.message}\n`);
  io.out(
    diagnosis.ok
      ? "\nAn On-Behalf-Of exchange for this token can work.\n"
      : "\nAn On-Behalf-Of exchange for this token cannot work; see ✘ above.\n",
  );
  return diagnosis.ok ? 0 : 1;
}
