import type { OpenApiDocument, OpenApiOperation } from './openapi.ts';

/** Where the docs page's stylesheet is served (same origin: the CSP allows `style-src 'self'` only). */
export const DOCS_CSS_PATH = '/api/docs.css';

const escape = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

const credentials = (op: OpenApiOperation) =>
  op.security.length === 0 ? 'none (public)' : op.security.map((s) => Object.keys(s).join(' + ')).join(' or ');

/** A schema in a few words where it is simple (type, bounds, allowed values, default), else as JSON. */
function schemaText(schema: Record<string, unknown>): string {
  const anyOf = schema.anyOf as Record<string, unknown>[] | undefined;
  const parts: string[] = [];
  if (anyOf?.every((x) => 'const' in x)) parts.push(`one of: ${anyOf.map((x) => String(x.const)).join(' | ')}`);
  else if (typeof schema.type === 'string' && !anyOf && !schema.properties && !schema.items)
    parts.push(schema.format ? `${schema.type} (${String(schema.format)})` : schema.type);
  else return JSON.stringify(schema);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${String(schema.minimum ?? '')}–${String(schema.maximum ?? '')}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined)
    parts.push(`${String(schema.minLength ?? 0)}–${String(schema.maxLength ?? '')} characters`);
  if (schema.pattern !== undefined) parts.push(`pattern ${String(schema.pattern)}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  if (typeof schema.description === 'string') parts.push(schema.description);
  return parts.join(', ');
}

function responseText(doc: OpenApiDocument, r: OpenApiOperation['responses'][string]): string {
  if ('$ref' in r) return doc.components.responses[r.$ref.split('/').pop()!]?.description ?? r.$ref;
  return r.description;
}

function renderOperation(doc: OpenApiDocument, path: string, method: string, op: OpenApiOperation): string {
  const params =
    op.parameters.length === 0
      ? ''
      : `<table><caption>Parameters</caption><thead><tr><th scope="col">name</th><th scope="col">in</th>` +
        `<th scope="col">required</th><th scope="col">value</th></tr></thead><tbody>${op.parameters
          .map(
            (p) =>
              `<tr><td><code>${escape(p.name)}</code></td><td>${p.in}</td><td>${p.required ? 'yes' : 'no'}</td>` +
              `<td>${escape(schemaText(p.schema))}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  const body = op.requestBody
    ? `<details><summary>Request body (application/json)</summary>` +
      `<pre>${escape(JSON.stringify(op.requestBody.content['application/json']?.schema, null, 2))}</pre></details>`
    : '';
  // Success first, then the errors by status, `default` last.
  const responses = `<dl class="responses">${Object.entries(op.responses)
    .sort(([a], [b]) => (a === 'default' ? 1 : b === 'default' ? -1 : a.localeCompare(b)))
    .map(([status, r]) => {
      const schema = !('$ref' in r) && r.content ? JSON.stringify(Object.values(r.content)[0]?.schema, null, 2) : undefined;
      const details = schema === undefined ? '' : `<details><summary>Schema</summary><pre>${escape(schema)}</pre></details>`;
      return `<dt>${escape(status)}</dt><dd>${escape(responseText(doc, r))}${details}</dd>`;
    })
    .join('')}</dl>`;
  const access =
    `<dl class="access"><dt>Permission</dt><dd><code>${escape(op['x-switchboard-permission'])}</code></dd>` +
    `<dt>Credentials</dt><dd>${escape(credentials(op))}</dd></dl>`;
  return `<section class="op" id="${escape(op.operationId)}" aria-labelledby="${escape(op.operationId)}-h">
<h3 id="${escape(op.operationId)}-h"><span class="method ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p class="summary">${escape(op.summary)}</p>
${op.description ? `<p>${escape(op.description)}</p>` : ''}
${access}
${params}${body}
<h4>Responses</h4>${responses}
</section>`;
}

/**
 * The readable docs page of the admin API, rendered on the server from the OpenAPI document: no
 * script and no inline style (the strict CSP forbids both), one stylesheet from DOCS_CSS_PATH.
 * Every text taken from the document is HTML-escaped.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = op.tags[0] ?? 'other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), renderOperation(doc, path, method, op)]);
    }
  }
  const tags = [...byTag.keys()].sort();
  const sections = tags.map(
    (t) =>
      `<section id="tag-${escape(t)}" aria-labelledby="tag-${escape(t)}-h"><h2 id="tag-${escape(t)}-h">${escape(t)}</h2>` +
      `${byTag.get(t)!.join('\n')}</section>`,
  );
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(doc.info.title)} ${escape(doc.info.version)}</title>
<link rel="stylesheet" href="${DOCS_CSS_PATH}">
</head>
<body>
<header><h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${escape(doc.info.description)}</p>
<p>Machine-readable: <a href="/api/openapi.json">OpenAPI 3.1 document</a>.</p></header>
<nav aria-label="Sections"><ul>${tags.map((t) => `<li><a href="#tag-${escape(t)}">${escape(t)}</a></li>`).join('')}</ul></nav>
<main>
${sections.join('\n')}
</main>
</body>
</html>
`;
}

/** The docs page's stylesheet. */
export const DOCS_CSS = [
  ':root { color-scheme: light dark; --fg: #1d2329; --muted: #5b6670; --line: #d5dbe0; --bg: #fff; --code: #f3f5f7; }',
  '@media (prefers-color-scheme: dark) { :root { --fg: #e6e9ec; --muted: #a2acb5; --line: #3a434b; --bg: #15191d; --code: #20262b; } }',
  'body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); display: grid; ' +
    'grid-template-columns: 14rem 1fr; }',
  'header { grid-column: 1 / -1; padding: 1rem 2rem; border-bottom: 1px solid var(--line); }',
  'header h1 { margin: 0; font-size: 1.5rem; } header small { color: var(--muted); font-weight: normal; }',
  'nav { padding: 1rem 2rem; border-right: 1px solid var(--line); } nav ul { list-style: none; padding: 0; margin: 0; ' +
    'position: sticky; top: 1rem; }',
  'nav a { display: block; padding: .15rem 0; }',
  'main { padding: 0 2rem 3rem; max-width: 70rem; }',
  'a { color: #0b62c4; } a:focus-visible, summary:focus-visible { outline: 3px solid #0b62c4; outline-offset: 2px; }',
  'h2 { margin-top: 2rem; text-transform: capitalize; border-bottom: 1px solid var(--line); }',
  '.op { padding: .75rem 0 1rem; border-bottom: 1px dashed var(--line); }',
  '.op h3 { margin: .25rem 0; font-size: 1.05rem; }',
  '.method { display: inline-block; min-width: 4.2rem; text-align: center; border-radius: 4px; color: #fff; ' +
    'font-size: .8rem; padding: .1rem .4rem; margin-right: .4rem; }',
  '.get { background: #1f6f43; } .post { background: #0b62c4; } .patch { background: #8a5a00; } ' +
    '.put { background: #6b3fa0; } .delete { background: #b3261e; }',
  '.summary { font-weight: 600; margin: .25rem 0; }',
  'code, pre { font-family: ui-monospace, monospace; font-size: .85rem; background: var(--code); border-radius: 3px; }',
  'code { padding: 0 .2rem; } pre { padding: .75rem; overflow-x: auto; }',
  'dl { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; } ' +
    'dt { font-weight: 600; } dd { margin: 0; }',
  'table { border-collapse: collapse; margin: .5rem 0; } caption { text-align: left; font-weight: 600; }',
  'th, td { border: 1px solid var(--line); padding: .2rem .5rem; text-align: left; vertical-align: top; }',
  'td:first-child { white-space: nowrap; } td:last-child { overflow-wrap: anywhere; }',
  'h4 { margin: .75rem 0 .25rem; }',
  '',
].join('\n');
