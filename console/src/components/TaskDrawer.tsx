import { useEffect, useRef, useState } from "react";
import { request } from "../api";
import type { Technician } from "../App";
import type { ConsoleTaskQuery } from "../gql/graphql";
import { TaskQuery } from "../operations";
import { clock } from "../time";
import { MOVABLE, type Proposal } from "./PlanBoard";

/** One task in full: timeline, notes, photos, parts and invoice; Escape closes it. */
export function TaskDrawer(props: {
  taskId: string;
  /** Changes when the board reloads: the drawer then reads the task again. */
  revision: number;
  token: string;
  timeZone: string;
  technicians: Technician[];
  canDispatch: boolean;
  /** Whether the board shows the task pinned; null when it is not on the board. */
  pinned: boolean | null;
  onPropose: (proposal: Proposal) => void;
  onPin: (taskIds: string[], pinned: boolean) => void;
  onClose: () => void;
}) {
  const [data, setData] = useState<ConsoleTaskQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [technicianId, setTechnicianId] = useState("");
  const close = useRef<HTMLButtonElement>(null);
  const tz = props.timeZone;

  useEffect(() => close.current?.focus(), []);
  useEffect(() => {
    request(TaskQuery, { id: props.taskId }, props.token)
      .then(setData)
      .catch((err: Error) => setError(err.message));
  }, [props.taskId, props.token, props.revision]);

  const task = data?.task;
  const invoice = data?.invoices.edges[0]?.node;
  // the task's own technician until another is picked
  const chosen = technicianId || task?.technician?.id || props.technicians[0]?.id || "";
  return (
    <aside
      className="drawer"
      aria-labelledby="drawer-title"
      onKeyDown={(e) => e.key === "Escape" && props.onClose()}
    >
      <header>
        <h2 id="drawer-title">{task ? (task.site?.name ?? "Task") : "Task"}</h2>
        <button type="button" ref={close} onClick={props.onClose}>
          Close
        </button>
      </header>
      {error && <p role="alert" className="error">{error}</p>}
      {task && (
        <>
          <p>
            <strong>{task.status.replace("_", " ").toLowerCase()}</strong> · {task.type.toLowerCase()} · P{task.priority} ·{" "}
            {task.durationMinutes} min
          </p>
          <p>{task.description}</p>
          <dl className="facts">
            <dt>Customer</dt>
            <dd>{task.customer?.name ?? "–"}</dd>
            <dt>Address</dt>
            <dd>{task.site ? `${task.site.addressLine}, ${task.site.city}` : "–"}</dd>
            <dt>Window</dt>
            <dd>{clock(task.windowStart, tz)}–{clock(task.windowEnd, tz)}</dd>
            <dt>Planned</dt>
            <dd>{clock(task.scheduledStart, tz)}–{clock(task.scheduledEnd, tz)} {task.technician ? `(${task.technician.name})` : ""}</dd>
            <dt>SLA</dt>
            <dd>{task.slaState.toLowerCase().replace("_", " ")}, response due {clock(task.responseDueAt, tz)}</dd>
          </dl>
          {props.canDispatch && (task.status === "UNSCHEDULED" || MOVABLE.has(task.status)) && (
            <div className="assign-row">
              <label>
                Technician
                <select value={chosen} onChange={(e) => setTechnicianId(e.target.value)}>
                  {props.technicians.map((t) => (
                    <option key={t.id} value={t.id}>{t.name}</option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                onClick={() => props.onPropose({ taskId: task.id, technicianId: chosen, start: null })}
                disabled={!chosen}
              >
                {task.technician ? "Move…" : "Assign…"}
              </button>
              {MOVABLE.has(task.status) && props.pinned !== null && (
                <button type="button" onClick={() => props.onPin([task.id], !props.pinned)}>
                  {props.pinned ? "Unpin" : "Pin"}
                </button>
              )}
            </div>
          )}
          <h3>Timeline</h3>
          <ol className="timeline">
            {task.events.map((e) => (
              <li key={e.at + e.toStatus}>
                {clock(e.at, tz)} {e.fromStatus ?? "new"} → {e.toStatus} <small>{e.actor}{e.reason ? `: ${e.reason}` : ""}</small>
              </li>
            ))}
          </ol>
          <h3>Notes</h3>
          <List items={task.notes.map((n) => `${clock(n.createdAt, tz)} ${n.author}: ${n.body}`)} />
          <h3>Photos</h3>
          <List items={task.photos.map((p) => `${p.caption ?? "photo"} (${p.reference})`)} />
          <h3>Parts</h3>
          <List items={task.partsUsed.map((p) => `${p.quantity} × ${p.partCode} ${p.description ?? ""}`)} />
          <h3>Invoice</h3>
          <p>
            {invoice
              ? `${invoice.number ?? "draft"} · ${invoice.status.toLowerCase()} · ${invoice.totals.total.amount} ${invoice.totals.total.currency}, balance ${invoice.balance.amount}`
              : "None yet."}
          </p>
        </>
      )}
    </aside>
  );
}

function List({ items }: { items: string[] }) {
  if (items.length === 0) return <p className="empty">None.</p>;
  return (
    <ul>
      {items.map((item, i) => (
        <li key={i}>{item}</li>
      ))}
    </ul>
  );
}
