import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { follow, liveClient, loadConfig, request, savedToken, saveToken, type ConsoleConfig } from "./api";
import { AlertPanel, type ShownAlert } from "./components/AlertPanel";
import { KpiStrip } from "./components/KpiStrip";
import { LiveMap, type Position } from "./components/LiveMap";
import { Login } from "./components/Login";
import { MoveDialog } from "./components/MoveDialog";
import { PlanBoard, rowsOfTasks, type GanttRow, type Proposal } from "./components/PlanBoard";
import { TaskDrawer } from "./components/TaskDrawer";
import { TerritoryPicker } from "./components/TerritoryPicker";
import { UnassignedQueue, type QueuedTask } from "./components/UnassignedQueue";
import type {
  BoardTaskFragment,
  ConsoleBoardQuery,
  ConsoleDispatchBoardQuery,
  ConsoleDispatchBoardUpdatesSubscription,
  ConsoleViewerQuery,
} from "./gql/graphql";
import {
  AlertsSubscription,
  BoardQuery,
  DispatchBoardQuery,
  DispatchBoardUpdatesSubscription,
  DispatchRunQuery,
  LocationsSubscription,
  PinAssignmentsMutation,
  RunDispatchMutation,
  TaskUpdatesSubscription,
  ViewerQuery,
} from "./operations";
import { boxOf } from "./geo";
import { dayBounds } from "./time";

export type Territory = ConsoleViewerQuery["territories"][number];
export type Technician = ConsoleBoardQuery["technicians"]["edges"][number]["node"];

const CAN_DISPATCH = new Set(["ADMIN", "DISPATCHER"]);
/** Who may read `dispatchBoard` and follow `dispatchBoardUpdates`; partners see a plain plan. */
const BOARD_READERS = new Set(["ADMIN", "DISPATCHER", "MANAGER"]);
const CONSOLE_ROLES = new Set(["ADMIN", "DISPATCHER", "MANAGER", "PARTNER"]);

export function App() {
  const [token, setToken] = useState<string | null>(savedToken);
  const logIn = (value: string | null) => {
    saveToken(value);
    setToken(value);
  };
  if (!token) return <Login onToken={logIn} />;
  return <Console token={token} onLogout={() => logIn(null)} />;
}

function Console({ token, onLogout }: { token: string; onLogout: () => void }) {
  const [viewer, setViewer] = useState<ConsoleViewerQuery | null>(null);
  const [config, setConfig] = useState<ConsoleConfig>({ tileUrl: null });
  const [territoryId, setTerritoryId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    loadConfig().then(setConfig);
    request(ViewerQuery, {}, token)
      .then((data) => {
        setViewer(data);
        setTerritoryId((current) => current ?? data.territories[0]?.id ?? null);
      })
      .catch((err: Error) => {
        setError(err.message);
        if (/token|authenticat/i.test(err.message)) onLogout();
      });
  }, [token, onLogout]);

  const territory = viewer?.territories.find((t) => t.id === territoryId) ?? null;
  return (
    <div className="console">
      <header className="topbar">
        <h1>Fieldgraph console</h1>
        {viewer && (
          <TerritoryPicker territories={viewer.territories} value={territoryId} onChange={setTerritoryId} />
        )}
        <span className="who">
          {viewer ? signedIn(viewer.me.name, viewer.me.role) : "…"}
        </span>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </header>
      {error && <p role="alert" className="error">{error}</p>}
      {viewer && !CONSOLE_ROLES.has(viewer.me.role) && (
        <p role="alert" className="error">
          The console is for dispatchers, managers, admins and partners; {viewer.me.role.toLowerCase()} users have
          their own apps.
        </p>
      )}
      {viewer && territory && CONSOLE_ROLES.has(viewer.me.role) && (
        <TerritoryView
          key={territory.id}
          token={token}
          territory={territory}
          role={viewer.me.role}
          me={viewer.me.name}
          config={config}
        />
      )}
    </div>
  );
}

function TerritoryView(props: { token: string; territory: Territory; role: string; me: string; config: ConsoleConfig }) {
  const { token, territory, role, me, config } = props;
  const [board, setBoard] = useState<ConsoleBoardQuery | null>(null);
  const [dispatch, setDispatch] = useState<ConsoleDispatchBoardQuery["dispatchBoard"] | null>(null);
  const [positions, setPositions] = useState<Record<string, Position>>({});
  const [alerts, setAlerts] = useState<ShownAlert[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  // The task as it was when the move was proposed: the dialog keeps its version while the live
  // board reloads under it.
  const [proposal, setProposal] = useState<(Proposal & { task: BoardTaskFragment }) | null>(null);
  const [status, setStatus] = useState<string>("");
  const [live, setLive] = useState<string>("connecting");
  const [reloads, setReloads] = useState(0);
  // Alerts can share a timestamp and the list is cut at 50: a counter keeps their keys unique.
  const alertCount = useRef(0);
  const canDispatch = CAN_DISPATCH.has(role);
  const canSeeAlerts = canDispatch || role === "MANAGER";
  const readsBoard = BOARD_READERS.has(role);

  // Task events come in bursts (an optimizer run publishes many): one board reload per burst.
  const pending = useRef<number | null>(null);
  const reload = useCallback(() => {
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      setReloads((n) => n + 1);
    }, 300);
  }, []);
  useEffect(() => () => window.clearTimeout(pending.current ?? undefined), []);

  useEffect(() => {
    const [from, to] = dayBounds(territory.timeZone);
    let stale = false;
    request(BoardQuery, { territoryId: territory.id, from, to }, token)
      .then((data) => {
        if (stale) return;
        setBoard(data);
        setPositions((known) => {
          const next = { ...known };
          for (const { node } of data.technicians.edges) {
            if (node.lastKnownLocation && !next[node.id]) {
              next[node.id] = { ...node.lastKnownLocation, at: node.lastSeenAt ?? null, live: false };
            }
          }
          return next;
        });
      })
      .catch((err: Error) => setStatus(err.message));
    // The Gantt's own read, beside the map's: the map does not wait for it.
    if (readsBoard) {
      request(DispatchBoardQuery, { territoryId: territory.id, from, to }, token)
        .then((data) => !stale && setDispatch(data.dispatchBoard))
        .catch((err: Error) => setStatus(err.message));
    }
    return () => {
      stale = true;
    };
  }, [token, territory, reloads, readsBoard]);

  useEffect(() => {
    const client = liveClient(token);
    const unsubscribed = client.on("connected", () => setLive("live"));
    const closed = client.on("closed", () => setLive("reconnecting"));
    const stops = [
      // By the territory's extent, not its id: a technician who belongs to several territories
      // reports under one of them but is seen on the map of each.
      follow(client, LocationsSubscription, { bbox: boxOf(territory.area as GeoJSON.Geometry, 0.05) }, (data) => {
        const ping = data.technicianLocations;
        setPositions((known) => ({
          ...known,
          [ping.technicianId]: { ...ping.location, at: ping.recordedAt, live: true },
        }));
      }, setStatus),
      readsBoard
        ? follow(client, DispatchBoardUpdatesSubscription, { territoryId: territory.id }, (data) => {
            const said = boardNews(data.dispatchBoardUpdates, me);
            if (said) setStatus(said);
            reload();
          }, setStatus)
        : follow(client, TaskUpdatesSubscription, { territoryId: territory.id }, reload, setStatus),
    ];
    if (canSeeAlerts) {
      stops.push(
        follow(client, AlertsSubscription, { territoryId: territory.id }, (data) => {
          alertCount.current += 1;
          const key = `alert-${alertCount.current}`;
          setAlerts((shown) => [{ ...data.alerts, key }, ...shown].slice(0, 50));
        }, setStatus),
      );
    }
    return () => {
      stops.forEach((stop) => stop());
      unsubscribed();
      closed();
      void client.dispose();
    };
  }, [token, territory, canSeeAlerts, readsBoard, me, reload]);

  const runOptimizer = async () => {
    try {
      await followOptimizer();
    } catch (err) {
      setStatus(`Optimizer failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  const followOptimizer = async () => {
    const [, to] = dayBounds(territory.timeZone);
    setStatus("Optimizer queued…");
    const started = await request(
      RunDispatchMutation,
      { input: { territoryId: territory.id, from: new Date().toISOString(), to, timeLimitSeconds: 5, publish: true } },
      token,
    );
    const run = started.runDispatch.dispatchRun;
    if (!run) {
      setStatus(started.runDispatch.userErrors.map((e) => e.message).join("; "));
      return;
    }
    for (let i = 0; i < 120; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const polled = (await request(DispatchRunQuery, { id: run.id }, token)).dispatchRun;
      if (polled && (polled.status === "SUCCEEDED" || polled.status === "FAILED")) {
        setStatus(polled.status === "SUCCEEDED" ? "Optimizer finished: the plan is refreshed." : `Optimizer failed: ${polled.error ?? ""}`);
        reload();
        return;
      }
      if (polled) setStatus(`Optimizer ${polled.status.toLowerCase()} (${Math.round(polled.progress * 100)}%)…`);
    }
    setStatus("The optimizer is still running: the board refreshes when it publishes its plan.");
  };

  const technicians = useMemo(() => board?.technicians.edges.map((e) => e.node) ?? [], [board]);
  const planned: BoardTaskFragment[] = useMemo(() => board?.planned.edges.map((e) => e.node) ?? [], [board]);
  const rows: GanttRow[] = useMemo(
    () => dispatch?.rows ?? (readsBoard ? [] : rowsOfTasks(technicians, planned)),
    [dispatch, readsBoard, technicians, planned],
  );
  // Today's waiting tasks as the board counts their candidates, then the rest of the queue
  // (waiting for another day, or for a viewer who may not read the board).
  const queue: QueuedTask[] = useMemo(() => {
    const today = dispatch?.unassigned ?? [];
    const counted = new Set(today.map((q) => q.task.id));
    const rest = (board?.queue.edges ?? []).filter((e) => !counted.has(e.node.id));
    return [...today, ...rest.map((e) => ({ task: e.node, candidateCount: null }))];
  }, [dispatch, board]);
  const onBoard = (taskId: string) => rows.flatMap((r) => r.assignments).find((a) => a.taskId === taskId);

  const propose = (proposed: Proposal) => {
    const task =
      onBoard(proposed.taskId)?.task ??
      [...queue.map((q) => q.task), ...planned, ...(board?.queue.edges.map((e) => e.node) ?? [])].find(
        (t) => t.id === proposed.taskId,
      );
    if (task) setProposal({ ...proposed, task });
  };

  const pin = async (taskIds: string[], pinned: boolean) => {
    try {
      // The versions the board showed: a task someone changed since is refused, nothing pinned.
      const expectedVersions = taskIds.flatMap((taskId) => {
        const version = onBoard(taskId)?.task.version;
        return version === undefined ? [] : [{ taskId, expectedVersion: version }];
      });
      const { pinAssignments } = await request(
        PinAssignmentsMutation,
        { input: { taskIds, pinned, expectedVersions } },
        token,
      );
      const errors = pinAssignments.userErrors.map((e) => e.message).join("; ");
      const count = taskIds.length === 1 ? "The assignment is" : `${taskIds.length} assignments are`;
      setStatus(errors || `${count} ${pinned ? "pinned: the optimizer keeps them" : "unpinned"}.`);
    } catch (err) {
      setStatus((err as Error).message);
    }
    reload();
  };

  return (
    <main className="layout">
      <section className="toolbar" aria-label="Plan actions">
        <KpiStrip token={token} territoryId={territory.id} planned={planned} queueCount={board?.queue.totalCount ?? 0} />
        <span className="live" data-state={live} role="status" aria-label={`Live updates: ${live}`}>
          ● {live}
        </span>
        {canDispatch && (
          <button type="button" className="primary" onClick={() => void runOptimizer()}>
            Run optimizer
          </button>
        )}
        <span role="status" className="status">{status}</span>
      </section>
      <LiveMap
        territory={territory}
        technicians={technicians}
        positions={positions}
        tasks={[...planned, ...queue.map((q) => q.task)]}
        tileUrl={config.tileUrl}
        token={token}
      />
      {canSeeAlerts && <AlertPanel alerts={alerts} onOpenTask={setSelected} />}
      <PlanBoard
        territory={territory}
        rows={rows}
        canDispatch={canDispatch}
        onOpenTask={setSelected}
        onPropose={propose}
        onPin={(taskIds, pinned) => void pin(taskIds, pinned)}
      />
      <UnassignedQueue tasks={queue} timeZone={territory.timeZone} onOpenTask={setSelected} canDispatch={canDispatch} />
      {selected && (
        <TaskDrawer
          key={selected}
          taskId={selected}
          revision={reloads}
          token={token}
          timeZone={territory.timeZone}
          technicians={technicians}
          canDispatch={canDispatch}
          pinned={onBoard(selected)?.pinned ?? null}
          onPropose={propose}
          onPin={(taskIds, pinned) => void pin(taskIds, pinned)}
          onClose={() => setSelected(null)}
        />
      )}
      {proposal && (
        <MoveDialog
          key={proposal.task.id}
          token={token}
          territory={territory}
          task={proposal.task}
          technicians={technicians}
          rows={rows}
          technicianId={proposal.technicianId}
          start={proposal.start}
          onDone={(message) => {
            setProposal(null);
            if (message) setStatus(message);
            reload();
          }}
          onStale={(message) => {
            setProposal(null);
            setStatus(message);
            reload();
          }}
        />
      )}
    </main>
  );
}

/** "Name (role)", unless the demo's names already say the role. */
function signedIn(name: string, role: string): string {
  return name.toLowerCase().includes(role.toLowerCase()) ? name : `${name} (${role.toLowerCase()})`;
}

const BOARD_ACTIONS: Record<string, string> = { ASSIGN: "moved", UNASSIGN: "unassigned", PIN: "pinned", UNPIN: "unpinned" };

/** What another dispatcher did on the board, in a few words; nothing for one's own changes and
 * the technicians' steps (the board reloads on every change all the same). */
function boardNews(update: ConsoleDispatchBoardUpdatesSubscription["dispatchBoardUpdates"], me: string): string | null {
  const did = BOARD_ACTIONS[update.action];
  if (!did || !update.actorName || update.actorName === me) return null;
  return `${update.actorName} ${did} ${update.task.site?.name ?? "a task"}: the board is reloaded.`;
}
