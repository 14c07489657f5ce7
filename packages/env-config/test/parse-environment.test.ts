import { z } from 'zod';
import { parseEnvironment } from '../src';

describe(parseEnvironment.name, () => {
  const schema = z.object({ PORT: z.coerce.number().int().default(8080), NAME: z.string().min(3).optional() });

  it('treats empty variables as unset, so defaults apply', () => {
    expect(parseEnvironment(schema, { PORT: '', NAME: '' }, { what: 'test' })).toEqual({ PORT: 8080 });
  });

  it('reports schema and cross-variable problems together in one error', () => {
    const crossChecks = (present: Record<string, string>) => (present.NAME === 'abc' ? ['  NAME: must not be abc'] : []);
    expect(() => parseEnvironment(schema, { PORT: 'x', NAME: 'abc' }, { what: 'test', crossChecks })).toThrow(
      /^invalid test configuration:\n {2}PORT: .*\n {2}NAME: must not be abc$/,
    );
  });

  it('throws the error the caller builds', () => {
    class ConfigError extends Error {}
    expect(() => parseEnvironment(schema, { NAME: 'a' }, { what: 'test', error: (message) => new ConfigError(message) })).toThrow(ConfigError);
  });
});
