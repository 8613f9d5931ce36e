import { useEffect, useRef, useState } from "react";
import { request } from "../api";
import type { Technician } from "../App";
import type { ConsoleTaskQuery } from "../gql/graphql";
import { TaskQuery } from "../operations";
import { clock } from "../time";

/** One task in full: timeline, notes, photos, parts and invoice; Escape closes it. */
export function TaskDrawer(props: {
  taskId: string;
  /** Changes when the board reloads: the drawer then reads the task again. */
  revision: number;
  token: string;
  timeZone: string;
  technicians: Technician[];
  canDispatch: boolean;
  onPropose: (taskId: string, technicianId: string) => void;
  onClose: () => void;
}) {
  const [data, setData] = useState<ConsoleTaskQuery | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [technicianId, setTechnicianId] = useState(props.technicians[0]?.id ?? "");
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
          {props.canDispatch && task.status === "UNSCHEDULED" && (
            <div className="assign-row">
              <label>
                Technician
                <select value={technicianId} onChange={(e) => setTechnicianId(e.target.value)}>
                  {props.technicians.map((t) => (
                    <option key={t.id} value={t.id}>{t.name}</option>
                  ))}
                </select>
              </label>
              <button type="button" onClick={() => props.onPropose(task.id, technicianId)} disabled={!technicianId}>
                Assign…
              </button>
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
