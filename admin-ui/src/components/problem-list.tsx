/** One problem of a definition: where (a JSON pointer) and what is wrong. */
export interface Problem {
  path: string;
  message: string;
}

/**
 * The problems the engine found in a definition (a channel, an alert rule), each at its path,
 * announced to screen readers; "No problems found." when the list is empty (a validation passed).
 */
export function ProblemList({ problems }: { problems: Problem[] }) {
  if (problems.length === 0)
    return (
      <p class="ok" role="status">
        No problems found.
      </p>
    );
  return (
    <div role="alert">
      <p class="error">
        {problems.length} {problems.length === 1 ? 'problem' : 'problems'}
      </p>
      <ul class="problems">
        {problems.map((p) => (
          <li>
            <code>{p.path}</code> {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
