import { FhirLeaves } from './fhir-leaves.tsx';
import { Hl7Tree } from './hl7-tree.tsx';

/**
 * The sample message the live preview runs on, and its tree: a click on a value inserts its path
 * into the expression last focused. Inside a forEach, the repeated segment and those along it are
 * named without their occurrence (`FT1-7.1`, not `FT1(2)-7.1`): each event reads its own.
 */
export function MappingSample({
  input,
  sample,
  repeating,
  onSample,
  onPick,
}: {
  input: 'hl7' | 'fhir';
  sample: string;
  /** The forEach segment and its `along` segments. */
  repeating: string[];
  onSample(text: string): void;
  onPick(expr: string): void;
}) {
  const pickHl7 = (path: string) => {
    const m = /^([A-Z][A-Z0-9]{2})\(\d+\)(-.*)$/.exec(path);
    onPick(m && repeating.includes(m[1]!) ? `${m[1]}${m[2]}` : path);
  };
  return (
    <section class="mapping-sample" aria-labelledby="sample-title">
      <h2 id="sample-title">Sample</h2>
      <label for="mapping-sample">Sample message ({input === 'fhir' ? 'a FHIR resource as JSON' : 'HL7v2'})</label>
      <textarea
        id="mapping-sample"
        class="mono"
        rows={8}
        spellcheck={false}
        value={sample}
        onInput={(e) => onSample(e.currentTarget.value)}
      />
      {sample.trim() !== '' &&
        (input === 'fhir' ? <FhirLeaves text={sample} onPick={onPick} /> : <Hl7Tree text={sample} onPick={pickHl7} />)}
    </section>
  );
}
