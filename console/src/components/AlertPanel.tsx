import type { ConsoleAlertsSubscription } from "../gql/graphql";

export type ShownAlert = ConsoleAlertsSubscription["alerts"] & { key: string };

const LEVEL = ["", "notice", "warning", "urgent"];

export function AlertPanel({ alerts, onOpenTask }: { alerts: ShownAlert[]; onOpenTask: (id: string) => void }) {
  return (
    <section className="alerts" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts</h2>
      <ul aria-live="polite">
        {alerts.length === 0 && <li className="empty">No alerts since the page opened.</li>}
        {alerts.map((alert) => (
          <li key={alert.key} className={`alert level-${alert.level}`} data-kind={alert.kind}>
            <strong>{LEVEL[alert.level] ?? "alert"}</strong> {alert.message}
            {alert.taskId && (
              <button type="button" className="link" onClick={() => onOpenTask(alert.taskId!)}>
                Open task
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
