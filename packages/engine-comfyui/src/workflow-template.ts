import { readFile } from 'node:fs/promises';

/**
 * A ComfyUI workflow in API format with placeholders. A string value that is exactly
 * `"{{name}}"` becomes the value itself, typed (`"{{seed}}"` → 42, a number, as ComfyUI's
 * INT inputs want); `{{name}}` inside a longer string is spliced in as text
 * (`"photo of {{prompt}}, 35mm"`). Any other `{{…}}` is refused when the template loads,
 * so a typo fails the worker at start rather than every job.
 */

export const PLACEHOLDERS = ['prompt', 'negative_prompt', 'seed', 'width', 'height', 'steps', 'batch_size', 'denoise', 'image', 'mask'] as const;
export type PlaceholderName = (typeof PLACEHOLDERS)[number];

export interface PlaceholderValues {
  prompt: string;
  negative_prompt: string;
  seed: number;
  width: number;
  height: number;
  steps: number;
  batch_size: number;
  denoise: number;
  /** Name of the uploaded input image, as `/upload/image` answered it (subfolder included). */
  image?: string;
  /** Name of the uploaded mask image. */
  mask?: string;
}

/** What `POST /prompt` takes as `prompt`: node id → node. */
export type ApiWorkflow = Record<string, { class_type: string; inputs: Record<string, unknown>; [key: string]: unknown }>;

const WHOLE = /^\{\{\s*([a-z_]+)\s*\}\}$/;
const INSIDE = /\{\{\s*([a-z_]+)\s*\}\}/g;
const ANY_BRACES = /\{\{[^}]*\}\}/g;

export class WorkflowTemplate {
  /** The placeholders the template uses. */
  readonly placeholders: ReadonlySet<PlaceholderName>;

  private constructor(
    private readonly workflow: ApiWorkflow,
    placeholders: Set<PlaceholderName>,
  ) {
    this.placeholders = placeholders;
  }

  /** Checks the API-format shape and every placeholder; `label` names the template in errors. */
  static parse(raw: unknown, label: string): WorkflowTemplate {
    if (!isRecord(raw) || Object.keys(raw).length === 0) throw new Error(`${label}: expected a workflow in ComfyUI's API format (an object of nodes)`);
    if ('nodes' in raw && Array.isArray(raw.nodes)) {
      throw new Error(`${label}: this is a UI-format workflow; export it with "Save (API Format)" instead`);
    }
    for (const [id, node] of Object.entries(raw)) {
      if (!isRecord(node) || typeof node.class_type !== 'string' || !isRecord(node.inputs)) {
        throw new Error(`${label}: node ${JSON.stringify(id)} needs a string class_type and an inputs object`);
      }
    }
    const used = new Set<PlaceholderName>();
    visitStrings(raw, (text, path) => {
      for (const match of text.match(ANY_BRACES) ?? []) {
        const name = /^\{\{\s*([a-z_]+)\s*\}\}$/.exec(match)?.[1];
        if (!name || !isPlaceholder(name)) {
          throw new Error(`${label}: unknown placeholder ${match} at ${path} (known: ${PLACEHOLDERS.join(', ')})`);
        }
        used.add(name);
      }
    });
    return new WorkflowTemplate(structuredClone(raw) as ApiWorkflow, used);
  }

  /** Reads a template from a file path or takes it inline. */
  static async load(source: string | Record<string, unknown>, label: string): Promise<WorkflowTemplate> {
    if (typeof source !== 'string') return WorkflowTemplate.parse(source, label);
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new Error(`${label}: cannot read workflow file ${source}: ${(error as Error).message}`, { cause: error });
    }
    try {
      return WorkflowTemplate.parse(JSON.parse(text), `${label} (${source})`);
    } catch (error) {
      if (error instanceof SyntaxError) throw new Error(`${label}: ${source} is not JSON: ${error.message}`, { cause: error });
      throw error;
    }
  }

  uses(name: PlaceholderName): boolean {
    return this.placeholders.has(name);
  }

  /** A fresh workflow with every placeholder replaced; a used placeholder without a value throws. */
  fill(values: PlaceholderValues): ApiWorkflow {
    const valueOf = (name: PlaceholderName): string | number => {
      const value = values[name];
      if (value === undefined) throw new Error(`workflow placeholder {{${name}}} has no value for this request`);
      return value;
    };
    return substitute(this.workflow, (text) => {
      const whole = WHOLE.exec(text);
      if (whole) return valueOf(whole[1] as PlaceholderName);
      return text.replace(INSIDE, (_match, name: string) => String(valueOf(name as PlaceholderName)));
    }) as ApiWorkflow;
  }
}

function substitute(value: unknown, replace: (text: string) => unknown): unknown {
  if (typeof value === 'string') return value.includes('{{') ? replace(value) : value;
  if (Array.isArray(value)) return value.map((item) => substitute(item, replace));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, replace)]));
  return value;
}

function visitStrings(value: unknown, visit: (text: string, path: string) => void, path = '$'): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((item, i) => visitStrings(item, visit, `${path}[${i}]`));
  else if (isRecord(value)) for (const [key, item] of Object.entries(value)) visitStrings(item, visit, `${path}.${key}`);
}

function isPlaceholder(name: string): name is PlaceholderName {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
