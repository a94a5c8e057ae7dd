import type OpenAI from 'openai';
import { z } from 'zod';
import { BRIEF, declarationOf, REPORTS, REQUEST_NAMES } from '../../commands/index.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { optionsSchema } from '../reports/options.ts';
import { parseModelJson } from './json.ts';
import { fillPrompt, loadPrompt, type PromptTemplate } from './prompts.ts';

/**
 * Free-form questions: the model may only pick one of our read-only report tools and its options.
 * Its words are never shown or run; what it picks is validated like a slash command afterwards.
 */
export type RoutedQuestion =
  | {
      readonly kind: 'report';
      readonly report: string;
      readonly options: Readonly<Record<string, unknown>>;
      readonly asOf: string | null;
    }
  | { readonly kind: 'decline' }
  /** The model could not be asked or gave nothing usable; the caller falls back to its keyword router. */
  | { readonly kind: 'unavailable'; readonly reason: string };

export const MAX_QUESTION_CHARACTERS = 500;

const AS_OF = { type: 'string', description: 'a past close to report on, YYYY-MM-DD; omit for the latest' };

function toolFor(name: string, description: string, schema: z.ZodType): OpenAI.Chat.ChatCompletionTool {
  const parameters = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, unknown>;
  };
  return {
    type: 'function',
    function: {
      name,
      description,
      parameters: {
        type: 'object',
        properties: { ...(parameters.properties ?? {}), asOf: AS_OF },
        additionalProperties: false,
      },
    },
  };
}

/** One tool per report and one for the brief, their parameters generated from the option tables. */
export function reportTools(): OpenAI.Chat.ChatCompletionTool[] {
  return REQUEST_NAMES.map((name) =>
    name === BRIEF.name
      ? toolFor(name, BRIEF.description, optionsSchema(BRIEF.options))
      : toolFor(name, declarationOf(name).description, REPORTS[name].schema),
  );
}

const argumentsSchema = z.record(z.string(), z.unknown());

export class QuestionRouter {
  readonly #client: OpenAI;
  readonly #model: string;
  readonly #logger: Logger;
  readonly #prompt: PromptTemplate = loadPrompt('ask');
  readonly #tools = reportTools();

  constructor(deps: { readonly client: OpenAI; readonly model: string; readonly logger: Logger }) {
    this.#client = deps.client;
    this.#model = deps.model;
    this.#logger = deps.logger.child({ component: 'llm-ask' });
  }

  async route(question: string, today: string): Promise<RoutedQuestion> {
    try {
      const completion = await this.#client.chat.completions.create({
        model: this.#model,
        messages: [
          { role: 'system', content: fillPrompt(this.#prompt, { today }) },
          { role: 'user', content: JSON.stringify({ question: question.slice(0, MAX_QUESTION_CHARACTERS) }) },
        ],
        tools: this.#tools,
        tool_choice: 'auto',
        temperature: 0,
      });
      const call = completion.choices[0]?.message.tool_calls?.[0];
      if (call?.type !== 'function') return { kind: 'decline' };
      const known = this.#tools.some(
        (tool) => tool.type === 'function' && tool.function.name === call.function.name,
      );
      if (!known) {
        this.#logger.warn({ tool: call.function.name.slice(0, 40) }, 'model asked for a tool we do not have');
        return { kind: 'decline' };
      }
      const parsed = argumentsSchema.safeParse(parseModelJson(call.function.arguments));
      if (!parsed.success) return { kind: 'unavailable', reason: 'the model gave malformed options' };
      const { asOf, ...options } = parsed.data;
      return {
        kind: 'report',
        report: call.function.name,
        options,
        asOf: typeof asOf === 'string' ? asOf : null,
      };
    } catch (error) {
      this.#logger.warn({ err: describeError(error) }, 'language model call failed');
      return { kind: 'unavailable', reason: 'the language model did not answer' };
    }
  }
}
