/**
 * A small validator for the JSON-schema subset GitHub's OpenAPI 3.0 description uses for request
 * parameters and bodies. Written here rather than pulled in, because the subset is small and the
 * test server needs readable error paths more than full draft compliance.
 */

export interface Schema {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  enum?: unknown[];
  items?: Schema;
  oneOf?: Schema[];
  anyOf?: Schema[];
  allOf?: Schema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  [key: string]: unknown;
}

/** Resolves `#/components/...` references against the root document. */
export type RefResolver = (ref: string) => Schema;

export function pointerResolver(root: unknown): RefResolver {
  return (ref) => {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = root;
    for (const raw of ref.slice(2).split('/')) {
      const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (node === null || typeof node !== 'object' || !(key in node))
        throw new Error(`dangling $ref ${ref}`);
      node = (node as Record<string, unknown>)[key];
    }
    return node as Schema;
  };
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  if (type === 'number') return actual === 'number' || actual === 'integer';
  return actual === type;
}

/** Returns human-readable errors (empty when valid). `path` names the location, e.g. `body.labels[0]`. */
export function validateSchema(value: unknown, schema: Schema, resolve: RefResolver, path = '$'): string[] {
  if (schema.$ref) return validateSchema(value, resolve(schema.$ref), resolve, path);
  const errors: string[] = [];

  if (value === null && schema.nullable) return errors;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    if (!types.some((t) => matchesType(value, t))) {
      return [`${path}: expected ${types.join('|')}${schema.nullable ? '|null' : ''}, got ${typeOf(value)}`];
    }
  }
  if (schema.enum && !schema.enum.some((e) => e === value)) {
    errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }

  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength)
      errors.push(`${path}: shorter than ${schema.minLength}`);
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength)
      errors.push(`${path}: longer than ${schema.maxLength}`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${path}: does not match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum)
      errors.push(`${path}: below ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum)
      errors.push(`${path}: above ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      errors.push(`${path}: fewer than ${schema.minItems} items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      errors.push(`${path}: more than ${schema.maxItems} items`);
    if (schema.items) {
      value.forEach((item, i) =>
        errors.push(...validateSchema(item, schema.items!, resolve, `${path}[${i}]`)),
      );
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in obj)) errors.push(`${path}: missing required property "${key}"`);
    }
    const props = schema.properties ?? {};
    for (const [key, child] of Object.entries(obj)) {
      const propSchema = props[key];
      if (propSchema) errors.push(...validateSchema(child, propSchema, resolve, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property "${key}"`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validateSchema(child, schema.additionalProperties, resolve, `${path}.${key}`));
    }
  }

  for (const sub of schema.allOf ?? []) errors.push(...validateSchema(value, sub, resolve, path));
  if (schema.anyOf) {
    const results = schema.anyOf.map((sub) => validateSchema(value, sub, resolve, path));
    if (!results.some((r) => r.length === 0)) {
      errors.push(`${path}: matches none of anyOf (${results.map((r) => r[0] ?? '').join('; ')})`);
    }
  }
  if (schema.oneOf) {
    const results = schema.oneOf.map((sub) => validateSchema(value, sub, resolve, path));
    const matching = results.filter((r) => r.length === 0).length;
    if (matching === 0)
      errors.push(`${path}: matches none of oneOf (${results.map((r) => r[0] ?? '').join('; ')})`);
    else if (matching > 1)
      errors.push(`${path}: matches ${matching} oneOf alternatives, expected exactly one`);
  }
  return errors;
}
