"use client";
// A button that asks before doing something destructive, in a native <dialog> (focus trap and Esc for free).
import { useRef, type ReactNode } from "react";

export function ConfirmButton(props: {
  label: string;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  className?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" className={props.className ?? "btn btn-danger"} disabled={props.disabled} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </button>
      <dialog ref={dialog} className="confirm" aria-labelledby={`${props.label}-title`}>
        <form method="dialog" className="card-body">
          <h2 id={`${props.label}-title`}>{props.title}</h2>
          <p>{props.body}</p>
          <div className="row">
            <button type="submit" className="btn" value="cancel" autoFocus>
              Cancel
            </button>
            <button
              type="submit"
              className="btn btn-danger-solid"
              value="confirm"
              onClick={() => {
                props.onConfirm();
              }}
            >
              {props.confirmLabel}
            </button>
          </div>
        </form>
      </dialog>
    </>
  );
}
