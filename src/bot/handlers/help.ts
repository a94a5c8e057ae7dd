import { ApplicationCommandOptionType } from 'discord.js';
import { NOT_ADVICE } from '../../reports/types.ts';
import { slashCommandDefinitions } from '../definitions.ts';

/**
 * /help, written from the command definitions so a new command or a changed description shows here by
 * itself; the closing lines say how to read any answer.
 */
export function helpText(): string {
  const commands = slashCommandDefinitions()
    .filter((command) => command.name !== 'help')
    .map((command) => {
      const subcommands = (command.options ?? [])
        .filter((option) => option.type === ApplicationCommandOptionType.Subcommand)
        .map((o) => o.name);
      const name = subcommands.length > 0 ? `${command.name} ${subcommands.join('|')}` : command.name;
      return `• \`/${name}\`: ${command.description}`;
    });
  return [
    '**tapewatch** computes market indicators from daily data and explains what they say.',
    ...commands,
    'Every report takes `as-of:YYYY-MM-DD` to see a past close; the Refresh button recomputes it. You can also DM me, e.g. "how is breadth?".',
    `Numbers come from daily closes (adjusted for dividends and splits); n/a means not enough history. ${NOT_ADVICE}`,
  ].join('\n');
}
