import type { BoardTaskFragment } from "../gql/graphql";
import { clock } from "../time";

export const TASK_MIME = "application/x-fieldgraph-task";

/** A waiting task, with how many technicians could take it when the board says (null when
 * the viewer may not read `dispatchBoard`). */
export interface QueuedTask {
  task: BoardTaskFragment;
  candidateCount: number | null;
}

/** Unassigned tasks, most urgent SLA first; drag one onto a technician's row to assign it. */
export function UnassignedQueue(props: {
  tasks: QueuedTask[];
  timeZone: string;
  canDispatch: boolean;
  onOpenTask: (id: string) => void;
}) {
  const due = (t: BoardTaskFragment) => t.responseDueAt ?? t.resolutionDueAt ?? t.windowEnd ?? "9999";
  const tasks = [...props.tasks].sort((a, b) => due(a.task).localeCompare(due(b.task)));
  return (
    <section className="queue" aria-labelledby="queue-title">
      <h2 id="queue-title">Unassigned ({tasks.length})</h2>
      {props.canDispatch && <p className="hint">Drag a task onto a technician's row at a time, or open it to assign.</p>}
      <ul>
        {tasks.map(({ task, candidateCount }) => (
          <li
            key={task.id}
            className={`queue-task sla-${task.slaState.toLowerCase()}`}
            draggable={props.canDispatch}
            data-task-id={task.id}
            data-candidates={candidateCount ?? undefined}
            onDragStart={(e) => {
              e.dataTransfer.setData(TASK_MIME, task.id);
              e.dataTransfer.setData("text/plain", task.id);
              e.dataTransfer.effectAllowed = "move";
            }}
          >
            <button type="button" className="link" onClick={() => props.onOpenTask(task.id)}>
              {task.site?.name ?? task.customer?.name ?? "Task"} · {task.type.toLowerCase()}
            </button>
            <span className="meta">
              P{task.priority} · {task.durationMinutes} min · SLA due {clock(due(task) === "9999" ? null : due(task), props.timeZone)}
              {candidateCount !== null && (
                <span className={`candidates${candidateCount === 0 ? " none" : ""}`}>
                  {" "}· {candidateCount === 0 ? "no technician fits" : `${candidateCount} could take it`}
                </span>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
