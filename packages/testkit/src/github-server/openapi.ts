import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pointerResolver, validateSchema, type RefResolver, type Schema } from './json-schema.js';

/** The parts of an OpenAPI 3.0 operation the test server checks requests against. */
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
  $ref?: string;
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}

interface Route {
  method: string;
  template: string;
  regex: RegExp;
  paramNames: string[];
  operation: Operation;
}

export interface MatchedOperation {
  operationId: string;
  template: string;
  pathParams: Record<string, string | number>;
  query: Record<string, unknown>;
  /** Validation errors; empty when the request conforms to the description. */
  errors: string[];
}

export interface OpenApiIndex {
  version: string;
  /** undefined when no operation matches method + path (an unknown endpoint). */
  match(
    method: string,
    pathname: string,
    query: URLSearchParams,
    body: unknown,
    hasBody: boolean,
  ): MatchedOperation | undefined;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

let cached: OpenApiIndex | undefined;

/** GitHub's official description of api.github.com, from the npm package `@octokit/openapi`. */
export function githubOpenApi(): OpenApiIndex {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // The non-dereferenced file is 13 MB instead of 73 MB; $refs are resolved on demand.
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    info: { version: string };
    paths: Record<string, Record<string, Operation>>;
  };
  cached = buildIndex(doc);
  return cached;
}

function buildIndex(doc: {
  info: { version: string };
  paths: Record<string, Record<string, Operation>>;
}): OpenApiIndex {
  const resolve = pointerResolver(doc);
  const routes: Route[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const paramNames: string[] = [];
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (m) {
            paramNames.push(m[1]!);
            return '([^/]+)';
          }
          return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
        })
        .join('');
      routes.push({ method, template, regex: new RegExp(`^${source}$`), paramNames, operation });
    }
  }
  // Literal segments beat parameters (e.g. `/pulls/comments` vs `/pulls/{pull_number}`).
  const literalLength = (r: Route) => r.template.replace(/\{[^}]+\}/g, '').length;
  routes.sort((a, b) => literalLength(b) - literalLength(a));

  return {
    version: doc.info.version,
    match(method, pathname, query, body, hasBody) {
      const m = method.toLowerCase();
      for (const route of routes) {
        if (route.method !== m) continue;
        const found = route.regex.exec(pathname);
        if (!found) continue;
        const raw: Record<string, string> = {};
        route.paramNames.forEach((name, i) => {
          raw[name] = decodeURIComponent(found[i + 1]!);
        });
        return checkRequest(route, raw, query, body, hasBody, resolve);
      }
      return undefined;
    },
  };
}

/** Path and query values arrive as strings; convert them per the parameter's schema before validating. */
function coerce(value: string, schema: Schema | undefined, resolve: RefResolver): unknown {
  const s = schema?.$ref ? resolve(schema.$ref) : schema;
  const type = Array.isArray(s?.type) ? s?.type[0] : s?.type;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (type === 'array') return value.split(',');
  return value;
}

function checkRequest(
  route: Route,
  rawPath: Record<string, string>,
  query: URLSearchParams,
  body: unknown,
  hasBody: boolean,
  resolve: RefResolver,
): MatchedOperation {
  const errors: string[] = [];
  const params = (route.operation.parameters ?? []).map((p) =>
    p.$ref ? (resolve(p.$ref) as unknown as Parameter) : p,
  );
  const pathParams: Record<string, string | number> = {};
  const queryValues: Record<string, unknown> = {};

  for (const p of params.filter((p) => p.in === 'path')) {
    const raw = rawPath[p.name];
    if (raw === undefined) continue;
    const value = coerce(raw, p.schema, resolve);
    pathParams[p.name] = value as string | number;
    if (p.schema) errors.push(...validateSchema(value, p.schema, resolve, `path.${p.name}`));
  }
  const queryParams = new Map(params.filter((p) => p.in === 'query').map((p) => [p.name, p]));
  for (const [name, raw] of query) {
    const p = queryParams.get(name);
    if (!p) {
      errors.push(`query: unknown parameter "${name}"`);
      continue;
    }
    const value = coerce(raw, p.schema, resolve);
    queryValues[name] = value;
    if (p.schema) errors.push(...validateSchema(value, p.schema, resolve, `query.${name}`));
  }
  for (const p of queryParams.values()) {
    if (p.required && !query.has(p.name)) errors.push(`query: missing required parameter "${p.name}"`);
  }

  const requestBody = route.operation.requestBody;
  if (!requestBody) {
    if (hasBody) errors.push('body: this operation takes no request body');
  } else if (!hasBody) {
    if (requestBody.required) errors.push('body: required request body missing');
  } else {
    const schema = requestBody.content?.['application/json']?.schema;
    if (!schema) errors.push('body: operation does not accept application/json');
    else errors.push(...validateSchema(body, schema, resolve, 'body'));
  }
  return {
    operationId: route.operation.operationId,
    template: route.template,
    pathParams,
    query: queryValues,
    errors,
  };
}
