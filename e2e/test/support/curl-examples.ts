import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Pulls every curl command out of a document: a line starting with `curl`, plus
 * its continuation lines (trailing backslash) and any single-quoted body that spans lines.
 */
export function extractCurlCommands(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const commands: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*curl\s/.test(lines[i]!)) continue;
    const parts = [lines[i]!.trim()];
    let open = quoteOpen(parts.join('\n'));
    while ((open || parts.at(-1)!.endsWith('\\')) && i + 1 < lines.length) {
      i++;
      parts.push(lines[i]!.trimEnd());
      open = quoteOpen(parts.join('\n'));
    }
    commands.push(parts.join('\n'));
  }
  return commands;
}

function quoteOpen(text: string): boolean {
  return (text.match(/'/g)?.length ?? 0) % 2 === 1;
}

export function extractFromSeedDir(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .flatMap((name) => extractCurlCommands(readFileSync(join(dir, name), 'utf8')));
}

/** Points a documented command at our server and key; everything else runs as written. */
export function retarget(command: string, baseUrl: string, keyVariable: string): string {
  return command
    .replace(/https?:\/\/[^\s"'/]+(\/v1\/images\/\w+)/g, `${baseUrl}$1`)
    .replace(/\$(OPENAI_API_KEY|YOUR_API_KEY|NEWAPI_API_KEY)\b|YOUR_API_KEY/g, `$${keyVariable}`);
}
