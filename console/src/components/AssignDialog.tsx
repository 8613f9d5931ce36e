import { useEffect, useRef, useState } from "react";
import { request } from "../api";
import type { Technician, Territory } from "../App";
import type { BoardTaskFragment } from "../gql/graphql";
import { AssignMutation, UnassignMutation } from "../operations";
import { clock, nextQuarterHour } from "../time";

type Warning = { code: string; message: string };

/**
 * Confirm a manual assignment. The API has no dry run of assignTask: its feasibility warnings
 * (skills, working hours, overlaps, travel) come back with the assignment, so they are shown
 * here once it is made, with an undo (unassignTask) for the dispatcher who disagrees.
 */
export function AssignDialog(props: {
  token: string;
  territory: Territory;
  task: BoardTaskFragment;
  technician: Technician;
  planned: BoardTaskFragment[];
  onDone: () => void;
}) {
  const { task, technician, territory } = props;
  const start = proposedStart(task, technician, props.planned);
  const [warnings, setWarnings] = useState<Warning[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reason, setReason] = useState("");
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const assign = async () => {
    setBusy(true);
    setError(null);
    try {
      const { assignTask } = await request(
        AssignMutation,
        { input: { taskId: task.id, technicianId: technician.id, start: start.toISOString(), reason: reason.trim() || null, expectedVersion: task.version, idempotencyKey: crypto.randomUUID() } },
        props.token,
      );
      if (assignTask.userErrors.length) setError(assignTask.userErrors.map((e) => e.message).join("; "));
      else if (assignTask.warnings?.length) setWarnings(assignTask.warnings);
      else props.onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const undo = async () => {
    setBusy(true);
    await request(UnassignMutation, { input: { taskId: task.id, reason: "undone after the assignment warnings" } }, props.token).catch(
      (err: Error) => setError(err.message),
    );
    props.onDone();
  };

  return (
    <dialog ref={dialog} className="assign" aria-labelledby="assign-title" onCancel={props.onDone}>
      <h2 id="assign-title">Assign {task.site?.name ?? "task"}</h2>
      <p>
        To <strong>{technician.name}</strong> at {clock(start.toISOString(), territory.timeZone)} for{" "}
        {task.durationMinutes} min.
      </p>
      {!warnings && (
        <label className="reason">
          Reason (needed to assign outside the technician's working hours)
          <input value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
      )}
      {warnings && (
        <>
          <p>Assigned, with the API's warnings:</p>
          <ul className="warnings">
            {warnings.map((w) => (
              <li key={w.code + w.message}>
                <code>{w.code}</code> {w.message}
              </li>
            ))}
          </ul>
        </>
      )}
      {error && <p role="alert" className="error">{error}</p>}
      <div className="actions">
        {warnings ? (
          <>
            <button type="button" className="primary" onClick={props.onDone}>
              Keep the assignment
            </button>
            <button type="button" onClick={() => void undo()} disabled={busy}>
              Undo
            </button>
          </>
        ) : (
          <>
            <button type="button" className="primary" onClick={() => void assign()} disabled={busy}>
              Confirm assignment
            </button>
            <button type="button" onClick={props.onDone}>
              Cancel
            </button>
          </>
        )}
      </div>
    </dialog>
  );
}

/** After the technician's last planned task today, no earlier than the next quarter hour and
 * the task's own window. */
function proposedStart(task: BoardTaskFragment, technician: Technician, planned: BoardTaskFragment[]): Date {
  let start = nextQuarterHour();
  for (const other of planned) {
    if (other.technician?.id === technician.id && other.scheduledEnd) {
      const end = new Date(other.scheduledEnd);
      if (end > start) start = nextQuarterHour(end);
    }
  }
  if (task.windowStart && new Date(task.windowStart) > start) start = new Date(task.windowStart);
  return start;
}
