import { useEffect, useState } from "react";
import { request } from "../api";
import type { BoardTaskFragment, ConsoleSlaKpisQuery } from "../gql/graphql";
import { SlaKpiQuery } from "../operations";

type Counts = ConsoleSlaKpisQuery["slaBoard"]["territories"][number];

/** Today's plan counts, and the SLA board's counts where the caller may read it. */
export function KpiStrip(props: { token: string; territoryId: string; planned: BoardTaskFragment[]; queueCount: number }) {
  const [sla, setSla] = useState<Counts | null>(null);
  useEffect(() => {
    request(SlaKpiQuery, { territoryId: props.territoryId }, props.token)
      .then((data) => setSla(data.slaBoard.territories.find((t) => t.territory?.id === props.territoryId) ?? null))
      .catch(() => setSla(null));
  }, [props.token, props.territoryId, props.planned]);
  const done = props.planned.filter((t) => t.status === "COMPLETED").length;
  return (
    <dl className="kpis" aria-label="Key figures">
      <Kpi label="Planned today" value={props.planned.length} />
      <Kpi label="Completed" value={done} />
      <Kpi label="Unassigned" value={props.queueCount} />
      {sla && <Kpi label="SLA at risk" value={sla.atRisk} />}
      {sla && <Kpi label="SLA breached" value={sla.breached} />}
    </dl>
  );
}

function Kpi({ label, value }: { label: string; value: number }) {
  return (
    <div className="kpi">
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
