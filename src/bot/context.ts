import type { Metrics } from '../lib/metrics.ts';
import type { Logger } from '../log.ts';
import type { QuestionRouter } from '../llm/ask.ts';
import type { Summarizer } from '../llm/summarizer.ts';
import type { RenderedMessage } from '../render/discord.ts';
import type { LlmBudget } from './budget.ts';
import type { Health } from './health.ts';
import type { ReportButtons } from './buttons.ts';
import type { Cooldown } from './cooldown.ts';
import type { ReportRunner } from './reports.ts';
import type { MarketData } from '../market/types.ts';
import type { ScheduleStore } from '../schedules.ts';
import type { WatchlistStore } from '../watchlists.ts';
import type { AlertStore } from '../alerts.ts';
import type { ConditionReader } from './alert-evaluator.ts';

export interface BotDeps {
  readonly token: string;
  readonly apiUrl: string;
  readonly runner: ReportRunner;
  readonly schedules: ScheduleStore;
  readonly watchlists: WatchlistStore;
  readonly alerts: AlertStore;
  /** Reads an alert condition's history off the main thread (a report worker). */
  readonly readCondition: ConditionReader;
  /** False for a worker that only answers the HTTP interactions endpoint: it never logs in to the gateway. */
  readonly gateway?: boolean;
  /** Whether this process runs the scheduler and the alert evaluator (false in shards other than 0). */
  readonly runsTimers?: boolean;
  /** Minutes between intraday alert readings with the live source; null: after the close only. */
  readonly alertIntradayMinutes?: number | null;
  /** The data source reports read, for checks outside a report (watchlist symbols). */
  readonly marketData: MarketData;
  /** One report request per user per window; kept in the user database across restarts. */
  readonly cooldown: Cooldown;
  /** Writes Explain's summaries; its button shows only when a language model is configured. */
  readonly summarizer: Summarizer;
  readonly llmBudget: LlmBudget;
  /** Places free-form questions (/ask, DMs the keywords miss) on a report; null without a model. */
  readonly questions: QuestionRouter | null;
  readonly now: () => Date;
  readonly logger: Logger;
  /** Counts interactions, their latencies and scheduled posts for /metrics; nothing when absent. */
  readonly metrics?: Metrics;
  /** Told when the gateway connects and when it is lost, for /healthz. */
  readonly health?: Health;
  readonly schedulerIntervalMs?: number;
  /** True while market history is still loading after the start (see Prewarmer): schedules wait. */
  readonly warmingUp?: () => boolean;
}

/** What every handler works with: the services, and the pieces the bot builds once around its client. */
export interface HandlerContext {
  readonly deps: BotDeps;
  readonly buttons: ReportButtons;
  /** Called once an interaction is acknowledged, so the time to its deferral is measured. */
  readonly acknowledged: (interactionId: string) => void;
  /** Sends to a channel through REST, so DMs and schedules share one path with explicit allowed_mentions. */
  readonly sendToChannel: (channelId: string, message: RenderedMessage) => Promise<void>;
  /** Sends to a user's DMs, opening the DM channel first. */
  readonly sendToUser: (userId: string, message: RenderedMessage) => Promise<void>;
}

/** Who asked, for cooldowns and LLM budgets. */
export interface Asker {
  readonly userId: string;
  readonly guildId: string | null;
}

/** How an interaction ended, for the log line every interaction gets. */
export type Outcome =
  | 'ok'
  | 'cooldown'
  | 'bad_input'
  | 'forbidden'
  | 'help'
  | 'template'
  | 'expired'
  | 'stopping'
  | 'busy'
  | 'error'
  | 'unknown_command';
