import type { AutocompleteInteraction } from 'discord.js';
import { NAMED_UNIVERSES } from '../../universes/index.ts';
import { ALERT_CONDITION_EXAMPLES } from '../../alerts.ts';
import type { WatchlistStore } from '../../watchlists.ts';

/**
 * Alert conditions for /alert add; time zones for /schedule; for reports the universes, the asker's watchlists and the server's (as
 * `watchlist:NAME`), and what was typed, as the symbol list it becomes.
 */
export async function answerAutocomplete(
  interaction: AutocompleteInteraction,
  watchlists: WatchlistStore,
): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const typed = focused.value.trim().toLowerCase();
  if (focused.name === 'condition') {
    await interaction.respond(
      ALERT_CONDITION_EXAMPLES.filter((example) => example.includes(typed))
        .slice(0, 25)
        .map((example) => ({ name: example, value: example })),
    );
    return;
  }
  if (focused.name === 'timezone') {
    const zones = Intl.supportedValuesOf('timeZone').filter((zone) => zone.toLowerCase().includes(typed));
    await interaction.respond(zones.slice(0, 25).map((zone) => ({ name: zone, value: zone })));
    return;
  }
  const lists = [
    ...watchlists.list({ scope: 'user', id: interaction.user.id }),
    ...(interaction.guildId === null ? [] : watchlists.list({ scope: 'server', id: interaction.guildId })),
  ].map((list) => `watchlist:${list.name}`);
  const named = [...NAMED_UNIVERSES, ...new Set(lists)]
    .filter((name) => name.includes(typed))
    .map((name) => ({ name, value: name }));
  // What the user typed, offered as the symbol list it would be read as (ma → MA, Mastercard).
  const symbols = typed.toUpperCase().replace(/\s+/g, '').slice(0, 100);
  const asTyped =
    /^[A-Z0-9.^=-]+(,[A-Z0-9.^=-]+)*,?$/.test(symbols) && !named.some((choice) => choice.value === typed)
      ? [{ name: symbols, value: symbols }]
      : [];
  await interaction.respond([...named, ...asTyped].slice(0, 25));
}
