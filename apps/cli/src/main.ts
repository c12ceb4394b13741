#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { CliError } from './cli-error.js';
import { login, logout, whoami } from './commands/auth.js';
import { info, search, versions } from './commands/browse.js';
import { config } from './commands/config.js';
import { init } from './commands/init.js';
import { deprecate, listAdvisories, publishAdvisory, showAdvisory, unyank, withdrawAdvisory, yank } from './commands/lifecycle.js';
import { publish } from './commands/publish.js';
import { pull } from './commands/pull.js';
import { scan } from './commands/scan.js';
import { verify } from './commands/verify.js';
import { Context, USER_AGENT, type GlobalFlags } from './context.js';
import { EXIT, EXIT_CODE_HELP } from './exit-codes.js';
import { Terminal } from './terminal.js';

// The command line: yargs parses, checks and documents every flag (and writes the shell completion); each handler is a plain function in commands/.
let exitCode: number = EXIT.ok;

/** Runs a command with its context, turning a CliError into its message, hint and exit code. */
function run<A>(action: (context: Context, argv: A) => Promise<void>) {
  return async (argv: A & GlobalFlags): Promise<void> => {
    const context = new Context({ registry: argv.registry, json: argv.json, timeout: argv.timeout, retries: argv.retries, caFile: argv.caFile });
    try {
      await action(context, argv);
    } catch (error) {
      exitCode = reportError(context.terminal, error);
    } finally {
      await context.close();
    }
  };
}

function reportError(terminal: Terminal, error: unknown): number {
  if (error instanceof CliError) {
    terminal.error(error.message, error.hint);
    return error.exitCode;
  }
  if ((error as { name?: string }).name === 'ExitPromptError') {
    terminal.error('cancelled', null);
    return EXIT.usage;
  }
  terminal.error(`unexpected failure: ${(error as Error)?.stack ?? String(error)}`, 'please report this with the command you ran');
  return EXIT.unavailable;
}

/** What every command's --help ends with. */
const documented = <T>(y: Argv<T>): Argv<T> => y.epilogue(EXIT_CODE_HELP);

const trustOptions = <T>(y: Argv<T>) =>
  y
    .option('key', { type: 'string', describe: 'PEM public key to trust (the registry\'s, from /api/v1/keys): no network needed' })
    .option('certificate-identity', { type: 'string', describe: 'keyless: the signer identity (certificate SAN) to accept' })
    .option('certificate-oidc-issuer', { type: 'string', describe: 'keyless: the OIDC issuer the identity must come from' })
    .option('trusted-root', { type: 'string', describe: 'keyless: a Sigstore trusted_root.json (Fulcio CA, Rekor and CT logs)' });

export function cli(argv: string[]) {
  return yargs(argv)
    .scriptName('wpr')
    .usage('$0 <command> [options]\n\nPublish, find, pull, verify and configure Wasm plugins in a Wasm plugin registry.')
    .option('registry', { type: 'string', global: true, describe: 'Registry URL (else WPR_REGISTRY, else the last `wpr login`)' })
    .option('json', { type: 'boolean', default: false, global: true, describe: 'Print the answer as JSON, for scripts' })
    .option('timeout', { type: 'number', default: 60, global: true, describe: 'Seconds to wait for the registry to answer' })
    .option('retries', { type: 'number', default: 3, global: true, describe: 'Retries of idempotent requests on network errors and 429/502/503/504' })
    .option('ca-file', { type: 'string', global: true, describe: 'PEM file of CA certificates to trust besides the system ones (else WPR_CA_FILE)' })
    .command(
      'login',
      'Store a token for a registry (checked first; saved with mode 0600)',
      (y) => documented(y).option('token', { type: 'string', describe: 'The token; else read from standard input, or asked for in a terminal' }).example('echo "$WPR_TOKEN" | $0 login --registry https://plugins.example.com', 'log in from CI'),
      run((c, a: { token?: string }) => login(c, a)),
    )
    .command('logout', 'Forget the token of the registry', (y) => documented(y).example('$0 logout --registry https://plugins.example.com', ''), run((c) => logout(c)))
    .command('whoami', 'Which token is used, and the namespaces it may publish to', (y) => documented(y).example('$0 whoami', ''), run((c) => whoami(c)))
    .command(
      'init [directory]',
      'Write wasm-plugin.yaml, a configuration schema and a README stub',
      (y) =>
        documented(y)
          .positional('directory', { type: 'string', default: '.' })
          .option('name', { type: 'string', describe: 'namespace/name' })
          .option('description', { type: 'string' })
          .option('license', { type: 'string', describe: 'SPDX license expression' })
          .option('category', { type: 'array', string: true, describe: 'Category slug (repeatable)' })
          .option('module', { type: 'string', describe: 'Path of the built .wasm (default <name>.wasm)' })
          .option('yes', { alias: 'y', type: 'boolean', default: false, describe: 'Ask nothing: flags and defaults only' })
          .option('force', { type: 'boolean', default: false, describe: 'Replace an existing wasm-plugin.yaml' })
          .example('$0 init --name acme/jwt-auth --license MIT --category authentication-authorization --yes', ''),
      run((c, a: { directory: string; name?: string; description?: string; license?: string; category?: string[]; module?: string; yes: boolean; force: boolean }) => init(c, a)),
    )
    .command(
      'publish [path]',
      'Publish a version: module, manifest, README, schema, examples and lockfiles',
      (y) =>
        documented(y)
          .positional('path', { type: 'string', default: '.', describe: 'Plugin directory, its wasm-plugin.yaml, or a .wasm file' })
          .option('name', { type: 'string', describe: 'namespace/name (overrides the manifest)' })
          .option('version', { type: 'string', describe: 'x.y.z (overrides the manifest)' })
          .option('dry-run', { type: 'boolean', default: false, describe: 'Check everything locally and upload nothing' })
          .option('wait', { type: 'boolean', default: true, describe: 'Wait for the pipeline (--no-wait returns once uploaded)' })
          .option('wait-seconds', { type: 'number', default: 300, describe: 'How long to wait for the pipeline' })
          .option('chunk-size', { type: 'number', default: 8, describe: 'MiB: a larger module is uploaded first in chunks of this size, resumably (OCI blob upload)' })
          .example('$0 publish --dry-run', 'check the plugin in this directory')
          .example('$0 publish ./build --version 1.2.0', 'publish, overriding the manifest\'s version'),
      run((c, a: { path: string; name?: string; version?: string; dryRun: boolean; wait: boolean; waitSeconds: number; chunkSize: number }) => publish(c, a)),
    )
    .command('info <plugin>', 'A plugin and its versions, or one version (ns/name@version or @sha256:…)', (y) => documented(y).positional('plugin', { type: 'string', demandOption: true }).example('$0 info acme/jwt-auth@1.2.0', ''), run((c, a: { plugin: string }) => info(c, a.plugin)))
    .command(
      'search [query]',
      'Search the catalog',
      (y) =>
        documented(y)
          .positional('query', { type: 'string' })
          .option('category', { type: 'string' })
          .option('sort', { type: 'string', choices: ['relevance', 'downloads', 'recent', 'name'] })
          .option('limit', { type: 'number', default: 20 })
          .example('$0 search jwt --category authentication-authorization', ''),
      run((c, a: { query?: string; category?: string; sort?: string; limit: number }) => search(c, a.query, a)),
    )
    .command('versions <plugin>', 'The versions of a plugin, with status and sha256', (y) => documented(y).positional('plugin', { type: 'string', demandOption: true }).example('$0 versions acme/jwt-auth', ''), run((c, a: { plugin: string }) => versions(c, a.plugin)))
    .command(
      'pull <reference>',
      'Download a module, check its sha256 (and with --verify its signature); nothing is written unless every check passes',
      (y) =>
        trustOptions(
          documented(y)
            .positional('reference', { type: 'string', demandOption: true, describe: 'ns/name, ns/name@version or ns/name@sha256:…' })
            .option('output', { alias: 'o', type: 'string', describe: 'File to write (default <name>-<version>.wasm)' })
            .option('verify', { type: 'boolean', default: false, describe: 'Verify the signature offline and show the SBOM summary' }),
        ).example('$0 pull acme/jwt-auth@1.2.0 --verify -o jwt.wasm', ''),
      run((c, a: { reference: string; output?: string; verify: boolean; key?: string; certificateIdentity?: string; certificateOidcIssuer?: string; trustedRoot?: string }) => pull(c, a)),
    )
    .command(
      'verify <module>',
      'Verify a module on disk against a Sigstore bundle (offline with --key, or a keyless identity and --trusted-root)',
      (y) =>
        trustOptions(documented(y).positional('module', { type: 'string', demandOption: true }).option('bundle', { type: 'string', demandOption: true, describe: 'The Sigstore bundle (JSON)' })).example(
          '$0 verify jwt.wasm --bundle jwt.sigstore.json --key registry.pem',
          'air-gapped',
        ),
      run((c, a: { module: string; bundle: string; key?: string; certificateIdentity?: string; certificateOidcIssuer?: string; trustedRoot?: string }) => verify(c, a)),
    )
    .command(
      'config <reference>',
      'Print ready-to-paste Envoy or Istio configuration, the plugin configuration checked against the schema first',
      (y) =>
        documented(y)
          .positional('reference', { type: 'string', demandOption: true, describe: 'ns/name@version' })
          .option('host', { type: 'string', choices: ['envoy', 'istio'] as const, demandOption: true })
          .option('example', { type: 'string', describe: 'Start from one of the version\'s examples' })
          .option('set', { type: 'array', string: true, default: [] as string[], describe: 'key.path=value (JSON values are parsed; repeatable)' })
          .option('format', { type: 'string', choices: ['yaml', 'json'] as const })
          .example('$0 config acme/jwt-auth@1.2.0 --host istio --example default --set issuer=https://auth.example.com', ''),
      run((c, a: { reference: string; host: 'envoy' | 'istio'; example?: string; set: string[]; format?: 'yaml' | 'json' }) => config(c, a)),
    )
    .command(
      'scan <files..>',
      'Scan deployed configuration (Envoy, Istio, Higress, Envoy Gateway) for the modules it runs',
      (y) =>
        documented(y)
          .positional('files', { type: 'string', array: true, demandOption: true })
          .option('fail-on', { type: 'string', choices: ['info', 'warning', 'critical'] as const, describe: 'Exit 1 when a reference is at this level or worse' })
          .option('envoy', { type: 'string', describe: 'The Envoy version deployed, e.g. 1.31' })
          .option('istio', { type: 'string', describe: 'The Istio version deployed, e.g. 1.24' })
          .option('sarif', { type: 'boolean', default: false, describe: 'Print SARIF 2.1.0 (for code-scanning dashboards)' })
          .example('$0 scan k8s/*.yaml --fail-on critical', 'in CI'),
      run((c, a: { files: string[]; failOn?: 'info' | 'warning' | 'critical'; envoy?: string; istio?: string; sarif: boolean }) => scan(c, a)),
    )
    .command(
      'yank <reference>',
      'Yank a version: no longer offered as the latest; pinned deployments keep working',
      (y) => documented(y).positional('reference', { type: 'string', demandOption: true }).option('reason', { type: 'string' }).option('advisory', { type: 'string', describe: 'An advisory id that says why' }).example('$0 yank acme/jwt-auth@1.2.0 --reason "breaks on Envoy 1.31"', ''),
      run((c, a: { reference: string; reason?: string; advisory?: string }) => yank(c, a)),
    )
    .command('unyank <reference>', 'Undo a yank', (y) => documented(y).positional('reference', { type: 'string', demandOption: true }).example('$0 unyank acme/jwt-auth@1.2.0', ''), run((c, a: { reference: string }) => unyank(c, a)))
    .command(
      'deprecate <plugin>',
      'Deprecate a whole plugin with a message (or --undo)',
      (y) => documented(y).positional('plugin', { type: 'string', demandOption: true }).option('message', { type: 'string' }).option('undo', { type: 'boolean', default: false }).example('$0 deprecate acme/old-auth --message "use acme/jwt-auth"', ''),
      run((c, a: { plugin: string; message?: string; undo: boolean }) => deprecate(c, { reference: a.plugin, message: a.message, undo: a.undo })),
    )
    .command('advisory', 'Publish, list, show and withdraw security advisories (OSV)', (y) =>
      documented(y)
        .command(
          'publish <plugin>',
          'Publish an advisory for a plugin',
          (z) =>
            documented(z)
              .positional('plugin', { type: 'string', demandOption: true })
              .option('file', { type: 'string', describe: 'The advisory as the API takes it (JSON or YAML)' })
              .option('summary', { type: 'string' })
              .option('details', { type: 'string', describe: 'Markdown' })
              .option('severity', { type: 'string', describe: 'CVSS 3.x or 4.0 vector' })
              .option('introduced', { type: 'string', describe: 'First affected version ("0": every version before the fix)' })
              .option('fixed', { type: 'string', describe: 'First fixed version' })
              .option('last-affected', { type: 'string' })
              .option('alias', { type: 'array', string: true, default: [] as string[], describe: 'e.g. CVE-2026-12345' })
              .example('$0 advisory publish acme/jwt-auth --summary "alg=none accepted" --severity CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H --fixed 1.2.1', ''),
          run((c, a: { plugin: string; file?: string; summary?: string; details?: string; severity?: string; introduced?: string; fixed?: string; lastAffected?: string; alias: string[] }) => publishAdvisory(c, { ...a, reference: a.plugin })),
        )
        .command('list <plugin>', 'A plugin\'s advisories', (z) => documented(z).positional('plugin', { type: 'string', demandOption: true }).example('$0 advisory list acme/jwt-auth', ''), run((c, a: { plugin: string }) => listAdvisories(c, { reference: a.plugin })))
        .command('show <id>', 'One advisory as OSV JSON', (z) => documented(z).positional('id', { type: 'string', demandOption: true }).example('$0 advisory show WPR-2345-6789-cfgh', ''), run((c, a: { id: string }) => showAdvisory(c, a)))
        .command(
          'withdraw <id>',
          'Withdraw an advisory',
          (z) => documented(z).positional('id', { type: 'string', demandOption: true }).option('reason', { type: 'string', demandOption: true }).example('$0 advisory withdraw WPR-2345-6789-cfgh --reason "not exploitable"', ''),
          run((c, a: { id: string; reason: string }) => withdrawAdvisory(c, a)),
        )
        .demandCommand(1, 'name a subcommand: publish, list, show or withdraw')
        .example('$0 advisory list acme/jwt-auth', ''),
    )
    .command('version', 'Print the version of wpr', (y) => documented(y).example('$0 version', ''), () => {
      process.stdout.write(`${USER_AGENT}\n`);
    })
    .completion('completion', 'Print a bash/zsh completion script (source it from your shell profile)')
    .demandCommand(1, 'name a command; wpr --help lists them')
    .recommendCommands()
    .strict()
    .epilogue(`${EXIT_CODE_HELP}\n\nEnvironment: WPR_REGISTRY, WPR_TOKEN, WPR_CONFIG_DIR, WPR_CA_FILE, HTTP_PROXY, HTTPS_PROXY, NO_PROXY, NO_COLOR.`)
    .help()
    .alias('help', 'h')
    // `publish --version` names the version to publish, so the CLI's own version is a command.
    .version(false)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      if (error) throw error;
      // yargs may report several problems with one command line; the first is the one to fix.
      if (exitCode === EXIT.usage) return;
      new Terminal().error(message, 'wpr <command> --help shows the options and an example');
      exitCode = EXIT.usage;
    });
}

await cli(hideBin(process.argv)).parseAsync();
process.exitCode = exitCode;
