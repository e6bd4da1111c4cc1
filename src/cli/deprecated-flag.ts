// Old flag names that still work: hidden from --help, a one-line note on stderr when used, and the
// value lands under the current name (parsed and checked by the current flag's own parser).
import { Option, type Command } from 'commander';
import { CliError } from './errors.js';

/**
 * Accepts `--<old>` on `cmd` as a deprecated spelling of its option `--<now>` (declare `--<now>`
 * first). Giving both is an error. Sub-commands see the value through optsWithGlobals().
 */
export function addDeprecatedFlag(cmd: Command, old: string, now: string): Command {
  const current = cmd.options.find((o) => o.long === `--${now}`);
  if (!current) throw new Error(`addDeprecatedFlag: ${cmd.name()} has no --${now}`);
  const alias = new Option(`--${old} <value>`, `deprecated: use --${now}`).hideHelp();
  if (current.parseArg) alias.argParser(current.parseArg);
  cmd.addOption(alias);
  const key = alias.attributeName();
  cmd.hook('preAction', (self) => {
    const value = self.getOptionValue(key);
    if (value === undefined) return;
    if (self.getOptionValueSource(current.attributeName()) === 'cli') {
      throw new CliError(`--${old} is the old name of --${now}: give one of them`);
    }
    process.stderr.write(`recur: --${old} is deprecated; use --${now}\n`);
    self.setOptionValueWithSource(current.attributeName(), value, 'cli');
  });
  return cmd;
}
