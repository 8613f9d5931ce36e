import { useEffect, useMemo, useRef, useState } from "react";
import { request } from "../api";
import type { Technician, Territory } from "../App";
import type { BoardTaskFragment, ConsoleMoveAssignmentMutation } from "../gql/graphql";
import { MoveAssignmentMutation } from "../operations";
import { atClock, clock, localDay, nextQuarterHour } from "../time";
import type { GanttRow } from "./PlanBoard";

type Preview = Omit<ConsoleMoveAssignmentMutation["moveAssignment"], "userErrors" | "task" | "applied">;

/**
 * Place a task on a technician's row at a start (`moveAssignment`). Every choice is first
 * previewed with `dryRun`: the API's warnings and the later tasks of that technician the move
 * pushes back. Confirming writes it with the task's version as the board showed it, so a task
 * someone else moved meanwhile is refused (STALE_VERSION) and the board reloads.
 */
export function MoveDialog(props: {
  token: string;
  territory: Territory;
  task: BoardTaskFragment;
  technicians: Technician[];
  rows: GanttRow[];
  technicianId: string;
  start: Date | null;
  onDone: (message?: string) => void;
  onStale: (message: string) => void;
}) {
  const { task, territory, token } = props;
  const tz = territory.timeZone;
  const name = task.site?.name ?? "task";
  const [technicianId, setTechnicianId] = useState(props.technicianId);
  const [time, setTime] = useState(() => clock((props.start ?? proposedStart(task, props.rows, props.technicianId)).toISOString(), tz));
  const [reason, setReason] = useState("");
  // The dry run's answer, for the choice it was asked about: a newer choice waits for its own.
  const [answer, setAnswer] = useState<{ choice: string; preview?: Preview; error?: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  const start = useMemo(() => (time ? atClock(tz, localDay(tz), time) : null), [tz, time]);
  const choice = `${technicianId} ${time}`;
  const preview = answer?.choice === choice ? (answer.preview ?? null) : null;
  const refused = answer?.choice === choice ? (answer.error ?? null) : null;
  // One key per intended change: a retried confirm of the same choice is not applied twice.
  const idempotencyKey = useMemo(() => crypto.randomUUID(), [technicianId, time, reason]);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const move = (dryRun: boolean) =>
    request(
      MoveAssignmentMutation,
      {
        input: {
          taskId: task.id,
          technicianId,
          start: start!.toISOString(),
          expectedVersion: task.version,
          dryRun,
          reason: reason.trim() || null,
          idempotencyKey: dryRun ? null : idempotencyKey,
        },
      },
      token,
    ).then(({ moveAssignment }) => {
      if (moveAssignment.userErrors.some((e) => e.code === "STALE_VERSION")) {
        props.onStale(`Someone else changed ${name} meanwhile: the board is reloaded.`);
      }
      return moveAssignment;
    });

  useEffect(() => {
    if (!start) return;
    setError(null);
    const asked = choice;
    let superseded = false; // an answer to an earlier choice may come back after a later one
    move(true)
      .then((dry) => {
        const error = dry.userErrors.map((e) => e.message).join("; ");
        if (!superseded) setAnswer({ choice: asked, ...(error ? { error } : { preview: dry }) });
      })
      .catch((err: Error) => !superseded && setAnswer({ choice: asked, error: err.message }));
    return () => {
      superseded = true;
    };
    // the preview follows the choice of technician and start (not the reason)
  }, [choice]);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await move(false);
      if (answer.userErrors.length) setError(answer.userErrors.map((e) => e.message).join("; "));
      else if (answer.applied) {
        const who = props.technicians.find((t) => t.id === technicianId)?.name ?? "the technician";
        props.onDone(`${name} is with ${who} at ${time}.`);
      }
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const warned = (preview?.warnings.length ?? 0) > 0;
  return (
    <dialog ref={dialog} className="assign" aria-labelledby="assign-title" onCancel={() => props.onDone()}>
      <h2 id="assign-title">{task.technician ? "Move" : "Assign"} {name}</h2>
      <div className="assign-row">
        <label>
          Technician
          <select value={technicianId} onChange={(e) => setTechnicianId(e.target.value)}>
            {props.technicians.map((t) => (
              <option key={t.id} value={t.id}>{t.name}</option>
            ))}
          </select>
        </label>
        <label>
          Start
          <input type="time" required value={time} onChange={(e) => setTime(e.target.value)} />
        </label>
        <span>for {task.durationMinutes} min</span>
      </div>
      <section className="preview" aria-live="polite" aria-busy={!preview && !refused} aria-label="Preview of the move">
        {!preview && !refused && <p>Checking…</p>}
        {preview && !warned && <p>No warnings.</p>}
        {preview && warned && (
          <>
            <p>Warnings:</p>
            <ul className="warnings">
              {preview.warnings.map((w) => (
                <li key={w.code + w.message}>
                  <code>{w.code}</code> {w.message}
                </li>
              ))}
            </ul>
          </>
        )}
        {preview && preview.knockOn.length > 0 && (
          <>
            <p>It pushes back:</p>
            <ul className="knock-on">
              {preview.knockOn.map((k) => (
                <li key={k.task.id}>
                  {k.task.site?.name ?? "Task"} {clock(k.start, tz)} → {clock(k.newStart, tz)} (+{k.shiftMinutes} min)
                  {k.late && <strong> late</strong>}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <label className="reason">
        Reason (needed to move despite warnings)
        <input value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>
      {(refused ?? error) && <p role="alert" className="error">{refused ?? error}</p>}
      <div className="actions">
        <button
          type="button"
          className="primary"
          onClick={() => void confirm()}
          disabled={busy || !preview || (warned && !reason.trim())}
        >
          Confirm move
        </button>
        <button type="button" onClick={() => props.onDone()}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

/** After the technician's last assignment today, no earlier than the next quarter hour and
 * the task's own window. */
function proposedStart(task: BoardTaskFragment, rows: GanttRow[], technicianId: string): Date {
  let start = nextQuarterHour();
  for (const a of rows.find((r) => r.technician.id === technicianId)?.assignments ?? []) {
    if (a.taskId !== task.id && new Date(a.end) > start) start = nextQuarterHour(new Date(a.end));
  }
  if (task.windowStart && new Date(task.windowStart) > start) start = new Date(task.windowStart);
  return start;
}
