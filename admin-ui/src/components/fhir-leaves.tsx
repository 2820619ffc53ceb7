/** Every leaf of a JSON value with its FHIRPath (`code.coding[0].code`). */
export function fhirLeaves(value: unknown, path = ''): { path: string; value: string }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => fhirLeaves(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => (path === '' && k === 'resourceType' ? [] : fhirLeaves(v, path ? `${path}.${k}` : k)));
  return [{ path, value: String(value) }];
}

/**
 * A FHIR resource as the list of its values and their FHIRPaths; a click on a value (or Enter on it)
 * hands over `fhir('path')`. Text that is not a JSON object is said so.
 */
export function FhirLeaves({ text, onPick }: { text: string; onPick(expr: string): void }) {
  let resource: unknown;
  try {
    resource = JSON.parse(text);
  } catch (err) {
    return <p class="note">Not JSON yet: {(err as Error).message}</p>;
  }
  return (
    <table class="list fhir-leaves">
      <caption>
        Values of the {String((resource as { resourceType?: unknown }).resourceType ?? 'resource')} (click one to insert it)
      </caption>
      <tbody>
        {fhirLeaves(resource).map((l) => (
          <tr>
            <td class="mono">{l.path}</td>
            <td class="mono">
              <button type="button" class="link" title={`Insert fhir('${l.path}')`} onClick={() => onPick(`fhir('${l.path}')`)}>
                {l.value}
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
