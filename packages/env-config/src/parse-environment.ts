import type { z } from 'zod';

export interface ParseEnvironmentOptions {
  /** Names the process in the error, e.g. `API` gives "invalid API configuration". */
  what: string;
  /** Rules spanning variables, run on the raw values so they are reported with every other problem. */
  crossChecks?: (present: Record<string, string>) => string[];
  /** Builds the thrown error. Default: a plain Error. */
  error?: (message: string) => Error;
}

/**
 * Parses a process environment with an app's schema, reporting every bad variable
 * in one error. `FOO=` (as env files write it) counts as unset, not as an empty value.
 */
export function parseEnvironment<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  options: ParseEnvironmentOptions,
): z.infer<S> {
  const present = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  const parsed = schema.safeParse(present);
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  problems.push(...(options.crossChecks?.(present) ?? []));
  if (!parsed.success || problems.length > 0) {
    const message = `invalid ${options.what} configuration:\n${problems.join('\n')}`;
    throw options.error ? options.error(message) : new Error(message);
  }
  return parsed.data;
}
