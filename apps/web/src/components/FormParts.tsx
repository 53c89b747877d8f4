// Pieces every console form uses: a text field whose hint gives way to its error, and the form-wide error.
import type { InputHTMLAttributes, ReactNode } from "react";
import { errorMessage, fieldErrors } from "@/lib/errors.ts";

type TextFieldProps = {
  id: string;
  label: ReactNode;
  hint: ReactNode;
  error: string | undefined;
  /** Announce the error as it appears (fields checked while typing). */
  alertOnError?: boolean;
} & Omit<InputHTMLAttributes<HTMLInputElement>, "id" | "className">;

/** A labelled input; the line under it is its hint, or its error when there is one (the input is described by it). */
export function TextField({ id, label, hint, error, alertOnError = false, ...input }: TextFieldProps) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} className="input" aria-invalid={error ? true : undefined} aria-describedby={`${id}-msg`} {...input} />
      <span id={`${id}-msg`} className={error ? "error" : "hint"} role={alertOnError && error ? "alert" : undefined}>
        {error ?? hint}
      </span>
    </div>
  );
}

/** The error of a submitted form unless it is about fields (those show beside their fields). */
export function FormError({ error }: { error: unknown }): ReactNode {
  if (!error || Object.keys(fieldErrors(error)).length > 0) return null;
  return (
    <div className="form-error" role="alert">
      {errorMessage(error)}
    </div>
  );
}
