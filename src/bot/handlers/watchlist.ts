import { MessageFlags, type ChatInputCommandInteraction } from 'discord.js';
import { TapewatchError } from '../../errors.ts';
import { textMessage } from '../../render/discord.ts';
import {
  watchlistName,
  watchlistSymbols,
  watchlistUniverse,
  type Watchlist,
  type WatchlistOwner,
  type WatchlistStore,
} from '../../watchlists.ts';
import type { HandlerContext, Outcome } from '../context.ts';
import { NO_MENTIONS, replyPrivately } from '../respond.ts';
import { canManageServer } from './schedule.ts';

/** A report's universe option naming a watchlist: `watchlist:tech`, or `watchlist:` for the default one. */
const WATCHLIST_UNIVERSE = /^watchlist:(.*)$/i;

/**
 * Replaces a `watchlist:NAME` universe with the list's symbols: the asker's own list first, then the
 * server's, so a member's list of the same name wins in their own requests.
 */
export function resolveWatchlistUniverse(
  raw: Record<string, unknown>,
  asker: { readonly userId: string; readonly guildId: string | null },
  watchlists: WatchlistStore,
): Record<string, unknown> {
  const universe = raw.universe;
  if (typeof universe !== 'string') return raw;
  const match = WATCHLIST_UNIVERSE.exec(universe.trim());
  if (match === null) return raw;
  const name = watchlistName(match[1] === '' ? null : match[1]);
  const list =
    watchlists.get({ scope: 'user', id: asker.userId }, name) ??
    (asker.guildId === null ? null : watchlists.get({ scope: 'server', id: asker.guildId }, name));
  if (list === null) {
    throw new TapewatchError(
      'bad_input',
      `No watchlist "${name}" is yours${asker.guildId === null ? '' : " or this server's"}: make one with /watchlist add.`,
    );
  }
  return { ...raw, universe: watchlistUniverse(list.symbols) };
}

function describe(list: Watchlist): string {
  const whose = list.owner.scope === 'server' ? 'Server watchlist' : 'Watchlist';
  return `${whose} **${list.name}** (${list.symbols.length}): ${list.symbols.join(', ')}`;
}

/** /watchlist add|remove|show: a member's own lists, or with `server:true` the server's (Manage Server to change). */
export async function answerWatchlist(
  interaction: ChatInputCommandInteraction,
  { deps }: HandlerContext,
): Promise<Outcome> {
  const { watchlists } = deps;
  const ephemeral = (content: string) => replyPrivately(interaction, textMessage(content).content);
  const sub = interaction.options.getSubcommand();
  const forServer = interaction.options.getBoolean('server') ?? false;
  if (forServer && !interaction.inGuild()) {
    await ephemeral('Server watchlists belong to a server: use server:true in a server channel.');
    return 'bad_input';
  }
  const owner: WatchlistOwner =
    forServer && interaction.guildId !== null
      ? { scope: 'server', id: interaction.guildId }
      : { scope: 'user', id: interaction.user.id };
  if (forServer && sub !== 'show' && !canManageServer(interaction.memberPermissions)) {
    await ephemeral("Only members with the Manage Server permission can change the server's watchlists.");
    return 'forbidden';
  }
  const rawName = interaction.options.getString('name');
  if (sub === 'show') {
    if (rawName === null) {
      const lists = watchlists.list(owner);
      await ephemeral(
        lists.length === 0
          ? `No ${forServer ? 'server ' : ''}watchlists yet: add one with /watchlist add.`
          : lists.map(describe).join('\n'),
      );
      return 'ok';
    }
    const list = watchlists.get(owner, watchlistName(rawName));
    await ephemeral(
      list === null ? `There is no watchlist "${watchlistName(rawName)}" yet.` : describe(list),
    );
    return list === null ? 'bad_input' : 'ok';
  }
  const name = watchlistName(rawName);
  const typed = interaction.options.getString('symbols');
  if (sub === 'remove') {
    const left = watchlists.remove(owner, name, typed === null ? null : watchlistSymbols(typed), deps.now());
    await ephemeral(left === null ? `Watchlist **${name}** removed.` : describe(left));
    return 'ok';
  }
  const symbols = watchlistSymbols(typed ?? '');
  // Checked against the data source, so a typo is caught now rather than in every report.
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const { missing } = await deps.marketData.getQuotes(symbols);
  if (missing.length > 0) {
    await interaction.editReply({
      content: textMessage(
        `Not added: ${missing.map((m) => `${m.symbol} (${m.reason})`).join(', ')}. Check the symbols and try again.`,
      ).content,
      allowedMentions: NO_MENTIONS,
    });
    return 'bad_input';
  }
  const { list, added } = watchlists.add(owner, name, symbols, deps.now());
  const already = symbols.length - added.length;
  await interaction.editReply({
    content: textMessage(
      `${describe(list)}${already > 0 ? ` (${already} already on it)` : ''}. Use it as a universe: \`watchlist:${name}\`.`,
    ).content,
    allowedMentions: NO_MENTIONS,
  });
  return 'ok';
}
