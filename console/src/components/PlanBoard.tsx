import { useState, type DragEvent } from "react";
import type { Technician, Territory } from "../App";
import type { BoardTaskFragment, ConsoleDispatchBoardQuery } from "../gql/graphql";
import { atClock, clock, localDay } from "../time";
import { TASK_MIME } from "./UnassignedQueue";

const FIRST_HOUR = 7;
const LAST_HOUR = 21;
const SPAN = LAST_HOUR - FIRST_HOUR;
/** Assignments a dispatcher may move or pin (the API's own rule: assigned, not yet started). */
export const MOVABLE = new Set(["SCHEDULED", "DISPATCHED", "ACCEPTED"]);

/** A technician's row as `dispatchBoard` gives it; partners, who may not read the board, get
 * rows of their technicians' tasks only (see `rowsOfTasks`). */
export type GanttRow = ConsoleDispatchBoardQuery["dispatchBoard"]["rows"][number];
type Span = { start: string; end: string };

/** What to place where: a task, a row and (when dropped on the chart) a start. */
export interface Proposal {
  taskId: string;
  technicianId: string;
  start: Date | null;
}

/** Rows of a plain task list, for those who may not read `dispatchBoard`. */
export function rowsOfTasks(technicians: Technician[], planned: BoardTaskFragment[]): GanttRow[] {
  return technicians.map((technician) => ({
    technician,
    shifts: [],
    breaks: [],
    timeOff: [],
    travel: [],
    idle: [],
    assignments: planned
      .filter((t) => t.technician?.id === technician.id && t.scheduledStart)
      .map((task) => ({
        taskId: task.id,
        start: task.scheduledStart!,
        end: task.scheduledEnd ?? new Date(Date.parse(task.scheduledStart!) + task.durationMinutes * 60_000).toISOString(),
        status: task.status,
        pinned: false,
        task,
      })),
  }));
}

/**
 * Today's plan as a Gantt chart, one row per technician: working hours as a band behind the
 * row, breaks and time off shaded, idle time hatched, one bar per task and a thin bar per drive
 * between tasks (red when it does not fit). Dispatchers drag bars and queued tasks onto a row
 * at a time, and pin bars for the optimizer; the keyboard does the same from a focused bar.
 */
export function PlanBoard(props: {
  territory: Territory;
  rows: GanttRow[];
  canDispatch: boolean;
  onOpenTask: (id: string) => void;
  onPropose: (proposal: Proposal) => void;
  onPin: (taskIds: string[], pinned: boolean) => void;
}) {
  const [over, setOver] = useState<string | null>(null);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const tz = props.territory.timeZone;
  const today = localDay(tz);

  /** Hours since midnight on the board's day, as the territory's clocks read them. */
  const hourOf = (iso: string) => {
    const day = localDay(tz, new Date(iso));
    if (day !== today) return day < today ? 0 : 24;
    const [h, m] = clock(iso, tz).split(":").map(Number);
    return h + m / 60;
  };
  const place = ({ start, end }: Span, least = 0) => {
    const from = Math.min(Math.max(FIRST_HOUR, hourOf(start)), LAST_HOUR);
    const to = Math.max(Math.min(LAST_HOUR, hourOf(end)), from);
    return { left: `${((from - FIRST_HOUR) / SPAN) * 100}%`, width: `${(Math.max(to - from, least) / SPAN) * 100}%` };
  };
  /** The quarter hour under the pointer on a row's track. */
  const startAt = (e: DragEvent<HTMLElement>): Date => {
    const track = e.currentTarget.querySelector(".gantt-track") ?? e.currentTarget;
    const box = track.getBoundingClientRect();
    const fraction = Math.min(Math.max((e.clientX - box.left) / box.width, 0), 1);
    const quarters = Math.min(Math.round((FIRST_HOUR + fraction * SPAN) * 4), LAST_HOUR * 4 - 1);
    const hhmm = `${String(Math.floor(quarters / 4)).padStart(2, "0")}:${String((quarters % 4) * 15).padStart(2, "0")}`;
    return atClock(tz, today, hhmm);
  };
  const toggle = (taskId: string) =>
    setSelected((now) => {
      const next = new Set(now);
      if (!next.delete(taskId)) next.add(taskId);
      return next;
    });
  const pin = (taskIds: string[], pinned: boolean) => {
    props.onPin(taskIds, pinned);
    setSelected(new Set());
  };
  const hours = Array.from({ length: SPAN }, (_, i) => FIRST_HOUR + i);
  // a selected bar that a reload took off the board is no longer selected
  const shown = new Set(props.rows.flatMap((r) => r.assignments.map((a) => a.taskId)));
  const chosen = [...selected].filter((id) => shown.has(id));

  return (
    <section className="board" aria-labelledby="board-title">
      <h2 id="board-title">Today's plan</h2>
      {props.canDispatch && (
        <p className="hint" id="bar-keys">
          Drag a bar or a queued task onto a row at a time. On a focused bar: M moves it, P pins or unpins it, S
          selects it (or Ctrl-click).
        </p>
      )}
      {props.canDispatch && chosen.length > 0 && (
        <div className="selection" role="group" aria-label="Selected assignments">
          {chosen.length} selected
          <button type="button" onClick={() => pin(chosen, true)}>Pin</button>
          <button type="button" onClick={() => pin(chosen, false)}>Unpin</button>
          <button type="button" onClick={() => setSelected(new Set())}>Clear</button>
        </div>
      )}
      <div className="gantt" role="table" aria-label="Tasks per technician, by hour">
        <div className="gantt-row gantt-head" role="row">
          <span className="gantt-name" role="columnheader">Technician</span>
          <div className="gantt-track" role="columnheader">
            {hours.map((h) => (
              <span key={h} className="hour" style={{ left: `${((h - FIRST_HOUR) / SPAN) * 100}%` }}>
                {String(h).padStart(2, "0")}
              </span>
            ))}
          </div>
        </div>
        {props.rows.map((row) => {
          const tech = row.technician;
          const late = row.travel.filter((leg) => !leg.fits).length;
          return (
            <div
              key={tech.id}
              role="row"
              className={`gantt-row${over === tech.id ? " drop" : ""}`}
              data-technician-id={tech.id}
              onDragOver={(e) => {
                if (!props.canDispatch) return;
                e.preventDefault();
                e.dataTransfer.dropEffect = "move";
                setOver(tech.id);
              }}
              onDragLeave={() => setOver(null)}
              onDrop={(e) => {
                e.preventDefault();
                setOver(null);
                const taskId = e.dataTransfer.getData(TASK_MIME) || e.dataTransfer.getData("text/plain");
                if (taskId) props.onPropose({ taskId, technicianId: tech.id, start: startAt(e) });
              }}
            >
              <span className="gantt-name" role="rowheader">
                {tech.name}
                {tech.partner && <small> · {tech.partner.name}</small>}
                <span className="sr-only">
                  {row.shifts.length
                    ? `, works ${row.shifts.map((s) => `${clock(s.start, tz)}–${clock(s.end, tz)}`).join(", ")}`
                    : ""}
                  {late ? `, ${late} drive${late > 1 ? "s" : ""} too tight` : ""}
                </span>
              </span>
              <div className="gantt-track" role="cell">
                {row.shifts.map((s) => (
                  <span key={`s${s.start}`} className="shift" style={place(s)} aria-hidden="true" />
                ))}
                {row.breaks.map((s) => (
                  <span key={`b${s.start}`} className="break" style={place(s)} title={`Break ${clock(s.start, tz)}–${clock(s.end, tz)}`} aria-hidden="true" />
                ))}
                {row.timeOff.map((s) => (
                  <span key={`o${s.start}`} className="time-off" style={place(s)} title={`Time off${s.reason ? `: ${s.reason}` : ""}`} aria-hidden="true" />
                ))}
                {row.idle.map((s) => (
                  <span key={`i${s.start}`} className="idle" style={place(s)} title={`Idle ${clock(s.start, tz)}–${clock(s.end, tz)}`} aria-hidden="true" />
                ))}
                {row.travel.map((leg) => (
                  <span
                    key={`t${leg.fromTaskId}`}
                    className={`travel${leg.fits ? "" : " late"}`}
                    style={place({ start: leg.depart, end: leg.arrive }, 0.05)}
                    data-fits={leg.fits}
                    title={`Drive ${Math.round(leg.minutes)} min, ${leg.distanceKm.toFixed(1)} km, ${Math.round(leg.slackMinutes)} min to spare`}
                    aria-hidden="true"
                  />
                ))}
                {row.assignments.map((a) => {
                  const movable = props.canDispatch && MOVABLE.has(a.status);
                  const name = a.task.site?.name ?? "Task";
                  const state = a.status.toLowerCase().replace("_", " ");
                  return (
                    <button
                      type="button"
                      key={a.taskId}
                      className={`bar status-${a.status.toLowerCase()}${a.pinned ? " pinned" : ""}${selected.has(a.taskId) ? " selected" : ""}`}
                      style={place(a, 0.25)}
                      data-task-id={a.taskId}
                      data-pinned={a.pinned}
                      draggable={movable}
                      aria-describedby={movable ? "bar-keys" : undefined}
                      aria-keyshortcuts={movable ? "M P S" : undefined}
                      title={`${clock(a.start, tz)}–${clock(a.end, tz)} ${name} (${state}${a.pinned ? ", pinned" : ""})`}
                      aria-label={`${name}, ${clock(a.start, tz)}, ${state}${a.pinned ? ", pinned" : ""}${selected.has(a.taskId) ? ", selected" : ""}`}
                      onDragStart={(e) => {
                        e.dataTransfer.setData(TASK_MIME, a.taskId);
                        e.dataTransfer.setData("text/plain", a.taskId);
                        e.dataTransfer.effectAllowed = "move";
                      }}
                      onClick={(e) => (movable && (e.ctrlKey || e.metaKey || e.shiftKey) ? toggle(a.taskId) : props.onOpenTask(a.taskId))}
                      onKeyDown={(e) => {
                        if (!movable || e.ctrlKey || e.metaKey || e.altKey) return;
                        const key = e.key.toLowerCase();
                        if (key === "m") props.onPropose({ taskId: a.taskId, technicianId: tech.id, start: new Date(a.start) });
                        else if (key === "p") props.onPin([a.taskId], !a.pinned);
                        else if (key === "s") toggle(a.taskId);
                        else return;
                        e.preventDefault();
                      }}
                    />
                  );
                })}
              </div>
            </div>
          );
        })}
      </div>
    </section>
  );
}
