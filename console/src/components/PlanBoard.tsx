import { useState } from "react";
import type { Technician, Territory } from "../App";
import type { BoardTaskFragment } from "../gql/graphql";
import { clock } from "../time";
import { TASK_MIME } from "./UnassignedQueue";

const FIRST_HOUR = 7;
const LAST_HOUR = 21;

/** Today's plan as a Gantt chart: one row per technician, one bar per task. */
export function PlanBoard(props: {
  territory: Territory;
  technicians: Technician[];
  tasks: BoardTaskFragment[];
  canDispatch: boolean;
  onOpenTask: (id: string) => void;
  onPropose: (taskId: string, technicianId: string) => void;
}) {
  const [over, setOver] = useState<string | null>(null);
  const tz = props.territory.timeZone;
  const hourOf = (iso: string) => {
    const [h, m] = clock(iso, tz).split(":").map(Number);
    return h + m / 60;
  };
  const place = (task: BoardTaskFragment) => {
    const start = Math.max(FIRST_HOUR, hourOf(task.scheduledStart!));
    const end = Math.min(LAST_HOUR, task.scheduledEnd ? hourOf(task.scheduledEnd) : start + task.durationMinutes / 60);
    const span = LAST_HOUR - FIRST_HOUR;
    return { left: `${((start - FIRST_HOUR) / span) * 100}%`, width: `${(Math.max(end - start, 0.25) / span) * 100}%` };
  };
  const hours = Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) => FIRST_HOUR + i);

  return (
    <section className="board" aria-labelledby="board-title">
      <h2 id="board-title">Today's plan</h2>
      <div className="gantt" role="table" aria-label="Tasks per technician, by hour">
        <div className="gantt-row gantt-head" role="row">
          <span className="gantt-name" role="columnheader">Technician</span>
          <div className="gantt-track" role="columnheader">
            {hours.map((h) => (
              <span key={h} className="hour" style={{ left: `${((h - FIRST_HOUR) / (LAST_HOUR - FIRST_HOUR)) * 100}%` }}>
                {String(h).padStart(2, "0")}
              </span>
            ))}
          </div>
        </div>
        {props.technicians.map((tech) => (
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
              if (taskId) props.onPropose(taskId, tech.id);
            }}
          >
            <span className="gantt-name" role="rowheader">
              {tech.name}
              {tech.partner && <small> · {tech.partner.name}</small>}
            </span>
            <div className="gantt-track" role="cell">
              {props.tasks
                .filter((t) => t.technician?.id === tech.id && t.scheduledStart)
                .map((task) => (
                  <button
                    type="button"
                    key={task.id}
                    className={`bar status-${task.status.toLowerCase()}`}
                    style={place(task)}
                    data-task-id={task.id}
                    title={`${clock(task.scheduledStart, tz)}–${clock(task.scheduledEnd, tz)} ${task.site?.name ?? ""} (${task.status})`}
                    aria-label={`${task.site?.name ?? "Task"}, ${clock(task.scheduledStart, tz)}, ${task.status.toLowerCase().replace("_", " ")}`}
                    onClick={() => props.onOpenTask(task.id)}
                  />
                ))}
            </div>
          </div>
        ))}
      </div>
    </section>
  );
}
