import { data } from '@actions/expressions';

/** Plain JSON-ish value → the expression library's data model. */
export function toExpressionData(value: unknown): data.ExpressionData {
  if (value === null || value === undefined) return new data.Null();
  if (typeof value === 'string') return new data.StringData(value);
  if (typeof value === 'number') return new data.NumberData(value);
  if (typeof value === 'boolean') return new data.BooleanData(value);
  if (Array.isArray(value)) return new data.Array(...value.map(toExpressionData));
  if (value instanceof Map) {
    return new data.Dictionary(
      ...[...value].map(([key, v]) => ({ key: String(key), value: toExpressionData(v) })),
    );
  }
  if (typeof value === 'object') {
    return new data.Dictionary(
      ...Object.entries(value as Record<string, unknown>).map(([key, v]) => ({
        key,
        value: toExpressionData(v),
      })),
    );
  }
  throw new TypeError(`cannot use a ${typeof value} in an expression context`);
}

/** Expression data → plain JSON value. */
export function toPlain(value: data.ExpressionData): unknown {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.String:
      return (value as data.StringData).value;
    case data.Kind.Number:
      return (value as data.NumberData).value;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Array:
      return (value as data.Array).values().map(toPlain);
    default: {
      const out: Record<string, unknown> = {};
      for (const pair of (value as data.Dictionary).pairs()) out[pair.key] = toPlain(pair.value);
      return out;
    }
  }
}

/** How the runner turns an evaluated value into a string input or env value; objects are an error there too. */
export function plainToString(value: unknown, where: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return new data.NumberData(value).coerceString();
  throw new Error(
    `${where}: a ${Array.isArray(value) ? 'sequence' : 'mapping'} was not expected (got ${JSON.stringify(value)})`,
  );
}
