// Form fields that show their own error next to the input, wired for
// screen readers (aria-invalid, aria-describedby).
import type { ComponentChildren, JSX } from "preact";
import { useId } from "preact/hooks";

interface FieldProps extends Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "label"> {
  label: string;
  error?: string;
  hint?: string;
}

export function Field({ label, error, hint, ...input }: FieldProps) {
  const id = useId();
  const described = [error && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(" ");
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} aria-invalid={error ? "true" : undefined} aria-describedby={described || undefined} {...input} />
      {hint && <small id={`${id}-hint`}>{hint}</small>}
      {error && (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** A message about the whole form, announced when it appears. */
export function Alert({ children }: { children?: ComponentChildren }) {
  if (!children) return null;
  return (
    <p class="alert" role="alert">
      {children}
    </p>
  );
}
