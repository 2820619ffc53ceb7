import { useEffect, useState } from 'preact/hooks';

/** Comma (or space) separated words as a list, empty words dropped. */
export const splitList = (s: string, spaces = true) =>
  s
    .split(spaces ? /[\s,]+/ : ',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * A text input for a list of words: the text typed stays as typed (a trailing comma included) while
 * it means the same list; `onChange` gets the list. `spaces`: spaces separate words too.
 */
export function ListInput({
  id,
  value,
  spaces = true,
  className,
  onChange,
}: {
  id: string;
  value: readonly string[];
  spaces?: boolean;
  className?: string;
  onChange(v: string[]): void;
}) {
  const [text, setText] = useState(value.join(', '));
  const joined = value.join('\n');
  useEffect(() => {
    if (splitList(text, spaces).join('\n') !== joined) setText(value.join(', '));
  }, [joined]);
  return (
    <input
      id={id}
      class={className}
      value={text}
      onInput={(e) => {
        setText(e.currentTarget.value);
        onChange(splitList(e.currentTarget.value, spaces));
      }}
    />
  );
}
